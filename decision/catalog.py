"""Load and validate a catalogue folder (criteria, tools, scores, interactions, scenarios, constraints).

The file formats are documented in ``data/README.md``. Every problem raises :class:`CatalogError` naming the file, the
line or key, the field and what was expected. Nothing is dropped or coerced silently.
"""
from __future__ import annotations

import hashlib
import math
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated, Any, Literal

import numpy as np
from pydantic import Field, field_validator

from . import safeio
from .errors import CatalogError
from .schema import ID_PATTERN, Id, IdList, Number, Row, Text, read_csv, read_yaml, validate

BUNDLED = Path(__file__).resolve().parent.parent / "data"
"""The bundled catalogue (``data/`` at the project root)."""

FILES = ("criteria.csv", "tools.csv", "scores.csv", "effort.csv", "interactions.csv", "scenarios.yaml",
         "constraints.yaml", "model.yaml")
CAVEAT = ("Scores are illustrative expert judgments drawn from a seed article and public sources, not measured data; "
          "every number is editable (see data/README.md).")
NEUTRAL_FACTOR = 5.0



# ----------------------------------------------------------------------------------------------------------------
# Domain objects (immutable)

@dataclass(frozen=True)
class Criterion:
    """An objective. ``direction`` is ``benefit`` (higher is better) or ``cost`` (lower is better); ``status_quo`` is
    its level when nothing new is done, in a neutral scenario (scenarios shift it)."""
    id: str
    name: str
    direction: str
    status_quo: float
    scale_min: float
    scale_max: float
    description: str

    @property
    def type(self) -> int:
        """pymcdm's criterion type: 1 for a benefit, -1 for a cost."""
        return 1 if self.direction == "benefit" else -1


@dataclass(frozen=True)
class Tool:
    id: str
    name: str
    family: str
    rung: int
    stance: str
    redundancy_group: str | None
    lead_time: str
    description: str
    effort: float = 1.0


@dataclass(frozen=True)
class Interaction:
    """Adds ``effect`` (a change, like a tool's) to ``criterion`` when a combination holds any of ``tools_a`` and
    (``with``) any / (``without``) none of ``tools_b``. With ``scales_with`` (a factor id) the effect is multiplied
    by that factor's value / 5 in the scenario."""
    id: str
    kind: str
    tools_a: tuple[str, ...]
    tools_b: tuple[str, ...]
    condition: str
    criterion: str
    effect: float
    rationale: str
    source: str
    scales_with: str | None = None


@dataclass(frozen=True)
class Factor:
    id: str
    name: str
    description: str


@dataclass(frozen=True)
class Scenario:
    """An ally profile: factor values on 0-10, 5 neutral; ``facts`` are yes/no findings that legal obligations test
    (e.g. ``abuses_by_units_we_equip``); ``effort_capacity`` overrides the catalogue's effort capacity."""
    id: str
    name: str
    description: str
    factors: dict[str, float]
    facts: tuple[str, ...] = ()
    effort_capacity: float | None = None


@dataclass(frozen=True)
class Rule:
    """Shifts ``tools``' changes on ``criterion`` by ``per_point * (factor value - 5)`` points (``only="above"``:
    only the part of the factor above 5 counts; ``"below"``: only the part below 5). A status-quo rule has no tools
    and shifts the status-quo level of ``criterion``."""
    id: str
    factor: str
    tools: tuple[str, ...]
    criterion: str
    per_point: float
    rationale: str
    source: str
    only: str = "both"

    def shift(self, value: float) -> float:
        d = value - NEUTRAL_FACTOR
        if self.only == "above":
            d = max(d, 0.0)
        elif self.only == "below":
            d = min(d, 0.0)
        return self.per_point * d


@dataclass(frozen=True)
class RedLine:
    criterion: str
    max: float | None = None
    min: float | None = None
    rationale: str = ""


@dataclass(frozen=True)
class AccountabilityFloor:
    """What every recommendation must do about the abuses: raise rights protection by at least ``points(scenario)``
    over the status quo (``base + sum per_point[f] * (value_f - 5)``, clipped to ``[minimum, maximum]``) and hold at
    least one tool whose own rights change in the scenario is ``min_tool_change`` or more and that is not listed in
    ``strong_tool_excludes`` (conversations: a talk alone is never the package's strong tool)."""
    criterion: str
    base: float
    per_point: tuple[tuple[str, float], ...]
    minimum: float
    maximum: float
    min_tool_change: float
    rationale: str = ""
    source: str = ""
    enabled: bool = True
    strong_tool_excludes: tuple[str, ...] = ()

    def points(self, factors: dict) -> float:
        raw = self.base + sum(w * (factors[f] - NEUTRAL_FACTOR) for f, w in self.per_point)
        return float(min(self.maximum, max(self.minimum, raw)))


