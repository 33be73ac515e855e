"""Options a minister can choose between: a few materially different courses of action, doing nothing new, today's
policy and the smallest change to it that does nearly as well.

Pure computation over a :class:`~decision.portfolios.Portfolios` and a :class:`~decision.ranking.Ranker`; no
printing, no files. The rules (documented with their limits in ``docs/options.md``):

* **Diversity rule.** Option 1 is the ranking's #1 (``Ranker.rank(weights, method, 1)``). Each further option is
  the best-ranked *non-dominated* combination that shares at most half of the tools of every option already chosen
  (``2 * |A & B| <= min(|A|, |B|)``) and neither dominates nor is dominated by one of them. Greedy, in ranking order
  with the package tie rule, so deterministic (a thresholded "modelling to generate alternatives", Brill 1979).
* **Tie rule.** Every weight moves at random by up to +-``TIE_SPREAD`` (then the weights are renormalised),
  ``TIE_DRAWS`` draws with a fixed seed. Two rows are *statistically tied* when neither beats the other in more than
  ``1 - TIE_BAND`` of the draws (pairwise winning index within ``[TIE_BAND, 1 - TIE_BAND]``).
* **Minimal change.** Among all feasible combinations whose score reaches ``share`` of option 1's, the one nearest
  to today's policy in tools added plus tools dropped (Hamming distance: popcount of ``bits XOR current``); ties: the
  better score, then the ranking order.

"Score" is the method's preference on a 0-1, higher-is-better scale (see :func:`goodness`).
"""
from __future__ import annotations

from dataclasses import dataclass, field, replace

import numpy as np
import pandas as pd

from . import ranking as _ranking
from .errors import DecisionError
from .portfolios import Portfolios, model_spec, portfolio_values
from .ranking import DECIMALS, PROMETHEE_LIMIT, SHORTLIST, Ranker, competition_ranks
from .robustness import pareto_mask

DEFAULT_K = 4
MAX_SHARED = 0.5
"""An option may share at most this fraction of the tools of any other option."""
DEFAULT_SHARE = 0.9
TIE_SPREAD = 0.05
TIE_DRAWS = 2000
TIE_BAND = 0.25
TIE_SEED = 20261130
DIFF_SHOWN = 0.05
"""Criterion differences smaller than this are left out of a trade-off sentence."""

FAMILY_WORDS = {"signalling": "quiet", "public": "public", "verification": "verified", "economic": "economic",
                "multilateral": "coalition", "trust_building": "trust-building"}
STANCE_WORDS = {"pressure": "pressure", "scrutiny": "scrutiny", "engagement": "engagement",
                "de_escalating": "de-escalation"}
STANCE_STRENGTH = ("pressure", "scrutiny", "engagement", "de_escalating")
"""Ties between stances go to the stronger one (a package with as much pressure as engagement is 'pressure')."""


# ----------------------------------------------------------------------------------------------------------------
# The one place that knows which value-model API is present (value model v2 adds status quo and effort)

def default_method() -> str:
    return getattr(_ranking, "DEFAULT_METHOD", "topsis")


def status_quo_values(p: Portfolios) -> np.ndarray:
    """(C,) values of doing nothing new. Value model v2 gives them (``p.status_quo``); before it, a provisional
    stand-in: benefits that accumulate (rights) and risks at the scale minimum, security continuity at the maximum
    (today's cooperation continues), other criteria at the scale midpoint."""
    sq = getattr(p, "status_quo", None)
    if sq is not None:
        return np.asarray(sq, dtype=float)
    out = []
    for c in p.catalog.criteria:
        if c.aggregation == "saturating":
            out.append(c.scale_min)
        elif c.direction == "benefit" and "security" in c.id:
            out.append(c.scale_max)
        else:
            out.append((c.scale_min + c.scale_max) / 2)
    return np.array(out, dtype=float)


