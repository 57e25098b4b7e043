"""MIG: known answers and a naive transcription of disentanglement_lib's compute_mig."""

import itertools

import numpy as np
import pytest
from sklearn.metrics import mutual_info_score

from latentnav.errors import ParameterError
from latentnav.metrics.mig_score import mig

pytestmark = pytest.mark.filterwarnings("ignore:Clustering metrics expects discrete values")


def naive_mig(codes, factors, n_bins):
    """disentanglement_lib's compute_mig after sampling: (L, N) / (K, N) arrays, one sklearn call per pair."""
    mus, ys = codes.T, factors.T
    discretized = np.zeros_like(mus)
    for i in range(mus.shape[0]):
        discretized[i, :] = np.digitize(mus[i, :], np.histogram(mus[i, :], n_bins)[1][:-1])
    m = np.zeros([mus.shape[0], ys.shape[0]])
    for i in range(mus.shape[0]):
        for j in range(ys.shape[0]):
            m[i, j] = mutual_info_score(ys[j, :], discretized[i, :])
    entropy = np.array([mutual_info_score(ys[j, :], ys[j, :]) for j in range(ys.shape[0])])
    sorted_m = np.sort(m, axis=0)[::-1]
    return np.mean(np.divide(sorted_m[0, :] - sorted_m[1, :], entropy[:]))


def full_grid(*sizes, repeat=1):
    """Every combination of factor values ``repeat`` times: the factors are exactly independent."""
    return np.array(list(itertools.product(*[range(s) for s in sizes])) * repeat)


def test_codes_equal_to_factors_give_one():
    factors = full_grid(3, 4, 5, repeat=2)
    assert mig(factors.astype(float), factors) == pytest.approx(1.0, abs=1e-12)
    assert mig(factors * 10.0 - 3.0, factors) == pytest.approx(1.0, abs=1e-12)  # any affine map of them too


def test_a_factor_in_two_codes_has_gap_zero():
    factors = full_grid(4, 3, repeat=2)
    codes = factors[:, [0, 0, 1]].astype(float)
    # factor 0: two codes with I = H(v0), gap 0; factor 1: one code with I = H(v1), the others 0, gap 1
    assert mig(codes, factors) == pytest.approx(0.5, abs=1e-12)


def test_independent_codes_give_about_zero():
    rng = np.random.default_rng(0)
    factors = rng.integers(0, [3, 6, 10], size=(20000, 3))
    assert 0 <= mig(rng.normal(size=(20000, 6)), factors) < 0.01


@pytest.mark.parametrize("n_bins", [2, 5, 20, 60])
def test_equals_naive_transcription(n_bins):
    rng = np.random.default_rng(n_bins)
    factors = rng.integers(0, [2, 3, 8, 40], size=(2000, 4))
    continuous = np.column_stack([factors[:, 0] + rng.normal(size=2000), factors @ rng.normal(size=4),
                                  rng.uniform(size=(2000, 3))])
    discrete_codes = np.column_stack([factors[:, 2], rng.integers(0, 4, 2000), factors[:, 3] // 3]).astype(float)
    for codes in (continuous, discrete_codes, continuous.astype(np.float32)):
        assert mig(codes, factors, n_bins=n_bins) == pytest.approx(naive_mig(codes, factors, n_bins), abs=1e-9)


def test_bad_inputs():
    factors = full_grid(2, 3)
    with pytest.raises(ParameterError, match=r"codes needs at least 2 code dimensions \(columns\)"):
        mig(factors[:, :1].astype(float), factors)
    with pytest.raises(ParameterError, match=r"factors has 5 samples \(rows\) but codes has 6"):
        mig(factors.astype(float), factors[:5])
    with pytest.raises(ParameterError, match=r"factors column 1 takes the single value 0.*drop that column"):
        mig(factors.astype(float), np.column_stack([factors[:, 0], np.zeros(6, int)]))
    with pytest.raises(ParameterError, match=r"codes must be finite, but row 0, column 1 is inf"):
        mig(np.array([[0.0, np.inf], [1.0, 2.0]]), np.array([[0], [1]]))
    with pytest.raises(ParameterError, match=r"n_bins must be >= 2, got 1"):
        mig(factors.astype(float), factors, n_bins=1)
    with pytest.raises(ParameterError, match=r"factors must be 2-D"):
        mig(factors.astype(float), factors[:, 0])
