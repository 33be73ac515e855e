"""``audit``: read a catalogue's advice as a sceptical analyst would, over every scenario x bundled preset x method.

Each check is a pure function of the sweep; a finding is ``fail`` (the advice is indefensible or the data is
incomplete) or ``note`` (worth reading, not wrong). The bundled catalogue passes: no ``fail``.

Checks: a #1 made only of tools that continue today's cooperation; a #1 that misses the accountability floor or
holds no tool acting on the abuses; a cap on tools that binds in most runs (the #1 would grow by a tool if one
more were allowed); methods that disagree on #1 beyond
a statistical tie; tools that are in no non-dominated combination of any scenario (never recommendable) unless
listed as contrast only; rules, interactions, scores or obligations without a source; ties at #1 settled only by
catalogue order; a scenario x preset whose playbook (``decision plan``, :mod:`decision.strategy.audit`) is impossible,
breaks a principle (a penalty lifted on stalls, a threat right after a retaliation or left without a next step at the
horizon, a probability outside its envelope, ...) or never answers stalling; option 1 that is not the playbook's
opening (two answers); an option label that misdescribes its tools.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from .catalog import Catalog
from .defaults import CAP_BINDS, MATERIAL_EFFORT
from .errors import DecisionError
from .portfolios import build_portfolios, strong_tools
from .profiles import BUNDLED_PROFILES, list_profiles, load_profile_file
from .ranking import CROSS_CHECK, DECIMALS, Ranker
from .robustness import pareto_mask
from .options import find_options, label_misleads
from .strategy.audit import audit_plans, problems_of

# MATERIAL_EFFORT (decision.defaults): a disagreement between methods fails when another method's #1 is worth less
# than the default method's #1 by more than the effort cost of a medium tool (this many effort units, ``model.yaml``
# effort_cost each; 0.03 of the value scale in the bundled catalogue) and no weight change of ``TIE_DELTA`` makes it
# first. Within that the two packages are practically equivalent: the difference would not pay for one more measure
# (a note, not a failure).
CONTINUATION = "de_escalating"
"""Stance of tools that continue or protect today's cooperation without pressing on the abuses."""


@dataclass(frozen=True)
class AuditReport:
    """``runs``: one row per scenario x preset x method with its #1; ``findings``: one row per finding
    (``level`` fail or note, ``check``, ``where``, ``detail``); ``tools``: per tool, the scenarios where it is in a
    non-dominated combination."""
    runs: pd.DataFrame
    findings: pd.DataFrame
    tools: pd.DataFrame

    @property
    def ok(self) -> bool:
        return not (self.findings["level"] == "fail").any()


def presets(catalog: Catalog) -> dict:
    """The bundled weight presets (name -> weights Series)."""
    out = {}
    for row in list_profiles(BUNDLED_PROFILES, catalog).itertuples():
        if row.status == "ok":
            out[row.name] = load_profile_file(BUNDLED_PROFILES / f"{row.name}.yaml", catalog).weights
    return out


EQUAL = "equal weights"
"""The weight set audited when no bundled preset fits the catalogue's criteria (e.g. a fifth criterion)."""


def weight_sets_for(catalog: Catalog) -> dict:
    """The bundled presets that fit ``catalog``'s criteria, or ``{EQUAL: equal weights}`` when none does."""
    found = presets(catalog)
    if found:
        return found
    n = len(catalog.criteria)
    return {EQUAL: pd.Series([1.0 / n] * n, index=catalog.criterion_ids, name=EQUAL)}


def sweep(catalog: Catalog, methods=CROSS_CHECK, weight_sets: dict | None = None) -> tuple[pd.DataFrame, dict]:
    """The #1 (and #2) of every scenario x weight set x method; returns the runs and the built portfolios."""
    weight_sets = weight_sets if weight_sets is not None else weight_sets_for(catalog)
    if not weight_sets:
        raise DecisionError("no weight set to audit with (give at least one)")
    stance = np.array([t.stance for t in catalog.tools])
    rows, built = [], {}
    for sc in catalog.scenarios:
        p = build_portfolios(catalog, sc.id)
        built[sc.id] = p
        r = Ranker(p)
        st = p.setting
        j = catalog.criterion_ids.index(st.constraints.floor.criterion) if st.constraints.floor else 0
        strong = set(strong_tools(st).tolist()) if st.floor_points is not None else set()
        for name, w in weight_sets.items():
            firsts = {}
            for m in methods:
                top, pref, _ = r.top(w, m, 2)
                a = int(top[0])
                firsts[m] = a
                tied = bool(r.tied_with_first(w, top, m)[1]) if len(top) > 1 else False
                exact_tie = (len(top) > 1 and round(pref[0], DECIMALS) == round(pref[1], DECIMALS)
                             and p.effort[top[0]] == p.effort[top[1]] and p.n_tools[top[0]] == p.n_tools[top[1]])
                tools = np.flatnonzero(p.members[a])
                gain = (p.values[a, j] - p.status_quo[j]) * catalog.types[j]
                acts = st.floor_points is None or bool(strong & set(tools.tolist()))
                rows.append(dict(scenario=sc.id, preset=name, method=m, first=" + ".join(p.tools_of(a)),
                                 n_tools=int(p.n_tools[a]), max_tools=st.constraints.max_tools,
                                 effort=float(p.effort[a]), capacity=st.capacity, rights_gain=float(gain),
                                 floor=st.floor_points, acts_on_abuses=acts,
                                 only_continuation=bool((stance[tools] == CONTINUATION).all()),
                                 tied_with_second=tied, order_tie=bool(exact_tie), row=a))
    return pd.DataFrame(rows), built