def status_quo_preference(ranker: Ranker, weights, method: str, scale: "Scale") -> float:
    """Native preference of doing nothing new (v2: the Ranker says; before: computed like any extra row)."""
    fn = getattr(ranker, "status_quo_preference", None)
    if fn is not None:
        return float(fn(weights, method))
    return scale.preference(status_quo_values(ranker.portfolios)[None], ranker.weights(weights), method)[0]


def effort_of(p: Portfolios, rows) -> np.ndarray | None:
    """Total effort of combinations ``rows`` (None before value model v2)."""
    eff = getattr(p, "effort", None)
    return None if eff is None else np.asarray(eff, dtype=float)[np.asarray(rows, dtype=int)]


# ----------------------------------------------------------------------------------------------------------------
# Preferences of a few rows under many weight vectors

@dataclass(frozen=True)
class Scale:
    """The Ranker's per-criterion scaling as an affine map ``xn = a + b * x`` (min-max or fixed anchors alike),
    recovered from the Ranker itself: the weighted sum under a unit weight vector is the scaled column."""
    a: np.ndarray
    b: np.ndarray

    @classmethod
    def of(cls, ranker: Ranker) -> "Scale":
        X = ranker.portfolios.values
        C = X.shape[1]
        a, b = np.ones(C), np.zeros(C)
        for j in range(C):
            lo, hi = int(np.argmin(X[:, j])), int(np.argmax(X[:, j]))
            if X[hi, j] == X[lo, j]:
                continue                          # a constant column scales to 1 (pymcdm and Ranker)
            xn = ranker.preference(np.eye(C)[j], "wsm")[[lo, hi]]
            b[j] = (xn[1] - xn[0]) / (X[hi, j] - X[lo, j])
            a[j] = xn[0] - b[j] * X[lo, j]
        return cls(a, b)

    def __call__(self, X: np.ndarray) -> np.ndarray:
        return self.a + self.b * np.asarray(X, dtype=float)

    def preference(self, X: np.ndarray, W: np.ndarray, method: str) -> np.ndarray:
        """Native preferences of rows ``X`` (m x C values) under weights ``W`` ((C,) -> (m,), (S x C) -> (S x m)).
        WSM and TOPSIS only (the Ranker's fast-path formulas); NaN for other methods."""
        Xn = self(X)
        W2 = np.atleast_2d(W)
        if method == "wsm":
            out = W2 @ Xn.T
        elif method == "topsis":
            w2 = np.where(self.b == 0, 0.0, W2) ** 2
            dp, dm = np.sqrt(w2 @ ((1 - Xn) ** 2).T), np.sqrt(w2 @ (Xn ** 2).T)
            with np.errstate(invalid="ignore", divide="ignore"):
                out = dm / (dm + dp)
        else:
            out = np.full((len(W2), len(Xn)), np.nan)
        return out[0] if np.ndim(W) == 1 else out


def perturbed_weights(w: np.ndarray, n: int = TIE_DRAWS, spread: float = TIE_SPREAD, seed: int = TIE_SEED):
    """(n x C) weight vectors: each weight moved uniformly by up to +-``spread``, floored at 0, renormalised."""
    rng = np.random.default_rng(seed)
    W = np.clip(w[None, :] + rng.uniform(-spread, spread, (n, len(w))), 0.0, None)
    W[W.sum(1) == 0] = w
    return W / W.sum(1, keepdims=True)


def winning_index(U: np.ndarray) -> np.ndarray:
    """(m x m) share of draws in which row i beats row j (higher-is-better preferences ``U``, S x m; exact ties
    after rounding count half)."""
    U = np.round(U, DECIMALS)
    gt = (U[:, :, None] > U[:, None, :]).mean(0)
    eq = (U[:, :, None] == U[:, None, :]).mean(0)
    return gt + 0.5 * eq


