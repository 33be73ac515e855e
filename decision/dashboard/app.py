"""The dashboard's wiring: :class:`Dashboard` connects the controls to the view model and the renderers (events,
throttling, the first build). How an update runs is described in the package docstring (:mod:`decision.dashboard`).
"""
from __future__ import annotations

import logging
import time
from pathlib import Path

import ipywidgets as W
import pandas as pd

from ..catalog import Catalog, load_catalog
from ..errors import DecisionError
from ..ranking import DEFAULT_METHOD
from . import render as R
from .controls import Controls
from .events import Events
from .fit import FitAgent
from .layout import arrange
from .presets import Presets
from .results import Results
from .schedule import Throttle, running_loop
from .state import View, ViewModel, ViewState

log = logging.getLogger(__name__)

DEFAULT_DEBOUNCE = 0.04
"""Seconds after an update during which further control changes are folded into one (trailing) update."""


class Dashboard:
    """Wires :class:`~.controls.Controls` (widgets) to :class:`~.state.ViewModel` (computing) through
    :class:`~.results.Results` (the panels, and drawing a view). Display it with ``dash.widget`` (or just ``dash``);
    every widget and panel is also an attribute of the dashboard (``dash.sliders``, ``dash.table``, ``dash.playbook``,
    ``dash.plan``...).

    ``catalog``: a Catalog, a folder, or None for the bundled one. ``scenario``: scenario id (default: the
    catalogue's). ``preset``: a weight profile name (decision.profiles), ignored if ``weights`` is given; default
    "balanced" when that profile exists, else equal weights. ``profiles_dir``: where "export current view" writes and
    where user profiles are listed (default: decision.profiles' user folder). ``debounce``: seconds folding rapid
    changes into one update (0: update at once). ``sensitivity``: recompute the stability panel and the bottom
    line's confidence after changes. ``defer``: return at once and build the first view on the kernel's loop,
    with a progress line, so the dashboard shows while the combinations build (default: when a loop runs, as in a
    notebook; anything that reads a result first finishes the build); otherwise build now and raise
    DecisionError when the settings cannot start.
    """

    def __init__(self, catalog: Catalog | str | Path | None = None, scenario: str | None = None, *,
                 method: str = DEFAULT_METHOD, weights=None, preset: str | None = None, top: int = 10,
                 max_tools: int | None = None, profiles_dir: str | Path | None = None,
                 debounce: float = DEFAULT_DEBOUNCE, sensitivity: bool = True, defer: bool | None = None):
        self.catalog = catalog if isinstance(catalog, Catalog) else load_catalog(catalog)
        scenario = self.catalog.scenario(scenario).id                # validates
        if method not in R.METHOD_LABELS:
            raise DecisionError(f"unknown method '{method}'; choose one of {', '.join(R.METHOD_LABELS)}")
        self.profiles_dir = profiles_dir
        self.debounce = float(debounce)
        self.model = ViewModel(self.catalog)
        self.controls = Controls(self.catalog, scenario, method, top, max_tools, profiles_dir)
        self.presets = Presets(self.catalog, self.controls, profiles_dir)
        self._view: View | None = None
        self.error: str | None = None
        self.last_exception: BaseException | None = None
        self.timings: dict[str, float] = {}
        self.n_updates = 0
        self.events = Events(self)
        self._starting = None
        self._throttle = Throttle(self.update, self.debounce)
        self.results = Results(self.catalog, self.model, self.controls, lambda: self.view, self.debounce)
        self.fit = FitAgent()
        with self.events.silenced():
            for c, v in self.presets.initial(weights, preset).items():
                self.sliders[c].value = v
        self.controls.refresh_weight_labels()
        self.widget = arrange(self.controls, self.fit, self.results.boxes)
        self.widget.controller = self
        self.sensitivity_box.value = bool(sensitivity)
        self.events.wire()
        loop = running_loop()
        if loop is not None and (defer or defer is None):
            self._progress(1, "starting…")
            self._starting = loop.call_soon(self._start)
        elif not self._start():
            raise DecisionError(f"the dashboard cannot start: {self.error}")

    def __getattr__(self, name):                  # the widgets live on the controls, the panels on the results
        if name.startswith("__") or name in ("controls", "results"):
            raise AttributeError(name)
        for owner in ("controls", "results"):
            if owner in self.__dict__ and hasattr(self.__dict__[owner], name):
                return getattr(self.__dict__[owner], name)
        raise AttributeError(f"'Dashboard' object has no attribute '{name}'")

    # -- what it shows -------------------------------------------------------------------------------------------
    @property
    def view(self) -> View | None:
        """The current :class:`View` (finishes the first build if it is still scheduled)."""
        if self._starting is not None:
            self._start()
        return self._view

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

    @property
    def profile_figure(self):
        """The criterion-profile chart (a plotly FigureWidget; None until a view was drawn)."""
        return None if self.view is None else self.results.charts.profile

    @property
    def frequency_figure(self):
        return None if self.view is None else self.results.charts.frequency

    # -- starting ------------------------------------------------------------------------------------------------
    def _start(self) -> bool:
        """Build, rank and draw the first view, each step on the progress line; then schedule the stability
        check. Returns whether the first view could be drawn (else the error panel says why)."""
        if self._starting is not None:
            self._starting.cancel()
            self._starting = None
        t0 = time.perf_counter()
        try:
            state = self.state
            sc = self.catalog.scenario(state.scenario)
            self._progress(1, f"building the combinations of up to {state.max_tools} of {len(self.catalog.tools)} "
                              f"tools for {sc.name} (the first build after the kernel starts can take 10-40 s)…")
            n = len(self.model.ranker(state)[0].portfolios)
            self._progress(2, f"ranking the {n:,} feasible combinations and picking the distinct options…")
        except DecisionError:
            pass                                          # the update below shows why
        ok = self.update(sensitivity=False)
        self.timings["start_s"] = time.perf_counter() - t0
        self.controls.progress.layout.display = "none"
        if ok and self.sensitivity_box.value:
            if running_loop() is None or self.debounce <= 0:
                self.check_stability()
            else:
                self.results.stability_panel.schedule()
        self.fit.scroll += 1                              # the results are drawn: bring the dashboard into view
        return ok

    def _progress(self, step: int, text: str) -> None:
        self.results.progress(step, text)

    # -- updating ------------------------------------------------------------------------------------------------
    def update(self, sensitivity: bool | None = None) -> bool:
        """Recompute and redraw now from the controls' values. Returns False (and shows the error in the panel,
        keeping the controls as they are) if the settings are not usable."""
        if self._starting is not None:
            return self._start()
        try:
            return self._update(sensitivity)
        finally:
            self._throttle.ran()

    def _update(self, sensitivity):
        t0 = time.perf_counter()
        try:
            view = self.model.view(self.state)
            html = self.results.html(view)
        except DecisionError as exc:
            self.fail(str(exc))
            return False
        except Exception as exc:  # a bug: show it in the panel too, keep the traceback for a report
            self._bug(exc)
            return False
        t1 = time.perf_counter()
        self._view, self.error = view, None
        playbook_ms = self.results.show(view, html)
        try:
            self.results.draw_charts(view)
        except Exception as exc:  # noqa: BLE001  (a drawing bug must not lose the table)
            self._bug(exc)
            return False
        t2 = time.perf_counter()
        self.n_updates += 1
        self.timings = {"total_ms": (t2 - t0) * 1e3, **view.timings, "draw_ms": (t2 - t1) * 1e3}
        if playbook_ms is not None:
            self.timings["playbook_ms"] = playbook_ms
        self.results.finish(view, self.timings)
        if sensitivity is None:
            sensitivity = self.sensitivity_box.value
        if sensitivity:
            self.results.stability_panel.schedule()
        return True

    def _bug(self, exc: BaseException):
        log.exception("dashboard update failed", exc_info=exc)
        self.last_exception = exc
        self.fail(f"internal error ({type(exc).__name__}: {exc}); please report it with the settings above")

    def fail(self, message: str) -> None:
        """Show ``message`` in the error panel; the last valid table stays, marked stale."""
        self.error = message
        self.results.show_error(message, self._view)

    def resize(self, change) -> None:
        """The browser measured the results column: the charts and the tree take its width."""
        try:
            self.results.resize(change["new"], self._view)
        except Exception as exc:  # noqa: BLE001  (runs on a browser message: report in the panel)
            self._bug(exc)

    # -- the panels (results.py: explanation, stability, playbook...) ---------------------------------------
    def explain_current(self, position: int | None = None) -> dict | None:
        """Explain the combination at ``position`` (0 = first row; default: the one picked in the panel) and show
        it when the panel is open; returns :func:`decision.explain`'s breakdown."""
        self.view                                                                 # noqa: B018  (finish starting)
        return self.results.explanation.explain(position)

    def check_stability(self) -> pd.DataFrame | None:
        """Recompute the stability panel and the bottom line's confidence now for the current view; returns the
        stability table (None if the method has no stability analysis)."""
        df = self.results.stability_panel.check()
        self.timings["stability_ms"] = self.results.stability_panel.ms
        return df

    def schedule(self) -> None:
        """A control changed: update through the throttle (nothing while the first build is still scheduled: it
        reads the controls when it runs)."""
        if self._starting is None:
            self._throttle()

    # -- changing several controls, profiles, display -------------------------------------------------------------
    def set(self, *, weights=None, preset=None, scenario=None, method=None, max_tools=None, top=None,
            forced_in=None, forced_out=None, red_lines=None, horizon=None, floor=None, capacity=None,
            update: bool = True) -> bool:
        """Change several controls at once (as the analyst would), then update once. ``weights``: a mapping
        criterion -> raw value (others unchanged); ``forced_in``/``forced_out``: tool ids or names; ``red_lines``:
        {criterion: (min, max)} (None = the scale's end); ``floor``: False (off), True (on, the scenario's points) or
        a number of points; ``capacity``: effort units (a new scenario resets both to its own values first).
        Returns True if the update succeeded."""
        tags = {k: self.controls.tool_names(v) for k, v in (("in", forced_in), ("out", forced_out)) if v is not None}
        if weights is not None and (unknown := [c for c in weights if c not in self.sliders]):
            raise DecisionError(f"unknown criterion '{unknown[0]}'; known: {', '.join(self.sliders)}")
        with self.events.silenced():
            self.controls.apply(weights=weights, preset=None if preset is None else self.presets.load(preset),
                                preset_name=preset, scenario=scenario, method=method, max_tools=max_tools, top=top,
                                tags=tags, red_lines=red_lines, horizon=horizon, floor=floor, capacity=capacity)
        self.controls.refresh_weight_labels()
        return self.update() if update else True

    def export_profile(self, name: str, overwrite: bool = False, author: str = "dashboard export") -> Path:
        """Write the current weights as a weight profile ``name`` (method ``direct``; scenario, method, tool limits,
        forced tools and red lines are recorded in its rationale). Atomic write; returns the path."""
        state = self.state
        with self.events.silenced():
            return self.presets.export(state, name, overwrite, author)

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
