"""``decision brief``: offline HTML briefings (one scenario, or all with a progress bar)."""
from __future__ import annotations

import sys
import time

from ..defaults import DEFAULT_METHOD
from .common import (K_OPTION, MAX_TOOLS_OPTION, SAMPLES_OPTION, SEED_OPTION, TIMEOUT_OPTION, add_catalog, count,
                     scenario_and_weights)


def register(sub) -> None:
    b = sub.add_parser("brief", help="write an offline HTML briefing (papermill + nbconvert)")
    add_catalog(b)
    scenario_and_weights(b)
    b.add_argument("--all-scenarios", action="store_true", help="one briefing per scenario")
    b.add_argument("--method", default=DEFAULT_METHOD)
    b.add_argument("--top", type=count(1, 1_000, "top"), default=5)
    b.add_argument("--max-tools", type=MAX_TOOLS_OPTION)
    b.add_argument("--samples", type=SAMPLES_OPTION, default=10_000, help="SMAA weight samples (default 10000)")
    b.add_argument("--seed", type=SEED_OPTION, default=0)
    b.add_argument("--out", help="output file (default briefings/<scenario>.html); a folder with --all-scenarios")
    b.add_argument("--timeout", type=TIMEOUT_OPTION, default=180, help="seconds allowed per notebook cell")
    b.add_argument("--current", metavar="a,b,...", help="today's policy as tool ids, ranked among the options")
    b.add_argument("--k", type=K_OPTION, default=4, help="number of distinct options (default 4)")
    b.add_argument("--pdf", action="store_true",
                   help="also print a PDF next to the HTML (needs playwright and Chromium: apt-get install chromium)")
    b.add_argument("--paper", default="a4", choices=["a4", "letter"], help="PDF paper size (default a4)")
    b.add_argument("--force", action="store_true",
                   help="replace a briefing made with other settings (without it: refused, with the setting named)")
    b.set_defaults(func=cmd_brief)


def refuse_other_settings(path, params: dict) -> None:
    """One line (exit 2) if ``path`` holds a briefing made with settings other than ``params``' (issue 18: a
    ``--current`` briefing was silently replaced by ``--all-scenarios``)."""
    from ..errors import DecisionError  # noqa: PLC0415
    from ..export import briefing_settings, first_difference, recorded_settings  # noqa: PLC0415
    old = recorded_settings(path)
    diff = first_difference(old, briefing_settings(params)) if old is not None else None
    if diff:
        raise DecisionError(f"{path} was made with other settings ({diff}): replace it with --force, or write "
                            "elsewhere with --out")


def cmd_brief(args) -> int:
    from pathlib import Path  # noqa: PLC0415

    from tqdm import tqdm  # noqa: PLC0415

    from ..catalog import load_catalog  # noqa: PLC0415
    from ..errors import DecisionError  # noqa: PLC0415
    from ..export import briefing_parameters, build_briefing  # noqa: PLC0415
    from ..pdf import html_to_pdf  # noqa: PLC0415
    opts = dict(profile=args.profile, weights=args.weights, method=args.method, top=args.top,
                max_tools=args.max_tools, catalog=args.catalog, samples=args.samples, seed=args.seed,
                horizon=args.horizon, current=args.current, k=args.k)
    if args.all_scenarios:
        if args.scenario:
            raise DecisionError("give either --scenario or --all-scenarios")
        folder = Path(args.out or "briefings")
        if folder.suffix == ".html":
            raise DecisionError("--out must be a folder with --all-scenarios")
        ids = [s.id for s in load_catalog(args.catalog).scenarios]
        outputs = {}
        for sid in ids:                                   # every file checked before the first of the runs
            params = briefing_parameters(scenario=sid, **opts)        # reads the profile: an input from here on
            outputs[sid] = check_outputs(folder / f"{sid}.html", args.pdf)
            if not args.force:
                refuse_other_settings(outputs[sid][0], params)
        for sid in (bar := tqdm(ids, desc="briefings", unit="scenario", file=sys.stderr)):
            bar.set_postfix_str(sid)
            out = build_briefing(scenario=sid, out=outputs[sid][0], timeout=args.timeout, **opts)
            if args.pdf:
                html_to_pdf(out, outputs[sid][1], paper=args.paper)
        print(f"written: {len(ids)} briefings in {folder}/")
        return 0
    t = time.perf_counter()
    params = briefing_parameters(scenario=args.scenario, **opts)
    html, pdf = check_outputs(Path(args.out or Path("briefings") / f"{params['scenario']}.html"), args.pdf)
    if not args.force:                                    # all before the 10-20 s run
        refuse_other_settings(html, params)
    print("making the briefing (about 10-20 s) ...", file=sys.stderr)
    out = build_briefing(scenario=args.scenario, out=html, timeout=args.timeout, **opts)
    print(f"written: {out} ({out.stat().st_size / 1e6:.1f} MB, {time.perf_counter() - t:.0f} s)", flush=True)
    if args.pdf:
        pdf = html_to_pdf(out, pdf, paper=args.paper)
        print(f"written: {pdf} ({pdf.stat().st_size / 1e6:.1f} MB)")
    return 0


def check_outputs(html, pdf: bool):
    """``(html, pdf path or None)``, each refused with one line (DecisionError) if it must not be written
    (:func:`decision.files.check_output`: a folder, a link, a device, an input of this command, a name too long),
    and, for a PDF, when PDF export is not installed: all before the 10-20 s run."""
    from ..files import check_output  # noqa: PLC0415
    from ..pdf import pdf_path_for, require_pdf  # noqa: PLC0415
    from ..safeio import inputs_read  # noqa: PLC0415
    html = check_output(html, inputs_read())
    if not pdf:
        return html, None
    target = check_output(pdf_path_for(html), inputs_read())
    require_pdf()
    return html, target
