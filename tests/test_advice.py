"""The bottom line up front: templated sentences from hand-made numbers, and the numbers from the engine."""
from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest

import decision
from decision.advice import Confidence, assess, bottom_line
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
    assert len(lines) == 4
    assert lines[0].startswith(f"Recommended course of action: {o.best.label}, that is ")
    assert all(name in lines[0] for name in o.best.names)
    assert lines[1].startswith("Why: against doing nothing new it gives ")
    assert lines[2] == ("How sure: moderately stable; 2 of 4 ranking methods rank it first; it comes first in 43% of "
                        "10,000 random weight draws within \u00b10.1 of these weights (\u00b11.0%); the smallest weight "
                        "change that replaces it is 0.12 (on legitimacy).")
    assert lines[3] == ("What would change it: if the weight on legitimacy rises above 0.32 (now 0.20), Tool C comes "
                        "first.")


def test_bottom_line_verdicts_and_ties(tiny, tiny_options):
    _, o = tiny_options
    base = Confidence(agree=(), methods=("wsm",), margin=0.01, critical="r", direction="falls below", bound=0.1,
                      weight=0.4, replacement="Tool B")
    assert "How sure: fragile; 0 of 1" in bottom_line(o, base, tiny)[2]
    assert "How sure: stable;" in bottom_line(o, replace(base, margin=0.3), tiny)[2]
    none = replace(base, margin=None, replacement=None)
    assert bottom_line(o, none, tiny)[3] == "What would change it: no change of a single weight replaces it."
    tied = replace(o, options=(replace(o.options[0], tied_with=(1,)), *o.options[1:]))
    assert f"statistically tied with option 2 ({o.options[1].label})" in bottom_line(tied, base, tiny)[1]


def test_bottom_line_why_uses_the_difference_to_the_status_quo(tiny, tiny_options):
    _, o = tiny_options
    c = Confidence(agree=(), methods=("wsm",))
    why = bottom_line(o, c, tiny)[1]
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
    line = bottom_line(o, c, bundled)[2]
    assert f"within \u00b1{c.spread:g} of these weights" in line or "drawn uniformly" in line
