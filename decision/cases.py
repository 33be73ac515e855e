"""The case library: documented episodes in which a state answered abuses by a security partner (``data/cases/``).

One YAML file per episode, schema and coding rules in ``data/cases/README.md``. Files are read with the same
untrusted-file reader and strict schema as every catalogue file (:mod:`decision.schema`): every problem is one
:class:`CatalogError` naming the file, the record and the field. Episodes are checked against a catalogue: every tool
id must be one of its tools, the factors must be exactly its factors, facts and archetypes snake_case ids.

A stage lists the measures *added* (and tools *lifted*) at a review point, then how the partner answered the package
then in force; :attr:`Stage.in_force` is that package (tools added so far, less those lifted), in order of first use.

Where the cases live: a catalogue folder's own ``cases/`` folder when it has one, else the bundled library.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import BeforeValidator, Field

from . import safeio
from .defaults import MAX_CASE_FILES as _MAX_CASE_FILES
from .catalog import BUNDLED, Catalog, load_catalog
from .errors import CatalogError
from .schema import Id, Row, validate

BUNDLED_CASES = BUNDLED / "cases"
"""The bundled case library (``data/cases/``)."""
REACTIONS = ("complies", "stalls", "retaliates")
SECURITY = ("maintained", "degraded", "severed")
RIGHTS = ("improved", "none", "worsened")
CATEGORIES = ("exercise_scale_down", "transfer_pause", "unit_suspension", "full_suspension", "other")
MAX_CASE_FILES = _MAX_CASE_FILES
"""Most episode files in a case folder (the bundled library holds 39)."""
MAX_CASE_FILE_BYTES = 64 * 1024
"""Largest episode file (a bundled one is 3-6 KB)."""
MAX_STAGES = 20
"""Most stages in one episode."""
MAX_MEASURES = 30
"""Most measures added (or unexpressed) in one stage."""
MAX_TEXT = 300
"""Longest text field, in characters (one line each)."""
FIRST_YEAR, LAST_YEAR = 1975, 2023
"""The library covers episodes that started in these years."""

_DATE = re.compile(r"^(\d{4})(-(0[1-9]|1[0-2])(-(0[1-9]|[12]\d|3[01]))?)?$")


def _date(v: Any) -> str:
    text = str(v).strip() if isinstance(v, (str, int)) and not isinstance(v, bool) else None
    if text is None or not _DATE.match(text):
        raise ValueError("expected a date YYYY, YYYY-MM or YYYY-MM-DD")
    return text


def _line(v: Any) -> str:
    if not isinstance(v, str):
        raise ValueError("expected text")
    v = v.strip()
    if not v or "\n" in v or len(v) > MAX_TEXT:
        raise ValueError(f"expected one line of 1-{MAX_TEXT} characters")
    return v


Date = Annotated[str, BeforeValidator(_date)]
Line = Annotated[str, BeforeValidator(_line)]
Score = Annotated[float, Field(ge=0, le=10, allow_inf_nan=False)]


# ----------------------------------------------------------------------------------------------------------------
# Domain objects (immutable)

@dataclass(frozen=True)
class Measure:
    """One measure of a stage: a catalogue ``tool`` (None for an unexpressed measure, which has a ``category``)."""
    tool: str | None
    date: str
    what: str
    category: str | None = None


@dataclass(frozen=True)
class Stage:
    """Measures added and tools lifted at one point, then the partner's reaction to the package in force."""
    date: str
    added: tuple[Measure, ...]
    lifted: tuple[Measure, ...]
    unexpressed: tuple[Measure, ...]
    reaction: str
    retaliation: str | None
    response: str
    in_force: tuple[str, ...]


@dataclass(frozen=True)
class Source:
    author: str
    title: str
    year: int
    link: str


@dataclass(frozen=True)
class Episode:
    """A documented episode (``data/cases/README.md``). ``factors`` are on 0-10 as coded at ``start``; ``why`` holds
    the justification of each."""
    id: str
    title: str
    actor: str
    partner: str
    start: str
    end: str
    archetype: str
    abuses: str
    security_ties: str
    factors: dict[str, float]
    why: dict[str, str]
    facts: tuple[str, ...]
    stages: tuple[Stage, ...]
    security: str
    security_by: str
    security_what: str
    rights: str
    rights_verifiable: bool
    rights_what: str
    months_to_outcome: int
    sources: tuple[Source, ...]
    confidence: str
    disputed: tuple[str, ...]
    file: str

    @property
    def years(self) -> str:
        a, b = self.start[:4], self.end[:4]
        return a if a == b else f"{a}-{b}"

    @property
    def tools_used(self) -> tuple[str, ...]:
        """Every catalogue tool the actor used, in order of first use."""
        return tuple(dict.fromkeys(m.tool for s in self.stages for m in s.added))

    @property
    def unexpressed(self) -> tuple[Measure, ...]:
        return tuple(m for s in self.stages for m in s.unexpressed)


