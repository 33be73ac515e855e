"""Dominance among combinations: the k-skyband (rows dominated by fewer than k others) and its interval form.

``X`` holds "higher is better" columns. Row ``d`` dominates row ``q`` when it is at least as good everywhere and
better somewhere; with an ``optimistic`` matrix (value boxes) ``d`` *surely* dominates ``q`` when ``d``'s worst case
is at least ``q``'s best case everywhere, not all equal. Both relations are strict partial orders (transitive,
irreflexive), which is what makes the counting below exact.

Bounded work: identical rows (or identical boxes) are merged first and counted with their multiplicity, and rows
are ordered by decreasing sum of pessimistic values, then lexicographically, so a dominator always comes strictly
before the rows it dominates. Blocks can then be cut anywhere: the cost is about ``N x |skyband|`` comparisons,
never ``N^2`` on a run of equal rows.

Exact integer comparisons: every column is replaced by the dense rank of its values (pessimistic and optimistic
values ranked together), which keeps every ``>=`` and ``==`` between them, and the row's rank sum is kept as one
more column. Given ``d >= q`` in every column, "not all equal" is then "rank sum of ``d`` > rank sum of ``q``"
(integers, so no rounding), which halves the comparisons per pair and the memory they stream.
"""
from __future__ import annotations

import numpy as np

CHUNK_ELEMENTS = 4_000_000
"""Size of the temporary (rows x dominators) boolean arrays per step."""


def _ranks(*arrays: np.ndarray) -> list[np.ndarray]:
    """Each (n_i x C) float array as int32 dense ranks of its values, column by column, ranked jointly across the
    arrays (so comparisons between them are kept), with the row's rank sum appended as column ``C``."""
    stacked = np.vstack(arrays)
    R = np.empty((len(stacked), stacked.shape[1] + 1), dtype=np.int32)
    for j in range(stacked.shape[1]):
        R[:, j] = np.unique(stacked[:, j], return_inverse=True)[1].ravel()
    R[:, -1] = R[:, :-1].sum(1, dtype=np.int64)
    return np.split(R, np.cumsum([len(a) for a in arrays])[:-1])


