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

from collections.abc import Callable
from dataclasses import asdict, dataclass

import numpy as np

from latentnav.effects.morphometrics import MEASURES
from latentnav.errors import ParameterError

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
            if not (value >= 0 and np.isfinite(value)):
                raise ParameterError(name, f"(a role threshold) must be a finite number >= 0, got {value}")
        if self.min_confidence > 1:
            raise ParameterError("min_confidence", f"(a role threshold) must be <= 1, got {self.min_confidence}")


@dataclass(frozen=True)
class Role:
    """One role of the registry: its name, the article's words for it, its colour in figures and its rule.

    ``rule(features, thresholds)`` returns an (n, D) bool mask of the traversals that have this role (when no
    earlier role of :data:`ROLE_REGISTRY` claimed them). ``features`` holds (n, D) arrays: ``max_change``,
    ``n_classes`` (distinct confident classes along the traversal), ``slant_range`` and ``thickness_range``
    (relative to the median thickness; NaN for colour images, which then never match a stroke rule).
    """

    name: str
    words: str
    colour: str
    rule: Callable[[dict, RoleThresholds], np.ndarray]


# in the order they are decided; the last one takes whatever is left (adding a role is one entry here)
ROLE_REGISTRY = (
    Role("no effect", "no major impact", "#bbbbbb", lambda f, t: f["max_change"] < t.no_effect),
    Role("identity", "identity", "#d62728", lambda f, t: f["n_classes"] >= 2),
    Role("stroke/rotation", "stroke and rotation", "#1f77b4",
         lambda f, t: (f["slant_range"] > t.slant) | (f["thickness_range"] > t.thickness)),
    Role("refinement", "shape refinement or model confidence", "#2ca02c", lambda f, t: np.ones_like(f["max_change"], bool)),
)
ROLES = tuple(role.name for role in ROLE_REGISTRY)
IDENTITY = ROLES.index("identity")


def transition(classes: np.ndarray, probs: np.ndarray, min_confidence: float) -> list[int]:
    """Confident classes (S,) along one traversal with consecutive repeats removed."""
    sequence: list[int] = []
    for c, p in zip(classes.tolist(), probs.tolist()):
        if p >= min_confidence and c >= 0 and (not sequence or sequence[-1] != c):
            sequence.append(c)
    return sequence


def traversal_features(effects: dict, thresholds: RoleThresholds) -> tuple[dict, np.ndarray]:
    """The (n, D) features the role rules read, and the transitions ("5→9" strings, "" without a class change)."""
    classes, probs = effects["classes"], effects["class_prob"]
    morph = effects["morphometrics"]
    slant = morph[..., MEASURES.index("slant")]
    thick = morph[..., MEASURES.index("thickness")]
    n, d = classes.shape[:2]
    n_classes = np.zeros((n, d), dtype=np.int64)
    transitions = np.full((n, d), "", dtype=object)
    for i in range(n):
        for j in range(d):
            seq = transition(classes[i, j], probs[i, j], thresholds.min_confidence)
            n_classes[i, j] = len(set(seq))
            if n_classes[i, j] >= 2:
                transitions[i, j] = ARROW.join(str(c) for c in seq)
    features = {
        "max_change": effects["pixel_change"].max(axis=-1),
        "n_classes": n_classes,
        "slant_range": slant.max(axis=-1) - slant.min(axis=-1),
        "thickness_range": (thick.max(axis=-1) - thick.min(axis=-1)) / np.maximum(np.median(thick, axis=-1), 1e-6),
    }
    return features, transitions


def assign_roles(effects: dict, thresholds: RoleThresholds = RoleThresholds()) -> tuple[np.ndarray, np.ndarray]:
    """Role and transition of every (input, dim): the first role of :data:`ROLE_REGISTRY` whose rule holds.

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
    features, transitions = traversal_features(effects, thresholds)
    roles = np.full(features["max_change"].shape, -1, dtype=np.int8)
    with np.errstate(invalid="ignore"):  # NaN morphometrics (colour images) compare False
        for index, role in enumerate(ROLE_REGISTRY):
            roles[(roles < 0) & role.rule(features, thresholds)] = index
    transitions[roles != IDENTITY] = ""
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
