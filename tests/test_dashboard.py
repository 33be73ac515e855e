"""The dashboard driven from Python, without a browser: the truth is decision's own engine, called independently."""
from __future__ import annotations

import asyncio
import html
import json
import re

import ipywidgets as widgets
import pytest
from hypothesis import given
from hypothesis import strategies as st

import decision
from decision.display import percent
from decision import figures
from decision.dashboard import TABLE_CLASS, Dashboard, dashboard
from decision.profiles import load_profile
from decision.strategy.compare import compare_courses, verdict
from decision.strategy.figures import plan_trace_data

SCENARIO = "indispensable_host"


@pytest.fixture
def dash(bundled, tmp_path):
    return Dashboard(bundled, SCENARIO, profiles_dir=tmp_path / "profiles", debounce=0, sensitivity=False)


def engine_top(catalog, state, top=10):
    """The engine's ranking for a dashboard state, computed from scratch (not through the dashboard's cache)."""
    p = decision.build_portfolios(catalog, state.scenario, max_tools=state.max_tools, constraints=state.constraints)
    return decision.Ranker(p).rank(state.weights, state.method, top)


def table_attrs(dash):
    """The ranked table's data attributes, as the browser test reads them."""
    m = re.search(r"<table class='([^']*)' data-top-ids='([^']*)' data-state='([^']*)'", dash.table.value)
    assert m, "ranked table element not found"
    return m.group(1).split(), m.group(2).split("|"), json.loads(html.unescape(m.group(3)))


def first_row_names(dash):
    return html.unescape(re.search(r"<tbody><tr data-ids='[^']*'><td class='num'[^>]*>1</td>"
                                   r"<td class='combo'[^>]*>([^<]*)</td>", dash.table.value).group(1))


def test_moving_a_weight_slider_ranks_the_engines_top_combination_first(dash, bundled):
    before = dash.ranking["tool_ids"].iloc[0]
    dash.sliders["rights_protection"].value = 0.6           # the observer updates at once (no event loop here)
    expected = engine_top(bundled, dash.state)
    assert dash.state.weights["rights_protection"] == 0.6
    assert dash.ranking["tool_ids"].tolist() == expected["tool_ids"].tolist()
    assert dash.ranking["tool_ids"].iloc[0] != before           # this move does change the recommendation
    classes, top_ids, state = table_attrs(dash)
    assert TABLE_CLASS in classes and "stale" not in classes
    assert top_ids == list(expected["tool_ids"].iloc[0])
    assert first_row_names(dash) == expected["tools"].iloc[0]
    assert state["normalised"]["rights_protection"] == pytest.approx(0.6 / 1.35)


def test_normalised_weights_are_shown_next_to_the_sliders(dash):
    dash.set(weights={"rights_protection": 0.5, "security_continuity": 0.3, "legitimacy": 0.2,
                      "escalation_risk": 0.0})
    assert [dash.weight_labels[c].value.split(">")[1].split("<")[0] for c in dash.sliders] == ["50%", "30%", "20%",
                                                                                                "0%"]


def test_method_scenario_and_top_changes_match_the_engine(dash, bundled):
    dash.set(method="wsm", scenario="peripheral_partner", top=5)
    expected = engine_top(bundled, dash.state, top=5)
    assert len(dash.ranking) == 5
    assert dash.ranking["tool_ids"].tolist() == expected["tool_ids"].tolist()
    assert dash.ranking["preference"].tolist() == pytest.approx(expected["preference"].tolist())


def test_preset_sets_the_sliders_to_the_profile_weights(dash, bundled):
    dash.preset.value = "rights-first"
    w = load_profile("rights-first", bundled).weights
    assert dash.state.weights == pytest.approx({c: float(w[c]) for c in bundled.criterion_ids})
    assert dash.ranking["tool_ids"].iloc[0] == engine_top(bundled, dash.state)["tool_ids"].iloc[0]
    dash.sliders["legitimacy"].value = 0.5                     # a manual move leaves the preset
    assert dash.preset.value == "(custom)" and dash.state.preset is None