def _count_loop(Dp, Qo, k, cnt, mult=None):
    """Add to ``cnt`` (counts of the rows ``Qo``) the dominators among ``Dp`` (weighted by ``mult``, their
    multiplicities), stopping for a row once it has ``k``; the loop runs over blocks of dominators, not over rows.
    ``Dp``/``Qo``: rank arrays from :func:`_ranks` (last column the rank sum)."""
    alive = np.flatnonzero(cnt < k)
    pos = 0
    C = Qo.shape[1] - 1
    while pos < len(Dp) and len(alive):
        step = max(1, CHUNK_ELEMENTS // max(1, len(alive)))
        D = Dp[pos:pos + step]
        B = Qo[alive]
        hit = D[:, C][None, :] > B[:, C][:, None]              # not all equal (given >= everywhere)
        ge = np.empty_like(hit)
        for j in range(C):
            np.greater_equal(D[:, j][None, :], B[:, j][:, None], out=ge)
            hit &= ge
        cnt[alive] += hit.sum(1) if mult is None else hit.astype(np.int64) @ mult[pos:pos + step]
        alive = alive[cnt[alive] < k]
        pos += step
    return cnt


def skyband_mask(X: np.ndarray, k: int, optimistic: np.ndarray | None = None, block: int = 1024,
                 seed: int = 4096, limit: int | None = None) -> np.ndarray | None:
    """(N,) bool: rows dominated by fewer than ``k`` others ("higher is better" in every column). ``k = 1`` gives
    the Pareto (non-dominated) set; identical rows do not dominate each other.

    With ``optimistic`` given, ``X`` holds pessimistic values and dominance is *sure* dominance: ``X[d] >=
    optimistic[q]`` everywhere, not all equal. Returns None if more than ``limit`` distinct rows survive the
    first pass (an estimate on a subsample decides early when the survivors would clearly exceed it).

    Algorithm: distinct rows (with multiplicities) sorted so that a dominator always comes first; a prefix of
    ``seed`` rows gets its exact skyband block by block; every other row is counted against that skyband, strongest
    first, and dropped once it has ``k`` dominators; survivors go block by block against the growing skyband. Only
    skyband members need to be counted: a row outside the skyband has at least ``k`` dominators inside it
    (transitivity), so the test is exact.
    """
    lo_val = np.asarray(X, dtype=float)
    hi_val = lo_val if optimistic is None else np.asarray(optimistic, dtype=float)
    if len(lo_val) == 0:
        return np.zeros(0, dtype=bool)
    C = lo_val.shape[1]
    lo_val, hi_val = _ranks(lo_val, hi_val) if optimistic is not None else 2 * _ranks(lo_val)
    extra = () if optimistic is None else tuple(-hi_val[:, j] for j in range(C - 1, -1, -1))
    order = np.lexsort(extra + tuple(-lo_val[:, j] for j in range(C - 1, -1, -1)) + (-lo_val[:, C],))
    P, O = lo_val[order], hi_val[order]                  # decreasing rank sum, then lexicographic: dominators first
    new = np.ones(len(P), dtype=bool)                    # identical rows (boxes) are adjacent now: merge them
    new[1:] = np.any(P[1:] != P[:-1], axis=1) | np.any(O[1:] != O[:-1], axis=1)
    starts = np.flatnonzero(new)
    mult = np.diff(np.append(starts, len(P)))
    inner = _skyband_sorted(P[starts], O[starts], mult, k, block, seed, limit)
    if inner is None:
        return None
    mask = np.zeros(len(P), dtype=bool)
    mask[order] = inner[np.cumsum(new) - 1]
    return mask


def _skyband_sorted(P, O, w, k, block, seed, limit):
    """:func:`skyband_mask` on distinct rows already sorted dominators-first, whose dominance counts with
    multiplicity ``w``; returns the mask in that order."""
    n = len(P)
    weighted = None if np.all(w == 1) else w

    def wt(rows):
        return None if weighted is None else weighted[rows]

    def blocks(start, stop):
        """Exact skyband of the sorted rows [start, stop) (a prefix: all their dominators are inside it)."""
        out = [np.zeros(0, dtype=int)]
        while start < stop:
            end = min(stop, start + block)
            pos = np.arange(start, end)
            prev = np.concatenate(out)
            cnt = _count_loop(P[prev], O[pos], k, np.zeros(len(pos), int), wt(prev))
            alive = np.flatnonzero(cnt < k)
            cnt[alive] = _count_loop(P[pos], O[pos[alive]], k, cnt[alive].copy(), wt(pos))
            out.append(pos[cnt < k])
            start = end
        return np.concatenate(out)

    m = min(n, seed)
    sky = blocks(0, m)
    rest = np.arange(m, n)
    if limit is not None and len(rest) > 4 * limit:                # estimate the survivors on an even subsample
        probe = rest[:: max(1, len(rest) // 2000)]
        share = np.mean(_count_loop(P[sky], O[probe], k, np.zeros(len(probe), int), wt(sky)) < k)
        if len(sky) + share * len(rest) > 2 * limit:
            return None
    sky = sky[_killers_first(P[sky], P)]
    cnt = _count_loop(P[sky], O[rest], k, np.zeros(len(rest), int), wt(sky))
    surv = rest[cnt < k]
    if limit is not None and len(sky) + len(surv) > limit:
        return None
    # survivors: count against the skyband of the prefix (done) plus survivors before them
    pref = cnt[cnt < k]
    out, start = [sky], 0
    while start < len(surv):
        end = min(len(surv), start + block)
        pos = surv[start:end]
        c = pref[start:end].copy()
        if len(out) > 1:
            prev = np.concatenate(out[1:])
            prev = prev[_killers_first(P[prev], P)]
            c = _count_loop(P[prev], O[pos], k, c, wt(prev))
        alive = np.flatnonzero(c < k)
        c[alive] = _count_loop(P[pos], O[pos[alive]], k, c[alive].copy(), wt(pos))
        out.append(pos[c < k])
        start = end
    mask = np.zeros(n, dtype=bool)
    mask[np.concatenate(out)] = True
    return mask


def _killers_first(D: np.ndarray, P: np.ndarray) -> np.ndarray:
    """Order of the dominators ``D`` (rank arrays) that puts first those that dominate the most rows, estimated as
    the product over the columns of the share of rows ranked below them (the dominated volume if the columns were
    independent). Only the order of the counting changes (a row stops once it has k dominators), never a count."""
    top = np.maximum(P[:, :-1].max(0), 1).astype(float)
    share = np.log(np.maximum(D[:, :-1], 0.5) / top)
    return np.argsort(-share.sum(1), kind="stable")


def count_dominators(dominators_pes: np.ndarray, rows_opt: np.ndarray, k: int) -> np.ndarray:
    """(M,) number of rows of ``dominators_pes`` that surely dominate each row of ``rows_opt``, counted up to
    ``k`` (a row stops being counted once it has ``k``)."""
    D, Q = _ranks(np.asarray(dominators_pes, float), np.asarray(rows_opt, float))
    return _count_loop(D, Q, k, np.zeros(len(rows_opt), int))
