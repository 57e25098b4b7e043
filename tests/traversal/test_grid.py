"""Traversal value grids: the article's fixed grid and the data-driven modes against closed forms."""

import numpy as np
import pytest

from latentnav.traversal.grid import GridConfig, traversal_values
from latentnav import LatentnavError

Z = np.array([[0.0, 10.0], [1.0, 20.0], [2.0, 30.0], [3.0, 40.0], [4.0, 50.0]])


def test_fixed_is_the_articles_linspace_in_float32():
    values = traversal_values(GridConfig(), np.zeros((3, 16)))
    assert values.shape == (16, 10) and values.dtype == np.float32
    article = np.linspace(-3, 3, 10)
    for row in values:
        np.testing.assert_array_equal(row, article.astype(np.float32))  # what z_new[0, dim] = val stores


def test_sigma_mode():
    values = traversal_values(GridConfig(mode="sigma", sigma_k=2.0, steps=3), Z)
    std = np.sqrt(2.0)  # population std of 0..4
    np.testing.assert_allclose(values[0], [2 - 2 * std, 2, 2 + 2 * std], rtol=1e-6)
    np.testing.assert_allclose(values[1], [30 - 20 * std, 30, 30 + 20 * std], rtol=1e-6)


def test_minmax_and_quantile_modes():
    np.testing.assert_allclose(traversal_values(GridConfig(mode="minmax", steps=5), Z),
                               [[0, 1, 2, 3, 4], [10, 20, 30, 40, 50]])
    q = traversal_values(GridConfig(mode="quantile", q_low=0.25, q_high=0.75, steps=2), Z)
    np.testing.assert_allclose(q, [[1, 3], [20, 40]])


@pytest.mark.parametrize(
    "kwargs, fragment",
    [
        ({"steps": 1}, "steps must be >= 2"),
        ({"steps": 10**12}, "steps must be >= 2 .* and <= 10,000"),
        ({"low": 3.0, "high": 3.0}, "^low must be below high"),
        ({"low": 1.0, "high": -1.0}, "^low must be below high"),
        ({"mode": "spiral"}, "^range_mode='spiral' is unknown"),
        ({"mode": "sigma", "sigma_k": 0.0}, "^sigma_k must be > 0"),
        ({"mode": "quantile", "q_low": 0.9, "q_high": 0.1}, "quantiles"),
        ({"mode": "minmax", "relative": True}, "^relative"),
    ],
)
def test_bad_grid_configs(kwargs, fragment):
    with pytest.raises(LatentnavError, match=fragment):
        GridConfig(**kwargs)
