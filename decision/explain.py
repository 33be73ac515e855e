"""Break one combination down: what each tool adds, the interactions and scenario rules that act on it, the red
lines, and whether it can be chosen at all (every reason it cannot)."""
from __future__ import annotations

from dataclasses import replace

import numpy as np
import pandas as pd

from .catalog import Catalog
from .errors import DecisionError
from .portfolios import TOLERANCE, feasibility_masks, portfolio_values, quiet_packages, setting
from .scenario import rule_shifts

REASONS = {
    "prerequisites": "a prerequisite is missing",
    "escalation_ladder": "it skips rungs of the escalation ladder",
    "effort_capacity": "it needs more effort than the capacity",
    "red_lines": "it breaks a red line",
    "accountability_floor": "it does not clear the accountability floor",
}


def explain(catalog: Catalog, tools, scenario=None, horizon: float | None = None, max_tools: int | None = None,
            constraints=None) -> dict:
    """Break one combination (tool ids) down: per tool the base change, scenario shift, adjusted change and marginal
    contribution (value with the tool minus value without it); interactions that fired; rule shifts (the
    ``scenario_shift`` column also holds the horizon discount when ``horizon`` is given); final values; the status
    quo; whether the quiet-package cap holds it down; and feasibility with every reason it fails.

    Returns a dict: ``values`` and ``status_quo`` (criterion -> value), DataFrames ``tools``, ``interactions``,
    ``shifts``, ``red_lines``, ``cap`` (a sentence when the quiet-package cap lowers a value, else empty) and
    ``feasible`` (bool) with ``reasons`` (list of sentences).
    """
    tools = list(dict.fromkeys(tools))
    if not tools:
        raise DecisionError("explain needs at least one tool")
    if len(tools) > 62:
        raise DecisionError(f"explain takes at most 62 tools, got {len(tools)}")
    ti = [catalog.tool_index(t) for t in tools]
    st = setting(catalog, scenario, max_tools, constraints, horizon)
    adjusted, spec = st.adjusted, st.spec
    T, k = len(catalog.tools), len(ti)
    # row 0: the full combination; row 1+j: without tool j (for one tool: the status quo)
    idx = np.full((k + 1, k), T, dtype=np.int64)
    idx[0] = ti
    for j in range(k):
        rest = [t for t in ti if t != ti[j]]
        idx[j + 1, :len(rest)] = rest
    bits = np.array([sum(1 << int(t) for t in row if t < T) for row in idx], dtype=np.int64)
    values, fired = portfolio_values(idx, bits, adjusted.score, spec, with_fired=True)
    crit = catalog.criterion_ids
    rows = []
    for j, t in enumerate(ti):
        for c, cid in enumerate(crit):
            rows.append((catalog.tools[t].id, catalog.tools[t].name, cid, catalog.score[t, c],
                         adjusted.shift[t, c], adjusted.score[t, c], values[0, c] - values[j + 1, c],
                         catalog.notes[catalog.tools[t].id, cid][0]))
    tool_df = pd.DataFrame(rows, columns=["tool", "name", "criterion", "base", "scenario_shift", "adjusted",
                                          "marginal", "rationale"])
    inter = [(it.id, it.kind, it.criterion, spec.inter_effect[i], it.rationale, it.source)
             for i, it in enumerate(catalog.interactions) if fired[0, i]]
    inter_df = pd.DataFrame(inter, columns=["interaction", "kind", "criterion", "effect", "rationale", "source"])
    shifts = rule_shifts(catalog, adjusted.scenario)
    shifts = shifts[shifts["tool"].isin(tools)].reset_index(drop=True)
    red = []
    for rl in st.constraints.red_lines:
        v = values[0, crit.index(rl.criterion)]
        ok = (rl.max is None or v <= rl.max + TOLERANCE) and (rl.min is None or v >= rl.min - TOLERANCE)
        red.append((rl.criterion, rl.max, rl.min, v, ok))
    return {
        "values": pd.Series(values[0], index=crit, name="value"),
        "status_quo": pd.Series(adjusted.status_quo, index=crit, name="status_quo"),
        "effort": float(catalog.effort[ti].sum()),
        "tools": tool_df,
        "interactions": inter_df,
        "shifts": shifts,
        "red_lines": pd.DataFrame(red, columns=["criterion", "max", "min", "value", "satisfied"]),
        "scenario": adjusted.scenario.id,
        "cap": _cap_note(catalog, spec, idx[:1], bits[:1], adjusted.score, values[0]),
        **_feasibility(st, tools, idx[:1], bits[:1], values[:1]),
    }


