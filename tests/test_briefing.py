"""Briefings: content computed from the engine, escaped HTML, and the exported file checked offline in Chromium."""
from __future__ import annotations

import re
import shutil

import pytest

import decision
import decision.strategy.figures
import decision.strategy.reactions
import decision.strategy.tree
from decision import briefing as B
from decision.advice import bottom_line
from decision.catalog import BUNDLED
from decision.export import build_briefing, offline
from decision.pdf import html_to_pdf
from decision.strategy.compare import compare_courses

from .browser_support import chromium

PLOTLY_BANNER = "plotly.js v"          # the licence banner at the top of the embedded plotly.js bundle
TIMESTAMP = re.compile(r"<span class=[\"']briefing-timestamp[\"']>[^<]*</span>")


def test_content_matches_the_engine(bundled):
    b = B.prepare_briefing("arms_dependent_client", profile="rights-first", method="topsis", top=4,
                           robustness=False)
    w = decision.profiles.load_profile("rights-first", bundled).weights
    expected = decision.rank_portfolios(bundled, "arms_dependent_client", w, "topsis", top=4)
    assert b.ranking["tool_ids"].tolist() == expected["tool_ids"].tolist()
    assert len(b.explanations) == 3 and b.by_method["method"].tolist()[0] == "wsm"
    same = dict(zip(b.by_method["method"], b.by_method["same as recommendation"]))
    wsm_first = decision.rank_portfolios(bundled, "arms_dependent_client", w, "wsm", top=1)["tool_ids"].iloc[0]
    assert same["topsis"] and same["wsm"] == (tuple(wsm_first) == tuple(expected["tool_ids"].iloc[0]))
    assert "preset: security-first" in b.presets
    html = B.weights_html(b)
    assert "rank-order centroid" in html and "0.52" in html


def test_first_page_opens_with_the_bottom_line_then_the_options(bundled):
    b = B.prepare_briefing("hedging_partner", profile="security-first", robustness=False,
                           current="private_letter,interoperability_exercises", k=3)
    assert b.bottom_line == tuple(bottom_line(b.options, b.confidence, bundled))
    head = B.header_html(b)
    first_p = re.search(r"<p[^>]*>(.*?)</p>", head.split("</style>", 1)[1], re.S).group(1)
    assert first_p.startswith("Recommended course of action: ") and "How sure:" in first_p
    assert b.options.best.label in first_p
    table = B.options_html(b)
    kinds = re.findall(r"<tr class='head' data-kind='(\w+)'", table)
    assert kinds == ["option"] * len(b.options.options) + ["status_quo", "current", "minimal_change"]
    assert len(b.options.options) == 3
    assert b.options.best.tools == tuple(b.ranking["tool_ids"].iloc[0])
    fig = B.options_figure(b)
    assert len(fig.data) == len(bundled.criteria) and fig.layout.width <= 680
    assert list(fig.data[0].x) == [round(o.values[bundled.criteria[0].id], 2)
                                   for o in (*b.options.options, b.options.status_quo)]


def test_playbook_section_shows_the_engines_plan(bundled):
    b = B.prepare_briefing("hedging_partner", profile="balanced", robustness=False)
    w = decision.profiles.load_profile("balanced", bundled).weights
    p = decision.build_portfolios(bundled, "hedging_partner")
    problem = decision.strategy.tree.strategy_problem(p, decision.strategy.reactions.load_reactions(bundled), 3, 12)
    weights = {c: float(v) for c, v in w.items()}
    plan = decision.strategy.playbook.build_plan(problem, problem.solve(weights), weights)
    assert b.plan is not None and b.plan_error == ""
    assert b.plan.root.tools == plan.root.tools
    assert [n.tools for n in b.plan.nodes] == [n.tools for n in plan.nodes]
    section = B.playbook_html(b)
    assert "<h2>Playbook</h2>" in section and decision.strategy.playbook.plan_html(plan) in section
    assert section.count("<li>") == len(plan.nodes) == 40
    fig = B.playbook_figure(b)
    nodes = decision.strategy.figures.plan_figure_data(plan)["nodes"]
    assert list(fig.data[-1].x) == [n["x"] for n in nodes]
    # what the playbook buys: the engine's comparison, one row per course, the playbook's value first
    courses = compare_courses(problem, plan)
    assert [c.name for c in b.plan_courses] == [c.name for c in courses]
    assert "<h3>What the playbook buys</h3>" in section
    assert re.findall(r"data-course='([^']*)'", section) == [c.name for c in courses]
    first = re.search(r"data-course='Playbook'><td[^>]*>Playbook</td><td class='num'>([0-9.]+)</td>", section)
    assert float(first.group(1)) == pytest.approx(plan.value, abs=5e-4)


