"""Experiment (issue 20, not used by the package): an exact prefix-tree search for the score-uncertainty SMAA,
kept so that its figures in docs/performance.md can be reproduced. It is exact (every draw's top k equals the
package's; the script exits 1 otherwise) but on the bundled catalogue it is far slower than the package's per-draw
caps (decision.uncertainty.certified_top): the subtree bounds below prune too little above the deepest levels.

    .venv/bin/python benchmarks/bench_score_tree.py [--draws 64] [--k 10]

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

Within the prefix, a member behind a stronger member of its redundancy group (within ``P``; ties: the tool
listed first leads) stays behind in every superset, so its improvement term ``log(1 - kappa rho g)`` is kept; for
the prefix's own combination (no later tools: the **own bound**) its harm terms are exact too, and its own
interactions and effort cost are used, which makes the own bound nearly the exact value. A subtree all of whose
combinations are quiet packages has its capped criterion held at the cap.

The method's scaled value is non-decreasing in the goodness on every criterion (fixed anchors for the weighted sum,
the point values' min-max for TOPSIS, then the clip to 0-1), and the preference is non-decreasing in every scaled
value (a weighted sum with weights >= 0; TOPSIS with a fixed ideal and anti-ideal, between which the clipped values
lie) and falls with the effort cost: the preference of the node's caps less the smallest effort cost in the subtree
(and :data:`MARGIN` for rounding) bounds every combination of the subtree in that draw.

**The weight-aware bound** (weighted sum on fixed anchors, where the scaled value is the goodness). Adding a tool
``t`` to any set changes ``log(1 - better)`` by at least ``log(1 - kappa g_t)`` once the largest share is counted
apart (as in ``A`` above, with ``phi`` of the larger of ``P``'s top share and the later tools' largest), and changes
``log(1 - harm)`` by at most ``beta_t = log(1 - kappa rho_t h_t)`` (if ``t`` becomes the top harm the change is
``log(1 - h_t) - phi(old top) <= log(1 - kappa h_t)``; if it displaces its group's leader ``o``, the leader's
``psi(h_o) = log(1 - kappa rho h_o) - log(1 - kappa h_o)`` is added, and ``psi`` rises with the share, so the sum is
at most ``log(1 - kappa rho h_t)``). So for the subtree's combination ``P + S``: ``a >= A + x``, ``b <= B + y`` with
``x = sum_S log(1 - kappa g_t)``, ``y = sum_S beta_t``, both in ``[z, 0]`` where ``z`` sums the ``m`` most negative
of each. Then ``1 - e^(A + x) <= 1 - e^A (1 + x)`` (tangent of a convex function) and ``e^(A + B + x + y) <= e^(A +
B) (1 + c (x + y))`` with ``c = (1 - e^z') / -z'`` the chord's slope over ``[z', 0]``, ``z' = z_x + z_y``: the goodness
is at most ``q_P + x * (-e^A (1 - c q0 e^B)) + y * (c q0 e^(A + B))``, linear in the added tools' terms. Weighted over
the criteria and less each added tool's effort cost, every later tool ``t`` has a step ``delta_t``; the best ``m``
positive steps among the tools the subtree holds after ``P`` bound what any ``S`` adds. The node's bound is the
smaller of this and the per-criterion bound.

A subtree whose bound is below a draw's threshold (a lower bound on its k-th best feasible preference) holds none of
its top ``k``: the search (:func:`tree_top`) expands only the other nodes, level by level, vectorised over (draw,
node) pairs.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from decision import uncertainty as U
from decision.portfolios import quiet_packages
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
    quiet: np.ndarray
    own_quiet: np.ndarray
    later: np.ndarray


@dataclass(frozen=True)
class Tree:
    """The prefix tree of a set of combinations (module doc). ``rank`` (T,): each tool's rank; ``order`` (T,): the
    tools in rank order; ``grouped`` (T,) bool: the tool is in a redundancy group."""
    levels: tuple[Level, ...]
    rank: np.ndarray
    order: np.ndarray
    grouped: np.ndarray
    width: int
    group_of: np.ndarray
    row_logs: tuple[np.ndarray, np.ndarray, np.ndarray]
    tool_cost: np.ndarray


def build_tree(idx: np.ndarray, n_tools: int, strength: np.ndarray, gain_log: np.ndarray, loss_log: np.ndarray,
               off: np.ndarray, group_of: np.ndarray, quiet: np.ndarray, tool_cost: np.ndarray) -> Tree:
    """The prefix tree of combinations ``idx`` (N x K tool indices padded with ``n_tools``), tools ranked by
    ``strength`` (T,) descending (ties: catalogue order); ``gain_log``/``loss_log`` (N x C) their interaction logs,
    ``off`` (N,) their effort cost, ``group_of`` (T,) each tool's redundancy group (-1: none), ``quiet`` (N,) the
    quiet-package cap binds the combination, ``tool_cost`` (T,) each tool's effort cost (a combination's is the sum
    of its tools')."""
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
    held = np.zeros((len(R), T + 1), dtype=bool)                 # rank-order membership of the sorted rows
    held[np.arange(len(R))[:, None], R] = True
    held = held[:, :T]
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
                           off=reduce(np.minimum, np.asarray(off, float)),
                           quiet=reduce(np.minimum, np.asarray(quiet, bool)),
                           own_quiet=np.where(own >= 0, np.asarray(quiet, bool)[np.maximum(own, 0)], False),
                           later=_later(reduce(np.maximum, held, True), R[starts, d - 1] if len(first) else None)))
    out = []
    for d, lv in enumerate(levels):
        if d + 1 < len(levels):
            nxt = starts_by_depth[d + 1][0]
            starts = starts_by_depth[d][0]
            child = np.r_[np.searchsorted(nxt, starts), len(nxt)] if len(starts) else np.zeros(1, dtype=np.int64)
        else:
            child = np.zeros(len(lv["row"]) + 1, dtype=np.int64)
        out.append(Level(child=child.astype(np.int64), **lv))
    group_of = np.asarray(group_of, dtype=np.int64)
    rows = (np.asarray(gain_log, float), np.asarray(loss_log, float), np.asarray(off, float))
    return Tree(tuple(out), rank[:T], order, group_of >= 0, K, np.r_[group_of, -1], rows,
                np.r_[np.asarray(tool_cost, float), 0.0])


