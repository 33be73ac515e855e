"""``decision rank | explain | tools | scenarios``: rank a scenario's combinations and break one down."""
from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from ..defaults import DEFAULT_METHOD, RANKING_METHODS, TIE_DELTA
from .common import (MAX_TOOLS_OPTION, TOP_OPTION, add_catalog, catalog_of, check_out, constraints_of, csv_text,
                     model_options, preference_direction, preference_meaning, scenario_and_weights, separating_decimals,
                     weights_of, write_output)

if TYPE_CHECKING:
    import pandas as pd

    from ..catalog import Catalog
    from ..ranking import Ranked


def format_ranking(ranked: Ranked, catalog: Catalog, check: dict | None = None) -> str:
    """A readable fixed-width table of a ranking (:meth:`decision.ranking.Ranker.ranked`), with its context and the
    scores caveat."""
    from ..catalog import CAVEAT  # noqa: PLC0415
    a = ranked.attrs
    rows = ranked.records()
    crit = catalog.criterion_ids
    w = ", ".join(f"{k}={v:.2f}" for k, v in a.get("weights", {}).items())
    sc = catalog.scenario(a.get("scenario"))
    horizon = f"   Horizon: {a['horizon']:g} months" if a.get("horizon") else ""
    method = a.get("method")
    lines = [f"Scenario: {sc.id} ({sc.name}){horizon}",
             f"Method: {method}   Preference: {preference_direction(method)}   Weights: {w}",
             f"{a.get('n_feasible', 0):,} feasible combinations; top {len(rows)} shown"
             + (f" ({a['shortlist']})" if a.get("shortlist") else "")]
    if a.get("floor"):
        lines.append(f"Accountability floor: {a['floor']}")
    else:
        lines.append("Accountability floor: off.")
    if a.get("capacity") is not None:
        lines.append(f"Effort capacity: {a['capacity']:g} units (effort.csv); each unit costs "
                     f"{catalog.model.effort_cost:g} of preference.")
    for t, obs in (a.get("mandatory") or {}).items():
        names = [o.name for o in catalog.constraints.obligations if o.id in obs]
        lines.append(f"Mandatory by law: {catalog.tool(t).name} ({'; '.join(names)}).")
    lines.append("")
    heads = [c.name.split()[0][:10] for c in catalog.criteria]
    sq = a.get("status_quo")
    nr = max(3, len(str(max([*(r["rank"] for r in rows), sq["rank"] if sq else 0]))))  # rank column width
    dec = separating_decimals([r["preference"] for r in rows])  # ranks 2 and 3 must not both read 0.6242
    pw = max(7, dec + 3)
    lines.append(f"{'rank':>{nr + 1}}  {'pref':>{pw}}  " + "  ".join(f"{h:>10}" for h in heads)
                 + f"  {'effort':>6}  tools")
    tied = set((check or {}).get("tied", []))
    for r in rows:
        vals = "  ".join(f"{r[c]:>10.2f}" for c in crit)
        mark = "=" if int(r["rank"]) in tied else " "
        lines.append(f"{int(r['rank']):>{nr}}{mark}  {r['preference']:>{pw}.{dec}f}  {vals}  {r['effort']:>6g}  "
                     f"{r['tools']}")
    if sq:
        vals = "  ".join(f"{sq[c]:>10.2f}" for c in crit)
        lines.append(f"{sq['rank']:>{nr}}   {sq['preference']:>{pw}.{dec}f}  {vals}  {0:>6}  "
                     "(status quo: do nothing new)")
    if tied:
        lines.append(f"= statistically tied with #1: a change of {TIE_DELTA:g} or less in one weight puts it first.")
    if check:
        if check.get("methods_undefined"):
            lines.append(f"{', '.join(check['methods_undefined'])} cannot rank these combinations (its formula is "
                         "undefined here: they tie on what it compares); not in the cross-check.")
        if check["methods_agree"]:
            lines.append("Methods: " + ", ".join(check["methods"]) + " agree on #1.")
        else:
            lines.append("Methods DISAGREE on #1: " + "; ".join(
                f"{m}: {' + '.join(catalog.tool(t).name for t in tools)}" for m, tools in check["methods"].items()))
    dirs = ", ".join(f"{c.name} {'higher' if c.type > 0 else 'lower'} is better" for c in catalog.criteria)
    lines += ["", f"Values on 0-10 scales ({dirs}); pref = {preference_meaning(method)}: "
                  f"{preference_direction(method)}.", CAVEAT]
    return "\n".join(lines)


