"""Distinct options: the diversity rule, ties, minimal change and the JSON contract, against hand-worked cases,
brute force and invariants over every bundled scenario x preset."""
from __future__ import annotations

import itertools
import json

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import decision
from decision import DecisionError
from decision.cli import main
from decision.options import (MAX_SHARED, Scale, dominance, dominance_matrix, find_options, label_of,
                              minimal_change_row, popcount, select_distinct, tie_groups, tied_pairs, tradeoff,
                              weight_shifts)
from decision.profiles import list_profiles, load_profile
from decision.ranking import TIE_DELTA, Ranker


def shared_ok(a, b):
    a, b = set(a), set(b)
    return len(a & b) <= MAX_SHARED * min(len(a), len(b)) + 1e-9


def dominates(y, z):
    return all(u >= v for u, v in zip(y, z)) and any(u > v for u, v in zip(y, z))


# ----------------------------------------------------------------------------------------------------------------
# Hand-worked

def test_popcount_counts_bits_including_the_sign_bit():
    assert popcount(np.array([0, 1, 0b1011, -1], dtype=np.int64)).tolist() == [0, 1, 3, 64]


def test_dominance_hand_worked():
    Y = np.array([[2, 2], [1, 1], [2, 1], [0, 3], [1.5, 1.5]])
    assert dominance(Y, np.array([1.5, 1.5])).tolist() == [1, -1, 0, 0, 0]


def test_select_distinct_hand_worked():
    # tools: bit 0..3. Rows in ranking order: 0 {0,1}, 1 {0,2} shares half of row 0 -> allowed,
    # 2 {1,2,3}, shares 1 of 2 with row 0 and 1 of 2 with row 1 -> allowed; 3 {3} would be next.
    bits = np.array([0b0011, 0b0101, 0b1110, 0b1000], dtype=np.int64)
    Y = np.array([[3, 1], [1, 3], [2, 2], [0.5, 0.5]])
    assert select_distinct(bits, Y, np.arange(4), 0, 4) == [0, 1, 2]   # row 3 is dominated by row 2 -> refused
    # a row sharing 2 of 3 tools with an earlier option is refused even when it ranks higher
    bits = np.array([0b0111, 0b0011, 0b1000], dtype=np.int64)
    Y = np.array([[3, 1], [1, 3], [2, 2]])
    assert select_distinct(bits, Y, np.arange(3), 0, 3) == [0, 2]


def test_change_target_is_a_share_of_the_gain_over_the_status_quo():
    from decision.options import change_target
    assert change_target(0.7, 0.5, 0.9) == pytest.approx(0.68)
    assert change_target(0.5, 0.6, 0.9) == pytest.approx(0.45)      # option 1 below the status quo: share of it


def test_minimal_change_prefers_fewest_edits_then_better_score():
    bits = np.array([0b0001, 0b0011, 0b0110, 0b1111], dtype=np.int64)
    score = np.array([0.5, 0.8, 0.95, 1.0])
    # current {0}: row 1 is 1 edit away and reaches 0.8
    assert minimal_change_row(bits, score, 0b0001, 0.8) == 1
    # target 0.9: row 2 (3 edits) vs row 3 (3 edits) -> the better score wins
    assert minimal_change_row(bits, score, 0b0001, 0.9) == 3
    assert minimal_change_row(bits, score, 0b0001, 1.5) is None


def test_ties_hand_worked():
    # at the weights: 0 > 1 > 2 and 3 == 2; one shifted weight vector puts 1 above 0; row 2 stays last
    u0 = np.array([1.0, 0.9, 0.0, 0.0])
    U = np.array([[1.0, 0.8, 0.1, 0.05], [0.8, 0.95, 0.0, -0.1]])
    assert tie_groups(tied_pairs(u0, U)) == [(1,), (0,), (3,), (2,)]


def test_weight_shifts_move_one_weight_and_rescale_the_rest():
    W = weight_shifts(np.array([0.5, 0.3, 0.2]), 0.02)
    assert W.shape == (6, 3) and np.allclose(W.sum(1), 1)
    np.testing.assert_allclose(W[0], [0.48, 0.3 * 0.52 / 0.5, 0.2 * 0.52 / 0.5])
    np.testing.assert_allclose(W[5], [0.5 * 0.78 / 0.8, 0.3 * 0.78 / 0.8, 0.22])