def tie_groups(win: np.ndarray, band: float = TIE_BAND) -> list[tuple[int, ...]]:
    """Per row, the other rows it is statistically tied with (winning index within [band, 1 - band])."""
    tied = (win >= band - 1e-12) & (win <= 1 - band + 1e-12)
    np.fill_diagonal(tied, False)
    return [tuple(int(j) for j in np.flatnonzero(r)) for r in tied]


# ----------------------------------------------------------------------------------------------------------------
# Scores on a 0-1 higher-is-better scale

def goodness(ranker: Ranker, weights, method: str) -> tuple[np.ndarray, np.ndarray]:
    """(native preference, score) of every combination. Score: TOPSIS / WSM preference as is; VIKOR Q and SPOTIS
    distance as ``1 - pref``; PROMETHEE II net flow as ``(1 + flow) / 2`` (over the Ranker's TOPSIS shortlist when
    the set is large; the rest gets -inf); consensus mean rank ``r`` as ``1 - (r - 1) / (N - 1)``."""
    n = len(ranker.portfolios)
    if method == "consensus":
        ranks = np.column_stack([competition_ranks(ranker.preference(weights, m), _ranking._method(m).ascending)
                                 for m in ("topsis", "vikor", "spotis", "wsm")])
        r = ranks.mean(1)
        return r, 1 - (r - 1) / max(1, n - 1)
    if method == "promethee_ii" and n > PROMETHEE_LIMIT:
        short, _, _ = ranker.top(weights, "topsis", SHORTLIST)
        flow = _ranking._pymcdm_preference(ranker.portfolios.values[short], ranker.weights(weights),
                                           ranker.portfolios.types, method, {})
        pref = np.full(n, np.nan)
        pref[short] = flow
        score = np.full(n, -np.inf)
        score[short] = (1 + flow) / 2
        return pref, score
    pref = ranker.preference(weights, method)
    return pref, to_score(pref, method)


def to_score(pref, method: str):
    pref = np.asarray(pref, dtype=float)
    if method in ("vikor", "spotis"):
        return 1 - pref
    if method == "promethee_ii":
        return (1 + pref) / 2
    return pref


# ----------------------------------------------------------------------------------------------------------------
# Selection

def popcount(x: np.ndarray) -> np.ndarray:
    return np.bitwise_count(np.asarray(x, dtype=np.int64).view(np.uint64)).astype(np.int64)


def dominance(Y: np.ndarray, y: np.ndarray) -> np.ndarray:
    """(m,) int: +1 where row of ``Y`` dominates ``y``, -1 where ``y`` dominates it, 0 otherwise (higher is
    better in every column)."""
    ge, le = (Y >= y).all(1), (Y <= y).all(1)
    eq = ge & le
    return np.where(ge & ~eq, 1, np.where(le & ~eq, -1, 0))


def select_distinct(bits: np.ndarray, Y: np.ndarray, order: np.ndarray, first: int, k: int,
                    max_shared: float = MAX_SHARED) -> list[int]:
    """Greedy diversity rule over candidate rows ``order`` (best first): start from ``first``, then repeatedly take
    the first candidate sharing at most ``max_shared`` of the tools of every chosen row and neither dominating nor
    dominated by one (``Y``: higher-is-better values). Vectorised over candidates; one pass per option."""
    size = popcount(bits)
    chosen = [int(first)]
    ok = order != first
    for _ in range(k - 1):
        c = chosen[-1]
        shared = popcount(bits[order] & bits[c])
        ok &= (shared <= max_shared * size[order] + 1e-9) & (shared <= max_shared * size[c] + 1e-9)
        ok &= dominance(Y[order], Y[c]) == 0
        hit = np.flatnonzero(ok)
        if len(hit) == 0:
            break
        chosen.append(int(order[hit[0]]))
        ok[hit[0]] = False
    return chosen


