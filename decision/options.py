"""Options a minister can choose between: a few materially different courses of action, doing nothing new, today's
policy and the smallest change to it that does nearly as well.

Pure computation over a :class:`~decision.portfolios.Portfolios` and a :class:`~decision.ranking.Ranker`; no
printing, no files. The rules (documented with their limits in ``docs/options.md``):

* **Diversity rule.** Option 1 is the ranking's #1 (``Ranker.rank(weights, method, 1)``). Each further option is
  the best-ranked *non-dominated* combination that shares at most half of the tools of every option already chosen
  (``2 * |A & B| <= min(|A|, |B|)``) and neither dominates nor is dominated by one of them. Greedy, in ranking order
  with the package tie rule, so deterministic (a thresholded "modelling to generate alternatives", Brill 1979).
* **Tie rule** (the package's, :data:`decision.ranking.TIE_DELTA`, applied to every pair of rows shown): two rows
  are *statistically tied* when moving one weight by at most ``TIE_DELTA`` (the others rescaled proportionally)
  reverses their order (or they are equal).
* **Minimal change.** Among all feasible combinations whose score reaches ``share`` of option 1's gain over doing
  nothing new, the one nearest to today's policy in tools added plus tools dropped (Hamming distance: popcount of
  ``bits XOR current``); ties: the better score, then the ranking order.

"Score" is the method's preference on a 0-1, higher-is-better scale (see :func:`goodness`).
"""
from __future__ import annotations

from dataclasses import dataclass, field, replace

import numpy as np
import pandas as pd

from . import ranking as _ranking
from .defaults import DEFAULT_K, DEFAULT_SHARE, DIFF_SHOWN, MAX_SHARED, TIE_DELTA
from .display import FLAG_MEANING
from .errors import DecisionError
from .explain import explain
from .kernel import closeness, minmax, minmax_range, squared_gaps
from .portfolios import Portfolios
from .ranking import ADDITIVE, DECIMALS, PROMETHEE_LIMIT, Ranker, additive_value, method_of
from .robustness import pareto_mask
from .weights import weight_shifts

# MAX_SHARED (an option may share at most this fraction of the tools of any other option) and DIFF_SHOWN (criterion
# differences smaller than this are left out of a trade-off sentence) are named in decision.defaults.

FAMILY_WORDS = {"signalling": "quiet", "public": "public", "verification": "verified", "economic": "economic",
                "multilateral": "coalition", "trust_building": "trust-building", "security": "security-measure"}
STANCE_WORDS = {"pressure": "pressure", "scrutiny": "scrutiny", "engagement": "engagement",
                "de_escalating": "de-escalation"}
STANCE_STRENGTH = ("pressure", "scrutiny", "engagement", "de_escalating")
"""Ties between stances go to the stronger one (a package with as much pressure as engagement is 'pressure')."""


# ----------------------------------------------------------------------------------------------------------------
# What the value model provides (status quo, effort, the default method and the tie margin)

def default_method() -> str:
    return _ranking.DEFAULT_METHOD


def effort_cost_of(p: Portfolios, tools) -> float:
    """Effort cost (preference units) of any set of tools, feasible or not (0 for doing nothing new)."""
    eff = sum(p.catalog.tool(t).effort for t in tools)
    return float(p.catalog.model.effort_cost * eff)


# ----------------------------------------------------------------------------------------------------------------
# Preferences of a few rows under many weight vectors

@dataclass(frozen=True)
class Scale:
    """The Ranker's per-criterion scaling for ``method`` (WSM: fixed anchors, the catalogue scales; TOPSIS: min-max
    over the Ranker's own rows, the combinations and the status quo, so a column on which every combination is equal
    but the status quo differs is scaled, not dropped, as in the ranking): :func:`decision.kernel.minmax` on the
    range ``lo``-``hi``, applied to any rows (today's policy need not be feasible)."""
    method: str
    types: np.ndarray
    lo: np.ndarray
    hi: np.ndarray

    @classmethod
    def of(cls, ranker: Ranker, method: str = "wsm") -> "Scale":
        m = method_of(method)
        if not m.portfolio:
            raise DecisionError(f"no linear scale for method '{method}'")
        p = ranker.portfolios
        X = np.vstack([p.values, p.status_quo[None, :]])          # the combinations, then the status quo
        return cls(method, np.asarray(p.types), *minmax_range(X, p.catalog.bounds if m.anchored else None))

    def __call__(self, X: np.ndarray) -> np.ndarray:
        return minmax(X, self.types, self.lo, self.hi)

    def preference(self, X: np.ndarray, W: np.ndarray, cost=0.0) -> np.ndarray:
        """Net preferences of rows ``X`` (m x C values, ``cost``: their effort costs) under weights ``W`` ((C,) ->
        (m,), (S x C) -> (S x m)), by the Ranker's formulas for WSM or TOPSIS."""
        Xn = self(X)
        W2 = np.atleast_2d(W)
        if method_of(self.method).kernel == ADDITIVE:
            out = W2 @ Xn.T
        else:
            out = closeness(*squared_gaps(Xn), W2, live=self.hi != self.lo)
        out = out - np.asarray(cost, dtype=float)
        return out[0] if np.ndim(W) == 1 else out


