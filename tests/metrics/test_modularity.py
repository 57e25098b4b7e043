"""Modularity and explicitness: known answers and a naive transcription of disentanglement_lib's loops."""

import itertools

import numpy as np
import pytest
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import mutual_info_score, roc_auc_score
from sklearn.multiclass import OneVsRestClassifier
from sklearn.preprocessing import MultiLabelBinarizer

from latentnav.errors import ParameterError
from latentnav.metrics.modularity import ModularityExplicitness, modularity_explicitness, modularity_from_mi

pytestmark = pytest.mark.filterwarnings("ignore:Clustering metrics expects discrete values")


def naive_modularity_explicitness(codes, factors, codes_test, factors_test, n_bins):
    """compute_modularity_explicitness after sampling, on (L, N) / (K, N) arrays.

    ``LogisticRegression()`` is spelled out as scikit-learn 0.20's default (liblinear, one-vs-rest).
    """
    mus_train, ys_train, mus_test, ys_test = codes.T, factors.T, codes_test.T, factors_test.T
    discretized = np.zeros_like(mus_train)
    for i in range(mus_train.shape[0]):
        discretized[i, :] = np.digitize(mus_train[i, :], np.histogram(mus_train[i, :], n_bins)[1][:-1])
    mi = np.zeros([mus_train.shape[0], ys_train.shape[0]])
    for i in range(mus_train.shape[0]):
        for j in range(ys_train.shape[0]):
            mi[i, j] = mutual_info_score(ys_train[j, :], discretized[i, :])
    squared_mi = np.square(mi)
    max_squared_mi = np.max(squared_mi, axis=1)
    with np.errstate(divide="ignore", invalid="ignore"):
        numerator = np.sum(squared_mi, axis=1) - max_squared_mi
        modularity = 1.0 - numerator / (max_squared_mi * (squared_mi.shape[1] - 1.0))
    modularity[max_squared_mi == 0.0] = 0.0

    mean, std = np.mean(mus_train, axis=1), np.std(mus_train, axis=1)
    x_train = np.transpose((mus_train - mean[:, None]) / std[:, None])
    x_test = np.transpose((mus_test - mean[:, None]) / std[:, None])
    train, test = [], []
    for k in range(ys_train.shape[0]):
        clf = OneVsRestClassifier(LogisticRegression(solver="liblinear")).fit(x_train, ys_train[k])
        mlb = MultiLabelBinarizer()
        train.append(roc_auc_score(mlb.fit_transform(np.expand_dims(ys_train[k], 1)), clf.predict_proba(x_train)))
        test.append(roc_auc_score(mlb.fit_transform(np.expand_dims(ys_test[k], 1)), clf.predict_proba(x_test)))
    return np.mean(modularity), np.mean(train), np.mean(test)


def full_grid(*sizes, repeat=1):
    return np.array(list(itertools.product(*[range(s) for s in sizes])) * repeat)


def test_axis_aligned_codes_have_modularity_and_explicitness_one():
    factors = full_grid(2, 2, 2, repeat=10)
    scores = modularity_explicitness(factors.astype(float), factors, factors[::3].astype(float), factors[::3])
    assert isinstance(scores, ModularityExplicitness)
    assert scores.modularity == pytest.approx(1.0, abs=1e-12)
    assert scores.explicitness_train == pytest.approx(1.0) and scores.explicitness_test == pytest.approx(1.0)


def test_a_code_informing_two_factors_equally_has_modularity_zero():
    factors = full_grid(2, 2, repeat=5)
    # code 0 = v0 + v1 carries the same information on both factors (delta = 1), code 1 = v0 only (delta = 0)
    codes = np.column_stack([factors.sum(axis=1), factors[:, 0]]).astype(float)
    assert modularity_explicitness(codes, factors, codes, factors).modularity == pytest.approx(0.5, abs=1e-12)


def test_modularity_from_mi_by_hand():
    m = np.array([[2.0, 1.0, 0.0], [0.0, 0.0, 0.0], [1.0, 1.0, 1.0]])
    # code 0: 1 - 1 / (4 * 2) = 0.875; code 1: no information, 0; code 2: 1 - 2 / (1 * 2) = 0
    assert modularity_from_mi(m) == pytest.approx(0.875 / 3)


def test_random_codes_are_not_explicit():
    rng = np.random.default_rng(0)
    factors, factors_test = rng.integers(0, 3, size=(1000, 2)), rng.integers(0, 3, size=(500, 2))
    scores = modularity_explicitness(rng.normal(size=(1000, 4)), factors, rng.normal(size=(500, 4)), factors_test)
    assert abs(scores.explicitness_test - 0.5) < 0.06


@pytest.mark.parametrize("n_bins", [3, 20])
def test_equals_naive_transcription(n_bins):
    rng = np.random.default_rng(n_bins)
    factors, factors_test = rng.integers(0, [2, 3, 5], size=(600, 3)), rng.integers(0, [2, 3, 5], size=(300, 3))

    def encode(f):
        return np.column_stack([f[:, 0] + 0.5 * rng.normal(size=len(f)), f @ [1.0, 0.3, -0.4] + rng.normal(size=len(f)),
                                rng.normal(size=len(f)), np.exp(0.3 * f[:, 2]) + 0.2 * rng.normal(size=len(f))])

    codes, codes_test = encode(factors), encode(factors_test)
    ours = modularity_explicitness(codes, factors, codes_test, factors_test, n_bins=n_bins)
    expected = naive_modularity_explicitness(codes, factors, codes_test, factors_test, n_bins)
    np.testing.assert_allclose([ours.modularity, ours.explicitness_train, ours.explicitness_test], expected,
                               rtol=0, atol=1e-9)


def test_bad_inputs():
    factors = full_grid(2, 3)
    codes = factors.astype(float)
    with pytest.raises(ParameterError, match=r"factors needs at least 2 factors \(columns\)"):
        modularity_explicitness(codes, factors[:, :1], codes, factors[:, :1])
    with pytest.raises(ParameterError, match=r"factors_test column 1 takes the values \[0, 1\] but the training "
                                             r"factors take \[0, 1, 2\].*use more test samples"):
        modularity_explicitness(codes, factors, codes[[0, 1, 3, 4]], factors[[0, 1, 3, 4]])
    with pytest.raises(ParameterError, match=r"factors_test has 1 columns but factors has 2"):
        modularity_explicitness(codes, factors, codes, factors[:, :1])