def test_ties_agree_with_the_rankers_tie_with_the_first(bundled):
    p = decision.build_portfolios(bundled, "indispensable_host")
    w = load_profile("balanced", bundled).weights
    ranker = Ranker(p)
    o = find_options(p, w, "wsm", ranker=ranker)
    rows = np.array([x.row for x in o.options])
    expected = ranker.tied_with_first(w, rows, "wsm")
    assert [j in o.best.tied_with for j in range(1, len(rows))] == expected[1:].tolist()


def test_label_from_families_and_stances(tiny, bundled):
    assert label_of(("a",), tiny) == "quiet engagement"           # signalling / engagement
    assert label_of(("b", "c"), tiny) == "economic pressure"      # one family each: catalogue order; stronger stance
    assert label_of(("targeted_sanctions", "export_controls", "multilateral_joint_statement"), bundled) == \
        "economic pressure"
    assert label_of((), tiny) == "do nothing new"


def test_tradeoff_in_words(tiny):
    assert tradeoff([5, 4, 6, 2], [4, 4.8, 6.02, 2], tiny) == "+1.0 rights, \u22120.8 security"
    assert tradeoff([1, 1, 1, 1], [1, 1, 1, 1], tiny) == "about the same values"


# ----------------------------------------------------------------------------------------------------------------
# Brute force on the 3-tool catalogue

def brute_force_options(p, score, first, k):
    order = sorted(range(len(p)), key=lambda r: (-round(score[r], 12), p.effort[r], p.n_tools[r], r))
    Y = np.column_stack([p.values * p.types, -p.effort])
    nd = [r for r in range(len(p)) if not any(dominates(Y[q], Y[r]) for q in range(len(p)))]
    pool = [r for r in order if (r in nd or r == first) and not dominates(Y[r], Y[first])]
    chosen = [first]
    for r in pool:
        if len(chosen) == k:
            break
        if r in chosen:
            continue
        if all(shared_ok(p.tools_of(r), p.tools_of(c)) and not dominates(Y[r], Y[c]) and not dominates(Y[c], Y[r])
               for c in chosen):
            chosen.append(r)
    return chosen


@pytest.mark.parametrize("method", ["topsis", "wsm", "vikor"])
@pytest.mark.parametrize("w", [(0.25, 0.25, 0.25, 0.25), (0.7, 0.1, 0.1, 0.1), (0.1, 0.6, 0.1, 0.2)])
def test_options_match_brute_force_on_tiny(tiny, method, w):
    p = decision.build_portfolios(tiny)
    ranker = Ranker(p)
    o = find_options(p, list(w), method, k=3)
    pref = ranker.preference(list(w), method)
    score = 1 - pref if method == "vikor" else pref
    first = int(ranker.rank(list(w), method, 1).index[0])
    assert [x.row for x in o.options] == brute_force_options(p, score, first, 3)


def test_minimal_change_matches_brute_force_on_tiny(tiny):
    p = decision.build_portfolios(tiny)
    o = find_options(p, None, "topsis", current=["c"], share=0.9)
    ranker = Ranker(p)
    pref = ranker.preference(None, "topsis")
    sq = ranker.status_quo_preference(None, "topsis")
    best = pref[o.best.row]
    target = sq + 0.9 * (best - sq) if best > sq else 0.9 * best
    ok = [r for r in range(len(p)) if round(pref[r], 12) >= round(target, 12)]
    dist = {r: len(set(p.tools_of(r)) ^ {"c"}) for r in ok}
    best = min(ok, key=lambda r: (dist[r], -round(pref[r], 12), r))
    assert o.minimal_change.row == best
    assert set(o.minimal_change.tools) == ({"c"} - set(o.minimal_change.drop)) | set(o.minimal_change.add)


@settings(max_examples=40, deadline=None)
@given(st.lists(st.tuples(st.integers(1, 63), st.floats(0, 10), st.floats(0, 10)), min_size=1, max_size=25,
                unique_by=lambda t: t[0]), st.integers(1, 5))
