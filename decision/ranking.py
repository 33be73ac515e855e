"""Ranking alternatives through pymcdm, a consensus across methods, and fast re-ranking of combinations.

Default method: ``wsm`` over combinations is the additive value on **fixed anchors**: each criterion is scaled on
its catalogue scale (0-10), not min-max over the candidate set, so a preference is a value in [0, 1] that does not
move when alternatives are added or dropped (no rank reversal), the status quo sits at a fixed point, and the same
value function rolls back over time (decision.strategy). It equals 1 - SPOTIS with the scale as bounds, so SPOTIS
adds no information here. TOPSIS and VIKOR (min-max over the set, the status quo included) are cross-checks.

Methods are objects: :data:`METHODS` maps a name to a :class:`Method` that carries its score direction, table label,
formula family (vectorised fast path), default options over combinations, 0-1 score, and which analyses accept it;
``consensus`` is the pseudo-method :data:`CONSENSUS` (a mean rank, not in :data:`METHODS`), found by
:func:`method_of`. Every other module reads those fields; adding a method is one entry here and its tests
(tests/test_method_contract.py runs every method through rank, options, robustness and the briefing, and fails on a
method-name comparison outside this module).

Tie rule (everywhere in ``decision``): preferences are rounded to 12 decimals; equal preferences share the best rank
("competition" ranking 1, 1, 3); in sorted output, tied combinations are ordered by less effort, then fewer tools,
then catalogue order. "Statistically tied" (a weaker notion, reported beside rankings): a change of at most
``TIE_DELTA`` in one weight (others rescaled proportionally) puts the other combination first.
"""
from __future__ import annotations

import sys
from dataclasses import dataclass
from functools import cached_property
from typing import TYPE_CHECKING

import numpy as np

from .defaults import DEFAULT_METHOD, TIE_DELTA
from .errors import DecisionError
from .kernel import closeness, minmax, minmax_range, squared_gaps
from .portfolios import Portfolios, build_portfolios
from .weights import weight_array, weight_shifts

if TYPE_CHECKING:
    import pandas as pd

DECIMALS = 12
# DEFAULT_METHOD: the one default method of rank, robustness, options, plans, the dashboard and the briefing (see
# module doc); defined in decision.defaults with the method names, so the command line knows them without numpy.
# TIE_DELTA (decision.defaults): weight change (absolute, one criterion, others rescaled) within which two
# combinations count as tied.
CROSS_CHECK = ("wsm", "topsis", "vikor")
PROMETHEE_LIMIT = 5000
"""PROMETHEE II needs O(n^2) memory (about 50 bytes x n^2): larger problems are refused."""
SHORTLIST = 2000
"""Combinations that ``Ranker`` passes to PROMETHEE II: the best this many by TOPSIS (same weights)."""


def _pm():
    """pymcdm's methods, imported on first use: pymcdm imports scipy.stats and matplotlib (about a second), which
    the default method and the vectorised cross-checks (:data:`FAST_METHODS`) do without."""
    from pymcdm import methods  # noqa: PLC0415
    return methods


def _topsis(o):
    return _pm().TOPSIS(**o)


def _vikor(o):
    return _pm().VIKOR(**o)


def _wsm(o):
    from pymcdm.normalizations import minmax_normalization  # noqa: PLC0415
    return _pm().WSM(**{"normalization_function": minmax_normalization, **o})


def _promethee(o):
    return _pm().PROMETHEE_II(**{"preference_function": "usual", **o})


ADDITIVE, CLOSENESS, COMPROMISE = "additive", "closeness", "compromise"
"""The formula families the vectorised code (here, :mod:`decision.robustness`, :mod:`decision.options`) implements:
a weighted sum, TOPSIS closeness with min-max scaling, VIKOR's compromise index. A method names its family in
:attr:`Method.kernel`; code branches on the family, never on a method's name."""


def _same(pref):
    return pref


def _one_minus(pref):
    return 1 - pref


def _half_flow(pref):
    return (1 + pref) / 2


