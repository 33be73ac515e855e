"""Audit of strategies: every bundled scenario x preset gets a playbook that obeys every principle.

:func:`plan_violations` re-checks a solved plan node by node from the tool sets (not from the signatures the solver
uses), so a bug in the signature bookkeeping shows up as a finding. :func:`audit_plans` runs it for every scenario x
weight set and returns findings in the shape of :mod:`decision.audit` (``level``, ``check``, ``where``, ``detail``).
"""
from __future__ import annotations

import numpy as np

from ..catalog import Catalog
from ..errors import DecisionError
from .compare import compare_courses
from .playbook import Plan, PlanNode, build_plan
from .reactions_file import load_reactions
from .tree import StrategyProblem, opening_cap_for, strategy_problem


def plan_violations(plan: Plan, problem: StrategyProblem) -> list[str]:
    """Every way ``plan`` breaks a principle or static feasibility (empty when it obeys them all), re-checked from the
    tool sets and the probabilities shown."""
    check = _PlanCheck(problem)
    out = check.opening(plan.root)
    check.walk(plan.root, None, "opening", out)
    return out


class _PlanCheck:
    """The principles of one strategy problem, read from tool sets alone (features, rungs, pressure, penalties)."""

    def __init__(self, problem: StrategyProblem):
        self.problem, self.model = problem, problem.model
        self.pr = problem.model.principles
        self.feats = {f.id: f for f in self.model.features}
        self.tool = {t.id: t for t in problem.catalog.tools}
        self.kind = dict(zip(self.model.ids, self.model.kinds))
        self.low, self.high = dict(zip(self.model.ids, self.model.low)), dict(zip(self.model.ids, self.model.high))
        self.allowed = {tuple(problem.portfolios.tools_of(int(r))) for r in problem.rows}

    def has(self, tools, fid) -> bool:
        f, tool = self.feats.get(fid), self.tool
        return f is not None and any(t in f.tools or tool[t].family in f.families or tool[t].stance in f.stances
                                     for t in tools) and not any(self.has(tools, u) for u in f.unless)

    def rung(self, tools) -> int:
        return max((self.tool[t].rung for t in tools), default=0)

    def pressure(self, tools) -> tuple[int, int]:
        p = [self.tool[t].rung for t in tools if self.has([t], "pressure")]
        pen = [t for t in tools if self.has([t], "penalty")]
        return max(p, default=0), len(pen)

    def penalties(self, tools) -> set:
        return {t for t in tools if self.has([t], "penalty")}

    def stronger(self, prev, nxt) -> bool:
        (a, n), (b, m) = self.pressure(prev), self.pressure(nxt)
        return b > a or m > n

    def reviewable(self, tools) -> bool:
        return self.has(tools, "threat") and self.has(tools, "verification")

    def opening(self, root: PlanNode) -> list[str]:
        """The opening package: under the rung cap, no incentives yet, a benchmark it can verify."""
        out, pr, rung = [], self.pr, self.rung(root.tools)
        cap = opening_cap_for(pr, self.problem.portfolios)
        if cap is not None and rung > cap:
            out.append(f"opening climbs to rung {rung} (cap {cap})")
        if pr.verified_progress and self.has(root.tools, "incentives"):
            out.append("incentives in the opening package")
        if pr.benchmarks and not self.reviewable(root.tools) and "no_benchmark" not in root.flags:
            out.append("the opening states no benchmark or has no way to verify it")
        return out

    def walk(self, n: PlanNode, parent: PlanNode | None, where: str, out: list[str]) -> None:
        """The checks of node ``n`` and of the step to it from ``parent``, then its children's, depth first."""
        out += self.node(n, where)
        if parent is not None:
            out += self.step(parent, n, where)
        if not n.children:
            out += self.last(n, where)
        for c in n.children:
            self.walk(c, n, f"{where} > {c.reaction}", out)

    def node(self, n: PlanNode, where: str) -> list[str]:
        """One package: feasible, its reaction probabilities inside their envelopes and summing to 1, the rupture
        risk under the security floor, a benchmark when it presses."""
        out, pr, model = [], self.pr, self.model
        if n.tools not in self.allowed:
            out.append(f"{where}: package not feasible")
        ps = n.reaction_probabilities
        if n.children and abs(sum(c.probability for c in n.children) - 1) > 1e-9:
            out.append(f"{where}: reaction probabilities do not sum to 1")
        for r, p in ps.items():
            req = next(x.requires for x in model.reactions if x.id == r)
            lo, hi = (self.low[r], self.high[r]) if req is None or self.has(n.tools, req) else (0.0, 0.0)
            if not lo - 1e-9 <= p <= hi + 1e-9:
                out.append(f"{where}: P({r}) = {p:.3f} outside its envelope {lo:g}-{hi:g}")
        if pr.security_floor and pr.max_rupture_risk is not None:
            risk = sum(p for r, p in ps.items() if next(x.degrades for x in model.reactions if x.id == r))
            if risk > pr.max_rupture_risk + 1e-9:
                out.append(f"{where}: chance of a major retaliation {risk:.2f} above {pr.max_rupture_risk:.2f}")
        if pr.benchmarks and self.pressure(n.tools)[0] > 0 and not self.reviewable(n.tools):
            out.append(f"{where}: a package that presses states no benchmark or has no way to verify it")
        return out

    def step(self, parent: PlanNode, n: PlanNode, where: str) -> list[str]:
        """The move from ``parent``'s package to ``n``'s after the reaction ``n.reaction``."""
        out, pr, has, rung = [], self.pr, self.has, self.rung
        prev, nxt, k = parent.tools, n.tools, self.kind[n.reaction]
        if pr.calibration and rung(nxt) > rung(prev) + pr.max_rungs_up:
            out.append(f"{where}: climbs {rung(nxt) - rung(prev)} rungs (calibration allows {pr.max_rungs_up})")
        if pr.verified_progress and has(nxt, "incentives") and not (k == "complies" and has(prev, "verification")):
            out.append(f"{where}: incentives without verified compliance")
        if pr.keep_penalties and k != "complies" and not self.penalties(prev) <= self.penalties(nxt):
            out.append(f"{where}: a penalty is lifted although the ally did not comply")
        if pr.reward_compliance and k == "complies" and (
                rung(nxt) > rung(prev) or self.pressure(nxt)[0] > self.pressure(prev)[0]
                or not self.penalties(nxt) <= self.penalties(prev)):
            out.append(f"{where}: more coercion right after the ally complied")
        if pr.de_escalation and k == "retaliates":
            if not has(nxt, "de_escalation"):
                out.append(f"{where}: no crisis protocol after '{n.reaction}'")
            if pr.hold_after_retaliation and rung(nxt) > rung(prev):
                out.append(f"{where}: climbs the ladder after '{n.reaction}'")
            if pr.no_threat_after_retaliation and has(nxt, "threat") and not has(prev, "threat"):
                out.append(f"{where}: a new threat right after '{n.reaction}'")
        return out + self.stalling(prev, n, k, where)

    def stalling(self, prev, n: PlanNode, k: str, where: str) -> list[str]:
        """After a stall: an idle threat is flagged a bluff (refused under credibility); stalling is answered."""
        out, pr, has, nxt = [], self.pr, self.has, n.tools
        idle = k == "stalls" and has(prev, "threat") and self.pressure(prev)[0] == 0 and not self.stronger(prev, nxt)
        if idle != ("bluff" in n.flags):
            out.append(f"{where}: bluff flag {'missing' if idle else 'wrong'}")
        if idle and pr.credibility:
            out.append(f"{where}: a threat is not carried out on '{n.reaction}'")
        answered = (self.stronger(prev, nxt) or self.rung(nxt) > self.rung(prev)
                    or (has(nxt, "threat") and not has(prev, "threat"))
                    or (has(nxt, "verification") and not has(prev, "verification")))
        if pr.answer_stalling and k == "stalls" and not answered and "unanswered" not in n.flags:
            out.append(f"{where}: stalling is not answered")
        return out

    def last(self, n: PlanNode, where: str) -> list[str]:
        """A threat in a last package needs a next step on the ladder it could carry out."""
        pr, tools = self.pr, n.tools
        if not (pr.credibility and pr.threat_at_horizon and self.has(tools, "threat") and self.pressure(tools)[0] == 0):
            return []
        reach = self.rung(tools) + (pr.max_rungs_up if pr.calibration else 99)
        if any(self.rung(x) <= reach and self.stronger(tools, x)
               and (not pr.keep_penalties or self.penalties(tools) <= self.penalties(x)) for x in self.allowed):
            return []
        return [f"{where}: a threat in the last package has no next step on the ladder"]


