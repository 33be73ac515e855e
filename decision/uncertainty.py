"""Tool scores within their ranges: value boxes, feasibility under score draws, the exact candidate filter and a
certified top-k per draw. Formulas and proofs: ``docs/robustness.md`` ("Score uncertainty").

**Monotonicity.** On every criterion a combination's value (on the criterion's own scale) is non-decreasing in each
of its tools' changes on that criterion, and does not depend on any other criterion's changes: a change's signed
share moves it from the harm pool to the improvement pool; each pool ``1 - prod(factors)`` is continuous and
non-decreasing in every share whatever tool leads (the largest share counts fully, the others ``kappa``, a member
behind a stronger one of its redundancy group ``kappa * rho``: the pieces meet where the roles swap); harms act
first (``q = q0 (1 - harm)``), improvements then close part of the gap (``1 - (1 - q)(1 - better)``), and the
final clip to the scale is monotone. Interactions fire on the tools held, not on their scores. So all changes at
their low ends give every combination its lowest value on every criterion, all at their high ends its highest: a
**value box** ``[v(low), v(high)]`` (for a cost criterion the low value is the good end).

**Feasibility under draws** (the rule applied): tool availability is decided at the point changes (a tool that on
its own breaks a red line is out, as in :func:`decision.portfolios.setting`); the red lines on a combination's
values and the accountability floor (the gain and the one strong tool, judged on the drawn changes) are checked in
every draw, so a combination counts in a draw only if it is feasible with that draw's values. Each of these
constraints is monotone in the changes, so the box decides: *possibly feasible* (feasible at the box's best end for
that constraint) and *surely feasible* (at its worst end).

**Exact filter.** A combination can reach the top k in some draw only if it is possibly feasible and fewer than k
surely feasible combinations beat it with their worst case against its best case on every criterion (sure
dominance on the boxes; effort, fixed, enters as it does in the ranking). :func:`box_filter` keeps exactly those.

**Certified top-k per draw.** Boxes of 4-6 tools are wide (on the bundled catalogue they overlap so much that the
filter keeps every combination), so each draw is pruned on its own, exactly: a per-combination Lipschitz bound
(derivatives of the pools bounded over the region between the point changes and the box's good end) caps each
combination's preference in that draw by one matrix product; the draw's threshold is the k-th best *exact*
preference among a few seed combinations and the highest caps, feasible in that draw; every combination whose cap
reaches the threshold
is valued exactly (:func:`decision.portfolios.portfolio_values`, paired) and checked for feasibility. Nothing whose
cap is below the threshold can be in that draw's top k, so every draw's top k is the full set's.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from .dominance import count_dominators, skyband_mask
from .errors import DecisionError
from .portfolios import (TOLERANCE, Portfolios, fired_interactions, paired_values, pool_parts, portfolio_values,
                         structural_candidates, value_masks)

PAIR_CHUNK = 65_536
"""(draw, combination) pairs valued exactly per step (memory: about 1 KB per pair)."""
BOUND_ELEMENTS = 24_000_000
"""Size of the (draws x combinations) bound matrix per chunk of draws."""
BOUND_MARGIN = 1e-4
"""Safety margin of the float32 bound (its rounding error is below 1e-5)."""
TOP_CAPS = 32
"""Per draw, the combinations with the highest caps are valued first: with the seeds they set the threshold."""
FILTER_LIMIT = 20_000
"""The box filter gives up (and keeps every possibly feasible combination) when more than this many survive."""
DISTRIBUTIONS = ("triangular", "uniform")


# ----------------------------------------------------------------------------------------------------------------
# Value boxes and the combinations that can be feasible in some draw

@dataclass(frozen=True)
class ScoreUniverse:
    """Every combination that is feasible in at least one draw of the changes within their ranges.

    ``portfolios``: these combinations, valued at the point changes; its first ``n_point`` rows are the scenario's
    feasible combinations in their order (row numbers as in :class:`decision.portfolios.Portfolios`), the others
    are feasible only in some draws. ``low``/``high`` (N x C): values with every change at its low / high end (the
    value box, on each criterion's scale); ``sure`` (N,): feasible in every draw; ``fired`` (N x I): interactions
    that fire."""
    portfolios: Portfolios
    n_point: int
    low: np.ndarray
    high: np.ndarray
    sure: np.ndarray
    fired: np.ndarray

    def __len__(self) -> int:
        return len(self.portfolios)


def _range_feasible(vlo, vhi, idx, bits, st, worst: bool) -> np.ndarray:
    """(N,) bool: the value constraints hold at the box's worst end for each (``worst``: surely feasible) or at
    its best end (possibly feasible). Values are non-decreasing in the changes on every criterion."""
    cat, cons, spec = st.catalog, st.constraints, st.spec
    ok = np.ones(len(bits), dtype=bool)
    for rl in cons.red_lines:
        j = cat.criterion_ids.index(rl.criterion)
        if rl.max is not None:
            ok &= (vhi if worst else vlo)[:, j] <= rl.max + TOLERANCE
        if rl.min is not None:
            ok &= (vlo if worst else vhi)[:, j] >= rl.min - TOLERANCE
    if st.floor_points is not None:
        fl = cons.floor
        j = cat.criterion_ids.index(fl.criterion)
        d = spec.direction[j]
        good_end, bad_end = (vhi, vlo) if d > 0 else (vlo, vhi)
        gain = ((bad_end if worst else good_end)[:, j] - st.adjusted.status_quo[j]) * d
        own = np.stack([st.adjusted.low[:, j] * d, st.adjusted.high[:, j] * d])
        own = own.min(0) if worst else own.max(0)                       # (T,) each tool's own change, worst/best
        strong = np.flatnonzero(own >= fl.min_tool_change - TOLERANCE)
        acts = (bits & np.int64(sum(1 << int(t) for t in strong))) != 0 if len(strong) else np.zeros(len(bits), bool)
        ok &= (gain >= st.floor_points - TOLERANCE) & acts
    return ok


def score_universe(p: Portfolios) -> ScoreUniverse:
    """The combinations of ``p``'s scenario that are feasible in at least one draw of the changes, with their
    value boxes (see :class:`ScoreUniverse`)."""
    st = p.setting
    if st is None:
        raise DecisionError("score uncertainty needs combinations built by build_portfolios")
    a = st.adjusted
    idx, bits, removed = structural_candidates(st)
    point = portfolio_values(idx, bits, a.score, st.spec)
    vlo = portfolio_values(idx, bits, a.low, st.spec)
    vhi = portfolio_values(idx, bits, a.high, st.spec)
    at_point = np.ones(len(bits), dtype=bool)
    for ok in value_masks(bits, point, st).values():
        at_point &= ok
    possible = _range_feasible(vlo, vhi, idx, bits, st, worst=False) | at_point
    order = np.concatenate([np.flatnonzero(at_point), np.flatnonzero(possible & ~at_point)])
    sure = _range_feasible(vlo, vhi, idx, bits, st, worst=True)[order]
    if int(at_point.sum()) != len(p) or not np.array_equal(bits[at_point], p.bits):
        raise DecisionError("these combinations were not built from their scenario's full candidate set")
    removed = {**removed, "never_feasible_in_range": int((~possible).sum())}
    arrays = [idx[order], bits[order], point[order]]
    for arr in arrays:
        arr.setflags(write=False)
    up = Portfolios(p.catalog, a, p.constraints, *arrays, removed, st)
    return ScoreUniverse(up, len(p), vlo[order], vhi[order], sure, fired_interactions(up.bits, st.spec))


def value_box(u: ScoreUniverse, scale: Callable) -> tuple[np.ndarray, np.ndarray]:
    """(pessimistic, optimistic) scaled values (N x C, higher is better, clipped to 0-1 like every draw's)."""
    lo, hi = np.clip(scale(u.low), 0.0, 1.0), np.clip(scale(u.high), 0.0, 1.0)
    return np.minimum(lo, hi), np.maximum(lo, hi)


def box_filter(pes: np.ndarray, opt: np.ndarray, sure: np.ndarray, k: int,
               limit: int | None = FILTER_LIMIT) -> np.ndarray:
    """(N,) bool: combinations that fewer than ``k`` surely feasible combinations surely dominate (``pes`` of the
    dominator >= ``opt`` of the row everywhere, not all equal; columns "higher is better", effort included the way
    the method needs it). Exact: a row outside has at least ``k`` sure dominators, each better in every draw and
    feasible in every draw. With ``limit``, when more than that many surely feasible rows would survive the filter
    keeps everything (it would prune too little to pay for itself)."""
    D = np.flatnonzero(sure)
    keep = np.ones(len(pes), dtype=bool)
    if len(D) == 0:
        return keep
    in_d = skyband_mask(pes[D], k, optimistic=opt[D], limit=limit)
    if in_d is None:
        return keep
    sky = D[in_d]
    keep[D] = in_d
    R = np.flatnonzero(~sure)
    probe = R[:: max(1, len(R) // 2000)]                  # a filter that prunes (almost) nothing is not worth it
    if limit is not None and len(R) > 4 * len(probe) and np.mean(count_dominators(pes[sky], opt[probe], k) < k) > .95:
        return keep
    keep[R] = count_dominators(pes[sky], opt[R], k) < k
    return keep


# ----------------------------------------------------------------------------------------------------------------
# A certified top-k per draw

@dataclass(frozen=True)
class Bound:
    """Per-combination parts of the Lipschitz cap (see module doc): ``x0`` (N x C) scaled point values, ``off``
    (N,) effort cost, ``lg``/``lh`` (N x C) combination factors of the improvement and harm sides, ``rg``/``rh``
    (T x C) tool factors, ``g0`` (T x C) point goodness shares, ``ahigh`` (T x C) improvement shares at the box's
    good end, ``stretch`` (C,) scaled units per unit of goodness, ``members`` (N x T) membership."""
    x0: np.ndarray
    off: np.ndarray
    lg: np.ndarray
    lh: np.ndarray
    rg: np.ndarray
    rh: np.ndarray
    g0: np.ndarray
    ahigh: np.ndarray
    stretch: np.ndarray
    members: np.ndarray


def lipschitz_bound(u: ScoreUniverse, rows: np.ndarray, scale: Callable, off: np.ndarray) -> Bound:
    """The cap's parts for combinations ``rows`` of ``u``: on criterion j the scaled value in a draw is at most
    ``x0 + stretch * (lg * sum_t rg_t dG_t + lh * sum_t rh_t dH_t)`` over the combination's tools, where ``dG``
    (``dH``) is the draw's rise in the tool's improvement share (fall in its harm share) above the point change."""
    p, st = u.portfolios, u.portfolios.setting
    spec, a = st.spec, st.adjusted
    span = spec.hi - spec.lo
    good_high = np.where(spec.direction > 0, a.high, a.low)
    idx, bits = p.idx[rows], p.bits[rows]
    b0, h0, _ = pool_parts(idx, bits, a.score, spec)
    _, hh, _ = pool_parts(idx, bits, good_high, spec)
    q_sq = np.where(spec.direction > 0, spec.status_quo - spec.lo, spec.hi - spec.status_quo) / span
    q0 = 1.0 - (1.0 - q_sq * (1.0 - h0[0])) * (1.0 - b0[0])
    g0 = a.score * spec.direction / span
    a_high = np.clip(good_high * spec.direction / span, 0.0, 1.0)
    probe = np.vstack([spec.lo, spec.hi])
    stretch = np.abs(np.diff(scale(probe), axis=0))[0]                 # scaled units per unit of q
    return Bound(x0=np.clip(scale(p.values[rows]), 0.0, 1.0), off=np.asarray(off, float),
                 lg=1.0 - q0, lh=q_sq * (1.0 - b0[0]) * (1.0 - hh[0]),
                 rg=1.0 / np.maximum(1.0 - a_high, 1e-9), rh=1.0 / np.maximum(1.0 - np.clip(-g0, 0.0, 1.0), 1e-9),
                 g0=g0, ahigh=a_high, stretch=stretch, members=p.members[rows])


def _rises(b: Bound, draws: np.ndarray, spec) -> tuple[np.ndarray, np.ndarray]:
    """(S, T, C) rises of the improvement shares and falls of the harm shares above the point changes."""
    g = draws * spec.direction / (spec.hi - spec.lo)
    up = np.maximum(g, b.g0)
    return (np.clip(up, 0.0, 1.0) - np.clip(b.g0, 0.0, 1.0), np.clip(-b.g0, 0.0, 1.0) - np.clip(-up, 0.0, 1.0))


def _active(b: Bound) -> tuple[list, list]:
    """Per criterion, the tools whose improvement share can rise (``gcols``) and whose harm share can fall
    (``hcols``) above the point change: only they need columns in the product."""
    gcols = [np.flatnonzero(b.ahigh[:, j] > np.clip(b.g0[:, j], 0.0, 1.0)) for j in range(b.g0.shape[1])]
    hcols = [np.flatnonzero(b.g0[:, j] < 0) for j in range(b.g0.shape[1])]
    return gcols, hcols


def wsm_caps(b: Bound, draws: np.ndarray, W: np.ndarray, spec, left=None) -> tuple[np.ndarray, np.ndarray]:
    """(S x N) float32 caps on the weighted-sum preferences (less the effort cost) in each draw: one matrix
    product. Returns the caps and the left matrix (pass it back to reuse it across chunks of draws)."""
    dG, dH = _rises(b, draws, spec)
    gcols, hcols = _active(b)
    C = b.x0.shape[1]
    if left is None:
        blocks = [b.x0, -b.off[:, None]]
        for j in range(C):
            blocks.append((b.stretch[j] * b.lg[:, j])[:, None] * b.members[:, gcols[j]])
            blocks.append((b.stretch[j] * b.lh[:, j])[:, None] * b.members[:, hcols[j]])
        left = np.hstack(blocks).astype(np.float32)
    right = [W.T, np.ones((1, len(W)))]
    for j in range(C):
        right.append((W[:, j][:, None] * (b.rg[gcols[j], j] * dG[:, gcols[j], j])).T)
        right.append((W[:, j][:, None] * (b.rh[hcols[j], j] * dH[:, hcols[j], j])).T)
    caps = (left @ np.vstack(right).astype(np.float32)).T
    return caps, left


def criterion_caps(b: Bound, draws: np.ndarray, spec) -> np.ndarray:
    """(S x N x C) caps on each scaled criterion value in each draw (clipped to 1), for non-linear methods."""
    dG, dH = _rises(b, draws, spec)
    M = b.members.astype(float)
    out = np.empty((len(draws), len(b.x0), b.x0.shape[1]))
    for j in range(b.x0.shape[1]):
        up = b.lg[:, j][None, :] * ((dG[:, :, j] * b.rg[:, j]) @ M.T) + b.lh[:, j][None, :] * (
            (dH[:, :, j] * b.rh[:, j]) @ M.T)
        out[:, :, j] = np.minimum(1.0, b.x0[:, j][None, :] + b.stretch[j] * up)
    return out


def value_pairs(u: ScoreUniverse, rows: np.ndarray, draws: np.ndarray, sample: np.ndarray,
                scale: Callable) -> tuple[np.ndarray, np.ndarray]:
    """Exact scaled values (P x C, clipped to 0-1) and feasibility (P,) of combinations ``rows`` of ``u`` in draws
    ``draws[sample]`` (one (draw, combination) pair per row), in chunks of :data:`PAIR_CHUNK` pairs."""
    p, st = u.portfolios, u.portfolios.setting
    X = np.empty((len(rows), len(p.criteria)))
    ok = np.ones(len(rows), dtype=bool)
    for i in range(0, len(rows), PAIR_CHUNK):
        r, s = rows[i:i + PAIR_CHUNK], sample[i:i + PAIR_CHUNK]
        v, member = paired_values(p.idx[r], p.bits[r], draws, s, st.spec, u.fired[r])
        for m in value_masks(p.bits[r], v, st, score=member).values():
            ok[i:i + PAIR_CHUNK] &= m
        X[i:i + PAIR_CHUNK] = np.clip(scale(v), 0.0, 1.0)
    return X, ok


def certified_top(u: ScoreUniverse, rows: np.ndarray, W: np.ndarray, draw: Callable, k: int, scale: Callable,
                  prefs: Callable, off: np.ndarray, seed_pool: np.ndarray, linear: bool, n_seeds: int | None = None,
                  progress=None):
    """For each chunk of draws, yield ``(sample, row, R, n_capped)``: every (draw, combination) pair of ``rows``
    that can be in that draw's top ``k``, valued exactly, feasible in that draw, with its preference ``R``
    (rounded, effort cost subtracted) and the number of pairs valued. ``W`` (S x C): one weight vector per draw;
    ``draw(n)`` -> (n x T x C) tool changes; ``prefs(X, W)`` -> preferences (``X`` m x C or S x m x C);
    ``off`` (N,) effort cost of ``rows``; ``seed_pool`` positions in ``rows`` of surely feasible combinations among
    which the strongest at the point changes seed each draw's threshold; ``linear``: the method is a weighted sum."""
    st = u.portfolios.setting
    b = lipschitz_bound(u, rows, scale, off)
    m = min(len(seed_pool), n_seeds or max(6 * k, 64))
    per = 1 if linear else 2 * b.x0.shape[1]                      # non-linear methods need per-criterion caps
    step = max(1, BOUND_ELEMENTS // max(1, len(rows) * per))
    left = None
    for s0 in range(0, len(W), step):
        Wc = W[s0:s0 + step]
        n = len(Wc)
        Xs = draw(n)
        U0 = prefs(b.x0[seed_pool], Wc) - b.off[seed_pool][None, :]
        top = np.argpartition(-U0, m - 1, axis=1)[:, :m] if m < len(seed_pool) else np.tile(
            np.arange(len(seed_pool)), (n, 1))
        s_seed = np.repeat(np.arange(n), top.shape[1])
        r_seed = seed_pool[top.ravel()]
        if linear:
            caps, left = wsm_caps(b, Xs, Wc, st.spec, left)
        else:
            caps = (prefs(criterion_caps(b, Xs, st.spec), Wc) - b.off[None, :]).astype(np.float32)
        if TOP_CAPS < len(rows):                                  # the highest caps seed the threshold too
            best = np.argpartition(-caps, TOP_CAPS - 1, axis=1)[:, :TOP_CAPS]
            key = np.unique(np.concatenate([s_seed * len(rows) + r_seed,
                                            np.repeat(np.arange(n), TOP_CAPS) * len(rows) + best.ravel()]))
            s_seed, r_seed = key // len(rows), key % len(rows)   # distinct pairs: the k-th best stays a lower bound
        X, ok = value_pairs(u, rows[r_seed], Xs, s_seed, scale)
        R = np.round(prefs(X[:, None, :], Wc[s_seed])[:, 0] - b.off[r_seed], 12)
        tau = _kth_of_pairs(s_seed, np.where(ok, R, -np.inf), n, k)
        s_loc, r_loc = np.nonzero(caps >= (tau - BOUND_MARGIN)[:, None])
        del caps
        X, ok = value_pairs(u, rows[r_loc], Xs, s_loc, scale)
        R = np.round(prefs(X[:, None, :], Wc[s_loc])[:, 0] - b.off[r_loc], 12)
        yield s0 + s_loc[ok], r_loc[ok], R[ok], len(r_loc)
        if progress:
            progress(min(s0 + step, len(W)), len(W))


def _kth_of_pairs(sample: np.ndarray, R: np.ndarray, n: int, k: int) -> np.ndarray:
    """(n,) k-th largest ``R`` of each draw's pairs (-inf where a draw has fewer than k finite values)."""
    order = np.lexsort((-R, sample))
    s, v = sample[order], R[order]
    start = np.searchsorted(s, np.arange(n))
    pos = start + k - 1
    ok = (pos < len(s)) & (s[np.minimum(pos, len(s) - 1)] == np.arange(n))
    return np.where(ok, v[np.minimum(pos, len(s) - 1)], -np.inf)


def _kth_by_sample(R: np.ndarray, k: int) -> np.ndarray:
    """(S,) k-th largest of each row (-inf where a row has fewer than k finite values)."""
    if R.shape[1] < k:
        return np.full(len(R), -np.inf)
    return -np.partition(-R, k - 1, axis=1)[:, k - 1]


def first_place(u: ScoreUniverse, row: int, rows: np.ndarray, W: np.ndarray, draw: Callable, scale: Callable,
                prefs: Callable, off: np.ndarray, seed_pool: np.ndarray, linear: bool, progress=None) -> float:
    """Total first-place share over the draws of combination ``row`` of ``u`` (ties split first place), exactly:
    in each draw it is valued with its feasibility; a strong seed that beats it settles the draw; otherwise every
    combination of ``rows`` whose cap reaches it is valued exactly. Arguments as :func:`certified_top`; ``row``
    must be among ``rows``."""
    st = u.portfolios.setting
    pos = int(np.flatnonzero(rows == row)[0])
    b = lipschitz_bound(u, rows, scale, off)
    m = min(len(seed_pool), 64)
    per = 1 if linear else 2 * b.x0.shape[1]
    step = max(1, BOUND_ELEMENTS // max(1, len(rows) * per))
    left, total = None, 0.0
    for s0 in range(0, len(W), step):
        Wc = W[s0:s0 + step]
        n = len(Wc)
        Xs = draw(n)
        X, ok = value_pairs(u, np.full(n, row), Xs, np.arange(n), scale)
        mine = np.where(ok, np.round(prefs(X[:, None, :], Wc)[:, 0] - b.off[pos], 12), np.nan)
        U0 = prefs(b.x0[seed_pool], Wc) - b.off[seed_pool][None, :]
        top = np.argpartition(-U0, m - 1, axis=1)[:, :m] if m < len(seed_pool) else np.tile(
            np.arange(len(seed_pool)), (n, 1))
        s_seed, r_seed = np.repeat(np.arange(n), top.shape[1]), seed_pool[top.ravel()]
        X, ok = value_pairs(u, rows[r_seed], Xs, s_seed, scale)
        R = np.round(prefs(X[:, None, :], Wc[s_seed])[:, 0] - b.off[r_seed], 12)
        beaten = np.zeros(n, dtype=bool)
        np.logical_or.at(beaten, s_seed, ok & (R > mine[s_seed]))
        open_ = np.flatnonzero(~beaten & ~np.isnan(mine))          # draws still to settle
        if len(open_):
            if linear:
                caps, left = wsm_caps(b, Xs[open_], Wc[open_], st.spec, left)
            else:
                caps = prefs(criterion_caps(b, Xs[open_], st.spec), Wc[open_]) - b.off[None, :]
            s_loc, r_loc = np.nonzero(caps >= (mine[open_] - BOUND_MARGIN)[:, None])
            keep = r_loc != pos
            s_loc, r_loc = open_[s_loc[keep]], r_loc[keep]
            X, ok = value_pairs(u, rows[r_loc], Xs, s_loc, scale)
            R = np.round(prefs(X[:, None, :], Wc[s_loc])[:, 0] - b.off[r_loc], 12)
            better = np.zeros(n, dtype=int)
            tied = np.zeros(n, dtype=int)
            np.add.at(better, s_loc, ok & (R > mine[s_loc]))
            np.add.at(tied, s_loc, ok & (R == mine[s_loc]))
            won = open_[better[open_] == 0]
            total += float((1.0 / (1 + tied[won])).sum())
        if progress:
            progress(min(s0 + step, len(W)), len(W))
    return total
