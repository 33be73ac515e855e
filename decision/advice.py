"""The bottom line up front: a headline ("Recommend: ...") and four labelled parts (Do, Why, How sure, What would
change it), generated from the numbers by templates, never hand-edited.

:func:`assess` computes the numbers (method agreement, SMAA share of weightings near the analyst's under which the
recommendation stays first, stability margin and what replaces the recommendation beyond it); :func:`advise` turns
an :class:`~decision.options.Options` and a :class:`Confidence` into a :class:`BottomLine` and is pure (tested on
hand-made inputs); :func:`bottom_line` gives the same as text lines. A stability margin under
:data:`TIED_MARGIN` and an option 1 statistically tied with another are both called "tied", never "replaced by a
change of 0.00". With today's policy given, "Do" says what to add and drop, and the smallest change that gets most of
the gain.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .defaults import FRAGILE_MARGIN as FRAGILE
from .defaults import NEAR_SPREAD as SPREAD
from .defaults import STABLE_MARGIN as STABLE
from .defaults import CORE_SHARE, TIE_DELTA, TIED_MARGIN
from .display import join_names, percent
from .options import Options, tradeoff
from .portfolios import Portfolios
from .ranking import CROSS_CHECK, DEFAULT_METHOD, Ranker, method_of
from .kernel import crossing_of
from .robustness import mc_error, portfolio_stability, smaa_portfolios

AGREEMENT_METHODS = CROSS_CHECK
"""The ranking methods whose #1 is compared (SPOTIS equals the fixed-anchor weighted sum, so it is not among them)."""
# SPREAD (SMAA draws each weight within +/- this of the analyst's), FRAGILE / STABLE (stability margins below which
# a recommendation is called fragile / from which stable) and TIED_MARGIN: decision.defaults.


@dataclass(frozen=True)
class Confidence:
    """How sure the recommendation (option 1) is.

    ``agree``/``methods``: the ranking methods whose #1 is option 1. ``first_share``: share of ``draws`` uniform
    random weight vectors under which option 1 ranks first (None: not computed). ``margin``: smallest change of one
    criterion's weight (the others rescaled) that replaces it, on ``critical``; beyond it (``direction`` 'rises
    above' or 'falls below' ``bound``, weight now ``weight``) ``replacement`` comes first. ``robust_method``: the
    method used for the stability and SMAA numbers."""
    agree: tuple[str, ...]
    methods: tuple[str, ...]
    first_share: float | None = None
    draws: int = 0
    margin: float | None = None
    critical: str | None = None
    direction: str | None = None
    bound: float | None = None
    weight: float | None = None
    replacement: str | None = None
    robust_method: str = DEFAULT_METHOD
    spread: float = SPREAD
    basis: str = "package"
    courses: int = 0
    tool_shares: tuple[tuple[str, float], ...] = ()
    score_draws: int = 0
    with_scores: float | None = None
    scores_only: float | None = None

    @property
    def verdict(self) -> str:
        return verdict(self.margin)


def verdict(margin: float | None) -> str:
    """A stability margin in words: fragile below :data:`FRAGILE`, stable from :data:`STABLE`."""
    if margin is None:
        return "of unknown stability"
    return "fragile" if margin < FRAGILE else "moderately stable" if margin < STABLE else "stable"