def minimal_change_row(bits: np.ndarray, score: np.ndarray, current_mask: int, target: float) -> int | None:
    """Row nearest to ``current_mask`` (tools added + dropped) among those scoring at least ``target``; ties: higher
    score, then lower row. None if no row reaches the target."""
    ok = np.flatnonzero(np.round(score, DECIMALS) >= np.round(target, DECIMALS))
    if len(ok) == 0:
        return None
    dist = popcount(bits[ok] ^ np.int64(current_mask))
    best = ok[np.lexsort((ok, -np.round(score[ok], DECIMALS), dist))]
    return int(best[0])


# ----------------------------------------------------------------------------------------------------------------
# Labels and words

def label_of(tools, catalog) -> str:
    """Short label from the tools' families and stances: the most common family's word, then the most common
    stance's (ties: the family listed first in the catalogue; the stronger stance)."""
    if not tools:
        return "do nothing new"
    ts = [catalog.tool(t) for t in tools]
    fam_order = list(dict.fromkeys(t.family for t in catalog.tools))
    fams = pd.Series([t.family for t in ts]).value_counts()
    fam = min(fams.index[fams == fams.max()], key=lambda f: fam_order.index(f) if f in fam_order else 99)
    sts = pd.Series([t.stance for t in ts]).value_counts()
    st = min(sts.index[sts == sts.max()],
             key=lambda s: STANCE_STRENGTH.index(s) if s in STANCE_STRENGTH else 99)
    fw = FAMILY_WORDS.get(fam, fam.replace("_", " "))
    sw = STANCE_WORDS.get(st, st.replace("_", " "))
    return f"{fw} {sw}"


def distinct_labels(tool_sets, catalog) -> list[str]:
    """Labels; where two clash, each gets the first tool (catalogue order) that the others with that label lack."""
    base = [label_of(t, catalog) for t in tool_sets]
    labels = list(base)
    for i, lab in enumerate(base):
        if base.count(lab) > 1 and tool_sets[i]:
            clash = [set(t) for j, t in enumerate(tool_sets) if j != i and base[j] == lab]
            own = [t for t in catalog.tool_ids if t in tool_sets[i] and t not in set().union(*clash)]
            labels[i] = f"{lab} ({catalog.tool(own[0]).name.lower()})" if own else f"{lab} ({i + 1})"
    return labels


def tradeoff(values: np.ndarray, reference: np.ndarray, catalog, min_shown: float = DIFF_SHOWN) -> str:
    """'+1.2 rights protection, -0.8 security continuity' (criterion values minus the reference's)."""
    parts = [f"{d:+.1f} {c.name.lower()}".replace("-", "\u2212", 1)
             for c, d in zip(catalog.criteria, np.asarray(values) - np.asarray(reference)) if abs(d) >= min_shown]
    return ", ".join(parts) if parts else "about the same values"


# ----------------------------------------------------------------------------------------------------------------
# Result

@dataclass(frozen=True)
class Option:
    """One row of the options table. ``kind``: option, status_quo, current or minimal_change."""
    kind: str
    label: str
    tools: tuple[str, ...]
    names: tuple[str, ...]
    values: dict
    preference: float
    score: float
    row: int | None = None
    effort: float | None = None
    feasible: bool = True
    tradeoff: str = ""
    tied_with: tuple[int, ...] = ()
    add: tuple[str, ...] = ()
    drop: tuple[str, ...] = ()

    def to_dict(self) -> dict:
        d = {"label": self.label, "tools": list(self.tools), **{k: float(v) for k, v in self.values.items()},
             "preference": _num(self.preference), "score": _num(self.score), "tied_with": list(self.tied_with),
             "tradeoff": self.tradeoff, "feasible": bool(self.feasible)}
        if self.effort is not None:
            d["effort"] = float(self.effort)
        if self.kind == "minimal_change":
            d.update(add=list(self.add), drop=list(self.drop))
        return d


def _num(x):
    return None if x is None or not np.isfinite(x) else float(x)


