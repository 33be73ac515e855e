"""The playbook: a solved strategy as a tree of packages (:class:`Plan`), and its text and JSON views.

``make_plan(catalog, scenario, weights)`` is the one call most users need; :func:`plan_text` gives the indented tree
a desk officer pastes into a memo, :func:`plan_json` the JSON contract other tools read (docs/strategy.md).
Views (dashboard, briefing) call these and :func:`decision.strategy.figures.plan_figure`; nothing here prints.
"""
from __future__ import annotations

import html
from dataclasses import dataclass

import numpy as np

from ..catalog import CAVEAT, Catalog
from ..errors import DecisionError
from ..portfolios import build_portfolios
from .reactions import Principles, ReactionModel
from .reactions_file import load_reactions
from .tree import Policy, StrategyProblem, grave_case, opening_cap, period_value, required_rung, strategy_problem

PROBABILITY_CAVEAT = ("Reaction probabilities are illustrative, bracketed by sanctions and coercion research (allied "
                      "targets conceded in 23% of threatened sanctions (TIES); threats 56%, imposed measures 33% "
                      "(Drezner 2003); 34% partial success (HSE), far less after recoding (Pape)); see "
                      "data/reactions.yaml.")


@dataclass(frozen=True)
class PlanNode:
    """A decision point: the package in force from this review until the next (``reaction`` led here from the
    parent with ``probability``; ``reach`` is the probability of the whole path). ``degraded``: the ties are degraded
    (by an earlier major retaliation) while this package is in force. Flags: ``bluff`` (a threat not carried out),
    ``unanswered`` (the ally stalled and no package answers it)."""
    review: int
    reaction: str | None
    probability: float
    reach: float
    row: int
    tools: tuple[str, ...]
    names: tuple[str, ...]
    values: dict[str, float]
    flags: tuple[str, ...]
    reaction_probabilities: dict[str, float]
    children: tuple[PlanNode, ...]
    degraded: bool = False
    reaction_name: str = ""
    effort: float = 0.0

    def walk(self):
        """This node and its descendants, depth first."""
        yield self
        for c in self.children:
            yield from c.walk()


@dataclass(frozen=True)
class Plan:
    """A strategy over ``months`` with ``reviews`` review points; ``expected`` and ``worst`` are criterion values
    averaged over the periods (expected over reactions, and on the worst branch ``worst_path``)."""
    scenario: str
    scenario_name: str
    weights: dict[str, float]
    reviews: int
    months: float
    value: float
    expected: dict[str, float]
    worst: dict[str, float]
    worst_path: tuple[str, ...]
    worst_value: float
    root: PlanNode
    principles: Principles
    n_packages: int
    n_signatures: int
    criteria: tuple[str, ...]
    criterion_names: tuple[str, ...]
    status_quo: dict[str, float]
    context: tuple[str, ...] = ()
    reactions: tuple[str, ...] = ()
    reaction_names: tuple[str, ...] = ()

    @property
    def nodes(self) -> list[PlanNode]:
        return list(self.root.walk())

    @property
    def flags(self) -> list[str]:
        return sorted({f for n in self.nodes for f in n.flags})


def _rung_skip(problem: StrategyProblem, i: int) -> tuple[str, ...]:
    """``("rung_skip",)`` when the opening (problem row ``i``) climbs above ``opening_max_rung`` because the scenario
    is a grave case (calibration's grave-case cap; domain brief s.4: rung-skipping is legitimate but flagged); not
    when a tool required by rule already lifts the cap."""
    pr, p = problem.model.principles, problem.portfolios
    if not pr.calibration or pr.opening_max_rung is None or not grave_case(pr, p):
        return ()
    rung = max((p.catalog.tool(t).rung for t in p.tools_of(int(problem.rows[i]))), default=0)
    return ("rung_skip",) if rung > opening_cap(pr, required_rung(p)) else ()      # above the usual cap


