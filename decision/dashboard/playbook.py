"""The dashboard's Playbook panel: how many reviews over how many months, the review tree and the plan as text.

Solved only while the panel is open. A weight change re-solves the cached review tree (about 15 ms) and updates
the tree's FigureWidget in place (:func:`.render.draw_plan`): the tree first, then the panel's text, so the
browser draws the tree before laying out the 13 KB of nested lists.
"""
from __future__ import annotations

import logging
import time

import ipywidgets as W

from ..strategy.compare import compare_courses, courses_html
from . import render as R
from .state import PLAN_MAX_MONTHS, PLAN_MAX_REVIEWS, PLAN_MONTHS, PLAN_REVIEWS, View, ViewModel

log = logging.getLogger(__name__)


class PlaybookPanel:
    """An Accordion (closed at first) holding the length controls, the tree and the text. ``current`` returns the
    dashboard's current :class:`View` (None before the first valid update)."""

    def __init__(self, model: ViewModel, current):
        import plotly.graph_objects as go  # noqa: PLC0415  (plotly is imported only when a dashboard is built)
        self.model, self.current = model, current
        self.plan, self.error, self.solve_ms = None, "", None
        self.last_exception: BaseException | None = None          # a playbook bug, kept for a report
        self.reviews = W.BoundedIntText(value=PLAN_REVIEWS, min=1, max=PLAN_MAX_REVIEWS, description="Reviews",
                                        tooltip=f"review points in the horizon (1-{PLAN_MAX_REVIEWS})",
                                        layout=W.Layout(width="160px"))
        self.months = W.BoundedIntText(value=PLAN_MONTHS, min=1, max=PLAN_MAX_MONTHS, description="Months",
                                       tooltip=f"horizon in months (1-{PLAN_MAX_MONTHS}); reviews split it evenly",
                                       layout=W.Layout(width="160px"))
        self.figure = go.FigureWidget()                   # drawn when the panel is first opened
        self.figure.layout.height = 460
        self.panel = W.HTML(layout=W.Layout(width="100%", max_height="360px", overflow="auto"))
        self.panel.add_class("decision-playbook-widget")
        lengths = W.HBox([self.reviews, self.months, W.HTML("<small>reviews split the months evenly</small>")])
        self.box = W.Accordion(children=[W.VBox([lengths, self.figure, self.panel])],     # controls, tree, text
                               titles=("Playbook: what to do now and at each review if the ally complies, stalls "
                                       "or retaliates",), selected_index=None)
        self.box.add_class("decision-playbook-box")
        self.box.observe(self._on_change, "selected_index")
        self.reviews.observe(self._on_change, "value")
        self.months.observe(self._on_change, "value")

    @property
    def is_open(self) -> bool:
        return self.box.selected_index is not None

    def refresh(self, view: View | None = None):
        """Re-solve the playbook for ``view`` (default: the dashboard's current one) and redraw the tree in place,
        then the text; returns the :class:`decision.strategy.Plan` (None with ``error`` set when no playbook meets
        every principle)."""
        view = self.current() if view is None else view
        if view is None:
            return None
        t0 = time.perf_counter()
        try:
            plan, error = self.model.plan(view.state, int(self.reviews.value), int(self.months.value))
            self.solve_ms = (time.perf_counter() - t0) * 1e3
            compared = ""
            if plan is not None:
                R.draw_plan(self.figure, plan)
                problem = self.model.problem(view.state, int(self.reviews.value), int(self.months.value))
                compared = courses_html(compare_courses(problem, plan, methods=("wsm",)), plan)
            self.panel.value = R.playbook_html(plan, error, self.solve_ms, compared)
        except Exception as exc:  # noqa: BLE001  (a playbook bug must not lose the ranking)
            log.exception("playbook failed", exc_info=exc)
            self.last_exception = exc
            plan, error = None, f"internal error ({type(exc).__name__}: {exc})"
            self.panel.value = R.playbook_html(None, error)
        self.plan, self.error = plan, error
        return plan

    def _on_change(self, _change):
        if self.is_open:
            self.refresh()
