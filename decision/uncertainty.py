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

import weakref
from collections.abc import Callable
from dataclasses import dataclass
from functools import cached_property

import numpy as np

from .dominance import count_dominators, skyband_mask
from .errors import DecisionError
from .portfolios import (TOLERANCE, Portfolios, fired_interactions, interaction_logs, paired_values, pool_parts,
                         portfolio_values, structural_candidates, value_masks)

PAIR_CHUNK = 65_536
"""(draw, combination) pairs valued exactly per step (memory: about 1 KB per pair)."""
BOUND_ELEMENTS = 24_000_000
"""Size of the (draws x combinations) bound matrix per chunk of draws."""
BOUND_MARGIN = 1e-9
"""Added to every cap on top of the float32 rounding bound (covers the float64 arithmetic that builds the caps)."""
TOP_CAPS = 0
"""Per draw, the combinations with the highest caps are valued first: with the seeds they set the threshold."""
BAND = 0.002
"""First band of the best-first valuation: pairs within this of their draw's highest cap (then twice as wide)."""
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

    @cached_property
    def inter_logs(self) -> tuple[np.ndarray, np.ndarray]:
        """(N x C) each: :func:`decision.portfolios.interaction_logs` of every combination, computed once."""
        return interaction_logs(self.fired, self.portfolios.setting.spec)


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
        talk = np.isin(np.array(cat.tool_ids), fl.strong_tool_excludes)    # a conversation alone never counts
        strong = np.flatnonzero((own >= fl.min_tool_change - TOLERANCE) & ~talk)
        acts = (bits & np.int64(sum(1 << int(t) for t in strong))) != 0 if len(strong) else np.zeros(len(bits), bool)
        ok &= (gain >= st.floor_points - TOLERANCE) & acts
    return ok


UNIVERSE_MEMO = 2
"""Score universes kept for reuse (each some 30 MB on the bundled catalogue): the briefing and the dashboard ask for
the same combinations' universe three times in a row (the "how sure" shares, then the tornado)."""
_UNIVERSES: dict[int, tuple] = {}


def score_universe(p: Portfolios) -> ScoreUniverse:
    """The combinations of ``p``'s scenario that are feasible in at least one draw of the changes, with their
    value boxes (see :class:`ScoreUniverse`). ``p`` is immutable, so the last :data:`UNIVERSE_MEMO` universes are
    kept, each with a weak reference to its ``p`` (a new object at a reused address is never mistaken for it)."""
    hit = _UNIVERSES.get(id(p))
    if hit is not None and hit[0]() is p:
        return hit[1]
    u = _score_universe(p)
    _UNIVERSES[id(p)] = (weakref.ref(p), u)
    while len(_UNIVERSES) > UNIVERSE_MEMO:
        _UNIVERSES.pop(next(iter(_UNIVERSES)))
    return u


def _score_universe(p: Portfolios) -> ScoreUniverse:
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

LOG_FLOOR = -40.0
"""Logs of shares that reach 1 are clamped here (see :class:`Caps`: the clamp keeps every cap valid)."""


def _log1m(x: np.ndarray) -> np.ndarray:
    with np.errstate(divide="ignore"):
        return np.maximum(np.log1p(-x), LOG_FLOOR)


