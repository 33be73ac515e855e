"""What the playbook buys: the solved strategy against simpler courses over the same horizon and reaction model.

Courses compared (each scored like the plan: criterion values averaged over the periods, expected over reactions,
and on the worst branch):

* **Playbook**: the solved plan (its expected value is the optimum :attr:`Plan.value`).
* **Hold the opening**: the opening package kept at every review whatever the ally does.
* **Hold the best single package**: the package :func:`decision.rank` puts first (fixed-anchor additive value less
  effort) among those a strategy may use (statically feasible, above the security floor), kept throughout; shown
  only when it differs from the opening.
* **Do nothing new**: the status quo levels (no reactions are modelled for doing nothing new).

A held package is scored with the same reaction probabilities and effects as in the tree; ``broken`` names the
principles that holding it breaks (e.g. credibility: a threat left idle when the ally stalls), so a course can be
worth more than the playbook only by breaking a principle. Ranks: by the additive value the playbook optimises
(``wsm``) and, as cross-checks, by TOPSIS and VIKOR scoring each course's expected values as if it were one more
package in the static ranking (normalised with every feasible package and the status quo, less the expected effort
cost), ranked among the compared courses with the tie rule of :mod:`decision.ranking`.
"""
from __future__ import annotations

import html
from dataclasses import dataclass

import numpy as np

from ..defaults import COURSE_TIE as TIE
from ..errors import DecisionError
from ..ranking import METHODS as RANKING_METHODS
from ..ranking import FAST_METHODS, competition_ranks, normalise, preference
from .playbook import Plan
from .tree import SIGNATURE, StrategyProblem, grave_case, period_value, required_rung, transitions

METHODS = ("wsm", "topsis", "vikor")
VALUE_DECIMALS = 9
"""Values are ranked rounded to this many decimals (the solver rounds its values at 12; sums in another order differ
at about 1e-12)."""
# TIE (decision.defaults.COURSE_TIE): values closer than this (a rounding step of the printed three decimals) are
# 'about as much'.


@dataclass(frozen=True)
class Course:
    """One course of action over the horizon. ``value``/``worst_value``: additive value (fixed anchors) less effort
    cost, expected and on the worst branch; ``tools``/``names``: the package held (the opening for the playbook);
    ``effort``: expected effort per period; ``ranks``: method -> rank among
    the compared courses (None where the method cannot rank them); ``broken``: the principles holding the package
    breaks (empty for the playbook, which obeys them by construction); for doing nothing new, the static rules it
    fails (``accountability_floor``, ``legal_obligations``)."""
    name: str
    tools: tuple[str, ...]
    names: tuple[str, ...]
    expected: dict[str, float]
    worst: dict[str, float]
    value: float
    worst_value: float
    effort: float
    broken: tuple[str, ...]
    ranks: dict[str, int | None]


def _held(problem: StrategyProblem, i: int, w: np.ndarray) -> tuple[np.ndarray, np.ndarray, float, float, float]:
    """Package ``i`` of the problem held for every period: expected and worst criterion vectors, their values, the
    effort. Exact over the review contexts: the distribution over contexts is carried forward period by period; the
    worst branch is the reaction path (positive probabilities only) with the lowest period-averaged value."""
    P = problem.probs[i]                                          # (C, K)
    d = np.array([dd for _, dd in problem.contexts])
    out = problem.outcomes[i][d]                                  # (C, K, crit)
    u = period_value(out, w, problem.catalog)                     # (C, K)
    nxt, T = problem.next_ctx, problem.reviews + 1
    pi = np.zeros(len(d))
    pi[0] = 1.0
    expected = np.zeros(out.shape[-1])
    for _ in range(T):
        expected += np.einsum("c,ck,ckj->j", pi, P, out)
        new = np.zeros_like(pi)
        np.add.at(new, nxt.ravel(), (pi[:, None] * P).ravel())
        pi = new
    worst_u = np.zeros(len(d))                                    # min over remaining paths, from each context
    worst_v = np.zeros((len(d), out.shape[-1]))
    for _ in range(T):
        tot = np.where(P > 0, u + worst_u[nxt], np.inf)
        k = tot.argmin(1)
        rows = np.arange(len(d))
        worst_v = out[rows, k] + worst_v[nxt[rows, k]]
        worst_u = tot[rows, k]
    cost = float(problem.effort_cost[i])
    expected /= T
    worst = worst_v[0] / T
    return expected, worst, float(period_value(expected, w, problem.catalog)) - cost, \
        float(worst_u[0]) / T - cost, float(problem.portfolios.effort[problem.rows[i]])


