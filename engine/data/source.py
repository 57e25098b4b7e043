"""The interface of an image file: :class:`ImageSource`, its in-memory form :class:`ArraySource`, and factor lookup.

A reader (``open_dsprites``, ``open_shapes3d``, ``open_mpi3d``, ``open_npz``) returns an :class:`ImageSource`: the
small per-image metadata (factor classes, labels) loaded eagerly, and :meth:`ImageSource.read` which reads only the
images at the given file indices as ``(n, C, H, W)`` float32 in [0, 1].

:func:`index_of_factors` (or :class:`FactorIndex`, built once and called many times) maps rows of factor classes to
file indices, as the metrics that need ``observations(factors)`` do.
"""

import math
from dataclasses import dataclass, field
from typing import Protocol, runtime_checkable

import numpy as np

from latentnav.data.gather import as_indices, gather, to_nchw_float
from latentnav.data.npyrows import NpyRows
from latentnav.errors import LatentnavError

LAYOUTS = ("NHW", "NHWC", "NCHW")


@runtime_checkable
class ImageSource(Protocol):
    """A file of N images with optional ground-truth factors and labels.

    Members are read-only properties so that frozen dataclasses implement the protocol.

    Attributes
    ----------
    name : str
        ``dsprites``, ``shapes3d``, ``mpi3d``, ``npz`` (or ``array`` for an in-memory :class:`ArraySource`).
    path : str
        The file it reads.
    image_shape : tuple of int
        ``(C, H, W)``, C = 1 or 3.
    factors : ndarray of shape (N, K), int64, or None
        Class index of each factor value, in ``[0, factor_sizes[k])``.
    factor_names : tuple of str, or None
        Names of the K factors.
    factor_sizes : tuple of int, or None
        Number of distinct values of each factor.
    labels : ndarray of shape (N,), int64, or None
        Class labels, when the file has them.
    """

    @property
    def name(self) -> str: ...
    @property
    def path(self) -> str: ...
    @property
    def image_shape(self) -> tuple[int, int, int]: ...
    @property
    def factors(self) -> np.ndarray | None: ...
    @property
    def factor_names(self) -> tuple[str, ...] | None: ...
    @property
    def factor_sizes(self) -> tuple[int, ...] | None: ...
    @property
    def labels(self) -> np.ndarray | None: ...

    def __len__(self) -> int: ...

    def read(self, indices) -> np.ndarray:
        """Images at file ``indices`` (n,) (any order, repeats allowed) as (n, C, H, W) float32 in [0, 1]."""
        ...


def dense_classes(values: np.ndarray) -> tuple[np.ndarray, int]:
    """Class index of each value among the column's sorted distinct values, and their number.

    Parameters
    ----------
    values : ndarray of shape (N,)

    Returns
    -------
    classes : ndarray of shape (N,), int64, in ``[0, size)``
    size : int
    """
    if values.dtype.kind in "iu" and values.size and values.min() >= 0 and values.max() < 4 * values.size + 1024:
        counts = np.bincount(values)
        if counts.all():  # already 0..size-1 with no gap: the classes are the values
            return values.astype(np.int64, copy=False), len(counts)
    unique, inverse = np.unique(values, return_inverse=True)
    return inverse.astype(np.int64).reshape(values.shape), len(unique)


def factor_classes(values: np.ndarray) -> tuple[np.ndarray, tuple[int, ...]]:
    """:func:`dense_classes` of each column of ``values`` (N, K): classes (N, K) int64 and the K sizes."""
    columns = [dense_classes(values[:, k]) for k in range(values.shape[1])]
    classes = np.stack([c for c, _ in columns], axis=1) if columns else np.zeros((len(values), 0), np.int64)
    return classes, tuple(size for _, size in columns)


@dataclass(frozen=True, eq=False, kw_only=True)
class ArraySource:
    """An :class:`ImageSource` over an array in memory, or rows left in the file (:class:`NpyRows`).

    Attributes
    ----------
    images : ndarray or NpyRows of shape (N, H, W), (N, H, W, C) or (N, C, H, W)
        Stored images, as in the file (uint8, bool or float); :class:`NpyRows` reads only the indexed rows.
    layout : str
        ``NHW`` (grayscale), ``NHWC`` or ``NCHW``: the axes of ``images``.
    divide_by : float
        255.0 for uint8 images in 0-255, 1.0 for 0/1 or float images already in [0, 1].
    name, path, factors, factor_names, factor_sizes, labels
        As in :class:`ImageSource`.
    image_shape : tuple of int
        ``(C, H, W)``, derived from ``images`` and ``layout``.
    """

    images: np.ndarray | NpyRows
    layout: str = "NCHW"
    divide_by: float = 1.0
    name: str = "array"
    path: str = ""
    factors: np.ndarray | None = None
    factor_names: tuple[str, ...] | None = None
    factor_sizes: tuple[int, ...] | None = None
    labels: np.ndarray | None = None
    image_shape: tuple[int, int, int] = field(init=False)

    def __post_init__(self):
        if self.layout not in LAYOUTS:
            raise ValueError(f"layout {self.layout!r} is unknown; choose one of {', '.join(LAYOUTS)}")
        if self.images.ndim != len(self.layout):
            raise ValueError(f"layout {self.layout} needs {len(self.layout)}-D images, got shape {self.images.shape}")
        shape = self.images.shape
        chw = (1, *shape[1:]) if self.layout == "NHW" else shape[1:] if self.layout == "NCHW" else (
            shape[3], shape[1], shape[2])
        object.__setattr__(self, "image_shape", tuple(int(s) for s in chw))

    def __len__(self) -> int:
        return len(self.images)

    def read(self, indices) -> np.ndarray:
        """Images at file ``indices`` (n,) as (n, C, H, W) float32 in [0, 1]; reads only those rows."""
        idx = as_indices(indices, len(self))
        if not idx.size:
            return np.zeros((0, *self.image_shape), np.float32)
        return to_nchw_float(gather(self.images, idx), self.layout, self.divide_by)


