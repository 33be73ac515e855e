"""``decision robustness``: how far today's recommendation survives changes in the weights (and in the scores)."""
from __future__ import annotations

import json
import math
from pathlib import Path
from typing import TYPE_CHECKING

from ..defaults import DEFAULT_METHOD, HOW_SURE_SAMPLES, NEAR_SPREAD, PORTFOLIO_METHODS
from ..errors import DecisionError
from .common import (MAX_SAMPLES, MAX_TOOLS_OPTION, SAMPLES_OPTION, SEED_OPTION, add_catalog, catalog_of, constraints_of,
                     count, draw_progress, model_options, scenario_and_weights, weights_of, write_output)

if TYPE_CHECKING:
    import pandas as pd

SCORE_SAMPLES = 1_000
"""Default draws with --scores (every draw revalues the combinations that can reach the top k: slower)."""


def register(sub) -> None:
    r = sub.add_parser("robustness", help="stability intervals, SMAA acceptability and core tools for a scenario")
    add_catalog(r)
    scenario_and_weights(r)
    model_options(r)
    r.add_argument("--method", default=DEFAULT_METHOD, choices=PORTFOLIO_METHODS)
    r.add_argument("--spread", type=float,
                   help="with --weights/--profile, SMAA draws each weight within +/- this of it "
                        f"(default {NEAR_SPREAD:g})")
    r.add_argument("--order", metavar="ORDER",
                   help="instead of --weights/--profile: SMAA weights uniform on those that respect this importance "
                        "order, e.g. 'rights_protection>legitimacy>security_continuity=escalation_risk' ('>' more "
                        "important, '=' tied; rank every criterion, as `decision weights roc`); how sure, the "
                        "stability intervals and the tornado use its rank-order-centroid weights (with --bounds "
                        "too: the mean of the draws)")
    r.add_argument("--bounds", metavar="BOUNDS",
                   help="instead of --weights/--profile, alone or with --order: SMAA weights uniform within these "
                        "bounds, e.g. 'rights_protection=0.2:0.5,escalation_risk=:0.3' (LOW:HIGH, an empty side is "
                        "0 or 1); how sure, the stability intervals and the tornado use the mean of the draws")
    r.add_argument("--samples", type=SAMPLES_OPTION,
                   help=f"Monte Carlo samples (default 10000, {SCORE_SAMPLES:,} with --scores; at most "
                        f"{MAX_SAMPLES:,})")
    r.add_argument("--seed", type=SEED_OPTION, default=1)
    r.add_argument("--top-k", type=count(1, 1_000, "top_k"), default=10,
                   help="acceptability of reaching the top k (default 10)")
    r.add_argument("--show", type=count(0, 100_000, "show"), default=10, help="combinations listed (default 10)")
    r.add_argument("--scores", choices=["triangular", "uniform"],
                   help="also sample tool scores within their low-high ranges in the SMAA table (slower)")
    r.add_argument("--sure-samples", type=count(0, MAX_SAMPLES, "sure_samples"), default=HOW_SURE_SAMPLES,
                   help=f"draws per share of the 'how sure' figure (default {HOW_SURE_SAMPLES:,}; 0 skips it)")
    r.add_argument("--tornado", type=count(0, 1_000, "tornado"), default=8,
                   help="scores that decide the recommendation: rows shown (default 8; 0 skips it)")
    r.add_argument("--format", default="text", choices=["text", "json"])
    r.add_argument("--out", help="also write the output to this file")
    r.add_argument("--max-tools", type=MAX_TOOLS_OPTION,
                   help="cap on tools per combination (default: constraints.yaml)")
    r.set_defaults(func=cmd_robustness)


def weight_region(weights, spread: float | None, order=None, bounds=None, criteria=()) -> tuple[dict, str]:
    """SMAA options that honour the analyst's weights: uniform draws within +/- ``spread`` of them; uniform on the
    region of an importance ``order`` and/or weight ``bounds`` (:func:`region_of`); uniform on the simplex when
    none was given. Returns (options, a sentence saying which)."""
    if order is not None or bounds is not None:
        from ..robustness import region_words  # noqa: PLC0415
        return {"weight_order": order, "weight_bounds": bounds}, region_words(criteria, order, bounds)
    if weights is None:
        return {}, "uniform on the simplex (no --weights or --profile given)"
    spread = NEAR_SPREAD if spread is None else spread
    if not 0 < spread <= 1:
        raise DecisionError(f"--spread must be in (0, 1], got {spread:g}")
    return {"weight_center": weights, "spread": spread}, f"within +/- {spread:g} of the given weights"


