"""Briefing export: run the parameterised briefing notebook with papermill, convert it to one offline HTML file.

The HTML embeds plotly.js once (from the notebook's setup cell), loads nothing from the network (the template
drops require.js, MathJax, Mermaid and the widget manager; CDN script tags that plotly adds are removed), hides all
code, and is reproducible: plotly's random element ids are replaced by sequential ones, so the same parameters give
the same file apart from the timestamp. The parameters a briefing was made with are recorded in its head
(``<meta name="decision-settings" content="{json}">``), so ``decision brief`` can refuse to replace a briefing made
with other settings without saying so (:func:`recorded_settings`, :func:`first_difference`).
"""
from __future__ import annotations

import html as _html
import json
import re
import sys
import tempfile
from pathlib import Path

from .catalog import load_catalog
from .errors import DecisionError
from .files import atomic_write_text, check_output, remove_tree
from .ranking import DEFAULT_METHOD
from .safeio import inputs_read

ROOT = Path(__file__).resolve().parent
NOTEBOOK = ROOT.parent / "notebooks" / "05_briefing.ipynb"
TEMPLATES = ROOT / "templates"
KERNEL = "decision-briefing"
REMOVE_TAGS = {"notebook-only", "parameters", "injected-parameters"}
_UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
_REMOTE_SCRIPT = re.compile(r"<script[^>]*\ssrc=\"https?://[^\"]*\"[^>]*>\s*</script>")
SETTINGS_META = "decision-settings"
_HEAD = re.compile(r"<head[^>]*>", re.IGNORECASE)
_SETTINGS = re.compile(r'<meta name="decision-settings" content="([^"]*)"')
SETTINGS_READ_BYTES = 65_536
"""The settings tag sits right after ``<head>``: only this many bytes of an existing briefing are read to find it."""
SETTING_NAMES = {"scenario": "--scenario", "catalog": "--catalog (compared by content)", "profile": "--profile", "weights": "--weights",
                 "resolved": "the weights (a profile's file changed?)", "method": "--method", "top": "--top",
                 "max_tools": "--max-tools", "samples": "--samples", "seed": "--seed", "horizon": "--horizon",
                 "current": "--current", "k": "--k", "share": "share"}
"""Every parameter a briefing records, in the order differences are reported, with the option that sets it."""

_TITLE = re.compile(r'data-title="([^"]*)"')


def check_parameters(scenario=None, profile=None, weights=None, method=DEFAULT_METHOD, catalog=None, horizon=None,
                     current=None, **_) -> str:
    """Fail fast, in this process, on the user mistakes the notebook would hit; return the scenario id."""
    return resolve_parameters(scenario, profile, weights, method, catalog, horizon, current)[0]


def resolve_parameters(scenario=None, profile=None, weights=None, method=DEFAULT_METHOD, catalog=None, horizon=None,
                       current=None, **_) -> tuple[str, dict]:
    """Resolve, once and in this process (this working folder, this DECISION_PROFILES), everything the briefing
    notebook needs: the scenario id and the weights (see :func:`decision.briefing.resolved_weights`)."""
    from .briefing import resolve_weights, resolved_weights  # noqa: PLC0415
    from .ranking import METHODS  # noqa: PLC0415
    from .scenario import beyond_horizon  # noqa: PLC0415
    cat = load_catalog(catalog)
    sid = cat.scenario(scenario).id
    beyond_horizon(cat, horizon)
    src = resolve_weights(cat, profile, weights)
    for t in (current.split(",") if isinstance(current, str) else current or ()):
        if t.strip():
            cat.tool_index(t.strip())                       # an unknown tool in today's policy is a user error
    if method not in METHODS and method != "consensus":
        raise DecisionError(f"unknown method '{method}'; choose one of {', '.join([*METHODS, 'consensus'])}")
    return sid, resolved_weights(src)


def _kernel_dir(tmp: Path) -> Path:
    """A kernelspec that runs this very Python (so the briefing uses the installed package, whatever kernels the
    user's Jupyter knows). The kernel logs only critical messages: a cell's error reaches the user through papermill
    as one line, and a kernel stopped by Ctrl-C must not print its own traceback on the user's terminal."""
    spec = tmp / "kernels" / KERNEL
    spec.mkdir(parents=True)
    (spec / "kernel.json").write_text(json.dumps({
        "argv": [sys.executable, "-m", "ipykernel_launcher", "-f", "{connection_file}",
                 "--IPKernelApp.log_level=CRITICAL"],
        "display_name": "decision briefing", "language": "python"}))
    return tmp


