"""Experiment (issue 20): do bounds on groups of combinations prune the exact score SMAA? Not used by the package.

For ``--draws`` draws of the weights and the tool scores (bundled catalogue, default scenario, wsm, k = 10) it values
every candidate combination exactly to find each draw's true 10th-best feasible preference, then counts how many
combinations' own caps (:class:`decision.uncertainty.Caps`) reach it, and how many combinations a group bound leaves
to cap: combinations grouped by their first 3, 4 or 5 tools (in tool order), each group capped by its mean coefficient
vector plus the largest deviation of a member's coefficient times the feature's absolute value (checked >= every
member's cap); and a per-tool Lipschitz bound (a combination's point preference plus, for each member, the weighted
rise of its changes in the draw: one change moves its criterion by at most its own size, docs/robustness.md).
And a low-rank bound: the caps' coefficient matrix projected on its leading r singular vectors, plus each
combination's residual norm times the draw's feature norm (Cauchy-Schwarz). Figures and the conclusion:
docs/performance.md ("Issue 20, third look").

    .venv/bin/python benchmarks/bench_group_bounds.py [--draws 16] [--seed 3]
"""
from __future__ import annotations

import argparse

import numpy as np

from decision import build_portfolios, load_catalog
from decision import robustness as rb
from decision.portfolios import portfolio_values, value_masks


def true_thresholds(s, draws, W, k):
    """(S,) each draw's k-th best feasible preference over every candidate, valued exactly."""
    up, st = s.u.portfolios, s.u.portfolios.setting
    idx, bits = up.idx[s.cand], up.bits[s.cand]
    off = s.off[s.cand]
    out = np.empty(len(draws))
    for i, d in enumerate(draws):
        v = portfolio_values(idx, bits, d, st.spec)
        ext = np.concatenate([d, np.full((1, d.shape[1]), np.nan)])
        ok = np.ones(len(idx), dtype=bool)
        for m in value_masks(bits, v, st, idx=idx, score=ext[idx.astype(np.intp)]).values():
            ok &= m
        R = np.where(ok, np.clip(s.scaling(v), 0, 1) @ W[i] - off, -np.inf)
        out[i] = np.sort(R)[-k]
    return out


def lipschitz(s, draws, W, tau):
    """Per draw, the candidates whose point preference plus their members' rises reaches ``tau`` (sorted counts)."""
    up, spec, a = s.u.portfolios, s.u.portfolios.setting.spec, s.u.portfolios.adjusted
    idx = up.idx[s.cand]
    T = len(a.score)
    span, d = spec.hi - spec.lo, spec.direction
    q0 = np.where(d > 0, spec.status_quo - spec.lo, spec.hi - spec.status_quo) / span
    g0, h0 = np.clip(a.score * d / span, 0, 1), np.clip(-a.score * d / span, 0, 1)
    U0 = W @ np.clip(s.scaling(up.values[s.cand]), 0, 1).T - s.off[s.cand][None]
    out = []
    for i, x in enumerate(draws):
        g, h = np.clip(x * d / span, 0, 1), np.clip(-x * d / span, 0, 1)
        rise = (np.clip(g - g0, 0, None) + q0 * np.clip(h0 - h, 0, None)) @ W[i]          # (T,) per tool
        cap = U0[i] + np.concatenate([rise, [0.0]])[idx].sum(1)
        out.append(int((cap >= tau[i]).sum()))
    return sorted(out)


def low_rank(L, right, caps, tau, ranks=(20, 40, 80)):
    """Median number of candidates whose rank-r bound reaches the threshold, for each r."""
    ev, V = np.linalg.eigh(L @ L.T)
    V = V[:, ::-1]
    out = {}
    for r in ranks:
        P = V[:, :r]
        C = P.T @ L
        err = np.linalg.norm(L - P @ C, axis=0)
        bound = (right.T @ P) @ C + np.linalg.norm(right, axis=0)[:, None] * err[None] + 1e-9
        assert (bound >= caps - 1e-9).all(), "the low-rank bound is below a cap"
        out[r] = int(np.median((bound >= tau[:, None]).sum(1)))
    return out


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--draws", type=int, default=16)
    ap.add_argument("--seed", type=int, default=3)
    args = ap.parse_args()
    p = build_portfolios(load_catalog())
    s = rb.score_setup(p, 10, "wsm")
    a, b = s.u.portfolios.adjusted, s.caps
    rng = np.random.default_rng(args.seed)
    W, _ = rb.sample_weights(args.draws, len(p.criteria), rng, criteria=p.criteria)
    draws = rb.sample_scores(rng, a.low, a.score, a.high, args.draws, "triangular")
    tau = true_thresholds(s, draws, W, 10)
    F = b.features(draws)
    crit = np.array([j for j, _, _ in b.cols], dtype=int)
    right = np.vstack([W.T, np.ones((1, len(W))), F * W.T[crit]])          # as Caps.wsm builds it, in float64
    L = b.left_t.astype(float)
    caps = right.T @ L
    print(f"{len(s.cand):,} candidates, {L.shape[0]} features; own caps reaching the true threshold per draw: "
          f"{sorted((caps >= tau[:, None]).sum(1).tolist())}")
    idx = np.sort(s.u.portfolios.idx[s.cand], axis=1)
    T = len(a.score)
    print(f"low-rank bound: combinations reaching the true threshold (median) by rank: {low_rank(L, right, caps, tau)}")
    print(f"per-tool Lipschitz bound: combinations reaching the true threshold per draw: {lipschitz(s, draws, W, tau)}")
    for depth in (3, 4, 5):
        key = np.zeros(len(idx), dtype=np.int64)
        for c in range(depth):
            key = key * (T + 1) + idx[:, c]
        _, inv = np.unique(key, return_inverse=True)
        G = inv.max() + 1
        mean = np.zeros((L.shape[0], G))
        np.add.at(mean.T, inv, L.T)
        mean /= np.bincount(inv, minlength=G)[None]
        dev = np.zeros((L.shape[0], G))
        np.maximum.at(dev.T, inv, np.abs(L - mean[:, inv]).T)
        cap_g = right.T @ mean + np.abs(right).T @ dev + 1e-9
        assert (cap_g[:, inv] >= caps - 1e-9).all(), "the group bound is below a member's cap"
        passing = cap_g >= tau[:, None]
        print(f"groups by the first {depth} tools: {G:,}; passing per draw (median) {np.median(passing.sum(1)):,.0f}; "
              f"combinations left to cap (median) {np.median(passing[:, inv].sum(1)):,.0f} of {len(s.cand):,}")


if __name__ == "__main__":
    main()
