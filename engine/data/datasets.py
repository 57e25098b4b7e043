"""One interface to the datasets: :func:`load_dataset` returns a :class:`Dataset` record.

- ``digits``: scikit-learn's 1797 8x8 digits (embedded, offline), scaled to [0, 1] and resized to 28x28
  with bilinear interpolation; a fixed seeded 80/20 split, each split kept in the original order.
- ``mnist``: torchvision's MNIST (``train=False`` is the test split), read from ``data_dir``; fetched
  only with ``download=True``.
- ``shapes``: generated procedurally (see :mod:`latentnav.data.shapes`), with ground-truth factors.
"""

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from latentnav.errors import LatentnavError, ParameterError

DATASETS = ("digits", "mnist", "shapes")
SPLITS = ("train", "test")
IMAGE_SHAPE = (1, 28, 28)  # (C, H, W)
SPLIT_SEED = 0
TEST_FRACTION = 0.2
DEFAULT_MNIST_DIR = Path.home() / ".cache" / "latentnav"


@dataclass(frozen=True)
class Dataset:
    """A dataset split as flat arrays.

    Attributes
    ----------
    name, split : str
        Dataset name and split (``train`` or ``test``).
    inputs : ndarray of shape (N, C*H*W), float32 in [0, 1]
        Flattened images.
    labels : ndarray of shape (N,), int64
        Class labels.
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
        metrics, when every factor combination exists (``shapes``).
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

    def __len__(self) -> int:
        return len(self.labels)


def load_dataset(name: str, split: str = "test", *, data_dir: str | Path | None = None, download: bool = False) -> Dataset:
    """Load dataset ``name`` (``digits``, ``mnist`` or ``shapes``), split ``train`` or ``test``.

    ``data_dir`` and ``download`` matter for ``mnist`` only.
    """
    if name not in DATASETS:
        raise ParameterError("dataset", f"is unknown; choose one of {', '.join(DATASETS)}", value=name)
    if split not in SPLITS:
        raise ParameterError("split", "is unknown; choose train or test", value=split)
    if name == "digits":
        inputs, labels = _digits_all()
        return _split(name, split, inputs, labels)
    if name == "shapes":
        from dataclasses import replace

        from latentnav.data.shapes import ShapesGrid, render_shapes

        images, factors, names, sizes = render_shapes()
        data = _split(name, split, images.reshape(len(images), -1), factors[:, 0].copy(), factors, names, sizes)
        return replace(data, grid=ShapesGrid())
    return _mnist(split, Path(data_dir) if data_dir is not None else DEFAULT_MNIST_DIR, download)


def split_indices(n: int, split: str) -> np.ndarray:
    """Sorted indices (n_split,) of ``split`` in a fixed seeded 80/20 permutation of ``n`` items."""
    order = np.random.RandomState(SPLIT_SEED).permutation(n)
    n_test = int(np.ceil(TEST_FRACTION * n))
    return np.sort(order[:n_test] if split == "test" else order[n_test:])


def _split(name, split, inputs, labels, factors=None, names=None, sizes=None) -> Dataset:
    idx = split_indices(len(labels), split)
    return Dataset(
        name, split, np.ascontiguousarray(inputs[idx]), labels[idx].astype(np.int64),
        factors=None if factors is None else factors[idx], factor_names=names, factor_sizes=sizes,
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
    from torchvision.datasets import MNIST

    try:
        ds = MNIST(str(data_dir), train=(split == "train"), download=download)
    except RuntimeError as exc:  # torchvision: "Dataset not found. You can use download=True ..."
        raise LatentnavError(
            f"MNIST not found under {data_dir / 'MNIST' / 'raw'} ({exc}); pass --download to fetch it, "
            f"or --data-dir DIR where DIR/MNIST/raw holds the IDX files"
        ) from None
    inputs = ds.data.numpy().reshape(len(ds.data), -1).astype(np.float32) / 255.0
    return Dataset("mnist", split, inputs, ds.targets.numpy().astype(np.int64))
