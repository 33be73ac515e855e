"""Combinations of tools ("portfolios"): vectorised enumeration under constraints, and their criterion values.

A combination is stored two ways, both built without a Python loop per combination:

* ``idx``: an (N x K) matrix of tool indices padded with the sentinel ``T`` (number of tools), used to gather scores;
* ``bits``: an int64 bitmask per combination (bit t set = tool t present), used for constraints and interactions.

The value model (``docs/model.md``) starts from the **status quo**, "do nothing new": each criterion has a level in
the scenario (``status_quo``). Every tool is scored by what it *changes*: a signed number of points that, on its own,
moves the criterion toward the good end (an improvement: more rights protection, less escalation risk) or toward the
bad end (a harm). A change is read as a share of the room left: ``+4`` on rights protection closes 40% of the gap
between today's level and the top of the scale; ``-4`` on security continuity removes 40% of the continuity there
is. Per criterion and combination:

* improvements and harms are pooled separately, each with diminishing returns: the largest share counts fully and
  every further tool adds ``kappa * share`` (``kappa * rho * share`` if a stronger member of its redundancy group is
  present); an interaction that fires adds its own share (``effect``, scaled by a factor if ``scales_with``):
  ``pool = 1 - (1 - top) * prod(1 - kappa * s_j) * prod(1 - s_i)``;
* on the "goodness" position ``q`` (0 = worst end, 1 = best end of the scale) harms act first, then improvements:
  ``q = q0 * (1 - harm)``, then ``q = q + (1 - q) * improvement``;
* **no overclaiming** (``model.yaml`` ``quiet_cap``): a package that holds none of the cap's ``unless_any`` tools
  (public, verification, legal, economic or security measures: only quiet talk, enablers and promises) stays at or
  below the cap's level on its criterion: ``q = min(q, max(q_cap, q0))``, so it never falls below the status quo.

The empty combination keeps the status quo exactly; values never leave the scale; de-escalating tools lower risk.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field, fields, replace
from functools import cached_property
from typing import TYPE_CHECKING

import numpy as np

from .catalog import AccountabilityFloor, Catalog, Constraints, RedLine, Scenario, check_constraints
from .errors import DecisionError
from .scenario import AdjustedScores, adjust_scores

if TYPE_CHECKING:
    import pandas as pd

ENUMERATION_LIMIT = 3_000_000
"""Largest number of candidate combinations enumerated (memory grows ~60 bytes per candidate)."""
MAX_TOOLS_IN_CATALOG = 62
TOLERANCE = 1e-9


# ----------------------------------------------------------------------------------------------------------------
# Pure computation

@dataclass(frozen=True)
class ModelSpec:
    """Arrays derived once from a catalogue and a scenario for the vectorised value model."""
    direction: np.ndarray          # (C,) +1 benefit, -1 cost
    lo: np.ndarray                 # (C,) scale minimum
    hi: np.ndarray                 # (C,) scale maximum
    status_quo: np.ndarray         # (C,) levels when nothing new is done
    groups: tuple[np.ndarray, ...]  # tool indices of each redundancy group
    inter_a: np.ndarray            # (I,) int64 masks
    inter_b: np.ndarray            # (I,) int64 masks
    inter_without: np.ndarray      # (I,) bool
    inter_crit: np.ndarray         # (I,) criterion index
    inter_effect: np.ndarray       # (I,) points (already scaled by the scenario where ``scales_with`` is set)
    kappa: float
    rho: float
    cap_crit: int = -1             # criterion index of the quiet-package cap (-1: no cap)
    cap_q: float = 1.0             # the cap as a goodness position (0 worst end, 1 best end)
    cap_lift: int = 0              # int64 mask of the tools that lift the cap


def model_spec(catalog: Catalog, adjusted: AdjustedScores | None = None) -> ModelSpec:
    """The model's arrays for ``adjusted`` (scenario-adjusted scores; None: the default scenario)."""
    adjusted = adjusted if adjusted is not None else adjust_scores(catalog)
    tid = {t: i for i, t in enumerate(catalog.tool_ids)}
    cid = {c: j for j, c in enumerate(catalog.criterion_ids)}
    groups: dict[str, list[int]] = {}
    for i, t in enumerate(catalog.tools):
        if t.redundancy_group:
            groups.setdefault(t.redundancy_group, []).append(i)
    mask = lambda ids: sum(1 << tid[t] for t in set(ids))  # noqa: E731
    it = catalog.interactions
    factors = adjusted.scenario.factors
    scale = [factors[i.scales_with] / 5.0 if i.scales_with else 1.0 for i in it]
    lo, hi = catalog.bounds
    cap = catalog.model.quiet_cap
    cap_crit = cid[cap.criterion] if cap is not None else -1
    cap_q = 1.0
    if cap is not None:
        span = hi[cap_crit] - lo[cap_crit]
        cap_q = ((cap.level - lo[cap_crit]) if catalog.types[cap_crit] > 0 else (hi[cap_crit] - cap.level)) / span
    return ModelSpec(
        direction=catalog.types.astype(float),
        lo=lo, hi=hi, status_quo=np.asarray(adjusted.status_quo, dtype=float),
        groups=tuple(np.array(g) for _, g in sorted(groups.items()) if len(g) > 1),
        inter_a=np.array([mask(i.tools_a) for i in it], dtype=np.int64),
        inter_b=np.array([mask(i.tools_b) for i in it], dtype=np.int64),
        inter_without=np.array([i.condition == "without" for i in it], dtype=bool),
        inter_crit=np.array([cid[i.criterion] for i in it], dtype=int),
        inter_effect=np.array([i.effect * k for i, k in zip(it, scale)], dtype=float),
        kappa=catalog.model.complementarity,
        rho=catalog.model.redundancy_factor,
        cap_crit=cap_crit, cap_q=float(cap_q),
        cap_lift=mask(cap.unless_any) if cap is not None else 0,
    )


