"""Strategies over time: the hand-worked example of docs/strategy.md, constraints on every bundled scenario x preset,
and hypothesis properties (every principle holds; backward induction equals brute force) on random small catalogues."""
from __future__ import annotations

import itertools
import json
import math
import shutil
from pathlib import Path

import numpy as np
import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import decision
from decision.errors import CatalogError, DecisionError
from decision.profiles import BUNDLED_PROFILES, load_profile
from decision.strategy.audit import plan_violations
from decision.strategy.compare import compare_courses, verdict
from decision.strategy.playbook import build_plan, make_plan, plan_json, plan_text
from decision.strategy.reactions_file import load_reactions
from decision.strategy.tree import strategy_problem

from .strategy_support import OPENING, Truth, policy_value, violations

TINY = Path(__file__).parent / "fixtures" / "tiny"
HAND_WEIGHTS = {"r": 0.4, "s": 0.2, "l": 0.2, "e": 0.2}


@pytest.fixture(scope="module")
def hand_plan(tiny):
    return make_plan(tiny, "base", HAND_WEIGHTS, reviews=1, months=6, max_tools=1)


def test_worked_example_reproduces_by_hand(hand_plan):
    # docs/strategy.md, "Worked example": open with A; stalls -> B (the threat is carried out); retaliates -> C
    p = hand_plan
    assert p.root.tools == ("a",)
    kids = {c.reaction: c for c in p.root.children}
    assert kids["complies"].tools == ("a",) and kids["stalls"].tools == ("b",) and kids["retaliates"].tools == ("c",)
    assert [c.probability for c in p.root.children] == pytest.approx([0.2, 0.6, 0.2])
    assert kids["stalls"].reaction_probabilities == pytest.approx({"complies": 1 / 6, "stalls": 1 / 2,
                                                                   "retaliates": 1 / 3})
    assert p.value == pytest.approx(0.5846, abs=1e-12)
    assert p.expected == pytest.approx({"r": 5.74, "s": 6.56, "l": 5.85, "e": 4.66})
    assert p.worst_path == ("retaliates", "retaliates")
    assert p.worst == pytest.approx({"r": 3.6, "s": 6.0, "l": 5.25, "e": 4.3})
    assert p.worst_value == pytest.approx(0.483)
    assert p.flags == []


def _grave_tiny(tiny_dir, factors="[f]"):
    path = tiny_dir / "reactions.yaml"
    path.write_text(path.read_text().replace(
        "opening_max_rung: 2,", f"opening_max_rung: 2, grave_opening_max_rung: 4, grave_threshold: 8, "
                                f"grave_factors: {factors},"))
    return decision.load_catalog(tiny_dir)


def test_a_grave_case_lets_the_opening_skip_rungs_and_flags_it(tiny_dir):
    # calibration caps the opening at rung 2 (C, rung 4, cannot open: docs/strategy.md, "Worked example"); with the
    # grave-case cap, rung 4 when factor f is at least 8, C may open in scenario 'hot' (f = 10), not in 'base' (f = 5)
    cat = _grave_tiny(tiny_dir)
    model = load_reactions(cat)
    for scenario, may in (("hot", True), ("base", False)):
        port = decision.build_portfolios(cat, scenario, max_tools=1)
        problem = strategy_problem(port, model, reviews=1, months=6)
        policy = problem.solve(HAND_WEIGHTS)
        c = next(r for r in range(len(port)) if port.tools_of(r) == ("c",))
        best = build_plan(problem, policy, HAND_WEIGHTS)
        assert best.root.tools == ("a",) and "rung_skip" not in best.root.flags     # A still opens: no flag
        if may:
            plan = build_plan(problem, policy, HAND_WEIGHTS, opening=c)
            assert plan.root.tools == ("c",) and "rung_skip" in plan.root.flags
            assert plan_violations(plan, problem) == []
        else:
            with pytest.raises(DecisionError, match="rung cap"):
                build_plan(problem, policy, HAND_WEIGHTS, opening=c)
    assert "rung 4 when f is at least 8, flagged rung_skip" in model.principles.describe()[0]


def test_a_grave_factor_the_catalogue_does_not_know_is_one_line(tiny_dir):
    with pytest.raises(CatalogError, match="field 'grave_factors': unknown factor 'severity'; known: f"):
        load_reactions(_grave_tiny(tiny_dir, "[severity]"))


