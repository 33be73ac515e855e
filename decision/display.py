"""Numbers and values as a reader sees them: plain words for Python values, and just enough decimals to separate
what a table ranks.

Pure functions, no HTML. Used by the shared first page (:mod:`decision.memo`), the briefing and the dashboard, so a
reader never meets ``True``, ``None``, ``nan``, a Python dict or a snake_case id where a word belongs.

* :func:`plain` turns any value (None, bools, NaN, dicts, lists, ids) into words.
* :func:`separating_decimals` picks the fewest decimals (at least ``least`` significant digits) under which values
  that differ stay different when printed, up to ``most`` decimals; values equal at ``most`` decimals are shown equal
  (and tables call them tied).
"""
from __future__ import annotations

import math
from collections.abc import Mapping

import numpy as np

from .defaults import WHOLE_PERCENT

ELICITATION = {"direct": "entered directly", "roc": "rank-order centroid weights from an importance order",
               "rank_sum": "rank-sum weights from an importance order", "swing": "swing weighting",
               "rank_reciprocal": "rank-reciprocal weights from an importance order",
               "ahp": "AHP pairwise comparisons"}
"""How weights were elicited, in words."""
MISSING = "not given"
FLAG_MEANING = {
    "bluff": "a threatened step is not carried out on a branch where the ally stalls",
    "unanswered": "on some branch the ally stalls and no admissible package presses harder or verifies more (the "
                  "ladder, the security floor or the rupture cap leaves no harder step)",
    "no_benchmark": "no admissible opening states a benchmark it can verify",
    "no_headroom": "no admissible opening leaves room on the ladder to answer stalling",
    "rung_skip": "opens above the usual rung cap, allowed because severity or time pressure is grave "
                 "(reactions.yaml calibration)",
}
"""What each playbook flag means, in an analyst's words (the briefing, the dashboard and the options; the flags:
docs/strategy.md, principles)."""


def flag_words(flag: str) -> str:
    """'Rung skip: opens above ...': a playbook flag and what it means (the flag's own name when unknown)."""
    return f"{flag.replace('_', ' ').capitalize()}: {FLAG_MEANING.get(flag, flag)}"


def words(identifier: str) -> str:
    """An id as words: ``escalation_ladder`` -> ``escalation ladder`` (for ids without a display name)."""
    return str(identifier).replace("_", " ").strip()


def wrap_words(text: str, width: int, newline: str = "<br>") -> str:
    """``text`` on lines of at most about ``width`` characters, broken at spaces only (a word longer than ``width``
    keeps its line: nothing is cut mid-word), joined by ``newline`` (plotly's ``<br>`` by default)."""
    lines: list[str] = []
    for word in str(text).split():
        if lines and len(lines[-1]) + 1 + len(word) <= width:
            lines[-1] += " " + word
        else:
            lines.append(word)
    return newline.join(lines)


def plain(value, names: Mapping[str, str] | None = None) -> str:
    """``value`` in words: None and NaN -> 'not given', bools -> 'yes'/'no', floats to 3 significant digits, dicts
    as 'key value, ...' and lists joined with '; '. ``names`` maps ids (keys or values) to display names; other
    snake_case ids become words."""
    names = names or {}
    if value is None or (isinstance(value, (float, np.floating)) and math.isnan(value)):
        return MISSING
    if isinstance(value, (bool, np.bool_)):
        return "yes" if value else "no"
    if isinstance(value, (int, np.integer)):
        return f"{int(value):,}"
    if isinstance(value, (float, np.floating)):
        return f"{float(value):.3g}"
    if isinstance(value, Mapping):
        return ", ".join(f"{plain(k, names)} {plain(v, names)}" for k, v in value.items()) or MISSING
    if isinstance(value, (list, tuple, set)):
        return "; ".join(plain(v, names) for v in value) or MISSING
    text = str(value)
    if text in names:
        return names[text]
    if text.strip().lower() in ("nan", "none", ""):
        return MISSING
    return words(text) if text.isidentifier() and "_" in text else text


def separating_decimals(values, least: int = 3, most: int = 6) -> int:
    """Decimals for ``values`` (finite ones; others ignored): at least ``least`` significant digits of the largest
    magnitude, and more (up to ``most``) while two values that differ at ``most`` decimals print alike."""
    v = np.asarray([x for x in np.asarray(values, dtype=float).ravel() if np.isfinite(x)])
    if len(v) == 0:
        return least
    top = float(np.abs(v).max())
    d = max(0, least - 1 - math.floor(math.log10(top))) if top > 0 else least
    d = min(d, most)
    target = len(np.unique(np.round(v, most)))
    while d < most and len(np.unique(np.round(v, d))) < target:
        d += 1
    return d


def fixed(value, decimals: int) -> str:
    """``value`` with ``decimals`` decimals, a true minus sign, and 'not given' for None/NaN."""
    if value is None or not np.isfinite(value):
        return MISSING
    return f"{float(value):.{decimals}f}".replace("-", "\u2212", 1)


def signed(value, decimals: int) -> str:
    """``+0.012`` / ``−0.012`` (true minus), 'not given' for None/NaN."""
    if value is None or not np.isfinite(value):
        return MISSING
    return f"{float(value):+.{decimals}f}".replace("-", "\u2212", 1)


def percent(x: float) -> str:
    """A share as a percentage: whole from :data:`~decision.defaults.WHOLE_PERCENT` up (and 0), else one decimal."""
    return f"{x:.0%}" if x >= WHOLE_PERCENT or x == 0 else f"{x:.1%}"


def join_names(names) -> str:
    """'A', 'A and B', 'A, B and C' ('nothing new' for none)."""
    names = list(names)
    if len(names) <= 1:
        return "".join(names) or "nothing new"
    return ", ".join(names[:-1]) + " and " + names[-1]
