"""``criteria.csv``: the objectives, each with its direction, status-quo level and scale (data/README.md)."""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from ..errors import CatalogError
from ..schema import Id, Name, Number, Row, check_unique, read_csv, validate

FILE = "criteria.csv"


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


class _CriterionRow(Row):
    id: Id
    name: Name
    direction: Literal["benefit", "cost"]
    status_quo: Number
    scale_min: Number
    scale_max: Number
    description: str = ""


def load_criteria(folder: Path) -> tuple[Criterion, ...]:
    """The criteria in file order: unique ids, a scale that goes up, a status quo on it."""
    rows = read_csv(folder, FILE, _CriterionRow)
    crit = [(validate(_CriterionRow, r, FILE, f"line {ln}"), ln) for ln, r in rows]
    check_unique([c.id for c, _ in crit], FILE, "criterion id", [f"line {ln}" for _, ln in crit])
    for c, ln in crit:
        if not c.scale_min < c.scale_max:
            raise CatalogError(f"scale_min ({c.scale_min:g}) must be below scale_max ({c.scale_max:g})",
                               file=FILE, where=f"line {ln}", field="scale_max")
        if not c.scale_min <= c.status_quo <= c.scale_max:
            raise CatalogError(f"status_quo {c.status_quo:g} is outside the scale {c.scale_min:g}-{c.scale_max:g}",
                               file=FILE, where=f"line {ln}", field="status_quo")
    return tuple(Criterion(**c.model_dump()) for c, _ in crit)
