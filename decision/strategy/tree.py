"""Strategies over time: an opening package, review points, and a next package for each ally reaction.

Model (docs/strategy.md). The horizon of ``months`` is cut into ``reviews + 1`` equal periods. Review 0 chooses the
opening package; at each review r = 1..R the ally's reaction k to the package in force is observed and the next
package is chosen. The ally's reaction depends on the package and on the review's **context** c = (the previous
reaction, whether the ties are degraded): reactions have memory, and a major retaliation (a ``degrades`` reaction)
leaves the ties degraded for the rest of the horizon. A period with package x in context c answered with reaction k
yields the outcome::

    o(x, c, k) = clip(values(x) + effect_k + degraded(c) * degraded_effects)

(criterion points; effects scaled by the scenario where reactions.yaml says so), with probability ``P(k | x, c)``
(:mod:`decision.strategy.reactions`). The final period's reaction is averaged out (no review follows it).

A strategy is scored by the expected additive value of its outcomes, averaged over the periods::

    U = 1/(R+1) * sum_t E[ u(o(x_t, c_t, k_{t+1})) - cost * effort(x_t) ],   u(v) = sum_j w_j (v_j - lo_j) / (hi_j - lo_j)

(cost criteria reversed), the static default ``wsm`` on fixed anchors (:func:`decision.ranking.additive_value`), so u
is affine and rollback is exact. A one-period plan (0 reviews, no reaction effects) ranks packages as ``decision rank``.

Constraints (the seed's principles, :class:`decision.strategy.reactions.Principles`) depend on a package only through
its *signature* (highest rung, highest pressure rung, the set of penalties held, and whether it holds a threat, a
verification tool, an incentive and the crisis protocol) and, for the security floor, on the context (the chance of
a major retaliation and the degraded ties). The state of a decision node is therefore (signature of the package in
force, context), and backward induction over every statically feasible package is exact::

    Q_r(x, c)    = imm(x, c) + sum_k P(k | x, c) V_{r+1}(sig(x), next(c, k))            (V_{R+1} = 0)
    V_r(s, c')   = max over signatures s' admissible after (s, reaction of c') of  max_{x: sig(x) = s'} Q_r(x, c')

Cost: O(R * N * C * K + R * C * S^2). Ties are broken by the lower package row (fewer tools first), then the lower
signature.
"""
from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

import numpy as np

from ..defaults import MAX_REVIEWS
from ..errors import DecisionError
from ..portfolios import Portfolios
from ..ranking import additive_value, as_weights
from .reactions import (MAX_RUNG, Principles, ReactionModel, allowed_reactions, feature_matrix, memory_design,
                        reaction_probabilities, rule_design)

DECIMALS = 12
MAX_MONTHS = 240
MAX_PLAN_NODES = 20_000
"""Most decision points of the unfolded playbook, 1 + K + K^2 + ... + K^R for K reactions and R reviews (it grows as
K^R; unfolding costs about 80 microseconds a point). The bundled model (4 reactions) has 85 at three reviews and
5,461 at six, the most it allows; 10 reactions and 6 reviews would have 1,111,111."""
MAX_TRANSITIONS = 20_000_000
"""Most (reaction, signature, next signature) cells of the solver's transition tables, K x S^2 (8 bytes each in the
largest table: 160 MB). The bundled catalogue has at most 4 x 200^2 = 160,000 or so."""
EXCLUDED = -1e6
"""Period value of a package that is out in a draw of the scores (breaks a red line): never chosen while another
package is admissible."""
SIGNATURE = ("rung", "pressure_rung", "penalties", "threat", "verification", "incentives", "de_escalation")


# ----------------------------------------------------------------------------------------------------------------
# Pure computation

def period_value(outcomes: np.ndarray, weights, catalog) -> np.ndarray:
    """Fixed-anchor additive value (:func:`decision.ranking.additive_value`, the static default ``wsm``) of
    criterion vectors (..., C). Affine in the values, so expectations commute with it."""
    X = np.asarray(outcomes, dtype=float)
    return additive_value(X.reshape(-1, X.shape[-1]), weights, catalog).reshape(X.shape[:-1])


def contexts(n_reactions: int) -> list[tuple[int, int]]:
    """The review contexts: (previous reaction index, ties degraded 0/1); index 0 is the opening (-1, 0), then
    ``1 + 2 k + d``."""
    return [(-1, 0)] + [(k, d) for k in range(n_reactions) for d in (0, 1)]