def test_dropping_credibility_gains_value_but_flags_a_bluff(tiny):
    model = load_reactions(tiny)
    p = make_plan(tiny, "base", HAND_WEIGHTS, reviews=1, months=6, max_tools=1,
                  principles=model.principles.switched(off=["credibility"]))
    kids = {c.reaction: c for c in p.root.children}
    assert kids["stalls"].tools == ("a",) and kids["stalls"].flags == ("bluff",)
    assert p.value == pytest.approx(0.6054, abs=1e-12)         # 0.5 * (0.616 + 0.5948), docs/strategy.md


def test_expected_value_equals_value_of_expected_criteria(hand_plan):
    # the additive value is affine: u(E[outcome]) = E[u(outcome)] (what makes rollback exact)
    w = np.array([HAND_WEIGHTS[c] for c in "rsle"])
    e = np.array([hand_plan.expected[c] for c in "rsle"])
    assert w[:3] @ e[:3] / 10 + w[3] * (10 - e[3]) / 10 == pytest.approx(hand_plan.value)


def test_plan_json_follows_the_contract(hand_plan):
    j = plan_json(hand_plan)
    assert {"scenario", "weights", "reviews", "months", "expected", "worst", "root"} <= set(j)
    root = j["root"]
    assert root["review"] == 0 and root["reaction"] is None and root["probability"] == 1
    assert set(root) >= {"review", "reaction", "probability", "tools", "values", "flags", "children"}
    assert [c["reaction"] for c in root["children"]] == ["complies", "stalls", "retaliates"]
    assert all(c["children"] == [] for c in root["children"])
    assert root["values"] == {"r": 5.2, "s": 8.0, "l": 6.0, "e": 3.6}


def test_plan_text_is_an_indented_tree_with_caveats(hand_plan):
    text = plan_text(hand_plan)
    assert "Opening (month 0): Tool A" in text
    assert "  Review 1 (month 3), if the ally stalls (p 0.60): Tool B" in text
    assert "illustrative" in text and "Principles:" in text


# ----------------------------------------------------------------------------------------------------------------
# reactions.yaml validation: one line naming file, key and field

def _edit(folder: Path, fn) -> None:
    path = folder / "reactions.yaml"
    data = yaml.safe_load(path.read_text())
    fn(data)
    path.write_text(yaml.safe_dump(data, sort_keys=False))


@pytest.mark.parametrize("edit, expected", [
    (lambda d: d["reactions"][0]["probability"].update(value=0.3), "base probabilities sum to 1.1"),
    (lambda d: d["rules"][0].pop("source"), "rules[0] (pressure_doubles_retaliation_odds), field 'source'"),
    (lambda d: d["rules"][0].update(factor="nope"), "unknown scenario factor 'nope'"),
    (lambda d: d["rules"][0].update(log_odds=5), "expected low <= log_odds <= high"),
    (lambda d: d["features"]["threat"].update(tools=["zz"]), "features.threat, field 'tools': unknown tool 'zz'"),
    (lambda d: d["reactions"][2]["effects"].update(x=1), "reactions[2] (retaliates), field 'effects'"),
    (lambda d: d["features"].pop("de_escalation"), "principle needs the feature 'de_escalation'"),
])
def test_reactions_file_errors_name_file_key_and_field(tiny_dir, edit, expected):
    _edit(tiny_dir, edit)
    cat = decision.load_catalog(tiny_dir)
    with pytest.raises(CatalogError) as err:
        load_reactions(cat)
    msg = str(err.value)
    assert msg.startswith("reactions.yaml") and expected in msg and "\n" not in msg


def test_catalogue_without_reactions_file_says_so(tiny_dir):
    (tiny_dir / "reactions.yaml").unlink()
    with pytest.raises(CatalogError, match="reactions.yaml: file not found"):
        load_reactions(decision.load_catalog(tiny_dir))


def test_bundled_reaction_rules_are_sourced(bundled):
    model = load_reactions(bundled)
    assert all(r.source.strip() and r.rationale.strip() for r in model.rules)
    assert all(r.source.strip() for r in model.reactions)
    assert model.base.sum() == pytest.approx(1)


# ----------------------------------------------------------------------------------------------------------------
# Every bundled scenario x preset obeys every principle

PRESETS = sorted(p.stem for p in BUNDLED_PROFILES.glob("*.yaml"))


@pytest.mark.parametrize("scenario", [s.id for s in decision.load_catalog().scenarios])
def test_bundled_plans_obey_every_principle(bundled, scenario):
    model = load_reactions(bundled)
    port = decision.build_portfolios(bundled, scenario)
    problem = strategy_problem(port, model, reviews=2)
    truth = Truth(port, model, dict.fromkeys(bundled.criterion_ids, 1.0), reviews=2)
    for preset in PRESETS:
        weights = dict(load_profile(preset, bundled).weights)
        plan = build_plan(problem, problem.solve(weights), weights)
        assert violations(plan, truth) == [], preset
        assert len(plan.nodes) <= 1 + 4 + 16