def test_forced_tools_and_red_lines_rebuild_the_combinations(dash, bundled):
    dash.set(forced_in=["targeted_sanctions"], forced_out=["Démarche"],
             red_lines={"escalation_risk": (None, 6.0), "security_continuity": (5.0, None)})
    st = dash.state
    assert st.forced_in == ("targeted_sanctions",) and st.forced_out == ("demarche",)
    assert ("escalation_risk", None, 6.0) in st.red_lines
    assert all("targeted_sanctions" in ids and "demarche" not in ids for ids in dash.ranking["tool_ids"])
    assert (dash.ranking["escalation_risk"] <= 6.0 + 1e-9).all()
    assert dash.ranking["tool_ids"].tolist() == engine_top(bundled, st)["tool_ids"].tolist()
    assert dash.timings["build_ms"] > 0
    dash.set(forced_in=[], forced_out=[], red_lines={"escalation_risk": (None, 7.0),
                                                     "security_continuity": (4.0, None)})
    assert dash.timings["build_ms"] == 0                        # back to the catalogue's settings: cached


@pytest.mark.parametrize("change, message", [
    (dict(max_tools=8), "above the limit"),
    (dict(weights={"rights_protection": 0, "security_continuity": 0, "legitimacy": 0, "escalation_risk": 0}),
     "all weights are zero"),
    (dict(red_lines={"rights_protection": (9.5, None), "escalation_risk": (None, 1.0)}), "no combination is feasible"),
    (dict(forced_in=["full_security_suspension"]), "excluded by the premise"),
])
def test_failed_update_shows_the_error_in_the_panel_and_keeps_the_settings(dash, bundled, change, message):
    good = dash.ranking.copy()
    assert dash.set(**change) is False
    assert message in dash.error
    assert message in html.unescape(dash.error_panel.value) and dash.error_panel.layout.display is None
    # the analyst's settings are kept exactly as set
    if "max_tools" in change:
        assert dash.max_tools.value == 8
    if "weights" in change:
        assert all(s.value == 0 for s in dash.sliders.values())
    if "red_lines" in change:
        assert dash.red_lines["escalation_risk"].value == (0.0, 1.0)
        assert dash.red_lines["rights_protection"].value == (9.5, 10.0)
    if "forced_in" in change:
        assert dash.forced_in.value == ["Full security suspension"]
    # the last valid table stays, marked stale
    classes, top_ids, _ = table_attrs(dash)
    assert "stale" in classes and top_ids == list(good["tool_ids"].iloc[0])
    assert dash.ranking["tool_ids"].tolist() == good["tool_ids"].tolist()
    # fixing the setting recovers
    dash.set(max_tools=6, weights={c: 0.25 for c in bundled.criterion_ids},
             red_lines={"escalation_risk": (None, 8.5), "rights_protection": (None, None)}, forced_in=[])
    assert dash.error is None and dash.error_panel.layout.display == "none"
    assert "stale" not in table_attrs(dash)[0]


def test_unknown_tool_is_refused_before_any_control_changes(dash):
    before = dash.state
    with pytest.raises(decision.DecisionError, match="unknown tool 'carrier_pigeons'"):
        dash.set(method="wsm", forced_in=["targeted_sanctions", "carrier_pigeons"])
    assert dash.state == before


def test_export_writes_a_profile_that_loads_back(dash, bundled, tmp_path):
    dash.set(weights={"rights_protection": 0.6, "security_continuity": 0.2, "legitimacy": 0.1,
                      "escalation_risk": 0.1}, method="wsm")
    path = dash.export_profile("my-view")
    assert path == tmp_path / "profiles" / "my-view.yaml"
    assert not list(path.parent.glob(".*.tmp"))                 # atomic write left no temporary file
    prof = load_profile("my-view", bundled, directory=tmp_path / "profiles")
    assert prof.weights.to_dict() == pytest.approx(dash.state.normalised, abs=1e-6)
    assert "method wsm" in prof.rationale and "indispensable_host" in prof.rationale
    assert "my-view" in [v for _, v in dash.preset.options] and dash.preset.value == "my-view"
    with pytest.raises(decision.DecisionError, match="already exists"):
        dash.export_profile("my-view")
    dash.export_name.value = "my-view"
    dash.export_button.click()                                  # the button reports instead of raising
    assert "Not saved" in dash.message.value
    dash.export_overwrite.value = True
    dash.export_button.click()
    assert "Saved profile" in dash.message.value


