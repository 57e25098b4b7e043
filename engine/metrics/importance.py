"""DCI scores (Eastwood & Williams, ICLR 2018) from an importance matrix, exactly as disentanglement_lib.

``R`` is (L codes x K factors), nonnegative; ``R[i, j]`` is how important code ``i`` is for predicting factor ``j``.

- Every entry gets ``+1e-11`` before the entropies (disentanglement_lib ``evaluation/metrics/dci.py``).
- Per code ``P_ik = R_ik / sum_k R_ik``, ``D_i = 1 - H_K(P_i.)`` (entropy in base K); weights
  ``rho_i = sum_k R_ik / sum R``; ``D = sum_i rho_i D_i``.
- Per factor ``P~_ij = R_ij / sum_i R_ij``, ``C_j = 1 - H_L(P~_.j)`` (base L); weights ``w_j = sum_i R_ij / sum R``;
  ``C = sum_j w_j C_j``.
- ``sum R == 0``: uniform weights (then every ``D_i = C_j = 0``, so D = C = 0).
- K = 1 (a single factor, e.g. the class label): the base-K entropy is undefined, and a code can only inform
  that one factor, so ``D_i = 1`` for every code (D = 1). Likewise L = 1 gives ``C_j = 1``. These are
  conventions; with K = 1 look at C and at the article's scores instead.

The article's simplified single-label variant (:func:`article_scores`): ``p = imp / (sum imp + 1e-8)``,
``D = sum p^2``, ``C = max p``.
"""

from dataclasses import dataclass

import numpy as np

from latentnav.errors import ParameterError

EPS = 1e-11
ARTICLE_EPS = 1e-8


@dataclass(frozen=True)
class DCIScores:
    """Disentanglement and completeness of one importance matrix.

    Attributes
    ----------
    disentanglement, completeness : float
    per_code : ndarray (L,)
        ``D_i``.
    per_factor : ndarray (K,)
        ``C_j``.
    code_weights : ndarray (L,)
        ``rho_i``.
    factor_weights : ndarray (K,)
        ``w_j``.
    """

    disentanglement: float
    completeness: float
    per_code: np.ndarray
    per_factor: np.ndarray
    code_weights: np.ndarray
    factor_weights: np.ndarray


ROUNDING = 1e-12  # negatives down to -ROUNDING * max(1, max R) are rounding residue (sklearn gives -1.7e-17)


def check_importance_matrix(R) -> np.ndarray:
    """``R`` as a float64 (L, K) array with rounding residue (tiny negatives) set to 0.

    Raises
    ------
    ParameterError
        Another shape, non-finite entries or clearly negative ones.
    """
    R = np.array(R, dtype=np.float64)
    if R.ndim != 2 or R.shape[0] < 1 or R.shape[1] < 1:
        raise ParameterError("R", f"must be 2-D (codes x factors) and non-empty, got shape {R.shape}")
    if not np.isfinite(R).all():
        raise ParameterError("R", "must be finite")
    tolerance = ROUNDING * max(1.0, float(np.abs(R).max()))
    if (R < -tolerance).any():
        raise ParameterError("R", f"must be nonnegative, got {float(R.min())}")
    R[R < 0] = 0.0
    return R


def normalized_entropy(P: np.ndarray, base: int) -> np.ndarray:
    """Entropy in base ``base`` of each row of ``P`` (n, m) after normalising the row to sum 1 (scipy's way)."""
    p = P / P.sum(axis=1, keepdims=True)
    terms = np.where(p > 0, -p * np.log(np.where(p > 0, p, 1.0)), 0.0)
    return terms.sum(axis=1) / np.log(base)


def dci_scores(R) -> DCIScores:
    """Disentanglement and completeness of an importance matrix ``R`` (L, K); see the module docstring."""
    R = check_importance_matrix(R)
    n_codes, n_factors = R.shape
    shifted = R + EPS
    per_code = np.ones(n_codes) if n_factors == 1 else 1.0 - normalized_entropy(shifted, n_factors)
    per_factor = np.ones(n_factors) if n_codes == 1 else 1.0 - normalized_entropy(shifted.T, n_codes)
    weights_from = R if R.sum() > 0 else np.ones_like(R)
    code_weights = weights_from.sum(axis=1) / weights_from.sum()
    factor_weights = weights_from.sum(axis=0) / weights_from.sum()
    return DCIScores(
        disentanglement=float(np.sum(per_code * code_weights)),
        completeness=float(np.sum(per_factor * factor_weights)),
        per_code=per_code, per_factor=per_factor, code_weights=code_weights, factor_weights=factor_weights,
    )


def article_scores(importances) -> tuple[float, float]:
    """The article's single-label scores of importances (L,): ``(D, C) = (sum p^2, max p)``, ``p = imp / (sum + 1e-8)``."""
    imp = np.asarray(importances, dtype=np.float64)
    if imp.ndim != 1 or len(imp) == 0 or not np.isfinite(imp).all() or (imp < 0).any():
        raise ValueError(f"importances must be a nonnegative finite vector, got shape {imp.shape}")
    p = imp / (imp.sum() + ARTICLE_EPS)
    return float(np.sum(p ** 2)), float(np.max(p))
