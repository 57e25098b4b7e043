"""The factor grid of an image file, for the sampling metrics (FactorVAE, BetaVAE): :class:`FileGrid`.

A file is a full grid when it holds every combination of its factor classes exactly once (dSprites, 3dshapes and
MPI3D as published). The grid spans the whole file, whatever split or sample a dataset selects: the metrics draw
their own observations. Looking rows up goes through :class:`~latentnav.data.source.FactorIndex`, built on first use.
"""

import math

import numpy as np

from latentnav.data.source import factor_index


class FileGrid:
    """``factor_sizes``, ``sample_factors(n, rng)`` and ``observations(factors)`` over an image source's file.

    Parameters
    ----------
    source : ImageSource
        With ``factors`` (N, K) and ``factor_sizes`` (K,), N = prod(factor_sizes) distinct combinations.
    """

    def __init__(self, source):
        self.source = source
        self.factor_sizes = tuple(int(s) for s in source.factor_sizes)
        self._index = None

    def sample_factors(self, n: int, rng: np.random.Generator) -> np.ndarray:
        """(n, K) int64 factor classes, each uniform over its values."""
        return rng.integers(0, self.factor_sizes, size=(n, len(self.factor_sizes)))

    def observations(self, factors: np.ndarray) -> np.ndarray:
        """Flattened images (n, C*H*W) float32 with exactly the factor classes ``factors`` (n, K)."""
        if self._index is None:
            self._index = factor_index(self.source.factors, self.factor_sizes)
        rows = self._index(np.asarray(factors))
        return self.source.read(rows).reshape(len(rows), -1)


def file_grid(source) -> FileGrid | None:
    """A :class:`FileGrid` when ``source``'s factors are a full grid (each combination once), else None."""
    factors, sizes = source.factors, source.factor_sizes
    if factors is None or not sizes or len(factors) != math.prod(sizes) or math.prod(sizes) >= 2**62:
        return None
    keys = np.ravel_multi_index(np.asarray(factors, np.int64).T, sizes)
    if len(np.unique(keys)) != len(keys):
        return None
    return FileGrid(source)
