"""Briefings: content computed from the engine, escaped HTML, and the exported file checked offline in Chromium."""
from __future__ import annotations

import re
import shutil

import pytest

import decision
from decision import briefing as B
from decision.catalog import BUNDLED
from decision.export import build_briefing, offline

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
    assert b.by_method["same as recommendation"].iloc[0]
    assert "preset: security-first" in b.presets
    html = B.weights_html(b)
    assert "rank-order centroid" in html and "0.52" in html


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
    for section in ("The situation", "What matters, and how much", "Recommended combinations",
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
        title = page.locator(".gtitle").first
        before = title.text_content()
        page.locator(".updatemenu-header-group").first.click()
        page.locator(".updatemenu-dropdown-button", has_text="preset: security-first").first.click()
        page.wait_for_timeout(300)
        assert title.text_content() != before and "security-first" in title.text_content()
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
