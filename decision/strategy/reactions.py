"""How the ally may react to a package at a review: reactions, their probabilities, and the strategy principles.

Model (a multinomial logit around sourced base rates, held inside documented envelopes). For a package ``x`` in a
scenario with factors ``f``, reviewed in a *context* (the ally's previous reaction, and whether ties are degraded)::

    logit_k(x, c) = log(base_k) + sum over rules i of reaction k:  log_odds_i * feature_i(x, c) * (f_i - 5) / 5
    P(k | x, c)   = envelope( softmax_k(logit) )

* A rule names a feature, a scenario factor (5 is neutral), or both (their product). Package features are 1 when the
  package holds one of the feature's tools, families or stances (and none of its ``unless`` features); the built-in
  ``rung`` is the package's highest rung / 8. Memory features come from the context: ``after_complies``,
  ``after_stalls``, ``after_retaliation`` (the previous reaction's kind) and ``degraded`` (ties degraded by an
  earlier major retaliation); all are 0 at the opening.
* A reaction may *require* a package feature: an ally can only comply with a package that makes a demand, so
  ``complies`` has probability 0 for a package without the ``demand`` feature.
* **Envelope.** Every reaction's probability stays inside its documented bracket ``[low, high]`` (reactions.yaml):
  probabilities are clipped to their brackets and the excess or shortfall is shared among the reactions still inside
  theirs, in proportion to their probabilities (:func:`envelope`).

Each reaction carries ``effects`` (points added to the package's criterion values for the period in which the ally
reacts that way, optionally scaled by a factor / 5); a ``degrades`` reaction (major retaliation) leaves the ties
degraded, and ``degraded_ties`` effects then apply in every later period of the horizon.

Pure functions, vectorised over packages; loading and validation live in :mod:`decision.strategy.reactions_file`.
"""
from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np

from ..catalog import Catalog
from ..defaults import PRINCIPLES
from ..errors import CatalogError

RUNG_FEATURE = "rung"
MEMORY_FEATURES = ("after_complies", "after_stalls", "after_retaliation", "degraded")
"""Built-in features of the review context (the previous reaction's kind; ties degraded)."""
KINDS = ("complies", "stalls", "retaliates")
MAX_RUNG = 8
PROBABILITY_TOLERANCE = 1e-6


# ----------------------------------------------------------------------------------------------------------------
# Domain objects (immutable)

@dataclass(frozen=True)
class Scale:
    """Effects on ``criteria`` multiplied by ``factor`` / 5 in the scenario (what is at stake grows with it)."""
    factor: str
    criteria: tuple[str, ...]


@dataclass(frozen=True)
class Reaction:
    """One way the ally may answer a package: ``kind`` (complies / stalls / retaliates), ``severity`` of a
    retaliation (minor / major), base probability inside its envelope ``low``-``high``, the package feature it
    ``requires`` (None: any package), effects for the period in which it happens, and whether it ``degrades`` the
    ties for the rest of the horizon."""
    id: str
    name: str
    description: str
    kind: str
    severity: str | None
    probability: float
    low: float
    high: float
    effects: dict[str, float]
    scale: Scale | None
    requires: str | None
    degrades: bool
    rationale: str
    source: str
    prior: float | None = None


@dataclass(frozen=True)
class DegradedTies:
    """Effects (points) in every period after a degrading reaction, until the horizon ends."""
    effects: dict[str, float]
    scale: Scale | None
    rationale: str
    source: str


@dataclass(frozen=True)
class Feature:
    """A package feature: 1 when the package holds one of ``tools`` or a tool of ``families`` / ``stances``, and
    none of the ``unless`` features."""
    id: str
    tools: tuple[str, ...]
    families: tuple[str, ...]
    stances: tuple[str, ...]
    description: str
    unless: tuple[str, ...] = ()


@dataclass(frozen=True)
class ReactionRule:
    """Shifts the log-odds of ``reaction`` by ``log_odds * feature * (factor - 5) / 5`` (either part optional)."""
    id: str
    reaction: str
    feature: str | None
    factor: str | None
    log_odds: float
    low: float
    high: float
    rationale: str
    source: str
    prior: float | None = None