def reachable_contexts(problem: StrategyProblem, i: int) -> list[int]:
    """Contexts a held package ``i`` can meet before one of its reviews (R reviews after the opening)."""
    P, nxt = problem.probs[i], problem.next_ctx
    seen, frontier = {0}, {0}
    for _ in range(problem.reviews):
        frontier = {int(nxt[c, k]) for c in frontier for k in np.flatnonzero(P[c] > 0)}
        seen |= frontier
    return sorted(seen)


def _holds(problem: StrategyProblem, i: int, pr) -> bool:
    """Holding package ``i`` at every review obeys principles ``pr`` (opening rules, transitions, floor)."""
    s = problem.sig_id[i]
    tr = transitions(problem.sig, problem.model.kinds, pr, required_rung(problem.portfolios),
                     grave_case(pr, problem.portfolios))
    if not tr.opening[s]:
        return False
    reach = reachable_contexts(problem, i)
    if pr.security_floor and not problem.feasible[i, reach].all():
        return False
    idle = problem.sig[s, SIGNATURE.index("threat")] and not problem.sig[s, SIGNATURE.index("pressure_rung")]
    if pr.credibility and pr.threat_at_horizon and idle and not tr.executable[s]:
        return False
    for c in reach[1:]:
        k = problem.contexts[c][0]
        if not tr.admissible[k, s, s]:
            return False
        if pr.answer_stalling and problem.model.kinds[k] == "stalls" and \
                (tr.admissible[k, s] & tr.answers[s]).any():
            return False                                  # an answer was available and holding did not give it
    return True


def _broken(problem: StrategyProblem, i: int) -> tuple[str, ...]:
    """The principles that holding package ``i`` at every review breaks, each judged on its own (only that principle
    on), opening rules included."""
    pr = problem.model.principles
    if _holds(problem, i, pr):
        return ()
    alone = lambda name: pr.switched(off=[n for n in pr.NAMES if n != name])  # noqa: E731
    return tuple(n for n in pr.NAMES if getattr(pr, n) and not _holds(problem, i, alone(n)))


def compare_courses(problem: StrategyProblem, plan: Plan, methods: tuple[str, ...] = METHODS) -> list[Course]:
    """The playbook and the simpler courses (module docstring), in that order, each with its ranks by ``methods``
    (``wsm`` always; TOPSIS and VIKOR add about 50 ms on the bundled catalogue)."""
    cat = problem.catalog
    crit = list(cat.criterion_ids)
    w = problem.weights(plan.weights)
    p = problem.portfolios
    vec = lambda d: np.array([d[c] for c in crit])  # noqa: E731
    n_periods = plan.reviews + 1
    effort = sum(n.reach * float(p.effort[n.row]) for n in plan.nodes) / n_periods
    rows = [("Playbook", plan.root.tools, vec(plan.expected), vec(plan.worst), plan.value, plan.worst_value, effort,
             ())]
    opening = int(np.searchsorted(problem.rows, plan.root.row))
    static = period_value(p.values[problem.rows], w, cat) - problem.effort_cost
    best = int(np.argmax(np.round(static, 12)))            # the first of equal maxima (the lower package row)
    for name, i in (("Hold the opening", opening), ("Hold the best single package", best)):
        if name.endswith("package") and i == opening:
            continue
        e, x, v, xv, eff = _held(problem, i, w)
        rows.append((name, p.tools_of(int(problem.rows[i])), e, x, v, xv, eff, _broken(problem, i)))
    sq = np.asarray(p.status_quo, dtype=float)
    sq_value = float(period_value(sq, w, cat))
    st = p.setting
    rules = ((("accountability_floor",) if st is not None and st.floor_points else ())
             + (("legal_obligations",) if st is not None and st.mandatory else ()))
    rows.append(("Do nothing new", (), sq, sq, sq_value, sq_value, 0.0, rules))
    X = np.vstack([p.values, sq[None], [r[2] for r in rows]])      # the courses as more rows of the static ranking
    cost = cat.model.effort_cost * np.array([r[6] for r in rows])
    ranks = {"wsm": competition_ranks(np.round([r[4] for r in rows], VALUE_DECIMALS))}
    for m in (m for m in METHODS[1:] if m in methods):
        try:                        # the vectorised method where there is one: no pymcdm import (about a second)
            raw = (FAST_METHODS[m](normalise(X, p.types), w / w.sum()) if m in FAST_METHODS
                   else preference(X, w, p.types, m))[-len(rows):]
        except DecisionError:
            ranks[m] = None
            continue
        if not np.isfinite(raw).all():
            ranks[m] = None
            continue
        asc = RANKING_METHODS[m].ascending
        ranks[m] = competition_ranks(raw + cost if asc else raw - cost, asc)
    return [Course(name, tuple(tools), tuple(cat.tool(t).name for t in tools), dict(zip(crit, map(float, e))),
                   dict(zip(crit, map(float, x))), float(v), float(xv), float(eff), broken,
                   {m: None if ranks.get(m) is None else int(ranks[m][j]) for m in METHODS if m in ranks})
            for j, (name, tools, e, x, v, xv, eff, broken) in enumerate(rows)]


