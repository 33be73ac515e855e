"""Catalogue version 3 (issue 17, data part): partial security measures, the legal duties split, security harm that
depends on who can walk away, and no overclaiming (the quiet cap, conversations and the floor's strong-tool clause).
The cap is worked by hand on the 3-tool catalogue (docs/model.md, worked example; HAND in tests/test_portfolios.py)."""
from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest

import decision
from decision import CatalogError, build_portfolios, explain, load_catalog
from decision.portfolios import portfolio_values, quiet_packages, strong_tools

SECURITY = ("exercise_scale_down", "transfer_pause", "unit_suspension")
PENALTIES = ("targeted_sanctions", "export_controls", "aid_conditionality")
CONVERSATIONS = ("private_letter", "demarche", "procedural_protest", "structured_dialogue", "leadership_engagement",
                 "domestic_rationale")
NO_FLOOR = {"floor": {"enabled": False}}


def append(folder, name, text):
    with (folder / name).open("a") as fh:
        fh.write(text)


def values(cat, tools, scenario, **kw):
    return explain(cat, list(tools), scenario, constraints=kw.pop("constraints", NO_FLOOR), **kw)["values"]


# ---------------------------------------------------------------------------------------------------------------
# No overclaiming: the quiet cap, worked by hand

def test_quiet_cap_hand_worked(tiny_dir):
    append(tiny_dir, "model.yaml", "quiet_cap: {criterion: r, level: 5, unless_any: [b], rationale: t, source: h}\n")
    p = build_portfolios(load_catalog(tiny_dir))
    got = {p.tools_of(i): p.values[i] for i in range(len(p))}
    # quiet packages (no b): a 5.2 -> 5.0, a+c 5.2 -> 5.0, c stays at the status quo 2; everything else as HAND
    assert got[("a",)][0] == pytest.approx(5.0) and got[("a", "c")][0] == pytest.approx(5.0)
    assert got[("c",)][0] == pytest.approx(2.0)
    np.testing.assert_allclose(got[("a", "b")], (7.12, 4.8, 6.2, 6.58))
    np.testing.assert_allclose(got[("a",)][1:], (8.0, 6.0, 3.6))                 # other criteria untouched
    df = decision.rank_portfolios(load_catalog(tiny_dir), method="wsm", top=None)
    pref = dict(zip(map(tuple, df["tool_ids"]), df["preference"]))
    assert pref[("a",)] == pytest.approx(0.64 - 0.2 / 10 / 4)                       # 0.635
    assert pref[("a", "c")] == pytest.approx(0.686 - 0.2 / 10 / 4)                  # 0.681


def test_quiet_cap_never_lowers_a_package_below_the_status_quo(tiny_dir):
    append(tiny_dir, "model.yaml", "quiet_cap: {criterion: r, level: 1, unless_any: [b], rationale: t, source: h}\n")
    p = build_portfolios(load_catalog(tiny_dir))
    assert p.values[p.find(["a"]), 0] == pytest.approx(2.0)                       # held at the status quo, not at 1
    assert p.values[p.find(["b"]), 0] == pytest.approx(6.8)


def test_quiet_packages_cannot_approach_ending_the_abuses(bundled):
    cap = bundled.model.quiet_cap
    j = bundled.criterion_ids.index(cap.criterion)
    for sc in bundled.scenarios:
        p = build_portfolios(bundled, sc.id, constraints=NO_FLOOR)
        quiet = quiet_packages(p.bits, p.spec)
        free = portfolio_values(p.idx, p.bits, p.adjusted.score, replace(p.spec, cap_crit=-1))
        assert (p.values[quiet, j] <= max(cap.level, p.status_quo[j]) + 1e-9).all(), sc.id
        np.testing.assert_allclose(p.values[~quiet], free[~quiet])               # the cap touches quiet packages only
        if quiet.any():
            assert (free[quiet, j] > cap.level).any(), sc.id                        # and it binds somewhere
    e = explain(bundled, ["private_letter", "demarche", "structured_dialogue", "leadership_engagement"],
                "hedging_partner", constraints=NO_FLOOR)
    assert e["values"]["rights_protection"] == pytest.approx(5.0) and "held at 5.00" in e["cap"]
    lifted = explain(bundled, ["private_letter", "demarche", "structured_dialogue", "leadership_engagement",
                               "independent_monitoring"], "hedging_partner", constraints=NO_FLOOR)
    assert lifted["cap"] == "" and lifted["values"]["rights_protection"] > 5.0


