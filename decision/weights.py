"""Criterion weights: validation and elicitation.

Weights are non-negative and sum to 1. Every function returns a ``pandas.Series`` indexed by criterion id (or by
position when no ids are given), except :func:`weight_array` (the numbers of :func:`direct` as a numpy array, for code
that runs without pandas: ranking from the command line). pandas is imported by the functions that build a Series or
a DataFrame, not by importing this module. Methods (formulas and sources in docs/weights.md):

* direct: :func:`direct`, :func:`parse_weights`, :func:`equal`, :func:`weight_array`; weight bounds for SMAA:
  :func:`parse_bounds`;
* from an importance order (ties allowed): :func:`roc`, :func:`rank_sum`, :func:`rank_reciprocal`;
* :func:`swing` (SMARTS points, the most important swing = 100);
* :func:`ahp` (pairwise comparisons; eigenvector weights and consistency ratio);
* data-driven from a matrix of alternatives: :func:`entropy`, :func:`critic`;
* moving one weight and rescaling the others proportionally (the one kernel of every one-way sensitivity, tie mark
  and "smallest change" in ranking, robustness, options, advice, briefing and strategy): :func:`walk_weights`,
  :func:`weight_shifts`.

This module sits upstream of portfolios and ranking and imports neither.
"""
from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from typing import TYPE_CHECKING

import numpy as np

from .defaults import CR_THRESHOLD
from .errors import DecisionError

if TYPE_CHECKING:
    import pandas as pd


def walk_weights(w: np.ndarray, k: int, t: np.ndarray) -> np.ndarray:
    """(len(t) x C) weight vectors with w_k = t and the others rescaled proportionally (equal shares if they were
    all 0)."""
    rest = np.delete(w, k)
    rest = rest / rest.sum() if rest.sum() > 0 else np.full(len(rest), 1.0 / len(rest))
    W = np.empty((len(t), len(w)))
    W[:, k] = t
    W[:, np.arange(len(w)) != k] = (1 - t)[:, None] * rest
    return W


def weight_shifts(w: np.ndarray, delta: float) -> np.ndarray:
    """(2C x C) weight vectors: each weight moved by -``delta`` and +``delta`` (clipped to 0-1), the others rescaled
    proportionally (:func:`walk_weights`); rows in the order (criterion 0 down, criterion 0 up, criterion 1 ...)."""
    w = np.asarray(w, dtype=float)
    return np.vstack([walk_weights(w, k, np.clip([w[k] - delta, w[k] + delta], 0.0, 1.0)) for k in range(len(w))])


def direct(values, criteria: Sequence[str] | None = None) -> pd.Series:
    """Normalise any non-negative numbers to weights summing to 1.

    ``values``: a mapping {criterion: number} or a sequence aligned with ``criteria``. With ``criteria`` given, a
    mapping must name each of them exactly once (unknown or missing names are errors, not zeros).
    """
    import pandas as pd  # noqa: PLC0415
    index, w = _normalised(values, criteria)
    return pd.Series(w, index=index, name="weight")


def weight_array(values, criteria: Sequence[str] | None = None) -> np.ndarray:
    """:func:`direct` as a numpy array in criterion order (the same numbers; no pandas, which a ranking from the
    command line does without: docs/performance.md, "Command line")."""
    return _normalised(values, criteria)[1]


def _normalised(values, criteria: Sequence[str] | None) -> tuple[list, np.ndarray]:
    """The labels and the normalised weights of :func:`direct` (its checks, one place)."""
    if isinstance(values, Mapping):
        if criteria is not None:
            unknown = [k for k in values if k not in criteria]
            if unknown:
                raise DecisionError(f"unknown criterion '{unknown[0]}' in weights; known: {', '.join(criteria)}")
            missing = [c for c in criteria if c not in values]
            if missing:
                raise DecisionError(f"weights miss criterion '{missing[0]}' (give every criterion a weight, 0 "
                                    "allowed)")
            values = {c: values[c] for c in criteria}
        index, raw = list(values.keys()), list(values.values())
    else:
        raw = list(np.ravel(np.asarray(values, dtype=object)))
        index = list(criteria) if criteria is not None else list(range(len(raw)))
        if len(raw) != len(index):
            raise DecisionError(f"{len(raw)} weights given for {len(index)} criteria")
    nums = []
    for name, v in zip(index, raw):
        f = _plain_number(v, f"weight of '{name}'")
        if math.isnan(f) or math.isinf(f):
            raise DecisionError(f"weight of '{name}' is {f} (expected a finite number >= 0)")
        if f < 0:
            raise DecisionError(f"weight of '{name}' is negative ({f:g}); weights must be >= 0")
        nums.append(f)
    total = sum(nums)
    if total <= 0:
        raise DecisionError("all weights are zero; give at least one criterion a positive weight")
    return index, np.array(nums) / total