def cap_binds(catalog: Catalog, runs: pd.DataFrame, weight_sets: dict) -> pd.Series:
    """(runs,) bool: the #1 fills the cap on tools and, with one more tool allowed, the #1 would hold more (the cap,
    not the value of another tool, decides its size: packages padded up to a limit)."""
    out = pd.Series(False, index=runs.index)
    bigger: dict[str, object] = {}
    for i, r in runs[runs["n_tools"] >= runs["max_tools"]].iterrows():
        if r["scenario"] not in bigger:
            bigger[r["scenario"]] = build_portfolios(catalog, r["scenario"], max_tools=int(r["max_tools"]) + 1)
        first = Ranker(bigger[r["scenario"]]).rank(weight_sets[r["preset"]], r["method"], 1)
        out[i] = len(first["tool_ids"].iloc[0]) > r["max_tools"]
    return out


def audit(catalog: Catalog, methods=CROSS_CHECK, weight_sets: dict | None = None) -> AuditReport:
    """Run every check (module doc) and return the report."""
    weight_sets = weight_sets if weight_sets is not None else weight_sets_for(catalog)
    runs, built = sweep(catalog, methods, weight_sets)
    f = []

    def add(level, check, where, detail):
        f.append(dict(level=level, check=check, where=where, detail=detail))

    if list(weight_sets) == [EQUAL]:
        add("note", "no bundled preset fits", "weights", f"the presets weigh other criteria than this catalogue's "
            f"({', '.join(catalog.criterion_ids)}); audited with {EQUAL} only")

    for r in runs.itertuples():
        where = f"{r.scenario} / {r.preset} / {r.method}"
        if r.only_continuation:
            add("fail", "does nothing on the abuses", where, f"#1 is only continued cooperation: {r.first}")
        if r.floor is not None and (r.rights_gain < r.floor - 1e-9 or not r.acts_on_abuses):
            add("fail", "below the accountability floor", where, f"rights +{r.rights_gain:.2f} < {r.floor:.2f}")
        if r.order_tie:
            add("fail", "tie settled by catalogue order", where, "#1 and #2 have equal preference, effort and size")
    fills = (runs["n_tools"] >= runs["max_tools"]).mean()
    binds = cap_binds(catalog, runs, weight_sets)
    add("fail" if binds.mean() > CAP_BINDS else "note", "the cap on tools binds", "all runs",
        f"{binds.mean():.0%} of runs ({int(binds.sum())} of {len(runs)}) would add a tool if one more were allowed; "
        f"the #1 fills the cap in {fills:.0%}")
    cap = runs["capacity"].notna()
    full = (runs.loc[cap, "effort"] >= runs.loc[cap, "capacity"] - 1e-9).mean() if cap.any() else 0.0
    add("note", "#1 uses the whole effort capacity", "all runs", f"{full:.0%} of runs")
    for (sc, pr), g in runs.groupby(["scenario", "preset"], sort=False):
        if g["row"].nunique() > 1:
            r = Ranker(built[sc])
            w = weight_sets[pr]
            base = g.iloc[0]
            pref = r.preference(w, base["method"])
            gaps = [float(pref[int(base["row"])] - pref[int(x)]) for x in g["row"]]
            detail = "; ".join(f"{m} #1 {t} ({-gap:+.3f})" for m, t, gap in zip(g["method"], g["first"], gaps))
            rows = [int(base["row"]), *[int(x) for x in g["row"]]]
            tied = r.tied_with_first(w, rows, base["method"])[1:]
            gap_limit = MATERIAL_EFFORT * (catalog.model.effort_cost or 0.01)
            material = any(gap > gap_limit and not t for gap, t in zip(gaps, tied))
            add("fail" if material else "note", "methods disagree on #1", f"{sc} / {pr}",
                f"value under {base['method']} relative to its #1: " + detail)
    for sc, p in built.items():
        j = 0 if p.setting.constraints.floor is None else catalog.criterion_ids.index(p.setting.constraints.floor.criterion)
        top = p.values[:, j]
        add("note", "rights protection near the top", sc,
            f"{(top >= 9).mean():.1%} of {len(p):,} feasible combinations reach 9 or more (highest {top.max():.2f})")
    tools = _recommendable(catalog, built)
    for t in tools.itertuples():
        if t.n_scenarios == 0 and t.tool not in catalog.constraints.contrast_only \
                and t.tool not in catalog.constraints.excluded_by_premise:
            add("fail", "never recommendable", t.tool, "in no non-dominated combination of any scenario")
    for what, items in _sources(catalog):
        add("fail", "no source", what, items)
    ws = weight_sets if weight_sets is not None else presets(catalog)
    problems, pf = problems_of(catalog, built)
    f += pf + audit_plans(catalog, built, ws, problems) + audit_one_answer(built, ws, problems)
    return AuditReport(runs.drop(columns="row"), pd.DataFrame(f, columns=["level", "check", "where", "detail"]),
                       tools)


