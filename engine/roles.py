"""A role for every (input, dimension) from its traversal's effects, and how consistent each dimension is.

Roles, decided in this order for the S images of one input's traversal along one dimension:

1. ``no effect``: the largest pixel change against the reconstruction stays below ``no_effect``
   (mean absolute change, in [0, 1]).
2. ``identity``: the class changes: among the steps whose class probability is at least ``min_confidence``,
   two or more classes appear. The transition is the sequence of those classes with repeats removed ("5→9").
3. ``stroke/rotation``: the class is kept, but the slant range along the traversal exceeds ``slant``
   (pixels of x per pixel of y) or the stroke thickness range exceeds ``thickness`` times its median.
4. ``refinement``: the class is kept and the image changes otherwise (shape or confidence).

Per dimension over all inputs: the modal role, the share of inputs that have it (consistency), the entropy
of the role distribution (bits; 0 = every input agrees, 2 = the four roles equally often) and the shares.
"""

from dataclasses import asdict, dataclass

import numpy as np

from engine.morphometrics import MEASURES
from models.errors import LatentnavError

ROLES = ("no effect", "identity", "stroke/rotation", "refinement")
NO_EFFECT, IDENTITY, STROKE, REFINEMENT = range(4)
ARROW = "→"


@dataclass(frozen=True)
class RoleThresholds:
    """Thresholds of :func:`assign_roles` (defaults justified in README, "Roles"); validated on construction."""

    no_effect: float = 0.02
    min_confidence: float = 0.5
    slant: float = 0.1
    thickness: float = 0.2

    def __post_init__(self):
        for name, value in asdict(self).items():
            if not value >= 0:
                raise LatentnavError(f"role threshold {name} must be >= 0, got {value}")
        if self.min_confidence > 1:
            raise LatentnavError(f"role threshold min_confidence must be <= 1, got {self.min_confidence}")


def transition(classes: np.ndarray, probs: np.ndarray, min_confidence: float) -> list[int]:
    """Confident classes (S,) along one traversal with consecutive repeats removed."""
    sequence: list[int] = []
    for c, p in zip(classes.tolist(), probs.tolist()):
        if p >= min_confidence and c >= 0 and (not sequence or sequence[-1] != c):
            sequence.append(c)
    return sequence


def assign_roles(effects: dict, thresholds: RoleThresholds = RoleThresholds()) -> tuple[np.ndarray, np.ndarray]:
    """Role and transition of every (input, dim).

    Parameters
    ----------
    effects : dict
        ``pixel_change`` (n, D, S), ``classes`` (n, D, S), ``class_prob`` (n, D, S), ``morphometrics`` (n, D, S, M).
    thresholds : RoleThresholds

    Returns
    -------
    roles : ndarray (n, D) int8
        Index into :data:`ROLES`.
    transitions : ndarray (n, D) object
        "5→9" style strings for ``identity``, "" otherwise.
    """
    change, classes, probs = effects["pixel_change"], effects["classes"], effects["class_prob"]
    morph = effects["morphometrics"]
    slant = morph[..., MEASURES.index("slant")]
    thick = morph[..., MEASURES.index("thickness")]
    slant_range = slant.max(axis=-1) - slant.min(axis=-1)
    thick_range = (thick.max(axis=-1) - thick.min(axis=-1)) / np.maximum(np.median(thick, axis=-1), 1e-6)
    n, d = change.shape[:2]
    roles = np.full((n, d), REFINEMENT, dtype=np.int8)
    transitions = np.full((n, d), "", dtype=object)
    for i in range(n):
        for j in range(d):
            if change[i, j].max() < thresholds.no_effect:
                roles[i, j] = NO_EFFECT
                continue
            seq = transition(classes[i, j], probs[i, j], thresholds.min_confidence)
            if len(set(seq)) >= 2:
                roles[i, j] = IDENTITY
                transitions[i, j] = ARROW.join(str(c) for c in seq)
            elif slant_range[i, j] > thresholds.slant or thick_range[i, j] > thresholds.thickness:
                roles[i, j] = STROKE
    return roles, transitions


@dataclass(frozen=True)
class DimensionSummary:
    """How one latent dimension behaves across inputs."""

    dim: int
    modal_role: str
    consistency: float
    entropy_bits: float
    role_shares: dict
    modal_transition: str
    mean_max_change: float


def summarize_dimensions(roles: np.ndarray, transitions: np.ndarray, change: np.ndarray,
                         dims: list[int]) -> list[DimensionSummary]:
    """Per dimension over all inputs: modal role, consistency, entropy, shares, most common transition.

    ``roles`` (n, D), ``transitions`` (n, D), ``change`` (n, D, S) pixel change, ``dims`` the D dimension ids.
    """
    out = []
    for j, dim in enumerate(dims):
        counts = np.bincount(roles[:, j], minlength=len(ROLES)).astype(np.float64)
        shares = counts / counts.sum()
        modal = int(np.argmax(counts))
        nonzero = shares[shares > 0]
        entropy = float(-(nonzero * np.log2(nonzero)).sum()) + 0.0
        ids = transitions[roles[:, j] == IDENTITY, j]
        values, freq = np.unique(ids.astype(str), return_counts=True) if len(ids) else (np.array([""]), np.array([0]))
        out.append(DimensionSummary(
            dim=int(dim), modal_role=ROLES[modal], consistency=float(shares[modal]), entropy_bits=entropy,
            role_shares={r: float(v) for r, v in zip(ROLES, shares)}, modal_transition=str(values[np.argmax(freq)]),
            mean_max_change=float(change[:, j].max(axis=-1).mean()),
        ))
    return out