def tied_pairs(u0: np.ndarray, U: np.ndarray) -> np.ndarray:
    """(m x m) bool: rows whose order at the analyst's weights (higher-is-better scores ``u0``, (m,)) is reversed,
    or becomes a tie, under some shifted weights (``U``, S x m); equal rows are tied. Diagonal False."""
    u0, U = np.round(u0, DECIMALS), np.round(U, DECIMALS)
    d0 = np.sign(u0[:, None] - u0[None, :])                             # (m, m)
    d = np.sign(U[:, :, None] - U[:, None, :])                          # (S, m, m)
    tied = (d0 == 0) | (d != d0[None]).any(0)
    np.fill_diagonal(tied, False)
    return tied


def tie_groups(tied: np.ndarray) -> list[tuple[int, ...]]:
    """Per row, the other rows it is statistically tied with."""
    return [tuple(int(j) for j in np.flatnonzero(r)) for r in tied]


# ----------------------------------------------------------------------------------------------------------------
# Scores on a 0-1 higher-is-better scale

def goodness(ranker: Ranker, weights, method: str) -> tuple[np.ndarray, np.ndarray]:
    """(native preference, score) of every combination; the preference is the Ranker's (net of the effort cost).
    Score: WSM / TOPSIS preference as is; VIKOR Q and SPOTIS distance as ``1 - pref``; PROMETHEE II net flow as
    ``(1 + flow) / 2`` (over the Ranker's TOPSIS shortlist when the set is large; the rest gets -inf); consensus
    mean rank ``r`` as ``1 - (r - 1) / (N - 1)``."""
    n = len(ranker.portfolios)
    m = method_of(method)
    if m.is_consensus:
        df = ranker.rank(weights, method, top=None)
        r = df["preference"].reindex(np.arange(n)).to_numpy(dtype=float)
        return r, 1 - (r - 1) / max(1, n - 1)
    if m.shortlist and n > PROMETHEE_LIMIT:
        df = ranker.rank(weights, method, top=None)
        pref = np.full(n, np.nan)
        pref[df.index.to_numpy()] = df["preference"].to_numpy()
        score = np.where(np.isnan(pref), -np.inf, m.score(pref))
        return pref, score
    pref = ranker.preference(weights, method)
    return pref, to_score(pref, method)


def consensus_score(r: float, n: int) -> float:
    return 1 - (r - 1) / max(1, n - 1)


def to_score(pref, method: str):
    """A method's native preference as a 0-1 score, higher is better (:attr:`decision.ranking.Method.score`)."""
    return method_of(method, consensus=False).score(np.asarray(pref, dtype=float))


# ----------------------------------------------------------------------------------------------------------------
# Selection

def popcount(x: np.ndarray) -> np.ndarray:
    return np.bitwise_count(np.asarray(x, dtype=np.int64).view(np.uint64)).astype(np.int64)


def dominance(Y: np.ndarray, y: np.ndarray) -> np.ndarray:
    """(m,) int: +1 where row of ``Y`` dominates ``y``, -1 where ``y`` dominates it, 0 otherwise (higher is
    better in every column)."""
    ge, le = (Y >= y).all(1), (Y <= y).all(1)
    eq = ge & le
    return np.where(ge & ~eq, 1, np.where(le & ~eq, -1, 0))


class Dominators:
    """Answers "does any row of ``Y`` dominate ``y``?" (higher is better in every column) cheaply for good rows: a
    dominator's column sum is larger, so only rows summing to at least ``y``'s are compared (for the best-ranked
    candidates, a handful); one vectorised comparison of the sums per question, no sort."""

    def __init__(self, Y: np.ndarray):
        self.Y, self.sum = Y, Y.sum(1)

    def dominated(self, y: np.ndarray) -> bool:
        Z = self.Y[self.sum >= y.sum() - 1e-9]
        return bool(((Z >= y).all(1) & (Z > y).any(1)).any())


