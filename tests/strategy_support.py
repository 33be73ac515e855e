"""Independent truth for the strategy tests: a plan checker and a brute-force solver written from the tool sets and
the review contexts, with no signatures and no vectorisation (docs/strategy.md states the rules they implement).

A context is (index of the previous reaction or None at the opening, ties degraded). Everything is recomputed per
package in plain Python: features, the logit, the envelope, outcomes, the floor, and each principle."""
from __future__ import annotations

import itertools
import math

import numpy as np

from decision.strategy.reactions import ReactionModel

OPENING = (None, False)


class Truth:
    """Packages of a scenario (tool-id sets), their outcomes and reaction probabilities, computed one by one."""

    def __init__(self, portfolios, model: ReactionModel, weights: dict, reviews: int):
        cat = portfolios.catalog
        self.cat, self.model, self.pr, self.reviews = cat, model, model.principles, reviews
        self.crit = cat.criterion_ids
        self.w = np.array([weights[c] for c in self.crit], dtype=float)
        self.w = self.w / self.w.sum()
        self.tool = {t.id: t for t in cat.tools}
        self.feats = {f.id: f for f in model.features}
        self.port = portfolios
        self.factors = portfolios.adjusted.scenario.factors
        self.kinds = model.kinds
        self.K = len(model.reactions)
        self._prob, self._allowed = {}, {}
        self.packages = [frozenset(portfolios.tools_of(r)) for r in range(len(portfolios))]
        self.values = {x: portfolios.values[r] for r, x in enumerate(self.packages)}
        self.in_problem = [x for x in self.packages if any(self.feasible(x, c) for c in self.contexts())]

    # features --------------------------------------------------------------------------------------------------
    def has(self, x, fid) -> bool:
        f = self.feats.get(fid)
        if f is None:
            return False
        held = any(t in f.tools or self.tool[t].family in f.families or self.tool[t].stance in f.stances for t in x)
        return held and not any(self.has(x, u) for u in f.unless)

    def rung(self, x) -> int:
        return max((self.tool[t].rung for t in x), default=0)

    def pressure_rung(self, x) -> int:
        return max((self.tool[t].rung for t in x if self.has([t], "pressure")), default=0)

    def penalties(self, x) -> set:
        return {t for t in x if self.has([t], "penalty")}

    def contexts(self):
        return [OPENING] + [(k, d) for k in range(self.K) for d in (False, True)]

    # probabilities ----------------------------------------------------------------------------------------------
    def prob(self, x, ctx) -> list[float]:
        key = (x, ctx)
        if key not in self._prob:
            self._prob[key] = self._probabilities(x, ctx)
        return self._prob[key]

    def _feature_value(self, x, ctx, feature) -> float:
        prev, degraded = ctx
        kind = None if prev is None else self.kinds[prev]
        memory = {"after_complies": kind == "complies", "after_stalls": kind == "stalls",
                  "after_retaliation": kind == "retaliates", "degraded": degraded}
        if feature == "rung":
            return self.rung(x) / 8
        if feature in memory:
            return float(memory[feature])
        return 1.0 if self.has(x, feature) else 0.0

    def _probabilities(self, x, ctx) -> list[float]:
        m = self.model
        ok = [r.requires is None or self.has(x, r.requires) for r in m.reactions]
        logits = [math.log(r.probability) if r.probability > 0 and a else -math.inf
                  for r, a in zip(m.reactions, ok)]
        for rule in m.rules:
            term = rule.log_odds
            if rule.feature:
                term *= self._feature_value(x, ctx, rule.feature)
            if rule.factor:
                term *= (self.factors[rule.factor] - 5) / 5
            k = m.ids.index(rule.reaction)
            if logits[k] > -math.inf:
                logits[k] += term
        top = max(logits)
        e = [math.exp(v - top) if v > -math.inf else 0.0 for v in logits]
        p = [v / sum(e) for v in e]
        lo = [r.low if a else 0.0 for r, a in zip(m.reactions, ok)]
        hi = [r.high if a else 0.0 for r, a in zip(m.reactions, ok)]
        return _envelope(p, lo, hi)

    # outcomes and the floor -------------------------------------------------------------------------------------
    def outcome(self, x, degraded: bool, k: int) -> list[float]:
        r = self.model.reactions[k]
        out = []
        for j, c in enumerate(self.cat.criteria):
            add = r.effects.get(c.id, 0.0) * (self.factors[r.scale.factor] / 5 if r.scale and c.id in r.scale.criteria
                                              else 1.0)
            dg = self.model.degraded
            if degraded and dg is not None:
                add += dg.effects.get(c.id, 0.0) * (self.factors[dg.scale.factor] / 5
                                                    if dg.scale and c.id in dg.scale.criteria else 1.0)
            out.append(min(max(self.values[x][j] + add, c.scale_min), c.scale_max))
        return out

    def feasible(self, x, ctx) -> bool:
        pr = self.pr
        if not pr.security_floor:
            return True
        p = self.prob(x, ctx)
        deg = [r.degrades for r in self.model.reactions]
        for rl in self.port.constraints.red_lines:
            if rl.criterion not in pr.floor_criteria:
                continue
            j = self.crit.index(rl.criterion)
            for k in range(self.K):
                if p[k] <= 0 or deg[k]:
                    continue
                v = self.outcome(x, ctx[1], k)[j]
                if (rl.min is not None and v < rl.min - 1e-9) or (rl.max is not None and v > rl.max + 1e-9):
                    return False
        if pr.max_rupture_risk is not None and sum(q for q, d in zip(p, deg) if d) > pr.max_rupture_risk + 1e-12:
            return False
        return True

    def u(self, v) -> float:
        total = 0.0
        for j, c in enumerate(self.cat.criteria):
            s = (v[j] - c.scale_min) / (c.scale_max - c.scale_min)
            total += self.w[j] * (s if c.direction == "benefit" else 1 - s)
        return total

    def effort_cost(self, x) -> float:
        return self.cat.model.effort_cost * sum(self.cat.effort[self.cat.tool_index(t)] for t in x)

    def immediate(self, x, ctx) -> float:
        p = self.prob(x, ctx)
        return (sum(p[k] * self.u(self.outcome(x, ctx[1], k)) for k in range(self.K)) - self.effort_cost(x)) / (
            self.reviews + 1)

    def next_ctx(self, ctx, k):
        return (k, ctx[1] or self.model.reactions[k].degrades)

    # the principles, pairwise on tool sets ----------------------------------------------------------------------
    TIERS = ((True, True), (True, False), (False, True), (False, False))
    """Opening rules from the strictest (benchmark, headroom) to the loosest, as the solver tries them."""

    def headroom(self, x) -> bool:
        """Some package answers stalling after x (room on the ladder)."""
        stalls = [k for k in range(self.K) if self.kinds[k] == "stalls"]
        return not stalls or any(self.base_ok(x, stalls[0], y) and self.answers(x, y) for y in self.in_problem)

    def opening_ok(self, x, benchmark: bool = True, headroom: bool = True) -> bool:
        pr = self.pr
        st = self.port.setting
        required = set(self.port.constraints.forced_in) | set(st.mandatory if st is not None else ())
        f = self.port.adjusted.scenario.factors
        grave = (pr.grave_opening_max_rung is not None and pr.grave_threshold is not None
                 and any(f.get(g, 0) >= pr.grave_threshold for g in pr.grave_factors))
        cap = max([(pr.grave_opening_max_rung if grave else pr.opening_max_rung) or 0]
                  + [self.tool[t].rung for t in required])
        if pr.calibration and pr.opening_max_rung is not None and self.rung(x) > cap:
            return False
        reviewable = self.has(x, "threat") and self.has(x, "verification")
        if pr.benchmarks and not reviewable and (benchmark or self.pressure_rung(x) > 0):
            return False
        if headroom and pr.answer_stalling and self.reviews > 0 and not self.headroom(x):
            return False
        return not (pr.verified_progress and self.has(x, "incentives"))

    def stronger(self, prev, nxt) -> bool:
        return self.pressure_rung(nxt) > self.pressure_rung(prev) or len(self.penalties(nxt)) > len(
            self.penalties(prev))

    def answers(self, prev, nxt) -> bool:
        a = [self.rung(prev), self.pressure_rung(prev), len(self.penalties(prev)), self.has(prev, "threat"),
             self.has(prev, "verification")]
        b = [self.rung(nxt), self.pressure_rung(nxt), len(self.penalties(nxt)), self.has(nxt, "threat"),
             self.has(nxt, "verification")]
        return all(q >= p for p, q in zip(a, b)) and any(q > p for p, q in zip(a, b))

    def holds_line(self, prev, nxt) -> bool:
        a = [self.rung(prev), self.pressure_rung(prev), len(self.penalties(prev)), self.has(prev, "threat"),
             self.has(prev, "verification")]
        b = [self.rung(nxt), self.pressure_rung(nxt), len(self.penalties(nxt)), self.has(nxt, "threat"),
             self.has(nxt, "verification")]
        return all(q >= p for p, q in zip(a, b))

    def bluff(self, prev, k, nxt) -> bool:
        return self.kinds[k] == "stalls" and self.has(prev, "threat") and self.pressure_rung(prev) == 0 \
            and not self.stronger(prev, nxt)

    def base_ok(self, prev, k, nxt) -> bool:
        pr, kind = self.pr, self.kinds[k]
        if pr.calibration and self.rung(nxt) > self.rung(prev) + pr.max_rungs_up:
            return False
        if pr.benchmarks and self.pressure_rung(nxt) > 0 and not (self.has(nxt, "threat")
                                                                   and self.has(nxt, "verification")):
            return False
        if pr.verified_progress and self.has(nxt, "incentives") and not (
                kind == "complies" and self.has(prev, "verification")):
            return False
        if pr.keep_penalties and kind != "complies" and not self.penalties(prev) <= self.penalties(nxt):
            return False
        if pr.reward_compliance and kind == "complies" and (
                self.rung(nxt) > self.rung(prev) or self.pressure_rung(nxt) > self.pressure_rung(prev)
                or not self.penalties(nxt) <= self.penalties(prev)):
            return False
        if pr.de_escalation and kind == "retaliates":
            if not self.has(nxt, "de_escalation"):
                return False
            if pr.hold_after_retaliation and self.rung(nxt) > self.rung(prev):
                return False
            if pr.no_threat_after_retaliation and self.has(nxt, "threat") and not self.has(prev, "threat"):
                return False
        return not (pr.credibility and self.bluff(prev, k, nxt))

    def executable(self, x) -> bool:
        """A threat held in x has a stronger next step among the problem's packages (credibility at the horizon)."""
        stalls = [k for k in range(self.K) if self.kinds[k] == "stalls"]
        if not stalls:
            return True
        return any(self.base_ok(x, stalls[0], y) and self.stronger(x, y) for y in self.in_problem)

    def allowed(self, prev, k, ctx) -> list:
        """Next packages after ``prev`` and reaction k, feasible in the new context ``ctx``."""
        key = (prev, k, ctx)
        if key not in self._allowed:
            self._allowed[key] = [x for x in self.in_problem
                                  if self.base_ok(prev, k, x) and self.feasible(x, ctx)]
        return self._allowed[key]

    # values ---------------------------------------------------------------------------------------------------
    def tree_value(self) -> float:
        """Exhaustive search of the explicit tree over actual packages (memoised on (review, package, context))."""
        memo = {}
        pr = self.pr

        def best(r, prev, k, ctx):
            key = (r, prev, k, ctx)
            if key not in memo:
                options = [(q(r, x, ctx), x) for x in self.allowed(prev, k, ctx)]
                if pr.answer_stalling and self.kinds[k] == "stalls":
                    answering = [(v, x) for v, x in options if self.answers(prev, x) and v > -math.inf]
                    holding = [(v, x) for v, x in options if self.holds_line(prev, x) and v > -math.inf]
                    options = answering or holding or options
                memo[key] = max((v for v, _ in options), default=-math.inf)
            return memo[key]

        def q(r, x, ctx):
            if r == self.reviews and pr.credibility and pr.threat_at_horizon and self.has(x, "threat") \
                    and self.pressure_rung(x) == 0 and not self.executable(x):
                return -math.inf
            v = self.immediate(x, ctx)
            if r < self.reviews:
                for k, p in enumerate(self.prob(x, ctx)):
                    if p > 0:
                        v += p * best(r + 1, x, k, self.next_ctx(ctx, k))
            return v

        for bench, room in self.TIERS:                                 # the strictest opening rules that work
            best_open = max((q(0, x, OPENING) for x in self.in_problem if self.opening_ok(x, bench, room)
                             and self.feasible(x, OPENING)), default=-math.inf)
            if best_open > -math.inf:
                return best_open
        return -math.inf


