"""One interface to the datasets: :func:`load_dataset` returns a :class:`Dataset` record.

- ``digits``: scikit-learn's 1797 8x8 digits (embedded, offline), scaled to [0, 1] and resized to 28x28
  with bilinear interpolation; a fixed seeded 80/20 split, each split kept in the original order.
- ``mnist``: torchvision's MNIST (``train=False`` is the test split), read from ``data_dir``; fetched
  only with ``download=True``.
- ``shapes``: generated procedurally (see :mod:`latentnav.data.shapes`), with ground-truth factors.
- ``dsprites``, ``shapes3d``, ``mpi3d`` and ``npz:PATH``: files the user downloaded (see
  :mod:`latentnav.data.files`); images stay in the file and are read on demand (:class:`LazyImages`).

Selection, in this order: the split (``train``/``test``: a seeded 80/20 permutation of the N items, each part in
increasing order; ``all``: every item), then ``limit`` (its first N) or ``sample`` (a seeded random subset of N,
in increasing order). :attr:`Dataset.index` holds, for each row, the index of the item in the file (the built-in
sets: in the split, so ``index`` is ``arange`` there).
"""

from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np

from latentnav.data.files import FILE_DATASETS, NPZ_PREFIX, is_file_dataset, open_file_dataset, source_labels
from latentnav.errors import LatentnavError, ParameterError

BUILTIN = ("digits", "mnist", "shapes")
DATASETS = (*BUILTIN, *FILE_DATASETS)  # and npz:PATH
SPLITS = ("train", "test", "all")
IMAGE_SHAPE = (1, 28, 28)  # (C, H, W)
SPLIT_SEED = 0
TEST_FRACTION = 0.2
DEFAULT_MNIST_DIR = Path.home() / ".cache" / "latentnav"


@dataclass(frozen=True)
class Dataset:
    """A dataset selection as flat arrays.

    Attributes
    ----------
    name, split : str
        Dataset name and split (``train``, ``test`` or ``all``).
    inputs : ndarray or LazyImages of shape (N, C*H*W), float32 in [0, 1]
        Flattened images: in memory for the built-in sets, read from the file on demand for the file datasets
        (index it by rows, or use :meth:`images`; ``np.asarray`` reads every row at once).
    labels : ndarray of shape (N,), int64
        Class labels (file datasets without labels: see :mod:`latentnav.data.files`).
    image_shape : tuple of int
        ``(C, H, W)``.
    factors : ndarray of shape (N, K), int64, or None
        Ground-truth factor values as indices into each factor's value list.
    factor_names : tuple of str, or None
        Names of the K factors.
    factor_sizes : tuple of int, or None
        Number of distinct values of each factor.
    grid : FactorGrid or None
        The dataset's full factor grid (``factor_sizes``, ``sample_factors``, ``observations``) for the sampling
        metrics, when every factor combination exists (``shapes``, and full-grid files).
    index : ndarray of shape (N,), int64
        Index of each row in its file (built-in sets: in the split); the store's ``input`` coordinate.
    origin : dict
        Keyword arguments of :func:`load_dataset` that load this selection again (``name``, ``split``,
        ``data_dir``, ``limit``, ``sample``, ``seed``), plus ``path``, the file read (None for built-in sets).
    """

    name: str
    split: str
    inputs: np.ndarray
    labels: np.ndarray
    image_shape: tuple[int, int, int] = IMAGE_SHAPE
    factors: np.ndarray | None = None
    factor_names: tuple[str, ...] | None = None
    factor_sizes: tuple[int, ...] | None = None
    grid: object | None = None
    index: np.ndarray | None = None
    origin: dict | None = None

    def __post_init__(self):
        if self.index is None:
            object.__setattr__(self, "index", np.arange(len(self.labels), dtype=np.int64))
        if self.origin is None:
            object.__setattr__(self, "origin", {"name": self.name, "split": self.split, "path": None})

    def __len__(self) -> int:
        return len(self.labels)

    def images(self, rows) -> np.ndarray:
        """Images (n, C, H, W) float32 of ``rows`` (a slice or an integer array of rows), read only for them."""
        if hasattr(self.inputs, "images"):
            return self.inputs.images(rows)
        flat = np.asarray(self.inputs[rows], np.float32)
        return flat.reshape(len(flat), *self.image_shape)


