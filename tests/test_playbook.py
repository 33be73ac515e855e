"""`decision plan` (text and JSON contract), the plan figure and opening robustness."""
from __future__ import annotations

import json

import pytest

import decision
from decision.cli import main
from decision.strategy.playbook import make_plan, plan_html, stability_line
from decision.strategy.reactions_file import load_reactions
from decision.strategy.tree import strategy_problem
from decision.strategy.figures import plan_figure, plan_figure_data
from decision.strategy.robustness import opening_stability

from .test_strategy import HAND_WEIGHTS, TINY


def _check_node(node, review, reactions, reviews):
    assert node["review"] == review
    assert set(node) >= {"review", "reaction", "probability", "tools", "values", "flags", "children"}
    if review < reviews:
        kids = [c["reaction"] for c in node["children"]]
        assert kids == [r for r in reactions if r in kids] and set(kids) >= set(reactions) - {"complies"}
        assert sum(c["probability"] for c in node["children"]) == pytest.approx(1, abs=1e-5)
        assert all(c["probability"] > 0 for c in node["children"])       # no branch for what cannot happen
        for c in node["children"]:
            _check_node(c, review + 1, reactions, reviews)
    else:
        assert node["children"] == []


def test_cli_json_follows_the_contract(capsys):
    assert main(["plan", "--scenario", "arms_dependent_client", "--profile", "rights-first", "--reviews", "2",
                 "--format", "json"]) == 0
    d = json.loads(capsys.readouterr().out)
    assert d["scenario"] == "arms_dependent_client" and d["reviews"] == 2 and d["months"] == 12
    assert set(d["expected"]) == set(d["worst"]) == set(d["weights"]) == set(d["root"]["values"])
    assert d["root"]["reaction"] is None and d["root"]["probability"] == 1
    _check_node(d["root"], 0, ["complies", "stalls", "retaliates_minor", "retaliates_major"], 2)


