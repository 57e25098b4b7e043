"""Reading selected rows of stored images: validate indices, read each distinct row once, convert to NCHW float.

Shared by the in-memory :class:`~latentnav.data.source.ArraySource` and the HDF5 reader: both read the sorted
distinct indices (what h5py fancy indexing requires and what keeps disk reads in file order), then reorder and repeat.
"""

import numpy as np


def as_indices(indices, n: int) -> np.ndarray:
    """Validate file indices: (n_read,) int64 in ``[0, n)``; raises IndexError when one is out of range."""
    idx = np.asarray(indices)
    if idx.ndim != 1 or (idx.size and idx.dtype.kind not in "iu"):
        raise IndexError(f"indices must be a 1-D integer array, got shape {idx.shape} dtype {idx.dtype}")
    idx = idx.astype(np.int64, copy=False)
    if idx.size and (idx.min() < 0 or idx.max() >= n):
        raise IndexError(f"indices must be in [0, {n}), got [{idx.min()}, {idx.max()}]")
    return idx


READ_BYTES = 64 * 2**20  # largest contiguous range :func:`read_by_chunks` reads at once


def gather(rows, indices: np.ndarray, chunk_rows: int | None = None) -> np.ndarray:
    """``rows[indices]`` reading each distinct row once, in increasing order (as h5py and disk reads want).

    Parameters
    ----------
    rows : array-like indexable by an increasing int64 array (ndarray, NpyRows, h5py.Dataset)
    indices : ndarray of shape (n,), int64, non-empty
    chunk_rows : int, optional
        Rows per storage chunk of ``rows`` (an HDF5 dataset's ``chunks[0]``, 1 for a contiguous one): read through
        :func:`read_by_chunks` instead of one fancy-indexed selection.

    Returns
    -------
    ndarray of shape (n, ...)
    """
    unique, inverse = np.unique(indices, return_inverse=True)
    block = np.asarray(rows[unique]) if chunk_rows is None else read_by_chunks(rows, unique, chunk_rows)
    return block if len(unique) == len(indices) and np.array_equal(unique, indices) else block[inverse]


def read_by_chunks(rows, unique: np.ndarray, chunk_rows: int) -> np.ndarray:
    """``rows[unique]`` for increasing distinct ``unique`` (n,), read as contiguous ranges of whole storage chunks.

    Each run of consecutive storage chunks that holds a wanted row is read with one slice (split so that no slice
    is over :data:`READ_BYTES`), and the wanted rows are picked from it. Every chunk is decompressed once, as
    with a fancy-indexed selection, but h5py builds no point selection: on gzip-compressed HDF5 images (8 or 1
    per chunk) 4,096 random rows of 48,000 read 5-10x faster than ``dataset[unique]``.
    """
    row_bytes = max(1, int(np.prod(rows.shape[1:])) * np.dtype(rows.dtype).itemsize)
    span = max(chunk_rows, READ_BYTES // row_bytes // chunk_rows * chunk_rows)  # rows per slice, whole chunks
    chunks = unique // chunk_rows
    run_starts = np.flatnonzero(np.r_[True, np.diff(chunks) > 1])  # a run: wanted rows in consecutive chunks
    out = np.empty((len(unique), *rows.shape[1:]), rows.dtype)
    for first, stop in zip(run_starts, np.r_[run_starts[1:], len(unique)]):
        run_end = min((int(chunks[stop - 1]) + 1) * chunk_rows, len(rows))
        position = first
        while position < stop:
            low = int(chunks[position]) * chunk_rows
            high = min(low + span, run_end)
            end = position + int(np.searchsorted(unique[position:stop], high))
            out[position:end] = np.asarray(rows[low:high])[unique[position:end] - low]
            position = end
    return out


def to_nchw_float(block: np.ndarray, layout: str, divide_by: float) -> np.ndarray:
    """Stored images (n, ...) in ``layout`` to (n, C, H, W) float32, divided by ``divide_by`` (255 or 1)."""
    out = block.astype(np.float32)
    if divide_by != 1:
        out /= np.float32(divide_by)
    if layout == "NHW":
        out = out[:, None]
    elif layout == "NHWC":
        out = out.transpose(0, 3, 1, 2)
    return np.ascontiguousarray(out)