@dataclass(frozen=True)
class Obligation:
    """A legal duty: when a scenario holds every fact in ``facts`` and every factor reaches its ``factors`` minimum,
    each tool in ``tools`` is mandatory."""
    id: str
    name: str
    tools: tuple[str, ...]
    facts: tuple[str, ...]
    factors: tuple[tuple[str, float], ...]
    rationale: str
    source: str

    def applies(self, scenario: "Scenario") -> bool:
        return (all(f in scenario.facts for f in self.facts)
                and all(scenario.factors[f] >= v for f, v in self.factors))


@dataclass(frozen=True)
class Availability:
    """A tool that exists only in scenarios holding every fact in ``facts`` and reaching every ``factors`` minimum
    (``missing`` says what a scenario lacks)."""
    tool: str
    facts: tuple[str, ...]
    factors: tuple[tuple[str, float], ...]
    rationale: str = ""
    source: str = ""

    def missing(self, scenario: "Scenario") -> list[str]:
        out = [f"the finding {f}" for f in self.facts if f not in scenario.facts]
        out += [f"{f.replace('_', ' ')} {v:g} or more (here {scenario.factors[f]:g})" for f, v in self.factors
                if scenario.factors[f] < v]
        return out


@dataclass(frozen=True)
class Constraints:
    """What makes a combination feasible. Lists hold tool ids; ``prerequisites`` maps a tool to the tools of which
    at least one must accompany it; ``available_when`` lists tools that exist only in scenarios meeting conditions
    (suspending cooperation with a unit we do not equip, or on disputed facts, has nothing to act on)."""
    max_tools: int = 6
    min_tools: int = 1
    excluded_by_premise: tuple[str, ...] = ()
    exclusive: tuple[tuple[str, ...], ...] = ()
    prerequisites: tuple[tuple[str, tuple[str, ...]], ...] = ()
    forced_in: tuple[str, ...] = ()
    forced_out: tuple[str, ...] = ()
    red_lines: tuple[RedLine, ...] = ()
    ladder_enabled: bool = False
    ladder_from_rung: int = 4
    ladder_gap: int = 2
    ladder_waived_if: tuple[tuple[tuple[str, float], ...], ...] = ()
    effort_capacity: float | None = None
    floor: AccountabilityFloor | None = None
    tool_red_lines: bool = True
    allow_over_red_lines: tuple[str, ...] = ()
    obligations: tuple[Obligation, ...] = ()
    obligations_enabled: bool = True
    contrast_only: tuple[str, ...] = ()
    capacity_override: float | None = None
    available_when: tuple[Availability, ...] = ()

    def ladder_waived(self, factors: dict) -> bool:
        """True when every factor of one ``waived_if`` group reaches its value."""
        return any(all(factors.get(f, 0) >= v for f, v in group) for group in self.ladder_waived_if)

    def capacity(self, scenario: "Scenario") -> float | None:
        """The effort capacity in a scenario: an analyst's override, else the scenario's, else the default."""
        if self.capacity_override is not None:
            return self.capacity_override
        return scenario.effort_capacity if scenario.effort_capacity is not None else self.effort_capacity


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


@dataclass(frozen=True)
class Catalog:
    """A validated catalogue. ``score``, ``low`` and ``high`` are (tools x criteria) arrays in catalogue order: each
    tool's signed change from the status quo (docs/model.md), with its range."""
    criteria: tuple[Criterion, ...]
    tools: tuple[Tool, ...]
    score: np.ndarray
    low: np.ndarray
    high: np.ndarray
    notes: dict[tuple[str, str], tuple[str, str]]
    interactions: tuple[Interaction, ...]
    factors: tuple[Factor, ...]
    scenarios: tuple[Scenario, ...]
    rules: tuple[Rule, ...]
    status_quo_rules: tuple[Rule, ...]
    default_scenario: str
    constraints: Constraints
    model: ModelParams
    path: str = ""
    digest: str = ""
    _index: dict = field(default_factory=dict, repr=False, compare=False)

    @property
    def criterion_ids(self) -> list[str]:
        return [c.id for c in self.criteria]

    @property
    def tool_ids(self) -> list[str]:
        return [t.id for t in self.tools]

    @property
    def types(self) -> np.ndarray:
        """pymcdm criterion types (1 benefit, -1 cost) in criterion order."""
        return np.array([c.type for c in self.criteria])

    @property
    def bounds(self) -> tuple[np.ndarray, np.ndarray]:
        """(scale minima, scale maxima) in criterion order: the fixed anchors of the value scale."""
        return (np.array([c.scale_min for c in self.criteria]), np.array([c.scale_max for c in self.criteria]))

    @property
    def effort(self) -> np.ndarray:
        """(T,) effort of each tool (effort.csv)."""
        return np.array([t.effort for t in self.tools])

    def tool(self, tool_id: str) -> Tool:
        return self.tools[self.tool_index(tool_id)]

    def tool_index(self, tool_id: str) -> int:
        if not self._index:
            self._index.update({t.id: i for i, t in enumerate(self.tools)})
        try:
            return self._index[tool_id]
        except KeyError:
            raise CatalogError(f"unknown tool '{tool_id}' (see `decision tools`)") from None

    def scenario(self, scenario_id: str | None = None) -> Scenario:
        sid = scenario_id or self.default_scenario
        for s in self.scenarios:
            if s.id == sid:
                return s
        known = ", ".join(s.id for s in self.scenarios)
        raise CatalogError(f"unknown scenario '{sid}'; known: {known}")

    def criterion(self, criterion_id: str) -> Criterion:
        for c in self.criteria:
            if c.id == criterion_id:
                return c
        raise CatalogError(f"unknown criterion '{criterion_id}'; known: {', '.join(self.criterion_ids)}")


