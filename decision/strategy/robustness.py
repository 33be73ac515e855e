"""How often a strategy's opening package, and each of its tools, stays the same when the weights, the reaction
probabilities or the tool scores move.

* Weights: ``n_samples`` SMAA draws, uniform on the simplex or within +/- a spread of the analyst's weights
  (:func:`decision.robustness.sample_weights`); each draw re-solves the review tree exactly.
* Reaction probabilities: each draw takes the base rates from a Dirichlet with mean the catalogue's base rates and
  total concentration ``concentration`` (reactions.yaml), and every rule's log-odds uniformly within its low-high
  range; the weights stay at the analyst's.
* Scores: each draw takes every tool's change on every criterion within its scenario-adjusted low-high range
  (triangular, mode = the point change; :func:`decision.robustness.sample_scores`) and revalues every package of the
  tree; a package that breaks a red line or misses the accountability floor with that draw's values, or falls below
  the security floor after a reaction, is out in that draw. The packages and the weights stay the analyst's.

One draw costs one backward induction (0.1-0.5 s on the bundled catalogue's largest scenario; a score draw also
revalues every package), so the default is a few hundred draws; the Monte Carlo error of a share is at most
1 / (2 sqrt(n)). A draw in which no playbook meets every principle counts as a changed opening, and is counted.
"""
from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, replace

import numpy as np

from ..defaults import NEAR_SPREAD
from ..kernel import crossing_of
from ..portfolios import portfolio_values, value_masks
from ..ranking import normalise
from ..robustness import linear_stability, sample_scores, sample_weights
from .tree import StrategyProblem, period_outcomes

SCORE_CHUNK = 8
"""Score draws valued together (memory: draws x packages x criteria)."""

DEFAULT_SAMPLES = 200


def probability_draws(problem: StrategyProblem, n_samples: int, rng: np.random.Generator):
    """Yield (N x C x K) reaction probabilities (every context) with base rates ~ Dirichlet and rule log-odds ~
    U(low, high), held inside the reactions' envelopes."""
    m = problem.model
    alpha = m.concentration * m.base
    low = np.array([r.low for r in m.rules])
    high = np.array([r.high for r in m.rules])
    for _ in range(n_samples):
        base = np.where(alpha > 0, rng.dirichlet(np.maximum(alpha, 1e-12)), 0.0)
        yield problem.probabilities(base=base, log_odds=rng.uniform(low, high))


def score_draws(problem: StrategyProblem, n_samples: int, rng: np.random.Generator, distribution="triangular"):
    """Yield one :class:`StrategyProblem` per draw of the tool scores: the tree's packages revalued, their period
    outcomes (both degraded states) and security floor recomputed, packages out in that draw (a red line, the
    accountability floor) marked ``excluded``."""
    p = problem.portfolios
    a, st = p.adjusted, p.setting
    cat = p.catalog
    rows = problem.rows
    idx, bits = p.idx[rows], p.bits[rows]
    factors = a.scenario.factors
    for s0 in range(0, n_samples, SCORE_CHUNK):
        S = sample_scores(rng, a.low, a.score, a.high, min(SCORE_CHUNK, n_samples - s0), distribution)
        V = portfolio_values(idx, bits, S, st.spec)                              # (chunk, N, C)
        for m, v in zip(S, V):
            out = ~_feasible_in_draw(p, rows, v, m)
            outcomes = np.stack([period_outcomes(v, problem.model, cat, factors, degraded=bool(d)) for d in (0, 1)],
                                axis=1)
            q = replace(problem, outcomes=outcomes, excluded=out)
            yield replace(q, feasible=q.floor(q.probs))


KINDS = ("weights", "probabilities", "scores")
"""The kinds of draw of :func:`opening_stability`, in the order they are drawn."""


