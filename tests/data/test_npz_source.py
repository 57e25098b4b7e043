"""open_npz on generic npz files: three layouts, three value conventions, factors, labels, errors."""

import numpy as np
import pytest

from latentnav.data.npz import image_layout, open_npz
from latentnav.data.npyrows import NpyRows
from latentnav.data.source import ImageSource, index_of_factors
from latentnav.errors import LatentnavError

N, H, W = 20, 6, 5
LAYOUTS = {"NHW": (N, H, W), "NHWC1": (N, H, W, 1), "NHWC3": (N, H, W, 3), "NCHW1": (N, 1, H, W),
           "NCHW3": (N, 3, H, W)}


def _stored(layout, convention):
    """Images whose pixels all hold index i: i (uint8 0-255), bit 0 of i (binary) or i / 32 (float)."""
    i = np.arange(N).reshape((N,) + (1,) * (len(LAYOUTS[layout]) - 1))
    value = {"uint8": i, "binary": i % 2, "float": i / 32}[convention]
    dtype = {"uint8": np.uint8, "binary": np.uint8, "float": np.float32}[convention]
    images = np.broadcast_to(value, LAYOUTS[layout]).astype(dtype)
    if convention == "uint8":
        images[0, 0, 0] = 255  # the maximum shows the 0-255 convention even though the rest is < N
    return images


def _as_nchw(images, layout):
    if layout == "NHW":
        return images[:, None]
    return images.transpose(0, 3, 1, 2) if layout.startswith("NHWC") else images


@pytest.mark.parametrize("convention, divide_by", [("uint8", 255), ("binary", 1), ("float", 1)])
@pytest.mark.parametrize("layout", list(LAYOUTS))
def test_layouts_and_value_conventions(tmp_path, layout, convention, divide_by):
    stored = _stored(layout, convention)
    path = tmp_path / "x.npz"
    np.savez(path, images=stored)
    src = open_npz(path)
    assert isinstance(src, ImageSource) and isinstance(src.images, NpyRows)
    channels = 3 if layout.endswith("3") else 1
    assert (src.name, src.path, src.image_shape, len(src)) == ("npz", str(path), (channels, H, W), N)
    assert src.factors is None and src.factor_names is None and src.factor_sizes is None and src.labels is None
    idx = [13, 2, 2, 19, 1]
    out = src.read(idx)
    assert out.shape == (5, channels, H, W) and out.dtype == np.float32
    expected = _as_nchw(stored, layout)[idx].astype(np.float32) / np.float32(divide_by)
    np.testing.assert_array_equal(out, expected)
    assert out.min() >= 0 and out.max() <= 1
    if convention == "binary":
        assert set(np.unique(out).tolist()) == {0.0, 1.0}


def test_ambiguous_layout_prefers_channel_last_for_uint8():
    assert image_layout((N, 3, 8, 3), np.dtype(np.uint8)) == "NHWC"
    assert image_layout((N, 3, 8, 3), np.dtype(np.float32)) == "NCHW"
    assert image_layout((N, 1, 8, 8), np.dtype(np.uint8)) == "NCHW"
    assert image_layout((N, 8, 8, 1), np.dtype(np.float32)) == "NHWC"
    assert image_layout((N, 5, 8, 8), np.dtype(np.uint8)) is None and image_layout((N, 64), np.dtype("u1")) is None


def test_ambiguous_uint8_file_is_read_channel_last(tmp_path):
    stored = np.arange(N * 3 * 4 * 3, dtype=np.int64).reshape(N, 3, 4, 3).astype(np.uint8)
    np.savez(tmp_path / "x.npz", images=stored)
    src = open_npz(tmp_path / "x.npz")
    assert src.image_shape == (3, 3, 4)
    np.testing.assert_array_equal(src.read([4]), stored[[4]].transpose(0, 3, 1, 2) / np.float32(255))


