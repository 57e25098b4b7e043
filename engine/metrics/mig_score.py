"""Mutual Information Gap (Chen et al., "Isolating Sources of Disentanglement in VAEs", NeurIPS 2018).

As disentanglement_lib's ``evaluation/metrics/mig.py`` (``discrete_mig``): the codes are discretised per
dimension into equal-width histogram bins, the factors are used as given.
"""

import numpy as np

from latentnav.metrics.discrete import digitize_columns, entropies, mutual_information_matrix
from latentnav.metrics.metric_inputs import check_codes_factors, check_n_bins, check_varying


def mig(codes, factors, *, n_bins: int = 20) -> float:
    """Mutual Information Gap of a representation.

    ``MIG = 1/K sum_k (I(z_(1); v_k) - I(z_(2); v_k)) / H(v_k)``, where ``z_(1)`` and ``z_(2)`` are the codes
    with the largest and second-largest discrete mutual information with factor ``v_k`` (Chen et al. 2018,
    https://arxiv.org/abs/1802.04942). Mutual information and entropy are in nats on the histogram-discretised
    codes (:func:`~latentnav.metrics.discrete.histogram_discretize`) and the factors as given, exactly as
    disentanglement_lib's ``compute_mig``.

    Parameters
    ----------
    codes : array_like (N, L)
        Finite codes, samples first, L >= 2.
    factors : array_like (N, K)
        Discrete ground-truth factors of the same samples; every factor must take at least two values.
    n_bins : int, default 20
        Histogram bins per code dimension (>= 2).

    Returns
    -------
    float
        In [0, 1]; 1 when each factor is captured by exactly one code.

    Raises
    ------
    ParameterError
        For shapes that do not match, fewer than 2 samples or codes, non-finite codes, a constant factor
        (entropy 0) or ``n_bins < 2``.

    Examples
    --------
    >>> factors = np.array([[0, 0], [0, 1], [1, 0], [1, 1]] * 5)
    >>> round(mig(factors.astype(float), factors), 6)  # the codes are the factors
    1.0
    """
    codes, factors = check_codes_factors(codes, factors, min_codes=2)
    n_bins = check_n_bins(n_bins)
    check_varying(factors)
    mi = mutual_information_matrix(digitize_columns(codes, n_bins), factors)  # (L, K)
    top = np.sort(mi, axis=0)
    return float(np.mean((top[-1] - top[-2]) / entropies(factors)))
