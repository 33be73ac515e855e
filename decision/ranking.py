"""Ranking alternatives through pymcdm, a consensus across methods, and fast re-ranking of combinations.

Tie rule (everywhere in ``decision``): preferences are rounded to 12 decimals; equal preferences share the best rank
("competition" ranking 1, 1, 3); in sorted output, tied alternatives keep their input order (for combinations:
fewer tools first, then catalogue order).
"""
from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

import numpy as np
import pandas as pd
from pymcdm import methods as pm
from pymcdm.normalizations import minmax_normalization
from scipy.stats import rankdata

from .errors import DecisionError
from .portfolios import Portfolios, build_portfolios
from .weights import direct, equal

DECIMALS = 12
PROMETHEE_LIMIT = 5000
"""PROMETHEE II needs O(n^2) memory (about 50 bytes x n^2): larger problems are refused."""
SHORTLIST = 2000
"""Combinations that ``Ranker`` passes to PROMETHEE II: the best this many by TOPSIS (same weights)."""


def _topsis(o):
    return pm.TOPSIS(**o)


def _vikor(o):
    return pm.VIKOR(**o)


def _wsm(o):
    return pm.WSM(**{"normalization_function": minmax_normalization, **o})


def _promethee(o):
    return pm.PROMETHEE_II(**{"preference_function": "usual", **o})


@dataclass(frozen=True)
class Method:
    """A pymcdm method: ``make(options, matrix, types)`` builds the pymcdm object; ``ascending`` means a lower
    preference is better (VIKOR's Q, SPOTIS's distance)."""
    name: str
    make: object
    ascending: bool
    description: str


def _spotis(o, matrix, types):
    o = dict(o)
    if "bounds" not in o:
        o["bounds"] = pm.SPOTIS.make_bounds(matrix)
    bounds = np.asarray(o["bounds"], dtype=float)
    if bounds.shape != (matrix.shape[1], 2) or not np.all(bounds[:, 0] < bounds[:, 1]):
        raise DecisionError(f"SPOTIS bounds must be one [min, max] row per criterion with min < max, got "
                            f"{bounds.tolist()}")
    if np.any(matrix < bounds[:, 0] - 1e-12) or np.any(matrix > bounds[:, 1] + 1e-12):
        raise DecisionError("SPOTIS: some values lie outside the given bounds")
    return pm.SPOTIS(**o)


METHODS: dict[str, Method] = {
    "topsis": Method("topsis", lambda o, m, t: _topsis(o), False,
                     "TOPSIS (min-max normalisation): closeness to the ideal, 0-1, higher is better"),
    "vikor": Method("vikor", lambda o, m, t: _vikor(o), True,
                    "VIKOR: compromise index Q, lower is better (option v, default 0.5)"),
    "spotis": Method("spotis", _spotis, True,
                     "SPOTIS: distance to the ideal point within bounds, lower is better"),
    "wsm": Method("wsm", lambda o, m, t: _wsm(o), False,
                  "weighted sum of min-max normalised values, higher is better"),
    "promethee_ii": Method("promethee_ii", lambda o, m, t: _promethee(o), False,
                           "PROMETHEE II net flow, higher is better (O(n^2): shortlists only)"),
}


def check_matrix(matrix, types, criteria=None):
    """Validate an alternatives x criteria table once: finite 2-D numbers and one type (1 benefit, -1 cost) per
    column. Returns ``(X, types, row labels or None, column labels)``."""
    index = matrix.index if isinstance(matrix, pd.DataFrame) else None
    columns = list(matrix.columns) if isinstance(matrix, pd.DataFrame) else None
    try:
        X = np.asarray(matrix, dtype=float)
    except (TypeError, ValueError):
        raise DecisionError("the matrix holds non-numeric values") from None
    if X.ndim != 2 or X.shape[0] < 1 or X.shape[1] < 1:
        raise DecisionError(f"expected a 2-D matrix (alternatives x criteria), got shape {X.shape}")
    bad = np.argwhere(~np.isfinite(X))
    if len(bad):
        r, c = bad[0]
        raise DecisionError(f"matrix value at row {r}, column {columns[c] if columns else c} is {X[r, c]} (expected "
                            "a finite number)")
    t = np.asarray(types)
    if t.shape != (X.shape[1],) or not np.all(np.isin(t, (1, -1))):
        raise DecisionError(f"types must hold one 1 (benefit) or -1 (cost) per criterion, got {np.ravel(t).tolist()}")
    cols = list(criteria) if criteria is not None else (columns or [f"c{j}" for j in range(X.shape[1])])
    return X, t.astype(int), index, cols