def _plain_number(v, what: str) -> float:
    """A number, or plain decimal text ("0_5" is not 5), finite and within +-1e9 (safeio.MAX_ABS_NUMBER)."""
    from .safeio import strict_float  # noqa: PLC0415
    try:
        return strict_float(v, what)
    except DecisionError:
        try:
            f = float(v)
        except (TypeError, ValueError, OverflowError):
            raise DecisionError(f"{what} is not a number: {_short(v)}") from None
        if math.isnan(f) or math.isinf(f):
            raise DecisionError(f"{what} is {f} (expected a finite number >= 0)") from None
        raise


def _short(v) -> str:
    from .safeio import short  # noqa: PLC0415
    return short(v)


def parse_weights(text: str, criteria: Sequence[str]) -> pd.Series:
    """Parse ``"rights_protection=0.4,security_continuity=0.3,..."`` into normalised weights."""
    values = {}
    for part in filter(None, (p.strip() for p in text.split(","))):
        name, sep, num = part.partition("=")
        if not sep:
            raise DecisionError(f"weights: expected name=value, got '{part}'")
        name = name.strip()
        if name in values:
            raise DecisionError(f"weights: '{name}' given twice")
        values[name] = num.strip()
    return direct(values, criteria)


def parse_bounds(text: str, criteria: Sequence[str], option: str = "--bounds") -> dict[str, tuple[float, float]]:
    """Parse ``"rights_protection=0.2:0.5,escalation_risk=:0.3"`` into ``{criterion: (low, high)}`` weight bounds
    (an empty side is 0 or 1). Refuses, in one line naming ``option`` and the criterion: an unknown criterion, a
    side that is not a number, a bound outside 0-1 or low > high, and bounds no weights can meet (lows summing above
    1, highs below 1)."""
    out: dict[str, tuple[float, float]] = {}
    for name, value in _parse_assignments(text, option).items():
        if name not in criteria:
            raise DecisionError(f"unknown criterion '{name}'; known: {', '.join(criteria)}", where=option, field=name)
        low, sep, high = value.partition(":")
        if not sep:
            raise DecisionError(f"expected LOW:HIGH (e.g. 0.2:0.5, :0.3 or 0.1:), got '{value}'", where=option,
                                field=name)
        out[name] = (_bound_side(low, 0.0, "low", option, name), _bound_side(high, 1.0, "high", option, name))
        if out[name][0] > out[name][1]:
            raise DecisionError(f"low {out[name][0]:g} is above high {out[name][1]:g}", where=option, field=name)
    if not out:
        raise DecisionError("no bounds given (expected criterion=LOW:HIGH,...)", where=option)
    out = {c: out[c] for c in criteria if c in out}                 # criterion order, however they were typed
    lows, highs = sum(lo for lo, _ in out.values()), sum(out.get(c, (0, 1))[1] for c in criteria)
    if lows > 1 + 1e-12:
        raise DecisionError(f"the lows sum to {lows:g}; weights sum to 1, so they must sum to at most 1",
                            where=option, field="low")
    if highs < 1 - 1e-12:
        raise DecisionError(f"the highs (1 for a criterion not named) sum to {highs:g}; weights sum to 1, so they "
                            "must sum to at least 1", where=option, field="high")
    return out


def _bound_side(text: str, default: float, side: str, option: str, name: str) -> float:
    """One side of a weight bound: a number in 0-1, or ``default`` when empty."""
    if not text.strip():
        return default
    try:
        x = float(text)
    except ValueError:
        raise DecisionError(f"{side} '{text.strip()}' is not a number", where=option, field=name) from None
    if not 0 <= x <= 1:                                  # NaN fails too
        raise DecisionError(f"{side} {text.strip()} is outside 0-1", where=option, field=name)
    return x