def _cap_note(catalog: Catalog, spec, idx, bits, score, values) -> str:
    """A sentence when the quiet-package cap (model.yaml ``quiet_cap``) lowers the combination's value."""
    c = spec.cap_crit
    if c < 0 or not quiet_packages(bits, spec)[0]:
        return ""
    free = portfolio_values(idx, bits, score, replace(spec, cap_crit=-1))[0, c]
    if abs(free - values[c]) <= TOLERANCE:
        return ""
    cap = catalog.model.quiet_cap
    return (f"{catalog.criterion(cap.criterion).name} is held at {values[c]:.2f} (it would be {free:.2f}): a package "
            "with no public, verification, legal, economic or security measure cannot claim more (model.yaml "
            "quiet_cap).")


def _feasibility(st, tools, idx, bits, values) -> dict:
    """Every reason the combination cannot be chosen (empty list: it can)."""
    cat, cons = st.catalog, st.constraints
    reasons = []
    for t in tools:
        if t in cons.excluded_by_premise:
            reasons.append(f"{cat.tool(t).name} is excluded by the premise")
        if t in cons.forced_out:
            reasons.append(f"{cat.tool(t).name} is forced out")
        if t in st.tool_exclusions:
            reasons.append(f"{cat.tool(t).name} is out: {st.tool_exclusions[t]}")
    for t in [*cons.forced_in, *st.mandatory]:
        if t not in tools:
            why = (f"mandatory ({', '.join(_obligation_names(cat, st.mandatory[t]))})" if t in st.mandatory
                   else "forced in")
            reasons.append(f"{cat.tool(t).name} is missing: it is {why}")
    if len(tools) > cons.max_tools:
        reasons.append(f"it has {len(tools)} tools, more than the cap of {cons.max_tools}")
    for g in cons.exclusive:
        both = [t for t in g if t in tools]
        if len(both) > 1:
            reasons.append(f"{' and '.join(cat.tool(t).name for t in both)} are exclusive variants")
    idx = np.where(idx < len(cat.tools), idx, len(cat.tools))
    for name, ok in feasibility_masks(idx, bits, values, st).items():
        if not ok[0]:
            reasons.append(_detail(name, st, tools, values[0]))
    return {"feasible": not reasons, "reasons": reasons}


def _obligation_names(cat, ids) -> list[str]:
    return [ob.name for ob in cat.constraints.obligations if ob.id in ids]


def _detail(name: str, st, tools, values) -> str:
    cat, cons = st.catalog, st.constraints
    if name == "prerequisites":
        miss = [f"{cat.tool(t).name} needs one of {', '.join(cat.tool(o).name for o in opts)}"
                for t, opts in cons.prerequisites if t in tools and not set(opts) & set(tools)]
        return "prerequisite missing: " + "; ".join(miss)
    if name == "escalation_ladder":
        return (f"{REASONS[name]}: a tool on rung {cons.ladder_from_rung} or higher needs a step at least "
                f"{cons.ladder_gap} rungs lower (rung 1 or above) in the same package")
    if name == "effort_capacity":
        return f"{REASONS[name]}: effort {cat.effort[[cat.tool_index(t) for t in tools]].sum():g} > {st.capacity:g}"
    if name == "red_lines":
        crit = cat.criterion_ids
        broken = [f"{rl.criterion} {values[crit.index(rl.criterion)]:.2f} "
                  f"{'> max ' + format(rl.max, 'g') if rl.max is not None and values[crit.index(rl.criterion)] > rl.max else '< min ' + format(rl.min, 'g')}"
                  for rl in cons.red_lines
                  if (rl.max is not None and values[crit.index(rl.criterion)] > rl.max + TOLERANCE)
                  or (rl.min is not None and values[crit.index(rl.criterion)] < rl.min - TOLERANCE)]
        return f"{REASONS[name]}: " + "; ".join(broken)
    if name == "accountability_floor":
        fl = cons.floor
        j = cat.criterion_ids.index(fl.criterion)
        gain = values[j] - st.adjusted.status_quo[j]
        other = " other than a conversation" if fl.strong_tool_excludes else ""
        return (f"{REASONS[name]}: {fl.criterion} +{gain:.2f} over the status quo (needs +{st.floor_points:.2f}, "
                f"with a tool{other} changing it by {fl.min_tool_change:g} or more on its own)")
    return REASONS.get(name, name)
