"""Score uncertainty over combinations: monotone values, the exact box filter, feasibility judged per draw, the
certified top-k per draw against brute force over the full set, and the tie rule for exact twins."""
from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from decision import build_portfolios, load_catalog
from decision import robustness as rb
from decision import uncertainty as U
from decision.portfolios import paired_values, portfolio_values

TINY = Path(__file__).parent / "fixtures" / "tiny"
CRIT = ["r", "s", "l", "e"]


def write_catalogue(folder: Path, changes: dict, twin_of: str | None = None, worse_by: float = 0.0) -> Path:
    """The tiny catalogue with its (tool, criterion) -> (change, low, high) replaced; ``twin_of`` adds tool ``d``,
    a copy of that tool (same effort, no interactions of its own) whose changes, ranges included, are ``worse_by``
    points worse on every criterion (0: an exact twin)."""
    shutil.copytree(TINY, folder, dirs_exist_ok=True)
    tools = list(changes_tools(changes))
    if twin_of:
        bad = {"r": -1, "s": -1, "l": -1, "e": 1}
        moved = lambda x, c: float(np.clip(x + bad[c] * worse_by, -10, 10))        # noqa: E731
        changes = {**changes, **{("d", c): tuple(moved(x, c) for x in changes[(twin_of, c)]) for c in CRIT}}
        with open(folder / "tools.csv", "a") as f:
            f.write("d,Tool D,trust_building,1,de_escalating,,days,Twin test tool.\n")
        with open(folder / "effort.csv", "a") as f:
            effort = {"a": 1, "b": 2, "c": 1}[twin_of]
            f.write(f"d,{effort},test,hand\n")
        tools.append("d")
    rows = ["tool,criterion,change,low,high,rationale,source"]
    for t in tools:
        for c in CRIT:
            v, lo, hi = changes[(t, c)]
            rows.append(f"{t},{c},{v},{lo},{hi},test,hand")
    (folder / "scores.csv").write_text("\n".join(rows) + "\n")
    return folder


def changes_tools(changes):
    return dict.fromkeys(t for t, _ in changes)


def tiny_changes():
    df = pd.read_csv(TINY / "scores.csv")
    return {(r.tool, r.criterion): (r.change, r.low, r.high) for r in df.itertuples()}


@st.composite
def catalogues(draw, width=5.0):
    """Random changes for the tiny catalogue's three tools (half-point steps, ranges up to ``width`` wide)."""
    out = {}
    for t in "abc":
        for c in CRIT:
            v = draw(st.integers(-10, 10)) / 2
            lo = v - draw(st.integers(0, int(2 * width))) / 4
            hi = v + draw(st.integers(0, int(2 * width))) / 4
            out[(t, c)] = (v, max(-10.0, lo), min(10.0, hi))
    return out


CONSTRAINTS = [None,
               {"red_lines": [{"criterion": "e", "max": 5.0}, {"criterion": "s", "min": 6.0}]},
               {"floor": {"criterion": "r", "base": 1.5, "per_point": (), "minimum": 1.0, "maximum": 4.0,
                          "min_tool_change": 3.0}}]


def corners_and_draws(a, rng, n, direction):
    """Tool-change matrices: every tool independently at the good or the bad end of all its ranges (2^T corners,
    where boxes touch), every change at its low / high end, and ``n`` uniform draws."""
    T = len(a.score)
    good = np.where(direction > 0, a.high, a.low)
    bad = np.where(direction > 0, a.low, a.high)
    corners = [np.where((np.arange(T)[:, None] * 0 + (m >> np.arange(T) & 1)[:, None]) > 0, good, bad)
               for m in range(2 ** T)]
    draws = a.low + (a.high - a.low) * rng.random((n, *a.score.shape))
    return np.concatenate([np.stack(corners + [a.low, a.high]), draws])


def full_values(u, draws, scale):
    """Brute force: every (draw, combination) pair of the universe valued exactly, with its feasibility."""
    n, N = len(draws), len(u)
    s, r = np.repeat(np.arange(n), N), np.tile(np.arange(N), n)
    X, ok = U.value_pairs(u, r, draws, s, scale)
    return X.reshape(n, N, -1), ok.reshape(n, N)


# ---------------------------------------------------------------------------------------------------------------
# The claims the exact filter rests on

