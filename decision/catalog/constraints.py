"""``constraints.yaml``: what makes a combination feasible (tool limits, premise, exclusive groups, prerequisites, red
lines, the escalation ladder, the accountability floor, legal obligations, availability). :func:`check_constraints`
also checks an analyst's overrides (the command line and the dashboard build a :class:`Constraints` too)."""
from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated

from pydantic import Field

from ..errors import CatalogError
from ..schema import Id, IdList, Number, Row, Text, check_factors, check_tools, read_yaml, validate
from .obligations import Availability, Obligation, load_availability, load_obligations
from .scenarios import NEUTRAL_FACTOR, Scenario

FILE = "constraints.yaml"


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


def load_constraints(folder: Path, tool_ids: list[str], criterion_ids, fids: list[str]) -> Constraints:
    """Every section of ``constraints.yaml`` against the known tools, criteria and factors, then
    :func:`check_constraints` (prerequisites that loop or cannot be met)."""
    cf = validate(_ConstraintsFile, read_yaml(folder, FILE), FILE, "top level")
    known = set(tool_ids)
    premise = _tools_of(cf.excluded_by_premise, "excluded_by_premise", known)
    exclusive = []
    for k, e in enumerate(cf.exclusive):
        row = validate(_Exclusive, e, FILE, f"exclusive[{k}]")
        check_tools(row.tools, known, FILE, f"exclusive[{k}] ({row.id})", "tools")
        if len(row.tools) < 2:
            raise CatalogError("an exclusive group needs at least two tools", file=FILE, where=f"exclusive[{k}]",
                               field="tools")
        exclusive.append(row.tools)
    _check_forced(cf, premise, exclusive, known)
    prereq = []
    for k, p in enumerate(cf.prerequisites):
        row = validate(_Prerequisite, p, FILE, f"prerequisites[{k}]")
        check_tools([row.tool], known, FILE, f"prerequisites[{k}] ({row.id})", "tool")
        check_tools(row.requires_any, known, FILE, f"prerequisites[{k}] ({row.id})", "requires_any")
        prereq.append((row.tool, row.requires_any))
    red = tuple(_red_line(r, k, criterion_ids) for k, r in enumerate(cf.red_lines))
    ladder = validate(_Ladder, cf.escalation_ladder or {"enabled": False}, FILE, "escalation_ladder")
    for k, group in enumerate(ladder.waived_if):
        check_factors(group, fids, FILE, "escalation_ladder", f"waived_if[{k}]")
    floor = _floor(cf.accountability_floor, criterion_ids, fids, known)
    trl = validate(_ToolRedLines, cf.tool_red_lines or {"enabled": False}, FILE, "tool_red_lines")
    check_tools(trl.allow, known, FILE, "tool_red_lines", "allow")
    obligations, ob_enabled = load_obligations(cf.legal_obligations, known, fids, premise)
    needs = load_availability(cf.available_when, known, fids)
    contrast = _tools_of(cf.contrast_only, "contrast_only", known)
    if cf.min_tools > cf.max_tools:
        raise CatalogError(f"min_tools ({cf.min_tools}) exceeds max_tools ({cf.max_tools})", file=FILE,
                           where="top level", field="min_tools")
    cons = Constraints(cf.max_tools, cf.min_tools, tuple(premise), tuple(exclusive), tuple(prereq),
                       tuple(cf.forced_in), tuple(cf.forced_out), red, ladder.enabled, ladder.from_rung, ladder.gap,
                       tuple(tuple(g.items()) for g in ladder.waived_if), cf.effort_capacity, floor, trl.enabled,
                       tuple(trl.allow), obligations, ob_enabled, tuple(contrast), available_when=needs)
    check_constraints(cons, list(tool_ids), file=FILE)
    return cons


def _tools_of(items: list[dict], key: str, known: set) -> list[str]:
    """A list of ``{tool, rationale, source}`` (``excluded_by_premise``, ``contrast_only``): its known tool ids."""
    out = []
    for k, p in enumerate(items):
        row = validate(_Premise, p, FILE, f"{key}[{k}]")
        check_tools([row.tool], known, FILE, f"{key}[{k}]", "tool")
        out.append(row.tool)
    return out


def _check_forced(cf: _ConstraintsFile, premise: list[str], exclusive: list, known: set) -> None:
    """Forced-in and forced-out tools are known, not excluded, not both, and not two of one exclusive group."""
    for key in ("forced_in", "forced_out"):
        check_tools(getattr(cf, key), known, FILE, "top level", key)
    for t in cf.forced_in:
        if t in premise:
            raise CatalogError(f"'{t}' is excluded by the premise and cannot be forced in", file=FILE,
                               where="top level", field="forced_in")
        if t in cf.forced_out:
            raise CatalogError(f"'{t}' is both forced in and forced out", file=FILE, where="top level",
                               field="forced_in")
    for g in exclusive:
        both = [t for t in g if t in cf.forced_in]
        if len(both) > 1:
            raise CatalogError(f"exclusive tools {both[0]} and {both[1]} are both forced in", file=FILE,
                               where="top level", field="forced_in")


def _red_line(data: dict, k: int, criterion_ids) -> RedLine:
    """``red_lines[k]``: a known criterion and a ``max`` or a ``min``."""
    row = validate(_RedLineRow, data, FILE, f"red_lines[{k}]")
    if row.criterion not in criterion_ids:
        raise CatalogError(f"unknown criterion '{row.criterion}'", file=FILE, where=f"red_lines[{k}]",
                           field="criterion")
    if row.max is None and row.min is None:
        raise CatalogError("a red line needs 'max' or 'min'", file=FILE, where=f"red_lines[{k}]", field="max")
    return RedLine(row.criterion, row.max, row.min, row.rationale)


def _floor(data: dict | None, criterion_ids, fids: list[str], known: set) -> AccountabilityFloor | None:
    """``accountability_floor``: a known criterion and factors, minimum <= maximum, known excluded tools."""
    if data is None:
        return None
    where = "accountability_floor"
    fl = validate(_Floor, data, FILE, where)
    if fl.criterion not in criterion_ids:
        raise CatalogError(f"unknown criterion '{fl.criterion}'", file=FILE, where=where, field="criterion")
    check_factors(fl.per_point, fids, FILE, where, "per_point")
    if fl.minimum > fl.maximum:
        raise CatalogError(f"minimum ({fl.minimum:g}) exceeds maximum ({fl.maximum:g})", file=FILE, where=where,
                           field="minimum")
    check_tools(fl.strong_tool_excludes, known, FILE, where, "strong_tool_excludes")
    return AccountabilityFloor(fl.criterion, fl.base, tuple(fl.per_point.items()), fl.minimum, fl.maximum,
                               fl.min_tool_change, fl.rationale, fl.source, fl.enabled, tuple(fl.strong_tool_excludes))


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