def test_select_distinct_invariants(rows, k):
    bits = np.array([r[0] for r in rows], dtype=np.int64)
    Y = np.array([[r[1], r[2]] for r in rows])
    chosen = select_distinct(bits, Y, np.arange(len(rows)), 0, k)
    assert chosen[0] == 0 and len(chosen) <= k and len(set(chosen)) == len(chosen)
    sets = [{t for t in range(6) if bits[r] >> t & 1} for r in chosen]
    for i, j in itertools.combinations(range(len(chosen)), 2):
        assert shared_ok(sets[i], sets[j])
        assert not dominates(Y[chosen[i]], Y[chosen[j]]) and not dominates(Y[chosen[j]], Y[chosen[i]])
    # greedy: every skipped row before the last chosen one is dominated by some row, or breaks the rule against an
    # earlier choice
    for r in range(chosen[-1]):
        if r in chosen:
            continue
        before = [c for c in chosen if c < r or chosen.index(c) == 0]
        rs = {t for t in range(6) if bits[r] >> t & 1}
        assert any(dominates(Y[q], Y[r]) for q in range(len(rows))) or any(
            not shared_ok(rs, {t for t in range(6) if bits[c] >> t & 1}) or dominance(Y[[r]], Y[c])[0] != 0
            for c in before)
    # no chosen row after the first is dominated by any row
    for c in chosen[1:]:
        assert not any(dominates(Y[q], Y[c]) for q in range(len(rows)))


@settings(max_examples=30, deadline=None)
@given(st.lists(st.floats(0.01, 1), min_size=4, max_size=4), st.sampled_from(["wsm", "topsis"]))
def test_scale_reproduces_the_rankers_preferences(bundled_portfolios, w, method):
    p = bundled_portfolios
    ranker = Ranker(p)
    rows = np.arange(0, len(p), 97)
    scale = Scale.of(ranker, method)
    cost = ranker.effort_cost
    np.testing.assert_allclose(scale.preference(p.values[rows], np.array(w) / sum(w), cost[rows]),
                               ranker.preference(w, method)[rows], atol=1e-9)
    np.testing.assert_allclose(scale.preference(p.status_quo[None], np.array(w) / sum(w), 0.0)[0],
                               ranker.status_quo_preference(w, method), atol=1e-9)


# ----------------------------------------------------------------------------------------------------------------
# Every bundled scenario x preset

PRESETS = list_profiles()["name"].tolist() if hasattr(list_profiles(), "columns") else list(list_profiles())


@pytest.fixture(scope="module")
def scenario_portfolios(bundled):
    return {s.id: decision.build_portfolios(bundled, s.id) for s in bundled.scenarios}


@pytest.mark.parametrize("preset", PRESETS)
def test_options_done_criteria_every_scenario(bundled, scenario_portfolios, preset):
    w = load_profile(preset, bundled).weights
    for sid, p in scenario_portfolios.items():
        ranker = Ranker(p)
        o = find_options(p, w, ranker=ranker, current=["demarche", "interoperability_exercises"])
        assert len(o.options) >= 3, (sid, preset)
        assert o.best.row == int(ranker.rank(w, o.method, 1).index[0])
        Y = dominance_matrix(p)
        for a, b in itertools.combinations(o.options, 2):
            assert shared_ok(a.tools, b.tools), (sid, preset, a.tools, b.tools)
            assert dominance(Y[[a.row]], Y[b.row])[0] == 0, (sid, preset)
        assert o.status_quo.kind == "status_quo" and o.status_quo.tools == ()
        assert o.current.tools == ("demarche", "interoperability_exercises")
        mc = o.minimal_change
        assert set(mc.tools) == (set(o.current.tools) - set(mc.drop)) | set(mc.add)
        assert not set(mc.add) & set(o.current.tools) and set(mc.drop) <= set(o.current.tools)
        gain = o.best.score - o.status_quo.score
        assert mc.score >= (o.status_quo.score + 0.9 * gain if gain > 0 else 0.9 * o.best.score) - 1e-12
        labels = [x.label for x in o.options]
        assert len(set(labels)) == len(labels), labels