def equal(criteria: Sequence[str]) -> pd.Series:
    """Equal weights."""
    return direct([1.0] * len(criteria), criteria)


# ----------------------------------------------------------------------------------------------------------------
# Rank-order surrogate weights (Barron & Barrett 1996; Stillwell, Seaver & Edwards 1981)

def parse_order(order, criteria: Sequence[str] | None = None) -> list[list[str]]:
    """An importance order as groups of tied criteria, most important first.

    ``order``: ``"a>b>c=d"`` (``>`` more important than, ``=`` as important as), or a list whose items are a criterion
    or a list of tied criteria (``["a", "b", ["c", "d"]]``). With ``criteria`` given, every criterion must appear
    exactly once.
    """
    if isinstance(order, str):
        groups = [[name.strip() for name in part.split("=")] for part in order.split(">")]
    elif isinstance(order, Sequence):
        groups = [[str(x).strip() for x in item] if isinstance(item, (list, tuple)) else [str(item).strip()]
                  for item in order]
    else:
        raise DecisionError(f"importance order: expected a string like 'a>b=c' or a list, got {type(order).__name__}")
    seen: set[str] = set()
    for group in groups:
        for name in group:
            if not name:
                raise DecisionError(f"importance order {order!r}: empty criterion name (stray '>' or '=')")
            if name in seen:
                raise DecisionError(f"importance order: '{name}' appears twice")
            seen.add(name)
    if not groups:
        raise DecisionError("importance order is empty")
    if criteria is not None:
        unknown = [c for c in seen if c not in criteria]
        if unknown:
            raise DecisionError(f"importance order: unknown criterion '{sorted(unknown)[0]}'; known: "
                                f"{', '.join(criteria)}")
        missing = [c for c in criteria if c not in seen]
        if missing:
            raise DecisionError(f"importance order misses criterion '{missing[0]}' (rank every criterion; use '=' "
                                "for ties)")
    return groups


def format_order(groups: Sequence[Sequence[str]]) -> str:
    """Inverse of :func:`parse_order` for strings: ``[["a"], ["b", "c"]]`` -> ``"a > b = c"``."""
    return " > ".join(" = ".join(g) for g in groups)


MAX_RANKS = 1_000
"""Largest number of ranks for the rank-order rules (a catalogue has at most 32 criteria)."""


def _by_rank(n: int) -> dict[str, np.ndarray]:
    """Weights of ranks 1..n (1 = most important) for each rank-order rule."""
    k = np.arange(1, n + 1)
    harmonic = 1.0 / k
    return {
        "roc": np.cumsum(harmonic[::-1])[::-1] / n,     # w_k = (1/n) sum_{i=k..n} 1/i
        "rank_sum": 2.0 * (n + 1 - k) / (n * (n + 1)),  # w_k = 2(n+1-k) / (n(n+1))
        "rank_reciprocal": harmonic / harmonic.sum(),   # w_k = (1/k) / sum_i 1/i
    }


def _rank_weights(rule: str, n_or_order, criteria: Sequence[str] | None) -> pd.Series:
    import pandas as pd  # noqa: PLC0415
    if isinstance(n_or_order, (int, np.integer)) and not isinstance(n_or_order, bool):
        n = int(n_or_order)
        if not 1 <= n <= MAX_RANKS:
            raise DecisionError(f"number of criteria must be at least 1 and at most {MAX_RANKS:,}, got {n:,}")
        return pd.Series(_by_rank(n)[rule], index=pd.RangeIndex(1, n + 1, name="rank"), name="weight")
    groups = parse_order(n_or_order, criteria)
    by_rank = _by_rank(sum(len(g) for g in groups))[rule]
    out, pos = {}, 0
    for g in groups:                                    # tied positions share the average of their weights
        share = by_rank[pos:pos + len(g)].mean()
        out.update(dict.fromkeys(g, share))
        pos += len(g)
    index = list(criteria) if criteria is not None else [c for g in groups for c in g]
    return pd.Series([out[c] for c in index], index=index, name="weight")


