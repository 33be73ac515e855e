"""Notebook 01's dashboard fits its screen: a real JupyterLab at 1366 x 900 with the file browser open, in a real
headless Chromium (python playwright), on a cold kernel (issue 18).

Opens a copy of notebook 01 as a new user would (JupyterLab's default windowing, the file browser open), runs all
cells, and checks: a progress line shows while the combinations build; Run All ends with the dashboard in view;
every chart (the two charts, the tornado) is drawn on the cold run; the three nearest precedents with their source
links; "how sure, with the scores" on its button (a progress line, then the figure and the tornado chart); with the
playbook panel open, its tree too; nothing is wider than its container (the page, the notebook, every box of
widgets, every table wrapper and every plotly div: scrollWidth <= clientWidth, and no plotly div wider than the
dashboard); no axis title, legend, tick or node label outside its chart; the weight number box follows the slider in
steps of 0.01. Then the same checks at 390 x 844 with the side panel closed (a phone-sized window). Screenshots and
the measurements go to tests/artifacts/ (gitignored), for a reader to look at.
"""
from __future__ import annotations

import json
import time
from pathlib import Path

import pytest

from .browser_support import chromium
from .lab_support import SIDE_PANEL_OPEN, jupyterlab, open_notebook, run_all

pytestmark = pytest.mark.browser

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOK = ROOT / "notebooks" / "01_quick_start.ipynb"
ARTIFACTS = Path(__file__).resolve().parent / "artifacts"
TIMEOUT_MS = 240_000

OVERFLOW = """
() => {
  const out = [];
  const dash = document.querySelector('.decision-dashboard');
  const d = dash.getBoundingClientRect();
  const name = (el) => el.className && el.className.baseVal === undefined ? String(el.className).slice(0, 80)
                                                                          : el.tagName;
  const wide = (el, what) => {
    if (el.scrollWidth > el.clientWidth + 1)
      out.push(`${what} ${name(el)}: scrollWidth ${el.scrollWidth} > clientWidth ${el.clientWidth}`);
  };
  wide(document.documentElement, 'page');
  wide(document.body, 'body');
  const panel = dash.closest('.jp-WindowedPanel-outer, .jp-Notebook');
  if (panel) wide(panel, 'notebook');
  wide(dash, 'dashboard');
  if (dash.scrollWidth > dash.clientWidth + 1)                      // name the widest culprits
    Array.from(dash.querySelectorAll('*')).filter((el) => el.getBoundingClientRect().right > d.right + 1
        && el.offsetParent !== null && !el.closest('.js-plotly-plot')).slice(0, 4).forEach((el) =>
      out.push(`  ... ${el.tagName} ${name(el)} ends at ${Math.round(el.getBoundingClientRect().right)}`));
  dash.querySelectorAll('.widget-box').forEach((b) => {             // a row of controls that clips its last one
    if (b.offsetParent !== null && !b.closest('.js-plotly-plot')) wide(b, 'widget box');
  });
  dash.querySelectorAll('table').forEach((t) => {
    const wrap = t.parentElement;
    if (wrap.offsetParent === null) return;                          // a closed panel: not shown
    wide(wrap, 'table wrapper');
    const r = t.getBoundingClientRect();
    if (r.right > d.right + 1) out.push(`table ${t.className} ends at ${r.right} beyond the dashboard (${d.right})`);
  });
  dash.querySelectorAll('.js-plotly-plot').forEach((p, i) => {
    if (p.offsetParent === null) return;
    wide(p, `plotly div ${i}`);
    const r = p.getBoundingClientRect();
    if (r.right > d.right + 1) out.push(`plotly div ${i} ends at ${r.right} beyond the dashboard (${d.right})`);
    const svg = p.querySelector('svg.main-svg').getBoundingClientRect();
    const sel = '.g-xtitle text, .g-ytitle text, .legend, .ytick text, .xtick text, .gtitle, .textpoint text';
    p.querySelectorAll(sel).forEach((t) => {
      const b = t.getBoundingClientRect();
      if (b.width === 0 && b.height === 0) return;
      if (b.left < svg.left - 1 || b.right > svg.right + 1 || b.top < svg.top - 1 || b.bottom > svg.bottom + 1)
        out.push(`plotly div ${i}: '${(t.textContent || 'legend').slice(0, 40)}' (${name(t)}) at ` +
                 `[${[b.left, b.top, b.right, b.bottom].map(Math.round)}] outside its chart ` +
                 `[${[svg.left, svg.top, svg.right, svg.bottom].map(Math.round)}]`);
    });
  });
  return out;
}
"""

PROGRESS = """
() => {
  window.__progress = [];
  new MutationObserver(() => {
    document.querySelectorAll('.decision-dashboard .decision-progress-line').forEach((p) => {
      const t = p.innerText;
      if (p.offsetParent !== null && !window.__progress.includes(t)) window.__progress.push(t);
    });
  }).observe(document.body, {childList: true, subtree: true, characterData: true});
}
"""

