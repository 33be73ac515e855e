"""The dashboard's two charts (criterion profile of the top combinations, tools in them), sized to their column.

The ``FigureWidget``s are created on the first drawing (plotly's widget module is imported then, not when the
dashboard is built, so the progress line shows at once) and updated in place afterwards (:func:`.render.draw_figures`:
new x and y on the same traces). Their width is the results column's, as the browser reports it
(:class:`.fit.FitAgent`); the combination labels follow a rule of that width (:func:`decision.figures.label_chars`):
whole tool names wrapped on lines that take at most a third of the chart, or the rank alone on a narrow chart (the
ranked table above names every rank). The legend sits under the title, so no criterion name is cut at an edge.
"""
from __future__ import annotations

import ipywidgets as W
import pandas as pd

from .. import figures
from ..catalog import Catalog
from . import render as R

INSET = 8
"""Pixels between the results column's width and a chart's (the widgets' margins)."""


def chart_width(column: int) -> int | None:
    """A chart's width in a results column ``column`` px wide (None: not measured yet, plotly's own sizing)."""
    return column - INSET if column > 0 else None


def fitted_layout(width: int | None, legend: bool = True) -> dict:
    """Layout for a chart in the dashboard: ``width`` px (None: plotly's), the title at the top left, the legend
    (``legend``) in one or more rows under it (never at the right edge, where a narrow column cut it), 11 px tick
    labels."""
    return dict(width=width, autosize=width is None,
                legend=dict(orientation="h", x=0, xanchor="left", y=1.0, yanchor="bottom", font=dict(size=11)),
                title=dict(x=0, xanchor="left", yref="container", y=1, yanchor="top", pad=dict(t=8),
                           font=dict(size=15)),
                yaxis=dict(tickfont=dict(size=11)), margin=dict(l=10, r=16, t=64 if legend else 40, b=10))


class Charts:
    """The two charts of one dashboard in ``box`` (empty until the first :meth:`draw`)."""

    def __init__(self, catalog: Catalog):
        self.catalog = catalog
        self.column = 0
        self.profile = self.frequency = None
        self.box = W.VBox(layout=W.Layout(width="100%"))
        self.box.add_class("decision-charts")

    @property
    def chars(self) -> int | None:
        """Characters per label line at the current width (None: rank-only labels)."""
        width = chart_width(self.column)
        return figures.label_chars(width)

    def draw(self, ranking: pd.DataFrame) -> None:
        """Show ``ranking``: create the figures the first time, else update them in place."""
        if self.profile is None:
            self._create(ranking)
        else:
            R.draw_figures(self.profile, self.frequency, ranking, self.catalog, self.chars)

    def resize(self, column: int, ranking: pd.DataFrame | None) -> None:
        """The results column is now ``column`` px wide: the charts take its width and relabel for it."""
        self.column = int(column)
        if self.profile is None or ranking is None:
            return
        width = chart_width(self.column)
        for fig in (self.profile, self.frequency):
            with fig.batch_update():
                fig.layout.width = width
                fig.layout.autosize = width is None
        R.draw_figures(self.profile, self.frequency, ranking, self.catalog, self.chars)

    def _create(self, ranking: pd.DataFrame) -> None:
        import plotly.graph_objects as go  # noqa: PLC0415  (plotly's widget is imported on the first drawing)
        chars, width = self.chars, chart_width(self.column)
        profile = figures.profile_figure(ranking, self.catalog.criteria, wrap=chars, names=chars is not None)
        frequency = figures.tool_frequency_figure(ranking, self.catalog.tools)
        profile.update_layout(**fitted_layout(width))
        frequency.update_layout(**fitted_layout(width, legend=False))
        profile.update_layout(xaxis=dict(title=dict(text="value (0-10)", standoff=6)))
        self.profile, self.frequency = go.FigureWidget(profile), go.FigureWidget(frequency)
        self.box.children = (self.profile, self.frequency)


__all__ = ["Charts", "chart_width", "fitted_layout"]