def _scale_bounds(catalog) -> dict:
    """SPOTIS over combinations: the catalogue's 0-10 scales as bounds (then 1 - SPOTIS is the fixed-anchor wsm)."""
    return {"bounds": np.column_stack(catalog.bounds)}


@dataclass(frozen=True)
class Method:
    """A ranking method, with everything callers need to know about it (callers read these fields and never compare
    a method's name, so registering a method under another name changes nothing but the name).

    ``make(options, matrix, types)`` builds the pymcdm object (None for the consensus pseudo-method);
    ``ascending``: a lower preference is better (VIKOR's Q, SPOTIS's distance, the consensus mean rank);
    ``label``: short name for table headers; ``kernel``: the formula family (:data:`ADDITIVE`, :data:`CLOSENESS`,
    :data:`COMPROMISE`) whose vectorised fast path gives pymcdm's numbers with default options, None if pymcdm only;
    ``anchored``: over combinations the preference is the additive value on the fixed catalogue scales (takes no
    options); ``fixed_scale``: over combinations each criterion is scaled on its fixed catalogue scale, so adding or
    removing other combinations never re-orders these (wsm; SPOTIS with its default bounds); ``defaults(catalog)``:
    the options used over combinations when the caller gives none (SPOTIS: the catalogue scale as bounds);
    ``score``: native preference -> a 0-1 score, higher is better (options' table);
    ``smaa``: :func:`decision.robustness.smaa_matrix`, ``weight_sweep`` and ``stability_intervals`` accept it;
    ``portfolio``: the robustness analyses over combinations, the exact tie marks and the weight moves of options
    and advice accept it (a per-criterion linear scale exists: wsm and TOPSIS formulas); ``shortlist``: O(n^2),
    ranks at most :data:`PROMETHEE_LIMIT` alternatives, over combinations a TOPSIS shortlist of :data:`SHORTLIST`;
    ``combines``: for the consensus pseudo-method, the methods whose ranks it averages (empty otherwise);
    ``words``: the method in prose (briefing, memo); ``meaning``: what its preference column holds (the command
    line's tables); ``menu``: its entry in the dashboard's method menu (empty: not offered there)."""
    name: str
    make: object
    ascending: bool
    description: str
    label: str = ""
    kernel: str | None = None
    anchored: bool = False
    fixed_scale: bool = False
    defaults: object = None
    score: object = _same
    smaa: bool = False
    portfolio: bool = False
    shortlist: bool = False
    combines: tuple = ()
    words: str = ""
    meaning: str = ""
    menu: str = ""

    @property
    def fast(self) -> bool:
        """A vectorised fast path exists (default options only)."""
        return self.kernel is not None

    @property
    def is_consensus(self) -> bool:
        return bool(self.combines)

    def options_for(self, catalog, options: dict) -> dict:
        """``options`` with the method's defaults over combinations of ``catalog`` filled in."""
        return {**self.defaults(catalog), **options} if self.defaults is not None else options


