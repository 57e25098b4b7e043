"""SAP score (Kumar et al., "Variational Inference of Disentangled Latent Concepts from Unlabeled Observations",
ICLR 2018), as disentanglement_lib's ``evaluation/metrics/sap_score.py``.
"""

import numpy as np
from sklearn.svm import LinearSVC

from latentnav.metrics.metric_inputs import check_codes_factors, check_varying, same_columns

VARIANCE_FLOOR = 1e-12  # a code with a (ddof=1) variance at or below this scores 0, as in disentanglement_lib


def sap(codes, factors, codes_test, factors_test, *, continuous: bool = False) -> float:
    """Separated Attribute Predictability: mean over factors of the gap between the two most predictive codes.

    The score matrix ``S`` (L, K) holds how well code ``i`` alone predicts factor ``j``:

    - ``continuous=False`` (discrete factors): held-out accuracy on ``(codes_test, factors_test)`` of
      ``sklearn.svm.LinearSVC(C=0.01, class_weight="balanced")`` fitted on the single code ``i`` of the
      training data;
    - ``continuous=True``: squared Pearson correlation ``cov(z_i, v_j)^2 / (var z_i var v_j)`` on the
      TRAINING data (the test data are checked but unused, as in disentanglement_lib); 0 when
      ``var z_i <= 1e-12``.

    ``SAP = 1/K sum_j (S_(1)j - S_(2)j)`` with the largest and second-largest entries of column ``j``
    (Kumar et al. 2018, https://openreview.net/forum?id=H1kG7GZAW, Section 3).

    Parameters
    ----------
    codes : array_like (N, L)
        Training codes, samples first, L >= 2.
    factors : array_like (N, K)
        Training factors (discrete labels, or real values with ``continuous=True``); each must take >= 2 values.
    codes_test : array_like (M, L)
        Held-out codes.
    factors_test : array_like (M, K)
        Held-out factors.
    continuous : bool, default False
        Score by squared correlation instead of classification accuracy.

    Returns
    -------
    float
        In [0, 1]; higher is more disentangled.

    Raises
    ------
    ParameterError
        For mismatched shapes, fewer than 2 samples or codes, non-finite values, or a constant training factor
        (disentanglement_lib fails or returns nan there).

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> factors = rng.normal(size=(200, 2))
    >>> codes = np.column_stack([factors, rng.normal(size=200)])
    >>> round(sap(codes, factors, codes, factors, continuous=True), 2)  # one perfect code per factor
    0.99
    """
    codes, factors = check_codes_factors(codes, factors, min_codes=2)
    codes_test, factors_test = check_codes_factors(
        codes_test, factors_test, codes_name="codes_test", factors_name="factors_test"
    )
    same_columns(codes, codes_test, "codes", "codes_test")
    same_columns(factors, factors_test, "factors", "factors_test")
    check_varying(factors)
    if continuous:
        scores = _correlation_scores(codes.astype(np.float64), factors.astype(np.float64))
    else:
        scores = _accuracy_scores(codes, factors, codes_test, factors_test)
    top = np.sort(scores, axis=0)
    return float(np.mean(top[-1] - top[-2]))


def _correlation_scores(codes: np.ndarray, factors: np.ndarray) -> np.ndarray:
    """(L, K) squared Pearson correlations of every code with every factor (0 for a near-constant code)."""
    n = codes.shape[0]
    zc = codes - codes.mean(axis=0)
    vc = factors - factors.mean(axis=0)
    cov = zc.T @ vc / (n - 1)
    var_z = np.einsum("ni,ni->i", zc, zc) / (n - 1)
    var_v = np.einsum("nj,nj->j", vc, vc) / (n - 1)
    live = var_z > VARIANCE_FLOOR
    scores = np.zeros_like(cov)
    scores[live] = cov[live] ** 2 / (var_z[live, None] * var_v[None, :])
    return scores


def _accuracy_scores(codes, factors, codes_test, factors_test) -> np.ndarray:
    """(L, K) held-out accuracies of a linear SVM on one code per factor."""
    scores = np.zeros((codes.shape[1], factors.shape[1]))
    for i in range(codes.shape[1]):
        for j in range(factors.shape[1]):
            classifier = LinearSVC(C=0.01, class_weight="balanced").fit(codes[:, i : i + 1], factors[:, j])
            scores[i, j] = np.mean(classifier.predict(codes_test[:, i : i + 1]) == factors_test[:, j])
    return scores