@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(catalogues(), st.integers(0, 2), st.integers(0, 3), st.integers(-20, 20))
def test_values_are_monotone_in_every_change_including_redundancy_and_interactions(changes, t, c, step):
    with tempfile.TemporaryDirectory() as d:
        p = build_portfolios(load_catalog(write_catalogue(Path(d), changes)), max_tools=3,
                             constraints={"red_lines": []})
    a = p.adjusted
    base = a.score.copy()
    up = base.copy()
    up[t, c] = np.clip(base[t, c] + abs(step) / 4, -10, 10)
    v0 = portfolio_values(p.idx, p.bits, base, p.spec)
    v1 = portfolio_values(p.idx, p.bits, up, p.spec)
    assert np.all(v1[:, c] >= v0[:, c] - 1e-12)                     # raising a change never lowers its criterion
    others = [j for j in range(4) if j != c]
    np.testing.assert_array_equal(v1[:, others], v0[:, others])     # and leaves the other criteria alone


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(catalogues(width=1.0), st.integers(1, 3), st.sampled_from(["wsm", "topsis"]), st.integers(0, 2),
       st.integers(0, 10_000), st.sampled_from("abc"), st.sampled_from([0.0, 0.5, 1.0, 3.0]))
def test_no_combination_outside_the_box_filter_ever_reaches_the_top_k(changes, k, method, cons, seed, copy, worse):
    with tempfile.TemporaryDirectory() as d:                     # a fourth tool, a worse copy: the filter bites
        cat = load_catalog(write_catalogue(Path(d), changes, twin_of=copy, worse_by=worse))
        try:
            p = build_portfolios(cat, max_tools=2, constraints=CONSTRAINTS[cons])
        except Exception:                                          # nothing feasible at the point changes
            return
    u = U.score_universe(p)
    sc = rb.portfolio_scaling(p, method)
    off = rb.effort_offset(u.portfolios)
    pes, opt = U.value_box(u, sc)
    keep = U.box_filter(rb.with_offset(pes, off, method), rb.with_offset(opt, off, method), u.sure, k, limit=None)
    rng = np.random.default_rng(seed)
    draws = corners_and_draws(u.portfolios.adjusted, rng, 40, p.spec.direction)
    W = np.vstack([np.eye(4) * 0.97 + 0.01, rb.sample_weights(40, 4, rng)[0]])
    X, ok = full_values(u, draws, sc)
    for i in range(len(draws)):
        R = rb._round(rb.scores(X[i], W, method, sc, off))           # every weight vector, this draw
        R = np.where(ok[i][None, :], R, -np.inf)
        better = (R[:, None, :] > R[:, :, None]).sum(2)             # weights x combinations
        reached = ((better < k) & ok[i][None, :]).any(0)
        assert not np.any(reached & ~keep), "a filtered-out combination reached the top k"


def assert_caps_hold(u, draws, W, method):
    """Every combination's cap is at least its exact value in every draw: the preference for wsm (rounding
    allowance included), each scaled criterion for TOPSIS."""
    sc = rb.portfolio_scaling(u.portfolios, method)
    off = rb.effort_offset(u.portfolios)
    rows = np.arange(len(u))
    caps = U.score_caps(u, rows, sc, off)
    X, _ = full_values(u, draws, sc)                                 # feasible or not: the caps bound values
    if method == "wsm":
        cap, margin = caps.wsm(draws, W)
        exact = np.einsum("snc,sc->sn", X, W) - off[None, :]
        assert np.all(cap.astype(float) + margin[None, :] >= exact), np.max(exact - cap - margin[None, :])
    else:
        assert np.all(caps.criteria(draws) >= X)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(catalogues(), st.sampled_from(["wsm", "topsis"]), st.integers(0, 2), st.integers(0, 10_000))
def test_caps_bound_every_combination_in_every_draw(changes, method, cons, seed):
    """The per-draw caps (top share by a level, largest harm counted fully, redundancy, interactions, the chord of
    the harm term and the tangent at the point changes) against the value model, box corners included."""
    with tempfile.TemporaryDirectory() as d:
        try:
            p = build_portfolios(load_catalog(write_catalogue(Path(d), changes)), max_tools=3,
                                 constraints=CONSTRAINTS[cons])
        except Exception:                                          # nothing feasible at the point changes
            return
    u = U.score_universe(p)
    rng = np.random.default_rng(seed)
    draws = corners_and_draws(u.portfolios.adjusted, rng, 30, p.spec.direction)
    W = rb.sample_weights(len(draws), 4, rng)[0]
    assert_caps_hold(u, draws, W, method)


