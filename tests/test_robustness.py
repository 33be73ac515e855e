"""Robustness: truth from hand-derived cases, a published SMAA-2 test (JSMAA), brute force and invariants."""
from __future__ import annotations

import itertools
import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from decision import DecisionError, build_portfolios, load_catalog
from decision import robustness as rb
from decision.cli import main
from decision.portfolios import portfolio_values

TINY = Path(__file__).parent / "fixtures" / "tiny"
THREE = np.array([[1.0, 0.0], [0.0, 1.0], [0.6, 0.6]])


def se(p, n):
    return math.sqrt(max(p * (1 - p), 1e-4) / n)


# ---------------------------------------------------------------------------------------------------------------
# SMAA-2 on matrices

def test_three_alternatives_first_rank_acceptabilities_match_hand_derivation():
    # w = (t, 1 - t), t ~ U(0, 1): A1 first iff t > 0.6, A2 iff t < 0.4, A3 iff 0.4 < t < 0.6.
    # A1 is second iff 0.5 < t < 0.6 (only A3 beats it), third otherwise when not first; A3 is never third.
    n = 20_000
    r = rb.smaa_matrix(THREE, [1, 1], n_samples=n, seed=3, normalize=False)
    want = np.array([[0.4, 0.1, 0.5], [0.4, 0.1, 0.5], [0.2, 0.8, 0.0]])
    got = r.rank_acceptability.to_numpy()
    tol = np.vectorize(lambda p: 3 * se(p, n))(want)
    assert np.all(np.abs(got - want) <= tol)
    np.testing.assert_allclose(got.sum(1), 1.0)
    # central weights: E[t | t > 0.6] = 0.8, E[t | t < 0.4] = 0.2, E[t | 0.4 < t < 0.6] = 0.5 (sd of t | ... <= 0.12)
    cw = r.central_weights.to_numpy()
    np.testing.assert_allclose(cw[:, 0], [0.8, 0.2, 0.5], atol=3 * 0.12 / math.sqrt(0.2 * n))
    np.testing.assert_allclose(cw.sum(1), 1.0)
    assert list(r.confidence) == [1.0, 1.0, 1.0]        # deterministic scores, convex favourable regions
    assert r.mc_error == pytest.approx(0.98 / math.sqrt(n))


def test_never_first_alternative_has_nan_central_weights():
    X = np.array([[1.0, 1.0], [0.5, 0.5], [0.0, 0.2]])
    r = rb.smaa_matrix(X, [1, 1], n_samples=2000, seed=0)
    assert r.acceptability.tolist() == [1.0, 0.0, 0.0]
    assert r.central_weights.iloc[1:].isna().all().all()
    assert np.isnan(r.confidence.iloc[1])


def _jsmaa_antidepressants():
    """JSMAA SMAA2SimulationTest.testCorrectResultsWithBRModel (github.com/tommite/jsmaa): 4 antidepressants,
    efficacy (log-normal odds ratio, benefit) and five adverse events (Gaussian %, costs). Scales as JSMAA: from the
    smallest 2.5% to the largest 97.5% quantile over alternatives; linear partial values."""
    alts = ["paroxetine", "fluoxetine", "sertraline", "venlafaxine"]
    eff = np.array([[0.086, 0.056], [0.0, 0.0], [0.095, 0.044], [0.113, 0.048]])       # log-normal (mu, sigma)
    adverse = np.array([  # (mean, sd) per criterion: diarrhea, dizziness, headache, insomnia, nausea
        [[9.2, 1.86], [10.6, 1.58], [21.2, 5.15], [14.3, 2.93], [18.3, 3.7]],
        [[11.7, 2.5], [7.2, 1.45], [16.6, 3.27], [13.7, 1.89], [18.6, 1.79]],
        [[15.4, 2.65], [7.5, 1.48], [20.2, 3.78], [15.0, 3.21], [19.5, 2.6]],
        [[5.5, 2.32], [15.7, 4.44], [12.8, 2.45], [11.2, 3.98], [31.0, 1.68]],
    ])
    z = 1.959964
    e_lo, e_hi = np.exp(eff[:, 0] - z * eff[:, 1]).min(), np.exp(eff[:, 0] + z * eff[:, 1]).max()
    a_lo = (adverse[:, :, 0] - z * adverse[:, :, 1]).min(0)
    a_hi = (adverse[:, :, 0] + z * adverse[:, :, 1]).max(0)

    def sampler(rng, n):
        e = np.exp(eff[:, 0] + eff[:, 1] * rng.standard_normal((n, 4)))
        a = adverse[:, :, 0] + adverse[:, :, 1] * rng.standard_normal((n, 4, 5))
        return np.concatenate([((e - e_lo) / (e_hi - e_lo))[:, :, None], (a_hi - a) / (a_hi - a_lo)], axis=2)

    point = sampler(np.random.default_rng(0), 1)[0] * 0 + np.concatenate(
        [((np.exp(eff[:, 0]) - e_lo) / (e_hi - e_lo))[:, None], (a_hi - adverse[:, :, 0]) / (a_hi - a_lo)], axis=1)
    return alts, point, sampler, (e_lo, e_hi, a_lo, a_hi)


