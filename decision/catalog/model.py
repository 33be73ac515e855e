"""``model.yaml``: the value model's parameters (complementarity, redundancy, effort cost, time horizon, quiet cap)."""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Literal

from pydantic import Field

from ..errors import CatalogError
from ..schema import Id, IdList, Number, Row, Text, check_tools, read_yaml, validate
from .criteria import Criterion
from .tools import Tool

FILE = "model.yaml"


@dataclass(frozen=True)
class ModelParams:
    """``complementarity``: the weight of every tool but the strongest in a pool of changes (diminishing returns).
    ``redundancy_factor``: the extra weight of a tool whose redundancy group already has a stronger member in the
    combination. ``effort_cost``: preference (0-1 scale) charged per unit of effort, so an extra tool must earn its
    effort."""
    complementarity: float = 0.5
    redundancy_factor: float = 0.3
    horizon: TimeHorizon | None = None
    effort_cost: float = 0.0
    quiet_cap: QuietCap | None = None


@dataclass(frozen=True)
class QuietCap:
    """No overclaiming: a non-empty package that holds none of ``unless_any`` (the public, verification, legal,
    economic and security-measure tools) reaches at most ``level`` on ``criterion`` (never less than the status quo)."""
    criterion: str
    level: float
    unless_any: tuple[str, ...]
    rationale: str = ""
    source: str = ""


@dataclass(frozen=True)
class TimeHorizon:
    """How an analysis horizon discounts slow tools: a tool whose lead time (in months, per ``lead_time`` class)
    exceeds the horizon keeps only ``discount`` of its score above the scale minimum on ``criterion``."""
    criterion: str
    discount: float
    lead_time_months: dict[str, float]


class _Param(Row):
    value: Number
    rationale: Text


class _Horizon(Row):
    criterion: Id
    discount: Annotated[float, Field(ge=0, le=1, allow_inf_nan=False)]
    lead_time_months: dict[Literal["days", "weeks", "months", "years"], Annotated[float, Field(ge=0,
                                                                                              allow_inf_nan=False)]]
    rationale: Text


class _QuietCap(Row):
    criterion: Id
    level: Number
    unless_any: IdList
    rationale: Text
    source: Text


class _ModelFile(Row):
    complementarity: _Param
    redundancy_factor: _Param
    effort_cost: _Param | None = None
    time_horizon: dict | None = None
    quiet_cap: dict | None = None


def load_model(folder: Path, tools: tuple[Tool, ...], criteria: tuple[Criterion, ...]) -> ModelParams:
    """The parameters, each in its range; the horizon and the quiet cap name known criteria and tools."""
    mf = validate(_ModelFile, read_yaml(folder, FILE), FILE, "top level")
    if not 0 <= mf.complementarity.value < 1:
        raise CatalogError(f"expected a number in [0, 1), got {mf.complementarity.value:g}", file=FILE,
                           where="complementarity", field="value")
    if not 0 <= mf.redundancy_factor.value <= 1:
        raise CatalogError(f"expected a number in [0, 1], got {mf.redundancy_factor.value:g}", file=FILE,
                           where="redundancy_factor", field="value")
    horizon = _horizon(mf.time_horizon, tools, criteria)
    effort_cost = mf.effort_cost.value if mf.effort_cost is not None else 0.0
    if not 0 <= effort_cost <= 0.1:
        raise CatalogError(f"expected a number in [0, 0.1], got {effort_cost:g}", file=FILE,
                           where="effort_cost", field="value")
    quiet_cap = _quiet_cap(mf.quiet_cap, criteria, {t.id for t in tools})
    return ModelParams(mf.complementarity.value, mf.redundancy_factor.value, horizon, effort_cost, quiet_cap)


def _horizon(data: dict | None, tools: tuple[Tool, ...], criteria: tuple[Criterion, ...]) -> TimeHorizon | None:
    """``time_horizon``: a known criterion and a length for every lead time a tool has."""
    if data is None:
        return None
    h = validate(_Horizon, data, FILE, "time_horizon")
    if h.criterion not in {c.id for c in criteria}:
        raise CatalogError(f"unknown criterion '{h.criterion}'", file=FILE, where="time_horizon",
                           field="criterion")
    missing = sorted({t.lead_time for t in tools} - set(h.lead_time_months))
    if missing:
        raise CatalogError(f"no length given for lead time '{missing[0]}'", file=FILE,
                           where="time_horizon", field="lead_time_months")
    return TimeHorizon(h.criterion, h.discount, dict(h.lead_time_months))


def _quiet_cap(data: dict | None, criteria: tuple[Criterion, ...], known: set) -> QuietCap | None:
    """``quiet_cap``: a known criterion, a level on its scale, known tools."""
    if data is None:
        return None
    where = "quiet_cap"
    q = validate(_QuietCap, data, FILE, where)
    c = next((c for c in criteria if c.id == q.criterion), None)
    if c is None:
        raise CatalogError(f"unknown criterion '{q.criterion}'", file=FILE, where=where, field="criterion")
    if not c.scale_min <= q.level <= c.scale_max:
        raise CatalogError(f"expected a level on the {c.id} scale ({c.scale_min:g}-{c.scale_max:g}), got {q.level:g}",
                           file=FILE, where=where, field="level")
    check_tools(q.unless_any, known, FILE, where, "unless_any")
    return QuietCap(q.criterion, float(q.level), tuple(q.unless_any), q.rationale, q.source)