def _envelope(p, lo, hi) -> list[float]:
    """Clip to [lo, hi] and share the gap among reactions still inside their brackets, in proportion (equally when
    their probabilities are all 0); repeated until nothing moves."""
    q = [min(max(v, a), b) for v, a, b in zip(p, lo, hi)]
    for _ in range(len(p)):
        gap = 1 - sum(q)
        if abs(gap) < 1e-12:
            break
        room = [(v < b - 1e-15) if gap > 0 else (v > a + 1e-15) for v, a, b in zip(q, lo, hi)]
        total = sum(v for v, r in zip(q, room) if r)
        n = sum(room)
        share = [(v / total if total > 1e-15 else 1 / max(n, 1)) if r else 0.0 for v, r in zip(q, room)]
        q = [min(max(v + gap * s, a), b) for v, s, a, b in zip(q, share, lo, hi)]
    return q


def violations(plan, truth: Truth) -> list[str]:
    """Every way the plan breaks a principle or static feasibility (empty when it obeys them all)."""
    out = []
    pr = truth.pr
    root = frozenset(plan.root.tools)
    if not truth.opening_ok(root, "no_benchmark" not in plan.root.flags, "no_headroom" not in plan.root.flags):
        out.append(f"opening {sorted(root)} breaks calibration or verified progress")

    def visit(node, parent, ctx):
        x = frozenset(node.tools)
        if x not in truth.values or not truth.feasible(x, ctx):
            out.append(f"{sorted(x)} is not feasible or is below the security floor in context {ctx}")
            return
        p = truth.prob(x, ctx)
        if any(abs(a - b) > 1e-9 for a, b in zip(p, node.reaction_probabilities.values())):
            out.append(f"{sorted(x)}: probabilities {list(node.reaction_probabilities.values())} != {p}")
        if node.children and abs(sum(c.probability for c in node.children) - 1) > 1e-9:
            out.append(f"children probabilities of {sorted(x)} do not sum to 1")
        if parent is not None:
            prev = frozenset(parent.tools)
            k = truth.model.ids.index(node.reaction)
            if not truth.base_ok(prev, k, x):
                out.append(f"review {node.review} {node.reaction}: {sorted(prev)} -> {sorted(x)} breaks a principle")
            is_bluff = truth.bluff(prev, k, x)
            if is_bluff != ("bluff" in node.flags):
                out.append(f"review {node.review}: bluff flag {node.flags} but bluff={is_bluff}")
            if pr.answer_stalling and truth.kinds[k] == "stalls" and not truth.answers(prev, x) \
                    and "unanswered" not in node.flags:
                out.append(f"review {node.review}: stalling not answered and not flagged")
        if not node.children and node.review == truth.reviews and pr.credibility and pr.threat_at_horizon \
                and truth.has(x, "threat") and truth.pressure_rung(x) == 0 and not truth.executable(x):
            out.append("a threat in the last package has no next step")
        for c in node.children:
            visit(c, node, truth.next_ctx(ctx, truth.model.ids.index(c.reaction)))
        if node.review == truth.reviews and node.children:
            out.append("children after the last review")

    visit(plan.root, None, OPENING)
    return out


