"""The exported briefing in a real headless Chromium, as a reader meets it: on a 1366 x 900 laptop and a 390 x 844
phone (nothing wider than its container, no clipped axis titles or legends, the recommendation first, no raw values
in any visible text), and printed to PDF on A4 and Letter (page numbers on every page, the memo, its options table
and its chart on page 1, no table wider than the page). Screenshots and page images are kept in
tests/artifacts/briefing/ (gitignored) for a person to look at.
"""
from __future__ import annotations

import re
from pathlib import Path

import pytest

from decision import briefing as B
from decision import briefing_content as C
from decision.export import build_briefing
from decision.pdf import MARGIN_MM, PAPERS, html_to_pdf, printable_width_px

from .browser_support import chromium, require_chromium
from .test_briefing import RAW

pytestmark = pytest.mark.browser

ARTIFACTS = Path(__file__).resolve().parent / "artifacts" / "briefing"
VIEWPORTS = {"laptop": (1366, 900), "phone": (390, 844)}

OVERFLOW = """() => {
  const out = [];
  const de = document.documentElement;
  if (de.scrollWidth > de.clientWidth) out.push(`page ${de.scrollWidth} > ${de.clientWidth}`);
  for (const el of document.querySelectorAll('.table-wrap, .js-plotly-plot')) {
    const box = el.getBoundingClientRect();
    if (el.scrollWidth > el.clientWidth + 1) out.push(`${el.className} scrolls ${el.scrollWidth} > ${el.clientWidth}`);
    const parent = el.parentElement.getBoundingClientRect();
    if (box.right > parent.right + 1 || box.left < parent.left - 1)
      out.push(`${el.className} ${box.left}-${box.right} outside ${parent.left}-${parent.right}`);
  }
  return out;
}"""

CLIPPED = """() => {
  // every text of every chart (axis titles, tick labels, legend entries) lies inside its SVG
  const out = [];
  for (const plot of document.querySelectorAll('.js-plotly-plot')) {
    const svg = plot.querySelector('.main-svg').getBoundingClientRect();
    for (const t of plot.querySelectorAll('.xtitle, .ytitle, .legendtext, .xtick text, .ytick text, .annotation-text')) {
      const b = t.getBoundingClientRect();
      if (b.width === 0) continue;
      if (b.left < svg.left - 1 || b.right > svg.right + 1 || b.top < svg.top - 1 || b.bottom > svg.bottom + 1)
        out.push(`${t.textContent} ${Math.round(b.left)}-${Math.round(b.right)} outside ${Math.round(svg.left)}-${Math.round(svg.right)}`);
    }
  }
  return out;
}"""

OVERLAPS = """() => {
  // the tree's package letters (annotations) never overlap one another
  const boxes = [...document.querySelectorAll('.annotation')].map(a => a.getBoundingClientRect()).filter(b => b.width);
  const out = [];
  boxes.forEach((a, i) => boxes.slice(i + 1).forEach(b => {
    if (a.left < b.right - 0.5 && b.left < a.right - 0.5 && a.top < b.bottom - 0.5 && b.top < a.bottom - 0.5)
      out.push([a.left, a.top, b.left, b.top]);
  }));
  return [boxes.length, out];
}"""

FIRST_TEXT = """() => {
  for (const el of document.querySelectorAll('h1, h2, h3, p, dd, li, td')) {
    const s = getComputedStyle(el), b = el.getBoundingClientRect();
    if (b.height > 0 && s.visibility !== 'hidden' && el.innerText.trim()) return el.innerText.trim();
  }
  return '';
}"""

VISIBLE_TEXT = """() => {
  const parts = [document.body.innerText];
  for (const t of document.querySelectorAll('svg text')) if (t.getBoundingClientRect().width > 0) parts.push(t.textContent);
  return parts.join('\\n');
}"""


@pytest.fixture(scope="module")
def briefings(tmp_path_factory):
    """The default briefing and one with today's policy (two more table rows, a longer "Do")."""
    require_chromium()
    folder = tmp_path_factory.mktemp("briefings")
    return {"default": build_briefing(out=folder / "default.html"),
            "current": build_briefing(scenario="hedging_partner", current="private_letter,interoperability_exercises",
                                      out=folder / "current.html", samples=2000)}


