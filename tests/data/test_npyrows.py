"""NpyRows: rows of an uncompressed npz member read from the file on demand."""

import pickle

import numpy as np
import pytest

from latentnav.data.npyrows import NpyRows
from latentnav.data.npzfile import npz_arrays


@pytest.fixture
def stored(tmp_path):
    array = np.arange(12 * 3 * 2, dtype=np.int32).reshape(12, 3, 2) * 7
    np.savez(tmp_path / "a.npz", other=np.ones(5), array=array)
    rows = npz_arrays(tmp_path / "a.npz", "hint", required=("array",), lazy=("array",))["array"]
    return array, rows


def test_member_becomes_rows_with_the_arrays_shape(stored):
    array, rows = stored
    assert isinstance(rows, NpyRows)
    assert (rows.shape, rows.dtype, rows.ndim, len(rows), rows.row_bytes) == (array.shape, array.dtype, 3, 12, 24)


@pytest.mark.parametrize("key", [3, -1, slice(2, 7), slice(None), slice(10, 3), [5, 1, 1, 11, 6, 7, 8],
                                 np.array([0, 1, 2, 9]), np.array([-2, 0]), []])
def test_indexing_matches_numpy(stored, key):
    array, rows = stored
    expected = array[key] if not isinstance(key, list) or key else array[np.array(key, np.int64)]
    np.testing.assert_array_equal(rows[key], expected)


def test_reads_only_the_rows_asked_for(stored, monkeypatch):
    array, rows = stored
    reads = []
    real_open = open

    def spy_open(*args, **kwargs):
        f = real_open(*args, **kwargs)
        readinto = f.readinto

        class Spy:
            def __enter__(self):
                return self

            def __exit__(self, *exc):
                f.close()

            def seek(self, pos):
                return f.seek(pos)

            def readinto(self, buffer):
                reads.append(len(buffer))
                return readinto(buffer)

        return Spy()

    monkeypatch.setattr("builtins.open", spy_open)
    np.testing.assert_array_equal(rows[[9, 2, 3, 2]], array[[9, 2, 3, 2]])
    assert sorted(reads) == [24, 48]  # row 9 alone, rows 2-3 in one read


def test_bad_keys_and_truncation(stored, tmp_path):
    _, rows = stored
    for key in (12, -13, [12], [0.5], slice(0, 6, 2), np.zeros((2, 2), np.int64)):
        with pytest.raises(IndexError):
            rows[key]
    short = NpyRows(path=rows.path, offset=rows.offset + 1000, shape=rows.shape, dtype=rows.dtype)
    with pytest.raises(EOFError, match="truncated"):
        short[[11]]


def test_pickles_as_a_path_and_offset(stored):
    array, rows = stored
    data = pickle.dumps(rows)
    assert len(data) < 500
    np.testing.assert_array_equal(pickle.loads(data)[[4]], array[[4]])