def enumerate_combinations(n_tools: int, max_size: int, *, min_size: int = 1, exclusive=(), forced_in=(),
                           unavailable=()) -> tuple[np.ndarray, np.ndarray]:
    """All subsets of ``range(n_tools)`` with ``min_size..max_size`` tools, holding every ``forced_in`` tool, none
    of ``unavailable`` and at most one tool of each ``exclusive`` group.

    Returns ``(idx, bits)``: an (N x max_size) int8 index matrix padded with ``n_tools`` and an (N,) int64 bitmask.
    Order: by number of tools, then lexicographic in tool order.
    """
    if n_tools > MAX_TOOLS_IN_CATALOG:
        raise DecisionError(f"{n_tools} tools: enumeration supports at most {MAX_TOOLS_IN_CATALOG}")
    forced = sorted(set(forced_in))
    conflict = np.zeros(n_tools, dtype=np.int64)  # conflict[t]: tools that cannot join t
    for g in exclusive:
        g = list(set(g))
        for t in g:
            for u in g:
                if u != t:
                    conflict[t] |= np.int64(1) << u
    for f in forced:
        clash = [u for u in forced if conflict[f] >> u & 1]
        if clash:
            raise DecisionError(f"forced-in tools {f} and {clash[0]} are mutually exclusive")
    blocked = set(unavailable) | set(forced)
    for f in forced:
        blocked |= {u for u in range(n_tools) if conflict[f] >> u & 1}
    free = np.array([t for t in range(n_tools) if t not in blocked], dtype=np.int64)
    k = max_size - len(forced)
    n_cand = candidate_count(len(free), k)
    if n_cand > ENUMERATION_LIMIT:
        raise DecisionError(
            f"max_tools={max_size} gives {n_cand:,} candidate combinations of {len(free)} selectable tools, above the "
            f"limit of {ENUMERATION_LIMIT:,}: lower max_tools to {largest_cap(len(free), len(forced))} or force "
            f"tools out")
    forced_bits = np.int64(sum(1 << f for f in forced))
    blocks_idx, blocks_bits = [], []
    cur_idx = np.zeros((1, 0), dtype=np.int8)         # local positions into `free` (int8: 8x less memory to touch)
    cur_bits = np.array([forced_bits], dtype=np.int64)
    free8 = free.astype(np.int8)
    for size in range(0, k + 1):
        if size > 0:
            cur_idx, cur_bits = _extend(cur_idx, cur_bits, free, conflict)
        if len(cur_idx) == 0:
            break
        if size + len(forced) >= min_size:
            block = np.full((len(cur_idx), max_size), n_tools, dtype=np.int8)      # padded with n_tools
            block[:, :len(forced)] = np.array(forced, dtype=np.int8)
            block[:, len(forced):len(forced) + size] = free8[cur_idx]
            blocks_idx.append(block)
            blocks_bits.append(cur_bits)
    if not blocks_idx:
        return np.zeros((0, max_size), dtype=np.int8), np.zeros(0, dtype=np.int64)
    return np.vstack(blocks_idx), np.concatenate(blocks_bits)


def _extend(idx: np.ndarray, bits: np.ndarray, free: np.ndarray, conflict: np.ndarray):
    """Append one more free tool (greater position than the last) to every combination; drop exclusive clashes."""
    n, s = idx.shape
    last = idx[:, -1].astype(np.int64) if s else np.full(n, -1)
    cnt = len(free) - 1 - last
    total = int(cnt.sum())
    rows = np.repeat(np.arange(n), cnt)
    new = np.repeat(last + 1, cnt) + (np.arange(total) - np.repeat(np.cumsum(cnt) - cnt, cnt))
    tool = free[new]
    parent_bits = bits[rows]
    ok = (parent_bits & conflict[tool]) == 0
    rows, new, tool = rows[ok], new[ok], tool[ok]
    out_bits = parent_bits[ok] | (np.int64(1) << tool)
    out = np.empty((len(rows), s + 1), dtype=idx.dtype)
    out[:, :s] = idx[rows]
    out[:, s] = new
    return out, out_bits


def candidate_count(n_free: int, k: int) -> int:
    return sum(math.comb(n_free, s) for s in range(0, min(max(k, -1), n_free) + 1))  # none larger than n_free


def largest_cap(n_free: int, n_forced: int) -> int:
    k = 0
    while k < n_free and candidate_count(n_free, k + 1) <= ENUMERATION_LIMIT:
        k += 1
    return k + n_forced


def has_any(bits: np.ndarray, mask) -> np.ndarray:
    return (bits & np.int64(mask)) != 0


def fired_interactions(bits: np.ndarray, spec: ModelSpec) -> np.ndarray:
    """(N x I) bool: the interactions that fire in each combination (they depend on the tools held, not on scores)."""
    fired = np.zeros((len(bits), len(spec.inter_effect)), dtype=bool)
    for i in range(len(spec.inter_effect)):                      # a loop over interaction rows, not combinations
        a = has_any(bits, spec.inter_a[i])
        b = has_any(bits, spec.inter_b[i])
        fired[:, i] = a & ~b if spec.inter_without[i] else a & b
    return fired


def quiet_packages(bits: np.ndarray, spec: ModelSpec) -> np.ndarray:
    """(N,) bool: the combinations the quiet-package cap binds (none of its ``unless_any`` tools; False everywhere
    when the catalogue has no cap)."""
    if spec.cap_crit < 0:
        return np.zeros(len(bits), dtype=bool)
    return ~has_any(bits, spec.cap_lift)


def interaction_logs(fired: np.ndarray, spec: ModelSpec) -> tuple[np.ndarray, np.ndarray]:
    """(N x C) each, the logs of what the fired interactions (N x I) leave of the improvement and the harm pool."""
    C, span = len(spec.lo), spec.hi - spec.lo
    inter_good = spec.inter_effect * spec.direction[spec.inter_crit] / span[spec.inter_crit]
    log_gain, log_loss = np.zeros((C, len(inter_good))), np.zeros((C, len(inter_good)))
    log_gain[spec.inter_crit, np.arange(len(inter_good))] = np.log1p(-np.clip(inter_good, 0.0, 1.0 - 1e-12))
    log_loss[spec.inter_crit, np.arange(len(inter_good))] = np.log1p(-np.clip(-inter_good, 0.0, 1.0 - 1e-12))
    as_float = fired.astype(float)                             # once: a copy of N x I numbers
    return as_float @ log_gain.T, as_float @ log_loss.T


