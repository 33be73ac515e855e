"""The live dashboard for JupyterLab: move a weight, see the ranked combinations change.

``dashboard()`` returns the ipywidgets layout; :class:`Dashboard` is the controller behind it (``.widget``,
``.state``, ``.update()``, ``.set(...)``, ``.ranking``, ``.check_stability()``, ``.export_profile()``), so tests and
notebooks can drive it without a browser.

How an update runs
------------------
* Controls are read into a :class:`ViewState` (immutable). Only a change of scenario, maximum number of tools,
  must-include / must-exclude tools or red lines rebuilds the combinations (``build_portfolios``, about 0.3 s for the
  bundled catalogue); the last few builds are cached, so switching back is instant. A weight, method or top-N change
  only re-ranks through a cached :class:`~decision.ranking.Ranker` (a few ms for TOPSIS / weighted sum).
* Outputs are updated in place: one HTML table (``<table class="decision-ranking">``, whose ``data-*`` attributes
  carry the exact state and the top combination's tool ids for tests), and two plotly ``FigureWidget``s whose existing
  traces get new data inside ``batch_update`` (figures are never re-created).
* Fast slider moves: sliders use ``continuous_update=False`` (one value per drag, sent on release, and per key press),
  and the kernel throttles on its asyncio loop: a change after a quiet spell updates at once (leading edge); changes
  arriving within ``debounce`` seconds (default 40 ms) of the last update are folded into one update at the end of
  that window (trailing edge), so a held arrow key or a burst of messages costs one update per window and the
  final state is always drawn. Why not live updates during a drag: with ``continuous_update=True``
  ipywidgets 8 echoes every value noUiSlider snaps to its step back to the kernel, so a preset's exact weights
  (0.5208...) would be overwritten by the rounded slider position, and a drag floods the kernel with ~60 messages/s,
  each redrawing two charts in the browser.
* The stability panel (decision.robustness) costs 0.1-0.3 s, so it runs ``sensitivity_delay`` seconds after the last
  change (a true debounce) and never delays the table.
* A failed update (a :class:`~decision.errors.DecisionError`: infeasible red lines, too many tools, all weights zero,
  ...) shows its one-line message in the panel, keeps every control as the analyst set it, and leaves the last valid
  table on screen, marked as such.

Without a running asyncio loop (plain Python, tests) every change updates synchronously.
"""
from __future__ import annotations

import asyncio
import html
import json
import logging
import time
from collections import OrderedDict
from dataclasses import asdict, dataclass, field
from pathlib import Path

import ipywidgets as W
import pandas as pd

from . import figures
from .catalog import CAVEAT, Catalog, load_catalog
from .errors import DecisionError
from . import profiles as P
from .explain import explain
from .portfolios import build_portfolios
from .ranking import DEFAULT_METHOD, METHODS, Ranker
from .robustness import portfolio_stability
from .weights import direct

log = logging.getLogger(__name__)

DEFAULT_DEBOUNCE = 0.04
"""Seconds after an update during which further control changes are folded into one (trailing) update."""
SENSITIVITY_DELAY = 0.4
"""Seconds of quiet after the last change before the stability panel is recomputed."""
CACHE_SIZE = 3
"""Number of built combination sets kept (scenario / max tools / forced tools / red lines / horizon)."""
HORIZONS = (3, 12, 36)
"""Months offered by the time-horizon control (the domain's 0-3, 3-12 and over-12-month horizons)."""
TABLE_CLASS = "decision-ranking"
"""CSS class of the ranked-table element (browser tests read it)."""
METHOD_LABELS = {
    "topsis": "TOPSIS (closeness to the ideal)",
    "wsm": "Weighted sum",
    "vikor": "VIKOR (compromise)",
    "spotis": "SPOTIS (distance to the ideal)",
    "consensus": "Consensus of the four (slower)",
}
STABILITY_METHODS = ("wsm", "topsis")
CUSTOM = "(custom)"


# ----------------------------------------------------------------------------------------------------------------
# State and pure rendering

@dataclass(frozen=True)
class ViewState:
    """Everything the analyst has set. ``weights`` are the raw slider values (any scale); ``normalised`` sums to 1.
    ``red_lines`` is a tuple of ``(criterion, min or None, max or None)``."""
    scenario: str
    method: str
    max_tools: int
    top: int
    weights: dict[str, float]
    forced_in: tuple[str, ...] = ()
    forced_out: tuple[str, ...] = ()
    red_lines: tuple[tuple[str, float | None, float | None], ...] = ()
    preset: str | None = None
    horizon: float | None = None

    @property
    def normalised(self) -> dict[str, float]:
        """Weights summing to 1 (raises DecisionError if all are zero)."""
        w = direct(self.weights, list(self.weights))
        return {k: float(v) for k, v in w.items()}

    @property
    def constraints(self) -> dict:
        """Overrides for ``build_portfolios`` (these red lines replace the catalogue's)."""
        red = [{"criterion": c, **({"min": lo} if lo is not None else {}), **({"max": hi} if hi is not None else {})}
               for c, lo, hi in self.red_lines]
        return {"forced_in": list(self.forced_in), "forced_out": list(self.forced_out), "red_lines": red}

    @property
    def build_key(self) -> tuple:
        """What the set of feasible combinations depends on."""
        return (self.scenario, self.max_tools, tuple(sorted(self.forced_in)), tuple(sorted(self.forced_out)),
                self.red_lines, self.horizon)

    def to_dict(self) -> dict:
        d = asdict(self)
        d["red_lines"] = [list(r) for r in self.red_lines]
        d["forced_in"], d["forced_out"] = list(self.forced_in), list(self.forced_out)
        return d


