"""The playbook as a review x reaction grid that shows only what changes (pure: a Plan in, a :class:`PlanGrid` out).

The review tree of a playbook repeats the same package on most branches. A reader needs the few distinct packages
and the moves between them: each distinct package gets a letter (A is the opening; further letters in order of first
use, earlier reviews first), and the cell of review r and reaction k lists every move made there, "from B: add X;
drop Y -> C", with the probability that the move happens at all (the sum of the path probabilities of the branches
that make it). A cell without a move says "keep". The letters are the node labels of the static tree figure
(:func:`decision.strategy.figures.plan_figure` with ``letters``), so grid, legend and tree read together.
"""
from __future__ import annotations

from dataclasses import dataclass

from ..display import join_names
from .playbook import Plan, PlanNode

LETTERS = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"


@dataclass(frozen=True)
class Package:
    """A distinct package of the plan: its letter, tools (ids and names), criterion values, and how it differs from
    the opening (``vs_opening``, '' for the opening itself)."""
    letter: str
    tools: tuple[str, ...]
    names: tuple[str, ...]
    values: dict
    vs_opening: str


@dataclass(frozen=True)
class Move:
    """A change of package made at one review after one reaction: from package ``source`` to ``target``, what it
    adds and drops (names), and the probability that the move happens (sum over the branches that make it)."""
    source: str
    target: str
    add: tuple[str, ...]
    drop: tuple[str, ...]
    probability: float

    @property
    def text(self) -> str:
        parts = ([f"add {join_names(self.add)}"] if self.add else []) + \
                ([f"drop {join_names(self.drop)}"] if self.drop else [])
        return f"from {self.source}: {'; '.join(parts)} \u2192 {self.target}"


@dataclass(frozen=True)
class PlanGrid:
    """``reviews``: (review number, month) per row; ``reactions``: the columns; ``cells[r][k]``: the moves at review
    ``reviews[r]`` after reaction ``reactions[k]`` (empty: keep the package); ``packages``: the letters' legend."""
    reviews: tuple[tuple[int, float], ...]
    reactions: tuple[str, ...]
    cells: tuple[tuple[tuple[Move, ...], ...], ...]
    packages: tuple[Package, ...]
    opening: Package

    @property
    def n_moves(self) -> int:
        return sum(len(c) for row in self.cells for c in row)


def _diff(a: PlanNode | Package, b: PlanNode | Package) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """(names added, names dropped) going from ``a`` to ``b``."""
    add = tuple(nm for t, nm in zip(b.tools, b.names) if t not in a.tools)
    drop = tuple(nm for t, nm in zip(a.tools, a.names) if t not in b.tools)
    return add, drop


def package_letters(plan: Plan) -> dict[tuple[str, ...], str]:
    """Tool set -> letter, A for the opening, then in order of first use (earlier reviews first, then tree order)."""
    nodes = sorted(enumerate(plan.nodes), key=lambda x: (x[1].review, x[0]))
    out: dict[tuple[str, ...], str] = {}
    for _, n in nodes:
        if n.tools not in out:
            out[n.tools] = LETTERS[len(out)] if len(out) < len(LETTERS) else f"P{len(out) + 1}"
    return out


def plan_grid(plan: Plan) -> PlanGrid:
    """The grid of ``plan`` (module docstring)."""
    letters = package_letters(plan)
    step = plan.months / (plan.reviews + 1)
    reactions = tuple(dict.fromkeys(c.reaction for n in plan.nodes for c in n.children))
    moves: dict[tuple[int, str], dict[tuple[str, str], list]] = {}
    for parent in plan.nodes:
        for child in parent.children:
            if child.tools == parent.tools:
                continue
            key = (letters[parent.tools], letters[child.tools])
            cell = moves.setdefault((child.review, child.reaction), {})
            if key in cell:
                cell[key][2] += child.reach
            else:
                add, drop = _diff(parent, child)
                cell[key] = [add, drop, child.reach]
    cells = tuple(tuple(tuple(Move(s, t, a, d, p) for (s, t), (a, d, p) in
                              sorted(moves.get((r, k), {}).items(), key=lambda kv: (kv[0][0], kv[0][1])))
                        for k in reactions) for r in range(1, plan.reviews + 1))
    first = {}
    for n in plan.nodes:
        first.setdefault(n.tools, n)
    opening = plan.root
    packages = []
    for tools, letter in letters.items():
        n = first[tools]
        add, drop = _diff(opening, n)
        vs = "" if tools == opening.tools else (f"{letters[opening.tools]}" + "".join(f" + {x}" for x in add) +
                                               "".join(f" \u2212 {x}" for x in drop))
        packages.append(Package(letter, n.tools, n.names, dict(n.values), vs))
    return PlanGrid(tuple((r, r * step) for r in range(1, plan.reviews + 1)), reactions, cells, tuple(packages),
                    packages[0])