def portfolio_values(idx: np.ndarray, bits: np.ndarray, score: np.ndarray, spec: ModelSpec,
                     with_fired: bool = False, paired: bool = False):
    """Criterion values (N x C, on each criterion's scale) of the combinations ``idx``/``bits`` given scenario-
    adjusted tool changes ``score`` (T x C). ``score`` may also be a stack of S samples (S x T x C); the values
    are then (S x N x C). With ``paired=True`` the stack holds one score matrix per combination (N x T x C: row i
    values combination i, as for (draw, combination) pairs) and the values are (N x C). With ``with_fired`` also
    return the (N x I) bool matrix of interactions that fired. Packages of quiet tools alone are held at the quiet
    cap (module doc)."""
    better, harm, fired = pool_parts(idx, bits, score, spec, paired)
    span = spec.hi - spec.lo
    q0 = np.where(spec.direction > 0, spec.status_quo - spec.lo, spec.hi - spec.status_quo) / span
    q = q0 * (1.0 - harm)
    q = q + (1.0 - q) * better
    if spec.cap_crit >= 0:                                    # no overclaiming: quiet packages held at the cap
        c = spec.cap_crit
        q[..., c] = np.where(quiet_packages(bits, spec), np.minimum(q[..., c], max(spec.cap_q, q0[c])), q[..., c])
    values = np.where(spec.direction > 0, spec.lo + q * span, spec.hi - q * span)
    np.clip(values, spec.lo, spec.hi, out=values)
    values = values if (score.ndim == 3 and not paired) else values[0]
    return (values, fired) if with_fired else values


def pool_parts(idx: np.ndarray, bits: np.ndarray, score: np.ndarray, spec: ModelSpec, paired: bool = False):
    """The two pools of :func:`portfolio_values` before they meet the status quo: ``better`` (improvements) and
    ``harm`` (harms), each (S x N x C) in shares of the room (S = 1 for one score matrix or ``paired``), and the
    (N x I) fired interactions. The goodness position is ``q = 1 - (1 - q0 (1 - harm)) (1 - better)``."""
    sc = score if score.ndim == 3 else score[None]
    span = spec.hi - spec.lo
    good = sc * spec.direction / span                           # signed shares, + = toward the good end
    gain = np.clip(good, 0.0, 1.0)                              # (S, T, C)
    loss = np.clip(-good, 0.0, 1.0)
    n_crit = sc.shape[2]
    slots, axis = _slots(idx, paired)                           # index once, not once per gather
    single = len(sc) == 1 and not paired
    held = _groups_shared(bits, spec) if single else _group_members_held(bits, spec)
    fired = fired_interactions(bits, spec)
    inter_gain, inter_loss = interaction_logs(fired, spec)       # (N, C) log of what interactions leave
    n_rows = 1 if paired else len(sc)
    better, harm = np.empty((n_rows, len(bits), n_crit)), np.empty((n_rows, len(bits), n_crit))
    for c in range(n_crit):
        harm[:, :, c] = _pool(loss[:, :, c], slots, axis, held, spec, inter_loss[:, c], paired)
        better[:, :, c] = _pool(gain[:, :, c], slots, axis, held, spec, inter_gain[:, c], paired)
    return better, harm, fired


