"""``decision plan``: a playbook over time (opening package, review points, next package per ally reaction)."""
from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

from ..defaults import MAX_REVIEWS, NEAR_SPREAD, PRINCIPLES
from .common import (MAX_TOOLS_OPTION, SEED_OPTION, add_catalog, catalog_of, check_out, count, draw_progress,
                     scenario_and_weights, weights_of, write_output)

MAX_SAMPLES = 10_000
"""Robustness draws per kind: each re-solves the tree (about 0.06 s for a weight draw, 0.11 s for a probability draw,
0.37 s for a score draw, which also revalues every package, on the bundled catalogue's largest scenario)."""


def cmd_plan(args) -> int:
    from ..portfolios import build_portfolios  # noqa: PLC0415
    from ..strategy.compare import compare_courses, courses_json, courses_lines  # noqa: PLC0415
    from ..strategy.playbook import build_plan, plan_json, plan_text  # noqa: PLC0415
    from ..strategy.reactions_file import load_reactions  # noqa: PLC0415
    from ..strategy.robustness import opening_stability  # noqa: PLC0415
    from ..strategy.tree import check_tree_size, strategy_problem  # noqa: PLC0415
    cat = catalog_of(args)
    weights = weights_of(args, cat)
    model = load_reactions(cat, args.reactions)
    check_tree_size(len(model.reactions), args.reviews)    # before the work
    check_out(args)                                       # before the work, once every input is read
    pr = model.principles.switched(off=args.off or ())
    if args.max_rungs_up is not None:
        pr = replace(pr, max_rungs_up=args.max_rungs_up)
    p = build_portfolios(cat, args.scenario, max_tools=args.max_tools, horizon=args.horizon)
    problem = strategy_problem(p, model, args.reviews, args.months, pr)
    plan = build_plan(problem, problem.solve(weights), weights)
    robust = None
    if args.samples:
        step, bar = draw_progress("playbook draws", "draw")
        try:
            robust = opening_stability(problem, weights, args.samples, args.seed, progress=step,
                                       weight_center=weights, spread=args.spread)
        finally:
            if bar is not None:
                bar.close()
    courses = compare_courses(problem, plan)
    if args.format == "json":
        out = plan_json(plan)
        out["comparison"] = courses_json(courses)
        if robust:
            out["robustness"] = {k: robust[k] for k in ("n_samples", "seed", "weight_region", "weights_same",
                                                         "probabilities_same", "scores_same", "weights_none",
                                                         "probabilities_none", "scores_none", "tools")}
        text = json.dumps(out, indent=2)
    else:
        text = plan_text(plan, robust, courses_lines(courses, plan))
        if not robust:
            text += ("\n(Add --samples 200 to see how often the opening survives weight, probability and score draws; "
                     "each draw re-solves the tree: up to two minutes on the bundled catalogue.)")
    print(text)
    if args.out:
        write_output(Path(args.out), text + "\n")
    return 0


def register(sub) -> None:
    r = sub.add_parser("plan", help="a playbook over time: opening package and what to do at each review if the "
                                    "ally complies, stalls or retaliates")
    add_catalog(r)
    scenario_and_weights(r)
    r.add_argument("--reviews", type=count(0, MAX_REVIEWS, "reviews"), default=3, help="review points (default 3)")
    r.add_argument("--months", type=float, default=12, help="horizon in months, cut into reviews + 1 equal periods")
    r.add_argument("--off", type=lambda s: [x.strip() for x in s.split(",") if x.strip()], metavar="P[,P]",
                   help=f"switch principles off: {', '.join(PRINCIPLES)}")
    r.add_argument("--max-rungs-up", type=count(0, 8, "max_rungs_up"), help="calibration: rungs up per review (default: reactions.yaml)")
    r.add_argument("--reactions", metavar="FILE", help="reactions.yaml to use (default: the catalogue's)")
    r.add_argument("--samples", type=count(0, MAX_SAMPLES, "samples"), default=0,
                   help="robustness draws of weights, of reaction probabilities and of tool scores (default 0: "
                        "skip)")
    r.add_argument("--spread", type=float, default=NEAR_SPREAD,
                   help="with --weights/--profile and --samples, the weight draws stay within +/- this of them "
                        f"(default {NEAR_SPREAD:g}; without weights they are uniform on the simplex)")
    r.add_argument("--seed", type=SEED_OPTION, default=0)
    r.add_argument("--max-tools", type=MAX_TOOLS_OPTION, help="cap on tools per package (default: constraints.yaml)")
    r.add_argument("--format", default="text", choices=["text", "json"])
    r.add_argument("--out", help="also write the output to this file")
    r.set_defaults(func=cmd_plan)