def _recommendable(catalog: Catalog, built: dict) -> pd.DataFrame:
    """Per tool: in how many scenarios it belongs to some non-dominated (Pareto) combination."""
    hits = np.zeros(len(catalog.tools), dtype=int)
    for p in built.values():
        nd = pareto_mask(p.values, p.types)
        hits += p.members[nd].any(0)
    return pd.DataFrame({"tool": catalog.tool_ids, "n_scenarios": hits})


def _sources(catalog: Catalog):
    """(what, detail) for every sourced item whose source is empty."""
    cons = catalog.constraints
    checks = [(f"scenario rule {r.id}", r.source) for r in (*catalog.rules, *catalog.status_quo_rules)]
    checks += [(f"interaction {i.id} ({i.criterion})", i.source) for i in catalog.interactions]
    checks += [(f"obligation {o.id}", o.source) for o in cons.obligations]
    checks += [(f"score {t}/{c}", src) for (t, c), (_, src) in catalog.notes.items()]
    if cons.floor is not None:
        checks.append(("accountability floor", cons.floor.source))
    return [(what, "empty source") for what, src in checks if not str(src).strip()]


def format_report(rep: AuditReport) -> str:
    """The runs as a table, then the findings (fails first)."""
    runs = rep.runs
    lines = [f"{len(runs)} runs: {runs['scenario'].nunique()} scenarios x {runs['preset'].nunique()} presets x "
             f"{runs['method'].nunique()} methods", "",
             f"{'scenario':<22} {'preset':<20} {'method':<7} {'tools':>5} {'effort':>6} {'rights+':>7}  #1"]
    for r in runs.itertuples():
        lines.append(f"{r.scenario:<22} {r.preset:<20} {r.method:<7} {r.n_tools:>5} {r.effort:>6g} "
                     f"{r.rights_gain:>7.2f}  {r.first}")
    lines += ["", "Findings:"]
    fnd = rep.findings.sort_values("level", key=lambda s: s.map({"fail": 0, "note": 1}), kind="stable")
    for r in fnd.itertuples():
        lines.append(f"  {r.level.upper():<5} {r.check}: {r.where}: {r.detail}")
    lines.append("")
    lines.append("audit: PASS (no failing check)" if rep.ok else
                 f"audit: FAIL ({int((rep.findings['level'] == 'fail').sum())} failing findings)")
    return "\n".join(lines)


def audit_one_answer(built: dict, weight_sets: dict, problems: dict) -> list[dict]:
    """One answer: option 1's opening is the playbook's opening, and no option's label misdescribes its tools."""
    f = []
    for sc, problem in problems.items():
        p = built[sc]
        for name, w in weight_sets.items():
            where = f"{sc} / {name}"
            try:
                o = find_options(p, w, strategy=problem)
                opening = p.tools_of(problem.opening_row(problem.solve(w)))
            except Exception as exc:  # noqa: BLE001  (a finding, not a crash: the audit reads every run)
                f.append(dict(level="fail", check="no options", where=where, detail=str(exc)))
                continue
            if o.best.tools != opening:
                f.append(dict(level="fail", check="two answers", where=where,
                              detail=f"option 1 ({' + '.join(o.best.tools)}) is not the playbook's opening "
                                     f"({' + '.join(opening)})"))
            for i, opt in enumerate(o.options):
                why = label_misleads(opt.label, opt.tools, p.catalog)
                if why:
                    f.append(dict(level="fail", check="misleading label", where=f"{where} / option {i + 1}",
                                  detail=f"'{opt.label}' {why}"))
    return f
