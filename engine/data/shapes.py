"""The procedural ``shapes`` dataset: anti-aliased 28x28 shapes with known generative factors.

Every combination of five factors is rendered once, in this order (C order of the factor indices):

=========  =====  ==========================================================
factor     size   values
=========  =====  ==========================================================
shape      3      square, ellipse (half-axes s and s/2), equilateral triangle
scale      4      s = 3.5, 4.5, 5.5, 6.5 px (half side / half major axis / circumradius)
rotation   6      0, 15, ..., 75 degrees, counter-clockwise on screen
x          6      centre column 9.5 ... 18.5 px (pixel centres are at i + 0.5)
y          6      centre row 9.5 ... 18.5 px
=========  =====  ==========================================================

That is 3 * 4 * 6 * 6 * 6 = 2592 images. Each pixel is the covered fraction of a 4x4 grid of
sub-samples (anti-aliasing), so values lie in [0, 1]. The class label is the shape.
"""

from functools import lru_cache

import numpy as np

SHAPES = ("square", "ellipse", "triangle")
SCALES = np.array([3.5, 4.5, 5.5, 6.5])
ROTATIONS_DEG = np.arange(0, 90, 15, dtype=np.float64)
POSITIONS = np.linspace(9.5, 18.5, 6)
FACTOR_NAMES = ("shape", "scale", "rotation", "x", "y")
FACTOR_SIZES = (len(SHAPES), len(SCALES), len(ROTATIONS_DEG), len(POSITIONS), len(POSITIONS))
SIZE = 28
SUPERSAMPLE = 4


def shape_mask(shape: str, u: np.ndarray, v: np.ndarray, s: float) -> np.ndarray:
    """Boolean mask of points ``(u, v)`` (any shape) inside ``shape`` of scale ``s`` centred at 0.

    ``v`` points down the screen; the triangle's apex points up (towards negative ``v``).
    """
    if shape == "square":
        return np.maximum(np.abs(u), np.abs(v)) <= s
    if shape == "ellipse":
        return (u / s) ** 2 + (v / (0.5 * s)) ** 2 <= 1.0
    if shape == "triangle":
        inside = np.ones(np.broadcast_shapes(u.shape, v.shape), dtype=bool)
        for angle in np.deg2rad([90.0, 210.0, 330.0]):  # outward normals of the three edges
            inside &= u * np.cos(angle) + v * np.sin(angle) <= 0.5 * s  # inradius = circumradius / 2
        return inside
    raise ValueError(f"unknown shape {shape!r}")


@lru_cache(maxsize=1)
def render_shapes() -> tuple[np.ndarray, np.ndarray, tuple[str, ...], tuple[int, ...]]:
    """Render every factor combination.

    Returns
    -------
    images : ndarray of shape (2592, 28, 28), float32 in [0, 1]
    factors : ndarray of shape (2592, 5), int64
        Index of each factor's value, columns in ``FACTOR_NAMES`` order.
    factor_names : tuple of str
    factor_sizes : tuple of int
    """
    sub = (np.arange(SIZE * SUPERSAMPLE) + 0.5) / SUPERSAMPLE  # sub-sample coordinates (112,)
    dx = sub[None, None, :] - POSITIONS[:, None, None]  # (x, 1, 112): column offset from centre
    dy = sub[None, :, None] - POSITIONS[:, None, None]  # (y, 112, 1): row offset from centre
    images = np.empty(FACTOR_SIZES + (SIZE, SIZE), dtype=np.float32)
    for i_shape, shape in enumerate(SHAPES):
        for i_scale, s in enumerate(SCALES):
            for i_rot, theta in enumerate(np.deg2rad(ROTATIONS_DEG)):
                # rotate the sampling grid by -theta (screen y points down, so this turns the shape ccw)
                ddx, ddy = dx[None, :, :, :], dy[:, None, :, :]  # (1, x, 1, 112), (y, 1, 112, 1)
                u = np.cos(theta) * ddx - np.sin(theta) * ddy
                v = np.sin(theta) * ddx + np.cos(theta) * ddy
                mask = shape_mask(shape, u, v, s)  # (y, x, 112, 112)
                cover = mask.reshape(len(POSITIONS), len(POSITIONS), SIZE, SUPERSAMPLE, SIZE, SUPERSAMPLE).mean(axis=(3, 5))
                images[i_shape, i_scale, i_rot] = cover.transpose(1, 0, 2, 3)  # to (x, y, H, W)
    factors = np.stack(np.meshgrid(*[np.arange(k) for k in FACTOR_SIZES], indexing="ij"), axis=-1).reshape(-1, 5)
    images = images.reshape(-1, SIZE, SIZE)
    images.flags.writeable = False
    factors.flags.writeable = False
    return images, factors, FACTOR_NAMES, FACTOR_SIZES


class ShapesGrid:
    """The full factor grid of ``shapes`` for the sampling metrics (FactorVAE, BetaVAE): every combination exists.

    Attributes
    ----------
    factor_sizes : tuple of int
        (3, 4, 6, 6, 6).
    """

    factor_sizes = FACTOR_SIZES

    def sample_factors(self, n: int, rng: np.random.Generator) -> np.ndarray:
        """(n, 5) int64 factor values, each uniform over its values."""
        return rng.integers(0, self.factor_sizes, size=(n, len(self.factor_sizes)))

    def observations(self, factors: np.ndarray) -> np.ndarray:
        """Flattened images (n, 784) float32 with exactly the factor values ``factors`` (n, 5)."""
        images = render_shapes()[0]
        index = np.ravel_multi_index(np.asarray(factors).T, self.factor_sizes)
        return images[index].reshape(len(index), -1)
