"""How the dashboard's widgets are arranged: one column, so the results always take the whole width.

From the top: the title and caveat, the progress line (while the combinations build), the bottom line, then the
settings: the weights (a slider, a number box and the share for each criterion) beside the weight profile, scenario,
method and today's policy; the rest (limits, floor and capacity, tools to include or exclude, red lines, stability
check, export) in a "More settings" panel, closed at first. Then the results: the status line, the options, the
ranked combinations, stability (the weight ranges; how sure with the scores, on a button), the nearest precedents,
"why is a combination ranked where it is", the playbook and the two charts.

Groups of controls wrap onto the next line when the notebook is narrow (flex and grid boxes, no fixed side column),
and the stylesheet (:data:`STYLE`) gives the dashboard's HTML its own line height (JupyterLab's widgets use 28 px
lines) and tables that fit their column: text wraps between words, numbers never wrap; where the results column is
under 620 px (a phone, a split screen) each table row becomes a card of its cells, each led by its column's name
(:func:`.render.labelled`), so no table scrolls sideways, and sliders and lists put their label above them.
"""
from __future__ import annotations

import html

import ipywidgets as W

from ..catalog import CAVEAT
from .controls import Controls
from .fit import RESULTS_CLASS

STYLE = """<style>
.decision-dashboard .widget-html-content{line-height:1.4}
.decision-dashboard .jupyter-widgets{max-width:calc(100% - 2 * var(--jp-widgets-margin, 2px))}
.decision-dashboard .decision-status .widget-html-content,.decision-dashboard .decision-progress
 .widget-html-content{font-size:12px}
.decision-dashboard table{border-collapse:collapse;font-size:12px;line-height:1.3}
.decision-dashboard table.decision-options{width:100%}
.decision-dashboard table.decision-options th,.decision-dashboard table.decision-options td,
.decision-dashboard table.courses th,.decision-dashboard table.courses td,
.decision-dashboard .decision-stability th,.decision-dashboard .decision-stability td,
.decision-dashboard .decision-explain th,.decision-dashboard .decision-explain td{border-bottom:1px solid #ddd;
 padding:3px 5px;vertical-align:top;text-align:left}
.decision-dashboard table th{font-weight:600;vertical-align:bottom}
.decision-dashboard table th.num,.decision-dashboard table td.num{text-align:right;font-variant-numeric:tabular-nums}
.decision-dashboard table td.num{white-space:nowrap}
.decision-dashboard table td.combo{min-width:14em}
.decision-dashboard table caption{caption-side:bottom;text-align:left;font-size:11px;color:#666;padding-top:3px}
.decision-dashboard .decision-playbook ul{margin:2px 0;padding-left:18px}
.decision-dashboard .decision-playbook .values{color:#555}
.decision-dashboard .decision-section .widget-html-content{font-weight:600;font-size:13px;margin-top:6px}
.decision-dashboard .decision-weights .widget-slider .widget-label{overflow:visible}
.decision-dashboard .decision-progress progress{width:120px;vertical-align:middle;margin-right:6px}
.decision-dashboard .decision-precedents ol{margin:3px 0;padding-left:22px}
.decision-dashboard .decision-precedents li{margin-bottom:3px}
.decision-dashboard .decision-how-sure p{margin:3px 0}
.decision-dashboard .decision-stale{color:#8a1c1c}
.decision-dashboard small code{font-size:inherit}
.decision-dashboard .decision-tags{box-sizing:border-box;min-height:30px;border:1px solid #bbb;border-radius:2px}
.decision-dashboard{container-type:inline-size}
@container (max-width: 620px){
 .decision-dashboard table thead{position:absolute;width:1px;height:1px;overflow:hidden;clip:rect(0 0 0 0)}
 .decision-dashboard table,.decision-dashboard table tbody,.decision-dashboard table tr,
 .decision-dashboard table td{display:block;width:auto !important;min-width:0 !important}
 .decision-dashboard table tr{border-bottom:2px solid #ccd;padding:3px 0}
 .decision-dashboard table td{border:none !important;padding:1px 4px !important;text-align:left !important}
 .decision-dashboard table td.num{display:inline-block;margin-right:.9em}
 .decision-dashboard table td[data-label]::before{content:attr(data-label) ": ";font-weight:600;color:#444}
 .decision-dashboard table caption{display:block;width:auto}
 .decision-dashboard .widget-slider,.decision-dashboard .widget-dropdown{flex-wrap:wrap;height:auto}
 .decision-dashboard .widget-slider>.widget-label,.decision-dashboard .widget-dropdown>.widget-label{
  width:100% !important;max-width:100%;text-align:left}
}
</style>"""
"""The dashboard's stylesheet (scoped to ``.decision-dashboard``; in the title's HTML, so it needs no extension)."""