def test_factors_names_and_labels(tmp_path):
    factors = np.stack([np.arange(N) % 4, (np.arange(N) // 4) * 10], axis=1)  # column 1 has gaps: 0, 10, ..., 40
    labels = np.arange(N) % 3
    np.savez_compressed(tmp_path / "a.npz", images=_stored("NHW", "uint8"), factors=factors, labels=labels)
    src = open_npz(tmp_path / "a.npz")
    assert not isinstance(src.images, NpyRows)
    assert src.factor_names == ("factor0", "factor1") and src.factor_sizes == (4, 5)
    np.testing.assert_array_equal(src.factors, np.stack([np.arange(N) % 4, np.arange(N) // 4], axis=1))
    assert src.factors.dtype == np.int64 and src.labels.dtype == np.int64
    np.testing.assert_array_equal(src.labels, labels)
    np.testing.assert_array_equal(index_of_factors(src.factors, src.factor_sizes, src.factors[[7, 0]]), [7, 0])
    np.savez(tmp_path / "b.npz", images=_stored("NHW", "uint8"), factors=factors, factor_names=np.array(["a", "bb"]))
    assert open_npz(tmp_path / "b.npz").factor_names == ("a", "bb")
    np.savez(tmp_path / "c.npz", images=_stored("NHW", "uint8"), factors=factors, factor_names=np.array([b"a", b"c"]))
    assert open_npz(tmp_path / "c.npz").factor_names == ("a", "c")


def _error(tmp_path, *fragments, raw=None, **arrays):
    path = tmp_path / "bad.npz"
    if raw is not None:
        path.write_bytes(raw)
    else:
        np.savez(path, **arrays)
    with pytest.raises(LatentnavError) as err:
        open_npz(path)
    message = str(err.value)
    assert "\n" not in message and f"`{path}`" in message and "pass an npz with key images" in message, message
    for fragment in fragments:
        assert fragment in message, (fragment, message)


def test_bad_images(tmp_path):
    images = _stored("NHW", "uint8")
    _error(tmp_path, "no key 'images'", "its keys: imgs", imgs=images)
    _error(tmp_path, "'images'", "dtype int32", "uint8", images=images.astype(np.int32))
    _error(tmp_path, "'images'", f"({N}, 30)", "(N, H, W)", images=images.reshape(N, -1))
    _error(tmp_path, "'images'", f"({N}, 5, 6, 5)", "C = 1 or 3", images=np.zeros((N, 5, 6, 5), np.uint8))
    _error(tmp_path, "'images'", "[0.0, 255.0]", "[0, 1]", images=images.astype(np.float32))
    nan = _stored("NHW", "float")
    nan[3, 1, 1] = np.nan
    _error(tmp_path, "'images'", "[0, 1]", images=nan)


def test_bad_factors_and_labels(tmp_path):
    images = _stored("NHW", "uint8")
    factors = np.zeros((N, 2), np.int64)
    _error(tmp_path, "'factors'", "dtype float64", images=images, factors=factors.astype(np.float64))
    _error(tmp_path, "'factors'", f"({N - 1}, 2)", f"({N}, K)", images=images, factors=factors[1:])
    _error(tmp_path, "'factor_names'", "(3,)", "(2,)", images=images, factors=factors,
           factor_names=np.array(["a", "b", "c"]))
    _error(tmp_path, "'factor_names'", "no key 'factors'", images=images, factor_names=np.array(["a"]))
    _error(tmp_path, "'labels'", "dtype float64", "integer", images=images, labels=np.zeros(N))
    _error(tmp_path, "'labels'", f"({N}, 1)", images=images, labels=np.zeros((N, 1), np.int64))


def test_pickled_objects_are_refused(tmp_path):
    images = np.empty((N, H, W), dtype=object)
    images[:] = 0
    _error(tmp_path, "'images'", "pickled", images=images)
    _error(tmp_path, "'labels'", "pickled", images=_stored("NHW", "uint8"), labels=np.array([{"a": 1}] * N))


def test_truncated_not_an_npz_and_missing(tmp_path):
    np.savez(tmp_path / "ok.npz", images=_stored("NHWC3", "uint8"))
    data = (tmp_path / "ok.npz").read_bytes()
    _error(tmp_path, "truncated", raw=data[: len(data) // 2])
    _error(tmp_path, "not a readable npz", raw=b"\x93NUMPY not really")
    with pytest.raises(LatentnavError, match="does not exist"):
        open_npz(tmp_path / "absent.npz")