def ranking_table_html(ranking: pd.DataFrame, catalog: Catalog, state: ViewState, stale: bool = False) -> str:
    """The ranked combinations as an HTML table with plain-language names.

    The ``<table>`` carries ``class="decision-ranking"`` and ``data-top-ids`` (the first row's tool ids, ``|``-joined)
    and ``data-state`` (the :class:`ViewState` as JSON, normalised weights included) so a browser test can check the
    table against the engine."""
    e = html.escape
    crit = catalog.criteria
    try:
        norm = state.normalised
    except DecisionError:
        norm = {}
    ascending = state.method != "consensus" and METHODS[state.method].ascending
    pref_note = "lower is better" if (ascending or state.method == "consensus") else "higher is better"
    top_ids = "|".join(ranking["tool_ids"].iloc[0]) if len(ranking) else ""
    data_state = e(json.dumps({**state.to_dict(), "normalised": norm}, sort_keys=True), quote=True)
    head = "".join(f"<th class='num' title='{e(c.description)}'>{e(c.name)} "
                   f"{'↓' if c.direction == 'cost' else '↑'}</th>" for c in crit)
    rows = []
    for _, r in ranking.iterrows():
        vals = "".join(f"<td class='num'>{r[c.id]:.2f}</td>" for c in crit)
        rows.append(f"<tr data-ids='{e('|'.join(r['tool_ids']))}'><td class='num'>{int(r['rank'])}</td>"
                    f"<td class='combo'>{e(r['tools'])}</td><td class='num'>{int(r['n_tools'])}</td>{vals}"
                    f"<td class='num'>{r['preference']:.4f}</td></tr>")
    style = ("<style>.decision-ranking{border-collapse:collapse;font-size:12px;width:100%;line-height:1.3}"
             ".decision-ranking th,.decision-ranking td{border-bottom:1px solid #ddd;padding:3px 5px;"
             "vertical-align:top;text-align:left}.decision-ranking th{font-weight:600;vertical-align:bottom}"
             ".decision-ranking .num{text-align:right;font-variant-numeric:tabular-nums}"
             ".decision-ranking td.combo{min-width:12em}.decision-ranking.stale{opacity:.45}"
             ".decision-ranking caption{caption-side:bottom;text-align:left;font-size:11px;color:#666}</style>")
    cls = TABLE_CLASS + (" stale" if stale else "")
    return (f"{style}<table class='{cls}' data-top-ids='{e(top_ids)}' data-state='{data_state}' "
            f"data-stale='{str(stale).lower()}'><caption>Values on 0-10 scales: ↑ higher is better, ↓ lower is "
            f"better. Preference: {pref_note}. Scores are illustrative.</caption><thead><tr><th class='num'>Rank</th>"
            f"<th>Combination</th><th class='num'>Tools</th>{head}<th class='num'>Preference</th></tr></thead>"
            f"<tbody>{''.join(rows)}</tbody></table>")


def stability_html(stability: pd.DataFrame, catalog: Catalog) -> str:
    """The stability panel: for each criterion, the weight range within which today's top combination stays first
    (the other weights rescaled proportionally, which is what moving one slider does)."""
    e = html.escape
    a = stability.attrs
    names = {c.id: c.name for c in catalog.criteria}
    rows = "".join(
        f"<tr><td>{e(names.get(c, c))}</td><td class='num'>{r['weight']:.3f}</td>"
        f"<td class='num'>{r['low']:.3f} – {r['high']:.3f}</td><td class='num'>{r['margin']:.3f}</td></tr>"
        for c, r in stability.iterrows())
    crit = a.get("most_critical")
    if crit:
        r = stability.loc[crit]
        verdict = (f"Most sensitive: <b>{e(names.get(crit, crit))}</b>: a change of {r['margin']:.3f} in its share "
                   f"of the weight changes the top combination.")
    else:
        verdict = "No single weight change within 0-1 changes the top combination."
    how = "exact" if bool(stability["exact"].all()) else "found numerically (to 1e-7)"
    return (f"<div class='decision-stability'><b>Stability of the recommendation</b> ({e(a.get('method', ''))}, "
            f"bounds {how})<br><small>Top: {e(str(a.get('top', '')))}</small><br>{verdict}"
            f"<table class='{TABLE_CLASS}-stability' style='border-collapse:collapse;font-size:12px'><thead><tr>"
            "<th>Criterion</th><th>Weight now</th><th>Stays on top between</th><th>Margin</th></tr></thead>"
            f"<tbody>{rows}</tbody></table></div>")


