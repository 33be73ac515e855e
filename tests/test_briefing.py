"""Briefings: content computed from the engine, display strings a reader can use (no raw values, enough precision),
the playbook grid against the tree it summarises, autoescaped templates, and the exported file checked offline."""
from __future__ import annotations

import re
import shutil
from dataclasses import replace
from importlib.resources import files

import numpy as np
import pytest

import decision
import decision.blocks
import decision.strategy.reactions
import decision.strategy.tree
from decision import briefing as B
from decision import briefing_content as C
from decision import briefing_html as H
from decision.advice import advise
from decision.catalog import BUNDLED
from decision.display import percent, separating_decimals
from decision.export import build_briefing, offline
from decision.strategy.compare import compare_courses
from decision.strategy.grid import package_letters, plan_grid

from .browser_support import chromium

PLOTLY_BANNER = "plotly.js v"          # the licence banner at the top of the embedded plotly.js bundle
TIMESTAMP = re.compile(r"<span class=[\"']briefing-timestamp[\"']>[^<]*</span>")
RAW = re.compile(r"\{'|\bTrue\b|\bFalse\b|\bNaN\b|\bnan\b|\bNone\b|\b[a-z]+(?:_[a-z0-9]+)+\b")
"""What a reader must never see: a Python dict, True/False/None, NaN, or a snake_case id."""


def visible_text(html: str) -> str:
    """The text of an HTML fragment as a reader sees it (scripts, styles and tags dropped, entities decoded)."""
    import html as h
    html = re.sub(r"<(script|style)\b.*?</\1>", " ", html, flags=re.S)
    return h.unescape(re.sub(r"<[^>]+>", " ", html))


@pytest.fixture(scope="module")
def default_briefing():
    return B.prepare_briefing(samples=2000)


def test_content_matches_the_engine(bundled):
    b = B.prepare_briefing("arms_dependent_client", profile="rights-first", method="topsis", top=4,
                           robustness=False)
    w = decision.profiles.load_profile("rights-first", bundled).weights
    expected = decision.rank_portfolios(bundled, "arms_dependent_client", w, "topsis", top=4)
    assert b.ranking["tool_ids"].tolist() == expected["tool_ids"].tolist()
    assert len(b.explanations) == 3 and b.by_method["method"].tolist()[0] == "wsm"
    assert "preset: security-first" in b.presets
    weights = C.content(b).section("weights")
    assert "rank-order centroid" in " ".join(weights.texts())
    table = next(x for x in weights.blocks if isinstance(x, decision.blocks.Table))
    assert table.column("Weight")[0] == f"{w.iloc[0]:.3f}" == "0.521"


def test_cover_opens_with_the_recommendation_then_the_options(bundled):
    b = B.prepare_briefing("hedging_partner", profile="security-first", robustness=False,
                           current="private_letter,interoperability_exercises", k=3)
    cover = C.content(b).cover
    assert cover.bottom == advise(b.options, b.confidence, bundled)
    assert cover.bottom.headline == f"Recommend: {b.options.best.label}"
    assert [k for k, _ in cover.bottom.items()] == ["Do", "Why", "How sure", "What would change it"]
    assert cover.bottom.do.startswith("Change today's policy (Private letter and Interoperability exercises)")
    assert cover.handling.startswith("Illustrative data")
    assert cover.table.kinds == ["option"] * 3 + ["status_quo", "current", "minimal_change"]
    assert cover.table.rows[0].tools == tuple(b.plan.root.tools)          # one answer: option 1 opens the playbook
    html = H.cover_html(cover)
    assert re.findall(r"<tr class=\"head\" data-kind=\"(\w+)\"", html) == cover.table.kinds
    # the chart fits its container: no fixed width, one bar group per row of the table
    fig = C.figure(b, "options")
    assert fig.layout.width is None and fig.layout.autosize
    assert list(fig.data[0].x) == [round(r.values[bundled.criteria[0].id], 2) for r in b.options.rows()]