def _spotis(o, matrix, types):
    o = dict(o)
    pm = _pm()
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
                     "TOPSIS (min-max normalisation): closeness to the ideal, 0-1, higher is better",
                     label="TOPSIS", kernel=CLOSENESS, smaa=True, portfolio=True, words="TOPSIS",
                     meaning="TOPSIS closeness to the ideal (0-1) less the effort cost",
                     menu="TOPSIS (closeness to the ideal; cross-check)"),
    "vikor": Method("vikor", lambda o, m, t: _vikor(o), True,
                    "VIKOR: compromise index Q, lower is better (option v, default 0.5)",
                    label="VIKOR", kernel=COMPROMISE, score=_one_minus, smaa=True, words="VIKOR",
                    meaning="VIKOR compromise index Q plus the effort cost", menu="VIKOR (compromise; cross-check)"),
    "spotis": Method("spotis", _spotis, True,
                     "SPOTIS: distance to the ideal point within bounds, lower is better (over combinations: the "
                     "scale as bounds, the same ranking as wsm)",
                     label="SPOTIS", fixed_scale=True, defaults=_scale_bounds, score=_one_minus, words="SPOTIS",
                     meaning="SPOTIS distance to the ideal plus the effort cost",
                     menu="SPOTIS (same ranking as the weighted sum here)"),
    "wsm": Method("wsm", lambda o, m, t: _wsm(o), False,
                  "weighted sum; over combinations the additive value on the fixed 0-10 scales (default), "
                  "higher is better",
                  label="sum", kernel=ADDITIVE, anchored=True, fixed_scale=True, smaa=True, portfolio=True,
                  words="weighted sum on fixed 0-10 anchors",
                  meaning="additive value on the fixed 0-10 anchors (0-1) less the effort cost",
                  menu="Weighted sum on fixed 0-10 anchors"),
    "promethee_ii": Method("promethee_ii", lambda o, m, t: _promethee(o), False,
                           "PROMETHEE II net flow, higher is better (O(n^2): shortlists only)",
                           label="PROMETHEE II", score=_half_flow, shortlist=True, words="PROMETHEE II",
                           meaning="PROMETHEE II net flow"),
}
"""The registered pymcdm methods. Adding a method is one entry here (and its tests): every caller reads the fields."""

CONSENSUS = Method("consensus", None, True, "mean rank under TOPSIS, VIKOR and wsm, lower is better",
                   label="consensus", score=None, combines=("topsis", "vikor", "wsm"),
                   words="consensus of three methods", meaning="mean rank under TOPSIS, VIKOR and wsm",
                   menu="Consensus of wsm, TOPSIS and VIKOR (slower)")
"""The consensus pseudo-method: not a pymcdm method (so not in :data:`METHODS`, not accepted by :func:`rank_matrix`),
but accepted wherever combinations are ranked by name (``Ranker.rank``, options, briefing, dashboard). Its
preference is the mean competition rank of :attr:`Method.combines` (lower is better); its 0-1 score depends on the
number of combinations (:func:`decision.options.consensus_score`), hence ``score=None``."""


def method_of(name: str, consensus: bool = True) -> Method:
    """The :class:`Method` registered as ``name`` (the consensus pseudo-method too unless ``consensus=False``); a
    one-line :class:`DecisionError` naming the choices otherwise."""
    if consensus and name == CONSENSUS.name:
        return CONSENSUS
    if consensus and name not in METHODS:
        raise DecisionError(f"unknown method '{name}'; choose one of {', '.join([*METHODS, CONSENSUS.name])}")
    return _method(name)


def check_matrix(matrix, types, criteria=None):
    """Validate an alternatives x criteria table once: finite 2-D numbers and one type (1 benefit, -1 cost) per
    column. Returns ``(X, types, row labels or None, column labels)``."""
    index = matrix.index if _is_pandas(matrix, "DataFrame") else None
    columns = list(matrix.columns) if _is_pandas(matrix, "DataFrame") else None
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


def _is_pandas(obj, kind: str) -> bool:
    """``isinstance(obj, pandas.<kind>)`` without importing pandas: nothing is a DataFrame or a Series while pandas is
    not loaded (the command line ranks without it: docs/performance.md, "Command line")."""
    pd = sys.modules.get("pandas")
    return pd is not None and isinstance(obj, getattr(pd, kind))


def _by_criterion(weights) -> bool:
    """Weights keyed by criterion id: a dict or a pandas Series."""
    return isinstance(weights, dict) or _is_pandas(weights, "Series")


def as_weights(weights, criteria) -> np.ndarray:
    """Validated, normalised weights in criterion order: None (equal), a mapping/Series by criterion id, or a
    sequence in criterion order (:func:`decision.weights.direct`'s numbers)."""
    if weights is None:
        return weight_array([1.0] * len(criteria), criteria)            # decision.weights.equal
    if _by_criterion(weights):
        return weight_array(dict(weights), criteria)
    return weight_array(np.asarray(weights, dtype=object).ravel(), criteria)


