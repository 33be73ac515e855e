"""Robustness of a recommendation: one-way weight sensitivity, stability intervals, SMAA-2 and Pareto/core tools.

Formulas and sources are in ``docs/robustness.md``. The computing core is vectorised numpy: Monte Carlo samples are
processed in chunks, never one per Python iteration, and combinations are handled as arrays. Score uncertainty over
combinations (value boxes, feasibility per draw, the exact filter and the certified top-k per draw) lives in
:mod:`decision.uncertainty`; dominance counting in :mod:`decision.dominance`.

Conventions shared by every function here:

* **Scaling.** ``normalize=True`` scales each criterion by min-max over the given alternatives exactly as
  :class:`decision.ranking.Ranker` (benefit ``(x - min) / (max - min)``, cost ``(max - x) / (max - min)``, a constant
  column becomes 1). ``normalize=False`` takes the matrix as already-scaled partial values of an additive value model;
  a cost column then enters with a negative sign (which ranks like ``max - x``). With uncertain scores the scaling
  stays fixed at the deterministic matrix's min/max, so a sampled value may fall slightly outside 0-1.
* **Methods.** ``wsm`` (weighted sum of scaled values), ``topsis`` (ideal 1 / anti-ideal 0 on the scaled values, as
  the Ranker fast path and pymcdm's default TOPSIS), ``vikor`` (``v = 0.5``; matrices only). Preferences are turned
  into "higher is better" internally.
* **Ties** follow the package rule (``decision.ranking``): preferences are rounded to 12 decimals; in a matrix SMAA
  tied alternatives share the best rank; in the SMAA over combinations tied combinations split the places they
  occupy (two twins tied for first get half of first and half of second place each), so every rank's
  acceptabilities sum to 1. Where one winner is needed (the best combination, the top of a sweep) the first in
  input order wins (for combinations: fewer tools, catalogue order).
* **Monte Carlo error.** An acceptability is a binomial proportion: its 95% half-width is at most ``0.98 / sqrt(K)``
  for ``K`` samples (``mc_error`` in every result).
"""
from __future__ import annotations

import math
import weakref
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import cached_property

import numpy as np
import pandas as pd

from . import uncertainty as U
from .defaults import DEFAULT_METHOD
from .dominance import skyband_mask
from .errors import DecisionError
from .kernel import closeness, minmax, minmax_range, squared_gaps
from .portfolios import Portfolios
from .ranking import ADDITIVE, CLOSENESS, DECIMALS, METHODS, as_weights, check_matrix, method_of
from .weights import parse_order, walk_weights  # walk_weights re-exported: advice, briefing, strategy use it


def _registered(field: str) -> tuple[str, ...]:
    """Names of the registered methods with ``field`` set, the default method first."""
    return tuple(sorted((n for n, m in METHODS.items() if getattr(m, field)), key=lambda n: n != DEFAULT_METHOD))


SMAA_METHODS = _registered("smaa")
"""Methods :func:`smaa_matrix`, :func:`weight_sweep` and :func:`stability_intervals` accept (``Method.smaa``)."""
PORTFOLIO_METHODS = _registered("portfolio")
"""Methods the analyses over combinations accept (``Method.portfolio``; decision.defaults.PORTFOLIO_METHODS, the
command line's choices, must equal it: tests/test_method_contract.py)."""


def _kernel(method: str) -> str | None:
    """The formula family of ``method`` (:attr:`decision.ranking.Method.kernel`): what the vectorised code here
    branches on."""
    return method_of(method, consensus=False).kernel
MIN_ACCEPTANCE = 0.001
"""Weight bounds whose acceptance rate (feasible share of the simplex) is below this are refused."""
CHUNK_ELEMENTS = 4_000_000
"""Size of the temporary arrays (elements) per chunk of Monte Carlo samples."""
CORE_STATUS = ("core", "borderline", "exterior")
Progress = Callable[[int, int], None] | None


# ----------------------------------------------------------------------------------------------------------------
# Validation and scaling

@dataclass(frozen=True)
class _Scaled:
    """Per-criterion map to "higher is better" values (the Ranker's min-max formula, or a sign flip for costs with
    ``normalize=False``), and the ideal / anti-ideal of the scaled deterministic matrix."""
    types: np.ndarray
    lo: np.ndarray | None
    hi: np.ndarray | None
    ideal: np.ndarray
    anti: np.ndarray

    def __call__(self, X: np.ndarray) -> np.ndarray:
        return X * self.types if self.lo is None else minmax(X, self.types, self.lo, self.hi)   # as the Ranker

    @property
    def span(self) -> np.ndarray:
        return self.ideal - self.anti


def _scaling(X: np.ndarray, types: np.ndarray, normalize: bool, bounds=None) -> _Scaled:
    t = np.asarray(types)
    lo, hi = minmax_range(X, bounds) if normalize or bounds is not None else (None, None)
    Xn = _Scaled(t, lo, hi, np.zeros(0), np.zeros(0))(X)
    return _Scaled(t, lo, hi, Xn.max(0), Xn.min(0))


def portfolio_scaling(p: Portfolios, method: str) -> _Scaled:
    """The Ranker's scaling for ``method``: fixed anchors (the catalogue scales) for ``wsm``, min-max over the
    combinations and the status quo for ``topsis``."""
    X = np.vstack([p.values, p.status_quo[None]])
    return _scaling(X, p.types, True, p.catalog.bounds if method_of(method).anchored else None)


def with_offset(Xn: np.ndarray, off: np.ndarray, method: str) -> np.ndarray:
    """Columns whose Pareto dominance implies dominance of the preference less ``off`` for every weight vector: for
    ``wsm`` (weights sum to 1, so ``w . x - off = w . (x - off)``) the scaled values less the offset; otherwise the
    scaled values plus the offset as one more (cost) column."""
    return Xn - off[:, None] if _kernel(method) == ADDITIVE else np.column_stack([Xn, -off])


def effort_offset(p: Portfolios, rows=None) -> np.ndarray:
    """Effort cost of combinations ``rows`` in preference units (``model.yaml`` effort_cost x effort)."""
    e = p.effort if rows is None else p.effort[rows]
    return p.catalog.model.effort_cost * e


def _matrix(matrix, types, criteria=None):
    """Validate a matrix and its types; returns (X, types, row labels, criterion labels)."""
    X, t, rows, crit = check_matrix(matrix, types, criteria)
    return X, t, (list(rows) if rows is not None else list(range(len(X)))), crit



def _check_method(method, need: str = "smaa"):
    """Refuse (one line) a method without the field ``need`` ("smaa" or "portfolio", :class:`Method`)."""
    m = METHODS.get(method) if isinstance(method, str) else None
    if m is None or not getattr(m, need):
        raise DecisionError(f"method '{method}' is not available here; choose one of {', '.join(_registered(need))}")


# ----------------------------------------------------------------------------------------------------------------
# Preferences, vectorised over weight vectors (higher is better)

def scores(Xn: np.ndarray, W: np.ndarray, method: str, sc: _Scaled, offset=None) -> np.ndarray:
    """Preferences of alternatives ``Xn`` (m x C scaled, or S x m x C one matrix per weight vector) under weight
    vectors ``W`` (S x C), less a per-alternative ``offset`` (m,) (the effort cost). Returns S x m, higher is better
    (VIKOR's Q is negated)."""
    U = _scores(Xn, W, method, sc)
    return U if offset is None else U - np.asarray(offset)[None, :]


