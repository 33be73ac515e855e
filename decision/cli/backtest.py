"""``decision backtest``: score the model against the case library (docs/evidence.md)."""
from __future__ import annotations

import json
import sys

from .common import add_catalog, catalog_of


def register(sub) -> None:
    b = sub.add_parser("backtest", help="score the model's reactions, security flags and playbooks against the "
                                        "case library of documented episodes")
    add_catalog(b)
    b.add_argument("--cases", metavar="DIR", help="case folder (default: the catalogue's cases/, else the bundled "
                                                  "library)")
    b.add_argument("--lenient", action="store_true", help="treat tool ids this catalogue lacks as unexpressed "
                                                          "measures (to score an older catalogue against a newer "
                                                          "library); they are named in the output")
    b.add_argument("--no-fit", action="store_true", help="skip the leave-one-out fitted variants (faster)")
    b.add_argument("--format", default="text", choices=["text", "json"])
    b.set_defaults(func=cmd_backtest)


def cmd_backtest(args) -> int:
    from ..backtest import backtest_json, backtest_text, run_backtest  # noqa: PLC0415  (the core only when run)
    from ..cases import load_cases  # noqa: PLC0415
    cat = catalog_of(args)
    library = load_cases(args.cases, cat, lenient=args.lenient)
    seen = []

    def progress(variant, episode):
        if not seen or seen[-1] != variant:
            seen.append(variant)
            print(f"backtest: {variant} ({len(library)} episodes) ...", file=sys.stderr)

    bt = run_backtest(cat, library, loo=not args.no_fit, progress=progress)
    print(json.dumps(backtest_json(bt), indent=2) if args.format == "json" else backtest_text(bt))
    return 0
