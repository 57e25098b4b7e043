"""open_dsprites on small files in the official dSprites npz format."""

import numpy as np
import pytest

from latentnav.data.dsprites import FACTOR_NAMES, FILENAME, open_dsprites
from latentnav.data.npyrows import NpyRows
from latentnav.data.source import ImageSource, index_of_factors
from latentnav.errors import LatentnavError

SIZES = (1, 3, 2, 4, 2, 2)  # color is constant, as in the real file
N = int(np.prod(SIZES))


class _Trap:
    """Unpickling this creates ``marker`` (``open(marker, "w")``): proof that something unpickled ``metadata``."""

    def __init__(self, marker):
        self.marker = str(marker)

    def __reduce__(self):
        return open, (self.marker, "w")


def _arrays():
    """imgs (N, 64, 64) uint8 0/1 with the bits of i in row 0 of image i, the grid classes and values."""
    imgs = np.zeros((N, 64, 64), np.uint8)
    imgs[:, 0, :8] = (np.arange(N)[:, None] >> np.arange(8)) & 1
    imgs[:, 10:20, 10:20] = 1
    classes = np.stack(np.unravel_index(np.arange(N), SIZES), axis=1).astype(np.int64)
    values = classes.astype(np.float64) / 3.0
    return imgs, classes, values


def _write(path, marker, compressed=False, **override):
    imgs, classes, values = _arrays()
    arrays = dict(imgs=imgs, latents_classes=classes, latents_values=values,
                  metadata=np.array({"description": "dSprites", "trap": _Trap(marker)}, dtype=object))
    arrays.update(override)
    (np.savez_compressed if compressed else np.savez)(path, **{k: v for k, v in arrays.items() if v is not None})
    return path


@pytest.fixture
def official(tmp_path):
    marker = tmp_path / "unpickled.marker"
    return _write(tmp_path / FILENAME, marker), marker


def _decode(images):
    """The index written in row 0 of each (n, 1, 64, 64) image."""
    return (images[:, 0, 0, :8].astype(np.int64) << np.arange(8)).sum(axis=1)


def test_the_trap_fires_when_metadata_is_unpickled(official):
    path, marker = official
    with np.load(path, allow_pickle=True) as npz:
        npz["metadata"]
    assert marker.exists()


def test_open_reads_the_indexed_images_without_unpickling_metadata(official):
    path, marker = official
    src = open_dsprites(path)
    assert isinstance(src, ImageSource) and isinstance(src.images, NpyRows)
    assert (src.name, src.path, src.image_shape, len(src)) == ("dsprites", str(path), (1, 64, 64), N)
    idx = [50, 3, 3, 0, N - 1]
    out = src.read(idx)
    assert out.shape == (5, 1, 64, 64) and out.dtype == np.float32
    assert _decode(out).tolist() == idx
    assert set(np.unique(out).tolist()) == {0.0, 1.0} and out[:, 0, 15, 15].tolist() == [1.0] * 5
    np.testing.assert_array_equal(out[:, 0], _arrays()[0][idx].astype(np.float32))
    assert not marker.exists()


def test_factors_are_the_latent_classes(official):
    src = open_dsprites(official[0])
    classes = _arrays()[1]
    np.testing.assert_array_equal(src.factors, classes)
    assert src.factors.dtype == np.int64 and src.factor_names == FACTOR_NAMES and src.factor_sizes == SIZES
    assert src.labels is None
    rows = np.array([17, 0, N - 1])
    np.testing.assert_array_equal(index_of_factors(src.factors, src.factor_sizes, classes[rows]), rows)


def test_compressed_copy_is_loaded_whole(tmp_path):
    marker = tmp_path / "m"
    src = open_dsprites(_write(tmp_path / "c.npz", marker, compressed=True))
    assert not isinstance(src.images, NpyRows)
    assert _decode(src.read([9, 1])).tolist() == [9, 1] and not marker.exists()


def _error(path, *fragments):
    with pytest.raises(LatentnavError) as err:
        open_dsprites(path)
    message = str(err.value)
    assert "\n" not in message and f"`{path}`" in message and FILENAME in message, message
    for fragment in fragments:
        assert fragment in message, (fragment, message)
    return message


def test_missing_key(tmp_path):
    _error(_write(tmp_path / "x.npz", tmp_path / "m", imgs=None), "no key 'imgs'", "latents_classes")


def test_wrong_dtype(tmp_path):
    imgs = _arrays()[0].astype(np.float32)
    _error(_write(tmp_path / "x.npz", tmp_path / "m", imgs=imgs), "'imgs'", "dtype float32", "expected uint8")


def test_wrong_shape(tmp_path):
    _error(_write(tmp_path / "x.npz", tmp_path / "m", imgs=np.zeros((N, 32, 32), np.uint8)), "'imgs'",
           f"({N}, 32, 32)", "(N, 64, 64)")
    _error(_write(tmp_path / "y.npz", tmp_path / "m", latents_classes=np.zeros((N, 5), np.int64)),
           "'latents_classes'", f"({N}, 6)")


def test_not_binary(tmp_path):
    _error(_write(tmp_path / "x.npz", tmp_path / "m", imgs=_arrays()[0] * 255), "'imgs'", "0/1")


def test_pickled_object_instead_of_array(tmp_path):
    marker = tmp_path / "m"
    imgs = np.empty(N, dtype=object)
    imgs[:] = [_Trap(marker)] * N
    _error(_write(tmp_path / "x.npz", marker, imgs=imgs), "'imgs'", "pickled")
    assert not marker.exists()
    classes = np.array([_Trap(marker)], dtype=object)
    _error(_write(tmp_path / "y.npz", marker, compressed=True, latents_classes=classes), "'latents_classes'",
           "pickled")
    assert not marker.exists()


def test_truncated_file(official, tmp_path):
    data = official[0].read_bytes()
    half = tmp_path / "half.npz"
    half.write_bytes(data[: len(data) // 2])
    _error(half, "truncated")


def test_not_an_npz_and_missing(tmp_path):
    text = tmp_path / "notes.npz"
    text.write_text("not a zip\n")
    _error(text, "not a readable npz")
    _error(tmp_path / "absent.npz", "does not exist")