def as_weights(weights, criteria) -> np.ndarray:
    """Validated, normalised weights in criterion order: None (equal), a mapping/Series by criterion id, or a
    sequence in criterion order."""
    if weights is None:
        return equal(criteria).to_numpy()
    if isinstance(weights, (dict, pd.Series)):
        return direct(dict(weights), criteria).to_numpy()
    return direct(np.asarray(weights, dtype=object).ravel(), criteria).to_numpy()


def _check_problem(matrix, weights, types):
    """Validate once: matrix and types (:func:`check_matrix`) and weights (:func:`as_weights`)."""
    X, t, index, cols = check_matrix(matrix, types)
    if not isinstance(weights, (dict, pd.Series)) and len(np.ravel(np.asarray(weights, dtype=object))) != X.shape[1]:
        raise DecisionError(f"{len(np.ravel(np.asarray(weights, dtype=object)))} weights for {X.shape[1]} criteria")
    return X, as_weights(weights, cols), t, index


def competition_ranks(pref: np.ndarray, ascending: bool = False) -> np.ndarray:
    """Ranks 1 = best under the tie rule (rounded preferences; ties share the best rank)."""
    p = np.round(np.asarray(pref, dtype=float), DECIMALS)
    return rankdata(p if ascending else -p, method="min").astype(int)


def preference(matrix, weights, types, method: str = "topsis", **options) -> np.ndarray:
    """pymcdm preference values for a validated problem (no ranking). See :func:`rank_matrix`."""
    X, w, t, _ = _check_problem(matrix, weights, types)
    return _pymcdm_preference(X, w, t, method, options)


def _pymcdm_preference(X, w, t, method, options):
    m = _method(method)
    if method == "promethee_ii" and len(X) > PROMETHEE_LIMIT:
        raise DecisionError(f"PROMETHEE II on {len(X):,} alternatives needs about {50 * len(X) ** 2 / 2**30:.0f} GiB "
                            f"(O(n^2)); shortlist to at most {PROMETHEE_LIMIT:,}")
    try:
        obj = m.make(options, X, t)
    except TypeError as exc:
        raise DecisionError(f"{method}: bad option ({exc})") from None
    if method == "vikor":
        const = np.flatnonzero(X.max(0) == X.min(0))
        if len(const):
            raise DecisionError(f"VIKOR cannot rank when criterion {const[0]} has the same value for every "
                                "alternative; drop that criterion or use another method")
    if len(X) == 1:
        return np.zeros(1)
    with np.errstate(invalid="ignore", divide="ignore"):
        pref = np.asarray(obj(X, w, t, validation=False), dtype=float)
    return _finite(pref, method)


def _finite(pref: np.ndarray, method: str) -> np.ndarray:
    if not np.isfinite(pref).all():
        raise DecisionError(f"{method} gives undefined (NaN) preferences here: the alternatives do not differ on "
                            "any criterion with a positive weight; change the weights or the method")
    return pref


def _method(name: str) -> Method:
    try:
        return METHODS[name]
    except KeyError:
        raise DecisionError(f"unknown method '{name}'; choose one of {', '.join(METHODS)}") from None


def rank_matrix(matrix, weights, types, method: str = "topsis", **options) -> pd.DataFrame:
    """Rank any alternatives table through pymcdm.

    ``matrix``: DataFrame or array (alternatives x criteria); ``weights``: one non-negative number per criterion
    (normalised here); ``types``: 1 benefit / -1 cost. pymcdm's own options pass through (``v=`` for VIKOR,
    ``bounds=`` for SPOTIS, ``preference_function=``/``p=``/``q=`` for PROMETHEE II, ``normalization_function=``).
    Returns a DataFrame with ``preference`` (the method's score) and ``rank`` (1 = best; tie rule in module doc),
    in input order.
    """
    X, w, t, index = _check_problem(matrix, weights, types)
    pref = _pymcdm_preference(X, w, t, method, options)
    out = pd.DataFrame({"preference": pref, "rank": competition_ranks(pref, _method(method).ascending)})
    if index is not None:
        out.index = index
    return out