def cmd_rank(args) -> int:
    """Rank and print. Table and JSON output are made without pandas (about a fifth of the command's time to
    import); CSV goes through pandas' writer."""
    from ..catalog import CAVEAT  # noqa: PLC0415
    from ..portfolios import build_portfolios  # noqa: PLC0415
    from ..ranking import Ranker, checks  # noqa: PLC0415
    cat = catalog_of(args)
    weights = weights_of(args, cat)
    check_out(args)                                       # before the work, once every input is read
    p = build_portfolios(cat, args.scenario, max_tools=args.max_tools, horizon=args.horizon,
                         constraints=constraints_of(args, cat))
    ranker = Ranker(p)
    ranked = ranker.ranked(weights, args.method, args.top)
    if len(ranked) < min(args.top, len(p)) and ranked.attrs.get("shortlist"):
        print(f"note: {len(ranked):,} rows, not {args.top:,}: {ranked.attrs['shortlist']}", file=sys.stderr)
    check = checks(ranker, weights, ranked)
    sq = ranked.attrs["status_quo"]
    note = playbook_note(args, p, ranker, weights, ranked) if args.playbook else None
    if args.format == "table":
        text = format_ranking(ranked, cat, check) + "\n\n" + (note["note"] if note else PACKAGE_VIEW)
    elif args.format == "csv":
        import pandas as pd  # noqa: PLC0415
        df = ranked.frame()
        out = df.drop(columns=["tool_ids"]).assign(tool_ids=[" | ".join(t) for t in df["tool_ids"]])
        ref = pd.DataFrame([{"rank": sq["rank"], "tools": "(status quo: do nothing new)", "n_tools": 0, "effort": 0,
                             **{c: sq[c] for c in cat.criterion_ids}, "preference": sq["preference"],
                             "tool_ids": ""}], index=pd.Index(["status_quo"], name="combination"))
        text = csv_text(pd.concat([out, ref]))
    else:
        recs = [{"rank": int(r["rank"]), "tools": list(r["tool_ids"]), "preference": float(r["preference"]),
                 "effort": float(r["effort"]), "statistically_tied_with_first": int(r["rank"]) in check["tied"],
                 **{c: float(r[c]) for c in cat.criterion_ids}} for r in ranked.records()]
        text = json.dumps({**{k: v for k, v in ranked.attrs.items()},
                           "preference_higher_is_better": preference_direction(args.method).startswith("higher"),
                           "checks": check, "caveat": CAVEAT, "ranking": recs,
                           **({"playbook_opening": note} if note else {})}, indent=2)
    print(text)
    if args.out:
        write_output(Path(args.out), text + "\n")
    return 0


PACKAGE_VIEW = ("This is the package view: each combination held for the whole horizon. The recommendation is a "
                "strategy that adapts at each review (decision options, decision plan); --playbook shows where its "
                "opening ranks here and why it differs.")


def playbook_note(args, p, ranker, weights, ranked) -> dict:
    """Where the playbook's opening ranks in this ranking and why it differs (docs/strategy.md, "One answer")."""
    from ..errors import DecisionError  # noqa: PLC0415
    from ..ranking import METHODS, method_of  # noqa: PLC0415
    from ..strategy.compare import opening_in_ranking, opening_note  # noqa: PLC0415
    from ..strategy.playbook import build_plan  # noqa: PLC0415
    from ..strategy.reactions_file import load_reactions  # noqa: PLC0415
    from ..strategy.tree import strategy_problem  # noqa: PLC0415
    if method_of(args.method).is_consensus or "shortlist" in ranked.attrs:
        return {"note": f"--playbook: not available for {args.method} (it ranks a shortlist or mean ranks)."}
    try:
        problem = strategy_problem(p, load_reactions(p.catalog))
        plan = build_plan(problem, problem.solve(weights), weights)
    except DecisionError as exc:
        return {"note": f"No playbook to compare: {exc}"}
    first = int(ranked.rows[0])                                       # the combination row of #1
    o = opening_in_ranking(problem, plan, ranker.preference(weights, args.method), METHODS[args.method].ascending,
                           first)
    names = {t.id: t.name for t in p.catalog.tools}
    return {"opening": list(o.opening), "rank": o.rank, "of": o.of, "first": list(o.first),
            "first_breaks": None if o.first_broken is None else list(o.first_broken),
            "note": opening_note(o, names)}


def cmd_tools(args) -> int:
    cat = catalog_of(args)
    for t in cat.tools:
        excl = "  [excluded by premise]" if t.id in cat.constraints.excluded_by_premise else ""
        print(f"{t.id:<38} rung {t.rung}  effort {t.effort:g}  {t.family:<14} {t.name}{excl}")
    return 0