def test_smaa2_reproduces_jsmaa_antidepressant_example():
    alts, point, sampler, (e_lo, e_hi, a_lo, a_hi) = _jsmaa_antidepressants()
    # JSMAA's own scale assertions
    assert e_lo == pytest.approx(0.98, abs=0.01) and e_hi == pytest.approx(1.23, abs=0.01)
    np.testing.assert_allclose(a_lo, [1.0, 4.4, 8.0, 3.4, 11.1], atol=1.0)
    np.testing.assert_allclose(a_hi, [20.6, 24.4, 31.3, 21.3, 34.0], atol=1.0)
    m = pd.DataFrame(point, index=alts, columns=["efficacy", "diarrhea", "dizziness", "headache", "insomnia",
                                                 "nausea"])
    r = rb.smaa_matrix(m, [1] * 6, n_samples=10_000, seed=11, normalize=False, score_sampler=sampler)
    ra = {"fluoxetine": [0.20, 0.28, 0.30, 0.22], "paroxetine": [0.25, 0.29, 0.27, 0.19],
          "sertraline": [0.17, 0.25, 0.29, 0.30], "venlafaxine": [0.39, 0.18, 0.15, 0.29]}
    cw = {"fluoxetine": [0.08, 0.14, 0.23, 0.18, 0.16, 0.22], "paroxetine": [0.18, 0.17, 0.15, 0.13, 0.15, 0.22],
          "sertraline": [0.21, 0.10, 0.22, 0.13, 0.15, 0.20], "venlafaxine": [0.18, 0.21, 0.12, 0.21, 0.19, 0.09]}
    conf = {"fluoxetine": 0.48, "paroxetine": 0.44, "sertraline": 0.34, "venlafaxine": 0.74}
    for a in alts:                                    # JSMAA's tolerances: 0.02 (RA, CW), 0.03 (CF) at K = 10 000
        np.testing.assert_allclose(r.rank_acceptability.loc[a].to_numpy(), ra[a], atol=0.02)
        np.testing.assert_allclose(r.central_weights.loc[a].to_numpy(), cw[a], atol=0.02)
        assert r.confidence[a] == pytest.approx(conf[a], abs=0.03)


def test_smaa_is_deterministic_with_a_seed_and_varies_without():
    X = np.random.default_rng(5).random((6, 4))
    a = rb.smaa_matrix(X, [1, 1, -1, 1], n_samples=1000, seed=7, method="topsis")
    b = rb.smaa_matrix(X, [1, 1, -1, 1], n_samples=1000, seed=7, method="topsis")
    c = rb.smaa_matrix(X, [1, 1, -1, 1], n_samples=1000, seed=8, method="topsis")
    pd.testing.assert_frame_equal(a.rank_acceptability, b.rank_acceptability)
    pd.testing.assert_frame_equal(a.central_weights, b.central_weights)
    assert not a.rank_acceptability.equals(c.rank_acceptability)


def test_vectorised_methods_agree_with_pymcdm_through_ranker():
    from decision.ranking import preference
    X = np.random.default_rng(2).random((9, 4)) * 10
    t = np.array([1, 1, 1, -1])
    sc = rb._scaling(X, t, True)
    for w in np.random.default_rng(3).dirichlet(np.ones(4), 5):
        for method in ("wsm", "topsis", "vikor"):
            ours = rb.scores(sc(X), w[None], method, sc)[0]
            ref = preference(X, w, t, method)
            ref = -ref if method == "vikor" else ref
            np.testing.assert_allclose(ours, ref, atol=1e-12)


