"""Command line: ``decision rank|explain|tools|scenarios|options|plan|weights|robustness|brief|audit|cases|backtest``.

One module per subcommand group, each with a ``register(sub)`` that adds its parsers; shared helpers live in
:mod:`decision.cli.common`. User mistakes print one line on stderr and exit 2.
"""
from __future__ import annotations

import argparse
import sys

from ..errors import DecisionError
from . import audit, backtest, briefing, cases, options, plan, ranking, robustness, weights
from .common import EXIT_USER_ERROR, _Parser

COMMAND_GROUPS = (ranking, options, plan, weights, robustness, briefing, audit, cases, backtest)


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="decision", description="Rank combinations of diplomatic tools (see README.md).")
    sub = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)
    for group in COMMAND_GROUPS:
        group.register(sub)
    return parser


PROCESS_SETTINGS = {"OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1",
                    "PYDANTIC_DISABLE_PLUGINS": "__all__"}
"""Environment a command runs with, unless the user set these (docs/performance.md, "Command line"). One BLAS thread:
the products here are tall and thin (combinations x 4 criteria), where BLAS threads only add start-up and, on a busy
machine, spin-waiting (one such product in ``build_portfolios``: 132 ms with OpenBLAS's threads under load, 13 ms
with one). No pydantic plugins: the catalogue's row schemas need none, and looking for them scans the metadata of
every installed package (about 25 ms of CPU). Set only in a process that has not loaded numpy and pydantic yet (the
``decision`` command: its commands import them when they run); a briefing's kernel inherits them. A Python session
that calls :func:`main` after importing numpy is left as it is."""


def main(argv=None) -> int:
    import os  # noqa: PLC0415
    if "numpy" not in sys.modules and "pydantic" not in sys.modules:
        for name, value in PROCESS_SETTINGS.items():
            os.environ.setdefault(name, value)
    from ..safeio import forget_inputs  # noqa: PLC0415
    forget_inputs()                              # outputs are checked against this command's inputs only
    restore = _terminate_as_interrupt()
    try:
        args = build_parser().parse_args(argv)
        return args.func(args)
    except DecisionError as exc:
        print(f"decision: error: {_one_line(str(exc))}", file=sys.stderr)
        return EXIT_USER_ERROR
    except KeyboardInterrupt:
        print("decision: interrupted (temporary files removed)", file=sys.stderr)
        return EXIT_INTERRUPTED
    except BrokenPipeError:
        return 0
    finally:
        restore()


EXIT_INTERRUPTED = 130


def _one_line(text: str) -> str:
    """A message on one line, whatever a file name or value held (newlines are shown escaped)."""
    return text.replace("\r", "\\r").replace("\n", "\\n")


def _terminate_as_interrupt():
    """Treat SIGTERM like Ctrl-C while a command runs, so temporary files and folders are removed on the way out."""
    import signal  # noqa: PLC0415
    import threading  # noqa: PLC0415
    if threading.current_thread() is not threading.main_thread():
        return lambda: None

    def interrupt(signum, frame):
        raise KeyboardInterrupt

    old = signal.signal(signal.SIGTERM, interrupt)
    return lambda: signal.signal(signal.SIGTERM, old)


if __name__ == "__main__":
    sys.exit(main())
