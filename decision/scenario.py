"""Scenario adjustment: shift tool scores by the ally profile's factor values (and, optionally, a time horizon).

A rule moves the named tools' score (and its low-high range) on one criterion by ``per_point * (value - 5)`` points;
rules add up; results are clipped to the criterion's scale. With a horizon (months), tools whose lead time exceeds it
keep only part of their score on the horizon criterion (``model.yaml`` ``time_horizon``).
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from .catalog import NEUTRAL_FACTOR, Catalog, Scenario
from .errors import DecisionError


@dataclass(frozen=True)
class AdjustedScores:
    """Scenario-adjusted (tools x criteria) arrays; ``shift`` is the total change applied to ``score`` (rules and
    the horizon discount); ``horizon`` is the analysis horizon in months (None: no horizon)."""
    scenario: Scenario
    score: np.ndarray
    low: np.ndarray
    high: np.ndarray
    shift: np.ndarray
    horizon: float | None = None


def rule_shifts(catalog: Catalog, scenario: Scenario | str | None = None) -> pd.DataFrame:
    """One row per (rule, tool): the factor value and the unclipped shift in score points."""
    sc = scenario if isinstance(scenario, Scenario) else catalog.scenario(scenario)
    rows = []
    for r in catalog.rules:
        value = sc.factors[r.factor]
        for t in r.tools:
            rows.append((r.id, t, r.criterion, r.factor, value, r.per_point * (value - NEUTRAL_FACTOR),
                         r.rationale, r.source))
    return pd.DataFrame(rows, columns=["rule", "tool", "criterion", "factor", "value", "shift", "rationale",
                                       "source"])


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
    """Apply every scenario rule to the catalogue's scores, then the horizon discount (``horizon`` in months)."""
    sc = scenario if isinstance(scenario, Scenario) else catalog.scenario(scenario)
    delta = np.zeros_like(catalog.score)
    cidx = {c: j for j, c in enumerate(catalog.criterion_ids)}
    for r in catalog.rules:
        d = r.per_point * (sc.factors[r.factor] - NEUTRAL_FACTOR)
        for t in r.tools:
            delta[catalog.tool_index(t), cidx[r.criterion]] += d
    lo = np.array([c.scale_min for c in catalog.criteria])
    hi = np.array([c.scale_max for c in catalog.criteria])
    score = np.clip(catalog.score + delta, lo, hi)
    low = np.clip(catalog.low + delta, lo, hi)
    high = np.clip(catalog.high + delta, lo, hi)
    slow = beyond_horizon(catalog, horizon)
    if slow.any():
        h = catalog.model.horizon
        j = cidx[h.criterion]
        for a in (score, low, high):
            a[slow, j] = lo[j] + h.discount * (a[slow, j] - lo[j])
    return AdjustedScores(sc, score, low, high, score - catalog.score, None if horizon is None else float(horizon))