def region_of(args, criteria) -> tuple[list | None, dict | None]:
    """``--order`` and ``--bounds`` as :func:`decision.robustness.sample_weights`'s ``weight_order`` (a criterion,
    or a tuple of tied criteria, per place) and ``weight_bounds``; (None, None) when neither is given. Refused (one
    line) with ``--weights``/``--profile`` or ``--spread`` (a box around given weights) and on any bad field."""
    order_text, bounds_text = getattr(args, "order", None), getattr(args, "bounds", None)
    if order_text is None and bounds_text is None:
        return None, None
    given = " and ".join(o for o, v in (("--order", order_text), ("--bounds", bounds_text)) if v is not None)
    sets = f"{given} {'set the region themselves' if ' and ' in given else 'sets the region itself'}"
    if getattr(args, "weights", None) is not None or getattr(args, "profile", None) is not None:
        raise DecisionError(f"give {given} or --weights/--profile, not both: --weights/--profile sample a box of "
                            f"+/- --spread around those weights; {sets}")
    if getattr(args, "spread", None) is not None:
        raise DecisionError(f"--spread applies to --weights/--profile only; {sets}")
    from ..weights import parse_bounds, parse_order  # noqa: PLC0415
    order = None
    if order_text is not None:
        try:
            groups = parse_order(order_text, criteria)
        except DecisionError as exc:
            raise DecisionError(exc.problem, where="--order") from None
        order = [g[0] if len(g) == 1 else tuple(g) for g in groups]
    bounds = parse_bounds(bounds_text, criteria, "--bounds") if bounds_text is not None else None
    return order, bounds


def region_centre_of(samples: int, criteria, seed, order, bounds) -> tuple[list[float], float, str]:
    """The weights for the parts that need one vector (how sure, stability intervals, tornado) when the analyst
    gave a region instead of weights: :func:`decision.robustness.region_centre`. A region that keeps too few draws
    is refused naming the options."""
    from ..robustness import region_centre  # noqa: PLC0415
    try:
        w, acc, how = region_centre(samples, criteria, seed, order, bounds)
    except DecisionError as exc:
        raise DecisionError(exc.problem, where="--bounds" if order is None else "--order/--bounds") from None
    return [float(x) for x in w], acc, how


def exactness_line(smaa) -> str:
    """What the SMAA table covers, in words."""
    k = smaa.k
    reach = f"{smaa.n_candidates:,} of {smaa.n_possible:,} combinations can reach the top {k}"
    if not smaa.scores:
        return f"exact: every combination that can reach the top {k} was evaluated ({reach})."
    return (f"exact: every combination that can reach the top {k} in a draw was evaluated in it ({reach}, "
            f"{smaa.n_possible - smaa.n_feasible:,} of them feasible only with some scores; on average "
            f"{smaa.evaluated:,.0f} valued per draw).")