def next_context(model: ReactionModel) -> np.ndarray:
    """(C x K) the context after each reaction from each context: degraded stays degraded, a degrading reaction
    degrades."""
    deg = model.degrades
    return np.array([[1 + 2 * k + int(d or deg[k]) for k in range(len(deg))] for _, d in contexts(len(deg))])


def period_outcomes(values: np.ndarray, model: ReactionModel, catalog, factors: dict | None = None,
                    degraded: bool = False) -> np.ndarray:
    """(N x K x C) criterion values of one period in which the ally answers each package (values N x C) with each
    reaction: the package's values plus the reaction's effects (and, with ``degraded``, the degraded ties' effects),
    clipped to the scale."""
    lo, hi = catalog.bounds
    crit = catalog.criterion_ids
    add = model.effects(crit, factors) + (model.degraded_effects(crit, factors) if degraded else 0.0)
    return np.clip(np.asarray(values, dtype=float)[:, None, :] + add[None], lo, hi)


def above_floor(outcomes: np.ndarray, red_lines, principles: Principles, criteria,
                reactions: np.ndarray | None = None) -> np.ndarray:
    """(..., ) bool: packages whose period outcomes (..., K, C) stay inside the red lines of the floor criteria
    (``principles.floor_criteria``) after every reaction in ``reactions`` ((..., K) bool; default all)."""
    ok = branch_ok(outcomes, red_lines, principles, criteria)
    return (ok if reactions is None else ok | ~reactions).all(-1)


def context_probabilities(design: np.ndarray, memory: np.ndarray, model: ReactionModel, allowed: np.ndarray,
                          base=None, log_odds=None) -> np.ndarray:
    """(U x C x K) reaction probabilities of feature rows (package design U x R) in every context (memory C x R)."""
    U, C = len(design), len(memory)
    full = (design[:, None, :] + memory[None, :, :]).reshape(U * C, -1)
    P = reaction_probabilities(full, model, base, log_odds, np.repeat(allowed, C, axis=0))
    return P.reshape(U, C, -1)


def branch_ok(outcomes: np.ndarray, red_lines, principles: Principles, criteria) -> np.ndarray:
    """(..., K) bool: after each reaction the floor criteria (``principles.floor_criteria``) of the period outcomes
    (..., K, crit) stay inside their red lines."""
    ok = np.ones(outcomes.shape[:-1], dtype=bool)
    for rl in red_lines:
        if rl.criterion in principles.floor_criteria:
            v = outcomes[..., list(criteria).index(rl.criterion)]
            if rl.min is not None:
                ok &= v >= rl.min - 1e-9
            if rl.max is not None:
                ok &= v <= rl.max + 1e-9
    return ok


def floor_ok(outcomes: np.ndarray, probs: np.ndarray, model: ReactionModel, red_lines, criteria) -> np.ndarray:
    """(N,) bool, the security floor for packages whose period outcomes are (N x K x crit) and reaction
    probabilities (N x K): after every reaction that can happen (probability > 0) and does not itself degrade the
    ties, the floor criteria stay inside their red lines; and the chance of a degrading reaction is at most
    ``max_rupture_risk`` (:func:`floor_feasible` is the same test for every context at once)."""
    pr = model.principles
    keep = np.ones(len(probs), dtype=bool)
    if not pr.security_floor:
        return keep
    keep &= (branch_ok(outcomes, red_lines, pr, criteria) | ~((probs > 0) & ~model.degrades)).all(-1)
    if pr.max_rupture_risk is not None and model.degrades.any():
        keep &= probs[:, model.degrades].sum(-1) <= pr.max_rupture_risk + 1e-12
    return keep


def floor_feasible(outcomes: np.ndarray, probs: np.ndarray, model: ReactionModel, red_lines, criteria
                   ) -> np.ndarray:
    """(N x C) bool: :func:`floor_ok` in every context, with outcomes (N x 2 x K x crit) by degraded state and
    probabilities (N x C x K); a degraded context checks the degraded ties' outcomes."""
    pr = model.principles
    keep = np.ones(probs.shape[:2], dtype=bool)
    if not pr.security_floor:
        return keep
    d = np.array([dd for _, dd in contexts(len(model.ids))], dtype=np.intp)
    branches = branch_ok(outcomes, red_lines, pr, criteria)[:, d]                    # (N, C, K)
    keep &= (branches | ~((probs > 0) & ~model.degrades)).all(-1)                # as floor_ok, every context at once
    if pr.max_rupture_risk is not None and model.degrades.any():
        keep &= probs[..., model.degrades].sum(-1) <= pr.max_rupture_risk + 1e-12
    return keep