def test_figures_are_updated_in_place(dash, bundled):
    prof, freq = dash.profile_figure, dash.frequency_figure
    traces = prof.data + freq.data
    old_labels = list(prof.data[0].y)
    dash.set(weights={"rights_protection": 0.6})
    assert dash.profile_figure is prof and dash.frequency_figure is freq
    assert all(a is b for a, b in zip(prof.data + freq.data, traces))
    assert list(prof.data[0].y) == figures.combination_labels(dash.ranking, wrap=32) != old_labels
    want = figures.profile_data(dash.ranking, bundled.criteria)
    assert [list(t.x) for t in prof.data] == [d["x"] for d in want]
    assert list(freq.data[0].x) == figures.tool_frequency_data(dash.ranking, bundled.tools)["x"]


def test_stability_panel_describes_the_current_top(dash):
    df = dash.check_stability()
    assert df is not None and df.attrs["top"] == dash.ranking["tools"].iloc[0]
    assert (df["low"] <= df["weight"]).all() and (df["weight"] <= df["high"]).all()
    assert "Stability of the recommendation" in dash.sensitivity_panel.value
    dash.set(method="vikor")
    assert dash.check_stability() is None and "switch the method" in dash.sensitivity_panel.value


def test_rapid_changes_inside_the_kernel_loop_fold_into_one_update(bundled, tmp_path):
    async def drag():
        d = Dashboard(bundled, SCENARIO, profiles_dir=tmp_path, debounce=0.05, sensitivity=False)
        n = d.n_updates
        for v in (0.3, 0.4, 0.5, 0.6):                          # four slider messages in quick succession
            d.sliders["rights_protection"].value = v
        assert d.n_updates == n                                  # nothing computed yet: folded and deferred
        await asyncio.sleep(0.3)
        return d, n

    d, n = asyncio.run(drag())
    assert d.n_updates == n + 1
    assert d.ranking["tool_ids"].iloc[0] == engine_top(bundled, d.state)["tool_ids"].iloc[0]


def test_dashboard_returns_the_layout_with_its_controller(bundled, tmp_path):
    w = dashboard(bundled, SCENARIO, profiles_dir=tmp_path, debounce=0, sensitivity=False)
    assert isinstance(w, widgets.VBox) and "decision-dashboard" in w._dom_classes
    assert isinstance(w.controller, Dashboard) and w.controller.widget is w


def test_unknown_scenario_is_refused_at_once(bundled):
    with pytest.raises(decision.CatalogError, match="unknown scenario"):
        Dashboard(bundled, "atlantis")


def test_a_bug_while_drawing_is_shown_in_the_panel_not_lost(dash, monkeypatch):
    def broken(*args, **kwargs):
        raise ZeroDivisionError("boom")

    monkeypatch.setattr(figures, "profile_data", broken)
    assert dash.set(weights={"legitimacy": 0.5}) is False
    assert "internal error (ZeroDivisionError: boom)" in dash.error
    assert isinstance(dash.last_exception, ZeroDivisionError)
    assert dash.state.weights["legitimacy"] == 0.5


def test_explain_panel_breaks_down_the_chosen_combination(dash, bundled):
    assert dash.explain_current() is None                    # closed panel: nothing computed
    dash.explain_box.selected_index = 0                      # open it
    e = dash.explain_current(position=1)                     # the second row
    row = dash.ranking.iloc[1]
    expected = decision.explain(bundled, row["tool_ids"], SCENARIO)
    assert e["values"].round(9).tolist() == expected["values"].round(9).tolist()
    assert e["values"].tolist() == pytest.approx(dash.ranking.iloc[1][bundled.criterion_ids].tolist())
    panel = html.unescape(dash.explain_panel.value)
    assert row["tools"] in panel
    for name in expected["tools"]["name"].unique():
        assert name in panel
    # after a re-rank the panel follows the combination now at that position
    dash.sliders["rights_protection"].value = 0.6
    assert html.unescape(dash.explain_panel.value).count(dash.ranking.iloc[1]["tools"]) == 1


def test_time_horizon_control_discounts_slow_tools(dash, bundled):
    assert dash.set(horizon=3)
    state = dash.state
    assert state.horizon == 3.0
    expected = decision.Ranker(decision.build_portfolios(bundled, SCENARIO, constraints=state.constraints,
                                                         horizon=3)).rank(state.weights, state.method, 10)
    assert dash.ranking["tool_ids"].tolist() == expected["tool_ids"].tolist()
    assert dash.ranking["rights_protection"].tolist() == pytest.approx(expected["rights_protection"].tolist())
    dash.horizon.value = None                                 # back to no horizon (the observer re-ranks)
    assert dash.state.horizon is None and dash.ranking["tool_ids"].tolist() == engine_top(bundled, dash.state)[
        "tool_ids"].tolist()


