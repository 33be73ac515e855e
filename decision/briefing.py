"""Briefing content: everything a briefing shows, computed from the engine, and rendered to escaped HTML.

The briefing notebook (``notebooks/05_briefing.ipynb``) only calls :func:`prepare_briefing` and displays the pieces;
:mod:`decision.export` runs that notebook and writes the offline HTML file. Every string that comes from a catalogue
or a profile is HTML-escaped here.
"""
from __future__ import annotations

import html
import platform
from dataclasses import dataclass, field
from datetime import datetime, timezone
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path

import numpy as np
import pandas as pd

from .advice import Confidence, assess, bottom_line
from .catalog import BUNDLED, CAVEAT, Catalog, load_catalog
from .errors import DecisionError
from .explain import explain
from .options import DEFAULT_K, DEFAULT_SHARE, Options, find_options, row_notes
from .portfolios import Portfolios, build_portfolios
from .profiles import BUNDLED_PROFILES, load_profile, load_profile_file
from .ranking import DEFAULT_METHOD, METHODS, Ranker
from .strategy.compare import compare_courses, courses_html
from .strategy.playbook import PROBABILITY_CAVEAT, Plan, build_plan, plan_html
from .strategy.reactions import load_reactions
from .strategy.tree import strategy_problem
from .weights import direct, equal, parse_weights

DEFAULT_PROFILE = "balanced"
E = html.escape


@dataclass(frozen=True)
class WeightsSource:
    """The weights and how they were elicited (for the briefing's weights section)."""
    weights: pd.Series
    label: str
    method: str
    author: str = ""
    date: str = ""
    rationale: str = ""
    inputs: str = ""


def resolve_weights(catalog: Catalog, profile: str | None = None, weights: str | None = None) -> WeightsSource:
    """Weights from a named profile, a ``name=value,...`` string, or the default profile (balanced)."""
    if profile and weights:
        raise DecisionError("give either a weight profile or weights, not both")
    if weights:
        w = parse_weights(weights, catalog.criterion_ids)
        return WeightsSource(w, "weights given directly", "direct", inputs=weights)
    try:
        p = load_profile(profile or DEFAULT_PROFILE, catalog)
    except DecisionError:
        if profile:
            raise
        return WeightsSource(equal(catalog.criterion_ids), "equal weights", "direct")
    inputs = p.inputs if isinstance(p.inputs, str) else "; ".join(f"{k}: {_plain(v)}" for k, v in dict(p.inputs).items())
    return WeightsSource(p.weights.reindex(catalog.criterion_ids), f"profile '{p.name}'", p.method, p.author,
                         str(p.date or ""), p.rationale or "", inputs)


def resolved_weights(src: WeightsSource) -> dict:
    """``src`` as plain data (JSON-able) that :func:`weights_source` turns back into a WeightsSource: what
    ``decision brief`` hands the briefing notebook, so the notebook never looks a profile up itself."""
    return {"weights": {str(k): float(v) for k, v in src.weights.items()}, "label": src.label, "method": src.method,
            "author": src.author, "date": src.date, "rationale": src.rationale, "inputs": src.inputs}


def weights_source(catalog: Catalog, resolved: dict) -> WeightsSource:
    """The WeightsSource of :func:`resolved_weights`' data, checked against ``catalog``'s criteria."""
    w = resolved.get("weights") if isinstance(resolved, dict) else None
    if not isinstance(w, dict) or sorted(w) != sorted(catalog.criterion_ids):
        raise DecisionError("resolved weights must give one weight per criterion of the catalogue")
    text = {k: str(resolved.get(k) or "") for k in ("label", "method", "author", "date", "rationale", "inputs")}
    return WeightsSource(direct(w, catalog.criterion_ids), text["label"] or "weights given directly",
                         text["method"] or "direct", text["author"], text["date"], text["rationale"], text["inputs"])


def _plain(v) -> str:
    if isinstance(v, dict):
        return ", ".join(f"{k}={_plain(x)}" for k, x in v.items())
    if isinstance(v, (list, tuple)):
        return "; ".join(_plain(x) for x in v)
    return str(v)


