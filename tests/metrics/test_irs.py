"""IRS: known answers and a naive transcription of disentanglement_lib's compute_irs."""

import itertools

import numpy as np
import pytest

from latentnav.errors import ParameterError
from latentnav.metrics.irs_score import irs


def naive_irs(codes, factors, diff_quantile, n_bins):
    """compute_irs after sampling: factors discretised on (K, N), constant codes dropped, then the group loops."""
    mus, ys = codes.T, factors.T
    ys_discrete = np.zeros_like(ys)
    for i in range(ys.shape[0]):
        ys_discrete[i, :] = np.digitize(ys[i, :], np.histogram(ys[i, :], n_bins)[1][:-1])
    active_mus = mus[mus.var(axis=1) > 0.0, :]
    if not active_mus.any():
        return 0.0
    gen_factors, latents = ys_discrete.T, active_mus.T
    num_gen, num_lat = gen_factors.shape[1], latents.shape[1]
    max_deviations = np.max(np.abs(latents - latents.mean(axis=0)), axis=0)
    cum_deviations = np.zeros([num_lat, num_gen])
    for i in range(num_gen):
        unique_factors = np.unique(gen_factors[:, i], axis=0)
        for k in range(unique_factors.shape[0]):
            match = gen_factors[:, i] == unique_factors[k]
            e_loc = np.mean(latents[match, :], axis=0)
            diffs = np.abs(latents[match, :] - e_loc)
            cum_deviations[:, i] += np.percentile(diffs, q=diff_quantile * 100, axis=0)
        cum_deviations[:, i] /= unique_factors.shape[0]
    irs_matrix = 1.0 - cum_deviations / max_deviations[:, np.newaxis]
    disentanglement_scores = irs_matrix.max(axis=1)
    if np.sum(max_deviations) > 0.0:
        return np.average(disentanglement_scores, weights=max_deviations)
    return np.mean(disentanglement_scores)


def full_grid(*sizes, repeat=1):
    return np.array(list(itertools.product(*[range(s) for s in sizes])) * repeat)


def test_codes_equal_to_factors_give_one():
    factors = full_grid(3, 4, 5, repeat=2)
    assert irs(factors.astype(float), factors) == pytest.approx(1.0, abs=1e-12)
    # a constant extra code is dropped and does not change the score
    codes = np.column_stack([factors, np.full(len(factors), 2.0)])
    assert irs(codes, factors) == pytest.approx(1.0, abs=1e-12)


def test_codes_ignoring_the_factors_give_about_zero():
    rng = np.random.default_rng(0)
    factors = rng.integers(0, [3, 6], size=(5000, 2))
    assert abs(irs(rng.uniform(size=(5000, 4)), factors)) < 0.05


def test_no_active_code_gives_zero():
    factors = full_grid(2, 3)
    assert irs(np.ones((6, 3)), factors) == 0.0


@pytest.mark.parametrize(("diff_quantile", "n_bins"), [(0.99, 20), (1.0, 20), (0.5, 4), (0.9, 2)])
def test_equals_naive_transcription(diff_quantile, n_bins):
    rng = np.random.default_rng(int(diff_quantile * 100) + n_bins)
    factors = np.column_stack([rng.integers(0, 5, 800), rng.integers(0, 40, 800), rng.normal(size=800)])
    codes = np.column_stack([factors[:, 0] + 0.3 * rng.normal(size=800), factors @ [0.2, 0.05, 1.0],
                             rng.normal(size=800), np.zeros(800), factors[:, 1] ** 2 / 40.0])
    for c in (codes, np.round(codes, 1)):
        expected = naive_irs(c, factors, diff_quantile, n_bins)
        assert irs(c, factors, diff_quantile=diff_quantile, n_bins=n_bins) == pytest.approx(expected, abs=1e-9)


def test_bad_inputs():
    factors = full_grid(2, 3)
    with pytest.raises(ParameterError, match=r"diff_quantile=1.5 must be a number in \[0, 1\]"):
        irs(factors.astype(float), factors, diff_quantile=1.5)
    with pytest.raises(ParameterError, match=r"n_bins must be >= 2, got 0"):
        irs(factors.astype(float), factors, n_bins=0)
    with pytest.raises(ParameterError, match=r"codes needs at least 2 samples"):
        irs(np.zeros((1, 2)), np.zeros((1, 2), int))
