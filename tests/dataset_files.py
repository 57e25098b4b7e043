"""Small files in exactly the official formats of dSprites, 3dshapes and MPI3D, and npz files, for tests.

Images depend on their factors (so a model has something to learn and traversals move something), and each
image carries its file index in pixels: dSprites in the bits of row 0 (columns 0-7, plus 8-15 for the high byte),
the colour sets in pixel (0, 0) (red = i % 256, green = i // 256). :func:`file_index_of` reads it back.
"""

import colorsys

import h5py
import numpy as np

DSPRITES_NAME = "dsprites_ndarray_co1sh3sc6or40x32y32_64x64.npz"
DSPRITES_SIZES = (1, 3, 2, 4, 3, 3)  # color constant, as in the real file: 216 images
SHAPES3D_VALUES = (np.linspace(0, 0.9, 10)[[0, 4]], np.linspace(0, 0.9, 10)[[2, 7]], np.linspace(0, 0.9, 10)[[1, 6]],
                   np.linspace(0.75, 1.25, 8)[[0, 7]], np.arange(4.0)[[0, 2]], np.linspace(-30, 30, 15)[[0, 7, 14]])
SHAPES3D_SIZES = tuple(len(v) for v in SHAPES3D_VALUES)  # 96 images
MPI3D_SIZES = (6, 6, 2, 3, 3, 40, 40)


class Trap:
    """Unpickling this creates ``marker``: proof that something unpickled a file's ``metadata``."""

    def __init__(self, marker):
        self.marker = str(marker)

    def __reduce__(self):
        return open, (self.marker, "w")


def _square(size, cx, cy, shape):
    """A (64, 64) bool mask: square (0), diamond (1) or disc (2) of half-size ``size`` at (cx, cy)."""
    y, x = np.mgrid[:64, :64]
    dx, dy = np.abs(x - cx), np.abs(y - cy)
    if shape == 0:
        return (dx <= size) & (dy <= size)
    if shape == 1:
        return dx + dy <= size * 1.4
    return dx ** 2 + dy ** 2 <= size ** 2


def dsprites_arrays(sizes=DSPRITES_SIZES):
    """imgs (N, 64, 64) uint8 0/1, latents_classes (N, 6) int64, latents_values (N, 6) float64, full grid."""
    n = int(np.prod(sizes))
    classes = np.stack(np.unravel_index(np.arange(n), sizes), axis=1).astype(np.int64)
    imgs = np.zeros((n, 64, 64), np.uint8)
    for i, (_, shape, scale, _, px, py) in enumerate(classes):
        imgs[i] = _square(6 + 5 * scale, 16 + 14 * px, 18 + 14 * py, shape)
    imgs[:, 0, :16] = (np.arange(n)[:, None] >> np.arange(16)) & 1
    return imgs, classes, classes.astype(np.float64) / 3.0


def write_dsprites(path, marker=None, compressed=False, **override):
    """The official dSprites npz at ``path`` (``metadata`` a pickled dict holding a :class:`Trap` on ``marker``)."""
    imgs, classes, values = dsprites_arrays()
    arrays = dict(imgs=imgs, latents_classes=classes, latents_values=values,
                  metadata=np.array({"description": "dSprites", "trap": Trap(marker or f"{path}.unpickled")},
                                    dtype=object))
    arrays.update(override)
    (np.savez_compressed if compressed else np.savez)(path, **{k: v for k, v in arrays.items() if v is not None})
    return path


def _colour_images(classes, hue_columns, scale_column, shape_column):
    """(N, 64, 64, 3) uint8: floor, wall and object coloured by their hues; the index in pixel (0, 0)."""
    n = len(classes)
    images = np.zeros((n, 64, 64, 3), np.uint8)
    for i, row in enumerate(classes):
        floor, wall, obj = (np.array(colorsys.hsv_to_rgb(0.31 * row[c] + 0.1 * k, 0.8, 0.9)) * 255
                            for k, c in enumerate(hue_columns))
        images[i, 40:], images[i, :40] = floor, wall
        images[i, _square(6 + 6 * row[scale_column], 32, 36, row[shape_column] % 3)] = obj
    images[:, 0, 0, 0], images[:, 0, 0, 1] = np.arange(n) % 256, np.arange(n) // 256
    return images


