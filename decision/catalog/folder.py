"""The catalogue folder as a whole: which files it holds, the :class:`Catalog` they make together, and
:func:`load_catalog`, which runs one loader per file in the order the files refer to each other (criteria and tools
first; scores, interactions and scenarios name them; constraints and the model name all three)."""
from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from ..errors import CatalogError
from .constraints import Constraints, load_constraints
from .criteria import Criterion, load_criteria
from .interactions import Interaction, check_scaling, load_interactions
from .model import ModelParams, load_model
from .obligations import check_facts
from .scenarios import Factor, Rule, Scenario, load_scenarios
from .scores import load_scores
from .tools import Tool, load_tools

BUNDLED = Path(__file__).resolve().parent.parent.parent / "data"
"""The bundled catalogue (``data/`` at the project root)."""

FILES = ("criteria.csv", "tools.csv", "scores.csv", "effort.csv", "interactions.csv", "scenarios.yaml",
         "constraints.yaml", "model.yaml")
CAVEAT = ("Scores are illustrative expert judgments drawn from a seed article and public sources, not measured data; "
          "every number is editable (see data/README.md).")


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



def load_catalog(path: str | Path | None = None) -> Catalog:
    """Load and validate a catalogue folder; ``None`` loads the bundled one (``data/``)."""
    folder = Path(path) if path is not None else BUNDLED
    if not folder.is_dir():
        raise CatalogError(f"catalogue folder not found: {folder}")
    criteria = load_criteria(folder)
    tools = load_tools(folder)
    tool_ids, criterion_ids = [t.id for t in tools], {c.id for c in criteria}
    score, low, high, notes = load_scores(folder, tools, criteria)
    interactions = load_interactions(folder, tool_ids, criteria)
    sc = load_scenarios(folder, tool_ids, criterion_ids)
    fids = [f.id for f in sc.factors]
    check_scaling(interactions, fids)
    constraints = load_constraints(folder, tool_ids, criterion_ids, fids)
    check_facts(constraints.obligations, constraints.available_when, sc.scenarios)
    model = load_model(folder, tools, criteria)
    return Catalog(criteria, tools, score, low, high, notes, tuple(it for it, _ in interactions), sc.factors,
                   sc.scenarios, sc.rules, sc.status_quo_rules, sc.default_scenario, constraints, model, str(folder),
                   _digest(folder))


def _digest(folder: Path) -> str:
    """SHA-256 over the catalogue files (name + bytes), for provenance stamps."""
    h = hashlib.sha256()
    for name in FILES:
        h.update(name.encode())
        h.update((folder / name).read_bytes())
    return h.hexdigest()