@dataclass(frozen=True)
class Options:
    """K distinct options (best first), the status quo, and with a current policy that policy and its minimal
    change. ``tied_with`` holds 0-based indices into ``options``."""
    options: tuple[Option, ...]
    status_quo: Option
    current: Option | None
    minimal_change: Option | None
    method: str
    weights: dict
    scenario: str
    share: float
    tie_method: str
    n_pool: int
    n_feasible: int
    rule: str = field(default="")

    @property
    def best(self) -> Option:
        return self.options[0]

    def rows(self) -> list[Option]:
        """Options, then the reference rows present (status quo, current policy, minimal change)."""
        return [*self.options, *(r for r in (self.status_quo, self.current, self.minimal_change) if r is not None)]

    def frame(self) -> pd.DataFrame:
        """One row per :meth:`rows` entry: kind, label, tools (names), criterion values, preference, tied_with."""
        crit = list(self.weights)
        recs = []
        for i, o in enumerate(self.rows()):
            name = f"option {i + 1}" if o.kind == "option" else o.kind.replace("_", " ")
            recs.append({"row": name, "kind": o.kind, "label": o.label, "tools": " + ".join(o.names) or "(none new)",
                         **{c: o.values[c] for c in crit}, "preference": o.preference,
                         "tied_with": ", ".join(f"option {j + 1}" for j in o.tied_with), "tradeoff": o.tradeoff,
                         "add": ", ".join(o.add), "drop": ", ".join(o.drop)})
        return pd.DataFrame(recs).set_index("row")

    def to_dict(self) -> dict:
        """The JSON contract (docs/options.md)."""
        out = {"scenario": self.scenario, "method": self.method, "weights": self.weights,
               "preference_higher_is_better": not _ranking._method(self.method).ascending
               if self.method != "consensus" else False,
               "options": [o.to_dict() for o in self.options], "status_quo": self.status_quo.to_dict()}
        if self.current is not None:
            out["current"] = self.current.to_dict()
        if self.minimal_change is not None:
            out["minimal_change"] = self.minimal_change.to_dict()
        out.update(share=self.share, tie_method=self.tie_method, rule=self.rule, n_pool=self.n_pool,
                   n_feasible=self.n_feasible)
        return out


RULE = ("Option 1 is the ranking's #1; each further option is the best-ranked non-dominated combination that shares "
        "at most half of the tools of every earlier option and neither dominates nor is dominated by one. Rows are "
        f"statistically tied when, with every weight moved at random by up to \u00b1{TIE_SPREAD} ({TIE_DRAWS:,} "
        f"draws), neither beats the other in more than {1 - TIE_BAND:.0%} of draws.")


