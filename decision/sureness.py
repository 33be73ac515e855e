"""How sure is the recommendation, and which expert scores decide it.

* :func:`how_sure`: how often today's recommendation stays first when the weights and the tool scores vary
  together, with the score-only and weight-only shares beside it (three exact SMAA runs, :mod:`decision.robustness`).
* :func:`score_tornado`: for each (tool, criterion) score, the recommendation's margin over the best alternative
  with that one score at the low and at the high end of its range, every other score at its point value: the scores
  whose range can overturn the recommendation are the expert judgments to check first.

Both are pure functions returning small values (a frozen dataclass, a sorted frame) for the CLI, the briefing and
the dashboard; :func:`decision.figures.tornado_figure` draws the frame.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from .defaults import HOW_SURE_SAMPLES as _HOW_SURE_SAMPLES
from .errors import DecisionError
from .portfolios import Portfolios, portfolio_values, value_masks
from .ranking import DECIMALS, DEFAULT_METHOD, as_weights
from .robustness import (_best, _check_method, effort_offset, first_share_with_scores, mc_error,
                         portfolio_scaling, region_words, score_setup, scores, smaa_portfolios)
from .uncertainty import BOUND_MARGIN, score_universe

HOW_SURE_SAMPLES = _HOW_SURE_SAMPLES
"""Draws per share of :func:`how_sure` (each share +/- 0.031 at 95%)."""


@dataclass(frozen=True)
class HowSure:
    """How often ``recommendation`` (tool ids; ``label`` its names) stays first: ``both`` when the weights and the
    tool scores vary together, ``scores_only`` with the weights fixed at the analyst's, ``weights_only`` with the
    scores at their point values. Each share is over ``n_samples`` draws (95% error at most ``mc_error``); ties
    split first place; a draw in which the recommendation breaks a red line or misses the floor counts as not
    first. ``weights_region`` says how the weights vary, ``distribution`` how the scores do."""
    recommendation: tuple[str, ...]
    label: str
    both: float
    scores_only: float
    weights_only: float
    n_samples: int
    mc_error: float
    method: str
    distribution: str
    weights_region: str
    seed: object

    def sentence(self) -> str:
        """One line an analyst can read aloud."""
        return (f"{self.label} stays first in {self.both:.0%} of draws when weights and scores vary together "
                f"({self.scores_only:.0%} with only the scores varying, {self.weights_only:.0%} with only the "
                f"weights varying; +/- {self.mc_error:.0%}).")

    def as_dict(self) -> dict:
        return {"recommendation": list(self.recommendation), "label": self.label, "both": self.both,
                "scores_only": self.scores_only, "weights_only": self.weights_only, "n_samples": self.n_samples,
                "mc_error": self.mc_error, "method": self.method, "distribution": self.distribution,
                "weights_region": self.weights_region, "seed": self.seed}


def recommendation_row(p: Portfolios, weights=None, method: str = DEFAULT_METHOD) -> int:
    """Row of the top combination under ``weights`` (None: equal) at the point scores (package tie rule)."""
    _check_method(method, "portfolio")
    w = as_weights(weights, p.criteria)
    sc = portfolio_scaling(p, method)
    rows = np.arange(len(p))
    return int(_best(scores(sc(p.values), w[None, :], method, sc, effort_offset(p))[0], p, rows))


def how_sure(p: Portfolios, weights=None, method: str = DEFAULT_METHOD, n_samples: int = HOW_SURE_SAMPLES,
             seed=0, distribution: str = "triangular", spread: float = 0.1, row: int | None = None,
             weight_order=None, weight_bounds=None) -> HowSure:
    """The "how sure" figure of today's recommendation (see :class:`HowSure`). With ``weights`` the weights vary
    uniformly within +/- ``spread`` of them; without, uniformly on the simplex (and the recommendation is the top
    under equal weights). With ``weight_order``/``weight_bounds`` (:func:`decision.robustness.sample_weights`) they
    vary uniformly on that region instead, and ``weights`` (e.g. the region's centre,
    :func:`decision.robustness.region_centre`) pick the recommendation and fix the score-only share. ``row``: the
    combination to judge instead (a row of ``p``, e.g. the package a playbook opens with and holds); None: the top
    at the point scores (:func:`recommendation_row`)."""
    rec = recommendation_row(p, weights, method) if row is None else _row(p, row)
    ordinal = weight_order is not None or weight_bounds is not None
    region = ({"weight_order": weight_order, "weight_bounds": weight_bounds} if ordinal else
              {"weight_center": weights, "spread": spread} if weights is not None else {})
    words = (region_words(p.criteria, weight_order, weight_bounds) if ordinal else
             f"within +/- {spread:g} of the given weights" if weights is not None else "uniform on the simplex")
    fixed = as_weights(weights, p.criteria)

    setup = score_setup(p, 1, method)                 # the universe, filter and caps: built once for both shares

    def with_scores(**kw) -> float:
        return first_share_with_scores(p, rec, n_samples, seed, method, distribution, setup=setup, **kw)
    fixed_scores = smaa_portfolios(p, n_samples, seed=seed, method=method, k=1, **region)
    return HowSure(recommendation=p.tools_of(rec), label=p.labels([rec])[0],
                   both=with_scores(**region), scores_only=with_scores(weights=fixed),
                   weights_only=float(fixed_scores.table["first"].get(rec, 0.0)), n_samples=int(n_samples),
                   mc_error=mc_error(int(n_samples)),
                   method=method, distribution=distribution,
                   weights_region=words, seed=seed)


def _row(p: Portfolios, row) -> int:
    """``row`` checked as a row of ``p``."""
    r = int(row)
    if not 0 <= r < len(p):
        raise DecisionError(f"row {r} is not a combination of these {len(p):,}")
    return r


def deciding_scores(tornado: pd.DataFrame) -> tuple[int, str]:
    """How many scores of a :func:`score_tornado` table decide the order, and what they do (a phrase that follows
    "N of M scores"): with the recommendation first at the point scores, those at one of whose ends another package
    comes first (or it breaks a red line); when another package is first there (a recommendation judged by its
    playbook), those at one of whose ends it comes first."""
    if tornado.attrs.get("margin", 0) > 0:
        return int(tornado["flips"].sum()), "can put another package first at one end of their range"
    ends = tornado[["margin_low", "margin_high"]]
    return int((ends.max(axis=1) > 0).sum()), "would put it first at one end of their range"


def score_tornado(p: Portfolios, weights=None, method: str = DEFAULT_METHOD, row: int | None = None
                  ) -> pd.DataFrame:
    """One row per (tool, criterion) score with a range: the recommendation's margin over the best feasible
    alternative (preference units, effort cost included) with that score at its ``low`` and at its ``high`` end and
    every other score at its point value. Columns ``tool``, ``name``, ``criterion``, ``low``/``point``/``high`` (the
    change), ``margin_low``, ``margin_high``, ``swing`` (their difference, absolute), ``flips`` (the recommendation
    loses first place at one end, or breaks a red line / misses the floor there: margin NaN). Sorted by ``flips``
    then ``swing``, largest first; ``attrs``: ``margin`` (at the point scores), ``recommendation``, ``runner_up``.
    Exact over every combination that is feasible at some score: only combinations holding the moved tool change,
    and of those only the ones whose bound (:func:`_moved_bound`) reaches the best value found so far are valued.
    ``row``: the combination to judge instead of the top at the point scores (as in :func:`how_sure`); its margin
    at the point scores is then negative when another combination comes first there."""
    _check_method(method, "portfolio")
    rec = recommendation_row(p, weights, method) if row is None else _row(p, row)
    w = as_weights(weights, p.criteria)
    u = score_universe(p)
    up = u.portfolios
    a = up.adjusted
    sc = portfolio_scaling(p, method)
    off = effort_offset(up)

    def prefs(X, rows):
        return scores(X, w[None, :], method, sc, off[rows])[0]
    X0 = np.clip(sc(up.values), 0, 1)
    P0 = prefs(X0, np.arange(len(up)))                # every row at the point scores, feasible there or not
    base = np.where(np.arange(len(up)) < u.n_point, P0, -np.inf)
    alt = base.copy()
    alt[rec] = -np.inf
    runner = int(np.argmax(alt))
    rows_out = []
    for t in range(len(up.catalog.tools)):
        held = np.flatnonzero((up.bits >> t) & 1)
        without = np.where(((up.bits >> t) & 1) == 0, alt, -np.inf).max()
        for j in range(len(p.criteria)):
            if a.low[t, j] == a.high[t, j]:
                continue
            margins = []
            for end in (a.low, a.high):
                m = a.score.copy()
                m[t, j] = end[t, j]
                bound = _moved_bound(X0[held], P0[held], j, m[t, j] - a.score[t, j], up.setting.spec, sc,
                                     lambda X: prefs(X, held))
                margins.append(_margin(up, held, m, rec, base[rec], without, bound, lambda v, r: prefs(
                    np.clip(sc(v), 0, 1), r)))
            rows_out.append((up.catalog.tool_ids[t], up.catalog.tools[t].name, p.criteria[j], a.low[t, j],
                             a.score[t, j], a.high[t, j], *margins))
    df = pd.DataFrame(rows_out, columns=["tool", "name", "criterion", "low", "point", "high", "margin_low",
                                         "margin_high"])
    df[["margin_low", "margin_high"]] = df[["margin_low", "margin_high"]].round(DECIMALS)   # the package's tie rule
    df["swing"] = (df["margin_high"] - df["margin_low"]).abs().round(DECIMALS)
    df["flips"] = ~((df["margin_low"] > 0) & (df["margin_high"] > 0))
    df = df.sort_values(["flips", "swing", "tool", "criterion"], ascending=[False, False, True, True],
                        kind="stable", na_position="first").reset_index(drop=True)
    df.attrs.update(margin=float(base[rec] - base[runner]), recommendation=p.labels([rec])[0],
                    runner_up=up.labels([runner])[0], method=method, scenario=p.adjusted.scenario.id)
    return df


TORNADO_CHUNK = 256
"""Rows valued per step of :func:`_margin` (the first step; each next one twice as many)."""


def _moved_bound(X0: np.ndarray, P0: np.ndarray, j: int, delta: float, spec, sc, prefs) -> np.ndarray:
    """(n,) upper bounds on the preferences of combinations (scaled point values ``X0``, preferences ``P0``) when
    one of their tools' changes on criterion ``j`` moves by ``delta`` points. The lemma (``docs/robustness.md``,
    "Which scores matter"): a criterion's value moves by at most ``|delta|`` points, in the change's direction, because
    each pool's derivative in a member's share is at most 1 (the top share counts fully, the others ``kappa`` or
    less, interactions only shrink what is left), the status quo and the improvement pool pass it on with factors
    ``q0 (1 - better)`` and ``1 - q_h``, both at most 1, and the quiet cap and the clip to the scale are
    1-Lipschitz and monotone. Both portfolio methods rise with every scaled criterion (scaled values in 0-1, the
    ideal at 1), so the bound is the preference with criterion ``j`` raised by that much (none when it falls)."""
    good = delta * spec.direction[j]
    if good <= 0:
        return P0
    probe = sc(np.vstack([spec.lo, spec.hi]))
    step = abs(probe[1, j] - probe[0, j]) * good / (spec.hi[j] - spec.lo[j])   # scaled units per point moved
    Xb = X0.copy()
    Xb[:, j] = np.minimum(Xb[:, j] + step, 1.0)
    return prefs(Xb) + BOUND_MARGIN


def _margin(up: Portfolios, held: np.ndarray, m: np.ndarray, rec: int, rec_base: float, without: float,
            bound: np.ndarray, prefs) -> float:
    """The margin of ``rec`` over the best feasible other combination under the changes ``m`` (T x C), where only
    the combinations ``held`` (rows of ``up``) differ from the point scores and the others' best is ``without``.
    ``bound`` (per row of ``held``) caps each one's preference: the rows are valued highest bound first, in growing
    chunks, until the next bound is below the best feasible value found (nothing after it can beat that value).
    ``prefs(values, rows)`` -> preferences. NaN when ``rec`` is infeasible under ``m``."""
    st = up.setting
    ext = np.concatenate([m, np.full((1, m.shape[1]), np.nan)])

    def value(rows):
        idx = up.idx[rows]
        v = portfolio_values(idx, up.bits[rows], m, st.spec)
        ok = np.ones(len(rows), dtype=bool)
        for mask in value_masks(up.bits[rows], v, st, idx=idx, score=ext[idx.astype(np.intp)]).values():
            ok &= mask
        return np.where(ok, prefs(v, rows), -np.inf)
    mine = held == rec
    u_rec = value(np.array([rec]))[0] if mine.any() else rec_base
    order = np.flatnonzero(~mine & (bound >= without))             # the others can never beat ``without``
    order = order[np.argsort(-bound[order], kind="stable")]
    best, start, chunk = without, 0, TORNADO_CHUNK
    while start < len(order) and bound[order[start]] >= best:
        rows = order[start:start + chunk]
        best = max(best, value(held[rows]).max(initial=-np.inf))
        start, chunk = start + chunk, 2 * chunk
    return u_rec - best if np.isfinite(u_rec) else np.nan

