"""Core benchmark: enumerate + profile the bundled catalogue, re-rank after a weight change, and the naive path.

Run: ``.venv/bin/python benchmarks/bench_core.py`` (prints a markdown table for docs/performance.md).
Targets (issue 2): enumerate + profile <= 0.5 s; re-rank <= 20 ms for wsm and topsis and >= 50x the naive path
(pymcdm with validation plus its pure-Python ``rank()``, on the same full feasible set).
"""
from __future__ import annotations

import argparse
import platform
import statistics
import time

import numpy as np
from pymcdm import methods as pm
from pymcdm.normalizations import minmax_normalization

import decision
from decision.ranking import Ranker


def timed(fn, repeat):
    times = []
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return statistics.median(times), min(times)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--scenario", default=None)
    ap.add_argument("--repeat", type=int, default=7)
    args = ap.parse_args()
    rng = np.random.default_rng(0)
    cat = decision.load_catalog()
    med, best = timed(lambda: decision.build_portfolios(cat, args.scenario), args.repeat)
    p = decision.build_portfolios(cat, args.scenario)
    rows = [("enumerate + profile (build_portfolios)", f"{len(p):,} feasible", med, best)]
    r = Ranker(p)
    r.normalised  # noqa: B018  (the once-per-scenario normalisation, timed separately below)
    med_n, best_n = timed(lambda: Ranker(p).normalised, args.repeat)
    rows.append(("min-max normalisation (once per scenario)", "", med_n, best_n))
    weights = [rng.dirichlet(np.ones(4)) for _ in range(args.repeat * 3)]
    it = iter(weights * 10)
    fast = {}
    for method in ("wsm", "topsis", "vikor", "spotis"):
        med, best = timed(lambda: r.rank(next(it), method, top=10), args.repeat * 3)
        fast[method] = med
        rows.append((f"re-rank top 10 after a weight change: {method}", "fast path" if method in ("wsm", "topsis", "vikor")
                     else "pymcdm, validation off", med, best))
    short = p.values[:2000]
    med, best = timed(lambda: decision.rank_matrix(short, next(it), p.types, "promethee_ii"), 3)
    rows.append(("promethee_ii on a 2,000-combination shortlist", "pymcdm", med, best))
    naive = {}
    for method, obj in (("wsm", pm.WSM(normalization_function=minmax_normalization)), ("topsis", pm.TOPSIS())):
        def run(obj=obj):
            w = next(it)
            pref = obj(p.values, w, p.types)          # validation on (the default)
            obj.rank(pref)                            # pymcdm's pure-Python ranking
        med, best = timed(run, 2)
        naive[method] = med
        rows.append((f"naive re-rank: {method}", "pymcdm validation + rank()", med, best))

    print(f"Machine: {platform.machine()}, {platform.python_version()}, numpy {np.__version__}, "
          f"{len(cat.tools)} tools, max_tools {cat.constraints.max_tools}, scenario {p.adjusted.scenario.id}\n")
    print("| step | note | median | best |\n|---|---|---|---|")
    for name, note, med, best in rows:
        print(f"| {name} | {note} | {med * 1000:.1f} ms | {best * 1000:.1f} ms |")
    print()
    for m in ("wsm", "topsis"):
        print(f"speed-up over the naive path, {m}: {naive[m] / fast[m]:.0f}x")


if __name__ == "__main__":
    main()
