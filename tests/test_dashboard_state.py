"""The dashboard's pure part (view state, view model, renderers), without widgets or a kernel."""
from __future__ import annotations

import re

import decision
from decision.advice import bottom_line
from decision.dashboard import ViewModel, ViewState, bottom_line_html, options_html
from decision.options import find_options

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
    before = view.bottom_line()
    assert len(before) == 3 and before[2].startswith("How sure: not computed yet")
    conf = vm.confidence(view, draws=300)
    after = view.bottom_line()
    assert after == bottom_line(view.options, conf, bundled) and len(after) == 4
    assert after[2].startswith("How sure:") and "300 random weight draws" in after[2]
    html = bottom_line_html(after)
    assert re.search(r"<p[^>]*>Recommended course of action: ", html)


def test_options_html_lists_every_row_with_its_tools(bundled):
    view = ViewModel(bundled).view(state(bundled, current=("demarche",)))
    html = options_html(view.options, bundled)
    kinds = re.findall(r"<tr data-kind='(\w+)' data-ids='([^']*)'", html)
    assert [k for k, _ in kinds] == ["option"] * len(view.options.options) + ["status_quo", "current",
                                                                              "minimal_change"]
    assert [ids for _, ids in kinds] == ["|".join(o.tools) for o in view.options.rows()]
