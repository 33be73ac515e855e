"""Helpers every subcommand shares: the one-line-error parser, catalogue / weights options, writing outputs.

The command line answers at once: this package's modules import only the standard library and
:mod:`decision.defaults` at module level; each command imports the computing core (numpy, pandas, pymcdm, ...) when it
runs, and only what it uses (tests/test_cli.py checks it).
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from ..errors import DecisionError

if TYPE_CHECKING:
    import pandas as pd

    from ..catalog import Catalog
    from ..portfolios import Overrides

EXIT_USER_ERROR = 2


class _Parser(argparse.ArgumentParser):
    def error(self, message):  # one line, exit 2 (argparse would print the whole usage)
        where = f"{self.prog}: " if " " in self.prog else ""     # "decision rank: ..."; the top parser adds nothing
        raise DecisionError(f"{where}{message} (see --help)")


def catalog_of(args) -> Catalog:
    from ..catalog import load_catalog  # noqa: PLC0415
    return load_catalog(args.catalog)


def weights_of(args, catalog: Catalog):
    if getattr(args, "weights", None) and getattr(args, "profile", None):
        raise DecisionError("give either --weights or --profile, not both")
    if getattr(args, "profile", None):
        from ..profiles import load_profile  # noqa: PLC0415
        return load_profile(args.profile, catalog).weights
    if getattr(args, "weights", None):
        from ..weights import parse_weights  # noqa: PLC0415
        return parse_weights(args.weights, catalog.criterion_ids)
    return None



def check_out(args) -> None:
    """Refuse ``--out`` (one line) before any work if it must not be written (a folder, a link, a device such as
    /dev/null, an input of this command, ...: :func:`decision.files.check_output`). Call it once the command's
    inputs are read, so an input is recognised; :func:`write_output` checks again when it writes."""
    if getattr(args, "out", None):
        from ..files import check_output  # noqa: PLC0415
        from ..safeio import inputs_read  # noqa: PLC0415
        check_output(Path(args.out), inputs_read())


CSV_FLOAT_FORMAT = "%.6g"
"""Numbers in CSV output: 6 significant digits (6.39961, not 6.399607500000001); JSON keeps full precision."""


def csv_text(df: pd.DataFrame) -> str:
    """``df`` as CSV text: numbers to 6 significant digits, no text cell that a spreadsheet would run as a formula."""
    from ..files import neutralise_csv  # noqa: PLC0415
    return neutralise_csv(df).to_csv(float_format=CSV_FLOAT_FORMAT)


def preference_direction(method: str) -> str:
    """How to read a method's preference column: 'lower is better' (VIKOR, SPOTIS, a mean rank) or 'higher is
    better'."""
    from ..ranking import method_of  # noqa: PLC0415
    return "lower is better" if method_of(method).ascending else "higher is better"


def preference_meaning(method: str) -> str:
    """What a method's preference column holds (:attr:`decision.ranking.Method.meaning`)."""
    from ..ranking import method_of  # noqa: PLC0415
    return method_of(method).meaning or f"{method} preference"


def separating_decimals(values, least: int = 4, most: int = 8) -> int:
    """The fewest decimals (``least``..``most``) at which values that differ (at 12 decimals) also print
    differently, so a table's neighbouring ranks never read alike."""
    distinct = sorted({round(float(v), 12) for v in values})
    for d in range(least, most + 1):
        if len({round(v, d) for v in distinct}) == len(distinct):
            return d
    return most


def draw_progress(desc: str, unit: str):
    """A progress bar on stderr for long Monte Carlo work, when stderr is a terminal: ``(step, bar)`` with
    ``step(done, total)`` to call after each unit of work and ``bar`` to close at the end; ``(None, None)`` otherwise
    (pipes and CI logs stay clean)."""
    if not sys.stderr.isatty():
        return None, None
    from tqdm import tqdm  # noqa: PLC0415
    bar = tqdm(total=1, desc=desc, unit=unit, file=sys.stderr, leave=False)

    def step(done, total):
        bar.total = total
        bar.n = done
        bar.refresh()
    return step, bar


def write_output(path: Path, text: str) -> None:
    """Write ``text`` to ``path`` atomically and say so on stderr."""
    from ..files import atomic_write_text  # noqa: PLC0415
    from ..safeio import inputs_read  # noqa: PLC0415
    atomic_write_text(path, text, protect=inputs_read())
    print(f"written: {path}", file=sys.stderr)