def test_ordered_weights_respect_the_order_and_bounds_report_acceptance():
    W, acc = rb.sample_weights(5000, 4, 0, weight_order=[2, 0, 1, 3])
    assert acc == 1.0 and np.all(W[:, 2] >= W[:, 0]) and np.all(W[:, 0] >= W[:, 1]) and np.all(W[:, 1] >= W[:, 3])
    np.testing.assert_allclose(W.mean(0)[[2, 0, 1, 3]], [0.5208, 0.2708, 0.1458, 0.0625], atol=0.01)  # ROC
    W, acc = rb.sample_weights(4000, 3, 0, weight_bounds={0: (0.5, 1.0)})
    assert np.all(W[:, 0] >= 0.5) and acc == 1.0                              # lower bounds are exact (a shift)
    np.testing.assert_allclose(W.mean(0), [0.5 + 0.5 / 3, 0.5 / 3, 0.5 / 3], atol=0.01)
    W, acc = rb.sample_weights(4000, 3, 0, weight_bounds={0: (0.0, 0.5)})
    assert np.all(W[:, 0] <= 0.5) and acc == pytest.approx(0.75, abs=0.02)   # area share 1 - (1 - 0.5)^2
    with pytest.raises(DecisionError, match="widen"):
        rb.sample_weights(100, 4, 0, weight_bounds={0: (0.0, 0.001), 1: (0.0, 0.001), 2: (0.0, 0.001)})
    with pytest.raises(DecisionError, match="infeasible"):
        rb.sample_weights(100, 3, 0, weight_bounds={0: (0.6, 1), 1: (0.6, 1)})


def test_score_ranges_widen_acceptability_and_keep_fixed_scaling():
    X = np.array([[0.9, 0.1], [0.1, 0.9], [0.5, 0.5]])
    exact = rb.smaa_matrix(X, [1, 1], n_samples=4000, seed=1, normalize=False)
    wide = rb.smaa_matrix(X, [1, 1], n_samples=4000, seed=1, normalize=False, score_ranges=(X - 0.4, X + 0.4))
    assert exact.rank_acceptability.iloc[2, 2] == 0.0          # C is never last with exact scores
    assert wide.rank_acceptability.iloc[2, 2] > 0.05
    with pytest.raises(DecisionError, match="contain"):
        rb.smaa_matrix(X, [1, 1], score_ranges=(X + 0.1, X + 0.2))


def test_triangular_samples_stay_in_range_with_the_right_mean():
    rng = np.random.default_rng(0)
    low, mode, high = np.array([0.0, 2.0, 5.0]), np.array([1.0, 2.0, 5.0]), np.array([4.0, 6.0, 5.0])
    S = rb.sample_scores(rng, low, mode, high, 40_000)
    assert np.all(S >= low) and np.all(S <= high)
    np.testing.assert_allclose(S.mean(0), (low + mode + high) / 3, atol=0.03)


# ---------------------------------------------------------------------------------------------------------------
# Stability intervals and sweeps

def test_stability_interval_of_three_alternatives_is_04_to_06():
    df = rb.stability_intervals(THREE, [0.5, 0.5], [1, 1], normalize=False)
    np.testing.assert_allclose(df[["low", "high"]].to_numpy(), [[0.4, 0.6], [0.4, 0.6]])
    assert df.attrs["top_row"] == 2


def _brute_top(Xn, w, k, grid, method, sc):
    return rb._first(rb.scores(Xn, rb.walk_weights(w, k, grid), method, sc))


@settings(max_examples=25, deadline=None)
@given(st.integers(0, 10_000), st.sampled_from(["wsm", "topsis"]))
def test_stability_intervals_agree_with_a_brute_force_grid(seed, method):
    rng = np.random.default_rng(seed)
    m, C = int(rng.integers(2, 7)), int(rng.integers(2, 5))
    X = rng.random((m, C))
    t = rng.choice([1, -1], C)
    w = rng.dirichlet(np.ones(C))
    df = rb.stability_intervals(X, w, t, method=method)
    sc = rb._scaling(X, t, True)
    Xn = sc(X)
    a = df.attrs["top_row"]
    grid = np.linspace(0, 1, 4001)
    for k, (low, high) in enumerate(df[["low", "high"]].to_numpy()):
        assert low <= w[k] + 1e-9 <= high + 2e-9
        top = _brute_top(Xn, w, k, grid, method, sc)
        inside = (grid > low + 1e-6) & (grid < high - 1e-6)
        assert np.all(top[inside] == a)                       # the top holds strictly inside the interval
        # just outside each end (unless at 0 or 1) the top has changed
        for edge, side in ((low, -1), (high, 1)):
            if 1e-6 < edge < 1 - 1e-6:
                probe = np.clip(edge + side * np.array([2e-6]), 0, 1)
                assert _brute_top(Xn, w, k, probe, method, sc)[0] != a