@dataclass(frozen=True)
class Briefing:
    """Computed content of one briefing (no HTML): see :func:`prepare_briefing`."""
    catalog: Catalog
    portfolios: Portfolios
    weights: WeightsSource
    method: str
    ranking: pd.DataFrame
    explanations: tuple
    by_method: pd.DataFrame
    presets: dict
    parameters: dict
    generated: str
    robustness: dict = field(default_factory=dict)
    options: Options | None = None
    confidence: Confidence | None = None
    bottom_line: tuple[str, ...] = ()
    plan: Plan | None = None
    plan_error: str = ""
    plan_courses: tuple = ()          # the playbook against simpler courses (decision.strategy.compare)


def playbook_content(p: Portfolios, weights, reviews: int = 3, months: float = 12
                     ) -> tuple[Plan | None, str, tuple]:
    """The playbook of ``p``'s scenario under ``weights`` (docs/strategy.md, "For views") and its comparison with
    simpler courses, or None, the one-line reason (a DecisionError message) when no playbook meets every principle,
    and no comparison."""
    try:
        problem = strategy_problem(p, load_reactions(p.catalog), reviews, months)
        plan = build_plan(problem, problem.solve(weights), weights)
    except DecisionError as exc:
        return None, str(exc), ()
    return plan, "", tuple(compare_courses(problem, plan))


def prepare_briefing(scenario: str | None = None, profile: str | None = None, weights: str | None = None,
                     method: str = DEFAULT_METHOD, top: int = 5, max_tools: int | None = None,
                     catalog: str | Catalog | None = None, samples: int = 10_000, seed: int = 0,
                     explain_top: int = 3, robustness: bool = True, now: datetime | None = None,
                     horizon: float | None = None, resolved: dict | None = None, current=None,
                     k: int = DEFAULT_K, share: float = DEFAULT_SHARE, reviews: int = 3,
                     months: float = 12) -> Briefing:
    """Compute a briefing's content. ``samples``/``seed`` drive the SMAA robustness section; ``horizon`` (months)
    discounts tools whose effect lands later. ``resolved`` (from :func:`resolved_weights`, as ``decision brief``
    passes it): the weights already resolved by the caller; ``profile`` and ``weights`` are then only shown.
    ``current``: today's policy (tool ids, a list or ``"a,b"``; None: not given), ranked among ``k`` distinct options
    with its minimal change reaching ``share`` of option 1's gain over doing nothing new. ``reviews``/``months``: the
    playbook's review tree (docs/strategy.md)."""
    cat = catalog if isinstance(catalog, Catalog) else load_catalog(catalog)
    if method not in METHODS and method != "consensus":
        raise DecisionError(f"unknown method '{method}'; choose one of {', '.join([*METHODS, 'consensus'])}")
    src = resolve_weights(cat, profile, weights) if resolved is None else weights_source(cat, resolved)
    p = build_portfolios(cat, scenario, max_tools=max_tools, horizon=horizon)
    ranker = Ranker(p)
    ranking = ranker.rank(src.weights, method, top)
    explanations = tuple(explain(cat, ranking["tool_ids"].iloc[k], p.adjusted.scenario, horizon)
                         for k in range(min(explain_top, len(ranking))))
    rows = []
    for m in ("wsm", "topsis", "vikor", "consensus"):
        best = ranker.rank(src.weights, m, 1)
        rows.append((m, best["tools"].iloc[0], tuple(best["tool_ids"].iloc[0]) == tuple(ranking["tool_ids"].iloc[0])))
    by_method = pd.DataFrame(rows, columns=["method", "top combination", "same as recommendation"])
    presets = {f"{src.label} (this briefing)": ranking}
    for path in sorted(BUNDLED_PROFILES.glob("*.yaml")):      # the bundled presets, whatever ./profiles holds
        try:
            pre = load_profile_file(path, cat)
        except DecisionError:            # a preset written for other criteria than this catalogue's
            continue
        presets[f"preset: {pre.name}"] = ranker.rank(pre.weights, method, top)
    params = {"scenario": p.adjusted.scenario.id, "profile": profile, "weights": weights, "method": method,
              "top": top, "max_tools": p.constraints.max_tools, "horizon": horizon, "samples": samples, "seed": seed}
    if isinstance(current, str):
        current = [t.strip() for t in current.split(",") if t.strip()]
    params.update(current=",".join(current) if current is not None else None, k=k, share=share, reviews=reviews,
                  months=months)
    rob = robustness_content(p, src.weights, method, ranking, samples, seed) if robustness else {}
    opts = find_options(p, src.weights, method, k, current, share, ranker)
    conf = assess(p, opts, ranker, samples=samples if robustness else 0, seed=seed, smaa=robustness)
    stamp = (now or datetime.now(timezone.utc)).strftime("%Y-%m-%d %H:%M UTC")
    plan, plan_error, courses = playbook_content(p, {c: float(v) for c, v in src.weights.items()}, reviews, months)
    return Briefing(cat, p, src, method, ranking, explanations, by_method, presets, params, stamp, rob, opts, conf,
                    tuple(bottom_line(opts, conf, cat)), plan, plan_error, courses)


