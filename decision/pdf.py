"""Print an offline HTML briefing to PDF through headless Chromium (Playwright). Optional: needs the ``playwright``
Python package and a Chromium binary (Debian: ``apt-get install chromium``; elsewhere set ``DECISION_CHROMIUM``).

Recipe (docs/options.md, reference brief section 6): the viewport is set to the paper's printable width so plotly's
figures are laid out at print size and nothing is cut; every plot is awaited and resized; print CSS keeps tables and
figures whole (``break-inside: avoid``) and puts the detail after the first page.
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
PAPERS = {"a4": ("A4", 210.0), "letter": ("Letter", 215.9)}
MM_TO_PX = 96 / 25.4


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
                page.evaluate("() => Promise.all([...document.querySelectorAll('.js-plotly-plot')]"
                              ".map(d => window.Plotly ? window.Plotly.Plots.resize(d) : null))")
                page.emulate_media(media="print")
                tmp = out.with_name(out.name + ".part")
                tmp.parent.mkdir(parents=True, exist_ok=True)
                page.pdf(path=str(tmp), format=PAPERS[paper][0], print_background=True, prefer_css_page_size=False,
                         margin={k: f"{MARGIN_MM}mm" for k in ("top", "bottom", "left", "right")})
                os.replace(tmp, out)
            finally:
                ctx.close()
    finally:
        shutil.rmtree(profile, ignore_errors=True)
    return out
