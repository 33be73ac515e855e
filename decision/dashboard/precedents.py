"""The dashboard's precedents (issue 16): the three documented episodes nearest the chosen scenario, one line each
with what was done and what followed, and their sources as links.

The episodes and the distance are :func:`decision.precedents.nearest`'s on the catalogue's case library
(:func:`decision.cases.load_cases`: the catalogue's own ``cases/`` folder, else the bundled library), the same
lines ``decision cases --scenario S`` prints. The library is read once (the first time the panel is drawn); the
lines change only with the scenario. A library that cannot be read is named in the panel, never a traceback.
"""
from __future__ import annotations

import html

import ipywidgets as W

from ..catalog import Catalog
from ..errors import DecisionError

TOP = 3
"""Episodes shown."""
LINKS = 2
"""Sources linked per episode (each has at least two; the rest are named by ``decision cases --show``)."""


def precedents_html(scenario_name: str, found, caveat: str) -> str:
    """One list item per precedent: its line (who, when, what was done -> the partner's reactions; how it ended)
    and its sources as links, then the caveat."""
    e = html.escape
    items = "".join(
        f"<li data-episode='{e(p.id)}'>{e(p.line)}<br><small>Sources: "
        + "; ".join(f"<a href='{e(s.url)}' target='_blank' rel='noopener'>{e(s.label)}</a>"
                    for s in p.sources[:LINKS])
        + (f"; {len(p.sources) - LINKS} more in <code>decision cases --show {e(p.id)}</code>"
           if len(p.sources) > LINKS else "") + "</small></li>" for p in found)
    return (f"<div class='decision-precedents'><b>Nearest precedents</b> <small>to {e(scenario_name)} (documented "
            f"episodes nearest its factors and facts; <code>decision cases</code> lists more)</small>"
            f"<ol>{items}</ol><small><i>{e(caveat)}</i></small></div>")


class PrecedentsPanel:
    """An HTML widget with the nearest episodes to the scenario of the current view."""

    def __init__(self, catalog: Catalog, top: int = TOP):
        self.catalog, self.top = catalog, top
        self.library = None
        self.scenario: str | None = None
        self.found: tuple = ()
        self.panel = W.HTML(layout=W.Layout(width="100%"))
        self.panel.add_class("decision-precedents-widget")

    def refresh(self, scenario: str) -> None:
        """Show the precedents of ``scenario`` (nothing to do when it is the one shown)."""
        if scenario == self.scenario:
            return
        from ..precedents import CAVEAT, library_factors, nearest  # noqa: PLC0415
        self.scenario = scenario
        sc = self.catalog.scenario(scenario)
        try:
            if self.library is None:
                from ..cases import load_cases  # noqa: PLC0415  (pydantic: only when the panel is first drawn)
                self.library = load_cases(catalog=self.catalog)
            ids = library_factors(self.library) or [f.id for f in self.catalog.factors]    # as `decision cases`
            factors = {f: float(sc.factors[f]) for f in ids}
            self.found = nearest(self.library, factors, sc.facts, self.top, catalog=self.catalog)
        except DecisionError as exc:
            self.found = ()
            self.panel.value = f"<small>Precedents not shown: {html.escape(str(exc))}</small>"
            return
        self.panel.value = precedents_html(sc.name, self.found, CAVEAT)


__all__ = ["PrecedentsPanel", "precedents_html"]