def _section(text: str) -> W.HTML:
    w = W.HTML(text)
    w.add_class("decision-section")
    return w


def _group(title: str, children, note: str = "") -> W.VBox:
    head = f"<b>{html.escape(title)}</b>" + (f" <small>{html.escape(note)}</small>" if note else "")
    return W.VBox([W.HTML(head), *children], layout=W.Layout(min_width="0"))


def settings(c: Controls) -> W.VBox:
    """The settings: weights beside the main choices (wrapping under them when narrow), then "More settings"."""
    cat = c.catalog
    rows = [W.HBox([c.sliders[k], c.weight_boxes[k], c.weight_labels[k]],
                   layout=W.Layout(align_items="center", width="100%", flex_flow="row wrap"))
            for k in cat.criterion_ids]
    weights = _group("Weights", rows, "drag, use the arrow keys or type a value; the share of the total is at right")
    weights.add_class("decision-weights")
    weights.layout = W.Layout(flex="1 1 440px", min_width="0", margin="0 16px 0 0")
    for w in (c.preset, c.scenario, c.method):      # a narrower label: the method's name fits its list
        w.style.description_width = "100px"
    for w in (c.current, c.forced_in, c.forced_out):          # an empty tag picker still looks like a field
        w.add_class("decision-tags")
    choices = _group("Profile, scenario and method", [c.preset, c.scenario, c.method,
                                                      W.HTML("<b>Today's policy</b> <small>(type a tool's name; it "
                                                             "is ranked among the options)</small>"), c.current])
    choices.layout = W.Layout(flex="1 1 380px", min_width="0")
    top = W.Box([weights, choices], layout=W.Layout(display="flex", flex_flow="row wrap", width="100%"))
    limits = _group("Limits", [c.max_tools, c.top, c.horizon])
    floor = _group("Accountability floor and effort", [
        W.HTML("<small>What every recommendation must do about the abuses (the slider starts at the scenario's "
               "derived floor) and the effort it may use (the scenario's capacity); the status line says both in "
               "words.</small>"), c.floor_on, c.floor_points, c.capacity])
    tools = _group("Must include / must exclude", [W.HTML("<small>Type a tool's name.</small>"), c.forced_in,
                                                   W.HTML("<small>Must exclude:</small>"), c.forced_out])
    red = _group("Red lines", [W.HTML("<small>A combination is feasible only if each value lies in its range (the "
                                      "catalogue's red lines are pre-set).</small>"), *c.red_lines.values()])
    export = _group("Export the current view", [c.sensitivity_box, W.HTML("<small>Save the weights (and the "
                                                                          "settings, in its rationale) as a weight "
                                                                          "profile:</small>"),
                                                W.HBox([c.export_name, c.export_overwrite, c.export_button],
                                                       layout=W.Layout(flex_flow="row wrap")), c.message])
    grid = W.GridBox([limits, floor, tools, red, export], layout=W.Layout(
        grid_template_columns="repeat(auto-fit, minmax(min(300px, 100%), 1fr))", grid_gap="6px 16px", width="100%"))
    more = W.Accordion(children=[grid], titles=("More settings: limits, accountability floor and effort, tools to "
                                                "include or exclude, red lines, export",), selected_index=None)
    more.add_class("decision-more-settings")
    box = W.VBox([top, more], layout=W.Layout(width="100%"))
    box.add_class("decision-settings")
    return box


def arrange(c: Controls, agent, panels) -> W.VBox:
    """The whole dashboard (see the module docstring); ``agent``: the :class:`~.fit.FitAgent` (no visible body);
    ``panels``: the results after the ranked table, in reading order."""
    title = W.HTML(f"{STYLE}<h3 style='margin:4px 0'>Combinations of diplomatic tools, ranked</h3>"
                   f"<small><i>{html.escape(CAVEAT)}</i></small>", layout=W.Layout(width="100%"))
    results = W.VBox([c.status, c.error_panel, _section("The options"), c.options_panel,
                      _section("All combinations, ranked"), c.table, *panels],
                     layout=W.Layout(width="100%", min_width="0"))
    results.add_class(RESULTS_CLASS)
    widget = W.VBox([title, c.progress, c.bottom_line, settings(c), results, agent],
                    layout=W.Layout(width="100%", min_width="0"))
    widget.add_class("decision-dashboard")
    return widget


__all__ = ["STYLE", "arrange", "settings"]