# ----------------------------------------------------------------------------------------------------------------
# Row schemas (pydantic does the type checks; cross-references are checked below)

class _CriterionRow(Row):
    id: Id
    name: Text
    direction: Literal["benefit", "cost"]
    status_quo: Number
    scale_min: Number
    scale_max: Number
    description: str = ""


class _ToolRow(Row):
    id: Id
    name: Text
    family: Id
    rung: Annotated[int, Field(ge=0, le=8)]
    stance: Literal["de_escalating", "engagement", "scrutiny", "pressure"]
    redundancy_group: str = ""
    lead_time: Literal["days", "weeks", "months", "years"]
    description: Text

    @field_validator("redundancy_group")
    @classmethod
    def _group_id(cls, v: str) -> str:
        if v and not re.match(ID_PATTERN, v):
            raise ValueError("expected empty or a snake_case group id")
        return v


class _ScoreRow(Row):
    tool: Id
    criterion: Id
    change: Number
    low: Number
    high: Number
    rationale: Text
    source: Text


class _EffortRow(Row):
    tool: Id
    effort: Annotated[float, Field(ge=0, le=10, allow_inf_nan=False)]
    rationale: Text
    source: Text


class _InteractionRow(Row):
    id: Id
    kind: Literal["synergy", "conflict", "redundancy"]
    tools_a: IdList
    tools_b: IdList
    condition: Literal["with", "without"]
    criterion: Id
    effect: Number
    rationale: Text
    source: Text
    scales_with: str = ""


class _FactorRow(Row):
    id: Id
    name: Text
    description: str = ""


class _ScenarioRow(Row):
    id: Id
    name: Text
    description: str = ""
    factors: dict[str, Annotated[float, Field(ge=0, le=10, allow_inf_nan=False)]]
    facts: list[Id] = []
    effort_capacity: Annotated[float, Field(gt=0, le=1000, allow_inf_nan=False)] | None = None


class _RuleRow(Row):
    id: Id
    factor: Id
    tools: IdList
    criterion: Id
    per_point: Number
    rationale: Text
    source: Text
    only: Literal["both", "above", "below"] = "both"


class _StatusQuoRuleRow(Row):
    id: Id
    factor: Id
    criterion: Id
    per_point: Number
    rationale: Text
    source: Text
    only: Literal["both", "above", "below"] = "both"


class _ScenariosFile(Row):
    factors: list[dict]
    scenarios: list[dict]
    rules: list[dict] = []
    status_quo_rules: list[dict] = []
    default_scenario: Id


class _Exclusive(Row):
    id: Id
    tools: IdList
    rationale: str = ""
    source: str = ""


class _Prerequisite(Row):
    id: Id
    tool: Id
    requires_any: IdList
    rationale: str = ""
    source: str = ""


class _Premise(Row):
    tool: Id
    rationale: str = ""
    source: str = ""


class _RedLineRow(Row):
    criterion: Id
    max: Number | None = None
    min: Number | None = None
    rationale: str = ""


class _Ladder(Row):
    enabled: bool = True
    from_rung: Annotated[int, Field(ge=1, le=8)] = 4
    gap: Annotated[int, Field(ge=1, le=8)] = 2
    waived_if: list[dict[str, Annotated[float, Field(ge=0, le=10)]]] = []
    rationale: str = ""
    source: str = ""


class _Floor(Row):
    enabled: bool = True
    criterion: Id
    base: Number
    per_point: dict[str, Number] = {}
    minimum: Number = 0.0
    maximum: Number = 10.0
    min_tool_change: Number = 0.0
    strong_tool_excludes: list[Id] = []
    rationale: Text
    source: Text


class _ToolRedLines(Row):
    enabled: bool = True
    allow: list[Id] = []
    rationale: str = ""


class _Availability(Row):
    tool: Id
    when: dict
    rationale: Text
    source: Text


class _ObligationRow(Row):
    id: Id
    name: Text
    tools: IdList
    when: dict
    rationale: Text
    source: Text


class _LegalObligations(Row):
    enabled: bool = True
    rules: list[dict] = []
    rationale: str = ""
    source: str = ""


class _When(Row):
    facts: list[Id] = []
    factors: dict[str, Annotated[float, Field(ge=0, le=10, allow_inf_nan=False)]] = {}


