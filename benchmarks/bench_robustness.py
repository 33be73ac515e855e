"""Benchmark: SMAA over every feasible combination of the bundled catalogue (default scenario).

Measures, in one run: the vectorised SMAA with fixed scores (10,000 weight samples, top-10 acceptability; k-skyband
filter + chunked matrix products) against a naive loop calling pymcdm once per weight sample (run on a subset and
extrapolated linearly); the exact score-uncertainty SMAA (certified top-k per draw) against a naive full-set
valuation per draw, with a brute-force check that every draw's top 10 equals the full set's; the "how sure" figure
and the tornado; peak memory. Prints markdown for docs/performance.md with the machine, date and load average.

    .venv/bin/python benchmarks/bench_robustness.py [--samples 10000] [--naive 50] [--repeat 3]
        [--score-samples 10000] [--check 8]

The brute-force check compares every top-k place of ``--check`` draws with the naive full-set valuation and exits
with status 1 if any differs.
"""
from __future__ import annotations

import argparse
import datetime
import os
import platform
import resource
import statistics
import time
import tracemalloc

import numpy as np
from pymcdm import methods as pm
from pymcdm.normalizations import minmax_normalization

from decision import build_portfolios, load_catalog
from decision import robustness as rb
from decision import uncertainty as U
from decision.sureness import how_sure, score_tornado


def timed(fn, repeat):
    times, out = [], None
    for _ in range(repeat):
        t0 = time.perf_counter()
        out = fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times), out


def naive(p, W, k, method):
    """What one would write without the fast path: pymcdm on the full set for each weight sample."""
    X, t = p.values, p.types
    obj = pm.WSM(normalization_function=minmax_normalization) if method == "wsm" else pm.TOPSIS()
    counts = np.zeros(len(p))
    for w in W:
        pref = obj(X, w, t, validation=False)
        counts[np.argpartition(-pref, k - 1)[:k]] += 1
    return counts


