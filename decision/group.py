"""The group view: several analysts' weight profiles side by side.

* :func:`aggregate`: one set of group weights. When every profile is AHP, the pairwise judgments are combined
  element-wise by the geometric mean and the AHP weights of that matrix are taken (aggregation of individual
  judgments; the geometric mean is the rule that keeps the group matrix reciprocal, Aczél & Saaty 1983). Otherwise
  the weights themselves are averaged arithmetically (aggregation of individual priorities; Forman & Peniwati 1998).
  Every analyst counts equally.
* :func:`disagreement`: per criterion, each profile's weight and the min, max, spread (max - min) and standard
  deviation (population, ddof=0) across profiles.
* :func:`robust_top`: the combinations in the top k under every profile ("robust across analysts"), ranked on one
  :class:`~decision.portfolios.Portfolios` with :class:`~decision.ranking.Ranker`. Ranks follow the package tie rule
  (equal preferences share the best rank), so a tie at rank k counts as inside the top k.
"""
from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from .errors import DecisionError
from .portfolios import Portfolios
from .profiles import Profile
from .ranking import DEFAULT_METHOD, Ranker, competition_ranks, method_of
from .weights import AHPResult, ahp, direct, pairwise_matrix

RULE_AHP = "geometric mean of the AHP judgments, then AHP weights (all profiles are AHP)"
RULE_MEAN = "arithmetic mean of the profiles' weights"


def _named_weights(profiles, criteria: Sequence[str] | None = None) -> dict[str, pd.Series]:
    """{name: weights} from Profile objects or a mapping {name: weights}; names unique, criteria identical."""
    if isinstance(profiles, Mapping):
        items = [(str(k), v) for k, v in profiles.items()]
    else:
        items = [(p.name, p.weights) for p in profiles]
    if not items:
        raise DecisionError("the group view needs at least one weight profile")
    names = [n for n, _ in items]
    dup = sorted({n for n in names if names.count(n) > 1})
    if dup:
        raise DecisionError(f"profile '{dup[0]}' given twice")
    first = list(criteria) if criteria is not None else list(pd.Series(items[0][1]).index)
    out = {}
    for name, w in items:
        w = pd.Series(w, dtype=float)
        if sorted(w.index) != sorted(first):
            raise DecisionError(f"profile '{name}' weighs {', '.join(map(str, w.index))}; expected "
                                f"{', '.join(first)}")
        out[name] = direct(w.to_dict(), first)
    return out


def aggregate(profiles, criteria: Sequence[str] | None = None) -> tuple[pd.Series, str, AHPResult | None]:
    """Group weights, the rule used (:data:`RULE_AHP` or :data:`RULE_MEAN`) and, for AHP, the group AHP result."""
    named = _named_weights(profiles, criteria)
    crit = list(next(iter(named.values())).index)
    if not isinstance(profiles, Mapping) and all(isinstance(p, Profile) and p.method == "ahp" for p in profiles):
        logs = [np.log(pairwise_matrix(dict(p.inputs["judgments"]), crit).to_numpy()) for p in profiles]
        result = ahp(np.exp(np.mean(logs, axis=0)), crit)
        return result.weights.rename("group"), RULE_AHP, result
    W = pd.DataFrame(named)
    return W.mean(axis=1).rename("group"), RULE_MEAN, None


def disagreement(profiles, criteria: Sequence[str] | None = None) -> pd.DataFrame:
    """Criteria x (one column per profile, then min, max, spread, std), widest spread first."""
    W = pd.DataFrame(_named_weights(profiles, criteria))
    out = W.copy()
    out["min"], out["max"] = W.min(axis=1), W.max(axis=1)
    out["spread"] = out["max"] - out["min"]
    out["std"] = W.std(axis=1, ddof=0)
    out.index.name = "criterion"
    return out.sort_values("spread", ascending=False, kind="stable")


