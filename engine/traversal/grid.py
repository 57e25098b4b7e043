"""Traversal values: the (L, S) grid of values that each latent dimension is set to, and the range-mode registry.

Range modes (:data:`RANGE_MODES`; adding one is one function and one entry here):

- ``fixed``: ``linspace(low, high, steps)`` for every dimension (the article: -3 .. 3, 10 steps).
- ``sigma``: per dimension ``linspace(mean - k*std, mean + k*std, steps)`` over the dataset's latents.
- ``minmax``: per dimension ``linspace(min, max, steps)``.
- ``quantile``: per dimension ``linspace(quantile(q_low), quantile(q_high), steps)``.

Values are *set* (``z[d] := v``, the article's semantics). With ``relative=True`` they are added
instead (``z[d] := z[d] + v``); then only ``fixed`` makes sense (the values are offsets).
"""

from collections.abc import Callable
from dataclasses import asdict, dataclass

import numpy as np

from latentnav.errors import ParameterError


def _fixed(config: "GridConfig", latents: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    width = latents.shape[1]
    return np.full(width, config.low), np.full(width, config.high)


def _sigma(config: "GridConfig", latents: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    mean, std = latents.mean(axis=0), latents.std(axis=0)
    return mean - config.sigma_k * std, mean + config.sigma_k * std


def _minmax(config: "GridConfig", latents: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    return latents.min(axis=0), latents.max(axis=0)


def _quantile(config: "GridConfig", latents: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    low, high = np.quantile(latents, [config.q_low, config.q_high], axis=0)
    return low, high


# name -> (config, latents (N, L) float64) -> (low (L,), high (L,)); the first is the default
RANGE_MODES: dict[str, Callable[["GridConfig", np.ndarray], tuple[np.ndarray, np.ndarray]]] = {
    "fixed": _fixed, "sigma": _sigma, "minmax": _minmax, "quantile": _quantile,
}
MAX_STEPS = 10_000


@dataclass(frozen=True)
class GridConfig:
    """How the traversal values are chosen; validated on construction."""

    mode: str = "fixed"
    low: float = -3.0
    high: float = 3.0
    steps: int = 10
    sigma_k: float = 3.0
    q_low: float = 0.05
    q_high: float = 0.95
    relative: bool = False

    def __post_init__(self):
        if self.mode not in RANGE_MODES:
            raise ParameterError("range_mode", f"is unknown; choose one of {', '.join(RANGE_MODES)}", value=self.mode)
        if not 2 <= self.steps <= MAX_STEPS:
            raise ParameterError("steps", f"must be >= 2 (a traversal needs two ends) and <= {MAX_STEPS:,}, "
                                          f"got {self.steps}")
        if not np.isfinite([self.low, self.high]).all() or self.low >= self.high:
            raise ParameterError("low", f"must be below {{high}}, got {{low}} {self.low} {{high}} {self.high}")
        if not (np.isfinite(self.sigma_k) and self.sigma_k > 0):
            raise ParameterError("sigma_k", f"must be > 0, got {self.sigma_k}")
        if not 0.0 <= self.q_low < self.q_high <= 1.0:
            raise ParameterError("quantiles", f"must satisfy 0 <= low < high <= 1, got {self.q_low}, {self.q_high}")
        if self.relative and self.mode != "fixed":
            raise ParameterError("relative", "adds offsets to z[d]; use it with range_mode 'fixed'")

    def to_dict(self) -> dict:
        return asdict(self)


def traversal_values(config: GridConfig, latents: np.ndarray) -> np.ndarray:
    """The grid of traversal values.

    Parameters
    ----------
    config : GridConfig
    latents : ndarray of shape (N, L)
        Encoder outputs over the dataset (``fixed`` uses only their width L).

    Returns
    -------
    values : ndarray of shape (L, S), float32
        ``values[d, s]`` is what ``z[d]`` is set to (or offset by) at step ``s``.

    Examples
    --------
    >>> traversal_values(GridConfig(steps=3), np.zeros((5, 2)))
    array([[-3.,  0.,  3.],
           [-3.,  0.,  3.]], dtype=float32)
    """
    if latents is None or latents.ndim != 2 or len(latents) == 0:
        raise ValueError("latents of shape (N, L) with N >= 1 are needed to size the grid")
    if config.mode == "fixed":  # exactly the article's np.linspace values for every dimension
        row = np.linspace(config.low, config.high, config.steps)
        return np.tile(row, (latents.shape[1], 1)).astype(np.float32)
    low, high = RANGE_MODES[config.mode](config, np.asarray(latents, dtype=np.float64))
    steps = np.linspace(0.0, 1.0, config.steps)
    return (low[:, None] + (high - low)[:, None] * steps[None, :]).astype(np.float32)
