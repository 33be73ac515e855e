"""The bottom line up front: templated sentences from hand-made numbers, and the numbers from the engine."""
from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest

import decision
from decision.advice import TIED_MARGIN, Confidence, advise, assess, bottom_line
from decision.options import find_options
from decision.ranking import Ranker
from decision.robustness import portfolio_stability


@pytest.fixture(scope="module")
def tiny_options(tiny):
    p = decision.build_portfolios(tiny)
    return p, find_options(p, [0.25, 0.25, 0.25, 0.25], "wsm", k=3)


def test_bottom_line_states_what_why_how_sure_and_what_would_change_it(tiny, tiny_options):
    _, o = tiny_options
    c = Confidence(agree=("topsis", "wsm"), methods=("topsis", "vikor", "spotis", "wsm"), first_share=0.4321,
                   draws=10_000, margin=0.12, critical="l", direction="rises above", bound=0.32, weight=0.2,
                   replacement="Tool C")
    lines = bottom_line(o, c, tiny)
    assert len(lines) == 5
    assert lines[0] == f"Recommend: {o.best.label}"
    assert lines[1].startswith("Do: Adopt ") and all(name in lines[1] for name in o.best.names)
    assert f"({len(o.best.tools)} tools, effort " in lines[1]
    assert lines[2].startswith("Why: Against doing nothing new it gives ")
    # the one "how sure" figure is defined in the sentence that shows it
    assert lines[3] == ("How sure: Moderately stable. It stays first in 43% of 10,000 weightings drawn at random "
                        "within \u00b10.1 of these weights (\u00b11.0%); 2 of 4 ranking methods rank it first; the "
                        "smallest change of one weight that replaces it is 0.12 (on legitimacy).")
    assert lines[4] == ("What would change it: If the weight on legitimacy rises above 0.32 (now 0.20), Tool C comes "
                        "first.")
    bl = advise(o, c, tiny)
    assert [label for label, _ in bl.items()] == ["Do", "Why", "How sure", "What would change it"]


def test_bottom_line_verdicts_and_ties(tiny, tiny_options):
    _, o = tiny_options
    base = Confidence(agree=(), methods=("wsm",), margin=0.01, critical="r", direction="falls below", bound=0.1,
                      weight=0.4, replacement="Tool B")
    assert bottom_line(o, base, tiny)[3].startswith("How sure: Fragile. 0 of 1")
    assert bottom_line(o, replace(base, margin=0.3), tiny)[3].startswith("How sure: Stable.")
    none = replace(base, margin=None, replacement=None)
    assert bottom_line(o, none, tiny)[4] == "What would change it: No change of a single weight replaces it."
    tied = replace(o, options=(replace(o.options[0], tied_with=(1,)), *o.options[1:]))
    lines = bottom_line(tied, base, tiny)
    assert f"statistically tied with option 2 ({o.options[1].label})" in lines[2]
    assert lines[3].startswith(f"How sure: Tied with option 2 ({o.options[1].label})")


def test_a_margin_that_prints_as_zero_is_called_tied(tiny, tiny_options):
    _, o = tiny_options
    c = Confidence(agree=("wsm",), methods=("wsm",), margin=0.0004, critical="r", direction="falls below",
                   bound=0.2496, weight=0.25, replacement="Tool B")
    lines = bottom_line(o, c, tiny)
    assert lines[3].startswith(f"How sure: Tied: a weight change of less than {TIED_MARGIN} on rights")
    assert "0.00 " not in " ".join(lines) and "is 0.00" not in " ".join(lines)
    # the bound is printed with the decimals that tell it from the weight now
    assert "falls below 0.250 (now 0.25)" in lines[4] or "falls below 0.2496 (now 0.25)" in lines[4]


def test_do_names_todays_policy_and_what_to_add_and_drop(bundled):
    p = decision.build_portfolios(bundled, "arms_dependent_client")
    w = decision.load_profile("balanced", bundled).weights
    current = ["demarche", "interoperability_exercises"]
    o = find_options(p, w, "wsm", current=current)
    do = advise(o, None, bundled).do
    names = {t.id: t.name for t in bundled.tools}
    assert do.startswith("Change today's policy (Démarche and Interoperability exercises)")
    add = [names[t] for t in o.best.tools if t not in current]
    drop = [names[t] for t in current if t not in o.best.tools]
    for name in add + drop:
        assert name in do
    if drop:
        assert "drop " + drop[0] in do
    if o.minimal_change is not None and o.minimal_change.tools != o.best.tools:
        assert "Smallest change for 90% of the gain: " in do


def test_bottom_line_why_uses_the_difference_to_the_status_quo(tiny, tiny_options):
    _, o = tiny_options
    c = Confidence(agree=(), methods=("wsm",))
    why = bottom_line(o, c, tiny)[2]
    d = o.best.values["r"] - o.status_quo.values["r"]
    assert f"{d:+.1f} rights".replace("-", "\u2212") in why