def select_distinct(bits: np.ndarray, Y: np.ndarray, order: np.ndarray, first: int, k: int,
                    max_shared: float = MAX_SHARED) -> list[int]:
    """Greedy diversity rule over candidate rows ``order`` (best first): start from ``first``, then repeatedly take
    the first candidate that no row of ``Y`` dominates, that shares at most ``max_shared`` of the tools of every
    chosen row, and that neither dominates nor is dominated by one (``Y``: higher-is-better values).

    The overlap and pairwise tests are vectorised over all candidates, once per option; dominance by the whole set
    is checked lazily, candidate by candidate in ranking order (:class:`Dominators`), so the non-dominated set is
    never built: the best-ranked candidates are almost always non-dominated, and a dominated one is dropped for good.
    """
    size = popcount(bits)
    dom = Dominators(Y)
    chosen = [int(first)]
    ok = order != first
    for _ in range(k - 1):
        c = chosen[-1]
        shared = popcount(bits[order] & bits[c])
        ok &= (shared <= max_shared * size[order] + 1e-9) & (shared <= max_shared * size[c] + 1e-9)
        ok &= dominance(Y[order], Y[c]) == 0
        pick = None
        for pos in np.flatnonzero(ok):
            if not dom.dominated(Y[order[pos]]):
                pick = int(pos)
                break
            ok[pos] = False                               # dominated rows never become options
        if pick is None:
            break
        chosen.append(int(order[pick]))
        ok[pick] = False
    return chosen


def change_target(best: float, status_quo: float, share: float) -> float:
    """The score the minimal change must reach: ``share`` of option 1's gain over doing nothing new
    (``status_quo + share * (best - status_quo)``); ``share * best`` when option 1 does not beat the status quo."""
    if np.isfinite(status_quo) and best > status_quo:
        return status_quo + share * (best - status_quo)
    return share * best


def minimal_change_row(bits: np.ndarray, score: np.ndarray, current_mask: int, target: float) -> int | None:
    """Row nearest to ``current_mask`` (tools added + dropped) among those scoring at least ``target``; ties: higher
    score, then lower row. None if no row reaches the target."""
    ok = np.flatnonzero(np.round(score, DECIMALS) >= np.round(target, DECIMALS))
    if len(ok) == 0:
        return None
    dist = popcount(bits[ok] ^ np.int64(current_mask))
    best = ok[np.lexsort((ok, -np.round(score[ok], DECIMALS), dist))]
    return int(best[0])


# ----------------------------------------------------------------------------------------------------------------
# Labels and words

VISIBILITY = ("security", "economic", "public", "multilateral", "verification", "signalling", "trust_building")
"""Families from the most visible or coercive to the least: a label names the most visible family present."""


def label_of(tools, catalog) -> str:
    """Short label from the most visible family among the tools (:data:`VISIBILITY`: a package with a public
    statement is never 'quiet') and the strongest stance (pressure, scrutiny, engagement, de-escalation: a package
    with a penalty is never 'de-escalation')."""
    if not tools:
        return "do nothing new"
    ts = [catalog.tool(t) for t in tools]
    rank = lambda f: VISIBILITY.index(f) if f in VISIBILITY else len(VISIBILITY)  # noqa: E731
    fam = min((t.family for t in ts), key=rank)
    st = min((t.stance for t in ts), key=lambda s: STANCE_STRENGTH.index(s) if s in STANCE_STRENGTH else 99)
    fw = FAMILY_WORDS.get(fam, fam.replace("_", " "))
    sw = STANCE_WORDS.get(st, st.replace("_", " "))
    return f"{fw} {sw}"


def label_misleads(label: str, tools, catalog) -> str | None:
    """Why a label misdescribes its tools (None when it does not): 'quiet' with a public tool, 'de-escalation' with
    a pressure tool (the audit's check)."""
    ts = [catalog.tool(t) for t in tools]
    if label.startswith("quiet") and any(t.family == "public" for t in ts):
        return "called quiet but holds a public tool"
    if "de-escalation" in label and any(t.stance == "pressure" for t in ts):
        return "called de-escalation but holds a pressure tool"
    return None


def distinct_labels(tool_sets, catalog) -> list[str]:
    """Labels; where two clash, each gets the first tool (catalogue order) that the others with that label lack."""
    base = [label_of(t, catalog) for t in tool_sets]
    labels = list(base)
    for i, lab in enumerate(base):
        if base.count(lab) > 1 and tool_sets[i]:
            clash = [set(t) for j, t in enumerate(tool_sets) if j != i and base[j] == lab]
            own = [t for t in catalog.tool_ids if t in tool_sets[i] and t not in set().union(*clash)]
            labels[i] = f"{lab} with {catalog.tool(own[0]).name.lower()}" if own else f"{lab} ({i + 1})"
    return labels


def tradeoff(values: np.ndarray, reference: np.ndarray, catalog, min_shown: float = DIFF_SHOWN,
             effort: float | None = None, reference_effort: float | None = None) -> str:
    """'+1.2 rights protection, -0.8 security continuity, -2.0 effort' (values minus the reference's; the effort
    difference when both efforts are given)."""
    diffs = [(c.name.lower(), d) for c, d in zip(catalog.criteria, np.asarray(values) - np.asarray(reference))]
    if effort is not None and reference_effort is not None:
        diffs.append(("effort", effort - reference_effort))
    parts = [f"{d:+.1f} {name}".replace("-", "\u2212", 1) for name, d in diffs if abs(d) >= min_shown]
    return ", ".join(parts) if parts else "about the same values"


