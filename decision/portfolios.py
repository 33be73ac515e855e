"""Combinations of tools ("portfolios"): vectorised enumeration under constraints, and their criterion values.

A combination is stored two ways, both built without a Python loop per combination:

* ``idx``: an (N x K) matrix of tool indices padded with the sentinel ``T`` (number of tools), used to gather scores;
* ``bits``: an int64 bitmask per combination (bit t set = tool t present), used for constraints and interactions.

The value model is described in ``docs/model.md``. In short, per criterion and on the 0-1 scaled score ``x``:

* ``saturating``: the strongest tool counts fully; each further tool closes a share ``kappa * x`` of the remaining
  headroom (``kappa * rho * x`` if a better tool of its redundancy group is present). Used for rights protection
  (benefits accumulate) and escalation risk (risks accumulate).
* ``mean``: the mean score, redundant tools weighted ``rho``.
* ``weakest``: the worst tool's score (lowest benefit, highest cost).
* ``mean_weakest``: the average of ``mean`` and ``weakest``.

Then interaction effects are added: as points on ``mean``/``weakest`` criteria (clipped to the scale), and on the
headroom for ``saturating`` ones (the summed effect ``e`` closes ``e / range`` of the gap to the top, or removes
``|e| / range`` of the value when negative), so that stacked synergies approach but do not pin the ceiling.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, fields, replace
from functools import cached_property

import numpy as np
import pandas as pd

from .catalog import Catalog, Constraints, RedLine, check_constraints
from .errors import DecisionError
from .scenario import AdjustedScores, adjust_scores, rule_shifts

ENUMERATION_LIMIT = 3_000_000
"""Largest number of candidate combinations enumerated (memory grows ~60 bytes per candidate)."""
MAX_TOOLS_IN_CATALOG = 62
TOLERANCE = 1e-9


# ----------------------------------------------------------------------------------------------------------------
# Pure computation

@dataclass(frozen=True)
class ModelSpec:
    """Arrays derived once from a catalogue for the vectorised value model."""
    direction: np.ndarray          # (C,) +1 benefit, -1 cost
    aggregation: tuple[str, ...]   # (C,)
    lo: np.ndarray                 # (C,) scale minimum
    hi: np.ndarray                 # (C,) scale maximum
    groups: tuple[np.ndarray, ...]  # tool indices of each redundancy group
    inter_a: np.ndarray            # (I,) int64 masks
    inter_b: np.ndarray            # (I,) int64 masks
    inter_without: np.ndarray      # (I,) bool
    inter_crit: np.ndarray         # (I,) criterion index
    inter_effect: np.ndarray       # (I,) points
    kappa: float
    rho: float


def model_spec(catalog: Catalog) -> ModelSpec:
    tid = {t: i for i, t in enumerate(catalog.tool_ids)}
    cid = {c: j for j, c in enumerate(catalog.criterion_ids)}
    groups: dict[str, list[int]] = {}
    for i, t in enumerate(catalog.tools):
        if t.redundancy_group:
            groups.setdefault(t.redundancy_group, []).append(i)
    mask = lambda ids: sum(1 << tid[t] for t in set(ids))  # noqa: E731
    it = catalog.interactions
    return ModelSpec(
        direction=catalog.types.astype(float),
        aggregation=tuple(c.aggregation for c in catalog.criteria),
        lo=np.array([c.scale_min for c in catalog.criteria]),
        hi=np.array([c.scale_max for c in catalog.criteria]),
        groups=tuple(np.array(g) for _, g in sorted(groups.items()) if len(g) > 1),
        inter_a=np.array([mask(i.tools_a) for i in it], dtype=np.int64),
        inter_b=np.array([mask(i.tools_b) for i in it], dtype=np.int64),
        inter_without=np.array([i.condition == "without" for i in it], dtype=bool),
        inter_crit=np.array([cid[i.criterion] for i in it], dtype=int),
        inter_effect=np.array([i.effect for i in it], dtype=float),
        kappa=catalog.model.complementarity,
        rho=catalog.model.redundancy_factor,
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
    cur_idx = np.zeros((1, 0), dtype=np.int64)        # local positions into `free`
    cur_bits = np.array([forced_bits], dtype=np.int64)
    for size in range(0, k + 1):
        if size > 0:
            cur_idx, cur_bits = _extend(cur_idx, cur_bits, free, conflict)
        if len(cur_idx) == 0:
            break
        if size + len(forced) >= min_size:
            tools = free[cur_idx]
            if forced:
                tools = np.hstack([np.broadcast_to(np.array(forced), (len(tools), len(forced))), tools])
            pad = np.full((len(tools), max_size - tools.shape[1]), n_tools)
            blocks_idx.append(np.hstack([tools, pad]).astype(np.int8))
            blocks_bits.append(cur_bits)
    if not blocks_idx:
        return np.zeros((0, max_size), dtype=np.int8), np.zeros(0, dtype=np.int64)
    return np.vstack(blocks_idx), np.concatenate(blocks_bits)


def _extend(idx: np.ndarray, bits: np.ndarray, free: np.ndarray, conflict: np.ndarray):
    """Append one more free tool (greater position than the last) to every combination; drop exclusive clashes."""
    n, s = idx.shape
    last = idx[:, -1] if s else np.full(n, -1)
    cnt = len(free) - 1 - last
    total = int(cnt.sum())
    rows = np.repeat(np.arange(n), cnt)
    new = np.repeat(last + 1, cnt) + (np.arange(total) - np.repeat(np.cumsum(cnt) - cnt, cnt))
    tool = free[new]
    parent_bits = bits[rows]
    ok = (parent_bits & conflict[tool]) == 0
    rows, new, tool = rows[ok], new[ok], tool[ok]
    out_bits = parent_bits[ok] | (np.int64(1) << tool)
    return np.hstack([idx[rows], new[:, None]]), out_bits


def candidate_count(n_free: int, k: int) -> int:
    return sum(math.comb(n_free, s) for s in range(0, min(max(k, -1), n_free) + 1))  # none larger than n_free


def largest_cap(n_free: int, n_forced: int) -> int:
    k = 0
    while k < n_free and candidate_count(n_free, k + 1) <= ENUMERATION_LIMIT:
        k += 1
    return k + n_forced


def has_any(bits: np.ndarray, mask) -> np.ndarray:
    return (bits & np.int64(mask)) != 0


def portfolio_values(idx: np.ndarray, bits: np.ndarray, score: np.ndarray, spec: ModelSpec,
                     with_fired: bool = False):
    """Criterion values (N x C, on each criterion's scale) of the combinations ``idx``/``bits`` given scenario-
    adjusted tool scores ``score`` (T x C). ``score`` may also be a stack of S score samples (S x T x C); the values
    are then (S x N x C). With ``with_fired`` also return the (N x I) bool matrix of interactions that fired."""
    batched = score.ndim == 3
    sc = score if batched else score[None]
    n_samples, n_tools, n_crit = sc.shape
    x = (sc - spec.lo) / (spec.hi - spec.lo)                  # 0-1 scaled scores, (S, T, C)
    n = len(bits)
    idx = idx.astype(np.intp)                                # index once, not once per gather
    count = (idx != n_tools).sum(1)
    held = _group_members_held(bits, spec)
    values = np.empty((n_samples, n, n_crit))
    for c in range(n_crit):
        xc = x[:, :, c]                                       # (S, T)
        agg = spec.aggregation[c]
        redundant = _redundant(held, xc, spec) if agg != "weakest" else []
        if agg == "saturating":
            top = _gather(xc, idx, -np.inf).max(2)
            lf = np.log1p(-spec.kappa * xc)
            logsum = _gather(lf, idx, 0.0).sum(2) - np.log1p(-spec.kappa * top)
            for t, mask in redundant:
                logsum += mask * (np.log1p(-spec.kappa * spec.rho * xc[:, t]) - lf[:, t])[:, None]
            v = top + (1 - top) * (-np.expm1(logsum))
        else:
            total = _gather(xc, idx, 0.0).sum(2)
            weight = np.broadcast_to(count.astype(float), total.shape).copy()
            for t, mask in redundant:
                total += mask * ((spec.rho - 1) * xc[:, t])[:, None]
                weight += mask * (spec.rho - 1)
            mean = total / weight
            if agg == "mean":
                v = mean
            else:
                benefit = spec.direction[c] > 0
                g = _gather(xc, idx, np.inf if benefit else -np.inf)
                weakest = g.min(2) if benefit else g.max(2)
                v = weakest if agg == "weakest" else 0.5 * (mean + weakest)
        values[:, :, c] = spec.lo[c] + (spec.hi[c] - spec.lo[c]) * v
    fired = np.zeros((n, len(spec.inter_effect)), dtype=bool)
    effect = np.zeros((n, n_crit))
    for i in range(len(spec.inter_effect)):
        a = has_any(bits, spec.inter_a[i])
        b = has_any(bits, spec.inter_b[i])
        fired[:, i] = a & ~b if spec.inter_without[i] else a & b
        effect[:, spec.inter_crit[i]] += fired[:, i] * spec.inter_effect[i]
    for c in range(n_crit):
        if spec.aggregation[c] == "saturating":
            # on the headroom: +e closes e/range of the gap to the top, -e removes e/range of the value
            share = np.clip(effect[:, c] / (spec.hi[c] - spec.lo[c]), -1, 1)
            v = values[:, :, c]
            values[:, :, c] = np.where(share > 0, v + (spec.hi[c] - v) * share, v + (v - spec.lo[c]) * share)
        else:
            values[:, :, c] += effect[:, c]
    np.clip(values, spec.lo, spec.hi, out=values)
    values = values if batched else values[0]
    return (values, fired) if with_fired else values


def _gather(xc: np.ndarray, idx: np.ndarray, fill: float) -> np.ndarray:
    """(S, N, K) scores of the tools in each combination; padding slots get ``fill``."""
    ext = np.concatenate([xc, np.full((len(xc), 1), fill)], axis=1)
    return ext[:, idx]


def _group_members_held(bits, spec: ModelSpec) -> list:
    """Per redundancy group, (N x |group|) bool: which of its members each combination holds."""
    if spec.rho == 1:
        return []
    return [np.stack([has_any(bits, np.int64(1) << int(t)) for t in g], axis=1) for g in spec.groups]


def _redundant(held: list, xc: np.ndarray, spec: ModelSpec) -> list:
    """``(tool, mask)`` pairs: mask (S x N) marks combinations holding the tool together with a member of its
    redundancy group that scores higher on this criterion (ties: the member listed first in the catalogue leads).
    Loops over group members, not combinations."""
    out = []
    for g, here in zip(spec.groups, held):                 # tool indices in catalogue order; here: (N, |g|)
        if len(xc) == 1:   # one score set: walk the members best first (stable: catalogue order breaks ties)
            seen = np.zeros(len(here), dtype=bool)
            for j in np.argsort(-xc[0, g], kind="stable"):
                out.append((int(g[j]), (here[:, j] & seen)[None]))
                seen |= here[:, j]
        else:
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
# The validating wrapper

@dataclass(frozen=True)
class Portfolios:
    """Every feasible combination of a scenario: ``idx``/``bits`` (see module doc) and ``values`` (N x C).

    ``removed`` counts the candidates each feasibility filter removed (nothing is dropped silently).
    """
    catalog: Catalog
    adjusted: AdjustedScores
    constraints: Constraints
    idx: np.ndarray
    bits: np.ndarray
    values: np.ndarray
    removed: dict

    def __len__(self) -> int:
        return len(self.bits)

    @property
    def criteria(self) -> list[str]:
        return self.catalog.criterion_ids

    @property
    def types(self) -> np.ndarray:
        return self.catalog.types

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
        """Criterion values of ``rows`` (all if None) with their tool lists."""
        rows = np.arange(len(self)) if rows is None else np.asarray(rows)
        df = pd.DataFrame(self.values[rows], columns=self.criteria)
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
                                "(a constraint or red line excludes it)")
        return int(hit[0])


def resolve_constraints(catalog: Catalog, max_tools: int | None = None,
                        constraints: Constraints | dict | None = None) -> Constraints:
    """The catalogue's constraints with overrides (a dict of Constraints fields, or a full Constraints)."""
    cons = catalog.constraints
    if isinstance(constraints, Constraints):
        cons = constraints
    elif constraints:
        names = {f.name for f in fields(Constraints)}
        bad = [k for k in constraints if k not in names]
        if bad:
            raise DecisionError(f"unknown constraint '{bad[0]}'; known: {', '.join(sorted(names))}")
        conv = dict(constraints)
        for key in ("forced_in", "forced_out", "excluded_by_premise"):
            if key in conv:
                conv[key] = tuple(conv[key])
        if "red_lines" in conv:
            conv["red_lines"] = tuple(r if isinstance(r, RedLine) else RedLine(**r) for r in conv["red_lines"])
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
    check_constraints(cons, catalog.tool_ids)
    return cons


def build_portfolios(catalog: Catalog, scenario=None, max_tools: int | None = None,
                     constraints: Constraints | dict | None = None, horizon: float | None = None) -> Portfolios:
    """Enumerate and value every feasible combination for a scenario (id, Scenario or None for the default).
    ``horizon`` (months): discount tools whose effect lands later (``model.yaml`` ``time_horizon``)."""
    cons = resolve_constraints(catalog, max_tools, constraints)
    adjusted = adjust_scores(catalog, scenario, horizon)
    tid = {t: i for i, t in enumerate(catalog.tool_ids)}
    idx, bits = enumerate_combinations(
        len(catalog.tools), cons.max_tools, min_size=cons.min_tools,
        exclusive=[[tid[t] for t in g] for g in cons.exclusive],
        forced_in=[tid[t] for t in cons.forced_in],
        unavailable=[tid[t] for t in (*cons.excluded_by_premise, *cons.forced_out)])
    removed = {}
    prereq = [(tid[t], sum(1 << tid[o] for o in opts)) for t, opts in cons.prerequisites]
    keep = prerequisites_met(bits, prereq)
    removed["prerequisites"] = int((~keep).sum())
    factors = adjusted.scenario.factors
    waived = any(factors.get(f, 0) >= v for f, v in cons.ladder_waived_if)
    if cons.ladder_enabled and not waived:
        rungs = np.array([t.rung for t in catalog.tools])
        ok = ladder_respected(bits, rungs, cons.ladder_from_rung, cons.ladder_gap)
        removed["escalation_ladder"] = int((keep & ~ok).sum())
        keep &= ok
    idx, bits = idx[keep], bits[keep]
    values = portfolio_values(idx, bits, adjusted.score, model_spec(catalog))
    keep = np.ones(len(bits), dtype=bool)
    for rl in cons.red_lines:
        j = catalog.criterion_ids.index(rl.criterion)
        ok = np.ones(len(bits), dtype=bool)
        if rl.max is not None:
            ok &= values[:, j] <= rl.max + TOLERANCE
        if rl.min is not None:
            ok &= values[:, j] >= rl.min - TOLERANCE
        removed[f"red_line:{rl.criterion}"] = int((keep & ~ok).sum())
        keep &= ok
    if not keep.any():
        raise DecisionError(f"no combination is feasible in scenario '{adjusted.scenario.id}' with "
                            f"max_tools={cons.max_tools}: {removed} candidates removed by each constraint; relax the "
                            "red lines or forced tools")
    for a in (idx, bits, values):
        a.setflags(write=False)
    if keep.all():
        return Portfolios(catalog, adjusted, cons, idx, bits, values, removed)
    return Portfolios(catalog, adjusted, cons, idx[keep], bits[keep], values[keep], removed)


# ----------------------------------------------------------------------------------------------------------------
# Explanation of one combination

def explain(catalog: Catalog, tools, scenario=None, horizon: float | None = None) -> dict:
    """Break one combination (tool ids) down: per tool the base score, scenario shift, adjusted score and marginal
    contribution (value with the tool minus value without it); interactions that fired; rule shifts (the
    ``scenario_shift`` column also holds the horizon discount when ``horizon`` is given); final values.

    Returns a dict of DataFrames: ``values`` (criterion -> value), ``tools``, ``interactions``, ``shifts``.
    Feasibility is not required (explain a combination to see why it fails a red line).
    """
    tools = list(dict.fromkeys(tools))
    if not tools:
        raise DecisionError("explain needs at least one tool")
    ti = [catalog.tool_index(t) for t in tools]
    adjusted = adjust_scores(catalog, scenario, horizon)
    spec = model_spec(catalog)
    T, k = len(catalog.tools), len(ti)
    # row 0: the full combination; row 1+j: without tool j (no such rows for a single tool: nothing is left)
    idx = np.full((k + 1 if k > 1 else 1, k), T, dtype=np.int64)
    idx[0] = ti
    for j in range(k if k > 1 else 0):
        rest = [t for t in ti if t != ti[j]]
        idx[j + 1, :len(rest)] = rest
    bits = np.array([sum(1 << int(t) for t in row if t < T) for row in idx], dtype=np.int64)
    values, fired = portfolio_values(idx, bits, adjusted.score, spec, with_fired=True)
    crit = catalog.criterion_ids
    rows = []
    for j, t in enumerate(ti):
        for c, cid in enumerate(crit):
            marginal = values[0, c] - values[j + 1, c] if k > 1 else values[0, c]
            rows.append((catalog.tools[t].id, catalog.tools[t].name, cid, catalog.score[t, c],
                         adjusted.shift[t, c], adjusted.score[t, c], marginal,
                         catalog.notes[catalog.tools[t].id, cid][0]))
    tool_df = pd.DataFrame(rows, columns=["tool", "name", "criterion", "base", "scenario_shift", "adjusted",
                                          "marginal", "rationale"])
    inter = [(it.id, it.kind, it.criterion, it.effect, it.rationale, it.source)
             for i, it in enumerate(catalog.interactions) if fired[0, i]]
    inter_df = pd.DataFrame(inter, columns=["interaction", "kind", "criterion", "effect", "rationale", "source"])
    shifts = rule_shifts(catalog, adjusted.scenario)
    shifts = shifts[shifts["tool"].isin(tools)].reset_index(drop=True)
    red = []
    for rl in catalog.constraints.red_lines:
        v = values[0, crit.index(rl.criterion)]
        ok = (rl.max is None or v <= rl.max + TOLERANCE) and (rl.min is None or v >= rl.min - TOLERANCE)
        red.append((rl.criterion, rl.max, rl.min, v, ok))
    return {
        "values": pd.Series(values[0], index=crit, name="value"),
        "tools": tool_df,
        "interactions": inter_df,
        "shifts": shifts,
        "red_lines": pd.DataFrame(red, columns=["criterion", "max", "min", "value", "satisfied"]),
        "scenario": adjusted.scenario.id,
    }
