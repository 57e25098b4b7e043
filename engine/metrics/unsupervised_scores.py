"""Unsupervised scores of a representation (no factors needed), as disentanglement_lib's
``evaluation/metrics/unsupervised_metrics.py`` (used in Locatello et al., "Challenging Common Assumptions in the
Unsupervised Learning of Disentangled Representations", ICML 2019).
"""

from dataclasses import dataclass

import numpy as np

from latentnav.errors import ParameterError
from latentnav.metrics.discrete import digitize_columns, mutual_information_matrix
from latentnav.metrics.metric_inputs import check_matrix, check_n_bins


@dataclass(frozen=True)
class UnsupervisedScores:
    """Scores of :func:`unsupervised`.

    Attributes
    ----------
    gaussian_total_correlation : float
        KL divergence (nats) between ``N(0, C)`` and the product of its marginals ``N(0, diag C)``.
    gaussian_wasserstein_correlation : float
        Squared 2-Wasserstein distance between the same two Gaussians.
    gaussian_wasserstein_correlation_norm : float
        The previous divided by ``trace C``.
    mutual_info_score : float
        Mean discrete mutual information (nats) between distinct pairs of discretised code dimensions.
    """

    gaussian_total_correlation: float
    gaussian_wasserstein_correlation: float
    gaussian_wasserstein_correlation_norm: float
    mutual_info_score: float


def gaussian_total_correlation(cov) -> float:
    """Total correlation of a Gaussian with covariance ``cov`` (L, L).

    ``TC = KL(N(0, C) || N(0, diag C)) = 0.5 (sum_i log C_ii - log det C)``; ``inf`` when ``C`` is singular
    (or numerically not positive definite).

    Parameters
    ----------
    cov : array_like (L, L)
        A covariance matrix with a positive diagonal.

    Returns
    -------
    float

    Examples
    --------
    >>> round(gaussian_total_correlation(np.array([[1.0, 0.6], [0.6, 1.0]])), 6)  # -0.5 log(1 - 0.6^2)
    0.223144
    """
    cov = np.asarray(cov, dtype=np.float64)
    sign, logdet = np.linalg.slogdet(cov)
    if sign <= 0:
        return float("inf")
    return float(0.5 * (np.sum(np.log(np.diag(cov))) - logdet))


def gaussian_wasserstein_correlation(cov) -> float:
    """Squared 2-Wasserstein distance between ``N(0, C)`` and ``N(0, diag C)``.

    ``W = 2 tr C - 2 tr (D C)^(1/2)`` with ``D = diag C`` (disentanglement_lib's
    ``2 tr C - 2 tr sqrtm(C * diag(C)[:, None])``). ``(D C)^(1/2)`` has the trace of
    ``(D^(1/2) C D^(1/2))^(1/2)``, a symmetric PSD matrix, so the trace is the sum of the square roots of its
    eigenvalues; tiny negative eigenvalues from rounding count as 0 (scipy's ``sqrtm`` would turn them into
    imaginary parts).

    Parameters
    ----------
    cov : array_like (L, L)
        A covariance matrix.

    Returns
    -------
    float

    Examples
    --------
    >>> r = 0.6
    >>> round(gaussian_wasserstein_correlation(np.array([[1.0, r], [r, 1.0]])), 6)  # 4 - 2(sqrt(1+r) + sqrt(1-r))
    0.205267
    """
    cov = np.asarray(cov, dtype=np.float64)
    root = np.sqrt(np.clip(np.diag(cov), 0.0, None))
    eigenvalues = np.linalg.eigvalsh(cov * root[:, None] * root[None, :])
    return float(2.0 * np.trace(cov) - 2.0 * np.sum(np.sqrt(np.clip(eigenvalues, 0.0, None))))


def unsupervised(codes, *, n_bins: int = 20) -> UnsupervisedScores:
    """Gaussian total correlation, Gaussian Wasserstein correlation and mean pairwise mutual information.

    ``C`` is the sample covariance of the codes (``np.cov``, ddof 1). The mutual information score is
    ``sum_{i != j} I(d_i; d_j) / (L^2 - L)`` on the histogram-discretised codes ``d`` (``n_bins`` bins), i.e.
    the code-by-code mutual information matrix with its diagonal (the entropies) removed.

    Parameters
    ----------
    codes : array_like (N, L)
        Finite codes, samples first, L >= 2, no constant column.
    n_bins : int, default 20
        Histogram bins per code dimension (>= 2).

    Returns
    -------
    UnsupervisedScores

    Raises
    ------
    ParameterError
        For a non-2-D array, fewer than 2 samples or code dimensions, non-finite values, a constant code
        dimension (its log-variance is undefined) or ``n_bins < 2``.

    Examples
    --------
    >>> codes = np.random.default_rng(0).normal(size=(2000, 3))
    >>> scores = unsupervised(codes)
    >>> scores.gaussian_total_correlation < 0.01  # independent codes
    True
    """
    codes = check_matrix(codes, "codes", what="code dimensions", min_columns=2)
    n_bins = check_n_bins(n_bins)
    cov = np.atleast_2d(np.cov(codes.astype(np.float64), rowvar=False))
    constant = np.flatnonzero(np.diag(cov) <= 0)
    if constant.size:
        raise ParameterError(
            "codes",
            f"column {int(constant[0])} is constant; the Gaussian scores need a positive variance in every code "
            "dimension: drop constant (collapsed) dimensions first",
        )
    wasserstein = gaussian_wasserstein_correlation(cov)
    mi = mutual_information_matrix(digitize_columns(codes, n_bins))
    np.fill_diagonal(mi, 0.0)
    n_codes = codes.shape[1]
    return UnsupervisedScores(
        gaussian_total_correlation=gaussian_total_correlation(cov),
        gaussian_wasserstein_correlation=wasserstein,
        gaussian_wasserstein_correlation_norm=wasserstein / float(np.trace(cov)),
        mutual_info_score=float(mi.sum() / (n_codes**2 - n_codes)),
    )