def roc(n_or_order, criteria: Sequence[str] | None = None) -> pd.Series:
    """Rank-order-centroid weights (Barron & Barrett 1996): ``w_k = (1/n) sum_{i=k..n} 1/i`` for rank k of n.

    ``n_or_order``: an int n (returns the weights of ranks 1..n) or an importance order (see :func:`parse_order`);
    tied criteria share the average weight of the positions they occupy. Output in ``criteria`` order if given.
    """
    return _rank_weights("roc", n_or_order, criteria)


def rank_sum(n_or_order, criteria: Sequence[str] | None = None) -> pd.Series:
    """Rank-sum weights: ``w_k = 2(n+1-k) / (n(n+1))`` (linear in rank). Arguments as :func:`roc`."""
    return _rank_weights("rank_sum", n_or_order, criteria)


def rank_reciprocal(n_or_order, criteria: Sequence[str] | None = None) -> pd.Series:
    """Rank-reciprocal weights: ``w_k = (1/k) / sum_i 1/i``. Arguments as :func:`roc`."""
    return _rank_weights("rank_reciprocal", n_or_order, criteria)


def _parse_assignments(text: str, what: str) -> dict[str, str]:
    values: dict[str, str] = {}
    for part in filter(None, (p.strip() for p in text.split(","))):
        name, sep, num = part.partition("=")
        if not sep:
            raise DecisionError(f"{what}: expected name=value, got '{part}'")
        if name.strip() in values:
            raise DecisionError(f"{what}: '{name.strip()}' given twice")
        values[name.strip()] = num.strip()
    return values


def swing(points, criteria: Sequence[str] | None = None) -> pd.Series:
    """Swing weights (SMARTS, Edwards & Barron 1994): ``w_j = s_j / sum s``.

    ``points``: {criterion: points} or ``"a=100,b=60,..."``. Each criterion's swing from its worst to its best level
    is rated against the most important swing, which gets exactly 100; the others get 0..100. Weights are tied to
    the ranges of the value scales: re-elicit them when the ranges change.
    """
    if isinstance(points, str):
        points = _parse_assignments(points, "swing points")
    if not isinstance(points, Mapping) or not points:
        raise DecisionError("swing points: expected {criterion: points} or 'a=100,b=60,...'")
    if criteria is not None:
        unknown = [k for k in points if k not in criteria]
        missing = [c for c in criteria if c not in points]
        if unknown or missing:
            raise DecisionError(f"swing points: unknown criterion '{unknown[0]}'" if unknown else
                                f"swing points miss criterion '{missing[0]}' (give every criterion 0 to 100 points)")
    w = direct(points, criteria)                        # validates numbers (>= 0, finite)
    raw = {k: float(v) for k, v in points.items()}
    over = [k for k, v in raw.items() if v > 100]
    if over:
        raise DecisionError(f"swing points: '{over[0]}' has {raw[over[0]]:g} points; the most important swing gets "
                            "100 and the others 0 to 100")
    if max(raw.values()) != 100:
        raise DecisionError(f"swing points: the most important swing must get exactly 100 (highest given: "
                            f"{max(raw.values()):g})")
    return w


# ----------------------------------------------------------------------------------------------------------------
# AHP (Saaty): eigenvector weights and consistency

RI_TABLE_NAME = "Tummala & Ling (1998), as in pymcdm 1.4 AHP.RI_M"
"""Random-index table used for the consistency ratio. Saaty's 1980 table (0.58, 0.90, 1.12, ...) differs in the
second decimal; see docs/weights.md."""
# CR_THRESHOLD (decision.defaults): Saaty's rule, a consistency ratio above 0.10 calls for revising the judgments.
RECIPROCAL_TOLERANCE = 0.02
"""Largest accepted ``|a_ij * a_ji - 1|`` (allows two-decimal rounding such as 0.33 for 1/3, not 0.14 for 1/7)."""


def _ri_table() -> tuple[float, ...]:
    from pymcdm.weights.subjective import AHP  # noqa: PLC0415  (pymcdm import is slow; only when used)
    return tuple(float(x) for x in AHP.RI_M)


MAX_RATIO = 1_000.0
"""Largest pairwise judgment accepted (and smallest: its reciprocal); beyond it the eigenvector overflows."""