# ----------------------------------------------------------------------------------------------------------------
# Views

PHRASES = {"Hold the opening": "holding the opening package", "Hold the best single package": "holding the best "
           "single package", "Do nothing new": "doing nothing new"}
PRINCIPLE_LABELS = {"calibration": "calibration", "credibility": "credibility", "verified_progress": "verified "
                    "progress", "de_escalation": "de-escalation channel", "security_floor": "security floor",
                    "answer_stalling": "answering a stalling ally", "keep_penalties": "keeping penalties",
                    "reward_compliance": "rewarding compliance",
                    "benchmarks": "benchmarks with verification",
                    "accountability_floor": "the accountability floor", "legal_obligations": "legal obligations"}


def verdict(courses: list[Course]) -> str:
    """What the playbook adds over each simpler course, and, for a course worth more (or about as much), why it is
    not the recommendation (the principles it breaks; for doing nothing new, the accountability floor and legal
    obligations)."""
    play, others = courses[0], courses[1:]
    gains = ", ".join(f"{round(play.value - c.value, 3) + 0.0:+.3f} against {PHRASES.get(c.name, c.name)}"
                      for c in others)
    text = f"The playbook's expected value (additive, fixed anchors, less effort): {play.value:.3f}, {gains}."
    hold = next((c for c in others if c.name == "Hold the opening"), None)
    if hold is not None and all(abs(hold.expected[k] - v) < 1e-9 for k, v in play.expected.items()):
        text += " The playbook keeps its opening package on every branch: holding it is the same course."
    for c in others:
        why = f"breaks {', '.join(PRINCIPLE_LABELS.get(b, b) for b in c.broken)}" if c.broken else ""
        if c.value > play.value + TIE and why:
            text += f" {PHRASES.get(c.name, c.name).capitalize()} is worth {c.value - play.value:.3f} more but {why}."
        elif c.value >= play.value - TIE and c.broken and c is not hold:
            text += f" {PHRASES.get(c.name, c.name).capitalize()} is worth about as much but {why}."
    return text


def courses_lines(courses: list[Course], plan: Plan) -> list[str]:
    """The comparison as text lines (for :func:`decision.strategy.playbook.plan_text`)."""
    short = [n.split()[0] for n in plan.criterion_names]
    methods = [m for m in METHODS if m in courses[0].ranks]
    lines = [f"Compared with simpler courses over the same {plan.months:g} months (value: additive, fixed anchors, "
             f"less effort; rank by {', '.join(m.upper() if m != 'wsm' else m for m in methods)}):"]
    for c in courses:
        vals = "  ".join(f"{s} {c.expected[k]:.1f}" for s, k in zip(short, plan.criteria))
        ranks = "/".join("-" if c.ranks[m] is None else str(c.ranks[m]) for m in methods)
        breaks = f"  breaks {', '.join(PRINCIPLE_LABELS.get(b, b) for b in c.broken)}" if c.broken else ""
        lines.append(f"  {c.name:<29} value {c.value:.3f} (worst branch {c.worst_value:.3f})  {vals}  rank {ranks}"
                     f"{breaks}")
        if c.name == "Hold the best single package":
            lines.append(f"    ({' + '.join(c.names)})")
    return [*lines, f"  {verdict(courses)}"]


def courses_json(courses: list[Course]) -> list[dict]:
    r6 = lambda d: {k: round(v, 6) for k, v in d.items()}  # noqa: E731
    return [{"name": c.name, "tools": list(c.tools), "expected": r6(c.expected), "worst": r6(c.worst),
             "value": round(c.value, 6), "worst_value": round(c.worst_value, 6), "effort": round(c.effort, 6),
             "breaks": list(c.broken), "ranks": c.ranks} for c in courses]


