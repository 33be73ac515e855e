"""The briefing's playbook, as display-ready content: the review x reaction grid with its package legend and what
the playbook buys (page 2), and the full review tree for the appendix.

Pure: a :class:`~decision.strategy.playbook.Plan` (and its comparison with simpler courses) in, a
:class:`~decision.blocks.Section` out. The grid shows only what changes (:mod:`decision.strategy.grid`); the tree in
the appendix folds every branch on which nothing changes any more into one line.
"""
from __future__ import annotations

from .blocks import Heading, Items, Node, Pairs, Section, Table, Text, Tree
from .display import flag_words, separating_decimals, words
from .ranking import METHODS
from .strategy.compare import METHODS as COURSE_METHODS
from .strategy.compare import PRINCIPLE_LABELS, verdict
from .strategy.grid import PlanGrid, package_letters, plan_grid
from .strategy.playbook import PROBABILITY_CAVEAT, Plan, PlanNode

REACTION_WORDS = {"complies": "If the ally complies", "stalls": "If the ally stalls",
                  "retaliates": "If the ally retaliates", "retaliates_minor": "If the ally hits back (minor)",
                  "retaliates_major": "If the ally hits back hard (major)"}


def _pct(p: float) -> str:
    return f"{p:.0%}" if p >= 0.095 else f"{p:.1%}" if p >= 0.001 else "<0.1%"


def grid_table(g: PlanGrid) -> Table:
    """Rows: reviews; columns: reactions; a cell lists the moves made there ('A → B, 59%') or 'keep'."""
    cols = ("Review", *(REACTION_WORDS.get(k, f"If the ally {words(k)}") for k in g.reactions))
    rows = []
    for (r, month), cells in zip(g.reviews, g.cells):
        rows.append((f"Review {r} (month {month:g})",
                     *("; ".join(f"{m.source} \u2192 {m.target} ({_pct(m.probability)})" for m in moves) or "keep"
                       for moves in cells)))
    return Table(cols, tuple(rows), css="grid")


def legend(g: PlanGrid) -> Pairs:
    pairs = [(f"{p.letter} (opening)" if p is g.opening else p.letter,
              " + ".join(p.names) if p is g.opening else p.vs_opening) for p in g.packages]
    return Pairs(tuple(pairs), "legend")


def courses_table(courses, plan: Plan) -> Table:
    methods = [m for m in COURSE_METHODS if m in courses[0].ranks]
    d = max(3, separating_decimals([x for c in courses for x in (c.value, c.worst_value)]))
    short = [n.split()[0] for n in plan.criterion_names]
    rank_head = "Rank: " + " / ".join(METHODS[m].label for m in methods)
    rows = []
    for c in courses:
        ranks = " / ".join("-" if c.ranks[m] is None else str(c.ranks[m]) for m in methods)
        rows.append((c.name, f"{c.value:.{d}f}", f"{c.worst_value:.{d}f}",
                     *(f"{c.expected[k]:.1f}" for k in plan.criteria), ranks,
                     ", ".join(PRINCIPLE_LABELS.get(b, words(b)) for b in c.broken) or "none"))
    cols = (f"Course over {plan.months:g} months", "Value", "Worst branch", *short, rank_head, "Breaks")
    return Table(cols, tuple(rows), (False, True, True, *(True,) * len(short), True, False), css="courses",
                 attrs=tuple({"course": c.name} for c in courses))