def test_assess_matches_independent_numbers(bundled):
    p = decision.build_portfolios(bundled, "peripheral_partner")
    w = decision.load_profile("rights-first", bundled).weights
    o = find_options(p, w, "wsm")
    c = assess(p, o, samples=500, seed=1)
    ranker = Ranker(p)
    expected = tuple(m for m in ("wsm", "topsis", "vikor") if ranker.rank(w, m, 1).index[0] == o.best.row)
    assert c.agree == expected
    stab = portfolio_stability(p, w.to_numpy(), "wsm")
    assert c.margin == pytest.approx(stab["margin"].min())
    assert c.critical == stab["margin"].idxmin() or stab.loc[c.critical, "margin"] == pytest.approx(c.margin)
    # beyond the bound the named replacement is first, and it differs from option 1
    j = p.criteria.index(c.critical)
    t = c.bound + (0.01 if c.direction == "rises above" else -0.01)
    from decision.robustness import walk_weights
    top = ranker.rank(walk_weights(w.to_numpy(), j, np.array([t]))[0], "wsm", 1)
    assert top["tools"].iloc[0] == c.replacement and top.index[0] != o.best.row
    assert 0 <= c.first_share <= 1 and c.draws == 500


def test_confidence_keeps_the_weight_box_at_a_corner_of_the_simplex(bundled):
    # a saved profile can put all weight on one criterion: the +/-0.1 box is sampled exactly (lower bounds shift the
    # simplex), so the bottom line never has to widen it
    p = decision.build_portfolios(bundled, "peripheral_partner")
    w = {"rights_protection": 1.0, "security_continuity": 0.0, "legitimacy": 0.0, "escalation_risk": 0.0}
    o = find_options(p, w, "wsm")
    c = assess(p, o, samples=300, seed=0)
    assert c.spread == 0.1 and 0 <= c.first_share <= 1
    line = bottom_line(o, c, bundled)[3]
    assert f"within \u00b1{c.spread:g} of these weights" in line or "drawn uniformly" in line


def test_core_words_name_the_tools_that_survive():
    from decision.advice import core_words
    assert core_words([("A", 1.0), ("B", 0.95), ("C", 0.5), ("D", 0.71)]) == (
        "its core, A and B, is in the best opening in at least 90% of the weightings (C in 50% and D in 71%)")
    assert core_words([("A", 0.9), ("B", 0.97)]) == (
        "every tool of it is in the best opening in at least 90% of the weightings")
    assert core_words([("A", 0.2), ("B", 0.05)]) == (
        "no tool of it is in the best opening in 90% of the weightings (B in 5.0% and A in 20%)")


def test_the_bottom_line_names_the_openings_core_when_the_whole_is_unsure(tiny, tiny_options):
    _, o = tiny_options
    c = Confidence(agree=(), methods=("wsm",), first_share=0.3, draws=2000, basis="playbook", courses=30,
                   tool_shares=(("Tool A", 0.99), ("Tool B", 0.4)))
    assert "its core, Tool A, is in the best opening in at least 90% of the weightings (Tool B in 40%)" in \
        advise(o, c, tiny).how_sure
    sure = replace(c, first_share=0.95, tool_shares=(("Tool A", 1.0), ("Tool B", 0.95)))
    assert "core" not in advise(o, sure, tiny).how_sure     # a sure opening needs no core


def test_course_confidence_tool_shares_hold_when_the_opening_wins(bundled):
    from decision.strategy.reactions_file import load_reactions
    from decision.strategy.robustness import course_confidence
    from decision.strategy.tree import strategy_problem
    p = decision.build_portfolios(bundled, "peripheral_partner", max_tools=4)
    problem = strategy_problem(p, load_reactions(bundled), reviews=1, months=6)
    cc = course_confidence(problem, None, samples=500, seed=2)
    today = p.tools_of(problem.opening_row(problem.solve(None)))
    assert [t for t, _ in cc.tool_shares] == [t for t in bundled.tool_ids if t in today]
    # whenever the opening itself is best, all its tools are held: no tool's share is below the opening's
    assert all(cc.first_share - 1e-12 <= x <= 1 for _, x in cc.tool_shares)
    assert course_confidence(problem, None, samples=0).tool_shares == ()


def test_how_sure_leads_with_the_figure_that_covers_the_scores(tiny, tiny_options):
    _, o = tiny_options
    c = Confidence(agree=(), methods=("wsm",), first_share=0.32, draws=10_000, basis="playbook", courses=30,
                   score_draws=1_000, with_scores=0.11, scores_only=0.125)
    text = advise(o, c, tiny).how_sure
    assert ("It stays the best opening (of the 30 best, each with its playbook) in 11% of 1,000 draws in which the "
            "weights vary within \u00b10.1 of these weights and every expert score within its range (\u00b13.1%); "
            "12% with only the scores varying, 32% of 10,000 weightings with only the weights varying") in text
    assert "in 32% of 10,000 weightings drawn at random" not in text          # one headline figure, not two