# ----------------------------------------------------------------------------------------------------------------
# Result

@dataclass(frozen=True)
class Option:
    """One row of the options table. ``kind``: option, status_quo, current or minimal_change."""
    kind: str
    label: str
    tools: tuple[str, ...]
    names: tuple[str, ...]
    values: dict
    preference: float
    score: float
    row: int | None = None
    effort: float | None = None
    feasible: bool = True
    tradeoff: str = ""
    tied_with: tuple[int, ...] = ()
    tied_with_status_quo: bool = False
    add: tuple[str, ...] = ()
    drop: tuple[str, ...] = ()
    reasons: tuple[str, ...] = ()
    course: Course | None = None

    def to_dict(self) -> dict:
        d = {"label": self.label, "tools": list(self.tools), **{k: float(v) for k, v in self.values.items()},
             "preference": _num(self.preference), "score": _num(self.score), "tied_with": list(self.tied_with),
             "tradeoff": self.tradeoff, "feasible": bool(self.feasible)}
        if self.kind != "status_quo":
            d["tied_with_status_quo"] = bool(self.tied_with_status_quo)
        if self.effort is not None:
            d["effort"] = float(self.effort)
        if self.kind == "minimal_change":
            d.update(add=list(self.add), drop=list(self.drop))
        if self.reasons:
            d["reasons"] = list(self.reasons)
        if self.course is not None:
            d["playbook"] = self.course.to_dict()
        return d

    def tied_names(self, option: str = "option ") -> list[str]:
        """The rows this one is statistically tied with, as words: ``option 2``, ..., ``the status quo``."""
        return [f"{option}{j + 1}" for j in self.tied_with] + (["the status quo"] if self.tied_with_status_quo else [])


@dataclass(frozen=True)
class Course:
    """What opening with a package and continuing with the playbook's best next steps is worth over the horizon:
    the expected and worst-branch values (additive, fixed anchors, less effort) and expected criterion values; the
    first review's next package per reaction (tool ids; None when the package is kept)."""
    value: float
    worst_value: float
    expected: dict
    effort: float
    next_steps: dict
    flags: tuple[str, ...] = ()        # the opening's plan flags (e.g. rung_skip)

    def to_dict(self) -> dict:
        d = {"value": float(self.value), "worst_value": float(self.worst_value),
             "expected": {k: float(v) for k, v in self.expected.items()}, "effort": float(self.effort),
             "next_steps": {k: (None if v is None else list(v)) for k, v in self.next_steps.items()}}
        if self.flags:
            d["flags"] = list(self.flags)
        return d


RUNG_SKIP_NOTE = f"rung skip: {FLAG_MEANING['rung_skip']}"
"""Said under an option whose opening climbs above ``opening_max_rung`` in a grave case (plan flag ``rung_skip``)."""


def course_of(plan) -> Course:
    """The :class:`Course` of a :class:`~decision.strategy.playbook.Plan` (its opening and continuation)."""
    periods = plan.reviews + 1
    effort = sum(n.reach * n.effort for n in plan.nodes) / periods
    nxt = {c.reaction: (None if c.tools == plan.root.tools else c.tools) for c in plan.root.children}
    return Course(plan.value, plan.worst_value, dict(plan.expected), effort, nxt, tuple(plan.root.flags))


def row_notes(r: Option, catalog, brief: bool = False) -> list[str]:
    """What a table says under a row: its trade-off against option 1, what the minimal change adds and drops, and
    why a row is not feasible (``brief``: the first clause of each reason)."""
    names = {t.id: t.name for t in catalog.tools}
    notes = [f"vs option 1: {r.tradeoff}"] if r.tradeoff else []
    if r.kind == "minimal_change":
        notes.append("add " + (", ".join(names[t] for t in r.add) or "nothing") + "; drop " +
                     (", ".join(names[t] for t in r.drop) or "nothing"))
    if r.course is not None and "rung_skip" in r.course.flags:
        notes.append(RUNG_SKIP_NOTE)
    if not r.feasible:
        reasons = [_first_clause(x) for x in r.reasons] if brief else list(r.reasons)
        notes.append("not feasible: " + ("; ".join(reasons) or "outside the constraints"))
    return notes


def _first_clause(reason: str) -> str:
    head = reason.split(":", 1)[0].split(" (", 1)[0].strip()
    return head if len(head) <= 70 else head[:69] + "\u2026"


def _num(x):
    return None if x is None or not np.isfinite(x) else float(x)


