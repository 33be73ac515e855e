"""decision.kernel: the shared maths (min-max scaling, TOPSIS closeness, the smallest weight change that replaces the
recommendation) against hand-worked examples, and the former call sites against the kernel."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import decision
from decision import defaults, kernel
from decision import robustness as rb
from decision.advice import assess
from decision.briefing import robustness_content
from decision.kernel import closeness, crossing_of, crossings, minmax, minmax_range, squared_gaps
from decision.options import Scale, find_options
from decision.ranking import Ranker, normalise, rank_matrix, topsis_fast
from decision.weights import walk_weights

# ----------------------------------------------------------------------------------------------------------------
# Min-max scaling, by hand

X = np.array([[2.0, 8.0, 5.0], [6.0, 4.0, 5.0], [10.0, 6.0, 5.0]])
TYPES = np.array([1, -1, 1])


def test_minmax_by_hand_with_a_cost_and_a_constant_column():
    # benefit 2..10: 0, 0.5, 1; cost 4..8: (8-8)/4, (8-4)/4, (8-6)/4; constant column: 1
    got = minmax(X, TYPES, *minmax_range(X))
    assert np.array_equal(got, [[0.0, 0.0, 1.0], [0.5, 1.0, 1.0], [1.0, 0.5, 1.0]])


def test_minmax_on_fixed_bounds_and_outside_them():
    lo, hi = minmax_range(None, ([0.0, 0.0], [10.0, 10.0]))
    assert np.allclose(minmax(np.array([[2.0, 2.0], [12.0, -1.0]]), [1, -1], lo, hi), [[0.2, 0.8], [1.2, 1.1]])


def test_a_constant_column_is_one_at_its_value_and_keeps_the_order_of_draws_around_it():
    lo = hi = np.array([5.0])
    assert np.allclose(minmax(np.array([[5.0], [5.5], [4.0]]), [1], lo, hi), [[1.0], [1.5], [0.0]])
    assert np.allclose(minmax(np.array([[5.0], [5.5], [4.0]]), [-1], lo, hi), [[1.0], [0.5], [2.0]])


# ----------------------------------------------------------------------------------------------------------------
# TOPSIS closeness, by hand: the 3 x 2 problem of X's first two columns, weights 0.6 / 0.4

def _topsis_by_hand():
    # scaled: A (0, 0), B (0.5, 1), C (1, 0.5); w^2 = 0.36, 0.16
    a = 0.0                                                   # d- = 0: A is the anti-ideal
    b = 0.5 / (0.5 + 0.3)                                     # d+ = sqrt(0.36 * 0.25) = 0.3, d- = sqrt(0.09 + 0.16)
    c = np.sqrt(0.4) / (np.sqrt(0.4) + 0.2)                   # d+ = sqrt(0.16 * 0.25) = 0.2, d- = sqrt(0.36 + 0.04)
    return np.array([a, b, c])


def test_closeness_by_hand_and_as_pymcdm():
    Xn = minmax(X[:, :2], TYPES[:2], *minmax_range(X[:, :2]))
    w = np.array([0.6, 0.4])
    got = closeness(*squared_gaps(Xn), w)
    assert np.allclose(got, _topsis_by_hand(), atol=1e-12)
    assert np.allclose(got, rank_matrix(X[:, :2], w, TYPES[:2], "topsis")["preference"], atol=1e-12)


def test_closeness_for_many_weight_vectors_and_one_matrix_per_vector():
    Xn = minmax(X, TYPES, *minmax_range(X))
    W = np.array([[0.6, 0.4, 0.0], [0.2, 0.3, 0.5], [0.1, 0.1, 0.8]])
    live = np.array([True, True, False])
    one_by_one = np.array([closeness(*squared_gaps(Xn), w, live=live) for w in W])
    assert np.allclose(closeness(*squared_gaps(Xn), W, live=live), one_by_one)
    per_sample = np.broadcast_to(Xn, (3, *Xn.shape))
    assert np.allclose(closeness(*squared_gaps(per_sample), W, live=live), one_by_one)
    assert np.allclose(one_by_one[0], _topsis_by_hand())        # the constant column drops out


def test_closeness_is_undefined_when_all_weight_is_on_a_constant_column():
    Xn = minmax(X, TYPES, *minmax_range(X))
    live = np.array([True, True, False])
    assert np.isnan(closeness(*squared_gaps(Xn), np.array([0.0, 0.0, 1.0]), live=live)).all()
    assert (closeness(*squared_gaps(Xn), np.array([0.0, 0.0, 1.0]), live=live, undefined=0.0) == 0).all()


# ----------------------------------------------------------------------------------------------------------------
# The smallest weight change, by hand

W0 = np.array([0.5, 0.3, 0.2])


def test_crossings_by_hand():
    low, high = np.array([0.4, 0.0, 0.195]), np.array([1.0, 0.35, 0.3])
    got = crossings(W0, low, high)
    # criterion 2 falls 0.005 below, 1 rises 0.05 above, then 0 falls and 2 rises, both 0.1 (criterion order)
    assert [(c.criterion, c.direction) for c in got] == [(2, "falls below"), (1, "rises above"),
                                                          (0, "falls below"), (2, "rises above")]
    assert [c.distance for c in got] == pytest.approx([0.005, 0.05, 0.1, 0.1])
    # criterion 1 set to 0.36 (0.35 + 0.01), the others share 0.64 as 0.5 : 0.2
    assert np.allclose(got[1].weights, [0.64 * 5 / 7, 0.36, 0.64 * 2 / 7])
    assert np.allclose(got[0].weights, walk_weights(W0, 2, np.array([0.185]))[0])


def test_an_end_within_past_bound_of_0_or_1_cannot_be_crossed():
    got = crossings(W0, np.array([0.005, 0.2, 0.12]), np.array([0.995, 0.45, 0.25]))
    assert [(c.criterion, c.falls) for c in got] == [(2, False), (2, True), (1, True), (1, False)]


def test_crossing_of_picks_the_nearer_end_that_can_move():
    x = crossing_of(W0, 0.25, 0.32, 1)                           # the high end is nearer: rise to 0.33
    assert (x.criterion, x.falls, x.bound, x.weight) == (1, False, 0.32, 0.3)
    assert np.allclose(x.weights, walk_weights(W0, 1, np.array([0.33]))[0])
    assert crossing_of(W0, 0.28, 0.32, 1).falls                  # a tie goes to the low end
    assert not crossing_of(W0, 0.0, 0.9, 1).falls                # the low end at 0 cannot move
    x = crossing_of(W0, 0.005, 1.0, 1)                           # the high end at 1 cannot: fall, clipped at 0
    assert x.falls and x.weights[1] == 0.0


def test_past_bound_is_the_named_threshold():
    x = crossing_of(W0, 0.1, 0.9, 2)
    assert x.weights[2] == pytest.approx(0.1 - defaults.PAST_BOUND)
    assert kernel.PAST_BOUND is defaults.PAST_BOUND


# ----------------------------------------------------------------------------------------------------------------
# The former call sites agree with the kernel

@pytest.fixture(scope="module")
def p():
    return decision.build_portfolios(decision.load_catalog(), "hedging_partner", max_tools=4)


def test_rankers_scaling_and_topsis_are_the_kernels(p):
    r = Ranker(p)
    lo, hi = minmax_range(r.matrix)
    assert np.array_equal(r.normalised.X, minmax(r.matrix, p.types, lo, hi))
    assert np.array_equal(r.anchored.X, minmax(r.matrix, p.types, *p.catalog.bounds))
    w = np.array([0.4, 0.3, 0.2, 0.1])
    assert np.array_equal(topsis_fast(r.normalised, w), closeness(*squared_gaps(r.normalised.X), w, live=hi != lo))
    n = normalise(X, TYPES)
    assert np.array_equal(n.X, minmax(X, TYPES, *minmax_range(X)))


@pytest.mark.parametrize("method", ["wsm", "topsis"])
def test_robustness_and_options_scale_as_the_ranker(p, method):
    r = Ranker(p)
    sc = rb.portfolio_scaling(p, method)
    ref = r.anchored if method == "wsm" else r.normalised
    assert np.array_equal(sc(r.matrix), ref.X)
    scale = Scale.of(r, method)
    assert np.array_equal(scale(r.matrix), ref.X)
    W = np.array([[0.4, 0.3, 0.2, 0.1], [0.1, 0.2, 0.3, 0.4]])
    cost = r.effort_cost
    for w in W:
        assert np.allclose(scale.preference(r.matrix, w, cost), np.append(r.preference(w, method),
                                                                           r.status_quo_preference(w, method)),
                           rtol=0, atol=1e-15)
    assert np.allclose(rb.scores(sc(r.matrix), W, method, sc, cost), [scale.preference(r.matrix, w, cost) for w in W],
                       atol=1e-12)


def test_matrix_scaling_in_robustness_is_the_kernels():
    sc = rb._scaling(X, TYPES, True)
    assert np.array_equal(sc(X), minmax(X, TYPES, *minmax_range(X)))
    assert np.array_equal(sc.ideal, [1.0, 1.0, 1.0]) and np.array_equal(sc.anti, [0.0, 0.0, 1.0])


@pytest.mark.parametrize("method", ["wsm", "topsis"])
def test_advice_and_briefing_name_the_kernels_crossings(p, method):
    w = np.array([0.4, 0.3, 0.2, 0.1])
    stab = rb.portfolio_stability(p, w, method)
    r = Ranker(p)
    o = find_options(p, w, method)
    c = assess(p, o, r, smaa=False, stability=stab)
    crit = stab.attrs["most_critical"]
    x = crossing_of(w, stab.loc[crit, "low"], stab.loc[crit, "high"], p.criteria.index(crit))
    assert (c.critical, c.direction, c.bound) == (crit, x.direction, x.bound)
    assert c.replacement == r.rank(x.weights, method, 1)["tools"].iloc[0]
    rob = robustness_content(p, pd.Series(w, index=p.criteria), method, 50, 0, score_samples=0)
    xs = crossings(w, stab["low"].to_numpy(), stab["high"].to_numpy())
    assert [(d, k, how, b) for d, k, how, b, *_ in rob.changes] == [
        (x.distance, p.criteria[x.criterion], x.direction, x.bound) for x in xs]
    assert len(xs) >= 1


# ----------------------------------------------------------------------------------------------------------------
# Named thresholds: one place, every user reads it

def test_decision_rule_thresholds_are_defined_once_and_read_from_defaults():
    from decision import advice, audit, options, precedents, ranking, weights
    from decision.strategy import compare
    assert ranking.TIE_DELTA is defaults.TIE_DELTA and options.TIE_DELTA is defaults.TIE_DELTA
    assert (options.MAX_SHARED, options.DIFF_SHOWN) == (defaults.MAX_SHARED, defaults.DIFF_SHOWN)
    assert (advice.SPREAD, advice.FRAGILE, advice.STABLE, advice.TIED_MARGIN) == (
        defaults.NEAR_SPREAD, defaults.FRAGILE_MARGIN, defaults.STABLE_MARGIN, defaults.TIED_MARGIN)
    assert weights.CR_THRESHOLD is defaults.CR_THRESHOLD and compare.TIE is defaults.COURSE_TIE
    assert audit.MATERIAL_EFFORT is defaults.MATERIAL_EFFORT and precedents.NEAR_DISTANCE is defaults.NEAR_DISTANCE


def test_the_briefing_and_the_bottom_line_use_one_verdict_and_one_percent_rule():
    from decision.advice import verdict
    from decision.display import percent
    assert [verdict(m) for m in (None, 0.049, 0.05, 0.149, 0.15)] == [
        "of unknown stability", "fragile", "moderately stable", "moderately stable", "stable"]
    assert [percent(x) for x in (0.0, 0.05, 0.1, 0.567)] == ["0%", "5.0%", "10%", "57%"]


def test_no_decision_rule_threshold_is_redefined_outside_defaults():
    import re
    from pathlib import Path
    names = ["TIE_DELTA", "MAX_SHARED", "DIFF_SHOWN", "SPREAD", "FRAGILE", "STABLE", "TIED_MARGIN", "PAST_BOUND",
             "CR_THRESHOLD", "MATERIAL_EFFORT", "NEAR_DISTANCE", "CAP_BINDS"]
    assign = re.compile(rf"^({'|'.join(names)})(, \w+)* = ")
    root = Path(decision.__file__).parent
    found = [f"{p.name}: {line}" for p in root.rglob("*.py") if p.name != "defaults.py"
             for line in p.read_text().splitlines() if assign.match(line)]
    assert not found
