"""``tools.csv`` and ``effort.csv``: the diplomatic tools and the effort each one costs (data/README.md)."""
from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Literal

from pydantic import Field, field_validator

from ..errors import CatalogError
from ..schema import ID_PATTERN, Id, Name, Row, Text, check_tools, check_unique, read_csv, validate


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


class _ToolRow(Row):
    id: Id
    name: Name
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


class _EffortRow(Row):
    tool: Id
    effort: Annotated[float, Field(ge=0, le=10, allow_inf_nan=False)]
    rationale: Text
    source: Text


def load_tools(folder: Path) -> tuple[Tool, ...]:
    """The tools in file order (unique ids and display names), each with its effort from ``effort.csv``."""
    rows = read_csv(folder, "tools.csv", _ToolRow)
    trows = [(validate(_ToolRow, r, "tools.csv", f"line {ln}"), ln) for ln, r in rows]
    check_unique([t.id for t, _ in trows], "tools.csv", "tool id", [f"line {ln}" for _, ln in trows])
    _distinct_names(trows)
    effort = load_effort(folder, [t.id for t, _ in trows])
    return tuple(Tool(**{**t.model_dump(), "redundancy_group": t.redundancy_group or None, "effort": effort[t.id]})
                 for t, _ in trows)


def load_effort(folder: Path, tool_ids: list[str]) -> dict[str, float]:
    """``effort.csv``: exactly one effort for each of ``tool_ids``."""
    effort: dict[str, float] = {}
    known = set(tool_ids)
    for ln, r in read_csv(folder, "effort.csv", _EffortRow):
        e = validate(_EffortRow, r, "effort.csv", f"line {ln}")
        check_tools([e.tool], known, "effort.csv", f"line {ln}", "tool")
        if e.tool in effort:
            raise CatalogError(f"duplicate effort for '{e.tool}'", file="effort.csv", where=f"line {ln}", field="tool")
        effort[e.tool] = e.effort
    for t in tool_ids:
        if t not in effort:
            raise CatalogError(f"no effort for tool '{t}' (every tool needs one row)", file="effort.csv",
                               where=f"tool {t}", field="effort")
    return effort


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