def _check_problem(matrix, weights, types):
    """Validate once: matrix and types (:func:`check_matrix`) and weights (:func:`as_weights`)."""
    X, t, index, cols = check_matrix(matrix, types)
    if not _by_criterion(weights) and len(np.ravel(np.asarray(weights, dtype=object))) != X.shape[1]:
        raise DecisionError(f"{len(np.ravel(np.asarray(weights, dtype=object)))} weights for {X.shape[1]} criteria")
    return X, as_weights(weights, cols), t, index


def competition_ranks(pref: np.ndarray, ascending: bool = False) -> np.ndarray:
    """Ranks 1 = best under the tie rule (rounded preferences; ties share the best rank)."""
    p = np.round(np.asarray(pref, dtype=float), DECIMALS)
    key = p if ascending else -p
    return np.searchsorted(np.sort(key), key, side="left") + 1      # 1 + the number strictly better


def preference(matrix, weights, types, method: str = "topsis", **options) -> np.ndarray:
    """pymcdm preference values for a validated problem (no ranking). See :func:`rank_matrix`."""
    X, w, t, _ = _check_problem(matrix, weights, types)
    return _pymcdm_preference(X, w, t, method, options)


def _pymcdm_preference(X, w, t, method, options):
    m = _method(method)
    if m.shortlist and len(X) > PROMETHEE_LIMIT:
        raise DecisionError(f"{m.label} on {len(X):,} alternatives needs about {50 * len(X) ** 2 / 2**30:.0f} GiB "
                            f"(O(n^2)); shortlist to at most {PROMETHEE_LIMIT:,}")
    try:
        obj = m.make(options, X, t)
    except TypeError as exc:
        raise DecisionError(f"{method}: bad option ({exc})") from None
    if m.kernel == COMPROMISE:
        _vikor_defined(X.max(0) == X.min(0))
    if len(X) == 1:
        return np.zeros(1)
    with np.errstate(invalid="ignore", divide="ignore"):
        pref = np.asarray(obj(X, w, t, validation=False), dtype=float)
    return _finite(pref, method)


def _vikor_defined(constant: np.ndarray) -> None:
    const = np.flatnonzero(constant)
    if len(const):
        raise DecisionError(f"VIKOR cannot rank when criterion {const[0]} has the same value for every "
                            "alternative; drop that criterion or use another method")


def _finite(pref: np.ndarray, method: str) -> np.ndarray:
    if not np.isfinite(pref).all():
        raise DecisionError(f"{method} gives undefined (NaN) preferences here: its formula divides by a spread that "
                            "is zero (a criterion with the same value for every alternative, or alternatives that "
                            "tie on what it compares); change the weights or the method")
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
    import pandas as pd  # noqa: PLC0415
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
    import pandas as pd  # noqa: PLC0415
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
# Fast path: the same numbers as pymcdm's WSM/TOPSIS with min-max normalisation and its default VIKOR, with the
# normalisation done once (and without importing pymcdm)

@dataclass(frozen=True)
class Normalised:
    """Min-max normalised matrix (benefit: (x-min)/(max-min); cost: (max-x)/(max-min); a constant column -> 1, as
    pymcdm), the squared terms TOPSIS needs and each value's shortfall from the column's best, as a share of the
    column's range (VIKOR's ``(f* - f) / (f* - f-)``)."""
    X: np.ndarray
    constant: np.ndarray
    gap_to_ideal_sq: np.ndarray
    gap_to_anti_sq: np.ndarray
    shortfall: np.ndarray


def normalise(matrix, types, bounds=None) -> Normalised:
    """Min-max over the rows, or over fixed ``bounds`` = (lo, hi) per criterion (the fixed-anchor value scale):
    :func:`decision.kernel.minmax`; the shortfall is the same scaling with the direction reversed (0 on a constant
    column, which VIKOR refuses)."""
    X = np.asarray(matrix, dtype=float)
    lo, hi = minmax_range(X, bounds)
    constant = hi == lo
    Xn = minmax(X, types, lo, hi)
    short = np.where(constant, 0.0, minmax(X, -np.asarray(types), lo, hi))
    return Normalised(Xn, constant, *squared_gaps(Xn), short)


