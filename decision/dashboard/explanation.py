"""The dashboard's "Why is a combination ranked where it is?" panel: pick a listed row; while the panel is open it
shows :func:`decision.explain`'s breakdown (what each tool adds, the synergies and conflicts that fire, the red
lines). Nothing is computed while it is closed."""
from __future__ import annotations

import ipywidgets as W
import pandas as pd

from ..catalog import Catalog
from ..explain import explain
from . import render as R


class ExplanationPanel:
    """An Accordion (closed at first) with a row picker and the breakdown. ``current`` returns the dashboard's
    current :class:`~.state.View` (None before the first valid update)."""

    def __init__(self, catalog: Catalog, current):
        self.catalog, self.current = catalog, current
        self.explained: dict | None = None
        self._quiet = False
        self.rank = W.Dropdown(options=[("#1", 0)], value=0, description="Explain", layout=W.Layout(width="160px"))
        self.panel = W.HTML()
        self.box = W.Accordion(children=[W.VBox([self.rank, self.panel])],
                               titles=("Why is a combination ranked where it is?",), selected_index=None)
        self.rank.observe(self._on_change, "value")
        self.box.observe(self._on_change, "selected_index")

    def refresh(self, ranking: pd.DataFrame) -> None:
        """A new ranking: offer its rows, keep the picked position (clipped) and explain it again."""
        options = tuple((f"#{int(r)}", k) for k, r in enumerate(ranking["rank"]))
        self._quiet = True                                  # no explanation per intermediate value
        try:
            if tuple(self.rank.options) != options:
                self.rank.options = options
            self.rank.value = min(self.rank.value or 0, len(options) - 1)
        finally:
            self._quiet = False
        self.explain()

    def explain(self, position: int | None = None) -> dict | None:
        """Explain the combination at ``position`` (0 = first row; default: the one picked) and show it when the
        panel is open; returns :func:`decision.explain`'s breakdown (None while closed)."""
        if position is not None:
            self._quiet = True
            try:
                self.rank.value = position
            finally:
                self._quiet = False
        self.explained = None
        view = self.current()
        if view is None or self.box.selected_index is None:
            return None
        row = view.ranking.iloc[self.rank.value]
        e = explain(self.catalog, row["tool_ids"], view.state.scenario, view.state.horizon)
        self.panel.value = R.explanation_html(e, self.catalog, f"#{int(row['rank'])}: {row['tools']}")
        self.explained = e
        return e

    def _on_change(self, _change):
        if not self._quiet:
            self.explain()