def playbook_section(plan: Plan | None, error: str = "", courses=()) -> Section:
    """Page 2: open with A, the grid of what changes, the legend, flags, and what the playbook buys."""
    title = "Playbook: what to do at each review"
    if plan is None:
        text = f"No playbook meets every principle: {error}" if error else "The playbook was not computed."
        return Section("playbook", title, (Text(text, "playbook-none"),))
    g = plan_grid(plan)
    step = plan.months / (plan.reviews + 1)
    blocks = [Text(f"Open with package A. At each of the {plan.reviews} reviews (every {step:g} months over "
                   f"{plan.months:g} months) change the package only where the grid says; \u201ckeep\u201d means no "
                   "change. A percentage is the chance that the move happens at all, under the illustrative reaction "
                   "probabilities; the letters are the packages below and the nodes of the tree in the appendix.")]
    if g.n_moves:
        blocks.append(grid_table(g))
    else:
        blocks.append(Text("Keep package A at every review, whatever the ally does."))
    blocks.append(legend(g))
    if plan.flags:
        blocks.append(Text(" ".join(f"{flag_words(f)}." for f in plan.flags), "caveat"))
    if courses:
        blocks += [Heading("What the playbook buys"), courses_table(list(courses), plan),
                   Text(verdict(list(courses)), "sub")]
    blocks.append(Text(PROBABILITY_CAVEAT, "sub"))
    return Section("playbook", title, tuple(blocks))


# ----------------------------------------------------------------------------------------------------------------
# Appendix: the full tree

def _values(plan: Plan, n: PlanNode) -> str:
    return ", ".join(f"{name} {n.values[c]:.1f}" for name, c in zip(plan.criterion_names, plan.criteria))


def tree_node(plan: Plan, n: PlanNode, parent: PlanNode | None, letters: dict) -> Node:
    """One node of the appendix tree: its review, reaction and probability, its package letter and what changed;
    a subtree where nothing changes any more is one line."""
    step = plan.months / (plan.reviews + 1)
    letter = letters[n.tools]
    if parent is None:
        text, detail = f"Opening (month 0): package A, {' + '.join(n.names)}", _values(plan, n)
    else:
        head = (f"Review {n.review} (month {n.review * step:g}), if the ally {(n.reaction_name or n.reaction).lower()} "
                f"(p {n.probability:.2f})")
        if n.tools == parent.tools:
            text, detail = f"{head}: keep {letter}", ""
        else:
            add = [nm for t, nm in zip(n.tools, n.names) if t not in parent.tools]
            drop = [nm for t, nm in zip(parent.tools, parent.names) if t not in n.tools]
            change = "; ".join(([f"add {', '.join(add)}"] if add else []) + ([f"drop {', '.join(drop)}"] if drop
                                                                              else []))
            text, detail = f"{head}: {letters[parent.tools]} \u2192 {letter} ({change})", _values(plan, n)
    if n.flags:
        text += f" [{', '.join(n.flags)}]"
    rest = list(n.walk())[1:]
    if rest and all(d.tools == n.tools and not d.flags for d in rest):
        first, last = n.review + 1, plan.reviews
        span = f"review {first}" if first == last else f"reviews {first}-{last}"
        return Node(text, detail, (Node(f"Then keep {letter} at {span}, whatever the ally does."),))
    return Node(text, detail, tuple(tree_node(plan, c, n, letters) for c in n.children))


def appendix_section(plan: Plan | None) -> Section:
    if plan is None:
        return Section("appendix", "Appendix: the full review tree", (Text("No playbook was computed."),))
    exp = ", ".join(f"{name} {plan.expected[c]:.1f}" for name, c in zip(plan.criterion_names, plan.criteria))
    principles = tuple(words(s.split("] ", 1)[-1]) for s in plan.principles.describe() if not s.startswith("[off"))
    named = dict(zip(plan.reactions, plan.reaction_names))
    worst = " \u2192 ".join(named.get(r, r).lower() for r in plan.worst_path)
    return Section("appendix", "Appendix: the full review tree", (
        Text("Every branch of the playbook, with the chance of each reaction (p) and the package in force (the "
             "letters of the grid); the tree figure below draws the same."),
        Tree(tree_node(plan, plan.root, None, package_letters(plan)), "playbook"),
        Text(f"Expected over {plan.months:g} months: {exp} (value {plan.value:.3f}). Worst branch: "
             f"{worst}."),
        Text(f"Exact backward induction over {plan.n_packages:,} feasible packages; the principles every branch "
             "obeys:"), Items(principles)))
