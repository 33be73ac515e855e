"""The conditional sections of ``constraints.yaml``: ``legal_obligations`` (tools a scenario makes mandatory) and
``available_when`` (tools that exist only in some scenarios). Both wait for facts and factor thresholds (``when``)."""
from __future__ import annotations

from dataclasses import dataclass

from ..errors import CatalogError
from ..schema import Id, IdList, Name, Row, Text, check_factors, check_tools, validate
from .scenarios import FactorValue, Scenario

FILE = "constraints.yaml"


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


class _When(Row):
    facts: list[Id] = []
    factors: dict[str, FactorValue] = {}


class _ObligationRow(Row):
    id: Id
    name: Name
    tools: IdList
    when: dict
    rationale: Text
    source: Text


class _LegalObligations(Row):
    enabled: bool = True
    rules: list[dict] = []
    rationale: str = ""
    source: str = ""


class _Availability(Row):
    tool: Id
    when: dict
    rationale: Text
    source: Text


def load_obligations(data: dict | None, known: set, fids: list[str],
                     premise: list[str]) -> tuple[tuple[Obligation, ...], bool]:
    """``legal_obligations``: its rules (known tools, none excluded by the premise) and whether it is enabled."""
    if data is None:
        return (), True
    lo = validate(_LegalObligations, data, FILE, "legal_obligations")
    obligations = []
    for k, o in enumerate(lo.rules):
        row = validate(_ObligationRow, o, FILE, f"legal_obligations.rules[{k}]")
        where = f"legal_obligations.rules[{k}] ({row.id})"
        when = validate(_When, row.when, FILE, where)
        check_tools(row.tools, known, FILE, where, "tools")
        _check_when(when, where, fids, "an obligation")
        for t in row.tools:
            if t in premise:
                raise CatalogError(f"'{t}' is excluded by the premise and cannot be mandatory", file=FILE,
                                   where=where, field="tools")
        obligations.append(Obligation(row.id, row.name, row.tools, tuple(when.facts), tuple(when.factors.items()),
                                      row.rationale, row.source))
    return tuple(obligations), lo.enabled


def load_availability(items: list[dict], known: set, fids: list[str]) -> tuple[Availability, ...]:
    """``available_when``: each a known tool and the conditions under which it exists."""
    needs = []
    for k, r in enumerate(items):
        row = validate(_Availability, r, FILE, f"available_when[{k}]")
        where = f"available_when[{k}] ({row.tool})"
        check_tools([row.tool], known, FILE, where, "tool")
        when = validate(_When, row.when, FILE, where)
        _check_when(when, where, fids, "a condition")
        needs.append(Availability(row.tool, tuple(when.facts), tuple(when.factors.items()), row.rationale,
                                  row.source))
    return tuple(needs)


def _check_when(when: _When, where: str, fids: list[str], what: str) -> None:
    """A ``when``: known factors, and at least one fact or factor threshold."""
    check_factors(when.factors, fids, FILE, where, "when.factors")
    if not when.facts and not when.factors:
        raise CatalogError(f"{what} needs facts or factor thresholds in 'when'", file=FILE, where=where,
                           field="when")


def check_facts(obligations, available_when, scenarios: tuple[Scenario, ...]) -> None:
    """Every fact an obligation or availability rule waits for is one that some scenario can give."""
    known_facts = {f for s in scenarios for f in s.facts}
    uses = ([(f"legal_obligations.rules[{k}] ({ob.id})", ob.facts) for k, ob in enumerate(obligations)]
            + [(f"available_when[{k}] ({av.tool})", av.facts) for k, av in enumerate(available_when)])
    for where, facts in uses:
        for fact in facts:
            if fact not in known_facts:
                raise CatalogError(f"fact '{fact}' is given by no scenario (scenarios.yaml facts)", file=FILE,
                                   where=where, field="when.facts")
