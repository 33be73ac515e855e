"""The first page every view shares: the bottom line and the options table, as display-ready content.

One place for what the briefing, its PDF and the dashboard show first, so they never drift apart:
:func:`options_table` turns :class:`~decision.options.Options` into rows of formatted cells (no HTML), and
:func:`memo` pairs it with the bottom line (:func:`decision.advice.advise`). Views only lay these out (the briefing
with Jinja templates, the dashboard with its own HTML), so a number is formatted once.

Formatting rules: criterion values to one decimal (0-10 scales); preferences with the fewest decimals that keep
every two different rows apart (:func:`decision.display.separating_decimals`, at least three significant digits),
with the direction of the preference stated; rows tied under the package's tie rule say so.
"""
from __future__ import annotations

from dataclasses import dataclass

from .advice import BottomLine, Confidence, advise
from .defaults import TIE_DELTA
from .display import fixed, separating_decimals
from .options import Option, Options, row_notes
from .ranking import method_of

ROW_NAMES = {"status_quo": "Do nothing new", "current": "Today's policy", "minimal_change": "Smallest change"}
"""Names of the reference rows (options are 'Option 1', 'Option 2', ...)."""


@dataclass(frozen=True)
class OptionRow:
    """One row of the options table, every cell a string. ``label``: an option's label from its tools' families and
    stances ('' for the reference rows, whose name says it); ``tools``: tool ids (for data attributes and tests, never
    shown); ``names``: the tools in words; ``tied``: 'with 2, 3' (the column is 'Tied') or ''; ``notes``: trade-off against option 1,
    what the smallest change adds and drops, why a row is not feasible."""
    kind: str
    name: str
    label: str
    tools: tuple[str, ...]
    names: str
    values: tuple[str, ...]
    effort: str
    preference: str
    tied: str
    notes: tuple[str, ...]
    feasible: bool


@dataclass(frozen=True)
class OptionsTable:
    """The options table: ``criteria`` (header, description, 'higher is better' / 'lower is better') per value
    column, the rows, and the notes a reader needs under it."""
    criteria: tuple[tuple[str, str, str], ...]
    rows: tuple[OptionRow, ...]
    preference_note: str
    rule: str
    decimals: int

    @property
    def kinds(self) -> list[str]:
        return [r.kind for r in self.rows]


def higher_is_better(method: str) -> bool:
    """Whether a larger preference is better under ``method`` (VIKOR, SPOTIS and the consensus mean rank: no)."""
    return not method_of(method).ascending


def _row(i: int, r: Option, catalog, decimals: int) -> OptionRow:
    name = f"Option {i + 1}" if r.kind == "option" else ROW_NAMES[r.kind]
    tied = f"with {', '.join(r.tied_names(option=''))}" if r.tied_names() else ""
    return OptionRow(r.kind, name, r.label if r.kind == "option" else "", tuple(r.tools), " + ".join(r.names) or "no new step",
                     tuple(f"{r.values[c.id]:.1f}" for c in catalog.criteria),
                     f"{r.effort:g}" if r.effort is not None else "", fixed(r.preference, decimals), tied,
                     tuple(row_notes(r, catalog, brief=True)), bool(r.feasible))


def options_table(o: Options, catalog) -> OptionsTable:
    """The display-ready options table of ``o`` (options, doing nothing new, today's policy, smallest change)."""
    rows = o.rows()
    decimals = separating_decimals([r.preference for r in rows])
    crit = tuple((c.name, c.description, "lower is better" if c.direction == "cost" else "higher is better")
                 for c in catalog.criteria)
    direction = "higher is better" if higher_is_better(o.method) else "lower is better"
    pref = (f"Preference: expected value of the playbook opened with the package ({o.horizon}; values shown: the "
            f"opening), net of effort, {direction}"
            if o.basis == "playbook" else f"Preference: {method_of(o.method).words}, net of effort, {direction}")
    note = (f"Values on 0-10 scales (\u2191 higher is better, \u2193 lower). {pref}. Tied: one weight moved by "
            f"{TIE_DELTA:g} or less reverses the order.")
    return OptionsTable(crit, tuple(_row(i, r, catalog, decimals) for i, r in enumerate(rows)), note, o.rule,
                        decimals)


@dataclass(frozen=True)
class Memo:
    """What every view shows first: the bottom line and the options table."""
    bottom: BottomLine
    table: OptionsTable


def memo(o: Options, c: Confidence | None, catalog) -> Memo:
    return Memo(advise(o, c, catalog), options_table(o, catalog))
