"""``decision rank | explain | tools | scenarios``: rank a scenario's combinations and break one down."""
from __future__ import annotations

import json
from pathlib import Path

import pandas as pd

from ..catalog import CAVEAT, Catalog
from ..explain import explain
from ..portfolios import build_portfolios
from ..ranking import METHODS, Ranker
from .common import add_catalog, catalog_of, scenario_and_weights, weights_of, write_output

def format_ranking(df: pd.DataFrame, catalog: Catalog) -> str:
    """A readable fixed-width table of a ranking, with its context and the scores caveat."""
    a = df.attrs
    crit = catalog.criterion_ids
    w = ", ".join(f"{k}={v:.2f}" for k, v in a.get("weights", {}).items())
    sc = catalog.scenario(a.get("scenario"))
    horizon = f"   Horizon: {a['horizon']:g} months" if a.get("horizon") else ""
    lines = [f"Scenario: {sc.id} ({sc.name}){horizon}", f"Method: {a.get('method')}   Weights: {w}",
             f"{a.get('n_feasible', 0):,} feasible combinations; top {len(df)} shown"
             + (f" ({a['shortlist']})" if a.get("shortlist") else ""), ""]
    heads = [c.name.split()[0][:10] for c in catalog.criteria]
    lines.append(f"{'rank':>4}  {'pref':>7}  " + "  ".join(f"{h:>10}" for h in heads) + "  tools")
    for _, r in df.iterrows():
        vals = "  ".join(f"{r[c]:>10.2f}" for c in crit)
        lines.append(f"{int(r['rank']):>4}  {r['preference']:>7.4f}  {vals}  {r['tools']}")
    dirs = ", ".join(f"{c.name} {'higher' if c.type > 0 else 'lower'} is better" for c in catalog.criteria)
    lines += ["", f"Values on 0-10 scales ({dirs}).", CAVEAT]
    return "\n".join(lines)


def cmd_rank(args) -> int:
    cat = catalog_of(args)
    p = build_portfolios(cat, args.scenario, max_tools=args.max_tools, horizon=args.horizon)
    df = Ranker(p).rank(weights_of(args, cat), args.method, args.top)
    if args.format == "table":
        text = format_ranking(df, cat)
    elif args.format == "csv":
        out = df.drop(columns=["tool_ids"]).assign(tool_ids=[" | ".join(t) for t in df["tool_ids"]])
        text = out.to_csv()
    else:
        recs = [{"rank": int(r["rank"]), "tools": list(r["tool_ids"]), "preference": float(r["preference"]),
                 **{c: float(r[c]) for c in cat.criterion_ids}} for _, r in df.iterrows()]
        text = json.dumps({**{k: v for k, v in df.attrs.items()}, "caveat": CAVEAT, "ranking": recs}, indent=2)
    print(text)
    if args.out:
        write_output(Path(args.out), text + "\n")
    return 0


def cmd_tools(args) -> int:
    cat = catalog_of(args)
    for t in cat.tools:
        excl = "  [excluded by premise]" if t.id in cat.constraints.excluded_by_premise else ""
        print(f"{t.id:<38} rung {t.rung}  {t.family:<14} {t.name}{excl}")
    return 0


def cmd_scenarios(args) -> int:
    cat = catalog_of(args)
    for s in cat.scenarios:
        default = "  (default)" if s.id == cat.default_scenario else ""
        factors = " ".join(f"{k}={v:g}" for k, v in s.factors.items())
        print(f"{s.id:<24} {s.name}{default}\n{'':<24} {factors}")
    return 0


def cmd_explain(args) -> int:
    cat = catalog_of(args)
    e = explain(cat, args.tools, args.scenario, args.horizon)
    print(f"Combination: {' + '.join(cat.tool(t).name for t in args.tools)}   scenario: {e['scenario']}\n")
    print("Values:\n" + e["values"].round(2).to_string() + "\n")
    cols = ["tool", "criterion", "base", "scenario_shift", "adjusted", "marginal"]
    print("Tool contributions (marginal = value with the tool minus value without it):")
    print(e["tools"][cols].round(2).to_string(index=False) + "\n")
    print("Interactions that fired:")
    print((e["interactions"][["interaction", "criterion", "effect", "rationale"]].to_string(index=False)
           if len(e["interactions"]) else "  none") + "\n")
    print("Red lines:\n" + (e["red_lines"].round(2).to_string(index=False) if len(e["red_lines"]) else "  none"))
    print("\n" + CAVEAT)
    return 0


def register(sub) -> None:
    r = sub.add_parser("rank", help="rank the feasible combinations for a scenario")
    add_catalog(r)
    scenario_and_weights(r)
    r.add_argument("--method", default="topsis", choices=[*METHODS, "consensus"])
    r.add_argument("--top", type=int, default=10)
    r.add_argument("--max-tools", type=int, help="cap on tools per combination (default: constraints.yaml)")
    r.add_argument("--format", default="table", choices=["table", "csv", "json"])
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
    e.set_defaults(func=cmd_explain)
