"""Command line: ``decision rank|explain|tools|scenarios|weights|robustness|brief|audit|plan``.

One module per subcommand group, each with a ``register(sub)`` that adds its parsers; shared helpers live in
:mod:`decision.cli.common`. User mistakes print one line on stderr and exit 2.
"""
from __future__ import annotations

import argparse
import sys

from ..errors import DecisionError
from . import audit, briefing, plan, ranking, robustness, weights
from .common import EXIT_USER_ERROR, _Parser

COMMAND_GROUPS = (ranking, weights, robustness, briefing, audit, plan)


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="decision", description="Rank combinations of diplomatic tools (see README.md).")
    sub = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)
    for group in COMMAND_GROUPS:
        group.register(sub)
    return parser


def main(argv=None) -> int:
    try:
        args = build_parser().parse_args(argv)
        return args.func(args)
    except DecisionError as exc:
        print(f"decision: error: {exc}", file=sys.stderr)
        return EXIT_USER_ERROR
    except BrokenPipeError:
        return 0


if __name__ == "__main__":
    sys.exit(main())