def wsm_fast(n: Normalised, w: np.ndarray) -> np.ndarray:
    """Weighted sum of min-max normalised values (pymcdm WSM with minmax_normalization)."""
    return n.X @ w


def topsis_fast(n: Normalised, w: np.ndarray) -> np.ndarray:
    """TOPSIS closeness with min-max normalisation (pymcdm TOPSIS default). With min-max the ideal is ``w`` and the
    anti-ideal 0 on every non-constant column; a constant column is both, so it drops out."""
    return closeness(n.gap_to_ideal_sq, n.gap_to_anti_sq, w, live=~n.constant)


def vikor_fast(n: Normalised, w: np.ndarray, v: float = 0.5) -> np.ndarray:
    """VIKOR's compromise index Q (lower is better), as pymcdm's VIKOR with its default options (Opricovic &
    Tzeng 2004): S = sum and R = max of the weighted shortfalls, Q = v (S - S*)/(S- - S*) + (1-v) (R - R*)/(R- - R*).
    A constant column is refused, as by pymcdm; NaN where every S or every R is equal."""
    _vikor_defined(n.constant)
    G = n.shortfall * w
    S, R = G.sum(axis=1), G[:, 0].copy()
    for j in range(1, G.shape[1]):                 # per criterion: a max over 4 numbers per row is 10x slower
        np.maximum(R, G[:, j], out=R)
    with np.errstate(invalid="ignore", divide="ignore"):
        return v * (S - S.min()) / (S.max() - S.min()) + (1 - v) * (R - R.min()) / (R.max() - R.min())


KERNELS = {ADDITIVE: wsm_fast, CLOSENESS: topsis_fast, COMPROMISE: vikor_fast}
"""The vectorised formula of each :attr:`Method.kernel`."""
FAST_METHODS = {name: KERNELS[m.kernel] for name, m in METHODS.items() if m.fast}
"""Vectorised equivalents of pymcdm's methods with their default options (tests/test_ranking.py checks they agree)."""


def additive_value(values, weights, catalog) -> np.ndarray:
    """Fixed-anchor additive value in [0, 1] (higher is better) of criterion ``values`` (N x C or C,): each criterion
    scaled on its catalogue scale (costs reversed), weighted by normalised ``weights``."""
    X = np.atleast_2d(np.asarray(values, dtype=float))
    w = as_weights(weights, catalog.criterion_ids)
    v = wsm_fast(normalise(X, catalog.types, catalog.bounds), w)
    return v if np.ndim(values) == 2 else v[0]


# ----------------------------------------------------------------------------------------------------------------
# Fast re-ranking of combinations

@dataclass(frozen=True)
class Ranked:
    """A ranked table of combinations without pandas: the combination ``rows`` of ``portfolios`` best first, their
    ``preference`` and competition ``rank``, and ``attrs`` (method, scenario, weights, status quo, floor, ...).
    :meth:`frame` is the DataFrame :meth:`Ranker.rank` returns; :meth:`records` its rows as dicts. The command line
    prints a ranking from this, so ``decision rank`` never imports pandas (docs/performance.md, "Command line")."""
    portfolios: Portfolios
    rows: np.ndarray
    preference: np.ndarray
    rank: np.ndarray
    attrs: dict

    def __len__(self) -> int:
        return len(self.rows)

    def records(self) -> list[dict]:
        """One dict per row, keyed as :meth:`frame`'s columns (``combination`` for its index)."""
        p = self.portfolios
        labels = p.labels(self.rows)
        return [{"combination": int(r), "rank": int(k), "tool_ids": p.tools_of(r), "tools": label,
                 "n_tools": int(p.n_tools[r]), "effort": float(p.effort[r]),
                 **{c: float(v) for c, v in zip(p.criteria, p.values[r])}, "preference": float(pref)}
                for r, k, label, pref in zip(self.rows, self.rank, labels, self.preference)]

    def frame(self) -> pd.DataFrame:
        """The table as a DataFrame indexed by combination row: ``rank``, ``tool_ids``, ``tools``, ``n_tools``,
        ``effort``, one column per criterion, ``preference``; ``attrs`` as :attr:`attrs`."""
        df = self.portfolios.frame(self.rows)
        df.insert(0, "rank", self.rank)
        df["preference"] = self.preference
        df.attrs.update(self.attrs)
        return df


