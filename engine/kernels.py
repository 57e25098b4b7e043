"""Numba kernels: DCI scores of a whole stack of importance matrices at once (bootstrap, sweeps).

:func:`dci_scores_batch` computes, for every ``R`` of a (B, L, K) stack, exactly what :func:`engine.dci.dci_scores`
computes for one (same offset, zero-matrix rule and K = 1 / L = 1 conventions), in parallel over B.
"""

import numpy as np
from numba import njit, prange

from engine.dci import EPS


@njit(cache=True)
def _one(R, per_code, per_factor):
    n_codes, n_factors = R.shape
    total = 0.0
    for i in range(n_codes):
        for j in range(n_factors):
            total += R[i, j]
    uniform = total == 0.0
    weight_total = n_codes * n_factors if uniform else total
    # per code: 1 - entropy (base K) of the row (+EPS), normalised
    d = 0.0
    for i in range(n_codes):
        row_sum = 0.0
        raw_sum = 0.0
        for j in range(n_factors):
            row_sum += R[i, j] + EPS
            raw_sum += 1.0 if uniform else R[i, j]
        if n_factors == 1:
            per_code[i] = 1.0
        else:
            h = 0.0
            for j in range(n_factors):
                p = (R[i, j] + EPS) / row_sum
                if p > 0.0:
                    h -= p * np.log(p)
            per_code[i] = 1.0 - h / np.log(n_factors)
        d += per_code[i] * (raw_sum / weight_total)
    # per factor: 1 - entropy (base L) of the column (+EPS), normalised
    c = 0.0
    for j in range(n_factors):
        col_sum = 0.0
        raw_sum = 0.0
        for i in range(n_codes):
            col_sum += R[i, j] + EPS
            raw_sum += 1.0 if uniform else R[i, j]
        if n_codes == 1:
            per_factor[j] = 1.0
        else:
            h = 0.0
            for i in range(n_codes):
                p = (R[i, j] + EPS) / col_sum
                if p > 0.0:
                    h -= p * np.log(p)
            per_factor[j] = 1.0 - h / np.log(n_codes)
        c += per_factor[j] * (raw_sum / weight_total)
    return d, c


@njit(parallel=True, cache=True)
def _batch(R_stack, D, C, per_code, per_factor):
    for b in prange(R_stack.shape[0]):
        D[b], C[b] = _one(R_stack[b], per_code[b], per_factor[b])


def dci_scores_batch(R_stack) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """DCI of every matrix of a stack.

    Parameters
    ----------
    R_stack : array_like of shape (B, L, K)
        Nonnegative importance matrices.

    Returns
    -------
    D : ndarray (B,)
    C : ndarray (B,)
    per_code : ndarray (B, L)
    per_factor : ndarray (B, K)
    """
    R = np.ascontiguousarray(R_stack, dtype=np.float64)
    if R.ndim != 3 or 0 in R.shape:
        raise ValueError(f"expected a non-empty (B, L, K) stack, got shape {R.shape}")
    if not np.isfinite(R).all() or (R < 0).any():
        raise ValueError("importance matrices must be finite and nonnegative")
    n, n_codes, n_factors = R.shape
    D, C = np.empty(n), np.empty(n)
    per_code, per_factor = np.empty((n, n_codes)), np.empty((n, n_factors))
    _batch(R, D, C, per_code, per_factor)
    return D, C, per_code, per_factor
