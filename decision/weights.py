"""Criterion weights: validation and elicitation.

Weights are non-negative and sum to 1. Every function returns a ``pandas.Series`` indexed by criterion id (or by
position when no ids are given).
"""
from __future__ import annotations

import math
from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd

from .errors import DecisionError


def direct(values, criteria: Sequence[str] | None = None) -> pd.Series:
    """Normalise any non-negative numbers to weights summing to 1.

    ``values``: a mapping {criterion: number} or a sequence aligned with ``criteria``. With ``criteria`` given, a
    mapping must name each of them exactly once (unknown or missing names are errors, not zeros).
    """
    if isinstance(values, Mapping):
        if criteria is not None:
            unknown = [k for k in values if k not in criteria]
            if unknown:
                raise DecisionError(f"unknown criterion '{unknown[0]}' in weights; known: {', '.join(criteria)}")
            missing = [c for c in criteria if c not in values]
            if missing:
                raise DecisionError(f"weights miss criterion '{missing[0]}' (give every criterion a weight, 0 "
                                    "allowed)")
            values = {c: values[c] for c in criteria}
        index, raw = list(values.keys()), list(values.values())
    else:
        raw = list(np.ravel(np.asarray(values, dtype=object)))
        index = list(criteria) if criteria is not None else list(range(len(raw)))
        if len(raw) != len(index):
            raise DecisionError(f"{len(raw)} weights given for {len(index)} criteria")
    nums = []
    for name, v in zip(index, raw):
        try:
            f = float(v)
        except (TypeError, ValueError):
            raise DecisionError(f"weight of '{name}' is not a number: {v!r}") from None
        if math.isnan(f) or math.isinf(f):
            raise DecisionError(f"weight of '{name}' is {f} (expected a finite number >= 0)")
        if f < 0:
            raise DecisionError(f"weight of '{name}' is negative ({f:g}); weights must be >= 0")
        nums.append(f)
    total = sum(nums)
    if total <= 0:
        raise DecisionError("all weights are zero; give at least one criterion a positive weight")
    return pd.Series(np.array(nums) / total, index=index, name="weight")


def parse_weights(text: str, criteria: Sequence[str]) -> pd.Series:
    """Parse ``"rights_protection=0.4,security_continuity=0.3,..."`` into normalised weights."""
    values = {}
    for part in filter(None, (p.strip() for p in text.split(","))):
        name, sep, num = part.partition("=")
        if not sep:
            raise DecisionError(f"weights: expected name=value, got '{part}'")
        name = name.strip()
        if name in values:
            raise DecisionError(f"weights: '{name}' given twice")
        values[name] = num.strip()
    return direct(values, criteria)


def equal(criteria: Sequence[str]) -> pd.Series:
    """Equal weights."""
    return direct([1.0] * len(criteria), criteria)
