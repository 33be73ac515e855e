"""The portfolio model: hand-worked values on the 3-tool catalogue, enumeration against brute force, and
invariants."""
from __future__ import annotations

import itertools
import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import decision
from decision import DecisionError, build_portfolios, explain, load_catalog
from decision.portfolios import enumerate_combinations, ladder_respected, prerequisites_met

# Worked by hand in docs/model.md ("Worked example"): kappa = 0.5, rho = 0.5, scenario "base" (no shifts), status quo
# r 2, s 8, l 5, e 2; changes are shares of the room left (a +4 on r closes 40% of the gap to 10).
HAND = {
    ("a",): (5.2, 8.0, 6.0, 3.6),           # r: 0.2 + 0.8 * 0.4; e: goodness 0.8 * (1 - 0.2)
    ("b",): (6.8, 4.8, 6.0, 6.4),           # e: harm pool 1 - (1 - 0.5)(1 - 0.1) with x2 firing
    ("c",): (2.0, 8.0, 4.5, 1.0),           # e: goodness 0.8 + 0.2 * 0.5
    ("a", "b"): (7.12, 4.8, 6.2, 6.58),     # r: a behind b in its group counts 0.5 * 0.5 * 0.4
    ("a", "c"): (5.2, 8.0, 6.04, 1.8),      # l: harm first (0.45), then gains a 0.2 and x1 0.1
    ("b", "c"): (6.8, 4.8, 5.6, 3.0),
    ("a", "b", "c"): (7.12, 4.8, 6.238, 3.1),
}
STATUS_QUO = (2.0, 8.0, 5.0, 2.0)


def test_hand_worked_values(tiny):
    p = build_portfolios(tiny)
    assert len(p) == 7
    got = {p.tools_of(i): tuple(p.values[i]) for i in range(len(p))}
    assert set(got) == set(HAND)
    for combo, expected in HAND.items():
        np.testing.assert_allclose(got[combo], expected, atol=1e-12, err_msg=str(combo))


def test_enumeration_order_is_size_then_catalogue_order(tiny):
    p = build_portfolios(tiny)
    assert [p.tools_of(i) for i in range(len(p))] == [("a",), ("b",), ("c",), ("a", "b"), ("a", "c"), ("b", "c"),
                                                       ("a", "b", "c")]


def test_hand_worked_wsm_ranking(tiny):
    # fixed-anchor additive values worked by hand (docs/model.md), equal weights: {a,c} 0.686 > {a} 0.64 >
    # {a,b,c} 0.62645 > {b,c} 0.605 > {c} 0.5875 > status quo 0.575 > {a,b} 0.5385 > {b} 0.53
    df = decision.rank_portfolios(tiny, method="wsm", top=None)
    assert [tuple(t) for t in df["tool_ids"]] == [("a", "c"), ("a",), ("a", "b", "c"), ("b", "c"), ("c",), ("a", "b"),
                                                  ("b",)]
    assert df["rank"].tolist() == [1, 2, 3, 4, 5, 6, 7]
    np.testing.assert_allclose(df["preference"], [0.686, 0.64, 0.62645, 0.605, 0.5875, 0.5385, 0.53], atol=1e-12)
    assert df.attrs["status_quo"]["preference"] == pytest.approx(0.575)
    assert df.attrs["status_quo"]["rank"] == 6          # below five combinations, above two


def test_status_quo_keeps_its_levels(tiny):
    p = build_portfolios(tiny)
    np.testing.assert_allclose(p.status_quo, STATUS_QUO)
    empty = decision.portfolios.portfolio_values(np.full((1, 3), 3), np.zeros(1, np.int64), p.adjusted.score, p.spec)
    np.testing.assert_allclose(empty[0], STATUS_QUO)


def test_scenario_rule_shifts_scores(tiny):
    p = build_portfolios(tiny, "hot")           # f = 10: b's r change + 0.2 * (10 - 5) = 7
    assert p.values[p.find(["b"]), 0] == pytest.approx(2 + 8 * 0.7)
    # {a, b}: pool 1 - (1 - 0.7)(1 - 0.25 * 0.4) = 0.73
    assert p.values[p.find(["a", "b"]), 0] == pytest.approx(2 + 8 * 0.73)


def test_redundant_tool_adds_less_than_alone(tiny_dir):
    with_red = build_portfolios(load_catalog(tiny_dir))
    (tiny_dir / "model.yaml").write_text("complementarity: {value: 0.5, rationale: t}\n"
                                         "redundancy_factor: {value: 1.0, rationale: no discount}\n")
    without = build_portfolios(load_catalog(tiny_dir))
    i = with_red.find(["a", "b"])
    gain_redundant = with_red.values[i, 0] - with_red.values[with_red.find(["b"]), 0]
    gain_full = without.values[i, 0] - without.values[without.find(["b"]), 0]
    # pool 1 - 0.4 * (1 - k * 0.4) with k = kappa * rho = 0.25 (redundant) or kappa = 0.5 (no discount)
    assert gain_redundant == pytest.approx(8 * 0.4 * 0.1) and gain_full == pytest.approx(8 * 0.4 * 0.2)