@dataclass(frozen=True)
class CaseLibrary:
    episodes: tuple[Episode, ...]
    folder: str

    def __len__(self) -> int:
        return len(self.episodes)

    def __iter__(self):
        return iter(self.episodes)

    def episode(self, episode_id: str) -> Episode:
        for e in self.episodes:
            if e.id == episode_id:
                return e
        raise CatalogError(f"unknown episode '{episode_id}'; known: {', '.join(e.id for e in self.episodes)}")


# ----------------------------------------------------------------------------------------------------------------
# Schemas

class _Factor(Row):
    value: Score
    why: Line


class _Added(Row):
    tool: Id
    date: Date
    what: Line


class _Unexpressed(Row):
    category: Literal[CATEGORIES]
    date: Date
    what: Line


class _Stage(Row):
    date: Date
    added: Annotated[list[_Added], Field(max_length=MAX_MEASURES)] = []
    lifted: Annotated[list[_Added], Field(max_length=MAX_MEASURES)] = []
    unexpressed: Annotated[list[_Unexpressed], Field(max_length=MAX_MEASURES)] = []
    reaction: Literal[REACTIONS]
    retaliation: Literal["minor", "major"] | None = None
    response: Line


class _Security(Row):
    status: Literal[SECURITY]
    by: Literal["actor", "partner", "both", "none"]
    what: Line


class _Rights(Row):
    status: Literal[RIGHTS]
    verifiable: bool
    what: Line


class _Source(Row):
    author: Line
    title: Line
    year: Annotated[int, Field(ge=1900, le=2100)]
    link: Annotated[str, Field(pattern=r"^https?://\S+$", max_length=2000)]


class _Episode(Row):
    id: Id
    title: Line
    actor: Line
    partner: Line
    start: Date
    end: Date
    archetype: Id
    abuses: Line
    security_ties: Line
    factors: dict[Id, _Factor]
    facts: list[Id] = []
    stages: Annotated[list[_Stage], Field(min_length=1, max_length=MAX_STAGES)]
    security_outcome: _Security
    rights_outcome: _Rights
    months_to_outcome: Annotated[int, Field(ge=0, le=240)]
    sources: Annotated[list[_Source], Field(min_length=2, max_length=20)]
    confidence: Literal["high", "medium", "low"]
    disputed: Annotated[list[Line], Field(max_length=20)] = []


# ----------------------------------------------------------------------------------------------------------------
# Loading

def cases_folder(catalog: Catalog | None) -> Path:
    """Where a catalogue's cases live: its own ``cases/`` folder when it holds episodes, else the bundled library."""
    own = Path(catalog.path) / "cases" if catalog is not None and catalog.path else None
    has_cases = own is not None and own.is_dir() and any(p.suffix in (".yaml", ".yml") for p in own.iterdir())
    return own if has_cases else BUNDLED_CASES


def load_cases(folder: str | Path | None = None, catalog: Catalog | None = None, lenient: bool = False
               ) -> CaseLibrary:
    """Load and check every ``*.yaml`` episode in ``folder`` (default: :func:`cases_folder` of ``catalog``) against
    ``catalog`` (default: the bundled catalogue). Episodes are sorted by start date, then id. ``lenient``: a tool id
    the catalogue lacks becomes an unexpressed measure (category ``other``, the id named in its text) instead of an
    error, to score an older or smaller catalogue against a library coded with more tools."""
    catalog = catalog if catalog is not None else load_catalog()
    folder = Path(folder) if folder is not None else cases_folder(catalog)
    if not folder.is_dir():
        raise CatalogError(f"case folder not found: {folder}")
    paths = sorted(p for p in folder.iterdir() if p.suffix in (".yaml", ".yml"))
    if len(paths) > MAX_CASE_FILES:
        raise CatalogError(f"{len(paths):,} episode files, above the limit of {MAX_CASE_FILES}", file=str(folder))
    if not paths:
        raise CatalogError("no episode files (*.yaml) in the case folder", file=str(folder))
    episodes = [_episode(p, catalog, lenient) for p in paths]
    return CaseLibrary(tuple(sorted(episodes, key=lambda e: (e.start, e.id))), str(folder))


