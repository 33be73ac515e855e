"""SMAA weights on an importance order (ties allowed) and within weight bounds: the sampler
(:func:`decision.robustness.sample_weights`), the region's centre, and ``decision robustness --order/--bounds``.

Truth: the order and the bounds themselves (every draw must respect them), rejection sampling from the plain simplex
(an independent way to draw uniformly on the same region), the rank-order centroid (the exact mean of the uniform
distribution on an ordered region, Barron & Barrett 1996), the sampler as it was written before ties existed, and
exchangeability (tied criteria are each the larger half the time)."""
from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from decision import DecisionError
from decision import robustness as rb
from decision.cli import main
from decision.weights import parse_bounds, roc

TINY = Path(__file__).parent / "fixtures" / "tiny"
BUNDLED = ["rights_protection", "security_continuity", "legitimacy", "escalation_risk"]
ORDER = "rights_protection>legitimacy>security_continuity=escalation_risk"


def run(capsys, *argv):
    code = main([str(a) for a in argv])
    out, err = capsys.readouterr()
    return code, out, err


def respects(W: np.ndarray, groups: list[list[int]]) -> np.ndarray:
    """(S,) bool: every criterion of each group weighs at least as much as every criterion of the next group."""
    ok = np.ones(len(W), bool)
    for g, h in zip(groups, groups[1:]):
        ok &= W[:, g].min(1) >= W[:, h].max(1)
    return ok


# ----------------------------------------------------------------------------------------------------------------
# The sampler

@st.composite
def weak_orders(draw):
    """(number of criteria, groups of tied positions, the same as a weight_order with tuples for ties)."""
    n = draw(st.integers(2, 6))
    perm = draw(st.permutations(range(n)))
    named = draw(st.integers(2, n))                         # a partial order leaves the others free
    cuts = sorted(draw(st.sets(st.integers(1, named - 1), max_size=named - 1)))
    groups = [list(perm[a:b]) for a, b in zip([0, *cuts], [*cuts, named])]
    return n, groups, [g[0] if len(g) == 1 else tuple(g) for g in groups]


@settings(max_examples=60, deadline=None)
@given(weak_orders(), st.integers(0, 2**32 - 1))
def test_every_draw_respects_the_order_with_ties_free(case, seed):
    n, groups, order = case
    W, acc = rb.sample_weights(400, n, seed, weight_order=order)
    assert acc == 1.0 and W.shape == (400, n)
    np.testing.assert_allclose(W.sum(1), 1.0)
    assert (W >= 0).all() and respects(W, groups).all()


@settings(max_examples=40, deadline=None)
@given(weak_orders(), st.integers(0, 2**32 - 1), st.data())
def test_every_draw_respects_the_bounds_with_or_without_an_order(case, seed, data):
    n, groups, order = case
    j = data.draw(st.integers(0, n - 1))
    lo = data.draw(st.floats(0, 0.5 / n))
    hi = data.draw(st.floats(max(lo, 1.5 / n), 1))           # wide enough to keep well over 0.1% of draws
    bounds = {j: (lo, hi)}
    for w_order in (None, order):
        try:
            W, acc = rb.sample_weights(300, n, seed, weight_order=w_order, weight_bounds=bounds)
        except DecisionError as exc:                        # an order can leave too little room for a bound
            assert "keep only" in str(exc) and w_order is not None
            continue
        assert 0 < acc <= 1 and W.shape == (300, n)
        np.testing.assert_allclose(W.sum(1), 1.0)
        assert ((W[:, j] >= lo - 1e-12) & (W[:, j] <= hi + 1e-12)).all()
        assert w_order is None or respects(W, groups).all()


def test_tied_criteria_are_each_the_larger_about_half_the_time():
    W, _ = rb.sample_weights(20_000, 4, 7, weight_order=["a", ("b", "c"), "d"], criteria=list("abcd"))
    assert abs((W[:, 1] > W[:, 2]).mean() - 0.5) < 0.03      # sd 0.0035: 8 sd of room, cannot flake for this seed
    W, _ = rb.sample_weights(30_000, 4, 8, weight_order="a=b=c>d", criteria=list("abcd"))
    largest = np.bincount(np.argmax(W[:, :3], axis=1), minlength=3) / len(W)
    np.testing.assert_allclose(largest, 1 / 3, atol=0.03)


