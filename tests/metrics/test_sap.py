"""SAP: known answers and a naive transcription of disentanglement_lib's _compute_score_matrix."""

import itertools

import numpy as np
import pytest
from sklearn import svm

from latentnav.errors import ParameterError
from latentnav.metrics.sap_score import sap


def naive_sap(codes, factors, codes_test, factors_test, continuous):
    """disentanglement_lib's score matrix loop on (L, N) / (K, N) arrays, then the mean top-two gap."""
    mus, ys, mus_test, ys_test = codes.T, factors.T, codes_test.T, factors_test.T
    score_matrix = np.zeros([mus.shape[0], ys.shape[0]])
    for i in range(mus.shape[0]):
        for j in range(ys.shape[0]):
            mu_i, y_j = mus[i, :], ys[j, :]
            if continuous:
                cov_mu_i_y_j = np.cov(mu_i, y_j, ddof=1)
                var_mu = cov_mu_i_y_j[0, 0]
                if var_mu > 1e-12:
                    score_matrix[i, j] = cov_mu_i_y_j[0, 1] ** 2 / (var_mu * cov_mu_i_y_j[1, 1])
            else:
                classifier = svm.LinearSVC(C=0.01, class_weight="balanced")
                classifier.fit(mu_i[:, np.newaxis], y_j)
                pred = classifier.predict(mus_test[i, :][:, np.newaxis])
                score_matrix[i, j] = np.mean(pred == ys_test[j, :])
    sorted_matrix = np.sort(score_matrix, axis=0)
    return np.mean(sorted_matrix[-1, :] - sorted_matrix[-2, :])


def full_grid(*sizes, repeat=1):
    return np.array(list(itertools.product(*[range(s) for s in sizes])) * repeat)


def test_continuous_one_perfect_code_per_factor_gives_one():
    factors = full_grid(4, 5, repeat=3)  # exactly uncorrelated factors
    codes = np.column_stack([2.0 * factors[:, 0] + 1, -factors[:, 1], np.full(len(factors), 5.0)])
    # scores: [[1, 0], [0, 1], [0, 0]] (the constant code scores 0) -> gaps 1 and 1
    assert sap(codes, factors, codes[:2], factors[:2], continuous=True) == pytest.approx(1.0, abs=1e-12)


def test_continuous_duplicated_code_gives_zero_for_that_factor():
    factors = full_grid(4, 5, repeat=3)
    codes = factors[:, [0, 0, 1]].astype(float)
    assert sap(codes, factors, codes, factors, continuous=True) == pytest.approx(0.5, abs=1e-12)


def test_discrete_perfect_codes_against_independent_binary_codes():
    train, test = full_grid(2, 2, 2, repeat=20), full_grid(2, 2, 2, repeat=5)
    # the matching code predicts its factor perfectly; on a balanced grid any function of an independent code
    # is right exactly half the time: every factor's gap is 1 - 0.5
    assert sap(train.astype(float), train, test.astype(float), test) == pytest.approx(0.5, abs=1e-12)


def test_discrete_useless_codes_give_about_zero():
    rng = np.random.default_rng(0)
    factors, factors_test = rng.integers(0, 3, size=(600, 2)), rng.integers(0, 3, size=(300, 2))
    assert abs(sap(rng.normal(size=(600, 3)), factors, rng.normal(size=(300, 3)), factors_test)) < 0.1


@pytest.mark.parametrize("continuous", [True, False])
def test_equals_naive_transcription(continuous):
    rng = np.random.default_rng(7)
    n, n_test = 400, 200
    factors, factors_test = rng.integers(0, [2, 4, 6], size=(n, 3)), rng.integers(0, [2, 4, 6], size=(n_test, 3))

    def encode(f, r):
        return np.column_stack([f[:, 0] + 0.3 * r.normal(size=len(f)), f @ [0.5, 1.0, -0.2], r.normal(size=len(f)),
                                f[:, 2] + 0.1 * r.normal(size=len(f)), np.full(len(f), 1.0)])

    codes, codes_test = encode(factors, rng), encode(factors_test, rng)
    expected = naive_sap(codes, factors, codes_test, factors_test, continuous)
    assert sap(codes, factors, codes_test, factors_test, continuous=continuous) == pytest.approx(expected, abs=1e-9)


def test_bad_inputs():
    factors = full_grid(2, 3)
    codes = factors.astype(float)
    with pytest.raises(ParameterError, match=r"factors column 0 takes the single value 1"):
        sap(codes, np.column_stack([np.ones(6, int), factors[:, 1]]), codes, factors)
    with pytest.raises(ParameterError, match=r"codes_test has 1 columns but codes has 2"):
        sap(codes, factors, codes[:, :1], factors)
    with pytest.raises(ParameterError, match=r"factors_test has 3 samples \(rows\) but codes_test has 6"):
        sap(codes, factors, codes, factors[:3])
    with pytest.raises(ParameterError, match=r"codes needs at least 2 code dimensions"):
        sap(codes[:, :1], factors, codes[:, :1], factors)