def test_playbook_section_gives_the_reason_when_no_plan_meets_the_principles(bundled, monkeypatch):
    def refuse(*_a, **_k):
        raise decision.DecisionError("the security floor removes every package")
    monkeypatch.setattr(B, "strategy_problem", refuse)
    b = B.prepare_briefing("hedging_partner", robustness=False)
    assert b.plan is None and B.playbook_figure(b) is None
    section = B.playbook_html(b)
    assert "Playbook" in section and "the security floor removes every package" in section
    assert "<ul class=\"playbook\">" not in section


def test_situation_states_the_floor_capacity_and_each_obligation(bundled):
    b = B.prepare_briefing("arms_dependent_client", robustness=False)
    st = b.portfolios.setting
    html = B.scenario_html(b)
    assert st.floor_text() and html.count(st.floor_text().split(" (")[0]) == 1
    assert f"at most {st.capacity:g} units of effort" in html
    assert f"costs {bundled.model.effort_cost:g} of preference" in html
    obligations = {ob.id: ob for ob in bundled.constraints.obligations}
    assert st.mandatory                                  # the bundled Leahy/ATT triggers fire here
    for tool, obs in st.mandatory.items():
        assert f"data-tool='{tool}'" in html
        for oid in obs:
            assert B.E(obligations[oid].name) in html and B.E(obligations[oid].source) in html
    off = B.prepare_briefing("hedging_partner", robustness=False)
    assert "No legal obligation makes a tool mandatory" in B.scenario_html(off)


def test_html_pieces_escape_catalogue_text(tmp_path):
    folder = tmp_path / "cat"
    shutil.copytree(BUNDLED, folder, ignore=shutil.ignore_patterns("profiles"))
    tools = folder / "tools.csv"
    tools.write_text(tools.read_text().replace("Leader-level engagement", "<script>alert(1)</script>"))
    b = B.prepare_briefing(catalog=str(folder), robustness=False)
    pieces = B.ranking_html(b) + B.explanation_html(b, 0) + B.changes_html(b)
    assert "<script>alert" not in pieces and "&lt;script&gt;alert(1)&lt;/script&gt;" in pieces


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
    for section in ("The options", "Playbook", "The situation", "What matters, and how much", "Recommended combinations",
                    "How robust is this?", "What would change the recommendation", "Caveats", "Provenance"):
        assert section in html
    assert decision.CAVEAT in html
    assert decision.load_catalog().digest in html               # provenance stamp


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
        assert page.locator(".js-plotly-plot").count() >= 2
        assert page.locator(".main-svg").count() >= 2
        assert page.locator(".jp-InputArea, .jp-CodeCell .jp-Editor, .CodeMirror").count() == 0
        assert "import decision" not in page.content()
        # kernel-free interactivity: the dropdown switches the ranking chart to a bundled preset
        title = page.locator(".js-plotly-plot:has(.updatemenu-header-group) .gtitle").first
        before = title.text_content()
        page.locator(".updatemenu-header-group").first.click()
        page.locator(".updatemenu-dropdown-button", has_text="preset: security-first").first.click()
        page.wait_for_timeout(300)
        assert title.text_content() != before and "security-first" in title.text_content()
        assert requests == [] and errors == []


