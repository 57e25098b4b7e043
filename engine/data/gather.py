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


def gather(rows, indices: np.ndarray) -> np.ndarray:
    """``rows[indices]`` reading each distinct row once, in increasing order (as h5py and disk reads want).

    Parameters
    ----------
    rows : array-like indexable by an increasing int64 array (ndarray, NpyRows, h5py.Dataset)
    indices : ndarray of shape (n,), int64, non-empty

    Returns
    -------
    ndarray of shape (n, ...)
    """
    unique, inverse = np.unique(indices, return_inverse=True)
    block = np.asarray(rows[unique])
    return block if len(unique) == len(indices) and np.array_equal(unique, indices) else block[inverse]


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
