"""``scores.csv``: each tool's change from the status quo on each criterion, with its range and its source."""
from __future__ import annotations

from pathlib import Path

import numpy as np

from ..errors import CatalogError
from ..schema import Id, Number, Row, Text, read_csv, validate
from .criteria import Criterion
from .tools import Tool

FILE = "scores.csv"


class _ScoreRow(Row):
    tool: Id
    criterion: Id
    change: Number
    low: Number
    high: Number
    rationale: Text
    source: Text


def load_scores(folder: Path, tools: tuple[Tool, ...], criteria: tuple[Criterion, ...]):
    """``(score, low, high, notes)``: three (tools x criteria) arrays and ``{(tool, criterion): (rationale, source)}``;
    exactly one row for each tool and criterion."""
    tidx = {t.id: i for i, t in enumerate(tools)}
    cidx = {c.id: j for j, c in enumerate(criteria)}
    shape = (len(tools), len(criteria))
    score, low, high = np.full(shape, np.nan), np.full(shape, np.nan), np.full(shape, np.nan)
    notes: dict[tuple[str, str], tuple[str, str]] = {}
    seen: dict[tuple[str, str], int] = {}
    for ln, r in read_csv(folder, FILE, _ScoreRow):
        s = validate(_ScoreRow, r, FILE, f"line {ln}")
        w = f"line {ln}"
        if s.tool not in tidx:
            raise CatalogError(f"unknown tool '{s.tool}' (not in tools.csv)", file=FILE, where=w, field="tool")
        if s.criterion not in cidx:
            raise CatalogError(f"unknown criterion '{s.criterion}' (not in criteria.csv)", file=FILE,
                               where=w, field="criterion")
        if (s.tool, s.criterion) in seen:
            raise CatalogError(f"duplicate score for {s.tool} / {s.criterion} (first at line "
                               f"{seen[s.tool, s.criterion]})", file=FILE, where=w, field="criterion")
        seen[s.tool, s.criterion] = ln
        _check_range(s, criteria[cidx[s.criterion]], w)
        i, j = tidx[s.tool], cidx[s.criterion]
        score[i, j], low[i, j], high[i, j] = s.change, s.low, s.high
        notes[s.tool, s.criterion] = (s.rationale, s.source)
    for t in tools:
        for c in criteria:
            if (t.id, c.id) not in seen:
                raise CatalogError(f"no score for tool '{t.id}' on criterion '{c.id}' (every tool needs one row per "
                                   "criterion)", file=FILE, where=f"tool {t.id}", field="criterion")
    for a in (score, low, high):
        a.setflags(write=False)
    return score, low, high, notes


def _check_range(s: _ScoreRow, c: Criterion, where: str) -> None:
    """A change and its range fit within the criterion's scale width, and the change lies in its own range."""
    span = c.scale_max - c.scale_min
    for name in ("change", "low", "high"):
        v = getattr(s, name)
        if not -span <= v <= span:
            raise CatalogError(f"{v:g} is outside -{span:g}..{span:g} (a change on the {c.id} scale)",
                               file=FILE, where=where, field=name)
    if not s.low <= s.change <= s.high:
        raise CatalogError(f"change {s.change:g} is outside its own range low {s.low:g} - high {s.high:g}",
                           file=FILE, where=where, field="change")