def test_bottom_line_opens_the_dashboard_and_states_the_confidence(dash, bundled):
    dash.check_stability()
    children = dash.widget.children                          # title, progress line (hidden once started), ...
    assert children[2] is dash.bottom_line and dash.progress.layout.display == "none"
    assert "decision-settings" in children[3]._dom_classes      # ... before the settings and the results
    text = html.unescape(re.sub(r"<[^>]+>", "", dash.bottom_line.value))
    assert text.startswith(f"Recommend: {dash.options.best.label}")
    assert "How sure:" in text and "It stays the best opening" in text and "the package ranking" in text
    plan, _ = dash.model.plan(dash.state)                       # one answer: option 1 opens the playbook
    assert dash.options.basis == "playbook" and dash.options.best.tools == plan.root.tools


def test_todays_policy_picker_adds_current_and_minimal_change(dash, bundled):
    dash.controls.current.value = ["Démarche", "Interoperability exercises"]
    assert dash.state.current == ("demarche", "interoperability_exercises")
    assert dash.options.current.tools == ("demarche", "interoperability_exercises")
    kinds = re.findall(r"<tr data-kind='(\w+)'", dash.options_panel.value)
    assert kinds[-3:] == ["status_quo", "current", "minimal_change"]


# ------------------------------------------------------------------------------- floor, capacity, playbook (issues 9, 11)

def status_text(dash):
    return html.unescape(re.sub(r"<[^>]+>", "", dash.status.value))


def test_floor_and_capacity_controls_rebuild_as_the_cli_does_and_the_status_says_so(dash, bundled):
    own = decision.build_portfolios(bundled, SCENARIO).setting
    assert dash.floor_on.value and dash.floor_points.value == pytest.approx(own.floor_points)
    assert dash.capacity.value == own.capacity
    assert own.floor_text() in status_text(dash) and f"effort capacity {own.capacity:g} units" in status_text(dash)
    dash.floor_on.value = False                             # the observer updates at once (no event loop here)
    assert dash.floor_points.disabled and dash.state.constraints["floor"] == {"enabled": False}
    p = decision.build_portfolios(bundled, SCENARIO, constraints=dash.state.constraints)
    assert len(dash.view.ranker.portfolios) == len(p) and "Accountability floor off" in status_text(dash)
    assert dash.ranking["tool_ids"].tolist() == engine_top(bundled, dash.state)["tool_ids"].tolist()
    assert dash.set(floor=5.0, capacity=8.0)
    p = decision.build_portfolios(bundled, SCENARIO, constraints=dash.state.constraints)
    assert p.setting.floor_points == 5.0 and p.setting.capacity == 8.0
    assert p.setting.floor_text() in status_text(dash) and "effort capacity 8 units" in status_text(dash)
    assert dash.ranking["tool_ids"].tolist() == engine_top(bundled, dash.state)["tool_ids"].tolist()


def test_a_new_scenario_starts_from_its_own_floor_and_capacity(dash, bundled):
    dash.set(floor=5.0, capacity=8.0)
    dash.scenario.value = "arms_dependent_client"
    own = decision.build_portfolios(bundled, "arms_dependent_client").setting
    assert dash.floor_points.value == pytest.approx(own.floor_points) and dash.capacity.value == own.capacity
    assert dash.state.floor_points is None and dash.state.capacity is None
    assert own.floor_text() in status_text(dash)


def test_ranked_table_shows_doing_nothing_new(dash, bundled):
    sq = dash.options.status_quo
    row = re.search(r"<tr class='status-quo' data-kind='status_quo'>(.*?)</tr>", dash.table.value).group(1)
    assert "Do nothing new" in row
    assert re.search(f"<td class='num'[^>]*>{sq.values[bundled.criteria[0].id]:.2f}</td>", row)