def build_plan(problem: StrategyProblem, policy: Policy, weights=None, probs: np.ndarray | None = None,
               opening: int | None = None) -> Plan:
    """Unfold a solved policy into the tree, with expected and worst-branch criterion values (``probs``: the
    probabilities the policy was solved with, default the problem's; ``opening``: a portfolio row to open with
    instead of the optimal opening, followed by the policy's best continuation; its value is then that opening's
    value, :meth:`StrategyProblem.opening_values`)."""
    cat = problem.catalog
    p = problem.portfolios
    crit = cat.criterion_ids
    w = problem.weights(weights)
    model = problem.model
    reactions, names = model.ids, [r.name for r in model.reactions]
    probs = problem.probs if probs is None else probs
    n_periods = problem.reviews + 1
    expected = np.zeros(len(crit))
    leaves = []          # (effort cost, path, criterion vector); valued together once the tree is unfolded

    def node(r: int, i: int, c: int, k_in: int | None, prob: float, reach: float, flags, acc: np.ndarray,
             cost: float, path) -> PlanNode:
        nonlocal expected
        pr = probs[i, c]
        d = problem.contexts[c][1]
        out = problem.outcomes[i, d]
        expected += reach * (pr[:, None] * out).sum(0) / n_periods
        cost = cost + float(problem.effort_cost[i])
        children = []
        for k, react in enumerate(reactions):
            if pr[k] <= 0:
                continue                                   # a reaction that cannot happen is no branch
            total = acc + out[k]
            if r == problem.reviews:
                leaves.append((cost / n_periods, (*path, react), total / n_periods))
                continue
            prev = problem.sig_id[i]
            c2 = int(problem.next_ctx[c, k])
            nxt = policy.choice[r + 1, prev, c2]
            j = int(policy.best_row[r + 1, c2, nxt])
            f = (("bluff",) if problem.bluff[k, prev, nxt] else ()) + \
                (("unanswered",) if policy.unanswered[r + 1, prev, c2] else ())
            children.append(node(r + 1, j, c2, k, float(pr[k]), reach * float(pr[k]), f, total, cost,
                                 (*path, react)))
        row = int(problem.rows[i])
        tools = p.tools_of(row)
        return PlanNode(r, None if k_in is None else reactions[k_in], prob, reach, row, tools,
                        tuple(cat.tool(t).name for t in tools), dict(zip(crit, map(float, p.values[row]))),
                        tuple(flags), dict(zip(reactions, map(float, pr))), tuple(children), bool(d),
                        "" if k_in is None else names[k_in], float(p.effort[row]))

    if opening is None:
        root_i = int(policy.best_row[0, 0, policy.root_signature])
        value = policy.value
    else:
        hit = np.flatnonzero(problem.rows == opening)
        if not len(hit) or not np.isfinite(policy.opening_values[hit[0]]):
            raise DecisionError(f"package row {opening} cannot open a playbook here (not feasible, over the "
                                "opening's rung cap or below the security floor)")
        root_i, value = int(hit[0]), float(policy.opening_values[hit[0]])
    root = node(0, root_i, 0, None, 1.0, 1.0, policy.opening_flags + _rung_skip(problem, root_i), np.zeros(len(crit)),
                0.0, ())
    leaf_values = period_value(np.array([v for _, _, v in leaves]), w, cat) - np.array([c for c, _, _ in leaves])
    worst = int(np.argmin(leaf_values))                  # the first of equal minima, in depth-first order
    worst_value, (_, worst_path, worst_vec) = float(leaf_values[worst]), leaves[worst]
    sc = p.adjusted.scenario
    return Plan(sc.id, sc.name, dict(zip(crit, map(float, w))), problem.reviews, problem.months, value,
                dict(zip(crit, map(float, expected))), dict(zip(crit, map(float, worst_vec))), worst_path,
                worst_value, root, model.principles, len(problem.rows), len(problem.sig), tuple(crit),
                tuple(c.name for c in cat.criteria), dict(zip(crit, map(float, p.status_quo))), _context(p),
                tuple(reactions), tuple(names))


def _context(p) -> tuple[str, ...]:
    """What bounds every package in the scenario: the accountability floor, legal obligations, effort capacity."""
    st = getattr(p, "setting", None)
    if st is None:
        return ()
    cat = p.catalog
    lines = [f"Accountability floor: {st.floor_text() or 'off.'}"]
    for t, obs in st.mandatory.items():
        names = [o.name for o in cat.constraints.obligations if o.id in obs]
        lines.append(f"Mandatory by law on every branch: {cat.tool(t).name} ({'; '.join(names)}).")
    if st.capacity is not None:
        lines.append(f"Effort capacity: {st.capacity:g} units per package; each unit costs {cat.model.effort_cost:g} "
                     "of value per period.")
    return tuple(lines)


def make_plan(catalog: Catalog, scenario=None, weights=None, reviews: int = 3, months: float = 12,
              principles: Principles | None = None, reactions: ReactionModel | None = None,
              max_tools: int | None = None, horizon: float | None = None) -> Plan:
    """Enumerate the scenario's feasible packages, solve the review tree exactly and unfold the plan."""
    model = reactions or load_reactions(catalog)
    problem = strategy_problem(build_portfolios(catalog, scenario, max_tools=max_tools, horizon=horizon), model,
                               reviews, months, principles)
    return build_plan(problem, problem.solve(weights), weights)