def policy_value(truth: Truth) -> float:
    """One review only: enumerate every policy (opening, next package per reaction) and evaluate it by paths."""
    assert truth.reviews == 1
    pr = truth.pr
    horizon_bad = lambda x: pr.credibility and pr.threat_at_horizon and truth.has(x, "threat") \
        and truth.pressure_rung(x) == 0 and not truth.executable(x)  # noqa: E731
    for bench, room in truth.TIERS:
        best = _policies(truth, bench, room)
        if best > -math.inf:
            return best
    return -math.inf


def _policies(truth: Truth, benchmark: bool, headroom: bool) -> float:
    pr = truth.pr
    horizon_bad = lambda x: pr.credibility and pr.threat_at_horizon and truth.has(x, "threat") \
        and truth.pressure_rung(x) == 0 and not truth.executable(x)  # noqa: E731
    best = -math.inf
    for x0 in truth.in_problem:
        if not (truth.opening_ok(x0, benchmark, headroom) and truth.feasible(x0, OPENING)):
            continue
        p = truth.prob(x0, OPENING)
        choices = []
        for k in range(truth.K):
            if p[k] <= 0:
                choices.append([None])
                continue
            ctx = truth.next_ctx(OPENING, k)
            opts = [x for x in truth.allowed(x0, k, ctx) if not horizon_bad(x)]
            if pr.answer_stalling and truth.kinds[k] == "stalls":
                opts = [x for x in opts if truth.answers(x0, x)] or [x for x in opts if truth.holds_line(x0, x)] \
                    or opts
            choices.append(opts)
        for nexts in itertools.product(*choices):
            v = truth.immediate(x0, OPENING) + sum(p[k] * truth.immediate(x, truth.next_ctx(OPENING, k))
                                                   for k, x in enumerate(nexts) if x is not None)
            best = max(best, v)
    return best
