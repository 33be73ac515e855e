"""Weight elicitation: rank-order surrogates, swing, AHP, objective weights, and the `decision weights` CLI."""
from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from decision import weights as W
from decision.cli import main
from decision.errors import DecisionError

CRIT = ["rights_protection", "security_continuity", "legitimacy", "escalation_risk"]


# ----------------------------------------------------------------------------------------------------------------
# Published rank-order weights

def test_roc_four_ranks_matches_barron_barrett():
    # Barron & Barrett (1996), Management Science 42(11):1515-1523: ROC for n = 4 is .5208 .2708 .1458 .0625
    assert W.roc(4).round(4).tolist() == [0.5208, 0.2708, 0.1458, 0.0625]


def test_roc_three_and_five_ranks_hand_worked():
    # w_k = (1/n) sum_{i>=k} 1/i: n=3 -> 11/18, 5/18, 2/18
    assert np.allclose(W.roc(3), [11 / 18, 5 / 18, 2 / 18])
    assert W.roc(5).round(4).tolist() == [0.4567, 0.2567, 0.1567, 0.0900, 0.0400]


def test_rank_sum_and_reciprocal_four_ranks_hand_worked():
    assert np.allclose(W.rank_sum(4), [0.4, 0.3, 0.2, 0.1])
    # 1/k over 1 + 1/2 + 1/3 + 1/4 = 25/12
    assert np.allclose(W.rank_reciprocal(4), [12 / 25, 6 / 25, 4 / 25, 3 / 25])


def test_roc_order_with_tie_shares_average_and_follows_criteria_order():
    w = W.roc("rights_protection>legitimacy>security_continuity=escalation_risk", CRIT)
    assert list(w.index) == CRIT
    tied = (0.1458333333 + 0.0625) / 2
    assert w["rights_protection"] == pytest.approx(0.5208333, abs=1e-6)
    assert w["legitimacy"] == pytest.approx(0.2708333, abs=1e-6)
    assert w["security_continuity"] == pytest.approx(tied) and w["escalation_risk"] == pytest.approx(tied)


def test_order_as_list_of_lists_equals_string():
    a = W.rank_sum([["rights_protection"], ["legitimacy", "security_continuity"], "escalation_risk"], CRIT)
    b = W.rank_sum("rights_protection > legitimacy = security_continuity > escalation_risk", CRIT)
    pd.testing.assert_series_equal(a, b)
    assert a["legitimacy"] == pytest.approx(0.25)


def test_all_tied_gives_equal_weights():
    assert np.allclose(W.roc("a=b=c=d"), 0.25)


@pytest.mark.parametrize("order, message", [
    ("rights_protection>legitimacy>security_continuity", "misses criterion 'escalation_risk'"),
    ("rights_protection>legitimacy>security_continuity=escalation_risk>nope", "unknown criterion 'nope'"),
    ("rights_protection>>legitimacy>security_continuity=escalation_risk", "empty criterion name"),
    ("rights_protection>legitimacy>security_continuity=rights_protection>escalation_risk", "appears twice"),
])
def test_bad_orders_are_rejected_with_a_clear_message(order, message):
    with pytest.raises(DecisionError, match=message):
        W.roc(order, CRIT)


def test_roc_needs_a_positive_n():
    with pytest.raises(DecisionError, match="at least 1"):
        W.roc(0)


@settings(max_examples=60, deadline=None)
@given(st.integers(1, 30))
def test_rank_weights_sum_to_one_are_positive_and_decrease(n):
    for rule in (W.roc, W.rank_sum, W.rank_reciprocal):
        w = rule(n).to_numpy()
        assert w.sum() == pytest.approx(1.0)
        assert (w > 0).all()
        assert (np.diff(w) < 0).all()          # rank k strictly more important than rank k+1


@settings(max_examples=60, deadline=None)
@given(st.lists(st.integers(1, 4), min_size=1, max_size=8))
def test_roc_preserves_any_order_with_ties(levels):
    # criteria c0.. with importance levels (1 = most important); equal levels are ties
    names = [f"c{i}" for i in range(len(levels))]
    groups = [[n for n, lv in zip(names, levels) if lv == v] for v in sorted(set(levels))]
    w = W.roc(groups, names)
    assert w.sum() == pytest.approx(1.0)
    for a, la in zip(names, levels):
        for b, lb in zip(names, levels):
            if la < lb:
                assert w[a] > w[b]
            elif la == lb:
                assert w[a] == pytest.approx(w[b])


