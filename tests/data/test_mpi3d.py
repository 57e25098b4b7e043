"""open_mpi3d on small files in the official MPI3D npz format, and the full-grid factor derivation."""

import math

import numpy as np
import pytest

from latentnav.data import mpi3d
from latentnav.data.mpi3d import FACTOR_NAMES, FACTOR_SIZES, FULL_GRID, grid_factors, open_mpi3d
from latentnav.data.npyrows import NpyRows
from latentnav.data.source import ImageSource, factor_index, index_of_factors
from latentnav.errors import LatentnavError

N = 300


def _images(n):
    """(n, 64, 64, 3) uint8 with i % 256 and i // 256 in pixel (0, 0)."""
    images = np.full((n, 64, 64, 3), 9, np.uint8)
    images[:, 0, 0, 0], images[:, 0, 0, 1] = np.arange(n) % 256, np.arange(n) // 256
    return images


def _subset_factors():
    """N distinct rows of the official grid, in a shuffled order."""
    rows = np.random.default_rng(1).choice(FULL_GRID, size=N, replace=False)
    return np.stack(np.unravel_index(rows, FACTOR_SIZES), axis=1).astype(np.int64)


def _write(path, compressed=False, **arrays):
    (np.savez_compressed if compressed else np.savez)(path, **arrays)
    return path


def _decode(out):
    pixel = np.rint(out[:, :2, 0, 0] * 255).astype(np.int64)
    return pixel[:, 0] + 256 * pixel[:, 1]


@pytest.mark.parametrize("compressed", [False, True])
def test_subset_file_with_factors(tmp_path, compressed):
    given = _subset_factors()
    src = open_mpi3d(_write(tmp_path / "sub.npz", compressed, images=_images(N), factors=given))
    assert isinstance(src, ImageSource) and isinstance(src.images, NpyRows) != compressed
    assert (src.name, src.image_shape, len(src), src.factor_names) == ("mpi3d", (3, 64, 64), N, FACTOR_NAMES)
    idx = [299, 4, 4, 256, 0]
    out = src.read(idx)
    assert out.dtype == np.float32 and _decode(out).tolist() == idx
    np.testing.assert_array_equal(out, _images(N)[idx].transpose(0, 3, 1, 2).astype(np.float32) / np.float32(255))
    # classes are the index of each value among the column's distinct values
    for k in range(7):
        assert src.factor_sizes[k] == len(np.unique(given[:, k]))
        np.testing.assert_array_equal(np.unique(given[:, k])[src.factors[:, k]], given[:, k])
    rows = np.array([10, 0, 299])
    np.testing.assert_array_equal(index_of_factors(src.factors, src.factor_sizes, src.factors[rows]), rows)


def test_full_grid_factors_are_the_c_order_grid():
    grid = grid_factors()
    assert grid.shape == (FULL_GRID, 7) == (1_036_800, 7) and grid.dtype == np.int64
    assert grid[1].tolist() == [0, 0, 0, 0, 0, 0, 1] and grid[40].tolist() == [0, 0, 0, 0, 0, 1, 0]
    assert grid[-1].tolist() == [s - 1 for s in FACTOR_SIZES]
    index = factor_index(grid, FACTOR_SIZES)
    assert index.grid
    rows = np.random.default_rng(2).integers(0, FULL_GRID, size=1000)
    np.testing.assert_array_equal(index(grid[rows]), rows)
    np.testing.assert_array_equal(index(grid[rows]), np.ravel_multi_index(grid[rows].T, FACTOR_SIZES))


def test_a_full_grid_file_without_factors_gets_the_grid(tmp_path, monkeypatch):
    sizes = (2, 1, 2, 1, 3, 2, 2)  # a miniature of the official 7-factor grid
    monkeypatch.setattr(mpi3d, "FACTOR_SIZES", sizes)
    monkeypatch.setattr(mpi3d, "FULL_GRID", math.prod(sizes))
    n = math.prod(sizes)
    src = open_mpi3d(_write(tmp_path / "grid.npz", images=_images(n)))
    assert src.factor_sizes == sizes
    np.testing.assert_array_equal(src.factors, np.stack(np.unravel_index(np.arange(n), sizes), axis=1))
    assert factor_index(src.factors, sizes).grid
    assert _decode(src.read(index_of_factors(src.factors, sizes, [[1, 0, 1, 0, 2, 1, 0]]))).tolist() == [46]


