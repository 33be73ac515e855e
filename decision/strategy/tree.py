"""Strategies over time: an opening package, review points, and a next package for each ally reaction.

Model (docs/strategy.md). The horizon of ``months`` is cut into ``reviews + 1`` equal periods. Review 0 chooses the
opening package; at each review r = 1..R the ally's reaction k to the package in force is observed and the next
package is chosen. A period with package x that the ally answers with reaction k yields the outcome
``o(x, k) = clip(values(x) + effect_k)`` (criterion points, clipped to the scale), where ``values(x)`` are the
package's static values in the scenario (:mod:`decision.portfolios`) and ``P(k | x)`` comes from
:mod:`decision.strategy.reactions`. The final period's reaction is averaged out (no review follows it).

A strategy is scored by the expected additive value of its outcomes, averaged over the periods::

    U = 1/(R+1) * sum_t E[ u(o(x_t, k_{t+1})) - c * effort(x_t) ],   u(v) = sum_j w_j (v_j - lo_j) / (hi_j - lo_j)

(cost criteria reversed; c = model.yaml effort_cost), the static default ``wsm`` on fixed anchors
(:func:`decision.ranking.additive_value`), so u is affine and rollback is exact (expected values of u equal u of
expected criterion values; TOPSIS/VIKOR would not be, docs/strategy.md). A one-period plan (0 reviews, no reaction
effects) ranks packages exactly as ``decision rank`` does.

Constraints (the seed's principles, :class:`decision.strategy.reactions.Principles`) depend on a package only through its
*signature*: highest rung, highest pressure rung, number of pressure tools, and whether it holds a threat, a
verification tool, an incentive and the crisis protocol. Hence the state of a decision node is (signature of the
package in force, reaction), and backward induction over every statically feasible package is exact:

    Q_r(x)        = imm(x) + sum_k P(k|x) V_{r+1}(sig(x), k)            (V_{R+1} = 0)
    V_r(s, k)     = max over signatures s' admissible after (s, k) of  max_{x: sig(x) = s'} Q_r(x)

The "shortlist" of each node is therefore every feasible package (after the security floor), not a heuristic top-n:
the plan is the exact optimum over all policies that meet the constraints. Cost: O(R * N * K + R * K * S^2).
Ties are broken by the lower package row (fewer tools first), then the lower signature.
"""
from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

import numpy as np

from ..defaults import MAX_REVIEWS
from ..errors import DecisionError
from ..portfolios import Portfolios
from ..ranking import additive_value, as_weights
from .reactions import (Principles, ReactionModel, RuleDesign, compact_design, feature_matrix,
                        reaction_probabilities)

DECIMALS = 12
MAX_MONTHS = 240
MAX_PLAN_NODES = 20_000
"""Most decision points of the unfolded playbook, 1 + K + K^2 + ... + K^R for K reactions and R reviews (it grows as
K^R; unfolding costs about 80 microseconds a point). The bundled model at the most reviews (3 reactions, 8 reviews)
has 9,841; 10 reactions and 6 reviews would have 1,111,111."""
MAX_TRANSITIONS = 20_000_000
"""Most (reaction, signature, next signature) cells of the solver's transition tables, K x S^2 (8 bytes each in the
largest table: 160 MB). The bundled catalogue has 3 x 88^2 = 23,232."""
EXCLUDED = -1e6
"""Period value of a package that is out in a draw of the scores (breaks a red line): never chosen while another
package is admissible."""
SIGNATURE = ("rung", "pressure_rung", "n_pressure", "threat", "verification", "incentives", "de_escalation")


# ----------------------------------------------------------------------------------------------------------------
# Pure computation

def period_value(outcomes: np.ndarray, weights, catalog) -> np.ndarray:
    """Fixed-anchor additive value (:func:`decision.ranking.additive_value`, the static default ``wsm``) of
    criterion vectors (..., C). Affine in the values, so expectations commute with it."""
    X = np.asarray(outcomes, dtype=float)
    return additive_value(X.reshape(-1, X.shape[-1]), weights, catalog).reshape(X.shape[:-1])


