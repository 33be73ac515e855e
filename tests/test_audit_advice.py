"""The advice itself, over every bundled scenario x preset x method (issue 9's done criteria), and `decision audit`
on a deliberately broken catalogue."""
from __future__ import annotations

import dataclasses
import shutil

import pytest


from decision.audit import audit, format_report, sweep
from decision.catalog import BUNDLED
from decision.cli import main

SEED_PAIRINGS = {
    "public + private": ({"public_statement_measured", "multilateral_joint_statement", "transparent_reporting"},
                         {"private_letter", "demarche", "structured_dialogue", "leadership_engagement"}),
    "penalties + incentives": ({"targeted_sanctions", "export_controls", "aid_conditionality"}, {"reform_incentives"}),
    "leader promises + reviews": ({"leadership_engagement"}, {"progress_review"}),
}


@pytest.fixture(scope="module")
def runs(bundled):
    return sweep(bundled)[0]


def test_every_first_clears_the_floor_and_acts_on_the_abuses(runs):
    assert len(runs) == 5 * 4 * 3
    assert (runs["rights_gain"] >= runs["floor"] - 1e-9).all()
    assert runs["acts_on_abuses"].all()
    assert not runs["only_continuation"].any()


def test_security_first_never_recommends_doing_nothing_on_rights(runs):
    sec = runs[runs["preset"] == "security-first"]
    assert (sec["rights_gain"] >= 2.0).all()
    assert not sec["only_continuation"].any()


def test_the_cap_on_tools_binds_in_a_minority_of_runs(bundled, runs):
    """With one more tool allowed, most #1s keep their size: tools join only when they earn their effort (a #1 may
    fill the cap, e.g. when the law makes a tool mandatory, without being padded up to it)."""
    from decision.audit import cap_binds, presets
    assert cap_binds(bundled, runs, presets(bundled)).mean() < 0.5


def test_seed_pairings_show_in_the_top_combinations_of_high_severity_scenarios(bundled):
    from decision import build_portfolios
    from decision.audit import presets
    from decision.ranking import Ranker
    balanced = presets(bundled)["balanced"]
    found = {name: [] for name in SEED_PAIRINGS}
    for sc in bundled.scenarios:
        if sc.factors["severity"] < 6:
            continue
        df = Ranker(build_portfolios(bundled, sc.id)).rank(balanced, top=10)
        for ids in df["tool_ids"]:
            for name, (a, b) in SEED_PAIRINGS.items():
                if a & set(ids) and b & set(ids):
                    found[name].append(sc.id)
    assert all(found.values()), {k: sorted(set(v)) for k, v in found.items()}


def test_few_packages_approach_ending_the_abuses_and_only_with_pressure_and_verification(bundled):
    from decision import build_portfolios
    j = bundled.criterion_ids.index("rights_protection")
    for sc in bundled.scenarios:
        p = build_portfolios(bundled, sc.id)
        assert (p.values[:, j] >= 9).mean() < 0.05
        best = int(p.values[:, j].argmax())
        tools = [bundled.tool(t) for t in p.tools_of(best)]
        assert any(t.family == "verification" for t in tools), sc.id
        assert any(p.adjusted.score[bundled.tool_index(t.id), j] >= 2.5 for t in tools), sc.id


def test_the_bundled_catalogue_passes_the_audit(bundled):
    rep = audit(bundled)
    assert rep.ok, format_report(rep)


def test_audit_fails_a_broken_catalogue(tmp_path, capsys):
    broken = tmp_path / "broken"
    shutil.copytree(BUNDLED, broken)
    # 1. switch the floor off and make exercises look like a rights tool: security-first picks continuation only
    text = (broken / "constraints.yaml").read_text().replace("accountability_floor:\n  enabled: true",
                                                             "accountability_floor:\n  enabled: false")
    (broken / "constraints.yaml").write_text(text)
    scores = (broken / "scores.csv").read_text().replace(
        "interoperability_exercises,security_continuity,0,0,0.5", "interoperability_exercises,security_continuity,9,8,10")
    (broken / "scores.csv").write_text(scores)
    assert main(["audit", "--catalog", str(broken)]) == 1
    out = capsys.readouterr().out
    assert "FAIL  does nothing on the abuses" in out and "audit: FAIL" in out


def test_audit_flags_a_rule_without_a_source(bundled):
    # the loader already refuses an empty source in a file; a catalogue built in Python is checked by the audit
    rules = (dataclasses.replace(bundled.rules[0], source=""), *bundled.rules[1:])
    rep = audit(dataclasses.replace(bundled, rules=rules))
    assert not rep.ok
    hit = rep.findings[rep.findings["check"] == "no source"]
    assert hit["where"].tolist() == [f"scenario rule {bundled.rules[0].id}"]
