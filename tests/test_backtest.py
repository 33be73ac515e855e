"""The backtest (decision/backtest.py): proper scoring rules worked by hand, calibration that recovers known
parameters, leave-one-out that never sees the episode it scores, flags and recall re-derived from their definitions,
and the CLI's JSON contract."""
from __future__ import annotations

import json
import math
import shutil
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from decision.backtest import (Stages, brier, episode_scenario, fit_reactions, improvement_measures, leave_one_out,
                               log_score, run_backtest, security_flag, skill, stage_arrays)
from decision.cases import load_cases
from decision.cli import main
from decision.errors import DecisionError
from decision.portfolios import package_values, setting
from decision.strategy.reactions import reaction_probabilities
from decision.strategy.reactions_file import load_reactions
from decision.strategy.tree import above_floor, period_outcomes

FIXTURE = Path(__file__).parent / "fixtures" / "cases"


def test_scores_worked_by_hand():
    P = np.array([[0.2, 0.5, 0.3], [0.7, 0.2, 0.1]])
    y = np.array([1, 2])
    assert log_score(P, y) == pytest.approx([-math.log(0.5), -math.log(0.1)])
    # (0.2-0)^2 + (0.5-1)^2 + (0.3-0)^2 = 0.04 + 0.25 + 0.09; (0.7)^2 + (0.2)^2 + (0.1-1)^2 = 0.49 + 0.04 + 0.81
    assert brier(P, y) == pytest.approx([0.38, 1.34])
    assert skill(0.38, 0.5) == pytest.approx(0.24)
    assert skill(0.5, 0.5) == 0


@given(st.lists(st.floats(0.01, 1.0), min_size=3, max_size=3), st.integers(0, 2))
def test_the_truth_scores_best_in_expectation(q, k):
    """Brier and log scores are strictly proper: the expected score under the true distribution is lowest when the
    forecast is the truth (here against one alternative forecast)."""
    p = np.array(q) / sum(q)
    other = np.roll(p, 1)
    if np.allclose(p, other):
        return
    exp = lambda f, score: sum(p[c] * score(f[None], np.array([c]))[0] for c in range(3))  # noqa: E731
    assert exp(p, brier) < exp(other, brier)
    assert exp(p, log_score) < exp(other, log_score)


@pytest.fixture(scope="module")
def model(bundled):
    return load_reactions(bundled)


@pytest.fixture(scope="module")
def fixture_library(bundled):
    return load_cases(FIXTURE, bundled)


def test_fitting_recovers_the_log_odds_that_generated_the_reactions(model):
    """Reactions drawn from the model with shifted log-odds: with many stages the MAP fit lands near the truth
    (the prior pulls back toward the sourced values, less as data grows). Brackets are widened so that neither the
    envelope nor the bounds of the fit get in the way."""
    model = replace(model, rules=tuple(replace(r, low=-5.0, high=5.0) for r in model.rules),
                    reactions=tuple(replace(r, low=0.0, high=1.0) for r in model.reactions))
    rng = np.random.default_rng(0)
    R = len(model.rules)
    design = rng.choice([0.0, 1.0, -0.6, 0.6], size=(6000, R))
    truth = model.log_odds + rng.normal(0, 0.3, R)
    P = reaction_probabilities(design, model, model.base, truth)
    y = np.array([rng.choice(P.shape[1], p=p) for p in P])
    f = fit_reactions(model, design, y)
    assert np.abs(f.log_odds - truth).max() < 0.25
    assert np.abs(f.log_odds - truth).mean() < np.abs(model.log_odds - truth).mean()


def test_leave_one_out_never_sees_the_episode_it_scores(model, fixture_library, bundled):
    """Flipping one episode's observed reactions leaves its own out-of-sample forecasts unchanged (and changes the
    others' only through the fit)."""
    stages = stage_arrays(fixture_library, bundled, model)
    rng = np.random.default_rng(1)
    n = 40                                    # 10 synthetic episodes of 4 stages around the fixture's designs
    design = np.repeat(stages.design, 14, axis=0)[:n] + rng.normal(0, 0.2, (n, stages.design.shape[1]))
    y = rng.integers(0, len(model.ids), n)
    ep = np.repeat(np.arange(10), 4)
    base = Stages(tuple(f"e{i}" for i in range(10)), ep, np.tile(np.arange(4), 10), y, np.zeros((n, 1), bool),
                  design, np.ones((n, len(model.ids)), bool), np.zeros(n, bool))
    P1, _ = leave_one_out(model, base)
    y2 = y.copy()
    y2[ep == 3] = (y2[ep == 3] + 1) % len(model.ids)
    P2, _ = leave_one_out(model, replace(base, y=y2))
    assert np.allclose(P1[ep == 3], P2[ep == 3])
    assert not np.allclose(P1[ep != 3], P2[ep != 3])


def test_the_stages_carry_the_package_in_force_and_the_observed_reaction(model, fixture_library, bundled):
    s = stage_arrays(fixture_library, bundled, model)
    ids = bundled.tool_ids
    assert [sorted(ids[t] for t in np.flatnonzero(row)) for row in s.members] == [
        ["demarche", "legal_review"], ["demarche", "export_controls", "legal_review"],
        ["export_controls", "independent_monitoring", "legal_review"]]
    assert [model.ids[k] for k in s.y] == ["stalls", "retaliates_minor", "complies"]   # minor: the fixture codes it
    assert s.degraded.tolist() == [False, False, False]