@dataclass(frozen=True)
class Ranker:
    """Re-ranks the combinations of one :class:`Portfolios` after a weight change, doing per call only what
    depends on the weights: normalisation is done once (cached). The status quo ("do nothing new") is ranked with
    the combinations (it takes part in TOPSIS/VIKOR normalisation) but is never returned as a recommendation."""
    portfolios: Portfolios

    @cached_property
    def matrix(self) -> np.ndarray:
        """(N + 1) x C: the combinations, then the status quo."""
        return np.vstack([self.portfolios.values, self.portfolios.status_quo[None, :]])

    @cached_property
    def normalised(self) -> "Normalised":
        return normalise(self.matrix, self.portfolios.types)

    @cached_property
    def anchored(self) -> "Normalised":
        return normalise(self.matrix, self.portfolios.types, self.portfolios.catalog.bounds)

    @cached_property
    def effort_cost(self) -> np.ndarray:
        """(N + 1,) effort cost in preference units (``model.yaml`` effort_cost x effort; 0 for the status quo)."""
        return self.portfolios.catalog.model.effort_cost * np.append(self.portfolios.effort, 0.0)

    def _all(self, weights, method: str, options: dict) -> np.ndarray:
        """Net preference of every combination and the status quo: the method's score less the effort cost (plus
        it for methods where lower is better)."""
        w = self.weights(weights)
        m = _method(method)
        if m.anchored:
            if options:
                raise DecisionError(f"{method} over combinations takes no options (fixed-anchor additive value)")
            raw = wsm_fast(self.anchored, w)
        else:
            options = m.options_for(self.portfolios.catalog, options)
            if m.fast and not options:
                raw = _finite(KERNELS[m.kernel](self.normalised, w), method)
            else:
                raw = _pymcdm_preference(self.matrix, w, self.portfolios.types, method, options)
        return raw + self.effort_cost if m.ascending else raw - self.effort_cost

    def preference(self, weights, method: str = DEFAULT_METHOD, **options) -> np.ndarray:
        """Preference of every combination (pymcdm semantics; ``wsm`` on fixed anchors)."""
        return self._all(weights, method, options)[:-1]

    def status_quo_preference(self, weights, method: str = DEFAULT_METHOD, **options) -> float:
        """Preference of doing nothing new, on the same scale as :meth:`preference`."""
        return float(self._all(weights, method, options)[-1])

    def weights(self, weights) -> np.ndarray:
        return as_weights(weights, self.portfolios.criteria)

    def top(self, weights, method: str = DEFAULT_METHOD, n: int = 10, **options) -> tuple[np.ndarray, np.ndarray,
                                                                                              np.ndarray]:
        """Rows, preferences and ranks of the ``n`` best combinations, sorted best first (tie rule)."""
        pref = self.preference(weights, method, **options)
        return select_top(pref, n, _method(method).ascending, self._tiebreak)

    @cached_property
    def _tiebreak(self):
        return (self.portfolios.effort, self.portfolios.n_tools)

    def rank(self, weights, method: str = DEFAULT_METHOD, top: int | None = 10, **options) -> pd.DataFrame:
        """Ranked table of the ``top`` best combinations (all with ``top=None``). PROMETHEE II (O(n^2)) ranks a
        shortlist: the :data:`SHORTLIST` best combinations by TOPSIS; ``df.attrs['shortlist']`` says so.
        ``df.attrs['status_quo']`` holds the status quo's preference, rank and values. The same table without pandas:
        :meth:`ranked`."""
        return self.ranked(weights, method, top, **options).frame()

    def ranked(self, weights, method: str = DEFAULT_METHOD, top: int | None = 10, **options) -> Ranked:
        """:meth:`rank` as a :class:`Ranked` (rows, preferences, ranks and the table's ``attrs``; no pandas)."""
        if top is not None and (not isinstance(top, (int, np.integer)) or top < 1):
            raise DecisionError(f"top must be a whole number >= 1, got {top!r}")
        m = method_of(method)
        if m.is_consensus:
            return self._consensus(weights, top, **options)
        n = len(self.portfolios) if top is None else top
        if m.shortlist and len(self.portfolios) > PROMETHEE_LIMIT:
            short, _, _ = self.top(weights, "topsis", SHORTLIST)
            X = np.vstack([self.portfolios.values[short], self.portfolios.status_quo[None]])
            pref = _pymcdm_preference(X, self.weights(weights), self.portfolios.types, method, options)
            pos, p, rank = select_top(pref[:-1], n, m.ascending)
            note = f"{m.label} net flows among the {len(short):,} best combinations by TOPSIS"
            return self._table(short[pos], p, rank, method, weights, pref[-1], pref, shortlist=note)
        allp = self._all(weights, method, options)
        rows, pref, rank = select_top(allp[:-1], n, _method(method).ascending, self._tiebreak)
        return self._table(rows, pref, rank, method, weights, allp[-1], allp)

    def consensus(self, weights, top: int | None = 10, methods=CONSENSUS.combines) -> pd.DataFrame:
        """Mean-rank consensus of ``methods`` over all combinations."""
        return self._consensus(weights, top, methods).frame()

    def _consensus(self, weights, top: int | None = 10, methods=CONSENSUS.combines) -> Ranked:
        ranks = np.column_stack([competition_ranks(self._all(weights, m, {}), _method(m).ascending)
                                 for m in methods])
        score = ranks.mean(1)
        n = len(self.portfolios) if top is None else top
        rows, s, rank = select_top(score[:-1], n, True, self._tiebreak)
        return self._table(rows, s, rank, CONSENSUS.name, weights, score[-1], score, ascending=CONSENSUS.ascending)

    def _table(self, rows, pref, rank, method, weights, sq_pref, allp, ascending=None, shortlist=None) -> Ranked:
        p = self.portfolios
        asc = _method(method).ascending if ascending is None else ascending
        sq_rank = _rank_of_last(np.asarray(allp, float), asc)
        st = p.setting
        attrs = dict(method=method, scenario=p.adjusted.scenario.id, horizon=p.adjusted.horizon,
                     weights=dict(zip(p.criteria, self.weights(weights))), n_feasible=len(p),
                     status_quo={"preference": float(sq_pref), "rank": sq_rank,
                                 **{c: float(v) for c, v in zip(p.criteria, p.status_quo)}},
                     floor=st.floor_text() if st else "", capacity=st.capacity if st else None,
                     mandatory={t: list(v) for t, v in (st.mandatory if st else {}).items()})
        if shortlist:
            attrs["shortlist"] = shortlist
        return Ranked(p, np.asarray(rows), np.asarray(pref, dtype=float), np.asarray(rank), attrs)

    def tied_with_first(self, weights, rows, method: str = DEFAULT_METHOD, delta: float = TIE_DELTA) -> np.ndarray:
        """(len(rows),) bool: True where moving one weight by at most ``delta`` (others rescaled proportionally)
        makes that combination beat ``rows[0]``: a statistical tie with the first."""
        rows = np.asarray(rows)
        w = self.weights(weights)
        asc = _method(method).ascending
        out = np.zeros(len(rows), dtype=bool)
        for wk in weight_shifts(w, delta):                          # 2C re-rankings (C criteria), not per combination
            pref = self.preference(wk, method)[rows]
            out |= (pref < pref[0]) if asc else (pref > pref[0])
        out[0] = False
        return out

    def method_check(self, weights, methods=CROSS_CHECK) -> dict:
        """The first combination (row) under each method, same weights; None for a method that cannot rank these
        combinations (e.g. VIKOR when two combinations tie on its group utility and regret: its formula divides
        by zero)."""
        out = {}
        for m in methods:
            try:
                out[m] = int(self.top(weights, m, 1)[0][0])
            except DecisionError:
                out[m] = None
        return out


