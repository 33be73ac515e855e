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
from ..display import wrap_words
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
                yaxis=dict(tickfont=dict(size=11)), margin=dict(l=10, r=16, t=64 if legend else 40, b=44))


TITLE_PX, AXIS_PX = 8.5, 6.8
"""Average px per character of a chart's title (15 px) and of an axis title (12 px), for wrapping them."""


def titles_of(figure) -> tuple:
    """What :func:`fit_titles` needs to rewrap ``figure`` at any width: its title, x-axis title and margins as
    drawn unwrapped."""
    lay = figure.layout
    return (lay.title.text or "", lay.xaxis.title.text or "", lay.margin.t or 0, lay.margin.b or 0)


def legend_rows(figure, width: int | None) -> int:
    """Rows a horizontal legend above the plot takes at ``width`` px (0: no legend there; 1 when not measured):
    each entry about 40 px of symbol and gaps plus its name at :data:`~decision.figures.CHAR_PX` per character."""
    lay = figure.layout
    names = [t.name or "" for t in figure.data if t.showlegend is not False and t.name]
    above = lay.legend.orientation == "h" and (lay.legend.y or 0) >= 1
    if lay.showlegend is False or len(names) < 2 or not above:
        return 0
    if not width:
        return 1
    rows, used = 1, 0.0
    for n in names:
        item = 40 + figures.CHAR_PX * len(n)
        if used and used + item > width - 20:
            rows, used = rows + 1, 0.0
        used += item
    return rows


def fit_titles(figure, titles: tuple, width: int | None) -> None:
    """Wrap ``figure``'s title and x-axis title (``titles``: :func:`titles_of` of it unwrapped) whole to ``width``
    px (the axis title to half of it: it is centred on the plot area, right of the labels) and give the top margin
    room for the title's lines and the legend's rows under it (never less than the figure's own), so no title runs
    past the chart's edge or under the legend on a narrow screen."""
    title, xtitle, top, bottom = titles
    if width:
        title = wrap_words(title, max(12, int((width - 20) / TITLE_PX))) if "<br>" not in title else title
        xtitle = wrap_words(xtitle, max(12, int(width / 2 / AXIS_PX)))
    lines = title.count("<br>") + 1 if title else 0
    with figure.batch_update():
        figure.layout.title.text = title
        figure.layout.xaxis.title.text = xtitle
        figure.layout.margin.t = max(top, 20 + 22 * lines + 21 * legend_rows(figure, width))
        figure.layout.margin.b = bottom + 14 * xtitle.count("<br>")
        figure.layout.title.pad.t = 8 + 12 * (lines - 1) if lines else 8   # plotly lifts a title's first line


class Charts:
    """The two charts of one dashboard in ``box`` (empty until the first :meth:`draw`)."""

    def __init__(self, catalog: Catalog):
        self.catalog = catalog
        self.column = 0
        self.profile = self.frequency = None
        self.titles: tuple = ()
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
        for fig, titles in zip((self.profile, self.frequency), self.titles):
            with fig.batch_update():
                fig.layout.width = width
                fig.layout.autosize = width is None
                fit_titles(fig, titles, width)
        R.draw_figures(self.profile, self.frequency, ranking, self.catalog, self.chars)

    def _create(self, ranking: pd.DataFrame) -> None:
        import plotly.graph_objects as go  # noqa: PLC0415  (plotly's widget is imported on the first drawing)
        chars, width = self.chars, chart_width(self.column)
        profile = figures.profile_figure(ranking, self.catalog.criteria, wrap=chars, names=chars is not None)
        frequency = figures.tool_frequency_figure(ranking, self.catalog.tools)
        profile.update_layout(**fitted_layout(width))
        frequency.update_layout(**fitted_layout(width, legend=False))
        profile.update_layout(xaxis=dict(title=dict(text="value (0-10)", standoff=6)))
        self.titles = (titles_of(profile), titles_of(frequency))
        self.profile, self.frequency = go.FigureWidget(profile), go.FigureWidget(frequency)
        for fig, titles in zip((self.profile, self.frequency), self.titles):
            fit_titles(fig, titles, width)
        self.box.children = (self.profile, self.frequency)


__all__ = ["Charts", "chart_width", "fit_titles", "fitted_layout", "legend_rows", "titles_of"]
