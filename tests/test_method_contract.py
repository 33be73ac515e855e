"""Every ranking method honours one contract (in the spirit of scikit-learn's ``check_estimator``).

(a) Every registered method, and the consensus pseudo-method, runs through ``Ranker.rank``, ``find_options``, the
robustness entry points that accept it (refused in one line by those that do not) and the briefing content, and each
one's #1 is the best by the method's own preference direction. (b) A method registered under another name gives the
same #1, preferences and option scores as under its own name (callers read the method's fields, never its name).
(c) No module outside ``decision/ranking.py`` compares method names or keeps a table keyed by them (labels, meanings:
those are :class:`~decision.ranking.Method` fields) (allow-list below, each with its reason).
"""
from __future__ import annotations

import dataclasses
import re
from pathlib import Path

import numpy as np
import pytest

import decision
from decision import defaults, ranking, robustness
from decision.briefing import prepare_briefing
from decision.briefing_content import content
from decision.errors import DecisionError
from decision.options import find_options
from decision.ranking import CONSENSUS, METHODS, Ranker, method_of, rank_matrix

from .conftest import TINY

ALL = [*METHODS, CONSENSUS.name]


@pytest.fixture(scope="module")
def tiny_p():
    return decision.build_portfolios(decision.load_catalog(TINY))


def _weights(p):
    return np.linspace(1.0, 2.0, len(p.criteria)) / np.linspace(1.0, 2.0, len(p.criteria)).sum()


def _best_by_direction(pref, ascending):
    p = np.round(np.asarray(pref, float), ranking.DECIMALS)
    return p.min() if ascending else p.max()


# ----------------------------------------------------------------------------------------------------------------
# (a) every method through every entry point

@pytest.mark.parametrize("name", ALL)
def test_rank_first_is_best_by_the_methods_direction(tiny_p, name):
    m = method_of(name)
    df = Ranker(tiny_p).rank(_weights(tiny_p), name, top=None)
    assert len(df) == len(tiny_p)
    pref = df["preference"].to_numpy()
    assert np.round(pref[0], ranking.DECIMALS) == _best_by_direction(pref, m.ascending)
    # the ranks follow the preference in the method's direction (a lower-is-better method sorted ascending)
    key = pref if m.ascending else -pref
    assert np.all(np.diff(np.round(key, ranking.DECIMALS)) >= 0)
    assert df.attrs["method"] == name


@pytest.mark.parametrize("name", ALL)
def test_options_open_with_the_rankings_first(tiny_p, name):
    w = _weights(tiny_p)
    first = tuple(Ranker(tiny_p).rank(w, name, 1)["tool_ids"].iloc[0])
    opts = find_options(tiny_p, w, name, k=3)
    assert tuple(opts.options[0].tools) == first
    scores = [o.score for o in opts.options]
    assert scores[0] == pytest.approx(max(scores))                     # score: higher is better, whatever the method
    assert opts.to_dict()["preference_higher_is_better"] is (not method_of(name).ascending)


@pytest.mark.parametrize("name", ALL)
def test_robustness_accepts_exactly_the_capable_methods(tiny_p, name):
    m = method_of(name)
    w = _weights(tiny_p)
    first = int(Ranker(tiny_p).rank(w, name, 1).index[0])
    if m.portfolio:
        assert robustness.portfolio_stability(tiny_p, w, name).attrs["top_row"] == first
        res = robustness.smaa_portfolios(tiny_p, 200, seed=1, method=name, k=1, weights=w)
        assert res.table.index[0] == first                                # the fixed weights' #1 wins every draw
        assert res.table["first"].iloc[0] == pytest.approx(1.0)
    else:
        with pytest.raises(DecisionError, match="not available here"):
            robustness.portfolio_stability(tiny_p, w, name)
    X = np.array([[8.0, 2.0, 5.0], [5.0, 6.0, 4.0], [2.0, 9.0, 7.0], [4.0, 4.0, 1.0]])
    types = np.array([1, 1, -1])
    wm = np.array([0.5, 0.3, 0.2])
    if m.smaa:
        top = int(rank_matrix(X, wm, types, name)["rank"].to_numpy().argmin())
        assert robustness.stability_intervals(X, wm, types, name).attrs["top_row"] == top
        smaa = robustness.smaa_matrix(X, types, 300, seed=2, method=name)
        assert np.allclose(smaa.rank_acceptability.sum(axis=1), 1.0)
    else:
        with pytest.raises(DecisionError, match="not available here"):
            robustness.smaa_matrix(X, types, 10, method=name)


@pytest.mark.parametrize("name", ALL)
def test_briefing_content_for_every_method(name):
    b = prepare_briefing(catalog=str(TINY), method=name, robustness=False, top=3)
    c = content(b)
    assert c is not None
    p = decision.build_portfolios(decision.load_catalog(TINY))
    first = tuple(Ranker(p).rank(b.ranking.attrs["weights"], name, 1)["tool_ids"].iloc[0])
    assert tuple(b.ranking["tool_ids"].iloc[0]) == first
    assert b.ranking.attrs["method"] == name


# ----------------------------------------------------------------------------------------------------------------
# (b) a method is its fields, not its name