def rank_under(portfolios: Portfolios, profiles, method: str = DEFAULT_METHOD) -> pd.DataFrame:
    """Rank (1 = best, tie rule) of every combination under each profile: N x profiles, columns named by profile."""
    named = _named_weights(profiles, portfolios.criteria)
    ranker = Ranker(portfolios)
    m = method_of(method)
    asc = m.ascending
    cols = {}
    for name, w in named.items():
        if m.is_consensus:
            pref = ranker.consensus(w, top=None).sort_index()["preference"].to_numpy()
        else:
            pref = ranker.preference(w, method)
        cols[name] = competition_ranks(pref, asc)
    return pd.DataFrame(cols, index=pd.RangeIndex(len(portfolios), name="combination"))


def robust_top(portfolios: Portfolios, profiles, top: int = 5, method: str = DEFAULT_METHOD,
               ranks: pd.DataFrame | None = None) -> pd.DataFrame:
    """Combinations ranked within ``top`` under every profile, best worst-case rank first.

    Columns: tool_ids, tools, n_tools, the criterion values, ``rank_<profile>`` for each profile, ``worst_rank`` and
    ``mean_rank``; sorted by worst_rank, then mean_rank, then combination order. Empty when no combination is in
    every top ``top`` (see :func:`closest_to_robust`).
    """
    ranks = rank_under(portfolios, profiles, method) if ranks is None else ranks
    return _rank_frame(portfolios, ranks, ranks.max(axis=1) <= _check_top(top))


def closest_to_robust(portfolios: Portfolios, profiles, n: int = 5, method: str = DEFAULT_METHOD,
                      ranks: pd.DataFrame | None = None) -> pd.DataFrame:
    """The ``n`` combinations with the best worst-case rank across profiles (minimax), as :func:`robust_top`."""
    ranks = rank_under(portfolios, profiles, method) if ranks is None else ranks
    worst = ranks.max(axis=1).to_numpy()
    n = _check_top(n)
    keep = np.zeros(len(ranks), dtype=bool)
    keep[np.lexsort((ranks.mean(axis=1).to_numpy(), worst))[:n]] = True
    return _rank_frame(portfolios, ranks, keep)


def _check_top(top) -> int:
    if isinstance(top, bool) or not isinstance(top, (int, np.integer)) or top < 1:
        raise DecisionError(f"top must be a whole number >= 1, got {top!r}")
    return int(top)


def _rank_frame(portfolios: Portfolios, ranks: pd.DataFrame, keep) -> pd.DataFrame:
    rows = np.flatnonzero(np.asarray(keep))
    sub = ranks.iloc[rows]
    df = portfolios.frame(rows)
    for name in ranks.columns:
        df[f"rank_{name}"] = sub[name].to_numpy()
    df["worst_rank"] = sub.max(axis=1).to_numpy()
    df["mean_rank"] = sub.mean(axis=1).to_numpy()
    order = np.lexsort((rows, df["mean_rank"].to_numpy(), df["worst_rank"].to_numpy()))
    return df.iloc[order]


@dataclass(frozen=True)
class GroupView:
    """What a team of analysts agrees and disagrees on (see module doc)."""
    names: tuple[str, ...]
    weights: pd.DataFrame          # criteria x profiles
    aggregated: pd.Series          # group weights
    rule: str                      # how they were aggregated
    group_ahp: AHPResult | None    # the group AHP result when every profile is AHP
    disagreement: pd.DataFrame
    robust: pd.DataFrame           # in every profile's top k
    closest: pd.DataFrame          # best worst-case rank (shown when ``robust`` is empty)
    top: int
    method: str
    scenario: str


def group_view(portfolios: Portfolios, profiles, top: int = 5, method: str = DEFAULT_METHOD) -> GroupView:
    """Aggregate weights, disagreement table and the combinations robust across analysts, in one call."""
    top = _check_top(top)
    named = _named_weights(profiles, portfolios.criteria)
    agg, rule, res = aggregate(profiles, portfolios.criteria)
    ranks = rank_under(portfolios, profiles, method)
    return GroupView(names=tuple(named), weights=pd.DataFrame(named), aggregated=agg, rule=rule, group_ahp=res,
                     disagreement=disagreement(profiles, portfolios.criteria),
                     robust=robust_top(portfolios, profiles, top, method, ranks),
                     closest=closest_to_robust(portfolios, profiles, top, method, ranks), top=top, method=method,
                     scenario=portfolios.adjusted.scenario.id)
