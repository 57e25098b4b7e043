"""Sampling-based disentanglement metrics: BetaVAE (Higgins et al., ICLR 2017) and FactorVAE (Kim & Mnih,
ICML 2018) scores, as disentanglement_lib's ``evaluation/metrics/{beta_vae,factor_vae}.py``.

Both draw batches of factor values from a :class:`FactorGrid`, encode the matching observations and train a
simple classifier to tell which factor was held fixed. Randomness comes from ``np.random.default_rng(seed)``,
not disentanglement_lib's ``np.random.RandomState``, and several training points are encoded in one call: the
definitions are the same, the sampled numbers are not.
"""

from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol, runtime_checkable

import numpy as np

from latentnav.errors import LatentnavError, ParameterError
from latentnav.metrics.legacy_logistic import ovr_logistic_regression
from latentnav.metrics.metric_inputs import check_count

PRUNE_THRESHOLD = 0.05  # FactorVAE keeps code dims with global std >= this (disentanglement_lib's prune_dims.threshold)
ENCODE_ROWS = 4096  # observations encoded per ``encode`` call (several training points at once)


@runtime_checkable
class FactorGrid(Protocol):
    """Ground-truth data: a product of discrete factors and the observation of each factor combination.

    Attributes
    ----------
    factor_sizes : tuple of int
        Number of values of each of the K factors; factor ``k`` takes the values ``0 .. factor_sizes[k] - 1``.
    """

    factor_sizes: tuple[int, ...]

    def sample_factors(self, n: int, rng: np.random.Generator) -> np.ndarray:
        """``(n, K)`` integer factor values, each factor uniform over its values, independently."""
        ...

    def observations(self, factors: np.ndarray) -> np.ndarray:
        """Observations ``(n, ...)`` with exactly the factor values ``factors`` (n, K)."""
        ...


@dataclass(frozen=True)
class FactorVAEScore:
    """Result of :func:`factor_vae_score`.

    Attributes
    ----------
    train_accuracy, eval_accuracy : float
        Accuracy of the majority-vote classifier on its training votes and on fresh evaluation votes.
    num_active_dims : int
        Code dimensions kept (global standard deviation >= 0.05).
    """

    train_accuracy: float
    eval_accuracy: float
    num_active_dims: int


@dataclass(frozen=True)
class BetaVAEScore:
    """Result of :func:`beta_vae_score`: accuracy of the logistic regression on training and fresh points."""

    train_accuracy: float
    eval_accuracy: float


def _check_grid(data) -> int:
    """Number of factors of ``data``; raise when it is not a :class:`FactorGrid`."""
    missing = [name for name in ("factor_sizes", "sample_factors", "observations") if not hasattr(data, name)]
    if missing:
        raise ParameterError("data", f"must be a FactorGrid (factor_sizes, sample_factors, observations); it lacks "
                             f"{', '.join(missing)}")
    sizes = tuple(data.factor_sizes)
    if not sizes or any(int(s) < 1 for s in sizes):
        raise ParameterError("data", f"needs at least one factor with >= 1 value; factor_sizes is {sizes}")
    return len(sizes)


def _sample(data, n: int, n_factors: int, rng: np.random.Generator) -> np.ndarray:
    factors = np.array(data.sample_factors(n, rng), copy=True)
    if factors.shape != (n, n_factors):
        raise LatentnavError(
            f"data.sample_factors({n}, rng) returned shape {factors.shape}; it must return ({n}, {n_factors}) "
            "factor values, one column per entry of factor_sizes"
        )
    return factors


def _encode(encode: Callable, data, factors: np.ndarray) -> np.ndarray:
    """Codes (n, L) float64 of the observations of ``factors`` (n, K), in calls of at most ENCODE_ROWS rows."""
    parts = []
    for start in range(0, factors.shape[0], ENCODE_ROWS):
        block = factors[start : start + ENCODE_ROWS]
        codes = np.asarray(encode(data.observations(block)), dtype=np.float64)
        if codes.ndim != 2 or codes.shape[0] != block.shape[0]:
            raise LatentnavError(
                f"encode returned shape {codes.shape} for {block.shape[0]} observations; it must return "
                f"({block.shape[0]}, L) codes, one row per observation"
            )
        if not np.isfinite(codes).all():
            raise LatentnavError("encode returned non-finite codes (nan or inf); check the model and its inputs")
        parts.append(codes)
    return np.concatenate(parts)