def full_set(p, n, seed, k, method):
    """Naive score-uncertainty SMAA: every combination feasible in some draw valued in every draw (same draws as
    ``smaa_portfolios``), then the same tally. Returns (places, seconds)."""
    t0 = time.perf_counter()
    rng = np.random.default_rng(seed)
    W, _ = rb.sample_weights(n, len(p.criteria), rng, criteria=p.criteria)
    u = U.score_universe(p)
    up = u.portfolios
    a = up.adjusted
    draws = rb.sample_scores(rng, a.low, a.score, a.high, n, "triangular")
    sc = rb.portfolio_scaling(p, method)
    off = rb.effort_offset(up)
    tally = rb._Tally(len(up), k, len(p.criteria), len(up.catalog.tools))
    rows = np.arange(len(up))
    for i in range(n):                                                 # the naive loop, one draw at a time
        X, ok = U.value_pairs(u, rows, draws, np.full(len(up), i), sc)
        R = np.round(rb.scores(X, W[i:i + 1], method, sc, off)[0], 12)
        r = np.flatnonzero(ok)
        tally.add(np.full(len(r), i), r, R[r], W, lambda q: up.members[q])
    return tally.places() / n, time.perf_counter() - t0


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--samples", type=int, default=10_000)
    ap.add_argument("--naive", type=int, default=50)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--k", type=int, default=10)
    ap.add_argument("--score-samples", type=int, default=10_000)
    ap.add_argument("--check", type=int, default=8)
    args = ap.parse_args()
    load = os.getloadavg()
    print(f"Run {datetime.datetime.now(datetime.timezone.utc):%Y-%m-%d %H:%M} UTC, {platform.machine()}, "
          f"{os.cpu_count()} CPUs, Python {platform.python_version()}, numpy {np.__version__}; load average at "
          f"start {load[0]:.1f} / {load[1]:.1f} / {load[2]:.1f} (1 / 5 / 15 min).\n")
    cat = load_catalog()
    t0 = time.perf_counter()
    p = build_portfolios(cat)
    build = time.perf_counter() - t0
    rows = []
    for method in ("wsm", "topsis"):
        fast, res = timed(lambda: rb.smaa_portfolios(p, args.samples, seed=1, method=method, k=args.k), args.repeat)
        W, _ = rb.sample_weights(args.naive, len(p.criteria), 1)
        slow, _ = timed(lambda: naive(p, W, args.k, method), 1)
        slow_full = slow * args.samples / args.naive
        rows.append((method, fast, res.n_candidates, slow, slow_full, slow_full / fast))
    print(f"Scenario `{p.adjusted.scenario.id}`: {len(p):,} feasible combinations (enumerated and valued in "
          f"{build:.2f} s); {args.samples:,} weight samples uniform on the simplex, top-{args.k} acceptability.\n")
    print("| fixed scores | wsm | topsis |")
    print("|---|---|---|")
    w, tp = rows
    print(f"| SMAA, vectorised (median of {args.repeat}) | {w[1]:.2f} s | {tp[1]:.2f} s |")
    print(f"| combinations that can reach the top {args.k} (k-skyband) | {w[2]:,} | {tp[2]:,} |")
    print(f"| naive pymcdm loop, {args.naive} samples measured | {w[3]:.2f} s | {tp[3]:.2f} s |")
    print(f"| naive loop extrapolated to {args.samples:,} samples | {w[4]:.0f} s | {tp[4]:.0f} s |")
    print(f"| speed-up | {w[5]:.0f}x | {tp[5]:.0f}x |")

    n = args.score_samples
    su_t, su = timed(lambda: rb.smaa_portfolios(p, n, seed=1, method="wsm", k=args.k,
                                                score_uncertainty="triangular"), 1)
    tp_n = max(1, min(n // 5, 200))
    st_t, st_ = timed(lambda: rb.smaa_portfolios(p, tp_n, seed=1, method="topsis", k=args.k,
                                                 score_uncertainty="triangular"), 1)
    places, naive_t = full_set(p, args.check, 2, args.k, "wsm")
    check = rb.smaa_portfolios(p, args.check, seed=2, method="wsm", k=args.k, score_uncertainty="triangular")
    got = np.zeros_like(places)
    got[check.table.index.to_numpy()] = check.table[[f"rank_{i + 1}" for i in range(args.k)]].to_numpy()
    covered = 1.0 - np.abs(got - places).sum() / max(places.sum(), 1e-12) / 2
    worst = float(np.abs(got - places).max())
    per_draw_naive = naive_t / args.check
    print(f"\nScore uncertainty (triangular, exact; every draw's top {args.k} certified; "
          f"{su.n_possible:,} combinations feasible in some draw, {su.n_candidates:,} pass the box filter):\n")
    print("| score uncertainty | wsm | topsis |")
    print("|---|---|---|")
    print(f"| draws run | {n:,} | {tp_n:,} |")
    print(f"| time | {su_t:.1f} s | {st_t:.1f} s |")
    print(f"| per draw | {1000 * su_t / n:.0f} ms | {1000 * st_t / tp_n:.0f} ms |")
    print(f"| extrapolated to 10,000 draws | {su_t / n * 1e4:.0f} s | {st_t / tp_n * 1e4:.0f} s |")
    print(f"| combinations valued exactly per draw (mean) | {su.evaluated:,.0f} | {st_.evaluated:,.0f} |")
    print(f"| naive: every combination valued in every draw | {1000 * per_draw_naive:.0f} ms per draw | |")
    print(f"| speed-up over the naive loop | {per_draw_naive / (su_t / n):.1f}x | |")
    print(f"\nBrute-force check: {args.check} draws valued on the full set; top-{args.k} places covered by the exact "
          f"method: {covered:.1%}; largest difference in any combination's rank share: {worst:.2e}.")
    rss_su = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"Process max RSS after the {n:,}-draw run: {rss_su:.0f} MiB.")

    hs_t, hs = timed(lambda: how_sure(p, None, "wsm", 1_000, 1), 1)
    tor_t, _ = timed(lambda: score_tornado(p), 1)
    print(f"\nHow sure (1,000 draws per share, 3 shares): {hs_t:.1f} s; {hs.sentence()}")
    print(f"Tornado (every score at both ends, exact over the full set): {tor_t:.1f} s.")

    tracemalloc.start()
    rb.smaa_portfolios(p, args.samples, seed=1, method="wsm", k=args.k)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.reset_peak()
    rb.smaa_portfolios(p, min(n, 200), seed=1, method="wsm", k=args.k, score_uncertainty="triangular")
    _, peak_su = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    load = os.getloadavg()
    print(f"\nPeak traced memory (tracemalloc): SMAA {peak / 2**20:.0f} MiB; score-uncertainty SMAA "
          f"({min(n, 200):,} draws) {peak_su / 2**20:.0f} MiB; process max RSS {rss:.0f} MiB. Load average at the "
          f"end {load[0]:.1f} / {load[1]:.1f} / {load[2]:.1f}.")
    if worst > 0:
        raise SystemExit("brute-force check FAILED: the exact method differs from the full-set valuation")


if __name__ == "__main__":
    main()
