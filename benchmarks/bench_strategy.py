"""Strategy benchmark: a 12-month, 3-review plan for the bundled catalogue (target <= 2 s, issues 11 and 17).

Run: ``.venv/bin/python benchmarks/bench_strategy.py`` (prints a markdown table for docs/performance.md).
Steps: enumerate + value the packages (build_portfolios), prepare the review tree (features, reaction
probabilities, signatures, admissibility), exact backward induction, unfold the plan; the end-to-end row is what
``decision plan`` costs after start-up. Also one re-solve after a weight change (what a dashboard would redraw) and
the opening-robustness check: one draw of each kind (weights, reaction probabilities, tool scores), then 100 of each.
"""
from __future__ import annotations

import argparse
import platform

import numpy as np
from bench_core import timed      # benchmarks/ is on sys.path when a benchmark runs as a script

import decision
from decision.strategy.playbook import build_plan, make_plan
from decision.strategy.reactions_file import load_reactions
from decision.strategy.tree import strategy_problem
from decision.robustness import sample_weights
from decision.strategy.robustness import opening_stability, probability_draws, score_draws


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--repeat", type=int, default=5)
    args = ap.parse_args()
    cat = decision.load_catalog()
    model = load_reactions(cat)
    rng = np.random.default_rng(0)
    rows = []
    for sc in [s.id for s in cat.scenarios]:
        med, best = timed(lambda: make_plan(cat, sc, reviews=3, months=12, reactions=model), args.repeat)
        rows.append((f"end to end: make_plan, {sc}", f"12 months, 3 reviews, {len(model.reactions)} reactions", med,
                     best))
    sc = cat.default_scenario
    p = decision.build_portfolios(cat, sc)
    rows.append(("  of which build_portfolios", f"{len(p):,} feasible", *timed(lambda: decision.build_portfolios(
        cat, sc), args.repeat)))
    problem = strategy_problem(p, model, 3, 12)
    rows.append(("  of which strategy_problem", f"{len(problem.rows):,} packages, {len(problem.sig)} signatures",
                 *timed(lambda: strategy_problem(p, model, 3, 12), args.repeat)))
    problem.solve()
    ws = iter([rng.dirichlet(np.ones(4)) for _ in range(args.repeat * 4)])
    rows.append(("  of which backward induction (re-solve after a weight change)", "",
                 *timed(lambda: problem.solve(next(ws)), args.repeat * 3)))
    pol = problem.solve()
    nodes = sum(len(model.reactions) ** r for r in range(4))
    rows.append((f"  of which unfolding the plan (up to {nodes} nodes)", "",
                 *timed(lambda: build_plan(problem, pol), args.repeat)))
    w = problem.weights(None)
    n = 20
    W, _ = sample_weights(n, len(w), seed=np.random.default_rng(1))
    rows.append((f"opening robustness: one weight draw (mean of {n})", "re-solve",
                 *(x / n for x in timed(lambda: [problem.policy(x) for x in W], 1))))
    rows.append((f"opening robustness: one probability draw (mean of {n})", "floor rechecked, re-solve",
                 *(x / n for x in timed(lambda: [problem.policy(w, q) for q in probability_draws(
                     problem, n, np.random.default_rng(2))], 1))))
    rows.append((f"opening robustness: one score draw (mean of {n})", "every package revalued, re-solve",
                 *(x / n for x in timed(lambda: [q.policy(w) for q in score_draws(
                     problem, n, np.random.default_rng(3))], 1))))
    rows.append(("opening robustness, 100 draws of each kind", "decision plan --samples 100",
                 *timed(lambda: opening_stability(problem, None, 100), 1)))
    print(f"Machine: {platform.machine()}, Python {platform.python_version()}, numpy {np.__version__}, "
          f"{len(cat.tools)} tools, max_tools {cat.constraints.max_tools}\n")
    print("| step | note | median | best |\n|---|---|---|---|")
    for name, note, med, best in rows:
        print(f"| {name} | {note} | {med * 1000:.0f} ms | {best * 1000:.0f} ms |")


if __name__ == "__main__":
    main()
