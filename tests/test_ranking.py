"""rank_matrix against published and hand-worked examples; the fast path against pymcdm; ranking invariants."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays
from pymcdm.normalizations import vector_normalization

import decision
from decision import DecisionError, consensus, rank_matrix
from decision.ranking import (FAST_METHODS, METHODS, Ranker, _pymcdm_preference, competition_ranks, normalise,
                              select_top)

# Hwang & Yoon (1981), fighter aircraft example: max speed, ferry range, max payload, cost (a cost criterion),
# reliability, manoeuvrability; weights 0.2 0.1 0.1 0.1 0.2 0.3. The book's closeness coefficients (vector
# normalisation) are 0.643, 0.268, 0.613, 0.312.
FIGHTER = np.array([[2.0, 1500, 20000, 5.5, 5, 9], [2.5, 2700, 18000, 6.5, 3, 5],
                    [1.8, 2000, 21000, 4.5, 7, 7], [2.2, 1800, 20000, 5.0, 5, 5]])
FIGHTER_W = [0.2, 0.1, 0.1, 0.1, 0.2, 0.3]
FIGHTER_T = [1, 1, 1, -1, 1, 1]


def test_topsis_reproduces_hwang_and_yoon():
    df = rank_matrix(FIGHTER, FIGHTER_W, FIGHTER_T, "topsis", normalization_function=vector_normalization)
    np.testing.assert_allclose(df["preference"], [0.643, 0.268, 0.613, 0.312], atol=6e-4)
    assert df["rank"].tolist() == [1, 4, 2, 3]


def test_vikor_hand_worked():
    # f* = (8, 9), f- = (2, 2); S = (0.4, 0.4714, 0.6), R = (0.4, 0.3, 0.6);
    # Q = 0.5 (S - S*)/(S- - S*) + 0.5 (R - R*)/(R- - R*) = (1/6, 0.17857, 1)
    df = rank_matrix(np.array([[8, 2], [5, 6], [2, 9]]), [0.6, 0.4], [1, 1], "vikor")
    np.testing.assert_allclose(df["preference"], [1 / 6, 0.5 * (0.4 + 0.4 * 3 / 7 - 0.4) / 0.2 * 0 + 0.178571, 1],
                               atol=1e-6)
    assert df["rank"].tolist() == [1, 2, 3]                     # VIKOR: lower Q is better
    v1 = rank_matrix(np.array([[8, 2], [5, 6], [2, 9]]), [0.6, 0.4], [1, 1], "vikor", v=1.0)
    np.testing.assert_allclose(v1["preference"], [0, (0.4 * 3 / 7 + 0.3 - 0.4) / 0.2, 1], atol=1e-9)


def test_spotis_hand_worked():
    # ideal (10, 0) within bounds 0-10: distance = sum w |x - ideal| / 10
    df = rank_matrix(np.array([[7, 2], [4, 1]]), [0.5, 0.5], [1, -1], "spotis", bounds=[[0, 10], [0, 10]])
    np.testing.assert_allclose(df["preference"], [0.25, 0.35])
    assert df["rank"].tolist() == [1, 2]


def test_promethee_ii_hand_worked():
    # usual criterion: pi(A,B)=.5, pi(A,C)=.5, pi(B,A)=.5, pi(B,C)=1, pi(C,A)=.5, pi(C,B)=0 -> net flows 0, .5, -.5
    df = rank_matrix(np.array([[3, 1], [2, 3], [1, 2]]), [0.5, 0.5], [1, 1], "promethee_ii")
    np.testing.assert_allclose(df["preference"], [0.0, 0.5, -0.5])
    assert df["rank"].tolist() == [2, 1, 3]


def test_wsm_hand_worked():
    # min-max: benefit (x - min)/(max - min), cost (max - x)/(max - min)
    df = rank_matrix(np.array([[1, 10], [3, 30], [2, 10]]), [0.5, 0.5], [1, -1], "wsm")
    np.testing.assert_allclose(df["preference"], [0.5, 0.5, 0.75])
    assert df["rank"].tolist() == [2, 2, 1]                     # tie rule: ties share the best rank


def test_dataframe_index_is_kept_and_weights_may_be_a_dict():
    m = pd.DataFrame({"x": [1.0, 2.0], "y": [2.0, 1.0]}, index=["p", "q"])
    df = rank_matrix(m, {"x": 3, "y": 1}, [1, 1], "wsm")
    assert df.index.tolist() == ["p", "q"] and df["rank"].tolist() == [2, 1]


@pytest.mark.parametrize("kwargs,fragment", [
    (dict(matrix=[[1, np.nan], [2, 3]]), "row 0, column 1 is nan"),
    (dict(weights=[1, -1]), "negative"),
    (dict(types=[1, 0]), "types must hold"),
    (dict(method="electre"), "unknown method 'electre'"),
    (dict(matrix=[[1, 5], [2, 5]], method="vikor"), "same value for every alternative"),
    (dict(matrix=[[1, 2], [3, 4]], method="spotis", bounds=[[2, 3], [0, 9]]), "outside the given bounds"),
])
def test_rank_matrix_errors(kwargs, fragment):
    args = dict(matrix=[[1, 2], [3, 1]], weights=[1, 1], types=[1, 1], method="topsis") | kwargs
    method = args.pop("method")
    with pytest.raises(DecisionError, match=fragment):
        rank_matrix(args.pop("matrix"), args.pop("weights"), args.pop("types"), method, **args)


def test_promethee_refuses_large_problems():
    with pytest.raises(DecisionError, match="shortlist"):
        rank_matrix(np.random.default_rng(0).random((6000, 2)), [1, 1], [1, 1], "promethee_ii")


def test_competition_ranks_and_select_top_agree():
    pref = np.array([0.3, 0.9, 0.3, 0.9, 0.1, 0.5])
    assert competition_ranks(pref).tolist() == [4, 1, 4, 1, 6, 3]
    rows, vals, ranks = select_top(pref, 4)
    assert rows.tolist() == [1, 3, 5, 0] and ranks.tolist() == [1, 1, 3, 4]


def test_consensus_rules():
    ranks = pd.DataFrame({"m1": [1, 2, 3], "m2": [2, 1, 3], "m3": [1, 3, 2]}, index=list("abc"))
    mean = consensus(ranks, "mean_rank")
    assert mean["rank"].tolist() == [1, 2, 3] and mean["score"].tolist() == pytest.approx([4 / 3, 2, 8 / 3])
    cop = consensus(ranks, "copeland")                          # a beats b (2 of 3) and c (3 of 3); b beats c
    assert cop["score"].tolist() == [2, 0, -2] and cop["rank"].tolist() == [1, 2, 3]


# ------------------------------------------------------------------------------------------------ invariants

matrices = arrays(np.float64, st.tuples(st.integers(2, 30), st.integers(2, 5)),
                  elements=st.floats(0, 10, allow_nan=False).map(lambda v: round(v, 2)))


@settings(max_examples=120, deadline=None)
@given(matrices, st.data())
def test_fast_path_equals_pymcdm(matrix, data):
    m = matrix.shape[1]
    types = np.array(data.draw(st.lists(st.sampled_from([1, -1]), min_size=m, max_size=m)))
    w = np.array(data.draw(st.lists(st.floats(0.01, 1), min_size=m, max_size=m)))
    w = w / w.sum()
    n = normalise(matrix, types)
    for method, fast in FAST_METHODS.items():
        try:
            expected = _pymcdm_preference(matrix, w, types, method, {})
        except DecisionError:               # pymcdm gives NaN (no criterion varies): the fast path must too
            try:
                assert np.isnan(fast(n, w)).all()
            except DecisionError as exc:    # or refuses, as it does (VIKOR with a constant column)
                assert method == "vikor" and "same value for every alternative" in str(exc)
            continue
        got = fast(n, w)
        np.testing.assert_allclose(got, expected, atol=1e-12)
        assert (competition_ranks(got) == competition_ranks(expected)).all()


def test_vikor_fast_path_reproduces_the_hand_worked_example():
    # the hand-worked Q of test_vikor_hand_worked, without pymcdm
    q = FAST_METHODS["vikor"](normalise(np.array([[8, 2], [5, 6], [2, 9]]), [1, 1]), np.array([0.6, 0.4]))
    np.testing.assert_allclose(q, [1 / 6, 0.178571, 1], atol=1e-6)


@settings(max_examples=200, deadline=None)
@given(arrays(np.float64, st.integers(1, 40), elements=st.sampled_from([0.0, 0.1, 0.2, 1 / 3, 0.5, 7.0, -1.0])),
       st.booleans())
def test_competition_ranks_equal_scipys_min_ranking(pref, ascending):
    from scipy.stats import rankdata
    expected = rankdata(np.round(pref, 12) * (1 if ascending else -1), method="min")
    assert competition_ranks(pref, ascending).tolist() == expected.astype(int).tolist()


@settings(max_examples=60, deadline=None)
@given(matrices, st.floats(0.01, 100), st.sampled_from(["topsis", "vikor", "spotis", "wsm", "promethee_ii"]),
       st.data())
def test_scaling_all_weights_leaves_ranks_unchanged(matrix, factor, method, data):
    m = matrix.shape[1]
    w = np.array(data.draw(st.lists(st.floats(0.05, 1), min_size=m, max_size=m)))
    types = np.ones(m, dtype=int)
    try:
        base = rank_matrix(matrix, w, types, method)
    except DecisionError:                   # e.g. VIKOR with a constant column: the scaled call must refuse too
        with pytest.raises(DecisionError):
            rank_matrix(matrix, w * factor, types, method)
        return
    scaled = rank_matrix(matrix, w * factor, types, method)
    assert base["rank"].tolist() == scaled["rank"].tolist()


@settings(max_examples=40, deadline=None)
@given(st.lists(st.floats(0.01, 1), min_size=4, max_size=4))
def test_a_dominated_combination_never_ranks_first_under_weighted_sum(bundled_portfolios, w):
    p = bundled_portfolios
    top = decision.rank(p, w, "wsm", top=1).index[0]
    better = np.column_stack([p.values * p.types, -p.effort])    # larger is better on every column (effort costs)
    dominators = (better >= better[top]).all(1) & (better > better[top]).any(1)
    assert not dominators.any()


def test_ranker_matches_rank_matrix_for_every_method(bundled_portfolios):
    p = bundled_portfolios
    short = p.values[:3000]
    w = [0.4, 0.3, 0.2, 0.1]
    for method in METHODS:
        expected = rank_matrix(short, w, p.types, method)["preference"].to_numpy()
        if method in FAST_METHODS:
            got = FAST_METHODS[method](normalise(short, p.types), np.array(w))
            np.testing.assert_allclose(got, expected, atol=1e-12)
    r = Ranker(p)
    df = r.rank(w, "topsis", top=5)
    # the Ranker normalises over the combinations and the status quo, then charges the effort cost
    with_sq = np.vstack([p.values, p.status_quo])
    net = rank_matrix(with_sq, w, p.types, "topsis")["preference"].to_numpy()[:-1] - 0.01 * p.effort
    np.testing.assert_allclose(r.preference(w, "topsis"), net, atol=1e-12)
    assert df.index.tolist() == np.argsort(-np.round(net, 12), kind="stable")[:5].tolist()


def test_wsm_over_combinations_is_one_minus_spotis_with_the_scale_as_bounds(bundled_portfolios):
    # pymcdm's SPOTIS with the fixed 0-10 bounds is the fixed-anchor additive value's complement (reference brief)
    from pymcdm import methods as pm
    p = bundled_portfolios
    rows = np.arange(0, len(p), 97)
    w = np.array([0.4, 0.3, 0.2, 0.1])
    spotis = pm.SPOTIS(np.column_stack(p.catalog.bounds))(p.values[rows], w, p.types)
    raw = Ranker(p).preference(w, "wsm")[rows] + p.catalog.model.effort_cost * p.effort[rows]
    np.testing.assert_allclose(raw, 1 - spotis, atol=1e-12)
    np.testing.assert_allclose(decision.ranking.additive_value(p.values[rows], w, p.catalog), raw, atol=1e-12)


def test_rank_portfolios_table(bundled):
    df = decision.rank_portfolios(bundled, "arms_dependent_client", {"rights_protection": 4, "security_continuity": 3,
                                                                     "legitimacy": 2, "escalation_risk": 1},
                                  method="vikor", top=7)
    assert len(df) == 7 and df["rank"].is_monotonic_increasing and df["preference"].is_monotonic_increasing
    assert df.attrs["scenario"] == "arms_dependent_client" and df.attrs["n_feasible"] > 1_000
    assert set(df.attrs["mandatory"]) == {"legal_review", "export_controls"}      # legal obligations apply
    assert all({"legal_review", "export_controls"} <= set(t) for t in df["tool_ids"])
    assert df.attrs["weights"]["rights_protection"] == pytest.approx(0.4)
    assert list(df.columns[-5:]) == [*bundled.criterion_ids, "preference"]


def test_scenarios_give_different_recommendations(bundled):
    tops = {s.id: tuple(decision.rank_portfolios(bundled, s.id, top=1)["tool_ids"].iloc[0])
            for s in bundled.scenarios}
    assert len(set(tops.values())) >= 3, tops


def test_consensus_over_combinations(bundled_portfolios):
    df = decision.rank(bundled_portfolios, None, "consensus", top=5)
    assert df["rank"].tolist()[0] == 1 and df.attrs["method"] == "consensus"
    assert df["preference"].is_monotonic_increasing            # mean rank: lower is better


def test_promethee_ranks_a_topsis_shortlist_of_combinations(bundled_portfolios):
    from decision.ranking import SHORTLIST
    p = bundled_portfolios
    w = [0.4, 0.3, 0.2, 0.1]
    df = decision.rank(p, w, "promethee_ii", top=5)
    assert "shortlist" in df.attrs and df["rank"].tolist()[0] == 1
    short = decision.rank(p, w, "topsis", top=SHORTLIST).index.to_numpy()
    expected = rank_matrix(p.values[short], w, p.types, "promethee_ii")
    best = short[expected["rank"].to_numpy() == 1]
    assert df.index[0] in best


@pytest.mark.parametrize("top", [0, -3, 2.5])
def test_top_must_be_positive(bundled_portfolios, top):
    with pytest.raises(DecisionError, match="top must be a whole number >= 1"):
        decision.rank(bundled_portfolios, None, "topsis", top=top)


@pytest.mark.parametrize("method", ["wsm", "topsis", "consensus", "promethee_ii"])
def test_a_ranked_table_without_pandas_holds_the_dataframes_rows(bundled_portfolios, method):
    """``Ranker.ranked`` (what the command line prints from, without pandas) and the DataFrame of ``Ranker.rank``
    are the same table: same rows, columns, numbers and attrs, weights given as a dict, a Series or None."""
    r = Ranker(bundled_portfolios)
    for weights in (None, {"rights_protection": 0.4, "security_continuity": 0.3, "legitimacy": 0.2,
                           "escalation_risk": 0.1}, pd.Series([1, 2, 3, 4], index=bundled_portfolios.criteria)):
        ranked, df = r.ranked(weights, method, 12), r.rank(weights, method, 12)
        got = pd.DataFrame(ranked.records()).set_index("combination")
        pd.testing.assert_frame_equal(got, df, check_dtype=False, check_index_type=False)
        assert ranked.attrs == df.attrs and list(ranked.attrs) == list(df.attrs)
        assert list(df["preference"]) == [float(x) for x in ranked.preference]
