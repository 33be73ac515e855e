"""The group view: aggregation rule, disagreement table, and combinations robust across analysts."""
from __future__ import annotations

import itertools

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from decision import build_portfolios
from decision.cli import main
from decision.errors import DecisionError
from decision.group import RULE_AHP, RULE_MEAN, aggregate, closest_to_robust, disagreement, group_view, robust_top
from decision.profiles import load_profile, make_profile
from decision.ranking import Ranker

CRIT = ["rights_protection", "security_continuity", "legitimacy", "escalation_risk"]
PRESETS = ["balanced", "rights-first", "security-first", "de-escalation-first"]


def _consistent_ahp(name, w):
    """An AHP profile whose judgments are exactly w_i / w_j."""
    judg = {f"{a}/{b}": w[i] / w[j] for (i, a), (j, b) in itertools.combinations(enumerate(CRIT), 2)}
    return make_profile(name, "ahp", judg, CRIT)


def test_mean_of_weights_when_methods_differ():
    a = make_profile("a", "swing", "rights_protection=100,security_continuity=100,legitimacy=100,"
                                   "escalation_risk=100", CRIT)
    b = make_profile("b", "rank_sum", "rights_protection>legitimacy>security_continuity>escalation_risk", CRIT)
    w, rule, res = aggregate([a, b])
    assert rule == RULE_MEAN and res is None
    # (0.25 + 0.4)/2, (0.25 + 0.2)/2, (0.25 + 0.3)/2, (0.25 + 0.1)/2
    assert w.tolist() == pytest.approx([0.325, 0.225, 0.275, 0.175])


def test_geometric_mean_of_judgments_when_all_ahp():
    w1, w2 = np.array([0.4, 0.3, 0.2, 0.1]), np.array([0.1, 0.2, 0.3, 0.4])
    w, rule, res = aggregate([_consistent_ahp("one", w1), _consistent_ahp("two", w2)])
    assert rule == RULE_AHP
    # element-wise geometric mean of two consistent matrices is consistent with weights ∝ sqrt(w1 * w2)
    expected = np.sqrt(w1 * w2) / np.sqrt(w1 * w2).sum()
    assert w.to_numpy() == pytest.approx(expected, abs=1e-6)
    assert res.consistency_ratio == pytest.approx(0, abs=1e-6)
    # ... which is not the arithmetic mean of the weights (here 0.25 each)
    assert not np.allclose(w.to_numpy(), (w1 + w2) / 2, atol=1e-3)


def test_geometric_mean_of_single_judgment_hand_worked():
    base = {"rights_protection/legitimacy": 1, "rights_protection/escalation_risk": 1,
            "security_continuity/legitimacy": 1, "security_continuity/escalation_risk": 1,
            "legitimacy/escalation_risk": 1}
    p1 = make_profile("p1", "ahp", {**base, "rights_protection/security_continuity": 2}, CRIT)
    p2 = make_profile("p2", "ahp", {**base, "rights_protection/security_continuity": 8}, CRIT)
    _, _, res = aggregate([p1, p2])
    assert res.matrix.loc["rights_protection", "security_continuity"] == pytest.approx(4.0)   # sqrt(2 * 8)


def test_disagreement_table_hand_worked():
    t = disagreement({"x": pd.Series([0.5, 0.3, 0.1, 0.1], index=CRIT),
                      "y": pd.Series([0.1, 0.3, 0.3, 0.3], index=CRIT)})
    assert list(t.columns) == ["x", "y", "min", "max", "spread", "std"]
    assert t.index[0] == "rights_protection"                 # widest spread first
    row = t.loc["rights_protection"]
    assert (row["min"], row["max"]) == (0.1, 0.5)
    assert row["spread"] == pytest.approx(0.4) and row["std"] == pytest.approx(0.2)
    assert t.loc["security_continuity", "spread"] == pytest.approx(0) and t.loc["security_continuity", "std"] == 0


def _top_sets_brute_force(portfolios, weights_by_name, k):
    sets = []
    for w in weights_by_name.values():
        df = Ranker(portfolios).rank(w, "wsm", top=None)
        sets.append(set(df.index[df["rank"] <= k]))
    return set.intersection(*sets)