def _without_unknown_tools(stage: _Stage, known: set) -> _Stage:
    """The stage with measures of tools outside ``known`` moved to ``unexpressed`` (lenient loading)."""
    gone = [m for m in (*stage.added, *stage.lifted) if m.tool not in known]
    if not gone:
        return stage
    moved = [_Unexpressed(category="other", date=m.date, what=f"{m.tool} (not in this catalogue): {m.what}"[:MAX_TEXT])
             for m in stage.added if m.tool not in known]
    return stage.model_copy(update={"added": [m for m in stage.added if m.tool in known],
                                    "lifted": [m for m in stage.lifted if m.tool in known],
                                    "unexpressed": [*stage.unexpressed, *moved]})


def _episode(path: Path, catalog: Catalog, lenient: bool = False) -> Episode:
    label = f"cases/{path.name}"
    data = safeio.load_yaml(path, limit=MAX_CASE_FILE_BYTES, name=label, error=CatalogError)
    e = validate(_Episode, data, label, "top level")
    fail = lambda msg, field: CatalogError(msg, file=label, where="top level", field=field)  # noqa: E731
    if e.id != path.stem:
        raise fail(f"id '{e.id}' differs from the file name '{path.stem}'", "id")
    if not FIRST_YEAR <= int(e.start[:4]) <= LAST_YEAR:
        raise fail(f"start {e.start} is outside {FIRST_YEAR}-{LAST_YEAR}, the library's span", "start")
    n = min(len(e.start), len(e.end))
    if e.end[:n] < e.start[:n]:
        raise fail(f"end {e.end} is before start {e.start}", "end")
    fids = [f.id for f in catalog.factors]
    missing = [f for f in fids if f not in e.factors]
    extra = [f for f in e.factors if f not in fids]
    if missing or extra:
        raise fail(f"unknown factor '{extra[0]}' (not in scenarios.yaml)" if extra
                   else f"factor '{missing[0]}' is missing (every episode codes all {len(fids)} factors)", "factors")
    if len({s.link for s in e.sources}) < 2:
        raise fail("at least two distinct sources are needed", "sources")
    known = set(catalog.tool_ids)
    stages = []
    in_force: dict[str, None] = {}
    for k, s in enumerate(e.stages):
        where = f"stages[{k}]"
        if lenient:
            s = _without_unknown_tools(s, known)
        for j, m in enumerate(s.added):
            if m.tool not in known:
                raise CatalogError(f"unknown tool '{m.tool}' (not in tools.csv; an unexpressed measure goes under "
                                   "'unexpressed')", file=label, where=where, field=f"added[{j}].tool")
        for j, m in enumerate(s.lifted):
            if m.tool not in in_force:
                raise CatalogError(f"lifted tool '{m.tool}' was not in force before this stage", file=label,
                                   where=where, field=f"lifted[{j}].tool")
        if (s.reaction == "retaliates") != (s.retaliation is not None):
            raise CatalogError("retaliation (minor or major) is given when, and only when, the reaction is "
                               "retaliates", file=label, where=where, field="retaliation")
        if not s.added and not s.unexpressed and not s.lifted and k == 0:
            raise CatalogError("the first stage adds no measure", file=label, where=where, field="added")
        for m in s.lifted:
            in_force.pop(m.tool)
        for m in s.added:
            in_force.setdefault(m.tool, None)
        measures = lambda items: tuple(Measure(m.tool, m.date, m.what) for m in items)  # noqa: E731
        stages.append(Stage(s.date, measures(s.added), measures(s.lifted),
                            tuple(Measure(None, m.date, m.what, m.category) for m in s.unexpressed), s.reaction,
                            s.retaliation, s.response, tuple(in_force)))
    sec, rights = e.security_outcome, e.rights_outcome
    if (sec.status == "maintained") != (sec.by == "none"):
        raise fail("by is 'none' when, and only when, the ties were maintained", "security_outcome.by")
    return Episode(
        id=e.id, title=e.title, actor=e.actor, partner=e.partner, start=e.start, end=e.end, archetype=e.archetype,
        abuses=e.abuses, security_ties=e.security_ties, factors={f: e.factors[f].value for f in fids},
        why={f: e.factors[f].why for f in fids}, facts=tuple(e.facts), stages=tuple(stages), security=sec.status,
        security_by=sec.by, security_what=sec.what, rights=rights.status, rights_verifiable=rights.verifiable,
        rights_what=rights.what, months_to_outcome=e.months_to_outcome,
        sources=tuple(Source(s.author, s.title, s.year, s.link) for s in e.sources), confidence=e.confidence,
        disputed=tuple(e.disputed), file=label)