@dataclass(frozen=True, eq=False)
class FactorIndex:
    """File index of each combination of factor classes, built once from a source's factors.

    Attributes
    ----------
    factor_sizes : tuple of int
        K sizes.
    grid : bool
        True when the file is the full grid in C order: the index is ``np.ravel_multi_index``, O(1) per row.
    keys, order : ndarray of shape (N,), int64, or None
        Otherwise the raveled combinations sorted, and the file index of each (the first one for repeats).
    rows : dict or None
        Instead of keys/order when the grid is too large to ravel into int64: combination tuple -> file index.
    """

    factor_sizes: tuple[int, ...]
    grid: bool
    keys: np.ndarray | None = None
    order: np.ndarray | None = None
    rows: dict | None = None

    def __call__(self, wanted) -> np.ndarray:
        """File indices (n,) int64 of the rows of ``wanted`` (n, K); an unknown combination raises LatentnavError."""
        wanted = np.asarray(wanted)
        k = len(self.factor_sizes)
        if wanted.ndim != 2 or wanted.shape[1] != k or (wanted.size and wanted.dtype.kind not in "iu"):
            raise LatentnavError(f"wanted factors must be an (n, {k}) integer array, got shape {wanted.shape} "
                                 f"dtype {wanted.dtype}; pass one row of {k} factor classes per image")
        wanted = wanted.astype(np.int64, copy=False)
        bad = ((wanted < 0) | (wanted >= np.asarray(self.factor_sizes, np.int64))).any(axis=1)
        if self.rows is not None:
            found = np.array([self.rows.get(tuple(r), -1) for r in wanted.tolist()], np.int64)
        elif bad.any():
            found = np.zeros(len(wanted), np.int64)
        else:
            key = np.ravel_multi_index(wanted.T, self.factor_sizes) if len(wanted) else np.zeros(0, np.int64)
            if self.grid:
                return key.astype(np.int64)
            pos = np.minimum(np.searchsorted(self.keys, key), max(len(self.keys) - 1, 0))
            found = np.where(self.keys[pos] == key, self.order[pos], -1) if len(self.keys) else key * 0 - 1
        missing = np.flatnonzero(bad | (found < 0))
        if missing.size:
            raise LatentnavError(f"factor combination {wanted[missing[0]].tolist()} is not in the file "
                                 f"({missing.size} of {len(wanted)} wanted rows are unknown; sizes "
                                 f"{list(self.factor_sizes)}); ask only for combinations the file contains")
        return found


def factor_index(factors_all: np.ndarray, factor_sizes) -> FactorIndex:
    """Build the :class:`FactorIndex` of ``factors_all`` (N, K) int classes in ``[0, factor_sizes[k])``."""
    sizes = tuple(int(s) for s in factor_sizes)
    factors_all = np.asarray(factors_all)
    if factors_all.ndim != 2 or factors_all.shape[1] != len(sizes):
        raise LatentnavError(f"factors must be (N, {len(sizes)}) for {len(sizes)} factor sizes, "
                             f"got shape {factors_all.shape}; pass the source's factors and factor_sizes")
    n = len(factors_all)
    if factors_all.size and (factors_all.dtype.kind not in "iu" or factors_all.min() < 0
              or (factors_all.max(axis=0) >= np.asarray(sizes)).any()):
        raise LatentnavError(f"factors must be integer classes in [0, size) for sizes {list(sizes)}, got dtype "
                             f"{factors_all.dtype} in [{factors_all.min()}, {factors_all.max()}]; "
                             "pass the source's factors and factor_sizes")
    if math.prod(sizes) >= 2**62:
        rows: dict = {}
        for i, row in enumerate(factors_all.tolist()):
            rows.setdefault(tuple(row), i)
        return FactorIndex(sizes, grid=False, rows=rows)
    key = np.ravel_multi_index(factors_all.T.astype(np.int64), sizes).astype(np.int64) if n else np.zeros(0, np.int64)
    if n == math.prod(sizes) and np.array_equal(key, np.arange(n)):
        return FactorIndex(sizes, grid=True)
    order = np.argsort(key, kind="stable")
    return FactorIndex(sizes, grid=False, keys=key[order], order=order.astype(np.int64))


def index_of_factors(factors_all: np.ndarray, factor_sizes, wanted) -> np.ndarray:
    """File indices (n,) int64 of the rows of ``wanted`` (n, K) among ``factors_all`` (N, K).

    O(1) per row via ``np.ravel_multi_index`` when the file is the full grid in C order, else a sorted-key lookup.
    This builds the lookup on every call: to look up many times, build ``factor_index(factors_all, sizes)`` once.
    An unknown combination raises :class:`~latentnav.errors.LatentnavError`.
    """
    return factor_index(factors_all, factor_sizes)(wanted)