def find_options(portfolios: Portfolios, weights=None, method: str | None = None, k: int = DEFAULT_K,
                 current=None, share: float = DEFAULT_SHARE, ranker: Ranker | None = None,
                 nondominated: np.ndarray | None = None) -> Options:
    """Distinct courses of action for already built ``portfolios`` (see the module doc for the rules).

    ``current``: today's policy as tool ids (None: not given; an empty list is the status quo). ``share``: the part
    of option 1's score the minimal change must reach. ``nondominated``: the Pareto mask of ``portfolios`` if already
    known (it does not depend on the weights; callers that re-rank often keep it).
    """
    p = portfolios
    method = method or default_method()
    if not isinstance(k, (int, np.integer)) or k < 1:
        raise DecisionError(f"k must be a whole number >= 1, got {k!r}")
    if not 0 < share <= 1:
        raise DecisionError(f"share must be in (0, 1], got {share!r}")
    ranker = ranker or Ranker(p)
    w = ranker.weights(weights)
    cat = p.catalog
    first = int(ranker.rank(w, method, 1).index[0])
    pref, score = goodness(ranker, w, method)
    Y = p.values * p.types
    pool = (pareto_mask(p.values, p.types) if nondominated is None else np.asarray(nondominated, dtype=bool)).copy()
    pool[first] = True
    pool &= dominance(Y, Y[first]) <= 0                   # nothing that dominates option 1 (it may be dominated)
    cand = np.flatnonzero(pool & np.isfinite(score))
    order = cand[np.lexsort((cand, -np.round(score[cand], DECIMALS)))]
    rows = select_distinct(p.bits, Y, order, first, int(k))

    scale = Scale.of(ranker)
    tie_method = method if method in ("wsm", "topsis") else "wsm"
    best_vals = p.values[first]

    def make(kind, label, tools, values, pref_, score_, row=None, feasible=True, **extra):
        return Option(kind, label, tuple(tools), tuple(cat.tool(t).name for t in tools),
                      dict(zip(p.criteria, map(float, values))), float(pref_), float(score_), row,
                      None if row is None or effort_of(p, [row]) is None else float(effort_of(p, [row])[0]),
                      feasible, "" if kind == "option" and row == first else tradeoff(values, best_vals, cat),
                      **extra)

    tool_sets = [p.tools_of(r) for r in rows]
    labels = distinct_labels(tool_sets, cat)
    opts = [make("option", lab, ts, p.values[r], pref[r], score[r], r) for r, lab, ts in zip(rows, labels, tool_sets)]
    sq_vals = status_quo_values(p)
    sq_pref = status_quo_preference(ranker, w, method, scale)
    sq = make("status_quo", "do nothing new", (), sq_vals, sq_pref, to_score(sq_pref, method), feasible=True)
    cur = mc = None
    if current is not None:
        cur_tools = tuple(t for t in cat.tool_ids if t in set(current))
        for t in current:
            cat.tool_index(t)                             # unknown ids are a user error
        mask = sum(1 << cat.tool_index(t) for t in cur_tools)
        if cur_tools:
            hit = np.flatnonzero(p.bits == np.int64(mask))
            if len(hit):
                r = int(hit[0])
                cur = make("current", "today's policy", cur_tools, p.values[r], pref[r], score[r], r)
            else:
                vals = _values_of(p, cur_tools)
                cp = scale.preference(vals[None], w, method)[0]
                cur = make("current", "today's policy", cur_tools, vals, cp, to_score(cp, method), feasible=False)
        else:
            cur = replace(sq, kind="current", label="today's policy (nothing new)")
        r = minimal_change_row(p.bits, score, mask, share * score[first])
        if r is not None:
            mc_tools = p.tools_of(r)
            mc = make("minimal_change", "minimal change", mc_tools, p.values[r], pref[r], score[r], r,
                      add=tuple(t for t in mc_tools if t not in cur_tools),
                      drop=tuple(t for t in cur_tools if t not in mc_tools))
    # ties among every row shown
    shown = [*opts, sq, *(x for x in (cur, mc) if x is not None)]
    X = np.array([[o.values[c] for c in p.criteria] for o in shown])
    U = scale.preference(X, perturbed_weights(w), tie_method)
    groups = tie_groups(winning_index(U))
    n_opt = len(opts)
    shown = [replace(o, tied_with=tuple(j for j in g if j < n_opt)) for o, g in zip(shown, groups)]
    opts, sq = shown[:n_opt], shown[n_opt]
    rest = shown[n_opt + 1:]
    if cur is not None:
        cur = rest.pop(0)
    if mc is not None:
        mc = rest.pop(0)
    return Options(tuple(opts), sq, cur, mc, method, dict(zip(p.criteria, map(float, w))),
                   p.adjusted.scenario.id, share, tie_method, len(cand), len(p), RULE)


def _values_of(p: Portfolios, tools) -> np.ndarray:
    """Criterion values of one combination that is not among the feasible ones (e.g. today's policy breaks a
    constraint)."""
    ti = [p.catalog.tool_index(t) for t in tools]
    idx = np.array([ti], dtype=np.int64)
    bits = np.array([sum(1 << t for t in ti)], dtype=np.int64)
    return portfolio_values(idx, bits, p.adjusted.score, model_spec(p.catalog))[0]