def robustness_content(p: Portfolios, weights: pd.Series, method: str, ranking: pd.DataFrame, samples: int,
                       seed: int) -> dict:
    """Stability intervals of the recommendation, SMAA acceptability of the top combinations, core tools, and the
    weight changes that would replace the recommendation. TOPSIS or weighted sum (other methods use TOPSIS here,
    which the section says)."""
    from . import figures as F  # noqa: PLC0415
    from . import robustness as R  # noqa: PLC0415
    m = method if method in ("wsm", "topsis") else DEFAULT_METHOD
    w = weights.to_numpy(dtype=float)
    crit = p.criteria
    cnames = {c.id: c.name for c in p.catalog.criteria}
    stab = R.portfolio_stability(p, w, m)
    ranker = Ranker(p)
    changes = []
    for j, c in enumerate(crit):
        for bound, t in (("low", stab.loc[c, "low"] - 0.01), ("high", stab.loc[c, "high"] + 0.01)):
            if not 0 <= t <= 1 or (bound == "low" and stab.loc[c, "low"] <= 0) or \
                    (bound == "high" and stab.loc[c, "high"] >= 1):
                continue
            w2 = R.walk_weights(w, j, np.array([t]))[0]
            new = ranker.rank(w2, m, 1)["tools"].iloc[0]
            verb = "falls below" if bound == "low" else "rises above"
            changes.append((abs(stab.loc[c, bound] - w[j]), f"If the weight on {cnames[c]} {verb} {stab.loc[c, bound]:.2f} (now {w[j]:.2f}), "
                           f"the top combination becomes: {new}."))
    changes = [text for _, text in sorted(changes, key=lambda c: c[0])]
    k = max(1, min(10, len(p)))
    smaa = R.smaa_portfolios(p, n_samples=samples, seed=seed, method=m, k=k)
    acc = smaa.table.head(8)
    acceptability = pd.DataFrame({"combination": acc["tools"], "first (share of weight draws)": acc["first"],
                                  f"in top {k}": acc["top_k"]})
    core = R.core_index(p)
    core_tab = core[core["status"] != "exterior"].head(12)[["name", "core_index", "status"]].rename(
        columns={"name": "tool", "core_index": "share of non-dominated combinations"})
    stab_tab = pd.DataFrame({"criterion": [cnames[c] for c in crit], "current": stab["weight"].to_numpy(),
                             "low": stab["low"].to_numpy(), "high": stab["high"].to_numpy()})
    margin = float(stab["margin"].min())
    top_first = float(smaa.table.loc[smaa.table.index == ranking.index[0], "first"].sum())
    verdict = ("fragile" if margin < 0.05 else "moderately stable" if margin < 0.15 else "stable")
    summary = (f"Under the weights above the recommendation is {verdict}: the smallest weight change that replaces "
               f"it is {margin:.3f} (on {cnames.get(stab.attrs.get('most_critical'), 'no criterion')}). With "
               f"weights drawn uniformly at random ({samples:,} draws, seed {seed}, +-{smaa.mc_error:.3f} at 95%), "
               f"it ranks first in {top_first:.1%} of draws; {smaa.n_candidates:,} of {smaa.n_feasible:,} "
               f"combinations can reach the top {k} at all.")
    note = ("Stability and SMAA use " + ("TOPSIS" if m == "topsis" else "the weighted sum") +
            (" (the chosen method has no robustness analysis here)." if m != method else ".") +
            f" Core tools: {core.attrs['n_nondominated']:,} combinations are non-dominated; a core tool is in all "
            "of them, a borderline tool in some.")
    acc_fig = F.tool_in_best_figure(smaa.tool_in_best[smaa.tool_in_best["in_best"] > 0])
    core_fig = F.core_index_figure(core[core["status"] != "exterior"])
    return {"summary": summary, "stability": stab_tab, "acceptability": acceptability, "core": core_tab,
            "changes": changes, "note": note, "figures": [acc_fig, core_fig]}


