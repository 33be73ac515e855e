"""Independent truth for the strategy tests: a plan checker and a brute-force solver written from the tool sets, with
no signatures and no vectorisation (docs/strategy.md states the rules they implement)."""
from __future__ import annotations

import itertools
import math

import numpy as np

from decision.strategy.reactions import ReactionModel


class Truth:
    """Packages of a scenario (tool-id sets), their outcomes and reaction probabilities, computed row by row."""

    def __init__(self, portfolios, model: ReactionModel, weights: dict, reviews: int):
        cat = portfolios.catalog
        self.cat, self.model, self.pr, self.reviews = cat, model, model.principles, reviews
        self.crit = cat.criterion_ids
        self.w = np.array([weights[c] for c in self.crit], dtype=float)
        self.w = self.w / self.w.sum()
        self.tool = {t.id: t for t in cat.tools}
        feats = {f.id: f for f in model.features}
        self.in_feature = {fid: {t.id for t in cat.tools if t.id in f.tools or t.family in f.families
                                 or t.stance in f.stances} for fid, f in feats.items()}
        self.port = portfolios
        self.factors = portfolios.adjusted.scenario.factors
        self.floor = [(self.crit.index(r.criterion), r.min, r.max) for r in portfolios.constraints.red_lines
                      if r.criterion in self.pr.floor_criteria] if self.pr.security_floor else []
        self._outcome, self._prob, self._allowed = {}, {}, {}

    def outcome(self, x) -> list | None:
        """Period outcomes per reaction of package x, or None when x is infeasible or below the security floor."""
        if x not in self._outcome:
            hit = np.flatnonzero(self.port.bits == sum(1 << self.cat.tool_index(t) for t in x))
            self._outcome[x] = self._outcome_of_row(int(hit[0])) if len(hit) else None
        return self._outcome[x]

    def _outcome_of_row(self, row: int) -> list | None:
        cat = self.cat
        outs = [[min(max(self.port.values[row, j] + r.effects.get(c, 0.0), cat.criteria[j].scale_min),
                     cat.criteria[j].scale_max) for j, c in enumerate(self.crit)] for r in self.model.reactions]
        bad = any((lo is not None and o[j] < lo - 1e-9) or (hi is not None and o[j] > hi + 1e-9)
                  for o in outs for j, lo, hi in self.floor)
        return None if bad else outs

    def prob(self, x) -> list[float]:
        if x not in self._prob:
            self._prob[x] = self._probabilities(x, self.factors)
        return self._prob[x]

    @property
    def packages(self) -> list:
        if not hasattr(self, "_packages"):
            self._packages = []
            for r in range(len(self.port)):
                x = frozenset(self.port.tools_of(r))
                self._outcome[x] = self._outcome_of_row(r)
                if self._outcome[x] is not None:
                    self._packages.append(x)
        return self._packages

    def has(self, x, feature) -> bool:
        return bool(x & self.in_feature.get(feature, set()))

    def rung(self, x) -> int:
        return max((self.tool[t].rung for t in x), default=0)

    def pressure(self, x) -> tuple[int, int]:
        p = [self.tool[t].rung for t in x if t in self.in_feature.get("pressure", set())]
        return max(p, default=0), len(p)

    def _probabilities(self, x, factors) -> list[float]:
        logits = [math.log(r.probability) if r.probability > 0 else -math.inf for r in self.model.reactions]
        for rule in self.model.rules:
            term = rule.log_odds
            if rule.feature == "rung":
                term *= self.rung(x) / 8
            elif rule.feature:
                term *= 1.0 if self.has(x, rule.feature) else 0.0
            if rule.factor:
                term *= (factors[rule.factor] - 5) / 5
            logits[self.model.ids.index(rule.reaction)] += term
        m = max(logits)
        e = [math.exp(v - m) for v in logits]
        return [v / sum(e) for v in e]

    def u(self, v) -> float:
        total = 0.0
        for j, c in enumerate(self.cat.criteria):
            s = (v[j] - c.scale_min) / (c.scale_max - c.scale_min)
            total += self.w[j] * (s if c.direction == "benefit" else 1 - s)
        return total

    # the principles, pairwise on tool sets -------------------------------------------------------------------
    def opening_ok(self, x) -> bool:
        pr = self.pr
        st = self.port.setting
        required = set(self.port.constraints.forced_in) | set(st.mandatory if st is not None else ())
        cap = max([pr.opening_max_rung or 0] + [self.tool[t].rung for t in required])
        if pr.calibration and pr.opening_max_rung is not None and self.rung(x) > cap:
            return False
        return not (pr.verified_progress and self.has(x, "incentives"))

    def stronger(self, prev, nxt) -> bool:
        (a, n), (b, m) = self.pressure(prev), self.pressure(nxt)
        return b > a or m > n

    def bluff(self, prev, reaction, nxt) -> bool:
        return reaction == self.pr.credibility_reaction and self.has(prev, "threat") and not self.stronger(prev, nxt)

    def base_ok(self, prev, reaction, nxt) -> bool:
        pr = self.pr
        if pr.calibration and self.rung(nxt) > self.rung(prev) + pr.max_rungs_up:
            return False
        if pr.verified_progress and self.has(nxt, "incentives") and not (
                reaction == pr.verified_reaction and self.has(prev, "verification")):
            return False
        if pr.de_escalation and reaction == pr.de_escalation_reaction:
            if not self.has(nxt, "de_escalation"):
                return False
            if pr.hold_after_retaliation and self.rung(nxt) > self.rung(prev):
                return False
        return True

    def allowed(self, prev, reaction) -> list:
        key = (prev, reaction)
        if key not in self._allowed:
            self._allowed[key] = self._allowed_uncached(prev, reaction)
        return self._allowed[key]

    def _allowed_uncached(self, prev, reaction) -> list:
        ok = [x for x in self.packages if self.base_ok(prev, reaction, x)]
        if self.pr.credibility:
            return [x for x in ok if not self.bluff(prev, reaction, x)]
        return ok

    # values ---------------------------------------------------------------------------------------------------
    def effort_cost(self, x) -> float:
        return self.cat.model.effort_cost * sum(self.cat.effort[self.cat.tool_index(t)] for t in x)

    def immediate(self, x) -> float:
        return (sum(p * self.u(o) for p, o in zip(self.prob(x), self.outcome(x))) - self.effort_cost(x)) / (
            self.reviews + 1)

    def tree_value(self) -> float:
        """Exhaustive search of the explicit tree over actual packages (memoised on (review, package, reaction))."""
        memo = {}

        def best(r, prev, k):
            key = (r, prev, k)
            if key not in memo:
                memo[key] = max((q(r, x) for x in self.allowed(prev, self.model.ids[k])), default=-math.inf)
            return memo[key]

        def q(r, x):
            v = self.immediate(x)
            if r < self.reviews:
                v += sum(p * best(r + 1, x, k) for k, p in enumerate(self.prob(x)) if p > 0)
            return v

        return max((q(0, x) for x in self.packages if self.opening_ok(x)), default=-math.inf)

    def policy_value(self) -> float:
        """One review only: enumerate every policy (opening, next package per reaction) and evaluate it by paths."""
        assert self.reviews == 1
        K = len(self.model.ids)
        best = -math.inf
        for x0 in self.packages:
            if not self.opening_ok(x0):
                continue
            allowed = [self.allowed(x0, k) for k in self.model.ids]
            for nexts in itertools.product(*allowed) if all(allowed) else ():
                v = 0.0
                for k in range(K):
                    p = self.prob(x0)[k]
                    v += p * (self.u(self.outcome(x0)[k]) - self.effort_cost(x0) - self.effort_cost(nexts[k]) + sum(
                        p2 * self.u(o2) for p2, o2 in zip(self.prob(nexts[k]), self.outcome(nexts[k]))))
                best = max(best, v / 2)
        return best