# ----------------------------------------------------------------------------------------------------------------
# Random small catalogues: principles hold, backward induction = brute force

STANCES = ("de_escalating", "engagement", "scrutiny", "pressure")
MEMORY = ("after_complies", "after_stalls", "after_retaliation", "degraded")
REACTIONS = ("complies", "stalls", "retaliates_minor", "retaliates_major")


@st.composite
def small_catalogue(draw):
    n = draw(st.integers(3, 5))
    tools = [dict(id=f"t{i}", name=f"T{i}", family="f", rung=draw(st.integers(0, 6)),
                  stance=draw(st.sampled_from(STANCES)), redundancy_group="", lead_time="days", description="x")
             for i in range(n)]
    score = st.integers(-6, 6)
    scores = {(t["id"], c): draw(score) for t in tools for c in "rsle"}
    ids = [t["id"] for t in tools]
    subset = lambda: draw(st.lists(st.sampled_from(ids), min_size=1, max_size=2, unique=True))  # noqa: E731
    base = draw(st.lists(st.integers(1, 10), min_size=4, max_size=4))
    probs = [b / sum(base) for b in base]
    probs[-1] = 1 - sum(probs[:-1])
    features = ["threat", "pressure", "verification", "incentives", "rung", "penalty", "demand", *MEMORY]
    rules = [dict(id=f"r{i}", reaction=draw(st.sampled_from(REACTIONS)), feature=draw(st.sampled_from(features)),
                  log_odds=lo, low=-2.0, high=2.0, rationale="x", source="x")
             for i, lo in enumerate(draw(st.lists(st.floats(-2, 2), max_size=4)))]
    principles = {p: draw(st.booleans()) for p in ("calibration", "credibility", "verified_progress", "de_escalation",
                                                   "answer_stalling", "keep_penalties", "benchmarks",
                                                   "security_floor")}
    envelope = [(draw(st.sampled_from([0.0, 0.05])), draw(st.sampled_from([0.6, 0.8, 1.0]))) for _ in range(4)]
    return dict(tools=tools, scores=scores, probs=probs, rules=rules, principles=principles, envelope=envelope,
                threat=subset(), verification=subset(), incentives=subset(), de_escalation=subset(),
                penalty=subset(), demand=subset(), requires_demand=draw(st.booleans()),
                max_tools=draw(st.integers(1, 3)), up=draw(st.integers(0, 3)), opening=draw(st.integers(0, 6)),
                grave=draw(st.sampled_from([None, 4.0, 6.0])), grave_cap=draw(st.integers(0, 6)),
                floor=draw(st.integers(0, 6)), hold=draw(st.booleans()), no_new_threat=draw(st.booleans()),
                at_horizon=draw(st.booleans()), risk=draw(st.sampled_from([None, 0.15, 0.3])),
                effort_cost=draw(st.sampled_from([0, 0.01, 0.05])),
                effects=[draw(st.integers(-3, 3)) for _ in range(4)], degraded=draw(st.integers(-3, 0)),
                weights=draw(st.lists(st.integers(1, 10), min_size=4, max_size=4)))