def _error(path, *fragments):
    with pytest.raises(LatentnavError) as err:
        open_mpi3d(path)
    message = str(err.value)
    assert "\n" not in message and f"`{path}`" in message and "mpi3d_toy.npz" in message, message
    for fragment in fragments:
        assert fragment in message, (fragment, message)


def test_not_the_full_grid_without_factors(tmp_path):
    _error(_write(tmp_path / "x.npz", images=_images(N)), f"{N} images", "no key 'factors'", "(N, 7)")


def test_missing_images(tmp_path):
    _error(_write(tmp_path / "x.npz", factors=_subset_factors()), "no key 'images'", "its keys: factors")


def test_wrong_dtype_and_shape(tmp_path):
    _error(_write(tmp_path / "a.npz", images=_images(N).astype(np.float32), factors=_subset_factors()),
           "'images'", "dtype float32", "expected uint8")
    _error(_write(tmp_path / "b.npz", images=_images(N).transpose(0, 3, 1, 2), factors=_subset_factors()),
           "'images'", f"({N}, 3, 64, 64)", "(N, 64, 64, 3)")
    _error(_write(tmp_path / "c.npz", images=_images(N), factors=_subset_factors()[:, :6]), "'factors'",
           f"expected ({N}, 7)")
    _error(_write(tmp_path / "d.npz", images=_images(N), factors=_subset_factors().astype(np.float64)),
           "'factors'", "dtype float64", "integer")


def test_factors_outside_the_grid(tmp_path):
    given = _subset_factors()
    given[7, 2] = 2  # object_size has 2 values
    _error(_write(tmp_path / "x.npz", images=_images(N), factors=given), "'factors'", "row 7", "outside")


def test_pickled_factors(tmp_path):
    factors = np.empty((N, 7), dtype=object)
    factors[:] = 0
    _error(_write(tmp_path / "x.npz", images=_images(N), factors=factors), "'factors'", "pickled")


def test_truncated_and_not_an_npz(tmp_path):
    data = _write(tmp_path / "ok.npz", images=_images(N), factors=_subset_factors()).read_bytes()
    half = tmp_path / "half.npz"
    half.write_bytes(data[: len(data) // 2])
    _error(half, "truncated")
    text = tmp_path / "text.npz"
    text.write_text("hello")
    _error(text, "not a readable npz")


def test_complex_grid_follows_the_official_index_formula():
    """MPI3D-complex (460,800 images): index = color*115200 + shape*28800 + size*14400 + height*4800 + bg*1600
    + h*40 + v (rr-learning/disentanglement_dataset's README), for every 7th image."""
    assert mpi3d.full_grid_sizes(460_800) == mpi3d.COMPLEX_FACTOR_SIZES == (4, 4, 2, 3, 3, 40, 40)
    assert mpi3d.full_grid_sizes(FULL_GRID) == FACTOR_SIZES and mpi3d.full_grid_sizes(N) is None
    grid = grid_factors(mpi3d.COMPLEX_FACTOR_SIZES)[::7]
    weights = np.array([115200, 28800, 14400, 4800, 1600, 40, 1])
    np.testing.assert_array_equal(grid @ weights, np.arange(0, 460_800, 7))


def test_a_complex_grid_file_without_factors_gets_the_complex_grid(tmp_path, monkeypatch):
    sizes = (2, 2, 1, 1, 3, 2, 2)  # a miniature of the complex grid, told apart from the toy one by its size
    monkeypatch.setattr(mpi3d, "COMPLEX_FACTOR_SIZES", sizes)
    monkeypatch.setattr(mpi3d, "COMPLEX_GRID", math.prod(sizes))
    src = open_mpi3d(_write(tmp_path / "real3d_complicated_shapes_ordered.npz", images=_images(math.prod(sizes))))
    assert src.factor_sizes == sizes and src.factor_names == FACTOR_NAMES
    np.testing.assert_array_equal(src.factors, grid_factors(sizes))


def test_the_complex_file_is_found_in_data_dir(tmp_path):
    from latentnav.data.files import resolve_file

    path = _write(tmp_path / "real3d_complicated_shapes_ordered.npz", images=_images(4))
    assert resolve_file("mpi3d", tmp_path) == path