def period_outcomes(values: np.ndarray, model: ReactionModel, catalog) -> np.ndarray:
    """(N x K x C) criterion values of one period in which the ally answers each package (values N x C) with each
    reaction: the package's values plus the reaction's effects, clipped to the scale."""
    lo, hi = catalog.bounds
    return np.clip(np.asarray(values, dtype=float)[:, None, :] + model.effects(catalog.criterion_ids)[None], lo, hi)


def above_floor(outcomes: np.ndarray, red_lines, principles: Principles, criteria) -> np.ndarray:
    """(N,) bool: packages whose period outcomes (N x K x C) stay inside the red lines of the floor criteria
    (``principles.floor_criteria``) after every reaction: the security floor principle."""
    keep = np.ones(len(outcomes), dtype=bool)
    for rl in red_lines:
        if rl.criterion in principles.floor_criteria:
            j = list(criteria).index(rl.criterion)
            if rl.min is not None:
                keep &= (outcomes[:, :, j] >= rl.min - 1e-9).all(1)
            if rl.max is not None:
                keep &= (outcomes[:, :, j] <= rl.max + 1e-9).all(1)
    return keep


def signatures(members: np.ndarray, features: np.ndarray, feature_ids: list[str], rungs: np.ndarray,
               pressure_tools: np.ndarray) -> np.ndarray:
    """(N x 7) int signature of each package (columns :data:`SIGNATURE`)."""
    col = lambda f: features[:, feature_ids.index(f)] if f in feature_ids else np.zeros(len(members))  # noqa: E731
    rung = np.where(members, rungs, 0).max(1, initial=0)
    pressure = members & pressure_tools
    return np.column_stack([rung, np.where(pressure, rungs, 0).max(1, initial=0), pressure.sum(1),
                            col("threat"), col("verification"), col("incentives"), col("de_escalation")]).astype(int)


def required_tools(portfolios: Portfolios) -> tuple[str, ...]:
    """Tools in every package by rule (forced in, or mandatory under a legal obligation): not a calibration choice."""
    st = getattr(portfolios, "setting", None)
    mandatory = tuple(st.mandatory) if st is not None else ()
    return tuple(dict.fromkeys([*portfolios.constraints.forced_in, *mandatory]))


def required_rung(portfolios: Portfolios) -> int:
    """Highest rung among the :func:`required_tools` (0 when none): the opening may reach it, calibration or not."""
    cat = portfolios.catalog
    return max((cat.tool(t).rung for t in required_tools(portfolios)), default=0)


def opening_cap(pr: Principles, required_rung: int) -> int | None:
    """Highest rung the opening may reach: ``opening_max_rung``, raised to the rung of tools required by rule."""
    if not pr.calibration or pr.opening_max_rung is None:
        return None
    return max(pr.opening_max_rung, required_rung)