def _number(v, where: str) -> float:
    """A judgment: a number or a fraction string such as ``"1/3"``."""
    if isinstance(v, bool):
        raise DecisionError(f"{where}: expected a positive number, got {v!r}")
    if isinstance(v, str):
        num, sep, den = v.strip().partition("/")
        try:
            f = _plain_number(num, where) / _plain_number(den, where) if sep else _plain_number(num, where)
        except (DecisionError, ZeroDivisionError):
            raise DecisionError(f"{where}: expected a positive number or a fraction like 1/3, got "
                                f"{_short(v)}") from None
    else:
        try:
            f = float(v)
        except (TypeError, ValueError, OverflowError):
            raise DecisionError(f"{where}: expected a positive number, got {_short(v)}") from None
    if not math.isfinite(f) or f <= 0:
        raise DecisionError(f"{where}: judgments must be positive finite numbers, got {_short(v)}")
    if not 1 / MAX_RATIO <= f <= MAX_RATIO:
        raise DecisionError(f"{where}: a judgment of {f:g} is outside 1/{MAX_RATIO:g} to {MAX_RATIO:g} (Saaty's "
                            "scale runs from 1/9 to 9)")
    return f


def _pair(key) -> tuple[str, str]:
    if isinstance(key, str):
        a, sep, b = key.partition("/")
        if not sep:
            raise DecisionError(f"pairwise judgment key '{key}': expected 'a/b' (how many times a matters more "
                                "than b) or a pair (a, b)")
        return a.strip(), b.strip()
    if isinstance(key, (tuple, list)) and len(key) == 2:
        return str(key[0]).strip(), str(key[1]).strip()
    raise DecisionError(f"pairwise judgment key {key!r}: expected 'a/b' or a pair (a, b)")


def pairwise_matrix(pairwise, criteria: Sequence[str] | None = None) -> pd.DataFrame:
    """A validated, exactly reciprocal pairwise-comparison matrix (rows/columns labelled by criterion).

    ``pairwise`` is one of:

    * a full square matrix (array, nested list or DataFrame) with ``a_ij`` = how many times criterion i matters more
      than j, ``a_ii = 1`` and ``a_ji = 1/a_ij``;
    * judgments ``{"a/b": 3, ...}`` or ``{("a", "b"): 3, ...}`` covering every pair once (either orientation);
    * the upper triangle as a flat list ``[a_12, a_13, ..., a_1n, a_23, ...]`` (needs ``criteria``).

    Values may be fractions such as ``"1/3"``. Non-square, non-positive, non-reciprocal (beyond
    ``RECIPROCAL_TOLERANCE``) or incomplete input raises :class:`DecisionError`. Small rounding is removed by taking
    ``a_ij = sqrt(a_ij / a_ji)``.
    """
    import pandas as pd  # noqa: PLC0415
    if isinstance(pairwise, Mapping):
        A, labels = _from_judgments(pairwise, criteria)
    else:
        labels = None
        if isinstance(pairwise, pd.DataFrame):
            labels = [str(c) for c in pairwise.columns]
            if not isinstance(pairwise.index, pd.RangeIndex) and [str(i) for i in pairwise.index] != labels:
                raise DecisionError("pairwise matrix: row labels must equal column labels in the same order")
            pairwise = pairwise.to_numpy(dtype=object)
        raw = np.asarray(pairwise, dtype=object)
        if raw.ndim == 1:
            if criteria is None:
                raise DecisionError("pairwise judgments as a flat upper triangle need the criteria names")
            n = len(criteria)
            if len(raw) != n * (n - 1) // 2:
                raise DecisionError(f"upper-triangle judgments: expected {n * (n - 1) // 2} values for {n} criteria, "
                                    f"got {len(raw)}")
            A = np.ones((n, n))
            for (i, j), v in zip(zip(*np.triu_indices(n, 1)), raw):
                A[i, j] = _number(v, f"judgment {criteria[i]}/{criteria[j]}")
                A[j, i] = 1.0 / A[i, j]
            labels = list(criteria)
        else:
            if raw.ndim != 2 or raw.shape[0] != raw.shape[1] or raw.shape[0] < 1:
                raise DecisionError(f"pairwise matrix must be square (n x n), got shape {raw.shape}")
            labels = labels or (list(criteria) if criteria is not None else [str(i) for i in range(raw.shape[0])])
            if len(labels) != raw.shape[0]:
                raise DecisionError(f"pairwise matrix is {raw.shape[0]} x {raw.shape[0]} but {len(labels)} criteria "
                                    "are named")
            A = np.array([[_number(raw[i, j], f"pairwise matrix [{labels[i]}, {labels[j]}]")
                           for j in range(raw.shape[1])] for i in range(raw.shape[0])])
        if criteria is not None and list(labels) != list(criteria):
            if sorted(labels) != sorted(criteria):
                raise DecisionError(f"pairwise matrix compares {', '.join(labels)}; expected the criteria "
                                    f"{', '.join(criteria)}")
            order = [labels.index(c) for c in criteria]
            A, labels = A[np.ix_(order, order)], list(criteria)
    n = len(A)
    for i in range(n):
        if abs(A[i, i] - 1) > 1e-9:
            raise DecisionError(f"pairwise matrix [{labels[i]}, {labels[i]}] is {A[i, i]:g}; a criterion compared "
                                "with itself must be 1")
        for j in range(i + 1, n):
            if abs(A[i, j] * A[j, i] - 1) > RECIPROCAL_TOLERANCE:
                raise DecisionError(
                    f"pairwise matrix is not reciprocal: [{labels[i]}, {labels[j]}] = {A[i, j]:.4g} but "
                    f"[{labels[j]}, {labels[i]}] = {A[j, i]:.4g} (expected 1/{A[i, j]:.4g} = {1 / A[i, j]:.4g}; "
                    "write fractions like 1/7 rather than rounded decimals)")
    A = np.sqrt(A / A.T)
    return pd.DataFrame(A, index=labels, columns=labels)