# ----------------------------------------------------------------------------------------------------------------
# Views

def _node_json(n: PlanNode) -> dict:
    return {"review": n.review, "reaction": n.reaction, "probability": round(n.probability, 6), "degraded": n.degraded,
            "tools": list(n.tools), "values": {k: round(v, 6) for k, v in n.values.items()}, "flags": list(n.flags),
            "children": [_node_json(c) for c in n.children]}


def plan_json(plan: Plan) -> dict:
    """The JSON contract of issue 11: scenario, weights, reviews, months, expected, worst, root (a node: review,
    reaction, probability, tools, values, flags, children). Extra keys: value, worst_path, principles, caveats."""
    r6 = lambda d: {k: round(v, 6) for k, v in d.items()}  # noqa: E731
    return {"scenario": plan.scenario, "weights": r6(plan.weights), "reviews": plan.reviews, "months": plan.months,
            "expected": r6(plan.expected), "worst": r6(plan.worst), "root": _node_json(plan.root),
            "value": round(plan.value, 6), "worst_path": list(plan.worst_path),
            "status_quo": r6(plan.status_quo), "context": list(plan.context),
            "principles": {n: getattr(plan.principles, n) for n in Principles.NAMES},
            "caveat": f"{CAVEAT} {PROBABILITY_CAVEAT}"}


def said(node: PlanNode) -> str:
    """The reaction that led to ``node`` as a verb phrase ("stalls", "retaliates (major)")."""
    return (node.reaction_name or node.reaction or "").lower()


def _changes(node: PlanNode, parent: PlanNode | None) -> str:
    if parent is None:
        return ""
    added = [nm for t, nm in zip(node.tools, node.names) if t not in parent.tools]
    dropped = [nm for t, nm in zip(parent.tools, parent.names) if t not in node.tools]
    if not added and not dropped:
        return "  (unchanged)"
    parts = ([f"add {', '.join(added)}"] if added else []) + ([f"drop {', '.join(dropped)}"] if dropped else [])
    return f"  ({'; '.join(parts)})"


def plan_text(plan: Plan, robustness: dict | None = None, comparison: list[str] | None = None) -> str:
    """The playbook as an indented tree, with values, principles, expected / worst branch and caveats;
    ``comparison``: lines placed after the expected values (:func:`decision.strategy.compare.courses_lines`)."""
    step = plan.months / (plan.reviews + 1)
    short = [n.split()[0] for n in plan.criterion_names]
    fmt = lambda vals: "  ".join(f"{s} {vals[c]:.1f}" for s, c in zip(short, plan.criteria))  # noqa: E731
    w = ", ".join(f"{k}={v:.2f}" for k, v in plan.weights.items())
    lines = [f"Playbook: {plan.scenario} ({plan.scenario_name}), {plan.months:g} months, {plan.reviews} review(s) "
             f"every {step:g} months", f"Weights: {w}", *plan.context,
             f"Doing nothing new (status quo): {fmt(plan.status_quo)}", ""]

    def emit(n: PlanNode, parent: PlanNode | None, depth: int):
        pad = "  " * depth
        flag = f"  [{', '.join(n.flags).upper()}]" if n.flags else ""
        if parent is None:
            head = "Opening (month 0): "
        else:
            head = f"Review {n.review} (month {n.review * step:g}), if the ally {said(n)} (p {n.probability:.2f}): "
        unchanged = parent is not None and n.tools == parent.tools
        if unchanged:
            lines.append(f"{pad}{head}keep the package{flag}")
        else:
            lines.append(f"{pad}{head}{' + '.join(n.names)}{flag}{_changes(n, parent)}")
            lines.append(f"{pad}    {fmt(n.values)}")
        rest = list(n.walk())[1:]
        if rest and all(d.tools == n.tools and not d.flags for d in rest):
            first, last = n.review + 1, plan.reviews
            span = f"Review {first}" if first == last else f"Reviews {first}-{last}"
            lines.append(f"{pad}  {span}: keep the package whatever the ally does")
            return
        for c in n.children:
            emit(c, n, depth + 1)

    emit(plan.root, None, 0)
    lines += ["", f"Expected over the horizon: {fmt(plan.expected)}   (value {plan.value:.3f})",
              f"Worst branch ({' -> '.join(dict(zip(plan.reactions, plan.reaction_names)).get(r, r).lower() for r in plan.worst_path)}): "
              f"{fmt(plan.worst)}   (value {plan.worst_value:.3f})"]
    if comparison:
        lines += ["", *comparison]
    if robustness:
        lines += ["", stability_line(robustness)]
    lines += ["", "Principles:", *[f"  {s}" for s in plan.principles.describe()],
              f"Exact backward induction: every node chooses among all {plan.n_packages:,} feasible packages (above "
              f"the security floor; {plan.n_signatures} constraint signatures); additive value with fixed anchors.",
              "", CAVEAT, PROBABILITY_CAVEAT]
    if "bluff" in plan.flags:
        lines.insert(2, "WARNING: a threatened step is not carried out on a 'stalls' branch (flagged BLUFF).")
    return "\n".join(lines)


