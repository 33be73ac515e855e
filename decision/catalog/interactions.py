"""``interactions.csv``: synergies, conflicts and redundancies between tools, each on one criterion."""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from ..errors import CatalogError
from ..schema import Id, IdList, Number, Row, Text, check_tools, read_csv, validate
from .criteria import Criterion

FILE = "interactions.csv"


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


def load_interactions(folder: Path, tool_ids, criteria: tuple[Criterion, ...]) -> list[tuple[Interaction, int]]:
    """The interactions in file order, each with its line (``scales_with`` is checked by :func:`check_scaling`
    once the factors are known)."""
    known = set(tool_ids)
    cidx = {c.id: j for j, c in enumerate(criteria)}
    out: list[tuple[Interaction, int]] = []
    for ln, r in read_csv(folder, FILE, _InteractionRow):
        it = validate(_InteractionRow, r, FILE, f"line {ln}")
        check_tools(it.tools_a, known, FILE, f"line {ln}", "tools_a")
        check_tools(it.tools_b, known, FILE, f"line {ln}", "tools_b")
        if it.criterion not in cidx:
            raise CatalogError(f"unknown criterion '{it.criterion}'", file=FILE, where=f"line {ln}",
                               field="criterion")
        _check_interaction(it, criteria[cidx[it.criterion]], [i for i, _ in out], ln)
        out.append((Interaction(**{**it.model_dump(), "scales_with": it.scales_with or None}), ln))
    return out


def check_scaling(interactions: list[tuple[Interaction, int]], factor_ids: list[str]) -> None:
    """Every ``scales_with`` names a factor of scenarios.yaml."""
    for it, ln in interactions:
        if it.scales_with and it.scales_with not in factor_ids:
            raise CatalogError(f"unknown factor '{it.scales_with}'; known: {', '.join(factor_ids)}",
                               file=FILE, where=f"line {ln}", field="scales_with")


def _check_interaction(it, criterion: Criterion, earlier, line: int) -> None:
    """An interaction's effect stays within its criterion's scale width, and no interaction comes twice (same id and
    criterion, or same tools, condition and criterion: it would be counted twice)."""
    width = criterion.scale_max - criterion.scale_min
    if not abs(it.effect) <= width:
        raise CatalogError(f"effect {it.effect:g} is larger than the {criterion.id} scale width {width:g}",
                           file=FILE, where=f"line {line}", field="effect")
    key = (frozenset(it.tools_a), frozenset(it.tools_b), it.condition, it.criterion)
    for other in earlier:
        if (other.id, other.criterion) == (it.id, it.criterion):
            raise CatalogError(f"interaction '{it.id}' on {it.criterion} is given twice (it would count twice)",
                               file=FILE, where=f"line {line}", field="id")
        if (frozenset(other.tools_a), frozenset(other.tools_b), other.condition, other.criterion) == key:
            raise CatalogError(f"same tools, condition and criterion as interaction '{other.id}' (it would count "
                               "twice; merge the two rows)", file=FILE, where=f"line {line}", field="tools_a")