def _later(held: np.ndarray, last) -> np.ndarray:
    """(n x T) bool, rank order: the tools some combination of the subtree holds after the prefix."""
    if last is None:
        return held
    return held & (np.arange(held.shape[1])[None, :] > last[:, None])


@dataclass(frozen=True)
class DrawTables:
    """Per (draw, tool, criterion) logs of a chunk of draws, and per (draw, rank) suffix tables over the tools
    ranked after each position: ``gmax`` (S x T+1 x C), the largest improvement share; ``lsum`` (S x T+1 x C x K+1),
    the sum of the ``m`` most negative ``log(1 - kappa g)`` (index ``j + 1`` for the tools ranked after ``j``)."""
    g: np.ndarray
    h: np.ndarray
    lg: np.ndarray
    lh: np.ndarray
    lgr: np.ndarray
    lhk: np.ndarray
    gmax: np.ndarray
    lsum: np.ndarray
    steps: np.ndarray
    step_min: np.ndarray


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
    with np.errstate(divide="ignore"):
        steps = np.concatenate([lg, lh], axis=2)[:, tree.order]     # S x T x 2C, rank order
    step_min = np.zeros((S, T + 1, 2 * C, K + 1))                 # the m most negative steps after each rank
    best = np.zeros((S, 2 * C, K))
    for r in range(T - 1, -1, -1):
        best = np.sort(np.concatenate([best, steps[:, r, :, None]], axis=2), axis=2)[:, :, :K]
        with np.errstate(invalid="ignore"):
            step_min[:, r, :, 1:] = np.cumsum(best, axis=2)
    lgr, lhk = np.log1p(-kap * min(spec.rho, 1.0) * g), np.log1p(-kap * h)
    return DrawTables(pad(g), pad(h), pad(lg), pad(lh), pad(lgr), pad(lhk), gmax, lsum, steps, step_min)