def test_playbook_panel_is_closed_at_first_and_shows_the_engines_plan_when_opened(dash, bundled):
    assert dash.playbook_box.selected_index is None and dash.plan is None and dash.plan_figure is None
    dash.set(weights={"legitimacy": 0.4})                  # closed: a weight change does not solve the playbook
    assert dash.plan is None
    dash.playbook_box.selected_index = 0
    want = decision.make_plan(bundled, SCENARIO, dash.state.normalised)
    assert decision.plan_json(dash.plan) == decision.plan_json(want)
    assert f"data-opening='{'|'.join(want.root.tools)}'" in dash.playbook_panel.value
    from decision.strategy.figures import plan_figure
    assert [list(t.x) for t in dash.plan_figure.data] == [list(t.x) for t in plan_figure(want).data]


def test_playbook_length_controls_re_solve_the_plan(dash, bundled):
    dash.playbook.reviews.value = 2                          # closed: nothing is solved
    assert dash.plan is None
    dash.playbook_box.selected_index = 0
    dash.playbook.months.value = 9
    want = decision.make_plan(bundled, SCENARIO, dash.state.normalised, reviews=2, months=9)
    assert decision.plan_json(dash.plan) == decision.plan_json(want)
    assert (dash.plan.reviews, dash.plan.months) == (2, 9)
    assert sorted(set(dash.plan_figure.data[-1].x)) == [0, 3, 6]          # packages at months 0, 3 and 6
    dash.playbook.reviews.value = 99                         # the widget holds it to the dashboard's maximum
    assert dash.plan.reviews == dash.playbook.reviews.max == 4


def test_tree_stays_in_place_after_the_browser_reports_its_defaults(dash, bundled):
    """The browser answers every drawing with the properties it defaulted (e.g. ``name: "trace 1"`` for a trace
    without a name); reading those back must not make the next weight change rebuild the whole figure (it did:
    half a second of plotly validation in the kernel and a full redraw in the browser per key press)."""
    dash.playbook_box.selected_index = 0
    fig = dash.plan_figure
    deltas = [{"uid": t.uid, "name": f"trace {i}", "visible": True, "showlegend": True}
              for i, t in enumerate(fig.data)]
    fig._handler_js2py_traceDeltas({"new": {"trace_deltas": deltas, "trace_edit_id": fig._last_trace_edit_id}})
    assert [t.name for t in fig.data][1] == "trace 1"             # the browser's default is read back
    traces = fig.data
    dash.set(weights={"legitimacy": 0.9})
    assert all(a is b for a, b in zip(fig.data, traces)), "the tree was rebuilt instead of updated in place"
    assert list(fig.data[-1].hovertext) == plan_trace_data(dash.plan)[-1]["hovertext"]


def test_playbook_is_re_solved_on_each_weight_change_and_the_tree_redrawn_in_place(dash, bundled):
    from decision.strategy.figures import plan_figure
    dash.playbook_box.selected_index = 0
    fig, traces, first = dash.plan_figure, dash.plan_figure.data, dash.plan
    problem = dash.model.problem(dash.state)
    dash.set(weights={"legitimacy": 0.9})
    want = decision.make_plan(bundled, SCENARIO, dash.state.normalised)
    assert decision.plan_json(dash.plan) == decision.plan_json(want)
    assert dash.plan.root.tools != first.root.tools              # this move changes the opening package
    assert dash.model.problem(dash.state) is problem             # the tree was not rebuilt
    assert dash.plan_figure is fig and all(a is b for a, b in zip(fig.data, traces))
    ref = plan_figure(want, wrap=28)                             # no width measured: labels wrapped at 28
    for a, b in zip(fig.data, ref.data):
        for key in ("x", "y", "text", "hovertext"):
            va, vb = getattr(a, key), getattr(b, key)
            assert (None if va is None else list(va) if not isinstance(va, str) else va) == \
                (None if vb is None else list(vb) if not isinstance(vb, str) else vb), (a.name, key)
    assert list(fig.data[-1].marker.color) == list(ref.data[-1].marker.color)
    assert html.escape(" + ".join(want.root.names)) in dash.playbook_panel.value
    # the panel also compares the playbook with simpler courses (additive value only: ranked by wsm)
    courses = compare_courses(problem, dash.plan, methods=("wsm",))
    assert re.findall(r"data-course='([^']*)'", dash.playbook_panel.value) == [c.name for c in courses]
    assert html.escape(verdict(courses)) in dash.playbook_panel.value


