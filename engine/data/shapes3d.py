"""3dshapes from the official ``3dshapes.h5``, images read lazily with h5py.

The official file holds the datasets ``images`` (480000, 64, 64, 3) uint8 and ``labels`` (480000, 6) float64, the
factor values floor_hue, wall_hue, object_hue, scale, shape, orientation. The class of a value is its index among
its column's sorted distinct values (values are rounded to 6 decimals first, so float noise does not split a class).

Memory: opening reads ``labels`` only (480000 x 6 float64 = 23 MB, plus 23 MB of int64 classes); the 5.9 GB of
images stay in the file. :meth:`H5Source.read` opens the file, reads the storage chunks that hold the requested
rows (each once, runs of consecutive chunks as one slice: :func:`latentnav.data.gather.read_by_chunks`, much
faster than an h5py point selection on compressed chunks), then reorders and repeats the rows as asked. The source
keeps no open handle, so it pickles.
"""

from dataclasses import dataclass

import h5py
import numpy as np

from latentnav.data.gather import as_indices, gather, to_nchw_float
from latentnav.data.npzfile import check_array, file_error
from latentnav.data.source import factor_classes
from latentnav.errors import LatentnavError

FILENAME = "3dshapes.h5"
FACTOR_NAMES = ("floor_hue", "wall_hue", "object_hue", "scale", "shape", "orientation")
HINT = f"pass the official 3dshapes file {FILENAME} (HDF5 datasets images, labels), downloaded again if damaged"
DECIMALS = 6


@dataclass(frozen=True, eq=False)
class H5Source:
    """An :class:`~latentnav.data.source.ImageSource` over the ``images`` dataset of an HDF5 file (N, H, W, 3) uint8.

    Attributes
    ----------
    path : str
    n : int
        Number of images N.
    image_shape : tuple of int
        ``(3, H, W)``.
    factors : ndarray of shape (N, K), int64
    factor_names : tuple of str
    factor_sizes : tuple of int
    name : str
        ``shapes3d``.
    labels : None
        The file has factors, not class labels.
    """

    path: str
    n: int
    image_shape: tuple[int, int, int]
    factors: np.ndarray
    factor_names: tuple[str, ...]
    factor_sizes: tuple[int, ...]
    name: str = "shapes3d"
    labels: np.ndarray | None = None

    def __len__(self) -> int:
        return self.n

    def read(self, indices) -> np.ndarray:
        """Images at file ``indices`` (n,) as (n, 3, H, W) float32 = uint8 / 255; reads only those rows."""
        idx = as_indices(indices, self.n)
        if not idx.size:
            return np.zeros((0, *self.image_shape), np.float32)
        try:
            with h5py.File(self.path, "r") as f:
                images = f["images"]
                block = gather(images, idx, chunk_rows=images.chunks[0] if images.chunks else 1)
        except (OSError, KeyError, ValueError, RuntimeError) as err:
            raise file_error(self.path, f"dataset 'images' cannot be read any more ({type(err).__name__}: {err})",
                             HINT) from None
        return to_nchw_float(block, "NHWC", 255.0)


def open_shapes3d(path) -> H5Source:
    """Open the official 3dshapes HDF5 file at ``path``.

    Parameters
    ----------
    path : str or Path

    Returns
    -------
    H5Source
        ``image_shape=(3, 64, 64)``; ``factors`` (N, 6) int64 class indices of the float ``labels``, with
        ``factor_names`` floor_hue, wall_hue, object_hue, scale, shape, orientation and ``factor_sizes`` the
        number of distinct values of each.

    Raises
    ------
    LatentnavError
        The file is missing, not HDF5, truncated, lacks ``images`` or ``labels``, or one has the wrong shape or
        dtype, or the labels are not finite.
    """
    path = str(path)
    try:
        with h5py.File(path, "r") as f:
            images, labels = _dataset(f, path, "images"), _dataset(f, path, "labels")
            check_array(images, path, "images", HINT, shape=("N", 64, 64, 3), dtypes=("uint8",), dtype_text="uint8")
            check_array(labels, path, "labels", HINT, shape=(images.shape[0], 6), dtypes=("f",),
                        dtype_text="a float dtype (float64)")
            n, values = images.shape[0], labels[()]
    except LatentnavError:
        raise
    except FileNotFoundError:
        raise file_error(path, "does not exist", f"check the path; {HINT}") from None
    except IsADirectoryError:
        raise file_error(path, "is a directory, not an HDF5 file", HINT) from None
    except (OSError, KeyError, ValueError, TypeError, RuntimeError) as err:
        raise file_error(path, f"is not a readable HDF5 file: it is another kind of file or it is truncated "
                         f"({type(err).__name__}: {err})", HINT) from None
    if not np.isfinite(values).all():
        raise file_error(path, "dataset 'labels' has NaN or infinite values; expected the factor values", HINT)
    factors, sizes = factor_classes(np.round(values, DECIMALS))
    return H5Source(path=path, n=int(n), image_shape=(3, 64, 64), factors=factors, factor_names=FACTOR_NAMES,
                    factor_sizes=sizes)


def _dataset(f: h5py.File, path: str, key: str) -> h5py.Dataset:
    obj = f.get(key)
    if not isinstance(obj, h5py.Dataset):
        have = ", ".join(sorted(f.keys())) or "none"
        raise file_error(path, f"has no dataset '{key}' (its top-level entries: {have})", HINT)
    return obj