# ----------------------------------------------------------------------------------------------------------------
# Swing

def test_swing_normalises_points():
    w = W.swing("rights_protection=100,legitimacy=60,security_continuity=50,escalation_risk=40", CRIT)
    assert w.to_dict() == pytest.approx({"rights_protection": 0.4, "security_continuity": 0.2, "legitimacy": 0.24,
                                         "escalation_risk": 0.16})


@pytest.mark.parametrize("points, message", [
    ({"rights_protection": 80, "security_continuity": 50, "legitimacy": 50, "escalation_risk": 10}, "exactly 100"),
    ({"rights_protection": 120, "security_continuity": 100, "legitimacy": 50, "escalation_risk": 10}, "0 to 100"),
    ({"rights_protection": 100, "security_continuity": -5, "legitimacy": 50, "escalation_risk": 10}, "negative"),
    ({"rights_protection": 100, "legitimacy": 50, "escalation_risk": 10}, "miss criterion 'security_continuity'"),
    ("rights_protection=100,oops", "expected name=value"),
])
def test_swing_rejects_bad_points(points, message):
    with pytest.raises(DecisionError, match=message):
        W.swing(points, CRIT)


# ----------------------------------------------------------------------------------------------------------------
# AHP: published examples

HOUSE = [[1, 5, 3, 7, 6, 6, "1/3", "1/4"],
         ["1/5", 1, "1/3", 5, 3, 3, "1/5", "1/7"],
         ["1/3", 3, 1, 6, 3, 4, 6, "1/5"],
         ["1/7", "1/5", "1/6", 1, "1/3", "1/4", "1/7", "1/8"],
         ["1/6", "1/3", "1/3", 3, 1, "1/2", "1/5", "1/6"],
         ["1/6", "1/3", "1/4", 4, 2, 1, "1/5", "1/6"],
         [3, 5, "1/6", 7, 5, 5, 1, "1/2"],
         [4, 7, 5, 8, 6, 6, 2, 1]]


def test_ahp_saaty_house_example_priorities_lambda_and_cr():
    # Saaty (1990) "How to make a decision: the analytic hierarchy process", EJOR 48:9-26, house-buying example
    # (eight criteria: size, transportation, neighbourhood, age, yard, facilities, condition, financing).
    # Published: priorities .173 .054 .188 .018 .031 .036 .167 .333; lambda_max 9.669; CI .238; CR .169 (RI 1.41).
    r = W.ahp(HOUSE)
    assert r.weights.round(3).tolist() == [0.173, 0.054, 0.188, 0.018, 0.031, 0.036, 0.167, 0.333]
    assert r.lambda_max == pytest.approx(9.669, abs=5e-4)
    assert r.consistency_index == pytest.approx(0.238, abs=5e-4)
    assert r.consistency_index / 1.41 == pytest.approx(0.169, abs=5e-4)     # Saaty's RI(8) = 1.41
    assert r.random_index == 1.3952                                            # Tummala & Ling, as pymcdm
    assert r.consistency_ratio == pytest.approx(r.consistency_index / 1.3952)
    assert r.inconsistent                                                      # CR > 0.10 is flagged


def test_ahp_house_example_worst_judgment_is_neighbourhood_vs_condition():
    # judgment 3-vs-7 = 6 while the priorities imply about 1.13: by far the largest |ln(a_ij w_j / w_i)|
    r = W.ahp(HOUSE)
    a, b, given_, implied = r.worst_judgment
    assert (a, b, given_) == ("2", "6", 6.0)
    assert implied == pytest.approx(0.188 / 0.167, abs=0.02)
    errs = r.errors()
    assert errs["log_error"].iloc[0] == pytest.approx(abs(math.log(6 * r.weights.iloc[6] / r.weights.iloc[2])))
    assert errs["log_error"].is_monotonic_decreasing


