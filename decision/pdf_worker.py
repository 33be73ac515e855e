"""Print one HTML file to PDF with Playwright and headless Chromium; the PDF's bytes go to stdout.

Run only by :func:`decision.pdf.print_pdf`, as a script in a child process of its own session
(``python -P pdf_worker.py SETTINGS_JSON``): a Ctrl-C at the terminal then reaches the parent alone, which stops this
process, Playwright's driver and Chromium itself, and Playwright's own tracebacks never reach the user. It imports
nothing from ``decision`` (so it starts in well under a second) and writes no file: the parent writes the bytes
through the safe writer (:func:`decision.files.atomic_write_bytes`).

The recipe (docs/options.md, :mod:`decision.pdf`): the viewport is set to the paper's printable width and the print
media emulated before every plot is resized, so plotly lays its figures out at print size; print CSS keeps tables and
figures whole; every page gets the header and footer templates.
"""
from __future__ import annotations

import json
import sys
from pathlib import Path


def render(s: dict) -> bytes:
    """The PDF of ``s['html']`` (settings: html, profile, chromium, args, width, format, margins, header, footer,
    timeout_ms)."""
    from playwright.sync_api import sync_playwright  # noqa: PLC0415
    timeout = s["timeout_ms"]
    with sync_playwright() as pw:
        ctx = pw.chromium.launch_persistent_context(s["profile"], executable_path=s["chromium"], headless=True,
                                                    args=s["args"], viewport={"width": s["width"], "height": 1000})
        try:
            page = ctx.new_page()
            page.route("**/*", lambda r: r.continue_() if r.request.url.startswith(("file:", "data:")) else r.abort())
            page.goto(Path(s["html"]).as_uri(), wait_until="load", timeout=timeout)
            page.wait_for_function("() => [...document.querySelectorAll('.plotly-graph-div')]"
                                   ".every(d => d.querySelector('.main-svg'))", timeout=timeout)
            page.emulate_media(media="print")            # print CSS first: the figures take the page's width
            page.evaluate("() => Promise.all([...document.querySelectorAll('.js-plotly-plot')]"
                          ".map(d => window.Plotly ? window.Plotly.Plots.resize(d) : null))")
            page.wait_for_timeout(300)          # plotly widens a margin for a legend in a second, later redraw
            return page.pdf(format=s["format"], print_background=True, prefer_css_page_size=False,
                            margin=s["margins"], display_header_footer=True, header_template=s["header"],
                            footer_template=s["footer"])
        finally:
            ctx.close()


def main(argv: list[str]) -> int:
    try:
        data = render(json.loads(argv[1]))
    except Exception as exc:  # noqa: BLE001  (the parent shows this one line to the user)
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
        print(f"{type(exc).__name__}: {first}"[:300], file=sys.stderr)
        return 1
    sys.stdout.buffer.write(data)
    sys.stdout.buffer.flush()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