def load_dataset(name: str, split: str = "test", *, data_dir: str | Path | None = None, download: bool = False,
                 limit: int | None = None, sample: int | None = None, seed: int = 0) -> Dataset:
    """Load the selection ``split`` / ``limit`` / ``sample`` of dataset ``name`` (see the module docstring).

    Parameters
    ----------
    name : str
        ``digits``, ``mnist``, ``shapes``, ``dsprites``, ``shapes3d``, ``mpi3d`` or ``npz:PATH``.
    split : str
        ``train``, ``test`` (seeded 80/20) or ``all``.
    data_dir : str or Path, optional
        ``mnist``: where ``MNIST/raw`` is (default ``~/.cache/latentnav``). ``dsprites``/``shapes3d``/``mpi3d``:
        the directory holding the official file, or the file itself.
    download : bool
        ``mnist`` only: fetch it when missing.
    limit, sample : int, optional
        Keep the first ``limit`` rows of the split, or a seeded random ``sample`` of them (exclusive; both at
        most the split's size, larger values keep every row).
    seed : int
        Seed of ``sample``.
    """
    check_dataset_name(name)
    if split not in SPLITS:
        raise ParameterError("split", f"is unknown; choose {', '.join(SPLITS)}", value=split)
    for param, value in (("limit", limit), ("sample", sample)):
        if value is not None and (isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1):
            raise ParameterError(param, f"must be a whole number >= 1, got {value!r}")
    if limit is not None and sample is not None:
        raise ParameterError("limit", "and {sample} exclude each other; give one")
    origin = {"name": name, "split": split, "data_dir": None if data_dir is None else str(data_dir),
              "limit": limit, "sample": sample, "seed": int(seed)}
    if is_file_dataset(name):
        data = _file_dataset(name, split, data_dir, limit, sample, seed)
    else:
        data = _builtin(name, split, data_dir, download)
        rows = select_rows(np.arange(len(data)), limit, sample, seed)
        if len(rows) != len(data):
            data = _take(data, rows)
    return replace(data, origin={**origin, "path": data.origin.get("path")})


def check_dataset_name(name: str) -> str:
    """``name`` if it is a known dataset (or ``npz:PATH``), else a :class:`ParameterError`."""
    if not isinstance(name, str) or not (name in BUILTIN or is_file_dataset(name)):
        raise ParameterError("dataset", f"is unknown; choose one of {', '.join(DATASETS)} or {NPZ_PREFIX}PATH",
                             value=name)
    return name


def select_rows(index: np.ndarray, limit: int | None, sample: int | None, seed: int) -> np.ndarray:
    """Rows (n,) int64 of ``index`` (N,) to keep: all, the first ``limit``, or a sorted seeded ``sample``."""
    n = len(index)
    if limit is not None:
        return np.arange(min(limit, n), dtype=np.int64)
    if sample is not None and sample < n:
        return np.sort(np.random.default_rng(seed).choice(n, size=sample, replace=False)).astype(np.int64)
    return np.arange(n, dtype=np.int64)


def split_indices(n: int, split: str) -> np.ndarray:
    """Sorted indices (n_split,) of ``split`` in a fixed seeded 80/20 permutation of ``n`` items (``all``: every one)."""
    if split == "all":
        return np.arange(n, dtype=np.int64)
    order = np.random.RandomState(SPLIT_SEED).permutation(n)
    n_test = int(np.ceil(TEST_FRACTION * n))
    return np.sort(order[:n_test] if split == "test" else order[n_test:]).astype(np.int64)