def _scores(Xn: np.ndarray, W: np.ndarray, method: str, sc: _Scaled) -> np.ndarray:
    per_sample = Xn.ndim == 3
    kernel = _kernel(method)
    if kernel == ADDITIVE:
        return np.einsum("smc,sc->sm", Xn, W) if per_sample else W @ Xn.T
    live = sc.span > 0
    if kernel == CLOSENESS:                                        # 0/0 (all weight on constants) -> 0
        return closeness(*squared_gaps(Xn, sc.ideal, sc.anti), W, live=live, undefined=0.0)
    # VIKOR (v = 0.5): S = sum of weighted gaps, R = largest weighted gap, Q compromise; per sample over alternatives
    gap = np.where(live, (sc.ideal - Xn) / np.where(live, sc.span, 1.0), 0.0)
    wg = gap * W[:, None, :] if per_sample else gap[None, :, :] * W[:, None, :]
    S, R = wg.sum(2), wg.max(2)

    def part(Z):
        lo, hi = Z.min(1, keepdims=True), Z.max(1, keepdims=True)
        with np.errstate(invalid="ignore", divide="ignore"):
            return np.where(hi > lo, (Z - lo) / (hi - lo), 0.0)
    return -(0.5 * part(S) + 0.5 * part(R))


def _round(U):
    return np.round(U, DECIMALS)


def _first(U: np.ndarray) -> np.ndarray:
    """Index of the winner per row under the tie rule (first in input order among the rounded best)."""
    return np.argmax(_round(U), axis=1)


# ----------------------------------------------------------------------------------------------------------------
# One-way sensitivity and stability intervals

def weight_sweep(matrix, weights, types, method: str = "wsm", normalize: bool = True, n_points: int = 101,
                 criteria: Sequence[str] | None = None) -> pd.DataFrame:
    """Walk each criterion's weight from 0 to 1 (others rescaled proportionally).

    Returns one row per (criterion, point): ``criterion``, ``weight`` (of that criterion), ``top`` (label of the
    top alternative), ``top_row`` (its position), ``preference`` (its preference, higher is better) and ``current``
    (the criterion's current weight). See :func:`top_changes` for where the top alternative changes.
    """
    _check_method(method)
    X, t, rows, crit = _matrix(matrix, types, criteria)
    w = as_weights(weights, crit)
    sc = _scaling(X, t, normalize)
    Xn = sc(X)
    grid = np.linspace(0.0, 1.0, int(n_points))
    parts = []
    for k, c in enumerate(crit):                                   # one vectorised pass per criterion
        U = scores(Xn, walk_weights(w, k, grid), method, sc)
        top = _first(U)
        parts.append(pd.DataFrame({"criterion": c, "weight": grid, "top_row": top, "top": [rows[i] for i in top],
                                   "preference": U[np.arange(len(grid)), top], "current": w[k]}))
    return pd.concat(parts, ignore_index=True)


def top_changes(sweep: pd.DataFrame) -> pd.DataFrame:
    """Rows of a :func:`weight_sweep` where the top alternative differs from the previous point of the same
    criterion: ``criterion``, ``weight_before``, ``weight`` (the change lies between them), ``from``, ``to``."""
    prev = sweep.groupby("criterion", sort=False)["top_row"].shift()
    hit = prev.notna() & (prev != sweep["top_row"])
    before = sweep.groupby("criterion", sort=False)["weight"].shift()
    prev_label = sweep.groupby("criterion", sort=False)["top"].shift()
    return pd.DataFrame({"criterion": sweep["criterion"][hit], "weight_before": before[hit],
                         "weight": sweep["weight"][hit], "from": prev_label[hit], "to": sweep["top"][hit]}
                        ).reset_index(drop=True)


def _wsm_interval(Xn: np.ndarray, w: np.ndarray, k: int, a: int, offset=None) -> tuple[float, float]:
    """Exact interval of w_k keeping ``a`` on top of a weighted sum less ``offset`` (docs/robustness.md, section 2)."""
    off = np.zeros(len(Xn)) if offset is None else np.asarray(offset)
    R = Xn @ walk_weights(w, k, np.zeros(1))[0] - off              # value at w_k = 0, the others rescaled
    d0 = R[a] - R                                                  # gap to the top at w_k = 0
    d1 = (Xn[a, k] - off[a]) - (Xn[:, k] - off)                    # gap at w_k = 1
    cross = (d0 < 0) != (d1 < 0)
    with np.errstate(invalid="ignore", divide="ignore"):
        tstar = d0 / (d0 - d1)
    upper = cross & (d1 < d0)
    lower = cross & (d1 > d0)
    low = max(0.0, float(tstar[lower].max())) if lower.any() else 0.0
    high = min(1.0, float(tstar[upper].min())) if upper.any() else 1.0
    return low, high


def _numeric_interval(Xn, w, k, a, method, sc, n_points=201, tol=1e-7, offset=None) -> tuple[float, float]:
    """Interval of w_k around its current value keeping ``a`` on top: a grid sweep, then bisection at both ends."""
    top_at = lambda t: _first(scores(Xn, walk_weights(w, k, np.atleast_1d(t)), method, sc, offset))  # noqa: E731
    grid = np.unique(np.append(np.linspace(0.0, 1.0, n_points), w[k]))
    same = top_at(grid) == a
    i = int(np.searchsorted(grid, w[k]))
    bounds = []
    for step in (-1, 1):
        j = i
        while 0 <= j + step < len(grid) and same[j + step]:
            j += step
        if j + step < 0:
            bounds.append(0.0)
            continue
        if j + step >= len(grid):
            bounds.append(1.0)
            continue
        inside, outside = grid[j], grid[j + step]
        while abs(outside - inside) > tol:                       # bisection on the boundary
            mid = 0.5 * (inside + outside)
            if top_at(mid)[0] == a:
                inside = mid
            else:
                outside = mid
        bounds.append(0.5 * (inside + outside))
    return bounds[0], bounds[1]


def _intervals(Xn, w, method, sc, crit, labels, a, offset=None) -> pd.DataFrame:
    rows = []
    for k, c in enumerate(crit):
        low, high = (_wsm_interval(Xn, w, k, a, offset) if _kernel(method) == ADDITIVE
                     else _numeric_interval(Xn, w, k, a, method, sc, offset=offset))
        rows.append((c, w[k], low, high))
    df = pd.DataFrame(rows, columns=["criterion", "weight", "low", "high"]).set_index("criterion")
    df["margin"] = np.minimum(df["weight"] - df["low"], df["high"] - df["weight"])
    df["exact"] = _kernel(method) == ADDITIVE
    df.attrs.update(top=labels[a], top_row=int(a), method=method,
                    most_critical=most_critical(df) if len(df) else None)
    return df


def linear_stability(Xn: np.ndarray, weights, criteria, labels, first: int = 0, offset=None) -> pd.DataFrame:
    """Stability intervals of alternative ``first`` among alternatives with additive values ``Xn @ w - offset``
    (``Xn``: scaled, higher is better; ``offset``: e.g. an effort cost): exact, as :func:`stability_intervals` for
    ``wsm``. Used for courses of action (a playbook's courses are linear in the weights when each is held)."""
    Xn = np.asarray(Xn, dtype=float)
    w = as_weights(weights, list(criteria))
    return _intervals(Xn, w, "wsm", _scaling(Xn, np.ones(Xn.shape[1]), False), list(criteria), list(labels), first,
                      offset)


def _best(U: np.ndarray, p: Portfolios, rows: np.ndarray) -> int:
    """Position in ``rows`` of the best combination under the package tie rule (less effort, fewer tools, order)."""
    R = _round(U)
    cand = np.flatnonzero(R == R.max())
    return int(cand[np.lexsort((cand, p.n_tools[rows[cand]], p.effort[rows[cand]]))][0])


def most_critical(intervals: pd.DataFrame) -> str | None:
    """The criterion whose weight needs the smallest change (absolute, proportional rescaling of the others) to
    change the top alternative; None if no weight change within 0-1 changes it."""
    movable = intervals[(intervals["low"] > 0) | (intervals["high"] < 1)]
    return None if movable.empty else str(movable["margin"].idxmin())