def test_ahp_saaty_drinks_example():
    # Saaty (2008) "Decision making with the analytic hierarchy process", Int. J. Services Sciences 1(1):83-98,
    # "which drink is consumed more in the US": published priorities coffee .177, wine .019, tea .042, beer .116,
    # sodas .190, milk .129, water .327. Judgments as upper-triangle pairs.
    drinks = {"coffee/wine": 9, "coffee/tea": 5, "coffee/beer": 2, "coffee/sodas": 1, "coffee/milk": 1,
              "water/coffee": 2, "tea/wine": 3, "beer/wine": 9, "sodas/wine": 9, "milk/wine": 9, "water/wine": 9,
              "beer/tea": 3, "sodas/tea": 4, "milk/tea": 3, "water/tea": 9, "sodas/beer": 2, "beer/milk": 1,
              "water/beer": 3, "sodas/milk": 2, "water/sodas": 2, "water/milk": 3}
    names = ["coffee", "wine", "tea", "beer", "sodas", "milk", "water"]
    r = W.ahp(drinks, names)
    assert r.weights.round(3).to_dict() == {"coffee": 0.177, "wine": 0.019, "tea": 0.042, "beer": 0.116,
                                            "sodas": 0.190, "milk": 0.129, "water": 0.327}
    # AHPy (github.com/PhilipGriffith/AHPy tests) reports CR 0.022 with Saaty's 2005 RI(7) = 1.35
    assert r.consistency_index / 1.35 == pytest.approx(0.022, abs=5e-4)
    assert not r.inconsistent


def test_ahp_weights_agree_with_pymcdm_on_saaty_scale():
    from pymcdm.weights.subjective import AHP
    A = W.pairwise_matrix(HOUSE).to_numpy()
    r = W.ahp(HOUSE)
    assert np.allclose(r.weights, AHP(matrix=A)())
    assert r.consistency_ratio == pytest.approx(AHP(matrix=A).get_cr())


def test_ahp_states_its_random_index_table():
    r = W.ahp({"a/b": 2, "a/c": 4, "b/c": 2})
    assert "Tummala" in r.random_index_table
    assert r.random_index_values[2] == 0.5799 and r.random_index == 0.5799


# ----------------------------------------------------------------------------------------------------------------
# AHP: invariants

@settings(max_examples=60, deadline=None)
@given(st.lists(st.floats(0.05, 20.0), min_size=3, max_size=9))
def test_consistent_matrix_has_cr_zero_and_recovers_generating_weights(raw):
    w = np.array(raw) / sum(raw)
    A = w[:, None] / w[None, :]
    r = W.ahp(A)
    assert np.allclose(r.weights, w, atol=1e-9)
    assert r.lambda_max == pytest.approx(len(w), abs=1e-8)
    assert r.consistency_ratio == pytest.approx(0.0, abs=1e-8)
    assert r.worst_judgment is None and not r.inconsistent


