"""Print an offline HTML briefing to PDF through headless Chromium (Playwright). Optional: needs the ``playwright``
Python package and a Chromium binary (Debian: ``apt-get install chromium``; elsewhere set ``DECISION_CHROMIUM``).

Recipe (docs/options.md, reference brief section 6): the viewport is set to the paper's printable width and the
print media is emulated before every plot is resized, so plotly's responsive figures are laid out at print size and
nothing is cut; print CSS keeps tables and figures whole (``break-inside: avoid``), hides interactive controls and
starts the playbook on page 2 (the memo, its options table and chart fill page 1). Every page carries a header (the
document's title and the handling line) and a footer ("Page n of N") from Chromium's header and footer templates.
"""
from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path

from .errors import DecisionError

CHROMIUM = os.environ.get("DECISION_CHROMIUM", "/usr/bin/chromium")
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync"]
MARGIN_MM = 15
MARGINS = {"top": "18mm", "bottom": "16mm", "left": f"{MARGIN_MM}mm", "right": f"{MARGIN_MM}mm"}
"""Page margins; top and bottom leave room for the header and the footer."""
PAPERS = {"a4": ("A4", 210.0), "letter": ("Letter", 215.9)}
MM_TO_PX = 96 / 25.4
_SMALL = ("font-family: system-ui, sans-serif; font-size: 7.5px; color: #555; width: 100%; margin: 0 15mm; "
          "display: flex; justify-content: space-between")
HEADER = (f"<div style='{_SMALL}'><span class='title'></span>"
          "<span>Illustrative data: expert judgments, not measurements</span></div>")
FOOTER = (f"<div style='{_SMALL}'><span>decision briefing</span>"
          "<span>Page <span class='pageNumber'></span> of <span class='totalPages'></span></span></div>")


def printable_width_px(paper: str = "a4") -> int:
    """CSS pixels between the margins of ``paper``."""
    return int((PAPERS[paper][1] - 2 * MARGIN_MM) * MM_TO_PX)


def chromium_path() -> str:
    path = CHROMIUM if os.path.exists(CHROMIUM) else shutil.which(CHROMIUM) or shutil.which("chromium")
    if not path:
        raise DecisionError(f"PDF export needs Chromium (not found at {CHROMIUM}): install it (Debian: apt-get install "
                            "chromium) or set DECISION_CHROMIUM to its path")
    return path


def require_pdf() -> str:
    """Chromium's path, or a DecisionError saying what to install (checked before any work is done)."""
    try:
        import playwright.sync_api  # noqa: F401, PLC0415
    except ImportError:
        raise DecisionError("PDF export needs the optional 'playwright' package: pip install playwright "
                            "(and a Chromium, see decision brief --help)") from None
    return chromium_path()


def html_to_pdf(html_path: str | Path, pdf_path: str | Path | None = None, paper: str = "a4",
                timeout_ms: int = 60_000) -> Path:
    """Print ``html_path`` to ``pdf_path`` (default: same name, ``.pdf``) on A4 or Letter; returns the PDF path."""
    paper = paper.lower()
    if paper not in PAPERS:
        raise DecisionError(f"unknown paper '{paper}'; choose one of {', '.join(PAPERS)}")
    exe = require_pdf()
    from playwright.sync_api import sync_playwright  # noqa: PLC0415
    src = Path(html_path).resolve()
    if not src.is_file():
        raise DecisionError(f"no such briefing: {src}")
    out = Path(pdf_path) if pdf_path else src.with_suffix(".pdf")
    profile = tempfile.mkdtemp(prefix="decision-pdf-")
    width = printable_width_px(paper)
    try:
        with sync_playwright() as pw:
            ctx = pw.chromium.launch_persistent_context(profile, executable_path=exe, headless=True, args=ARGS,
                                                        viewport={"width": width, "height": 1000})
            try:
                page = ctx.new_page()
                page.route("**/*", lambda r: r.continue_() if r.request.url.startswith(("file:", "data:"))
                           else r.abort())
                page.goto(src.as_uri(), wait_until="load", timeout=timeout_ms)
                page.wait_for_function("() => [...document.querySelectorAll('.plotly-graph-div')]"
                                       ".every(d => d.querySelector('.main-svg'))", timeout=timeout_ms)
                page.emulate_media(media="print")            # print CSS first: the figures take the page's width
                page.evaluate("() => Promise.all([...document.querySelectorAll('.js-plotly-plot')]"
                              ".map(d => window.Plotly ? window.Plotly.Plots.resize(d) : null))")
                page.wait_for_timeout(300)          # plotly widens a margin for a legend in a second, later redraw
                tmp = out.with_name(out.name + ".part")
                tmp.parent.mkdir(parents=True, exist_ok=True)
                page.pdf(path=str(tmp), format=PAPERS[paper][0], print_background=True, prefer_css_page_size=False,
                         margin=MARGINS, display_header_footer=True, header_template=HEADER,
                         footer_template=FOOTER)
                os.replace(tmp, out)
            finally:
                ctx.close()
    finally:
        shutil.rmtree(profile, ignore_errors=True)
    return out