def test_adding_an_unrelated_tool_leaves_existing_values_unchanged(tiny, tiny_dir):
    with (tiny_dir / "tools.csv").open("a") as fh:
        fh.write("d,Tool D,public,3,engagement,,weeks,Unrelated tool.\n")
    with (tiny_dir / "scores.csv").open("a") as fh:
        fh.write("d,r,9,8,10,t,h\nd,s,-7,-8,-6,t,h\nd,l,5,4,6,t,h\nd,e,7,6,8,t,h\n")
    with (tiny_dir / "effort.csv").open("a") as fh:
        fh.write("d,1,t,h\n")
    old, new = build_portfolios(tiny), build_portfolios(load_catalog(tiny_dir))
    assert len(new) == 4 + 6 + 4          # subsets of 4 tools with 1-3 members (max_tools 3)
    for i in range(len(old)):
        j = new.find(old.tools_of(i))
        np.testing.assert_array_equal(new.values[j], old.values[i])


def test_explain_matches_the_portfolio_values_and_lists_interactions(bundled, bundled_portfolios):
    p = bundled_portfolios
    row = decision.rank(p, top=1).index[0]
    tools = p.tools_of(row)
    e = explain(bundled, tools)
    np.testing.assert_allclose(e["values"].to_numpy(), p.values[row])
    assert set(e["tools"]["tool"]) == set(tools)
    assert e["red_lines"]["satisfied"].all()


def test_explain_tiny_marginals_and_interactions(tiny):
    e = explain(tiny, ["a", "c"])
    assert e["interactions"]["interaction"].tolist() == ["x1"]
    m = e["tools"].set_index(["tool", "criterion"])["marginal"]
    assert m["c", "r"] == pytest.approx(0.0)           # c changes no rights: {a,c} minus {a}
    assert m["a", "l"] == pytest.approx(6.04 - 4.5)    # {a,c} minus {c}; includes the synergy x1
    assert m["c", "e"] == pytest.approx(1.8 - 3.6)     # c lowers escalation risk
    assert e["feasible"] and e["reasons"] == []


def test_constraints_are_enforced_on_the_bundled_catalogue(bundled):
    cons = {"forced_in": ["independent_monitoring"], "forced_out": ["targeted_sanctions"]}
    p = build_portfolios(bundled, max_tools=4, constraints=cons)
    m, ids = p.members, bundled.tool_ids
    assert m[:, ids.index("independent_monitoring")].all()
    assert not m[:, ids.index("targeted_sanctions")].any()
    assert not m[:, ids.index("full_security_suspension")].any()
    assert (m.sum(1) <= 4).all()
    for group in bundled.constraints.exclusive:
        assert (m[:, [ids.index(t) for t in group]].sum(1) <= 1).all()
    for tool, options in bundled.constraints.prerequisites:
        has = m[:, ids.index(tool)]
        assert m[has][:, [ids.index(o) for o in options]].any(1).all()
    for rl in bundled.constraints.red_lines:
        col = p.values[:, bundled.criterion_ids.index(rl.criterion)]
        assert rl.max is None or (col <= rl.max + 1e-9).all()
        assert rl.min is None or (col >= rl.min - 1e-9).all()


def test_too_many_combinations_gives_a_clear_error(bundled):
    with pytest.raises(DecisionError, match=r"max_tools=12 gives [\d,]+ candidate combinations .* lower max_tools to"):
        build_portfolios(bundled, max_tools=12)


def test_infeasible_red_lines_say_so(tiny):
    with pytest.raises(DecisionError, match="no combination is feasible"):
        build_portfolios(tiny, constraints={"red_lines": [{"criterion": "e", "max": -1}]})


# ------------------------------------------------------------------------------------------------ brute force

@st.composite
def problems(draw):
    n = draw(st.integers(1, 9))
    k = draw(st.integers(1, n))
    tools = list(range(n))
    exclusive = draw(st.lists(st.lists(st.sampled_from(tools), min_size=2, max_size=3, unique=True), max_size=2)
                     if n > 1 else st.just([]))
    forced = draw(st.lists(st.sampled_from(tools), max_size=2, unique=True))
    rest = [t for t in tools if t not in forced]
    unavailable = draw(st.lists(st.sampled_from(rest), max_size=min(2, len(rest)), unique=True)) if rest else []
    min_size = draw(st.integers(1, k))
    return n, k, min_size, exclusive, forced, unavailable


