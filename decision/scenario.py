"""Scenario adjustment: shift tool scores by the ally profile's factor values.

A rule moves the named tools' score (and its low-high range) on one criterion by ``per_point * (value - 5)`` points;
rules add up; results are clipped to the criterion's scale.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from .catalog import NEUTRAL_FACTOR, Catalog, Scenario


@dataclass(frozen=True)
class AdjustedScores:
    """Scenario-adjusted (tools x criteria) arrays; ``shift`` is the clipped total change applied to ``score``."""
    scenario: Scenario
    score: np.ndarray
    low: np.ndarray
    high: np.ndarray
    shift: np.ndarray


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


def adjust_scores(catalog: Catalog, scenario: Scenario | str | None = None) -> AdjustedScores:
    """Apply every scenario rule to the catalogue's scores."""
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
    return AdjustedScores(sc, score, low, high, score - catalog.score)
