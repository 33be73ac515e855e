"""The dashboard's stability panel and the bottom line's "how sure" sentence.

Both take 0.3-1.5 s, so they never delay the table: after a change they run ``SENSITIVITY_DELAY`` seconds after the
last one (a true debounce on the kernel's asyncio loop); without a running loop (plain Python, tests) at once.
"""
from __future__ import annotations

import html
import logging
import time

import ipywidgets as W
import pandas as pd

from ..errors import DecisionError
from ..ranking import method_of
from ..robustness import PORTFOLIO_METHODS, portfolio_stability
from . import render as R
from .schedule import running_loop
from .state import ViewModel

log = logging.getLogger(__name__)

SENSITIVITY_DELAY = 0.4
"""Seconds of quiet after the last change before the stability panel and the bottom line's confidence are
recomputed."""
STABILITY_METHODS = PORTFOLIO_METHODS
"""The methods with a stability panel at import time; the panel reads ``Method.portfolio`` (decision.ranking)."""


class StabilityPanel:
    """The weight ranges that keep the recommendation (:func:`decision.robustness.portfolio_stability`) and the
    bottom line's confidence, written into ``bottom_line`` (an HTML widget). ``current`` returns the dashboard's
    current :class:`~.state.View`."""

    def __init__(self, model: ViewModel, bottom_line: W.HTML, current, debounce: float):
        self.model, self.bottom_line, self.current, self.debounce = model, bottom_line, current, debounce
        self.catalog = model.catalog
        self.panel = W.HTML()
        self.panel.add_class("decision-sensitivity")
        self.pending = None
        self.ms: float | None = None
        self.scores: tuple[str | None, int] = (None, 0)     # (settings, draws) the bottom line's scores were asked for

    def check(self) -> pd.DataFrame | None:
        """Recompute both now for the current view; returns the stability table (None if the method has none)."""
        self.cancel()
        view = self.current()
        if view is None:
            return None
        view.stability = None
        t0 = time.perf_counter()
        df = None
        if not method_of(view.state.method).portfolio:
            self.panel.value = ("<small><b>Stability of the recommendation:</b> available for TOPSIS and the weighted "
                                "sum; switch the method to see it.</small>")
        else:
            try:
                df = portfolio_stability(view.ranker.portfolios, view.state.weights, view.state.method)
            except DecisionError as exc:
                self.panel.value = f"<small>Stability not available: {html.escape(str(exc))}</small>"
            else:
                view.stability = df
                self.panel.value = R.stability_html(df, self.catalog)
        try:                                  # with the score draws still, if they were asked for these settings
            held = self.scores[1] if self.scores[0] == repr(view.state) else 0
            self.model.confidence(view, score_samples=held)
            self.bottom_line.value = R.bottom_line_html(view.bottom_line())
        except DecisionError as exc:
            log.info("bottom-line confidence not available: %s", exc)
        self.ms = (time.perf_counter() - t0) * 1e3
        return df

    def with_scores(self, samples: int) -> None:
        """Recompute the bottom line's confidence with ``samples`` score draws too (its "How sure" then leads with
        the figure that covers the expert scores, as the briefing's does); the next change reverts to the weights."""
        view = self.current()
        if view is None or view.options.basis != "playbook":
            return
        self.scores = (repr(view.state), samples)     # a check still pending for these settings keeps them
        try:
            self.model.confidence(view, score_samples=samples)
            self.bottom_line.value = R.bottom_line_html(view.bottom_line())
        except DecisionError as exc:
            log.info("bottom-line confidence with scores not available: %s", exc)

    def schedule(self) -> None:
        """Check after ``SENSITIVITY_DELAY`` seconds of quiet (at once without a running loop or debounce)."""
        loop = running_loop()
        self.cancel()
        if loop is None or self.debounce <= 0:
            self.check()
            return
        self.panel.value = "<small><i>Checking the stability of the new recommendation…</i></small>"
        self.pending = loop.call_later(SENSITIVITY_DELAY, self._scheduled)

    def cancel(self) -> None:
        if self.pending is not None:
            self.pending.cancel()
        self.pending = None

    def switch_off(self) -> None:
        self.cancel()
        self.panel.value = "<small>Stability check switched off.</small>"

    def _scheduled(self):
        self.pending = None
        try:
            self.check()
        except Exception as exc:  # noqa: BLE001  (runs on the event loop: report in the panel, not only the log)
            log.exception("stability panel failed", exc_info=exc)
            self.panel.value = (f"<small>Stability check failed: {html.escape(type(exc).__name__)}: "
                                f"{html.escape(str(exc))}</small>")
