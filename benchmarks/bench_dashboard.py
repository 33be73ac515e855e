"""Dashboard benchmark: kernel-side update time after a weight, method, top-N or scenario change.

Run: ``.venv/bin/python benchmarks/bench_dashboard.py`` (prints a markdown table for docs/performance.md).

The measurement runs inside a real ipykernel (started with jupyter_client), so every widget has an open comm and
each update pays for serialising its state (the HTML table, the plotly deltas) onto the iopub channel, as in
JupyterLab. Not included: the browser's rendering (see tests/test_browser_lab.py for key press -> new table).
Target (issue 5): <= 50 ms for a weight change on the bundled catalogue. ``--in-process`` measures without a kernel.
"""
from __future__ import annotations

import argparse
import json
import platform
import sys

KERNEL_CODE = r'''
import json, statistics, time
import numpy as np
from decision.dashboard import Dashboard

REPEAT = {repeat}
rng = np.random.default_rng(0)
t = time.perf_counter()
dash = Dashboard(debounce=0, sensitivity=False)
startup = time.perf_counter() - t
crit = dash.catalog.criterion_ids
rows = []

def measure(label, note, changes, breakdown=False):
    times, parts = [], []
    for change in changes:
        t = time.perf_counter()
        ok = dash.set(**change)
        times.append((time.perf_counter() - t) * 1e3)
        assert ok, dash.error
        parts.append(dict(dash.timings))
    row = {{"step": label, "note": note, "median_ms": statistics.median(times), "best_ms": min(times),
           "max_ms": max(times), "n": len(times)}}
    if breakdown:
        row["rank_ms"] = statistics.median(p["rank_ms"] for p in parts)
        row["draw_ms"] = statistics.median(p["draw_ms"] for p in parts)
    rows.append(row)

weights = lambda n: [{{"weights": dict(zip(crit, rng.dirichlet(np.ones(len(crit))).round(2) + 0.01))}} for _ in range(n)]
for method in ("topsis", "wsm", "vikor", "spotis"):
    dash.set(method=method)
    measure(f"weight change ({{method}})", "re-rank + table + 2 figures", weights(REPEAT * 3), breakdown=True)
dash.set(method="topsis")
measure("method change", "cycling vikor / spotis / wsm / topsis",
        [{{"method": m}} for m in ("vikor", "spotis", "wsm", "topsis") * REPEAT])
dash.set(method="consensus")
measure("weight change (consensus)", "four methods, mean rank", weights(REPEAT))
dash.set(method="topsis")
measure("top-N change", "10 <-> 20 rows", [{{"top": n}} for n in (20, 10) * REPEAT])
scen = [s.id for s in dash.catalog.scenarios]
measure("scenario change, not cached", f"cycling {{len(scen)}} scenarios (cache keeps 3)",
        [{{"scenario": s}} for s in (scen[1:] + scen[:1]) * max(1, REPEAT // 3)])
dash.set(scenario=scen[1]); dash.set(scenario=scen[0])          # both in the cache
measure("scenario change, cached", "back and forth between two",
        [{{"scenario": s}} for s in (scen[0], scen[1]) * REPEAT])
dash.set(scenario=scen[0])
for method in ("wsm", "topsis"):
    dash.set(method=method)
    ts = []
    for _ in range(REPEAT):
        t = time.perf_counter(); dash.check_stability(); ts.append((time.perf_counter() - t) * 1e3)
    rows.append({{"step": f"stability panel ({{method}})", "note": "decision.robustness, deferred after the table",
                 "median_ms": statistics.median(ts), "best_ms": min(ts), "max_ms": max(ts), "n": len(ts)}})
print("RESULT " + json.dumps({{"rows": rows, "startup_s": startup, "n_feasible": len(dash._result.ranker.portfolios)}}))
'''


def run_in_kernel(code: str, timeout: float = 600) -> str:
    from jupyter_client.manager import start_new_kernel  # noqa: PLC0415

    km, kc = start_new_kernel(kernel_name="python3")
    try:
        msg_id = kc.execute(code)
        out = []
        while True:
            msg = kc.get_iopub_msg(timeout=timeout)
            if msg["parent_header"].get("msg_id") != msg_id:
                continue
            kind, content = msg["msg_type"], msg["content"]
            if kind == "stream":
                out.append(content["text"])
            elif kind == "error":
                raise RuntimeError("\n".join(content["traceback"]))
            elif kind == "status" and content["execution_state"] == "idle":
                return "".join(out)
    finally:
        kc.stop_channels()
        km.shutdown_kernel(now=True)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--repeat", type=int, default=7)
    ap.add_argument("--in-process", action="store_true", help="measure without a kernel (no comm traffic)")
    args = ap.parse_args()
    code = KERNEL_CODE.format(repeat=args.repeat)
    if args.in_process:
        import contextlib  # noqa: PLC0415
        import io  # noqa: PLC0415
        buf = io.StringIO()
        with contextlib.redirect_stdout(buf):
            exec(compile(code, "bench", "exec"), {})
        text = buf.getvalue()
    else:
        text = run_in_kernel(code)
    res = json.loads(text.split("RESULT ", 1)[1])
    import numpy  # noqa: PLC0415
    where = "in-process (no comms)" if args.in_process else "inside an ipykernel (comms open)"
    print(f"Dashboard, {where}; {res['n_feasible']:,} feasible combinations (default scenario); "
          f"Python {platform.python_version()}, numpy {numpy.__version__}, {platform.machine()}; "
          f"dashboard start-up {res['startup_s']:.2f} s\n")
    print("| change | what runs | median | best | max | rank / draw (median) |")
    print("|---|---|---|---|---|---|")
    for r in res["rows"]:
        split = f"{r['rank_ms']:.1f} / {r['draw_ms']:.1f} ms" if "rank_ms" in r else ""
        print(f"| {r['step']} | {r['note']} | {r['median_ms']:.1f} ms | {r['best_ms']:.1f} ms | {r['max_ms']:.1f} ms "
              f"| {split} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