def assess(p: Portfolios, options: Options, ranker: Ranker | None = None, samples: int = 2000, seed: int = 0,
           smaa: bool = True, stability=None, strategy=None, score_samples: int = 0) -> Confidence:
    """The numbers behind the bottom line for ``options`` (computed with their weights and method). ``stability``:
    :func:`~decision.robustness.portfolio_stability` of the same weights and method, if already computed.
    ``strategy``: the :class:`~decision.strategy.tree.StrategyProblem` the options were found with (options on the
    playbook basis): how sure the playbook's opening is among the best openings with their continuations, and with
    ``score_samples`` also when the tool scores are drawn within their ranges."""
    ranker = ranker or Ranker(p)
    w = np.array(list(options.weights.values()))
    best = tuple(options.best.tools)
    agree = tuple(m for m in AGREEMENT_METHODS if tuple(ranker.rank(w, m, 1)["tool_ids"].iloc[0]) == best)
    if options.basis == "playbook" and strategy is not None:
        return _assess_courses(p, strategy, w, agree, samples if smaa else 0, seed, score_samples if smaa else 0)
    m = options.method if method_of(options.method).portfolio else DEFAULT_METHOD
    stab = stability if stability is not None and stability.attrs.get("method") == m else \
        portfolio_stability(p, w, m)
    out = dict(agree=agree, methods=AGREEMENT_METHODS, robust_method=m)
    crit = stab.attrs.get("most_critical")
    if crit is not None:
        x = crossing_of(w, float(stab.loc[crit, "low"]), float(stab.loc[crit, "high"]), p.criteria.index(crit))
        new = ranker.rank(x.weights, m, 1)
        out.update(margin=float(stab["margin"].min()), critical=crit, bound=x.bound, weight=x.weight,
                   direction=x.direction, replacement=str(new["tools"].iloc[0]))
    if smaa and samples > 0:
        res, spread = _smaa_near(p, w, samples, seed, m)
        tab = res.table
        row = options.best.row
        out.update(first_share=float(tab.loc[row, "first"]) if row in tab.index else 0.0, draws=samples,
                   spread=spread)
    return Confidence(**out)


def _assess_courses(p: Portfolios, strategy, w: np.ndarray, agree, samples: int, seed: int,
                    score_samples: int = 0) -> Confidence:
    from .strategy.robustness import course_confidence  # noqa: PLC0415
    cc = course_confidence(strategy, w, samples, seed, SPREAD, score_samples=score_samples if samples else 0)
    names = {t.id: t.name for t in p.catalog.tools}
    return Confidence(agree=agree, methods=AGREEMENT_METHODS, first_share=cc.first_share if samples else None,
                      draws=cc.draws, margin=cc.margin, critical=cc.critical, direction=cc.direction, bound=cc.bound,
                      weight=cc.weight, replacement=" + ".join(names[t] for t in cc.replacement) if cc.replacement
                      else None, robust_method=DEFAULT_METHOD, spread=cc.spread, basis="playbook",
                      courses=cc.n_courses, tool_shares=tuple((names[t], x) for t, x in cc.tool_shares),
                      score_draws=cc.score_draws, with_scores=cc.with_scores, scores_only=cc.scores_only)


def _smaa_near(p: Portfolios, w: np.ndarray, samples: int, seed: int, method: str):
    """SMAA with every weight drawn uniformly within +/- ``SPREAD`` of ``w`` (lower bounds exact, upper bounds by
    rejection, so a weight of 0 or 1 needs no widening). Returns the result and the spread used."""
    res = smaa_portfolios(p, n_samples=samples, seed=seed, method=method, k=1, weight_center=w, spread=SPREAD)
    return res, SPREAD


@dataclass(frozen=True)
class BottomLine:
    """The memo at the top of every view (briefing, PDF, dashboard): a headline and four labelled parts of one or two
    sentences each. ``change`` is empty while the confidence is not computed."""
    headline: str
    do: str
    why: str
    how_sure: str
    change: str = ""

    LABELS = (("do", "Do"), ("why", "Why"), ("how_sure", "How sure"), ("change", "What would change it"))

    def items(self) -> list[tuple[str, str]]:
        """(label, text) of the parts present, in reading order."""
        return [(label, getattr(self, key)) for key, label in self.LABELS if getattr(self, key)]

    def sentences(self) -> list[str]:
        """The headline and each part as one labelled line ("Do: ..."), for text output."""
        return [self.headline, *(f"{label}: {text}" for label, text in self.items())]


def _bound(bound: float, weight: float) -> str:
    """The bound with the fewest decimals (2-4) that tell it apart from the weight now."""
    for d in (2, 3, 4):
        if round(bound, d) != round(weight, d):
            return f"{bound:.{d}f}"
    return f"{bound:.4f}"


