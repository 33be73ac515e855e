"""The bottom line up front: three or four sentences (what to do, why, how sure, what would change it) generated from
the numbers by templates, never hand-edited.

:func:`assess` computes the numbers (method agreement, SMAA share of weight draws, stability margin and what replaces
the recommendation beyond it); :func:`bottom_line` turns an :class:`~decision.options.Options` and a
:class:`Confidence` into sentences and is pure (tested on hand-made inputs).
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .options import Options, tradeoff
from .portfolios import Portfolios
from .ranking import CROSS_CHECK, DEFAULT_METHOD, Ranker
from .robustness import mc_error, portfolio_stability, smaa_portfolios, walk_weights

AGREEMENT_METHODS = CROSS_CHECK
"""The ranking methods whose #1 is compared (SPOTIS equals the fixed-anchor weighted sum, so it is not among them)."""
SPREAD = 0.1
"""SMAA draws each weight within +/- this of the analyst's (as ``decision robustness`` does by default)."""
FRAGILE, STABLE = 0.05, 0.15
"""Stability margins (share of the weight) below which a recommendation is called fragile / above which stable."""


@dataclass(frozen=True)
class Confidence:
    """How sure the recommendation (option 1) is.

    ``agree``/``methods``: the ranking methods whose #1 is option 1. ``first_share``: share of ``draws`` uniform
    random weight vectors under which option 1 ranks first (None: not computed). ``margin``: smallest change of one
    criterion's weight (the others rescaled) that replaces it, on ``critical``; beyond it (``direction`` 'rises
    above' or 'falls below' ``bound``, weight now ``weight``) ``replacement`` comes first. ``robust_method``: the
    method used for the stability and SMAA numbers."""
    agree: tuple[str, ...]
    methods: tuple[str, ...]
    first_share: float | None = None
    draws: int = 0
    margin: float | None = None
    critical: str | None = None
    direction: str | None = None
    bound: float | None = None
    weight: float | None = None
    replacement: str | None = None
    robust_method: str = DEFAULT_METHOD
    spread: float = SPREAD

    @property
    def verdict(self) -> str:
        if self.margin is None:
            return "of unknown stability"
        return "fragile" if self.margin < FRAGILE else "moderately stable" if self.margin < STABLE else "stable"


def assess(p: Portfolios, options: Options, ranker: Ranker | None = None, samples: int = 2000, seed: int = 0,
           smaa: bool = True, stability=None) -> Confidence:
    """The numbers behind the bottom line for ``options`` (computed with their weights and method). ``stability``:
    :func:`~decision.robustness.portfolio_stability` of the same weights and method, if already computed."""
    ranker = ranker or Ranker(p)
    w = np.array(list(options.weights.values()))
    best = tuple(options.best.tools)
    agree = tuple(m for m in AGREEMENT_METHODS if tuple(ranker.rank(w, m, 1)["tool_ids"].iloc[0]) == best)
    m = options.method if options.method in ("wsm", "topsis") else DEFAULT_METHOD
    stab = stability if stability is not None and stability.attrs.get("method") == m else \
        portfolio_stability(p, w, m)
    out = dict(agree=agree, methods=AGREEMENT_METHODS, robust_method=m)
    crit = stab.attrs.get("most_critical")
    if crit is not None:
        j = p.criteria.index(crit)
        lo, hi = float(stab.loc[crit, "low"]), float(stab.loc[crit, "high"])
        falls = (w[j] - lo <= hi - w[j] and lo > 0) or hi >= 1
        bound = lo if falls else hi
        t = min(1.0, max(0.0, bound + (-0.01 if falls else 0.01)))
        new = ranker.rank(walk_weights(w, j, np.array([t]))[0], m, 1)
        out.update(margin=float(stab["margin"].min()), critical=crit, bound=bound, weight=float(w[j]),
                   direction="falls below" if falls else "rises above", replacement=str(new["tools"].iloc[0]))
    if smaa and samples > 0:
        res, spread = _smaa_near(p, w, samples, seed, m)
        tab = res.table
        row = options.best.row
        out.update(first_share=float(tab.loc[row, "first"]) if row in tab.index else 0.0, draws=samples,
                   spread=spread)
    return Confidence(**out)


def _smaa_near(p: Portfolios, w: np.ndarray, samples: int, seed: int, method: str):
    """SMAA with every weight drawn uniformly within +/- ``SPREAD`` of ``w`` (lower bounds exact, upper bounds by
    rejection, so a weight of 0 or 1 needs no widening). Returns the result and the spread used."""
    res = smaa_portfolios(p, n_samples=samples, seed=seed, method=method, k=1, weight_center=w, spread=SPREAD)
    return res, SPREAD


def _names(names) -> str:
    names = list(names)
    if len(names) <= 1:
        return "".join(names) or "nothing new"
    return ", ".join(names[:-1]) + " and " + names[-1]


def _share(x: float) -> str:
    return f"{x:.0%}" if x >= 0.1 or x == 0 else f"{x:.1%}"


def bottom_line(o: Options, c: Confidence | None, catalog) -> list[str]:
    """Three or four sentences: what to do, why, how sure, what would change it (``c`` None: the confidence is not
    computed yet, which the third sentence says)."""
    best, sq = o.best, o.status_quo
    crit_names = {k.id: k.name.lower() for k in catalog.criteria}
    what = f"Recommended course of action: {best.label}, that is {_names(best.names)}."
    vs_sq = tradeoff([best.values[k] for k in o.weights], [sq.values[k] for k in o.weights], catalog)
    why = f"Why: against doing nothing new it gives {vs_sq}"
    if best.tied_with or best.tied_with_status_quo:
        tied = ", ".join([f"option {j + 1} ({o.options[j].label})" for j in best.tied_with]
                         + (["doing nothing new"] if best.tied_with_status_quo else []))
        why += f"; it is statistically tied with {tied}, so choosing between them is a judgment call."
    elif len(o.options) > 1:
        why += (f"; the next distinct option ({o.options[1].label}) trades "
                f"{o.options[1].tradeoff or 'nothing material'}.")
    else:
        why += "."
    if c is None:
        return [what, why, "How sure: not computed yet (the stability check runs after each change)."]
    sure = [f"{len(c.agree)} of {len(c.methods)} ranking methods rank it first"]
    if c.first_share is not None and c.draws:
        where = (f"within \u00b1{c.spread:g} of these weights" if c.spread < 1 else "drawn uniformly (any weights)")
        sure.append(f"it comes first in {_share(c.first_share)} of {c.draws:,} random weight draws {where} "
                    f"(\u00b1{_share(mc_error(c.draws))})")
    if c.margin is not None:
        sure.append(f"the smallest weight change that replaces it is {c.margin:.2f} (on "
                    f"{crit_names.get(c.critical, c.critical)})")
    how = f"How sure: {c.verdict}; " + "; ".join(s for s in sure if s) + "."
    lines = [what, why, how]
    if c.margin is not None and c.replacement:
        lines.append(f"What would change it: if the weight on {crit_names.get(c.critical, c.critical)} "
                     f"{c.direction} {c.bound:.2f} (now {c.weight:.2f}), {c.replacement} comes first.")
    else:
        lines.append("What would change it: no change of a single weight replaces it.")
    return lines
