"""``scenarios.yaml``: the ally's factors, the scenarios (ally profiles) and the rules that shift scores by factor."""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Literal

from pydantic import Field

from ..errors import CatalogError
from ..schema import Id, IdList, Name, Number, Row, Text, check_tools, check_unique, read_yaml, validate

FILE = "scenarios.yaml"
NEUTRAL_FACTOR = 5.0
FactorValue = Annotated[float, Field(ge=0, le=10, allow_inf_nan=False)]
"""A factor's value or threshold: 0-10, 5 neutral."""


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
class Scenarios:
    """What ``scenarios.yaml`` holds, validated."""
    factors: tuple[Factor, ...]
    scenarios: tuple[Scenario, ...]
    rules: tuple[Rule, ...]
    status_quo_rules: tuple[Rule, ...]
    default_scenario: str


class _FactorRow(Row):
    id: Id
    name: Name
    description: str = ""


class _ScenarioRow(Row):
    id: Id
    name: Name
    description: str = ""
    factors: dict[str, FactorValue]
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


def load_scenarios(folder: Path, tool_ids, criterion_ids) -> Scenarios:
    """Factors (unique ids), scenarios (every factor given, unique ids, a known default) and the two kinds of rule
    (known factors, criteria and tools)."""
    sc = validate(_ScenariosFile, read_yaml(folder, FILE), FILE, "top level")
    factors = tuple(Factor(**validate(_FactorRow, f, FILE, f"factors[{k}]").model_dump())
                    for k, f in enumerate(sc.factors))
    check_unique([f.id for f in factors], FILE, "factor id", [f"factors[{k}]" for k in range(len(factors))])
    fids = [f.id for f in factors]
    scenarios = tuple(_scenario(s, k, fids) for k, s in enumerate(sc.scenarios))
    check_unique([s.id for s in scenarios], FILE, "scenario id", [f"scenarios[{k}]" for k in range(len(scenarios))])
    if sc.default_scenario not in {s.id for s in scenarios}:
        raise CatalogError(f"unknown scenario '{sc.default_scenario}'", file=FILE, where="top level",
                           field="default_scenario")
    rules = []
    for k, r in enumerate(sc.rules):
        row = validate(_RuleRow, r, FILE, f"rules[{k}]")
        where = f"rules[{k}] ({row.id})"
        _check_rule(row, where, fids, criterion_ids)
        check_tools(row.tools, set(tool_ids), FILE, where, "tools")
        rules.append(Rule(**row.model_dump()))
    check_unique([r.id for r in rules], FILE, "rule id", [f"rules[{k}]" for k in range(len(rules))])
    sq_rules = []
    for k, r in enumerate(sc.status_quo_rules):
        row = validate(_StatusQuoRuleRow, r, FILE, f"status_quo_rules[{k}]")
        _check_rule(row, f"status_quo_rules[{k}] ({row.id})", fids, criterion_ids)
        sq_rules.append(Rule(row.id, row.factor, (), row.criterion, row.per_point, row.rationale, row.source,
                             row.only))
    return Scenarios(factors, scenarios, tuple(rules), tuple(sq_rules), sc.default_scenario)


def _scenario(data: dict, k: int, fids: list[str]) -> Scenario:
    """``scenarios[k]``: a value for every factor and for no other."""
    row = validate(_ScenarioRow, data, FILE, f"scenarios[{k}]")
    where = f"scenarios[{k}] ({row.id})"
    for fid in row.factors:
        if fid not in fids:
            raise CatalogError(f"unknown factor '{fid}'; known: {', '.join(fids)}", file=FILE, where=where,
                               field=f"factors.{fid}")
    for fid in fids:
        if fid not in row.factors:
            raise CatalogError("missing value (every scenario gives every factor, 0-10, 5 neutral)", file=FILE,
                               where=where, field=f"factors.{fid}")
    return Scenario(row.id, row.name, row.description, {f: row.factors[f] for f in fids}, tuple(row.facts),
                    row.effort_capacity)


def _check_rule(row, where: str, fids, criterion_ids) -> None:
    """A scenario or status-quo rule names a known factor and criterion."""
    if row.factor not in fids:
        raise CatalogError(f"unknown factor '{row.factor}'", file=FILE, where=where, field="factor")
    if row.criterion not in criterion_ids:
        raise CatalogError(f"unknown criterion '{row.criterion}'", file=FILE, where=where, field="criterion")