def opening_stability(problem: StrategyProblem, weights=None, n_samples: int = DEFAULT_SAMPLES, seed=0,
                      scores: bool = True, progress=None, weight_center=None, spread: float = NEAR_SPREAD) -> dict:
    """How often the optimal opening package stays today's under ``n_samples`` draws of each kind: the weights
    (uniform on the simplex, or within +/- ``spread`` of ``weight_center``; the reaction probabilities and scores
    stay at today's), the reaction probabilities, and (``scores``) the tool scores (the weights stay
    ``weights``).

    Returns ``{kind}_same`` (share of draws with today's opening), ``{kind}_top`` (the openings seen most often, as
    tool-id tuples with their counts), ``{kind}_none`` (draws in which no playbook meets every principle, e.g. a
    probability draw that puts every package above the rupture-risk ceiling: they count as a changed opening) and
    ``tools`` (:func:`_tool_shares`): per tool that opens in some draw, the share of each kind's draws whose opening
    holds it (which parts of the opening survive when the package as a whole does not). ``progress(done, total)`` after every draw."""
    p = problem.portfolios
    w = problem.weights(weights)
    today = problem.opening_row(problem.solve(w))
    rng = np.random.default_rng(seed)
    W, _ = sample_weights(n_samples, len(w), seed=rng, weight_center=weight_center, spread=spread,
                          criteria=p.criteria)
    kinds = KINDS if scores else KINDS[:2]
    total = n_samples * len(kinds)
    done = iter(range(1, total + 1))

    def opening(q: StrategyProblem, wi, probs=None):
        policy = q.policy(wi, probs)
        if progress:
            progress(next(done), total)
        return None if policy is None else q.opening_row(policy)

    seen = {"weights": Counter(opening(problem, wi) for wi in W),
            "probabilities": Counter(opening(problem, w, probs) for probs in probability_draws(problem, n_samples,
                                                                                               rng))}
    if scores:
        seen["scores"] = Counter(opening(q, w) for q in score_draws(problem, n_samples, rng))
    out = {"opening": p.tools_of(today), "n_samples": n_samples, "seed": seed, "mc_error": 0.5 / np.sqrt(n_samples),
           "weight_region": ("uniform on the simplex" if weight_center is None else
                             f"within +/- {spread:g} of the weights")}
    for kind, counts in seen.items():
        out[f"{kind}_same"] = counts[today] / n_samples
        out[f"{kind}_top"] = [(p.tools_of(r), c) for r, c in counts.most_common() if r is not None][:3]
        out[f"{kind}_none"] = counts[None]
    out["tools"] = _tool_shares(p, seen, n_samples, today)
    return out


def _tool_shares(p, seen: dict, n_samples: int, today: int) -> list[dict]:
    """Per tool that opens in some draw: ``tool``, ``name``, ``in_opening`` (in today's) and per kind the share of
    that kind's draws whose opening holds it; today's tools first, then by total share (ties: catalogue order)."""
    counts = np.zeros((len(seen), len(p.catalog.tools)))
    for i, c in enumerate(seen.values()):
        for row, m in c.items():
            if row is not None:
                counts[i] += m * p.members[row]
    share = counts / n_samples
    mine = p.members[today]
    order = sorted(np.flatnonzero((counts.sum(0) > 0) | mine), key=lambda t: (not mine[t], -share[:, t].sum(), t))
    tools = p.catalog.tools
    return [{"tool": tools[t].id, "name": tools[t].name, "in_opening": bool(mine[t]),
             **{kind: float(share[i, t]) for i, kind in enumerate(seen)}} for t in order]


# ----------------------------------------------------------------------------------------------------------------
# How sure the playbook's opening is, among the best openings with their continuations

COURSES = 30
"""Openings compared when judging how sure the playbook's opening is: the best this many by playbook value."""