@pytest.mark.parametrize("name", list(METHODS))
def test_a_method_registered_under_another_name_gives_the_same_answer(tiny_p, monkeypatch, name):
    """Before methods carried their fields, SPOTIS under another name got min-max bounds (another #1) and its option
    scores were not inverted (the worst option scored best)."""
    alias = f"{name}_copy"
    monkeypatch.setitem(METHODS, alias, dataclasses.replace(METHODS[name], name=alias))
    w = _weights(tiny_p)
    r = Ranker(tiny_p)
    a, b = r.rank(w, name, top=None), r.rank(w, alias, top=None)
    assert list(a.index) == list(b.index)
    assert np.allclose(a["preference"], b["preference"])
    oa, ob = find_options(tiny_p, w, name, k=3), find_options(tiny_p, w, alias, k=3)
    assert [o.tools for o in oa.options] == [o.tools for o in ob.options]
    assert np.allclose([o.score for o in oa.options], [o.score for o in ob.options])
    assert oa.status_quo.score == pytest.approx(ob.status_quo.score)
    if METHODS[name].portfolio:
        sa, sb = robustness.portfolio_stability(tiny_p, w, name), robustness.portfolio_stability(tiny_p, w, alias)
        assert np.allclose(sa[["low", "high"]], sb[["low", "high"]])


def test_spotis_over_combinations_uses_the_catalogue_scale_as_bounds(bundled, monkeypatch):
    """Independent truth: with the 0-10 scales as bounds, SPOTIS is 1 - the fixed-anchor weighted sum (module doc),
    so SPOTIS and wsm give the same #1 on the bundled catalogue, under any name (before, "spotis_copy" took min-max
    bounds and put leadership engagement first here)."""
    monkeypatch.setitem(METHODS, "spotis_copy", dataclasses.replace(METHODS["spotis"], name="spotis_copy"))
    p = decision.build_portfolios(bundled, max_tools=3)
    w = _weights(p)
    r = Ranker(p)
    wsm_first = int(r.rank(w, "wsm", 1).index[0])
    assert int(r.rank(w, "spotis", 1).index[0]) == wsm_first
    assert int(r.rank(w, "spotis_copy", 1).index[0]) == wsm_first
    assert np.allclose(r.preference(w, "spotis_copy"), r.preference(w, "spotis"))


# ----------------------------------------------------------------------------------------------------------------
# The registry and the names the command line knows without importing numpy agree

def test_command_line_names_match_the_registry():
    assert tuple(defaults.RANKING_METHODS) == tuple(METHODS)
    assert set(defaults.PORTFOLIO_METHODS) == {n for n, m in METHODS.items() if m.portfolio}
    assert tuple(defaults.PORTFOLIO_METHODS) == robustness.PORTFOLIO_METHODS
    assert {n for n, m in METHODS.items() if m.ascending} == set(defaults.LOWER_IS_BETTER)
    assert set(ranking.FAST_METHODS) == {n for n, m in METHODS.items() if m.fast}
    assert all(m.label and m.description for m in [*METHODS.values(), CONSENSUS])
    assert set(CONSENSUS.combines) <= set(METHODS) and CONSENSUS.ascending


def test_unknown_method_is_one_line_naming_the_choices():
    with pytest.raises(DecisionError, match="unknown method 'nope'; choose one of .*consensus"):
        method_of("nope")


# ----------------------------------------------------------------------------------------------------------------
# (c) no method-name comparisons outside the registry

NAMES = "|".join(map(re.escape, ALL))
COMPARISON = re.compile(
    rf"""(==|!=)\s*["']({NAMES})["']"""                      # x == "wsm"
    rf"""|["']({NAMES})["']\s*(==|!=)"""                     # "wsm" == x
    rf"""|\bin\s*[(\[{{]\s*["']({NAMES})["']"""             # x in ("wsm", ...)
    rf"""|["']({NAMES})["']\s*:""")                          # {"wsm": "weighted sum", ...}: a name-keyed table
ALLOWED = {
    # decision.strategy ranks a playbook's courses (not combinations) by its own fixed three methods and prints
    # "wsm" there, where the registry's table label is "sum"; changing it would change stored notebook outputs.
    # These format a header; they decide nothing.
    ("decision/strategy/compare.py", "m.upper() if m != 'wsm' else m"),
    ("decision/strategy/compare.py", "'wsm' if m == 'wsm' else m.upper()"),
    # the same fixed three methods: the courses' wsm ranks are their playbook values (not a label table).
    ("decision/strategy/compare.py", 'ranks = {"wsm": competition_ranks('),
}


def test_no_method_name_comparisons_outside_the_registry():
    root = Path(decision.__file__).parent
    found = []
    for path in sorted(root.rglob("*.py")):
        rel = f"decision/{path.relative_to(root).as_posix()}"
        if rel == "decision/ranking.py":
            continue
        for i, line in enumerate(path.read_text().splitlines(), 1):
            if COMPARISON.search(line) and not any(f == rel and s in line for f, s in ALLOWED):
                found.append(f"{rel}:{i}: {line.strip()}")
    assert not found, "compare a Method's fields, not its name:\n" + "\n".join(found)


def test_the_grep_catches_a_comparison():
    assert COMPARISON.search('    if method == "spotis" and x:')
    assert COMPARISON.search("m = method if method in ('wsm', 'topsis') else d")
    assert not COMPARISON.search('def f(method: str = "wsm"):')
    assert COMPARISON.search('METHOD_NAMES = {"wsm": "weighted sum", "topsis": "TOPSIS"}')
    assert COMPARISON.search('    "vikor": "VIKOR (compromise; cross-check)",')