def test_ties_are_uniform_on_the_region_like_rejection_from_the_simplex():
    """Mean and quartiles of each weight against rejection sampling (keep the uniform simplex draws that respect
    the order), and the mean against the rank-order centroid with tied positions averaged (exact)."""
    crit = list("abcd")
    W, _ = rb.sample_weights(40_000, 4, 3, weight_order="a>b=c>d", criteria=crit)
    P, _ = rb.sample_weights(400_000, 4, 4)
    R = P[respects(P, [[0], [1, 2], [3]])]                  # a sixth of them: ~67,000 independent truths
    np.testing.assert_allclose(W.mean(0), roc("a>b=c>d", crit).to_numpy(), atol=0.004)
    np.testing.assert_allclose(W.mean(0), R.mean(0), atol=0.005)
    np.testing.assert_allclose(np.quantile(W, [0.25, 0.5, 0.75], axis=0),
                               np.quantile(R, [0.25, 0.5, 0.75], axis=0), atol=0.008)


def _old_strict_order(n_samples, n, seed, order, lo=None, hi=None):
    """sample_weights(weight_order=order, weight_bounds=(lo, hi)) as written before tie groups existed (commit
    559eb38; the refusal of a narrow region left out)."""
    rng = np.random.default_rng(seed)

    def draw(m):
        u = np.sort(rng.random((m, n - 1)), axis=1)
        W = np.diff(u, axis=1, prepend=0.0, append=1.0)
        W[:, order] = -np.sort(-W[:, order], axis=1)
        return W
    if lo is None:
        return draw(n_samples), 1.0
    kept, drawn, got = [], 0, 0
    while got < n_samples:
        m = max(1000, 2 * (n_samples - got))
        W = draw(m)
        ok = np.all((W >= lo - 1e-15) & (W <= hi + 1e-15), axis=1)
        drawn += m
        kept.append(W[ok])
        got += int(ok.sum())
    return np.vstack(kept)[:n_samples], got / drawn


@pytest.mark.parametrize("bounded", [False, True])
@pytest.mark.parametrize("order", [[2, 0, 1, 3], [3, 1], [0, 1, 2, 3]])
@pytest.mark.parametrize("seed", [0, 1, 12345])
def test_a_strict_order_draws_exactly_what_it_drew_before(order, seed, bounded):
    crit = list("abcd")
    bounds = {"b": (0.05, 0.3), "d": (0.0, 0.35)} if bounded else None
    lo, hi = (np.array([0, 0.05, 0, 0]), np.array([1, 0.3, 1, 0.35])) if bounded else (None, None)
    old, old_acc = _old_strict_order(2_000, 4, seed, order, lo, hi)
    for same in (order, [crit[j] for j in order], [(crit[j],) for j in order], ">".join(crit[j] for j in order)):
        W, acc = rb.sample_weights(2_000, 4, seed, weight_order=same, weight_bounds=bounds, criteria=crit)
        assert acc == old_acc and np.array_equal(W, old)
        assert bounded or acc == 1.0


def test_a_bad_order_is_refused_in_one_line():
    crit = list("abcd")
    for order, words in ((["a", ("b", "a")], "twice"), (["a", ()], "empty"), (["a", ("b", "z")], "unknown")):
        with pytest.raises(DecisionError, match=words):
            rb.sample_weights(10, 4, 0, weight_order=order, criteria=crit)
    with pytest.raises(DecisionError, match="expected a criterion"):
        rb.sample_weights(10, 4, 0, weight_order=["a", ("b", ("c", "d"))], criteria=crit)
    with pytest.raises(DecisionError, match="strict order"):          # dominance over a tied region: not built
        rb.pareto_mask(np.eye(4), [1, 1, 1, 1], weight_order=["a", ("b", "c"), "d"], criteria=crit)
    assert (rb.pareto_mask(np.eye(4), [1] * 4, weight_order="b>a>c>d", criteria=crit)
            == rb.pareto_mask(np.eye(4), [1] * 4, weight_order=["b", "a", "c", "d"], criteria=crit)).all()


