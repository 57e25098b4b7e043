"""Numba kernels: DCI scores of a whole stack of importance matrices at once (bootstrap, sweeps).

:func:`dci_scores_batch` computes, for every ``R`` of a (B, L, K) stack, exactly what :func:`engine.dci.dci_scores`
computes for one (same offset, zero-matrix rule and K = 1 / L = 1 conventions), in parallel over B.
"""

import numpy as np
from numba import njit, prange

from latentnav.metrics.importance import EPS


@njit(cache=True)
def _side(R, out):
    """Per row i of R (n, m): ``out[i] = 1 - H_m(row + EPS)`` (1 when m = 1); returns the row-weighted mean.

    Rows are codes for D (R) and factors for C (R transposed). Weights are row sums / total, uniform for R = 0.
    """
    n, m = R.shape
    total = 0.0
    for i in range(n):
        for j in range(m):
            total += R[i, j]
    uniform = total == 0.0
    weight_total = n * m if uniform else total
    score = 0.0
    for i in range(n):
        row_sum = 0.0
        raw_sum = 0.0
        for j in range(m):
            row_sum += R[i, j] + EPS
            raw_sum += 1.0 if uniform else R[i, j]
        if m == 1:
            out[i] = 1.0
        else:
            h = 0.0
            for j in range(m):
                p = (R[i, j] + EPS) / row_sum
                if p > 0.0:
                    h -= p * np.log(p)
            out[i] = 1.0 - h / np.log(m)
        score += out[i] * (raw_sum / weight_total)
    return score


@njit(parallel=True, cache=True)
def _batch(R_stack, D, C, per_code, per_factor):
    for b in prange(R_stack.shape[0]):
        D[b] = _side(R_stack[b], per_code[b])
        C[b] = _side(R_stack[b].T, per_factor[b])


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