def stability_intervals(matrix, weights, types, method: str = "wsm", normalize: bool = True,
                        criteria: Sequence[str] | None = None) -> pd.DataFrame:
    """One row per criterion: the ``low`` and ``high`` weight between which the top-ranked alternative stays the
    same when that criterion's weight moves and the others are rescaled proportionally.

    Exact closed form for ``wsm``; for ``topsis``/``vikor`` a 201-point sweep then bisection to 1e-7 (``exact``
    column). ``margin`` is the smallest move that changes the top; ``df.attrs`` holds ``top``, ``top_row`` and
    ``most_critical`` (the criterion with the smallest margin).
    """
    _check_method(method)
    X, t, rows, crit = _matrix(matrix, types, criteria)
    w = as_weights(weights, crit)
    sc = _scaling(X, t, normalize)
    Xn = sc(X)
    a = int(_first(scores(Xn, w[None, :], method, sc))[0])
    return _intervals(Xn, w, method, sc, crit, rows, a)


def portfolio_stability(portfolios: Portfolios, weights=None, method: str = "wsm") -> pd.DataFrame:
    """:func:`stability_intervals` of today's recommendation (the top combination) among a scenario's feasible
    combinations. For ``topsis`` the search runs over the non-dominated combinations only (the top is always one
    of them when every weight is positive), which keeps the bisection cheap."""
    _check_method(method, "portfolio")
    p = portfolios
    w = as_weights(weights, p.criteria)
    sc = portfolio_scaling(p, method)
    Xn = sc(p.values)
    off = effort_offset(p)
    if _kernel(method) == CLOSENESS:
        rows = np.flatnonzero(skyband_mask(with_offset(Xn, off, method), 1))
        Xn, off = Xn[rows], off[rows]
    else:
        rows = np.arange(len(p))
    a = _best(scores(Xn, w[None, :], method, sc, off)[0], p, rows)
    df = _intervals(Xn, w, method, sc, p.criteria, list(rows), a, off)
    df.attrs.update(top_row=int(rows[a]), top=p.labels([rows[a]])[0], scenario=p.adjusted.scenario.id)
    return df


# ----------------------------------------------------------------------------------------------------------------
# Dominance: k-skyband (combinations dominated by fewer than k others), Pareto set, core index

def _ordinal_transform(Xn: np.ndarray, order: Sequence[int]) -> np.ndarray:
    """Values at the extreme points of {w_order[0] >= w_order[1] >= ...}: cumulative means in importance order.
    Dominance over this weight region = Pareto dominance of these columns (RPM, Liesioe et al. 2007)."""
    Y = np.cumsum(Xn[:, list(order)], axis=1)
    return Y / np.arange(1, Y.shape[1] + 1)


def pareto_mask(matrix, types, weight_order=None, criteria=None) -> np.ndarray:
    """(N,) bool: the non-dominated alternatives (no other is at least as good on every criterion and better on
    one). With ``weight_order`` (criteria from most to least important) dominance holds for every weight vector
    respecting that order. Identical rows do not dominate each other."""
    X, t, _, crit = _matrix(matrix, types, criteria)
    Y = X * t
    if weight_order is not None:
        groups = _order_groups(weight_order, crit)
        if any(len(g) > 1 for g in groups):
            raise DecisionError("weight_order: dominance over an order with tied criteria is not built; give a strict "
                                "order")
        Y = _ordinal_transform(_scaling(X, t, True)(X), [g[0] for g in groups])
    return skyband_mask(Y, 1)


def core_index(portfolios: Portfolios, weight_order=None) -> pd.DataFrame:
    """Per tool: the share of non-dominated combinations that contain it (``core_index``) and its RPM status:
    ``core`` (in every non-dominated combination), ``borderline`` (in some) or ``exterior`` (in none).
    ``df.attrs['n_nondominated']`` gives the size of the non-dominated set."""
    p = portfolios
    nd = pareto_mask(p.values, p.types, weight_order, p.criteria)
    share = p.members[nd].mean(0)
    status = np.where(share >= 1 - 1e-12, "core", np.where(share > 0, "borderline", "exterior"))
    df = pd.DataFrame({"tool": p.catalog.tool_ids, "name": [t.name for t in p.catalog.tools],
                       "core_index": share, "status": status, "in_nondominated": p.members[nd].sum(0)})
    df = df.sort_values(["core_index", "tool"], ascending=[False, True], kind="stable").reset_index(drop=True)
    df.attrs.update(n_nondominated=int(nd.sum()), n_feasible=len(p), scenario=p.adjusted.scenario.id)
    return df


def nondominated(portfolios: Portfolios, weight_order=None) -> pd.DataFrame:
    """The non-dominated combinations of a scenario (:meth:`Portfolios.frame` rows)."""
    return portfolios.frame(np.flatnonzero(pareto_mask(portfolios.values, portfolios.types, weight_order,
                                                       portfolios.criteria)))


# ----------------------------------------------------------------------------------------------------------------
# Sampling

def _order_index(order, crit) -> list[int]:
    """A strict ``weight_order`` (criterion ids or positions) as criterion positions, most important first."""
    idx = []
    for c in order:
        if isinstance(c, (list, tuple)):
            raise DecisionError(f"weight_order: expected a criterion id or position, got {list(c)!r} (ties: one "
                                "tuple of criteria per place)")
        if isinstance(c, (int, np.integer)) and not isinstance(c, bool):
            if not 0 <= c < len(crit):
                raise DecisionError(f"weight_order: criterion position {c} out of range")
            idx.append(int(c))
        elif c in crit:
            idx.append(crit.index(c))
        else:
            raise DecisionError(f"weight_order: unknown criterion '{c}'; known: {', '.join(map(str, crit))}")
    if len(set(idx)) != len(idx):
        raise DecisionError("weight_order names a criterion twice")
    return idx


def _order_groups(order, crit) -> list[list[int]]:
    """``weight_order`` as groups of tied criterion positions, most important first. An item is a criterion (id or
    position) or a tuple/list of tied criteria; a string is read by :func:`decision.weights.parse_order`
    (``"a>b=c"``). Criteria not named are free (a partial order)."""
    if isinstance(order, str):
        order = [g[0] if len(g) == 1 else tuple(g) for g in parse_order(order)]
    groups = [_order_index(list(item) if isinstance(item, (list, tuple)) else [item], crit) for item in order]
    flat = [j for g in groups for j in g]
    if any(not g for g in groups):
        raise DecisionError("weight_order holds an empty group of tied criteria")
    if len(set(flat)) != len(flat):
        raise DecisionError("weight_order names a criterion twice")
    return groups


def _ordered(rng: np.random.Generator, W: np.ndarray, groups: list[list[int]]) -> np.ndarray:
    """Draws ``W`` (uniform on the simplex) moved onto the region of the weak order ``groups``: the listed columns
    sorted in decreasing order and handed out group by group, most important first; within a group of tied criteria
    that group's values go to its criteria in a uniformly random order (one permutation per draw). Exact: the
    listed coordinates are exchangeable. A strict order draws no extra random numbers."""
    order = [j for g in groups for j in g]
    S = -np.sort(-W[:, order], axis=1)
    start = 0
    for g in groups:                                        # one vectorised step per tie group, not per draw
        if len(g) > 1:
            block = S[:, start:start + len(g)]
            S[:, start:start + len(g)] = np.take_along_axis(block, np.argsort(rng.random(block.shape), axis=1), 1)
        start += len(g)
    W[:, order] = S
    return W