def test_one_conversation_cannot_satisfy_the_strong_tool_clause(bundled):
    st = build_portfolios(bundled, "indispensable_host").setting
    j = bundled.criterion_ids.index("rights_protection")
    strong = {bundled.tool_ids[t] for t in strong_tools(st)}
    over = {t for t in CONVERSATIONS if st.adjusted.score[bundled.tool_index(t), j] >= 2.5}
    assert over == {"demarche", "leadership_engagement"}                           # 2.7 and 2.6 in this scenario
    assert not over & strong and {"red_lines_benchmarks", "multilateral_joint_statement"} <= strong
    talk = ["demarche", "leadership_engagement", "progress_review"]                # +4.48, above the 3.0 floor
    e = explain(bundled, talk, "indispensable_host")
    assert not e["feasible"] and "other than a conversation" in e["reasons"][0]
    assert explain(bundled, talk, "indispensable_host",
                   constraints={"floor": {"strong_tool_excludes": ()}})["feasible"]
    assert "a conversation alone does not count" in st.floor_text()


# ---------------------------------------------------------------------------------------------------------------
# Security harm depends on who can walk away

def test_mild_criticism_of_a_partner_with_options_costs_more_than_export_controls_on_a_client(bundled):
    hedging = explain(bundled, ["public_statement_measured"], "hedging_partner", constraints=NO_FLOOR)
    client = explain(bundled, ["export_controls"], "arms_dependent_client", constraints=NO_FLOOR)
    assert hedging["status_quo"]["security_continuity"] == client["status_quo"]["security_continuity"] == 8
    # -1.5 - 0.25 x 4 (outside options 9) - 0.2 x 4 (sensitivity 9) = -3.3 -> 8 x 0.67 = 5.36;
    # -2.5 + 0.2 x 2 (outside options 3) = -2.1 -> 8 x 0.79 = 6.32
    assert hedging["values"]["security_continuity"] == pytest.approx(5.36)
    assert client["values"]["security_continuity"] == pytest.approx(6.32)


def test_a_dependent_partner_absorbs_criticism_a_partner_with_options_answers(bundled):
    def cost(scenario, factors):
        sc = replace(bundled.scenario(scenario), factors={**bundled.scenario(scenario).factors, **factors})
        return 8 - values(bundled, ["public_statement_measured"], sc)["security_continuity"]
    assert cost("peripheral_partner", {"outside_options": 9}) > cost("peripheral_partner", {"outside_options": 1})
    assert cost("peripheral_partner", {"criticism_sensitivity": 9}) > cost("peripheral_partner",
                                                                          {"criticism_sensitivity": 1})
    # indispensability still scales what we stand to lose from an economic penalty; partial security measures follow
    # who can walk away instead (indispensable partners absorbed them in the record: data/cases)
    def cost_of(tool, ind):
        sc = replace(bundled.scenario("peripheral_partner"),
                     factors={**bundled.scenario("peripheral_partner").factors, "indispensability": ind})
        return 8 - values(bundled, [tool], sc)["security_continuity"]
    assert cost_of("export_controls", 9) > cost_of("export_controls", 1)
    assert cost_of("transfer_pause", 9) == pytest.approx(cost_of("transfer_pause", 1))


# ---------------------------------------------------------------------------------------------------------------
# Legal duties: assess at any certainty, refuse above a threshold; our own vetting is not escalation

def test_the_assessment_duty_applies_at_any_certainty_and_the_refusals_keep_their_thresholds(bundled):
    mandatory = lambda sc: set(build_portfolios(bundled, sc).setting.mandatory)        # noqa: E731
    assert mandatory("treaty_peer_in_crisis") == {"legal_review"}                    # equipped units, disputed facts
    assert mandatory("arms_dependent_client") == {"legal_review", "export_controls"}
    assert mandatory("indispensable_host") == set()                                  # no equipped units implicated
    crisis = bundled.scenario("treaty_peer_in_crisis")
    for cert, expected in ((0, {"legal_review"}), (5, {"legal_review"}), (6, {"legal_review", "export_controls"})):
        sc = replace(crisis, factors={**crisis.factors, "evidentiary_certainty": cert})
        assert set(build_portfolios(bundled, sc).setting.mandatory) == expected, cert
    p = build_portfolios(bundled, "treaty_peer_in_crisis")
    assert p.members[:, bundled.tool_index("legal_review")].all()


