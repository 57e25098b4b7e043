"""Traversal values: the (L, S) grid of values that each latent dimension is set to.

Modes (``GridConfig.mode``):

- ``fixed``: ``linspace(low, high, steps)`` for every dimension (the article: -3 .. 3, 10 steps).
- ``sigma``: per dimension ``linspace(mean - k*std, mean + k*std, steps)`` over the dataset's latents.
- ``minmax``: per dimension ``linspace(min, max, steps)``.
- ``quantile``: per dimension ``linspace(quantile(q_low), quantile(q_high), steps)``.

Values are *set* (``z[d] := v``, the article's semantics). With ``relative=True`` they are added
instead (``z[d] := z[d] + v``); then only ``fixed`` makes sense (the values are offsets).
"""

from dataclasses import asdict, dataclass

import numpy as np

from models.errors import LatentnavError

RANGE_MODES = ("fixed", "sigma", "minmax", "quantile")


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
            raise LatentnavError(f"--range-mode {self.mode!r} is unknown; choose one of {', '.join(RANGE_MODES)}")
        if self.steps < 2:
            raise LatentnavError(f"--steps must be >= 2 (a traversal needs two ends), got {self.steps}")
        if not np.isfinite([self.low, self.high]).all() or self.low >= self.high:
            raise LatentnavError(f"--low must be below --high, got --low {self.low} --high {self.high}")
        if not self.sigma_k > 0:
            raise LatentnavError(f"--sigma-k must be > 0, got {self.sigma_k}")
        if not 0.0 <= self.q_low < self.q_high <= 1.0:
            raise LatentnavError(f"quantiles must satisfy 0 <= q_low < q_high <= 1, got {self.q_low}, {self.q_high}")
        if self.relative and self.mode != "fixed":
            raise LatentnavError("--relative adds offsets to z[d]; use it with --range-mode fixed")

    def to_dict(self) -> dict:
        return asdict(self)


def traversal_values(config: GridConfig, latents: np.ndarray | None = None) -> np.ndarray:
    """The grid of traversal values.

    Parameters
    ----------
    config : GridConfig
    latents : ndarray of shape (N, L)
        Encoder outputs over the dataset; needed for every mode but ``fixed`` (which uses only L = its width).

    Returns
    -------
    values : ndarray of shape (L, S), float32
        ``values[d, s]`` is what ``z[d]`` is set to (or offset by) at step ``s``.
    """
    if latents is None or latents.ndim != 2 or len(latents) == 0:
        raise ValueError("latents of shape (N, L) with N >= 1 are needed to size the grid")
    latents = np.asarray(latents, dtype=np.float64)
    steps = np.linspace(0.0, 1.0, config.steps)
    if config.mode == "fixed":
        row = np.linspace(config.low, config.high, config.steps)
        return np.tile(row, (latents.shape[1], 1)).astype(np.float32)
    if config.mode == "sigma":
        mean, std = latents.mean(axis=0), latents.std(axis=0)
        lo, hi = mean - config.sigma_k * std, mean + config.sigma_k * std
    elif config.mode == "minmax":
        lo, hi = latents.min(axis=0), latents.max(axis=0)
    else:
        lo, hi = np.quantile(latents, [config.q_low, config.q_high], axis=0)
    return (lo[:, None] + (hi - lo)[:, None] * steps[None, :]).astype(np.float32)
