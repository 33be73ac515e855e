"""Scenario adjustment: the status quo's levels and the tools' changes in one ally profile (and, optionally, within
a time horizon).

A rule moves the named tools' change (and its low-high range) on one criterion by ``per_point * (value - 5)`` points
(``only: above`` / ``below`` counts one side of the neutral 5); rules add up; changes stay within +/- the scale's
width. A status-quo rule moves the level of a criterion when nothing new is done. With a horizon (months), tools
whose lead time exceeds it keep only part of their change on the horizon criterion (``model.yaml`` ``time_horizon``).
"""
from __future__ import annotations

from dataclasses import dataclass

from typing import TYPE_CHECKING

import numpy as np

from .catalog import Catalog, Scenario
from .errors import DecisionError

if TYPE_CHECKING:
    import pandas as pd


@dataclass(frozen=True)
class AdjustedScores:
    """Scenario-adjusted (tools x criteria) changes from the status quo, with their ranges; ``shift`` is the total
    change applied to ``score`` (rules and the horizon discount); ``status_quo`` (C,) the levels of doing nothing
    new in this scenario; ``horizon`` the analysis horizon in months (None: no horizon)."""
    scenario: Scenario
    score: np.ndarray
    low: np.ndarray
    high: np.ndarray
    shift: np.ndarray
    status_quo: np.ndarray
    horizon: float | None = None


def rule_shifts(catalog: Catalog, scenario: Scenario | str | None = None) -> pd.DataFrame:
    """One row per (rule, tool): the factor value and the unclipped shift in points."""
    import pandas as pd  # noqa: PLC0415  (not needed to rank: docs/performance.md, "Command line")
    sc = scenario if isinstance(scenario, Scenario) else catalog.scenario(scenario)
    rows = []
    for r in catalog.rules:
        value = sc.factors[r.factor]
        for t in r.tools:
            rows.append((r.id, t, r.criterion, r.factor, value, r.shift(value), r.rationale, r.source))
    return pd.DataFrame(rows, columns=["rule", "tool", "criterion", "factor", "value", "shift", "rationale",
                                       "source"])


def status_quo_levels(catalog: Catalog, scenario: Scenario | str | None = None) -> pd.DataFrame:
    """Per criterion: the neutral status-quo level, the scenario's shift (status-quo rules) and the resulting level."""
    import pandas as pd  # noqa: PLC0415
    return pd.DataFrame(_status_quo_rows(catalog, scenario),
                        columns=["criterion", "neutral", "shift", "level"]).set_index("criterion")


def _status_quo_rows(catalog: Catalog, scenario: Scenario | str | None) -> list[tuple[str, float, float, float]]:
    """The rows of :func:`status_quo_levels`: (criterion, neutral level, shift, level)."""
    sc = scenario if isinstance(scenario, Scenario) else catalog.scenario(scenario)
    rows = []
    for c in catalog.criteria:
        shift = sum(r.shift(sc.factors[r.factor]) for r in catalog.status_quo_rules if r.criterion == c.id)
        level = float(np.clip(c.status_quo + shift, c.scale_min, c.scale_max))
        rows.append((c.id, c.status_quo, shift, level))
    return rows


def beyond_horizon(catalog: Catalog, horizon: float | None) -> np.ndarray:
    """(T,) bool: tools whose lead time (months, from ``model.yaml``) exceeds ``horizon`` months."""
    if horizon is None:
        return np.zeros(len(catalog.tools), dtype=bool)
    h = catalog.model.horizon
    if h is None:
        raise DecisionError("this catalogue's model.yaml has no time_horizon section, so a horizon cannot be applied")
    try:
        months = float(horizon)
    except (TypeError, ValueError):
        raise DecisionError(f"horizon must be a number of months, got {horizon!r}") from None
    if not months > 0 or months != months or months == float("inf"):
        raise DecisionError(f"horizon must be a positive number of months, got {horizon!r}")
    return np.array([h.lead_time_months[t.lead_time] > months for t in catalog.tools])


def adjust_scores(catalog: Catalog, scenario: Scenario | str | None = None,
                  horizon: float | None = None) -> AdjustedScores:
    """Apply every scenario rule to the catalogue's changes, then the horizon discount (``horizon`` in months)."""
    sc = scenario if isinstance(scenario, Scenario) else catalog.scenario(scenario)
    delta = np.zeros_like(catalog.score)
    cidx = {c: j for j, c in enumerate(catalog.criterion_ids)}
    for r in catalog.rules:
        d = r.shift(sc.factors[r.factor])
        for t in r.tools:
            delta[catalog.tool_index(t), cidx[r.criterion]] += d
    lo, hi = catalog.bounds
    span = hi - lo
    score = np.clip(catalog.score + delta, -span, span)
    low = np.clip(catalog.low + delta, -span, span)
    high = np.clip(catalog.high + delta, -span, span)
    slow = beyond_horizon(catalog, horizon)
    if slow.any():
        h = catalog.model.horizon
        j = cidx[h.criterion]
        for a in (score, low, high):
            a[slow, j] = h.discount * a[slow, j]
    sq = np.array([level for *_, level in _status_quo_rows(catalog, sc)], dtype=float)
    return AdjustedScores(sc, score, low, high, score - catalog.score, sq,
                          None if horizon is None else float(horizon))