def test_precedents_panel_shows_the_three_nearest_episodes_of_the_chosen_scenario(dash, bundled):
    from decision.cases import load_cases
    from decision.precedents import library_factors, nearest
    library = load_cases(catalog=bundled)

    def engine(scenario):
        sc = bundled.scenario(scenario)
        return nearest(library, {f: sc.factors[f] for f in library_factors(library)}, sc.facts, 3, catalog=bundled)

    def shown():
        items = re.findall(r"<li data-episode='([^']*)'>(.*?)<br><small>Sources: (.*?)</small></li>",
                           dash.precedents.panel.value)
        return [(i, html.unescape(line), re.findall(r"href='([^']*)'", links)) for i, line, links in items]

    for scenario in (SCENARIO, "peripheral_partner"):
        dash.set(scenario=scenario)
        want = engine(scenario)
        assert [(p.id, p.line, [s.url for s in p.sources[:2]]) for p in want] == shown()   # two links each
        assert all(f"more in <code>decision cases --show {p.id}</code>" in dash.precedents.panel.value
                   for p in want if len(p.sources) > 2)
        assert len(shown()) == 3 and all(len(links) >= 2 for _, _, links in shown())
    assert engine(SCENARIO)[0].id != engine("peripheral_partner")[0].id     # the scenario does change them


def test_how_sure_panel_shows_the_combined_figure_its_two_shares_and_the_tornado(dash, bundled):
    from decision.sureness import how_sure, score_tornado
    panel = dash.how_sure
    panel.samples = 300                                         # the default 1,000 takes 5-10 s with the tornado
    assert panel.sure is None and panel.figure is None and "decision-how-sure'" not in panel.text.value
    panel.button.click()
    s = dash.state
    p = decision.build_portfolios(bundled, s.scenario, max_tools=s.max_tools, constraints=s.constraints)
    row = dash.options.best.row                                 # option 1's package, as the briefing judges it
    want = how_sure(p, s.weights, s.method, n_samples=300, row=row)
    attrs = dict(re.findall(r"data-(both|scores|weights|stale)='([^']*)'", panel.text.value))
    assert [float(attrs[k]) for k in ("both", "scores", "weights")] == pytest.approx(
        [want.both, want.scores_only, want.weights_only], abs=1e-6)
    assert attrs["stale"] == "false" and want.recommendation == tuple(dash.options.best.tools)
    assert "data-option1='true'" in panel.text.value and "not for option 1" not in panel.text.value
    text = html.unescape(re.sub(r"<[^>]+>", "", panel.text.value))
    assert "How sure, with the scores:" in text and "with only the scores varying" in text
    assert "option 1's opening package" in text
    tornado = score_tornado(p, s.weights, s.method, row=row)
    assert list(panel.figure.data[0].y) == list(figures.tornado_figure(tornado).data[0].y)
    assert tornado["name"].iloc[0] in text                      # the score to check first is named
    # option 1 is not the package ranking's first here (its margin at the point scores is negative): the count is
    # of the scores that would put it first, as in the briefing, not of every score that "overturns" it
    ends = tornado[["margin_low", "margin_high"]].to_numpy()
    n = int((ends.max(1) > 0).sum()) if tornado.attrs["margin"] <= 0 else int(tornado["flips"].sum())
    assert f"Which scores decide it: {n} of {len(tornado)} scores " in text
    # the bottom line's "How sure" now leads with the figure that covers the scores (the opening with its playbook),
    # as the briefing's page 1 does: the same numbers as assess() with as many score draws
    conf = dash.view.confidence
    assert conf.score_draws == 300 and conf.with_scores is not None
    want_conf = dash.model.confidence(dash.view, score_samples=300)
    assert (conf.with_scores, conf.scores_only) == (want_conf.with_scores, want_conf.scores_only)
    line = html.unescape(re.sub(r"<[^>]+>", "", dash.bottom_line.value))
    assert f"in {percent(conf.with_scores)} of 300 draws in which the weights vary" in line
    assert "and every expert score within its range" in line
    dash.check_stability()                  # a check still pending for the same settings keeps the score draws
    assert "every expert score within its range" in html.unescape(dash.bottom_line.value)
    dash.set(weights={"legitimacy": 0.4})                       # any change: the figures are for earlier settings
    assert "data-stale='true'" in panel.text.value and "press it again" in panel.text.value
    dash.check_stability()                                      # the new settings' bottom line: weights only again
    assert "every expert score within its range" not in html.unescape(dash.bottom_line.value)


@given(st.lists(st.text(alphabet="abcdefghij+-", min_size=1, max_size=15), min_size=1, max_size=12),
       st.integers(min_value=1, max_value=40))