def test_the_centre_of_an_order_is_its_rank_order_centroid_and_of_bounds_the_mean_of_the_smaa_draws():
    crit = list("abcd")
    w, acc, how = rb.region_centre(500, crit, 1, ["b", ("a", "d"), "c"])
    np.testing.assert_allclose(w, roc("b>a=d>c", crit).to_numpy())
    assert acc == 1.0 and "rank-order centroid" in how
    bounds = {"a": (0.1, 0.4)}
    w, acc, how = rb.region_centre(500, crit, 9, ["b", ("a", "d"), "c"], bounds)
    W, acc2 = rb.sample_weights(500, 4, np.random.default_rng(9), ["b", ("a", "d"), "c"], bounds, crit)
    np.testing.assert_array_equal(w, W.mean(0))               # the very draws smaa_portfolios makes with seed 9
    assert acc == acc2 < 1 and "mean of the 500" in how


# ----------------------------------------------------------------------------------------------------------------
# Parsing --bounds

def test_bounds_parse_with_open_sides_in_criterion_order():
    got = parse_bounds("e=:0.3, r=0.2:0.5,l=0.1:", list("rsle"))
    assert got == {"r": (0.2, 0.5), "l": (0.1, 1.0), "e": (0.0, 0.3)} and list(got) == ["r", "l", "e"]


# ----------------------------------------------------------------------------------------------------------------
# The command line

BAD = [
    (["--bounds", "x=0.1:0.2"], "--bounds, field 'x': unknown criterion"),
    (["--bounds", "r=0.5:0.2"], "--bounds, field 'r': low 0.5 is above high 0.2"),
    (["--bounds", "r=abc:0.2"], "--bounds, field 'r': low 'abc' is not a number"),
    (["--bounds", "r=0.1:nan"], "--bounds, field 'r': high nan is outside 0-1"),
    (["--bounds", "r=0.1:1.5"], "--bounds, field 'r': high 1.5 is outside 0-1"),
    (["--bounds", "r=0.3"], "--bounds, field 'r': expected LOW:HIGH"),
    (["--bounds", "r=0.6:,s=0.5:"], "--bounds, field 'low': the lows sum to 1.1"),
    (["--bounds", "r=:0.2,s=:0.2,l=:0.2,e=:0.2"], "--bounds, field 'high': the highs (1 for a criterion not named) "
                                                  "sum to 0.8"),
    (["--bounds", "r=:0.001,s=:0.001,l=:0.001"], "--bounds: the weight bounds keep only"),
    (["--bounds", "r=0.1:0.2,r=0.1:0.3"], "--bounds: 'r' given twice"),
    (["--bounds", ","], "--bounds: no bounds given"),
    (["--order", "r>s>l>e", "--bounds", "e=0.3:"], "--order/--bounds: the weight bounds keep only"),
    (["--order", "r>s"], "--order: importance order misses criterion 'l'"),
    (["--order", "r>s>l>e>x"], "--order: importance order: unknown criterion 'x'"),
    (["--order", "r>>s"], "--order: importance order 'r>>s': empty criterion name"),
    (["--order", "r>s>l>e>r"], "--order: importance order: 'r' appears twice"),
    (["--order", "r>s>l=e", "--weights", "r=1,s=1,l=1,e=1"], "give --order or --weights/--profile, not both"),
    (["--bounds", "r=0:0.5", "--profile", "balanced"], "give --bounds or --weights/--profile, not both"),
    (["--order", "r>s>l=e", "--bounds", "r=0:0.5", "--weights", "r=1,s=1,l=1,e=1"],
     "give --order and --bounds or --weights/--profile, not both"),
    (["--order", "r>s>l=e", "--spread", "0.2"], "--spread applies to --weights/--profile only; --order sets"),
]


@pytest.mark.parametrize(("argv", "message"), BAD, ids=[m.split(":")[0] + " " + " ".join(a) for a, m in BAD])
def test_bad_order_or_bounds_is_one_line_naming_the_option_and_exit_2(capsys, argv, message):
    code, out, err = run(capsys, "robustness", "--catalog", TINY, "--samples", 50, "--sure-samples", 0,
                         "--tornado", 0, *argv)
    assert code == 2 and out == ""
    assert err.count("\n") == 1 and err.startswith("decision: error: ") and "Traceback" not in err
    assert message in err