# ----------------------------------------------------------------------------------------------------------------
# HTML rendering (every catalogue or profile string is escaped)

STYLE = """<style>
.briefing {font-family: system-ui, -apple-system, 'Segoe UI', sans-serif; max-width: 1000px; line-height: 1.45}
.briefing h1 {margin-bottom: .2em} .briefing .sub {color: #555; margin-top: 0}
.briefing table {border-collapse: collapse; margin: .5em 0 1em 0; font-size: 92%}
.briefing th, .briefing td {border-bottom: 1px solid #ddd; padding: 3px 8px; text-align: left !important;
  vertical-align: top}
.briefing td.num, .briefing th.num {text-align: right !important; font-variant-numeric: tabular-nums}
.briefing .caveat {background: #fff6e0; border-left: 4px solid #e0a100; padding: .5em .8em}
.briefing .prov {font-family: ui-monospace, monospace; font-size: 85%; color: #333}
.briefing .tag {display: inline-block; background: #eef; border-radius: 3px; padding: 0 4px; margin: 1px}
.briefing .bottom-line {font-size: 96%; line-height: 1.35; background: #eef4fb; border-left: 4px solid #2166ac;
  padding: .6em .9em}
.briefing .options td small {color: #555}
.briefing .tied {color: #8c510a; font-weight: 600}
.briefing table.options {width: 100%; font-size: 82%; table-layout: auto !important}
.briefing table.options td, .briefing table.options th {padding: 1px 4px !important}
.briefing table.options tr.head td {border-bottom: none; padding-top: 3px !important}
.briefing .tied {white-space: nowrap}
.briefing table.options tr.head td:first-child {width: 44%}
.briefing table.options tr.detail td {color: #333; padding-left: 1.2em !important}
@page {margin: 15mm}
@media print {
  html, body {-webkit-print-color-adjust: exact; print-color-adjust: exact; background: white}
  body, .jp-Notebook {margin: 0 !important; padding: 0 !important}
  .jp-OutputArea-child {break-inside: auto !important}
  .jp-Cell, .jp-OutputArea-output, .jp-RenderedHTMLCommon {padding-top: 0 !important; padding-bottom: 0 !important}
  .briefing h2 {margin: .5em 0 .2em 0}
  .briefing h1 {font-size: 150%; margin: 0 0 .3em 0}
  .briefing .sub, .briefing .caveat {font-size: 85%; margin: .3em 0}
  .briefing .bottom-line, .briefing tr, .plotly-graph-div, .js-plotly-plot,
  .jp-OutputArea-child:has(.plotly-graph-div) {break-inside: avoid; page-break-inside: avoid}
  .briefing h1, .briefing h2, .briefing h3 {break-after: avoid; page-break-after: avoid}
  .briefing {max-width: none}
}
</style>"""


def _table(df: pd.DataFrame, num=()) -> str:
    head = "".join(f"<th class='num'>{E(str(c))}</th>" if c in num else f"<th>{E(str(c))}</th>" for c in df.columns)
    body = []
    for _, r in df.iterrows():
        cells = []
        for c in df.columns:
            v = r[c]
            if c in num:
                cells.append(f"<td class='num'>{v:.2f}</td>" if isinstance(v, (float, np.floating)) else
                             f"<td class='num'>{E(str(v))}</td>")
            else:
                cells.append(f"<td>{E(str(v))}</td>")
        body.append("<tr>" + "".join(cells) + "</tr>")
    return f"<table><thead><tr>{head}</tr></thead><tbody>{''.join(body)}</tbody></table>"