@pytest.mark.parametrize("method", ["wsm", "topsis"])
def test_caps_bound_the_bundled_catalogue(method):
    """Every one of the 98,818 combinations, in a few draws (redundancy groups, interactions, full harms)."""
    p = build_portfolios(load_catalog())
    u = U.score_universe(p)
    a = u.portfolios.adjusted
    rng = np.random.default_rng(4)
    draws = np.concatenate([a.low[None], a.high[None], rb.sample_scores(rng, a.low, a.score, a.high, 2)])
    assert_caps_hold(u, draws, rb.sample_weights(len(draws), 4, rng)[0], method)


# ---------------------------------------------------------------------------------------------------------------
# The certified top-k per draw against brute force

def brute_force_smaa(p, n, seed, k, method, dist="triangular"):
    """SMAA with score draws valued for every combination of the universe (no filter, no bound)."""
    rng = np.random.default_rng(seed)
    W, _ = rb.sample_weights(n, len(p.criteria), rng, criteria=p.criteria)
    u = U.score_universe(p)
    up = u.portfolios
    a = up.adjusted
    draws = rb.sample_scores(rng, a.low, a.score, a.high, n, dist)
    sc = rb.portfolio_scaling(p, method)
    off = rb.effort_offset(up)
    X, ok = full_values(u, draws, sc)
    s, r = np.nonzero(ok)
    R = np.round(rb.scores(X[s, r][:, None, :], W[s], method, sc)[:, 0] - off[r], 12)
    tally = rb._Tally(len(up), k, 4, len(up.catalog.tools))
    winners = tally.add(s, r, R, W, lambda rows: up.members[rows])
    return tally.places() / n, tally.best / n, n - winners


@pytest.mark.parametrize("method", ["wsm", "topsis"])
@pytest.mark.parametrize("cons", [0, 1, 2])
@pytest.mark.parametrize("top_caps", [32, 2])
def test_score_smaa_equals_brute_force_over_the_full_set(tmp_path, monkeypatch, method, cons, top_caps):
    monkeypatch.setattr(U, "TOP_CAPS", top_caps)                   # 2: the highest caps join the seeds
    changes = tiny_changes()
    p = build_portfolios(load_catalog(write_catalogue(tmp_path, changes, twin_of="b", worse_by=0.5)),
                         constraints=CONSTRAINTS[cons])
    k = 2
    res = rb.smaa_portfolios(p, 400, seed=7, k=k, method=method, score_uncertainty="triangular")
    places, best, none = brute_force_smaa(p, 400, 7, k, method)
    got = np.zeros_like(places)
    t = res.table
    got[t.index.to_numpy()] = t[[f"rank_{i + 1}" for i in range(k)]].to_numpy()
    np.testing.assert_allclose(got, places, atol=1e-12)
    np.testing.assert_allclose(res.tool_in_best.set_index("tool").loc[p.catalog.tool_ids, "in_best"], best)
    assert res.no_feasible == none and res.exact


def test_feasibility_is_judged_in_every_draw(tmp_path):
    # Tool B alone: escalation risk 6 at its point change, 5.2-6.8 over its range; a red line at 6.5 makes it
    # feasible in some draws only, one at 5.9 infeasible at the point but feasible in some draws.
    cat = load_catalog(write_catalogue(tmp_path, tiny_changes()))
    for line, at_point in ((6.5, True), (5.9, False)):
        p = build_portfolios(cat, constraints={"red_lines": [{"criterion": "e", "max": line}]})
        u = U.score_universe(p)
        row = int(np.flatnonzero(u.portfolios.bits == 0b010)[0])                  # {B}
        assert (row < u.n_point) == at_point and not u.sure[row]
        a = p.adjusted
        draws = rb.sample_scores(np.random.default_rng(0), a.low, a.score, a.high, 300)
        sc = rb.portfolio_scaling(p, "wsm")
        X, ok = U.value_pairs(u, np.full(300, row), draws, np.arange(300), sc)
        risk = portfolio_values(u.portfolios.idx[[row]], u.portfolios.bits[[row]], draws, p.spec)[:, 0, 3]
        np.testing.assert_array_equal(ok, risk <= line + 1e-9)
        assert 0 < ok.mean() < 1