def _from_judgments(judgments: Mapping, criteria: Sequence[str] | None) -> tuple[np.ndarray, list[str]]:
    pairs = {}
    for key, v in judgments.items():
        a, b = _pair(key)
        if a == b:
            raise DecisionError(f"pairwise judgment {a}/{b}: a criterion is not compared with itself")
        val = _number(v, f"judgment {a}/{b}")
        if (a, b) in pairs or (b, a) in pairs:
            raise DecisionError(f"pairwise judgments: {a} and {b} are compared twice")
        pairs[(a, b)] = val
    seen = list(dict.fromkeys(x for p in pairs for x in p))
    labels = list(criteria) if criteria is not None else seen
    unknown = [x for x in seen if x not in labels]
    if unknown:
        raise DecisionError(f"pairwise judgments: unknown criterion '{unknown[0]}'; known: {', '.join(labels)}")
    idx = {c: i for i, c in enumerate(labels)}
    n = len(labels)
    A = np.ones((n, n))
    for (a, b), v in pairs.items():
        A[idx[a], idx[b]], A[idx[b], idx[a]] = v, 1.0 / v
    missing = [(labels[i], labels[j]) for i, j in zip(*np.triu_indices(n, 1))
               if (labels[i], labels[j]) not in pairs and (labels[j], labels[i]) not in pairs]
    if missing:
        a, b = missing[0]
        raise DecisionError(f"pairwise judgments miss {len(missing)} comparison(s), e.g. {a}/{b} (give all "
                            f"{n * (n - 1) // 2} pairs; incomplete matrices are not supported)")
    return A, labels


def judgments(matrix: pd.DataFrame) -> dict[str, float]:
    """The upper-triangle judgments of a reciprocal matrix as ``{"more/less": ratio >= 1}`` (readable form)."""
    labels = list(matrix.columns)
    A = matrix.to_numpy(dtype=float)
    out = {}
    for i, j in zip(*np.triu_indices(len(labels), 1)):
        if A[i, j] >= 1:
            out[f"{labels[i]}/{labels[j]}"] = float(A[i, j])
        else:
            out[f"{labels[j]}/{labels[i]}"] = float(A[j, i])
    return out