def _bounds(bounds, crit) -> tuple[np.ndarray, np.ndarray]:
    n = len(crit)
    lo, hi = np.zeros(n), np.ones(n)
    items = bounds.items() if isinstance(bounds, dict) else enumerate(bounds)
    for key, b in items:
        j = _order_index([key], crit)[0]
        try:
            lo[j], hi[j] = (float(b[0]), float(b[1]))
        except (TypeError, ValueError, IndexError):
            raise DecisionError(f"weight_bounds for '{crit[j]}': expected (low, high), got {b!r}") from None
        if not 0 <= lo[j] <= hi[j] <= 1:
            raise DecisionError(f"weight_bounds for '{crit[j]}': need 0 <= low <= high <= 1, got {b!r}")
    if lo.sum() > 1 + 1e-12 or hi.sum() < 1 - 1e-12:
        raise DecisionError(f"weight_bounds are infeasible: lows sum to {lo.sum():g} (need <= 1), highs to "
                            f"{hi.sum():g} (need >= 1)")
    return lo, hi


def _simplex(rng: np.random.Generator, n_samples: int, n: int) -> np.ndarray:
    """Uniform weights on the simplex: spacings of sorted uniforms (JSMAA createSumToRand; = Dirichlet(1))."""
    u = np.sort(rng.random((n_samples, n - 1)), axis=1)
    return np.diff(u, axis=1, prepend=0.0, append=1.0)


def sample_weights(n_samples: int, n_criteria: int, seed=0, weight_order=None, weight_bounds=None,
                   criteria: Sequence[str] | None = None, weight_center=None,
                   spread: float = 0.1) -> tuple[np.ndarray, float]:
    """``n_samples`` weight vectors (rows sum to 1) and the acceptance rate.

    Uniform on the simplex; with ``weight_order`` (criteria, most important first; an item may be a tuple of tied
    criteria, see :func:`_order_groups`) uniform on the ordered region (sort each vector, ties in random order,
    exact: :func:`_ordered`); with ``weight_bounds`` (``{criterion: (low, high)}``) uniform on the bounded region:
    the lower bounds exactly (``low + (1 - sum low) u``, u uniform on the simplex), the upper bounds by rejection
    (from the ordered simplex when an order is given too); ``weight_center`` with ``spread`` is the box of +/-
    ``spread`` around those weights. The acceptance rate is the share of draws kept by the rejection (1.0 without
    bounds); a region that keeps fewer than ``MIN_ACCEPTANCE`` of draws is refused with a DecisionError.
    """
    crit = list(criteria) if criteria is not None else list(range(n_criteria))
    rng = seed if isinstance(seed, np.random.Generator) else np.random.default_rng(seed)
    if weight_center is not None:
        if weight_order is not None or weight_bounds is not None:
            raise DecisionError("give weight_center, or weight_order/weight_bounds, not both")
        if not 0 < spread <= 1:
            raise DecisionError(f"spread must be in (0, 1], got {spread!r}")
        w = as_weights(weight_center, crit)
        weight_bounds = {c: (max(0.0, x - spread), min(1.0, x + spread)) for c, x in zip(crit, w)}
    groups = _order_groups(weight_order, crit) if weight_order is not None else None
    lo, hi = _bounds(weight_bounds, crit) if weight_bounds is not None else (None, None)

    def draw(m):
        W = _simplex(rng, m, n_criteria)
        if groups is not None:
            W = _ordered(rng, W, groups)                         # exact: the coordinates are exchangeable
        elif lo is not None:
            W = lo + (1 - lo.sum()) * W                          # exact for lower bounds; upper ones by rejection
        return W

    if lo is None:
        return draw(n_samples), 1.0
    kept, drawn, got = [], 0, 0
    while got < n_samples:
        m = max(1000, 2 * (n_samples - got))
        W = draw(m)
        ok = np.all((W >= lo - 1e-15) & (W <= hi + 1e-15), axis=1)
        drawn += m
        kept.append(W[ok])
        got += int(ok.sum())
        if drawn >= 20_000 and got / drawn < MIN_ACCEPTANCE:
            raise DecisionError(f"the weight bounds keep only {got / drawn:.4%} of the weight draws (need at least "
                                f"{MIN_ACCEPTANCE:.1%}); widen the bounds")
    return np.vstack(kept)[:n_samples], got / drawn


def region_centre(n_samples: int, criteria: Sequence[str], seed=0, weight_order=None,
                  weight_bounds=None) -> tuple[np.ndarray, float, str]:
    """The centre of the weight region of ``weight_order``/``weight_bounds`` (:func:`sample_weights`), for the
    parts of an analysis that need one weight vector. An order alone that ranks every criterion: its rank-order
    centroid (:func:`decision.weights.roc`, tied criteria sharing their positions' mean), the exact mean of the
    uniform distribution on that region. Otherwise: the mean of the ``n_samples`` draws that
    :func:`smaa_portfolios` makes with the same ``seed`` (the same vectors), an estimate. Returns (weights in
    ``criteria`` order, the acceptance rate of those draws, a phrase saying which)."""
    crit = list(criteria)
    groups = _order_groups(weight_order, crit) if weight_order is not None else None
    if weight_bounds is None and groups is not None and sum(map(len, groups)) == len(crit):
        from .weights import roc  # noqa: PLC0415  (pandas: only here)
        names = [[crit[j] for j in g] for g in groups]
        return roc(names, crit).to_numpy(), 1.0, "the rank-order centroid of the order, the region's exact centre"
    W, acc = sample_weights(int(n_samples), len(crit), np.random.default_rng(seed), weight_order, weight_bounds,
                            crit)
    return W.mean(0), acc, f"the mean of the {len(W):,} sampled weight vectors, an estimate of the region's centre"


def region_words(criteria: Sequence[str], weight_order=None, weight_bounds=None) -> str:
    """The weight region of ``weight_order``/``weight_bounds`` in words (for reports)."""
    crit = list(criteria)
    parts = []
    if weight_order is not None:
        groups = _order_groups(weight_order, crit)
        parts.append("respect the importance order " + " > ".join(" = ".join(str(crit[j]) for j in g)
                                                                  for g in groups))
    if weight_bounds is not None:
        lo, hi = _bounds(weight_bounds, crit)
        narrow = [f"{crit[j]} {lo[j]:g}-{hi[j]:g}" for j in range(len(crit)) if lo[j] > 0 or hi[j] < 1]
        parts.append("lie within the bounds " + (", ".join(narrow) or "0-1 (no narrower bound)"))
    return "uniform among those that " + " and ".join(parts) if parts else "uniform on the simplex"


def _triangular(rng, low, mode, high, size):
    """Independent triangular(low, mode, high) draws by inverse CDF; low == high gives the constant."""
    u = rng.random(size)
    width = high - low
    with np.errstate(invalid="ignore", divide="ignore"):
        f = np.where(width > 0, (mode - low) / np.where(width > 0, width, 1.0), 0.5)
    left = low + np.sqrt(u * width * (mode - low))
    right = high - np.sqrt((1 - u) * width * (high - mode))
    return np.where(u < f, left, right)


def sample_scores(rng, low, mode, high, n_samples: int, distribution: str = "triangular") -> np.ndarray:
    """``n_samples`` independent draws of every entry within [low, high]: ``triangular`` (mode = the point score)
    or ``uniform``. Shape (n_samples, *low.shape)."""
    size = (n_samples, *np.shape(low))
    if distribution == "triangular":
        return _triangular(rng, low, mode, high, size)
    if distribution == "uniform":
        return low + (high - low) * rng.random(size)
    raise DecisionError(f"unknown score distribution '{distribution}'; choose triangular or uniform")


# ----------------------------------------------------------------------------------------------------------------
# SMAA-2 over a matrix