class _ConstraintsFile(Row):
    max_tools: Annotated[int, Field(ge=1, le=30)]
    min_tools: Annotated[int, Field(ge=1, le=30)] = 1
    excluded_by_premise: list[dict] = []
    exclusive: list[dict] = []
    prerequisites: list[dict] = []
    forced_in: list[str] = []
    forced_out: list[str] = []
    red_lines: list[dict] = []
    escalation_ladder: dict | None = None
    effort_capacity: Annotated[float, Field(gt=0, le=1000, allow_inf_nan=False)] | None = None
    accountability_floor: dict | None = None
    tool_red_lines: dict | None = None
    legal_obligations: dict | None = None
    contrast_only: list[dict] = []
    available_when: list[dict] = []


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


# ----------------------------------------------------------------------------------------------------------------
# Reading

def _unique(items, file: str, what: str, where):
    seen = {}
    for item, w in zip(items, where):
        if item in seen:
            raise CatalogError(f"duplicate {what} '{item}' (first at {seen[item]})", file=file, where=w, field="id")
        seen[item] = w


def _distinct_names(trows) -> None:
    """Two tools may not share a display name (ignoring case and spacing): a table or a #1 would list it twice and
    no reader could tell the tools apart."""
    seen: dict[str, tuple[str, int]] = {}
    for t, ln in trows:
        key = " ".join(t.name.split()).casefold()
        if key in seen:
            first, first_ln = seen[key]
            raise CatalogError(f"tools '{first}' (line {first_ln}) and '{t.id}' have the same name "
                               f"'{t.name[:60]}'; give each tool its own name", file="tools.csv",
                               where=f"line {ln}", field="name")
        seen[key] = (t.id, ln)


def _check_tools(ids, known: set, file: str, where: str, fieldname: str):
    for t in ids:
        if t not in known:
            raise CatalogError(f"unknown tool '{t}' (not in tools.csv)", file=file, where=where, field=fieldname)


def _check_interaction(it, criterion: Criterion, earlier, line: int) -> None:
    """An interaction's effect stays within its criterion's scale width, and no interaction comes twice (same id and
    criterion, or same tools, condition and criterion: it would be counted twice)."""
    width = criterion.scale_max - criterion.scale_min
    if not abs(it.effect) <= width:
        raise CatalogError(f"effect {it.effect:g} is larger than the {criterion.id} scale width {width:g}",
                           file="interactions.csv", where=f"line {line}", field="effect")
    key = (frozenset(it.tools_a), frozenset(it.tools_b), it.condition, it.criterion)
    for k, other in enumerate(earlier):
        if (other.id, other.criterion) == (it.id, it.criterion):
            raise CatalogError(f"interaction '{it.id}' on {it.criterion} is given twice (it would count twice)",
                               file="interactions.csv", where=f"line {line}", field="id")
        if (frozenset(other.tools_a), frozenset(other.tools_b), other.condition, other.criterion) == key:
            raise CatalogError(f"same tools, condition and criterion as interaction '{other.id}' (it would count "
                               "twice; merge the two rows)", file="interactions.csv", where=f"line {line}",
                               field="tools_a")


def _check_rule(row, where: str, fids, cidx) -> None:
    """A scenario or status-quo rule names a known factor and criterion."""
    if row.factor not in fids:
        raise CatalogError(f"unknown factor '{row.factor}'", file="scenarios.yaml", where=where, field="factor")
    if row.criterion not in cidx:
        raise CatalogError(f"unknown criterion '{row.criterion}'", file="scenarios.yaml", where=where,
                           field="criterion")