@dataclass(frozen=True)
class Principles:
    """The seed's principles as constraints on a strategy (docs/strategy.md); each can be switched off. Reactions are
    named by kind: credibility and answering stalling act after ``stalls``, verified progress, keeping penalties and
    rewarding compliance after ``complies``, the de-escalation channel after any retaliation."""
    calibration: bool = True
    max_rungs_up: int = 2
    opening_max_rung: int | None = 4
    grave_opening_max_rung: int | None = None
    grave_threshold: float | None = None
    grave_factors: tuple[str, ...] = ()
    credibility: bool = True
    threat_at_horizon: bool = True
    verified_progress: bool = True
    de_escalation: bool = True
    hold_after_retaliation: bool = True
    no_threat_after_retaliation: bool = True
    answer_stalling: bool = True
    keep_penalties: bool = True
    reward_compliance: bool = True
    benchmarks: bool = True
    security_floor: bool = True
    floor_criteria: tuple[str, ...] = ("security_continuity",)
    max_rupture_risk: float | None = None
    rationale: tuple[tuple[str, str], ...] = ()

    NAMES = PRINCIPLES

    def switched(self, off=(), on=()) -> Principles:
        """A copy with the named principles switched off / on."""
        for name in (*off, *on):
            if name not in self.NAMES:
                raise CatalogError(f"unknown principle '{name}'; known: {', '.join(self.NAMES)}")
        return replace(self, **{n: False for n in off}, **{n: True for n in on})

    def describe(self) -> list[str]:
        """One line per principle, with its settings and whether it is on."""
        state = lambda on: "on " if on else "off"  # noqa: E731
        opening = f", opening up to rung {self.opening_max_rung}" if self.opening_max_rung is not None else ""
        if self.opening_max_rung is not None and self.grave_opening_max_rung is not None \
                and self.grave_threshold is not None and self.grave_factors:
            grave = " or ".join(self.grave_factors).replace("_", " ")
            opening += (f" (rung {self.grave_opening_max_rung} when {grave} is at least {self.grave_threshold:g}, "
                        "flagged rung_skip)")
        horizon = "; a threat in the last package needs a next step on the ladder" if self.threat_at_horizon else ""
        risk = (f"; chance of a major retaliation at most {self.max_rupture_risk:.0%} per period"
                if self.max_rupture_risk is not None else "")
        return [
            f"[{state(self.calibration)}] calibration: at most {self.max_rungs_up} rungs up per review{opening}",
            f"[{state(self.credibility)}] credibility: a threat is carried out when the ally stalls (more pressure "
            f"next){horizon}; when off, idle threats are flagged 'bluff'",
            f"[{state(self.verified_progress)}] verified progress: incentives only after the ally complied while a "
            "verification tool was in force",
            f"[{state(self.de_escalation)}] de-escalation channel: crisis protocol after a retaliation"
            + (", no climb up the ladder" if self.hold_after_retaliation else "")
            + (", no new threat" if self.no_threat_after_retaliation else ""),
            f"[{state(self.answer_stalling)}] answer stalling: after the ally stalls the next package presses harder "
            "or verifies more (a higher rung, a benchmark, verification or pressure) where one is available",
            f"[{state(self.keep_penalties)}] keep penalties: a penalty in force is lifted only after the ally "
            "complies",
            f"[{state(self.reward_compliance)}] reward compliance: after the ally complies the next package is no "
            "more coercive (no higher rung, no more pressure, no new penalty)",
            f"[{state(self.benchmarks)}] benchmarks: the opening, and every package that presses, states a benchmark "
            "and holds a way to verify it",
            f"[{state(self.security_floor)}] security floor: {', '.join(self.floor_criteria)} above the red line on "
            f"every branch, degraded ties included{risk}",
            "[on ] static feasibility: every package meets constraints.yaml (prerequisites, ladder, red lines)",
        ]