def _write(spec: dict, folder: Path) -> None:
    shutil.copytree(TINY, folder)
    (folder / "tools.csv").write_text("id,name,family,rung,stance,redundancy_group,lead_time,description\n" + "".join(
        f"{t['id']},{t['name']},{t['family']},{t['rung']},{t['stance']},,days,x\n" for t in spec["tools"]))
    (folder / "scores.csv").write_text("tool,criterion,change,low,high,rationale,source\n" + "".join(
        f"{t},{c},{v},{v},{v},x,x\n" for (t, c), v in spec["scores"].items()))
    (folder / "effort.csv").write_text("tool,effort,rationale,source\n" + "".join(
        f"{t['id']},{1 + i % 3},x,x\n" for i, t in enumerate(spec["tools"])))
    t0 = spec["tools"][0]["id"]
    (folder / "interactions.csv").write_text("id,kind,tools_a,tools_b,condition,criterion,effect,scales_with,"
                                             f"rationale,source\nx1,synergy,{t0},{t0},with,l,0,,x,x\n")
    model = yaml.safe_load((folder / "model.yaml").read_text())
    model["effort_cost"] = {"value": spec["effort_cost"], "rationale": "x"}
    (folder / "model.yaml").write_text(yaml.safe_dump(model))
    sc = yaml.safe_load((folder / "scenarios.yaml").read_text())
    sc["rules"] = []
    (folder / "scenarios.yaml").write_text(yaml.safe_dump(sc))
    cons = yaml.safe_load((folder / "constraints.yaml").read_text())
    cons.update(max_tools=spec["max_tools"], red_lines=[{"criterion": "s", "min": spec["floor"]}])
    (folder / "constraints.yaml").write_text(yaml.safe_dump(cons))
    on = spec["principles"]
    sw = lambda name, **kw: {"enabled": on[name], "rationale": "x", "source": "x", **kw}  # noqa: E731
    r_eff, s_eff, l_eff, e_eff = spec["effects"]
    # the grave-case opening cap: threshold 4 applies in scenario 'base' (f = 5), 6 does not
    grave = ({} if spec["grave"] is None else
             {"grave_opening_max_rung": spec["grave_cap"], "grave_threshold": spec["grave"], "grave_factors": ["f"]})
    probs = list(spec["probs"])
    env = [(min(lo, p), max(hi, p)) for (lo, hi), p in zip(spec["envelope"], probs)]
    effects = [{"r": r_eff, "l": l_eff}, {"l": -abs(l_eff)}, {"s": -abs(s_eff) / 2, "e": e_eff},
               {"s": s_eff, "e": abs(e_eff)}]
    extra = [{"requires": "demand"} if spec["requires_demand"] else {}, {},
             {"kind": "retaliates", "severity": "minor"},
             {"kind": "retaliates", "severity": "major", "scale": {"factor": "f", "criteria": ["s"]}}]
    reactions = {
        "concentration": {"value": 10, "rationale": "x", "source": "x"},
        "reactions": [
            {"id": rid, "name": rid, **ex, "probability": {"value": p, "low": lo, "high": hi, "rationale": "x",
                                                           "source": "x"},
             "effects": eff, "effects_rationale": "x", "effects_source": "x"}
            for rid, p, (lo, hi), eff, ex in zip(REACTIONS, probs, env, effects, extra)],
        "degraded_ties": {"effects": {"s": spec["degraded"]}, "rationale": "x", "source": "x"},
        "features": {"threat": {"tools": spec["threat"]}, "pressure": {"stances": ["pressure"]},
                     "verification": {"tools": spec["verification"]}, "incentives": {"tools": spec["incentives"]},
                     "de_escalation": {"tools": spec["de_escalation"]}, "penalty": {"tools": spec["penalty"]},
                     "demand": {"tools": spec["demand"]}},
        "rules": spec["rules"],
        "principles": {"calibration": sw("calibration", max_rungs_up=spec["up"], opening_max_rung=spec["opening"],
                                         **grave),
                       "credibility": sw("credibility", at_horizon=spec["at_horizon"]),
                       "verified_progress": sw("verified_progress"),
                       "de_escalation": sw("de_escalation", hold_rung=spec["hold"],
                                           no_new_threat=spec["no_new_threat"]),
                       "answer_stalling": sw("answer_stalling"), "keep_penalties": sw("keep_penalties"),
                       "benchmarks": sw("benchmarks"),
                       "security_floor": sw("security_floor", criteria=["s"], max_rupture_risk=spec["risk"])},
    }
    (folder / "reactions.yaml").write_text(yaml.safe_dump(reactions, sort_keys=False))


def _solve(spec, tmp_path_factory, reviews):
    folder = tmp_path_factory.mktemp("cat") / "c"
    _write(spec, folder)
    cat = decision.load_catalog(folder)
    model = load_reactions(cat)
    weights = dict(zip("rsle", spec["weights"]))
    try:
        port = decision.build_portfolios(cat, "base")
    except DecisionError:
        return None, None, None
    truth = Truth(port, model, {k: v / sum(weights.values()) for k, v in weights.items()}, reviews)
    try:
        problem = strategy_problem(port, model, reviews=reviews)
        plan = build_plan(problem, problem.solve(weights), weights)
    except DecisionError:
        return truth, None, None
    assert plan_violations(plan, problem) == []      # the audit's checker agrees with the solver
    return truth, plan, problem


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture,
                                                                  HealthCheck.too_slow])
@given(spec=small_catalogue(), reviews=st.integers(1, 2))
def test_backward_induction_equals_exhaustive_tree_search(spec, reviews, tmp_path_factory):
    truth, plan, _ = _solve(spec, tmp_path_factory, reviews)
    if truth is None:
        return
    best = truth.tree_value()
    if plan is None:
        assert best == -math.inf          # the solver refuses only when no policy meets the principles
        return
    assert plan.value == pytest.approx(best, abs=1e-9)
    assert violations(plan, truth) == []


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture,
                                                                  HealthCheck.too_slow])