def test_the_dashboard_and_the_briefing_share_the_options_table_and_bottom_line(bundled):
    from decision.dashboard import ViewModel, ViewState, options_html
    b = B.prepare_briefing("arms_dependent_client", robustness=False, current="demarche")
    st = ViewState("arms_dependent_client", b.method, b.portfolios.constraints.max_tools, 5,
                   {k: float(v) for k, v in b.weights.weights.items()}, current=("demarche",))
    view = ViewModel(bundled).view(st)
    table = C.content(b).cover.table
    dash = options_html(view.options, bundled)
    import html as h
    for r in table.rows:                    # every cell of the briefing's table, as the dashboard prints it
        ids = re.escape("|".join(r.tools))
        row = re.search(rf"<tr data-kind='{r.kind}' data-ids='{ids}'.*?</tr>", dash).group(0)
        for cell in (r.name, r.label, r.names, r.preference, r.effort, *r.values):
            assert h.escape(cell) in row
    assert view.bottom_line().headline == C.content(b).cover.bottom.headline


def test_one_how_sure_figure_defined_where_shown(default_briefing):
    b = default_briefing
    c = C.content(b)
    conf = b.confidence
    assert conf.basis == "playbook"                               # the recommendation is the playbook's opening
    assert conf.score_draws == 1_000 and conf.with_scores is not None    # the figure covers the expert scores too
    both, alone, weights = (percent(x) for x in (conf.with_scores, conf.scores_only, conf.first_share))
    assert (f"stays the best opening (of the 30 best, each with its playbook) in {both} of 1,000 draws in which the "
            f"weights vary within \u00b10.1 of these weights and every expert score within its range") \
        in c.cover.bottom.how_sure
    assert f"{alone} with only the scores varying, {weights} of 2,000 weightings with only the weights varying" \
        in c.cover.bottom.how_sure
    rob = " ".join(c.section("robustness").texts())
    assert (f"best openings (each followed by its playbook, held fixed) in {both} of 1,000 draws in which the "
            "weights vary") in rob
    assert f"{alone} with the weights as given, and {weights} of 2,000 weightings with the scores at their" in rob
    assert "the figure on page 1" in rob and rob.count("the figure on page 1") == 1
    shares = conf.tool_shares                          # each tool of the opening, as often as its best opening holds it
    assert shares and all(conf.first_share <= x <= 1 for _, x in shares)
    core = [n for n, x in shares if x >= 0.9]
    loose = [f"{n} in {percent(x)}" for x, n in sorted((x, n) for n, x in shares if x < 0.9)]
    if core and loose and conf.first_share < 0.9:          # page 1 names the core and how often the rest is held
        assert all(n in c.cover.bottom.how_sure for n in core + loose)
    assert "drawn uniformly" not in rob and "uniformly at random" not in rob      # no second, unexplained figure


def test_precedents_section_lists_the_nearest_episodes_with_their_sources(default_briefing):
    """The three episodes `decision cases --scenario indispensable_host` lists first (US-Bahrain, US-Indonesia,
    Germany-Turkey), one line each with every source as an http(s) link, and one line on the episodes that used a
    package like option 1's; placed after what would change the recommendation, before the caveats and appendix."""
    b = default_briefing
    c = C.content(b)
    keys = [s.key for s in c.sections]
    assert keys.index("changes") < keys.index("precedents") == keys.index("caveats") - 1
    sec = c.section("precedents")
    cited = [x for x in sec.blocks if isinstance(x, decision.blocks.Cited)]
    assert len(cited) == 1 and len(cited[0].items) == 3
    lines = [text for text, _ in cited[0].items]
    assert [t.split(":")[0] for t in lines] == ["US\u2013Bahrain 2011-2017", "US\u2013Indonesia 1991-1997",
                                                "Germany\u2013Turkey 2017-2018"]
    assert all(" -> " in t and "after " in t for t in lines)              # what was done, what followed
    for (text, links), p in zip(cited[0].items, b.precedents.nearest):
        assert [k.url for k in links] == [s.link for s in p.episode.sources]
        assert all(k.url.startswith(("https://", "http://")) and k.label for k in links)
    similar = " ".join(x.text for x in sec.blocks if isinstance(x, decision.blocks.Text) and x.label)
    assert "most like option 1's" in similar
    assert all(f"{m.episode.partner} {m.episode.years}" in similar for m in b.precedents.similar.matches)
    html = H.sections_html(c, "precedents")
    n_sources = sum(len(p.episode.sources) for p in b.precedents.nearest)
    assert len(re.findall(r'<a href="https?://[^"]+"', html)) == n_sources


