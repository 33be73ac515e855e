"""The audit of strategies: clean plans pass, tampered plans and impossible principles are reported."""
from __future__ import annotations

import dataclasses

import yaml

import decision
from decision.strategy.playbook import build_plan
from decision.strategy.reactions_file import load_reactions
from decision.strategy.tree import strategy_problem
from decision.strategy.audit import audit_plans, plan_violations

from .test_strategy import HAND_WEIGHTS


def _problem(cat):
    return strategy_problem(decision.build_portfolios(cat, "base", max_tools=1), load_reactions(cat), 1, 6)


def test_solved_plan_has_no_violations(tiny):
    problem = _problem(tiny)
    assert plan_violations(build_plan(problem, problem.solve(HAND_WEIGHTS)), problem) == []


def test_tampered_plan_is_caught(tiny):
    problem = _problem(tiny)
    plan = build_plan(problem, problem.solve(HAND_WEIGHTS))
    stalls, retaliates = plan.root.children[1], plan.root.children[2]
    idle = dataclasses.replace(stalls, tools=("a",), names=("Tool A",))                 # threat left idle
    calm = dataclasses.replace(retaliates, tools=("b",), names=("Tool B",))            # no crisis protocol
    bad = dataclasses.replace(plan, root=dataclasses.replace(plan.root, children=(plan.root.children[0], idle, calm)))
    found = " | ".join(plan_violations(bad, problem))
    assert "bluff flag missing" in found and "threat is not carried out" in found
    assert "no crisis protocol after 'retaliates'" in found


def test_audit_fails_when_no_package_can_follow_retaliation(tiny_dir):
    path = tiny_dir / "reactions.yaml"
    data = yaml.safe_load(path.read_text())
    data["principles"]["de_escalation"]["hold_rung"] = True      # C (rung 4) can never follow A or B after retaliation
    path.write_text(yaml.safe_dump(data))
    cat = decision.load_catalog(tiny_dir)
    built = {"base": decision.build_portfolios(cat, "base", max_tools=1)}
    found = audit_plans(cat, built, {"hand": HAND_WEIGHTS})
    assert [(f["level"], f["check"]) for f in found] == [("fail", "no playbook")]


def test_bundled_audit_checks_every_playbook(bundled):
    from decision.audit import presets
    built = {s.id: decision.build_portfolios(bundled, s.id) for s in bundled.scenarios}
    assert [f for f in audit_plans(bundled, built, presets(bundled)) if f["level"] == "fail"] == []


def test_audit_fails_when_a_simpler_course_obeying_every_principle_beats_the_playbook(tiny_dir, monkeypatch):
    # with credibility and the de-escalation channel off, holding A obeys every principle (0.616 by hand,
    # docs/strategy.md); a solver that returned a worse plan (simulated: its value lowered) must be reported
    path = tiny_dir / "reactions.yaml"
    data = yaml.safe_load(path.read_text())
    data["principles"]["credibility"]["enabled"] = False
    data["principles"]["de_escalation"]["enabled"] = False
    path.write_text(yaml.safe_dump(data))
    cat = decision.load_catalog(tiny_dir)
    built = {"base": decision.build_portfolios(cat, "base", max_tools=1)}
    assert [f for f in audit_plans(cat, built, {"hand": HAND_WEIGHTS}) if f["level"] == "fail"] == []
    import decision.strategy.audit as A
    worse = lambda *a, **k: dataclasses.replace(build_plan(*a, **k), value=0.5)  # noqa: E731
    monkeypatch.setattr(A, "build_plan", worse)
    found = [f for f in audit_plans(cat, built, {"hand": HAND_WEIGHTS}) if f["level"] == "fail"]
    assert [f["check"] for f in found] == ["playbook not optimal"]
    assert "hold the opening (a) obeys every principle and is worth 0.616000 > 0.500000" in found[0]["detail"]