def execute(parameters: dict, executed: Path, timeout: int = 120) -> None:
    """Run the briefing notebook with papermill (every cell has a timeout; see notebook-toolchain §7)."""
    import os  # noqa: PLC0415

    import papermill as pm  # noqa: PLC0415
    import atexit  # noqa: PLC0415
    kdir = tempfile.mkdtemp(prefix="decision-kernel-")
    atexit.register(remove_tree, kdir, 20)     # a second net: an interrupted kernel may still write here on exit
    try:
        old = os.environ.get("JUPYTER_PATH")
        os.environ["JUPYTER_PATH"] = str(_kernel_dir(Path(kdir))) + (os.pathsep + old if old else "")
        old_tempdir, tempfile.tempdir = tempfile.tempdir, kdir   # the kernel's connection file goes here too, so
        try:                                                     # an interrupted run leaves nothing behind
            pm.execute_notebook(str(NOTEBOOK), str(executed), parameters=parameters, kernel_name=KERNEL,
                                execution_timeout=timeout, progress_bar=False, log_output=False,
                                cwd=str(NOTEBOOK.parent))
        except pm.PapermillExecutionError as exc:
            raise DecisionError(f"the briefing notebook failed in cell {exc.exec_count}: {exc.ename}: "
                                f"{exc.evalue}") from None
        except TimeoutError:                     # nbclient's CellTimeoutError
            raise DecisionError(f"a briefing cell ran longer than the timeout of {timeout} s; allow more with "
                                "--timeout SECONDS (default 180)") from None
        except RuntimeError as exc:              # nbclient's DeadKernelError and kernel start-up failures
            raise DecisionError(f"the briefing kernel failed: {str(exc).splitlines()[0] if str(exc) else exc!r}"
                                ) from None
        finally:
            tempfile.tempdir = old_tempdir
            if old is None:
                os.environ.pop("JUPYTER_PATH", None)
            else:
                os.environ["JUPYTER_PATH"] = old
    finally:
        remove_tree(kdir)


def to_html(executed: Path) -> str:
    """Convert an executed briefing notebook to offline, code-free, reproducible HTML."""
    import nbformat  # noqa: PLC0415
    from nbconvert import HTMLExporter  # noqa: PLC0415
    from nbconvert.preprocessors import TagRemovePreprocessor  # noqa: PLC0415

    nb = nbformat.read(str(executed), as_version=4)
    nb.metadata["title"] = page_title(nb)
    exporter = HTMLExporter(template_name="briefing", extra_template_basedirs=[str(TEMPLATES)],
                            exclude_input=True, exclude_input_prompt=True, exclude_output_prompt=True)
    exporter.register_preprocessor(TagRemovePreprocessor(remove_cell_tags=REMOVE_TAGS, enabled=True), True)
    body, _ = exporter.from_notebook_node(nb, resources={"metadata": {"name": "Briefing"}})
    return offline(body)


def with_settings(page: str, settings: dict) -> str:
    """``page`` with its settings recorded as a ``<meta>`` tag right after ``<head>`` (or first, without a head)."""
    tag = f'<meta name="{SETTINGS_META}" content="{_html.escape(json.dumps(settings, sort_keys=True), quote=True)}">'
    m = _HEAD.search(page)
    return page[:m.end()] + tag + page[m.end():] if m else tag + page


def briefing_settings(params: dict) -> dict:
    """What a briefing records of its parameters: all of them, except that a user's catalogue is named by a digest
    of its files (a briefing is circulated: it must not carry a folder path)."""
    out = dict(params)
    if params.get("catalog"):
        out["catalog"] = "sha256:" + load_catalog(params["catalog"]).digest[:16]
    return out