def test_order_end_to_end_records_the_region_and_uses_its_centroid(capsys):
    code, out, err = run(capsys, "robustness", "--order", ORDER, "--samples", 200, "--sure-samples", 50,
                         "--tornado", 2, "--show", 3, "--format", "json")
    assert code == 0, err
    doc = json.loads(out)
    smaa = doc["smaa"]
    assert smaa["order"] == "rights_protection > legitimacy > security_continuity = escalation_risk"
    assert smaa["bounds"] is None and smaa["acceptance_rate"] == 1.0 and smaa["n_samples"] == 200
    assert "importance order rights_protection > legitimacy > security_continuity = escalation_risk" in smaa["weights"]
    assert doc["how_sure"]["weights_region"] == smaa["weights"]
    centroid = roc(ORDER, BUNDLED)
    assert "rank-order centroid" in doc["point_weights"]["source"]
    for row in doc["stability"]:
        assert row["weight"] == pytest.approx(centroid[row["criterion"]])
        assert doc["point_weights"]["weights"][row["criterion"]] == pytest.approx(centroid[row["criterion"]])


def test_bounds_with_an_order_show_the_acceptance_and_the_estimated_centre(capsys):
    code, out, err = run(capsys, "robustness", "--catalog", TINY, "--order", "r>l>s=e", "--bounds", "e=:0.1,l=0.25:",
                         "--samples", 300, "--sure-samples", 30, "--tornado", 2)
    assert code == 0, err
    assert "weights uniform among those that respect the importance order r > l > s = e and lie within the bounds " \
           "l 0.25-1, e 0-0.1" in out
    assert "Acceptance: " in out and "of the weight draws fell within the region's bounds" in out
    assert "use the mean of the 300 sampled weight vectors, an estimate of the region's centre" in out
    assert "--order/--bounds not applied" in out                     # the core index says it ignores the region
    code, out, _ = run(capsys, "robustness", "--catalog", TINY, "--order", "r>l>s=e", "--bounds", "e=:0.1,l=0.25:",
                       "--samples", 300, "--sure-samples", 0, "--tornado", 0, "--format", "json")
    doc = json.loads(out)
    assert doc["smaa"]["bounds"] == {"l": [0.25, 1.0], "e": [0.0, 0.1]} and 0 < doc["smaa"]["acceptance_rate"] < 1
    w = doc["point_weights"]["weights"]
    assert w["r"] >= w["l"] >= max(w["s"], w["e"]) and w["e"] <= 0.1 and w["l"] >= 0.25


def test_without_a_region_the_output_does_not_mention_one(capsys):
    code, out, _ = run(capsys, "robustness", "--catalog", TINY, "--samples", 100, "--sure-samples", 0,
                       "--tornado", 0)
    assert code == 0 and "No --weights or --profile given" not in out and "Acceptance:" not in out
    assert "weights uniform on the simplex (no --weights or --profile given)" in out


def test_how_sure_on_a_region_varies_the_weights_there_and_judges_the_centres_recommendation():
    """weights_only against brute force: value every combination under each of the region's draws (the draws
    smaa_portfolios makes with that seed), split first place among rounded ties."""
    from decision import build_portfolios, load_catalog
    from decision.sureness import how_sure, recommendation_row
    p = build_portfolios(load_catalog(TINY))
    order, bounds = ["r", ("l", "s"), "e"], {"e": (0.0, 0.15)}
    centre, _, _ = rb.region_centre(400, p.criteria, 5, order, bounds)
    hs = how_sure(p, centre, "wsm", 400, 5, weight_order=order, weight_bounds=bounds)
    rec = recommendation_row(p, centre, "wsm")
    assert hs.recommendation == p.tools_of(rec) and "importance order r > l = s > e" in hs.weights_region
    W, _ = rb.sample_weights(400, 4, np.random.default_rng(5), order, bounds, p.criteria)
    sc = rb.portfolio_scaling(p, "wsm")
    U = rb._round(rb.scores(sc(p.values), W, "wsm", sc, rb.effort_offset(p)))
    best = U == U.max(1, keepdims=True)
    assert hs.weights_only == pytest.approx(np.mean(best[:, rec] / best.sum(1)), abs=1e-12)
    plain = how_sure(p, centre, "wsm", 400, 5)                # the +/- spread box: a different region
    assert plain.weights_region.startswith("within +/- 0.1")
