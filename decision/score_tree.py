"""A prefix tree over combinations with per-draw bounds on every subtree: the exact per-draw pruning of the
score-uncertainty SMAA (:func:`decision.uncertainty.certified_top`).

**The tree.** Tools are ranked (strongest first, a static order: only the speed depends on it), each combination's
tools are listed in rank order, and a node is a prefix ``P`` shared by some combinations: it stands for every
combination whose rank-ordered tools start with ``P`` (its subtree, ``P`` itself included if it is a combination).
All of a subtree's other tools rank after ``P``'s last tool ``j``, and it holds at most ``m`` of them (``m``: the
largest size in the subtree less ``|P|``).

**The bound** (value model of :mod:`decision.portfolios`). Per criterion, with improvement shares ``g_t`` and harm
shares ``h_t`` of the draw, one combination's pools satisfy ``log(1 - better) = phi(g_top) + sum_t log(1 - kappa g_t)
+ R_g + I_g`` and ``log(1 - harm) = phi(h_top) + sum_t log(1 - kappa h_t) + R_h + I_h``, where ``phi(x) = log(1 - x)
- log(1 - kappa x)`` falls with ``x`` (0 at 0), ``top`` is the largest share of the combination, ``R >= 0`` the
redundancy terms (a member behind a stronger member of its group has ``log(1 - kappa rho x)`` in place of
``log(1 - kappa x)``) and ``I <= 0`` the logs of the fired interactions. For any combination of the subtree of ``P``:

* ``log(1 - better) >= A = phi(max(g_P, g_{>j})) + sum_{t in P} log(1 - kappa g_t) + S_m(>j) + min I_g``, where
  ``g_{>j}`` is the largest share of the tools ranked after ``j`` (the top share is at most the larger of the two, and
  ``phi`` falls), ``S_m(>j)`` is the sum of the ``m`` most negative ``log(1 - kappa g_t)`` over those tools (the
  members after ``P`` are at most ``m`` of them, each term <= 0), redundancy is left out (it only raises the log)
  and ``min I_g`` is the smallest over the subtree;
* ``log(1 - harm) <= B = phi(max h_P) + sum_{t in P} log(1 - kappa rho_t h_t) + max I_h``, with ``rho_t = rho`` for
  a tool in a redundancy group (1 otherwise): the top harm is at least ``P``'s largest, every member's term is at
  most ``log(1 - kappa rho_t h_t)``, and the later members' terms (<= 0) are dropped;
* the goodness ``q = 1 - (1 - better)(1 - q0 (1 - harm)) = 1 - e^a (1 - q0 e^b)`` falls with ``a`` and rises with
  ``b``, so ``q <= 1 - e^A (1 - q0 e^B)``; the quiet-package cap only lowers ``q``, the clip to the scale is
  monotone. So every criterion's value of every combination of the subtree is at most the node's.

The method's scaled value is non-decreasing in the goodness on every criterion (fixed anchors for the weighted sum,
the point values' min-max for TOPSIS, then the clip to 0-1), and the preference is non-decreasing in every scaled
value (a weighted sum with weights >= 0; TOPSIS with a fixed ideal and anti-ideal, between which the clipped values
lie) and falls with the effort cost: the preference of the node's caps less the smallest effort cost in the subtree
(and :data:`MARGIN` for rounding) bounds every combination of the subtree in that draw. A subtree whose bound is
below a draw's threshold (a lower bound on its k-th best feasible preference) holds none of its top ``k``: the search
(:func:`search`) expands only the other nodes, level by level, vectorised over (draw, node) pairs.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

MARGIN = 1e-9
"""Added to every node's bound: covers the float64 rounding of the bound and of the exact values (both are built
from the same few logs and exponentials of numbers in 0-1, each with an error near 1e-16)."""


@dataclass(frozen=True)
class Level:
    """The nodes of one depth ``d``: ``tools`` (n x d) tool indices of the prefix in rank order, ``last`` (n,) rank
    of the prefix's last tool, ``more`` (n,) the most tools a combination of the subtree holds after the prefix,
    ``row`` (n,) the combination equal to the prefix (-1: none), ``child`` (n + 1,) the children of node ``i`` are
    nodes ``child[i]:child[i + 1]`` of the next level, ``gain_log`` / ``loss_log`` (n x C) the smallest / largest
    interaction logs in the subtree, ``off`` (n,) the smallest effort cost in it."""
    tools: np.ndarray
    last: np.ndarray
    more: np.ndarray
    row: np.ndarray
    child: np.ndarray
    gain_log: np.ndarray
    loss_log: np.ndarray
    off: np.ndarray


@dataclass(frozen=True)
class Tree:
    """The prefix tree of a set of combinations (module doc). ``rank`` (T,): each tool's rank; ``order`` (T,): the
    tools in rank order; ``grouped`` (T,) bool: the tool is in a redundancy group."""
    levels: tuple[Level, ...]
    rank: np.ndarray
    order: np.ndarray
    grouped: np.ndarray
    width: int


def build_tree(idx: np.ndarray, n_tools: int, strength: np.ndarray, gain_log: np.ndarray, loss_log: np.ndarray,
               off: np.ndarray, grouped: np.ndarray) -> Tree:
    """The prefix tree of combinations ``idx`` (N x K tool indices padded with ``n_tools``), tools ranked by
    ``strength`` (T,) descending (ties: catalogue order); ``gain_log``/``loss_log`` (N x C) their interaction logs,
    ``off`` (N,) their effort cost."""
    T = n_tools
    order = np.argsort(-np.asarray(strength, float), kind="stable")
    rank = np.empty(T + 1, dtype=np.int64)
    rank[order] = np.arange(T)
    rank[T] = T                                                   # padding sorts last
    R = np.sort(rank[np.asarray(idx, dtype=np.intp)], axis=1)
    K = R.shape[1]
    srt = np.lexsort(R.T[::-1])                                   # rows in lexicographic order of their ranks
    R = R[srt]
    size = (R < T).sum(1)
    levels, starts_by_depth = [], []
    for d in range(1, K + 1):
        valid = np.flatnonzero(size >= d)
        key = R[valid, :d]
        new = np.r_[True, (np.diff(valid) > 1) | (key[1:] != key[:-1]).any(1)] if len(valid) else np.zeros(0, bool)
        first = np.flatnonzero(new)
        starts = valid[first]                                     # node i covers sorted rows starts[i]..ends[i]-1
        ends = np.r_[valid[first[1:] - 1] + 1, valid[-1] + 1] if len(first) else np.zeros(0, dtype=np.int64)
        starts_by_depth.append((starts, ends))
        seg = first
        def reduce(fn, x, in_order=False):                        # noqa: E306 (per node over its valid rows)
            x = x[valid] if in_order else x[srt[valid]]
            return fn.reduceat(x, seg, axis=0) if len(seg) else np.zeros((0,) + x.shape[1:])
        own = np.where(size[ends - 1] == d, srt[ends - 1], -1) if len(first) else np.zeros(0, dtype=np.int64)
        levels.append(dict(tools=order[R[starts, :d]] if len(first) else np.zeros((0, d), dtype=np.int64),
                           last=R[starts, d - 1], more=reduce(np.maximum, size, True) - d,
                           row=own, gain_log=reduce(np.minimum, gain_log), loss_log=reduce(np.maximum, loss_log),
                           off=reduce(np.minimum, np.asarray(off, float))))
    out = []
    for d, lv in enumerate(levels):
        if d + 1 < len(levels):
            nxt = starts_by_depth[d + 1][0]
            starts = starts_by_depth[d][0]
            child = np.r_[np.searchsorted(nxt, starts), len(nxt)] if len(starts) else np.zeros(1, dtype=np.int64)
        else:
            child = np.zeros(len(lv["row"]) + 1, dtype=np.int64)
        out.append(Level(child=child.astype(np.int64), **lv))
    return Tree(tuple(out), rank[:T], order, np.asarray(grouped, bool), K)


@dataclass(frozen=True)
class DrawTables:
    """Per (draw, tool, criterion) logs of a chunk of draws, and per (draw, rank) suffix tables over the tools
    ranked after each position: ``gmax`` (S x T+1 x C), the largest improvement share; ``lsum`` (S x T+1 x C x K+1),
    the sum of the ``m`` most negative ``log(1 - kappa g)`` (index ``j + 1`` for the tools ranked after ``j``)."""
    g: np.ndarray
    h: np.ndarray
    lg: np.ndarray
    lh: np.ndarray
    gmax: np.ndarray
    lsum: np.ndarray


def draw_tables(tree: Tree, draws: np.ndarray, spec) -> DrawTables:
    """The tables of :class:`DrawTables` for draws (S x T x C) of the tool changes."""
    span = spec.hi - spec.lo
    good = draws * spec.direction / span
    g, h = np.clip(good, 0.0, 1.0), np.clip(-good, 0.0, 1.0)
    kap = spec.kappa
    rho_t = np.where(tree.grouped, min(spec.rho, 1.0), 1.0)[None, :, None]
    lg = np.log1p(-kap * g)
    lh = np.log1p(-kap * rho_t * h)
    S, T, C = draws.shape
    K = tree.width
    gr, lr = g[:, tree.order], lg[:, tree.order]                  # rank order
    gmax = np.zeros((S, T + 1, C))
    best = np.zeros((S, C, K))                                    # the K most negative logs so far, ascending
    lsum = np.zeros((S, T + 1, C, K + 1))
    for r in range(T - 1, -1, -1):                                # a loop over tools (ranks), not draws
        gmax[:, r] = np.maximum(gmax[:, r + 1], gr[:, r])
        best = np.sort(np.concatenate([best, lr[:, r, :, None]], axis=2), axis=2)[:, :, :K]
        lsum[:, r, :, 1:] = np.cumsum(best, axis=2)
    pad = lambda x: np.concatenate([x, np.zeros((S, 1, C))], axis=1)          # noqa: E731
    return DrawTables(pad(g), pad(h), pad(lg), pad(lh), gmax, lsum)


def _phi(x: np.ndarray, kappa: float) -> np.ndarray:
    with np.errstate(divide="ignore"):
        return np.log1p(-x) - np.log1p(-kappa * x)


def node_bounds(tree: Tree, d: int, nodes: np.ndarray, sample: np.ndarray, tab: DrawTables, spec, scale: Callable,
                prefs: Callable, W: np.ndarray, self_only: bool = False) -> np.ndarray:
    """(P,) bound on the preference of every combination of node ``nodes`` of depth ``d`` (0-based level ``d``,
    prefixes of ``d + 1`` tools) in draw ``sample`` (module doc). ``self_only``: bound the prefix's own combination
    only (no later tools)."""
    lv = tree.levels[d]
    P = tab.g.shape[1]
    flat = sample[:, None] * P + lv.tools[nodes]                  # (pairs, d + 1) rows of the per-draw tables
    C = tab.g.shape[2]
    g, h = tab.g.reshape(-1, C)[flat], tab.h.reshape(-1, C)[flat]
    A = lv.gain_log[nodes] + tab.lg.reshape(-1, C)[flat].sum(1)
    top = g.max(1)
    if not self_only:
        j = lv.last[nodes] + 1
        top = np.maximum(top, tab.gmax[sample, j])
        A += tab.lsum[sample, j, :, lv.more[nodes]]
    with np.errstate(invalid="ignore"):
        A += _phi(top, spec.kappa)
        B = _phi(h.max(1), spec.kappa) + tab.lh.reshape(-1, C)[flat].sum(1) + lv.loss_log[nodes]
    span = spec.hi - spec.lo
    q0 = np.where(spec.direction > 0, spec.status_quo - spec.lo, spec.hi - spec.status_quo) / span
    q = np.clip(1.0 - np.exp(A) * (1.0 - q0 * np.exp(B)), 0.0, 1.0)
    v = np.where(spec.direction > 0, spec.lo + q * span, spec.hi - q * span)
    X = np.clip(scale(v), 0.0, 1.0)
    return prefs(X[:, None, :], W[sample])[:, 0] - lv.off[nodes] + MARGIN


def expand(tree: Tree, d: int, nodes: np.ndarray, sample: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The children (nodes of level ``d + 1``) of (draw, node) pairs, as pairs."""
    ch = tree.levels[d].child
    lo, n = ch[nodes], ch[nodes + 1] - ch[nodes]
    total = int(n.sum())
    rep = np.repeat(np.arange(len(nodes)), n)
    within = np.arange(total) - np.repeat(np.cumsum(n) - n, n)
    return lo[rep] + within, sample[rep]