@dataclass(frozen=True)
class ReactionModel:
    reactions: tuple[Reaction, ...]
    features: tuple[Feature, ...]
    rules: tuple[ReactionRule, ...]
    principles: Principles
    concentration: float
    degraded: DegradedTies | None = None
    file: str = ""

    @property
    def ids(self) -> list[str]:
        return [r.id for r in self.reactions]

    @property
    def kinds(self) -> list[str]:
        return [r.kind for r in self.reactions]

    @property
    def base(self) -> np.ndarray:
        return np.array([r.probability for r in self.reactions])

    @property
    def low(self) -> np.ndarray:
        return np.array([r.low for r in self.reactions])

    @property
    def high(self) -> np.ndarray:
        return np.array([r.high for r in self.reactions])

    @property
    def degrades(self) -> np.ndarray:
        """(K,) bool: reactions after which the ties stay degraded."""
        return np.array([r.degrades for r in self.reactions], dtype=bool)

    @property
    def package_feature_ids(self) -> list[str]:
        return [f.id for f in self.features] + [RUNG_FEATURE]

    @property
    def feature_ids(self) -> list[str]:
        return self.package_feature_ids + list(MEMORY_FEATURES)

    def index(self, reaction: str) -> int:
        return self.ids.index(reaction)

    def of_kind(self, kind: str) -> np.ndarray:
        """(K,) bool: the reactions of ``kind``."""
        return np.array([r.kind == kind for r in self.reactions], dtype=bool)

    def effects(self, criteria, factors: dict | None = None) -> np.ndarray:
        """(K x C) effect points in ``criteria`` order, scaled by the scenario's ``factors`` where a reaction says so
        (unscaled without factors)."""
        return np.array([_scaled(r.effects, r.scale, criteria, factors) for r in self.reactions], dtype=float)

    def degraded_effects(self, criteria, factors: dict | None = None) -> np.ndarray:
        """(C,) points added in every period while the ties are degraded (zeros when the model has none)."""
        if self.degraded is None:
            return np.zeros(len(criteria))
        return np.array(_scaled(self.degraded.effects, self.degraded.scale, criteria, factors), dtype=float)

    @property
    def log_odds(self) -> np.ndarray:
        return np.array([r.log_odds for r in self.rules], dtype=float)

    @property
    def prior_base(self) -> np.ndarray:
        """Base probabilities before any fit to the case library (the sourced values; ``prior`` in the file)."""
        return np.array([r.probability if r.prior is None else r.prior for r in self.reactions])

    @property
    def prior_log_odds(self) -> np.ndarray:
        """Rule log-odds before any fit to the case library (the sourced values; ``prior`` in the file)."""
        return np.array([r.log_odds if r.prior is None else r.prior for r in self.rules], dtype=float)

    @property
    def fitted(self) -> bool:
        """Whether the file's values were fitted to the case library (some value carries its ``prior``)."""
        return any(x.prior is not None for x in (*self.reactions, *self.rules))

    def with_principles(self, principles: Principles) -> ReactionModel:
        return replace(self, principles=principles)


def _scaled(effects: dict, scale: Scale | None, criteria, factors) -> list[float]:
    m = factors[scale.factor] / 5.0 if scale is not None and factors is not None else 1.0
    return [effects.get(c, 0.0) * (m if scale is not None and c in scale.criteria else 1.0) for c in criteria]


# ----------------------------------------------------------------------------------------------------------------
# Pure computation

def feature_matrix(members: np.ndarray, catalog: Catalog, model: ReactionModel) -> np.ndarray:
    """(N x F) package-feature values given the (N x T) membership, in ``model.package_feature_ids`` order."""
    members = np.asarray(members, dtype=bool)
    held = {}
    for f in model.features:
        mark = np.array([t.id in f.tools or t.family in f.families or t.stance in f.stances
                         for t in catalog.tools], dtype=bool)
        held[f.id] = members[:, mark].any(1)
    cols = [held[f.id] & ~np.any([held[u] for u in f.unless], axis=0) if f.unless else held[f.id]
            for f in model.features]
    rungs = np.array([t.rung for t in catalog.tools])
    cols.append(np.where(members, rungs, 0).max(1, initial=0) / MAX_RUNG)
    return np.column_stack(cols).astype(float)


def memory_values(prev_kind: str | None, degraded: bool) -> dict[str, float]:
    """The memory features of a review context: the previous reaction's kind (None at the opening) and whether the
    ties are degraded."""
    return {"after_complies": float(prev_kind == "complies"), "after_stalls": float(prev_kind == "stalls"),
            "after_retaliation": float(prev_kind == "retaliates"), "degraded": float(degraded)}