@dataclass(frozen=True)
class CourseConfidence:
    """How sure the playbook's opening (course 0) is among the ``n_courses`` best openings, each with its best
    continuation at today's weights held fixed (a course's value is then linear in the weights): ``first_share`` of
    ``draws`` weightings within +/- ``spread`` of today's under which it stays best; the smallest one-weight change
    (others rescaled) that puts another course first (``margin`` on ``critical``, which ``direction`` 'falls below'
    or 'rises above' ``bound``, now ``weight``) and that course's opening tools (``replacement``); ``tool_shares``:
    each tool of the opening (catalogue order) with the share of those weightings whose best opening holds it
    (ties go to the playbook's opening, as in ``first_share``); ``with_scores`` / ``scores_only``: the share of
    ``score_draws`` draws in which it stays best when every tool score is also drawn within its range, with the
    weights drawn as above / held (:func:`course_score_shares`; None when not computed)."""
    first_share: float
    draws: int
    spread: float
    n_courses: int
    margin: float | None
    critical: str | None
    direction: str | None
    bound: float | None
    weight: float | None
    replacement: tuple[str, ...] | None
    tool_shares: tuple[tuple[str, float], ...] = ()
    score_draws: int = 0
    with_scores: float | None = None
    scores_only: float | None = None


def course_confidence(problem: StrategyProblem, weights=None, samples: int = 2000, seed: int = 0,
                      spread: float = 0.1, n_courses: int = COURSES, score_samples: int = 0) -> CourseConfidence:
    """:class:`CourseConfidence` of the playbook's opening for ``weights`` (pure numpy once the courses are
    unfolded: one plan per compared opening, then one matrix product for the draws); with ``score_samples``, also
    the shares with the tool scores drawn (:func:`course_score_shares`)."""
    from .playbook import build_plan  # noqa: PLC0415
    w = problem.weights(weights)
    policy = problem.solve(w)
    q = problem.opening_values(policy)
    first = problem.opening_row(policy)
    finite = np.flatnonzero(np.isfinite(q))
    order = finite[np.lexsort((finite, -np.round(q[finite], 12)))]
    rows = [first, *[int(r) for r in order if r != first][:n_courses - 1]]
    cat = problem.catalog
    crit = cat.criterion_ids
    plans = [build_plan(problem, policy, w, opening=r) for r in rows]
    E = np.array([[pl.expected[c] for c in crit] for pl in plans])
    cost = np.array([cat.model.effort_cost * sum(n.reach * n.effort for n in pl.nodes) / (pl.reviews + 1)
                     for pl in plans])
    Xn = normalise(E, cat.types, cat.bounds).X
    share, tool_shares = float("nan"), ()
    if samples:
        W, _ = sample_weights(samples, len(w), seed=seed, weight_center=w, spread=spread, criteria=crit)
        U = np.round(W @ Xn.T - cost[None, :], 12)
        share = float((U[:, 0] >= U.max(1)).mean())
        held = problem.portfolios.members[np.asarray(rows)[U.argmax(1)]].mean(0)   # argmax: ties to course 0
        tool_shares = tuple((cat.tools[t].id, float(held[t]))
                            for t in np.flatnonzero(problem.portfolios.members[first]))
    labels = [" + ".join(problem.portfolios.tools_of(r)) for r in rows]
    stab = linear_stability(Xn, w, crit, labels, 0, cost)
    out = dict(first_share=share, draws=int(samples), spread=spread, n_courses=len(rows), margin=None,
               critical=None, direction=None, bound=None, weight=None, replacement=None, tool_shares=tool_shares)
    if score_samples:
        both, alone = course_score_shares(problem, plans, cost, w, spread, score_samples, seed)
        out.update(score_draws=int(score_samples), with_scores=both, scores_only=alone)
    c = stab.attrs.get("most_critical")
    if c is not None and len(rows) > 1:
        x = crossing_of(w, float(stab.loc[c, "low"]), float(stab.loc[c, "high"]), crit.index(c))
        u = Xn @ x.weights - cost
        out.update(margin=float(stab["margin"].min()), critical=c, direction=x.direction, bound=x.bound,
                   weight=x.weight, replacement=problem.portfolios.tools_of(rows[int(np.argmax(u))]))
    return CourseConfidence(**out)


COURSE_SCORE_CHUNK = 64
"""Score draws valued together in :func:`course_score_shares` (memory: draws x plan nodes x reactions x criteria)."""