def cmd_scenarios(args) -> int:
    cat = catalog_of(args)
    for s in cat.scenarios:
        default = "  (default)" if s.id == cat.default_scenario else ""
        factors = " ".join(f"{k}={v:g}" for k, v in s.factors.items())
        extra = [f"effort capacity {cat.constraints.capacity(s):g}" if cat.constraints.capacity(s) else "",
                 f"facts: {', '.join(s.facts)}" if s.facts else ""]
        extra = "; ".join(x for x in extra if x)
        print(f"{s.id:<24} {s.name}{default}\n{'':<24} {factors}" + (f"; {extra}" if extra else ""))
    return 0


def format_red_lines(df: pd.DataFrame) -> str:
    """One line per red line: its bound in words (a red line sets a maximum, a minimum or both), the combination's
    value and whether it holds; no NaN for a bound that is not set."""
    import pandas as pd  # noqa: PLC0415
    width = max(len(str(c)) for c in df["criterion"])
    lines = []
    for _, r in df.iterrows():
        bounds = [f"at most {r['max']:.2f}" if pd.notna(r["max"]) else "",
                  f"at least {r['min']:.2f}" if pd.notna(r["min"]) else ""]
        bound = " and ".join(b for b in bounds if b)
        lines.append(f"  {r['criterion']:<{width}}  {bound:<26}  value {r['value']:.2f}  "
                     + ("holds" if r["satisfied"] else "BROKEN"))
    return "\n".join(lines)


def cmd_explain(args) -> int:
    import pandas as pd  # noqa: PLC0415

    from ..catalog import CAVEAT  # noqa: PLC0415
    from ..explain import explain  # noqa: PLC0415
    from .cases import explain_lines  # noqa: PLC0415
    cat = catalog_of(args)
    e = explain(cat, args.tools, args.scenario, args.horizon, constraints=constraints_of(args, cat))
    print(f"Combination: {' + '.join(cat.tool(t).name for t in args.tools)}   scenario: {e['scenario']}   "
          f"effort: {e['effort']:g}\n")
    if e["feasible"]:
        print("Feasible: yes, it can be chosen.\n")
    else:
        print("Feasible: NO, it cannot be chosen:\n" + "\n".join(f"  - {r}" for r in e["reasons"]) + "\n")
    vals = pd.DataFrame({"value": e["values"], "status quo": e["status_quo"],
                         "change": e["values"] - e["status_quo"]})
    print("Values (and doing nothing new):\n" + vals.round(2).to_string() + "\n")
    if e["cap"]:
        print(f"Cap: {e['cap']}\n")
    cols = ["tool", "criterion", "base", "scenario_shift", "adjusted", "marginal"]
    print("Tool contributions (base/adjusted: the tool's change from the status quo; marginal = value with the tool "
          "minus value without it):")
    print(e["tools"][cols].round(2).to_string(index=False) + "\n")
    print("Interactions that fired:")
    print((e["interactions"][["interaction", "criterion", "effect", "rationale"]].to_string(index=False)
           if len(e["interactions"]) else "  none") + "\n")
    print("Red lines:\n" + (format_red_lines(e["red_lines"]) if len(e["red_lines"]) else "  none"))
    print("\n" + "\n".join(explain_lines(cat, list(dict.fromkeys(args.tools)), e["scenario"])))
    print("\n" + CAVEAT)
    return 0


def register(sub) -> None:
    r = sub.add_parser("rank", help="rank the feasible combinations for a scenario")
    add_catalog(r)
    scenario_and_weights(r)
    model_options(r)
    r.add_argument("--method", default=DEFAULT_METHOD, choices=[*RANKING_METHODS, "consensus"],
                   help="default wsm (additive value on fixed 0-10 anchors); spotis gives the same ranking here")
    r.add_argument("--top", type=TOP_OPTION, default=10)
    r.add_argument("--max-tools", type=MAX_TOOLS_OPTION,
                   help="cap on tools per combination (default: constraints.yaml)")
    r.add_argument("--format", default="table", choices=["table", "csv", "json"])
    r.add_argument("--playbook", action="store_true",
                   help="say where the playbook's opening ranks here and why it differs from #1 (about a second)")
    r.add_argument("--out", help="also write the output to this file")
    r.set_defaults(func=cmd_rank)

    t = sub.add_parser("tools", help="list the tools (id first)")
    add_catalog(t)
    t.set_defaults(func=cmd_tools)
    s = sub.add_parser("scenarios", help="list the scenarios (id first)")
    add_catalog(s)
    s.set_defaults(func=cmd_scenarios)
    e = sub.add_parser("explain", help="break one combination down")
    add_catalog(e)
    e.add_argument("tools", nargs="+", help="tool ids")
    e.add_argument("--scenario")
    e.add_argument("--horizon", type=float, metavar="MONTHS", help="analysis horizon in months")
    model_options(e)
    e.set_defaults(func=cmd_explain)