def _rank_of_last(pref: np.ndarray, ascending: bool) -> int:
    """Competition rank of the last entry (the status quo) among all: 1 + the number strictly better (O(N))."""
    p = np.round(pref, DECIMALS)
    better = p[:-1] < p[-1] if ascending else p[:-1] > p[-1]
    return int(1 + better.sum())


def checks(ranker: Ranker, weights, ranked: Ranked | pd.DataFrame) -> dict:
    """What an analyst must know beside a ranked table (a :class:`Ranked` or the DataFrame of :meth:`Ranker.rank`):
    ``methods`` (method -> tool ids of its #1, for the cross-check methods that can rank these combinations),
    ``methods_agree`` (bool), ``methods_undefined`` (cross-check methods that cannot rank them), ``tied``
    (ranks listed that are statistically tied with #1)."""
    checked = ranker.method_check(weights)
    firsts = {m: r for m, r in checked.items() if r is not None}
    p = ranker.portfolios
    out = {"methods": {m: list(p.tools_of(r)) for m, r in firsts.items()},
           "methods_agree": len(set(firsts.values())) <= 1, "tied": [],
           "methods_undefined": [m for m, r in checked.items() if r is None]}
    method = ranked.attrs.get("method", DEFAULT_METHOD)
    if len(ranked) > 1 and method in METHODS and not METHODS[method].shortlist:
        rows, ranks = ((ranked.rows, ranked.rank) if isinstance(ranked, Ranked)
                       else (ranked.index.to_numpy(), ranked["rank"]))
        tied = ranker.tied_with_first(weights, rows, method)
        out["tied"] = [int(r) for r, t in zip(ranks, tied) if t]
    return out


