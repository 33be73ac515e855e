"""The dashboard's pure part (view state, view model, renderers), without widgets or a kernel."""
from __future__ import annotations

import html
import re

import decision
from decision.advice import bottom_line
from decision.dashboard import ViewModel, ViewState, bottom_line_html, options_html
from decision.dashboard.render import playbook_html, ranking_table_html, status_html
from decision.dashboard.state import PLAN_MONTHS, PLAN_REVIEWS, scenario_defaults
from decision.options import find_options
from decision.strategy.playbook import build_plan, plan_json
from decision.strategy.reactions_file import load_reactions
from decision.strategy.tree import strategy_problem
from decision.strategy.audit import plan_violations

SCENARIO = "indispensable_host"


def state(bundled, **kw):
    """A state as the dashboard starts: the balanced preset and the catalogue's red lines."""
    w = decision.load_profile("balanced", bundled).weights
    base = dict(scenario=SCENARIO, method="topsis", max_tools=bundled.constraints.max_tools, top=5,
                weights={c: float(w[c]) for c in bundled.criterion_ids},
                red_lines=tuple((r.criterion, r.min, r.max) for r in bundled.constraints.red_lines))
    return ViewState(**{**base, **kw})


def test_view_matches_the_engine_from_scratch(bundled):
    vm = ViewModel(bundled)
    st = state(bundled, current=("demarche", "interoperability_exercises"))
    view = vm.view(st)
    p = decision.build_portfolios(bundled, SCENARIO)
    assert view.ranking["tool_ids"].tolist() == decision.Ranker(p).rank(st.weights, "topsis", 5)["tool_ids"].tolist()
    fresh = find_options(p, st.weights, "topsis", current=list(st.current))
    assert [o.tools for o in view.options.rows()] == [o.tools for o in fresh.rows()]
    assert view.options.current.tools == st.current and view.options.minimal_change is not None
    assert view.built and view.confidence is None


def test_only_a_build_setting_rebuilds(bundled):
    vm = ViewModel(bundled)
    first = vm.view(state(bundled))
    again = vm.view(state(bundled, weights={**first.state.weights, "legitimacy": 0.9}, method="wsm", top=3,
                          current=("private_letter",)))
    assert first.built and not again.built and again.ranker is first.ranker
    assert vm.view(state(bundled, max_tools=4)).built


def test_bottom_line_before_and_after_the_confidence_check(bundled):
    vm = ViewModel(bundled)
    view = vm.view(state(bundled))
    before = view.bottom_line().sentences()
    assert len(before) == 4 and before[3].startswith("How sure: Not computed yet")
    conf = vm.confidence(view, draws=300)
    after = view.bottom_line()
    assert after.sentences() == bottom_line(view.options, conf, bundled) and len(after.sentences()) == 5
    assert after.how_sure and "300 weightings drawn at random" in after.how_sure
    html = bottom_line_html(after)
    assert re.search(r"<p[^>]*>Recommend: ", html) and "<b style='color:#2166ac'>How sure:</b>" in html


def test_options_html_lists_every_row_with_its_tools(bundled):
    view = ViewModel(bundled).view(state(bundled, current=("demarche",)))
    html = options_html(view.options, bundled)
    kinds = re.findall(r"<tr data-kind='(\w+)' data-ids='([^']*)'", html)
    assert [k for k, _ in kinds] == ["option"] * len(view.options.options) + ["status_quo", "current",
                                                                              "minimal_change"]
    assert [ids for _, ids in kinds] == ["|".join(o.tools) for o in view.options.rows()]


# ------------------------------------------------------------------------ floor, capacity and the playbook (pure)

def cli_constraints(bundled, **kw):
    """The CLI's constraint overrides for the same analyst choices (decision/cli/common.py)."""
    import argparse
    from decision.cli.common import constraints_of
    args = argparse.Namespace(floor=None, no_floor=False, capacity=None, no_obligations=False, **{})
    for k, v in kw.items():
        setattr(args, k, v)
    return constraints_of(args, bundled)


def test_floor_and_capacity_overrides_are_the_clis(bundled):
    assert "floor" not in state(bundled).constraints and "capacity_override" not in state(bundled).constraints
    off = state(bundled, floor=False).constraints
    assert off["floor"] == cli_constraints(bundled, no_floor=True)["floor"]
    set_ = state(bundled, floor_points=4.5, capacity=8.0).constraints
    want = cli_constraints(bundled, floor=4.5, capacity=8.0)
    assert set_["floor"] == want["floor"] and set_["capacity_override"] == want["capacity_override"] == 8.0