def count(lo: int, hi: int, what: str = "value"):
    """An argparse type: a whole number in ``lo..hi``, checked before any work starts (one-line error)."""
    def parse(text: str) -> int:
        try:
            n = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{what} must be a whole number, got {text!r}") from None
        if not lo <= n <= hi:
            raise argparse.ArgumentTypeError(f"{what} must be a whole number from {lo:,} to {hi:,}, got {n:,}")
        return n
    parse.__name__ = what
    return parse


MAX_TOOLS_OPTION = count(1, 62, "max_tools")
"""--max-tools: a combination is a 64-bit mask of at most 62 tools (safeio.ROW_LIMITS)."""
TOP_OPTION = count(1, 1_000_000, "top")
MAX_SAMPLES = 1_000_000
"""SMAA samples: 10,000 give +-0.01; a million (+-0.001) already takes minutes on a laptop."""
SAMPLES_OPTION = count(1, MAX_SAMPLES, "samples")
SEED_OPTION = count(0, 2**32 - 1, "seed")
TIMEOUT_OPTION = count(1, 86_400, "timeout")
K_OPTION = count(1, 50, "k")


def add_catalog(p) -> None:
    p.add_argument("--catalog", metavar="DIR", help="catalogue folder (default: the bundled data/)")


def scenario_and_weights(p) -> None:
    """The --scenario / --weights / --profile options shared by rank, robustness and brief."""
    p.add_argument("--scenario", help="scenario id (default: the catalogue's default)")
    p.add_argument("--weights", help="e.g. rights_protection=0.4,security_continuity=0.3,legitimacy=0.2,"
                                     "escalation_risk=0.1 (normalised; default: equal, or the balanced profile)")
    p.add_argument("--profile", help="a named weight profile instead of --weights (see `decision weights list`)")
    p.add_argument("--horizon", type=float, metavar="MONTHS",
                   help="analysis horizon: tools whose effect lands later count less (model.yaml time_horizon)")


def model_options(p) -> None:
    """Options that change what is feasible: the accountability floor, the effort capacity, legal obligations."""
    p.add_argument("--floor", type=float, metavar="POINTS",
                   help="accountability floor: rights-protection gain over the status quo every option must reach "
                        "(default: derived from the scenario, constraints.yaml)")
    p.add_argument("--no-floor", action="store_true", help="switch the accountability floor off (to explore)")
    p.add_argument("--capacity", type=float, metavar="UNITS", help="effort capacity (default: the scenario's)")
    p.add_argument("--no-obligations", action="store_true",
                   help="switch legal obligations off (mandatory tools become optional; to explore only)")


def overrides_of(args) -> "Overrides":
    """The constraint overrides of :func:`model_options` (``--floor``, ``--no-floor``, ``--capacity``,
    ``--no-obligations``) as :class:`decision.portfolios.Overrides`, the type the dashboard builds too."""
    from ..portfolios import Overrides  # noqa: PLC0415
    floor, points, capacity = getattr(args, "floor", None), None, getattr(args, "capacity", None)
    if floor is not None and getattr(args, "no_floor", False):
        raise DecisionError("give either --floor or --no-floor, not both")
    if floor is not None and not 0 <= floor <= 10:
        raise DecisionError(f"--floor must be between 0 and 10 points, got {floor:g}")
    if capacity is not None and not 0 < capacity <= 1000:
        raise DecisionError(f"--capacity must be a positive number of effort units, got {capacity:g}")
    if floor is not None:
        floor, points = True, floor
    return Overrides(floor=False if getattr(args, "no_floor", False) else floor, floor_points=points,
                     capacity=capacity, obligations=False if getattr(args, "no_obligations", False) else None)


def constraints_of(args, catalog: Catalog) -> dict:
    """Constraint overrides from :func:`model_options`, as the dict of :class:`decision.catalog.Constraints` fields
    (:meth:`decision.portfolios.Overrides.as_dict`; ``catalog`` is kept for callers, the floor's criterion is
    resolved by :func:`decision.portfolios.resolve_constraints`)."""
    return overrides_of(args).as_dict()
