"""Options benchmark: ``find_options`` for every bundled scenario once the combinations are built, and its parts.

Run: ``.venv/bin/python benchmarks/bench_options.py`` (prints a markdown table for docs/performance.md).
Target (issue 10): ``options`` for the bundled catalogue <= 0.5 s after the combinations are built (default method
and weights of the balanced profile, with a current policy, so the minimal-change search runs too).
"""
from __future__ import annotations

import argparse
import platform
import time

import numpy as np
from bench_core import timed      # benchmarks/ is on sys.path when a benchmark runs as a script

import decision
from decision.advice import assess
from decision.options import Scale, default_method, find_options
from decision.ranking import Ranker

CURRENT = ["demarche", "interoperability_exercises"]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--repeat", type=int, default=5)
    args = ap.parse_args()
    cat = decision.load_catalog()
    w = decision.load_profile("balanced", cat).weights
    method = default_method()
    rows = []
    for sc in cat.scenarios:
        p = decision.build_portfolios(cat, sc.id)
        med, best = timed(lambda: find_options(p, w, method, current=CURRENT), args.repeat)
        rows.append((f"options, {sc.id}", f"{len(p):,} feasible, fresh Ranker", med, best))
    ranker = Ranker(p)
    ranker.normalised  # noqa: B018
    parts = [("scale recovered from the Ranker", lambda: Scale.of(ranker, method)),
             ("options with a cached Ranker (dashboard path)",
              lambda: find_options(p, w, method, current=CURRENT, ranker=ranker))]
    for name, fn in parts:
        med, best = timed(fn, args.repeat)
        rows.append((name, sc.id, med, best))
    o = find_options(p, w, method, ranker=ranker)
    med, best = timed(lambda: assess(p, o, ranker, samples=2000), 3)
    rows.append(("bottom-line confidence (assess, 2,000 SMAA draws)", sc.id, med, best))
    print(f"Machine: {platform.machine()}, {platform.python_version()}, numpy {np.__version__}, "
          f"{len(cat.tools)} tools, max_tools {cat.constraints.max_tools}, method {method}, "
          f"{time.strftime('%Y-%m-%d')}\n")
    print("| step | note | median | best |\n|---|---|---|---|")
    for name, note, med, best in rows:
        print(f"| {name} | {note} | {med * 1000:.0f} ms | {best * 1000:.0f} ms |")


if __name__ == "__main__":
    main()