@dataclass(frozen=True)
class Options:
    """K distinct options (best first), the status quo, and with a current policy that policy and its minimal
    change. ``tied_with`` holds 0-based indices into ``options``; ``tied_with_status_quo`` says a row is tied with
    doing nothing new (on the ranking's own scale, which includes the status quo row)."""
    options: tuple[Option, ...]
    status_quo: Option
    current: Option | None
    minimal_change: Option | None
    method: str
    weights: dict
    scenario: str
    share: float
    tie_method: str
    n_feasible: int
    rule: str = field(default="")
    basis: str = "package"
    horizon: str = ""
    review_every: float = 0.0

    @property
    def best(self) -> Option:
        return self.options[0]

    def rows(self) -> list[Option]:
        """Options, then the reference rows present (status quo, current policy, minimal change)."""
        return [*self.options, *(r for r in (self.status_quo, self.current, self.minimal_change) if r is not None)]

    def frame(self) -> pd.DataFrame:
        """One row per :meth:`rows` entry: kind, label, tools (names), criterion values, preference, tied_with."""
        crit = list(self.weights)
        recs = []
        for i, o in enumerate(self.rows()):
            name = f"option {i + 1}" if o.kind == "option" else o.kind.replace("_", " ")
            recs.append({"row": name, "kind": o.kind, "label": o.label, "tools": " + ".join(o.names) or "(none new)",
                         **{c: o.values[c] for c in crit}, "preference": o.preference,
                         "tied_with": ", ".join(o.tied_names()), "tradeoff": o.tradeoff,
                         "add": ", ".join(o.add), "drop": ", ".join(o.drop)})
        return pd.DataFrame(recs).set_index("row")

    def to_dict(self) -> dict:
        """The JSON contract (docs/options.md)."""
        out = {"scenario": self.scenario, "method": self.method, "weights": self.weights,
               "preference_higher_is_better": not method_of(self.method).ascending,
               "options": [o.to_dict() for o in self.options], "status_quo": self.status_quo.to_dict()}
        if self.current is not None:
            out["current"] = self.current.to_dict()
        if self.minimal_change is not None:
            out["minimal_change"] = self.minimal_change.to_dict()
        out.update(share=self.share, tie_method=self.tie_method, rule=self.rule, n_feasible=self.n_feasible,
                   basis=self.basis, horizon=self.horizon)
        return out


RULE = ("Option 1 is the ranking's #1; each further option is the best-ranked non-dominated combination (criteria and "
        "effort) that shares at most half of the tools of every earlier option and neither dominates nor is "
        "dominated by one. Rows are statistically tied when moving one weight by at most "
        f"{TIE_DELTA:g} (the others rescaled) reverses their order.")


PLAYBOOK_RULE = ("Each option is an opening followed by the playbook's best next steps; option 1 opens the playbook. "
                 "Options are ranked by the playbook's expected value over the horizon (additive, fixed anchors, "
                 "less effort); each further option is the best-ranked opening that shares at most half of the tools "
                 "of every earlier option and neither dominates nor is dominated by one (criteria and effort). Rows "
                 f"are statistically tied when moving one weight by at most {TIE_DELTA:g} (the others "
                 "rescaled, each course held) reverses their order.")


PREFIX = 4096
"""The greedy rule first runs on the best this many candidates (ties at the cut included, so it is an exact prefix of
the ranking order); only if it cannot fill ``k`` options there does it run on all."""


def _greedy(p: Portfolios, Y: np.ndarray, score: np.ndarray, cand: np.ndarray, first: int, k: int) -> list[int]:
    """:func:`select_distinct` over ``cand`` in ranking order (score, then less effort, fewer tools, row)."""
    def ordered(rows):
        return rows[np.lexsort((rows, p.n_tools[rows], p.effort[rows], -np.round(score[rows], DECIMALS)))]
    if len(cand) > PREFIX:
        key = -np.round(score[cand], DECIMALS)
        head = cand[key <= np.partition(key, PREFIX - 1)[PREFIX - 1]]
        rows = select_distinct(p.bits, Y, ordered(head), first, k)
        if len(rows) == k:
            return rows
    return select_distinct(p.bits, Y, ordered(cand), first, k)


def dominance_matrix(p: Portfolios) -> np.ndarray:
    """(N x C+1) higher-is-better columns for dominance: the criteria (costs negated) and the effort (negated)."""
    return np.column_stack([p.values * p.types, -p.effort])


def _check_k_share(k, share) -> None:
    """One-line errors for a number of options below 1 or a minimal-change share outside (0, 1]."""
    if not isinstance(k, (int, np.integer)) or k < 1:
        raise DecisionError(f"k must be a whole number >= 1, got {k!r}")
    if not 0 < share <= 1:
        raise DecisionError(f"share must be in (0, 1], got {share!r}")