def format_robustness(stab: pd.DataFrame, smaa, core: pd.DataFrame, show: int, where: str = "", sure=None,
                      tornado: pd.DataFrame | None = None, tornado_rows: int = 8, region: dict | None = None) -> str:
    """Readable report: how sure, stability intervals, the scores that decide, the top combinations'
    acceptability, the core tools. ``region``: :func:`region_record` when ``--order``/``--bounds`` were given."""
    from ..catalog import CAVEAT  # noqa: PLC0415
    a = stab.attrs
    lines = [f"Scenario: {a['scenario']}   Method: {a['method']}",
             f"Today's recommendation: {a['top']}", ""]
    if region and (region["order"] or region["bounds"]):
        lines += [f"No --weights or --profile given: the recommendation, how sure's score-only share, the stability "
                  f"intervals and the tornado use {region['point_weights']}; see the weight column below.", ""]
    if sure is not None:
        lines += [f"How sure: {sure.sentence()}",
                  f"  (weights {sure.weights_region}; scores {sure.distribution} within their ranges; "
                  f"{sure.n_samples:,} draws each, seed {sure.seed})", ""]
    lines += ["Stability intervals (weight range of each criterion, others rescaled proportionally, that keeps it on "
              "top):",
              f"{'criterion':<22}{'weight':>8}{'low':>8}{'high':>8}{'margin':>8}"]
    for c, r in stab.iterrows():
        lines.append(f"{c:<22}{r['weight']:>8.3f}{r['low']:>8.3f}{r['high']:>8.3f}{r['margin']:>8.3f}")
    crit = a.get("most_critical")
    lines.append(f"Most critical criterion: {crit}" if crit else "No weight change within 0-1 alters the top.")
    if not bool(stab["exact"].iloc[0]):
        lines.append("(TOPSIS: interval ends found by bisection to 1e-7)")
    if tornado is not None and tornado_rows:
        lines += ["", tornado_text(tornado, tornado_rows)]
    k = smaa.k
    scores_line = (f"Scores sampled ({smaa.scores}) within their ranges; a combination counts in a draw only if it "
                   "is feasible with that draw's values." if smaa.scores else "Scores fixed at their point values.")
    lines += ["", f"SMAA: {smaa.n_samples:,} samples, weights {where or 'uniform on the simplex'}, seed {smaa.seed}; "
                  f"Monte Carlo error +/- {smaa.mc_error:.3f} (95%).", scores_line, exactness_line(smaa)]
    if smaa.acceptance_rate < 1:
        lines.append(f"Acceptance: {smaa.acceptance_rate:.1%} of the weight draws fell within the region's bounds; "
                     "the others were rejected and drawn again (the kept draws are uniform on the region).")
    if smaa.no_feasible:
        lines.append(f"In {smaa.no_feasible:,} draws no combination was feasible.")
    lines += [f"Acceptability (higher is better): the share of the samples in which a combination ranks first "
              f"(first) or in the top {k} (top_{k}), under {a['method']}.", f"{'first':>7}{'top_' + str(k):>8}  tools"]
    for _, r in smaa.table.head(show).iterrows():
        mark = "" if r.get("feasible_at_point", True) else "  (feasible only with some scores)"
        lines.append(f"{r['first']:>7.3f}{r['top_k']:>8.3f}  {r['tools']}{mark}")
    ordinal = bool(region and (region["order"] or region["bounds"]))
    over = " over all weights: --order/--bounds not applied" if ordinal else ""
    lines += ["", "Tools: probability of being in the best combination (SMAA) and RPM core index "
                  f"({core.attrs['n_nondominated']:,} non-dominated combinations{over}):",
              f"{'in_best':>8}{'core_idx':>9}  {'status':<11}tool"]
    best = smaa.tool_in_best.set_index("tool")["in_best"]
    for _, r in core.iterrows():
        lines.append(f"{best[r['tool']]:>8.3f}{r['core_index']:>9.3f}  {r['status']:<11}{r['name']}")
    lines += ["", CAVEAT]
    return "\n".join(lines)


def tornado_text(df: pd.DataFrame, rows: int) -> str:
    """The scores whose range decides the recommendation: margin over the best alternative at each end."""
    a = df.attrs
    if df.empty:
        return "Scores that decide it: none (no tool score has a low-high range)."
    lines = [f"Scores that decide it (margin over the best alternative, {a['margin']:+.4f} at the point scores; "
             f"runner-up: {a['runner_up']}). Each score at the low / high end of its range, the others at their "
             "point values:",
             f"{'low end':>9}{'high end':>10}  {'flips':<6}score (low .. point .. high)"]
    for _, r in df.head(rows).iterrows():
        m = [("   breaks" if math.isnan(x) else f"{x:+9.4f}") for x in (r["margin_low"], r["margin_high"])]
        lines.append(f"{m[0]}{m[1]:>10}  {'yes' if r['flips'] else 'no':<6}{r['name']} on {r['criterion']} "
                     f"({r['low']:+g} .. {r['point']:+g} .. {r['high']:+g})")
    lines.append("(a negative margin: another combination would come first; 'breaks': the recommendation would "
                 "cross a red line or miss the floor)")
    return "\n".join(lines)


def region_record(order, bounds, point_weights: str) -> dict:
    """What ``--order``/``--bounds`` set, for the report and the JSON: the order (``a > b = c``), the bounds
    (``{criterion: [low, high]}``), and which weights the one-vector parts used."""
    from ..weights import format_order  # noqa: PLC0415
    return {"order": None if order is None else format_order([[x] if isinstance(x, str) else list(x) for x in order]),
            "bounds": None if bounds is None else {c: [lo, hi] for c, (lo, hi) in bounds.items()},
            "point_weights": point_weights}