@settings(max_examples=150, deadline=None)
@given(problems())
def test_enumeration_equals_brute_force(problem):
    n, k, min_size, exclusive, forced, unavailable = problem
    if any(len(set(forced) & set(g)) > 1 for g in exclusive):
        with pytest.raises(DecisionError, match="mutually exclusive"):
            enumerate_combinations(n, k, exclusive=exclusive, forced_in=forced)
        return
    idx, bits = enumerate_combinations(n, k, min_size=min_size, exclusive=exclusive, forced_in=forced,
                                       unavailable=unavailable)
    expected = set()
    for size in range(min_size, k + 1):
        for combo in itertools.combinations(range(n), size):
            s = set(combo)
            if not set(forced) <= s or s & set(unavailable):
                continue
            if any(len(s & set(g)) > 1 for g in exclusive):
                continue
            expected.add(sum(1 << t for t in combo))
    assert len(bits) == len(set(bits.tolist()))                       # no duplicates
    assert set(bits.tolist()) == expected
    # idx and bits describe the same combinations
    rebuilt = [sum(1 << int(t) for t in row if t < n) for row in idx]
    assert rebuilt == bits.tolist()


@settings(max_examples=100, deadline=None)
@given(st.lists(st.integers(0, 7), min_size=1, max_size=7), st.data())
def test_ladder_and_prerequisites_equal_brute_force(rungs, data):
    n = len(rungs)
    bits = np.arange(1, 2 ** n, dtype=np.int64)
    ok = ladder_respected(bits, np.array(rungs), from_rung=4, gap=2)
    tool = data.draw(st.integers(0, n - 1))
    options = data.draw(st.lists(st.integers(0, n - 1).filter(lambda o: o != tool), max_size=2, unique=True))
    pre = prerequisites_met(bits, [(tool, sum(1 << o for o in options))])
    for b, ladder_ok, pre_ok in zip(bits.tolist(), ok, pre):
        members = [t for t in range(n) if b >> t & 1]
        expect = all(any(1 <= rungs[u] <= rungs[t] - 2 for u in members) for t in members if rungs[t] >= 4)
        assert ladder_ok == expect, (members, rungs)
        assert pre_ok == (tool not in members or any(o in members for o in options))


# every example rewrites the files it uses, so sharing the function-scoped folder is safe
@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(st.tuples(*[st.integers(-10, 10)] * 4), min_size=3, max_size=3),
       st.floats(0.05, 0.99), st.floats(0.05, 1))
def test_values_stay_on_scale_and_pools_are_at_least_the_strongest_change(tiny_dir, scores, kappa, rho):
    rows = ["tool,criterion,change,low,high,rationale,source"]
    for tool, vals in zip("abc", scores):
        rows += [f"{tool},{c},{v},{v},{v},t,h" for c, v in zip("rsle", vals)]
    (tiny_dir / "scores.csv").write_text("\n".join(rows) + "\n")
    (tiny_dir / "interactions.csv").write_text("id,kind,tools_a,tools_b,condition,criterion,effect,scales_with,"
                                               "rationale,source\nx1,synergy,a,c,with,l,0,,t,h\n")
    (tiny_dir / "model.yaml").write_text(f"complementarity: {{value: {kappa}, rationale: t}}\n"
                                         f"redundancy_factor: {{value: {rho}, rationale: t}}\n")
    p = build_portfolios(load_catalog(tiny_dir))
    assert ((p.values >= 0) & (p.values <= 10)).all()
    sq = p.status_quo
    for i in range(len(p)):
        members = ["abc".index(t) for t in p.tools_of(i)]
        r = [scores[m][0] for m in members]
        if min(r) >= 0:                                   # only improvements on rights: at least the strongest alone
            assert p.values[i, 0] >= sq[0] + (10 - sq[0]) * max(r) / 10 - 1e-9
            if len(members) > 1 and sq[0] < 10 and max(r) < 10 and sorted(r)[-2] > 0:
                assert p.values[i, 0] > sq[0] + (10 - sq[0]) * max(r) / 10   # another helpful tool adds something
        if all(scores[m][1] <= 0 for m in members):       # only harms on security: never above the status quo
            assert p.values[i, 1] <= sq[1] + 1e-9


def test_a_horizon_discounts_slow_tools_on_its_criterion(tiny):
    # horizon 0.5 months: b (lead time "weeks" = 1 month) keeps half its rights change, 6 -> 3 (range 5-7 -> 2.5-3.5)
    p = build_portfolios(tiny, horizon=0.5)
    assert p.adjusted.score[1, 0] == 3 and (p.adjusted.low[1, 0], p.adjusted.high[1, 0]) == (2.5, 3.5)
    assert p.values[p.find(["b"]), 0] == pytest.approx(2 + 8 * 0.3)
    # {a, b}: now a leads the group on r (0.4 > 0.3), b is redundant: 1 - 0.6 * (1 - 0.25 * 0.3) = 0.445
    assert p.values[p.find(["a", "b"]), 0] == pytest.approx(2 + 8 * 0.445)
    np.testing.assert_array_equal(p.values[:, 1:], build_portfolios(tiny).values[:, 1:])   # other criteria intact
    np.testing.assert_array_equal(build_portfolios(tiny, horizon=24).values, build_portfolios(tiny).values)
    e = explain(tiny, ["b"], horizon=0.5)
    assert e["tools"].set_index("criterion").loc["r", "scenario_shift"] == pytest.approx(-3.0)