def consensus(ranks: pd.DataFrame, rule: str = "mean_rank") -> pd.DataFrame:
    """Combine rankings (one column of ranks per method, 1 = best) into one.

    ``mean_rank`` (Borda): the mean of the ranks, lower is better. ``copeland``: for each pair, the alternative
    ranked better by a majority of methods wins; score = wins - losses, higher is better (O(n^2): shortlists).
    Returns ``score`` and ``rank`` (tie rule as everywhere).
    """
    R = np.asarray(ranks, dtype=float)
    if rule == "mean_rank":
        score = R.mean(axis=1)
        rank = competition_ranks(score, ascending=True)
    elif rule == "copeland":
        if len(R) > PROMETHEE_LIMIT:
            raise DecisionError(f"Copeland consensus is O(n^2): shortlist to at most {PROMETHEE_LIMIT:,}")
        better = (R[:, None, :] < R[None, :, :]).sum(2)
        worse = (R[:, None, :] > R[None, :, :]).sum(2)
        score = (better > worse).sum(1) - (better < worse).sum(1)
        rank = competition_ranks(score.astype(float))
    else:
        raise DecisionError(f"unknown consensus rule '{rule}'; choose mean_rank or copeland")
    return pd.DataFrame({"score": score, "rank": rank}, index=ranks.index)


# ----------------------------------------------------------------------------------------------------------------
# Fast path: the same numbers as pymcdm's WSM/TOPSIS with min-max normalisation, with the normalisation done once

@dataclass(frozen=True)
class Normalised:
    """Min-max normalised matrix (benefit: (x-min)/(max-min); cost: (max-x)/(max-min); a constant column -> 1, as
    pymcdm), plus the squared terms TOPSIS needs."""
    X: np.ndarray
    constant: np.ndarray
    gap_to_ideal_sq: np.ndarray
    gap_to_anti_sq: np.ndarray


def normalise(matrix, types) -> Normalised:
    X = np.asarray(matrix, dtype=float)
    lo, hi = X.min(0), X.max(0)
    constant = hi == lo
    span = np.where(constant, 1.0, hi - lo)
    Xn = np.where(np.asarray(types) > 0, (X - lo) / span, (hi - X) / span)
    Xn[:, constant] = 1.0
    return Normalised(Xn, constant, (1.0 - Xn) ** 2, Xn ** 2)


def wsm_fast(n: Normalised, w: np.ndarray) -> np.ndarray:
    """Weighted sum of min-max normalised values (pymcdm WSM with minmax_normalization)."""
    return n.X @ w


def topsis_fast(n: Normalised, w: np.ndarray) -> np.ndarray:
    """TOPSIS closeness with min-max normalisation (pymcdm TOPSIS default). With min-max the ideal is ``w`` and the
    anti-ideal 0 on every non-constant column; a constant column is both, so it drops out."""
    w2 = np.where(n.constant, 0.0, w) ** 2
    dp, dm = np.sqrt(n.gap_to_ideal_sq @ w2), np.sqrt(n.gap_to_anti_sq @ w2)
    with np.errstate(invalid="ignore", divide="ignore"):
        return dm / (dm + dp)


FAST_METHODS = {"wsm": wsm_fast, "topsis": topsis_fast}


# ----------------------------------------------------------------------------------------------------------------
# Fast re-ranking of combinations