def test_paired_values_equal_the_batched_value_model():
    p = build_portfolios(load_catalog())
    a = p.adjusted
    draws = rb.sample_scores(np.random.default_rng(0), a.low, a.score, a.high, 3)
    rows = np.arange(0, len(p), 97)
    s = np.arange(len(rows)) % 3
    v, _ = paired_values(p.idx[rows], p.bits[rows], draws, s, p.spec)
    np.testing.assert_array_equal(v, portfolio_values(p.idx[rows], p.bits[rows], draws, p.spec)[s, np.arange(len(rows))])


def test_score_smaa_is_seeded_and_reproducible(tmp_path):
    p = build_portfolios(load_catalog(TINY))
    a = rb.smaa_portfolios(p, 300, seed=2, k=1, score_uncertainty="uniform")
    b = rb.smaa_portfolios(p, 300, seed=2, k=1, score_uncertainty="uniform")
    pd.testing.assert_frame_equal(a.table, b.table)
    assert a.table["first"].sum() + a.no_feasible / 300 == pytest.approx(1.0)


# ---------------------------------------------------------------------------------------------------------------
# Tie rule and bounded work (issue 19)

def test_exact_twins_split_first_place_so_shares_sum_to_one(tmp_path):
    p = build_portfolios(load_catalog(write_catalogue(tmp_path, tiny_changes(), twin_of="c")), max_tools=1)
    twins = [p.find(["c"]), p.find(["d"])]
    np.testing.assert_array_equal(p.values[twins[0]], p.values[twins[1]])
    w = {"r": 0.05, "s": 0.05, "l": 0.05, "e": 0.85}
    r = rb.smaa_portfolios(p, 500, seed=1, k=3, weights=w)
    t = r.table
    assert set(twins) <= set(t.index) and t.loc[twins[0], "first"] > 0
    assert t["first"].sum() == pytest.approx(1.0, abs=1e-12)          # was 2: each twin took a full first place
    assert t.loc[twins[0], "first"] == pytest.approx(t.loc[twins[1], "first"])
    for j in range(1, 4):
        assert t[f"rank_{j}"].sum() == pytest.approx(1.0, abs=1e-12)
    u = rb.smaa_portfolios(p, 300, seed=1, k=3)                       # drawn weights: every rank still sums to 1
    assert u.table["rank_1"].sum() == pytest.approx(1.0, abs=1e-12)


def test_skyband_of_identical_rows_is_linear_work(monkeypatch):
    from decision import dominance
    seen = []
    real = dominance._count_loop

    def counting(Dp, Qo, k, cnt, mult=None):
        seen.append(len(Dp) * len(Qo))
        return real(Dp, Qo, k, cnt, mult)

    monkeypatch.setattr(dominance, "_count_loop", counting)
    X = np.ones((50_000, 5))
    assert dominance.skyband_mask(X, 10).all()                        # identical rows do not dominate each other
    assert sum(seen) <= 10                                            # was 50,000^2 pairwise comparisons
    Y = np.vstack([np.ones((20_000, 3)), np.zeros((20_000, 3))])
    assert dominance.skyband_mask(Y, 1).tolist() == [True] * 20_000 + [False] * 20_000


@pytest.mark.parametrize("weights", [None, {"r": 0.4, "s": 0.3, "l": 0.2, "e": 0.1}])
def test_first_share_equals_the_full_smaa(weights):
    p = build_portfolios(load_catalog(TINY))
    full = rb.smaa_portfolios(p, 300, seed=5, k=1, score_uncertainty="triangular", weights=weights)
    for row in range(len(p)):
        got = rb.first_share_with_scores(p, row, 300, seed=5, weights=weights)
        assert got == pytest.approx(float(full.table["first"].get(row, 0.0)), abs=1e-12)


