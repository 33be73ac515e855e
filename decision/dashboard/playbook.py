"""The dashboard's Playbook panel: how many reviews over how many months, the review tree and the plan as text.

Solved only while the panel is open. A weight change re-solves the cached review tree (about 15 ms) and updates
the tree's FigureWidget in place (:func:`.render.draw_plan`): the tree first, then the panel's text, so the
browser draws the tree before laying out the 13 KB of nested lists.

The tree's FigureWidget is created when the panel is first opened (a figure drawn inside a closed panel has no size
to measure and stayed empty), as wide as the panel's inside (:meth:`PlaybookPanel.resize`, from the width the
browser reports) with node labels wrapped whole to the width of one review column (never cut mid-word), the
reactions' legend under the title and one row per leaf however many reactions and reviews (up to 4 x 4).
"""
from __future__ import annotations

import logging
import time

import ipywidgets as W

from ..display import wrap_words
from ..figures import CHAR_PX
from ..strategy.compare import compare_courses, courses_html
from . import render as R
from .state import PLAN_MAX_MONTHS, PLAN_MAX_REVIEWS, PLAN_MONTHS, PLAN_REVIEWS, View, ViewModel

log = logging.getLogger(__name__)

INSET = 44
"""Pixels between the results column's width and the tree's (the open panel's padding and border, the margins)."""


SUBTITLE = ("opening and next package per reaction; labels: what each review changes",
            "darker node: likelier path; hover a node for its package; probabilities are illustrative")
"""The tree's subtitle lines in the dashboard (the interactive page: hovering works there)."""
SUBTITLE_NARROW = ("opening and next package per reaction; tap a node for what it changes (the list below says it "
                   "all)", "darker node: likelier path; probabilities are illustrative")
"""The subtitle below :data:`NARROW`, where the tree carries no change labels: a column of a phone-sized tree is
about 80 px, too narrow for them (they overlapped the lines and each other)."""


NARROW = 560
"""Below this width (px) the tree's legend wraps onto several rows (it goes under the tree) and its root label
needs a wider left margin."""


def narrow(width: int | None) -> bool:
    """The tree is narrower than :data:`NARROW` px (unknown widths are not)."""
    return bool(width) and width < NARROW


def tree_title(plan, width: int | None) -> tuple[str, int]:
    """The tree's title, its subtitle wrapped whole to ``width`` px (about 7 px per character of the smaller
    subtitle font; None: unwrapped), and its number of lines."""
    chars = max(24, int(width / 7)) if width else None
    subtitle = SUBTITLE_NARROW if narrow(width) else SUBTITLE
    lines = [line for sub in subtitle for line in (wrap_words(sub, chars, "\n").split("\n") if chars else [sub])]
    head = f"Playbook for {plan.scenario_name}"
    head = wrap_words(head, max(12, int(width / 9.5))) if width else head
    return f"{head}<br><sup>{'<br>'.join(lines)}</sup>", 1 + head.count("<br>") + len(lines)


def tree_layout(plan, width: int | None) -> dict:
    """The dashboard tree's layout over :func:`decision.strategy.figures.plan_figure`'s: ``width`` px (None:
    plotly's), the title wrapped to it (:func:`tree_title`) with the top margin its lines need, the reactions'
    legend under the title instead of under a tall tree."""
    text, lines = tree_title(plan, width)
    small = narrow(width)                            # the legend takes three rows: under the axis; "Opening" needs room
    legend = (dict(orientation="h", x=0, xanchor="left", y=-0.04, yanchor="top") if small
              else dict(orientation="h", x=0, xanchor="left", y=1.0, yanchor="bottom"))
    return dict(width=width, autosize=width is None,
                margin=dict(l=44 if small else 10, r=10, t=(16 if small else 40) + 22 * lines,
                            b=130 if small else 40),
                title=dict(text=text, x=0, xanchor="left", yref="container", y=1, yanchor="top", pad=dict(t=20)),
                legend=legend)


