"""The dashboard's wiring: :class:`Dashboard` connects the controls to the view model and the renderers (events,
debouncing, scheduling). How an update runs is described in the package docstring (:mod:`decision.dashboard`).
"""
from __future__ import annotations

import html
import logging
import time
from contextlib import contextmanager
from pathlib import Path

import ipywidgets as W
import pandas as pd

from .. import profiles as P
from ..catalog import Catalog, load_catalog
from ..errors import DecisionError
from ..ranking import DEFAULT_METHOD
from ..weights import direct
from . import render as R
from .controls import CUSTOM, Controls
from .explanation import ExplanationPanel
from .playbook import PlaybookPanel
from .stability import StabilityPanel, running_loop
from .state import View, ViewModel, ViewState

log = logging.getLogger(__name__)

DEFAULT_DEBOUNCE = 0.04
"""Seconds after an update during which further control changes are folded into one (trailing) update."""


class Dashboard:
    """Wires :class:`~.controls.Controls` (widgets) to :class:`~.state.ViewModel` (computing) through
    :mod:`~.render` (HTML and figures). Display it with ``dash.widget`` (or just ``dash``); every widget is also an
    attribute of the dashboard (``dash.sliders``, ``dash.table``, ...).

    ``catalog``: a Catalog, a folder, or None for the bundled one. ``scenario``: scenario id (default: the
    catalogue's). ``preset``: a weight profile name (decision.profiles), ignored if ``weights`` is given; default
    "balanced" when that profile exists, else equal weights. ``profiles_dir``: where "export current view" writes and
    where user profiles are listed (default: decision.profiles' user folder). ``debounce``: seconds folding rapid
    changes into one update (0: update at once). ``sensitivity``: recompute the stability panel and the bottom
    line's confidence after changes.
    """

    def __init__(self, catalog: Catalog | str | Path | None = None, scenario: str | None = None, *,
                 method: str = DEFAULT_METHOD, weights=None, preset: str | None = None, top: int = 10,
                 max_tools: int | None = None, profiles_dir: str | Path | None = None,
                 debounce: float = DEFAULT_DEBOUNCE, sensitivity: bool = True):
        self.catalog = catalog if isinstance(catalog, Catalog) else load_catalog(catalog)
        scenario = self.catalog.scenario(scenario).id                # validates
        if method not in R.METHOD_LABELS:
            raise DecisionError(f"unknown method '{method}'; choose one of {', '.join(R.METHOD_LABELS)}")
        self.profiles_dir = profiles_dir
        self.debounce = float(debounce)
        self.model = ViewModel(self.catalog)
        self.controls = Controls(self.catalog, scenario, method, top, max_tools, profiles_dir)
        self.view: View | None = None
        self.error: str | None = None
        self.last_exception: BaseException | None = None
        self.timings: dict[str, float] = {}
        self.n_updates = 0
        self._pending = None
        self._last_update = -1e9
        self._quiet = 0
        current = lambda: self.view  # noqa: E731  (the panels always work on the latest view)
        self.explanation = ExplanationPanel(self.catalog, current)
        self.stability_panel = StabilityPanel(self.model, self.controls.bottom_line, current, self.debounce)
        self.playbook = PlaybookPanel(self.model, current)
        self.explain_box, self.explain_rank, self.explain_panel = (self.explanation.box, self.explanation.rank,
                                                                   self.explanation.panel)
        self.sensitivity_panel = self.stability_panel.panel
        start = self._initial_weights(weights, preset)
        with self._silenced():
            for c, v in start.items():
                self.sliders[c].value = v
        self.controls.refresh_weight_labels()
        if not self.update(sensitivity=False):
            raise DecisionError(f"the dashboard cannot start: {self.error}")
        import plotly.graph_objects as go  # noqa: PLC0415  (plotly is imported only when a dashboard is built)
        from .. import figures  # noqa: PLC0415
        self.profile_figure = go.FigureWidget(figures.profile_figure(self.ranking, self.catalog.criteria))
        self.frequency_figure = go.FigureWidget(figures.tool_frequency_figure(self.ranking, self.catalog.tools))
        self.widget = self.controls.layout(self.profile_figure, self.frequency_figure, self.sensitivity_panel,
                                           self.explain_box, self.playbook.box)
        self.widget.controller = self
        self.sensitivity_box.value = bool(sensitivity)
        if sensitivity:
            self.check_stability()
        self._wire()

    def __getattr__(self, name):                  # the widgets live on the controls
        if name.startswith("__") or name in ("controls",):
            raise AttributeError(name)
        try:
            return getattr(self.__dict__["controls"], name)
        except (KeyError, AttributeError):
            raise AttributeError(f"'Dashboard' object has no attribute '{name}'") from None

    @property
    def ranking(self) -> pd.DataFrame | None:
        return None if self.view is None else self.view.ranking

    @property
    def options(self):
        """The distinct options of the current view (:class:`decision.options.Options`)."""
        return None if self.view is None else self.view.options

    @property
    def stability(self) -> pd.DataFrame | None:
        return None if self.view is None else self.view.stability

    @property
    def state(self) -> ViewState:
        """The settings the controls hold right now (raises DecisionError for an unknown tool name)."""
        return self.controls.state()

    def _wire(self):
        c = self.controls
        for s in c.sliders.values():
            s.observe(self._on_weight, "value")
        c.preset.observe(self._on_preset, "value")
        c.scenario.observe(self._on_scenario, "value")
        for w in (c.method, c.max_tools, c.top, c.horizon, c.forced_in, c.forced_out, c.current,
                  c.floor_on, c.floor_points, c.capacity, *c.red_lines.values()):
            w.observe(self._on_setting, "value")
        c.sensitivity_box.observe(self._on_sensitivity_box, "value")
        c.export_button.on_click(self._on_export)

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

    def set(self, *, weights=None, preset=None, scenario=None, method=None, max_tools=None, top=None,
            forced_in=None, forced_out=None, red_lines=None, horizon=None, floor=None, capacity=None,
            update: bool = True) -> bool:
        """Change several controls at once (as the analyst would), then update once. ``weights``: a mapping
        criterion -> raw value (others unchanged); ``forced_in``/``forced_out``: tool ids or names; ``red_lines``:
        {criterion: (min, max)} (None = the scale's end); ``floor``: False (off), True (on, the scenario's points) or
        a number of points; ``capacity``: effort units (a new scenario resets both to its own values first).
        Returns True if the update succeeded."""
        tags = {k: self.controls.tool_names(v) for k, v in (("in", forced_in), ("out", forced_out)) if v is not None}
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
            if scenario is not None and scenario != self.scenario.value:
                self.scenario.value = scenario
                self.controls.reset_floor_and_capacity(scenario)
            if floor is not None:
                self.floor_on.value = floor is not False
                if floor is not True and floor is not False:
                    self.floor_points.value = float(floor)
                self.floor_points.disabled = not self.floor_on.value
            if capacity is not None:
                self.capacity.value = float(capacity)
            for widget, value in ((self.method, method), (self.max_tools, max_tools),
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
        self.controls.refresh_weight_labels()
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
            view = self.model.view(self.state)
            table = R.ranking_table_html(view.ranking, self.catalog, view.state, status_quo=view.options.status_quo)
            options = R.options_html(view.options, self.catalog)
        except DecisionError as exc:
            self._fail(str(exc))
            return False
        except Exception as exc:  # a bug: show it in the panel too, keep the traceback for a report
            self._bug(exc)
            return False
        t1 = time.perf_counter()
        self.view, self.error = view, None
        self.table.value, self.options_panel.value = table, options
        self.bottom_line.value = R.bottom_line_html(view.bottom_line())
        playbook_ms = None
        if self.playbook.is_open:          # before the two charts: their redraw would queue ahead of the tree's
            self.playbook.refresh(view)
            playbook_ms = self.playbook.solve_ms
        try:
            if hasattr(self, "profile_figure"):
                R.draw_figures(self.profile_figure, self.frequency_figure, view.ranking, self.catalog)
        except Exception as exc:  # noqa: BLE001  (a drawing bug must not lose the table)
            self._bug(exc)
            return False
        self.error_panel.value, self.error_panel.layout.display = "", "none"
        t2 = time.perf_counter()
        self.n_updates += 1
        self.timings = {"total_ms": (t2 - t0) * 1e3, **view.timings, "draw_ms": (t2 - t1) * 1e3}
        if playbook_ms is not None:
            self.timings["playbook_ms"] = playbook_ms
        st = view.ranker.portfolios.setting
        self.status.value = R.status_html(len(view.ranker.portfolios), self.catalog.scenario(view.state.scenario).name,
                                          view.state.method, self.timings, st.floor_text() if st else "",
                                          st.capacity if st else None, self.catalog.model.effort_cost)
        self.explanation.refresh(view.ranking)
        if sensitivity is None:
            sensitivity = self.sensitivity_box.value
        if sensitivity:
            self.stability_panel.schedule()
        return True

    def _bug(self, exc: BaseException):
        log.exception("dashboard update failed", exc_info=exc)
        self.last_exception = exc
        self._fail(f"internal error ({type(exc).__name__}: {exc}); please report it with the settings above")

    def _fail(self, message: str):
        self.error = message
        if self.view is not None:
            self.table.value = R.ranking_table_html(self.view.ranking, self.catalog, self.view.state, stale=True,
                                                    status_quo=self.view.options.status_quo)
        self.error_panel.value = R.error_html(message)
        self.error_panel.layout.display = None

    # -- the panels (explanation.py, stability.py, playbook.py) -----------------------------------------------
    def explain_current(self, position: int | None = None) -> dict | None:
        """Explain the combination at ``position`` (0 = first row; default: the one picked in the panel) and show
        it when the panel is open; returns :func:`decision.explain`'s breakdown."""
        return self.explanation.explain(position)

    def check_stability(self) -> pd.DataFrame | None:
        """Recompute the stability panel and the bottom line's confidence now for the current view; returns the
        stability table (None if the method has no stability analysis)."""
        df = self.stability_panel.check()
        self.timings["stability_ms"] = self.stability_panel.ms
        return df

    # -- playbook (decision.dashboard.playbook) -------------------------------------------------------------------
    @property
    def plan(self):
        """The playbook shown (:class:`decision.strategy.Plan`), None while the panel was never opened."""
        return self.playbook.plan

    @property
    def plan_error(self) -> str:
        return self.playbook.error

    @property
    def plan_figure(self):
        return self.playbook.figure

    @property
    def playbook_box(self):
        return self.playbook.box

    @property
    def playbook_panel(self):
        return self.playbook.panel

    def refresh_playbook(self):
        """Re-solve and redraw the playbook for the current view (see :meth:`.playbook.PlaybookPanel.refresh`)."""
        return self.playbook.refresh()

    # -- events --------------------------------------------------------------------------------------------------
    @contextmanager
    def _silenced(self):
        """Control changes made inside are not events (no update per intermediate value)."""
        self._quiet += 1
        try:
            yield
        finally:
            self._quiet -= 1

    def _schedule(self):
        loop = running_loop()
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
        self.controls.refresh_weight_labels()
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
        self.controls.refresh_weight_labels()
        self._schedule()

    def _on_scenario(self, change):
        if self._quiet:
            return
        with self._silenced():                     # the new scenario's own floor and capacity
            self.controls.reset_floor_and_capacity(change["new"])
        self._schedule()

    def _on_setting(self, change):
        if change["owner"] is self.floor_on:
            self.floor_points.disabled = not change["new"]
        if not self._quiet:
            self._schedule()

    def _on_sensitivity_box(self, change):
        if change["new"]:
            self.check_stability()
        else:
            self.stability_panel.switch_off()

    def _on_export(self, _button):
        try:
            path = self.export_profile(self.export_name.value.strip(), overwrite=self.export_overwrite.value)
        except DecisionError as exc:
            self.message.value = f"<span style='color:#8a1c1c'>Not saved: {html.escape(str(exc))}</span>"
            return
        self.message.value = f"<small>Saved profile to <code>{html.escape(str(path))}</code></small>"

    # -- profiles ------------------------------------------------------------------------------------------------
    def _load_preset(self, name: str) -> dict[str, float]:
        w = P.load_profile(name, self.catalog, self.profiles_dir).weights
        return {c: float(w[c]) for c in self.catalog.criterion_ids}

    def export_profile(self, name: str, overwrite: bool = False, author: str = "dashboard export") -> Path:
        """Write the current weights as a weight profile ``name`` (method ``direct``; scenario, method, tool limits,
        forced tools and red lines are recorded in its rationale). Atomic write; returns the path."""
        st = self.state
        norm = st.normalised                                  # raises if all weights are zero
        cat = self.catalog
        names = lambda ids: ", ".join(self.controls.tool_names(ids)) or "none"  # noqa: E731
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
            self.preset.options = self.controls.preset_options()
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


__all__ = ["Dashboard", "dashboard"]
