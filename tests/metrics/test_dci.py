"""DCI scores: DESIGN.md's known answers, invariances, bounds, conventions, an independent reference, the kernel."""

import numpy as np
import pytest
from scipy.stats import entropy

from latentnav.metrics.importance import article_scores, dci_scores
from latentnav.metrics.kernels import dci_scores_batch

LN2_LN10 = np.log(2) / np.log(10)
I5 = np.eye(5)
KNOWN = [
    (np.diag(5 * np.ones(5)), 1.0, 1.0),
    (np.array([[1.0, 0.0], [0.0, 1.0], [0.0, 0.0]]), 1.0, 1.0),
    (np.zeros((10, 10)), 0.0, 0.0),
    (np.vstack([I5, I5]), 1.0, 1.0 - LN2_LN10),
    (I5[:2], 1.0, 1.0),
    (np.hstack([I5, I5]), 1.0 - LN2_LN10, 1.0),
]


def reference_dci(R):
    """disentanglement_lib's evaluation/metrics/dci.py, written out with scipy (valid for L, K >= 2)."""
    per_code = 1.0 - entropy(R.T + 1e-11, base=R.shape[1])
    per_factor = 1.0 - entropy(R + 1e-11, base=R.shape[0])
    W = R if R.sum() > 0 else np.ones_like(R)
    return np.sum(per_code * W.sum(axis=1) / W.sum()), np.sum(per_factor * W.sum(axis=0) / W.sum())


@pytest.mark.parametrize("R, d, c", KNOWN)
def test_known_answers(R, d, c):
    scores = dci_scores(R)
    assert scores.disentanglement == pytest.approx(d, abs=1e-8)  # the 1e-11 offset moves the 10th decimal
    assert scores.completeness == pytest.approx(c, abs=1e-8)


@pytest.mark.parametrize("seed", range(5))
def test_agrees_with_independent_reference(seed):
    rng = np.random.default_rng(seed)
    R = rng.random((16, 5)) * (rng.random((16, 5)) > 0.3)
    scores = dci_scores(R)
    d, c = reference_dci(R)
    assert scores.disentanglement == pytest.approx(d, abs=1e-12)
    assert scores.completeness == pytest.approx(c, abs=1e-12)
    np.testing.assert_allclose(scores.code_weights, R.sum(axis=1) / R.sum(), atol=1e-15)
    np.testing.assert_allclose(scores.factor_weights, R.sum(axis=0) / R.sum(), atol=1e-15)


def test_invariant_to_permutation_and_scale():
    rng = np.random.default_rng(7)
    R = rng.random((8, 4))
    base = dci_scores(R)
    for other, tol in ((R[rng.permutation(8)], 1e-12), (R[:, rng.permutation(4)], 1e-12), (37.5 * R, 1e-9)):
        s = dci_scores(other)  # scaling is exact but for the fixed 1e-11 offset
        assert s.disentanglement == pytest.approx(base.disentanglement, abs=tol)
        assert s.completeness == pytest.approx(base.completeness, abs=tol)


def test_bounds_on_random_matrices():
    rng = np.random.default_rng(3)
    for _ in range(50):
        L, K = rng.integers(2, 12, size=2)
        s = dci_scores(rng.random((L, K)) ** 4)
        assert 0.0 <= s.disentanglement <= 1.0 and 0.0 <= s.completeness <= 1.0


def test_single_factor_and_single_code_conventions():
    R = np.array([[0.7], [0.2], [0.1], [0.0]])
    s = dci_scores(R)
    assert s.disentanglement == pytest.approx(1.0, abs=1e-15) and np.all(s.per_code == 1.0)
    p = (R[:, 0] + 1e-11) / (R[:, 0] + 1e-11).sum()
    assert s.completeness == pytest.approx(1 + np.sum(p * np.log(p)) / np.log(4), abs=1e-12)
    s = dci_scores(np.array([[0.3, 0.3, 0.4]]))
    assert s.completeness == 1.0
    assert s.disentanglement == pytest.approx(1 - entropy([0.3, 0.3, 0.4], base=3), abs=1e-9)


def test_rejects_bad_matrices():
    for bad in (np.array([[-1.0, 1.0]]), np.array([[np.nan, 1.0]]), np.zeros(3), np.zeros((0, 2))):
        with pytest.raises(ValueError):
            dci_scores(bad)


def test_article_scores_closed_form():
    imp = np.array([0.5, 0.3, 0.2, 0.0])
    d, c = article_scores(imp)
    p = imp / (1.0 + 1e-8)
    assert d == pytest.approx(np.sum(p ** 2), abs=1e-15) and c == pytest.approx(0.5 / (1 + 1e-8), abs=1e-15)
    assert article_scores(np.ones(16)) == pytest.approx((1 / 16, 1 / 16), rel=1e-7)
    assert article_scores(np.zeros(4)) == (0.0, 0.0)


def _stack():
    rng = np.random.default_rng(11)
    mats = [rng.random((16, 10)) * (rng.random((16, 10)) > 0.5) for _ in range(20)]
    return np.stack(mats + [np.zeros((16, 10)), np.diag(np.ones(10)).repeat(2, axis=0)[:16]])


def test_batch_kernel_equals_dci_scores():
    stack = _stack()
    D, C, per_code, per_factor = dci_scores_batch(stack)
    for b, R in enumerate(stack):
        s = dci_scores(R)
        assert abs(D[b] - s.disentanglement) < 1e-12 and abs(C[b] - s.completeness) < 1e-12
        np.testing.assert_allclose(per_code[b], s.per_code, rtol=0, atol=1e-12)
        np.testing.assert_allclose(per_factor[b], s.per_factor, rtol=0, atol=1e-12)
        if b < 20:
            d, c = reference_dci(R)  # plain numpy/scipy reference
            assert abs(D[b] - d) < 1e-12 and abs(C[b] - c) < 1e-12


def test_batch_kernel_conventions_and_errors():
    D, C, _, _ = dci_scores_batch(np.array([[[0.7], [0.3]], [[0.0], [0.0]]]))
    single = dci_scores(np.array([[0.7], [0.3]]))
    assert abs(D[0] - 1.0) < 1e-15 and abs(C[0] - single.completeness) < 1e-12 and abs(D[1] - 1.0) < 1e-15
    D, C, _, _ = dci_scores_batch(np.array([[[0.2, 0.8]]]))
    assert C[0] == 1.0
    with pytest.raises(ValueError):
        dci_scores_batch(np.ones((2, 3)))
    with pytest.raises(ValueError):
        dci_scores_batch(-np.ones((1, 2, 3)))