@dataclass(frozen=True)
class AHPResult:
    """AHP weights of a pairwise-comparison matrix and how consistent the judgments are.

    ``weights``: principal right eigenvector, normalised to sum 1 (Saaty). ``lambda_max``: the principal eigenvalue
    (>= n; = n only for a consistent matrix). ``consistency_index`` = (lambda_max - n) / (n - 1);
    ``consistency_ratio`` = CI / RI(n), with RI from ``random_index_table`` (0 for n <= 2). ``inconsistent``: CR above
    ``threshold`` (0.10). ``worst_judgment``: the judgment (more, less, given a_ij, implied w_i/w_j) with the
    largest ``|ln(a_ij * w_j / w_i)|``, the first to revisit; None when the matrix is consistent.
    """
    weights: pd.Series
    matrix: pd.DataFrame
    lambda_max: float
    consistency_index: float
    consistency_ratio: float
    random_index: float
    random_index_table: str
    random_index_values: tuple[float, ...]
    worst_judgment: tuple[str, str, float, float] | None
    threshold: float = CR_THRESHOLD

    @property
    def inconsistent(self) -> bool:
        return self.consistency_ratio > self.threshold

    def errors(self) -> pd.DataFrame:
        """Per judgment (i < j): given a_ij, implied w_i/w_j and ``|ln(a_ij w_j / w_i)|``, largest first."""
        return _judgment_errors(self.matrix, self.weights.to_numpy())


def _judgment_errors(matrix: pd.DataFrame, w: np.ndarray) -> pd.DataFrame:
    import pandas as pd  # noqa: PLC0415
    A = matrix.to_numpy(dtype=float)
    labels = list(matrix.columns)
    i, j = np.triu_indices(len(labels), 1)
    implied = w[i] / w[j]
    err = np.abs(np.log(A[i, j] / implied))
    df = pd.DataFrame({"criterion_i": [labels[k] for k in i], "criterion_j": [labels[k] for k in j],
                       "given": A[i, j], "implied": implied, "log_error": err})
    return df.sort_values("log_error", ascending=False, kind="stable").reset_index(drop=True)


def _eigen(A: np.ndarray) -> tuple[np.ndarray, float]:
    """Principal eigenvector (normalised, positive) and eigenvalue of a positive matrix (Perron root)."""
    vals, vecs = np.linalg.eig(A)
    k = int(np.argmax(vals.real))
    w = np.abs(vecs[:, k].real)
    return w / w.sum(), float(vals.real[k])


def ahp(pairwise, criteria: Sequence[str] | None = None) -> AHPResult:
    """AHP weights (eigenvector method) with Saaty's consistency ratio. Input forms as :func:`pairwise_matrix`.

    Weights come from pymcdm's ``AHP(matrix=...)`` when every judgment is on Saaty's 1-9 scale (or its reciprocals),
    which pymcdm requires; otherwise (e.g. group geometric means) from the same principal eigenvector computed with
    numpy. CR uses pymcdm's random-index table (Tummala & Ling 1998), named in the result.
    """
    import pandas as pd  # noqa: PLC0415
    M = pairwise_matrix(pairwise, criteria)
    A = M.to_numpy()
    n = len(A)
    table = _ri_table()
    if n > len(table):
        raise DecisionError(f"AHP: no random index for {n} criteria (table covers up to {len(table)})")
    w, lam = _eigen(A)
    if n >= 3 and _on_saaty_scale(A):
        from pymcdm.weights.subjective import AHP  # noqa: PLC0415
        w = np.asarray(AHP(matrix=A)(), dtype=float)
    ci = max(0.0, (lam - n) / (n - 1)) if n > 2 else 0.0
    ri = table[n - 1]
    cr = ci / ri if ri > 0 else 0.0
    worst = None
    if n > 2:
        e = _judgment_errors(M, w).iloc[0]
        if e["log_error"] > 1e-9:
            worst = (e["criterion_i"], e["criterion_j"], float(e["given"]), float(e["implied"]))
    return AHPResult(weights=pd.Series(w, index=list(M.columns), name="weight"), matrix=M, lambda_max=lam,
                     consistency_index=ci, consistency_ratio=cr, random_index=ri, random_index_table=RI_TABLE_NAME,
                     random_index_values=table, worst_judgment=worst)


def _on_saaty_scale(A: np.ndarray) -> bool:
    scale = np.array([*range(1, 10), *(1 / v for v in range(2, 10))])
    return bool(np.all(np.isclose(A[..., None], scale, rtol=0, atol=1e-9).any(-1)))


# ----------------------------------------------------------------------------------------------------------------
# Objective (data-driven) weights