def find_options(portfolios: Portfolios, weights=None, method: str | None = None, k: int = DEFAULT_K,
                 current=None, share: float = DEFAULT_SHARE, ranker: Ranker | None = None,
                 strategy=None) -> Options:
    """Distinct courses of action for already built ``portfolios`` (see the module doc for the rules).

    ``current``: today's policy as tool ids (None: not given; an empty list is the status quo). ``share``: the part
    of option 1's gain over doing nothing new the minimal change must reach (:func:`change_target`). ``strategy``: a
    :class:`~decision.strategy.tree.StrategyProblem` of these portfolios; with it each option is an opening with the
    playbook's continuation, ranked by the playbook's value, and option 1 is the playbook's opening
    (:func:`playbook_options`).
    """
    if strategy is not None:
        return playbook_options(portfolios, strategy, weights, k, current, share, ranker)
    p = portfolios
    method = method or default_method()
    _check_k_share(k, share)
    ranker = ranker or Ranker(p)
    w = ranker.weights(weights)
    top1 = ranker.rank(w, method, 1)
    first = int(top1.index[0])
    sq_pref = float(top1.attrs["status_quo"]["preference"])
    pref, score = goodness(ranker, w, method)
    sq_score = (consensus_score(sq_pref, len(p)) if method_of(method).is_consensus
                else float(to_score(sq_pref, method)))
    rows = _distinct_rows(p, score, first, k)
    make = _RowMaker(p, first)
    cost = np.asarray(ranker.effort_cost)
    opts = [make("option", lab, ts, p.values[r], pref[r], score[r], r) for r, lab, ts in _labelled(p, rows)]
    sq = make("status_quo", "do nothing new", (), p.status_quo, sq_pref, sq_score, effort=0.0,
              **_status_quo_feasibility(p))
    shown_cost = [*cost[rows], 0.0]
    cur = mc = None
    if current is not None:
        cur_tools, mask = _current_tools(p, current)
        cur, cur_cost = _package_current(p, cur_tools, mask, sq, make, pref, score, w, method, ranker)
        shown_cost.append(cur_cost)
        mc = _minimal_change(p, make, score, pref, change_target(score[first], sq_score, share), mask, cur_tools)
        if mc is not None:
            shown_cost.append(cost[mc.row])
    # ties among every row shown (WSM or TOPSIS formulas; other methods are checked with the default method)
    tie_method = method if method_of(method).portfolio else default_method()
    shown = mark_ties([*opts, sq, *(x for x in (cur, mc) if x is not None)], len(opts),
                      Scale.of(ranker, tie_method), w, shown_cost, p.criteria)
    opts, sq, cur, mc = _unpack(shown, len(opts), cur, mc)
    return Options(tuple(opts), sq, cur, mc, method, dict(zip(p.criteria, map(float, w))),
                   p.adjusted.scenario.id, share, tie_method, len(p), RULE)


@dataclass(frozen=True)
class _RowMaker:
    """Builds the :class:`Option` rows of one table, each with its trade-off against option 1 (row ``first``)."""
    p: Portfolios
    first: int

    def __call__(self, kind, label, tools, values, pref_, score_, row=None, effort=None, **extra) -> Option:
        p, cat = self.p, self.p.catalog
        eff = float(p.effort[row]) if row is not None else effort
        words = tradeoff(values, p.values[self.first], cat, effort=eff, reference_effort=float(p.effort[self.first]))
        return Option(kind, label, tuple(tools), tuple(cat.tool(t).name for t in tools),
                      dict(zip(p.criteria, map(float, values))), float(pref_), float(score_), row, eff,
                      tradeoff="" if kind == "option" and row == self.first else words, **extra)


def _distinct_rows(p: Portfolios, score: np.ndarray, first: int, k: int) -> list[int]:
    """The options' rows: the diversity rule over the candidates that do not dominate option 1 (it may be
    dominated) and have a finite score, in ranking order by ``score``."""
    Y = dominance_matrix(p)
    cand = np.flatnonzero((dominance(Y, Y[first]) <= 0) & np.isfinite(score))
    return _greedy(p, Y, score, cand, first, int(k))


def _labelled(p: Portfolios, rows) -> list[tuple[int, str, tuple]]:
    """(row, distinct label, tool ids) of each option row."""
    tool_sets = [p.tools_of(r) for r in rows]
    return list(zip(rows, distinct_labels(tool_sets, p.catalog), tool_sets))


def _current_tools(p: Portfolios, current) -> tuple[tuple[str, ...], int]:
    """Today's policy in catalogue order and as a bit mask (an unknown id is a one-line user error)."""
    cat = p.catalog
    for t in current:
        cat.tool_index(t)
    cur_tools = tuple(t for t in cat.tool_ids if t in set(current))
    return cur_tools, sum(1 << cat.tool_index(t) for t in cur_tools)


def _package_current(p, cur_tools, mask, sq, make, pref, score, w, method, ranker) -> tuple[Option, float]:
    """Today's policy as a row of the package table, and its effort cost: the status quo when it holds no tool, a
    feasible combination's row, or an infeasible policy with its reasons."""
    if not cur_tools:
        return replace(sq, kind="current", label="today's policy (nothing new)"), 0.0
    hit = np.flatnonzero(p.bits == np.int64(mask))
    if len(hit):
        r = int(hit[0])
        return make("current", "today's policy", cur_tools, p.values[r], pref[r], score[r], r), \
            float(ranker.effort_cost[r])
    return _infeasible_current(p, cur_tools, w, method, ranker, make), effort_cost_of(p, cur_tools)