def violations(plan, truth: Truth) -> list[str]:
    """Every way the plan breaks a principle or static feasibility (empty when it obeys them all)."""
    out = []
    pr = truth.pr
    root = frozenset(plan.root.tools)
    if not truth.opening_ok(root):
        out.append(f"opening {sorted(root)} breaks calibration or verified progress")

    def visit(node, parent):
        x = frozenset(node.tools)
        if truth.outcome(x) is None:
            out.append(f"{sorted(x)} is not feasible or is below the security floor")
            return
        if node.children and abs(sum(c.probability for c in node.children) - 1) > 1e-9:
            out.append(f"children probabilities of {sorted(x)} do not sum to 1")
        if parent is not None:
            prev = frozenset(parent.tools)
            if not truth.base_ok(prev, node.reaction, x):
                out.append(f"review {node.review} {node.reaction}: {sorted(prev)} -> {sorted(x)} breaks a principle")
            is_bluff = truth.bluff(prev, node.reaction, x)
            if is_bluff != ("bluff" in node.flags):
                out.append(f"review {node.review}: bluff flag {node.flags} but bluff={is_bluff}")
            if is_bluff and pr.credibility:
                out.append(f"review {node.review}: a threat is not carried out although credibility is on")
        for c in node.children:
            visit(c, node)
        if node.review == truth.reviews and node.children:
            out.append("children after the last review")

    visit(plan.root, None)
    return out