OBJECTIVE_LABEL = "data-driven (objective) weights: they describe how the current combinations vary, not what matters"


def _objective_input(matrix, criteria, what: str) -> tuple[np.ndarray, list]:
    import pandas as pd  # noqa: PLC0415
    columns = list(matrix.columns) if isinstance(matrix, pd.DataFrame) else None
    try:
        X = np.asarray(matrix, dtype=float)
    except (TypeError, ValueError):
        raise DecisionError(f"{what} weights: the matrix holds non-numeric values") from None
    if X.ndim != 2 or X.shape[0] < 2 or X.shape[1] < 1:
        raise DecisionError(f"{what} weights need a 2-D matrix with at least 2 rows (alternatives x criteria), got "
                            f"shape {X.shape}")
    if not np.isfinite(X).all():
        raise DecisionError(f"{what} weights: the matrix holds NaN or infinite values")
    index = list(criteria) if criteria is not None else columns or list(range(X.shape[1]))
    if len(index) != X.shape[1]:
        raise DecisionError(f"{what} weights: {len(index)} criteria named for {X.shape[1]} columns")
    return X, index


def entropy(matrix, criteria: Sequence[str] | None = None) -> pd.Series:
    """Shannon-entropy weights (data-driven): criteria whose values vary more across alternatives weigh more.

    ``p_ij = x_ij / sum_i x_ij``; ``E_j = -sum_i p_ij ln p_ij / ln m`` (``0 ln 0 = 0``); ``w_j = (1 - E_j) /
    sum (1 - E)``. Values must be >= 0 (e.g. ``Portfolios.values``); direction (benefit/cost) plays no role. Agrees
    with ``pymcdm.weights.entropy_weights`` on positive matrices; pymcdm rejects zeros, which portfolio values contain,
    so the sum is computed here. A criterion with the same value everywhere gets weight 0.
    """
    import pandas as pd  # noqa: PLC0415
    X, index = _objective_input(matrix, criteria, "entropy")
    if (X < 0).any():
        raise DecisionError("entropy weights need values >= 0")
    sums = X.sum(0)
    if (sums <= 0).any():
        raise DecisionError(f"entropy weights: criterion '{index[int(np.argmin(sums))]}' is 0 for every alternative")
    P = X / sums
    with np.errstate(divide="ignore", invalid="ignore"):
        plogp = np.where(P > 0, P * np.log(P), 0.0)
    d = 1.0 + plogp.sum(0) / math.log(len(X))
    d = np.clip(d, 0.0, None)
    if d.sum() <= 1e-15:
        raise DecisionError("entropy weights: every criterion is spread evenly; the data cannot tell them apart")
    return pd.Series(d / d.sum(), index=index, name="weight")


def critic(matrix, types=None, criteria: Sequence[str] | None = None) -> pd.Series:
    """CRITIC weights (Diakoulaki, Mavrotas & Papayannakis 1995; data-driven) via ``pymcdm.weights.critic_weights``.

    ``w_j ∝ sigma_j * sum_k (1 - r_jk)`` on min-max normalised values: a criterion weighs more when it varies more
    and agrees less with the others. ``types`` (1 benefit / -1 cost, default all benefit) orient the columns before
    correlating (pymcdm ignores direction). Constant criteria get weight 0; at least two must vary.
    """
    import pandas as pd  # noqa: PLC0415
    X, index = _objective_input(matrix, criteria, "CRITIC")
    t = np.ones(X.shape[1]) if types is None else np.asarray(types, dtype=float)
    if t.shape != (X.shape[1],) or not np.isin(t, (1, -1)).all():
        raise DecisionError(f"CRITIC weights: types must hold one 1 or -1 per criterion, got {np.ravel(t).tolist()}")
    varies = X.max(0) > X.min(0)
    if varies.sum() < 2:
        raise DecisionError("CRITIC weights need at least two criteria that vary across the alternatives")
    from pymcdm.weights import critic_weights  # noqa: PLC0415
    w = np.zeros(X.shape[1])
    w[varies] = critic_weights(X[:, varies] * t[varies])
    if not np.isfinite(w).all() or w.sum() <= 0:
        raise DecisionError("CRITIC weights are undefined for this matrix (the criteria are perfectly correlated)")
    return pd.Series(w / w.sum(), index=index, name="weight")