def test_blind_replaces_the_coded_factors_by_the_archetype(bundled, fixture_library):
    e = fixture_library.episodes[0]
    assert episode_scenario(bundled, e).factors == e.factors
    assert episode_scenario(bundled, e, blind=True).factors == bundled.scenario("arms_dependent_client").factors


def test_the_security_flag_is_the_playbooks_floor_on_the_packages_in_force(bundled, fixture_library, model):
    e = fixture_library.episodes[0]
    st = setting(bundled, episode_scenario(bundled, e))
    out = period_outcomes(package_values(st, [s.in_force for s in e.stages]), model, bundled)
    expected = not above_floor(out, st.constraints.red_lines, model.principles, bundled.criterion_ids).all()
    assert security_flag(bundled, e, model) == expected
    harsh = replace(model, reactions=tuple(replace(r, effects={**r.effects, "security_continuity": -9.0})
                                           for r in model.reactions))
    assert security_flag(bundled, e, harsh) is True


def test_recall_counts_the_tools_in_force_when_the_partner_complied(bundled, fixture_library):
    e = fixture_library.episodes[0]
    assert improvement_measures(e, bundled) == ("legal_review", "export_controls", "independent_monitoring")
    assert improvement_measures(replace(e, rights="none"), bundled) == ()
    assert improvement_measures(replace(e, rights_verifiable=False), bundled) == ()


def test_with_no_playbook_under_every_principle_the_playbook_is_the_one_decision_plan_advises(
        monkeypatch, bundled, fixture_library, model):
    """The fallback switches off the first principle (in the order `decision plan` lists them) that makes a playbook
    possible; it never hides another error, and re-raises when no single principle is to blame."""
    import decision.backtest as B
    sc = episode_scenario(bundled, fixture_library.episodes[0])
    blocked = DecisionError("no playbook meets every principle in scenario 'x': switching off ...")
    tried = []

    def fake(catalog, scenario, m, weights):
        tried.append(tuple(n for n in m.principles.NAMES if not getattr(m.principles, n)))
        if m.principles.benchmarks and m.principles.security_floor:
            raise blocked
        return {"a"}, {"a", "b"}

    monkeypatch.setattr(B, "playbook_tools", fake)
    assert B.advised_playbook_tools(bundled, sc, model, None) == ({"a"}, {"a", "b"}, "benchmarks")
    assert tried[0] == () and tried[-1] == ("benchmarks",)          # every principle first, then one at a time
    assert "security_floor" not in [t for x in tried for t in x]       # the premise comes last: not reached

    monkeypatch.setattr(B, "playbook_tools", lambda *a: (_ for _ in ()).throw(blocked))
    with pytest.raises(DecisionError, match="no playbook meets every principle"):
        B.advised_playbook_tools(bundled, sc, model, None)
    other = DecisionError("the security floor removes every package")
    monkeypatch.setattr(B, "playbook_tools", lambda *a: (_ for _ in ()).throw(other))
    with pytest.raises(DecisionError, match="removes every package"):
        B.advised_playbook_tools(bundled, sc, model, None)

    ok = lambda *a: ({"a"}, {"a"})  # noqa: E731
    monkeypatch.setattr(B, "playbook_tools", ok)
    assert B.advised_playbook_tools(bundled, sc, model, None) == ({"a"}, {"a"}, None)


def test_the_backtest_of_the_fixture_names_its_unexpressed_measure(bundled, fixture_library):
    bt = run_backtest(bundled, fixture_library, loo=False)
    assert bt.unexpressed == (("ruritania_testland_2001", "exercise_scale_down", "a joint police exercise was "
                                                                                 "postponed"),)
    s = bt.summary()
    assert list(s.index) == ["coded", "blind"] and s.loc["coded", "stages"] == 3
    v = bt.variant("coded")
    assert v.recall["ruritania_testland_2001"][0] == 3


def test_the_cli_json_contract(capsys, tmp_path):
    code = main(["backtest", "--cases", str(FIXTURE), "--no-fit", "--format", "json"])
    out, err = capsys.readouterr()
    assert code == 0, err
    data = json.loads(out)
    assert set(data) >= {"episodes", "stages", "reactions", "variants", "targets", "fitted", "unexpressed"}
    v = data["variants"]["coded"]
    assert set(v) >= {"log_score", "log_skill", "brier", "brier_skill", "red_line", "recall", "episodes"}
    rec = v["episodes"][0]
    assert rec["id"] == "ruritania_testland_2001" and rec["observed"] == ["stalls", "retaliates_minor", "complies"]
    assert all(abs(sum(p.values()) - 1) < 1e-3 for p in rec["probabilities"])


def test_a_bad_case_file_is_one_line_exit_2(capsys, tmp_path):
    folder = tmp_path / "cases"
    shutil.copytree(FIXTURE, folder)
    path = folder / "ruritania_testland_2001.yaml"
    path.write_text(path.read_text().replace("severity: {value: 6,", "severity: {value: 12,"))
    code = main(["backtest", "--cases", str(folder), "--no-fit"])
    _, err = capsys.readouterr()
    assert code == 2 and err.count("\n") == 1 and "ruritania_testland_2001.yaml" in err and "severity" in err