def test_a_source_link_that_is_not_http_is_shown_as_text():
    from decision.blocks import Cited, Link, Section
    c = C.BriefingContent(None, Section("playbook", "P"), (Section("precedents", "Precedents", (Cited(
        (("A line", (Link("Bad", "javascript:alert(1)"), Link("Good", "https://example.org/a?b=1&c=2"))),)),)),),
        (), {}, {})
    html = H.sections_html(c, "precedents")
    assert "javascript:" not in html and ">Bad<" not in html and "Bad" in html
    assert '<a href="https://example.org/a?b=1&amp;c=2"' in html


def test_how_sure_in_detail_adds_the_scores_and_says_how_it_relates_to_page_one(default_briefing):
    b = default_briefing
    rob, best = b.robustness, b.options.best
    assert set(rob.sure.recommendation) == set(best.tools)                # option 1's package, not the ranking's #1
    assert rob.tornado.attrs["recommendation"] == b.portfolios.labels([best.row])[0]
    text = " ".join(C.content(b).section("robustness").texts())
    sure = rob.sure
    assert (f"opening package held for the whole horizon (the playbook's answers to the ally left out) comes first "
            f"in {percent(sure.both)} of {B.SCORE_SAMPLES:,} draws") in text
    assert f"{percent(sure.scores_only)} with only the scores varying" in text
    assert f"{percent(sure.weights_only)} with only the weights varying" in text
    assert f"\u00b1{sure.mc_error:.1%} at 95%" in text and "The page-1 figures judge the opening" in text
    assert text.count("the figure on page 1") == 1
    assert C.figure(b, "tornado") is not None and "tornado" in C.content(b).captions
    off = B.prepare_briefing("hedging_partner", robustness=False)
    assert off.robustness is None and C.figure(off, "tornado") is None


def test_playbook_grid_lists_exactly_the_moves_of_the_tree(bundled):
    for scenario, profile in (("indispensable_host", "balanced"), ("hedging_partner", "rights-first")):
        w = {k: float(v) for k, v in decision.load_profile(profile, bundled).weights.items()}
        plan = decision.make_plan(bundled, scenario, w)
        g = plan_grid(plan)
        letters = package_letters(plan)
        assert letters[plan.root.tools] == "A" and len(set(letters.values())) == len(letters)
        expected = {}                       # brute force: walk the tree, sum path probabilities per move
        stack = [plan.root]
        while stack:
            n = stack.pop()
            for ch in n.children:
                stack.append(ch)
                if ch.tools != n.tools:
                    key = (ch.review, ch.reaction, letters[n.tools], letters[ch.tools])
                    expected[key] = expected.get(key, 0.0) + ch.reach
        got = {(r, k, m.source, m.target): m.probability for (r, _), row in zip(g.reviews, g.cells)
               for k, moves in zip(g.reactions, row) for m in moves}
        assert got.keys() == expected.keys()
        assert all(got[k] == pytest.approx(expected[k]) for k in got)
        table = C.playbook_section(plan).blocks[1]
        keeps = sum(cell == "keep" for row in table.rows for cell in row[1:])
        assert keeps == sum(not moves for row in g.cells for moves in row)