def test_weight_sweep_changes_where_the_intervals_end():
    sweep = rb.weight_sweep(THREE, [0.5, 0.5], [1, 1], normalize=False, n_points=11)
    ch = rb.top_changes(sweep)
    c0 = ch[ch["criterion"] == "c0"]
    # exact ties at 0.4 (A2 = A3 = 0.6) and 0.6 (A1 = A3) go to the earlier row (tie rule)
    assert list(zip(c0["weight_before"].round(2), c0["weight"].round(2))) == [(0.4, 0.5), (0.5, 0.6)]
    assert list(c0["from"]) == [1, 2] and list(c0["to"]) == [2, 0]


# ---------------------------------------------------------------------------------------------------------------
# Dominance: Pareto set, k-skyband

def _brute_dominators(X):
    ge = (X[None, :, :] >= X[:, None, :]).all(2) & (X[None, :, :] != X[:, None, :]).any(2)
    return ge.sum(1)                                          # number of rows dominating each row


@settings(max_examples=40, deadline=None)
@given(st.integers(0, 10_000), st.integers(1, 6))
def test_skyband_matches_brute_force(seed, k):
    rng = np.random.default_rng(seed)
    X = rng.integers(0, 5, (int(rng.integers(1, 300)), int(rng.integers(1, 5)))).astype(float)  # many ties
    got = rb.skyband_mask(X, k, block=16, seed=32)
    np.testing.assert_array_equal(got, _brute_dominators(X) < k)


def test_pareto_mask_uses_types_and_keeps_duplicates():
    X = np.array([[1, 5], [2, 5], [2, 5], [3, 9], [0, 0]], dtype=float)
    assert rb.pareto_mask(X, [1, -1]).tolist() == [False, True, True, True, True]   # (2,5) beats (1,5)
    assert rb.pareto_mask(X, [1, 1]).tolist() == [False, False, False, True, False]


def test_interval_dominance_is_sure_dominance():
    pes = np.array([[0.5, 0.5], [0.0, 0.0], [0.4, 0.6]])
    opt = pes + np.array([[0.1, 0.1], [0.45, 0.45], [0.0, 0.0]])
    # row 1 can reach (0.45, 0.45): surely below row 0 (pessimistic 0.5, 0.5) but not below row 2
    assert rb.skyband_mask(pes, 1, optimistic=opt).tolist() == [True, False, True]
    assert rb.skyband_mask(pes, 2, optimistic=opt).tolist() == [True, True, True]


def test_core_index_on_the_tiny_catalogue_matches_brute_force():
    p = build_portfolios(load_catalog(TINY))
    ci = rb.core_index(p).set_index("tool")
    nd = _brute_dominators(p.values * p.types) == 0
    for t, tool in enumerate(p.catalog.tool_ids):
        share = p.members[nd, t].mean()
        assert ci.loc[tool, "core_index"] == pytest.approx(share)
        assert ci.loc[tool, "status"] == ("core" if share == 1 else "exterior" if share == 0 else "borderline")


# ---------------------------------------------------------------------------------------------------------------
# SMAA over combinations

def _naive_topk(Xn, W, k, method, sc):
    """Straightforward SMAA over every alternative (no skyband): top-k and first shares under the split tie rule
    (a tied group occupying places b+1..b+n gives each member 1/n of each of those places)."""
    U = rb._round(rb.scores(Xn, W, method, sc))
    better = (U[:, None, :] > U[:, :, None]).sum(2)                 # S x m: number strictly better
    tied = (U[:, None, :] == U[:, :, None]).sum(2)                  # S x m: group size (itself included)
    topk = (np.clip(k - better, 0, None).clip(max=tied) / tied).sum(0)
    first = ((better == 0) / tied).sum(0)
    return topk, first


