"""open_shapes3d on small files in the official 3dshapes.h5 format."""

import h5py
import numpy as np
import pytest

from dataset_files import write_shapes3d
from latentnav.data.shapes3d import FACTOR_NAMES, FILENAME, open_shapes3d
from latentnav.data.source import ImageSource, index_of_factors
from latentnav.errors import LatentnavError

# The official value lists, cut short: hues 0, 0.1, ..., scale linspace(0.75, 1.25), shape 0..3,
# orientation linspace(-30, 30). 2 * 2 * 3 * 3 * 2 * 4 = 288 images.
VALUES = (np.linspace(0, 0.9, 10)[:2], np.linspace(0, 0.9, 10)[3:5], np.linspace(0, 0.9, 10)[[0, 5, 9]],
          np.linspace(0.75, 1.25, 8)[[0, 3, 7]], np.arange(4.0)[[1, 3]], np.linspace(-30, 30, 15)[[0, 4, 7, 14]])
SIZES = tuple(len(v) for v in VALUES)
N = int(np.prod(SIZES))


def _arrays():
    """images (N, 64, 64, 3) uint8 with i % 256 and i // 256 in pixel (0, 0), labels (N, 6) float64, classes."""
    classes = np.stack(np.unravel_index(np.arange(N), SIZES), axis=1).astype(np.int64)
    labels = np.stack([VALUES[k][classes[:, k]] for k in range(6)], axis=1)
    images = np.full((N, 64, 64, 3), 7, np.uint8)
    images[:, 0, 0, 0], images[:, 0, 0, 1], images[:, 0, 0, 2] = np.arange(N) % 256, np.arange(N) // 256, 255
    return images, labels, classes


def _write(path, images=None, labels=None, skip=()):
    """This module's value lists as an official 3dshapes.h5, one image a chunk."""
    a_images, a_labels, _ = _arrays()
    return write_shapes3d(path, a_images if images is None else images, a_labels if labels is None else labels,
                          skip, chunk_rows=1)


@pytest.fixture
def official(tmp_path):
    return _write(tmp_path / FILENAME)


def _decode(out):
    """The index in pixel (0, 0) of (n, 3, 64, 64) images scaled by 1/255."""
    pixel = np.rint(out[:, :2, 0, 0] * 255).astype(np.int64)
    return pixel[:, 0] + 256 * pixel[:, 1]


def test_read_returns_the_indexed_images_scaled(official):
    src = open_shapes3d(official)
    assert isinstance(src, ImageSource)
    assert (src.name, src.path, src.image_shape, len(src)) == ("shapes3d", str(official), (3, 64, 64), N)
    idx = [N - 1, 5, 5, 0, 260]
    out = src.read(idx)
    assert out.shape == (5, 3, 64, 64) and out.dtype == np.float32
    assert _decode(out).tolist() == idx
    np.testing.assert_array_equal(out, _arrays()[0][idx].transpose(0, 3, 1, 2).astype(np.float32) / np.float32(255))
    assert out[:, 2, 0, 0].tolist() == [1.0] * 5
    assert src.read([]).shape == (0, 3, 64, 64)


def test_float_labels_become_class_indices(official):
    src = open_shapes3d(official)
    classes = _arrays()[2]
    np.testing.assert_array_equal(src.factors, classes)
    assert src.factors.dtype == np.int64 and src.factor_sizes == SIZES and src.factor_names == FACTOR_NAMES
    assert src.labels is None
    rows = np.array([0, 77, N - 1])
    np.testing.assert_array_equal(index_of_factors(src.factors, src.factor_sizes, classes[rows]), rows)


def test_float_noise_does_not_split_a_class(tmp_path):
    labels = _arrays()[1].copy()
    labels[::2, 3] += 1e-12
    src = open_shapes3d(_write(tmp_path / "noisy.h5", labels=labels))
    assert src.factor_sizes == SIZES
    np.testing.assert_array_equal(src.factors, _arrays()[2])


def test_read_asks_h5py_only_for_the_chunks_of_the_requested_rows(official, monkeypatch):
    src = open_shapes3d(official)  # one image per storage chunk
    selections = []
    getitem = h5py.Dataset.__getitem__

    def spy(self, selection, *args, **kwargs):
        selections.append((self.name, selection))
        return getitem(self, selection, *args, **kwargs)

    monkeypatch.setattr(h5py.Dataset, "__getitem__", spy)
    out = src.read([200, 3, 200, 4])
    assert _decode(out).tolist() == [200, 3, 200, 4]
    assert selections == [("/images", slice(3, 5)), ("/images", slice(200, 201))]  # consecutive chunks: one slice


@pytest.mark.parametrize("chunks", [(8, 64, 64, 3), (5, 64, 64, 3), None])
def test_random_reads_equal_the_images_whatever_the_chunking(tmp_path, chunks):
    images = _arrays()[0]
    options = {"chunks": chunks, "compression": "gzip"} if chunks else {}
    path = tmp_path / FILENAME
    with h5py.File(path, "w") as f:
        f.create_dataset("images", data=images, **options)
        f.create_dataset("labels", data=_arrays()[1])
    src = open_shapes3d(path)
    rng = np.random.default_rng(0)
    for idx in (rng.integers(0, N, 50), np.arange(N)[::-1], [N - 1], rng.integers(0, 9, 30)):
        np.testing.assert_array_equal(_decode(src.read(idx)), idx)


def _error(path, *fragments):
    with pytest.raises(LatentnavError) as err:
        open_shapes3d(path)
    message = str(err.value)
    assert "\n" not in message and f"`{path}`" in message and FILENAME in message, message
    for fragment in fragments:
        assert fragment in message, (fragment, message)


def test_missing_dataset(tmp_path):
    _error(_write(tmp_path / "x.h5", skip=("labels",)), "no dataset 'labels'", "images")


def test_wrong_dtype(tmp_path):
    images = _arrays()[0].astype(np.float32)
    _error(_write(tmp_path / "x.h5", images=images), "'images'", "dtype float32", "expected uint8")
    _error(_write(tmp_path / "y.h5", labels=_arrays()[2]), "'labels'", "dtype int64", "float")


def test_wrong_shape(tmp_path):
    _error(_write(tmp_path / "x.h5", labels=_arrays()[1][:, :5]), "'labels'", f"({N}, 5)", f"expected ({N}, 6)")
    _error(_write(tmp_path / "y.h5", images=np.zeros((N, 64, 64), np.uint8)), "'images'", "(N, 64, 64, 3)")


def test_nan_labels(tmp_path):
    labels = _arrays()[1].copy()
    labels[3, 2] = np.nan
    _error(_write(tmp_path / "x.h5", labels=labels), "'labels'", "NaN")


def test_truncated_file(official, tmp_path):
    data = official.read_bytes()
    half = tmp_path / "half.h5"
    half.write_bytes(data[: len(data) // 2])
    _error(half, "not a readable HDF5 file")


def test_not_an_h5_and_missing(tmp_path):
    text = tmp_path / "notes.h5"
    text.write_text("not hdf5\n")
    _error(text, "not a readable HDF5 file")
    _error(tmp_path / "absent.h5", "does not exist")
    _error(tmp_path, "directory")