def test_tornado_margins_equal_a_rebuilt_catalogue(tmp_path):
    from decision.sureness import recommendation_row, score_tornado
    p = build_portfolios(load_catalog(TINY))
    t = score_tornado(p)
    assert len(t) == 12 and t["swing"].is_monotonic_decreasing | t["flips"].any()
    rec = p.tools_of(recommendation_row(p))
    for _, row in t.head(4).iterrows():
        for end, col in (("low", "margin_low"), ("high", "margin_high")):
            changes = tiny_changes()
            v, lo, hi = changes[(row["tool"], row["criterion"])]
            changes[(row["tool"], row["criterion"])] = ({"low": lo, "high": hi}[end], lo, hi)
            q = build_portfolios(load_catalog(write_catalogue(tmp_path / f"{row['tool']}{row['criterion']}{end}",
                                                              changes)))
            sc = rb.portfolio_scaling(p, "wsm")                      # the point values' scaling, as the tornado
            U_ = rb.scores(sc(q.values), np.full((1, 4), 0.25), "wsm", sc, rb.effort_offset(q))[0]
            r = q.find(rec)
            assert row[col] == pytest.approx(U_[r] - np.delete(U_, r).max(), abs=1e-12)


def test_the_box_filter_prunes_a_surely_worse_copy(tmp_path):
    narrow = {key: (v, v - 0.25, v + 0.25) for key, (v, lo, hi) in tiny_changes().items()}
    p = build_portfolios(load_catalog(write_catalogue(tmp_path, narrow, twin_of="a", worse_by=2.0)), max_tools=1)
    u = U.score_universe(p)
    sc = rb.portfolio_scaling(p, "wsm")
    off = rb.effort_offset(u.portfolios)
    pes, opt = U.value_box(u, sc)
    keep = U.box_filter(rb.with_offset(pes, off, "wsm"), rb.with_offset(opt, off, "wsm"), u.sure, 1, limit=None)
    assert keep.tolist() == [row != u.portfolios.find(["d"]) for row in range(len(u))]   # D: always worse than A


def test_floor_strong_tool_in_draws_excludes_conversations():
    """A draw equal to the point changes gives every combination its point feasibility. The bundled floor does not
    let a conversation alone be the strong tool (strong_tool_excludes); before the fix the per-draw check did not
    know the tools (no idx) and counted 13,428 such combinations feasible, and the value boxes called them surely
    feasible."""
    p = build_portfolios(load_catalog(), "indispensable_host")
    u = U.score_universe(p)
    up = u.portfolios
    rows = np.arange(len(up))
    _, ok = U.value_pairs(u, rows, up.adjusted.score[None], np.zeros(len(up), dtype=int),
                          rb.portfolio_scaling(p, "wsm"))
    assert np.array_equal(ok, rows < u.n_point)
    assert ok[u.sure].all()                       # surely feasible: feasible in every draw, the point included


def test_paired_values_match_the_batched_values_bit_for_bit():
    """The paired valuation (per-draw tables, interaction logs from the universe) gives each (draw, combination)
    pair exactly the values portfolio_values gives that combination under that draw: same floats, not merely
    close, so ties and the 12-decimal rounding agree with the brute force."""
    p = build_portfolios(load_catalog(), "indispensable_host")
    u = U.score_universe(p)
    up = u.portfolios
    a = up.adjusted
    rng = np.random.default_rng(11)
    draws = rb.sample_scores(rng, a.low, a.score, a.high, 3, "uniform")
    rows = rng.choice(len(up), 4000, replace=False)
    sample = rng.integers(0, 3, len(rows))
    sc = rb.portfolio_scaling(p, "wsm")
    X, _ = U.value_pairs(u, rows, draws, sample, sc)
    batched = portfolio_values(up.idx[rows], up.bits[rows], draws, up.setting.spec)      # (3, rows, C)
    assert np.array_equal(X, np.clip(sc(batched[sample, np.arange(len(rows))]), 0.0, 1.0))