def _level(v: float) -> str:
    return "very high" if v >= 8.5 else "high" if v >= 6.5 else "moderate" if v >= 3.5 else "low" if v >= 1.5 \
        else "very low"


def header_html(b: Briefing) -> str:
    """Title, then the bottom line: the first paragraph a reader sees."""
    sc = b.portfolios.adjusted.scenario
    return f"{STYLE}<div class='briefing'><h1>Briefing: {E(sc.name)}</h1>{bottom_line_html(b)}</div>"


def first_page_end_html(b: Briefing) -> str:
    """Under the first page's chart: how the options were chosen, the question, the timestamp and the caveat (the
    detail follows)."""
    rule = f"<p class='sub'>{E(b.options.rule)}</p>" if b.options is not None else ""
    return (f"<div class='briefing'>{rule}<p class='sub'>Which combination of diplomatic tools presses the ally for "
            f"accountability without severing security ties? &middot; generated <span class='briefing-timestamp'>"
            f"{E(b.generated)}</span></p><p class='caveat'><b>Read this first.</b> {E(CAVEAT)}</p></div>")


def bottom_line_html(b: Briefing) -> str:
    """The bottom line as one paragraph (what to do, why, how sure, what would change it)."""
    if not b.bottom_line:
        return ""
    return "<p class='bottom-line'>" + " ".join(E(s) for s in b.bottom_line) + "</p>"


def options_html(b: Briefing) -> str:
    """The options table: the distinct options, doing nothing new, today's policy and its minimal change."""
    o = b.options
    if o is None:
        return ""
    crit = b.catalog.criteria
    head = "".join(f"<th class='num' title='{E(c.name)}'>{E(c.name.split()[0])}"
                   f"{' (cost)' if c.direction == 'cost' else ''}</th>" for c in crit)
    body = []
    for i, r in enumerate(o.rows()):
        name = f"Option {i + 1}" if r.kind == "option" else {"status_quo": "Do nothing new",
                                                            "current": "Today's policy",
                                                            "minimal_change": "Minimal change"}[r.kind]
        notes = row_notes(r, b.catalog, brief=True)
        tied = (f"<span class='tied'>with {E(', '.join(r.tied_names(option='')))}</span>"
                if r.tied_names() else "")
        vals = "".join(f"<td class='num'>{r.values[c.id]:.1f}</td>" for c in crit)
        pref = f"{r.preference:.3f}" if r.preference == r.preference else "n/a"
        eff = f"{r.effort:.0f}" if r.effort is not None else ""
        body.append(f"<tr class='head' data-kind='{r.kind}'><td><b>{E(name)}</b>: {E(r.label)}</td>{vals}"
                    f"<td class='num'>{eff}</td><td class='num'>{pref}</td><td>{tied}</td></tr>"
                    f"<tr class='detail' data-kind='{r.kind}'><td colspan='{len(crit) + 4}'>"
                    f"{E(' + '.join(r.names) or 'no new step')}"
                    + (f" <small>&middot; {E('; '.join(notes))}</small>" if notes else "") + "</td></tr>")
    return (f"<div class='briefing'><h2>The options</h2><table class='options'><thead><tr><th>Course of action "
            f"(tools below)</th>{head}<th class='num'>Effort</th><th class='num'>Preference</th><th>Tied</th></tr>"
            f"</thead><tbody>"
            f"{''.join(body)}</tbody></table><p class='sub'>Values on 0-10 scales; preference by {E(o.method)}; "
            f"the rule that picks the options is under the chart.</p></div>")


def options_figure(b: Briefing):
    """One chart comparing the options and doing nothing new on the criteria, sized to print."""
    from . import figures as F  # noqa: PLC0415
    return F.options_figure([*b.options.options, b.options.status_quo], b.catalog.criteria)