def test_option_one_is_decision_rank_number_one(capsys):
    args = ["--scenario", "indispensable_host", "--profile", "balanced", "--format", "json"]
    assert main(["rank", *args, "--top", "1", "--method", "topsis"]) == 0
    ranked = json.loads(capsys.readouterr().out)["ranking"][0]["tools"]
    assert main(["options", *args, "--method", "topsis"]) == 0
    assert json.loads(capsys.readouterr().out)["options"][0]["tools"] == ranked


def test_json_contract(capsys, bundled):
    assert main(["options", "--scenario", "hedging_partner", "--profile", "rights-first", "--format", "json",
                 "--current", "private_letter,legal_review", "--k", "3"]) == 0
    out = json.loads(capsys.readouterr().out)
    crit = bundled.criterion_ids
    assert len(out["options"]) == 3
    for row in [*out["options"], out["status_quo"], out["current"], out["minimal_change"]]:
        assert {"label", "tools", "preference", "tied_with", *crit} <= set(row)
        assert all(isinstance(t, str) for t in row["tools"])
        assert all(0 <= j < 3 for j in row["tied_with"])
    assert {"add", "drop"} <= set(out["minimal_change"])
    assert out["status_quo"]["tools"] == []


def test_table_and_csv_formats(capsys):
    assert main(["options", "--scenario", "peripheral_partner", "--current", ""]) == 0
    text = capsys.readouterr().out
    assert "option 1" in text and "status quo" in text and "minimal change" in text
    assert main(["options", "--format", "csv"]) == 0
    assert capsys.readouterr().out.splitlines()[0].startswith("row,kind,label,tools")


def test_unknown_current_tool_is_a_user_error(capsys):
    assert main(["options", "--current", "no_such_tool"]) == 2
    assert "no_such_tool" in capsys.readouterr().err


def test_bad_k_and_share(bundled_portfolios):
    with pytest.raises(DecisionError):
        find_options(bundled_portfolios, k=0)
    with pytest.raises(DecisionError):
        find_options(bundled_portfolios, share=1.5)


# ----------------------------------------------------------------------------------------------- rank --playbook

@pytest.mark.parametrize("scenario", ["arms_dependent_client", "treaty_peer_in_crisis"])
def test_rank_playbook_note_places_the_opening_where_the_full_ranking_puts_it(bundled, capsys, scenario):
    """``decision rank --playbook`` says where option 1's opening (the playbook's) ranks in the package view: checked
    against the full ranking table (every combination, competition ranks) and against the playbook solved
    independently; 'why' = the principles that holding #1 breaks, as the course comparison states them."""
    from decision.strategy.compare import compare_courses
    from decision.strategy.playbook import build_plan
    from decision.strategy.reactions_file import load_reactions
    from decision.strategy.tree import strategy_problem
    assert main(["rank", "--scenario", scenario, "--top", "1", "--playbook", "--format", "json"]) == 0
    note = json.loads(capsys.readouterr().out)["playbook_opening"]
    p = decision.build_portfolios(bundled, scenario)
    w = {c: 0.25 for c in bundled.criterion_ids}
    problem = strategy_problem(p, load_reactions(bundled))
    plan = build_plan(problem, problem.solve(w), w)
    full = decision.Ranker(p).rank(w, "wsm", None)
    row = full[[set(t) == set(plan.root.tools) for t in full["tool_ids"]]]
    assert set(note["opening"]) == set(plan.root.tools)
    assert note["rank"] == int(row["rank"].iloc[0]) and note["of"] == len(p)
    assert note["first"] == list(full["tool_ids"].iloc[0])
    held = next(c for c in compare_courses(problem, plan) if c.name.startswith("Hold the best"))
    if set(held.tools) == set(note["first"]):
        assert note["first_breaks"] == list(held.broken)
    assert f"#{note['rank']:,} of {note['of']:,}" in note["note"]


def test_rank_without_playbook_says_it_is_the_package_view(capsys):
    assert main(["rank", "--top", "2"]) == 0
    assert "package view" in capsys.readouterr().out


def test_options_without_a_playbook_point_to_the_package_view(capsys):
    from decision.cli import main
    argv = ["options", "--scenario", "arms_dependent_client", "--max-tools", "3"]
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "no playbook meets every principle" in err and "--packages ranks" in err
    assert main(argv + ["--packages"]) == 0
    assert "distinct options from 9 feasible combinations" in capsys.readouterr().out
