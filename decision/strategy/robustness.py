"""How often a strategy's opening package stays the same when the weights or the reaction probabilities move.

* Weights: ``n_samples`` SMAA draws, uniform on the simplex (:func:`decision.robustness.sample_weights`); each draw
  re-solves the review tree exactly.
* Reaction probabilities: each draw takes the base rates from a Dirichlet with mean the catalogue's base rates and
  total concentration ``concentration`` (reactions.yaml), and every rule's log-odds uniformly within its low-high
  range; the weights stay at the analyst's.
* Scores: each draw takes every tool's change on every criterion within its scenario-adjusted low-high range
  (triangular, mode = the point change; :func:`decision.robustness.sample_scores`) and revalues every package of the
  tree; a package that breaks a red line or misses the accountability floor with that draw's values, or falls below
  the security floor after a reaction, is out in that draw. The packages and the weights stay the analyst's.

One draw costs one backward induction (tens of milliseconds on the bundled catalogue), so the default is a few
hundred draws; the Monte Carlo error of a share is at most 1 / (2 sqrt(n)).
"""
from __future__ import annotations

from collections import Counter

import numpy as np

from dataclasses import replace

from ..portfolios import portfolio_values, value_masks
from ..robustness import sample_scores, sample_weights
from .reactions import reaction_probabilities
from .tree import StrategyProblem

SCORE_CHUNK = 8
"""Score draws valued together (memory: draws x packages x criteria)."""

DEFAULT_SAMPLES = 200


def probability_draws(problem: StrategyProblem, n_samples: int, rng: np.random.Generator):
    """Yield (N x K) reaction-probability matrices with base rates ~ Dirichlet and rule log-odds ~ U(low, high)."""
    m = problem.model
    alpha = m.concentration * m.base
    low = np.array([r.low for r in m.rules])
    high = np.array([r.high for r in m.rules])
    for _ in range(n_samples):
        base = np.where(alpha > 0, rng.dirichlet(np.maximum(alpha, 1e-12)), 0.0)
        yield reaction_probabilities(problem.design, m, base=base, log_odds=rng.uniform(low, high))


def score_draws(problem: StrategyProblem, n_samples: int, rng: np.random.Generator, distribution="triangular"):
    """Yield one :class:`StrategyProblem` per draw of the tool scores: the tree's packages revalued, their reaction
    outcomes recomputed, packages out in that draw marked ``excluded``."""
    p = problem.portfolios
    a, st = p.adjusted, p.setting
    cat = p.catalog
    rows = problem.rows
    idx, bits = p.idx[rows], p.bits[rows]
    lo = np.array([c.scale_min for c in cat.criteria])
    hi = np.array([c.scale_max for c in cat.criteria])
    effects = problem.model.effects(cat.criterion_ids)
    pr = problem.model.principles
    for s0 in range(0, n_samples, SCORE_CHUNK):
        S = sample_scores(rng, a.low, a.score, a.high, min(SCORE_CHUNK, n_samples - s0), distribution)
        V = portfolio_values(idx, bits, S, st.spec)                              # (chunk, N, C)
        for m, v in zip(S, V):
            ext = np.concatenate([m, np.full((1, m.shape[1]), np.nan)])
            out = np.zeros(len(rows), dtype=bool)
            for ok in value_masks(bits, v, st, score=ext[idx.astype(np.intp)]).values():
                out |= ~ok
            outcomes = np.clip(v[:, None, :] + effects[None], lo, hi)
            if pr.security_floor:
                for rl in p.constraints.red_lines:
                    if rl.criterion in pr.floor_criteria:
                        j = cat.criterion_ids.index(rl.criterion)
                        if rl.min is not None:
                            out |= (outcomes[:, :, j] < rl.min - 1e-9).any(1)
                        if rl.max is not None:
                            out |= (outcomes[:, :, j] > rl.max + 1e-9).any(1)
            yield replace(problem, outcomes=outcomes, excluded=out)


def opening_stability(problem: StrategyProblem, weights=None, n_samples: int = DEFAULT_SAMPLES, seed=0,
                      scores: bool = True) -> dict:
    """Share of weight draws, of probability draws and (``scores``) of score draws whose optimal opening package
    equals today's, and the openings seen most often (tool-id tuples with their counts)."""
    p = problem.portfolios
    w = problem.weights(weights)
    today = problem.opening_row(problem.solve(w))
    rng = np.random.default_rng(seed)
    W, _ = sample_weights(n_samples, len(w), seed=rng)
    by_weights = Counter(problem.opening_row(problem.solve(wi)) for wi in W)
    by_probs = Counter(problem.opening_row(problem.solve(w, probs))
                       for probs in probability_draws(problem, n_samples, rng))
    by_scores = Counter(q.opening_row(q.solve(w)) for q in score_draws(problem, n_samples, rng)) if scores else None
    name = lambda rows: [(p.tools_of(r), c) for r, c in rows.most_common(3)]  # noqa: E731
    out = {"opening": p.tools_of(today), "n_samples": n_samples, "seed": seed,
           "weights_same": by_weights[today] / n_samples, "probabilities_same": by_probs[today] / n_samples,
           "weights_top": name(by_weights), "probabilities_top": name(by_probs),
           "mc_error": 0.5 / np.sqrt(n_samples)}
    if scores:
        out.update(scores_same=by_scores[today] / n_samples, scores_top=name(by_scores))
    return out