def test_wrap_words_breaks_at_spaces_only_and_keeps_lines_short(words, width):
    from decision.display import wrap_words
    text = " ".join(words)
    lines = wrap_words(text, width, "\n").split("\n")
    assert " ".join(lines) == text                                  # nothing cut, dropped or added
    assert all(len(line) <= width or " " not in line for line in lines)   # only a single long word may exceed
    assert all(len(a) + 1 + len(b.split(" ")[0]) > width for a, b in zip(lines, lines[1:]))   # greedy: no early break


def test_narrow_tables_label_every_cell_with_its_column(dash, bundled):
    from decision.dashboard.render import labelled
    assert labelled("<table><thead><tr><th class='num'>Rank</th><th>A &amp; B <small>(x)</small></th></tr></thead>"
                    "<tbody><tr><td class='num'>1</td><td>x</td></tr></tbody></table>") == (
        "<table><thead><tr><th class='num'>Rank</th><th>A &amp; B <small>(x)</small></th></tr></thead><tbody><tr>"
        "<td class='num' data-label='Rank'>1</td><td data-label='A &amp; B (x)'>x</td></tr></tbody></table>")
    for fragment in (dash.table.value, dash.options_panel.value):
        heads = [re.sub(r"<[^>]+>", "", h).strip() for h in re.findall(r"<th\b[^>]*>(.*?)</th>", fragment)]
        for row in re.findall(r"<tbody>(.*?)</tbody>", fragment, re.S)[0].split("</tr>")[:-1]:
            assert [html.unescape(x) for x in re.findall(r"data-label='([^']*)'", row)] == \
                [html.unescape(h) for h in heads]


def test_chart_titles_and_legend_fit_a_narrow_chart(dash):
    from decision.dashboard.charts import fit_titles, legend_rows, titles_of
    fig = dash.profile_figure
    titles = titles_of(fig)
    fit_titles(fig, titles, 262)
    assert legend_rows(fig, 262) == 4                  # four criteria, one per row at 262 px
    assert "<br>" in fig.layout.title.text and fig.layout.margin.t >= 22 * 2 + 21 * 4
    fit_titles(fig, titles, 926)
    assert fig.layout.title.text == titles[0] and legend_rows(fig, 926) == 1 and fig.layout.margin.t == titles[2]


@pytest.mark.parametrize("current", [None, ["demarche", "private_letter"]])
def test_dashboard_and_briefing_show_the_same_options_and_bottom_line(bundled, tmp_path, current):
    from decision.briefing import prepare_briefing
    b = prepare_briefing(SCENARIO, profile="balanced", catalog=bundled, robustness=False, explain_top=0,
                         current=current)
    d = Dashboard(bundled, SCENARIO, preset="balanced", profiles_dir=tmp_path / "p", debounce=0, sensitivity=False)
    if current is not None:
        d.current.value = d.controls.tool_names(current)          # today's policy, typed into the picker
    assert [(r.kind, r.tools) for r in d.options.rows()] == [(r.kind, r.tools) for r in b.options.rows()]
    ours = d.view.bottom_line().sentences()
    assert ours[:2] == list(b.bottom_line[:2])                      # Recommend ... and Do: ... (How sure: draws differ)


def test_a_phone_sized_tree_carries_no_change_labels_and_says_where_they_are(dash, bundled):
    """Below NARROW px a review column is about 80 px: the change labels overlapped the lines and each other, so the
    tree keeps only the opening's label (the list under it, and a tap on a node, say what each review changes); a
    wider tree labels the first review's changes again, in place."""
    from decision.dashboard.playbook import NARROW
    from decision.strategy.figures import plan_trace_data
    dash.playbook_box.selected_index = 0
    dash.playbook.resize(390)
    fig = dash.plan_figure
    assert [t for t in fig.data[-1].text if t] == ["Opening"]
    title = fig.layout.title.text.replace("<br>", " ")
    assert "tap a node for what it changes" in title and "hover" not in title
    assert list(fig.data[-1].hovertext) == plan_trace_data(dash.plan)[-1]["hovertext"]     # packages still there
    dash.playbook.resize(NARROW + 300)
    labelled = [t for t in fig.data[-1].text if t]
    assert len(labelled) > 1 and labelled[0] == "Opening"
    assert "hover a node" in fig.layout.title.text.replace("<br>", " ")