def courses_html(courses: list[Course], plan: Plan) -> str:
    """The comparison as an escaped HTML table with the verdict (briefing and dashboard); a held package's tools
    are its row's tooltip."""
    esc = html.escape
    methods = [m for m in METHODS if m in courses[0].ranks]
    head = "".join(f"<th>{esc(n)}</th>" for n in plan.criterion_names)
    rank_head = "".join(f"<th>rank ({'wsm' if m == 'wsm' else m.upper()})</th>" for m in methods)
    rows = []
    for c in courses:
        vals = "".join(f"<td class='num'>{c.expected[k]:.1f}</td>" for k in plan.criteria)
        ranks = "".join(f"<td class='num'>{'-' if c.ranks[m] is None else c.ranks[m]}</td>" for m in methods)
        breaks = esc(", ".join(PRINCIPLE_LABELS.get(b, b) for b in c.broken))
        title = esc(" + ".join(c.names), quote=True) if c.name.startswith("Hold") else ""
        rows.append(f"<tr data-course='{esc(c.name)}'><td title='{title}'>{esc(c.name)}</td>"
                    f"<td class='num'>{c.value:.3f}</td><td class='num'>{c.worst_value:.3f}</td>{vals}{ranks}"
                    f"<td>{breaks}</td></tr>")
    return (f"<table class='courses'><thead><tr><th>course over {plan.months:g} months</th><th>value</th>"
            f"<th>worst branch</th>{head}{rank_head}<th>breaks</th></tr></thead><tbody>{''.join(rows)}</tbody>"
            f"</table><p class='sub'>{esc(verdict(courses))}</p>")


# ----------------------------------------------------------------------------------------------------------------
# The package view's note: where the playbook's opening ranks among packages held for the whole horizon


@dataclass(frozen=True)
class OpeningInRanking:
    """Where the playbook's ``opening`` ranks (``rank`` of ``of``, competition ranks under the ranking's tie rule)
    in the package ranking, whose #1 is ``first``; ``first_broken``: the principles that holding ``first`` at every
    review breaks (empty when it holds; None when ``first`` is not allowed in a strategy at all, e.g. above the
    opening's calibration cap)."""
    opening: tuple[str, ...]
    rank: int
    of: int
    first: tuple[str, ...]
    first_broken: tuple[str, ...] | None
    playbook_value: float
    first_held_value: float | None


def opening_in_ranking(problem: StrategyProblem, plan: Plan, pref: np.ndarray, ascending: bool,
                       first_row: int) -> OpeningInRanking:
    """``pref``: the package ranking's net preference of every combination (:meth:`decision.ranking.Ranker.
    preference`, same rows as the portfolios; ``ascending``: lower is better); ``first_row``: the ranking's #1 (its
    tie rule decides among equals)."""
    ranks = competition_ranks(pref, ascending)
    p = problem.portfolios
    i = int(np.searchsorted(problem.rows, first_row))
    allowed = i < len(problem.rows) and int(problem.rows[i]) == first_row
    held = _held(problem, i, problem.weights(plan.weights))[2] if allowed else None
    return OpeningInRanking(tuple(plan.root.tools), int(ranks[plan.root.row]), len(pref), p.tools_of(first_row),
                            _broken(problem, i) if allowed else None, float(plan.value),
                            None if held is None else float(held))


def opening_note(o: OpeningInRanking, names: dict) -> str:
    """One or two sentences: where the opening ranks and why the recommendation differs from #1."""
    if set(o.opening) == set(o.first):
        return ("The recommendation (decision options, option 1) opens with this ranking's #1 and adapts it at each "
                "review (decision plan).")
    text = (f"The recommendation is a strategy (decision options, option 1): it opens with "
            f"{' + '.join(names[t] for t in o.opening)}, ranked #{o.rank:,} of {o.of:,} here, and adapts it at "
            f"each review (decision plan).")
    if o.first_broken is None:
        return text + " This ranking's #1 cannot be held as a strategy here (it is outside the review tree's packages)."
    if o.first_broken:
        labels = [PRINCIPLE_LABELS.get(b, b) for b in o.first_broken]
        why = labels[0] if len(labels) == 1 else f"{', '.join(labels[:-1])} and {labels[-1]}"
        return text + f" Holding #1 for the whole horizon breaks {why}."
    gap = o.playbook_value - (o.first_held_value or 0.0)
    return text + (f" Holding #1 breaks no principle; the playbook is worth {gap:+.3f} against holding it (expected "
                   f"additive value with the ally's reactions, less effort).")