DRAWN = """
(sel) => Array.from(document.querySelectorAll(sel)).map((p) => ({
  marks: p.querySelectorAll('.point, .trace.scatter path.js-line, .textpoint, .scatterlayer .trace path').length,
  width: Math.round(p.getBoundingClientRect().width),
  title: (p.querySelector('.gtitle') || {}).textContent || '',
}))
"""


SHOTS_1366 = [
    (".decision-dashboard", 0, "top"),
    (".decision-dashboard .decision-options-widget", 0, "options"),
    (".decision-dashboard .decision-ranking-widget", 0, "table"),
    (".decision-dashboard .decision-sensitivity", 0, "stability"),
    (".decision-dashboard .decision-how-sure-box", 0, "how_sure"),
    (".decision-how-sure-box .js-plotly-plot", 0, "tornado"),
    (".decision-dashboard .decision-precedents", 0, "precedents"),
    (".decision-more-settings", 0, "more_settings"),
    (".decision-playbook-box", 0, "playbook"),
    (".decision-dashboard .decision-charts .js-plotly-plot", 0, "chart_profile"),
    (".decision-dashboard .decision-charts .js-plotly-plot", 1, "chart_tools"),
]
"""(CSS selector, which match, artefact name) of each screenshot kept at 1366 px, in page order."""
SHOTS_390 = [
    (".decision-dashboard", 0, "top"),
    (".decision-dashboard .decision-ranking-widget", 0, "table"),
    (".decision-dashboard .decision-charts .js-plotly-plot", 0, "chart_profile"),
    (".decision-dashboard .decision-how-sure-box", 0, "how_sure"),
    (".decision-playbook-box", 0, "playbook"),
    (".decision-more-settings", 0, "more_settings"),
]
"""The same at 390 px (a phone)."""


def _shots(page, shots, width: int) -> list[str]:
    """The screenshots of ``shots`` (:data:`SHOTS_1366`), named ``dashboard_<width>_<name>.png``."""
    return [_shot(page, page.locator(selector).nth(nth), f"dashboard_{width}_{name}.png")
            for selector, nth, name in shots]


def _shot(page, locator, name: str) -> str:
    """A screenshot of the screen as a reader sees it with the element's top at the top of the notebook."""
    locator.evaluate("(el) => el.scrollIntoView({block: 'start'})")
    page.wait_for_timeout(300)
    page.screenshot(path=str(ARTIFACTS / name))
    return name


def _check_fits(page, record: dict, key: str) -> None:
    problems = page.evaluate(OVERFLOW)
    record[key] = problems
    assert not problems, "\n".join(problems)