def rule_design(features: np.ndarray, factors: dict, model: ReactionModel, memory: dict | None = None
                ) -> np.ndarray:
    """(N x R) value each rule multiplies its log-odds by: feature (or 1) times (factor - 5) / 5 (or 1). ``features``
    are package features (:func:`feature_matrix`); ``memory`` the context's memory features (scalars or (N,) arrays;
    default all 0); ``factors`` values may be scalars or (N,) arrays."""
    fid = {f: j for j, f in enumerate(model.package_feature_ids)}
    memory = memory or {}
    n = len(features)
    cols = []
    for r in model.rules:
        if r.feature is None:
            col = np.ones(n)
        elif r.feature in fid:
            col = features[:, fid[r.feature]]
        else:
            col = np.broadcast_to(np.asarray(memory.get(r.feature, 0.0), dtype=float), (n,))
        if r.factor:
            col = col * (np.asarray(factors[r.factor], dtype=float) - 5.0) / 5.0
        cols.append(np.broadcast_to(col, (n,)))
    return np.column_stack(cols) if cols else np.zeros((n, 0))


def memory_design(model: ReactionModel, factors: dict, context_list) -> np.ndarray:
    """(C x R) the context part of the rule design: for each (previous reaction kind or None, degraded) the value
    each rule on a memory feature multiplies its log-odds by (0 for every other rule). The full design of a package
    in a context is its :func:`rule_design` (memory 0) plus this row."""
    rows = []
    for prev, degraded in context_list:
        mem = memory_values(prev, degraded)
        rows.append([mem[r.feature] * ((factors[r.factor] - 5.0) / 5.0 if r.factor else 1.0)
                     if r.feature in MEMORY_FEATURES else 0.0 for r in model.rules])
    return np.array(rows, dtype=float).reshape(len(rows), len(model.rules))


def allowed_reactions(features: np.ndarray, model: ReactionModel) -> np.ndarray:
    """(N x K) bool: reactions a package makes possible (a reaction that ``requires`` a feature needs it)."""
    fid = {f: j for j, f in enumerate(model.package_feature_ids)}
    return np.column_stack([np.ones(len(features), bool) if r.requires is None else features[:, fid[r.requires]] > 0
                            for r in model.reactions])


def envelope(P: np.ndarray, low: np.ndarray, high: np.ndarray, allowed: np.ndarray | None = None) -> np.ndarray:
    """Probabilities (..., K) held inside their brackets: clip to ``[low, high]`` (``[0, 0]`` where not allowed) and
    share the excess or shortfall among reactions still inside their brackets, in proportion to their probabilities
    (equally when those are all 0). Exact after at most K rounds when the brackets admit a distribution."""
    P = np.asarray(P, dtype=float)
    lo = np.broadcast_to(low, P.shape).astype(float)
    hi = np.broadcast_to(high, P.shape).astype(float)
    if allowed is not None:
        lo, hi = np.where(allowed, lo, 0.0), np.where(allowed, hi, 0.0)
    Q = np.clip(P, lo, hi)
    for _ in range(P.shape[-1]):
        gap = 1.0 - Q.sum(-1, keepdims=True)
        if np.all(np.abs(gap) < 1e-12):
            break
        room = np.where(gap > 0, Q < hi - 1e-15, Q > lo + 1e-15)
        share = np.where(room, Q, 0.0)
        total = share.sum(-1, keepdims=True)
        even = room / np.maximum(room.sum(-1, keepdims=True), 1)
        share = np.where(total > 1e-15, share / np.where(total > 1e-15, total, 1.0), even)
        Q = np.clip(Q + gap * share, lo, hi)
    return Q


def reaction_probabilities(design: np.ndarray, model: ReactionModel, base: np.ndarray | None = None,
                           log_odds: np.ndarray | None = None, allowed: np.ndarray | None = None,
                           bounded: bool = True) -> np.ndarray:
    """(N x K) reaction probabilities from the rule design (:func:`rule_design`); ``base`` / ``log_odds`` override
    the catalogue's values (robustness draws, fitting); ``allowed`` (N x K) masks reactions a package makes
    impossible; ``bounded`` holds them inside their envelopes."""
    base = model.base if base is None else np.asarray(base, dtype=float)
    lo = model.log_odds if log_odds is None else np.asarray(log_odds, dtype=float)
    to_reaction = np.zeros((len(model.rules), len(model.reactions)))
    to_reaction[np.arange(len(model.rules)), [model.index(r.reaction) for r in model.rules]] = 1.0
    with np.errstate(divide="ignore"):
        logits = np.log(base)[None, :] + (design * lo[None, :]) @ to_reaction
    if allowed is not None:
        logits = np.where(allowed, logits, -np.inf)
    logits = logits - logits.max(1, keepdims=True)
    e = np.exp(logits)
    P = e / e.sum(1, keepdims=True)
    return envelope(P, model.low, model.high, allowed) if bounded else P