@given(spec=small_catalogue())
def test_one_review_optimum_equals_enumerating_every_policy(spec, tmp_path_factory):
    spec = {**spec, "max_tools": min(spec["max_tools"], 2), "tools": spec["tools"][:4]}
    spec["scores"] = {k: v for k, v in spec["scores"].items() if k[0] in {t["id"] for t in spec["tools"]}}
    for key in ("threat", "verification", "incentives", "de_escalation", "penalty", "demand"):
        spec[key] = [t for t in spec[key] if t in {x["id"] for x in spec["tools"]}] or [spec["tools"][0]["id"]]
    truth, plan, _ = _solve(spec, tmp_path_factory, 1)
    if truth is None:
        return
    best = policy_value(truth)
    if plan is None:
        assert best == -math.inf
    else:
        assert plan.value == pytest.approx(best, abs=1e-9)


# ---- what the playbook buys: simpler courses (decision.strategy.compare) -----------------------------------------

def test_comparison_with_simpler_courses_reproduces_by_hand(tiny, hand_plan):
    # docs/strategy.md, "Worked example", last paragraph: holding A is worth 0.616 (its one-period value, the same in
    # both periods), worst branch A retaliates 0.536; it breaks credibility (A is a threat left idle on stalls) and
    # the de-escalation channel (no C after retaliates). The best single package is A, the opening, so it is not
    # listed twice. Doing nothing new: u(2, 8, 5, 2) = .08 + .16 + .10 + .16 = 0.50.
    problem = strategy_problem(decision.build_portfolios(tiny, "base", max_tools=1), load_reactions(tiny), 1, 6)
    courses = compare_courses(problem, hand_plan)
    assert [c.name for c in courses] == ["Playbook", "Hold the opening", "Do nothing new"]
    play, hold, nothing = courses
    assert play.value == pytest.approx(0.5846) and play.expected == pytest.approx(hand_plan.expected)
    assert hold.tools == ("a",) and hold.value == pytest.approx(0.616) and hold.worst_value == pytest.approx(0.536)
    assert hold.expected == pytest.approx({"r": 5.6, "s": 7.6, "l": 6.0, "e": 4.0})
    assert hold.broken == ("credibility", "de_escalation")
    assert nothing.value == pytest.approx(0.50) and nothing.broken == ()
    assert [c.ranks["wsm"] for c in courses] == [2, 1, 3]
    assert "Holding the opening package is worth 0.031 more but breaks credibility, de-escalation channel" in \
        verdict(courses)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture,
                                                                  HealthCheck.too_slow])
@given(spec=small_catalogue(), reviews=st.integers(1, 2))
def test_a_held_package_that_obeys_every_principle_never_beats_the_playbook(spec, reviews, tmp_path_factory):
    truth, plan, problem = _solve(spec, tmp_path_factory, reviews)
    if plan is None:
        return
    T = reviews + 1
    for c in compare_courses(problem, plan)[1:-1]:
        x = frozenset(c.tools)
        expected, reach = 0.0, set()
        for path in itertools.product(range(truth.K), repeat=T):       # every reaction path, by brute force
            ctx, p, v = OPENING, 1.0, 0.0
            for t, k in enumerate(path):
                if t < T - 1 or True:
                    reach.add(ctx) if t < T else None
                p *= truth.prob(x, ctx)[k]
                v += truth.u(truth.outcome(x, ctx[1], k))
                ctx = truth.next_ctx(ctx, k)
            expected += p * v / T
        assert c.value == pytest.approx(expected - truth.effort_cost(x), abs=1e-9)
        contexts = {OPENING}
        frontier = {OPENING}
        for _ in range(reviews):
            frontier = {truth.next_ctx(ctx, k) for ctx in frontier for k, q in enumerate(truth.prob(x, ctx)) if q > 0}
            contexts |= frontier
        pr = truth.pr
        holds = truth.opening_ok(x) and all(truth.feasible(x, ctx) for ctx in contexts) and all(
            truth.base_ok(x, ctx[0], x) for ctx in contexts if ctx != OPENING)
        if pr.answer_stalling:
            holds &= not any(truth.kinds[ctx[0]] == "stalls" and any(
                truth.base_ok(x, ctx[0], y) and truth.answers(x, y) for y in truth.in_problem)
                for ctx in contexts if ctx != OPENING)
        if pr.credibility and pr.threat_at_horizon and truth.has(x, "threat") and truth.pressure_rung(x) == 0:
            holds &= truth.executable(x)
        assert (c.broken == ()) == holds, (c.name, c.broken)
        if holds:
            assert c.value <= plan.value + 1e-9                      # the playbook is optimal over such policies
