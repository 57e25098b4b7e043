"""Factor probes and factor moves: known answers derived by hand, and a plain-loop reference."""

import numpy as np
import pytest

from latentnav.effects.factor_roles import (NO_FACTOR, factor_moves, fit_factor_probe, predict_factors,
                                            summarize_moves, traversal_moves)
from latentnav.errors import ParameterError


def _pred(n=3, d=2, s=5, k=3, fill=0.0):
    return np.full((n, d, s, k), fill)


def test_dim_moving_one_factor_linearly_in_every_input():
    pred = _pred()
    pred[:, 0, :, 1] = np.linspace(0, 4, 5)  # dim 0 moves factor 1 over its whole span, monotonic
    moves = factor_moves(pred, spread=np.array([1.0, 4.0, 2.0]))
    assert moves.factor.tolist() == [1, NO_FACTOR]
    assert moves.share.tolist() == [1.0, 0.0]
    assert moves.monotonic_share.tolist() == [1.0, 0.0]
    assert moves.mean_range[0] == pytest.approx(1.0)


def test_a_bump_is_not_monotonic():
    pred = _pred(n=2, d=1)
    pred[:, 0, :, 0] = [0, 1, 2, 1, 0]
    moves = factor_moves(pred, spread=np.ones(3))
    assert moves.factor.tolist() == [0] and moves.share.tolist() == [1.0]
    assert moves.monotonic_share.tolist() == [0.0]
    assert moves.mean_range[0] == pytest.approx(2.0)


def test_decreasing_moves_are_monotonic_too():
    pred = _pred(n=1, d=1)
    pred[0, 0, :, 2] = [3, 2, 2, 1, 0]  # a tie (2, 2) inside a decreasing run
    top, mono, _ = traversal_moves(pred, np.ones(3))
    assert top.tolist() == [[2]] and mono.tolist() == [[True]]


@pytest.mark.parametrize("wiggle, monotonic", [(0.99, True), (0.9, False)])
def test_small_backward_steps_are_ties(wiggle, monotonic):
    pred = _pred(n=1, d=1, s=4, k=1)
    pred[0, 0, :, 0] = [0, 1, wiggle, 2]  # step back of 0.01 / 2 = 0.005 <= 0.02 (tie), or 0.1 / 2 = 0.05 (not)
    top, mono, ranges = traversal_moves(pred, np.array([2.0]), tie_tol=0.02)
    assert top.tolist() == [[0]] and mono.tolist() == [[monotonic]]
    assert ranges[0, 0, 0] == pytest.approx(1.0)


def test_ranges_are_normalised_by_the_spread():
    pred = _pred(n=1, d=1, k=2)
    pred[0, 0, :, 0] = np.linspace(0, 2, 5)  # 2 of a spread of 4: 0.5
    pred[0, 0, :, 1] = np.linspace(0, 1, 5)  # 1 of a spread of 1: 1.0
    top, _, ranges = traversal_moves(pred, np.array([4.0, 1.0]))
    assert top.tolist() == [[1]] and ranges[0, 0].tolist() == pytest.approx([0.5, 1.0])
    top, _, _ = traversal_moves(pred, np.array([1.0, 1.0]))
    assert top.tolist() == [[0]]


def test_ties_between_factors_go_to_the_lowest_index():
    pred = _pred(n=4, d=1, k=3)
    pred[:, 0, :, 1] = pred[:, 0, :, 2] = np.linspace(0, 1, 5)  # factors 1 and 2 move equally
    assert factor_moves(pred, np.ones(3)).factor.tolist() == [1]
    # equally common top factors over inputs: the lowest index again
    pred = _pred(n=2, d=1, k=3)
    pred[0, 0, :, 2] = np.linspace(0, 1, 5)
    pred[1, 0, :, 0] = np.linspace(0, 1, 5)
    moves = factor_moves(pred, np.ones(3))
    assert moves.factor.tolist() == [0] and moves.share.tolist() == [0.5]


def test_moves_below_min_move_are_no_factor():
    pred = _pred(n=2, d=1, k=2)
    pred[:, 0, :, 0] = np.linspace(0, 0.05, 5)  # 5 % of the spread
    top, mono, _ = traversal_moves(pred, np.ones(2), min_move=0.1)
    assert top.tolist() == [[NO_FACTOR], [NO_FACTOR]] and not mono.any()
    top, _, _ = traversal_moves(pred, np.ones(2), min_move=0.05)
    assert top.tolist() == [[0], [0]]