def test_playbook_section_shows_the_engines_plan_and_what_it_buys(bundled):
    b = B.prepare_briefing("hedging_partner", profile="balanced", robustness=False)
    w = decision.profiles.load_profile("balanced", bundled).weights
    p = decision.build_portfolios(bundled, "hedging_partner")
    problem = decision.strategy.tree.strategy_problem(p, decision.strategy.reactions_file.load_reactions(bundled), 3, 12)
    weights = {c: float(v) for c, v in w.items()}
    plan = decision.strategy.playbook.build_plan(problem, problem.solve(weights), weights)
    assert [n.tools for n in b.plan.nodes] == [n.tools for n in plan.nodes]
    section = C.content(b).playbook
    html = H.sections_html(C.content(b), "playbook")
    courses = compare_courses(problem, plan)
    assert re.findall(r'data-course="([^"]*)"', html) == [c.name for c in courses]
    table = next(x for x in section.blocks if getattr(x, "css", "") == "courses")
    assert float(table.rows[0][1]) == pytest.approx(plan.value, abs=5e-4)
    legend = next(x for x in section.blocks if getattr(x, "css", "") == "legend")
    assert legend.pairs[0] == ("A (opening)", " + ".join(plan.root.names))
    # the appendix draws the same tree, folded where nothing changes any more, with the grid's letters
    fig = C.figure(b, "playbook")
    assert [a.text for a in fig.layout.annotations] == [package_letters(plan)[n.tools] for n in plan.nodes]
    assert "hover" not in (fig.layout.title.text or "")


def test_the_playbook_caveat_says_what_each_flag_means(tiny):
    # tiny, worked example (docs/strategy.md): no flag; credibility off: the stalls branch keeps A's threat idle
    # (bluff); a flag is never explained with another flag's words
    model = decision.strategy.reactions_file.load_reactions(tiny)
    hand = {"r": 0.4, "s": 0.2, "l": 0.2, "e": 0.2}
    plan = decision.strategy.playbook.make_plan(tiny, "base", hand, reviews=1, months=6, max_tools=1)
    assert not [x for x in C.playbook_section(plan).blocks if getattr(x, "css", "") == "caveat"]
    bluff = decision.strategy.playbook.make_plan(tiny, "base", hand, reviews=1, months=6, max_tools=1,
                                                 principles=model.principles.switched(off=["credibility"]))
    assert bluff.flags == ["bluff"]
    caveat = [x.text for x in C.playbook_section(bluff).blocks if getattr(x, "css", "") == "caveat"]
    assert caveat == ["Bluff: a threatened step is not carried out on a branch where the ally stalls."]
    def reflag(n):
        return replace(n, flags=tuple("unanswered" if f == "bluff" else f for f in n.flags),
                       children=tuple(reflag(c) for c in n.children))
    unanswered = replace(bluff, root=reflag(bluff.root))
    caveat = [x.text for x in C.playbook_section(unanswered).blocks if getattr(x, "css", "") == "caveat"]
    assert caveat[0].startswith("Unanswered: on some branch the ally stalls and no admissible package presses")
    assert "threatened step" not in caveat[0]


def test_playbook_section_gives_the_reason_when_no_plan_meets_the_principles(monkeypatch):
    def refuse(*_a, **_k):
        raise decision.DecisionError("the security floor removes every package")
    monkeypatch.setattr(B, "strategy_problem", refuse)
    b = B.prepare_briefing("hedging_partner", robustness=False)
    assert b.plan is None and C.figure(b, "playbook") is None
    c = C.content(b)
    assert "the security floor removes every package" in " ".join(c.playbook.texts())
    assert "playbook" not in c.captions


def test_situation_states_the_floor_capacity_and_each_obligation(bundled):
    b = B.prepare_briefing("arms_dependent_client", robustness=False)
    st = b.portfolios.setting
    text = " ".join(C.content(b).section("situation").texts())
    assert st.floor_text() and text.count(st.floor_text().split(" (")[0]) == 1
    assert f"at most {st.capacity:g} units of effort" in text
    obligations = {ob.id: ob for ob in bundled.constraints.obligations}
    assert st.mandatory                                  # the bundled Leahy/ATT triggers fire here
    for tool, obs in st.mandatory.items():
        assert f"Mandatory: {bundled.tool(tool).name}" in text
        for oid in obs:
            assert obligations[oid].name in text and obligations[oid].source in text
    off = B.prepare_briefing("hedging_partner", robustness=False)
    assert "No legal obligation makes a tool mandatory" in " ".join(C.content(off).section("situation").texts())