def _phi(x: np.ndarray, kappa: float) -> np.ndarray:
    with np.errstate(divide="ignore"):
        return np.log1p(-x) - np.log1p(-kappa * x)


BLOCK = 16_384
"""(draw, node) pairs bounded per step (memory: about 3 KB per pair)."""


def node_bounds(tree: Tree, d: int, nodes: np.ndarray, sample: np.ndarray, tab: DrawTables, spec, scale: Callable,
                prefs: Callable, W: np.ndarray, self_only: bool = False, linear: bool = False) -> np.ndarray:
    """(P,) bound on the preference of every combination of node ``nodes`` of level ``d`` (prefixes of ``d + 1``
    tools) in draw ``sample`` (module doc). ``self_only``: bound the prefix's own combination only (no later tools).
    ``linear``: the preference is the weighted sum of the goodness values (fixed anchors): the module doc's
    weight-aware bound is taken too where it is smaller."""
    out = np.empty(len(nodes))
    for i in range(0, len(nodes), BLOCK):
        out[i:i + BLOCK] = _bounds(tree, d, nodes[i:i + BLOCK], sample[i:i + BLOCK], tab, spec, scale, prefs, W,
                                   self_only, linear)
    return out


def _behind(x: np.ndarray, tools: np.ndarray, group: np.ndarray) -> np.ndarray:
    """(pairs, d, C) bool: the prefix member is behind a stronger member of its redundancy group within the prefix
    (ties: the tool listed first leads, as in the value model); such a member stays behind in every superset."""
    same = (group[:, :, None] == group[:, None, :]) & (group[:, :, None] >= 0)
    same &= tools[:, :, None] != tools[:, None, :]
    xi, xo = x[:, :, None, :], x[:, None, :, :]
    beats = (xo > xi) | ((xo == xi) & (tools[:, None, :] < tools[:, :, None])[..., None])
    return (same[..., None] & beats).any(2)


def _bounds(tree, d, nodes, sample, tab, spec, scale, prefs, W, self_only, linear):
    lv = tree.levels[d]
    P1 = tab.g.shape[1]
    C = tab.g.shape[2]
    tools = lv.tools[nodes]
    flat = sample[:, None] * P1 + tools                           # (pairs, d + 1) rows of the per-draw tables
    g, h = tab.g.reshape(-1, C)[flat], tab.h.reshape(-1, C)[flat]
    group = tree.group_of[tools]
    many = d > 0 and (group >= 0).sum(1).max(initial=0) > 1
    lg = tab.lg.reshape(-1, C)[flat]
    if many:                                                      # members behind a stronger one of their group
        lg = np.where(_behind(g, tools, group), tab.lgr.reshape(-1, C)[flat], lg)
    if self_only:                                                 # the combination's own interactions and effort
        own = lv.row[nodes]
        gain_log, loss_log, off = (x[own] for x in tree.row_logs)
    else:
        gain_log, loss_log, off = lv.gain_log[nodes], lv.loss_log[nodes], lv.off[nodes]
    sum_g = gain_log + lg.sum(1)
    if self_only:                                                 # the prefix is the whole combination
        lh = tab.lhk.reshape(-1, C)[flat]
        if many:
            lh = np.where(_behind(h, tools, group), tab.lh.reshape(-1, C)[flat], lh)
    else:
        lh = tab.lh.reshape(-1, C)[flat]
    top = g.max(1)
    kap = spec.kappa
    with np.errstate(invalid="ignore", divide="ignore"):
        B = _phi(h.max(1), kap) + lh.sum(1) + loss_log
        if self_only:
            A = sum_g + _phi(top, kap)
        else:
            j, more = lv.last[nodes] + 1, lv.more[nodes]
            A_top = sum_g + _phi(np.maximum(top, tab.gmax[sample, j]), kap)
            A = A_top + tab.lsum[sample, j, :, more]
    span = spec.hi - spec.lo
    q0 = np.where(spec.direction > 0, spec.status_quo - spec.lo, spec.hi - spec.status_quo) / span
    q = np.clip(1.0 - np.exp(A) * (1.0 - q0 * np.exp(B)), 0.0, 1.0)
    quiet = (lv.own_quiet if self_only else lv.quiet)[nodes]
    cap = None
    if spec.cap_crit >= 0:                                        # quiet packages are held at the cap
        c = spec.cap_crit
        cap = max(spec.cap_q, q0[c])
        q[:, c] = np.where(quiet, np.minimum(q[:, c], cap), q[:, c])
    v = np.where(spec.direction > 0, spec.lo + q * span, spec.hi - q * span)
    X = np.clip(scale(v), 0.0, 1.0)
    bound = prefs(X[:, None, :], W[sample])[:, 0] - off
    if linear and not self_only:
        lin = _linear(A_top, B, q0, j, lv.later[nodes], more, sample, tab, W, C, quiet, spec.cap_crit, cap,
                      tree.tool_cost[tree.order])
        bound = np.minimum(bound, lin - tree.tool_cost[tools].sum(1))
    return bound + MARGIN