def open_page(ctx, path: Path, size):
    page = ctx.new_page()
    page.set_viewport_size({"width": size[0], "height": size[1]})
    page.goto(path.as_uri())
    page.wait_for_function("() => [...document.querySelectorAll('.plotly-graph-div')].length > 0 && "
                           "[...document.querySelectorAll('.plotly-graph-div')].every(d => d.querySelector('.main-svg'))",
                           timeout=30_000)
    page.wait_for_timeout(400)
    return page


@pytest.mark.parametrize("name", ["default", "current"])
@pytest.mark.parametrize("device", list(VIEWPORTS))
def test_briefing_fits_the_screen_and_opens_with_the_recommendation(briefings, name, device):
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    with chromium(VIEWPORTS[device]) as ctx:
        page = open_page(ctx, briefings[name], VIEWPORTS[device])
        page.screenshot(path=str(ARTIFACTS / f"{name}-{device}-top.png"))
        page.screenshot(path=str(ARTIFACTS / f"{name}-{device}-full.png"), full_page=True)
        assert page.evaluate(OVERFLOW) == []
        assert page.evaluate(CLIPPED) == []
        n_letters, overlaps = page.evaluate(OVERLAPS)
        assert n_letters > 10 and overlaps == []
        first = page.evaluate(FIRST_TEXT)
        assert first.startswith("Recommend: "), first
        assert page.title().startswith(first)
        # the labelled memo follows the headline, with today's policy named when given
        memo = page.locator("dl.bottom-line").inner_text()
        for label in ("Do", "Why", "How sure", "What would change it"):
            assert label in memo
        if name == "current":
            assert "today's policy (Private letter and Interoperability exercises)" in memo
        text = page.evaluate(VISIBLE_TEXT)
        assert RAW.findall(text) == [], RAW.findall(text)[:10]
        assert "hover" not in text.lower()
        # the text column stays readable: no paragraph wider than 52 em (about 75-90 characters a line)
        widest = page.evaluate("() => Math.max(...[...document.querySelectorAll('.briefing p')].map("
                               "p => p.getBoundingClientRect().width / parseFloat(getComputedStyle(p).fontSize)))")
        assert widest <= 52


PRECEDENTS = """() => {
  const sec = document.querySelector('section.section-precedents');
  if (!sec) return null;
  const items = [...sec.querySelectorAll('ul.cited > li')];
  return {lines: items.map(li => li.innerText.split('\\n')[0]),
          links: items.map(li => [...li.querySelectorAll('a')].map(a => [a.getAttribute('href'), a.innerText,
                                                                        a.getBoundingClientRect().width]))};
}"""

TORNADO = """() => {
  // the tornado is the figure whose bars are named by the ends of a score's range
  for (const plot of document.querySelectorAll('.js-plotly-plot')) {
    const names = (plot.data || []).map(t => t.name);
    if (!names.includes('score at its low end')) continue;
    plot.scrollIntoView({block: 'center'});
    const box = plot.getBoundingClientRect(), parent = plot.parentElement.getBoundingClientRect();
    return {bars: plot.querySelectorAll('.bars .point').length, width: box.width, parent: parent.width,
            right: box.right, parentRight: parent.right, ticks: plot.querySelectorAll('.ytick text').length};
  }
  return null;
}"""


@pytest.mark.parametrize("device", list(VIEWPORTS))
def test_precedents_and_the_tornado_in_chromium(briefings, device):
    """The Precedents section: one line per case (the three nearest), each with its sources as http(s) links a reader
    can see; the tornado chart drawn (a bar per end per score) and no wider than its container."""
    b = B.prepare_briefing(robustness=False)
    with chromium(VIEWPORTS[device]) as ctx:
        page = open_page(ctx, briefings["default"], VIEWPORTS[device])
        sec = page.locator("section.section-precedents")
        sec.scroll_into_view_if_needed()
        sec.screenshot(path=str(ARTIFACTS / f"precedents-{device}.png"))
        got = page.evaluate(PRECEDENTS)
        assert got is not None and len(got["lines"]) == len(b.precedents.nearest) == 3
        for line, p in zip(got["lines"], b.precedents.nearest):
            assert line.startswith(p.line.split(":")[0]) and " -> " in line
        for links, p in zip(got["links"], b.precedents.nearest):
            assert [h for h, _, _ in links] == [s.link for s in p.episode.sources]
            assert all(re.match(r"https?://", h) and text.strip() and width > 0 for h, text, width in links)
        tor = page.evaluate(TORNADO)
        assert tor is not None and tor["bars"] >= 2 * C.TORNADO_ROWS and tor["ticks"] == C.TORNADO_ROWS
        assert tor["width"] <= tor["parent"] + 1 and tor["right"] <= tor["parentRight"] + 1
        page.wait_for_timeout(200)
        page.screenshot(path=str(ARTIFACTS / f"tornado-{device}.png"))