def course_score_shares(problem: StrategyProblem, plans, cost: np.ndarray, w: np.ndarray, spread: float,
                        n_samples: int, seed: int = 0, distribution: str = "triangular") -> tuple[float, float]:
    """``(with weights, scores only)``: the share of ``n_samples`` draws of every tool score within its range in
    which course 0 (the playbook's opening with its continuation) is the best of ``plans`` (with ``cost`` their
    effort cost per period), the weights drawn within +/- ``spread`` of ``w`` / held at ``w``. Each course is held
    as unfolded (the same package at every node, the same reaction probabilities and reach), as for the weights
    alone; its expected values are recomputed from its packages' drawn values exactly as :func:`decision.strategy.
    playbook.build_plan` computes them. A course whose opening package breaks a red line or misses the
    accountability floor in a draw is out of that draw (course 0 then loses it). Ties go to course 0."""
    p, cat, model = problem.portfolios, problem.catalog, problem.model
    st, a = p.setting, p.adjusted
    crit = cat.criterion_ids
    factors = a.scenario.factors
    node_rows, node_d, node_course, weight, first = [], [], [], [], []
    for ci, pl in enumerate(plans):
        first.append(len(node_rows))
        for n in pl.root.walk():
            node_rows.append(n.row)
            node_d.append(int(n.degraded))
            node_course.append(ci)
            weight.append([n.reach * n.reaction_probabilities[k] for k in model.ids])
    rows, pos = np.unique(node_rows, return_inverse=True)
    weight = np.array(weight) / (problem.reviews + 1)                                        # (nodes, K)
    member = np.zeros((len(plans), len(node_rows)))
    member[node_course, np.arange(len(node_rows))] = 1.0
    add = np.stack([model.effects(crit, factors) + (model.degraded_effects(crit, factors) if d else 0.0)
                    for d in (0, 1)])[np.array(node_d)]                                     # (nodes, K, C)
    lo, hi = cat.bounds
    opening = pos[np.array(first)]                                                          # each course's opening
    rng = np.random.default_rng(seed)
    W, _ = sample_weights(n_samples, len(w), seed=rng, weight_center=w, spread=spread, criteria=crit)
    wins = np.zeros(2)
    for s0 in range(0, n_samples, COURSE_SCORE_CHUNK):
        S = sample_scores(rng, a.low, a.score, a.high, min(COURSE_SCORE_CHUNK, n_samples - s0), distribution)
        V = portfolio_values(p.idx[rows], p.bits[rows], S, st.spec)                        # (m, P, C)
        out = np.clip(V[:, pos, None, :] + add[None], lo, hi)                              # (m, nodes, K, C)
        E = np.einsum("an,mnc->mac", member, np.einsum("nk,mnkc->mnc", weight, out))
        Xn = normalise(E.reshape(-1, len(crit)), cat.types, cat.bounds).X.reshape(E.shape)
        ok = np.array([_feasible_in_draw(p, rows[opening], v[opening], m_) for v, m_ in zip(V, S)])
        for i, Wd in enumerate((W[s0:s0 + len(S)], np.broadcast_to(w, (len(S), len(w))))):
            U = np.where(ok, np.round(np.einsum("mc,mac->ma", Wd, Xn) - cost[None, :], 12), -np.inf)
            wins[i] += float((ok[:, 0] & (U[:, 0] >= U.max(1))).sum())
    return float(wins[0] / n_samples), float(wins[1] / n_samples)


def _feasible_in_draw(p, rows: np.ndarray, values: np.ndarray, changes: np.ndarray) -> np.ndarray:
    """(len(rows),) bool: the packages ``rows`` meet the red lines and the accountability floor with one draw's
    ``values`` (rows x C) and tool ``changes`` (T x C) (the floor's strong tool judged on the drawn changes)."""
    ext = np.concatenate([changes, np.full((1, changes.shape[1]), np.nan)])
    idx = p.idx[rows]
    ok = np.ones(len(rows), dtype=bool)
    for m in value_masks(p.bits[rows], values, p.setting, idx=idx, score=ext[idx.astype(np.intp)]).values():
        ok &= m
    return ok