def admissibility(sig: np.ndarray, reactions: list[str], pr: Principles, required_rung: int = 0
                  ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Which next signature may follow a previous signature after each reaction.

    Returns ``(opening, admissible, bluff)``: (S,) bool, (K x S x S) bool [reaction, previous, next], and (K x S x S)
    bool marking next packages that fail to carry out a threat. With credibility on those are not admissible, so a
    threat can only be made where it can be carried out at the next review; with it off they are flagged 'bluff'.
    """
    rung, p_rung, n_p, threat, verif, incent, deesc = (sig[:, j] for j in range(sig.shape[1]))
    S, K = len(sig), len(reactions)
    opening = np.ones(S, dtype=bool)
    cap = opening_cap(pr, required_rung)
    if cap is not None:
        opening &= rung <= cap
    if pr.verified_progress:
        opening &= incent == 0
    stronger = (p_rung[None, :] > p_rung[:, None]) | (n_p[None, :] > n_p[:, None])     # [prev, next]
    adm = np.ones((K, S, S), dtype=bool)
    bluff = np.zeros((K, S, S), dtype=bool)
    for k, reaction in enumerate(reactions):
        a = adm[k]
        if pr.calibration:
            a &= rung[None, :] <= rung[:, None] + pr.max_rungs_up
        if pr.verified_progress:
            ok_prev = (reaction == pr.verified_reaction) & (verif == 1)
            a &= (incent[None, :] == 0) | ok_prev[:, None]
        if pr.de_escalation and reaction == pr.de_escalation_reaction:
            a &= (deesc == 1)[None, :]
            if pr.hold_after_retaliation:
                a &= rung[None, :] <= rung[:, None]
        if reaction == pr.credibility_reaction:
            bluff[k] = (threat == 1)[:, None] & ~stronger
            if pr.credibility:
                a &= ~bluff[k]   # a threat must be executable: a package that cannot back it is not admissible
    return opening, adm, bluff


@dataclass(frozen=True)
class Policy:
    """The solved review tree: per stage the best package row of each signature and, from review 1 on, the next
    signature chosen after (previous signature, reaction)."""
    value: float
    root_signature: int
    best_row: np.ndarray      # (R+1, S) row into the problem's packages (-1: none)
    choice: np.ndarray        # (R+1, S, K) next signature; stage 0 unused
    stage_value: np.ndarray   # (R+1, S) best Q of each signature


def grouping(sig_id: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Packages sorted by signature (stable, so lower rows first): ``(order, starts, group, present)``."""
    order = np.argsort(sig_id, kind="stable")
    sorted_sig = sig_id[order]
    starts = np.flatnonzero(np.r_[True, sorted_sig[1:] != sorted_sig[:-1]])
    group = np.repeat(np.arange(len(starts)), np.diff(np.r_[starts, len(sig_id)]))
    return order, starts, group, sorted_sig[starts]


def backward_induction(imm: np.ndarray, probs: np.ndarray, sig_id: np.ndarray, opening: np.ndarray,
                       admissible: np.ndarray, reviews: int, groups=None) -> Policy:
    """Exact rollback over the review tree (module docstring). ``imm`` (N,) per-period expected value of each
    package, ``probs`` (N x K), ``sig_id`` (N,) signature index, ``opening`` (S,), ``admissible`` (K x S x S);
    ``groups``: :func:`grouping` of ``sig_id`` when already computed."""
    N, K = probs.shape
    S = len(opening)
    order, starts, group, present = groups if groups is not None else grouping(sig_id)
    best_row = np.full((reviews + 1, S), -1)
    stage_value = np.full((reviews + 1, S), -np.inf)
    choice = np.zeros((reviews + 1, S, K), dtype=int)
    V = np.zeros((S, K))
    for r in range(reviews, -1, -1):
        Q = imm.copy()
        if r < reviews:
            finite = np.isfinite(V)
            Q += np.einsum("nk,nk->n", probs, np.where(finite, V, 0.0)[sig_id])
            if not finite.all():       # a reachable state with no admissible package makes the package infeasible
                Q[((~finite)[sig_id] & (probs > 0)).any(1)] = -np.inf
        Q = np.round(Q, DECIMALS)
        Qs = Q[order]
        M = np.maximum.reduceat(Qs, starts)
        hit = np.flatnonzero(Qs == M[group])
        _, first = np.unique(group[hit], return_index=True)
        stage_value[r, present] = M
        best_row[r, present] = order[hit[first]]
        if r > 0:
            masked = np.where(admissible, stage_value[r][None, None, :], -np.inf)      # (K, S, S')
            choice[r] = masked.argmax(2).T
            V = masked.max(2).T
    cand = np.where(opening, stage_value[0], -np.inf)
    root = int(cand.argmax())
    if not np.isfinite(cand[root]):
        raise DecisionError("no strategy meets every principle: some reaction leaves no admissible package (e.g. no "
                            "feasible package holds the crisis protocol, or the security floor removes them all); "
                            "switch a principle off or relax the constraints")
    return Policy(float(cand[root]), root, best_row, choice, stage_value)


# ----------------------------------------------------------------------------------------------------------------
# The problem of one scenario, computed once; solved for any weights / probabilities

@dataclass(frozen=True)
class StrategyProblem:
    """Packages allowed in a strategy (statically feasible and above the security floor on every reaction), their
    period outcomes per reaction, reaction probabilities and signatures."""
    portfolios: Portfolios
    model: ReactionModel
    reviews: int
    months: float
    rows: np.ndarray          # (N,) rows into portfolios
    outcomes: np.ndarray      # (N, K, C) clipped period outcomes
    design: RuleDesign        # what the rules multiply their log-odds by (reactions.compact_design)
    probs: np.ndarray         # (N, K)
    sig_id: np.ndarray        # (N,)
    sig: np.ndarray           # (S, 7)
    opening: np.ndarray       # (S,)
    admissible: np.ndarray    # (K, S, S)
    bluff: np.ndarray         # (K, S, S)
    excluded: np.ndarray | None = None   # (N,) bool: packages out in this draw of the scores (None: none)

    @property
    def catalog(self):
        return self.portfolios.catalog

    def weights(self, weights=None) -> np.ndarray:
        return as_weights(weights, self.catalog.criterion_ids)

    def immediate(self, w: np.ndarray, probs: np.ndarray | None = None) -> np.ndarray:
        """(N,) expected value of one period of each package, net of its effort cost as in the static ranking:
        (sum_k P(k|x) u(o(x, k)) - effort_cost * effort(x)) / (R + 1)."""
        probs = self.probs if probs is None else probs
        u = self.scaled @ np.asarray(w, dtype=float)                            # (N, K), = period_value
        imm = (np.einsum("nk,nk->n", probs, u) - self.effort_cost) / (self.reviews + 1)
        return imm if self.excluded is None else np.where(self.excluded, EXCLUDED, imm)

    @cached_property
    def effort_cost(self) -> np.ndarray:
        """(N,) effort cost in value units (model.yaml effort_cost x the package's effort)."""
        return self.catalog.model.effort_cost * self.portfolios.effort[self.rows]

    @cached_property
    def scaled(self) -> np.ndarray:
        """(N, K, C) outcomes on 0-1 fixed-anchor scales, cost criteria reversed (period_value before weights)."""
        return np.stack([period_value(self.outcomes, e, self.catalog) for e in np.eye(self.outcomes.shape[-1])],
                        axis=-1)

    @cached_property
    def groups(self):
        return grouping(self.sig_id)

    def solve(self, weights=None, probs: np.ndarray | None = None) -> Policy:
        w = self.weights(weights)
        probs = self.probs if probs is None else probs
        try:
            return backward_induction(self.immediate(w, probs), probs, self.sig_id, self.opening, self.admissible,
                                      self.reviews, self.groups)
        except DecisionError:
            raise DecisionError(f"no playbook meets every principle in scenario "
                                f"'{self.portfolios.adjusted.scenario.id}': {self.binding_principles(w)}") from None

    def binding_principles(self, w) -> str:
        """Which single principle, switched off, makes a playbook possible (the error path only)."""
        pr = self.model.principles
        fixes = []
        for name in Principles.NAMES:
            if not getattr(pr, name):
                continue
            try:
                other = strategy_problem(self.portfolios, self.model, self.reviews, self.months,
                                         pr.switched(off=[name]))
                backward_induction(other.immediate(w), other.probs, other.sig_id, other.opening, other.admissible,
                                   other.reviews, other.groups)
                fixes.append(name)
            except DecisionError:
                pass
        if fixes:
            return (f"switching off {' or '.join(fixes)} makes one possible (decision plan --off NAME, or edit "
                    "reactions.yaml)")
        return "no single principle is to blame; relax the constraints or switch several principles off"

    def opening_row(self, policy: Policy) -> int:
        return int(self.rows[policy.best_row[0, policy.root_signature]])


def plan_nodes(n_reactions: int, reviews: int) -> int:
    """Decision points of the unfolded playbook: 1 + K + ... + K^R."""
    return sum(n_reactions ** r for r in range(reviews + 1))


def check_tree_size(n_reactions: int, reviews: int) -> None:
    """Refuse (one line, before any work) a review tree whose playbook would exceed :data:`MAX_PLAN_NODES`."""
    if not isinstance(reviews, (int, np.integer)) or not 0 <= reviews <= MAX_REVIEWS:
        raise DecisionError(f"reviews must be a whole number from 0 to {MAX_REVIEWS}, got {reviews!r}")
    n = plan_nodes(n_reactions, int(reviews))
    if n > MAX_PLAN_NODES:
        fits = max(r for r in range(reviews) if plan_nodes(n_reactions, r) <= MAX_PLAN_NODES)
        raise DecisionError(f"a playbook with {n_reactions} reactions and {reviews} reviews has {n:,} decision points, "
                            f"above the limit of {MAX_PLAN_NODES:,} (it grows as reactions^reviews): use at most "
                            f"--reviews {fits} ({plan_nodes(n_reactions, fits):,} points) or fewer reactions in "
                            "reactions.yaml")


def strategy_problem(portfolios: Portfolios, model: ReactionModel, reviews: int = 3, months: float = 12,
                     principles: Principles | None = None) -> StrategyProblem:
    """Prepare the review tree of a scenario (validating ``reviews``, ``months`` and the size of the tree)."""
    check_tree_size(len(model.reactions), reviews)
    if not (isinstance(months, (int, float, np.number)) and 0 < months <= MAX_MONTHS):
        raise DecisionError(f"months must be a number above 0 and at most {MAX_MONTHS}, got {months!r}")
    pr = principles or model.principles
    model = model.with_principles(pr)
    cat = portfolios.catalog
    crit = cat.criterion_ids
    outcomes = period_outcomes(portfolios.values, model, cat)
    keep = above_floor(outcomes, portfolios.constraints.red_lines, pr, crit) if pr.security_floor \
        else np.ones(len(portfolios), dtype=bool)
    if not keep.any():
        raise DecisionError("the security floor removes every package: no feasible package keeps "
                            f"{', '.join(pr.floor_criteria)} above its red line after every reaction; lower the "
                            "reaction effects in reactions.yaml or switch security_floor off")
    rows = np.flatnonzero(keep)
    members = portfolios.members[rows]
    feats = feature_matrix(members, cat, model)
    design = compact_design(feats, portfolios.adjusted.scenario.factors, model)
    probs = reaction_probabilities(design, model)
    fids = model.feature_ids
    pressure = next((f for f in model.features if f.id == "pressure"), None)
    ptools = np.array([pressure is not None and (t.id in pressure.tools or t.family in pressure.families
                                                 or t.stance in pressure.stances) for t in cat.tools])
    full = signatures(members, feats, fids, np.array([t.rung for t in cat.tools]), ptools)
    key = np.zeros(len(full), dtype=np.int64)
    for j in range(full.shape[1]):                 # mixed radix: one int per signature (np.unique on rows is slow)
        key = key * 64 + full[:, j]
    _, first, sig_id = np.unique(key, return_index=True, return_inverse=True)
    sig = full[first]
    cells = len(model.reactions) * len(sig) ** 2
    if cells > MAX_TRANSITIONS:
        raise DecisionError(f"the review tree needs {cells:,} transition cells ({len(model.reactions)} reactions x "
                            f"{len(sig):,}^2 package signatures), above the limit of {MAX_TRANSITIONS:,}: lower "
                            "max_tools (--max-tools) or use fewer reactions in reactions.yaml")
    opening, adm, bluff = admissibility(sig, model.ids, pr, required_rung(portfolios))
    return StrategyProblem(portfolios, model, int(reviews), float(months), rows, outcomes[rows], design, probs,
                           sig_id.ravel(), sig, opening, adm, bluff)