def pdf_text(path: Path) -> list[str]:
    from pypdf import PdfReader
    return [p.extract_text() or "" for p in PdfReader(str(path)).pages]


def text_beyond_right_margin(path: Path) -> list[str]:
    """Text runs that start right of the printable area (a table or chart cut at the page's edge)."""
    from pypdf import PdfReader
    out = []
    for i, page in enumerate(PdfReader(str(path)).pages):
        limit = float(page.mediabox.width) - MARGIN_MM / 25.4 * 72 + 2

        def visit(text, cm, tm, _font, _size, i=i, limit=limit):
            x = cm[0] * tm[4] + cm[2] * tm[5] + cm[4]
            if text.strip() and x > limit:
                out.append(f"page {i + 1}: {text!r} at x={x:.0f} > {limit:.0f}")
        page.extract_text(visitor_text=visit)
    return out


@pytest.mark.parametrize("name", ["default", "current"])
@pytest.mark.parametrize("paper", ["a4", "letter"])
def test_pdf_has_page_numbers_and_the_memo_with_its_chart_on_page_one(briefings, tmp_path, name, paper):
    pdf = html_to_pdf(briefings[name], tmp_path / f"{name}-{paper}.pdf", paper=paper)
    data = pdf.read_bytes()
    assert data.startswith(b"%PDF-") and data.rstrip().endswith(b"%%EOF")
    pages = pdf_text(pdf)
    assert 3 <= len(pages) <= 16
    for i, text in enumerate(pages):
        assert f"Page {i + 1} of {len(pages)}" in text, f"page {i + 1} has no page number"
        assert "Recommend: " in text.splitlines()[0] or "Recommend: " in text     # the header: document title
    first = " ".join(pages[0].split())
    b = B.prepare_briefing(robustness=False) if name == "default" else None
    for part in ("Recommend: ", "Do", "Why", "How sure", "What would change it", "Option 1", "Do nothing new",
                 "Illustrative data"):
        assert part in first, part
    if b is not None:
        assert f"Recommend: {b.options.best.label}" in first
    assert "Escalation" in first and "Legitimacy" in first
    assert re.search(r"\b0 2 4 6 8 10\b", first)               # the options chart's axis: the whole chart
    assert "Playbook: what to do at each review" in " ".join(pages[1].split())   # the detail starts on page 2
    assert text_beyond_right_margin(pdf) == []
    box = re.search(rb"/MediaBox \[0 0 ([\d.]+) ([\d.]+)\]", data)
    assert float(box.group(1)) == pytest.approx(PAPERS[paper][1] / 25.4 * 72, abs=1)
    if paper == "a4":                                            # page images for a person to look at
        import shutil
        import subprocess
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        for old in ARTIFACTS.glob(f"{name}-{paper}-*.png"):
            old.unlink()
        shutil.copy(pdf, ARTIFACTS / pdf.name)
        if shutil.which("pdftoppm"):
            subprocess.run(["pdftoppm", "-r", "60", "-png", str(pdf), str(ARTIFACTS / f"{name}-{paper}")],
                           check=False, timeout=120)


def test_printed_tables_fit_the_page(briefings):
    """Under print media at the printable width every table fits its page (no sideways cut)."""
    with chromium((printable_width_px("a4"), 1000)) as ctx:
        page = open_page(ctx, briefings["current"], (printable_width_px("a4"), 1000))
        page.emulate_media(media="print")
        page.evaluate("() => Promise.all([...document.querySelectorAll('.js-plotly-plot')].map("
                      "d => window.Plotly.Plots.resize(d)))")
        width = printable_width_px("a4")
        wide = page.evaluate("(w) => [...document.querySelectorAll('table, .js-plotly-plot')].filter("
                             "t => t.getBoundingClientRect().right > w + 1).map(t => t.className)", width)
        assert wide == []
        assert page.locator(".modebar-container:visible, .updatemenu-container:visible").count() == 0