def load_catalog(path: str | Path | None = None) -> Catalog:
    """Load and validate a catalogue folder; ``None`` loads the bundled one (``data/``)."""
    folder = Path(path) if path is not None else BUNDLED
    if not folder.is_dir():
        raise CatalogError(f"catalogue folder not found: {folder}")

    # criteria
    rows = read_csv(folder, "criteria.csv", _CriterionRow)
    crit = [(validate(_CriterionRow, r, "criteria.csv", f"line {ln}"), ln) for ln, r in rows]
    _unique([c.id for c, _ in crit], "criteria.csv", "criterion id", [f"line {ln}" for _, ln in crit])
    for c, ln in crit:
        if not c.scale_min < c.scale_max:
            raise CatalogError(f"scale_min ({c.scale_min:g}) must be below scale_max ({c.scale_max:g})",
                               file="criteria.csv", where=f"line {ln}", field="scale_max")
        if not c.scale_min <= c.status_quo <= c.scale_max:
            raise CatalogError(f"status_quo {c.status_quo:g} is outside the scale {c.scale_min:g}-{c.scale_max:g}",
                               file="criteria.csv", where=f"line {ln}", field="status_quo")
    criteria = tuple(Criterion(**c.model_dump()) for c, _ in crit)
    cidx = {c.id: j for j, c in enumerate(criteria)}

    # tools
    rows = read_csv(folder, "tools.csv", _ToolRow)
    trows = [(validate(_ToolRow, r, "tools.csv", f"line {ln}"), ln) for ln, r in rows]
    _unique([t.id for t, _ in trows], "tools.csv", "tool id", [f"line {ln}" for _, ln in trows])
    _distinct_names(trows)
    tidx = {t.id: i for i, (t, _) in enumerate(trows)}
    known = set(tidx)

    # effort
    effort: dict[str, float] = {}
    for ln, r in read_csv(folder, "effort.csv", _EffortRow):
        e = validate(_EffortRow, r, "effort.csv", f"line {ln}")
        _check_tools([e.tool], known, "effort.csv", f"line {ln}", "tool")
        if e.tool in effort:
            raise CatalogError(f"duplicate effort for '{e.tool}'", file="effort.csv", where=f"line {ln}", field="tool")
        effort[e.tool] = e.effort
    for t, _ in trows:
        if t.id not in effort:
            raise CatalogError(f"no effort for tool '{t.id}' (every tool needs one row)", file="effort.csv",
                               where=f"tool {t.id}", field="effort")
    tools = tuple(Tool(**{**t.model_dump(), "redundancy_group": t.redundancy_group or None, "effort": effort[t.id]})
                  for t, _ in trows)

    # scores
    rows = read_csv(folder, "scores.csv", _ScoreRow)
    shape = (len(tools), len(criteria))
    score, low, high = np.full(shape, np.nan), np.full(shape, np.nan), np.full(shape, np.nan)
    notes: dict[tuple[str, str], tuple[str, str]] = {}
    seen: dict[tuple[str, str], int] = {}
    for ln, r in rows:
        s = validate(_ScoreRow, r, "scores.csv", f"line {ln}")
        w = f"line {ln}"
        if s.tool not in tidx:
            raise CatalogError(f"unknown tool '{s.tool}' (not in tools.csv)", file="scores.csv", where=w, field="tool")
        if s.criterion not in cidx:
            raise CatalogError(f"unknown criterion '{s.criterion}' (not in criteria.csv)", file="scores.csv",
                               where=w, field="criterion")
        if (s.tool, s.criterion) in seen:
            raise CatalogError(f"duplicate score for {s.tool} / {s.criterion} (first at line {seen[s.tool, s.criterion]})",
                               file="scores.csv", where=w, field="criterion")
        seen[s.tool, s.criterion] = ln
        c = criteria[cidx[s.criterion]]
        span = c.scale_max - c.scale_min
        for name in ("change", "low", "high"):
            v = getattr(s, name)
            if not -span <= v <= span:
                raise CatalogError(f"{v:g} is outside -{span:g}..{span:g} (a change on the {c.id} scale)",
                                   file="scores.csv", where=w, field=name)
        if not s.low <= s.change <= s.high:
            raise CatalogError(f"change {s.change:g} is outside its own range low {s.low:g} - high {s.high:g}",
                               file="scores.csv", where=w, field="change")
        i, j = tidx[s.tool], cidx[s.criterion]
        score[i, j], low[i, j], high[i, j] = s.change, s.low, s.high
        notes[s.tool, s.criterion] = (s.rationale, s.source)
    for t in tools:
        for c in criteria:
            if (t.id, c.id) not in seen:
                raise CatalogError(f"no score for tool '{t.id}' on criterion '{c.id}' (every tool needs one row per "
                                   "criterion)", file="scores.csv", where=f"tool {t.id}", field="criterion")

    # interactions
    rows = read_csv(folder, "interactions.csv", _InteractionRow)
    interactions, inter_lines = [], []
    for ln, r in rows:
        it = validate(_InteractionRow, r, "interactions.csv", f"line {ln}")
        _check_tools(it.tools_a, known, "interactions.csv", f"line {ln}", "tools_a")
        _check_tools(it.tools_b, known, "interactions.csv", f"line {ln}", "tools_b")
        if it.criterion not in cidx:
            raise CatalogError(f"unknown criterion '{it.criterion}'", file="interactions.csv", where=f"line {ln}",
                               field="criterion")
        _check_interaction(it, criteria[cidx[it.criterion]], interactions, ln)
        interactions.append(Interaction(**{**it.model_dump(), "scales_with": it.scales_with or None}))
        inter_lines.append(ln)

    # scenarios, factors, rules
    sc = validate(_ScenariosFile, read_yaml(folder, "scenarios.yaml"), "scenarios.yaml", "top level")
    factors = []
    for k, f in enumerate(sc.factors):
        factors.append(Factor(**validate(_FactorRow, f, "scenarios.yaml", f"factors[{k}]").model_dump()))
    _unique([f.id for f in factors], "scenarios.yaml", "factor id", [f"factors[{k}]" for k in range(len(factors))])
    fids = [f.id for f in factors]
    scenarios = []
    for k, s in enumerate(sc.scenarios):
        row = validate(_ScenarioRow, s, "scenarios.yaml", f"scenarios[{k}]")
        where = f"scenarios[{k}] ({row.id})"
        for fid in row.factors:
            if fid not in fids:
                raise CatalogError(f"unknown factor '{fid}'; known: {', '.join(fids)}", file="scenarios.yaml",
                                   where=where, field=f"factors.{fid}")
        for fid in fids:
            if fid not in row.factors:
                raise CatalogError("missing value (every scenario gives every factor, 0-10, 5 neutral)",
                                   file="scenarios.yaml", where=where, field=f"factors.{fid}")
        scenarios.append(Scenario(row.id, row.name, row.description, {f: row.factors[f] for f in fids},
                                  tuple(row.facts), row.effort_capacity))
    _unique([s.id for s in scenarios], "scenarios.yaml", "scenario id",
            [f"scenarios[{k}]" for k in range(len(scenarios))])
    if sc.default_scenario not in {s.id for s in scenarios}:
        raise CatalogError(f"unknown scenario '{sc.default_scenario}'", file="scenarios.yaml",
                           where="top level", field="default_scenario")
    rules = []
    for k, r in enumerate(sc.rules):
        row = validate(_RuleRow, r, "scenarios.yaml", f"rules[{k}]")
        where = f"rules[{k}] ({row.id})"
        _check_rule(row, where, fids, cidx)
        _check_tools(row.tools, known, "scenarios.yaml", where, "tools")
        rules.append(Rule(**row.model_dump()))
    _unique([r.id for r in rules], "scenarios.yaml", "rule id", [f"rules[{k}]" for k in range(len(rules))])
    sq_rules = []
    for k, r in enumerate(sc.status_quo_rules):
        row = validate(_StatusQuoRuleRow, r, "scenarios.yaml", f"status_quo_rules[{k}]")
        _check_rule(row, f"status_quo_rules[{k}] ({row.id})", fids, cidx)
        sq_rules.append(Rule(row.id, row.factor, (), row.criterion, row.per_point, row.rationale, row.source,
                             row.only))
    for it, ln in zip(interactions, inter_lines):
        if it.scales_with and it.scales_with not in fids:
            raise CatalogError(f"unknown factor '{it.scales_with}'; known: {', '.join(fids)}",
                               file="interactions.csv", where=f"line {ln}", field="scales_with")

    constraints = _load_constraints(read_yaml(folder, "constraints.yaml"), tools, tidx, cidx, fids)
    known_facts = {f for s_ in scenarios for f in s_.facts}
    uses = ([(f"legal_obligations.rules[{k}] ({ob.id})", ob.facts) for k, ob in enumerate(constraints.obligations)]
            + [(f"available_when[{k}] ({av.tool})", av.facts) for k, av in enumerate(constraints.available_when)])
    for where, facts in uses:                    # every fact a rule waits for must be one some scenario can give
        for fact in facts:
            if fact not in known_facts:
                raise CatalogError(f"fact '{fact}' is given by no scenario (scenarios.yaml facts)",
                                   file="constraints.yaml", where=where, field="when.facts")
    mf = validate(_ModelFile, read_yaml(folder, "model.yaml"), "model.yaml", "top level")
    if not 0 <= mf.complementarity.value < 1:
        raise CatalogError(f"expected a number in [0, 1), got {mf.complementarity.value:g}", file="model.yaml",
                           where="complementarity", field="value")
    if not 0 <= mf.redundancy_factor.value <= 1:
        raise CatalogError(f"expected a number in [0, 1], got {mf.redundancy_factor.value:g}", file="model.yaml",
                           where="redundancy_factor", field="value")
    horizon = None
    if mf.time_horizon is not None:
        h = validate(_Horizon, mf.time_horizon, "model.yaml", "time_horizon")
        if h.criterion not in cidx:
            raise CatalogError(f"unknown criterion '{h.criterion}'", file="model.yaml", where="time_horizon",
                               field="criterion")
        missing = sorted({t.lead_time for t in tools} - set(h.lead_time_months))
        if missing:
            raise CatalogError(f"no length given for lead time '{missing[0]}'", file="model.yaml",
                               where="time_horizon", field="lead_time_months")
        horizon = TimeHorizon(h.criterion, h.discount, dict(h.lead_time_months))
    effort_cost = mf.effort_cost.value if mf.effort_cost is not None else 0.0
    if not 0 <= effort_cost <= 0.1:
        raise CatalogError(f"expected a number in [0, 0.1], got {effort_cost:g}", file="model.yaml",
                           where="effort_cost", field="value")
    quiet_cap = _quiet_cap(mf.quiet_cap, criteria, cidx, known)
    model = ModelParams(mf.complementarity.value, mf.redundancy_factor.value, horizon, effort_cost, quiet_cap)

    for a in (score, low, high):
        a.setflags(write=False)
    return Catalog(criteria, tools, score, low, high, notes, tuple(interactions), tuple(factors), tuple(scenarios),
                   tuple(rules), tuple(sq_rules), sc.default_scenario, constraints, model, str(folder),
                   _digest(folder))