def paired_values(idx: np.ndarray, bits: np.ndarray, draws: np.ndarray, sample: np.ndarray, spec: ModelSpec,
                  fired: np.ndarray | None = None, inter: tuple | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Criterion values (P x C) of P (draw, combination) pairs: combination ``idx[i]``/``bits[i]`` under the tool
    changes ``draws[sample[i]]`` (``draws``: S x T x C). Same arithmetic as :func:`portfolio_values`, on each pair's
    own tools only. ``fired``: the pairs' (P x I) fired interactions if known; ``inter``: their
    :func:`interaction_logs` if known (they depend on the tools held, not on the draw). Also returns the members' own
    changes (P x K x C; padding slots NaN), which the accountability floor's strong-tool test reads."""
    S, T, C = draws.shape
    idx = idx.astype(np.intp)
    ext = np.concatenate([draws, np.full((S, 1, C), np.nan)], axis=1)
    flat = sample[:, None] * (T + 1) + idx                       # (P, K) rows of the per-draw tables below
    member = ext.reshape(-1, C)[flat]                            # (P, K, C)
    flat_t = np.ascontiguousarray(flat.T)                        # (K, P): reductions over members run row-wise
    span = spec.hi - spec.lo
    # per (draw, tool) tables, each log taken once per chunk of draws rather than once per pair (same numbers as
    # the per-pair arithmetic: every pair reads the very values it would compute, sums run in the same order)
    good = np.nan_to_num(ext * spec.direction / span).reshape(-1, C)
    tables = (np.clip(-good, 0.0, 1.0), np.clip(good, 0.0, 1.0))  # harm shares, improvement shares
    held = _group_members_held(bits, spec)
    several = [np.flatnonzero(h.sum(1) >= 2) for h in held]
    if inter is None:
        inter = interaction_logs(fired_interactions(bits, spec) if fired is None else fired, spec)
    inter_gain, inter_loss = inter
    q0 = np.where(spec.direction > 0, spec.status_quo - spec.lo, spec.hi - spec.status_quo) / span
    quiet = quiet_packages(bits, spec)
    values = np.empty((len(bits), C))
    for c in range(C):
        pools = []
        for tab, inter, side in ((tables[0], inter_loss[:, c], -1.0), (tables[1], inter_gain[:, c], 1.0)):
            if not (side * draws[:, :, c] * spec.direction[c] > 0).any():   # as portfolio_values does
                pools.append(-np.expm1(inter))
                continue
            sh = np.ascontiguousarray(tab[:, c])
            logs = np.log1p(-spec.kappa * sh)
            top = sh[flat_t].max(0)
            logsum = logs[flat_t].sum(0) - np.log1p(-spec.kappa * top)
            if any(len(some) for some in several):
                adj_tab = np.log1p(-spec.kappa * spec.rho * sh) - logs
            for g, here, some in zip(spec.groups, held, several):     # only pairs holding 2+ members
                if len(some) == 0:
                    continue
                at = sample[some, None] * (T + 1) + g[None, :]
                gs = sh[at]
                lead = np.where(here[some], gs, -np.inf).argmax(1)
                adj_g = adj_tab[at]
                for j in range(len(g)):
                    mask = here[some, j] & (lead != j)
                    logsum[some] += mask * adj_g[:, j]
            pools.append(1.0 - (1.0 - top) * np.exp(logsum + inter))
        harm, better = pools
        q = q0[c] * (1.0 - harm)
        q = q + (1.0 - q) * better
        if c == spec.cap_crit:
            q = np.where(quiet, np.minimum(q, max(spec.cap_q, q0[c])), q)
        values[:, c] = spec.lo[c] + q * span[c] if spec.direction[c] > 0 else spec.hi[c] - q * span[c]
    np.clip(values, spec.lo, spec.hi, out=values)
    return values, member


def package_values(st: Setting, packages) -> np.ndarray:
    """(N x C) criterion values of arbitrary packages (each a sequence of tool ids; feasible or not) in the scenario
    of ``st``. The empty package has the status quo's values."""
    cat = st.catalog
    packages = [list(dict.fromkeys(p)) for p in packages]
    T = len(cat.tools)
    width = max([len(p) for p in packages] + [1])
    idx = np.full((len(packages), width), T, dtype=np.int64)
    bits = np.zeros(len(packages), dtype=np.int64)
    for n, p in enumerate(packages):
        ti = [cat.tool_index(t) for t in p]
        idx[n, :len(ti)] = ti
        bits[n] = sum(1 << t for t in ti)
    return portfolio_values(idx, bits, st.adjusted.score, st.spec)


def _pool(share: np.ndarray, slots: np.ndarray, axis: int, held: list, spec: ModelSpec, inter_log: np.ndarray,
          paired: bool = False) -> np.ndarray:
    """(S, N) combined share of one pool (improvements or harms) on one criterion: the largest share counts fully,
    every other tool ``kappa * share`` (``kappa * rho * share`` behind a stronger member of its redundancy group),
    each fired interaction its own share (``inter_log`` holds the log of what they leave, per combination).
    ``slots``, ``axis``: from :func:`_slots`; ``held``: :func:`_groups_shared` for one score set (S = 1, not
    paired), else :func:`_group_members_held`. ``paired``: ``share`` is (N, T), row i for combination i; the result
    is (1, N)."""
    n = len(inter_log)
    if not share.any():                                          # no tool acts in this pool: interactions only
        return np.broadcast_to(-np.expm1(inter_log)[None, :], (1 if paired else len(share), n))
    top = _gather(share, slots, 0.0, paired).max(axis)
    lf = np.log1p(-spec.kappa * share)
    logsum = _gather(lf, slots, 0.0, paired).sum(axis) - np.log1p(-spec.kappa * top)
    if len(share) == 1 and not paired:
        for t, rows in _redundant_rows(held, share[0]):
            logsum[0, rows] += np.log1p(-spec.kappa * spec.rho * share[0, t]) - lf[0, t]
    else:
        for t, mask in _redundant(held, share, spec, paired):
            adj = np.log1p(-spec.kappa * spec.rho * share[:, t]) - lf[:, t]
            logsum += mask * (adj[None, :] if paired else adj[:, None])
    return 1.0 - (1.0 - top) * np.exp(logsum + inter_log[None, :])


SLOT_MAJOR_MAX = 7
"""numpy adds up to 7 numbers along a row one after the other (from 8 on, in pairwise blocks): the order in which it
adds the K rows of a (K x N) array. So for combinations of up to 7 tools, the tools' numbers are gathered slot-major
(K x N) and the max and the sum over a combination's tools run along the combinations (K passes over N numbers
instead of N passes over K): the very same sums, several times faster. Above 7 tools, and in the paired valuation,
the gather stays combination-major (N x K). tests/test_portfolios.py checks that both layouts give the same bits."""


def _slots(idx: np.ndarray, paired: bool = False) -> tuple[np.ndarray, int]:
    """The tool index of each slot of each combination as :func:`_gather` takes it, and the axis of the slots in the
    gathered array: ``(K x N, 1)`` slot-major where that gives numpy's own sums (:data:`SLOT_MAJOR_MAX`), else
    ``(N x K, 2)``."""
    if paired or idx.shape[1] > SLOT_MAJOR_MAX:
        return idx.astype(np.intp), 2
    return np.ascontiguousarray(idx.T, dtype=np.intp), 1


def _gather(xc: np.ndarray, idx: np.ndarray, fill: float, paired: bool = False) -> np.ndarray:
    """(S, N, K) scores of the tools in each combination (``idx`` N x K; (S, K, N) for slot-major ``idx`` K x N from
    :func:`_slots`); padding slots get ``fill``. ``paired``: ``xc`` is (N, T) with row i for combination i, ``idx``
    is N x K and the result (1, N, K)."""
    ext = np.concatenate([xc, np.full((len(xc), 1), fill)], axis=1)
    return np.take_along_axis(ext, idx, axis=1)[None] if paired else np.take(ext, idx, axis=1)


def tool_sums(per_tool: np.ndarray, idx: np.ndarray) -> np.ndarray:
    """(N,) the sum of ``per_tool`` (T,) over the tools of each combination ``idx`` (N x K, padded with T): total
    effort, for one. Summed in slot order, as ``per_tool[idx].sum(1)`` would (:data:`SLOT_MAJOR_MAX`), one slot at a
    time: no K x N array of gathered numbers (30 MB for the 621,615 candidates of the bundled catalogue)."""
    table = np.append(np.asarray(per_tool, dtype=float), 0.0)          # the padding slot adds 0
    if idx.shape[1] > SLOT_MAJOR_MAX:
        return table[idx.astype(np.intp)].sum(1)
    out = table[idx[:, 0]]
    for k in range(1, idx.shape[1]):
        out += table[idx[:, k]]
    return out


def _group_members_held(bits, spec: ModelSpec) -> list:
    """Per redundancy group, (N x |group|) bool: which of its members each combination holds."""
    if spec.rho == 1:
        return []
    return [np.stack([has_any(bits, np.int64(1) << int(t)) for t in g], axis=1) for g in spec.groups]


def _groups_shared(bits, spec: ModelSpec) -> list:
    """Per redundancy group, ``(members, rows, here)``: the combinations (rows) that hold two or more of its members,
    the only ones a redundancy discount can touch, and which members each of them holds (len(rows) x |group|)."""
    out = []
    for g, here in zip(spec.groups, _group_members_held(bits, spec)):
        rows = np.flatnonzero(here.sum(1) >= 2)
        out.append((g, rows, here[rows]))
    return out


def _redundant_rows(shared: list, share: np.ndarray) -> list:
    """``(tool, rows)`` pairs for one score set ``share`` (T,): the combinations in which ``tool`` sits behind a
    member of its redundancy group that scores higher (ties: the member listed first in the catalogue leads), from
    :func:`_groups_shared`. Each group's members are walked best first, and a combination holding three members gets
    its two discounts in that order (as the valuation of one score set always added them)."""
    out = []
    for g, rows, here in shared:
        seen = np.zeros(len(rows), dtype=bool)
        for j in np.argsort(-share[g], kind="stable"):
            out.append((int(g[j]), rows[here[:, j] & seen]))
            seen |= here[:, j]
    return out


def _redundant(held: list, xc: np.ndarray, spec: ModelSpec, paired: bool = False) -> list:
    """``(tool, mask)`` pairs: mask (S x N) marks combinations holding the tool together with a member of its
    redundancy group that scores higher on this criterion (ties: the member listed first in the catalogue leads).
    Loops over group members, not combinations. ``paired``: ``xc`` is (N, T), row i for combination i."""
    out = []
    for g, here in zip(spec.groups, held):                 # tool indices in catalogue order; here: (N, |g|)
        if paired:
            lead = np.where(here, xc[:, g], -np.inf).argmax(1)                             # (N,)
            out += [(int(t), (here[:, j] & (lead != j))[None]) for j, t in enumerate(g)]
        else:                                               # S score sets (one set: _redundant_rows)
            lead = np.where(here[None], xc[:, g][:, None, :], -np.inf).argmax(2)           # (S, N)
            out += [(int(t), here[None, :, j] & (lead != j)) for j, t in enumerate(g)]
    return out


def prerequisites_met(bits: np.ndarray, prerequisites) -> np.ndarray:
    """(N,) bool: every tool present has at least one of its prerequisites. ``prerequisites``: (tool bit index,
    mask of options) pairs."""
    ok = np.ones(len(bits), dtype=bool)
    for t, options in prerequisites:
        ok &= ~has_any(bits, np.int64(1) << t) | has_any(bits, options)
    return ok


def ladder_respected(bits: np.ndarray, rungs: np.ndarray, from_rung: int, gap: int) -> np.ndarray:
    """(N,) bool: every tool on rung >= ``from_rung`` is accompanied by a tool on rungs 1..(its rung - gap)."""
    top = int(rungs.max(initial=0))
    rung_mask = [np.int64(sum(1 << int(t) for t in np.where(rungs == r)[0])) for r in range(top + 1)]
    n = len(bits)
    lowest_any = np.full(n, 99)       # lowest non-zero rung present
    lowest_high = np.full(n, 99)      # lowest rung >= from_rung present
    for r in range(top, 0, -1):
        here = has_any(bits, rung_mask[r])
        lowest_any[here] = r
        if r >= from_rung:
            lowest_high[here] = r
    return (lowest_high == 99) | (lowest_any <= lowest_high - gap)


# ----------------------------------------------------------------------------------------------------------------
# The problem: constraints, obligations, floor and capacity resolved for one scenario

@dataclass(frozen=True)
class Setting:
    """Everything that decides feasibility in one scenario, resolved once: constraints with overrides, scenario-adjusted
    changes, the model's arrays, mandatory tools (tool -> obligations), tools out in this scenario (tool -> reason:
    over a red line on their own, or missing a finding they need), the accountability floor in points (None: off)
    and the effort capacity (None: none)."""
    catalog: Catalog
    constraints: Constraints
    adjusted: AdjustedScores
    spec: ModelSpec
    mandatory: dict = field(default_factory=dict)
    tool_exclusions: dict = field(default_factory=dict)
    floor_points: float | None = None
    capacity: float | None = None

    @property
    def scenario(self) -> Scenario:
        return self.adjusted.scenario

    def floor_text(self) -> str:
        """The accountability floor in words (empty if off)."""
        fl = self.constraints.floor
        if self.floor_points is None or fl is None:
            return ""
        crit = self.catalog.criterion(fl.criterion).name.lower()
        factors = ", ".join(f"{self.catalog_factor_name(f)} {self.scenario.factors[f]:g}/10" for f, _ in fl.per_point)
        talk = " (a conversation alone does not count)" if fl.strong_tool_excludes else ""
        return (f"Every recommendation must raise {crit} by at least {self.floor_points:.1f} points over doing nothing "
                f"new (set by {factors or 'the analyst'}) and hold at least one tool that on its own changes it by "
                f"{fl.min_tool_change:g} points or more{talk}.")

    def catalog_factor_name(self, fid: str) -> str:
        return next((f.name.lower() for f in self.catalog.factors if f.id == fid), fid)


@dataclass(frozen=True)
class Overrides:
    """An analyst's changes to a catalogue's constraints, as the command line's flags and the dashboard's controls set
    them (both build this, so the same choice gives the same feasible set). ``None`` everywhere means "the
    catalogue's". ``floor``: False switches the accountability floor off, True keeps it on; ``floor_points``: its
    points (a fixed floor on the catalogue's floor criterion, or on the first criterion when the catalogue has no
    floor); ``capacity``: the effort capacity; ``obligations``: False switches legal obligations off;
    ``forced_in``/``forced_out``: tool ids; ``red_lines``: :class:`RedLine` s (or ``(criterion, min, max)``) that
    replace the catalogue's; ``max_tools``: the cap on tools (an explicit ``max_tools`` argument wins)."""
    floor: bool | None = None
    floor_points: float | None = None
    capacity: float | None = None
    obligations: bool | None = None
    forced_in: tuple[str, ...] | None = None
    forced_out: tuple[str, ...] | None = None
    red_lines: tuple | None = None
    max_tools: int | None = None

    def __post_init__(self):
        if self.floor is False and self.floor_points is not None:
            raise DecisionError("give either floor points or no floor, not both")
        if self.floor_points is not None and not 0 <= self.floor_points <= 10:
            raise DecisionError(f"floor points must be between 0 and 10, got {self.floor_points:g}")
        if self.capacity is not None and not 0 < self.capacity <= 1000:
            raise DecisionError(f"capacity must be a positive number of effort units, got {self.capacity:g}")

    def as_dict(self) -> dict:
        """The :class:`Constraints` fields these override (what :func:`resolve_constraints` applies)."""
        out: dict = {}
        for key in ("forced_in", "forced_out"):
            if getattr(self, key) is not None:
                out[key] = list(getattr(self, key))
        if self.red_lines is not None:
            out["red_lines"] = [r if isinstance(r, RedLine) else
                                {"criterion": r[0], **({"min": r[1]} if r[1] is not None else {}),
                                 **({"max": r[2]} if r[2] is not None else {})} for r in self.red_lines]
        if self.floor is False:
            out["floor"] = {"enabled": False}
        elif self.floor_points is not None:
            out["floor"] = {"enabled": True, "base": float(self.floor_points), "per_point": (), "minimum": 0.0,
                            "maximum": 10.0}
        if self.capacity is not None:
            out["capacity_override"] = float(self.capacity)
        if self.obligations is False:
            out["obligations_enabled"] = False
        return out


def resolve_constraints(catalog: Catalog, max_tools: int | None = None,
                        constraints: Constraints | Overrides | dict | None = None) -> Constraints:
    """The catalogue's constraints with overrides (:class:`Overrides`, a dict of Constraints fields, or a full
    Constraints). A floor switched on where the catalogue has none applies to the first criterion and asks for no
    strong tool (``min_tool_change`` 0)."""
    cons = catalog.constraints
    if isinstance(constraints, Overrides):
        max_tools = constraints.max_tools if max_tools is None else max_tools
        constraints = constraints.as_dict()
    if isinstance(constraints, Constraints):
        cons = constraints
    elif constraints:
        names = {f.name for f in fields(Constraints)}
        bad = [k for k in constraints if k not in names]
        if bad:
            raise DecisionError(f"unknown constraint '{bad[0]}'; known: {', '.join(sorted(names))}")
        conv = dict(constraints)
        for key in ("forced_in", "forced_out", "excluded_by_premise", "allow_over_red_lines"):
            if key in conv:
                conv[key] = tuple(conv[key])
        if "red_lines" in conv:
            conv["red_lines"] = tuple(r if isinstance(r, RedLine) else RedLine(**r) for r in conv["red_lines"])
        if isinstance(conv.get("floor"), dict):
            if cons.floor is None and conv["floor"].get("enabled", True) is False:
                conv["floor"] = None                 # switching off a floor the catalogue does not have
            elif cons.floor:
                conv["floor"] = replace(cons.floor, **conv["floor"])
            else:
                conv["floor"] = AccountabilityFloor(**{"criterion": catalog.criterion_ids[0], "min_tool_change": 0.0,
                                                       **conv["floor"]})
        cons = replace(cons, **conv)
    if max_tools is not None:
        if not isinstance(max_tools, (int, np.integer)) or max_tools < 1:
            raise DecisionError(f"max_tools must be a whole number >= 1, got {max_tools!r}")
        cons = replace(cons, max_tools=int(max_tools), min_tools=min(cons.min_tools, int(max_tools)))
    for key in ("forced_in", "forced_out"):
        for t in getattr(cons, key):
            catalog.tool_index(t)
            if key == "forced_in" and t in cons.excluded_by_premise:
                raise DecisionError(f"'{t}' is excluded by the premise (constraints.yaml) and cannot be forced in")
    both = set(cons.forced_in) & set(cons.forced_out)
    if both:
        raise DecisionError(f"'{sorted(both)[0]}' is both forced in and forced out")
    for rl in cons.red_lines:
        catalog.criterion(rl.criterion)
    if cons.effort_capacity is not None and not cons.effort_capacity > 0:
        raise DecisionError(f"effort capacity must be positive, got {cons.effort_capacity!r}")
    check_constraints(cons, catalog.tool_ids)
    return cons


def _over_red_line(values: np.ndarray, catalog: Catalog, cons: Constraints) -> np.ndarray:
    """(N,) bool: values outside any red line."""
    bad = np.zeros(len(values), dtype=bool)
    for rl in cons.red_lines:
        j = catalog.criterion_ids.index(rl.criterion)
        if rl.max is not None:
            bad |= values[:, j] > rl.max + TOLERANCE
        if rl.min is not None:
            bad |= values[:, j] < rl.min - TOLERANCE
    return bad


def setting(catalog: Catalog, scenario=None, max_tools: int | None = None,
            constraints: Constraints | Overrides | dict | None = None, horizon: float | None = None) -> Setting:
    """Resolve the problem for one scenario (see :class:`Setting`)."""
    cons = resolve_constraints(catalog, max_tools, constraints)
    adjusted = adjust_scores(catalog, scenario, horizon)
    spec = model_spec(catalog, adjusted)
    sc = adjusted.scenario
    mandatory: dict[str, list[str]] = {}
    if cons.obligations_enabled:
        for ob in cons.obligations:
            if ob.applies(sc):
                for t in ob.tools:
                    if t in cons.forced_out:
                        raise DecisionError(f"'{t}' is mandatory in scenario '{sc.id}' ({ob.name}) and cannot be "
                                            "forced out; switch legal obligations off to explore without it")
                    mandatory.setdefault(t, []).append(ob.id)
    excluded: dict[str, str] = {}
    for av in cons.available_when:
        missing = av.missing(sc)
        if missing and av.tool not in mandatory and av.tool not in cons.forced_in:
            excluded[av.tool] = f"it needs {' and '.join(missing)}, which scenario '{sc.id}' does not meet"
    if cons.tool_red_lines and cons.red_lines:
        T = len(catalog.tools)
        alone = portfolio_values(np.arange(T)[:, None], np.int64(1) << np.arange(T, dtype=np.int64),
                                 adjusted.score, spec)
        for t in np.flatnonzero(_over_red_line(alone, catalog, cons)):
            tid = catalog.tools[t].id
            if tid in cons.allow_over_red_lines or tid in cons.excluded_by_premise:
                continue
            if tid in mandatory or tid in cons.forced_in or tid in excluded:
                continue
            broken = [rl.criterion for rl in cons.red_lines
                      if _over_red_line(alone[t:t + 1], catalog, replace(cons, red_lines=(rl,)))[0]]
            excluded[tid] = "on its own it breaks the red line on " + " and ".join(broken)
    floor = cons.floor.points(sc.factors) if cons.floor is not None and cons.floor.enabled else None
    return Setting(catalog, cons, adjusted, spec, {t: tuple(v) for t, v in mandatory.items()}, excluded, floor,
                   cons.capacity(sc))


def strong_tools(st: Setting) -> np.ndarray:
    """Indices of the tools that meet the floor's strong-tool clause on their own in the scenario: a change of at least
    ``min_tool_change`` on the floor's criterion, and not listed in ``strong_tool_excludes`` (conversations)."""
    fl = st.constraints.floor
    j = st.catalog.criterion_ids.index(fl.criterion)
    ok = st.adjusted.score[:, j] * st.spec.direction[j] >= fl.min_tool_change - TOLERANCE
    ok &= ~np.isin(np.array(st.catalog.tool_ids), fl.strong_tool_excludes)
    return np.flatnonzero(ok)


def _floor_met(values: np.ndarray, bits: np.ndarray, st: Setting, idx=None, score=None) -> np.ndarray:
    """The accountability floor: the gain on its criterion and one strong tool. ``score``: the members' own changes
    that decide which tools are strong (None: the point changes; or N x K x C, padding NaN)."""
    fl = st.constraints.floor
    j = st.catalog.criterion_ids.index(fl.criterion)
    gain = (values[:, j] - st.adjusted.status_quo[j]) * st.spec.direction[j]
    if score is not None:                                # each pair's members' own drawn changes (P x K x C)
        own = np.nan_to_num(score[:, :, j] * st.spec.direction[j], nan=-np.inf)
        talk = np.isin(idx, [st.catalog.tool_index(t) for t in fl.strong_tool_excludes])
        own = np.where(talk, -np.inf, own)                  # a conversation alone does not count
        acts = (own >= fl.min_tool_change - TOLERANCE).any(1)
        return (gain >= st.floor_points - TOLERANCE) & acts
    strong = strong_tools(st)
    acts = has_any(bits, np.int64(sum(1 << int(t) for t in strong))) if len(strong) else np.zeros(len(bits), bool)
    return (gain >= st.floor_points - TOLERANCE) & acts


def structural_masks(idx: np.ndarray, bits: np.ndarray, st: Setting) -> dict:
    """(N,) bool per constraint that needs no values (prerequisites, ladder, effort capacity): True = passes."""
    cat, cons = st.catalog, st.constraints
    tid = {t: i for i, t in enumerate(cat.tool_ids)}
    out = {}
    prereq = [(tid[t], sum(1 << tid[o] for o in opts)) for t, opts in cons.prerequisites]
    out["prerequisites"] = prerequisites_met(bits, prereq)
    if cons.ladder_enabled and not cons.ladder_waived(st.scenario.factors):
        rungs = np.array([t.rung for t in cat.tools])
        out["escalation_ladder"] = ladder_respected(bits, rungs, cons.ladder_from_rung, cons.ladder_gap)
    if st.capacity is not None:
        out["effort_capacity"] = tool_sums(cat.effort, idx) <= st.capacity + TOLERANCE
    return out


def value_masks(bits: np.ndarray, values: np.ndarray, st: Setting, idx=None, score=None) -> dict:
    """(N,) bool per constraint on the values (red lines, accountability floor): True = passes. ``score`` (N x K x
    C, the members' own drawn changes from :func:`paired_values`): judge the floor's strong tool on them, not on the
    point changes."""
    out = {}
    if st.constraints.red_lines:
        out["red_lines"] = ~_over_red_line(values, st.catalog, st.constraints)
    if st.floor_points is not None:
        out["accountability_floor"] = _floor_met(values, bits, st, idx, score)
    return out


def feasibility_masks(idx: np.ndarray, bits: np.ndarray, values: np.ndarray, st: Setting) -> dict:
    """Every constraint checked after enumeration, in order: :func:`structural_masks` then :func:`value_masks`."""
    return {**structural_masks(idx, bits, st), **value_masks(bits, values, st)}


# ----------------------------------------------------------------------------------------------------------------
# The validating wrapper

@dataclass(frozen=True)
class Portfolios:
    """Every feasible combination of a scenario: ``idx``/``bits`` (see module doc), ``values`` (N x C) and
    ``effort`` (N,). ``status_quo`` (C,) holds the values of doing nothing new (a reference, never feasible itself).

    ``removed`` counts the candidates each feasibility filter removed (nothing is dropped silently); ``setting``
    holds the resolved problem (mandatory tools, tools out over a red line, floor, capacity).
    """
    catalog: Catalog
    adjusted: AdjustedScores
    constraints: Constraints
    idx: np.ndarray
    bits: np.ndarray
    values: np.ndarray
    removed: dict
    setting: Setting | None = None

    def __len__(self) -> int:
        return len(self.bits)

    @property
    def criteria(self) -> list[str]:
        return self.catalog.criterion_ids

    @property
    def types(self) -> np.ndarray:
        return self.catalog.types

    @property
    def status_quo(self) -> np.ndarray:
        return self.adjusted.status_quo

    @cached_property
    def spec(self) -> ModelSpec:
        return self.setting.spec if self.setting is not None else model_spec(self.catalog, self.adjusted)

    @cached_property
    def effort(self) -> np.ndarray:
        """(N,) total effort of each combination."""
        return tool_sums(self.catalog.effort, self.idx)

    @cached_property
    def members(self) -> np.ndarray:
        """(N x T) bool membership matrix."""
        t = np.arange(len(self.catalog.tools), dtype=np.int64)
        return ((self.bits[:, None] >> t) & 1).astype(bool)

    @cached_property
    def n_tools(self) -> np.ndarray:
        return (self.idx != len(self.catalog.tools)).sum(1)

    def tools_of(self, row: int) -> tuple[str, ...]:
        ids = self.catalog.tool_ids
        return tuple(ids[t] for t in sorted(self.idx[row]) if t < len(ids))

    def labels(self, rows, names: bool = True, sep: str = " + ") -> list[str]:
        """Readable labels for combinations ``rows`` (display names, or ids with ``names=False``)."""
        tools = self.catalog.tools
        return [sep.join(tools[t].name if names else tools[t].id for t in sorted(self.idx[r]) if t < len(tools))
                for r in np.atleast_1d(rows)]

    def frame(self, rows=None) -> pd.DataFrame:
        """Criterion values of ``rows`` (all if None) with their tool lists and effort."""
        import pandas as pd  # noqa: PLC0415  (a command that prints a table needs no pandas: docs/performance.md)
        rows = np.arange(len(self)) if rows is None else np.asarray(rows)
        df = pd.DataFrame(self.values[rows], columns=self.criteria)
        df.insert(0, "effort", self.effort[rows])
        df.insert(0, "n_tools", self.n_tools[rows])
        df.insert(0, "tools", self.labels(rows))
        df.insert(0, "tool_ids", [tuple(x) for x in (self.tools_of(r) for r in rows)])
        df.index = pd.Index(rows, name="combination")
        return df

    def find(self, tools) -> int:
        """Row of the combination holding exactly ``tools`` (ids); error if it is not feasible."""
        mask = np.int64(0)
        for t in tools:
            mask |= np.int64(1) << self.catalog.tool_index(t)
        hit = np.flatnonzero(self.bits == mask)
        if len(hit) == 0:
            raise DecisionError(f"combination {' + '.join(tools)} is not among the {len(self):,} feasible ones "
                                "(a constraint, red line, the floor or the effort capacity excludes it; "
                                "`decision explain` says which)")
        return int(hit[0])


def structural_candidates(st: Setting) -> tuple[np.ndarray, np.ndarray, dict]:
    """Every combination that meets the constraints needing no values (size, forced, mandatory and unavailable
    tools, exclusive groups, prerequisites, ladder, effort capacity): ``(idx, bits, removed)``, ``removed`` counting
    the candidates each structural filter removed."""
    catalog, cons = st.catalog, st.constraints
    tid = {t: i for i, t in enumerate(catalog.tool_ids)}
    forced = list(dict.fromkeys([*cons.forced_in, *st.mandatory]))
    if len(forced) > cons.max_tools:
        raise DecisionError(f"{len(forced)} tools are forced in or mandatory ({', '.join(forced)}) but max_tools is "
                            f"{cons.max_tools}")
    idx, bits = enumerate_combinations(
        len(catalog.tools), cons.max_tools, min_size=cons.min_tools,
        exclusive=[[tid[t] for t in g] for g in cons.exclusive],
        forced_in=[tid[t] for t in forced],
        unavailable=[tid[t] for t in (*cons.excluded_by_premise, *cons.forced_out, *st.tool_exclusions)])
    removed = {}
    keep = np.ones(len(bits), dtype=bool)
    for name, ok in structural_masks(idx, bits, st).items():         # cheap filters before valuing anything
        removed[name] = int((keep & ~ok).sum())
        keep &= ok
    return idx[keep], bits[keep], removed


def build_portfolios(catalog: Catalog, scenario=None, max_tools: int | None = None,
                     constraints: Constraints | Overrides | dict | None = None,
                     horizon: float | None = None) -> Portfolios:
    """Enumerate and value every feasible combination for a scenario (id, Scenario or None for the default).
    ``horizon`` (months): discount tools whose effect lands later (``model.yaml`` ``time_horizon``)."""
    st = setting(catalog, scenario, max_tools, constraints, horizon)
    cons = st.constraints
    idx, bits, removed = structural_candidates(st)
    values = portfolio_values(idx, bits, st.adjusted.score, st.spec)
    keep = np.ones(len(bits), dtype=bool)
    for name, ok in value_masks(bits, values, st).items():
        removed[name] = int((keep & ~ok).sum())
        keep &= ok
    if not keep.any():
        raise DecisionError(f"no combination is feasible in scenario '{st.scenario.id}' with max_tools="
                            f"{cons.max_tools}: candidates removed by each constraint: {removed}; relax the binding "
                            "one (red lines, the accountability floor, the effort capacity or forced tools)")
    idx, bits, values = idx[keep], bits[keep], values[keep]
    for arr in (idx, bits, values):
        arr.setflags(write=False)
    return Portfolios(catalog, st.adjusted, cons, idx, bits, values, removed, st)