@settings(max_examples=20, deadline=None)
@given(st.integers(0, 10_000), st.integers(1, 5), st.sampled_from(["wsm", "topsis"]))
def test_skyband_filtered_smaa_equals_unfiltered(seed, k, method):
    rng = np.random.default_rng(seed)
    X = np.round(rng.random((int(rng.integers(3, 80)), 3)), 1)
    t = np.array([1, 1, -1])
    sc = rb._scaling(X, t, True)
    Xn = sc(X)
    W, _ = rb.sample_weights(300, 3, seed)
    topk, first = _naive_topk(Xn, W, k, method, sc)
    cand = np.flatnonzero(rb.skyband_mask(Xn, k))
    tally = rb._Tally(len(X), k, 3, 2)
    R = rb._round(rb.scores(Xn[cand], W, method, sc))
    s, r = rb._top_candidates(R, k, np.ones(len(cand)))
    tally.add(s, cand[r], R[s, r], W, lambda rows: np.zeros((len(rows), 2)))
    B = tally.places()
    np.testing.assert_allclose(B.sum(1), topk, atol=1e-9)
    np.testing.assert_allclose(B[:, 0], first, atol=1e-9)


@pytest.fixture(scope="module")
def tiny():
    return build_portfolios(load_catalog(TINY))


def test_portfolio_smaa_on_tiny_catalogue_matches_naive_loop(tiny):
    p = tiny
    r = rb.smaa_portfolios(p, n_samples=500, seed=4, k=2, method="topsis")
    W, _ = rb.sample_weights(500, len(p.criteria), np.random.default_rng(4), criteria=p.criteria)
    sc = rb._scaling(p.values, p.types, True)
    topk, first = _naive_topk(sc(p.values), W, 2, "topsis", sc)
    got = r.table["top_k"].reindex(range(len(p)), fill_value=0.0).to_numpy()
    np.testing.assert_allclose(got, topk / 500, atol=1e-12)
    winner = np.argmax(rb._round(rb.scores(sc(p.values), W, "topsis", sc)), axis=1)
    want = p.members[winner].mean(0)
    np.testing.assert_allclose(r.tool_in_best.set_index("tool").loc[p.catalog.tool_ids, "in_best"], want)
    assert r.exact and r.mc_error == pytest.approx(0.98 / math.sqrt(500))


def test_score_uncertainty_on_tiny_catalogue_is_exact_and_deterministic(tiny):
    a = rb.smaa_portfolios(tiny, n_samples=300, seed=2, k=1, score_uncertainty="triangular")
    b = rb.smaa_portfolios(tiny, n_samples=300, seed=2, k=1, score_uncertainty="triangular")
    pd.testing.assert_frame_equal(a.table, b.table)
    assert a.exact and a.n_possible >= a.n_feasible
    assert a.table["first"].sum() == pytest.approx(1.0 - a.no_feasible / 300)   # ties split first place


@pytest.fixture(scope="module")
def bundled():
    return build_portfolios(load_catalog())


def _naive_places(p, W, k, method):
    """Top-k places and first places of every feasible combination, every draw valued on the full set (no
    skyband, no float32 filter, no ceilings), under the split tie rule."""
    sc = rb.portfolio_scaling(p, method)
    U = rb._round(rb.scores(sc(p.values), W, method, sc, rb.effort_offset(p)))
    topk, first = np.zeros(len(p)), np.zeros(len(p))
    for s in range(len(W)):                                       # a loop over draws: this is the reference
        u = U[s]
        kth = np.sort(u)[::-1][k - 1]
        rows = np.flatnonzero(u >= kth)
        better = (u[rows][None, :] > u[rows][:, None]).sum(1)
        tied = (u[rows][None, :] == u[rows][:, None]).sum(1)
        topk[rows] += np.clip(k - better, 0, None).clip(max=tied) / tied
        first[rows] += (better == 0) / tied
    return topk / len(W), first / len(W)