def signatures(members: np.ndarray, features: np.ndarray, feature_ids: list[str], rungs: np.ndarray,
               pressure_tools: np.ndarray, penalty_tools: np.ndarray) -> np.ndarray:
    """(N x 7) int signature of each package (columns :data:`SIGNATURE`); ``penalties`` is a bitmask of the
    penalty tools held."""
    col = lambda f: features[:, feature_ids.index(f)] if f in feature_ids else np.zeros(len(members))  # noqa: E731
    rung = np.where(members, rungs, 0).max(1, initial=0)
    pressure = members & pressure_tools
    pen = members[:, penalty_tools].astype(np.int64) @ (np.int64(1) << np.arange(penalty_tools.sum(), dtype=np.int64))
    return np.column_stack([rung, np.where(pressure, rungs, 0).max(1, initial=0), pen,
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


def grave_case(pr: Principles, portfolios: Portfolios) -> bool:
    """True when calibration's grave-case cap applies: ``grave_opening_max_rung`` and ``grave_threshold`` are set and
    one of the scenario's ``grave_factors`` reaches the threshold (the bundled file: severity or time pressure at
    least 8; domain brief s.4: rung-skipping is legitimate in an atrocity or a crisis, and is flagged)."""
    if pr.grave_opening_max_rung is None or pr.grave_threshold is None:
        return False
    factors = portfolios.adjusted.scenario.factors
    return any(factors.get(f, 0) >= pr.grave_threshold for f in pr.grave_factors)


def opening_cap(pr: Principles, required_rung: int, grave: bool = False) -> int | None:
    """Highest rung the opening may reach: ``opening_max_rung`` (``grave_opening_max_rung`` in a grave case, when
    set), raised to the rung of tools required by rule."""
    if not pr.calibration or pr.opening_max_rung is None:
        return None
    cap = pr.grave_opening_max_rung if grave and pr.grave_opening_max_rung is not None else pr.opening_max_rung
    return max(cap, required_rung)


def opening_cap_for(pr: Principles, portfolios: Portfolios) -> int | None:
    """:func:`opening_cap` in force for ``portfolios``' scenario: its required tools' rung and whether it is a grave
    case (:func:`grave_case`) taken from the combinations."""
    return opening_cap(pr, required_rung(portfolios), grave_case(pr, portfolios))


def _popcount(x: np.ndarray) -> np.ndarray:
    x = x.astype(np.int64)
    return np.array([bin(int(v)).count("1") for v in x.ravel()], dtype=int).reshape(x.shape)


@dataclass(frozen=True)
class Transitions:
    """Which next signature may follow a previous signature after each reaction (all (K x S x S) or (S x S) bool
    arrays indexed [reaction, previous, next]): ``admissible``; ``bluff`` (a threat not carried out on stalls);
    ``answers`` (the next package presses harder or verifies more and backs off on nothing: rung, pressure, penalties,
    threat and verification all at least as high, one higher); ``holds_line`` (backs off on none of them);
    ``stronger`` (more pressure). ``opening`` (S,)
    and ``executable`` (S,): a threat held here has a stronger admissible next step; ``opening_tiers``: the opening
    rules from the strictest (a benchmark with verification, and room on the ladder to answer stalling) to the
    loosest, each with the flags the plan carries when it has to be used (no credible benchmark, no headroom)."""
    opening: np.ndarray
    admissible: np.ndarray
    bluff: np.ndarray
    answers: np.ndarray
    stronger: np.ndarray
    executable: np.ndarray
    holds_line: np.ndarray
    opening_tiers: tuple


def transitions(sig: np.ndarray, kinds: list[str], pr: Principles, required_rung: int = 0,
                grave: bool = False) -> Transitions:
    """The principles as rules on signature transitions (module docstring; docs/strategy.md)."""
    rung, p_rung, pen, threat, verif, incent, deesc = (sig[:, j] for j in range(sig.shape[1]))
    S, K = len(sig), len(kinds)
    opening = np.ones(S, dtype=bool)
    cap = opening_cap(pr, required_rung, grave)
    if cap is not None:
        opening &= rung <= cap
    if pr.verified_progress:
        opening &= incent == 0
    reviewable = (threat == 1) & (verif == 1)
    if pr.benchmarks:
        opening &= (p_rung == 0) | reviewable       # a package that presses states a benchmark, the opening too
    n_pen = _popcount(pen)
    stronger = (p_rung[None, :] > p_rung[:, None]) | (n_pen[None, :] > n_pen[:, None])     # [prev, next]
    ge = lambda a: a[None, :] >= a[:, None]  # noqa: E731   [prev, next]: next holds at least as much
    gt = lambda a: a[None, :] > a[:, None]  # noqa: E731
    holds_line = ge(rung) & ge(p_rung) & ge(n_pen) & ge(threat) & ge(verif)
    answers = holds_line & (gt(rung) | gt(p_rung) | gt(n_pen) | gt(threat) | gt(verif))
    adm = np.ones((K, S, S), dtype=bool)
    bluff = np.zeros((K, S, S), dtype=bool)
    for k, kind in enumerate(kinds):
        a = adm[k]
        if pr.calibration:
            a &= rung[None, :] <= rung[:, None] + pr.max_rungs_up
        if pr.benchmarks:
            a &= ((p_rung == 0) | reviewable)[None, :]            # a package that presses states a benchmark
        if pr.verified_progress:
            ok_prev = (kind == "complies") & (verif == 1)
            a &= (incent[None, :] == 0) | ok_prev[:, None]
        if pr.keep_penalties and kind != "complies":
            a &= (pen[:, None] & ~pen[None, :]) == 0          # every penalty in force stays
        if pr.reward_compliance and kind == "complies":     # no more coercion after the ally delivered
            a &= ((rung[None, :] <= rung[:, None]) & (p_rung[None, :] <= p_rung[:, None])
                  & ((pen[None, :] & ~pen[:, None]) == 0))
        if pr.de_escalation and kind == "retaliates":
            a &= (deesc == 1)[None, :]
            if pr.hold_after_retaliation:
                a &= rung[None, :] <= rung[:, None]
            if pr.no_threat_after_retaliation:
                a &= threat[None, :] <= threat[:, None]
        if kind == "stalls":
            bluff[k] = ((threat == 1) & (p_rung == 0))[:, None] & ~stronger   # a threat not yet carried out
            if pr.credibility:
                a &= ~bluff[k]   # a threat must be executable: a package that cannot back it is not admissible
    stalls = [k for k, kind in enumerate(kinds) if kind == "stalls"]
    executable = (adm[stalls[0]] & stronger).any(1) if stalls else np.ones(S, dtype=bool)
    headroom = (adm[stalls[0]] & answers).any(1) if stalls else np.ones(S, dtype=bool)
    bench = reviewable if pr.benchmarks else np.ones(S, dtype=bool)
    room = headroom if pr.answer_stalling else np.ones(S, dtype=bool)
    tiers = ((opening & bench & room, ()), (opening & bench, ("no_headroom",)), (opening & room, ("no_benchmark",)),
             (opening, ("no_benchmark", "no_headroom")))
    return Transitions(tiers[0][0], adm, bluff, answers, stronger, executable, holds_line, tiers)


@dataclass(frozen=True)
class Policy:
    """The solved review tree. Per stage r and context c: ``best_row`` [r, c, s] the best package row of signature
    s (-1: none) and ``stage_value`` its Q; ``choice`` [r, s, c] the next signature chosen at review r after the
    package of signature s when the context became c; ``unanswered`` [r, s, c] where no package answers stalling;
    ``opening_values`` (N,) Q_0 of every package that may open (then continuing optimally; -inf for the others);
    ``opening_flags``: the opening rules that had to be relaxed (``no_benchmark``: no credible opening states a
    benchmark with verification; ``no_headroom``: none leaves room to answer stalling)."""
    value: float
    root_signature: int
    best_row: np.ndarray
    choice: np.ndarray
    stage_value: np.ndarray
    unanswered: np.ndarray
    opening_values: np.ndarray
    opening_flags: tuple = ()


def grouping(sig_id: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Packages sorted by signature (stable, so lower rows first): ``(order, starts, group, present)``."""
    order = np.argsort(sig_id, kind="stable")
    sorted_sig = sig_id[order]
    starts = np.flatnonzero(np.r_[True, sorted_sig[1:] != sorted_sig[:-1]])
    group = np.repeat(np.arange(len(starts)), np.diff(np.r_[starts, len(sig_id)]))
    return order, starts, group, sorted_sig[starts]


def _best_per_signature(Qc: np.ndarray, groups, S: int) -> tuple[np.ndarray, np.ndarray]:
    """(S,) best value and its package row per signature for one context (-inf / -1 where none)."""
    order, starts, group, present = groups
    Qs = Qc[order]
    M = np.maximum.reduceat(Qs, starts)
    hit = np.flatnonzero(Qs == M[group])                 # in group order: the first hit of each group wins
    g = group[hit]
    first = hit[np.r_[True, g[1:] != g[:-1]]]
    value, row = np.full(S, -np.inf), np.full(S, -1)
    value[present], row[present] = M, order[first]
    row[~np.isfinite(value)] = -1
    return value, row


CONTENDER_GAP = 1e-9
"""A package is a contender in a context when its one-period value is within this of the best of its (feature row,
signature) pair there: far wider than the rounding of the stage values (``DECIMALS``), so every package that can
tie for the best of its signature after rounding is kept."""


class _Contenders:
    """The packages that can be the best of their signature in a context at a review after the opening, for one
    solve (fixed ``imm`` and ``feasible``). A package's stage value is ``imm + cont``, and ``cont`` is the same for
    every package of a (feature row, signature) pair, so within a pair only the packages whose ``imm`` is (nearly)
    the pair's best in that context can win; the rest never can, whatever ``cont`` is. Keeping only those (a few
    per pair instead of about 160 on the bundled catalogue) gives the same best value and, with the rows kept in
    order, the same tie rule (the lowest row) as a grouped maximum over every package."""

    def __init__(self, imm, feasible, pair, pair_order, sig_id, S: int, C: int):
        val = np.where(feasible, imm, -np.inf)[:, 1:]                     # contexts after a reaction (1..C-1)
        order, starts = pair_order                                        # packages by pair; every pair present
        top = np.maximum.reduceat(val[order], starts, axis=0) if len(order) else np.zeros((0, C - 1))
        pkg, ctx = np.nonzero(np.isfinite(val) & (val >= top[pair] - CONTENDER_GAP))
        key = (ctx + 1) * S + sig_id[pkg]                                  # one group per (context, signature)
        order = np.lexsort((pkg, key))
        self.pkg, self.ctx, self.key = pkg[order], ctx[order] + 1, key[order]
        self.imm, self.pair = imm[self.pkg, self.ctx], pair[self.pkg]
        self.starts = np.flatnonzero(np.r_[True, self.key[1:] != self.key[:-1]]) if len(self.key) else self.key
        self.S, self.C = S, C

    def best(self, cont: np.ndarray, barred: np.ndarray | None) -> tuple[np.ndarray, np.ndarray]:
        """(C x S) best stage value per context and signature (context 0 and absent: -inf) and its package (-1)."""
        value, row = np.full(self.C * self.S, -np.inf), np.full(self.C * self.S, -1)
        if len(self.key):
            Q = np.round(self.imm + cont[self.pair, self.ctx], DECIMALS)
            if barred is not None:
                Q[barred[self.pkg]] = -np.inf
            top = np.maximum.reduceat(Q, self.starts)
            group = np.repeat(np.arange(len(self.starts)), np.diff(np.r_[self.starts, len(Q)]))
            hit = np.flatnonzero(Q == top[group])
            first = hit[np.r_[True, group[hit][1:] != group[hit][:-1]]]
            where = self.key[self.starts]
            value[where], row[where] = top, self.pkg[first]
            row[where[~np.isfinite(top)]] = -1
        return value.reshape(self.C, self.S), row.reshape(self.C, self.S)


def backward_induction(problem: StrategyProblem, imm: np.ndarray, probs: np.ndarray, feasible: np.ndarray
                       ) -> Policy:
    """Exact rollback over the review tree (module docstring). ``imm`` (N x C) one period's expected value per
    context, ``probs`` (N x C x K; a function of each package's feature row, as :meth:`StrategyProblem.
    probabilities` gives), ``feasible`` (N x C) the security floor per context."""
    tr, R, sig_id = problem.transitions, problem.reviews, problem.sig_id
    N, C, K = probs.shape
    S = len(problem.sig)
    nxt = problem.next_ctx
    stalls = np.array([k == "stalls" for k in problem.model.kinds])
    best_row = np.full((R + 1, C, S), -1)
    stage_value = np.full((R + 1, C, S), -np.inf)
    choice = np.zeros((R + 1, S, C), dtype=int)
    unanswered = np.zeros((R + 1, S, C), dtype=bool)
    V = np.zeros((S, C))
    horizon_bad = problem.threat_at_horizon_bad
    rep, pair = problem.pairs                 # the continuation depends on a package only via (feature row, signature)
    Pp, sp = probs[rep], sig_id[rep]                                           # (M, C, K), (M,)
    q0 = None
    later = _Contenders(imm, feasible, pair, problem.pair_order, sig_id, S, C)   # who can be best at a review
    cont = np.zeros((len(rep), C))
    for r in range(R, -1, -1):
        if r < R:
            Vn = V[sp][:, nxt]                                                 # (M, C, K)
            finite = np.isfinite(Vn)
            cont = np.einsum("mck,mck->mc", Pp, np.where(finite, Vn, 0.0))
            cont[(~finite & (Pp > 0)).any(2)] = -np.inf   # a reachable state with no admissible package
        if r == 0:                                        # the opening: every package's value (options use them)
            Q = imm[:, 0] + cont[pair, 0]
            if r == R:
                Q[horizon_bad] = -np.inf
            q0 = np.where(feasible[:, 0], np.round(Q, DECIMALS), -np.inf)
            stage_value[0, 0], best_row[0, 0] = _best_per_signature(q0, problem.groups, S)
            break
        stage_value[r], best_row[r] = later.best(cont, horizon_bad if r == R else None)
        V = np.full((S, C), -np.inf)
        for c in range(1, C):
            k = problem.contexts[c][0]
            cand = np.where(tr.admissible[k], stage_value[r, c][None, :], -np.inf)        # (S, S')
            if problem.model.principles.answer_stalling and stalls[k]:
                # answer if any answering package is possible; else at least hold the line; else anything admissible
                ans = np.where(tr.answers, cand, -np.inf)
                line = np.where(tr.holds_line, cand, -np.inf)
                use = np.isfinite(ans.max(1))
                keep = ~use & np.isfinite(line.max(1))
                cand = np.where(use[:, None], ans, np.where(keep[:, None], line, cand))
                unanswered[r, :, c] = ~use
            choice[r, :, c] = cand.argmax(1)
            V[:, c] = cand.max(1)
    tiers = tr.opening_tiers if problem.reviews > 0 else tuple(
        (m, tuple(f for f in fl if f != "no_headroom")) for m, fl in tr.opening_tiers[1::2])   # nothing to answer
    for opening, flags in tiers:                          # the strictest opening rules that admit a playbook
        cand = np.where(opening, stage_value[0, 0], -np.inf)
        if np.isfinite(cand.max()):
            break
    root = int(cand.argmax())
    if not np.isfinite(cand[root]):
        raise DecisionError("no strategy meets every principle: some reaction leaves no admissible package (e.g. no "
                            "feasible package holds the crisis protocol, or the security floor removes them all); "
                            "switch a principle off or relax the constraints")
    q0 = np.where(opening[sig_id], q0, -np.inf)
    return Policy(float(cand[root]), root, best_row, choice, stage_value, unanswered, q0, flags)


# ----------------------------------------------------------------------------------------------------------------
# The problem of one scenario, computed once; solved for any weights / probabilities

@dataclass(frozen=True)
class StrategyProblem:
    """Packages allowed in a strategy (statically feasible), their period outcomes per degraded state and reaction,
    reaction probabilities and security floor per context, and signatures."""
    portfolios: Portfolios
    model: ReactionModel
    reviews: int
    months: float
    rows: np.ndarray          # (N,) rows into portfolios
    outcomes: np.ndarray      # (N, 2, K, crit) clipped period outcomes, by degraded state
    design: np.ndarray        # (U, rules) package part of the rule design, per distinct feature row
    memory: np.ndarray        # (C, rules) context part of the rule design
    allowed: np.ndarray       # (U, K) reactions a feature row makes possible
    feature_row: np.ndarray   # (N,) each package's distinct feature row
    probs: np.ndarray         # (N, C, K)
    feasible: np.ndarray      # (N, C) security floor per context
    sig_id: np.ndarray        # (N,)
    sig: np.ndarray           # (S, 7)
    transitions: Transitions
    excluded: np.ndarray | None = None   # (N,) bool: packages out in this draw of the scores (None: none)

    @property
    def catalog(self):
        return self.portfolios.catalog

    @cached_property
    def contexts(self) -> list[tuple[int, int]]:
        return contexts(len(self.model.ids))

    @cached_property
    def next_ctx(self) -> np.ndarray:
        return next_context(self.model)

    # kept for views and tests that speak of the opening / admissibility directly
    @property
    def opening(self) -> np.ndarray:
        return self.transitions.opening

    @property
    def admissible(self) -> np.ndarray:
        return self.transitions.admissible

    @property
    def bluff(self) -> np.ndarray:
        return self.transitions.bluff

    @cached_property
    def threat_at_horizon_bad(self) -> np.ndarray:
        """(N,) packages with a threat not yet carried out (no pressure in force) that has no stronger next step on
        the ladder (out of the last review)."""
        pr = self.model.principles
        if not (pr.credibility and pr.threat_at_horizon):
            return np.zeros(len(self.rows), dtype=bool)
        idle = (self.sig[:, SIGNATURE.index("threat")] == 1) & (self.sig[:, SIGNATURE.index("pressure_rung")] == 0)
        return (idle & ~self.transitions.executable)[self.sig_id]

    def weights(self, weights=None) -> np.ndarray:
        return as_weights(weights, self.catalog.criterion_ids)

    def immediate(self, w: np.ndarray, probs: np.ndarray | None = None) -> np.ndarray:
        """(N x C) expected value of one period of each package in each context, net of its effort cost as in the
        static ranking: (sum_k P(k|x,c) u(o(x,c,k)) - effort_cost * effort(x)) / (R + 1)."""
        probs = self.probs if probs is None else probs
        u = self.scaled @ np.asarray(w, dtype=float)                            # (N, 2, K)
        d = np.array([dd for _, dd in self.contexts])
        imm = (np.einsum("nck,nck->nc", probs, u[:, d]) - self.effort_cost[:, None]) / (self.reviews + 1)
        return imm if self.excluded is None else np.where(self.excluded[:, None], EXCLUDED, imm)

    @cached_property
    def effort_cost(self) -> np.ndarray:
        """(N,) effort cost in value units (model.yaml effort_cost x the package's effort)."""
        return self.catalog.model.effort_cost * self.portfolios.effort[self.rows]

    @cached_property
    def scaled(self) -> np.ndarray:
        """(N, 2, K, C) outcomes on 0-1 fixed-anchor scales, cost criteria reversed (period_value before weights)."""
        cat = self.catalog
        (lo, hi), X = cat.bounds, self.outcomes
        out = np.empty_like(X, dtype=float)
        for c, t in enumerate(cat.types):          # as ranking.normalise with fixed bounds, without its extra arrays
            out[..., c] = (X[..., c] - lo[c]) / (hi[c] - lo[c]) if t > 0 else (hi[c] - X[..., c]) / (hi[c] - lo[c])
        return out

    @cached_property
    def groups(self):
        return grouping(self.sig_id)

    @cached_property
    def pairs(self) -> tuple[np.ndarray, np.ndarray]:
        """``(rep, pair)``: one representative package row per distinct (feature row, signature) pair and each
        package's pair. Reaction probabilities depend on a package only through its feature row, so the rollback's
        continuation value is computed once per pair (hundreds) instead of once per package (a hundred thousand)."""
        key = self.feature_row.astype(np.int64) * len(self.sig) + self.sig_id
        _, rep, pair = np.unique(key, return_index=True, return_inverse=True)
        return rep, pair.ravel()

    @cached_property
    def pair_order(self) -> tuple[np.ndarray, np.ndarray]:
        """Packages sorted by their pair (stable) and where each pair starts (pairs are numbered 0..M-1)."""
        order = np.argsort(self.pairs[1], kind="stable")
        return order, np.flatnonzero(np.r_[True, np.diff(self.pairs[1][order]) != 0]) if len(order) else order

    def probabilities(self, base=None, log_odds=None) -> np.ndarray:
        """(N x C x K) reaction probabilities in every context (base rates / log-odds overridable: robustness)."""
        return context_probabilities(self.design, self.memory, self.model, self.allowed, base,
                                     log_odds)[self.feature_row]

    def floor(self, probs: np.ndarray) -> np.ndarray:
        return floor_feasible(self.outcomes, probs, self.model, self.portfolios.constraints.red_lines,
                              self.catalog.criterion_ids)

    def solve(self, weights=None, probs: np.ndarray | None = None) -> Policy:
        """The solved tree; a DecisionError saying which principle to switch off when no playbook meets them all."""
        w = self.weights(weights)
        policy = self.policy(w, probs)
        if policy is None:
            raise DecisionError(f"no playbook meets every principle in scenario "
                                f"'{self.portfolios.adjusted.scenario.id}': {self.binding_principles(w)}")
        return policy

    def policy(self, weights=None, probs: np.ndarray | None = None) -> Policy | None:
        """The solved tree, or None when no playbook meets every principle (no diagnosis: robustness draws)."""
        w = self.weights(weights)
        feasible = self.feasible if probs is None else self.floor(probs)
        probs = self.probs if probs is None else probs
        try:
            return backward_induction(self, self.immediate(w, probs), probs, feasible)
        except DecisionError:
            return None

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
                backward_induction(other, other.immediate(w), other.probs, other.feasible)
                fixes.append(name)
            except DecisionError:
                pass
        if fixes:
            return (f"switching off {' or '.join(fixes)} makes one possible (decision plan --off NAME, or edit "
                    "reactions.yaml)")
        return "no single principle is to blame; relax the constraints or switch several principles off"

    def opening_row(self, policy: Policy) -> int:
        return int(self.rows[policy.best_row[0, 0, policy.root_signature]])

    def opening_values(self, policy: Policy) -> np.ndarray:
        """(len(portfolios),) the playbook value of opening with each package and continuing optimally (Q at review
        0); -inf for packages that may not open (calibration, verified progress, the floor) or are not in the
        problem."""
        out = np.full(len(self.portfolios), -np.inf)
        out[self.rows] = policy.opening_values
        return out


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
    factors = portfolios.adjusted.scenario.factors
    members = portfolios.members
    feats = feature_matrix(members, cat, model)
    codes = np.rint(feats * MAX_RUNG).astype(np.int64)                     # 0/1 features x 8, rung 0-8
    if codes.shape[1] <= 19:                                               # 9^19 < 2^63: one int per row
        codes = codes @ (np.int64(MAX_RUNG + 1) ** np.arange(codes.shape[1], dtype=np.int64))
    _, first_row, feature_row = np.unique(codes, axis=0, return_index=True, return_inverse=True)
    feats_u, feature_row = feats[first_row], feature_row.ravel()          # probabilities per distinct feature row
    design = rule_design(feats_u, factors, model)                           # memory features 0: the package part
    memory = memory_design(model, factors, [(None if k < 0 else model.kinds[k], bool(d))
                                            for k, d in contexts(len(model.ids))])
    allowed = allowed_reactions(feats_u, model)
    outcomes = np.stack([period_outcomes(portfolios.values, model, cat, factors, degraded=bool(d)) for d in (0, 1)],
                        axis=1)
    problem_probs = context_probabilities(design, memory, model, allowed)[feature_row]
    feasible = floor_feasible(outcomes, problem_probs, model, portfolios.constraints.red_lines, cat.criterion_ids)
    keep = feasible.any(1)
    if not keep.any():
        raise DecisionError("the security floor removes every package: no feasible package keeps "
                            f"{', '.join(pr.floor_criteria)} above its red line after every reaction (or under the "
                            "rupture-risk ceiling); lower the reaction effects in reactions.yaml or switch "
                            "security_floor off")
    rows = np.flatnonzero(keep)
    by = {f.id: f for f in model.features}
    mark = lambda f: np.array([f is not None and (t.id in f.tools or t.family in f.families or t.stance in f.stances)
                               for t in cat.tools])  # noqa: E731
    full = signatures(members[rows], feats[rows], model.package_feature_ids, np.array([t.rung for t in cat.tools]),
                      mark(by.get("pressure")), mark(by.get("penalty")))
    key = np.zeros(len(full), dtype=np.int64)
    for j in range(full.shape[1]):                 # mixed radix: one int per signature (np.unique on rows is slow)
        key = key * (int(full[:, j].max(initial=0)) + 1) + full[:, j]
    _, first, sig_id = np.unique(key, return_index=True, return_inverse=True)
    sig = full[first]
    cells = len(model.reactions) * len(sig) ** 2
    if cells > MAX_TRANSITIONS:
        raise DecisionError(f"the review tree needs {cells:,} transition cells ({len(model.reactions)} reactions x "
                            f"{len(sig):,}^2 package signatures), above the limit of {MAX_TRANSITIONS:,}: lower "
                            "max_tools (--max-tools) or use fewer reactions in reactions.yaml")
    tr = transitions(sig, model.kinds, pr, required_rung(portfolios), grave_case(pr, portfolios))
    return StrategyProblem(portfolios, model, int(reviews), float(months), rows, outcomes[rows], design, memory,
                           allowed, feature_row[rows], problem_probs[rows], feasible[rows], sig_id.ravel(), sig, tr)
