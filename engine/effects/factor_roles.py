"""Which ground-truth factor each latent dimension moves: factor probes on codes and their moves along traversals.

Pure array functions, used by :mod:`latentnav.jobs.factor_source` for the report:

1. :func:`fit_factor_probe`: one ridge regression per factor, from standardised codes (n, L) to the factor's class
   index (n, K), fitted once on the dataset's codes.
2. :func:`predict_factors`: the probe applied to the codes of the re-encoded traversed images.
3. :func:`traversal_moves`: per input and dimension, the factor whose predicted value changes most along the S
   steps (its range, max - min over the steps, divided by the factor's ``spread``) and whether that change is
   monotonic.
4. :func:`summarize_moves` (or :func:`factor_moves`, 3 and 4 at once): per dimension the modal factor over inputs,
   its share and its monotonic share.

Definitions (README, "Report"): for input i and dimension d, ``range[i, d, k] = (max_s p - min_s p) / spread[k]``
of the predicted values ``p = pred[i, d, :, k]``. The input's **top factor** is ``argmax_k range[i, d, k]`` (the
lowest k among equal ranges), or none (-1) when that largest range is below ``min_move``. The move of factor k is
**monotonic** when every successive difference ``(p[s+1] - p[s]) / spread[k]`` is ``>= -tie_tol`` or every one is
``<= tie_tol`` (differences within ``tie_tol`` count as ties, allowed in either direction). Per dimension, the
**factor** is the most common top factor among the inputs that move one (the lowest index among equally common
ones), its **share** the fraction of *all* N inputs whose top factor it is, and its **monotonic share** the
fraction of all N inputs whose top factor it is *and* whose move of it is monotonic (so monotonic share <= share).
A dimension that moves no factor in any input has factor -1 and shares 0.
"""

from dataclasses import dataclass

import numpy as np

from latentnav.errors import ParameterError

NO_FACTOR = -1
DEFAULT_MIN_MOVE = 0.1  # the top factor's prediction must span >= 10 % of the factor's spread
DEFAULT_TIE_TOL = 0.02  # successive differences within 2 % of the spread are ties


@dataclass(frozen=True)
class FactorProbe:
    """A linear probe from codes to K factors, fitted on standardised codes.

    Attributes
    ----------
    mean, scale : ndarray (L,) float64
        Standardisation of the codes (a constant code has scale 1).
    coef : ndarray (L, K) float64
        Weights on the standardised codes.
    intercept : ndarray (K,) float64
    r2 : ndarray (K,) float64
        Coefficient of determination of each factor on the fit data (1 for a constant factor predicted exactly).
    """

    mean: np.ndarray
    scale: np.ndarray
    coef: np.ndarray
    intercept: np.ndarray
    r2: np.ndarray


def fit_factor_probe(codes: np.ndarray, factors: np.ndarray, alpha: float = 1.0) -> FactorProbe:
    """Fit one ridge regression per factor from standardised ``codes`` to the factor class indices.

    Parameters
    ----------
    codes : ndarray (n, L)
        The model's codes of n dataset images.
    factors : ndarray (n, K)
        Their ground-truth factor class indices (any numbers: the regression target).
    alpha : float
        Ridge penalty on the standardised weights (``alpha = 0`` is least squares); the intercept is not penalised.

    Returns
    -------
    FactorProbe
    """
    x = np.asarray(codes, dtype=np.float64)
    y = np.asarray(factors, dtype=np.float64)
    if x.ndim != 2 or y.ndim != 2 or len(x) != len(y) or len(x) < 2:
        raise ParameterError("codes", f"must be (n, L) with factors (n, K) for n >= 2, got {x.shape} and {y.shape}")
    if not (np.isfinite(alpha) and alpha >= 0):
        raise ParameterError("alpha", "must be a finite number >= 0", value=alpha)
    mean = x.mean(axis=0)
    scale = x.std(axis=0)
    scale = np.where(scale > 0, scale, 1.0)
    xs = (x - mean) / scale
    y_mean = y.mean(axis=0)
    gram = xs.T @ xs + alpha * np.eye(x.shape[1])
    coef = np.linalg.lstsq(gram, xs.T @ (y - y_mean), rcond=None)[0]  # (L, K); lstsq tolerates a singular gram
    resid = y - (xs @ coef + y_mean)
    total = ((y - y_mean) ** 2).sum(axis=0)
    sse = (resid ** 2).sum(axis=0)
    r2 = np.where(total > 0, 1.0 - sse / np.where(total > 0, total, 1.0), np.where(sse <= 1e-12, 1.0, 0.0))
    return FactorProbe(mean=mean, scale=scale, coef=coef, intercept=y_mean, r2=r2)


def predict_factors(probe: FactorProbe, codes: np.ndarray) -> np.ndarray:
    """Predicted factor values (..., K) of ``codes`` (..., L)."""
    x = np.asarray(codes, dtype=np.float64)
    return ((x - probe.mean) / probe.scale) @ probe.coef + probe.intercept