def label_chars(width: int | None, reviews: int) -> int:
    """Characters per line of a node label: the width of one review column (the tree spans ``reviews`` + 1 of
    them), 28 when the width is unknown, at least 12."""
    if not width:
        return 28
    return max(12, int(0.9 * (width - 20) / (reviews + 1) / CHAR_PX))


class PlaybookPanel:
    """An Accordion (closed at first) holding the length controls, the tree and the text. ``current`` returns the
    dashboard's current :class:`View` (None before the first valid update)."""

    def __init__(self, model: ViewModel, current):
        self.model, self.current = model, current
        self.plan, self.error, self.solve_ms = None, "", None
        self.last_exception: BaseException | None = None          # a playbook bug, kept for a report
        self.reviews = W.BoundedIntText(value=PLAN_REVIEWS, min=1, max=PLAN_MAX_REVIEWS, description="Reviews",
                                        tooltip=f"review points in the horizon (1-{PLAN_MAX_REVIEWS})",
                                        layout=W.Layout(width="160px"))
        self.months = W.BoundedIntText(value=PLAN_MONTHS, min=1, max=PLAN_MAX_MONTHS, description="Months",
                                       tooltip=f"horizon in months (1-{PLAN_MAX_MONTHS}); reviews split it evenly",
                                       layout=W.Layout(width="160px"))
        self.column = 0                                   # the results column's width (px; 0: not measured)
        self.figure = None                                # created when the panel is first opened
        self.tree = W.VBox(layout=W.Layout(width="100%"))
        self.panel = W.HTML(layout=W.Layout(width="100%", max_height="360px", overflow="auto"))
        self.panel.add_class("decision-playbook-widget")
        lengths = W.HBox([self.reviews, self.months, W.HTML("<small>reviews split the months evenly</small>")],
                         layout=W.Layout(flex_flow="row wrap"))
        self.box = W.Accordion(children=[W.VBox([lengths, self.tree, self.panel])],     # controls, tree, text
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
                self._draw(plan)
                problem = self.model.problem(view.state, int(self.reviews.value), int(self.months.value))
                compared = R.labelled(courses_html(compare_courses(problem, plan, methods=("wsm",)), plan))
            self.panel.value = R.playbook_html(plan, error, self.solve_ms, compared)
        except Exception as exc:  # noqa: BLE001  (a playbook bug must not lose the ranking)
            log.exception("playbook failed", exc_info=exc)
            self.last_exception = exc
            plan, error = None, f"internal error ({type(exc).__name__}: {exc})"
            self.panel.value = R.playbook_html(None, error)
        self.plan, self.error = plan, error
        return plan

    @property
    def width(self) -> int | None:
        """The tree's width in px (None until the browser has measured the dashboard)."""
        return self.column - INSET if self.column > INSET else None

    def resize(self, column: int) -> None:
        """The results column is now ``column`` px wide: the tree takes the panel's inside and rewraps its labels."""
        self.column = int(column)
        if self.figure is not None and self.plan is not None:
            self._draw(self.plan)

    def _draw(self, plan) -> None:
        if self.figure is None:
            import plotly.graph_objects as go  # noqa: PLC0415  (plotly's widget: only once a tree is drawn)
            self.figure = go.FigureWidget()
            self.tree.children = (self.figure,)
        layout = tree_layout(plan, self.width)
        R.draw_plan(self.figure, plan, label_chars(self.width, plan.reviews), layout,
                    label_depth=0 if narrow(self.width) else 1)
        if any(t.cliponaxis is not False for t in self.figure.data):   # a rebuilt tree: labels may pass the axes
            self.figure.update_traces(cliponaxis=False)
        with self.figure.batch_update():          # also when the tree was updated in place: a new width
            self.figure.layout.update(width=layout["width"], autosize=layout["autosize"], margin=layout["margin"],
                                      title_text=layout["title"]["text"], legend=layout["legend"])

    def _on_change(self, _change):
        if self.is_open:
            self.refresh()
