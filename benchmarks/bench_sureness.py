"""Benchmark: the "how sure" figure and the score tornado, as the briefing and the dashboard compute them.

Times, on the bundled catalogue's default scenario (equal weights, wsm), each on combinations built afresh so no
score universe is reused: ``how_sure`` (1,000 draws per share), ``score_tornado`` alone, and the tornado right after
``how_sure`` on the same combinations (the briefing's and the dashboard's order: the universe is then reused).
Prints markdown for docs/performance.md with the machine, date and load average.

    .venv/bin/python benchmarks/bench_sureness.py [--repeat 3] [--scenario ID]
"""
from __future__ import annotations

import argparse
import datetime
import os
import platform
import statistics
import time

from decision import build_portfolios, load_catalog
from decision.sureness import how_sure, score_tornado


def fresh_timed(build, fn, repeat):
    """Median and all times of ``fn(build())`` over ``repeat`` runs; ``build`` is not timed."""
    times = []
    for _ in range(repeat):
        p = build()
        t0 = time.perf_counter()
        fn(p)
        times.append(time.perf_counter() - t0)
    return statistics.median(times), times


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--scenario", default=None)
    args = ap.parse_args()
    load = os.getloadavg()
    print(f"Run {datetime.datetime.now(datetime.timezone.utc):%Y-%m-%d %H:%M} UTC, {platform.machine()}, "
          f"{os.cpu_count()} CPUs, Python {platform.python_version()}; load average at start {load[0]:.1f} / "
          f"{load[1]:.1f} / {load[2]:.1f}.\n")
    cat = load_catalog()
    build = lambda: build_portfolios(cat, args.scenario)                                   # noqa: E731
    p = build()
    print(f"Scenario `{p.adjusted.scenario.id}`: {len(p):,} feasible combinations.\n")

    def both(q):
        how_sure(q)
        score_tornado(q)
    rows = [("how_sure, 1,000 draws per share (3 shares)", fresh_timed(build, how_sure, args.repeat)),
            ("score_tornado alone (builds the score universe)", fresh_timed(build, score_tornado, args.repeat)),
            ("how_sure then score_tornado (briefing, dashboard)", fresh_timed(build, both, args.repeat))]
    print("| computation | median | runs |\n|---|---|---|")
    for name, (med, times) in rows:
        print(f"| {name} | {med:.2f} s | {', '.join(f'{t:.2f}' for t in times)} |")
    load = os.getloadavg()
    print(f"\nLoad average at the end {load[0]:.1f} / {load[1]:.1f} / {load[2]:.1f}.")


if __name__ == "__main__":
    main()