def _quiet_cap(data: dict | None, criteria, cidx: dict, known: set) -> QuietCap | None:
    """model.yaml ``quiet_cap``: a known criterion, a level on its scale, known tools."""
    if data is None:
        return None
    where = "quiet_cap"
    q = validate(_QuietCap, data, "model.yaml", where)
    if q.criterion not in cidx:
        raise CatalogError(f"unknown criterion '{q.criterion}'", file="model.yaml", where=where, field="criterion")
    c = criteria[cidx[q.criterion]]
    if not c.scale_min <= q.level <= c.scale_max:
        raise CatalogError(f"expected a level on the {c.id} scale ({c.scale_min:g}-{c.scale_max:g}), got {q.level:g}",
                           file="model.yaml", where=where, field="level")
    _check_tools(q.unless_any, known, "model.yaml", where, "unless_any")
    return QuietCap(q.criterion, float(q.level), tuple(q.unless_any), q.rationale, q.source)


def _digest(folder: Path) -> str:
    """SHA-256 over the catalogue files (name + bytes), for provenance stamps."""
    h = hashlib.sha256()
    for name in FILES:
        h.update(name.encode())
        h.update((folder / name).read_bytes())
    return h.hexdigest()


def _load_constraints(data: dict, tools, tidx: dict, cidx: dict, fids: list[str]) -> Constraints:
    F = "constraints.yaml"
    cf = validate(_ConstraintsFile, data, F, "top level")
    known = set(tidx)
    premise = []
    for k, p in enumerate(cf.excluded_by_premise):
        row = validate(_Premise, p, F, f"excluded_by_premise[{k}]")
        _check_tools([row.tool], known, F, f"excluded_by_premise[{k}]", "tool")
        premise.append(row.tool)
    exclusive = []
    for k, e in enumerate(cf.exclusive):
        row = validate(_Exclusive, e, F, f"exclusive[{k}]")
        _check_tools(row.tools, known, F, f"exclusive[{k}] ({row.id})", "tools")
        if len(row.tools) < 2:
            raise CatalogError("an exclusive group needs at least two tools", file=F, where=f"exclusive[{k}]",
                               field="tools")
        exclusive.append(row.tools)
    for key in ("forced_in", "forced_out"):
        _check_tools(getattr(cf, key), known, F, "top level", key)
    forced_in, forced_out = tuple(cf.forced_in), tuple(cf.forced_out)
    for t in forced_in:
        if t in premise:
            raise CatalogError(f"'{t}' is excluded by the premise and cannot be forced in", file=F,
                               where="top level", field="forced_in")
        if t in forced_out:
            raise CatalogError(f"'{t}' is both forced in and forced out", file=F, where="top level",
                               field="forced_in")
    for g in exclusive:
        both = [t for t in g if t in forced_in]
        if len(both) > 1:
            raise CatalogError(f"exclusive tools {both[0]} and {both[1]} are both forced in", file=F,
                               where="top level", field="forced_in")
    prereq = []
    for k, p in enumerate(cf.prerequisites):
        row = validate(_Prerequisite, p, F, f"prerequisites[{k}]")
        where = f"prerequisites[{k}] ({row.id})"
        _check_tools([row.tool], known, F, where, "tool")
        _check_tools(row.requires_any, known, F, where, "requires_any")
        prereq.append((row.tool, row.requires_any))
    red = []
    for k, r in enumerate(cf.red_lines):
        row = validate(_RedLineRow, r, F, f"red_lines[{k}]")
        if row.criterion not in cidx:
            raise CatalogError(f"unknown criterion '{row.criterion}'", file=F, where=f"red_lines[{k}]",
                               field="criterion")
        if row.max is None and row.min is None:
            raise CatalogError("a red line needs 'max' or 'min'", file=F, where=f"red_lines[{k}]", field="max")
        red.append(RedLine(row.criterion, row.max, row.min, row.rationale))
    ladder = validate(_Ladder, cf.escalation_ladder or {"enabled": False}, F, "escalation_ladder")
    for k, group in enumerate(ladder.waived_if):
        for fid in group:
            if fid not in fids:
                raise CatalogError(f"unknown factor '{fid}'", file=F, where="escalation_ladder",
                                   field=f"waived_if[{k}].{fid}")
    floor = None
    if cf.accountability_floor is not None:
        fl = validate(_Floor, cf.accountability_floor, F, "accountability_floor")
        if fl.criterion not in cidx:
            raise CatalogError(f"unknown criterion '{fl.criterion}'", file=F, where="accountability_floor",
                               field="criterion")
        for fid in fl.per_point:
            if fid not in fids:
                raise CatalogError(f"unknown factor '{fid}'", file=F, where="accountability_floor",
                                   field=f"per_point.{fid}")
        if fl.minimum > fl.maximum:
            raise CatalogError(f"minimum ({fl.minimum:g}) exceeds maximum ({fl.maximum:g})", file=F,
                               where="accountability_floor", field="minimum")
        _check_tools(fl.strong_tool_excludes, known, F, "accountability_floor", "strong_tool_excludes")
        floor = AccountabilityFloor(fl.criterion, fl.base, tuple(fl.per_point.items()), fl.minimum, fl.maximum,
                                    fl.min_tool_change, fl.rationale, fl.source, fl.enabled,
                                    tuple(fl.strong_tool_excludes))
    trl = validate(_ToolRedLines, cf.tool_red_lines or {"enabled": False}, F, "tool_red_lines")
    _check_tools(trl.allow, known, F, "tool_red_lines", "allow")
    obligations, ob_enabled = [], True
    if cf.legal_obligations is not None:
        lo = validate(_LegalObligations, cf.legal_obligations, F, "legal_obligations")
        ob_enabled = lo.enabled
        for k, o in enumerate(lo.rules):
            where = f"legal_obligations.rules[{k}]"
            row = validate(_ObligationRow, o, F, where)
            when = validate(_When, row.when, F, f"{where} ({row.id})")
            _check_tools(row.tools, known, F, f"{where} ({row.id})", "tools")
            for fid in when.factors:
                if fid not in fids:
                    raise CatalogError(f"unknown factor '{fid}'", file=F, where=f"{where} ({row.id})",
                                       field=f"when.factors.{fid}")
            if not when.facts and not when.factors:
                raise CatalogError("an obligation needs facts or factor thresholds in 'when'", file=F,
                                   where=f"{where} ({row.id})", field="when")
            for t in row.tools:
                if t in premise:
                    raise CatalogError(f"'{t}' is excluded by the premise and cannot be mandatory", file=F,
                                       where=f"{where} ({row.id})", field="tools")
            obligations.append(Obligation(row.id, row.name, row.tools, tuple(when.facts),
                                          tuple(when.factors.items()), row.rationale, row.source))
    needs = []
    for k, r in enumerate(cf.available_when):
        row = validate(_Availability, r, F, f"available_when[{k}]")
        where = f"available_when[{k}] ({row.tool})"
        _check_tools([row.tool], known, F, where, "tool")
        when = validate(_When, row.when, F, where)
        for fid in when.factors:
            if fid not in fids:
                raise CatalogError(f"unknown factor '{fid}'", file=F, where=where, field=f"when.factors.{fid}")
        if not when.facts and not when.factors:
            raise CatalogError("a condition needs facts or factor thresholds in 'when'", file=F, where=where,
                               field="when")
        needs.append(Availability(row.tool, tuple(when.facts), tuple(when.factors.items()), row.rationale,
                                  row.source))
    contrast = []
    for k, p in enumerate(cf.contrast_only):
        row = validate(_Premise, p, F, f"contrast_only[{k}]")
        _check_tools([row.tool], known, F, f"contrast_only[{k}]", "tool")
        contrast.append(row.tool)
    if cf.min_tools > cf.max_tools:
        raise CatalogError(f"min_tools ({cf.min_tools}) exceeds max_tools ({cf.max_tools})", file=F,
                           where="top level", field="min_tools")
    cons = Constraints(cf.max_tools, cf.min_tools, tuple(premise), tuple(exclusive), tuple(prereq), forced_in,
                       forced_out, tuple(red), ladder.enabled, ladder.from_rung, ladder.gap,
                       tuple(tuple(g.items()) for g in ladder.waived_if), cf.effort_capacity, floor, trl.enabled,
                       tuple(trl.allow), tuple(obligations), ob_enabled, tuple(contrast),
                       available_when=tuple(needs))
    check_constraints(cons, [t.id for t in tools], file=F)
    return cons