def _do(o: Options, names) -> str:
    """What to do: the package, or with today's policy given, what to add and drop (and a smaller step)."""
    best = o.best
    if o.current is None:
        verb = "Open with" if best.course is not None else "Adopt"
        return (f"{verb} {join_names(best.names)} ({len(best.tools)} tools, effort {best.effort or 0:g})."
                + _next_clause(best, names, o.review_every))
    cur = o.current

    def change(add, drop) -> str:
        return "; ".join(([f"add {join_names(add)}"] if add else []) + ([f"drop {join_names(drop)}"] if drop else []))
    now = f"today's policy ({join_names(cur.names)})" if cur.tools else "today's policy (nothing new)"
    if not cur.feasible:
        now += f", not feasible here ({_first_reason(cur)})"
    add = [names[t] for t in best.tools if t not in cur.tools]
    drop = [names[t] for t in cur.tools if t not in best.tools]
    text = f"Keep {now}: it is the recommendation." if not add and not drop else f"Change {now}: {change(add, drop)}."
    mc = o.minimal_change
    if mc is not None and tuple(mc.tools) != tuple(best.tools) and (mc.add or mc.drop):
        text += (f" Smallest change for {o.share:.0%} of the gain: "
                 f"{change([names[t] for t in mc.add], [names[t] for t in mc.drop])}.")
    return text          # the change is long enough: the playbook grid says what follows at each review


def _next_clause(best, names, every: float) -> str:
    """What the playbook does at its first review if the ally stalls or hits back hard (options on the playbook
    basis only): the strategy in one sentence."""
    if best.course is None or not best.course.next_steps:
        return ""
    steps = best.course.next_steps

    def move(reaction) -> str | None:
        if reaction not in steps:
            return None
        nxt = steps[reaction]
        if nxt is None:
            return "keep it"
        add = [names[t] for t in nxt if t not in best.tools]
        drop = [names[t] for t in best.tools if t not in nxt]
        return "; ".join(([f"add {join_names(add)}"] if add else []) + ([f"drop {join_names(drop)}"] if drop else []))
    parts = [f"if the ally stalls, {m}" for m in [move("stalls")] if m] + \
            [f"if it hits back hard, {m}" for m in [move("retaliates_major")] if m]
    return f" At the first review{f' (month {every:g})' if every else ''}: {'; '.join(parts)}." if parts else ""


def _ties(o: Options) -> list[str]:
    """What option 1 is statistically tied with, in words: other options, and doing nothing new."""
    best = o.best
    return ([f"option {j + 1} ({o.options[j].label})" for j in best.tied_with]
            + (["doing nothing new"] if best.tied_with_status_quo else []))


def _first_reason(r) -> str:
    reason = r.reasons[0] if r.reasons else "outside the constraints"
    return reason.split(":", 1)[0].split(" (", 1)[0].strip()


