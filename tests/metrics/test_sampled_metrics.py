"""FactorVAE and BetaVAE scores on small in-memory factor grids."""

import numpy as np
import pytest

from latentnav.errors import LatentnavError, ParameterError
from latentnav.metrics.sampled import BetaVAEScore, FactorGrid, FactorVAEScore, beta_vae_score, factor_vae_score

SMALL = {"batch_size": 16, "n_train": 200, "n_eval": 100}


class ValueGrid:
    """Observations are the factor values themselves, as floats (n, K)."""

    def __init__(self, factor_sizes):
        self.factor_sizes = tuple(factor_sizes)

    def sample_factors(self, n, rng):
        return rng.integers(0, self.factor_sizes, size=(n, len(self.factor_sizes)))

    def observations(self, factors):
        return np.asarray(factors, dtype=float)


class OneHotImageGrid(ValueGrid):
    """A rendered toy: observation (K, max size) image with one lit pixel per row at the factor's value."""

    def observations(self, factors):
        images = np.zeros((len(factors), len(self.factor_sizes), max(self.factor_sizes)))
        rows = np.arange(len(self.factor_sizes))
        for n, f in enumerate(factors):
            images[n, rows, f] = 1.0
        return images


def read_pixels(images):
    """A perfect encoder of OneHotImageGrid: the lit column of every row."""
    return images.argmax(axis=2).astype(float)


def random_encoder(n_codes, seed=1):
    rng = np.random.default_rng(seed)
    return lambda x: rng.normal(size=(len(x), n_codes))


def test_grids_satisfy_the_protocol():
    assert isinstance(ValueGrid((2, 3)), FactorGrid) and isinstance(OneHotImageGrid((2, 3)), FactorGrid)


@pytest.mark.parametrize(("grid", "encode"), [(ValueGrid((3, 4, 5, 6)), lambda x: x),
                                              (OneHotImageGrid((3, 4, 5, 6)), read_pixels)])
def test_factor_vae_is_one_for_the_factors_themselves(grid, encode):
    score = factor_vae_score(encode, grid, n_variance_estimate=1000, **SMALL)
    assert score == FactorVAEScore(train_accuracy=1.0, eval_accuracy=1.0, num_active_dims=4)


def test_factor_vae_prunes_collapsed_dimensions():
    def encode(x):  # the factors, a constant and a nearly constant (std 0.01 < 0.05) dimension
        return np.column_stack([x, np.zeros(len(x)), 0.01 * x[:, 0]])

    score = factor_vae_score(encode, ValueGrid((3, 4, 5)), n_variance_estimate=1000, **SMALL)
    assert score == FactorVAEScore(1.0, 1.0, 3)
    assert factor_vae_score(lambda x: 0.01 * x, ValueGrid((3, 4)), n_variance_estimate=500, **SMALL) == \
        FactorVAEScore(0.0, 0.0, 0)


def test_factor_vae_is_near_chance_for_random_codes():
    score = factor_vae_score(random_encoder(6), ValueGrid((3, 4, 5, 6)), n_variance_estimate=1000, **SMALL)
    assert score.num_active_dims == 6
    assert score.eval_accuracy < 0.5  # chance is 0.25 for 4 factors


def test_beta_vae_is_one_for_the_factors_themselves():
    for grid, encode in [(ValueGrid((3, 4, 5, 6)), lambda x: x), (OneHotImageGrid((3, 4, 5, 6)), read_pixels)]:
        score = beta_vae_score(encode, grid, **SMALL)
        assert isinstance(score, BetaVAEScore)
        assert score.eval_accuracy == 1.0 and score.train_accuracy == 1.0


def test_beta_vae_is_near_chance_for_random_codes():
    assert beta_vae_score(random_encoder(6), ValueGrid((3, 4, 5, 6)), **SMALL).eval_accuracy < 0.5


def test_same_seed_same_score_and_seeds_differ():
    grid = ValueGrid((3, 4, 5, 6))

    def noisy(seed):
        rng = np.random.default_rng(seed)
        return lambda x: x + 2.0 * rng.normal(size=x.shape)

    first = beta_vae_score(noisy(0), grid, seed=3, **SMALL)
    assert beta_vae_score(noisy(0), grid, seed=3, **SMALL) == first
    assert beta_vae_score(noisy(0), grid, seed=4, **SMALL) != first


class NoObservations:
    factor_sizes = (2, 3)

    def sample_factors(self, n, rng):
        return np.zeros((n, 2), dtype=int)


def test_bad_inputs():
    grid = ValueGrid((3, 4))
    with pytest.raises(ParameterError, match=r"batch_size must be >= 2, got 1"):
        factor_vae_score(lambda x: x, grid, batch_size=1)
    with pytest.raises(ParameterError, match=r"n_eval must be >= 1, got 0"):
        beta_vae_score(lambda x: x, grid, n_eval=0)
    with pytest.raises(ParameterError, match=r"data must be a FactorGrid .*lacks observations"):
        factor_vae_score(lambda x: x, NoObservations())
    with pytest.raises(ParameterError, match=r"data has a single factor"):
        beta_vae_score(lambda x: x, ValueGrid((5,)), **SMALL)
    with pytest.raises(LatentnavError, match=r"encode returned shape \(3,\) for 3 observations"):
        factor_vae_score(lambda x: x[:, 0], grid, n_variance_estimate=3)
    with pytest.raises(LatentnavError, match=r"encode returned non-finite codes"):
        beta_vae_score(lambda x: np.full(x.shape, np.nan), grid, **SMALL)
