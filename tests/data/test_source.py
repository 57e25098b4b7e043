"""ImageSource protocol, ArraySource reading, factor classes and index_of_factors."""

import numpy as np
import pytest

from latentnav.data.source import (ArraySource, ImageSource, dense_classes, factor_classes, factor_index,
                                   index_of_factors)
from latentnav.errors import LatentnavError


def _images(n, layout):
    """uint8 images whose every pixel of image i is i (so a wrong order shows), in ``layout``."""
    shape = {"NHW": (n, 4, 5), "NHWC": (n, 4, 5, 3), "NCHW": (n, 3, 4, 5)}[layout]
    return np.broadcast_to(np.arange(n, dtype=np.uint8).reshape((n,) + (1,) * (len(shape) - 1)), shape).copy()


@pytest.mark.parametrize("layout, chw", [("NHW", (1, 4, 5)), ("NHWC", (3, 4, 5)), ("NCHW", (3, 4, 5))])
def test_read_returns_the_images_at_the_indices_in_order(layout, chw):
    src = ArraySource(images=_images(10, layout), layout=layout, divide_by=255.0)
    assert isinstance(src, ImageSource)
    assert src.image_shape == chw and len(src) == 10
    idx = [7, 2, 7, 0, 9]
    out = src.read(idx)
    assert out.shape == (5, *chw) and out.dtype == np.float32 and out.flags.c_contiguous
    np.testing.assert_array_equal(out, np.broadcast_to(np.float32(idx).reshape(5, 1, 1, 1) / np.float32(255),
                                                      out.shape))


def test_nhwc_is_transposed_not_reshaped():
    images = np.arange(2 * 4 * 5 * 3, dtype=np.float32).reshape(2, 4, 5, 3) / 120
    out = ArraySource(images=images, layout="NHWC").read([1])
    np.testing.assert_array_equal(out[0], images[1].transpose(2, 0, 1))


def test_divide_by_one_keeps_binary_values():
    images = np.zeros((3, 2, 2), np.uint8)
    images[1, 0, 1] = 1
    out = ArraySource(images=images, layout="NHW", divide_by=1.0).read([1])
    assert out[0, 0, 0, 1] == 1.0 and out.sum() == 1.0


def test_empty_and_out_of_range_reads():
    src = ArraySource(images=_images(4, "NHW"), layout="NHW")
    assert src.read([]).shape == (0, 1, 4, 5)
    with pytest.raises(IndexError):
        src.read([4])
    with pytest.raises(IndexError):
        src.read([-1])
    with pytest.raises(ValueError):
        ArraySource(images=_images(4, "NHW"), layout="NHWC")


def test_dense_classes_reencodes_gaps_and_keeps_dense_columns():
    classes, size = dense_classes(np.array([10, 30, 10, 20]))
    assert size == 3 and classes.tolist() == [0, 2, 0, 1]
    dense = np.array([2, 0, 1, 1])
    classes, size = dense_classes(dense)
    assert size == 3 and classes.tolist() == [2, 0, 1, 1]
    classes, sizes = factor_classes(np.array([[0.5, 0], [0.25, 0], [0.5, 0]]))
    assert sizes == (2, 1) and classes.tolist() == [[1, 0], [0, 0], [1, 0]]


def test_full_grid_uses_ravel_and_round_trips():
    sizes = (2, 3, 4)
    grid = np.stack(np.unravel_index(np.arange(24), sizes), axis=1)
    index = factor_index(grid, sizes)
    assert index.grid and index.keys is None
    rows = np.array([23, 0, 5, 5, 17])
    np.testing.assert_array_equal(index(grid[rows]), rows)
    np.testing.assert_array_equal(index_of_factors(grid, sizes, grid[rows]), rows)


def test_subset_uses_lookup_and_round_trips():
    sizes = (3, 4, 5)
    grid = np.stack(np.unravel_index(np.arange(60), sizes), axis=1)
    rng = np.random.default_rng(0)
    keep = rng.permutation(60)[:40]
    subset = grid[keep]
    index = factor_index(subset, sizes)
    assert not index.grid
    rows = rng.integers(0, 40, size=25)
    np.testing.assert_array_equal(index(subset[rows]), rows)
    missing = grid[np.setdiff1d(np.arange(60), keep)[0]]
    with pytest.raises(LatentnavError, match="not in the file") as err:
        index(np.vstack([subset[:2], missing]))
    assert str(missing.tolist()) in str(err.value) and "\n" not in str(err.value)


def test_repeated_combination_gives_the_first_file_index():
    factors = np.array([[0, 1], [1, 0], [0, 1]])
    assert index_of_factors(factors, (2, 2), [[0, 1], [1, 0]]).tolist() == [0, 1]


def test_grid_in_another_order_is_not_taken_for_the_grid():
    sizes = (2, 3)
    grid = np.stack(np.unravel_index(np.arange(6), sizes), axis=1)[::-1]
    index = factor_index(grid, sizes)
    assert not index.grid
    assert index(grid[[0, 5]]).tolist() == [0, 5]


def test_bad_wanted_rows_raise():
    grid = np.stack(np.unravel_index(np.arange(6), (2, 3)), axis=1)
    index = factor_index(grid, (2, 3))
    with pytest.raises(LatentnavError, match="not in the file"):
        index([[0, 3]])  # class 3 of a 3-valued factor
    with pytest.raises(LatentnavError, match=r"\(n, 2\)"):
        index([[0, 1, 2]])
    with pytest.raises(LatentnavError, match="not in the file"):
        index_of_factors(grid[:4], (2, 3), [[1, 2]])
    with pytest.raises(LatentnavError, match="classes in"):
        factor_index(grid, (2, 2))
    assert index(np.zeros((0, 2), np.int64)).shape == (0,)


def test_huge_grid_falls_back_to_a_dict():
    sizes = (2**40, 2**40)
    factors = np.array([[5, 7], [2**39, 1]])
    index = factor_index(factors, sizes)
    assert index.rows is not None
    assert index([[2**39, 1], [5, 7]]).tolist() == [1, 0]
    with pytest.raises(LatentnavError):
        index([[5, 8]])