def test_dashboard_fits_1366_with_the_file_browser_open_and_draws_everything_cold(tmp_path):
    ARTIFACTS.mkdir(exist_ok=True)
    record: dict = {"date": time.strftime("%Y-%m-%d %H:%M"), "viewport": [1366, 900]}
    errors: list[str] = []
    with jupyterlab(tmp_path, [NOTEBOOK], windowing=None) as lab, chromium(viewport=(1366, 900)) as ctx:
        page = ctx.pages[0] if ctx.pages else ctx.new_page()
        page.set_default_timeout(TIMEOUT_MS)
        page.on("pageerror", lambda e: errors.append(str(e)))
        try:
            open_notebook(page, lab, NOTEBOOK.name, file_browser=True)
            page.evaluate(PROGRESS)
            t0 = time.perf_counter()
            record["run_all_attempts"] = run_all(page, ".decision-dashboard")
            # while the combinations build, a progress line says what is happening (it disappears when done)
            page.locator(".decision-dashboard table.decision-ranking").first.wait_for(state="attached")
            page.locator(".jp-Notebook-ExecutionIndicator[data-status='idle']").first.wait_for(state="attached")
            page.locator(".decision-dashboard .decision-charts .js-plotly-plot").nth(1).wait_for(state="attached")
            page.wait_for_function("""() => Array.from(document.querySelectorAll(
                '.decision-dashboard .decision-charts .js-plotly-plot')).every(p => p.querySelectorAll('.point')
                .length > 0)""")
            record["run_all_to_charts_s"] = round(time.perf_counter() - t0, 1)
            # a progress line said what was happening while the combinations built, and is gone now
            record["progress_seen"] = page.evaluate("window.__progress")
            assert any("Step 1 of 3" in t for t in record["progress_seen"]), record["progress_seen"]
            assert page.locator(".decision-dashboard > * .decision-progress-line:visible").count() == 0
            page.wait_for_timeout(1500)                            # the scroll into view and the resize settle
            assert page.evaluate(SIDE_PANEL_OPEN), "the file browser closed"
            record["side_panel_px"] = page.evaluate(
                "Math.round(document.querySelector('#jp-left-stack').getBoundingClientRect().width)")
            dash = page.locator(".decision-dashboard").first
            box = dash.bounding_box()
            record["dashboard_px"] = [round(box["x"]), round(box["width"])]
            record["todays_policy_px"] = round(page.locator(".decision-current").first.bounding_box()["width"])
            record["after_run_all_dashboard_top_px"] = round(box["y"])
            page.screenshot(path=str(ARTIFACTS / "dashboard_1366_after_run_all.png"))
            # Run All ends at the dashboard: its top is on the screen
            assert 0 <= box["y"] < 900 - 200, f"after Run All the dashboard's top is at {box['y']} px"

            drawn = page.evaluate(DRAWN, ".decision-dashboard .decision-charts .js-plotly-plot")
            record["charts"] = drawn
            assert len(drawn) == 2 and all(c["marks"] > 0 for c in drawn), drawn
            results = page.locator(".decision-dashboard .decision-results").first.bounding_box()["width"]
            assert all(c["width"] >= results - 40 for c in drawn), (drawn, results)   # sized to the column

            # the fine weight control: a number box beside each slider, step 0.01, kept equal to the slider
            box_input = page.locator(".decision-dashboard [class*='decision-weight-box-'] input").first
            assert box_input.get_attribute("step") == "0.01"
            handle = page.locator(".decision-dashboard .widget-slider .noUi-handle").first
            before = float(box_input.input_value())
            handle.focus()
            page.keyboard.press("ArrowRight")
            page.wait_for_function("([el, v]) => Math.abs(parseFloat(el.value) - v - 0.01) < 1e-6",
                                   arg=[box_input.element_handle(), before])

            # the precedents of the scenario: three lines, each with its sources as links
            items = page.locator(".decision-dashboard .decision-precedents li")
            assert items.count() == 3 and all(items.nth(i).locator("a[href^='http']").count() >= 2 for i in range(3))
            record["precedents"] = items.all_inner_texts()

            # how sure with the scores (issue 20): on a button, with a progress line, then the figure and tornado
            button = page.locator(".decision-dashboard .decision-how-sure-button").first
            button.scroll_into_view_if_needed()
            t1 = time.perf_counter()
            button.click()
            # three steps on the playbook basis: the figure, the tornado, then the bottom line with the scores
            page.locator(".decision-how-sure-box .decision-progress-line", has_text="Step 1 of 3").first.wait_for()
            page.locator(".decision-dashboard .decision-how-sure").first.wait_for(state="attached")
            page.locator(".decision-how-sure-box .js-plotly-plot .point").first.wait_for(state="attached")
            record["how_sure_s"] = round(time.perf_counter() - t1, 1)
            record["how_sure"] = page.locator(".decision-dashboard .decision-how-sure").first.inner_text()
            assert "How sure, with the scores:" in record["how_sure"]
            line = page.locator(".decision-dashboard .decision-bottom-line").first.inner_text()
            assert "every expert score within its range" in line, line      # the bottom line now covers the scores
            page.wait_for_timeout(500)

            # "More settings" open too: every control is checked for fitting
            page.locator(".decision-more-settings [class*='Collapse-header']").first.click()
            page.locator(".decision-more-settings .decision-capacity-slider").first.wait_for(state="visible")

            # the playbook: open its panel, its tree is drawn at the panel's width
            pb = page.locator(".decision-playbook-box").first
            pb.locator("[class*='Collapse-header']").first.click()
            pb.locator(".js-plotly-plot .scatterlayer .trace").first.wait_for(state="attached")
            pb.locator(".decision-playbook").first.wait_for(state="attached")
            page.wait_for_timeout(1000)
            tree = page.evaluate(DRAWN, ".decision-playbook-box .js-plotly-plot")
            record["tree"] = tree
            assert tree and tree[0]["marks"] > 0

            record["screenshots"] = _shots(page, SHOTS_1366, 1366)
            _check_fits(page, record, "overflow_1366")

            # a phone-sized window (the side panel closed, as on a phone): the dashboard rewraps, its charts follow
            page.locator(".jp-SideBar.jp-mod-left .lm-TabBar-tab[data-id='filebrowser']").first.click()
            page.wait_for_function(f"() => !({SIDE_PANEL_OPEN})()")
            page.set_viewport_size({"width": 390, "height": 844})
            page.wait_for_timeout(2500)
            page.wait_for_function("""() => Array.from(document.querySelectorAll('.decision-dashboard .js-plotly-plot'))
                .filter(p => p.offsetParent !== null).every(p => p.getBoundingClientRect().right <=
                document.querySelector('.decision-dashboard').getBoundingClientRect().right + 1)""", timeout=30_000)
            record["screenshots"] += _shots(page, SHOTS_390, 390)
            _check_fits(page, record, "overflow_390")
        except Exception:
            page.screenshot(path=str(ARTIFACTS / "dashboard_failure.png"))
            for text in page.locator(".jp-OutputArea-output[data-mime-type='application/vnd.jupyter.stderr']"
                                     ).all_inner_texts():
                print("notebook stderr:", text[-1500:])
            print("page errors:", errors)
            raise
        finally:
            record["page_errors"] = errors
            (ARTIFACTS / "browser_dashboard.json").write_text(json.dumps(record, indent=2, ensure_ascii=False))
