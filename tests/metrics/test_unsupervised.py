"""Unsupervised scores: closed forms on constructed covariances and a naive transcription of the reference."""

import itertools

import numpy as np
import pytest
import scipy.linalg
from sklearn.metrics import mutual_info_score

from latentnav.errors import ParameterError
from latentnav.metrics.unsupervised_scores import (
    UnsupervisedScores,
    gaussian_total_correlation,
    gaussian_wasserstein_correlation,
    unsupervised,
)

pytestmark = pytest.mark.filterwarnings("ignore:Clustering metrics expects discrete values")


def naive_unsupervised(codes, n_bins):
    """disentanglement_lib's unsupervised_metrics after sampling, on (L, N) arrays."""
    mus_train = codes.T
    num_codes = mus_train.shape[0]
    cov_mus = np.cov(mus_train)
    tc = 0.5 * (np.sum(np.log(np.diag(cov_mus))) - np.linalg.slogdet(cov_mus)[1])
    sqrtm = scipy.linalg.sqrtm(cov_mus * np.expand_dims(np.diag(cov_mus), axis=1))
    wc = 2 * np.trace(cov_mus) - 2 * np.trace(sqrtm)
    discretized = np.zeros_like(mus_train)
    for i in range(num_codes):
        discretized[i, :] = np.digitize(mus_train[i, :], np.histogram(mus_train[i, :], n_bins)[1][:-1])
    m = np.zeros([num_codes, num_codes])
    for i in range(num_codes):
        for j in range(num_codes):
            m[i, j] = mutual_info_score(discretized[j, :], discretized[i, :])
    np.fill_diagonal(m, 0)
    return tc, np.real(wc), np.real(wc) / np.sum(np.diag(cov_mus)), np.sum(m) / (num_codes**2 - num_codes)


def codes_with_covariance(cov, n=500, seed=0):
    """n samples whose sample covariance (ddof 1) is exactly ``cov`` (up to rounding)."""
    z = np.random.default_rng(seed).normal(size=(n, cov.shape[0]))
    z -= z.mean(axis=0)
    z = z @ np.linalg.inv(np.linalg.cholesky(np.cov(z, rowvar=False))).T  # whitened: sample covariance I
    return z @ np.linalg.cholesky(cov).T + np.arange(cov.shape[0])


def test_closed_forms_on_a_constructed_covariance():
    cov = np.array([[2.0, 0.6, 0.0], [0.6, 1.0, 0.0], [0.0, 0.0, 3.0]])
    codes = codes_with_covariance(cov)
    np.testing.assert_allclose(np.cov(codes, rowvar=False), cov, atol=1e-12)
    scores = unsupervised(codes)
    assert isinstance(scores, UnsupervisedScores)
    # TC = 0.5 (sum log diag - log det): det = 3 (2 - 0.36), diag product = 6
    assert scores.gaussian_total_correlation == pytest.approx(0.5 * (np.log(6.0) - np.log(3.0 * 1.64)), abs=1e-12)
    # W = 2 tr C - 2 tr (D^1/2 C D^1/2)^1/2; the 2 x 2 block [[4, 0.6 sqrt 2], [0.6 sqrt 2, 1]] has
    # tr sqrt = sqrt(tr + 2 sqrt det) = sqrt(5 + 2 sqrt 3.28), the last dimension 3
    expected_w = 2 * 6.0 - 2 * (np.sqrt(5 + 2 * np.sqrt(3.28)) + 3.0)
    assert scores.gaussian_wasserstein_correlation == pytest.approx(expected_w, abs=1e-12)
    assert scores.gaussian_wasserstein_correlation_norm == pytest.approx(expected_w / 6.0, abs=1e-12)


def test_independent_codes_have_zero_gaussian_correlation():
    scores = unsupervised(codes_with_covariance(np.diag([0.5, 1.0, 4.0, 2.0])))
    assert scores.gaussian_total_correlation == pytest.approx(0.0, abs=1e-12)
    assert scores.gaussian_wasserstein_correlation == pytest.approx(0.0, abs=1e-12)


def test_covariance_helpers_by_hand():
    r = 0.8
    cov = np.array([[1.0, r], [r, 1.0]])
    assert gaussian_total_correlation(cov) == pytest.approx(-0.5 * np.log(1 - r**2))
    assert gaussian_wasserstein_correlation(cov) == pytest.approx(4 - 2 * (np.sqrt(1 + r) + np.sqrt(1 - r)))
    assert gaussian_total_correlation(np.ones((2, 2))) == np.inf  # singular: infinite total correlation
    assert gaussian_wasserstein_correlation(np.ones((2, 2))) == pytest.approx(4 - 2 * np.sqrt(2))
    # rounding past positive semi-definiteness (an eigenvalue of -1e-12): counted as 0, the result stays real
    almost = np.array([[1.0, 1.0 + 1e-12], [1.0 + 1e-12, 1.0]])
    assert np.isfinite(gaussian_wasserstein_correlation(almost))
    assert gaussian_wasserstein_correlation(almost) == pytest.approx(4 - 2 * np.sqrt(2), abs=1e-9)


def test_mutual_info_score_of_a_duplicated_code():
    grid = np.array(list(itertools.product(range(4), range(3))) * 2, dtype=float)
    codes = np.column_stack([grid[:, 0], grid[:, 0] * 2 + 1, grid[:, 1]])
    # off-diagonal pairs: (0, 1) and (1, 0) share H = log 4, the other four are independent
    assert unsupervised(codes).mutual_info_score == pytest.approx(2 * np.log(4) / 6, abs=1e-12)


@pytest.mark.parametrize("n_bins", [4, 20])
def test_equals_naive_transcription(n_bins):
    rng = np.random.default_rng(n_bins)
    mixing = rng.normal(size=(5, 5))
    for codes in (rng.normal(size=(1500, 5)) @ mixing, rng.integers(0, 6, size=(1500, 5)) @ mixing):
        ours = unsupervised(codes, n_bins=n_bins)
        expected = naive_unsupervised(codes, n_bins)
        got = [ours.gaussian_total_correlation, ours.gaussian_wasserstein_correlation,
               ours.gaussian_wasserstein_correlation_norm, ours.mutual_info_score]
        np.testing.assert_allclose(got, expected, rtol=1e-9, atol=1e-9)


def test_bad_inputs():
    with pytest.raises(ParameterError, match=r"codes needs at least 2 code dimensions"):
        unsupervised(np.zeros((10, 1)))
    with pytest.raises(ParameterError, match=r"codes column 1 is constant.*drop constant"):
        unsupervised(np.column_stack([np.arange(10.0), np.ones(10)]))
    with pytest.raises(ParameterError, match=r"n_bins must be >= 2"):
        unsupervised(np.random.default_rng(0).normal(size=(10, 2)), n_bins=1)
