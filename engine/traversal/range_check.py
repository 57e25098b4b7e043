"""Range sanity: does the traversal range move a dimension's codes at all?

The article sets every ``z[d]`` to ``linspace(-3, 3, 10)``. That is a sensible range for a code of unit scale, but
an unregularised autoencoder's codes often spread much wider (the demo's have standard deviations of 6 to 14), and
then -3 .. 3 stays inside the crowd of typical codes and barely changes the decoded image. This module measures it:
per traversed dimension, the *coverage* is the half-width of the range in units of that dimension's code standard
deviation,

    coverage_d = (max_s values[d, s] - min_s values[d, s]) / 2 / std_d,

and a dimension whose coverage is below :data:`MIN_COVERAGE` (0.5, i.e. the range spans less than +-0.5 std) is
flagged. Only the ``fixed`` range mode is flagged, because the data-driven modes (``sigma``, ``minmax``,
``quantile``) size the range from the codes themselves; their coverage is still reported. A dimension whose codes do
not vary (std 0) has infinite coverage (any range moves it) and is never flagged.
"""

from dataclasses import dataclass

import numpy as np

MIN_COVERAGE = 0.5  # the range must span at least +-0.5 standard deviations of the codes
FLAGGED_MODES = ("fixed",)


@dataclass(frozen=True)
class RangeCheck:
    """The coverage of a traversal range, per traversed dimension.

    Attributes
    ----------
    mode : str
        The range mode of the grid.
    dims : tuple of int, length D
        The traversed latent indices.
    coverage : ndarray of shape (D,)
        Half-width of the range over the code standard deviation (``inf`` where the std is 0).
    std : ndarray of shape (D,)
        The code standard deviation per traversed dimension.
    flagged : tuple of int
        The traversed latent indices whose coverage is below ``threshold`` (empty unless ``mode`` is ``fixed``).
    threshold : float
    n_codes : int
        How many codes the standard deviations were computed from.
    low, high : float
        The smallest and largest traversal value over all traversed dimensions.
    """

    mode: str
    dims: tuple
    coverage: np.ndarray
    std: np.ndarray
    flagged: tuple
    threshold: float
    n_codes: int
    low: float = float("nan")
    high: float = float("nan")

    @property
    def warning(self) -> str | None:
        """One line saying which dimensions the range barely moves and what to do; ``None`` when all is well."""
        return range_warning(self)

    def to_dict(self) -> dict:
        """JSON-ready record (``coverage`` null where infinite), as stored in the store's ``range_check`` attribute."""
        return {
            "mode": self.mode, "threshold": self.threshold, "n_codes": self.n_codes, "dims": list(self.dims),
            "low": round(self.low, 6), "high": round(self.high, 6),
            "coverage": [None if not np.isfinite(c) else round(float(c), 4) for c in self.coverage],
            "std": [round(float(s), 4) for s in self.std],
            "flagged": list(self.flagged), "warning": self.warning,
        }


def range_coverage(values: np.ndarray, std: np.ndarray) -> np.ndarray:
    """Half-width of each dimension's range in units of its code standard deviation.

    Parameters
    ----------
    values : ndarray of shape (D, S)
        The traversal values of the D traversed dimensions (absolute values, or offsets in relative mode).
    std : ndarray of shape (D,)
        The standard deviation of each traversed dimension's codes.

    Returns
    -------
    coverage : ndarray of shape (D,), float64
        ``(max - min) / 2 / std``; ``inf`` where ``std`` is 0.

    Examples
    --------
    >>> range_coverage(np.array([[-3.0, 0.0, 3.0]]), np.array([10.0]))
    array([0.3])
    """
    values = np.asarray(values, dtype=np.float64)
    std = np.asarray(std, dtype=np.float64)
    if values.ndim != 2 or std.shape != (values.shape[0],):
        raise ValueError(f"values must be (D, S) and std (D,), got {values.shape} and {std.shape}")
    half = (values.max(axis=1) - values.min(axis=1)) / 2.0
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(std > 0, half / np.where(std > 0, std, 1.0), np.inf)


def check_range(values: np.ndarray, codes: np.ndarray, dims, mode: str = "fixed",
                threshold: float = MIN_COVERAGE) -> RangeCheck:
    """Measure the coverage of a traversal range against the codes it traverses.

    Parameters
    ----------
    values : ndarray of shape (D, S)
        Traversal values of the traversed dimensions ``dims``.
    codes : ndarray of shape (N, L)
        Encoder outputs the statistics come from (all L latents; the columns ``dims`` are used).
    dims : sequence of int, length D
        The traversed latent indices.
    mode : str
        The grid's range mode; only the modes in :data:`FLAGGED_MODES` are flagged.
    threshold : float
        Minimum coverage (default 0.5 standard deviations).

    Returns
    -------
    RangeCheck
    """
    codes = np.asarray(codes, dtype=np.float64)
    dims = tuple(int(d) for d in dims)
    std = codes[:, list(dims)].std(axis=0) if len(codes) > 1 else np.zeros(len(dims))
    coverage = range_coverage(values, std)
    low = coverage < threshold - 1e-9  # exactly +-0.5 std is enough (tolerating rounding of the std)
    flagged = tuple(d for d, bad in zip(dims, low) if bad) if mode in FLAGGED_MODES else ()
    values = np.asarray(values, dtype=np.float64)
    return RangeCheck(mode, dims, coverage, std, flagged, float(threshold), int(len(codes)),
                      float(values.min()), float(values.max()))


def compact_dims(dims) -> str:
    """Latent indices as short runs: ``[0, 1, 2, 3, 7, 9, 10]`` -> ``"0-3, 7, 9-10"``."""
    dims = sorted(int(d) for d in dims)
    runs, start = [], None
    for i, d in enumerate(dims):
        if start is None:
            start = d
        if i + 1 == len(dims) or dims[i + 1] != d + 1:
            runs.append(str(start) if start == d else f"{start}-{d}")
            start = None
    return ", ".join(runs)


def range_warning(check: RangeCheck) -> str | None:
    """The warning line for a :class:`RangeCheck`, or ``None`` when no dimension is flagged.

    Example: ``the fixed range -3..3 covers less than +-0.5 std of the codes in 16 of 16 dims (z[0-15]: code std
    6.1..14, coverage 0.49 at most); it barely moves them: use --range-mode sigma (or a wider --low/--high)``.
    """
    if not check.flagged:
        return None
    where = [check.dims.index(d) for d in check.flagged]
    std = check.std[where]
    spread = f"{std.min():.2g}" if np.isclose(std.min(), std.max()) else f"{std.min():.2g}..{std.max():.2g}"
    return (f"the {check.mode} range {check.low:g}..{check.high:g} covers less than +-{check.threshold:g} std of "
            f"the codes in {len(check.flagged)} of {len(check.dims)} dims (z[{compact_dims(check.flagged)}]: code std "
            f"{spread}, coverage {check.coverage[where].max():.2f} at most); it barely moves them: "
            f"use --range-mode sigma (or a wider --low/--high)")