def test_how_sure_and_the_tornado_judge_a_given_row(tmp_path):
    """The briefing judges option 1's package, which need not be the package ranking's first: with ``row`` the
    shares are that row's (the exact first-place share, the fixed-score SMAA) and the tornado's margins are that
    row's against the best other combination in a rebuilt catalogue, negative where another comes first."""
    from decision.errors import DecisionError
    from decision.sureness import how_sure, recommendation_row, score_tornado
    p = build_portfolios(load_catalog(TINY))
    top = recommendation_row(p)
    row = next(r for r in range(len(p)) if r != top)
    assert how_sure(p, n_samples=200, seed=3) == how_sure(p, n_samples=200, seed=3, row=top)
    hs = how_sure(p, n_samples=200, seed=3, row=row)
    assert hs.recommendation == p.tools_of(row)
    assert hs.both == pytest.approx(rb.first_share_with_scores(p, row, 200, seed=3), abs=1e-12)
    assert hs.weights_only == pytest.approx(
        float(rb.smaa_portfolios(p, 200, seed=3, k=1).table["first"].get(row, 0.0)), abs=1e-12)
    t = score_tornado(p, row=row)
    sc = rb.portfolio_scaling(p, "wsm")
    U0 = rb.scores(sc(p.values), np.full((1, 4), 0.25), "wsm", sc, rb.effort_offset(p))[0]
    assert t.attrs["margin"] == pytest.approx(U0[row] - np.delete(U0, row).max(), abs=1e-12) and t.attrs["margin"] < 0
    for _, r in t.head(3).iterrows():
        for end, col in (("low", "margin_low"), ("high", "margin_high")):
            changes = tiny_changes()
            v, lo, hi = changes[(r["tool"], r["criterion"])]
            changes[(r["tool"], r["criterion"])] = ({"low": lo, "high": hi}[end], lo, hi)
            q = build_portfolios(load_catalog(write_catalogue(tmp_path / f"{r['tool']}{r['criterion']}{end}",
                                                              changes)))
            U_ = rb.scores(sc(q.values), np.full((1, 4), 0.25), "wsm", sc, rb.effort_offset(q))[0]
            k = q.find(p.tools_of(row))
            if np.isnan(r[col]):
                continue
            assert r[col] == pytest.approx(U_[k] - np.delete(U_, k).max(), abs=1e-12)
    with pytest.raises(DecisionError):
        how_sure(p, row=len(p))


# ---------------------------------------------------------------------------------------------------------------
# The score tornado values only the combinations whose bound reaches the best found: the lemma and brute force

@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(catalogues(), st.integers(0, 2), st.integers(0, 3), st.integers(-40, 40), st.sampled_from([None, "a", "b"]))
def test_one_change_moves_its_criterion_by_at_most_its_own_size(changes, t, c, step, twin):
    """The tornado's lemma: moving one tool's change on a criterion by ``delta`` points moves every combination's
    value on that criterion by at most ``|delta|`` points (redundancy, interactions, the quiet cap and the clip
    included), and in the same direction."""
    with tempfile.TemporaryDirectory() as d:
        p = build_portfolios(load_catalog(write_catalogue(Path(d), changes, twin_of=twin, worse_by=0.5)),
                             max_tools=4, constraints={"red_lines": []})
    a = p.adjusted
    moved = a.score.copy()
    moved[t, c] = np.clip(a.score[t, c] + step / 4, -10, 10)
    delta = moved[t, c] - a.score[t, c]
    v0 = portfolio_values(p.idx, p.bits, a.score, p.spec)[:, c]
    v1 = portfolio_values(p.idx, p.bits, moved, p.spec)[:, c]
    rise = (v1 - v0) * p.spec.direction[c] * np.sign(delta * p.spec.direction[c] or 1.0)
    assert np.all(np.abs(v1 - v0) <= abs(delta) + 1e-12)
    assert np.all(rise >= -1e-12)


def brute_tornado(p, method, weights=None, only=None):
    """Every (tool, criterion, end) of :func:`score_tornado` (``only``: these (tool, criterion) pairs) by brute
    force: every combination of the universe valued under the moved scores, with its feasibility; margin of the
    recommendation over the best other."""
    from decision.portfolios import value_masks
    from decision.sureness import recommendation_row
    rec = recommendation_row(p, weights, method)
    u = U.score_universe(p)
    up, st_ = u.portfolios, u.portfolios.setting
    a = up.adjusted
    sc = rb.portfolio_scaling(p, method)
    off = rb.effort_offset(up)
    w = np.full(4, 0.25) if weights is None else np.array([weights[c] for c in p.criteria])
    out = {}
    for t in range(len(a.score)):
        for j in range(4):
            if a.low[t, j] == a.high[t, j] or (only is not None and (up.catalog.tool_ids[t], p.criteria[j])
                                                not in only):
                continue
            for end, name in ((a.low, "margin_low"), (a.high, "margin_high")):
                m = a.score.copy()
                m[t, j] = end[t, j]
                v = portfolio_values(up.idx, up.bits, m, st_.spec)
                ext = np.concatenate([m, np.full((1, 4), np.nan)])
                ok = np.ones(len(up), dtype=bool)
                for mask in value_masks(up.bits, v, st_, idx=up.idx, score=ext[up.idx.astype(np.intp)]).values():
                    ok &= mask
                U_ = np.where(ok, rb.scores(np.clip(sc(v), 0, 1), w[None], method, sc, off)[0], -np.inf)
                others = np.delete(U_, rec).max(initial=-np.inf)
                out[(up.catalog.tool_ids[t], p.criteria[j], name)] = U_[rec] - others if np.isfinite(U_[rec]) \
                    else np.nan
    return out


