"""The images of a dataset selection, read from their file on demand: :class:`LazyImages`.

A dataset loaded from a file (``dsprites``, ``shapes3d``, ``mpi3d``, ``npz:PATH``) keeps its images in the file.
:class:`LazyImages` stands where the built-in datasets keep an in-memory (N, C*H*W) float32 array: it has the same
``shape``, ``dtype``, ``len`` and row indexing (an int, a slice, an integer array or a boolean mask), and each
index reads only those rows through :meth:`~latentnav.data.source.ImageSource.read`. ``np.asarray`` reads every
selected row at once, which is meant for small selections only; callers that handle big ones go in batches of rows.
"""

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True, eq=False)
class LazyImages:
    """Rows ``index`` of an image source, flattened per image: an array-like of shape (N, C*H*W) float32 in [0, 1].

    Attributes
    ----------
    source : ImageSource
        The file's reader.
    index : ndarray of shape (N,), int64
        File index of each row.
    """

    source: object
    index: np.ndarray

    @property
    def image_shape(self) -> tuple[int, int, int]:
        return tuple(int(s) for s in self.source.image_shape)

    @property
    def shape(self) -> tuple[int, int]:
        return (len(self.index), int(np.prod(self.image_shape)))

    @property
    def dtype(self) -> np.dtype:
        return np.dtype(np.float32)

    @property
    def ndim(self) -> int:
        return 2

    @property
    def nbytes(self) -> int:
        return self.shape[0] * self.shape[1] * 4

    def __len__(self) -> int:
        return len(self.index)

    def images(self, rows) -> np.ndarray:
        """Images (n, C, H, W) float32 of ``rows`` (a slice, an integer array or a boolean mask of this selection)."""
        picked = np.atleast_1d(self.index[rows])
        if not picked.size:
            return np.zeros((0, *self.image_shape), np.float32)
        return self.source.read(picked)

    def __getitem__(self, key) -> np.ndarray:
        """Rows (n, C*H*W), or one row (C*H*W,) for an int; a tuple key indexes the read rows further."""
        rest = ()
        if isinstance(key, tuple):
            key, rest = key[0], key[1:]
        if isinstance(key, (int, np.integer)):
            if not -len(self) <= key < len(self):
                raise IndexError(f"row {key} is out of range for {len(self)} images")
            out = self.images([int(key) % len(self)]).reshape(-1)
        else:
            out = self.images(key)
            out = out.reshape(len(out), -1)
            rest = (slice(None), *rest) if rest else ()
        return out[rest] if rest else out

    def __array__(self, dtype=None, copy=None) -> np.ndarray:
        out = self[:]
        return out if dtype is None else out.astype(dtype, copy=False)

    def __iter__(self):
        for start in range(len(self)):
            yield self[start]
