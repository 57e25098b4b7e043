"""Histogram discretisation and the batched mutual information against per-pair scikit-learn loops."""

import numpy as np
import pytest
from sklearn.metrics import mutual_info_score

from latentnav.errors import LatentnavError, ParameterError
from latentnav.metrics import discrete
from latentnav.metrics.discrete import entropies, histogram_discretize, mutual_information_matrix

pytestmark = pytest.mark.filterwarnings("ignore:Clustering metrics expects discrete values")


def naive_discretize(codes, n_bins):
    """disentanglement_lib's utils._histogram_discretize, on (L, N) arrays, transposed back to (N, L)."""
    target = codes.T
    out = np.zeros_like(target)
    for i in range(target.shape[0]):
        out[i, :] = np.digitize(target[i, :], np.histogram(target[i, :], n_bins)[1][:-1])
    return out.T


def naive_mi(a, b):
    """One sklearn.metrics.mutual_info_score per column pair."""
    return np.array([[mutual_info_score(b[:, j], a[:, i]) for j in range(b.shape[1])] for i in range(a.shape[1])])


@pytest.mark.parametrize("n_bins", [2, 7, 20, 50])
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_discretize_equals_disentanglement_lib(n_bins, dtype):
    rng = np.random.default_rng(n_bins)
    codes = np.column_stack([rng.normal(size=500), rng.exponential(size=500), np.full(500, 3.0),
                             rng.integers(0, 4, 500)]).astype(dtype)
    ours = histogram_discretize(codes, n_bins)
    assert ours.dtype == np.int64
    np.testing.assert_array_equal(ours, naive_discretize(codes, n_bins))
    assert ours.min() >= 1 and ours.max() <= n_bins
    assert np.unique(ours[:, 2]).size == 1  # a constant column falls in one bin (the middle one)


def test_discretize_known_bins():
    x = np.array([[0.0], [0.24], [0.25], [0.5], [0.99], [1.0]])
    assert histogram_discretize(x, n_bins=4)[:, 0].tolist() == [1, 1, 2, 3, 4, 4]


def test_mi_equals_sklearn_per_pair_loop():
    rng = np.random.default_rng(1)
    factors = rng.integers(0, [2, 5, 40, 3], size=(3000, 4))
    codes = np.column_stack([factors[:, 1] + rng.normal(size=3000), rng.normal(size=(3000, 5)), factors[:, 2]])
    disc = histogram_discretize(codes, 20)
    np.testing.assert_allclose(mutual_information_matrix(disc, factors), naive_mi(disc, factors), rtol=0, atol=1e-12)
    np.testing.assert_allclose(mutual_information_matrix(disc), naive_mi(disc, disc), rtol=0, atol=1e-12)


def test_mi_with_arbitrary_labels_and_constants():
    rng = np.random.default_rng(2)
    a = np.column_stack([rng.integers(-5, 5, 400) * 10**9, rng.integers(0, 3, 400), np.full(400, 7),
                         rng.choice([-4, 3, 7], 400)])  # huge labels (relabelled), small ones with gaps (shifted)
    b = np.column_stack([rng.normal(size=400).round(1), a[:, 1] * 0.5, np.full(400, -1.0), a[:, 0] > 0])
    ours = mutual_information_matrix(a, b)
    np.testing.assert_allclose(ours, naive_mi(a, b), rtol=0, atol=1e-12)
    assert (ours[2] == 0).all() and (ours[:, 2] == 0).all()  # constant: exactly 0, sklearn's rule
    assert (ours >= 0).all()


def test_mi_chunking_and_huge_tables_give_the_same_result(monkeypatch):
    rng = np.random.default_rng(3)
    a = np.column_stack([rng.integers(0, 20, 2000), rng.normal(size=2000)])  # the second: 2000 distinct labels
    b = np.column_stack([rng.integers(0, 6, 2000), rng.normal(size=2000), a[:, 0] % 3])
    expected = naive_mi(a, b)
    monkeypatch.setattr(discrete, "_BUDGET", 5000)  # several chunks, and the 2000 x 2000 pair past the budget
    np.testing.assert_allclose(mutual_information_matrix(a, b), expected, rtol=0, atol=1e-12)


def test_known_mutual_information_and_entropy():
    bits = np.array([[0, 0], [0, 1], [1, 0], [1, 1]] * 3)
    both = np.column_stack([bits, bits[:, 0]])
    expected = np.log(2) * np.array([[1, 0, 1], [0, 1, 0], [1, 0, 1]])
    np.testing.assert_allclose(mutual_information_matrix(both), expected, atol=1e-15)
    np.testing.assert_allclose(entropies(np.column_stack([np.arange(12) % 4, np.zeros(12)])), [np.log(4), 0.0])


def test_entropies_equal_sklearn_self_information():
    rng = np.random.default_rng(4)
    factors = np.column_stack([rng.integers(0, k, 1000) for k in (2, 3, 10, 64)])
    expected = [mutual_info_score(factors[:, j], factors[:, j]) for j in range(4)]
    np.testing.assert_allclose(entropies(factors), expected, rtol=0, atol=1e-12)


def test_bad_inputs_name_the_parameter():
    with pytest.raises(ParameterError, match=r"n_bins must be >= 2, got 1"):
        histogram_discretize(np.zeros((4, 2)), 1)
    with pytest.raises(ParameterError, match=r"n_bins=2.5 must be an integer"):
        histogram_discretize(np.zeros((4, 2)), 2.5)
    with pytest.raises(ParameterError, match=r"codes must be 2-D .*codes\[:, None\]"):
        histogram_discretize(np.zeros(4), 5)
    with pytest.raises(ParameterError, match=r"codes must be finite, but row 1, column 0 is nan"):
        histogram_discretize(np.array([[0.0], [np.nan]]), 5)
    with pytest.raises(ParameterError, match=r"needs at least 2 samples"):
        mutual_information_matrix(np.zeros((1, 2)))
    with pytest.raises(LatentnavError, match=r"b has 3 samples \(rows\) but a has 4"):
        mutual_information_matrix(np.zeros((4, 2)), np.zeros((3, 2)))