def _linear(A, B, q0, j, later, more, sample, tab, W, C, quiet, cap_crit, cap, tool_cost):
    """The weight-aware bound (module doc): the prefix's own goodness bound plus the ``more``
    largest positive tool steps among the tools the subtree holds after the prefix (``later``)."""
    eA, eB = np.exp(A), np.exp(B)
    with np.errstate(invalid="ignore", divide="ignore"):
        z = tab.step_min[sample, j, :C, more] + tab.step_min[sample, j, C:, more]       # (pairs, C) <= 0
        chord = np.where(z < 0, -np.expm1(z) / -z, 1.0)           # slope of the chord of e^x over [z, 0]
    chord = np.nan_to_num(chord, nan=0.0)                         # z = -inf: slope 0
    q = 1.0 - eA * (1.0 - q0 * eB)
    Ws = W[sample]
    if cap is not None and quiet.any():                           # a quiet subtree: the capped criterion's value
        Ws = Ws.copy()                                            # is at most the cap, whatever is added
        base_cap = np.where(quiet, Ws[:, cap_crit] * cap, 0.0)
        Ws[:, cap_crit] = np.where(quiet, 0.0, Ws[:, cap_crit])
    else:
        base_cap = 0.0
    coef = np.concatenate([-Ws * eA * (1.0 - chord * q0 * eB), Ws * q0 * eA * eB * chord], axis=1)
    with np.errstate(invalid="ignore"):
        step = np.einsum("ptk,pk->pt", tab.steps[sample], coef)   # each later tool's largest weighted gain
    step = np.where(np.isnan(step), 0.0, step)                    # 0 * -inf: a zero weight, no gain
    step -= tool_cost[None, :]                                     # each later tool adds its effort cost
    T = step.shape[1]
    step = np.where(later, np.maximum(step, 0.0), 0.0)
    srt = -np.sort(-step, axis=1)
    csum = np.concatenate([np.zeros((len(more), 1)), np.cumsum(srt, axis=1)], axis=1)
    return (Ws * q).sum(1) + base_cap + csum[np.arange(len(more)), np.minimum(more, T)]