@pytest.mark.browser
def test_playbook_section_renders_offline_after_the_options(briefing_file):
    b = B.prepare_briefing()                                   # the briefing_file's defaults
    with chromium() as ctx:
        page = ctx.new_page()
        ctx.route("**/*", lambda r: r.continue_() if r.request.url.startswith(("file:", "data:", "blob:"))
                  else r.abort())
        page.goto(briefing_file.as_uri())
        page.wait_for_selector(".main-svg", timeout=30_000)
        section = page.locator(".playbook-section")
        assert section.count() == 1 and section.locator("h2").inner_text() == "Playbook"
        opening = section.locator("ul.playbook > li").first.inner_text()
        assert opening.startswith("Opening (month 0): " + " + ".join(b.plan.root.names))
        assert section.locator("ul.playbook li").count() == len(b.plan.nodes)
        # the tree figure is drawn (an SVG with one marker per decision node), after the options, before the situation
        tree = page.locator(".js-plotly-plot:has(.legendtext:text-is('retaliates'))")
        assert tree.count() == 1
        assert tree.locator(".scatterlayer .trace").last.locator("path.point").count() == len(b.plan.nodes)
        html = page.content()
        assert html.index("The options") < html.index(">Playbook<") < html.index("The situation")


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


@pytest.mark.browser
def test_first_visible_paragraph_states_the_recommendation_and_confidence(briefing_file):
    with chromium() as ctx:
        page = ctx.new_page()
        page.goto(briefing_file.as_uri())
        page.wait_for_selector(".main-svg", timeout=30_000)
        first = page.locator("p:visible").first.inner_text()
        assert first.startswith("Recommended course of action: ")
        assert "How sure:" in first and "ranking methods rank it first" in first
        # the options table comes before the scenario's factor table
        html = page.content()
        assert html.index("The options") < html.index("The situation")


def pdf_pages(data: bytes) -> list[bytes]:
    """Decompressed content stream of every page of a (Chromium/Skia) PDF, in object order."""
    import zlib
    objs = {int(m.group(1)): m.group(2) for m in re.finditer(rb"(\d+) 0 obj(.*?)endobj", data, re.S)}
    out = []
    for body in objs.values():
        if re.search(rb"/Type\s*/Page\b(?!s)", body):
            ref = int(re.search(rb"/Contents\s+(\d+) 0 R", body).group(1))
            body_ref = objs[ref]
            start = re.search(rb"stream\r?\n", body_ref).end()
            length = re.search(rb"/Length\s+(\d+)(?!\s+0\s+R)", body_ref)
            stream = body_ref[start:start + int(length.group(1))] if length else body_ref[start:]
            out.append(zlib.decompressobj().decompress(stream) if b"FlateDecode" in body_ref else stream)
    return out


@pytest.mark.browser
@pytest.mark.parametrize("paper, width_pt", [("a4", 595.92), ("letter", 612.0)])
def test_pdf_export_is_valid_and_has_no_blank_page(briefing_file, tmp_path, paper, width_pt):
    from .browser_support import require_chromium
    require_chromium()
    pdf = html_to_pdf(briefing_file, tmp_path / f"brief-{paper}.pdf", paper=paper)
    data = pdf.read_bytes()
    assert data.startswith(b"%PDF-") and data.rstrip().endswith(b"%%EOF")
    pages = pdf_pages(data)
    assert 2 <= len(pages) <= 30
    assert all(re.search(rb"T[Jj]\b", p) for p in pages), "a page without any text"
    box = re.search(rb"/MediaBox \[0 0 ([\d.]+) ([\d.]+)\]", data)
    assert float(box.group(1)) == pytest.approx(width_pt, abs=1)
    # the first page carries the bottom line, the options table and the options chart (drawn as vector paths)
    first = pages[0]
    assert len(first) > 5000 and first.count(b" re") + first.count(b" l\n") > 20


def test_pdf_export_without_chromium_is_a_clear_user_error(briefing_file, monkeypatch):
    import decision.pdf as P
    monkeypatch.setattr(P, "CHROMIUM", "/nonexistent/chromium")
    monkeypatch.setattr(P.shutil, "which", lambda _name: None)
    with pytest.raises(decision.DecisionError, match="Chromium"):
        html_to_pdf(briefing_file)
