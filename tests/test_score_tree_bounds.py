"""The prefix-tree experiment of issue 20 (``benchmarks/bench_score_tree.py``, not used by the package): its subtree
bounds against brute force on small catalogues, and its search against the full-set valuation. Kept so that the
proofs in its docstring stay checked if the experiment is picked up again (e.g. compiled)."""
from __future__ import annotations

import importlib.util
import sys
import tempfile
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from decision import build_portfolios, load_catalog
from decision import robustness as rb
from decision import uncertainty as U

from .test_score_uncertainty import (CONSTRAINTS, brute_force_smaa, catalogues, corners_and_draws, full_values,
                                     tiny_changes, write_catalogue)

_spec = importlib.util.spec_from_file_location(
    "bench_score_tree", Path(__file__).parent.parent / "benchmarks" / "bench_score_tree.py")
tree_mod = importlib.util.module_from_spec(_spec)
sys.modules["bench_score_tree"] = tree_mod                      # dataclasses look their module up
_spec.loader.exec_module(tree_mod)


def subtree_rows(tree, u, rows, d, node):
    """Brute force: positions in ``rows`` of the combinations whose rank-ordered tools start with the node's prefix."""
    T = len(tree.rank)
    prefix = list(tree.rank[tree.levels[d].tools[node]])
    out = []
    for i, r in enumerate(rows):
        ranks = sorted(int(tree.rank[t]) for t in u.portfolios.idx[r] if t < T)
        if ranks[:len(prefix)] == prefix:
            out.append(i)
    return out


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(catalogues(), st.sampled_from(["wsm", "topsis"]), st.integers(0, 2), st.integers(0, 10_000),
       st.sampled_from("abc"), st.sampled_from([0.0, 0.5, 2.0]))
def test_every_node_bounds_every_combination_of_its_subtree_in_every_draw(changes, method, cons, seed, copy, worse):
    """Redundancy (tools a and b), interactions (one 'without'), box corners and random draws, both methods."""
    with tempfile.TemporaryDirectory() as d:
        try:
            p = build_portfolios(load_catalog(write_catalogue(Path(d), changes, twin_of=copy, worse_by=worse)),
                                 max_tools=4, constraints=CONSTRAINTS[cons])
        except Exception:                                          # nothing feasible at the point changes
            return
    u = U.score_universe(p)
    sc = rb.portfolio_scaling(p, method)
    off = rb.effort_offset(u.portfolios)
    rows = np.arange(len(u))
    rng = np.random.default_rng(seed)
    draws = corners_and_draws(u.portfolios.adjusted, rng, 20, p.spec.direction)
    W = rb.sample_weights(len(draws), 4, rng)[0]
    X, _ = full_values(u, draws, sc)                               # feasible or not: bounds hold for values
    exact = rb.scores(X, W, method, sc, None) - off[None, :]        # (draws, combinations)
    tree = tree_mod.score_tree(u, rows, off)
    tab = tree_mod.draw_tables(tree, draws, p.spec)
    prefs = lambda Xs, Wc: rb.scores(Xs, Wc, method, sc)           # noqa: E731
    linear = method == "wsm"
    S = len(draws)
    for d, lv in enumerate(tree.levels):
        for node in range(len(lv.row)):
            members = subtree_rows(tree, u, rows, d, node)
            assert members, "a node without combinations"
            nodes, sample = np.full(S, node), np.arange(S)
            bound = tree_mod.node_bounds(tree, d, nodes, sample, tab, p.spec, sc, prefs, W, linear=linear)
            gap = float((exact[:, members].max(1) - bound).max())
            assert np.all(bound[:, None] >= exact[:, members]), (d, node, gap)
            if lv.row[node] >= 0:
                own = tree_mod.node_bounds(tree, d, nodes, sample, tab, p.spec, sc, prefs, W, self_only=True)
                assert np.all(own >= exact[:, lv.row[node]])


@pytest.mark.parametrize("method", ["wsm", "topsis"])
@pytest.mark.parametrize("cons", [0, 1, 2])
def test_the_tree_search_equals_brute_force_over_the_full_set(tmp_path, monkeypatch, method, cons):
    p = build_portfolios(load_catalog(write_catalogue(tmp_path, tiny_changes(), twin_of="b", worse_by=0.5)),
                         constraints=CONSTRAINTS[cons])
    k = 2

    def via_tree(u, cand, W, draw, k, sc, prefs, off, pool, linear, progress=None):
        # one seed per draw: on this small catalogue the default seeds would be every combination, and the bounds
        # would decide nothing
        return tree_mod.tree_top(u, cand, W, draw, k, sc, prefs, off, pool, linear, n_seeds=1, progress=progress)

    monkeypatch.setattr(U, "certified_top", via_tree)
    res = rb.smaa_portfolios(p, 400, seed=7, k=k, method=method, score_uncertainty="triangular")
    places, best, none = brute_force_smaa(p, 400, 7, k, method)
    got = np.zeros_like(places)
    got[res.table.index.to_numpy()] = res.table[[f"rank_{i + 1}" for i in range(k)]].to_numpy()
    np.testing.assert_allclose(got, places, atol=1e-12)
    assert res.no_feasible == none