@settings(max_examples=15, deadline=None)
@given(st.lists(st.lists(st.floats(0.01, 1.0), min_size=4, max_size=4), min_size=2, max_size=4),
       st.integers(1, 40))
def test_robust_top_equals_brute_force_intersection(small_portfolios, raw, k):
    named = {f"p{i}": pd.Series(r, index=small_portfolios.criteria) / sum(r) for i, r in enumerate(raw)}
    got = robust_top(small_portfolios, named, top=k)
    assert set(got.index) == _top_sets_brute_force(small_portfolios, named, k)
    assert (got["worst_rank"] <= k).all()
    assert got["worst_rank"].is_monotonic_increasing


def test_identical_profiles_share_their_whole_top_k(small_portfolios):
    w = pd.Series([0.4, 0.3, 0.2, 0.1], index=small_portfolios.criteria)
    got = robust_top(small_portfolios, {"a": w, "b": w}, top=5)
    expected = Ranker(small_portfolios).rank(w, "wsm", top=5)
    assert list(got.index) == list(expected.index)
    assert got["rank_a"].tolist() == expected["rank"].tolist()


def test_closest_to_robust_is_minimax_rank(small_portfolios):
    named = {"r": pd.Series([1, 0, 0, 0], index=small_portfolios.criteria, dtype=float),
             "e": pd.Series([0, 0, 0, 1], index=small_portfolios.criteria, dtype=float)}
    close = closest_to_robust(small_portfolios, named, n=3)
    ranks = pd.DataFrame({n: Ranker(small_portfolios).rank(w, top=None)["rank"].sort_index() for n, w in named.items()})
    best_worst = ranks.max(axis=1).min()
    assert close["worst_rank"].iloc[0] == best_worst
    assert len(close) == 3 and close["worst_rank"].is_monotonic_increasing


def test_group_view_on_bundled_presets_answers_shared_top_5(bundled):
    p = build_portfolios(bundled, max_tools=3)
    profiles = [load_profile(n, bundled) for n in PRESETS]
    g = group_view(p, profiles, top=5)
    assert g.names == tuple(PRESETS) and g.rule == RULE_MEAN
    assert g.aggregated.sum() == pytest.approx(1)
    assert set(g.robust.index) == _top_sets_brute_force(p, {q.name: q.weights for q in profiles}, 5)
    assert len(g.closest) == 5
    if g.robust.empty:
        assert g.closest["worst_rank"].min() > 5
    assert g.disagreement.loc["rights_protection", "spread"] == pytest.approx(0.5208333 - 0.1041667, abs=1e-6)


@pytest.mark.parametrize("profiles, message", [
    ({}, "at least one"),
    ({"a": pd.Series([1, 1], index=["x", "y"]), "b": pd.Series([1, 1], index=["x", "z"])}, "expected x, y"),
])
def test_group_errors(profiles, message):
    with pytest.raises(DecisionError, match=message):
        disagreement(profiles)


def test_same_profile_twice_and_bad_top(small_portfolios, bundled):
    p = load_profile("balanced", bundled)
    with pytest.raises(DecisionError, match="given twice"):
        aggregate([p, p])
    with pytest.raises(DecisionError, match="top must be"):
        robust_top(small_portfolios, {"a": p.weights, "b": p.weights}, top=0)


def test_cli_group_on_bundled_presets(capsys):
    assert main(["weights", "group", *PRESETS, "--top", "5", "--max-tools", "3"]) == 0
    out = capsys.readouterr().out
    assert "Group of 4 profiles" in out and "spread" in out and "arithmetic mean" in out
    assert "Robust across analysts" in out or "No combination is in the top 5 under every profile" in out


def test_cli_group_needs_two_profiles(capsys):
    assert main(["weights", "group", "balanced"]) == 2
    assert "at least two profiles" in capsys.readouterr().err


@pytest.fixture(scope="module")
def small_portfolios(bundled):
    return build_portfolios(bundled, max_tools=2)