def select_top(pref: np.ndarray, n: int, ascending: bool = False, tiebreak=()):
    """Indices, values and competition ranks of the ``n`` best entries of ``pref``, best first; ties are ordered by
    the ``tiebreak`` arrays (ascending, first array first), then by index. Uses ``argpartition`` (no full sort)."""
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
    order = cand[np.lexsort((cand, *[np.asarray(t)[cand] for t in reversed(tiebreak)], key[cand]))][:n]
    # competition rank: 1 + number strictly better; everything strictly better than a selected item is selected
    ks = key[order]
    rank = 1 + np.searchsorted(ks, ks, side="left")
    return order, np.asarray(pref, dtype=float)[order], rank


def rank(portfolios: Portfolios, weights=None, method: str = DEFAULT_METHOD, top: int | None = 10, **options):
    """Ranked combinations of already built ``portfolios``. For repeated re-ranking keep a :class:`Ranker`."""
    return Ranker(portfolios).rank(weights, method, top, **options)


def rank_portfolios(catalog, scenario=None, weights=None, method: str = DEFAULT_METHOD, max_tools: int | None = None,
                    constraints=None, top: int | None = 10, horizon: float | None = None, **options) -> pd.DataFrame:
    """Enumerate the feasible combinations of ``scenario`` and rank them.

    Returns the ``top`` combinations (``None``: all) with ``rank``, ``tool_ids``, ``tools`` (display names),
    ``n_tools``, one column per criterion, and ``preference``. ``df.attrs`` holds method, scenario, weights and the
    number of feasible combinations.
    """
    p = build_portfolios(catalog, scenario, max_tools=max_tools, constraints=constraints, horizon=horizon)
    return Ranker(p).rank(weights, method, top, **options)