@settings(max_examples=60, deadline=None)
@given(st.integers(3, 7), st.data())
def test_ahp_weights_positive_sum_to_one_and_cr_nonnegative(n, data):
    scale = [1, 2, 3, 4, 5, 6, 7, 8, 9, 1 / 2, 1 / 3, 1 / 4, 1 / 5, 1 / 6, 1 / 7, 1 / 8, 1 / 9]
    upper = data.draw(st.lists(st.sampled_from(scale), min_size=n * (n - 1) // 2, max_size=n * (n - 1) // 2))
    names = [f"c{i}" for i in range(n)]
    r = W.ahp(upper, names)
    assert r.weights.sum() == pytest.approx(1.0)
    assert (r.weights > 0).all()
    assert r.lambda_max >= n - 1e-9 and r.consistency_ratio >= 0


def test_upper_triangle_list_and_full_matrix_and_judgments_agree():
    full = [[1, 3, 5], [1 / 3, 1, 2], [1 / 5, 1 / 2, 1]]
    a = W.ahp(full, ["x", "y", "z"]).weights
    b = W.ahp([3, 5, 2], ["x", "y", "z"]).weights
    c = W.ahp({"x/y": 3, "z/x": "1/5", ("y", "z"): 2}, ["x", "y", "z"]).weights
    assert np.allclose(a, b) and np.allclose(a, c)
    assert a["x"] > a["y"] > a["z"]


def test_ahp_reorders_labelled_matrix_to_criteria_order():
    df = pd.DataFrame([[1, 1 / 4], [4, 1]], index=["b", "a"], columns=["b", "a"])
    w = W.ahp(df, ["a", "b"]).weights
    assert list(w.index) == ["a", "b"] and w["a"] == pytest.approx(0.8)


@pytest.mark.parametrize("matrix, message", [
    ([[1, 3], [3, 1]], "not reciprocal"),
    ([[1, 0], [0, 1]], "positive"),
    ([[1, -2], [-0.5, 1]], "positive"),
    ([[1, 2, 3], [0.5, 1, 1]], "square"),
    ([[2, 1], [1, 1]], "must be 1"),
    ([[1, "x"], [1, 1]], "fraction like 1/3"),
    ([[1, float("nan")], [1, 1]], "positive finite"),
])
def test_ahp_rejects_bad_matrices(matrix, message):
    with pytest.raises(DecisionError, match=message):
        W.ahp(matrix)


def test_ahp_rejects_incomplete_and_unknown_judgments():
    with pytest.raises(DecisionError, match="miss 1 comparison"):
        W.ahp({"a/b": 2, "a/c": 3}, ["a", "b", "c"])
    with pytest.raises(DecisionError, match="unknown criterion 'd'"):
        W.ahp({"a/b": 2, "a/c": 3, "b/d": 1}, ["a", "b", "c"])
    with pytest.raises(DecisionError, match="compared twice"):
        W.ahp({"a/b": 2, "b/a": 0.5, "a/c": 3, "b/c": 1}, ["a", "b", "c"])


def test_ahp_accepts_two_decimal_reciprocals():
    r = W.ahp([[1, 3], [0.33, 1]])
    assert r.weights.iloc[0] == pytest.approx(0.75, abs=2e-3)


# ----------------------------------------------------------------------------------------------------------------
# Objective weights

def test_entropy_matches_pymcdm_on_positive_data():
    from pymcdm.weights import entropy_weights
    X = np.random.default_rng(1).uniform(1, 10, (30, 4))
    assert np.allclose(W.entropy(X), entropy_weights(X))


def test_entropy_hand_worked_with_zero_and_constant_column():
    # column 0: (0, 1) -> p = (0, 1), E = 0, d = 1; column 1 constant -> E = 1, d = 0
    w = W.entropy(np.array([[0.0, 5.0], [1.0, 5.0]]), ["a", "b"])
    assert w.to_dict() == {"a": 1.0, "b": 0.0}


def test_critic_orients_cost_criteria_and_matches_pymcdm_when_all_benefit():
    from pymcdm.weights import critic_weights
    X = np.random.default_rng(2).uniform(0, 10, (40, 3))
    assert np.allclose(W.critic(X), critic_weights(X))
    flipped = X.copy()
    flipped[:, 2] = 10 - X[:, 2]
    # a cost column is the mirror image of a benefit column: same weights either way
    assert np.allclose(W.critic(X, [1, 1, -1]), W.critic(flipped, [1, 1, 1]))


def test_critic_gives_constant_criterion_zero_and_entropy_labels():
    X = np.column_stack([np.arange(10.0), np.full(10, 3.0), np.arange(10.0) ** 2])
    w = W.critic(X, criteria=["a", "b", "c"])
    assert w["b"] == 0 and w.sum() == pytest.approx(1)
    assert "data-driven" in W.OBJECTIVE_LABEL


@pytest.mark.parametrize("fn, matrix, message", [
    (W.entropy, [[1.0, -1.0], [2.0, 3.0]], ">= 0"),
    (W.entropy, [[1.0, 2.0]], "at least 2 rows"),
    (W.critic, [[1.0, 2.0], [1.0, 3.0]], "at least two criteria that vary"),
    (W.entropy, [[1.0, np.nan], [2.0, 3.0]], "NaN"),
])
def test_objective_weights_reject_bad_matrices(fn, matrix, message):
    with pytest.raises(DecisionError, match=message):
        fn(np.array(matrix))


def test_objective_weights_on_portfolio_values(bundled_portfolios):
    p = bundled_portfolios
    for w in (W.entropy(p.values, p.criteria), W.critic(p.values, p.types, p.criteria)):
        assert list(w.index) == p.criteria and w.sum() == pytest.approx(1) and (w >= 0).all()


def test_weights_module_imports_nothing_downstream():
    import ast
    import inspect
    tree = ast.parse(inspect.getsource(W))
    imported = {n.module for n in ast.walk(tree) if isinstance(n, ast.ImportFrom) and n.level}
    # safeio (bounded reading of numbers) imports only errors; defaults (the named thresholds) imports nothing
    assert imported <= {"errors", "safeio", "defaults"}


# ----------------------------------------------------------------------------------------------------------------
# CLI

def test_cli_roc_prints_weights(capsys):
    assert main(["weights", "roc", "rights_protection>legitimacy>security_continuity=escalation_risk"]) == 0
    out = capsys.readouterr().out
    assert "rights_protection     0.5208" in out and "escalation_risk       0.1042" in out


def test_cli_swing_and_rank_sum(capsys):
    assert main(["weights", "swing", "rights_protection=100,legitimacy=60,security_continuity=50,"
                                     "escalation_risk=40"]) == 0
    assert "0.4000" in capsys.readouterr().out
    assert main(["weights", "rank-sum", "4"]) == 0
    assert "0.4000" in capsys.readouterr().out


def test_cli_ahp_from_csv_and_yaml(tmp_path, capsys):
    csv = tmp_path / "m.csv"
    csv.write_text(",rights_protection,security_continuity,legitimacy,escalation_risk\n"
                   "rights_protection,1,3,2,5\nsecurity_continuity,1/3,1,1/2,2\n"
                   "legitimacy,1/2,2,1,3\nescalation_risk,1/5,1/2,1/3,1\n")
    assert main(["weights", "ahp", str(csv)]) == 0
    out = capsys.readouterr().out
    assert "consistency ratio CR" in out and "Tummala & Ling" in out and "acceptable" in out
    yml = tmp_path / "m.yaml"
    yml.write_text("judgments:\n  rights_protection/security_continuity: 9\n  security_continuity/legitimacy: 9\n"
                   "  legitimacy/rights_protection: 9\n  rights_protection/escalation_risk: 1\n"
                   "  security_continuity/escalation_risk: 1\n  legitimacy/escalation_risk: 1\n")
    assert main(["weights", "ahp", str(yml)]) == 0
    out = capsys.readouterr().out
    assert "ABOVE 0.10" in out and "most inconsistent judgment" in out


@pytest.mark.parametrize("argv, message", [
    (["weights", "roc", "rights_protection>legitimacy"], "misses criterion"),
    (["weights", "swing", "rights_protection=100"], "swing points miss criterion"),
    (["weights", "ahp", "missing.csv"], "not found"),
    (["weights", "bogus"], "invalid choice"),
])
def test_cli_user_mistakes_exit_2_with_one_line(argv, message, capsys):
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith("decision: error:") and message in err
    assert "Traceback" not in err


def test_cli_ahp_non_reciprocal_file_exit_2(tmp_path, capsys):
    csv = tmp_path / "bad.csv"
    csv.write_text("rights_protection,security_continuity,legitimacy,escalation_risk\n1,3,2,5\n3,1,1,1\n"
                   "1/2,1,1,1\n1/5,1,1,1\n")
    assert main(["weights", "ahp", str(csv)]) == 2
    err = capsys.readouterr().err
    assert "bad.csv" in err and "not reciprocal" in err and err.count("\n") == 1


def test_cli_entropy_is_labelled_data_driven(capsys):
    assert main(["weights", "entropy", "--max-tools", "3"]) == 0
    out = capsys.readouterr().out
    assert "data-driven" in out and "Entropy weights over the" in out


def test_one_kernel_moves_one_weight_and_rescales_the_others():
    """Hand-worked: w = (0.5, 0.3, 0.2), move w_0 to 0.8: the others keep their 3:2 ratio in the 0.2 left."""
    from decision import options, ranking, robustness
    from decision.weights import walk_weights, weight_shifts
    W = walk_weights(np.array([0.5, 0.3, 0.2]), 0, np.array([0.8, 0.0]))
    assert np.allclose(W, [[0.8, 0.12, 0.08], [0.0, 0.6, 0.4]])
    assert np.allclose(walk_weights(np.array([1.0, 0.0, 0.0]), 0, np.array([0.4])), [[0.4, 0.3, 0.3]])  # all 0: equal
    S = weight_shifts(np.array([0.5, 0.3, 0.2]), 0.6)
    assert S.shape == (6, 3) and np.allclose(S[0], [0.0, 0.6, 0.4]) and np.allclose(S[1], [1.0, 0.0, 0.0])  # clipped
    assert np.allclose(S.sum(1), 1.0)
    # one home: the modules that move weights use this kernel, not a copy
    assert robustness.walk_weights is walk_weights and options.weight_shifts is weight_shifts
    assert ranking.weight_shifts is weight_shifts
