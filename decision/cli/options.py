"""``decision options``: a few distinct courses of action, the status quo, today's policy and its minimal change."""
from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING

from ..defaults import DEFAULT_K, DEFAULT_SHARE, MAX_REVIEWS, RANKING_METHODS
from ..errors import DecisionError
from .common import (K_OPTION, MAX_TOOLS_OPTION, add_catalog, catalog_of, check_out, constraints_of, count, csv_text,
                     model_options, preference_direction, preference_meaning, scenario_and_weights, separating_decimals,
                     weights_of, write_output)

if TYPE_CHECKING:
    from ..catalog import Catalog
    from ..options import Options


def tool_list(text: str | None) -> list[str] | None:
    """``a,b,c`` -> ids (None stays None; an empty string is an empty policy)."""
    if text is None:
        return None
    return [t.strip() for t in text.split(",") if t.strip()]


def format_options(o: Options, catalog: Catalog) -> str:
    """Fixed-width table: one row per option and reference row, then the trade-offs and the rules."""
    from ..catalog import CAVEAT  # noqa: PLC0415
    from ..options import RUNG_SKIP_NOTE  # noqa: PLC0415
    sc = catalog.scenario(o.scenario)
    w = ", ".join(f"{k}={v:.2f}" for k, v in o.weights.items())
    playbook = o.basis == "playbook"
    basis = (f"Basis: the playbook over {o.horizon}; value = expected additive value (fixed anchors, less effort) of "
             "opening with the package and continuing with the playbook's best next steps: higher is better"
             if playbook else f"Method: {o.method}   Preference: {preference_direction(o.method)}")
    lines = [f"Scenario: {sc.id} ({sc.name})", basis, f"Weights: {w}",
             f"{len(o.options)} distinct options from {o.n_feasible:,} feasible combinations"
             + ("; criterion columns: the opening package's values" if playbook else ""), ""]
    heads = [c.name.split()[0][:10] for c in catalog.criteria]
    dec = separating_decimals([r.preference for r in o.rows() if r.preference == r.preference])
    pw = max(7, dec + 3)
    lines.append(f"{'':<15} {'value' if playbook else 'pref':>{pw}}  " + (f"{'worst':>{pw}}  " if playbook else "")
                 + "  ".join(f"{h:>10}" for h in heads) + f"  {'effort':>6}  label: tools")
    for i, r in enumerate(o.rows()):
        name = f"option {i + 1}" if r.kind == "option" else r.kind.replace("_", " ")
        pref = f"{r.preference:>{pw}.{dec}f}" if r.preference == r.preference else f"{'n/a':>{pw}}"
        vals = "  ".join(f"{r.values[c]:>10.2f}" for c in catalog.criterion_ids)
        tools = " + ".join(r.names) or "(nothing new)"
        flag = "" if r.feasible else "  [not feasible, see below]"
        eff = f"{r.effort:>6.1f}" if r.effort is not None else f"{'':>6}"
        worst = ((f"{r.course.worst_value:>{pw}.{dec}f}  " if r.course is not None else f"{'n/a':>{pw}}  ")
                 if playbook else "")
        lines.append(f"{name:<15} {pref}  {worst}{vals}  {eff}  {r.label}: {tools}{flag}")
    lines.append("")
    for i, r in enumerate(o.rows()):
        name = f"option {i + 1}" if r.kind == "option" else r.kind.replace("_", " ")
        bits = []
        if r.tradeoff:
            bits.append(f"vs option 1: {r.tradeoff}")
        if r.tied_names():
            bits.append("statistically tied with " + ", ".join(r.tied_names()))
        if r.course is not None and "rung_skip" in r.course.flags:
            bits.append(RUNG_SKIP_NOTE)
        if r.reasons:
            bits.append("not feasible: " + "; ".join(r.reasons))
        if r.kind == "minimal_change":
            bits.append(f"add: {', '.join(r.add) or 'nothing'}; drop: {', '.join(r.drop) or 'nothing'} "
                        f"(reaches {o.share:.0%} of option 1's gain over doing nothing new)")
        if r.course is not None and r.course.next_steps:
            bits.append("at the first review: " + next_steps_text(r, catalog))
        if bits:
            lines.append(f"{name}: " + "; ".join(bits))
    meaning = ("value = the playbook's expected value over the horizon, worst = on its worst branch: higher is "
               "better." if playbook else f"pref = {preference_meaning(o.method)}: {preference_direction(o.method)}.")
    lines += ["", meaning, o.rule, CAVEAT]
    return "\n".join(lines)