@dataclass(frozen=True)
class Caps:
    """Per-draw caps on every candidate's scaled criterion values (and, for ``wsm``, its preference), each one
    matrix product over chunks of draws. The model, per criterion ``j`` and combination ``i`` (goodness
    ``q = 1 - e^a (1 - q0 e^b)``, ``a = log(1 - improvement pool)``, ``b = log(1 - harm pool)``):

    * ``a >= a_lb = sum_t [log(1 - k g_t) + min(0, phi(g_t) - theta_j)] + theta_j + inter`` over the members, with
      ``phi(g) = log(1 - g) - log(1 - k g)``: the strongest member counts fully (``phi`` of the largest share), and
      ``min_t phi_t >= theta + sum_t min(0, phi_t - theta)`` for any ``theta`` (exact when one member's share is
      above the level); the redundancy discount only raises ``a`` and is left out;
    * ``b <= b_ub = sum_t log(1 - k h_t) + phi(h_u) + R + inter`` with ``u`` the member with the largest harm at
      the point changes (the largest harm counts fully, and ``phi`` falls with the share) and ``R`` the redundancy
      discounts at their largest (each member's high harm, less the largest of them);
    * ``log(1 - q0 e^b)`` is concave and falls with ``b``: at least its chord ``alpha + beta b_ub`` over the range
      ``b_ub`` takes over all draws (all harms at their high / low ends);
    * so ``log(1 - q) >= z_lb = a_lb + alpha + beta b_ub``, and ``1 - q = e^z >= e^z*(1 + z - z*)`` (tangent at the
      point changes' ``z*``): ``q <= 1 - e^z*(1 + z_lb - z*)``, linear in per-tool features of the draw.

    ``const`` (N x C): everything fixed per combination; ``cols`` list of (criterion, kind, tool) feature columns;
    ``left_t`` (K x N) float32 coefficients (``absleft_t`` their absolute values); ``scale_a``/``scale_b`` (C,): the
    method's scaled value ``A + B q``. Logs of shares of 1 are clamped at :data:`LOG_FLOOR`: a clamped
    ``a_lb`` or ``b_ub`` then makes the tangent's cap above 1 (``a``) or the harm term vanish (``b``), so every
    cap stays above the exact value. float32 rounding is covered by an extra column (:meth:`wsm`)."""
    const: np.ndarray
    left_t: np.ndarray
    cols: tuple
    theta: np.ndarray
    scale_a: np.ndarray
    scale_b: np.ndarray
    kappa: float
    rho: float
    direction: np.ndarray
    span: np.ndarray
    absleft_t: np.ndarray

    def features(self, draws: np.ndarray) -> np.ndarray:
        """(K_feat x S) per-tool features of draws (S x T x C), one row per entry of ``cols``."""
        g = np.clip(draws * self.direction / self.span, -1.0, 1.0)
        gain, harm = np.clip(g, 0.0, 1.0), np.clip(-g, 0.0, 1.0)
        out = np.empty((len(self.cols), len(draws)))
        for n, (j, kind, t) in enumerate(self.cols):
            if kind == 0:
                x = gain[:, t, j]
                lk = np.log1p(-self.kappa * x)
                out[n] = lk + np.minimum(0.0, _log1m(x) - lk - self.theta[j])
            elif kind == 1:
                out[n] = np.log1p(-self.kappa * harm[:, t, j])
            elif kind == 2:
                x = harm[:, t, j]
                out[n] = _log1m(x) - np.log1p(-self.kappa * x)
            else:
                x = harm[:, t, j]
                out[n] = np.log1p(-self.kappa * self.rho * x) - np.log1p(-self.kappa * x)
        return out

    def wsm(self, draws: np.ndarray, W: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(S x N) float32 caps on the weighted-sum preference (effort cost subtracted) in each draw, and (N,) the
        bound on their float32 rounding over these draws, ``(K + 4) 2^-24 sum_k |left_k| max_s |right_ks|`` plus
        :data:`BOUND_MARGIN` (a combination's cap may be below its exact preference by at most that)."""
        F = self.features(draws)
        crit = np.array([j for j, _, _ in self.cols], dtype=int)
        right = np.vstack([W.T, np.ones((1, len(W))), F * W.T[crit]])
        K = right.shape[0]
        margin = (K + 4) * 2.0 ** -24 * 1.01 * (np.abs(right).max(1).astype(np.float32) @ self.absleft_t) + BOUND_MARGIN
        return right.T.astype(np.float32) @ self.left_t, margin.astype(float) * 1.01

    @cached_property
    def _per_criterion(self) -> list:
        """Per criterion: its feature rows, the (1 + K_j) x N float64 coefficients (the constant first) and each
        combination's float32 rounding allowance per unit of the largest feature, built once (not per chunk)."""
        C = len(self.scale_a)
        crit = np.array([j for j, _, _ in self.cols], dtype=int)
        out = []
        for j in range(C):
            here = np.flatnonzero(crit == j)
            lt = np.vstack([self.const[:, j][None], self.left_t[C + 1 + here].astype(float)])
            out.append((here, lt, (len(here) + 4) * 2.0 ** -24 * 1.01 * np.abs(lt).sum(0)))
        return out

    def criteria(self, draws: np.ndarray) -> np.ndarray:
        """(S x N x C) caps on each scaled criterion value (clipped to 1), for non-linear methods."""
        F = self.features(draws)
        out = np.empty((len(draws), len(self.const), len(self.scale_a)))
        for j, (here, lt, slack) in enumerate(self._per_criterion):
            right = np.vstack([np.ones((1, len(draws))), F[here]])
            cap = right.T @ lt                                          # S x N
            cap += np.abs(right).max(0)[:, None] * slack[None, :]
            cap += BOUND_MARGIN
            np.clip(cap, 0.0, 1.0, out=out[:, :, j])                    # exact values are clipped to 0-1 too
        return out


def score_caps(u: ScoreUniverse, rows: np.ndarray, scale: Callable, off: np.ndarray) -> Caps:
    """The caps of :class:`Caps` for combinations ``rows`` of ``u`` (``off``: their effort cost)."""
    p, st = u.portfolios, u.portfolios.setting
    spec, a = st.spec, st.adjusted
    span, d = spec.hi - spec.lo, spec.direction
    kap = spec.kappa
    idx, members = p.idx[rows].astype(np.intp), p.members[rows]
    N, (T, C) = len(rows), a.score.shape
    s_lo = np.minimum(a.low * d, a.high * d) / span                  # signed shares over each range
    s_hi = np.maximum(a.low * d, a.high * d) / span
    s_pt = a.score * d / span
    g_lo, g_hi, g_pt = (np.clip(x, 0, 1) for x in (s_lo, s_hi, s_pt))
    h_lo, h_hi, h_pt = (np.clip(-x, 0, 1) for x in (s_hi, s_lo, s_pt))
    pad = lambda x, fill=0.0: np.vstack([x, np.full((1, C), fill)])           # noqa: E731
    iota_g, iota_h = (x[rows] for x in u.inter_logs)                 # the interactions, as valued
    # theta: one level per criterion, the median over the rows of a level between the top and second shares
    gm = pad(g_pt)[idx]                                               # N x K x C point shares
    srt = -np.sort(-gm, axis=1)
    gamma = 0.5 * (srt[:, 0] + (srt[:, 1] if srt.shape[1] > 1 else 0.0))
    level = np.median(gamma, 0)
    theta = _log1m(level) - np.log1p(-kap * level)
    phi = lambda x: _log1m(x) - np.log1p(-kap * x)                             # noqa: E731
    fG = lambda x: np.log1p(-kap * x) + np.minimum(0.0, phi(x) - theta)        # noqa: E731
    # the designated harm top u (largest point harm among the members) and the redundancy bound R
    hm = pad(h_pt)[idx]
    slot = np.argmax(hm, axis=1)                                      # N x C
    u_t = np.take_along_axis(idx, slot, 1)                            # tool of the designated member (T: none)
    psi = lambda x: np.log1p(-kap * spec.rho * x) - np.log1p(-kap * x)        # noqa: E731
    behind = {}                       # tool -> (N x C): a group member counted behind the designated leader
    for g in spec.groups:
        held = members[:, g]                                          # N x |g|
        many = held.sum(1) >= 2
        if spec.rho == 1 or not many.any():
            continue
        lead = np.argmax(np.where(held[:, :, None], h_pt[g][None], -1.0), axis=1)       # N x C
        for n, t in enumerate(g):
            behind[int(t)] = (many & held[:, n])[:, None] & (lead != n)
    redund = lambda h: sum((behind[t] * psi(h)[t]) for t in behind) if behind else 0.0   # noqa: E731
    # b_ub over all draws: all harms at their high end (lowest) / low end (highest)
    def b_at(h):
        hp = pad(h)[idx]
        return (np.log1p(-kap * hp).sum(1) + np.take_along_axis(phi(hp), slot[:, None, :], 1)[:, 0]
                + redund(h) + iota_h)
    b_max = np.minimum(b_at(h_lo), 0.0)                              # b <= 0 always: the chord over
    b_min = np.minimum(b_at(h_hi), b_max)                            # [b_min, min(b_max, 0)] holds at b_ub too
    q0 = np.where(d > 0, spec.status_quo - spec.lo, spec.hi - spec.status_quo) / span
    with np.errstate(divide="ignore", invalid="ignore"):
        f = lambda b: np.log1p(-q0 * np.exp(b))                                 # noqa: E731
        f_min, f_max = f(b_min), f(b_max)
        wide = b_max - b_min > 1e-12
        beta = np.where(wide, (f_max - f_min) / np.where(wide, b_max - b_min, 1.0), 0.0)
        alpha = np.where(wide, f_min - beta * b_min, f_max)
    trivial = ~np.isfinite(f_max) | ~np.isfinite(f_min)              # status quo at the scale's end: cap at 1
    # tangent at the point changes
    q_pt = np.clip(np.where(d > 0, p.values[rows] - spec.lo, spec.hi - p.values[rows]) / span, 0.0, 1.0)
    with np.errstate(divide="ignore"):
        zs = np.clip(np.log1p(-q_pt), -30.0, 0.0)
    ez = np.exp(zs)
    # features that never vary are constants of the row
    vary_g = g_hi > g_lo
    vary_h = h_hi > h_lo
    fixed_g = pad(np.where(vary_g, 0.0, fG(g_pt)))[idx].sum(1)       # N x C
    fixed_h = pad(np.where(vary_h, 0.0, np.log1p(-kap * h_pt)))[idx].sum(1)
    fixed_d = np.where(u_t < T, np.where(vary_h, 0.0, phi(h_pt))[np.minimum(u_t, T - 1), np.arange(C)], 0.0)
    fixed_r = redund(np.where(vary_h, 0.0, h_pt)) if behind else 0.0
    z_const = theta + iota_g + fixed_g + alpha + beta * (fixed_h + fixed_d + fixed_r + iota_h)
    c_q = 1.0 - ez * (1.0 - zs) - ez * z_const
    probe = np.vstack([spec.lo, spec.hi])
    sv = scale(probe)
    scale_b = np.where(d > 0, sv[1] - sv[0], sv[0] - sv[1])          # scaled units per unit of goodness
    scale_a = np.where(d > 0, sv[0], sv[1])                          # scaled value at goodness 0
    kg, kh = -scale_b * ez, -scale_b * ez * beta                     # coefficients of the features (N x C)
    kg, kh = np.where(trivial, 0.0, kg), np.where(trivial, 0.0, kh)
    const = np.where(trivial, scale_a + scale_b, scale_a + scale_b * c_q)
    cols, left = _feature_columns(members, kg, kh, u_t, behind, vary_g, vary_h, const, off)
    return Caps(const=const, left_t=left, cols=tuple(cols), theta=theta, scale_a=scale_a, scale_b=scale_b,
                kappa=kap, rho=spec.rho, direction=d, span=span, absleft_t=np.abs(left))


def _feature_columns(members, kg, kh, u_t, behind, vary_g, vary_h, const, off) -> tuple[list, np.ndarray]:
    """The feature columns of :class:`Caps` (criterion, kind, tool) and the (C + 1 + K) x N float32 coefficients:
    the constants, the effort cost, then per column its factor on the rows it applies to (kind 0: improvement of a
    member; 1: harm of a member; 2: the designated largest harm; 3: a member behind its group's leader)."""
    N, C = kg.shape
    mT, kgT, khT = np.ascontiguousarray(members.T), np.ascontiguousarray(kg.T), np.ascontiguousarray(kh.T)
    uT = np.ascontiguousarray(u_t.T)
    cols, coef = [], []                                               # (criterion, kind, tool), (factor, rows)
    for j in range(C):
        for t in np.flatnonzero(vary_g[:, j]):
            cols.append((j, 0, int(t)))
            coef.append((kgT[j], mT[t]))
    for j in range(C):
        for t in np.flatnonzero(vary_h[:, j]):
            cols.append((j, 1, int(t)))
            coef.append((khT[j], mT[t]))
            here = uT[j] == t
            if here.any():
                cols.append((j, 2, int(t)))
                coef.append((khT[j], here))
            if int(t) in behind and behind[int(t)][:, j].any():
                cols.append((j, 3, int(t)))
                coef.append((khT[j], np.ascontiguousarray(behind[int(t)][:, j])))
    left = np.empty((C + 1 + len(cols), N), dtype=np.float32)       # stored transposed: caps = right.T @ left
    left[:C] = const.T
    left[C] = -np.asarray(off, float)
    for n, (factor, mask) in enumerate(coef):
        np.multiply(factor, mask, out=left[C + 1 + n], casting="unsafe")
    return cols, left


def value_pairs(u: ScoreUniverse, rows: np.ndarray, draws: np.ndarray, sample: np.ndarray,
                scale: Callable) -> tuple[np.ndarray, np.ndarray]:
    """Exact scaled values (P x C, clipped to 0-1) and feasibility (P,) of combinations ``rows`` of ``u`` in draws
    ``draws[sample]`` (one (draw, combination) pair per row), in chunks of :data:`PAIR_CHUNK` pairs."""
    p, st = u.portfolios, u.portfolios.setting
    X = np.empty((len(rows), len(p.criteria)))
    ok = np.ones(len(rows), dtype=bool)
    for i in range(0, len(rows), PAIR_CHUNK):
        r, s = rows[i:i + PAIR_CHUNK], sample[i:i + PAIR_CHUNK]
        gain, loss = u.inter_logs
        v, member = paired_values(p.idx[r], p.bits[r], draws, s, st.spec, inter=(gain[r], loss[r]))
        for m in value_masks(p.bits[r], v, st, idx=p.idx[r], score=member).values():
            ok[i:i + PAIR_CHUNK] &= m
        X[i:i + PAIR_CHUNK] = np.clip(scale(v), 0.0, 1.0)
    return X, ok


def _caps(b: Caps, draws: np.ndarray, Wc: np.ndarray, prefs: Callable, off: np.ndarray,
          linear: bool) -> tuple[np.ndarray, np.ndarray]:
    """(S x N) caps on every candidate's preference in each draw and (N,) their rounding allowance: a candidate
    can beat a value ``v`` in a draw only if its cap is at least ``v`` less the allowance."""
    if linear:
        return b.wsm(draws, Wc)
    caps = prefs(b.criteria(draws), Wc) - off[None, :]            # TOPSIS rises with every scaled criterion
    return caps, np.full(len(off), BOUND_MARGIN)


def certified_top(u: ScoreUniverse, rows: np.ndarray, W: np.ndarray, draw: Callable, k: int, scale: Callable,
                  prefs: Callable, off: np.ndarray, seed_pool: np.ndarray, linear: bool, n_seeds: int | None = None,
                  progress=None):
    """For each chunk of draws, yield ``(sample, row, R, n_capped)``: every (draw, combination) pair of ``rows``
    that can be in that draw's top ``k``, valued exactly, feasible in that draw, with its preference ``R``
    (rounded, effort cost subtracted) and the number of pairs valued. ``W`` (S x C): one weight vector per draw;
    ``draw(n)`` -> (n x T x C) tool changes; ``prefs(X, W)`` -> preferences (``X`` m x C or S x m x C);
    ``off`` (N,) effort cost of ``rows``; ``seed_pool`` positions in ``rows`` of surely feasible combinations among
    which the strongest at the point changes seed each draw's threshold; ``linear``: the method is a weighted sum."""
    b = score_caps(u, rows, scale, off)
    x0 = np.clip(scale(u.portfolios.values[rows]), 0.0, 1.0)
    m = min(len(seed_pool), n_seeds or max(6 * k, 64))
    per = 1 if linear else 2 * len(b.scale_a)                   # non-linear methods need per-criterion caps
    step = max(1, BOUND_ELEMENTS // max(1, len(rows) * per))
    for s0 in range(0, len(W), step):
        Wc = W[s0:s0 + step]
        n = len(Wc)
        Xs = draw(n)
        U0 = prefs(x0[seed_pool], Wc) - off[seed_pool][None, :]
        top = np.argpartition(-U0, m - 1, axis=1)[:, :m] if m < len(seed_pool) else np.tile(
            np.arange(len(seed_pool)), (n, 1))
        s_seed = np.repeat(np.arange(n), top.shape[1])
        r_seed = seed_pool[top.ravel()]
        caps, margin = _caps(b, Xs, Wc, prefs, off, linear)
        if 0 < TOP_CAPS < len(rows):                              # the highest caps seed the threshold too
            best = np.argpartition(-caps, TOP_CAPS - 1, axis=1)[:, :TOP_CAPS]
            key = np.unique(np.concatenate([s_seed * len(rows) + r_seed,
                                            np.repeat(np.arange(n), TOP_CAPS) * len(rows) + best.ravel()]))
            s_seed, r_seed = key // len(rows), key % len(rows)   # distinct pairs: the k-th best stays a lower bound
        X, ok = value_pairs(u, rows[r_seed], Xs, s_seed, scale)
        R = np.round(prefs(X[:, None, :], Wc[s_seed])[:, 0] - off[r_seed], 12)
        R = np.where(ok, R, -np.inf)
        tau = _kth_of_pairs(s_seed, R, n, k)
        caps += margin.astype(caps.dtype)[None, :]               # rounding allowance included (float32 or 64)
        s_loc, r_loc = np.nonzero(caps >= tau[:, None])
        cap = caps[s_loc, r_loc].astype(float)
        del caps
        s_v, r_v, R_v = _best_first(u, rows, Xs, Wc, s_loc, r_loc, cap, tau, k, scale, prefs, off,
                                    (s_seed, r_seed, R))
        keep = np.isfinite(R_v)
        yield s0 + s_v[keep], r_v[keep], R_v[keep], len(r_v) + len(s_seed)
        if progress:
            progress(min(s0 + step, len(W)), len(W))


def _best_first(u, rows, Xs, Wc, s_loc, r_loc, cap, tau, k, scale, prefs, off, known):
    """Value the (draw, combination) pairs whose cap reaches their draw's threshold, highest caps first, in bands
    (round ``r``: the pairs within ``BAND * 2^r`` of their draw's highest cap), raising each draw's threshold (its
    k-th best exact feasible value so far) after every round, until every pair left has a cap below its draw's
    threshold: such a pair holds no top-k place. ``known``: pairs already valued (their values are reused).
    Returns the valued pairs and their preferences (-inf where infeasible)."""
    n, N = len(Wc), len(rows)
    k_s, k_r, k_R = known
    key_known = k_s * N + k_r
    sort_known = np.argsort(key_known)
    key_known, val_known = key_known[sort_known], k_R[sort_known]
    best = _top_k_table(k_s, k_R, n, k)
    tau = np.maximum(tau, best[:, k - 1])
    top = np.full(n, -np.inf)
    np.maximum.at(top, s_loc, cap)
    out_s, out_r, out_R = [], [], []
    todo = np.ones(len(s_loc), dtype=bool)
    band = BAND
    while True:
        todo &= cap >= tau[s_loc]
        if not todo.any():
            break
        pos = np.flatnonzero(todo & (cap >= top[s_loc] - band))
        band *= 2
        if len(pos) == 0:
            continue
        todo[pos] = False
        s_b, r_b = s_loc[pos], r_loc[pos]
        key = s_b * N + r_b
        at = np.minimum(np.searchsorted(key_known, key), max(len(key_known) - 1, 0))
        seen = (key_known[at] == key) if len(key_known) else np.zeros(len(key), dtype=bool)
        R_b = np.empty(len(key))
        R_b[seen] = val_known[at[seen]]
        new = np.flatnonzero(~seen)
        if len(new):
            X, ok = value_pairs(u, rows[r_b[new]], Xs, s_b[new], scale)
            R_new = np.round(prefs(X[:, None, :], Wc[s_b[new]])[:, 0] - off[r_b[new]], 12)
            R_b[new] = np.where(ok, R_new, -np.inf)
            best = np.sort(np.hstack([best, _top_k_table(s_b[new], R_b[new], n, k)]), axis=1)[:, ::-1][:, :k]
            tau = np.maximum(tau, best[:, k - 1])
        out_s.append(s_b)
        out_r.append(r_b)
        out_R.append(R_b)
    if not out_s:
        return np.zeros(0, dtype=int), np.zeros(0, dtype=int), np.zeros(0)
    return np.concatenate(out_s), np.concatenate(out_r), np.concatenate(out_R)


def _top_k_table(sample: np.ndarray, R: np.ndarray, n: int, k: int) -> np.ndarray:
    """(n x k) the k largest ``R`` of each draw's pairs, largest first (-inf where a draw has fewer)."""
    order = np.lexsort((-R, sample))
    s, v = sample[order], R[order]
    start = np.searchsorted(s, np.arange(n))
    rank = np.arange(len(s)) - start[s]
    out = np.full((n, k), -np.inf)
    first = rank < k
    out[s[first], rank[first]] = v[first]
    return out


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
                prefs: Callable, off: np.ndarray, seed_pool: np.ndarray, linear: bool, progress=None,
                caps: Caps | None = None) -> float:
    """Total first-place share over the draws of combination ``row`` of ``u`` (ties split first place), exactly:
    in each draw it is valued with its feasibility; a strong seed that beats it settles the draw; otherwise every
    combination of ``rows`` whose cap reaches it is valued exactly. Arguments as :func:`certified_top`; ``row``
    must be among ``rows``; ``caps``: their :func:`score_caps` if already built."""
    pos = int(np.flatnonzero(rows == row)[0])
    b = caps if caps is not None else score_caps(u, rows, scale, off)
    x0 = np.clip(scale(u.portfolios.values[rows]), 0.0, 1.0)
    m = min(len(seed_pool), 64)
    per = 1 if linear else 2 * len(b.scale_a)
    step = max(1, BOUND_ELEMENTS // max(1, len(rows) * per))
    total = 0.0
    for s0 in range(0, len(W), step):
        Wc = W[s0:s0 + step]
        n = len(Wc)
        Xs = draw(n)
        X, ok = value_pairs(u, np.full(n, row), Xs, np.arange(n), scale)
        mine = np.where(ok, np.round(prefs(X[:, None, :], Wc)[:, 0] - off[pos], 12), np.nan)
        U0 = prefs(x0[seed_pool], Wc) - off[seed_pool][None, :]
        top = np.argpartition(-U0, m - 1, axis=1)[:, :m] if m < len(seed_pool) else np.tile(
            np.arange(len(seed_pool)), (n, 1))
        s_seed, r_seed = np.repeat(np.arange(n), top.shape[1]), seed_pool[top.ravel()]
        X, ok = value_pairs(u, rows[r_seed], Xs, s_seed, scale)
        R = np.round(prefs(X[:, None, :], Wc[s_seed])[:, 0] - off[r_seed], 12)
        beaten = np.zeros(n, dtype=bool)
        np.logical_or.at(beaten, s_seed, ok & (R > mine[s_seed]))
        open_ = np.flatnonzero(~beaten & ~np.isnan(mine))          # draws still to settle
        if len(open_):
            caps, margin = _caps(b, Xs[open_], Wc[open_], prefs, off, linear)
            s_loc, r_loc = np.nonzero(caps >= mine[open_][:, None] - margin[None, :])
            keep = r_loc != pos
            s_loc, r_loc = open_[s_loc[keep]], r_loc[keep]
            X, ok = value_pairs(u, rows[r_loc], Xs, s_loc, scale)
            R = np.round(prefs(X[:, None, :], Wc[s_loc])[:, 0] - off[r_loc], 12)
            better = np.zeros(n, dtype=int)
            tied = np.zeros(n, dtype=int)
            np.add.at(better, s_loc, ok & (R > mine[s_loc]))
            np.add.at(tied, s_loc, ok & (R == mine[s_loc]))
            won = open_[better[open_] == 0]
            total += float((1.0 / (1 + tied[won])).sum())
        if progress:
            progress(min(s0 + step, len(W)), len(W))
    return total
