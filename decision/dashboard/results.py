"""The dashboard's results side: :class:`Results` builds the panels below the ranked table (stability, how sure,
precedents, explanation, playbook, charts) and draws a computed :class:`~.state.View` into them and into the
controls' output widgets (table, options, bottom line, status line, error panel). No computing: the view arrives
finished from :class:`~.state.ViewModel`, and :class:`~.app.Dashboard` decides when to draw."""
from __future__ import annotations

from ..catalog import Catalog
from . import render as R
from .charts import Charts
from .controls import Controls
from .explanation import ExplanationPanel
from .playbook import PlaybookPanel
from .precedents import PrecedentsPanel
from .stability import StabilityPanel
from .state import View, ViewModel
from .sureness import HowSurePanel

START_STEPS = 3
"""Steps the progress line counts while the dashboard starts: build, rank and pick, draw the charts."""


class Results:
    """The result panels and the output widgets of one dashboard. ``current`` returns the dashboard's latest view
    (the panels always work on it)."""

    def __init__(self, catalog: Catalog, model: ViewModel, controls: Controls, current, debounce: float):
        self.catalog, self.controls = catalog, controls
        self.explanation = ExplanationPanel(catalog, current)
        self.stability_panel = StabilityPanel(model, controls.bottom_line, current, debounce)
        self.playbook = PlaybookPanel(model, current)
        self.charts = Charts(catalog)
        self.how_sure = HowSurePanel(current, with_scores=self.stability_panel.with_scores)
        self.precedents = PrecedentsPanel(catalog)
        self.explain_box, self.explain_rank, self.explain_panel = (self.explanation.box, self.explanation.rank,
                                                                   self.explanation.panel)
        self.sensitivity_panel = self.stability_panel.panel

    @property
    def boxes(self) -> list:
        """The panels after the ranked table, in reading order."""
        return [self.sensitivity_panel, self.how_sure.box, self.precedents.panel, self.explain_box, self.playbook.box,
                self.charts.box]

    # -- drawing a view ------------------------------------------------------------------------------------------
    def html(self, view: View) -> tuple[str, str]:
        """The ranked table's and the options' HTML (raises DecisionError when the view cannot be shown)."""
        return (R.ranking_table_html(view.ranking, self.catalog, view.state, status_quo=view.options.status_quo),
                R.options_html(view.options, self.catalog))

    def show(self, view: View, html: tuple[str, str]) -> float | None:
        """Table, options and bottom line, then the playbook when its panel is open (before the two charts: their
        redraw would queue ahead of the tree's); returns the playbook's solve time (ms) or None."""
        c = self.controls
        c.table.value, c.options_panel.value = html
        c.bottom_line.value = R.bottom_line_html(view.bottom_line())
        if not self.playbook.is_open:
            return None
        self.playbook.refresh(view)
        return self.playbook.solve_ms

    def draw_charts(self, view: View) -> None:
        """The two charts (the progress line says so on the first draw); the error panel is cleared."""
        if self.charts.profile is None:
            self.progress(3, "drawing the charts…")
        self.charts.draw(view.ranking)
        self.controls.error_panel.value, self.controls.error_panel.layout.display = "", "none"

    def finish(self, view: View, timings: dict) -> None:
        """The status line (size, scenario, method, timings, floor, capacity) and the explanation, how-sure and
        precedents panels."""
        st = view.ranker.portfolios.setting
        self.controls.status.value = R.status_html(
            len(view.ranker.portfolios), self.catalog.scenario(view.state.scenario).name, view.state.method, timings,
            st.floor_text() if st else "", st.capacity if st else None, self.catalog.model.effort_cost)
        self.explanation.refresh(view.ranking)
        self.how_sure.refresh(view)
        self.precedents.refresh(view.state.scenario)

    def show_error(self, message: str, last: View | None) -> None:
        """``message`` in the error panel; the last valid table stays, marked stale."""
        if last is not None:
            self.controls.table.value = R.ranking_table_html(last.ranking, self.catalog, last.state, stale=True,
                                                             status_quo=last.options.status_quo)
        self.controls.error_panel.value = R.error_html(message)
        self.controls.error_panel.layout.display = None

    def progress(self, step: int, text: str) -> None:
        self.controls.progress.value = R.progress_html(step, START_STEPS, text)
        self.controls.progress.layout.display = None

    def resize(self, width, last: View | None) -> None:
        """The charts and the trees take the results column's ``width``."""
        self.charts.resize(width, None if last is None else last.ranking)
        self.playbook.resize(width)
        self.how_sure.resize(width)

    # -- the playbook panel --------------------------------------------------------------------------------------
    @property
    def plan(self):
        """The playbook shown (:class:`decision.strategy.Plan`), None while the panel was never opened."""
        return self.playbook.plan

    @property
    def plan_error(self) -> str:
        return self.playbook.error

    @property
    def plan_figure(self):
        """The playbook's tree (a FigureWidget; None until the panel is first opened)."""
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