def next_steps_text(r, catalog: Catalog) -> str:
    """What the course does at the first review, per reaction (changes to the package, or 'keep')."""
    names = {t.id: t.name for t in catalog.tools}
    parts = []
    for reaction, nxt in r.course.next_steps.items():
        said = reaction.replace("_", " ")
        if nxt is None:
            parts.append(f"if it {said}: keep")
            continue
        change = [*(f"+{names[t]}" for t in nxt if t not in r.tools), *(f"-{names[t]}" for t in r.tools if t not in nxt)]
        parts.append(f"if it {said}: " + ", ".join(change))
    return "; ".join(parts)


def strategy_of(p, args):
    """The playbook's problem for ``p`` (None for the package view: ``--packages`` or a non-default method)."""
    from ..options import default_method  # noqa: PLC0415
    from ..strategy import load_reactions, strategy_problem  # noqa: PLC0415
    if args.packages or (args.method and args.method != default_method()):
        return None
    return strategy_problem(p, load_reactions(p.catalog), args.reviews, args.months)


def cmd_options(args) -> int:
    from ..catalog import CAVEAT  # noqa: PLC0415
    from ..options import default_method, find_options  # noqa: PLC0415
    from ..portfolios import build_portfolios  # noqa: PLC0415
    cat = catalog_of(args)
    if not 0 < args.share <= 1:
        raise DecisionError(f"--share must be in (0, 1], got {args.share:g}")
    weights = weights_of(args, cat)
    check_out(args)                                       # before the work, once every input is read
    p = build_portfolios(cat, args.scenario, max_tools=args.max_tools, horizon=args.horizon,
                         constraints=constraints_of(args, cat))
    try:
        o = find_options(p, weights, args.method or default_method(), args.k, tool_list(args.current), args.share,
                         strategy=strategy_of(p, args))
    except DecisionError as exc:
        if "no playbook meets every principle" not in str(exc):
            raise
        raise DecisionError(f"{exc}; --packages ranks the packages held for the whole horizon instead") from None
    if args.format == "table":
        text = format_options(o, cat)
    elif args.format == "csv":
        text = csv_text(o.frame())
    else:
        text = json.dumps({**o.to_dict(), "caveat": CAVEAT}, indent=2, ensure_ascii=False)
    print(text)
    if args.out:
        write_output(Path(args.out), text + "\n")
    return 0


def register(sub) -> None:
    o = sub.add_parser("options", help="a few distinct courses of action, the status quo and today's policy")
    add_catalog(o)
    scenario_and_weights(o)
    model_options(o)
    o.add_argument("--method", choices=[*RANKING_METHODS, "consensus"], help="ranking method (default: the package's)")
    o.add_argument("--k", type=K_OPTION, default=DEFAULT_K, help=f"number of options (default {DEFAULT_K})")
    o.add_argument("--current", metavar="a,b,...", help="today's policy as tool ids ('' = nothing new)")
    o.add_argument("--share", type=float, default=DEFAULT_SHARE,
                   help=f"part of option 1's gain over doing nothing new the minimal change must reach "
                        f"(default {DEFAULT_SHARE})")
    o.add_argument("--max-tools", type=MAX_TOOLS_OPTION,
                   help="cap on tools per combination (default: constraints.yaml)")
    o.add_argument("--packages", action="store_true",
                   help="rank single packages held for the whole horizon (the package view) instead of openings "
                        "with the playbook's continuation")
    o.add_argument("--reviews", type=count(0, MAX_REVIEWS, "reviews"), default=3, help="playbook reviews (default 3)")
    o.add_argument("--months", type=float, default=12, help="playbook horizon in months (default 12)")
    o.add_argument("--format", default="table", choices=["table", "csv", "json"])
    o.add_argument("--out", help="also write the output to this file")
    o.set_defaults(func=cmd_options)