def problems_of(catalog: Catalog, built: dict) -> tuple[dict, list[dict]]:
    """The strategy problem of every built scenario, and the findings of the ones that cannot be built."""
    f = []
    try:
        model = load_reactions(catalog)
    except DecisionError as exc:
        return {}, [dict(level="note", check="strategies not checked", where="reactions.yaml", detail=str(exc))]
    problems = {}
    for sc, p in built.items():
        try:
            problems[sc] = strategy_problem(p, model)
        except DecisionError as exc:
            f.append(dict(level="fail", check="no playbook", where=sc, detail=str(exc)))
    return problems, f


def audit_plans(catalog: Catalog, built: dict, weight_sets: dict, problems: dict | None = None) -> list[dict]:
    """Findings for the playbooks of every scenario (``built``: scenario -> Portfolios) x weight set
    (``problems``: the scenarios' strategy problems when already built, :func:`problems_of`)."""
    f = []
    add = lambda level, check, where, detail: f.append(dict(level=level, check=check, where=where,  # noqa: E731
                                                             detail=detail))
    if problems is None:
        problems, f = problems_of(catalog, built)
    if not problems:
        return f
    model = next(iter(problems.values())).model
    counts = {"playbooks": 0, "answers stalling": 0, "benchmark with verification at the opening": 0,
              "changes at some review": 0}
    for r in (*model.rules, *model.reactions):
        if not str(r.source).strip():
            add("fail", "no source", f"reaction rule {r.id}", "empty source")
    for sc, problem in problems.items():
        for name, w in weight_sets.items():
            where = f"{sc} / {name}"
            try:
                plan = build_plan(problem, problem.solve(w), w)
            except DecisionError as exc:
                add("fail", "no playbook", where, str(exc))
                continue
            bad = plan_violations(plan, problem)
            if bad:
                add("fail", "playbook breaks a principle", where, "; ".join(bad[:3]))
            counts["playbooks"] += 1
            root = set(plan.root.tools)
            feats = {ft.id: ft for ft in problem.model.features}
            has = lambda tools, fid: fid in feats and any(  # noqa: E731
                t in feats[fid].tools or problem.catalog.tool(t).family in feats[fid].families
                or problem.catalog.tool(t).stance in feats[fid].stances for t in tools)
            counts["benchmark with verification at the opening"] += has(root, "threat") and has(root, "verification")
            counts["changes at some review"] += any(n.tools != plan.root.tools for n in plan.nodes)
            stalls = [n for n in plan.nodes if n.reaction is not None
                      and problem.model.kinds[problem.model.index(n.reaction)] == "stalls"]
            counts["answers stalling"] += any("unanswered" not in n.flags for n in stalls)
            if problem.model.principles.answer_stalling and stalls and all("unanswered" in n.flags for n in stalls):
                add("fail", "playbook never answers stalling", where,
                    "no package that presses harder or verifies more is available on any 'stalls' branch")
            if "bluff" in plan.flags:
                add("note", "playbook bluffs", where, "a threat is left idle on 'stalls' (credibility is off)")
            if not np.isfinite(plan.value):
                add("fail", "no playbook", where, "no finite value")
            for c in compare_courses(problem, plan, methods=("wsm",))[1:-1]:
                if not c.broken and c.value > plan.value + 1e-9:     # a policy the solver searched: a solver bug
                    add("fail", "playbook not optimal", where, f"{c.name.lower()} ({' + '.join(c.tools)}) obeys "
                        f"every principle and is worth {c.value:.6f} > {plan.value:.6f}")
    n = counts.pop("playbooks")
    if n:
        add("note", "playbooks", "all scenarios x weight sets", "; ".join(f"{k}: {v} of {n}" for k, v in counts.items()))
    return f