def test_floor_and_capacity_change_the_feasible_set_as_the_engine_does(bundled):
    vm = ViewModel(bundled)
    for kw in (dict(floor=False), dict(floor_points=5.0), dict(capacity=7.0)):
        st = state(bundled, **kw)
        view = vm.view(st)
        p = decision.build_portfolios(bundled, SCENARIO, max_tools=st.max_tools, constraints=st.constraints)
        assert view.built and len(view.ranker.portfolios) == len(p)
        assert view.ranker.portfolios.setting.floor_text() == p.setting.floor_text()
        assert view.ranking["tool_ids"].tolist() == decision.Ranker(p).rank(st.weights, "topsis", 5)["tool_ids"].tolist()
    assert vm.view(state(bundled, floor=False)).ranker.portfolios.setting.floor_points is None
    assert vm.view(state(bundled, capacity=7.0)).ranker.portfolios.setting.capacity == 7.0


def test_scenario_defaults_are_the_scenarios_own_floor_and_capacity(bundled):
    for sc in bundled.scenarios:
        st = decision.build_portfolios(bundled, sc.id).setting
        assert scenario_defaults(bundled, sc.id) == (st.floor_points, st.capacity)


def engine_plan(bundled, st):
    p = decision.build_portfolios(bundled, st.scenario, max_tools=st.max_tools, constraints=st.constraints)
    problem = strategy_problem(p, load_reactions(bundled), PLAN_REVIEWS, PLAN_MONTHS)
    w = st.normalised
    return build_plan(problem, problem.solve(w), w)


def test_playbook_is_the_engines_plan_and_the_tree_is_built_once(bundled):
    vm = ViewModel(bundled)
    st = state(bundled)
    plan, error = vm.plan(st)
    assert error == "" and plan_json(plan) == plan_json(engine_plan(bundled, st))
    problem = vm.problem(st)
    moved = state(bundled, weights={**st.weights, "legitimacy": 0.9})
    again, _ = vm.plan(moved)
    assert vm.problem(moved) is problem                        # a weight change re-solves, never rebuilds
    assert plan_json(again) == plan_json(engine_plan(bundled, moved))
    assert again.root.tools != plan.root.tools                 # and this move does change the opening
    assert not plan_violations(again, problem)


def test_playbook_gives_the_reason_when_no_plan_meets_the_principles(bundled, monkeypatch):
    import sys
    S = sys.modules["decision.dashboard.state"]

    def refuse(*_a, **_k):
        raise decision.DecisionError("the security floor removes every package")
    monkeypatch.setattr(S, "strategy_problem", refuse)
    plan, error = ViewModel(bundled).plan(state(bundled))
    assert plan is None and error == "the security floor removes every package"
    assert "No playbook meets every principle" in playbook_html(None, error) and error in playbook_html(None, error)


def test_playbook_html_carries_the_opening_and_the_engines_plan_text(bundled):
    plan, _ = ViewModel(bundled).plan(state(bundled))
    out = playbook_html(plan)
    assert f"data-opening='{'|'.join(plan.root.tools)}'" in out
    assert decision.strategy.playbook.plan_html(plan) in out


def test_status_line_states_the_floor_in_words_and_the_capacity(bundled):
    view = ViewModel(bundled).view(state(bundled))
    st = view.ranker.portfolios.setting
    out = status_html(len(view.ranker.portfolios), "x", "topsis", {"total_ms": 1.0}, st.floor_text(), st.capacity,
                      bundled.model.effort_cost)
    assert re.sub(r"<[^>]+>", "", out).count(st.floor_text()) == 1 and f">{st.capacity:g}</b> units" in out
    assert "Accountability floor off" in status_html(1, "x", "topsis", {"total_ms": 1.0}, "", None)


def test_ranked_table_ends_with_doing_nothing_new(bundled):
    view = ViewModel(bundled).view(state(bundled))
    sq = view.options.status_quo
    out = ranking_table_html(view.ranking, bundled, view.state, status_quo=sq)
    row = re.search(r"<tr class='status-quo' data-kind='status_quo'>(.*?)</tr>", out).group(1)
    assert "Do nothing new" in row and out.rindex("<tr") == out.index("<tr class='status-quo'")
    nums = re.findall(r"<td class='num'[^>]*>([-\d.]+)</td>", row)
    assert nums[1:1 + len(bundled.criteria)] == [f"{sq.values[c.id]:.2f}" for c in bundled.criteria]


def test_playbook_flags_are_explained_in_words_not_shown_as_raw_names(tiny):
    """The dashboard says what a flag means, as the briefing does (it printed 'rung_skip' or 'bluff' bare)."""
    model = decision.strategy.reactions_file.load_reactions(tiny)
    hand = {"r": 0.4, "s": 0.2, "l": 0.2, "e": 0.2}
    bluff = decision.strategy.playbook.make_plan(tiny, "base", hand, reviews=1, months=6, max_tools=1,
                                                 principles=model.principles.switched(off=["credibility"]))
    assert bluff.flags == ["bluff"]
    flags = re.search(r"<b>Flags:</b> ([^<]*)</p>", playbook_html(bluff)).group(1)
    assert html.unescape(flags) == "Bluff: a threatened step is not carried out on a branch where the ally stalls."