STABILITY_ROWS = 10
"""Tools listed in the robustness block of ``decision plan --samples``: today's opening, then the most frequent."""


def stability_line(robustness: dict) -> str:
    """The robustness block of ``decision plan --samples``
    (:func:`decision.strategy.robustness.opening_stability`): how often the opening package stays, then per tool how
    often the draws' openings hold it. Draws in which no playbook meets every principle count as a changed
    opening, and are counted."""
    n = robustness["n_samples"]
    kinds = [k for k in ("weights", "probabilities", "scores") if f"{k}_same" in robustness]
    region = robustness.get("weight_region", "uniform on the simplex")
    what = {"weights": f"weight draws ({region})",
            "probabilities": "reaction-probability draws (Dirichlet base rates, rules within their ranges)",
            "scores": "draws of the tool scores within their ranges (packages revalued; one that breaks a red line "
                      "in a draw is out)"}

    def part(kind: str) -> str:
        m = robustness.get(f"{kind}_none", 0)
        none = f" (in {m} of them no playbook meets every principle)" if m else ""
        return f"{robustness[f'{kind}_same']:.0%} of {what[kind]}{none}"
    lines = [f"Opening package unchanged in {n} draws of each kind: " + "; ".join(part(k) for k in kinds) + "."]
    tools = robustness.get("tools", [])
    if tools:
        lines.append("Tools in the draws' openings: the share of draws whose opening holds each (* in today's "
                     f"opening; Monte Carlo error at most {robustness.get('mc_error', 0.5 / n ** 0.5):.0%}):")
        width = max(len(t["name"]) for t in tools[:STABILITY_ROWS])
        label = {"weights": "weights", "probabilities": "probs", "scores": "scores"}
        lines.append(f"    {'':<{width}}" + "".join(f"{label[k]:>9}" for k in kinds))
        for t in tools[:STABILITY_ROWS]:
            shares = "".join(f"{t[k]:>9.0%}" for k in kinds)
            lines.append(f"  {'*' if t['in_opening'] else ' '} {t['name']:<{width}}{shares}")
        if len(tools) > STABILITY_ROWS:
            lines.append(f"    ... and {len(tools) - STABILITY_ROWS} more (--format json lists them all)")
    return "\n".join(lines)


def plan_html(plan: Plan) -> str:
    """The playbook as nested HTML lists (escaped), for a briefing's "Playbook" section; same content as
    :func:`plan_text` without the footer (the briefing prints its own caveats)."""
    step = plan.months / (plan.reviews + 1)
    esc = html.escape

    def item(n: PlanNode, parent: PlanNode | None) -> str:
        head = ("Opening (month 0)" if parent is None else
                f"Review {n.review} (month {n.review * step:g}), if the ally {esc(said(n))} (p {n.probability:.2f})")
        flag = "".join(f' <span class="flag">{esc(f.upper())}</span>' for f in n.flags)
        vals = ", ".join(f"{esc(name)} {n.values[c]:.1f}" for name, c in zip(plan.criterion_names, plan.criteria))
        kids = "".join(item(c, n) for c in n.children)
        return (f"<li><b>{head}:</b> {esc(' + '.join(n.names))}{flag}{esc(_changes(n, parent))}"
                f'<br><span class="values">{vals}</span>' + (f"<ul>{kids}</ul>" if kids else "") + "</li>")

    exp = ", ".join(f"{esc(name)} {plan.expected[c]:.1f}" for name, c in zip(plan.criterion_names, plan.criteria))
    return (f'<ul class="playbook">{item(plan.root, None)}</ul>'
            f"<p>Expected over {plan.months:g} months: {exp} (value {plan.value:.3f}). Worst branch: "
            f"{esc(' → '.join(dict(zip(plan.reactions, plan.reaction_names)).get(r, r).lower() for r in plan.worst_path))}.</p>")