@pytest.mark.parametrize("method", ["wsm", "topsis"])
@pytest.mark.parametrize("region", [{}, {"weight_center": [0.4, 0.3, 0.2, 0.1], "spread": 0.05}])
def test_fixed_smaa_on_the_bundled_catalogue_equals_the_full_set(bundled, method, region):
    """The fixed-score fast path (k-skyband, float32 filter, weight-box ceilings on draws sorted by weight) against
    every feasible combination valued in every draw: a ceiling or a float32 margin that is too small drops a
    combination that holds a place, and the shares differ."""
    p, k, n = bundled, 10, 120
    r = rb.smaa_portfolios(p, n, seed=3, method=method, k=k, **region)
    W, _ = rb.sample_weights(n, 4, np.random.default_rng(3), criteria=p.criteria,
                             weight_center=region.get("weight_center"), spread=region.get("spread", 0.1))
    topk, first = _naive_places(p, W, k, method)
    got = r.table[["top_k", "first"]].reindex(range(len(p)), fill_value=0.0).to_numpy()
    np.testing.assert_allclose(got[:, 0], topk, atol=1e-12)
    np.testing.assert_allclose(got[:, 1], first, atol=1e-12)


@settings(max_examples=30, deadline=None)
@given(st.integers(0, 10_000), st.sampled_from(["wsm", "topsis"]), st.floats(0.0, 0.3))
def test_weight_box_ceiling_bounds_every_weight_in_the_box(seed, method, width):
    """:meth:`_Rough.ceiling` is at least the exact preference of every column for every weight vector of the
    draws it was given (and for other weights in their box); the float32 preferences are within a tenth of the
    margin of the float64 ones."""
    rng = np.random.default_rng(seed)
    X = rng.random((int(rng.integers(2, 60)), 4))
    X[:, int(rng.integers(4))] = np.round(X[:, 0], 1)                        # ties and equal columns
    sc = rb._scaling(X, np.array([1, 1, 1, -1]), True)
    Xn, off = sc(X), rng.random(len(X)) * 0.05
    rough = rb._Rough(Xn, off, method, sc)
    center = rng.dirichlet(np.ones(4))
    W = np.clip(center + rng.uniform(-width, width, (40, 4)), 0, None)
    W = W / W.sum(1, keepdims=True)
    W[0] = np.where(np.arange(4) == 0, 1.0, 0.0) if seed % 5 == 0 else W[0]   # a corner of the simplex
    exact = rb.scores(Xn, W, method, sc, off)
    top = rough.ceiling(W)
    assert (exact <= top[None, :] + 1e-12).all()
    U, safe = rough.preferences(W, np.arange(len(X)))
    assert np.abs(U[safe] - exact[safe]).max() < rb.ROUGH_MARGIN / 10
    lo, hi = W.min(0), W.max(0)                                               # other weights in the same box
    V = lo + rng.random((200, 4)) * (hi - lo)
    V = V[(V.sum(1) > 0)]
    V = V / V.sum(1, keepdims=True)
    inside = ((V >= lo - 1e-12) & (V <= hi + 1e-12)).all(1)
    assert (rb.scores(Xn, V[inside], method, sc, off) <= top[None, :] + 1e-12).all()


def test_compact_order_is_a_permutation_with_tight_groups():
    W, _ = rb.sample_weights(5_000, 4, 0)
    order = rb.compact_order(W, 64)
    assert sorted(order.tolist()) == list(range(5_000))
    spread = [np.ptp(W[order[i:i + 64]], axis=0).max() for i in range(0, 5_000, 64)]
    assert np.median(spread) < 0.5 * np.ptp(W, axis=0).max()


def test_portfolio_stability_matches_matrix_version(tiny):
    df = rb.portfolio_stability(tiny, None, "wsm")
    lo, hi = tiny.catalog.bounds                       # wsm over combinations: fixed anchors, costs reversed
    scaled = np.where(tiny.types > 0, (tiny.values - lo) / (hi - lo), (hi - tiny.values) / (hi - lo))
    ref = rb.stability_intervals(scaled, [1] * 4, np.ones(4, dtype=int), normalize=False)
    np.testing.assert_allclose(df[["low", "high"]].to_numpy(), ref[["low", "high"]].to_numpy())
    assert df.attrs["top_row"] == ref.attrs["top_row"]


# ---------------------------------------------------------------------------------------------------------------
# CLI and figures

def test_cli_prints_intervals_acceptability_and_core_tools(capsys):
    assert main(["robustness", "--catalog", str(TINY), "--samples", "200", "--seed", "1", "--top-k", "2"]) == 0
    out = capsys.readouterr().out
    assert "Stability intervals" in out and ("Most critical" in out or "No weight change" in out)
    assert "top_2" in out and "core_idx" in out