def recorded_settings(path: str | Path) -> dict | None:
    """The settings recorded in an existing briefing, or None (no such file, or not a briefing that records them)."""
    try:
        with open(path, "rb") as f:
            head = f.read(SETTINGS_READ_BYTES).decode("utf-8", "replace")
    except OSError:
        return None
    m = _SETTINGS.search(head)
    if m is None:
        return None
    try:
        doc = json.loads(_html.unescape(m.group(1)))
    except ValueError:
        return None
    return doc if isinstance(doc, dict) else None


def first_difference(old: dict, new: dict) -> str | None:
    """The first setting that differs between two briefings' settings, as one readable phrase; None if none does."""
    diff = [k for k in SETTING_NAMES if old.get(k) != new.get(k)]
    if "resolved" in diff and {"profile", "weights"} & set(diff):
        diff.remove("resolved")                                   # the same difference, seen twice
    if not diff:
        return None

    def show(v):
        return "not given" if v is None else json.dumps(v, sort_keys=True) if isinstance(v, (dict, list)) else str(v)
    k = diff[0]
    more = f"; {len(diff) - 1} more setting{'s' * (len(diff) > 2)} differ{'s' * (len(diff) == 2)}" if len(diff) > 1 else ""
    return f"{SETTING_NAMES[k]} {show(old.get(k))} there, {show(new.get(k))} now{more}"

def page_title(nb) -> str:
    """The page's ``<title>``: the ``data-title`` of the briefing's cover (headline, scenario, date), else
    'Briefing'."""
    import html  # noqa: PLC0415
    for cell in nb.cells:
        for out in cell.get("outputs", []):
            text = out.get("data", {}).get("text/html", "")
            m = _TITLE.search("".join(text) if isinstance(text, list) else text)
            if m:
                return html.unescape(m.group(1))
    return "Briefing"


def offline(body: str) -> str:
    """Remove CDN script tags and give plotly's random div ids stable sequential names."""
    body = _REMOTE_SCRIPT.sub("", body)
    ids: dict[str, str] = {}
    return _UUID.sub(lambda m: ids.setdefault(m.group(0), f"fig-{len(ids) + 1:03d}"), body)


def briefing_parameters(scenario=None, profile=None, weights=None, method=DEFAULT_METHOD, top=5, max_tools=None,
                        catalog=None, samples=10_000, seed=0, horizon=None, current=None, k=4, share=0.9) -> dict:
    """The briefing notebook's parameters, resolved in this process (scenario id, weights): also the settings the
    briefing records (:data:`SETTING_NAMES`)."""
    if current is not None and not isinstance(current, str):
        current = ",".join(current)
    params = dict(scenario=scenario, profile=profile, weights=weights, method=method, top=int(top),
                  max_tools=max_tools, catalog=str(Path(catalog).resolve()) if catalog else None,
                  samples=int(samples), seed=int(seed), horizon=None if horizon is None else float(horizon),
                  current=current, k=int(k), share=float(share))
    sid, params["resolved"] = resolve_parameters(**params)   # the notebook gets data, never looks a profile up
    params["scenario"] = sid
    return params


def build_briefing(scenario=None, profile=None, weights=None, method=DEFAULT_METHOD, top=5, max_tools=None,
                   catalog=None, samples=10_000, seed=0, out=None, timeout=120, horizon=None, current=None, k=4,
                   share=0.9) -> Path:
    """Make one briefing; returns the HTML path (default ``briefings/<scenario>.html``), written atomically.
    ``current``: today's policy (tool ids, list or ``"a,b"``), ranked among the ``k`` options."""
    params = briefing_parameters(scenario, profile, weights, method, top, max_tools, catalog, samples, seed, horizon,
                                 current, k, share)
    sid = params["scenario"]
    if not NOTEBOOK.is_file():
        raise DecisionError(f"the briefing notebook {NOTEBOOK} is missing: briefings need the repository checkout "
                            "(pip install -e .), not a copy of the package alone")
    out = Path(out) if out else Path("briefings") / f"{sid}.html"
    check_output(out, inputs_read())            # before the run, not after it
    with tempfile.TemporaryDirectory(prefix="decision-brief-") as tmp:
        executed = Path(tmp) / "briefing.ipynb"
        execute(params, executed, timeout)
        html = with_settings(to_html(executed), briefing_settings(params))
    atomic_write_text(out, html, protect=inputs_read())
    return out