@pytest.mark.parametrize("kw", [dict(), dict(scenario="hedging_partner", profile="rights-first",
                                               current="private_letter,interoperability_exercises"),
                                dict(scenario="arms_dependent_client", method="topsis", horizon=12)])
def test_no_raw_values_or_ids_anywhere_a_reader_looks(kw):
    b = B.prepare_briefing(samples=500, **kw)
    c = C.content(b)
    bad = [t for t in c.texts() if RAW.search(t)]
    assert bad == []
    html = H.cover_html(c.cover) + H.sections_html(c, *(s.key for s in (c.playbook, *c.sections, *c.appendix)),
                                                   parameters=True)
    assert RAW.findall(visible_text(html)) == []
    # the parameters (with ids) are stored for re-running, not shown
    assert re.search(r'<script type="application/json" id="briefing-parameters">\{"current"', html)


def test_precision_separates_what_it_ranks():
    assert separating_decimals([0.625, 0.610, 0.607, 0.605]) == 3
    assert separating_decimals([0.6243, 0.6238, 0.6232]) == 4          # 3 decimals would print 0.624 twice
    assert separating_decimals([0.620011, 0.620012]) == 6
    assert separating_decimals([0.62, 0.62]) == 3                      # equal values stay equal
    assert separating_decimals([12.5, 3.25]) == 1                      # three significant digits of the largest
    b = B.prepare_briefing("indispensable_host", robustness=False, top=10)
    table = next(x for x in C.content(b).section("ranking").blocks if isinstance(x, decision.blocks.Table))
    shown = table.column("Preference")
    raw = np.round(b.ranking["preference"].to_numpy(), 6)
    for i in range(len(raw)):
        for j in range(i):
            assert (shown[i] == shown[j]) == (raw[i] == raw[j])


def test_templates_escape_catalogue_text(tmp_path):
    folder = tmp_path / "cat"
    shutil.copytree(BUNDLED, folder, ignore=shutil.ignore_patterns("profiles"))
    tools = folder / "tools.csv"
    tools.write_text(tools.read_text().replace("Leader-level engagement", "<script>alert(1)</script>"))
    b = B.prepare_briefing(catalog=str(folder), robustness=False)
    c = C.content(b)
    html = H.cover_html(c.cover) + H.sections_html(c, "ranking", "explanations", "changes", "appendix")
    assert "<script>alert" not in html and "&lt;script&gt;alert(1)&lt;/script&gt;" in html


def test_templates_ship_as_package_data():
    parts = files("decision") / "templates" / "parts"
    for name in ("cover.html.j2", "section.html.j2", "blocks.html.j2", "briefing.css"):
        assert (parts / name).is_file()
    import tomllib
    from pathlib import Path
    data = tomllib.loads((Path(__file__).resolve().parent.parent / "pyproject.toml").read_text())
    assert data["tool"]["setuptools"]["package-data"]["decision.templates.parts"] == ["*.j2", "*.css"]


def test_offline_postprocessing_is_deterministic():
    body = ('<div id="0a1b2c3d-1111-2222-3333-444455556666"></div><script src="https://cdn.example/x.js"></script>'
            'Plotly.newPlot("0a1b2c3d-1111-2222-3333-444455556666")<div id="ffffffff-1111-2222-3333-444455556666">')
    out = offline(body)
    assert out == '<div id="fig-001"></div>Plotly.newPlot("fig-001")<div id="fig-002">'


# ------------------------------------------------------------------------------------------------ exported files

@pytest.fixture(scope="module")
def briefing_file(tmp_path_factory):
    return build_briefing(out=tmp_path_factory.mktemp("brief") / "default.html")