def _how_sure(o: Options, c: Confidence, crit_names: dict) -> str:
    """The verdict and the one "how sure" figure (share of weightings near the analyst's under which option 1 stays
    first), defined in the sentence that shows it; the methods' agreement and the margin follow."""
    best = o.best
    tied = c.margin is not None and c.margin < TIED_MARGIN
    if _ties(o):
        head = ("Tied with " + join_names(_ties(o)) +
                f": moving one weight by {TIE_DELTA:g} or less reverses the order, so the choice is a judgment call.")
    elif tied:
        head = (f"Tied: a weight change of less than {TIED_MARGIN} on {crit_names.get(c.critical, c.critical)} "
                f"puts another package first.")
    else:
        head = f"{c.verdict.capitalize()}."
    parts = []
    if c.first_share is not None and c.draws:
        where = (f"within \u00b1{c.spread:g} of these weights" if c.spread < 1 else "anywhere (any weights)")
        what = (f"it stays the best opening (of the {c.courses} best, each with its playbook) in"
                if c.basis == "playbook" else "it stays first in")
        if c.with_scores is not None and c.score_draws:         # the one figure covers the scores too (issue 20)
            parts += [f"{what} {percent(c.with_scores)} of {c.score_draws:,} draws in which the weights vary {where} "
                      f"and every expert score within its range (\u00b1{percent(mc_error(c.score_draws))}); "
                      f"{percent(c.scores_only)} with only the scores varying, {percent(c.first_share)} of "
                      f"{c.draws:,} weightings with only the weights varying"]
        else:
            parts.append(f"{what} {percent(c.first_share)} of {c.draws:,} weightings drawn at random {where} "
                         f"(\u00b1{percent(mc_error(c.draws))})")
        if c.tool_shares and c.first_share < CORE_SHARE:
            parts.append(core_words(c.tool_shares))
    parts.append(f"the package ranking (held for the whole horizon) puts this opening first under {len(c.agree)} of "
                 f"{len(c.methods)} methods" if c.basis == "playbook" else
                 f"{len(c.agree)} of {len(c.methods)} ranking methods rank it first")
    if c.margin is not None and not tied and not _ties(o):
        parts.append(f"the smallest change of one weight that replaces it is {c.margin:.2f} (on "
                     f"{crit_names.get(c.critical, c.critical)})")
    text = "; ".join(parts)
    return f"{head} {text[0].upper()}{text[1:]}."


def core_words(tool_shares) -> str:
    """Which tools of the opening survive when the whole package does not: ``tool_shares`` (name, share of the
    weightings whose best opening holds it) pairs."""
    core = [n for n, x in tool_shares if x >= CORE_SHARE]
    rest = sorted(((x, n) for n, x in tool_shares if x < CORE_SHARE))
    loose = join_names(f"{n} in {percent(x)}" for x, n in rest)
    if not core:
        return f"no tool of it is in the best opening in {percent(CORE_SHARE)} of the weightings ({loose})"
    if not rest:
        return f"every tool of it is in the best opening in at least {percent(CORE_SHARE)} of the weightings"
    return (f"its core, {join_names(core)}, is in the best opening in at least {percent(CORE_SHARE)} of the "
            f"weightings ({loose})")


def advise(o: Options, c: Confidence | None, catalog) -> BottomLine:
    """The bottom line of ``o`` (``c`` None: the confidence is not computed yet, which "How sure" says)."""
    best, sq = o.best, o.status_quo
    crit_names = {k.id: k.name.lower() for k in catalog.criteria}
    names = {t.id: t.name for t in catalog.tools}
    headline = f"Recommend: {best.label}"
    vs_sq = tradeoff([best.values[k] for k in o.weights], [sq.values[k] for k in o.weights], catalog)
    why = f"Against doing nothing new it gives {vs_sq}."
    if _ties(o):
        why += " It is statistically tied with " + join_names(_ties(o)) + "."
    elif len(o.options) > 1:
        why += (f" The next distinct option ({o.options[1].label}) trades "
                f"{o.options[1].tradeoff or 'nothing material'}.")
    if c is None:
        return BottomLine(headline, _do(o, names), why, "Not computed yet (the stability check runs after each "
                                                        "change).")
    if c.margin is not None and c.replacement:
        crit = crit_names.get(c.critical, c.critical)
        change = (f"If the weight on {crit} {c.direction} {_bound(c.bound, c.weight)} (now {c.weight:.2f}), "
                  f"{c.replacement} comes first.")
    else:
        change = "No change of a single weight replaces it."
    return BottomLine(headline, _do(o, names), why, _how_sure(o, c, crit_names), change)


def bottom_line(o: Options, c: Confidence | None, catalog) -> list[str]:
    """The bottom line as text lines: "Recommend: ...", then "Do: ...", "Why: ...", "How sure: ..." and (once the
    confidence is computed) "What would change it: ..." (:func:`advise` gives the parts)."""
    return advise(o, c, catalog).sentences()