def test_shares_count_all_inputs():
    # 4 inputs: 3 move factor 2 (2 of them monotonically), 1 moves factor 0; dim 1 moves nothing in 3 inputs
    pred = _pred(n=4, d=2, s=5, k=3)
    pred[0, 0, :, 2] = [0, 1, 2, 3, 4]
    pred[1, 0, :, 2] = [4, 3, 2, 1, 0]
    pred[2, 0, :, 2] = [0, 3, 1, 4, 2]
    pred[3, 0, :, 0] = [0, 1, 2, 3, 4]
    pred[3, 1, :, 1] = [0, 1, 2, 3, 4]
    moves = factor_moves(pred, np.ones(3))
    assert moves.factor.tolist() == [2, 1]
    assert moves.share.tolist() == [0.75, 0.25]
    assert moves.monotonic_share.tolist() == [0.5, 0.25]
    assert moves.mean_range.tolist() == pytest.approx([3.0, 1.0])  # factor 2's ranges 4, 4, 4, 0


def _reference(pred, spread, min_move, tie_tol):
    """Plain loops over inputs, dims and factors."""
    n, d, s, k = pred.shape
    top = np.full((n, d), -1)
    mono = np.zeros((n, d), bool)
    for i in range(n):
        for j in range(d):
            best, best_range = -1, -1.0
            for f in range(k):
                r = (max(pred[i, j, :, f]) - min(pred[i, j, :, f])) / spread[f]
                if r > best_range:
                    best, best_range = f, r
            if best_range < min_move:
                continue
            top[i, j] = best
            steps = [(pred[i, j, t + 1, best] - pred[i, j, t, best]) / spread[best] for t in range(s - 1)]
            mono[i, j] = all(x >= -tie_tol for x in steps) or all(x <= tie_tol for x in steps)
    factor, share, mshare = [], [], []
    for j in range(d):
        counts = {}
        for i in range(n):
            if top[i, j] >= 0:
                counts[top[i, j]] = counts.get(top[i, j], 0) + 1
        if not counts:
            factor.append(-1), share.append(0.0), mshare.append(0.0)
            continue
        f = min(counts, key=lambda c: (-counts[c], c))
        factor.append(f)
        share.append(sum(top[i, j] == f for i in range(n)) / n)
        mshare.append(sum(top[i, j] == f and mono[i, j] for i in range(n)) / n)
    return top, mono, factor, share, mshare


def test_matches_a_plain_loop_reference():
    rng = np.random.default_rng(0)
    pred = rng.normal(size=(40, 6, 7, 4)) * rng.uniform(0, 1, size=(40, 6, 1, 4))
    pred[:10, :, :, 1] += np.linspace(0, 3, 7)[None, None]  # some monotonic trends
    pred = np.round(pred, 1)  # exact ties between factors and steps
    spread = np.array([1.0, 3.0, 0.5, 2.0])
    top, mono, ranges = traversal_moves(pred, spread, min_move=0.8, tie_tol=0.05)
    ref_top, ref_mono, factor, share, mshare = _reference(pred, spread, 0.8, 0.05)
    assert (top == ref_top).all() and (mono == ref_mono).all()
    moves = summarize_moves(top, mono, ranges)
    assert moves.factor.tolist() == factor
    assert moves.share.tolist() == pytest.approx(share) and moves.monotonic_share.tolist() == pytest.approx(mshare)


def test_probe_recovers_a_linear_map_exactly():
    rng = np.random.default_rng(1)
    factors = rng.integers(0, 6, size=(200, 2))
    codes = np.c_[2.0 * factors[:, 0] + 1.0, -3.0 * factors[:, 1], np.full(200, 7.0)]  # a constant code too
    probe = fit_factor_probe(codes, factors, alpha=0.0)
    assert probe.scale[2] == 1.0 and probe.r2 == pytest.approx([1.0, 1.0])
    new = np.array([[2.0 * 2.5 + 1.0, -3.0 * 4.0, 7.0]])
    assert predict_factors(probe, new) == pytest.approx(np.array([[2.5, 4.0]]))
    assert predict_factors(probe, codes[None, None]).shape == (1, 1, 200, 2)


def test_ridge_shrinks_as_its_closed_form():
    # one standardised code x with sum(x^2) = n: coef = x.y / (n + alpha)
    x = np.array([-1.0, 1.0, -1.0, 1.0])  # mean 0, std 1
    y = np.array([[0.0], [2.0], [0.0], [2.0]])
    probe = fit_factor_probe(x[:, None], y, alpha=4.0)
    assert probe.coef[0, 0] == pytest.approx(4.0 / 8.0)
    assert probe.intercept[0] == pytest.approx(1.0)
    assert probe.r2[0] == pytest.approx(1.0 - 4 * 0.5 ** 2 / 4.0)  # residuals +-0.5, total 4


def test_bad_input():
    with pytest.raises(ParameterError, match="spread"):
        factor_moves(_pred(), np.array([1.0, 0.0, 1.0]))
    with pytest.raises(ParameterError, match="S >= 2"):
        factor_moves(np.zeros((2, 2, 1, 3)), np.ones(3))
    with pytest.raises(ParameterError, match="tie_tol"):
        factor_moves(_pred(), np.ones(3), tie_tol=-1)
    with pytest.raises(ParameterError, match="n >= 2"):
        fit_factor_probe(np.zeros((1, 2)), np.zeros((1, 1)))
