"""The elements of value model v2, each worked by hand on the 3-tool catalogue (values in tests/test_portfolios.py
HAND): status-quo rules, one-sided rules, interactions scaled by a factor, the accountability floor, effort capacity
and cost, per-tool red lines, legal obligations, explain's feasibility reasons."""
from __future__ import annotations

import numpy as np
import pytest

import decision
from decision import DecisionError, build_portfolios, explain, load_catalog
from decision.ranking import Ranker


def append(folder, name, text):
    with (folder / name).open("a") as fh:
        fh.write(text)


def test_status_quo_rules_and_one_sided_rules(tiny_dir):
    append(tiny_dir, "scenarios.yaml",
           "status_quo_rules:\n"
           "  - {id: sq_r, factor: f, criterion: r, per_point: -0.2, rationale: t, source: h}\n"
           "  - {id: sq_e, factor: f, criterion: e, per_point: 0.4, only: above, rationale: t, source: h}\n")
    cat = load_catalog(tiny_dir)
    base, hot = build_portfolios(cat, "base"), build_portfolios(cat, "hot")
    np.testing.assert_allclose(base.status_quo, [2, 8, 5, 2])          # f = 5: neutral, nothing moves
    np.testing.assert_allclose(hot.status_quo, [1, 8, 5, 4])           # f = 10: r - 0.2 * 5, e + 0.4 * 5
    # a alone in "hot": r from 1 closes 40% of 9 -> 4.6
    assert hot.values[hot.find(["a"]), 0] == pytest.approx(1 + 9 * 0.4)


def test_a_rule_with_only_above_ignores_calm_scenarios(tiny_dir):
    text = (tiny_dir / "scenarios.yaml").read_text().replace(
        "per_point: 0.2, rationale: test", "per_point: 0.2, only: above, rationale: test")
    text = text.replace("- {id: hot, name: Hot, description: factor at 10, factors: {f: 10}}",
                        "- {id: hot, name: Hot, description: factor at 10, factors: {f: 10}}\n"
                        "  - {id: calm, name: Calm, description: factor at 0, factors: {f: 0}}")
    (tiny_dir / "scenarios.yaml").write_text(text)
    cat = load_catalog(tiny_dir)
    assert decision.scenario.adjust_scores(cat, "calm").score[1, 0] == 6      # b's change untouched below 5
    assert decision.scenario.adjust_scores(cat, "hot").score[1, 0] == 7       # + 0.2 * 5 above


def test_an_interaction_scaled_by_a_factor(tiny_dir):
    text = (tiny_dir / "interactions.csv").read_text().replace("x1,synergy,a,c,with,l,1,,", "x1,synergy,a,c,with,l,1,f,")
    (tiny_dir / "interactions.csv").write_text(text)
    cat = load_catalog(tiny_dir)
    base, hot = build_portfolios(cat, "base"), build_portfolios(cat, "hot")
    assert base.values[base.find(["a", "c"]), 2] == pytest.approx(6.04)     # f = 5: effect x 1 (HAND)
    # f = 10: x1 counts 2 points (share 0.2): l = 0.45 + 0.55 * (1 - 0.8 * 0.8) = 0.648
    assert hot.values[hot.find(["a", "c"]), 2] == pytest.approx(6.48)


def test_accountability_floor_filters_and_is_stated_in_words(tiny_dir):
    append(tiny_dir, "constraints.yaml",
           "accountability_floor: {criterion: r, base: 3.5, per_point: {f: 0.1}, minimum: 1, maximum: 8,\n"
           "  min_tool_change: 5, rationale: t, source: h}\n")
    p = build_portfolios(load_catalog(tiny_dir))
    # floor 3.5 points: rights gains (HAND minus 2) are a 3.2, b 4.8, c 0, ab 5.12, ac 3.2, bc 4.8, abc 5.12;
    # and a tool with a rights change of 5 or more (only b): so b, ab, bc, abc
    assert sorted(p.tools_of(i) for i in range(len(p))) == [("a", "b"), ("a", "b", "c"), ("b",), ("b", "c")]
    assert p.removed["accountability_floor"] == 3
    assert "at least 3.5 points" in p.setting.floor_text()
    off = build_portfolios(load_catalog(tiny_dir), constraints={"floor": {"enabled": False}})
    assert len(off) == 7 and "accountability_floor" not in off.removed
    e = explain(load_catalog(tiny_dir), ["a", "c"])
    assert not e["feasible"] and "accountability floor" in e["reasons"][0]


