"""Rows of an uncompressed C-order array inside a file, read on demand with positioned reads.

:class:`NpyRows` is what an uncompressed ``.npy`` member of an ``.npz`` becomes (see :mod:`latentnav.data.npzfile`):
an array-like whose ``rows[indices]`` reads exactly those rows from the file, coalescing runs of consecutive rows
into one read. Unlike ``np.memmap`` it does not fault pages in through the kernel's read-ahead (8 MB a fault on
some machines, so 1000 random 4 KB dSprites images cost 1.4 GB of mapped file pages), it keeps no file open, and it
pickles as a path and an offset.
"""

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class NpyRows:
    """A C-order array of ``shape`` and ``dtype`` stored at byte ``offset`` of the file at ``path``.

    Attributes
    ----------
    path : str
    offset : int
        Byte offset of element ``[0, 0, ...]``.
    shape : tuple of int
        ``(N, ...)``.
    dtype : np.dtype

    Notes
    -----
    Indexing supports what the readers need: an int (one row), a slice with step 1, or a 1-D integer array of
    indices (any order, repeats allowed; sorted distinct indices read fastest). The result is an in-memory ndarray.
    """

    path: str
    offset: int
    shape: tuple[int, ...]
    dtype: np.dtype

    @property
    def ndim(self) -> int:
        return len(self.shape)

    @property
    def row_bytes(self) -> int:
        """Bytes of one row, ``prod(shape[1:]) * itemsize``."""
        return int(np.prod(self.shape[1:], dtype=np.int64)) * self.dtype.itemsize

    def __len__(self) -> int:
        return self.shape[0]

    def __getitem__(self, key) -> np.ndarray:
        n = self.shape[0]
        if isinstance(key, (int, np.integer)):
            i = int(key) + n if key < 0 else int(key)
            if not 0 <= i < n:
                raise IndexError(f"index {key} is out of range for {n} rows")
            return self._read(np.array([i], np.int64))[0]
        if isinstance(key, slice):
            start, stop, step = key.indices(n)
            if step != 1:
                raise IndexError("NpyRows supports slices with step 1 only")
            return self._read(np.arange(start, max(start, stop), dtype=np.int64))
        idx = np.asarray(key)
        if idx.ndim != 1 or (idx.size and idx.dtype.kind not in "iu"):
            raise IndexError(f"NpyRows takes an int, a slice or a 1-D integer array, got {key!r}")
        idx = idx.astype(np.int64)
        if idx.size and (idx.min() < -n or idx.max() >= n):
            raise IndexError(f"indices must be in [-{n}, {n}), got [{idx.min()}, {idx.max()}]")
        return self._read(np.where(idx < 0, idx + n, idx))

    def _read(self, idx: np.ndarray) -> np.ndarray:
        """Rows ``idx`` (n,) in [0, N): one read per run of consecutive distinct indices, in file order."""
        out = np.empty((len(idx), *self.shape[1:]), self.dtype)
        if not len(idx) or not self.row_bytes:
            return out
        order = np.argsort(idx, kind="stable")
        ordered = idx[order]
        unique, first = np.unique(ordered, return_index=True)
        rows = np.empty((len(unique), *self.shape[1:]), self.dtype)
        flat = rows.reshape(len(unique), -1).view(np.uint8)
        breaks = np.flatnonzero(np.diff(unique) != 1) + 1
        starts = np.concatenate([[0], breaks])
        stops = np.concatenate([breaks, [len(unique)]])
        with open(self.path, "rb", buffering=0) as f:
            for a, b in zip(starts.tolist(), stops.tolist()):
                f.seek(self.offset + int(unique[a]) * self.row_bytes)
                _read_exactly(f, memoryview(flat[a:b]).cast("B"), self.path)
        out[order] = rows[np.repeat(np.arange(len(unique)), np.diff(np.append(first, len(ordered))))]
        return out


def _read_exactly(f, buffer: memoryview, path: str) -> None:
    done = 0
    while done < len(buffer):
        got = f.readinto(buffer[done:])
        if not got:
            raise EOFError(f"{path} ended {len(buffer) - done} bytes early: the file is truncated")
        done += got