def explanation_html(e: dict, catalog: Catalog, label: str) -> str:
    """Why one combination scores as it does (:func:`decision.explain`): per tool and criterion the marginal
    contribution (value with the tool minus value without it), then the interactions that fired and the red lines."""
    esc = html.escape
    crit = catalog.criteria
    marg = e["tools"].pivot_table(index="name", columns="criterion", values="marginal", sort=False)
    head = "".join(f"<th class='num'>{esc(c.name)}{' (cost)' if c.direction == 'cost' else ''}</th>" for c in crit)
    rows = "".join(f"<tr><td>{esc(name)}</td>" + "".join(f"<td class='num'>{r[c.id]:+.2f}</td>" for c in crit)
                   + "</tr>" for name, r in marg.iterrows())
    vals = "".join(f"<td class='num'><b>{e['values'][c.id]:.2f}</b></td>" for c in crit)
    inter = "".join(f"<li>{esc(r.kind)}: {esc(next(c.name for c in crit if c.id == r.criterion))} "
                    f"{r.effect:+.1f}: {esc(r.rationale)}</li>" for r in e["interactions"].itertuples()) \
        or "<li>none</li>"
    red = "".join(f"<li>{esc(r.criterion)} {r.value:.2f} ({'max' if r.max == r.max and r.max is not None else 'min'} "
                  f"{(r.max if r.max == r.max and r.max is not None else r.min):g})</li>"
                  for r in e["red_lines"].itertuples())
    return (f"<div class='decision-explain'><b>{esc(label)}</b><table style='border-collapse:collapse;"
            f"font-size:12px'><thead><tr><th>What each tool adds</th>{head}</tr></thead><tbody>{rows}"
            f"<tr><td><b>Combination value</b></td>{vals}</tr></tbody></table><small>Synergies and conflicts that "
            f"fire:</small><ul style='margin:2px 0'>{inter}</ul><small>Red lines:</small><ul style='margin:2px 0'>"
            f"{red or '<li>none</li>'}</ul></div>")


def _running_loop():
    try:
        return asyncio.get_running_loop()
    except RuntimeError:
        return None


# ----------------------------------------------------------------------------------------------------------------
# The controller

@dataclass
class _Result:
    state: ViewState
    ranker: Ranker
    ranking: pd.DataFrame
    stability: pd.DataFrame | None = None
    timings: dict = field(default_factory=dict)