def holistic_meta_weights(m: int, kind: str = "centroid") -> np.ndarray:
    """Meta-weights alpha^r (1 = alpha^1 >= ... >= 0) for the holistic acceptability: ``centroid``
    (sum_{i>=r} 1/i normalised to alpha^1 = 1), ``linear`` ((m - r) / (m - 1)) or ``inverse`` (1 / r)."""
    r = np.arange(1, m + 1)
    if kind == "centroid":
        tail = np.cumsum((1.0 / r)[::-1])[::-1]
        return tail / tail[0]
    if kind == "linear":
        return (m - r) / (m - 1) if m > 1 else np.ones(1)
    if kind == "inverse":
        return 1.0 / r
    raise DecisionError(f"unknown meta-weights '{kind}'; choose centroid, linear or inverse")


def mc_error(n_samples: int) -> float:
    """95% half-width bound of an acceptability estimated from ``n_samples`` draws: 1.96 / (2 sqrt(K))."""
    return 0.98 / math.sqrt(n_samples)


@dataclass(frozen=True)
class SMAAResult:
    """SMAA-2 result. ``rank_acceptability``: alternatives x ranks (b_i^r, each row sums to 1);
    ``central_weights``: alternatives x criteria (NaN where never first); ``confidence``: P(first at its central
    weights) (NaN where never first); ``holistic_acceptability``: sum_r alpha^r b_i^r; ``mc_error``: 95% half-width
    bound of every acceptability; ``acceptance_rate``: share of weight draws kept (bounds)."""
    rank_acceptability: pd.DataFrame
    central_weights: pd.DataFrame
    confidence: pd.Series
    holistic_acceptability: pd.Series
    n_samples: int
    mc_error: float
    acceptance_rate: float
    method: str
    seed: object
    meta_weights: str

    @property
    def acceptability(self) -> pd.Series:
        """First-rank acceptability a_i = b_i^1."""
        return self.rank_acceptability.iloc[:, 0].rename("acceptability")

    def summary(self) -> pd.DataFrame:
        """Acceptability, holistic acceptability, confidence and central weights side by side."""
        return pd.concat([self.acceptability, self.holistic_acceptability, self.confidence,
                          self.central_weights.add_prefix("cw_")], axis=1)