def scenario_html(b: Briefing) -> str:
    sc = b.portfolios.adjusted.scenario
    names = {f.id: f.name for f in b.catalog.factors}
    rows = pd.DataFrame([(names.get(k, k), v, _level(v)) for k, v in sc.factors.items()],
                        columns=["factor", "value (0-10)", "in words"])
    h = b.portfolios.adjusted.horizon
    horizon = (f"<p>Time horizon: <b>{h:g} months</b>. Tools whose effect usually lands later keep only part of "
               f"their score on {E(b.catalog.model.horizon.criterion.replace('_', ' '))} (model.yaml).</p>"
               if h else "")
    return (f"<div class='briefing'><h2>The situation</h2><p>{E(sc.description)}</p>{horizon}"
            f"<p>The scenario's factors shift tool scores through {len(b.catalog.rules)} sourced rules "
            f"(5 is neutral).</p>{_table(rows, num=('value (0-10)',))}{constraints_html(b)}</div>")


def constraints_html(b: Briefing) -> str:
    """What every recommendation must meet in this scenario: the accountability floor in words, the effort capacity
    and each mandatory tool with its obligation's name and source (issue 9)."""
    st = b.portfolios.setting
    if st is None:
        return ""
    floor = st.floor_text()
    items = [f"<li class='floor'><b>Accountability floor.</b> {E(floor)}</li>" if floor else
             "<li class='floor'><b>Accountability floor:</b> switched off for this briefing.</li>"]
    cost = b.catalog.model.effort_cost
    if st.capacity is not None:
        items.append(f"<li class='capacity'><b>Effort capacity.</b> A package may use at most {st.capacity:g} units of "
                     f"effort (diplomatic bandwidth, political capital, coordination); each unit also costs "
                     f"{cost:g} of preference, so an extra tool must earn its effort.</li>")
    else:
        items.append(f"<li class='capacity'><b>Effort capacity:</b> none; each unit of effort costs {cost:g} of "
                     f"preference.</li>")
    obligations = {ob.id: ob for ob in b.catalog.constraints.obligations}
    names = {t.id: t.name for t in b.catalog.tools}
    for tid, obs in st.mandatory.items():
        for oid in obs:
            ob = obligations.get(oid)
            label, source = (ob.name, ob.source) if ob is not None else (oid, "")
            items.append(f"<li class='mandatory' data-tool='{E(tid)}'><b>Mandatory: {E(names.get(tid, tid))}</b>, "
                         f"required by {E(label)}" + (f" (source: {E(source)})" if source else "") + ".</li>")
    if not st.mandatory:
        items.append("<li class='mandatory-none'>No legal obligation makes a tool mandatory in this scenario.</li>")
    return f"<p>What every recommendation must meet here:</p><ul class='constraints'>{''.join(items)}</ul>"


def playbook_html(b: Briefing) -> str:
    """The "Playbook" section: the opening package and what to do at each review if the ally complies, stalls or
    retaliates (:func:`decision.strategy.playbook.plan_html`), or the one-line reason no playbook meets every principle."""
    plan = b.plan
    if plan is None:
        if not b.plan_error:
            return ""
        return (f"<div class='briefing playbook-section'><h2>Playbook</h2><p class='playbook-none'>No playbook meets "
                f"every principle: {E(b.plan_error)}</p></div>")
    flags = (f"<p class='caveat'><b>Flags:</b> {E(', '.join(plan.flags))} (a threatened step is not carried out on "
             f"a 'stalls' branch).</p>" if plan.flags else "")
    compared = (f"<h3>What the playbook buys</h3>{courses_html(list(b.plan_courses), plan)}" if b.plan_courses
                else "")
    return (f"<div class='briefing playbook-section'><h2>Playbook</h2><p>What to do now and at each of "
            f"{plan.reviews} reviews over {plan.months:g} months, for each reaction of the ally, under the weights "
            f"above (exact backward induction over {plan.n_packages:,} feasible packages; docs/strategy.md).</p>"
            f"{flags}{plan_html(plan)}{compared}<p class='sub'>{E(PROBABILITY_CAVEAT)}</p></div>")


def playbook_figure(b: Briefing):
    """The playbook's review tree (None when there is no playbook)."""
    if b.plan is None:
        return None
    from .strategy.figures import plan_figure  # noqa: PLC0415
    return plan_figure(b.plan)


