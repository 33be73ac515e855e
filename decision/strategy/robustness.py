"""How often a strategy's opening package stays the same when the weights or the reaction probabilities move.

* Weights: ``n_samples`` SMAA draws, uniform on the simplex (:func:`decision.robustness.sample_weights`); each draw
  re-solves the review tree exactly.
* Reaction probabilities: each draw takes the base rates from a Dirichlet with mean the catalogue's base rates and
  total concentration ``concentration`` (reactions.yaml), and every rule's log-odds uniformly within its low-high
  range; the weights stay at the analyst's.

One draw costs one backward induction (tens of milliseconds on the bundled catalogue), so the default is a few
hundred draws; the Monte Carlo error of a share is at most 1 / (2 sqrt(n)).
"""
from __future__ import annotations

from collections import Counter

import numpy as np

from ..robustness import sample_weights
from .tree import StrategyProblem

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


def opening_stability(problem: StrategyProblem, weights=None, n_samples: int = DEFAULT_SAMPLES, seed=0) -> dict:
    """Share of weight draws and of probability draws whose optimal opening package equals today's, and the
    openings seen most often (tool-id tuples with their counts)."""
    p = problem.portfolios
    w = problem.weights(weights)
    today = problem.opening_row(problem.solve(w))
    rng = np.random.default_rng(seed)
    W, _ = sample_weights(n_samples, len(w), seed=rng)
    by_weights = Counter(problem.opening_row(problem.solve(wi)) for wi in W)
    by_probs = Counter(problem.opening_row(problem.solve(w, probs))
                       for probs in probability_draws(problem, n_samples, rng))
    name = lambda rows: [(p.tools_of(r), c) for r, c in rows.most_common(3)]  # noqa: E731
    return {"opening": p.tools_of(today), "n_samples": n_samples, "seed": seed,
            "weights_same": by_weights[today] / n_samples, "probabilities_same": by_probs[today] / n_samples,
            "weights_top": name(by_weights), "probabilities_top": name(by_probs),
            "mc_error": 0.5 / np.sqrt(n_samples)}