def expand(tree: Tree, d: int, nodes: np.ndarray, sample: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The children (nodes of level ``d + 1``) of (draw, node) pairs, as pairs."""
    ch = tree.levels[d].child
    lo, n = ch[nodes], ch[nodes + 1] - ch[nodes]
    total = int(n.sum())
    rep = np.repeat(np.arange(len(nodes)), n)
    within = np.arange(total) - np.repeat(np.cumsum(n) - n, n)
    return lo[rep] + within, sample[rep]


TREE_CHUNK = 256
"""Draws per step of the tree search (memory: the per-draw suffix tables, about 40 KB per draw)."""


def score_tree(u, rows: np.ndarray, off: np.ndarray) -> Tree:
    """The prefix tree (this script) of combinations ``rows`` of ``u`` (``off``: their effort
    cost); tools ranked by their point changes' signed shares summed over the criteria (strongest first)."""
    p, spec = u.portfolios, u.portfolios.setting.spec
    a = p.setting.adjusted
    strength = (a.score * spec.direction / (spec.hi - spec.lo)).sum(1)
    group_of = np.full(len(a.score), -1)
    for n, g in enumerate(spec.groups):
        group_of[g] = n
    gain, loss = u.inter_logs
    return build_tree(p.idx[rows], len(a.score), strength, gain[rows], loss[rows], off, group_of,
                        quiet_packages(p.bits[rows], spec), p.catalog.model.effort_cost * p.catalog.effort)


def tree_top(u, rows: np.ndarray, W: np.ndarray, draw: Callable, k: int, scale: Callable,
             prefs: Callable, off: np.ndarray, seed_pool: np.ndarray, linear: bool = False, n_seeds: int | None = None,
             progress=None):
    """As :func:`decision.uncertainty.certified_top`, by a search of the prefix tree (this script): per chunk of draws,
    the seeds' exact values set each draw's threshold (the k-th best feasible value among them); then level by
    level every (draw, node) pair whose bound reaches its draw's threshold is kept, the combination equal to the
    node's prefix is valued exactly if its own bound reaches the threshold (which then rises to the k-th best value
    found so far), and the kept nodes' children form the next level. A combination outside the search has an
    ancestor (or itself) bounded below a lower bound of its draw's k-th best value, so it holds no top-k place."""
    tree = score_tree(u, rows, off)
    spec = u.portfolios.setting.spec
    probe = scale(np.vstack([spec.lo, spec.hi]))
    goodness = np.where(spec.direction > 0, probe, probe[::-1])  # scaled values at goodness 0 and 1
    linear = linear and np.allclose(goodness, [[0.0], [1.0]], rtol=0, atol=1e-12)
    x0 = np.clip(scale(u.portfolios.values[rows]), 0.0, 1.0)
    m = min(len(seed_pool), n_seeds or max(6 * k, 64))
    N = len(rows)
    for s0 in range(0, len(W), TREE_CHUNK):
        Wc = W[s0:s0 + TREE_CHUNK]
        n = len(Wc)
        Xs = draw(n)
        U0 = prefs(x0[seed_pool], Wc) - off[seed_pool][None, :]
        top = np.argpartition(-U0, m - 1, axis=1)[:, :m] if m < len(seed_pool) else np.tile(
            np.arange(len(seed_pool)), (n, 1))
        s_seed = np.repeat(np.arange(n), top.shape[1])
        r_seed = seed_pool[top.ravel()]
        X, ok = U.value_pairs(u, rows[r_seed], Xs, s_seed, scale)
        R = np.where(ok, np.round(prefs(X[:, None, :], Wc[s_seed])[:, 0] - off[r_seed], 12), -np.inf)
        best = U._top_k_table(s_seed, R, n, k)
        tau = best[:, k - 1]
        seen = np.sort(s_seed * N + r_seed)
        out_s, out_r, out_R = [s_seed], [r_seed], [R]
        tab = draw_tables(tree, Xs, spec)
        n0 = len(tree.levels[0].row)
        nodes, sample = np.tile(np.arange(n0), n), np.repeat(np.arange(n), n0)
        for d in range(len(tree.levels)):
            if len(nodes) == 0:
                break
            b = node_bounds(tree, d, nodes, sample, tab, spec, scale, prefs, Wc, linear=linear)
            keep = b >= tau[sample]
            nodes, sample = nodes[keep], sample[keep]
            own = tree.levels[d].row[nodes]
            has = np.flatnonzero(own >= 0)
            if len(has):
                sb = node_bounds(tree, d, nodes[has], sample[has], tab, spec, scale, prefs, Wc, self_only=True)
                has = has[sb >= tau[sample[has]]]
                s_v, r_v = sample[has], own[has]
                key = s_v * N + r_v
                at = np.minimum(np.searchsorted(seen, key), len(seen) - 1)
                new = seen[at] != key
                s_v, r_v = s_v[new], r_v[new]
                if len(r_v):
                    X, ok = U.value_pairs(u, rows[r_v], Xs, s_v, scale)
                    R_v = np.where(ok, np.round(prefs(X[:, None, :], Wc[s_v])[:, 0] - off[r_v], 12), -np.inf)
                    best = np.sort(np.hstack([best, U._top_k_table(s_v, R_v, n, k)]), axis=1)[:, ::-1][:, :k]
                    tau = np.maximum(tau, best[:, k - 1])
                    out_s.append(s_v)
                    out_r.append(r_v)
                    out_R.append(R_v)
            if d + 1 < len(tree.levels):
                nodes, sample = expand(tree, d, nodes, sample)
        s_all, r_all, R_all = np.concatenate(out_s), np.concatenate(out_r), np.concatenate(out_R)
        keep = np.isfinite(R_all)
        yield s0 + s_all[keep], r_all[keep], R_all[keep], len(r_all)
        if progress:
            progress(min(s0 + TREE_CHUNK, len(W)), len(W))


def main():
    import argparse
    import datetime
    import os
    import time

    from decision import build_portfolios, load_catalog
    from decision import robustness as rb

    ap = argparse.ArgumentParser()
    ap.add_argument("--draws", type=int, default=64)
    ap.add_argument("--k", type=int, default=10)
    args = ap.parse_args()
    load = os.getloadavg()
    print(f"Run {datetime.datetime.now(datetime.timezone.utc):%Y-%m-%d %H:%M} UTC, load average {load[0]:.1f}")
    p = build_portfolios(load_catalog())
    counts = {}
    plain = node_bounds

    def counted(tree, d, nodes, *a, **kw):
        key = "own" if kw.get("self_only") else "subtree"
        counts[(d, key)] = counts.get((d, key), 0) + len(nodes)
        return plain(tree, d, nodes, *a, **kw)

    globals()["node_bounds"] = counted
    package = U.certified_top

    def via_tree(u, cand, W, draw, k, sc, prefs, off, pool, linear, progress=None):
        return tree_top(u, cand, W, draw, k, sc, prefs, off, pool, linear, progress=progress)

    U.certified_top = via_tree
    t0 = time.perf_counter()
    a = rb.smaa_portfolios(p, args.draws, seed=1, method="wsm", k=args.k, score_uncertainty="triangular")
    t_tree = time.perf_counter() - t0
    U.certified_top = package
    t0 = time.perf_counter()
    b = rb.smaa_portfolios(p, args.draws, seed=1, method="wsm", k=args.k, score_uncertainty="triangular")
    t_caps = time.perf_counter() - t0
    cols = [f"rank_{i + 1}" for i in range(args.k)]
    ta, tb = a.table[cols].sort_index(), b.table[cols].sort_index()
    same = ta.index.equals(tb.index) and float(np.abs(ta.values - tb.values).max()) == 0.0
    print(f"{args.draws} draws, wsm, k = {args.k}: tree search {t_tree:.1f} s ({a.evaluated:.0f} combinations valued "
          f"exactly per draw), package caps {t_caps:.1f} s ({b.evaluated:.0f} per draw); same places: {same}")
    print("| level (prefix tools) | subtree bounds per draw | own bounds per draw |")
    print("|---|---|---|")
    for d in sorted({d for d, _ in counts}):
        print(f"| {d + 1} | {counts.get((d, 'subtree'), 0) / args.draws:,.0f} | "
              f"{counts.get((d, 'own'), 0) / args.draws:,.0f} |")
    if not same:
        raise SystemExit("the tree search differs from the package's exact method")


if __name__ == "__main__":
    main()