def _minimal_change(p, make, score, pref, target: float, mask: int, cur_tools, course=None) -> Option | None:
    """The minimal change row (:func:`minimal_change_row` on ``score``; shown with ``pref``), with the tools it adds
    to and drops from today's policy; ``course(row)``: its playbook course (playbook basis)."""
    r = minimal_change_row(p.bits, score, mask, target)
    if r is None:
        return None
    tools = p.tools_of(r)
    extra = {} if course is None else {"course": course(r)}
    return make("minimal_change", "minimal change", tools, p.values[r], pref[r], score[r], r, **extra,
                add=tuple(t for t in tools if t not in cur_tools), drop=tuple(t for t in cur_tools if t not in tools))


def _unpack(shown: list[Option], n_opt: int, cur, mc) -> tuple[list[Option], Option, Option | None, Option | None]:
    """``shown`` (options, status quo, then today's policy and the minimal change where present) back in parts."""
    opts, sq, rest = shown[:n_opt], shown[n_opt], shown[n_opt + 1:]
    return opts, sq, (rest.pop(0) if cur is not None else None), (rest.pop(0) if mc is not None else None)


def playbook_options(p: Portfolios, strategy, weights=None, k: int = DEFAULT_K, current=None,
                     share: float = DEFAULT_SHARE, ranker: Ranker | None = None) -> Options:
    """Options as strategies (one answer): openings ranked by the value of opening with them and continuing with the
    playbook (:meth:`~decision.strategy.tree.StrategyProblem.opening_values`), option 1 the playbook's opening, the
    diversity rule of the module doc over that order; each option carries its :class:`Course`. Ties: the courses'
    expected values under shifted weights, each course held (the additive value is linear in the weights)."""
    from .strategy.playbook import build_plan  # noqa: PLC0415  (options sit above the strategy in the chain)
    _check_k_share(k, share)
    ranker = ranker or Ranker(p)
    w = ranker.weights(weights)
    cat = p.catalog
    policy = strategy.solve(w)
    q = strategy.opening_values(policy)
    first = strategy.opening_row(policy)
    rows = _distinct_rows(p, q, first, k)
    make = _RowMaker(p, first)

    def course(row):
        if row is None or not np.isfinite(q[row]):
            return None
        return course_of(build_plan(strategy, policy, w, opening=int(row)))

    opts = [make("option", lab, ts, p.values[r], q[r], q[r], r, course=course(r)) for r, lab, ts in _labelled(p, rows)]
    sq_value = float(additive_value(p.status_quo, w, cat))
    sq = make("status_quo", "do nothing new", (), p.status_quo, sq_value, sq_value, effort=0.0,
              course=Course(sq_value, sq_value, dict(zip(p.criteria, map(float, p.status_quo))), 0.0, {}),
              **_status_quo_feasibility(p))
    cur = mc = None
    if current is not None:
        cur_tools, mask = _current_tools(p, current)
        cur = _playbook_current(p, strategy, cur_tools, mask, sq, make, q, course, w, ranker)
        mc = _minimal_change(p, make, q, q, change_target(q[first], sq_value, share), mask, cur_tools, course)
    shown = _course_ties([*opts, sq, *(x for x in (cur, mc) if x is not None)], len(opts), p, w, ranker)
    opts, sq, cur, mc = _unpack(shown, len(opts), cur, mc)
    horizon = f"{strategy.months:g} months, {strategy.reviews} review(s)"
    return Options(tuple(opts), sq, cur, mc, "wsm", dict(zip(p.criteria, map(float, w))), p.adjusted.scenario.id,
                   share, "wsm", len(p), PLAYBOOK_RULE, "playbook", horizon,
                   strategy.months / (strategy.reviews + 1) if strategy.reviews else 0.0)


def _playbook_current(p, strategy, cur_tools, mask, sq, make, q, course, w, ranker) -> Option:
    """Today's policy as a row of the playbook table: the status quo when it holds no tool, an opening with its
    course, a feasible package that cannot open the playbook (why not), or an infeasible policy with its reasons."""
    if not cur_tools:
        return replace(sq, kind="current", label="today's policy (nothing new)")
    hit = np.flatnonzero(p.bits == np.int64(mask))
    if len(hit) and np.isfinite(q[int(hit[0])]):
        r = int(hit[0])
        return make("current", "today's policy", cur_tools, p.values[r], q[r], q[r], r, course=course(r))
    if len(hit):
        r = int(hit[0])
        pref, score = goodness(ranker, w, "wsm")
        return make("current", "today's policy", cur_tools, p.values[r], pref[r], score[r], r, feasible=False,
                    reasons=(_why_not_opening(strategy, r),))
    return _infeasible_current(p, cur_tools, w, "wsm", ranker, make)


