"""Print an offline HTML briefing to PDF through headless Chromium (Playwright). Optional: needs the ``playwright``
Python package and a Chromium binary (Debian: ``apt-get install chromium``; elsewhere set ``DECISION_CHROMIUM``).

Recipe (docs/options.md, reference brief section 6): the viewport is set to the paper's printable width and the
print media is emulated before every plot is resized, so plotly's responsive figures are laid out at print size and
nothing is cut; print CSS keeps tables and figures whole (``break-inside: avoid``), hides interactive controls and
starts the playbook on page 2 (the memo, its options table and chart fill page 1). Every page carries a header (the
document's title and the handling line) and a footer ("Page n of N") from Chromium's header and footer templates.
The printing runs in a child process (:mod:`decision.pdf_worker`) that returns the bytes; this module checks the
output path before anything starts and writes the PDF through the safe writer (docs/security.md)."""
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
WORKER = Path(__file__).resolve().parent / "pdf_worker.py"
MAX_WORK_CHARS = 62
"""Chromium puts a Unix socket under its TMPDIR (45 more characters); a socket path holds at most 107 bytes."""
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


def pdf_path_for(html_path: str | Path) -> Path:
    """Where the PDF of a briefing goes: beside it, same name, ``.pdf`` (refused when that is the HTML file)."""
    html_path = Path(html_path)
    pdf = html_path.with_suffix(".pdf")
    if pdf == html_path:
        raise DecisionError(f"--out {html_path} names a PDF, but the briefing itself is HTML and its PDF goes beside "
                            f"it: give --out {html_path.with_suffix('.html')} (the PDF is then written to {pdf})")
    return pdf


def html_to_pdf(html_path: str | Path, pdf_path: str | Path | None = None, paper: str = "a4",
                timeout_ms: int = 60_000, protect=None) -> Path:
    """Print ``html_path`` to ``pdf_path`` (default: :func:`pdf_path_for`) on A4 or Letter; returns the PDF path.

    The output is checked before Chromium starts and written by the safe writer (:mod:`decision.files`): never
    over a link, a folder, a device or a file the command read (``protect``: (device, inode) pairs; default: every
    input read so far, :func:`decision.safeio.inputs_read`), and never at a guessable temporary name.
    """
    from .files import atomic_write_bytes, check_output  # noqa: PLC0415
    from .safeio import inputs_read  # noqa: PLC0415
    paper = paper.lower()
    if paper not in PAPERS:
        raise DecisionError(f"unknown paper '{paper}'; choose one of {', '.join(PAPERS)}")
    src = Path(html_path).resolve()
    if not src.is_file():
        raise DecisionError(f"no such briefing: {src}")
    out = Path(pdf_path) if pdf_path else pdf_path_for(html_path)
    st = src.stat()
    protect = frozenset(inputs_read() if protect is None else protect) | {(st.st_dev, st.st_ino)}
    check_output(out, protect)
    exe = require_pdf()
    return atomic_write_bytes(out, print_pdf(src, paper, timeout_ms, exe), protect=protect)


def print_pdf(src: Path, paper: str, timeout_ms: int, exe: str) -> bytes:
    """The PDF bytes of HTML file ``src``, printed by :mod:`decision.pdf_worker` in a child process of its own
    session (so a Ctrl-C at the terminal reaches this process only). The child gets a private temporary folder as
    its TMPDIR (Chromium's profile, its socket folder and Playwright's artifacts all land there). On Ctrl-C, SIGTERM
    (the CLI turns it into Ctrl-C), a failure or a timeout the child, Playwright's driver and Chromium are stopped
    and the folder is removed."""
    import json  # noqa: PLC0415
    import subprocess  # noqa: PLC0415
    import sys  # noqa: PLC0415

    from .files import remove_tree  # noqa: PLC0415
    work = tempfile.mkdtemp(prefix="decision-pdf-")
    settings = dict(html=str(src), profile=os.path.join(work, "profile"), chromium=exe, args=ARGS,
                    width=printable_width_px(paper), format=PAPERS[paper][0], margins=MARGINS, header=HEADER,
                    footer=FOOTER, timeout_ms=int(timeout_ms))
    limit_s = 3 * timeout_ms / 1000 + 30                    # page load, plots, printing; then it is a hang
    proc = None
    try:
        proc = subprocess.Popen([sys.executable, "-P", str(WORKER), json.dumps(settings)], stdin=subprocess.DEVNULL,
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, start_new_session=True,
                                env={**os.environ, "TMPDIR": work})
        try:
            data, err = proc.communicate(timeout=limit_s)
        except subprocess.TimeoutExpired:
            raise DecisionError(f"printing the PDF took longer than {limit_s:g} s; the HTML briefing is written, "
                                "open it in a browser and print it from there") from None
    finally:
        try:
            if proc is not None:
                _stop(proc)
        finally:
            remove_tree(work)
    if proc.returncode != 0 or not data.startswith(b"%PDF-"):
        why = err.decode("utf-8", "replace").strip().splitlines()
        hint = (f" (Chromium cannot start when the temporary folder's path {work} is longer than "
                f"{MAX_WORK_CHARS} characters: set TMPDIR to a shorter folder)") if len(work) > MAX_WORK_CHARS else ""
        raise DecisionError(f"PDF export failed ({why[-1] if why else f'exit code {proc.returncode}'}){hint}; the "
                            "HTML briefing is written, open it in a browser and print it from there")
    return data


def _stop(proc, grace_s: float = 5.0) -> None:
    """End the worker's whole process group while the worker lives (until it is reaped its PID, and so its group
    id, cannot belong to anyone else): SIGTERM (Playwright's driver then closes Chromium), SIGKILL after
    ``grace_s``."""
    import signal  # noqa: PLC0415
    import subprocess  # noqa: PLC0415
    for sig in (signal.SIGTERM, signal.SIGKILL):
        if proc.poll() is not None:
            break
        try:
            os.killpg(proc.pid, sig)
            proc.wait(timeout=grace_s)
            break
        except ProcessLookupError:
            break
        except subprocess.TimeoutExpired:
            continue
    _drain(proc.pid, grace_s)
    for stream in (proc.stdout, proc.stderr):
        if stream is not None:
            stream.close()


def _drain(pgid: int, grace_s: float) -> None:
    """Wait until no process of the worker's group is left: Chromium's processes can outlive the worker by a moment,
    and one that writes its profile after the folder is removed creates it again (a full-suite run left one behind
    after a SIGTERM). SIGKILL what is left after ``grace_s``. The group's id cannot name another group while a
    member lives, and Linux hands out process ids in sequence, so it is not reused within these seconds."""
    import signal  # noqa: PLC0415
    import time  # noqa: PLC0415
    deadline, killed = time.monotonic() + grace_s, False
    while True:
        try:
            os.killpg(pgid, 0)
        except OSError:                                     # ProcessLookupError: the group is gone
            return
        if time.monotonic() > deadline:
            if killed:
                return
            try:
                os.killpg(pgid, signal.SIGKILL)
            except OSError:
                return
            deadline, killed = time.monotonic() + 1.0, True
        time.sleep(0.02)