def _builtin(name: str, split: str, data_dir, download: bool) -> Dataset:
    if name == "digits":
        inputs, labels = _digits_all()
        return _split(name, split, inputs, labels)
    if name == "shapes":
        from latentnav.data.shapes import ShapesGrid, render_shapes

        images, factors, names, sizes = render_shapes()
        data = _split(name, split, images.reshape(len(images), -1), factors[:, 0].copy(), factors, names, sizes)
        return replace(data, grid=ShapesGrid())
    return _mnist(split, Path(data_dir) if data_dir is not None else DEFAULT_MNIST_DIR, download)


def _split(name, split, inputs, labels, factors=None, names=None, sizes=None) -> Dataset:
    idx = split_indices(len(labels), split)
    return Dataset(
        name, split, np.ascontiguousarray(inputs[idx]), labels[idx].astype(np.int64),
        factors=None if factors is None else factors[idx], factor_names=names, factor_sizes=sizes,
    )


def _take(data: Dataset, rows: np.ndarray) -> Dataset:
    """The rows ``rows`` of an in-memory dataset."""
    return replace(data, inputs=np.ascontiguousarray(data.inputs[rows]), labels=data.labels[rows],
                   factors=None if data.factors is None else data.factors[rows], index=data.index[rows])


def _file_dataset(name: str, split: str, data_dir, limit, sample, seed) -> Dataset:
    from latentnav.data.filegrid import file_grid
    from latentnav.data.images import LazyImages

    source, path = open_file_dataset(name, data_dir)
    index = split_indices(len(source), split)
    index = index[select_rows(index, limit, sample, seed)]
    factors = None if source.factors is None else np.asarray(source.factors)[index]
    return Dataset(
        name, split, LazyImages(source, index), source_labels(source)[index],
        image_shape=tuple(int(s) for s in source.image_shape), factors=factors,
        factor_names=None if source.factor_names is None else tuple(source.factor_names),
        factor_sizes=None if source.factor_sizes is None else tuple(int(s) for s in source.factor_sizes),
        grid=file_grid(source), index=index, origin={"path": str(path)},
    )


def _digits_all() -> tuple[np.ndarray, np.ndarray]:
    import torch
    import torch.nn.functional as F
    from sklearn.datasets import load_digits

    bunch = load_digits()
    small = torch.from_numpy(bunch.images.astype(np.float32) / 16.0)[:, None]  # (1797, 1, 8, 8)
    big = F.interpolate(small, size=IMAGE_SHAPE[1:], mode="bilinear", align_corners=False).clamp_(0.0, 1.0)
    return big.reshape(len(big), -1).numpy(), bunch.target.astype(np.int64)


def _mnist(split: str, data_dir: Path, download: bool) -> Dataset:
    """torchvision's test (``train=False``) or train part; ``all`` is train followed by test."""
    from torchvision.datasets import MNIST

    parts = []
    for train in ((True, False) if split == "all" else (split == "train",)):
        try:
            parts.append(MNIST(str(data_dir), train=train, download=download))
        except RuntimeError as exc:  # torchvision: "Dataset not found. You can use download=True ..."
            raise LatentnavError(
                f"MNIST not found under {data_dir / 'MNIST' / 'raw'} ({exc}); pass --download to fetch it, "
                f"or --data-dir DIR where DIR/MNIST/raw holds the IDX files"
            ) from None
    images = np.concatenate([ds.data.numpy() for ds in parts])
    labels = np.concatenate([ds.targets.numpy() for ds in parts]).astype(np.int64)
    return Dataset("mnist", split, images.reshape(len(images), -1).astype(np.float32) / 255.0, labels)


def load_again(origin: dict) -> Dataset:
    """The selection a :attr:`Dataset.origin` (as a store records it) describes, loaded again."""
    return load_dataset(**{k: v for k, v in origin.items() if k in ("name", "split", "data_dir", "limit", "sample",
                                                                     "seed")})