def test_our_own_vetting_is_not_a_rung_of_the_ladder(bundled):
    assert bundled.tool("legal_review").rung == 0
    skip = explain(bundled, ["legal_review", "targeted_sanctions"], "peripheral_partner", constraints=NO_FLOOR)
    step = explain(bundled, ["red_lines_benchmarks", "targeted_sanctions"], "peripheral_partner", constraints=NO_FLOOR)
    assert any("escalation ladder" in r for r in skip["reasons"])
    assert not any("escalation ladder" in r for r in step["reasons"])


# ---------------------------------------------------------------------------------------------------------------
# Partial security measures

def test_partial_security_measures_sit_between_words_and_suspension(bundled):
    for t in SECURITY:
        tool = bundled.tool(t)
        assert tool.family == "security" and tool.stance == "pressure" and 5 <= tool.rung <= 6
        assert tool.rung < bundled.tool("full_security_suspension").rung
    assert bundled.tool("transfer_pause").redundancy_group == bundled.tool("export_controls").redundancy_group
    assert "full_security_suspension" in bundled.constraints.excluded_by_premise


def test_each_measure_costs_security_but_stays_above_the_red_line(bundled):
    for sc in bundled.scenarios:
        p = build_portfolios(bundled, sc.id)
        for t in SECURITY:
            if t in p.setting.tool_exclusions:
                assert t == "unit_suspension" and "needs" in p.setting.tool_exclusions[t]
                continue
            v = values(bundled, [t], sc.id)
            assert 4 <= v["security_continuity"] < p.status_quo[1], (sc.id, t)


def test_stacking_measures_costs_extra_and_they_add_up_to_no_suspension(bundled):
    one = [values(bundled, [t], "peripheral_partner")["security_continuity"] for t in SECURITY[:2]]
    e = explain(bundled, list(SECURITY[:2]), "peripheral_partner", constraints=NO_FLOOR)
    assert "i26a_security_measure_stacking" in e["interactions"]["interaction"].tolist()
    assert e["values"]["security_continuity"] < min(one)
    for sc in bundled.scenarios:                      # everything short of suspension at once breaks a red line
        big = explain(bundled, [*SECURITY, *PENALTIES, "red_lines_benchmarks", "legal_review"], sc.id,
                      max_tools=10, constraints={**NO_FLOOR, "effort_capacity": 100})
        assert any("red line" in r for r in big["reasons"]), sc.id


def test_trust_building_cushions_penalties_but_not_a_deliberate_cut(bundled):
    s = lambda tools: values(bundled, tools, "peripheral_partner")["security_continuity"]      # noqa: E731
    assert s(["exercise_scale_down", "crisis_comms_protocol"]) == pytest.approx(s(["exercise_scale_down"]))
    assert s(["export_controls", "crisis_comms_protocol"]) > s(["export_controls"])
    r = lambda tools: values(bundled, tools, "peripheral_partner")["escalation_risk"]          # noqa: E731
    assert r(["exercise_scale_down", "crisis_comms_protocol"]) < r(["exercise_scale_down"])


def test_a_pause_with_a_stated_condition_bites_harder(bundled):
    bare = explain(bundled, ["transfer_pause", "demarche"], "peripheral_partner", constraints=NO_FLOOR)
    tied = explain(bundled, ["transfer_pause", "red_lines_benchmarks"], "peripheral_partner", constraints=NO_FLOOR)
    assert "i25_pause_with_stated_condition" in tied["interactions"]["interaction"].tolist()
    assert tied["values"]["rights_protection"] > bare["values"]["rights_protection"]


