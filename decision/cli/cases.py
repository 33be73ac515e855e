"""``decision cases``: the documented episodes nearest a scenario (``--list`` every one, ``--show ID`` one in full).

The parser only: the work lives in :mod:`decision.cli.cases_body`, imported when the command runs, so building the
command line loads nothing heavy."""
from __future__ import annotations

from ..defaults import DEFAULT_PRECEDENTS, MAX_CASE_FILES
from .common import add_catalog, count

TOP_CASES = count(1, MAX_CASE_FILES, "top")
"""--top: at most the number of episode files a case folder may hold."""


def cmd_cases(args) -> int:
    from .cases_body import cmd_cases as run  # noqa: PLC0415
    return run(args)


def explain_lines(catalog, tools, scenario_id: str) -> list[str]:
    """The 'Precedents with a similar package' section of ``decision explain`` (:mod:`decision.cli.cases_body`)."""
    from .cases_body import explain_lines as lines  # noqa: PLC0415
    return lines(catalog, tools, scenario_id)


def register(sub) -> None:
    c = sub.add_parser(
        "cases", help="the documented episodes nearest a scenario (--list: all; --show ID: one in full)",
        description="List the documented episodes (data/cases/) nearest a scenario, one line each with what was "
                    "done, how the partner answered and how it ended, plus the distance (docs/evidence.md, "
                    "\"Precedents\").")
    add_catalog(c)
    c.add_argument("--scenario", help="scenario id whose factors and facts are matched (default: the catalogue's "
                                      "default scenario)")
    c.add_argument("--factors", metavar="NAME=V,...",
                   help="factor values on 0-10, e.g. leverage=7,severity=5; factors not given are taken from "
                        "--scenario (or the default scenario)")
    c.add_argument("--facts", metavar="A,B", help="facts instead of the scenario's, e.g. abuses_by_units_we_equip "
                                                  "('' = none)")
    c.add_argument("--top", type=TOP_CASES, help=f"how many episodes (default {DEFAULT_PRECEDENTS})")
    mode = c.add_mutually_exclusive_group()
    mode.add_argument("--list", action="store_true", help="every episode, one line each")
    mode.add_argument("--show", metavar="ID", help="one episode in full, with its sources as links")
    c.add_argument("--format", default="text", choices=["text", "json"])
    c.set_defaults(func=cmd_cases)