def _chunk(m: int, per: int) -> int:
    return max(1, CHUNK_ELEMENTS // max(1, m * per))


def _competition_ranks(U: np.ndarray) -> np.ndarray:
    """Competition ranks per row of rounded preferences: 1 + number strictly better (S x m; pairwise, m small)."""
    R = _round(U)
    return 1 + (R[:, None, :] > R[:, :, None]).sum(2)


def smaa_matrix(matrix, types, n_samples: int = 10_000, seed=0, method: str = "wsm", normalize: bool = True,
                weight_order=None, weight_bounds=None, score_ranges=None, distribution: str = "triangular",
                meta_weights: str = "centroid", criteria: Sequence[str] | None = None,
                score_sampler: Callable | None = None) -> SMAAResult:
    """SMAA-2 (Lahdelma & Salminen 2001) for a small table of alternatives.

    Weights: uniform on the simplex, or on the region allowed by ``weight_order`` (criteria, most important first)
    and/or ``weight_bounds`` (``{criterion: (low, high)}``, rejection; see :func:`sample_weights`). Scores: the
    matrix, or with ``score_ranges = (low, high)`` (arrays shaped like the matrix) independent draws per entry from
    ``distribution`` (triangular with mode = the matrix value, or uniform); the scaling stays fixed at the matrix's
    min/max. ``score_sampler(rng, n)`` -> (n x m x C) array replaces the ranges for any other distribution (e.g.
    Gaussian measurements, as in JSMAA). Confidence factors use a second pass of ``n_samples`` score draws at each central weight vector (1 or 0
    for exact scores). Ties share the best rank (package tie rule).
    """
    _check_method(method)
    X, t, rows, crit = _matrix(matrix, types, criteria)
    if int(n_samples) < 1:
        raise DecisionError(f"n_samples must be >= 1, got {n_samples}")
    n_samples = int(n_samples)
    rng = np.random.default_rng(seed)
    W, acc = sample_weights(n_samples, len(crit), rng, weight_order, weight_bounds, crit)
    sc = _scaling(X, t, normalize)
    low = high = None
    if score_ranges is not None:
        low, high = (np.asarray(r, dtype=float) for r in score_ranges)
        if low.shape != X.shape or high.shape != X.shape:
            raise DecisionError(f"score_ranges must be (low, high) arrays of the matrix's shape {X.shape}")
        if np.any(low > X + 1e-12) or np.any(high < X - 1e-12):
            raise DecisionError("score_ranges must contain the matrix values (low <= value <= high)")
    if score_sampler is not None:
        draw = lambda n: np.asarray(score_sampler(rng, n), dtype=float)          # noqa: E731
    elif low is not None:
        draw = lambda n: sample_scores(rng, low, X, high, n, distribution)       # noqa: E731
    else:
        draw = None
    m, C = X.shape
    B = np.zeros((m, m))
    CW = np.zeros((m, C))
    step = _chunk(m, max(C, m))                                      # S x m x m ranks per chunk
    for s0 in range(0, n_samples, step):
        Wc = W[s0:s0 + step]
        Xs = sc(X) if draw is None else sc(draw(len(Wc)))
        U = scores(Xs, Wc, method, sc)
        rk = _competition_ranks(U)                                   # S x m
        np.add.at(B, (np.broadcast_to(np.arange(m), rk.shape).ravel(), rk.ravel() - 1), 1)
        CW += (rk == 1).T.astype(float) @ Wc
    first = B[:, 0]
    with np.errstate(invalid="ignore", divide="ignore"):
        cw = np.where(first[:, None] > 0, CW / first[:, None], np.nan)
    conf = _confidence(X, cw, sc, method, draw, n_samples)
    b = B / n_samples
    ranks = pd.DataFrame(b, index=pd.Index(rows, name="alternative"),
                         columns=pd.Index(range(1, m + 1), name="rank"))
    alpha = holistic_meta_weights(m, meta_weights)
    return SMAAResult(
        rank_acceptability=ranks,
        central_weights=pd.DataFrame(cw, index=ranks.index, columns=crit),
        confidence=pd.Series(conf, index=ranks.index, name="confidence"),
        holistic_acceptability=pd.Series(b @ alpha, index=ranks.index, name="holistic_acceptability"),
        n_samples=n_samples, mc_error=mc_error(n_samples), acceptance_rate=acc, method=method, seed=seed,
        meta_weights=meta_weights)


def _confidence(X, cw, sc, method, draw, n_samples) -> np.ndarray:
    """P(alternative i is first when the weights are its central weights), over the score distribution."""
    m = len(X)
    conf = np.full(m, np.nan)
    have = np.flatnonzero(~np.isnan(cw[:, 0]))
    if len(have) == 0:
        return conf
    if draw is None:
        U = scores(sc(X), cw[have], method, sc)                      # one row per alternative's central weights
        best = _round(U).max(1)
        conf[have] = (_round(U[np.arange(len(have)), have]) >= best).astype(float)
        return conf
    hits = np.zeros(len(have))
    C = X.shape[1]
    step = _chunk(m * len(have), C)
    for s0 in range(0, n_samples, step):
        n = min(step, n_samples - s0)
        Xs = sc(draw(n))                                             # n x m x C
        for j, i in enumerate(have):                                 # loop over alternatives (few), not samples
            U = scores(Xs, np.broadcast_to(cw[i], (n, C)), method, sc)
            R = _round(U)
            hits[j] += (R[:, i] >= R.max(1)).sum()
    conf[have] = hits / n_samples
    return conf


# ----------------------------------------------------------------------------------------------------------------
# SMAA over a scenario's feasible combinations

@dataclass(frozen=True)
class PortfolioSMAA:
    """SMAA over combinations. ``table``: one row per combination that reached the top ``k`` at least once, with
    its tools, ``first`` (acceptability of rank 1), ``top_k`` (acceptability of ranks 1..k), ``rank_1..rank_k`` and
    central weights ``cw_<criterion>``; sorted by ``top_k`` then ``first``; index = the combination's row in the
    scenario's :class:`decision.portfolios.Portfolios` (with scores sampled, rows from ``n_feasible`` on are
    combinations feasible only in some draws; column ``feasible_at_point``). ``tool_in_best``: per tool, the
    probability that it belongs to the best combination (one winner per draw: the first in row order among the
    best). ``n_candidates``: the combinations that can enter the top k at all (exact filter), out of
    ``n_possible`` (feasible in some draw; = ``n_feasible`` with fixed scores). ``exact`` is always True: every
    combination that can reach the top k in a draw was evaluated in it. ``evaluated``: with scores sampled, the
    mean number of combinations valued exactly per draw. ``no_feasible``: draws in which no combination was
    feasible (no winner)."""
    table: pd.DataFrame
    tool_in_best: pd.DataFrame
    k: int
    n_samples: int
    mc_error: float
    acceptance_rate: float
    n_candidates: int
    n_feasible: int
    method: str
    seed: object
    exact: bool
    scores: str | None
    n_possible: int
    evaluated: float | None = None
    no_feasible: int = 0


def smaa_portfolios(portfolios: Portfolios, n_samples: int = 10_000, seed=0, method: str = "wsm", k: int = 10,
                    weight_order=None, weight_bounds=None, score_uncertainty: str | None = None,
                    weight_center=None, spread: float = 0.1, weights=None,
                    progress: Progress = None) -> PortfolioSMAA:
    """SMAA over every feasible combination of a scenario: top-``k`` acceptability per combination, and per tool
    the probability that it belongs to the best combination. Exact: every draw's top k is the full set's.

    Weights: uniform on the simplex, or ``weight_order``/``weight_bounds``/``weight_center`` +- ``spread`` (see
    :func:`sample_weights`); ``weights`` fixes them (every draw uses those weights: the score-only view).

    With fixed scores only combinations dominated by fewer than ``k`` others (the k-skyband) can enter the top k for
    weights with positive components, so preferences are computed only for them; exact twins (same values and
    effort) are valued once. ``score_uncertainty`` (``"triangular"`` or ``"uniform"``) also draws every tool's change
    on every criterion within its scenario-adjusted low-high range, once per draw (triangular: mode = the point
    change): the candidates are those that can reach the top k for some weights and changes (exact filter on value
    boxes, :mod:`decision.uncertainty`), each draw is pruned exactly by a per-combination bound and its survivors
    are valued through the value model; a combination counts in a draw only if it is feasible with that draw's values
    (red lines, accountability floor). The scaling stays at the point values' (for TOPSIS, drawn values beyond
    the ideal or anti-ideal count as them).

    Tie rule: combinations with equal (rounded) preferences split the places they occupy equally (two tied for
    first each get half of first and half of second place), so every rank's acceptabilities sum to 1.
    """
    _check_method(method, "portfolio")
    p = portfolios
    k = int(k)
    if k < 1:
        raise DecisionError(f"k must be >= 1, got {k}")
    if int(n_samples) < 1:
        raise DecisionError(f"n_samples must be >= 1, got {n_samples}")
    if score_uncertainty is not None and score_uncertainty not in U.DISTRIBUTIONS:
        raise DecisionError(f"unknown score distribution '{score_uncertainty}'; choose triangular or uniform")
    n_samples = int(n_samples)
    crit = p.criteria
    rng = np.random.default_rng(seed)
    if weights is not None:
        W, acc = np.tile(as_weights(weights, crit), (n_samples, 1)), 1.0
    else:
        W, acc = sample_weights(n_samples, len(crit), rng, weight_order, weight_bounds, crit, weight_center, spread)
    sc = portfolio_scaling(p, method)
    tally = _Tally(len(p), k, len(crit), len(p.catalog.tools))
    if score_uncertainty is None:
        cand = _fixed_smaa(p, W, k, method, sc, tally, progress)
        n_possible, evaluated, rows_p = len(p), None, p
    else:
        cand, n_possible, evaluated, rows_p = _score_smaa(p, W, k, method, rng, score_uncertainty, tally, progress)
    return _portfolio_result(rows_p, len(p), cand, tally, n_samples, acc, method, seed, score_uncertainty,
                             n_possible, evaluated)


class _Tally:
    """Accumulated top-k places (difference array over ranks, split tie rule), first-place weights and best-tool
    counts over the draws."""

    def __init__(self, n: int, k: int, n_crit: int, n_tools: int):
        self.k = k
        self.D = np.zeros((n, k + 1))
        self.CW = np.zeros((n, n_crit))
        self.best = np.zeros(n_tools)
        self.no_feasible = 0

    def add(self, sample, row, R, W, members_of, mult=None):
        """Add (draw, combination) pairs with rounded preferences ``R``; every pair that can hold one of its draw's
        top-k places must be present (other pairs may be). ``mult``: each pair stands for that many exact twins."""
        mult = np.ones(len(row)) if mult is None else np.asarray(mult, float)
        order = np.lexsort((row, -R, sample))
        s, r, v, m = sample[order], row[order], R[order], mult[order]
        new_s = np.r_[True, s[1:] != s[:-1]]
        new_v = new_s | np.r_[True, v[1:] != v[:-1]]
        before = np.cumsum(m) - m                                 # places taken before each pair (with twins)
        s_start = np.maximum.accumulate(np.where(new_s, before, 0))
        v_start = np.maximum.accumulate(np.where(new_v, before, 0))
        group = np.cumsum(new_v) - 1
        size = np.bincount(group, weights=m)[group]               # places a tied group occupies
        start = v_start - s_start                                 # places strictly better
        end = np.minimum(self.k, start + size)
        inside = start < self.k
        share = 1.0 / size                                        # each combination's share of its group's places
        np.add.at(self.D, (r[inside], start[inside].astype(int)), share[inside])
        np.add.at(self.D, (r[inside], end[inside].astype(int)), -share[inside])
        first = start == 0
        np.add.at(self.CW, r[first], share[first][:, None] * W[s[first]])
        win = np.flatnonzero(new_s & first)                       # one winner: the first row among the best
        self.best += members_of(r[win]).sum(0)
        return len(win)

    def places(self) -> np.ndarray:
        return np.cumsum(self.D, axis=1)[:, :self.k]


def _fixed_smaa(p, W, k, method, sc, tally, progress) -> np.ndarray:
    """Fixed scores: the k-skyband, twins valued once, preferences in chunks of draws."""
    Xn = sc(p.values)
    off = effort_offset(p)
    cand = np.flatnonzero(skyband_mask(with_offset(Xn, off, method), k))
    key = np.column_stack([Xn[cand], off[cand]])
    _, first, inverse, mult = np.unique(key, axis=0, return_index=True, return_inverse=True, return_counts=True)
    inverse = np.ravel(inverse)
    rep_order = np.argsort(first, kind="stable")                  # representatives in row order
    reps = cand[first[rep_order]]
    rank_of = np.empty(len(rep_order), dtype=int)
    rank_of[rep_order] = np.arange(len(rep_order))
    group = rank_of[inverse]                                      # representative position of each candidate
    mult_rep = mult[rep_order].astype(float)
    sub = _Tally(len(reps), k, W.shape[1], len(p.catalog.tools))
    Xc, oc = Xn[reps], off[reps]
    m = len(reps)
    step = min(FIXED_CHUNK, _chunk(m, 1))
    members = lambda rows: p.members[reps[rows]]                 # noqa: E731
    rough = _Rough(Xc, oc, method, sc)
    order = compact_order(W, step)                                # draws with similar weights together
    for s0 in range(0, len(W), step):
        here = order[s0:s0 + step]
        Wc = W[here]
        cols = rough.columns(Wc, k)                               # every column that can hold a top-k place
        R = _round(scores(Xc[cols], Wc, method, sc, oc[cols]))    # exact, float64, on those columns only
        s_loc, r_loc = _top_candidates(R, k, mult_rep[cols], block=1 if len(cols) <= 4096 else 64)
        sub.add(here[s_loc], cols[r_loc], R[s_loc, r_loc], W, members, mult_rep[cols[r_loc]])
        if progress:
            progress(min(s0 + step, len(W)), len(W))
    tally.D[cand] = sub.D[group]                                  # every twin holds its group's per-twin share
    tally.CW[cand] = sub.CW[group]
    tally.best += sub.best
    return cand


FIXED_CHUNK = 128
"""Weight draws per step of the fixed-score SMAA (draws sorted so that a step's weights are close together)."""
ROUGH_MARGIN = 1e-5
"""Safety margin of the float32 preferences that pick the columns valued exactly: their error is below 1e-6 (wsm:
a 4-term dot product and one subtraction; TOPSIS: two 4-term sums, two square roots and a division, all of numbers
in 0-1), so a margin of 1e-5 covers twice the error with room to spare (tested against float64 on random data)."""


def _small_product(A: np.ndarray, B: np.ndarray) -> np.ndarray:
    """``A @ B`` for a small inner dimension (the criteria), as a sum of outer products: a multi-threaded BLAS call
    on such thin matrices spends far longer synchronising its threads than computing (19 ms instead of 0.2 ms for
    128 x 4 x 3,800 on the shared 2-core machine under load)."""
    out = np.multiply.outer(A[:, 0], B[0])
    for j in range(1, A.shape[1]):
        out += np.multiply.outer(A[:, j], B[j])
    return out


def compact_order(W: np.ndarray, leaf: int) -> np.ndarray:
    """A permutation of the draws that puts draws with close weight vectors next to each other: split the set at
    the median of its widest coordinate until every part has at most ``leaf`` draws (a k-d tree's leaves, in
    order). Only the order of the work changes, never a result: every draw is tallied on its own."""
    parts, done = [np.arange(len(W))], []
    while parts:
        g = parts.pop()
        if len(g) <= leaf:
            done.append(g)
            continue
        j = int(np.argmax(np.ptp(W[g], axis=0)))
        half = np.argsort(W[g, j], kind="stable")
        parts += [g[half[len(g) // 2:]], g[half[:len(g) // 2]]]
    return np.concatenate(done) if done else np.zeros(0, dtype=int)


class _Rough:
    """float32 preferences of the candidates (fixed scores), used only to choose, per chunk of weight draws, the
    columns worth valuing exactly: a column can hold one of a draw's top-k places only if its float32 preference is
    at least the draw's k-th largest float32 value (a lower bound: the k-th largest of block maxima) less
    :data:`ROUGH_MARGIN`, which covers twice the float32 error (the exact k-th value is at least the rough one less
    the error, a top-k column's rough value at least its exact one less the error). Draws whose TOPSIS distances
    are too small for float32 keep every column."""

    def __init__(self, Xc, oc, method, sc):
        self.additive, self.off, self.off64 = _kernel(method) == ADDITIVE, oc.astype(np.float32), np.asarray(oc, float)
        if self.additive:
            self.XT = np.ascontiguousarray(Xc.T.astype(np.float32))
            self.X64 = np.asarray(Xc, dtype=float)
            self.best_first = np.argsort(-self.X64, axis=1)
            self.X_sorted = np.take_along_axis(self.X64, self.best_first, 1)
        else:
            self.live = sc.span > 0
            self.dp2_64, self.dm2_64 = (np.ascontiguousarray(g.T) for g in squared_gaps(Xc, sc.ideal, sc.anti))
            self.dp2, self.dm2 = self.dp2_64.astype(np.float32), self.dm2_64.astype(np.float32)
            C = Xc.shape[1]
            self.corner = np.array([[(c >> j) & 1 for j in range(C)] for c in range(2 ** C)], dtype=bool)

    def preferences(self, Wc: np.ndarray, cols: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(S x len(cols)) float32 preferences less the effort cost, and (S,) True where a draw's float32 values
        are safe (else it must keep every column)."""
        if self.additive:
            U = _small_product(Wc.astype(np.float32), self.XT[:, cols])
            safe = np.ones(len(Wc), dtype=bool)
        else:
            # kernel.closeness in float32, in place (a bound only: ROUGH_MARGIN covers its error)
            w2 = (np.where(self.live, Wc, 0.0) ** 2).astype(np.float32)
            dp, U = _small_product(w2, self.dp2[:, cols]), _small_product(w2, self.dm2[:, cols])
            np.sqrt(dp, out=dp)
            np.sqrt(U, out=U)
            dp += U
            np.maximum(dp, np.float32(1e-30), out=dp)            # 0/0 (all weight on constant columns) -> 0
            U /= dp
            safe = w2.max(1) > 1e-12                              # float32 keeps w^2 d^2 far above underflow
        U -= self.off[cols]
        return U, safe

    def ceiling(self, Wc: np.ndarray) -> np.ndarray:
        """(m,) float64 upper bound of every column's preference (effort cost subtracted) for any weight vector in
        the box ``[Wc.min(0), Wc.max(0)]`` on the simplex. wsm: the exact maximum of a linear function over the box
        cut by sum(w) = 1 (fill the lower bounds, then the largest values first up to each upper bound). TOPSIS: On a box of weights (the sum-to-1 constraint dropped, which only widens it) the closeness is a
        monotone function of the ratio sum(w^2 b) / sum(w^2 a), linear-fractional in w^2, so its maximum is at a
        corner of the box: the largest of the 2^C corners (a corner with 0/0 counts as 1)."""
        lo, hi = Wc.min(0), Wc.max(0)
        if self.additive:
            cap = (hi - lo)[self.best_first]
            room = 1.0 - lo.sum() - (np.cumsum(cap, axis=1) - cap)
            top = (self.X64 * lo).sum(1) + (np.clip(room, 0.0, cap) * self.X_sorted).sum(1)
        else:
            w2 = np.where(self.live, np.where(self.corner, hi, lo), 0.0) ** 2      # 2^C x C
            dm, dp = np.sqrt(_small_product(w2, self.dm2_64)), np.sqrt(_small_product(w2, self.dp2_64))
            den = dm + dp
            top = np.where(den > 0, dm / np.where(den > 0, den, 1.0), 1.0).max(0)
        return top - self.off64

    def columns(self, Wc: np.ndarray, k: int, block: int = 64) -> np.ndarray:
        """Columns (sorted) that can hold a top-k place in at least one draw of ``Wc``: first every column whose
        ceiling over the draws' weight box (:meth:`ceiling`) reaches the smallest, over the draws, k-th best rough
        preference of the columns with the highest ceilings; then, per draw, the rough test below."""
        m = len(self.off)
        keep = np.arange(m)
        if m > 4 * k + 64:
            top = self.ceiling(Wc)
            seeds = np.argpartition(-top, 4 * k + 63)[:4 * k + 64]
            U, safe = self.preferences(Wc, seeds)
            if safe.all():
                floor = np.partition(U, len(seeds) - k, axis=1)[:, len(seeds) - k].min()
                keep = np.flatnonzero(top >= floor - ROUGH_MARGIN)
        U, safe = self.preferences(Wc, keep)
        S, m = U.shape
        n_blocks = m // block
        if k >= m or not safe.all():
            return keep
        if n_blocks >= k:
            maxima = U[:, :n_blocks * block].reshape(S, n_blocks, block).max(2)
            kth = np.partition(maxima, n_blocks - k, axis=1)[:, n_blocks - k]
        else:
            kth = np.partition(U, m - k, axis=1)[:, m - k]
        return keep[(U >= (kth - ROUGH_MARGIN)[:, None]).any(0)]


def _top_candidates(R: np.ndarray, k: int, mult: np.ndarray, block: int = 64):
    """(draw, row) pairs that can hold one of the top-k places: at least a lower bound of the k-th largest value of
    the draw, the k-th largest of the maxima of ``block``-column blocks (k values from k different columns), which is
    far cheaper than a partition of every row. A superset of the top k; the tally ranks it exactly."""
    S, m = R.shape
    n_blocks = m // block
    if k >= m or n_blocks < k:
        if k >= m:
            return np.nonzero(np.ones_like(R, dtype=bool))
        kth = np.partition(R, m - k, axis=1)[:, m - k][:, None]
        return np.nonzero(R >= kth)
    maxima = R[:, :n_blocks * block].reshape(S, n_blocks, block).max(2)
    kth = np.partition(maxima, n_blocks - k, axis=1)[:, n_blocks - k][:, None]
    return np.nonzero(R >= kth)


@dataclass(frozen=True)
class ScoreSetup:
    """What every score-uncertainty run on combinations ``p`` with ``k`` places and ``method`` needs before its
    draws: the universe, the effort cost of its rows, the exact box filter's candidates (rows of the universe), the
    seed pool (positions in ``cand``) and, built on first use, the per-draw caps of the candidates. Build it once
    with :func:`score_setup` and pass it to several runs (:func:`decision.sureness.how_sure` does)."""
    u: U.ScoreUniverse
    off: np.ndarray
    cand: np.ndarray
    pool: np.ndarray
    scaling: _Scaled
    method: str
    k: int
    source: Callable                 # weak reference to the combinations it was built for

    @cached_property
    def caps(self) -> U.Caps:
        return U.score_caps(self.u, self.cand, self.scaling, self.off[self.cand])


def score_setup(p: Portfolios, k: int, method: str) -> ScoreSetup:
    """The :class:`ScoreSetup` of combinations ``p`` (top ``k``, ``method``)."""
    sc = portfolio_scaling(p, method)
    u = U.score_universe(p)
    up = u.portfolios
    off = effort_offset(up)
    pes, opt = U.value_box(u, sc)
    cand = np.flatnonzero(U.box_filter(with_offset(pes, off, method), with_offset(opt, off, method), u.sure, k))
    x0 = np.clip(sc(up.values[cand]), 0.0, 1.0)
    pool = []                    # seeds, checked per draw: the strongest surely feasible and point-feasible ones
    for part in (np.flatnonzero(u.sure[cand]), np.flatnonzero(cand < u.n_point)):
        if len(part):
            pool.append(part[skyband_mask(with_offset(x0[part], off[cand][part], method), 2 * k)])
    pool = np.unique(np.concatenate(pool)) if pool else np.zeros(0, dtype=int)
    return ScoreSetup(u, off, cand, pool, sc, method, k, weakref.ref(p))


def _score_setup(p, k, method, rng, dist, setup: ScoreSetup | None = None):
    """The universe under score draws, the exact box filter's candidates, the seed pool, a draw and a preference
    function: what both the certified top-k and the first-place share need (``setup``: built before, reused)."""
    s = setup if setup is not None else score_setup(p, k, method)
    if (s.k, s.method) != (k, method) or s.source() is not p:
        raise DecisionError("this score set-up was built for other combinations, another method or another k")
    a = s.u.portfolios.adjusted
    draw = lambda n: sample_scores(rng, a.low, a.score, a.high, n, dist)          # noqa: E731
    prefs = lambda X, Wc: scores(X, Wc, method, s.scaling)                        # noqa: E731
    return s, draw, prefs


def first_share_with_scores(p: Portfolios, row: int, n_samples: int = 1_000, seed=0, method: str = "wsm",
                            distribution: str = "triangular", weights=None, weight_center=None,
                            spread: float = 0.1, setup: ScoreSetup | None = None, weight_order=None,
                            weight_bounds=None) -> float:
    """Share of draws (weights as :func:`smaa_portfolios`, tool scores within their ranges) in which combination
    ``row`` of ``p`` is first, exactly (ties split first place; a draw where it is infeasible counts 0). Faster than
    a full SMAA: a draw is settled as soon as a strong combination beats it. ``setup``: :func:`score_setup` of
    ``p`` with k = 1 and ``method``, to share between several calls."""
    _check_method(method, "portfolio")
    rng = np.random.default_rng(seed)
    crit = p.criteria
    if weights is not None:
        W = np.tile(as_weights(weights, crit), (int(n_samples), 1))
    else:
        W, _ = sample_weights(int(n_samples), len(crit), rng, weight_order, weight_bounds, crit, weight_center, spread)
    s, draw, prefs = _score_setup(p, 1, method, rng, distribution, setup)
    if row not in s.cand:
        return 0.0
    return U.first_place(s.u, row, s.cand, W, draw, s.scaling, prefs, s.off[s.cand], s.pool,
                         _kernel(method) == ADDITIVE, caps=s.caps) / len(W)


def _score_smaa(p, W, k, method, rng, dist, tally, progress):
    """Scores drawn within their ranges: exact box filter, then a certified top-k per draw."""
    setup, draw, prefs = _score_setup(p, k, method, rng, dist)
    u, off, cand, pool, sc = setup.u, setup.off, setup.cand, setup.pool, setup.scaling
    up = u.portfolios
    members = lambda rows: up.members[cand[rows]]                                 # noqa: E731
    tally.D = np.zeros((len(up), k + 1))
    tally.CW = np.zeros((len(up), W.shape[1]))
    valued, winners = 0, 0
    sub = _Tally(len(cand), k, W.shape[1], len(up.catalog.tools))
    for s, r, R, n_val in U.certified_top(u, cand, W, draw, k, sc, prefs, off[cand], pool, _kernel(method) == ADDITIVE,
                                          progress=progress):
        winners += sub.add(s, r, R, W, members)
        valued += n_val
    tally.D[cand], tally.CW[cand], tally.best = sub.D, sub.CW, sub.best
    tally.no_feasible = len(W) - winners
    return cand, len(up), valued / len(W), up


def _portfolio_result(p, n_point, cand, tally, n_samples, acc, method, seed, su, n_possible, evaluated):
    B = tally.places()
    hit = np.flatnonzero(B.sum(1) > 1e-12)
    b = B[hit] / n_samples
    with np.errstate(invalid="ignore", divide="ignore"):
        cw = np.where(B[hit, :1] > 0, tally.CW[hit] / B[hit, :1], np.nan)
    k = tally.k
    df = p.frame(hit)
    if su is not None:
        df["feasible_at_point"] = hit < n_point
    df["first"] = b[:, 0]
    df["top_k"] = b.sum(1)
    for r in range(k):
        df[f"rank_{r + 1}"] = b[:, r]
    for j, c in enumerate(p.criteria):
        df[f"cw_{c}"] = cw[:, j]
    df = df.sort_values(["top_k", "first"], ascending=False, kind="stable")
    df.attrs.update(scenario=p.adjusted.scenario.id, k=k, n_samples=n_samples, method=method)
    tools = pd.DataFrame({"tool": p.catalog.tool_ids, "name": [t.name for t in p.catalog.tools],
                          "in_best": tally.best / n_samples})
    tools = tools.sort_values(["in_best", "tool"], ascending=[False, True], kind="stable").reset_index(drop=True)
    return PortfolioSMAA(df, tools, k, n_samples, mc_error(n_samples), acc, len(cand), n_point, method, seed, True,
                         su, n_possible, evaluated, tally.no_feasible)