class Dashboard:
    """Controls, outputs and the update logic of the dashboard. Display it with ``dash.widget`` (or just ``dash``).

    ``catalog``: a Catalog, a folder, or None for the bundled one. ``scenario``: scenario id (default: the
    catalogue's). ``preset``: a weight profile name (decision.profiles), ignored if ``weights`` is given; default
    "balanced" when that profile exists, else equal weights. ``profiles_dir``: where "export current view" writes and
    where user profiles are listed (default: decision.profiles' user folder). ``debounce``: seconds folding rapid
    changes into one update (0: update at once). ``sensitivity``: recompute the stability panel after changes.
    """

    def __init__(self, catalog: Catalog | str | Path | None = None, scenario: str | None = None, *,
                 method: str = DEFAULT_METHOD, weights=None, preset: str | None = None, top: int = 10,
                 max_tools: int | None = None, profiles_dir: str | Path | None = None,
                 debounce: float = DEFAULT_DEBOUNCE, sensitivity: bool = True):
        self.catalog = catalog if isinstance(catalog, Catalog) else load_catalog(catalog)
        cat = self.catalog
        scenario = cat.scenario(scenario).id                        # validates
        if method not in METHOD_LABELS:
            raise DecisionError(f"unknown method '{method}'; choose one of {', '.join(METHOD_LABELS)}")
        self.profiles_dir = profiles_dir
        self.debounce = float(debounce)
        self.ranking: pd.DataFrame | None = None
        self.stability: pd.DataFrame | None = None
        self.error: str | None = None
        self.last_exception: BaseException | None = None
        self.timings: dict[str, float] = {}
        self.n_updates = 0
        self._cache: OrderedDict[tuple, Ranker] = OrderedDict()
        self._result: _Result | None = None
        self._pending = None
        self._pending_sensitivity = None
        self._last_update = -1e9
        self._quiet = 0
        self._names = {t.id: t.name for t in cat.tools}
        self._explained = None
        self._ids = {t.name: t.id for t in cat.tools}

        self._build_controls(scenario, method, top, max_tools)
        start = self._initial_weights(weights, preset)
        with self._silenced():
            for c, v in start.items():
                self.sliders[c].value = v
        self._refresh_weight_labels()
        ok = self.update(sensitivity=False)
        if not ok:
            raise DecisionError(f"the dashboard cannot start: {self.error}")
        self._build_figures()
        self._build_layout()
        self._refresh_explain_options()
        self.sensitivity_box.value = bool(sensitivity)
        if sensitivity:
            self.check_stability()
        self._wire()

    # -- construction ------------------------------------------------------------------------------------------
    def _build_controls(self, scenario, method, top, max_tools):
        cat = self.catalog
        desc = {"description_width": "130px"}
        full = W.Layout(width="100%")
        self.preset = W.Dropdown(options=self._preset_options(), value=CUSTOM, description="Weight profile",
                                 style=desc, layout=full)
        self.scenario = W.Dropdown(options=[(s.name, s.id) for s in cat.scenarios], value=scenario,
                                   description="Scenario", style=desc, layout=full)
        self.method = W.Dropdown(options=[(v, k) for k, v in METHOD_LABELS.items()], value=method,
                                 description="Method", style=desc, layout=full)
        default_cap = cat.constraints.max_tools if max_tools is None else int(max_tools)
        self.max_tools = W.IntSlider(value=default_cap, min=1, max=max(default_cap, min(len(cat.tools),
                                                                                          cat.constraints.max_tools + 2)),
                                     description="Max tools", continuous_update=False, style=desc, layout=full)
        self.top = W.IntSlider(value=int(top), min=1, max=max(25, int(top)), description="Show top",
                               continuous_update=False, style=desc, layout=full)
        horizons = [("none", None)] + ([(f"{m} months", float(m)) for m in HORIZONS] if cat.model.horizon else [])
        self.horizon = W.Dropdown(options=horizons, value=None, description="Time horizon", style=desc, layout=full,
                                  disabled=cat.model.horizon is None)
        self.sliders = {c.id: W.FloatSlider(value=0.0, min=0.0, max=1.0, step=0.01, readout_format=".2f",
                                            description=c.name, continuous_update=False, style=desc,
                                            layout=W.Layout(width="320px"))
                        for c in cat.criteria}
        for c in cat.criteria:
            self.sliders[c.id].add_class(f"decision-weight-{c.id}")
        self.weight_labels = {c.id: W.HTML(layout=W.Layout(width="44px")) for c in cat.criteria}
        names = [t.name for t in cat.tools]
        self.forced_in = W.TagsInput(value=[], allowed_tags=names, allow_duplicates=False,
                                     layout=W.Layout(width="98%"))
        self.forced_out = W.TagsInput(value=[], allowed_tags=names, allow_duplicates=False,
                                      layout=W.Layout(width="98%"))
        red = {rl.criterion: rl for rl in cat.constraints.red_lines}
        self.red_lines = {}
        for c in cat.criteria:
            rl = red.get(c.id)
            lo = rl.min if rl is not None and rl.min is not None else c.scale_min
            hi = rl.max if rl is not None and rl.max is not None else c.scale_max
            self.red_lines[c.id] = W.FloatRangeSlider(value=(lo, hi), min=c.scale_min, max=c.scale_max, step=0.1,
                                                      readout_format=".1f", description=c.name,
                                                      continuous_update=False, style=desc, layout=full)
        self.sensitivity_box = W.Checkbox(value=True, description="Check stability after each change", indent=False)
        self.export_name = W.Text(value="my-view", placeholder="profile name, e.g. my-view",
                                  layout=W.Layout(width="140px"))
        self.export_overwrite = W.Checkbox(value=False, description="overwrite", indent=False,
                                           layout=W.Layout(width="90px"))
        self.export_button = W.Button(description="Export", icon="save", layout=W.Layout(width="auto"),
                                      tooltip="Save the current weights (and settings, in the rationale) as a "
                                              "weight profile")
        self.table = W.HTML(layout=W.Layout(width="100%", overflow="auto"))
        self.table.add_class("decision-ranking-widget")
        self.status = W.HTML()
        self.status.add_class("decision-status")
        self.error_panel = W.HTML(layout=W.Layout(display="none"))
        self.error_panel.add_class("decision-error")
        self.sensitivity_panel = W.HTML()
        self.explain_rank = W.Dropdown(options=[("#1", 0)], value=0, description="Explain",
                                       layout=W.Layout(width="160px"))
        self.explain_panel = W.HTML()
        self.sensitivity_panel.add_class("decision-sensitivity")
        self.message = W.HTML()
        self.message.add_class("decision-message")

    def _initial_weights(self, weights, preset) -> dict[str, float]:
        crit = self.catalog.criterion_ids
        if weights is not None:
            w = direct(dict(weights) if isinstance(weights, (dict, pd.Series)) else weights, crit)
            return {c: float(w[c]) for c in crit}
        options = [v for _, v in self.preset.options if v != CUSTOM]
        if preset is None and "balanced" in options:
            preset = "balanced"
        if preset is not None:
            w = self._load_preset(preset)
            with self._silenced():
                self.preset.value = preset if preset in options else CUSTOM
            return w
        return {c: 1.0 / len(crit) for c in crit}

    def _build_figures(self):
        import plotly.graph_objects as go  # noqa: PLC0415  (plotly is imported only when a dashboard is built)
        cat = self.catalog
        self.profile_figure = go.FigureWidget(figures.profile_figure(self.ranking, cat.criteria))
        self.frequency_figure = go.FigureWidget(figures.tool_frequency_figure(self.ranking, cat.tools))

    def _build_layout(self):
        cat = self.catalog
        weights = W.VBox([W.HBox([self.sliders[c], self.weight_labels[c]]) for c in cat.criterion_ids])
        tools = W.VBox([W.HTML("<b>Must include</b> (type a tool's name)"), self.forced_in,
                        W.HTML("<b>Must exclude</b>"), self.forced_out])
        red = W.VBox([W.HTML("<small>A combination is feasible only if each value lies in its range "
                             "(the catalogue's red lines are pre-set).</small>"), *self.red_lines.values()])
        more = W.Accordion(children=[tools, red], titles=("Must include / exclude tools", "Red lines"))
        export = W.HBox([self.export_name, self.export_overwrite, self.export_button])
        controls = W.VBox([W.HTML("<b>Settings</b>"), self.preset, self.scenario, self.method, self.max_tools,
                           self.top, self.horizon, W.HTML("<b>Weights</b> <small>(share of the total at right)</small>"), weights,
                           more, self.sensitivity_box, W.HTML("<b>Export current view</b> as a weight profile"),
                           export, self.message],
                          layout=W.Layout(width="380px", min_width="380px", margin="0 12px 0 0"))
        self.explain_box = W.Accordion(children=[W.VBox([self.explain_rank, self.explain_panel])],
                                       titles=("Why is a combination ranked where it is?",), selected_index=None)
        outputs = W.VBox([self.status, self.error_panel, self.table, self.sensitivity_panel, self.explain_box,
                          self.profile_figure, self.frequency_figure], layout=W.Layout(flex="1 1 0", min_width="440px"))
        title = W.HTML("<h3 style='margin:4px 0'>Combinations of diplomatic tools, ranked</h3>"
                       f"<small><i>{html.escape(CAVEAT)}</i></small>")
        self.widget = W.VBox([title, W.HBox([controls, outputs], layout=W.Layout(flex_flow="row wrap",
                                                                                    align_items="flex-start"))])
        self.widget.add_class("decision-dashboard")
        self.widget.controller = self

    def _wire(self):
        for s in self.sliders.values():
            s.observe(self._on_weight, "value")
        self.preset.observe(self._on_preset, "value")
        for w in (self.scenario, self.method, self.max_tools, self.top, self.horizon, self.forced_in, self.forced_out,
                  *self.red_lines.values()):
            w.observe(self._on_setting, "value")
        self.sensitivity_box.observe(self._on_sensitivity_box, "value")
        self.export_button.on_click(self._on_export)
        self.explain_rank.observe(self._on_explain, "value")
        self.explain_box.observe(self._on_explain, "selected_index")

    # -- state ---------------------------------------------------------------------------------------------------
    @property
    def state(self) -> ViewState:
        """The settings the controls hold right now (raises DecisionError for an unknown tool name)."""
        cat = self.catalog
        red = []
        for c in cat.criteria:
            lo, hi = self.red_lines[c.id].value
            lo = None if lo <= c.scale_min + 1e-9 else round(float(lo), 6)
            hi = None if hi >= c.scale_max - 1e-9 else round(float(hi), 6)
            if lo is not None or hi is not None:
                red.append((c.id, lo, hi))
        return ViewState(scenario=self.scenario.value, method=self.method.value, max_tools=int(self.max_tools.value),
                         top=int(self.top.value), weights={c: float(s.value) for c, s in self.sliders.items()},
                         forced_in=self._tool_ids(self.forced_in.value), forced_out=self._tool_ids(self.forced_out.value),
                         red_lines=tuple(red), preset=None if self.preset.value == CUSTOM else self.preset.value,
                         horizon=self.horizon.value)

    def _tool_ids(self, names) -> tuple[str, ...]:
        out = []
        for n in names:
            if n in self._ids:
                out.append(self._ids[n])
            elif n in self._names:                                  # an id typed instead of a name
                out.append(n)
            else:
                raise DecisionError(f"unknown tool '{n}'; type a tool's name as listed (e.g. {self.catalog.tools[0].name})")
        return tuple(out)

    def _tool_names(self, tools) -> list[str]:
        """Display names of tools given by id or name (DecisionError for an unknown one)."""
        return [self._names[t] for t in self._tool_ids(tools)]

    def set(self, *, weights=None, preset=None, scenario=None, method=None, max_tools=None, top=None,
            forced_in=None, forced_out=None, red_lines=None, horizon=None, update: bool = True) -> bool:
        """Change several controls at once (as the analyst would), then update once. ``weights``: a mapping
        criterion -> raw value (others unchanged); ``forced_in``/``forced_out``: tool ids or names; ``red_lines``:
        {criterion: (min, max)} (None = the scale's end). Returns True if the update succeeded."""
        tags = {k: self._tool_names(v) for k, v in (("in", forced_in), ("out", forced_out)) if v is not None}
        with self._silenced():
            if preset is not None:
                for c, v in self._load_preset(preset).items():
                    self.sliders[c].value = v
                self.preset.value = preset if preset in [v for _, v in self.preset.options] else CUSTOM
            if weights is not None:
                unknown = [c for c in weights if c not in self.sliders]
                if unknown:
                    raise DecisionError(f"unknown criterion '{unknown[0]}'; known: {', '.join(self.sliders)}")
                for c, v in weights.items():
                    self.sliders[c].value = float(v)
                self.preset.value = CUSTOM
            for widget, value in ((self.scenario, scenario), (self.method, method), (self.max_tools, max_tools),
                                  (self.top, top), (self.horizon, None if horizon is None else float(horizon))):
                if value is not None:
                    widget.value = value
            for key, widget in (("in", self.forced_in), ("out", self.forced_out)):
                if key in tags:
                    widget.value = tags[key]
            if red_lines is not None:
                for c, (lo, hi) in red_lines.items():
                    cr = self.catalog.criterion(c)
                    self.red_lines[c].value = (cr.scale_min if lo is None else lo, cr.scale_max if hi is None else hi)
        self._refresh_weight_labels()
        return self.update() if update else True

    # -- updating ------------------------------------------------------------------------------------------------
    def update(self, sensitivity: bool | None = None) -> bool:
        """Recompute and redraw now from the controls' values. Returns False (and shows the error in the panel,
        keeping the controls as they are) if the settings are not usable."""
        self._cancel(self._pending)
        self._pending = None
        try:
            return self._update(sensitivity)
        finally:
            self._last_update = time.monotonic()

    def _update(self, sensitivity):
        t0 = time.perf_counter()
        try:
            state = self.state
            ranker, built = self._ranker(state)
            t1 = time.perf_counter()
            ranking = ranker.rank(state.weights, state.method, state.top)
            t2 = time.perf_counter()
            table = ranking_table_html(ranking, self.catalog, state)
        except DecisionError as exc:
            self._fail(str(exc))
            return False
        except Exception as exc:  # a bug: show it in the panel too, keep the traceback for a report
            self._bug(exc)
            return False
        self.ranking = ranking
        self.error = None
        self._result = _Result(state, ranker, ranking)
        self.table.value = table
        try:
            self._draw_figures(ranking, state)
        except Exception as exc:  # noqa: BLE001  (a drawing bug must not lose the table)
            self._bug(exc)
            return False
        self.error_panel.value, self.error_panel.layout.display = "", "none"
        t3 = time.perf_counter()
        self.n_updates += 1
        self.timings = {"total_ms": (t3 - t0) * 1e3, "build_ms": (t1 - t0) * 1e3 if built else 0.0,
                        "rank_ms": (t2 - t1) * 1e3, "draw_ms": (t3 - t2) * 1e3}
        self._draw_status(state, ranker)
        self._refresh_explain_options()
        if sensitivity is None:
            sensitivity = self.sensitivity_box.value
        if sensitivity:
            self._schedule_sensitivity()
        return True

    def _ranker(self, state: ViewState) -> tuple[Ranker, bool]:
        key = state.build_key
        if key in self._cache:
            self._cache.move_to_end(key)
            return self._cache[key], False
        p = build_portfolios(self.catalog, state.scenario, max_tools=state.max_tools, constraints=state.constraints,
                             horizon=state.horizon)
        ranker = Ranker(p)
        ranker.normalised                                     # noqa: B018  (pay the one-off normalisation now)
        self._cache[key] = ranker
        while len(self._cache) > CACHE_SIZE:
            self._cache.popitem(last=False)
        return ranker, True

    def _draw_figures(self, ranking: pd.DataFrame, state: ViewState):
        if not hasattr(self, "profile_figure"):
            return
        cat = self.catalog
        prof = figures.profile_data(ranking, cat.criteria)
        freq = figures.tool_frequency_data(ranking, cat.tools)
        with self.profile_figure.batch_update():
            for trace, d in zip(self.profile_figure.data, prof):
                trace.x, trace.y = d["x"], d["y"]
            self.profile_figure.layout.height = max(320, 60 * len(ranking) + 120)
        with self.frequency_figure.batch_update():
            bar = self.frequency_figure.data[0]
            bar.x, bar.y = freq["x"], freq["y"]
            self.frequency_figure.layout.title.text = f"Tools in the top {len(ranking)} combinations"
            self.frequency_figure.layout.xaxis.range = [0, max(1, len(ranking))]
            self.frequency_figure.layout.height = max(280, 26 * len(freq["y"]) + 120)

    def _draw_status(self, state: ViewState, ranker: Ranker):
        t = self.timings
        sc = self.catalog.scenario(state.scenario)
        built = f", rebuilt combinations {t['build_ms']:.0f} ms" if t.get("build_ms") else ""
        self.status.value = (f"<small><b>{len(ranker.portfolios):,}</b> feasible combinations · scenario "
                             f"<b>{html.escape(sc.name)}</b> · {html.escape(METHOD_LABELS[state.method])} · "
                             f"updated in <span class='decision-update-ms'>{t['total_ms']:.0f}</span> ms"
                             f"{built} · <i>scores are illustrative</i></small>")

    def _bug(self, exc: BaseException):
        log.exception("dashboard update failed", exc_info=exc)
        self.last_exception = exc
        self._fail(f"internal error ({type(exc).__name__}: {exc}); please report it with the settings above")

    def _fail(self, message: str):
        self.error = message
        if self._result is not None:
            self.table.value = ranking_table_html(self._result.ranking, self.catalog, self._result.state, stale=True)
        self.error_panel.value = (f"<div style='color:#8a1c1c;background:#fdecea;padding:6px;border-radius:4px'>"
                                  f"<b>Could not update:</b> {html.escape(message)}<br><small>Your settings are kept; "
                                  "the table below still shows the last valid result. Change a setting to retry."
                                  "</small></div>")
        self.error_panel.layout.display = None

    def _refresh_weight_labels(self):
        raw = {c: float(s.value) for c, s in self.sliders.items()}
        total = sum(raw.values())
        for c, lab in self.weight_labels.items():
            lab.value = f"<span title='normalised weight'>{raw[c] / total:.0%}</span>" if total > 0 else "–"

    # -- explanation ---------------------------------------------------------------------------------------------
    def _refresh_explain_options(self):
        if not hasattr(self, "explain_box"):
            return
        options = tuple((f"#{int(r)}", k) for k, r in enumerate(self.ranking["rank"]))
        keep = min(self.explain_rank.value or 0, len(options) - 1)
        with self._silenced():                          # no explanation per intermediate value
            if tuple(self.explain_rank.options) != options:
                self.explain_rank.options = options
            self.explain_rank.value = keep
        self.explain_current()

    def _on_explain(self, _change):
        if not self._quiet:
            self.explain_current()

    def explain_current(self, position: int | None = None) -> dict | None:
        """Explain the combination at ``position`` (0 = first row; default: the one picked in the panel) and show
        it when the panel is open; returns :func:`decision.explain`'s breakdown."""
        if position is not None:
            with self._silenced():
                self.explain_rank.value = position
        self._explained = None
        if self._result is None or self.explain_box.selected_index is None:
            return None
        row = self._result.ranking.iloc[self.explain_rank.value]
        e = explain(self.catalog, row["tool_ids"], self._result.state.scenario, self._result.state.horizon)
        self.explain_panel.value = explanation_html(e, self.catalog, f"#{int(row['rank'])}: {row['tools']}")
        self._explained = e
        return e

    # -- stability -----------------------------------------------------------------------------------------------
    def check_stability(self) -> pd.DataFrame | None:
        """Recompute the stability panel now for the current result; returns the stability table (None if the
        method has no stability analysis)."""
        self._cancel(self._pending_sensitivity)
        self._pending_sensitivity = None
        res = self._result
        self.stability = None
        if res is None:
            return None
        if res.state.method not in STABILITY_METHODS:
            self.sensitivity_panel.value = ("<small><b>Stability of the recommendation:</b> available for "
                                            "TOPSIS and the weighted sum; switch the method to see it.</small>")
            return None
        t0 = time.perf_counter()
        try:
            df = portfolio_stability(res.ranker.portfolios, res.state.weights, res.state.method)
        except DecisionError as exc:
            self.sensitivity_panel.value = f"<small>Stability not available: {html.escape(str(exc))}</small>"
            return None
        self.timings["stability_ms"] = (time.perf_counter() - t0) * 1e3
        res.stability = self.stability = df
        self.sensitivity_panel.value = stability_html(df, self.catalog)
        return df

    def _schedule_sensitivity(self):
        loop = _running_loop()
        self._cancel(self._pending_sensitivity)
        if loop is None or self.debounce <= 0:
            self.check_stability()
            return
        self.sensitivity_panel.value = "<small><i>Checking the stability of the new recommendation…</i></small>"
        self._pending_sensitivity = loop.call_later(SENSITIVITY_DELAY, self._scheduled_stability)

    def _scheduled_stability(self):
        try:
            self.check_stability()
        except Exception as exc:  # noqa: BLE001  (runs on the event loop: report in the panel, not only the log)
            log.exception("stability panel failed", exc_info=exc)
            self.sensitivity_panel.value = (f"<small>Stability check failed: {html.escape(type(exc).__name__)}: "
                                            f"{html.escape(str(exc))}</small>")

    # -- events --------------------------------------------------------------------------------------------------
    def _silenced(self):
        dash = self

        class _Quiet:
            def __enter__(self):
                dash._quiet += 1

            def __exit__(self, *exc):
                dash._quiet -= 1
        return _Quiet()

    def _schedule(self):
        loop = _running_loop()
        if loop is None or self.debounce <= 0:
            self.update()
            return
        if self._pending is not None:                         # folded into the update already scheduled
            return
        wait = self._last_update + self.debounce - time.monotonic()
        self._pending = loop.call_soon(self.update) if wait <= 0 else loop.call_later(wait, self.update)

    @staticmethod
    def _cancel(handle):
        if handle is not None:
            handle.cancel()

    def _on_weight(self, change):
        self._refresh_weight_labels()
        if self._quiet:
            return
        if self.preset.value != CUSTOM:
            with self._silenced():
                self.preset.value = CUSTOM
        self._schedule()

    def _on_preset(self, change):
        if self._quiet or change["new"] == CUSTOM:
            return
        try:
            w = self._load_preset(change["new"])
        except DecisionError as exc:
            self._fail(str(exc))
            return
        with self._silenced():
            for c, v in w.items():
                self.sliders[c].value = v
        self._refresh_weight_labels()
        self._schedule()

    def _on_setting(self, change):
        if not self._quiet:
            self._schedule()

    def _on_sensitivity_box(self, change):
        if change["new"]:
            self.check_stability()
        else:
            self._cancel(self._pending_sensitivity)
            self.sensitivity_panel.value = "<small>Stability check switched off.</small>"

    def _on_export(self, _button):
        try:
            path = self.export_profile(self.export_name.value.strip(), overwrite=self.export_overwrite.value)
        except DecisionError as exc:
            self.message.value = f"<span style='color:#8a1c1c'>Not saved: {html.escape(str(exc))}</span>"
            return
        self.message.value = f"<small>Saved profile to <code>{html.escape(str(path))}</code></small>"

    # -- profiles ------------------------------------------------------------------------------------------------
    def _preset_options(self) -> list[tuple[str, str]]:
        opts: list[tuple[str, str]] = [(CUSTOM, CUSTOM)]
        try:
            df = P.list_profiles(self.profiles_dir, self.catalog)
        except DecisionError:
            return opts
        for _, r in df.iterrows():
            if r["status"] == "ok":
                opts.append((f"{r['name']} ({r['source']})", r["name"]))
        return opts

    def _load_preset(self, name: str) -> dict[str, float]:
        w = P.load_profile(name, self.catalog, self.profiles_dir).weights
        return {c: float(w[c]) for c in self.catalog.criterion_ids}

    def export_profile(self, name: str, overwrite: bool = False, author: str = "dashboard export") -> Path:
        """Write the current weights as a weight profile ``name`` (method ``direct``; scenario, method, tool limits,
        forced tools and red lines are recorded in its rationale). Atomic write; returns the path."""
        st = self.state
        norm = st.normalised                                  # raises if all weights are zero
        cat = self.catalog
        names = lambda ids: ", ".join(self._names[t] for t in ids) or "none"  # noqa: E731
        red = "; ".join(f"{c}" + (f" >= {lo:g}" if lo is not None else "") + (f" <= {hi:g}" if hi is not None else "")
                        for c, lo, hi in st.red_lines) or "none"
        rationale = (f"Exported from the dashboard. Scenario {st.scenario} ({cat.scenario(st.scenario).name}), method "
                     f"{st.method}, at most {st.max_tools} tools, top {st.top} shown. Must include: "
                     f"{names(st.forced_in)}. Must exclude: {names(st.forced_out)}. Red lines: {red}. Catalogue "
                     f"digest {cat.digest[:12]}.")
        prof = P.make_profile(name, "direct", {c: round(norm[c], 6) for c in cat.criterion_ids}, cat.criterion_ids,
                              author=author, rationale=rationale)
        path = P.save_profile(prof, self.profiles_dir, overwrite=overwrite)
        with self._silenced():
            self.preset.options = self._preset_options()
            if name in [v for _, v in self.preset.options]:
                self.preset.value = name
        return path

    # -- display -------------------------------------------------------------------------------------------------
    def _repr_mimebundle_(self, **kwargs):
        return self.widget._repr_mimebundle_(**kwargs)

    def summary(self, decimals: int = 3) -> pd.DataFrame:
        """The current ranked table (rank, tools, values, preference), rounded, for printing."""
        df = self.ranking[["rank", "preference", *self.catalog.criterion_ids, "n_tools", "tools"]]
        return df.round(decimals).reset_index(drop=True)


def dashboard(catalog: Catalog | str | Path | None = None, scenario: str | None = None, **options) -> W.VBox:
    """The dashboard's ipywidgets layout (display it in JupyterLab). Its controller is ``.controller`` (a
    :class:`Dashboard`); ``options`` are :class:`Dashboard`'s keyword arguments."""
    return Dashboard(catalog, scenario, **options).widget


__all__ = ["Dashboard", "ViewState", "dashboard", "ranking_table_html", "stability_html"]
