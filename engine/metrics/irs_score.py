"""Interventional Robustness Score (Suter et al., "Robustly Disentangled Causal Mechanisms: Validating Deep
Representations for Interventional Robustness", ICML 2019), as disentanglement_lib's ``evaluation/metrics/irs.py``.
"""

import numbers

import numpy as np

from latentnav.errors import ParameterError
from latentnav.metrics.discrete import digitize_columns
from latentnav.metrics.metric_inputs import check_codes_factors, check_n_bins


def irs(codes, factors, *, diff_quantile: float = 0.99, n_bins: int = 20) -> float:
    """Interventional Robustness Score of a representation.

    As disentanglement_lib's ``compute_irs``: the FACTORS are histogram-discretised (``n_bins`` equal-width
    bins per factor), constant code dimensions are dropped (no active code: the score is 0), then for active
    code ``i`` and factor ``j``, with groups ``g`` of samples sharing the discretised value of factor ``j``::

        EMPIDA_ij = 1/|groups| sum_g quantile_q(|z_i - mean_g(z_i)| over g)
        IRS_ij    = 1 - EMPIDA_ij / max_n |z_i - mean(z_i)|

    The score of code ``i`` is ``max_j IRS_ij``; the result is their average weighted by the codes' maximal
    deviations ``max_n |z_i - mean(z_i)|`` (Suter et al. 2019, https://arxiv.org/abs/1811.00007).

    Parameters
    ----------
    codes : array_like (N, L)
        Finite codes, samples first.
    factors : array_like (N, K)
        Ground-truth factors of the same samples (discretised here, so real values are fine).
    diff_quantile : float, default 0.99
        Quantile ``q`` in [0, 1] of the within-group deviations (1.0 is the paper's maximum).
    n_bins : int, default 20
        Histogram bins per factor (>= 2).

    Returns
    -------
    float
        At most 1 (1: every code is unaffected by the factors other than its parent); about 0 for codes that
        ignore the factors. Can be slightly negative for such codes.

    Raises
    ------
    ParameterError
        For mismatched shapes, fewer than 2 samples, non-finite values, ``diff_quantile`` outside [0, 1] or
        ``n_bins < 2``.

    Examples
    --------
    >>> factors = np.array([[a, b] for a in range(3) for b in range(4)] * 5)
    >>> irs(factors.astype(float), factors)  # each code moves with one factor only
    1.0
    """
    codes, factors = check_codes_factors(codes, factors)
    n_bins = check_n_bins(n_bins)
    if isinstance(diff_quantile, bool) or not isinstance(diff_quantile, numbers.Real) or not 0 <= diff_quantile <= 1:
        raise ParameterError("diff_quantile", "must be a number in [0, 1] (0.99 by default, 1.0 in the paper)",
                             value=diff_quantile)
    codes = codes.astype(np.float64)
    active = codes[:, codes.var(axis=0) > 0]
    if active.shape[1] == 0:
        return 0.0
    groups = digitize_columns(factors, n_bins)
    max_deviations = np.max(np.abs(active - active.mean(axis=0)), axis=0)
    empida = np.zeros((active.shape[1], factors.shape[1]))
    for j in range(factors.shape[1]):
        values = np.unique(groups[:, j])
        for value in values:
            members = active[groups[:, j] == value]
            empida[:, j] += np.quantile(np.abs(members - members.mean(axis=0)), diff_quantile, axis=0)
        empida[:, j] /= values.size
    per_code = (1.0 - empida / max_deviations[:, None]).max(axis=1)
    return float(np.average(per_code, weights=max_deviations))
