"""read_by_chunks and gather: the rows asked for, whatever the chunk size, slice limit and order."""

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from latentnav.data import gather as gather_module
from latentnav.data.gather import gather, read_by_chunks


class Recorder:
    """An array that records the slices read from it (as an HDF5 dataset would be asked)."""

    def __init__(self, array):
        self.array, self.shape, self.dtype, self.reads = array, array.shape, array.dtype, []

    def __len__(self):
        return len(self.array)

    def __getitem__(self, selection):
        self.reads.append(selection)
        return self.array[selection]


@settings(max_examples=60, deadline=None, derandomize=True)
@given(n=st.integers(1, 60), chunk=st.integers(1, 9), budget_rows=st.integers(1, 20), data=st.data())
def test_read_by_chunks_is_fancy_indexing(n, chunk, budget_rows, data):
    rows = np.arange(n * 3, dtype=np.int16).reshape(n, 3)
    wanted = np.array(sorted(data.draw(st.sets(st.integers(0, n - 1), min_size=1))), dtype=np.int64)
    source = Recorder(rows)
    original = gather_module.READ_BYTES
    gather_module.READ_BYTES = budget_rows * rows[0].nbytes
    try:
        out = read_by_chunks(source, wanted, chunk)
    finally:
        gather_module.READ_BYTES = original
    np.testing.assert_array_equal(out, rows[wanted])
    span = max(chunk, budget_rows // chunk * chunk)
    for selection in source.reads:  # whole chunks only, never over the budget, each chunk read once
        assert isinstance(selection, slice) and selection.start % chunk == 0
        assert selection.stop - selection.start <= span and (selection.stop % chunk == 0 or selection.stop == n)
    read = np.concatenate([np.arange(s.start, s.stop) for s in source.reads])
    assert len(np.unique(read)) == len(read)
    assert set((read // chunk).tolist()) == set((wanted // chunk).tolist())


def test_gather_reorders_and_repeats_through_chunks():
    rows = np.arange(40).reshape(20, 2)
    idx = np.array([19, 3, 3, 0, 11])
    np.testing.assert_array_equal(gather(Recorder(rows), idx, chunk_rows=4), rows[idx])
    np.testing.assert_array_equal(gather(rows, idx), rows[idx])