def shapes3d_arrays():
    """images (N, 64, 64, 3) uint8, labels (N, 6) float64 (the official values, cut short), classes (N, 6)."""
    n = int(np.prod(SHAPES3D_SIZES))
    classes = np.stack(np.unravel_index(np.arange(n), SHAPES3D_SIZES), axis=1).astype(np.int64)
    labels = np.stack([SHAPES3D_VALUES[k][classes[:, k]] for k in range(6)], axis=1)
    return _colour_images(classes, (0, 1, 2), 3, 4), labels, classes


def write_shapes3d(path, images=None, labels=None, skip=(), chunk_rows=8):
    """The official 3dshapes.h5 at ``path`` (gzip-chunked images, ``chunk_rows`` a chunk, as published).

    ``images``/``labels`` default to :func:`shapes3d_arrays`; names in ``skip`` are left out.
    """
    a_images, a_labels, _ = shapes3d_arrays()
    with h5py.File(path, "w") as f:
        if "images" not in skip:
            data = a_images if images is None else images
            f.create_dataset("images", data=data, chunks=(chunk_rows, *data.shape[1:]), compression="gzip")
        if "labels" not in skip:
            f.create_dataset("labels", data=a_labels if labels is None else labels)
    return path


def mpi3d_arrays(n=120, seed=1):
    """A subset of the MPI3D grid: images (n, 64, 64, 3) uint8 and factors (n, 7) int64, distinct rows."""
    rows = np.random.default_rng(seed).choice(int(np.prod(MPI3D_SIZES)), size=n, replace=False)
    factors = np.stack(np.unravel_index(rows, MPI3D_SIZES), axis=1).astype(np.int64)
    return _colour_images(factors, (0, 4, 3), 2, 1), factors


def write_mpi3d(path, n=120, **override):
    """An MPI3D subset npz (``images`` and ``factors``) at ``path``."""
    images, factors = mpi3d_arrays(n)
    arrays = dict(images=images, factors=factors)
    arrays.update(override)
    np.savez(path, **{k: v for k, v in arrays.items() if v is not None})
    return path


def write_npz(path, n=64, channels=3, layout="NHWC", with_labels=True):
    """An npz of uint8 images (n, 64, 64[, 3]) with factors (n, 2), factor_names and labels."""
    classes = np.stack(np.unravel_index(np.arange(n), (4, n // 4)), axis=1).astype(np.int64)
    rgb = _colour_images(np.column_stack([classes[:, 0], classes[:, 1] % 3, classes[:, 1] % 2, classes[:, 0] % 2,
                                          classes[:, 1] % 3]), (0, 1, 2), 3, 4)
    images = rgb if channels == 3 else rgb.mean(axis=3).astype(np.uint8)
    if layout == "NCHW" and channels == 3:
        images = images.transpose(0, 3, 1, 2)
    arrays = dict(images=np.ascontiguousarray(images), factors=classes, factor_names=np.array(["row", "col"]))
    if with_labels:
        arrays["labels"] = classes[:, 0]
    np.savez(path, **arrays)
    return path


def file_index_of(images: np.ndarray, binary: bool = False) -> np.ndarray:
    """The file index written in (n, C, 64, 64) images in [0, 1] (``binary``: dSprites' row-0 bits)."""
    if binary:
        return (np.rint(images[:, 0, 0, :16]).astype(np.int64) << np.arange(16)).sum(axis=1)
    pixel = np.rint(images[:, :2, 0, 0] * 255).astype(np.int64)
    return pixel[:, 0] + 256 * pixel[:, 1]


def write_dataset_folder(root, mpi3d=True):
    """A --data-dir holding every official format (dSprites, 3dshapes, MPI3D subset) and ``colour.npz``.

    Unpickling dSprites' ``metadata`` would create ``root / "unpickled.marker"``.
    """
    write_dsprites(root / DSPRITES_NAME, marker=root / "unpickled.marker")
    write_shapes3d(root / "3dshapes.h5")
    if mpi3d:
        write_mpi3d(root / "mpi3d_toy.npz")
    write_npz(root / "colour.npz")
    return root