def test_cli_text_is_an_indented_playbook(capsys):
    assert main(["plan", "--catalog", str(TINY), "--scenario", "base", "--weights", "r=.4,s=.2,l=.2,e=.2",
                 "--reviews", "1", "--months", "6", "--max-tools", "1"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("Playbook: base (Base), 6 months, 1 review(s) every 3 months")
    assert "Opening (month 0): Tool A" in out
    assert "  Review 1 (month 3), if the ally stalls (p 0.60): Tool B  (add Tool B; drop Tool A)" in out
    assert "(value 0.585)" in out


def test_cli_switching_credibility_off_shows_the_bluff(capsys):
    assert main(["plan", "--catalog", str(TINY), "--scenario", "base", "--weights", "r=.4,s=.2,l=.2,e=.2",
                 "--reviews", "1", "--months", "6", "--max-tools", "1", "--off", "credibility"]) == 0
    out = capsys.readouterr().out
    assert "[BLUFF]" in out and "[off] credibility" in out


@pytest.mark.parametrize("argv, message", [
    (["plan", "--scenario", "nope"], "unknown scenario 'nope'"),
    (["plan", "--off", "patience"], "unknown principle 'patience'"),
    (["plan", "--reviews", "-1"], "reviews must be a whole number"),
    (["plan", "--profile", "balanced", "--weights", "a=1"], "either --weights or --profile"),
])
def test_cli_user_errors_exit_2_with_one_line(capsys, argv, message):
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert message in err and err.count("\n") == 1


def test_figure_has_one_node_per_decision_point_and_edge_probabilities(tiny):
    plan = make_plan(tiny, "base", HAND_WEIGHTS, reviews=2, months=9, max_tools=1)
    d = plan_figure_data(plan)
    assert len(d["nodes"]) == 1 + 3 + 9 and len(d["edges"]) == 12
    assert [e["probability"] for e in d["edges"][:1]] == pytest.approx([0.2])
    assert {n["x"] for n in d["nodes"]} == {0, 3, 6}
    fig = plan_figure(plan)
    assert fig.layout.xaxis.title.text == "month"
    labels = [t for tr in fig.data if tr.mode == "text" for t in tr.text]
    assert "0.60" in labels and "0.33" in labels           # stalls 0.6 after A; retaliates 1/3 after B


def test_tree_labels_say_what_each_review_changes(tiny):
    # the worked example's plan (docs/strategy.md): opening A; if the ally complies keep A, if it stalls switch to B
    plan = make_plan(tiny, "base", HAND_WEIGHTS, reviews=2, months=9, max_tools=1)
    nodes = plan_figure_data(plan)["nodes"]                      # depth first: root, complies subtree, stalls, ...
    first = {(n["x"], n["label"]) for n in nodes if n["x"] <= 3}
    assert first == {(0, "Opening"), (3, "no change"), (3, "+Tool B −Tool A"), (3, "+Tool C −Tool A")}
    assert "Tool A" in nodes[0]["hover"]                           # the package itself is on hover
    pk = plan_figure(plan).data[-1]
    assert pk.text[0] == "Opening" and pk.textposition[0] == "middle left"
    assert all(t == "" for t, n in zip(pk.text, nodes) if n["x"] > 3)      # deeper reviews: hover only


def test_opening_stability_counts_draws(tiny):
    model = load_reactions(tiny)
    problem = strategy_problem(decision.build_portfolios(tiny, "base", max_tools=1), model, reviews=1, months=6)
    r = opening_stability(problem, HAND_WEIGHTS, n_samples=50, seed=3)
    assert r["opening"] == ("a",)
    assert 0 <= r["weights_same"] <= 1 and 0 <= r["probabilities_same"] <= 1
    assert sum(c for _, c in r["weights_top"]) <= 50
    assert r == opening_stability(problem, HAND_WEIGHTS, n_samples=50, seed=3)     # seeded, reproducible


def test_cli_names_the_principle_that_makes_a_playbook_impossible(capsys):
    # no rung up at all: after retaliation the crisis protocol C (rung 4) can never follow A or B
    assert main(["plan", "--catalog", str(TINY), "--scenario", "base", "--weights", "r=.4,s=.2,l=.2,e=.2",
                 "--reviews", "1", "--months", "6", "--max-tools", "1", "--max-rungs-up", "0"]) == 2
    err = capsys.readouterr().err
    assert "no playbook meets every principle in scenario 'base'" in err
    assert "switching off calibration or de_escalation makes one possible" in err and err.count("\n") == 1


def test_plan_html_escapes_names(tiny_dir):
    tools = tiny_dir / "tools.csv"
    tools.write_text(tools.read_text().replace("Tool A", "<b>Tool A</b>"))
    plan = make_plan(decision.load_catalog(tiny_dir), "base", HAND_WEIGHTS, reviews=1, months=6, max_tools=1)
    out = plan_html(plan)
    assert "&lt;b&gt;Tool A&lt;/b&gt;" in out and "<b>Tool A</b>" not in out
    assert out.count("<li>") == 4


@pytest.mark.browser
def test_plan_figure_and_html_render_offline_in_chromium(tmp_path):
    from .browser_support import chromium
    cat = decision.load_catalog()
    plan = make_plan(cat, "arms_dependent_client", reviews=2)
    page_html = (plan_figure(plan).to_html(include_plotlyjs=True, full_html=False)
                 + f'<div id="playbook">{plan_html(plan)}</div>')
    path = tmp_path / "plan.html"
    path.write_text(f"<!doctype html><html><body>{page_html}</body></html>", encoding="utf-8")
    with chromium() as ctx:
        page = ctx.new_page()
        errors = []
        page.on("pageerror", lambda e: errors.append(str(e)))
        page.route("**/*", lambda r: r.continue_() if r.request.url.startswith(("file:", "data:", "blob:"))
                   else r.abort())
        page.goto(path.as_uri())
        page.wait_for_selector(".plotly .scatterlayer .trace")
        markers = page.eval_on_selector_all(".scatterlayer .trace:last-child .point", "els => els.length")
        assert markers == len(plan.nodes) >= 1 + 3 + 9               # one marker per decision point
        assert page.locator("#playbook li").count() == len(plan.nodes)
        assert "Opening (month 0)" in page.inner_text("#playbook")
        assert errors == []


def test_cli_plan_compares_the_playbook_with_simpler_courses(capsys):
    assert main(["plan", "--scenario", "arms_dependent_client", "--profile", "balanced", "--format", "json"]) == 0
    j = json.loads(capsys.readouterr().out)
    names = [c["name"] for c in j["comparison"]]
    assert names[0] == "Playbook" and names[-1] == "Do nothing new" and "Hold the opening" in names
    assert j["comparison"][0]["value"] == pytest.approx(j["value"])
    assert all(set(c["ranks"]) == {"wsm", "topsis", "vikor"} for c in j["comparison"])
    assert main(["plan", "--scenario", "arms_dependent_client", "--profile", "balanced"]) == 0
    assert "Compared with simpler courses over the same 12 months" in capsys.readouterr().out


def test_opening_stability_covers_the_scores(tiny):
    import numpy as np
    from decision import robustness as rb
    from decision.portfolios import portfolio_values
    from decision.strategy.robustness import score_draws
    p = decision.build_portfolios(tiny, "base")
    problem = strategy_problem(p, load_reactions(tiny), reviews=1, months=6)
    r = opening_stability(problem, HAND_WEIGHTS, n_samples=40, seed=3)
    assert 0 <= r["scores_same"] <= 1 and sum(c for _, c in r["scores_top"]) == 40
    assert r == opening_stability(problem, HAND_WEIGHTS, n_samples=40, seed=3)
    # each draw revalues the tree's packages through the value model with that draw's changes
    q = next(score_draws(problem, 1, np.random.default_rng(0)))
    a = p.adjusted
    S = rb.sample_scores(np.random.default_rng(0), a.low, a.score, a.high, 1)
    v = portfolio_values(p.idx[problem.rows], p.bits[problem.rows], S, p.spec)[0]
    lo, hi = tiny.bounds
    f = p.adjusted.scenario.factors
    for d in (0, 1):                                   # both degraded states: the reaction's effects (+ degraded ties)
        add = problem.model.effects(p.criteria, f) + d * problem.model.degraded_effects(p.criteria, f)
        np.testing.assert_allclose(q.outcomes[:, d], np.clip(v[:, None, :] + add[None], lo, hi))
    assert q.excluded.dtype == bool and len(q.excluded) == len(problem.rows)


def test_opening_stability_counts_draws_without_a_playbook_instead_of_failing():
    # a tight rupture-risk ceiling: in some reaction-probability draws every package's chance of a degrading
    # reaction is above it, so no playbook meets every principle there (decision plan --samples used to abort)
    from dataclasses import replace
    from decision.strategy.robustness import probability_draws
    import numpy as np
    cat = decision.load_catalog()
    model = load_reactions(cat)
    p = decision.build_portfolios(cat, "peripheral_partner", max_tools=3)
    problem = strategy_problem(p, model, reviews=1, months=6,
                               principles=replace(model.principles, max_rupture_risk=0.1))
    r = opening_stability(problem, None, n_samples=30, seed=0)
    # independent recount: the same draws (weights first, then probabilities, from one generator), each solved
    rng = np.random.default_rng(0)
    decision.robustness.sample_weights(30, 4, seed=rng)
    today = problem.opening_row(problem.solve(None))
    solved = [problem.policy(None, q) for q in probability_draws(problem, 30, rng)]
    assert r["probabilities_none"] == sum(s is None for s in solved) > 0
    same = sum(s is not None and problem.opening_row(s) == today for s in solved)
    assert r["probabilities_same"] == same / 30
    assert sum(c for _, c in r["probabilities_top"]) <= 30 - r["probabilities_none"]
    assert "in 2 of them no playbook meets every principle" in stability_line(r)


def test_opening_stability_tool_shares_recount_the_draws_openings(tiny):
    import numpy as np
    from decision.robustness import sample_weights
    p = decision.build_portfolios(tiny, "base")
    problem = strategy_problem(p, load_reactions(tiny), reviews=1, months=6)
    r = opening_stability(problem, HAND_WEIGHTS, n_samples=40, seed=5, scores=False)
    # independent recount of the weight draws (the first draws of the seeded generator)
    W, _ = sample_weights(40, 4, seed=np.random.default_rng(5))
    held = {}
    for w in W:
        for t in p.tools_of(problem.opening_row(problem.solve(w))):
            held[t] = held.get(t, 0) + 1
    shares = {t["tool"]: t["weights"] for t in r["tools"]}
    assert shares == {t: held.get(t, 0) / 40 for t in shares} and set(held) <= set(shares)
    today = [t["tool"] for t in r["tools"] if t["in_opening"]]
    assert tuple(sorted(today)) == tuple(sorted(r["opening"]))
    assert [t["tool"] for t in r["tools"]][:len(today)] == today          # today's tools first
    assert all(0 <= t[k] <= 1 for t in r["tools"] for k in ("weights", "probabilities"))


def test_opening_stability_weight_draws_near_the_analysts_weights(tiny):
    p = decision.build_portfolios(tiny, "base")
    problem = strategy_problem(p, load_reactions(tiny), reviews=1, months=6)
    near = opening_stability(problem, HAND_WEIGHTS, n_samples=30, seed=1, scores=False, weight_center=HAND_WEIGHTS,
                             spread=1e-6)
    assert near["weights_same"] == 1.0 and near["weight_region"] == "within +/- 1e-06 of the weights"
    wide = opening_stability(problem, HAND_WEIGHTS, n_samples=30, seed=1, scores=False)
    assert wide["weight_region"] == "uniform on the simplex" and wide["weights_same"] < 1.0


def test_cli_samples_show_the_weight_region_and_the_tools_of_the_openings(capsys):
    argv = ["plan", "--catalog", str(TINY), "--scenario", "base", "--weights", "r=.4,s=.2,l=.2,e=.2",
            "--reviews", "1", "--months", "6", "--samples", "12"]
    assert main(argv) == 0
    out = capsys.readouterr().out
    assert "Opening package unchanged in 12 draws of each kind: " in out
    assert "of weight draws (within +/- 0.1 of the weights)" in out
    assert "weights    probs   scores" in out and "\n  * Tool A" in out
    assert main(argv + ["--format", "json", "--spread", "0.3"]) == 0
    rob = json.loads(capsys.readouterr().out)["robustness"]
    assert rob["weight_region"] == "within +/- 0.3 of the weights" and rob["n_samples"] == 12
    assert {t["tool"] for t in rob["tools"] if t["in_opening"]} == {"a"}
    assert all(set(t) == {"tool", "name", "in_opening", "weights", "probabilities", "scores"} for t in rob["tools"])


def test_course_score_shares_match_plans_rebuilt_on_each_draws_values(bundled):
    # independent recount: each score draw revalues every package through the value model, the problem's period
    # outcomes are rebuilt from those values, and each course's plan is unfolded again on them (build_plan): its
    # expected values, normalised on the fixed anchors, decide which course is best under the drawn weights
    from dataclasses import replace
    import numpy as np
    from decision.portfolios import portfolio_values, value_masks
    from decision.ranking import normalise
    from decision.robustness import sample_scores, sample_weights
    from decision.strategy.playbook import build_plan
    from decision.strategy.robustness import course_confidence, course_score_shares
    from decision.strategy.tree import period_outcomes
    p = decision.build_portfolios(bundled, "peripheral_partner", max_tools=4)
    problem = strategy_problem(p, load_reactions(bundled), reviews=2, months=9)
    w = problem.weights(None)
    policy = problem.solve(w)
    q0 = problem.opening_values(policy)
    first = problem.opening_row(policy)
    order = [int(r) for r in np.argsort(-np.round(q0, 12), kind="stable") if np.isfinite(q0[r]) and r != first]
    rows = [first, *order[:5]]
    plans = [build_plan(problem, policy, w, opening=r) for r in rows]
    cost = np.array([bundled.model.effort_cost * sum(n.reach * n.effort for n in pl.nodes) / (pl.reviews + 1)
                     for pl in plans])
    n = 12
    both, alone = course_score_shares(problem, plans, cost, w, 0.1, n, seed=4)
    rng = np.random.default_rng(4)
    W, _ = sample_weights(n, 4, seed=rng, weight_center=w, spread=0.1, criteria=bundled.criterion_ids)
    S = sample_scores(rng, p.adjusted.low, p.adjusted.score, p.adjusted.high, n)
    factors = p.adjusted.scenario.factors
    wins = np.zeros(2)
    for d in range(n):
        v = portfolio_values(p.idx[problem.rows], p.bits[problem.rows], S[d:d + 1], p.spec)[0]
        out = np.stack([period_outcomes(v, problem.model, bundled, factors, degraded=bool(g)) for g in (0, 1)], 1)
        q = replace(problem, outcomes=out)
        E = np.array([[build_plan(q, policy, w, opening=r).expected[c] for c in bundled.criterion_ids]
                      for r in rows])
        Xn = normalise(E, bundled.types, bundled.bounds).X
        at = [int(np.flatnonzero(problem.rows == r)[0]) for r in rows]
        ext = np.concatenate([S[d], np.full((1, 4), np.nan)])
        idx = p.idx[rows]
        ok = np.ones(len(rows), dtype=bool)
        for m in value_masks(p.bits[rows], v[at], p.setting, idx=idx, score=ext[idx.astype(np.intp)]).values():
            ok &= m
        for i, wd in enumerate((W[d], w)):
            U = np.where(ok, Xn @ wd - cost, -np.inf)
            wins[i] += ok[0] and U[0] >= U.max() - 1e-9
    assert 0 < wins.sum() < 2 * n                                 # some draws won, some lost: a real test
    assert (both, alone) == pytest.approx(tuple(wins / n))
    cc = course_confidence(problem, None, samples=200, seed=4, n_courses=6, score_samples=n)
    assert cc.score_draws == n and 0 <= cc.with_scores <= 1 and 0 <= cc.scores_only <= 1
    assert course_confidence(problem, None, samples=200, seed=4, n_courses=6).with_scores is None