def test_a_unit_is_suspended_on_a_finding_about_a_unit_we_equip(bundled):
    out = explain(bundled, ["unit_suspension", "legal_review", "red_lines_benchmarks"], "indispensable_host")
    assert any("abuses_by_units_we_equip" in r for r in out["reasons"])             # we do not equip those units
    crisis = explain(bundled, ["unit_suspension", "legal_review", "red_lines_benchmarks"], "treaty_peer_in_crisis")
    assert any("evidentiary certainty 5 or more (here 4)" in r for r in crisis["reasons"])   # disputed facts
    alone = explain(bundled, ["unit_suspension", "red_lines_benchmarks"], "arms_dependent_client", constraints=NO_FLOOR)
    assert any("prerequisite missing" in r and "Legal review" in r for r in alone["reasons"])
    vetted = explain(bundled, ["unit_suspension", "legal_review", "export_controls", "red_lines_benchmarks"],
                     "arms_dependent_client", constraints=NO_FLOOR)
    assert vetted["feasible"] and "i24_unit_suspension_on_vetting" in vetted["interactions"]["interaction"].tolist()


# ---------------------------------------------------------------------------------------------------------------
# Bad input: one line naming the file and the field

@pytest.mark.parametrize("text, match", [
    ("quiet_cap: {criterion: r, level: 5, unless_any: [zz], rationale: t, source: h}\n", "unknown tool 'zz'"),
    ("quiet_cap: {criterion: q, level: 5, unless_any: [b], rationale: t, source: h}\n", "unknown criterion 'q'"),
    ("quiet_cap: {criterion: r, level: 11, unless_any: [b], rationale: t, source: h}\n", "level on the r scale"),
    ("quiet_cap: {criterion: r, level: 5, unless_any: [b], rationale: t}\n", "source"),
])
def test_a_bad_quiet_cap_is_one_line(tiny_dir, text, match):
    append(tiny_dir, "model.yaml", text)
    with pytest.raises(CatalogError, match=match) as err:
        load_catalog(tiny_dir)
    assert "model.yaml" in str(err.value) and "\n" not in str(err.value)


@pytest.mark.parametrize("text, match", [
    ("available_when: [{tool: a, when: {facts: [nowhere]}, rationale: t, source: h}]\n", "fact 'nowhere' is given"),
    ("available_when: [{tool: zz, when: {factors: {f: 3}}, rationale: t, source: h}]\n", "unknown tool 'zz'"),
    ("available_when: [{tool: a, when: {factors: {g: 3}}, rationale: t, source: h}]\n", "unknown factor 'g'"),
    ("available_when: [{tool: a, when: {}, rationale: t, source: h}]\n", "needs facts or factor thresholds"),
    ("accountability_floor: {criterion: r, base: 1, min_tool_change: 2, strong_tool_excludes: [zz], rationale: t,\n"
     "  source: h}\n", "unknown tool 'zz'"),
])
def test_bad_fact_requirements_and_floor_exclusions_are_one_line(tiny_dir, text, match):
    append(tiny_dir, "constraints.yaml", text)
    with pytest.raises(CatalogError, match=match) as err:
        load_catalog(tiny_dir)
    assert "constraints.yaml" in str(err.value)


def test_a_tool_that_needs_a_fact_or_a_threshold_is_out_without_it(tiny_dir):
    text = (tiny_dir / "scenarios.yaml").read_text().replace(
        "{id: hot, name: Hot, description: factor at 10, factors: {f: 10}}",
        "{id: hot, name: Hot, description: factor at 10, factors: {f: 10}, facts: [equipped]}")
    (tiny_dir / "scenarios.yaml").write_text(text)
    append(tiny_dir, "constraints.yaml", "available_when: [{tool: a, when: {facts: [equipped], factors: {f: 8}},\n"
                                          "  rationale: t, source: h}]\n")
    cat = load_catalog(tiny_dir)
    base, hot = build_portfolios(cat, "base"), build_portfolios(cat, "hot")
    assert "a" in base.setting.tool_exclusions and not base.members[:, 0].any() and len(base) == 3
    assert hot.setting.tool_exclusions == {} and len(hot) == 7
    reason = " | ".join(explain(cat, ["a"], "base")["reasons"])
    assert "the finding equipped" in reason and "f 8 or more (here 5)" in reason