def _check_moves(pred: np.ndarray, spread: np.ndarray, min_move: float, tie_tol: float) -> tuple[np.ndarray, np.ndarray]:
    pred = np.asarray(pred, dtype=np.float64)
    spread = np.asarray(spread, dtype=np.float64)
    if pred.ndim != 4 or pred.shape[2] < 2:
        raise ParameterError("pred", f"must be (N, D, S, K) with S >= 2 steps, got {pred.shape}")
    if spread.shape != (pred.shape[3],) or not np.all(np.isfinite(spread)) or np.any(spread <= 0):
        raise ParameterError("spread", f"must be ({pred.shape[3]},) finite and > 0, got {spread}")
    for name, value in (("min_move", min_move), ("tie_tol", tie_tol)):
        if not (np.isfinite(value) and value >= 0):
            raise ParameterError(name, "must be a finite number >= 0", value=value)
    return pred, spread


def traversal_moves(pred: np.ndarray, spread: np.ndarray, *, min_move: float = DEFAULT_MIN_MOVE,
                    tie_tol: float = DEFAULT_TIE_TOL) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per input and dimension: the factor moved most, whether monotonically, and every factor's range.

    Parameters
    ----------
    pred : ndarray (N, D, S, K)
        Predicted factor values of the re-encoded traversed images.
    spread : ndarray (K,)
        What a range is divided by for each factor (e.g. its number of classes - 1), > 0.
    min_move : float
        Largest normalised range below which the input moves no factor (top factor -1).
    tie_tol : float
        Normalised successive differences within this are ties (see the module docstring).

    Returns
    -------
    top : ndarray (N, D) int64
        Index of the top factor, -1 for none.
    monotonic : ndarray (N, D) bool
        Whether the top factor's move is monotonic (False where there is no top factor).
    ranges : ndarray (N, D, K) float64
        Normalised range of each factor.
    """
    pred, spread = _check_moves(pred, spread, min_move, tie_tol)
    ranges = (pred.max(axis=2) - pred.min(axis=2)) / spread
    top = np.argmax(ranges, axis=-1)  # first maximum: the lowest index among equal ranges
    largest = np.take_along_axis(ranges, top[..., None], axis=-1)[..., 0]
    top = np.where(largest >= min_move, top, NO_FACTOR).astype(np.int64)
    steps = np.diff(pred, axis=2) / spread  # (N, D, S-1, K)
    mono_all = (steps >= -tie_tol).all(axis=2) | (steps <= tie_tol).all(axis=2)  # (N, D, K)
    monotonic = np.take_along_axis(mono_all, np.maximum(top, 0)[..., None], axis=-1)[..., 0] & (top >= 0)
    return top, monotonic, ranges


@dataclass(frozen=True)
class FactorMoves:
    """Per dimension: the factor it moves in most inputs.

    Attributes
    ----------
    factor : ndarray (D,) int64
        The modal top factor over the inputs that move one; -1 where no input moves any.
    share : ndarray (D,) float64
        Fraction of all N inputs whose top factor is ``factor``.
    monotonic_share : ndarray (D,) float64
        Fraction of all N inputs whose top factor is ``factor`` and whose move of it is monotonic.
    mean_range : ndarray (D,) float64
        Mean over all inputs of ``factor``'s normalised range (0 where factor is -1).
    """

    factor: np.ndarray
    share: np.ndarray
    monotonic_share: np.ndarray
    mean_range: np.ndarray


def summarize_moves(top: np.ndarray, monotonic: np.ndarray, ranges: np.ndarray) -> FactorMoves:
    """Per-dimension modal factor, share and monotonic share of :func:`traversal_moves`' output.

    ``top`` (N, D) int, ``monotonic`` (N, D) bool, ``ranges`` (N, D, K).
    """
    top, monotonic, ranges = np.asarray(top), np.asarray(monotonic, dtype=bool), np.asarray(ranges, dtype=np.float64)
    n, d = top.shape
    k = ranges.shape[-1]
    factor = np.full(d, NO_FACTOR, np.int64)
    share, mono, mean_range = np.zeros(d), np.zeros(d), np.zeros(d)
    for j in range(d):
        moved = top[:, j][top[:, j] >= 0]
        if n == 0 or len(moved) == 0:
            continue
        f = int(np.argmax(np.bincount(moved, minlength=k)))  # first maximum: the lowest index among ties
        hit = top[:, j] == f
        factor[j], share[j] = f, hit.mean()
        mono[j] = (hit & monotonic[:, j]).mean()
        mean_range[j] = ranges[:, j, f].mean()
    return FactorMoves(factor=factor, share=share, monotonic_share=mono, mean_range=mean_range)


def factor_moves(pred: np.ndarray, spread: np.ndarray, *, min_move: float = DEFAULT_MIN_MOVE,
                 tie_tol: float = DEFAULT_TIE_TOL) -> FactorMoves:
    """Per-dimension factor, share and monotonic share of predictions ``pred`` (N, D, S, K) with ``spread`` (K,).

    :func:`traversal_moves` then :func:`summarize_moves`; see the module docstring for the definitions.
    """
    return summarize_moves(*traversal_moves(pred, spread, min_move=min_move, tie_tol=tie_tol))
