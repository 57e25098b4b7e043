"""Any npz of images: ``images`` with optional ``factors``, ``factor_names`` and ``labels``.

Layout of ``images``: (N, H, W) is grayscale; a 4-D array is channel-last (N, H, W, C) when its last axis has size 1
or 3 and channel-first (N, C, H, W) when its second axis has. When both have (say (N, 3, 8, 3)) it is ambiguous: uint8
and bool images are taken as channel-last, the way image files and ``PIL``/``imageio`` arrays are stored; float images
as channel-first, the way ``torch`` tensors are saved.

Values: uint8 0-255 (divided by 255), uint8 or bool holding only 0/1 (binary images like dSprites: taken as 0.0/1.0,
not divided), or float in [0, 1]. The convention is decided from the data: opening scans ``images`` once in chunks
of ~64 MB for its minimum and maximum (a uint8 array whose maximum is <= 1 is binary).

Memory: an uncompressed ``images`` member stays in the file (:class:`~latentnav.data.npyrows.NpyRows`) and ``read``
reads only the requested images (the opening scan streams it once, 64 MB at a time); a
compressed one (``np.savez_compressed``) is loaded whole on opening. ``factors`` and ``labels`` are loaded.
"""

import numpy as np

from latentnav.data.npzfile import check_array, file_error, npz_arrays
from latentnav.data.source import ArraySource, factor_classes

HINT = ("pass an npz with key images (N, H, W), (N, H, W, C) or (N, C, H, W), C = 1 or 3, uint8 or float in "
        "[0, 1], and optionally factors (N, K) int, factor_names (K,) str, labels (N,) int")
CHUNK_BYTES = 64 * 2**20


def image_layout(shape: tuple[int, ...], dtype: np.dtype) -> str | None:
    """``NHW``, ``NHWC`` or ``NCHW`` for an images array of ``shape``, or None when it is not an image stack."""
    if len(shape) == 3:
        return "NHW"
    if len(shape) != 4:
        return None
    last, first = shape[3] in (1, 3), shape[1] in (1, 3)
    if last and first:
        return "NHWC" if dtype.kind in "ub" else "NCHW"
    return "NHWC" if last else "NCHW" if first else None


def value_range(images: np.ndarray) -> tuple[float, float, bool]:
    """Minimum, maximum and whether all values are finite, scanning (N, ...) ``images`` in chunks of rows."""
    row_bytes = max(images[0].nbytes, 1) if len(images) else 1
    step = max(CHUNK_BYTES // row_bytes, 1)
    low, high, finite = np.inf, -np.inf, True
    for start in range(0, len(images), step):
        chunk = np.asarray(images[start:start + step])
        if chunk.size:
            if chunk.dtype.kind == "f":
                finite = finite and bool(np.isfinite(chunk).all())
            low, high = min(low, float(chunk.min())), max(high, float(chunk.max()))
    return low, high, finite


def open_npz(path) -> ArraySource:
    """Open an npz of images at ``path``.

    Parameters
    ----------
    path : str or Path

    Returns
    -------
    ArraySource
        ``name="npz"``, ``image_shape`` (C, H, W); ``read`` gives float32 in [0, 1]. ``factors`` (N, K) int64, the
        class index of each value among its column's distinct values, ``factor_sizes`` their numbers and
        ``factor_names`` the file's (``factor0``, ``factor1``, ... when it has none), or all three None without
        ``factors``; ``labels`` (N,) int64 or None.

    Raises
    ------
    LatentnavError
        The file is missing, not an npz, truncated, lacks ``images``, a key has the wrong shape or dtype, the
        values are outside the conventions above, or a key holds pickled objects.
    """
    path = str(path)
    arrays = npz_arrays(path, HINT, required=("images",), optional=("factors", "factor_names", "labels"),
                        lazy=("images",))
    images = arrays["images"]
    layout = image_layout(images.shape, images.dtype)
    if layout is None:
        raise file_error(path, f"key 'images' has shape {images.shape}; expected (N, H, W), (N, H, W, C) or "
                         "(N, C, H, W) with C = 1 or 3", HINT)
    check_array(images, path, "images", HINT, shape=("N",) * images.ndim, dtypes=("uint8", "b", "f"),
                dtype_text="uint8, bool or a float dtype")
    n = len(images)
    low, high, finite = value_range(images)
    if not finite or (images.dtype.kind == "f" and n and (low < 0 or high > 1)):
        raise file_error(path, f"key 'images' is float with values in [{low}, {high}]; expected values in [0, 1] "
                         "(save uint8 0-255, or divide by 255 before saving)", HINT)
    divide_by = 255.0 if images.dtype == np.uint8 and high > 1 else 1.0
    factors = names = sizes = labels = None
    if "factors" in arrays:
        check_array(arrays["factors"], path, "factors", HINT, shape=(n, "K"), dtypes=("i", "u"),
                    dtype_text="an integer dtype")
        factors, sizes = factor_classes(np.asarray(arrays["factors"]))
        names = tuple(f"factor{k}" for k in range(factors.shape[1]))
        if "factor_names" in arrays:
            given = arrays["factor_names"]
            check_array(given, path, "factor_names", HINT, shape=(factors.shape[1],), dtypes=("U", "S"),
                        dtype_text="a string dtype")
            names = tuple(v.decode() if isinstance(v, bytes) else str(v) for v in given.tolist())
    elif "factor_names" in arrays:
        raise file_error(path, "has key 'factor_names' but no key 'factors'; expected factors (N, K) int with them",
                         HINT)
    if "labels" in arrays:
        check_array(arrays["labels"], path, "labels", HINT, shape=(n,), dtypes=("i", "u"),
                    dtype_text="an integer dtype")
        labels = np.asarray(arrays["labels"]).astype(np.int64)
    return ArraySource(images=images, layout=layout, divide_by=divide_by, name="npz", path=path, factors=factors,
                       factor_names=names, factor_sizes=sizes, labels=labels)