@dataclass(frozen=True)
class Ranker:
    """Re-ranks the combinations of one :class:`Portfolios` after a weight change, doing per call only what
    depends on the weights: min-max normalisation is done once (cached)."""
    portfolios: Portfolios

    @cached_property
    def normalised(self) -> "Normalised":
        return normalise(self.portfolios.values, self.portfolios.types)

    def preference(self, weights, method: str = "topsis", **options) -> np.ndarray:
        """Preference of every combination (pymcdm semantics; fast path for wsm and topsis with default options)."""
        w = self.weights(weights)
        if method in FAST_METHODS and not options:
            return _finite(FAST_METHODS[method](self.normalised, w), method)
        return _pymcdm_preference(self.portfolios.values, w, self.portfolios.types, method, options)

    def weights(self, weights) -> np.ndarray:
        return as_weights(weights, self.portfolios.criteria)

    def top(self, weights, method: str = "topsis", n: int = 10, **options) -> tuple[np.ndarray, np.ndarray,
                                                                                        np.ndarray]:
        """Rows, preferences and ranks of the ``n`` best combinations, sorted best first (tie rule)."""
        pref = self.preference(weights, method, **options)
        return select_top(pref, n, _method(method).ascending)

    def rank(self, weights, method: str = "topsis", top: int | None = 10, **options) -> pd.DataFrame:
        """Ranked table of the ``top`` best combinations (all with ``top=None``). PROMETHEE II (O(n^2)) ranks a
        shortlist: the :data:`SHORTLIST` best combinations by TOPSIS; ``df.attrs['shortlist']`` says so."""
        if top is not None and (not isinstance(top, (int, np.integer)) or top < 1):
            raise DecisionError(f"top must be a whole number >= 1, got {top!r}")
        if method == "consensus":
            return self.consensus(weights, top=top, **options)
        n = len(self.portfolios) if top is None else top
        if method == "promethee_ii" and len(self.portfolios) > PROMETHEE_LIMIT:
            short, _, _ = self.top(weights, "topsis", SHORTLIST)
            pref = _pymcdm_preference(self.portfolios.values[short], self.weights(weights), self.portfolios.types,
                                      method, options)
            pos, p, rank = select_top(pref, n)
            df = self._table(short[pos], p, rank, method, weights)
            df.attrs["shortlist"] = f"PROMETHEE II net flows among the {len(short):,} best combinations by TOPSIS"
            return df
        rows, pref, rank = self.top(weights, method, n, **options)
        return self._table(rows, pref, rank, method, weights)

    def consensus(self, weights, top: int | None = 10, methods=("topsis", "vikor", "spotis", "wsm")):
        """Mean-rank consensus of ``methods`` over all combinations."""
        ranks = np.column_stack([competition_ranks(self.preference(weights, m), _method(m).ascending)
                                 for m in methods])
        score = ranks.mean(1)
        n = len(self.portfolios) if top is None else top
        rows, s, rank = select_top(score, n, ascending=True)
        return self._table(rows, s, rank, "consensus", weights)

    def _table(self, rows, pref, rank, method, weights) -> pd.DataFrame:
        df = self.portfolios.frame(rows)
        df.insert(0, "rank", rank)
        df["preference"] = pref
        df.attrs.update(method=method, scenario=self.portfolios.adjusted.scenario.id,
                        horizon=self.portfolios.adjusted.horizon,
                        weights=dict(zip(self.portfolios.criteria, self.weights(weights))),
                        n_feasible=len(self.portfolios))
        return df


def select_top(pref: np.ndarray, n: int, ascending: bool = False):
    """Indices, values and competition ranks of the ``n`` best entries of ``pref``, best first; ties keep index
    order. Uses ``argpartition`` (no full sort)."""
    p = np.round(np.asarray(pref, dtype=float), DECIMALS)
    key = p if ascending else -p
    if np.isnan(key).any():
        raise DecisionError("some preferences are NaN (degenerate matrix for this method)")
    n = max(0, min(int(n), len(key)))
    if n == 0:
        return np.zeros(0, int), np.zeros(0), np.zeros(0, int)
    if n < len(key):
        cut = np.partition(key, n - 1)[n - 1]
        cand = np.flatnonzero(key <= cut)         # every tie at the boundary, so the choice is stable
    else:
        cand = np.arange(len(key))
    order = cand[np.lexsort((cand, key[cand]))][:n]
    # competition rank: 1 + number strictly better; everything strictly better than a selected item is selected
    ks = key[order]
    rank = 1 + np.searchsorted(ks, ks, side="left")
    return order, np.asarray(pref, dtype=float)[order], rank


def rank(portfolios: Portfolios, weights=None, method: str = "topsis", top: int | None = 10, **options):
    """Ranked combinations of already built ``portfolios``. For repeated re-ranking keep a :class:`Ranker`."""
    return Ranker(portfolios).rank(weights, method, top, **options)


def rank_portfolios(catalog, scenario=None, weights=None, method: str = "topsis", max_tools: int | None = None,
                    constraints=None, top: int | None = 10, horizon: float | None = None, **options) -> pd.DataFrame:
    """Enumerate the feasible combinations of ``scenario`` and rank them.

    Returns the ``top`` combinations (``None``: all) with ``rank``, ``tool_ids``, ``tools`` (display names),
    ``n_tools``, one column per criterion, and ``preference``. ``df.attrs`` holds method, scenario, weights and the
    number of feasible combinations.
    """
    p = build_portfolios(catalog, scenario, max_tools=max_tools, constraints=constraints, horizon=horizon)
    return Ranker(p).rank(weights, method, top, **options)