def check_constraints(cons: Constraints, tool_ids: list[str], file: str = "constraints") -> None:
    """Reject prerequisites that loop or cannot be met within the cap, with the same one-line errors."""
    unavailable = set(cons.excluded_by_premise) | set(cons.forced_out)
    requires = {}
    for tool, options in cons.prerequisites:
        requires.setdefault(tool, set()).update(options)
    # cycles (depth-first search over "tool requires option")
    state: dict[str, int] = {}

    def visit(t, path):
        state[t] = 1
        for o in sorted(requires.get(t, ())):
            if state.get(o) == 1:
                cyc = path[path.index(o):] + [o] if o in path else [t, o]
                raise CatalogError(f"prerequisites form a cycle: {' -> '.join(cyc)}", file=file,
                                   where="prerequisites", field="requires_any")
            if state.get(o) is None:
                visit(o, path + [o])
        state[t] = 2

    for t in sorted(requires):
        if state.get(t) is None:
            visit(t, [t])

    # smallest number of tools needed to include t (acyclic now)
    memo: dict[str, float] = {}

    def need(t):
        if t in unavailable:
            return math.inf
        if t not in memo:
            opts = requires.get(t)
            memo[t] = 1 + (min(need(o) for o in opts) if opts else 0)
        return memo[t]

    for t in tool_ids:
        if t in requires and t not in unavailable and need(t) == math.inf:
            raise CatalogError(f"prerequisite of '{t}' can never be met: every option in "
                               f"{sorted(requires[t])} is excluded or forced out", file=file,
                               where="prerequisites", field="requires_any")
    for t in cons.forced_in:
        if need(t) > cons.max_tools:
            raise CatalogError(f"forced-in tool '{t}' needs {need(t):g} tools with its prerequisites, more than "
                               f"max_tools={cons.max_tools}", file=file, where="top level", field="forced_in")
    if len(cons.forced_in) > cons.max_tools:
        raise CatalogError(f"{len(cons.forced_in)} tools are forced in but max_tools is {cons.max_tools}",
                           file=file, where="top level", field="max_tools")