def test_briefing_is_self_contained_and_small(briefing_file):
    html = briefing_file.read_text(encoding="utf-8")
    assert briefing_file.stat().st_size <= 6_000_000
    assert html.count(PLOTLY_BANNER) == 1                       # plotly.js embedded exactly once
    assert not re.search(r"<script[^>]*src=\"https?:", html)    # no CDN scripts
    assert not re.search(r"<link[^>]*href=\"https?:", html)
    for section in ("The options", "Playbook: what to do at each review", "The situation",
                    "What matters, and how much", "Recommended combinations", "How sure, in detail",
                    "What would change the recommendation", "Caveats", "Appendix: the full review tree",
                    "Provenance"):
        assert section in html
    assert decision.CAVEAT in html
    assert decision.load_catalog().digest in html               # provenance stamp
    b = B.prepare_briefing(robustness=False)
    title = re.search(r"<title>([^<]*)</title>", html).group(1)
    assert title == f"Recommend: {b.options.best.label} | Briefing: {b.portfolios.adjusted.scenario.name}"


def test_same_parameters_give_the_same_body(briefing_file, tmp_path):
    again = build_briefing(out=tmp_path / "again.html")
    for f in (briefing_file, again):                    # the timestamp is the only part allowed to differ
        assert len(TIMESTAMP.findall(f.read_text(encoding="utf-8"))) == 1
    a = TIMESTAMP.sub("", briefing_file.read_text(encoding="utf-8"))
    b = TIMESTAMP.sub("", again.read_text(encoding="utf-8"))
    if a != b:
        i = next(k for k, (x, y) in enumerate(zip(a, b)) if x != y) if a[:len(b)] != b[:len(a)] else min(len(a), len(b))
        pytest.fail(f"bodies differ at character {i}: {a[max(0, i - 150):i + 150]!r} vs {b[max(0, i - 150):i + 150]!r}")


@pytest.mark.browser
def test_briefing_opens_offline_without_errors(briefing_file):
    with chromium() as ctx:
        page = ctx.new_page()
        requests, errors = [], []
        page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
        page.on("pageerror", lambda e: errors.append(str(e)))

        def block(route):
            if route.request.url.startswith(("file:", "data:", "blob:")):
                route.continue_()
            else:
                requests.append(route.request.url)
                route.abort()
        ctx.route("**/*", block)
        page.on("requestfailed", lambda r: requests.append(f"failed: {r.url}"))
        page.goto(briefing_file.as_uri())
        page.wait_for_selector(".main-svg", timeout=30_000)
        page.wait_for_timeout(500)
        assert page.locator(".js-plotly-plot").count() == 5    # options, ranking, how sure, the tornado, tree
        assert page.locator(".jp-InputArea, .jp-CodeCell .jp-Editor, .CodeMirror").count() == 0
        assert page.locator(".modebar, .updatemenu-container").count() == 0   # nothing to click in a memo
        assert "import decision" not in page.content()
        assert requests == [] and errors == []


@pytest.mark.browser
def test_script_in_a_tool_name_is_escaped_and_never_runs(tmp_path):
    folder = tmp_path / "cat"
    shutil.copytree(BUNDLED, folder, ignore=shutil.ignore_patterns("profiles"))
    tools = folder / "tools.csv"
    tools.write_text(tools.read_text().replace("Leader-level engagement", "<script>alert(1)</script>"))
    out = build_briefing(catalog=folder, out=tmp_path / "xss.html", samples=200)
    html = out.read_text(encoding="utf-8")
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "<script>alert(1)</script>" not in html
    with chromium() as ctx:
        page = ctx.new_page()
        dialogs = []
        page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
        page.goto(out.as_uri())
        page.wait_for_selector(".main-svg", timeout=30_000)
        page.wait_for_timeout(500)
        assert dialogs == []
        assert "<script>alert(1)</script>" in page.locator("body").inner_text()   # shown as text


def test_pdf_export_without_chromium_is_a_clear_user_error(briefing_file, monkeypatch):
    import decision.pdf as P
    monkeypatch.setattr(P, "CHROMIUM", "/nonexistent/chromium")
    monkeypatch.setattr(P.shutil, "which", lambda _name: None)
    with pytest.raises(decision.DecisionError, match="Chromium"):
        P.html_to_pdf(briefing_file)