def assert_tornado_is_brute_force(t, brute):
    seen = set()
    for _, row in t.iterrows():
        if (row["tool"], row["criterion"], "margin_low") not in brute:
            continue
        for col in ("margin_low", "margin_high"):
            want = brute[(row["tool"], row["criterion"], col)]
            seen.add((row["tool"], row["criterion"], col))
            if np.isnan(want):
                assert np.isnan(row[col])
            else:
                assert row[col] == pytest.approx(want, abs=1e-11)
    assert seen == set(brute)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(catalogues(), st.sampled_from(["wsm", "topsis"]), st.integers(0, 2), st.sampled_from([None, "a", "c"]))
def test_tornado_equals_brute_force_on_random_catalogues(changes, method, cons, twin):
    from decision.sureness import score_tornado
    with tempfile.TemporaryDirectory() as d:
        cat = load_catalog(write_catalogue(Path(d), changes, twin_of=twin, worse_by=0.5))
        try:
            p = build_portfolios(cat, max_tools=3, constraints=CONSTRAINTS[cons])
        except Exception:                                          # nothing feasible at the point changes
            return
    assert_tornado_is_brute_force(score_tornado(p, method=method), brute_tornado(p, method))


@pytest.mark.parametrize("scenario,method", [("indispensable_host", "wsm"), ("hedging_partner", "topsis")])
def test_tornado_equals_brute_force_on_the_bundled_catalogue(scenario, method):
    """At scale, where the bound skips most of the 100,000+ combinations holding a tool: the same margins as valuing
    every combination of the universe under the moved score, for the 8 scores that matter most and 12 others drawn
    at random (each brute-force valuation takes about 0.2 s)."""
    from decision.sureness import score_tornado
    p = build_portfolios(load_catalog(), scenario)
    t = score_tornado(p, method=method)
    rest = np.random.default_rng(7).choice(np.arange(8, len(t)), 12, replace=False)
    pick = t.iloc[np.r_[np.arange(8), rest]]
    only = set(zip(pick["tool"], pick["criterion"]))
    assert_tornado_is_brute_force(pick, brute_tornado(p, method, only=only))


def test_a_shared_score_setup_gives_the_same_shares_and_refuses_other_combinations():
    """how_sure builds the filter and the caps once for its two score shares: sharing them changes no share, and a
    set-up built for other combinations (another scenario), another method or another k is refused."""
    from decision.errors import DecisionError
    cat = load_catalog(TINY)
    p = build_portfolios(cat)
    setup = rb.score_setup(p, 1, "wsm")
    for row in range(len(p)):
        for weights in (None, {"r": 0.4, "s": 0.3, "l": 0.2, "e": 0.1}):
            alone = rb.first_share_with_scores(p, row, 200, seed=3, weights=weights)
            shared = rb.first_share_with_scores(p, row, 200, seed=3, weights=weights, setup=setup)
            assert shared == alone
    other = build_portfolios(cat, max_tools=2)
    for bad in (rb.score_setup(other, 1, "wsm"), rb.score_setup(p, 1, "topsis"), rb.score_setup(p, 2, "wsm")):
        with pytest.raises(DecisionError, match="other combinations, another method or another k"):
            rb.first_share_with_scores(p, 0, 10, setup=bad)


def test_deciding_scores_count_what_can_change_the_order():
    import pandas as pd
    from decision.sureness import deciding_scores
    t = pd.DataFrame({"margin_low": [0.02, -0.01, float("nan"), 0.03], "margin_high": [0.05, 0.01, 0.02, 0.04]})
    t["flips"] = ~((t["margin_low"] > 0) & (t["margin_high"] > 0))
    t.attrs["margin"] = 0.03                                   # first at the point scores: 2 ends lose it
    assert deciding_scores(t) == (2, "can put another package first at one end of their range")
    behind = t - 0.025                                          # behind at the point scores: 2 ends put it first
    behind["flips"] = True
    behind.attrs["margin"] = -0.005
    assert deciding_scores(behind) == (2, "would put it first at one end of their range")