@pytest.mark.parametrize("horizon,fragment", [(-1, "positive number of months"), (0, "positive number of months"),
                                              ("soon", "number of months")])
def test_bad_horizons_are_rejected(tiny, horizon, fragment):
    with pytest.raises(DecisionError, match=fragment):
        build_portfolios(tiny, horizon=horizon)


def test_a_horizon_needs_the_model_section(tiny_dir):
    (tiny_dir / "model.yaml").write_text("complementarity: {value: 0.5, rationale: t}\n"
                                         "redundancy_factor: {value: 0.5, rationale: t}\n")
    with pytest.raises(DecisionError, match="no time_horizon section"):
        build_portfolios(load_catalog(tiny_dir), horizon=3)


# ----------------------------------------------------------------------------------------------------------------
# The fast layouts of the valuation give the very numbers of the plain ones (docs/performance.md, "Command line")

@pytest.mark.parametrize("scenario", ["indispensable_host", "hedging_partner", "peripheral_partner"])
def test_slot_major_valuation_gives_the_combination_major_bits(bundled, monkeypatch, scenario):
    """Up to 7 tools the shares are gathered slot-major (K x N); numpy then adds a combination's tools in the same
    order as the plain (N x K) gather. Forcing the plain layout must give the same bits, not just close values."""
    from decision import portfolios as P
    p = build_portfolios(bundled, scenario)
    st_ = p.setting
    fast, fired = P.portfolio_values(p.idx, p.bits, st_.adjusted.score, st_.spec, with_fired=True)
    monkeypatch.setattr(P, "SLOT_MAJOR_MAX", 0)                       # every gather combination-major
    assert P._slots(p.idx)[1] == 2
    plain, fired_plain = P.portfolio_values(p.idx, p.bits, st_.adjusted.score, st_.spec, with_fired=True)
    assert fast.tobytes() == plain.tobytes() and (fired == fired_plain).all()
    assert P.tool_sums(bundled.effort, p.idx).tobytes() == p.effort.tobytes()


@settings(max_examples=60, deadline=None)
@given(st.integers(1, 10), st.integers(0, 2**32 - 1))
def test_tool_sums_equal_numpys_row_sums_in_either_layout(k, seed):
    """Sums of per-tool numbers over each combination's tools (padding slots 0) equal ``table[idx].sum(1)`` to the
    bit, below and above the slot-major limit (numpy sums 8 or more numbers pairwise)."""
    from decision.portfolios import tool_sums
    rng = np.random.default_rng(seed)
    T = 12
    per_tool = rng.standard_normal(T) * 10.0 ** rng.integers(-6, 7, T)
    idx = rng.integers(0, T + 1, (500, k)).astype(np.int8)
    expected = np.append(per_tool, 0.0)[idx.astype(np.intp)].sum(1)
    assert tool_sums(per_tool, idx).tobytes() == expected.tobytes()


@settings(max_examples=60, deadline=None)
@given(st.integers(0, 2**32 - 1))
def test_redundancy_discounts_on_the_rows_holding_two_members_equal_the_walk_over_all(bundled_portfolios, seed):
    """Only combinations holding two or more members of a redundancy group can be discounted; the discounts taken on
    those rows alone equal, bit for bit, the walk over every combination (members best first, catalogue order on
    ties; each discount added in that order)."""
    from decision.portfolios import _group_members_held, _groups_shared, _redundant_rows
    p = bundled_portfolios
    rng = np.random.default_rng(seed)
    share = np.round(rng.uniform(0, 1, len(p.catalog.tools)), 1)       # rounded: ties happen
    adj = rng.standard_normal(len(share))
    walk = np.zeros(len(p))
    for g, here in zip(p.spec.groups, _group_members_held(p.bits, p.spec)):
        seen = np.zeros(len(p), dtype=bool)
        for j in np.argsort(-share[g], kind="stable"):
            walk += (here[:, j] & seen) * adj[g[j]]
            seen |= here[:, j]
    rows_only = np.zeros(len(p))
    for t, rows in _redundant_rows(_groups_shared(p.bits, p.spec), share):
        rows_only[rows] += adj[t]
    assert rows_only.tobytes() == (walk + 0.0).tobytes()
