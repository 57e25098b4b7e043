"""MPI3D from the official npz files (``mpi3d_toy.npz``, ``mpi3d_realistic.npz``, ``mpi3d_real.npz``, and
MPI3D-complex's ``real3d_complicated_shapes_ordered.npz``).

An official file holds one key, ``images`` (N, 64, 64, 3) uint8, a full factor grid in C order: object_color,
object_shape, object_size, camera_height, background_color, horizontal_axis, vertical_axis, of sizes
(6, 6, 2, 3, 3, 40, 40) for toy, realistic and real (N = 1,036,800) and (4, 4, 2, 3, 3, 40, 40) for complex
(N = 460,800: four real-world objects in four colours). Which grid a file holds follows from N. The factors of image
i are ``np.unravel_index(i, sizes)``. A file that is not a full grid (a subset) must carry its own ``factors``
(N, 7) int array of grid class indices.

Memory: an uncompressed member (``np.savez``) stays in the file (:class:`~latentnav.data.npyrows.NpyRows`) and
``read`` reads only the requested images (12 KB each); opening then costs the factors (1036800 x 7 int64 = 58 MB).
A compressed member (``np.savez_compressed``) cannot be read by rows and is loaded whole on opening:
1036800 x 64 x 64 x 3 bytes = 12.7 GB for the full grid.
"""

import math

import numpy as np

from latentnav.data.npzfile import check_array, file_error, npz_arrays
from latentnav.data.source import ArraySource, factor_classes

FACTOR_NAMES = ("object_color", "object_shape", "object_size", "camera_height", "background_color",
                "horizontal_axis", "vertical_axis")
FACTOR_SIZES = (6, 6, 2, 3, 3, 40, 40)
FULL_GRID = math.prod(FACTOR_SIZES)  # 1,036,800
COMPLEX_FACTOR_SIZES = (4, 4, 2, 3, 3, 40, 40)  # MPI3D-complex
COMPLEX_GRID = math.prod(COMPLEX_FACTOR_SIZES)  # 460,800
HINT = ("pass an official MPI3D file (mpi3d_toy.npz, mpi3d_realistic.npz, mpi3d_real.npz, "
        "real3d_complicated_shapes_ordered.npz: key images), or a subset npz with images and factors (N, 7)")


def full_grid_sizes(n: int) -> tuple[int, ...] | None:
    """The factor sizes of the official grid of ``n`` images (toy/realistic/real or complex), else None."""
    return {FULL_GRID: FACTOR_SIZES, COMPLEX_GRID: COMPLEX_FACTOR_SIZES}.get(n)


def grid_factors(sizes: tuple[int, ...] = FACTOR_SIZES) -> np.ndarray:
    """Factor classes (prod(sizes), K) int64 of the full grid in C order: row i is ``np.unravel_index(i, sizes)``."""
    return np.stack(np.unravel_index(np.arange(math.prod(sizes)), sizes), axis=1).astype(np.int64)


def open_mpi3d(path) -> ArraySource:
    """Open an MPI3D npz at ``path``.

    Parameters
    ----------
    path : str or Path

    Returns
    -------
    ArraySource
        ``name="mpi3d"``, ``image_shape=(3, 64, 64)``, ``read`` gives uint8 / 255. ``factors`` (N, 7) int64 with the
        seven MPI3D ``factor_names``: the C-order grid when N is a full grid (1,036,800: ``factor_sizes``
        6, 6, 2, 3, 3, 40, 40; 460,800, complex: 4, 4, 2, 3, 3, 40, 40), else the file's ``factors``, as class
        indices among each column's distinct values (``factor_sizes`` their numbers).

    Raises
    ------
    LatentnavError
        The file is missing, not an npz, truncated, lacks ``images``, is not the full grid and lacks ``factors``,
        or a key has the wrong shape or dtype or factor values outside the grid, or holds pickled objects.
    """
    path = str(path)
    arrays = npz_arrays(path, HINT, required=("images",), optional=("factors",), lazy=("images",))
    images = arrays["images"]
    check_array(images, path, "images", HINT, shape=("N", 64, 64, 3), dtypes=("uint8",), dtype_text="uint8")
    n = len(images)
    if "factors" not in arrays:
        sizes = full_grid_sizes(n)
        if sizes is None:
            raise file_error(path, f"has {n} images, not a full MPI3D grid ({FULL_GRID:,}, or {COMPLEX_GRID:,} for "
                             "complex), and no key 'factors'; expected factors (N, 7) int, the grid class indices "
                             "of each image", HINT)
        factors = grid_factors(sizes)
    else:
        given = arrays["factors"]
        check_array(given, path, "factors", HINT, shape=(n, 7), dtypes=("i", "u"), dtype_text="an integer dtype")
        outside = (given < 0) | (given >= np.asarray(FACTOR_SIZES))
        if outside.any():
            row = int(np.flatnonzero(outside.any(axis=1))[0])
            raise file_error(path, f"key 'factors' row {row} is {given[row].tolist()}, outside the MPI3D grid of "
                             f"sizes {list(FACTOR_SIZES)}; expected class indices in [0, size)", HINT)
        factors, sizes = factor_classes(np.asarray(given))
    return ArraySource(images=images, layout="NHWC", divide_by=255.0, name="mpi3d", path=path, factors=factors,
                       factor_names=FACTOR_NAMES, factor_sizes=sizes)
