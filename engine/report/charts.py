"""Figures of the report: effect heatmap, role shares per dimension, class transitions per dimension."""

import numpy as np
from matplotlib.figure import Figure

from latentnav.effects.roles import ROLE_REGISTRY


def effect_heatmap(max_change: np.ndarray, labels: np.ndarray, dims: list[int]) -> Figure:
    """Largest pixel change of every (dimension, input): ``max_change`` (n, D), inputs sorted by label."""
    order = np.argsort(labels, kind="stable")
    fig = Figure(figsize=(10, 0.3 * len(dims) + 1.5))
    ax = fig.subplots()
    im = ax.imshow(max_change[order].T, aspect="auto", cmap="magma", interpolation="nearest")
    ax.set_yticks(range(len(dims)))
    ax.set_yticklabels([f"z[{d}]" for d in dims], fontsize=7)
    boundaries = np.nonzero(np.diff(labels[order]))[0]
    for b in boundaries:
        ax.axvline(b + 0.5, color="white", lw=0.5)
    ticks = [(np.r_[0, boundaries + 1][i] + np.r_[boundaries, len(order) - 1][i]) / 2 for i in range(len(boundaries) + 1)]
    ax.set_xticks(ticks)
    ax.set_xticklabels([str(v) for v in np.unique(labels[order])])
    ax.set_xlabel("inputs, grouped by class")
    ax.set_title("Largest mean pixel change along each traversal")
    fig.colorbar(im, ax=ax, label="mean |image - reconstruction|")
    fig.tight_layout()
    return fig


def role_shares_figure(shares: np.ndarray, dims: list[int]) -> Figure:
    """Stacked bars of the role shares (D, R) per dimension, R roles in registry order."""
    fig = Figure(figsize=(8, 0.3 * len(dims) + 1.5))
    ax = fig.subplots()
    left = np.zeros(len(dims))
    for r, role in enumerate(ROLE_REGISTRY):
        ax.barh(range(len(dims)), shares[:, r], left=left, color=role.colour, label=role.name)
        left += shares[:, r]
    ax.set_yticks(range(len(dims)))
    ax.set_yticklabels([f"z[{d}]" for d in dims], fontsize=7)
    ax.invert_yaxis()
    ax.set_xlim(0, 1)
    ax.set_xlabel("share of inputs")
    ax.set_title("Role of each dimension across inputs")
    ax.legend(loc="lower center", bbox_to_anchor=(0.5, 1.06), ncol=4, fontsize=8, frameon=False)
    fig.tight_layout()
    return fig


def transition_matrices(first: np.ndarray, last: np.ndarray, dims: list[int], n_classes: int) -> Figure:
    """Per dimension, counts of (class at the first step -> class at the last step) over inputs.

    ``first`` and ``last`` are (n, D) classes (-1 = not confident, left out).
    """
    cols = 4
    rows = -(-len(dims) // cols)
    fig = Figure(figsize=(2.4 * cols, 2.4 * rows))
    axes = fig.subplots(rows, cols, squeeze=False)
    for j, dim in enumerate(dims):
        ax = axes[j // cols, j % cols]
        counts = np.zeros((n_classes, n_classes))
        ok = (first[:, j] >= 0) & (last[:, j] >= 0)
        np.add.at(counts, (first[ok, j], last[ok, j]), 1)
        ax.imshow(np.log1p(counts), cmap="Blues")
        ax.set_title(f"z[{dim}]", fontsize=8)
        ax.set_xticks(range(n_classes))
        ax.set_yticks(range(n_classes))
        ax.tick_params(labelsize=5)
    for j in range(len(dims), rows * cols):
        axes[j // cols, j % cols].axis("off")
    fig.suptitle("Class at the first step (rows) -> class at the last step (columns), log counts")
    fig.tight_layout()
    return fig