def test_cli_user_errors_exit_2(capsys):
    assert main(["robustness", "--catalog", str(TINY), "--samples", "0"]) == 2
    assert main(["robustness", "--catalog", str(TINY), "--weights", "nope=1"]) == 2
    err = capsys.readouterr().err
    assert err.count("decision: error:") == 2


def test_figures_are_built_from_results(tiny):
    from decision import figures
    sweep = rb.weight_sweep(tiny.values, None, tiny.types, criteria=tiny.criteria)
    f1 = figures.sensitivity_figure(sweep)
    r = rb.smaa_matrix(THREE, [1, 1], n_samples=200, normalize=False)
    f2 = figures.acceptability_figure(r.rank_acceptability)
    f3 = figures.core_index_figure(rb.core_index(tiny))
    s = rb.smaa_portfolios(tiny, 100, k=2)
    f4 = figures.tool_in_best_figure(s.tool_in_best)
    for f in (f1, f2, f3, f4):
        assert len(f.data) >= 1 and f.layout.title.text


def test_bad_inputs_raise_decision_error():
    with pytest.raises(DecisionError):
        rb.smaa_matrix(THREE, [1, 2])
    with pytest.raises(DecisionError):
        rb.stability_intervals(THREE, [0.5, 0.5], [1, 1], method="nope")
    with pytest.raises(DecisionError):
        rb.smaa_matrix(THREE, [1, 1], weight_order=["zz"])
    assert list(itertools.islice(rb.holistic_meta_weights(3, "linear"), 3)) == [1.0, 0.5, 0.0]


@settings(max_examples=40, deadline=None)
@given(st.lists(st.floats(0, 1), min_size=4, max_size=4).filter(lambda w: sum(w) > 0.01), st.floats(0.01, 1))
def test_weights_near_a_profile_stay_within_the_spread_even_at_a_corner(raw, spread):
    w = np.array(raw) / sum(raw)
    W, acc = rb.sample_weights(500, 4, 3, weight_center=w, spread=spread)
    assert 0 < acc <= 1.0 and W.shape == (500, 4)
    np.testing.assert_allclose(W.sum(1), 1.0)
    assert (W >= -1e-12).all() and (np.abs(W - w) <= spread + 1e-12).all()
    corner, _ = rb.sample_weights(200, 4, 3, weight_center=[1, 0, 0, 0], spread=0.1)
    assert (corner[:, 0] >= 0.9 - 1e-12).all()


def test_cli_json_reports_how_sure_and_the_scores_that_decide(capsys):
    import json
    assert main(["robustness", "--catalog", str(TINY), "--samples", "200", "--seed", "1", "--top-k", "2",
                 "--sure-samples", "100", "--format", "json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert set(out) >= {"scenario", "method", "recommendation", "how_sure", "stability", "scores_that_decide",
                        "smaa", "tools", "caveat"}
    hs = out["how_sure"]
    assert 0 <= hs["both"] <= 1 and 0 <= hs["scores_only"] <= 1 and 0 <= hs["weights_only"] <= 1
    assert " + ".join(hs["recommendation"]) and hs["label"] == out["recommendation"]
    rows = out["scores_that_decide"]["rows"]
    assert len(rows) == 8 and {"tool", "criterion", "margin_low", "margin_high", "flips"} <= set(rows[0])
    assert out["smaa"]["exact"] is True and out["smaa"]["n_candidates"] <= out["smaa"]["n_possible"]


def test_cli_text_with_scores_says_it_is_exact(capsys):
    assert main(["robustness", "--catalog", str(TINY), "--samples", "200", "--seed", "1", "--top-k", "2",
                 "--scores", "uniform", "--sure-samples", "0", "--tornado", "0"]) == 0
    out = capsys.readouterr().out
    assert "exact: every combination that can reach the top 2 in a draw was evaluated in it" in out
    assert "How sure" not in out and "Scores that decide" not in out


def test_tornado_figure_is_responsive_and_has_both_ends(tiny):
    from decision import figures
    from decision.sureness import score_tornado
    t = score_tornado(tiny)
    f = figures.tornado_figure(t, rows=5)
    assert [tr.name for tr in f.data] == ["score at its low end", "score at its high end"]
    assert f.layout.width is None and f.layout.autosize
    assert all(len(lbl.split("<br>")[0]) <= 24 for lbl in f.data[0].y)