def weights_html(b: Briefing) -> str:
    w = b.weights
    cnames = {c.id: c.name for c in b.catalog.criteria}
    rows = pd.DataFrame([(cnames[c], v) for c, v in w.weights.items()], columns=["criterion", "weight"])
    how = {"direct": "entered directly", "roc": "rank-order centroid weights from an importance order",
           "rank_sum": "rank-sum weights from an importance order", "swing": "swing weighting",
           "rank_reciprocal": "rank-reciprocal weights from an importance order",
           "ahp": "AHP pairwise comparisons"}.get(w.method, w.method)
    extra = "".join(f"<li>{E(k)}: {E(v)}</li>" for k, v in (("author", w.author), ("date", w.date),
                                                          ("elicitation input", w.inputs)) if v)
    rationale = f"<p><i>Rationale:</i> {E(w.rationale)}</p>" if w.rationale else ""
    return (f"<div class='briefing'><h2>What matters, and how much</h2><p>Weights from {E(w.label)}, "
            f"{E(how)}. Method: <b>{E(b.method)}</b> ({E(METHODS[b.method].description) if b.method in METHODS else 'mean rank of four methods'}).</p>"
            f"<ul>{extra}</ul>{rationale}{_table(rows, num=('weight',))}</div>")


def ranking_html(b: Briefing) -> str:
    crit = b.catalog.criteria
    df = b.ranking
    table = pd.DataFrame({"rank": df["rank"], "tools": df["tools"],
                          **{c.name + (" (cost)" if c.direction == "cost" else ""): df[c.id] for c in crit},
                          "preference": df["preference"]})
    num = [c for c in table.columns if c not in ("tools",)]
    removed = ", ".join(f"{k.replace('red_line:', 'red line on ')}: {v:,}" for k, v in
                        b.portfolios.removed.items() if v)
    return (f"<div class='briefing'><h2>Recommended combinations</h2><p>{len(b.portfolios):,} feasible combinations "
            f"of up to {b.portfolios.constraints.max_tools} tools were ranked (candidates removed by each "
            f"constraint: {E(removed) or 'none'}). Values are on 0-10 scales; escalation risk is a cost (lower is "
            f"better).</p>{_table(table, num=num)}</div>")


def explanation_html(b: Briefing, k: int) -> str:
    e = b.explanations[k]
    row = b.ranking.iloc[k]
    cnames = {c.id: c.name for c in b.catalog.criteria}
    tools = e["tools"]
    items = []
    for tid, g in tools.groupby("tool", sort=False):
        name = g["name"].iloc[0]
        best = g.loc[g["marginal"].abs().idxmax()]
        shift = g[g["scenario_shift"].abs() > 1e-9]
        shift_txt = "; scenario shifts: " + ", ".join(f"{cnames[c]} {s:+.1f}" for c, s in
                                                     zip(shift["criterion"], shift["scenario_shift"])) if len(shift) \
            else ""
        items.append(f"<li><b>{E(name)}</b>: biggest effect on {E(cnames[best['criterion']])} "
                     f"({best['marginal']:+.2f} points in this package){E(shift_txt)}.</li>")
    inter = e["interactions"]
    inter_txt = "".join(f"<li><span class='tag'>{E(r.kind)}</span> {E(cnames[r.criterion])} "
                        f"{r.effect:+.1f}: {E(r.rationale)}</li>" for r in inter.itertuples()) or "<li>none</li>"
    binding = []
    for r in e["red_lines"].itertuples():
        limit = r.max if r.max == r.max and r.max is not None else r.min
        margin = abs(r.value - limit)
        if margin < 1.0:
            binding.append(f"<li>{E(cnames[r.criterion])} is {r.value:.2f}, within {margin:.2f} of the red line "
                           f"({'max' if r.max == r.max and r.max is not None else 'min'} {limit:g}).</li>")
    bind_txt = "".join(binding) or "<li>No red line is close (all have a margin of at least 1 point).</li>"
    return (f"<div class='briefing'><h3>#{int(row['rank'])}: {E(row['tools'])}</h3>"
            f"<p>Why it ranks here: what each tool adds (value with it minus value without it):</p><ul>{''.join(items)}"
            f"</ul><p>Synergies and conflicts that fire in this package:</p><ul>{inter_txt}</ul>"
            f"<p>Red lines:</p><ul>{bind_txt}</ul></div>")


