"""``decision robustness``: how far today's recommendation survives changes in the weights (and in the scores)."""
from __future__ import annotations

import sys
from typing import TYPE_CHECKING

from ..defaults import DEFAULT_METHOD, PORTFOLIO_METHODS
from ..errors import DecisionError
from .common import (MAX_SAMPLES, MAX_TOOLS_OPTION, SAMPLES_OPTION, SEED_OPTION, add_catalog, catalog_of, constraints_of,
                     count, model_options, scenario_and_weights, weights_of)

if TYPE_CHECKING:
    import pandas as pd


def register(sub) -> None:
    r = sub.add_parser("robustness", help="stability intervals, SMAA acceptability and core tools for a scenario")
    add_catalog(r)
    scenario_and_weights(r)
    model_options(r)
    r.add_argument("--method", default=DEFAULT_METHOD, choices=PORTFOLIO_METHODS)
    r.add_argument("--spread", type=float, default=0.1,
                   help="with --weights/--profile, SMAA draws each weight within +/- this of it (default 0.1)")
    r.add_argument("--samples", type=SAMPLES_OPTION, default=10_000,
                   help=f"Monte Carlo weight samples (default 10000, at most {MAX_SAMPLES:,})")
    r.add_argument("--seed", type=SEED_OPTION, default=1)
    r.add_argument("--top-k", type=count(1, 1_000, "top_k"), default=10,
                   help="acceptability of reaching the top k (default 10)")
    r.add_argument("--show", type=count(0, 100_000, "show"), default=10, help="combinations listed (default 10)")
    r.add_argument("--scores", choices=["triangular", "uniform"],
                   help="also sample tool scores within their low-high ranges (slower)")
    r.add_argument("--max-tools", type=MAX_TOOLS_OPTION,
                   help="cap on tools per combination (default: constraints.yaml)")
    r.set_defaults(func=cmd_robustness)


def _progress():
    if not sys.stderr.isatty():
        return None, None
    from tqdm import tqdm  # noqa: PLC0415
    bar = tqdm(total=1, desc="SMAA samples", unit="sample", file=sys.stderr, leave=False)

    def step(done, total):
        bar.total = total
        bar.n = done
        bar.refresh()
    return step, bar


def weight_region(weights, spread: float) -> tuple[dict, str]:
    """SMAA options that honour the analyst's weights: uniform draws within +/- ``spread`` of them; uniform on the
    simplex when no weights were given. Returns (options, a sentence saying which)."""
    if weights is None:
        return {}, "uniform on the simplex (no --weights or --profile given)"
    if not 0 < spread <= 1:
        raise DecisionError(f"--spread must be in (0, 1], got {spread:g}")
    return {"weight_center": weights, "spread": spread}, f"within +/- {spread:g} of the given weights"


def format_robustness(stab: pd.DataFrame, smaa, core: pd.DataFrame, show: int, where: str = "") -> str:
    """Readable report: stability intervals, the top combinations' acceptability, the core tools."""
    from ..catalog import CAVEAT  # noqa: PLC0415
    a = stab.attrs
    lines = [f"Scenario: {a['scenario']}   Method: {a['method']}",
             f"Today's recommendation: {a['top']}", "",
             "Stability intervals (weight range of each criterion, others rescaled proportionally, that keeps it on "
             "top):",
             f"{'criterion':<22}{'weight':>8}{'low':>8}{'high':>8}{'margin':>8}"]
    for c, r in stab.iterrows():
        lines.append(f"{c:<22}{r['weight']:>8.3f}{r['low']:>8.3f}{r['high']:>8.3f}{r['margin']:>8.3f}")
    crit = a.get("most_critical")
    lines.append(f"Most critical criterion: {crit}" if crit else "No weight change within 0-1 alters the top.")
    if not bool(stab["exact"].iloc[0]):
        lines.append("(TOPSIS: interval ends found by bisection to 1e-7)")
    k = smaa.k
    reach = (f"{smaa.n_candidates:,} of {smaa.n_feasible:,} combinations can reach the top {k}" if smaa.exact else
             f"{smaa.n_candidates:,} of {smaa.n_feasible:,} combinations shortlisted")
    if not smaa.scores:
        scores_line = "Scores fixed at their point values."
    elif smaa.exact:
        scores_line = f"Scores sampled ({smaa.scores}) within their ranges."
    else:
        scores_line = (f"Scores sampled ({smaa.scores}) within their ranges; the shortlist held {smaa.coverage:.1%} "
                       f"of top-{k} places in a full-set check.")
    lines += ["", f"SMAA: {smaa.n_samples:,} weight samples ({where or 'uniform on the simplex'}), seed {smaa.seed}; {reach}; "
                  f"Monte Carlo error +/- {smaa.mc_error:.3f} (95%).", scores_line,
              f"Acceptability (higher is better): the share of the weight samples in which a combination ranks first "
              f"(first) or in the top {k} (top_{k}), under {a['method']}.",
              f"{'first':>7}{'top_' + str(k):>8}  tools"]
    for _, r in smaa.table.head(show).iterrows():
        lines.append(f"{r['first']:>7.3f}{r['top_k']:>8.3f}  {r['tools']}")
    lines += ["", "Tools: probability of being in the best combination (SMAA) and RPM core index, the share of the "
                  f"{core.attrs['n_nondominated']:,} non-dominated combinations that hold the tool (both: higher = "
                  "more often in the recommendation):",
              f"{'in_best':>8}{'core_idx':>9}  {'status':<11}tool"]
    best = smaa.tool_in_best.set_index("tool")["in_best"]
    for _, r in core.iterrows():
        lines.append(f"{best[r['tool']]:>8.3f}{r['core_index']:>9.3f}  {r['status']:<11}{r['name']}")
    lines += ["", CAVEAT]
    return "\n".join(lines)


def cmd_robustness(args) -> int:
    from ..portfolios import build_portfolios  # noqa: PLC0415
    from ..robustness import core_index, portfolio_stability, smaa_portfolios  # noqa: PLC0415
    if args.samples < 1:
        raise DecisionError(f"--samples must be >= 1, got {args.samples}")
    cat = catalog_of(args)
    weights = weights_of(args, cat)
    p = build_portfolios(cat, args.scenario, max_tools=args.max_tools, horizon=args.horizon,
                         constraints=constraints_of(args, cat))
    stab = portfolio_stability(p, weights, args.method)
    region, where = weight_region(weights, args.spread)
    step, bar = _progress()
    try:
        smaa = smaa_portfolios(p, args.samples, seed=args.seed, method=args.method, k=args.top_k,
                               score_uncertainty=args.scores, progress=step, **region)
    finally:
        if bar is not None:
            bar.close()
    print(format_robustness(stab, smaa, core_index(p), args.show, where))
    return 0