def robustness_json(stab, smaa, core, show, where, sure, tornado, tornado_rows, region=None) -> dict:
    """The stable JSON contract of ``decision robustness --format json`` (docs/robustness.md). ``region``:
    :func:`region_record` when ``--order``/``--bounds`` were given."""
    from ..catalog import CAVEAT  # noqa: PLC0415
    a = stab.attrs
    num = lambda x: None if x is None or (isinstance(x, float) and math.isnan(x)) else float(x)  # noqa: E731
    return {
        "scenario": a["scenario"], "method": a["method"], "recommendation": a["top"],
        "how_sure": sure.as_dict() if sure is not None else None,
        "stability": [{"criterion": c, "weight": num(r["weight"]), "low": num(r["low"]), "high": num(r["high"]),
                       "margin": num(r["margin"])} for c, r in stab.iterrows()],
        "most_critical": a.get("most_critical"),
        "scores_that_decide": None if tornado is None else {
            "margin": tornado.attrs["margin"], "runner_up": tornado.attrs["runner_up"],
            "rows": [{"tool": r["tool"], "name": r["name"], "criterion": r["criterion"], "low": num(r["low"]),
                      "point": num(r["point"]), "high": num(r["high"]), "margin_low": num(r["margin_low"]),
                      "margin_high": num(r["margin_high"]), "flips": bool(r["flips"])}
                     for _, r in tornado.head(tornado_rows).iterrows()]},
        "point_weights": {"source": region["point_weights"] if region else "the weights of the stability intervals",
                          "weights": {c: num(r["weight"]) for c, r in stab.iterrows()}},
        "smaa": {"n_samples": smaa.n_samples, "seed": smaa.seed, "k": smaa.k, "weights": where,
                 "order": region["order"] if region else None, "bounds": region["bounds"] if region else None,
                 "acceptance_rate": smaa.acceptance_rate,
                 "scores": smaa.scores, "exact": smaa.exact, "n_candidates": smaa.n_candidates,
                 "n_feasible": smaa.n_feasible, "n_possible": smaa.n_possible, "mc_error": smaa.mc_error,
                 "no_feasible": smaa.no_feasible,
                 "top": [{"tools": list(r["tool_ids"]), "first": float(r["first"]), "top_k": float(r["top_k"]),
                          "feasible_at_point": bool(r.get("feasible_at_point", True))}
                         for _, r in smaa.table.head(show).iterrows()]},
        "tools": [{"tool": r["tool"], "name": r["name"], "in_best": float(smaa.tool_in_best.set_index("tool").loc[
                   r["tool"], "in_best"]), "core_index": float(r["core_index"]), "status": r["status"]}
                  for _, r in core.iterrows()],
        "caveat": CAVEAT,
    }


def cmd_robustness(args) -> int:
    from ..portfolios import build_portfolios  # noqa: PLC0415  (the core only when the command runs)
    from ..robustness import core_index, portfolio_stability, smaa_portfolios  # noqa: PLC0415
    from ..sureness import how_sure, score_tornado  # noqa: PLC0415
    cat = catalog_of(args)
    order, bounds = region_of(args, cat.criterion_ids)        # refused with --weights/--profile before they are read
    weights = weights_of(args, cat)
    samples = args.samples if args.samples is not None else (SCORE_SAMPLES if args.scores else 10_000)
    p = build_portfolios(cat, args.scenario, max_tools=args.max_tools, horizon=args.horizon,
                         constraints=constraints_of(args, cat))
    region, where = weight_region(weights, args.spread, order, bounds, p.criteria)
    how = "the given weights" if weights is not None else "equal weights (no weights given)"
    if order is not None or bounds is not None:           # no weights given: the region's centre stands in for them
        weights, _, how = region_centre_of(samples, p.criteria, args.seed, order, bounds)
    record = region_record(order, bounds, how)
    stab = portfolio_stability(p, weights, args.method)
    step, bar = draw_progress("SMAA samples", "sample")
    try:
        smaa = smaa_portfolios(p, samples, seed=args.seed, method=args.method, k=args.top_k,
                               score_uncertainty=args.scores, progress=step, **region)
    finally:
        if bar is not None:
            bar.close()
    sure = (how_sure(p, weights, args.method, args.sure_samples, args.seed, args.scores or "triangular",
                     NEAR_SPREAD if args.spread is None else args.spread, weight_order=order, weight_bounds=bounds)
            if args.sure_samples else None)
    tornado = score_tornado(p, weights, args.method) if args.tornado else None
    core = core_index(p)
    if args.format == "json":
        text = json.dumps(robustness_json(stab, smaa, core, args.show, where, sure, tornado, args.tornado, record),
                          indent=2, ensure_ascii=False)
    else:
        text = format_robustness(stab, smaa, core, args.show, where, sure, tornado, args.tornado, record)
    print(text)
    if args.out:
        write_output(Path(args.out), text + "\n")
    return 0