def changes_html(b: Briefing) -> str:
    parts = ["<div class='briefing'><h2>What would change the recommendation</h2>"]
    top = b.ranking.iloc[0]
    if len(b.ranking) > 1:
        second = b.ranking.iloc[1]
        a, c = set(top["tool_ids"]), set(second["tool_ids"])
        names = {t.id: t.name for t in b.catalog.tools}
        diff = []
        if a - c:
            diff.append("drops " + ", ".join(names[t] for t in sorted(a - c)))
        if c - a:
            diff.append("adds " + ", ".join(names[t] for t in sorted(c - a)))
        parts.append(f"<p>The runner-up ({E(second['tools'])}) {E(' and '.join(diff))}; its preference differs by "
                     f"{abs(top['preference'] - second['preference']):.4f}.</p>")
    parts.append("<p>Top combination under each ranking method (same weights):</p>")
    parts.append(_table(b.by_method))
    rob = b.robustness
    if rob.get("changes"):
        parts.append("<p>Weight changes that would replace the recommendation (others rescaled proportionally):</p>")
        parts.append("<ul>" + "".join(f"<li>{E(s)}</li>" for s in rob["changes"]) + "</ul>")
    parts.append("</div>")
    return "".join(parts)


def robustness_html(b: Briefing) -> str:
    rob = b.robustness
    if not rob:
        return ("<div class='briefing'><h2>How robust is this?</h2><p>The robustness analysis is not available in "
                "this installation.</p></div>")
    out = ["<div class='briefing'><h2>How robust is this?</h2>"]
    for key in ("summary",):
        if rob.get(key):
            out.append(f"<p>{E(rob[key])}</p>")
    for title, key, num in (("Stability intervals of the recommendation (weight range per criterion within which "
                             "it stays first):", "stability", ("current", "low", "high")),
                            ("Acceptability under uncertain weights (SMAA):", "acceptability", ()),
                            ("Core tools (share of non-dominated combinations that hold them):", "core", ())):
        df = rob.get(key)
        if isinstance(df, pd.DataFrame) and len(df):
            cols = [c for c in df.columns]
            out.append(f"<p>{E(title)}</p>{_table(df, num=[c for c in cols if df[c].dtype.kind == 'f'] or num)}")
    if rob.get("note"):
        out.append(f"<p><i>{E(rob['note'])}</i></p>")
    out.append("</div>")
    return "".join(out)


def caveats_html(b: Briefing) -> str:
    return ("<div class='briefing'><h2>Caveats</h2><ul>"
            f"<li>{E(CAVEAT)}</li>"
            "<li>The model adds tools' effects with diminishing returns and fixed pairwise interactions "
            "(docs/model.md); real packages depend on sequencing, timing and execution that it does not capture.</li>"
            "<li>Rankings use min-max normalisation over the feasible set: changing the cap on tools or the red lines "
            "can re-order combinations that did not themselves change.</li>"
            "<li>Scenario profiles are generic archetypes, not assessments of any real country.</li>"
            "</ul></div>")


def provenance(b: Briefing) -> dict:
    def v(pkg):
        try:
            return version(pkg)
        except PackageNotFoundError:
            return "unknown"
    where = "bundled (data/)" if Path(b.catalog.path) == BUNDLED else Path(b.catalog.path).name
    return {"decision": v("decision"), "catalogue": where, "catalogue sha256": b.catalog.digest,
            **{k: ("" if val is None else str(val)) for k, val in b.parameters.items()},
            "pymcdm": v("pymcdm"), "numpy": np.__version__, "pandas": pd.__version__, "python":
            platform.python_version()}


def provenance_html(b: Briefing) -> str:
    rows = "".join(f"<tr><td>{E(k)}</td><td>{E(str(val))}</td></tr>" for k, val in provenance(b).items())
    return (f"<div class='briefing'><h2>Provenance</h2><p>Same parameters and catalogue give the same briefing "
            f"(only the timestamp differs).</p><table class='prov'>{rows}</table></div>")


def robustness_figures(b: Briefing) -> list:
    """Plotly figures of the robustness section (none if robustness is unavailable)."""
    return list(b.robustness.get("figures", []))