def _course_ties(shown: list[Option], n_opt: int, p: Portfolios, w: np.ndarray, ranker: Ranker) -> list[Option]:
    """``shown`` (options first, the status quo at ``n_opt``) with ``tied_with`` and ``tied_with_status_quo`` set by
    the tie rule on the rows' courses (expected values and effort, each course held); rows without a course (an
    infeasible policy) are tied with nothing."""
    held = [o for o in shown if o.course is not None]
    X = np.array([[o.course.expected[c] for c in p.criteria] for o in held])
    cost = p.catalog.model.effort_cost * np.array([o.course.effort for o in held])
    scale = Scale.of(ranker, "wsm")
    tied = tied_pairs(scale.preference(X, w, cost), scale.preference(X, weight_shifts(w, TIE_DELTA), cost))
    pos = {id(o): i for i, o in enumerate(held)}
    opts, sq = shown[:n_opt], shown[n_opt]

    def ties(o):
        if id(o) not in pos:
            return ()
        return tuple(j for j, other in enumerate(opts) if other is not o and tied[pos[id(o)], pos[id(other)]])
    return [replace(o, tied_with=ties(o), tied_with_status_quo=o is not sq and bool(o.tools) and id(o) in pos
                    and bool(tied[pos[id(o)], pos[id(sq)]])) for o in shown]


def _why_not_opening(strategy, row: int) -> str:
    """Why a feasible package cannot open the playbook (the opening rules or the security floor)."""
    pr = strategy.model.principles
    hit = np.flatnonzero(strategy.rows == row)
    if not len(hit):
        return "below the security floor in every review context (reactions.yaml security_floor)"
    if not strategy.feasible[hit[0], 0]:
        return "below the security floor at the opening (the chance of a major retaliation or a red line)"
    from .strategy.tree import opening_cap_for  # noqa: PLC0415
    cap = opening_cap_for(pr, strategy.portfolios)
    return (f"cannot open the playbook: the opening starts no higher than rung {cap} "
            "(calibration) and holds no incentive before verified progress")


def mark_ties(shown: list[Option], n_opt: int, scale: Scale, w: np.ndarray, cost, criteria) -> list[Option]:
    """``shown`` (the options, then the status quo at ``n_opt``, then the other reference rows) with ``tied_with``
    (options) and ``tied_with_status_quo`` set by the tie rule on ``scale`` (rows' effort costs ``cost``). A row
    with no tools is the status quo itself and is not called tied with it."""
    X = np.array([[o.values[c] for c in criteria] for o in shown])
    u0 = scale.preference(X, w, cost)
    U = scale.preference(X, weight_shifts(w, TIE_DELTA), cost)
    groups = tie_groups(tied_pairs(u0, U))
    return [replace(o, tied_with=tuple(j for j in g if j < n_opt),
                    tied_with_status_quo=i != n_opt and bool(o.tools) and n_opt in g)
            for i, (o, g) in enumerate(zip(shown, groups))]


def _status_quo_feasibility(p: Portfolios) -> dict:
    """Doing nothing new is a reference row: it fails the accountability floor and any legal obligation."""
    st = p.setting
    reasons = []
    if st is not None and st.floor_points is not None:
        reasons.append(f"below the accountability floor: {st.floor_text()}")
    if st is not None and st.mandatory:
        names = ", ".join(p.catalog.tool(t).name for t in st.mandatory)
        reasons.append(f"leaves out what the law requires here ({names})")
    return {"feasible": not reasons, "reasons": tuple(reasons)}


def nondominated_mask(p: Portfolios) -> np.ndarray:
    """(N,) bool: combinations no other beats on every criterion and on effort (options are drawn from these; not
    needed by :func:`find_options`, which tests its candidates lazily)."""
    Y = dominance_matrix(p)
    return pareto_mask(Y, np.ones(Y.shape[1]))


def _infeasible_current(p: Portfolios, tools, w, method, ranker, make) -> Option:
    """Today's policy when it is not among the feasible combinations: its values and why it is not feasible
    (:func:`decision.explain.explain`); its preference on the ranking's scale where the method allows."""
    e = explain(p.catalog, tools, p.adjusted.scenario, p.adjusted.horizon, p.constraints.max_tools, p.constraints)
    vals = e["values"].reindex(p.criteria).to_numpy(dtype=float)
    cost = effort_cost_of(p, tools)
    m = method_of(method)
    if m.portfolio:
        cp = float(Scale.of(ranker, method).preference(vals[None], w, cost)[0])
    else:
        cp = float("nan")
    return make("current", "today's policy", tools, vals, cp, to_score(cp, method) if not m.is_consensus
                else float("nan"), effort=float(sum(p.catalog.tool(t).effort for t in tools)),
                feasible=bool(e.get("feasible", False)), reasons=tuple(e.get("reasons", ())))