def _points_per_call(batch_size: int, n_points: int) -> int:
    return max(1, min(n_points, ENCODE_ROWS // batch_size))


def factor_vae_score(encode, data, *, seed: int = 0, batch_size: int = 64, n_train: int = 10000, n_eval: int = 5000,
                     n_variance_estimate: int = 10000) -> FactorVAEScore:
    """FactorVAE disentanglement score (Kim & Mnih 2018, https://arxiv.org/abs/1802.05983).

    1. Global variances ``s_d^2`` (ddof 1) of the codes of ``n_variance_estimate`` random observations; code
       dimensions with ``s_d < 0.05`` are pruned (none left: every score is 0).
    2. Each of ``n_train`` training points: pick a factor ``k`` uniformly, draw ``batch_size`` factor vectors
       with factor ``k`` fixed to one random value, encode them, and vote for ``(k, argmin_d var_d / s_d^2)``
       over the active dimensions (local variance with ddof 1).
    3. The classifier maps each code dimension to the factor with most votes; the train accuracy is the
       fraction of votes it gets right; the eval accuracy the same on ``n_eval`` fresh points.

    Parameters
    ----------
    encode : callable
        Observations ``(n, ...)`` -> codes ``(n, L)`` (numpy or array-like).
    data : FactorGrid
    seed : int, default 0
        Seed of ``np.random.default_rng``.
    batch_size : int, default 64
        Observations per training point (>= 2 for a variance).
    n_train, n_eval : int, default 10000, 5000
        Training and evaluation points.
    n_variance_estimate : int, default 10000
        Observations for the global variances (>= 2).

    Returns
    -------
    FactorVAEScore
        disentanglement_lib reports ``len(active_mask)`` (always L) as ``num_active_dims``; this is the
        number of dimensions actually kept.

    Examples
    --------
    >>> class Grid:
    ...     factor_sizes = (3, 4)
    ...     def sample_factors(self, n, rng): return rng.integers(0, self.factor_sizes, size=(n, 2))
    ...     def observations(self, factors): return factors.astype(float)
    >>> factor_vae_score(lambda x: x, Grid(), batch_size=16, n_train=50, n_eval=50, n_variance_estimate=200)
    FactorVAEScore(train_accuracy=1.0, eval_accuracy=1.0, num_active_dims=2)
    """
    n_factors = _check_grid(data)
    batch_size = check_count(batch_size, "batch_size", 2)
    n_train, n_eval = check_count(n_train, "n_train"), check_count(n_eval, "n_eval")
    n_variance_estimate = check_count(n_variance_estimate, "n_variance_estimate", 2)
    rng = np.random.default_rng(seed)
    global_variances = _encode(encode, data, _sample(data, n_variance_estimate, n_factors, rng)).var(axis=0, ddof=1)
    active = np.flatnonzero(np.sqrt(global_variances) >= PRUNE_THRESHOLD)
    if active.size == 0:
        return FactorVAEScore(0.0, 0.0, 0)
    args = (encode, data, n_factors, batch_size, rng, global_variances, active)
    train_votes = _factor_vae_votes(n_train, *args)
    classifier = np.argmax(train_votes, axis=0)
    columns = np.arange(train_votes.shape[1])
    eval_votes = _factor_vae_votes(n_eval, *args)
    return FactorVAEScore(
        train_accuracy=float(train_votes[classifier, columns].sum() / train_votes.sum()),
        eval_accuracy=float(eval_votes[classifier, columns].sum() / eval_votes.sum()),
        num_active_dims=int(active.size),
    )


def _factor_vae_votes(n_points, encode, data, n_factors, batch_size, rng, global_variances, active) -> np.ndarray:
    """Votes (K, L): how often fixing factor k made code dimension d the least (relatively) varying one."""
    votes = np.zeros((n_factors, global_variances.size), dtype=np.int64)
    per_call = _points_per_call(batch_size, n_points)
    for start in range(0, n_points, per_call):
        points = min(per_call, n_points - start)
        fixed = rng.integers(n_factors, size=points)
        factors = _sample(data, points * batch_size, n_factors, rng).reshape(points, batch_size, n_factors)
        rows = np.arange(points)
        factors[rows, :, fixed] = factors[rows, 0, fixed][:, None]
        codes = _encode(encode, data, factors.reshape(-1, n_factors)).reshape(points, batch_size, -1)
        local = codes[:, :, active].var(axis=1, ddof=1)
        np.add.at(votes, (fixed, active[np.argmin(local / global_variances[active], axis=1)]), 1)
    return votes


def beta_vae_score(encode, data, *, seed: int = 0, batch_size: int = 64, n_train: int = 10000,
                   n_eval: int = 5000) -> BetaVAEScore:
    """BetaVAE disentanglement score (Higgins et al. 2017, https://openreview.net/forum?id=Sy2fzU9gl).

    Each point: pick a factor ``k`` uniformly, draw two batches of ``batch_size`` factor vectors that share the
    value of factor ``k`` pairwise, encode both, and take the feature ``mean_b |z1_b - z2_b|`` (L,) with label
    ``k``. A logistic regression (one-vs-rest liblinear, disentanglement_lib's ``LogisticRegression()`` under
    the scikit-learn it used, see :mod:`~latentnav.metrics.legacy_logistic`) is fitted on ``n_train`` points;
    the scores are its accuracy on them and on ``n_eval`` fresh points.

    Parameters
    ----------
    encode : callable
        Observations ``(n, ...)`` -> codes ``(n, L)``.
    data : FactorGrid
        With at least 2 factors.
    seed : int, default 0
        Seed of ``np.random.default_rng``.
    batch_size : int, default 64
        Pairs per point.
    n_train, n_eval : int, default 10000, 5000
        Training and evaluation points.

    Returns
    -------
    BetaVAEScore

    Examples
    --------
    >>> class Grid:
    ...     factor_sizes = (3, 4)
    ...     def sample_factors(self, n, rng): return rng.integers(0, self.factor_sizes, size=(n, 2))
    ...     def observations(self, factors): return factors.astype(float)
    >>> beta_vae_score(lambda x: x, Grid(), batch_size=16, n_train=100, n_eval=50).eval_accuracy
    1.0
    """
    n_factors = _check_grid(data)
    if n_factors < 2:
        raise ParameterError(
            "data", "has a single factor; the BetaVAE score classifies which of >= 2 factors was fixed"
        )
    batch_size = check_count(batch_size, "batch_size")
    n_train, n_eval = check_count(n_train, "n_train", 2), check_count(n_eval, "n_eval")
    rng = np.random.default_rng(seed)
    train_x, train_y = _beta_vae_points(n_train, encode, data, n_factors, batch_size, rng)
    if np.unique(train_y).size < 2:
        raise ParameterError("n_train", "drew points of one factor only; use more training points", value=n_train)
    model = ovr_logistic_regression(seed).fit(train_x, train_y)
    eval_x, eval_y = _beta_vae_points(n_eval, encode, data, n_factors, batch_size, rng)
    return BetaVAEScore(
        train_accuracy=float(np.mean(model.predict(train_x) == train_y)),
        eval_accuracy=float(np.mean(model.predict(eval_x) == eval_y)),
    )


def _beta_vae_points(n_points, encode, data, n_factors, batch_size, rng) -> tuple[np.ndarray, np.ndarray]:
    """Features (n_points, L) and labels (n_points,) of the BetaVAE classifier."""
    features, labels = [], []
    per_call = _points_per_call(2 * batch_size, n_points)
    for start in range(0, n_points, per_call):
        points = min(per_call, n_points - start)
        fixed = rng.integers(n_factors, size=points)
        first = _sample(data, points * batch_size, n_factors, rng).reshape(points, batch_size, n_factors)
        second = _sample(data, points * batch_size, n_factors, rng).reshape(points, batch_size, n_factors)
        rows = np.arange(points)
        second[rows, :, fixed] = first[rows, :, fixed]
        codes = _encode(encode, data, np.concatenate([first, second]).reshape(-1, n_factors))
        codes = codes.reshape(2, points, batch_size, -1)
        features.append(np.mean(np.abs(codes[0] - codes[1]), axis=1))
        labels.append(fixed)
    return np.concatenate(features), np.concatenate(labels)
