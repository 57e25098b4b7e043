"""The article's traversal figures, drawn from stored images (no recompute).

- :func:`strip_figure`: one dimension, 1 x S panels titled with the value (one decimal), grey, axes off,
  titled "Latent Traversal: Dimension d+1" (1-based in titles, as the article).
- :func:`grid_figure`: every traversed dimension, D x S panels, rows labelled ``z[d]``, titled
  "Latent Traversal for MNIST Autoencoder" (the article's title; pass another for other data).
- :func:`traversal_gif`: frame s shows every dimension at step s as a mosaic, going up and back.

Images are (..., C, H, W) with C = 1 (grey, the article's colormap) or 3 (RGB). Figures are
:class:`matplotlib.figure.Figure` objects, made without pyplot, so importing this module leaves the user's
matplotlib backend (e.g. inline plots in a notebook) alone.
"""

from pathlib import Path

import numpy as np
from matplotlib.figure import Figure
from matplotlib.patches import Rectangle
from PIL import Image

from latentnav.files import atomic_path

ARTICLE_GRID_TITLE = "Latent Traversal for MNIST Autoencoder"


def as_pictures(images: np.ndarray) -> np.ndarray:
    """Images (..., C, H, W), uint8 or float in [0, 1], as float pictures for imshow: (..., H, W) or (..., H, W, 3)."""
    pictures = images.astype(np.float32) / 255.0 if images.dtype == np.uint8 else np.clip(images, 0, 1)
    return pictures[..., 0, :, :] if pictures.shape[-3] == 1 else np.moveaxis(pictures, -3, -1)


def show(ax, picture: np.ndarray) -> None:
    """Draw one picture (H, W) in the article's grey colormap, or (H, W, 3) in colour."""
    ax.imshow(picture, cmap="gray" if picture.ndim == 2 else None, vmin=0, vmax=1)


def strip_figure(images: np.ndarray, values: np.ndarray, dim: int) -> Figure:
    """The single-dimension strip.

    Parameters
    ----------
    images : ndarray of shape (S, C, H, W)
        Decoded images of one input with ``z[dim]`` at each step (uint8 or float in [0, 1]).
    values : ndarray of shape (S,)
        The values of the steps (panel titles).
    dim : int
        0-based dimension (the title shows ``dim + 1``).
    """
    steps = len(values)
    fig = Figure(figsize=(1.5 * steps, 2.0))
    axes = fig.subplots(1, steps, squeeze=False)
    for ax, picture, val in zip(axes[0], as_pictures(images), values):
        show(ax, picture)
        ax.set_title(f"{val:.1f}")
        ax.axis("off")
    fig.suptitle(f"Latent Traversal: Dimension {dim + 1}")
    fig.tight_layout()
    return fig


def grid_figure(images: np.ndarray, values: np.ndarray, dims: list[int], title: str = ARTICLE_GRID_TITLE) -> Figure:
    """The all-dimensions grid.

    Parameters
    ----------
    images : ndarray of shape (D, S, C, H, W)
    values : ndarray of shape (D, S)
        Traversal values of the D dimensions (columns are titled with the first row's values).
    dims : list of int
        The D dimensions (row labels ``z[d]``).
    title : str
    """
    n_dims, steps = images.shape[:2]
    height = max(1.2 * n_dims, 2.4)  # one dimension still leaves room for the title
    fig = Figure(figsize=(max(1.2 * steps, 4.2), height))
    axes = fig.subplots(n_dims, steps, squeeze=False)
    pictures = as_pictures(images)
    for row, dim in enumerate(dims):
        for col in range(steps):
            ax = axes[row, col]
            show(ax, pictures[row, col])
            ax.set_xticks([])
            ax.set_yticks([])
            if row == 0:
                ax.set_title(f"{values[0, col]:.1f}", fontsize=8)
            if col == 0:
                ax.set_ylabel(f"z[{dim}]", rotation=0, labelpad=18, fontsize=8)
    fig.suptitle(title)
    fig.tight_layout(rect=(0, 0, 1, 1 - 0.48 / height))
    return fig


def mosaic(images: np.ndarray, columns: int = 4, pad: int = 2) -> np.ndarray:
    """Tile images (D, H, W[, 3]) into one (rows*(H+pad)-pad, columns*(W+pad)-pad[, 3]) picture, row-major."""
    n, h, w = images.shape[:3]
    rows = -(-n // columns)
    out = np.zeros((rows * (h + pad) - pad, columns * (w + pad) - pad, *images.shape[3:]), dtype=images.dtype)
    for i, img in enumerate(images):
        r, c = divmod(i, columns)
        out[r * (h + pad):r * (h + pad) + h, c * (w + pad):c * (w + pad) + w] = img
    return out


def traversal_gif(images: np.ndarray, path: str | Path, scale: int = 4, frame_ms: int = 150) -> Path:
    """Animate every dimension's traversal: frame s is the mosaic of all D dimensions at step s.

    Parameters
    ----------
    images : ndarray of shape (D, S, C, H, W)
    path : str or Path
        GIF to write.
    scale : int
        Nearest-neighbour upscaling factor.
    frame_ms : int
        Duration of a frame.
    """
    pictures = np.round(as_pictures(images) * 255).astype(np.uint8)  # (D, S, H, W) or (D, S, H, W, 3)
    steps = pictures.shape[1]
    order = list(range(steps)) + list(range(steps - 2, 0, -1))  # up and back
    frames = [Image.fromarray(mosaic(pictures[:, s]).repeat(scale, axis=0).repeat(scale, axis=1)) for s in order]
    with atomic_path(path) as tmp:
        frames[0].save(tmp, format="GIF", save_all=True, append_images=frames[1:], duration=frame_ms, loop=0)
    return Path(path)


def hinton_figure(R: np.ndarray, factor_names: list[str], title: str = "DCI importance matrix R") -> Figure:
    """Hinton diagram of an importance matrix R (L codes x K factors), codes sorted by weight (row sum).

    Each square's area is proportional to ``R[i, j] / max(R)``; rows are labelled ``z[i]`` in the original numbering.
    """
    R = np.asarray(R, dtype=np.float64)
    order = np.argsort(-R.sum(axis=1), kind="stable")
    scale = R.max() if R.max() > 0 else 1.0
    n_codes, n_factors = R.shape
    fig = Figure(figsize=(1.0 + 0.55 * n_factors, 1.0 + 0.35 * n_codes))
    ax = fig.subplots()
    ax.set_facecolor("#e8e8e8")
    for row, code in enumerate(order):
        for col in range(n_factors):
            side = np.sqrt(R[code, col] / scale) * 0.9
            ax.add_patch(Rectangle((col - side / 2, row - side / 2), side, side, color="#1f3b73"))
    ax.set_xlim(-0.6, n_factors - 0.4)
    ax.set_ylim(n_codes - 0.4, -0.6)
    ax.set_aspect("equal")
    ax.set_xticks(range(n_factors))
    ax.set_xticklabels(factor_names, rotation=45, ha="right")
    ax.set_yticks(range(n_codes))
    ax.set_yticklabels([f"z[{c}]" for c in order])
    ax.set_xlabel("factor")
    ax.set_ylabel("code (sorted by weight)")
    ax.set_title(title)
    fig.tight_layout()
    return fig
