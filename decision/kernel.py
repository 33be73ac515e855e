"""The maths that ranking, robustness, options, advice, the briefing and the strategy share, written once.

* **Min-max scaling** (:func:`minmax_range`, :func:`minmax`): criterion values (points on a criterion's scale) to
  unitless partial values, higher is better, 0 at the worst end of the range and 1 at the best. The range is the
  rows' own (min-max over the candidate set: TOPSIS, VIKOR) or fixed bounds (the catalogue's 0-10 scale: the
  fixed-anchor weighted sum).
* **TOPSIS closeness** (:func:`squared_gaps`, :func:`closeness`): weighted Euclidean distances of scaled values to
  the ideal and the anti-ideal, and the relative closeness ``d- / (d- + d+)`` (Hwang & Yoon 1981), for one weight
  vector or many at once.
* **The smallest one-weight change that replaces the recommendation** (:func:`crossings`, :func:`crossing_of`):
  read off the recommendation's stability intervals (one ``[low, high]`` per criterion, from
  :mod:`decision.robustness`), each end that a weight can cross and the weight vector just past it, built on the one
  weight-moving kernel :func:`decision.weights.walk_weights` (one weight moved, the others rescaled proportionally).

Pure vectorised numpy, no validation (callers validate once, at the edge). Stage: with :mod:`decision.weights`,
upstream of :mod:`decision.ranking`; it imports nothing else from ``decision`` but the named thresholds.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .defaults import PAST_BOUND
from .weights import walk_weights


# ----------------------------------------------------------------------------------------------------------------
# Min-max scaling

def minmax_range(X, bounds=None) -> tuple[np.ndarray, np.ndarray]:
    """``(lo, hi)``, each (C,): the column minima and maxima of ``X`` (rows x C criterion values), or the fixed
    ``bounds = (lo, hi)`` (per criterion, in the values' units) when given."""
    if bounds is not None:
        return np.asarray(bounds[0], dtype=float), np.asarray(bounds[1], dtype=float)
    X = np.asarray(X, dtype=float)
    return X.min(0), X.max(0)


def minmax(X, types, lo, hi) -> np.ndarray:
    """Min-max scaled values of ``X`` (any shape ending in C criteria, in the criteria's units) on the range
    ``lo``-``hi`` (C,): a benefit (``types`` +1) becomes ``(x - lo) / (hi - lo)``, a cost (-1) ``(hi - x) / (hi -
    lo)``, so the result is unitless and higher is better (0 at the worst end of the range, 1 at the best; values
    outside the range scale linearly beyond 0-1). A constant column (``hi == lo``) has a unit span and is shifted to
    1 at its value (``1 + (x - lo)`` for a benefit, ``1 + (hi - x)`` for a cost): 1 on the rows the range came from,
    as pymcdm, while values drawn around it keep their order."""
    X, lo, hi = (np.asarray(a, dtype=float) for a in (X, lo, hi))
    const = hi == lo
    span = np.where(const, 1.0, hi - lo)
    benefit = np.broadcast_to(np.asarray(types) > 0, np.shape(span))
    Xn = np.empty(np.broadcast_shapes(X.shape, np.shape(span)))      # each column computed once, by its direction
    Xn[..., benefit] = (X[..., benefit] - lo[benefit]) / span[benefit]
    Xn[..., ~benefit] = (hi[~benefit] - X[..., ~benefit]) / span[~benefit]
    return np.where(const, 1.0 + Xn, Xn) if np.any(const) else Xn


# ----------------------------------------------------------------------------------------------------------------
# TOPSIS closeness

def squared_gaps(Xn, ideal=1.0, anti=0.0) -> tuple[np.ndarray, np.ndarray]:
    """``((ideal - Xn)^2, (Xn - anti)^2)``: the squared gaps of scaled values ``Xn`` (higher is better) to the ideal
    and the anti-ideal point (scalars or (C,); with min-max scaling over the rows 1 and 0 on every column)."""
    Xn = np.asarray(Xn, dtype=float)
    return (ideal - Xn) ** 2, (Xn - anti) ** 2


def closeness(gap_ideal_sq, gap_anti_sq, W, live=None, undefined=np.nan) -> np.ndarray:
    """TOPSIS relative closeness ``d- / (d- + d+)``: unitless, 0-1 for values inside the ideal and the anti-ideal,
    higher is better (1 at the ideal, 0 at the anti-ideal). ``d+ = sqrt(sum_j w_j^2 (ideal_j - x_j)^2)`` and ``d-``
    likewise to the anti-ideal, from :func:`squared_gaps`.

    ``gap_*_sq``: (m x C) for m alternatives, or (S x m x C) one matrix per weight vector. ``W``: weights, (C,) ->
    result (m,), or (S x C) -> (S x m). ``live``: (C,) bool, the columns that count (a constant column is both
    ideal and anti-ideal, so it is left out; None: all). ``undefined``: the result where ``d+ = d- = 0`` (every
    live weight 0, or an alternative at both points)."""
    W = np.asarray(W, dtype=float)
    w2 = (W if live is None else np.where(live, W, 0.0)) ** 2
    if np.ndim(gap_ideal_sq) == 3:
        dp, dm = (np.sqrt(np.einsum("smc,sc->sm", g, w2)) for g in (gap_ideal_sq, gap_anti_sq))
    elif W.ndim == 1:
        dp, dm = np.sqrt(gap_ideal_sq @ w2), np.sqrt(gap_anti_sq @ w2)
    else:
        dp, dm = np.sqrt(w2 @ gap_ideal_sq.T), np.sqrt(w2 @ gap_anti_sq.T)
    den = dm + dp
    return np.divide(dm, den, out=np.full(np.shape(den), undefined, dtype=float), where=den > 0)


# ----------------------------------------------------------------------------------------------------------------
# The smallest one-weight change that replaces the recommendation

@dataclass(frozen=True)
class Crossing:
    """One end of a criterion's stability interval crossed: the weight of criterion ``criterion`` (its position),
    now ``weight``, ``falls`` below ``bound`` (else rises above it); ``weights`` (C,) is the weight vector with that
    weight :data:`~decision.defaults.PAST_BOUND` beyond the bound (within 0-1) and the others rescaled
    proportionally: under it another alternative comes first. Weights are shares (0-1, summing to 1)."""
    criterion: int
    falls: bool
    bound: float
    weight: float
    weights: np.ndarray

    @property
    def distance(self) -> float:
        """How far the weight moves to reach the bound (absolute, a share of the total weight)."""
        return abs(self.bound - self.weight)

    @property
    def direction(self) -> str:
        return "falls below" if self.falls else "rises above"


def _past(w: np.ndarray, k: int, falls: bool, bound: float, past: float) -> Crossing:
    t = min(1.0, max(0.0, bound + (-past if falls else past)))
    return Crossing(int(k), bool(falls), float(bound), float(w[k]), walk_weights(w, k, np.array([t]))[0])


def crossings(w, low, high, past: float = PAST_BOUND) -> list[Crossing]:
    """Every end of the stability intervals ``[low_k, high_k]`` (weights of criterion k between which the
    recommendation stays first, the others rescaled) that a weight can cross and still be a weight: the low end if it
    is above 0 and ``past`` below it is at least 0, the high end if it is below 1 and ``past`` above it at most 1.
    Sorted by :attr:`Crossing.distance`, ties in criterion order, the low end first."""
    w, low, high = (np.asarray(a, dtype=float) for a in (w, low, high))
    ends = [(k, falls, b) for k in range(len(w))
            for falls, b, ok in ((True, low[k], low[k] > 0 and low[k] - past >= 0),
                                 (False, high[k], high[k] < 1 and high[k] + past <= 1)) if ok]
    found = [_past(w, k, falls, b, past) for k, falls, b in ends]
    return sorted(found, key=lambda c: c.distance)


def crossing_of(w, low: float, high: float, k: int, past: float = PAST_BOUND) -> Crossing:
    """The crossing a report names for criterion ``k`` (the most critical one): the nearer end of ``[low, high]``
    that can move (the low end on a tie; the low end when the high end is 1, the high end when the low end is 0), the
    weight set ``past`` beyond it and clipped to 0-1."""
    w = np.asarray(w, dtype=float)
    falls = (w[k] - low <= high - w[k] and low > 0) or high >= 1
    return _past(w, k, falls, low if falls else high, past)