def test_effort_capacity_and_cost(tiny_dir):
    append(tiny_dir, "constraints.yaml", "effort_capacity: 3\n")
    p = build_portfolios(load_catalog(tiny_dir))
    # efforts a 1, b 2, c 1: {a,b,c} needs 4 > 3
    assert ("a", "b", "c") not in [p.tools_of(i) for i in range(len(p))] and p.removed["effort_capacity"] == 1
    np.testing.assert_array_equal(sorted(p.effort), [1, 1, 2, 2, 3, 3])
    (tiny_dir / "model.yaml").write_text((tiny_dir / "model.yaml").read_text()
                                         + "effort_cost: {value: 0.05, rationale: t}\n")
    q = build_portfolios(load_catalog(tiny_dir))
    df = Ranker(q).rank(None, "wsm", top=None)
    # HAND values less 0.05 per effort unit: a+c 0.686 - 0.1 = 0.586 < a 0.64 - 0.05 = 0.59
    assert df["tool_ids"].iloc[0] == ("a",) and df["preference"].iloc[0] == pytest.approx(0.59)
    assert df.attrs["status_quo"]["preference"] == pytest.approx(0.575)    # doing nothing costs no effort


def test_a_tool_that_alone_breaks_a_red_line_is_out_unless_allowed(tiny_dir):
    text = (tiny_dir / "constraints.yaml").read_text().replace("red_lines: []",
                                                               "red_lines: [{criterion: e, max: 6}]")
    (tiny_dir / "constraints.yaml").write_text(text + "tool_red_lines: {enabled: true}\n")
    p = build_portfolios(load_catalog(tiny_dir))
    # b alone: e 6.4 > 6 -> b is out everywhere, even where c would bring the package back (b+c: e 3.0)
    assert "b" in p.setting.tool_exclusions and not p.members[:, 1].any()
    (tiny_dir / "constraints.yaml").write_text(text + "tool_red_lines: {enabled: true, allow: [b]}\n")
    q = build_portfolios(load_catalog(tiny_dir))
    assert ("b", "c") in [q.tools_of(i) for i in range(len(q))] and ("b",) not in [q.tools_of(i) for i in range(len(q))]
    e = explain(load_catalog(tiny_dir.parent / tiny_dir.name), ["b"])
    assert not e["feasible"]


def test_legal_obligation_makes_a_tool_mandatory_when_its_facts_hold(tiny_dir):
    text = (tiny_dir / "scenarios.yaml").read_text().replace(
        "{id: hot, name: Hot, description: factor at 10, factors: {f: 10}}",
        "{id: hot, name: Hot, description: factor at 10, factors: {f: 10}, facts: [equipped_units]}")
    (tiny_dir / "scenarios.yaml").write_text(text)
    append(tiny_dir, "constraints.yaml",
           "legal_obligations:\n  enabled: true\n  rules:\n"
           "  - {id: vet, name: Vetting law, tools: [a], when: {facts: [equipped_units], factors: {f: 8}},\n"
           "     rationale: t, source: 'https://example.org/law'}\n")
    cat = load_catalog(tiny_dir)
    hot, base = build_portfolios(cat, "hot"), build_portfolios(cat, "base")
    assert hot.setting.mandatory == {"a": ("vet",)} and hot.members[:, 0].all() and len(hot) == 4
    assert base.setting.mandatory == {} and len(base) == 7             # no fact, no duty
    free = build_portfolios(cat, "hot", constraints={"obligations_enabled": False})
    assert len(free) == 7
    e = explain(cat, ["b"], "hot")
    assert not e["feasible"] and "mandatory (Vetting law)" in e["reasons"][0]
    with pytest.raises(DecisionError, match="mandatory"):
        build_portfolios(cat, "hot", constraints={"forced_out": ["a"]})


def test_explain_lists_every_reason_on_the_bundled_catalogue(bundled):
    e = explain(bundled, ["reform_incentives", "public_statement_strong_rebuke"], "arms_dependent_client")
    text = " | ".join(e["reasons"])
    assert not e["feasible"]
    for fragment in ("Legal review is missing", "Export controls is missing", "prerequisite missing",
                     "escalation ladder"):
        assert fragment in text
    ok = explain(bundled, decision.rank_portfolios(bundled, "arms_dependent_client", top=1)["tool_ids"].iloc[0],
                 "arms_dependent_client")
    assert ok["feasible"] and ok["reasons"] == []


def test_de_escalating_tools_lower_escalation_risk(bundled):
    risk = lambda tools: explain(bundled, tools)["values"]["escalation_risk"]          # noqa: E731
    status_quo = explain(bundled, ["domestic_rationale"])["status_quo"]["escalation_risk"]
    for tool in ("crisis_comms_protocol", "joint_risk_assessment", "incident_reporting", "leadership_engagement"):
        assert risk([tool]) < status_quo
    assert risk(["export_controls", "crisis_comms_protocol"]) < risk(["export_controls"])


def test_private_only_rule_fires_only_on_quiet_packages(bundled):
    quiet = explain(bundled, ["demarche", "leadership_engagement"], "hedging_partner")
    loud = explain(bundled, ["demarche", "targeted_sanctions", "independent_fact_finding"], "hedging_partner")
    assert "i03_private_only_package" in quiet["interactions"]["interaction"].tolist()
    assert "i03_private_only_package" not in loud["interactions"]["interaction"].tolist()
