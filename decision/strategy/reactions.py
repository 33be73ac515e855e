"""How the ally may react to a package at a review: reactions, their probabilities, and the strategy principles.

Loaded from ``reactions.yaml`` in the catalogue folder (format: ``data/README.md``), validated like the rest of the
catalogue: every problem is one :class:`CatalogError` naming the file, the key, the field and the expectation.

Model (a multinomial logit around sourced base rates). For a package ``x`` in a scenario with factors ``f``::

    logit_k(x) = log(base_k) + sum over rules i of reaction k:  log_odds_i * feature_i(x) * (f_i - 5) / 5
    P(k | x)   = exp(logit_k) / sum_k' exp(logit_k')

where a rule names a package feature (1 when the package holds one of the feature's tools, families or stances;
the built-in ``rung`` is the package's highest rung / 8), a scenario factor (5 is neutral), or both (their product).
With no rule firing the probabilities are the base rates. Each reaction also carries ``effects``: points added to the
package's criterion values for the period in which the ally reacts that way (clipped to the scale).

Pure functions: :func:`feature_matrix` and :func:`reaction_probabilities` are vectorised over packages.
"""
from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path
from typing import Annotated, Literal

import numpy as np
from pydantic import Field

from ..catalog import Catalog
from ..defaults import PRINCIPLES
from ..schema import Number, Row, Text, read_yaml, unknown_key_message, validate
from ..errors import CatalogError

FILE = "reactions.yaml"
MAX_FILE_BYTES = 256 * 1024
"""Largest reactions file: the bundled one is 14 KB (about 19x); 256 KB of YAML parses in about half a second."""
MAX_REACTIONS = 12
"""Most reactions (bundled: 3). The solver's transition tables grow with reactions x signatures^2."""
MAX_FEATURES = 32
"""Most package features (bundled: 7). Feature values are an (N packages x features) matrix."""
MAX_RULES = 200
"""Most rules (bundled: 15). Each is validated and shown; their work no longer grows with N (:class:`RuleDesign`)."""
RUNG_FEATURE = "rung"
MAX_RUNG = 8
PROBABILITY_TOLERANCE = 1e-6
REQUIRED_FEATURES = {"calibration": (), "credibility": ("threat", "pressure"),
                     "verified_progress": ("verification", "incentives"), "de_escalation": ("de_escalation",),
                     "security_floor": ()}

Id = Annotated[str, Field(pattern=r"^[a-z][a-z0-9_]*$")]
Share = Annotated[float, Field(ge=0, le=1, allow_inf_nan=False)]


# ----------------------------------------------------------------------------------------------------------------
# Domain objects (immutable)

@dataclass(frozen=True)
class Reaction:
    """One way the ally may answer a package: base probability (``low``-``high`` its bracket) and effects (points
    per criterion for the period in which it happens)."""
    id: str
    name: str
    description: str
    probability: float
    low: float
    high: float
    effects: dict[str, float]
    rationale: str
    source: str


@dataclass(frozen=True)
class Feature:
    """A package feature: 1 when the package holds one of ``tools`` or a tool of ``families`` / ``stances``."""
    id: str
    tools: tuple[str, ...]
    families: tuple[str, ...]
    stances: tuple[str, ...]
    description: str


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


@dataclass(frozen=True)
class Principles:
    """The seed's principles as constraints on a strategy (see docs/strategy.md); each can be switched off."""
    calibration: bool = True
    max_rungs_up: int = 2
    opening_max_rung: int | None = 4
    credibility: bool = True
    credibility_reaction: str = "stalls"
    verified_progress: bool = True
    verified_reaction: str = "complies"
    de_escalation: bool = True
    de_escalation_reaction: str = "retaliates"
    hold_after_retaliation: bool = True
    security_floor: bool = True
    floor_criteria: tuple[str, ...] = ("security_continuity",)
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
        return [
            f"[{state(self.calibration)}] calibration: at most {self.max_rungs_up} rungs up per review{opening}",
            f"[{state(self.credibility)}] credibility: a threat is carried out on '{self.credibility_reaction}' "
            "(more pressure next); when off, idle threats are flagged 'bluff'",
            f"[{state(self.verified_progress)}] verified progress: incentives only on '{self.verified_reaction}' "
            "after a verification tool was in force",
            f"[{state(self.de_escalation)}] de-escalation channel: crisis protocol after "
            f"'{self.de_escalation_reaction}'" + (", and no climb up the ladder" if self.hold_after_retaliation else ""),
            f"[{state(self.security_floor)}] security floor: {', '.join(self.floor_criteria)} above the red line on "
            "every branch",
            "[on ] static feasibility: every package meets constraints.yaml (prerequisites, ladder, red lines)",
        ]


@dataclass(frozen=True)
class ReactionModel:
    reactions: tuple[Reaction, ...]
    features: tuple[Feature, ...]
    rules: tuple[ReactionRule, ...]
    principles: Principles
    concentration: float
    file: str = ""

    @property
    def ids(self) -> list[str]:
        return [r.id for r in self.reactions]

    @property
    def base(self) -> np.ndarray:
        return np.array([r.probability for r in self.reactions])

    @property
    def feature_ids(self) -> list[str]:
        return [f.id for f in self.features] + [RUNG_FEATURE]

    def index(self, reaction: str) -> int:
        return self.ids.index(reaction)

    def effects(self, criteria) -> np.ndarray:
        """(K x C) effect points in ``criteria`` order."""
        return np.array([[r.effects.get(c, 0.0) for c in criteria] for r in self.reactions], dtype=float)

    @property
    def log_odds(self) -> np.ndarray:
        return np.array([r.log_odds for r in self.rules], dtype=float)

    def with_principles(self, principles: Principles) -> ReactionModel:
        return replace(self, principles=principles)


# ----------------------------------------------------------------------------------------------------------------
# Pure computation

def feature_matrix(members: np.ndarray, catalog: Catalog, model: ReactionModel) -> np.ndarray:
    """(N x F) feature values of packages given their (N x T) membership, in ``model.feature_ids`` order."""
    members = np.asarray(members, dtype=bool)
    cols = []
    for f in model.features:
        mark = np.array([t.id in f.tools or t.family in f.families or t.stance in f.stances
                         for t in catalog.tools], dtype=bool)
        cols.append(members[:, mark].any(1))
    rungs = np.array([t.rung for t in catalog.tools])
    cols.append(np.where(members, rungs, 0).max(1, initial=0) / MAX_RUNG)
    return np.column_stack(cols).astype(float) if cols else np.zeros((len(members), 0))


def rule_design(features: np.ndarray, factors: dict[str, float], model: ReactionModel) -> np.ndarray:
    """(N x R) value each rule multiplies its log-odds by: feature (or 1) times (factor - 5) / 5 (or 1). For a few
    rows (episodes, :mod:`decision.backtest`); over every package use :func:`compact_design`."""
    fid = {f: j for j, f in enumerate(model.feature_ids)}
    cols = []
    for r in model.rules:
        col = features[:, fid[r.feature]] if r.feature else np.ones(len(features))
        if r.factor:
            col = col * (factors[r.factor] - 5.0) / 5.0
        cols.append(col)
    return np.column_stack(cols) if cols else np.zeros((len(features), 0))


@dataclass(frozen=True)
class RuleDesign:
    """The rule design of N packages without an (N x rules) matrix: rule i contributes
    ``log_odds_i * columns[:, column[i]] * scale[i]``, where ``columns`` holds the features (``model.feature_ids``
    order) and a last column of ones (a rule with a factor and no feature), and ``scale[i]`` is ``(factor - 5) / 5``
    or 1. Memory and work grow with the features, not with the number of rules (10,000 rules over the bundled
    catalogue's 80,000 packages took 11.4 GB as a matrix)."""
    columns: np.ndarray       # (N, F + 1)
    column: np.ndarray        # (R,) int
    scale: np.ndarray         # (R,)


def compact_design(features: np.ndarray, factors: dict[str, float], model: ReactionModel) -> RuleDesign:
    """The :class:`RuleDesign` of packages with feature values ``features`` (N x F) in a scenario with ``factors``
    (the same terms as :func:`rule_design`)."""
    fid = {f: j for j, f in enumerate(model.feature_ids)}
    ones = len(model.feature_ids)
    column = np.array([fid[r.feature] if r.feature else ones for r in model.rules], dtype=int)
    scale = np.array([(factors[r.factor] - 5.0) / 5.0 if r.factor else 1.0 for r in model.rules], dtype=float)
    columns = np.column_stack([np.asarray(features, dtype=float).reshape(len(features), -1),
                               np.ones(len(features))])
    return RuleDesign(columns, column, scale)


def reaction_probabilities(design: np.ndarray | RuleDesign, model: ReactionModel, base: np.ndarray | None = None,
                           log_odds: np.ndarray | None = None) -> np.ndarray:
    """(N x K) reaction probabilities from the rule design (:func:`rule_design` or :func:`compact_design`);
    ``base`` / ``log_odds`` override the catalogue's values (robustness draws, fits)."""
    base = model.base if base is None else np.asarray(base, dtype=float)
    lo = model.log_odds if log_odds is None else np.asarray(log_odds, dtype=float)
    to = np.array([model.index(r.reaction) for r in model.rules], dtype=int)
    if isinstance(design, RuleDesign):
        shift = np.zeros((design.columns.shape[1], len(model.reactions)))      # (F + 1, K) log-odds per unit
        np.add.at(shift, (design.column, to), lo * design.scale)
        terms = design.columns @ shift
    else:
        to_reaction = np.zeros((len(model.rules), len(model.reactions)))
        to_reaction[np.arange(len(model.rules)), to] = 1.0
        terms = (design * lo[None, :]) @ to_reaction
    with np.errstate(divide="ignore"):
        logits = np.log(base)[None, :] + terms
    logits -= logits.max(1, keepdims=True)
    e = np.exp(logits)
    return e / e.sum(1, keepdims=True)


# ----------------------------------------------------------------------------------------------------------------
# Loading and validation

class _Probability(Row):
    value: Share
    low: Share
    high: Share
    rationale: Text
    source: Text


class _ReactionRow(Row):
    id: Id
    name: Text
    description: str = ""
    probability: dict
    effects: dict[str, Number] = {}
    effects_rationale: str = ""
    effects_source: str = ""


class _FeatureRow(Row):
    tools: list[Id] = []
    families: list[Id] = []
    stances: list[Literal["de_escalating", "engagement", "scrutiny", "pressure"]] = []
    description: str = ""


class _RuleRow(Row):
    id: Id
    reaction: Id
    feature: Id | None = None
    factor: Id | None = None
    log_odds: Number
    low: Number
    high: Number
    rationale: Text
    source: Text


class _Switch(Row):
    enabled: bool = True
    reaction: Id | None = None
    rationale: Text
    source: Text


class _Calibration(_Switch):
    max_rungs_up: Annotated[int, Field(ge=0, le=MAX_RUNG)] = 2
    opening_max_rung: Annotated[int, Field(ge=0, le=MAX_RUNG)] | None = None


class _DeEscalation(_Switch):
    hold_rung: bool = True


class _Floor(_Switch):
    criteria: list[Id] = ["security_continuity"]


class _File(Row):
    concentration: dict
    reactions: list
    features: dict[str, dict] = {}
    rules: list = []
    principles: dict = {}


def load_reactions(catalog: Catalog, path: str | Path | None = None) -> ReactionModel:
    """Load ``reactions.yaml`` from ``path`` (a file or folder; default: the catalogue's folder) and check it
    against the catalogue (criteria, tools, factors)."""
    p = Path(path) if path is not None else Path(catalog.path)
    folder, name = (p.parent, p.name) if p.suffix in (".yaml", ".yml") else (p, FILE)
    data = validate(_File, read_yaml(folder, name, limit=MAX_FILE_BYTES), name, "top level")
    for key, limit in (("reactions", MAX_REACTIONS), ("features", MAX_FEATURES), ("rules", MAX_RULES)):
        n = len(getattr(data, key))
        if n > limit:
            raise CatalogError(f"{n:,} {key}, above the limit of {limit} (docs/security.md)", file=name, where=key)
    conc = validate(_ConcentrationRow, data.concentration, name, "concentration")
    reactions = _reactions(data.reactions, catalog, name)
    ids = [r.id for r in reactions]
    features = _features(data.features, catalog, name)
    fids = [f.id for f in features] + [RUNG_FEATURE]
    rules = _rules(data.rules, ids, fids, {f.id for f in catalog.factors}, name)
    principles = _principles(data.principles, ids, fids, catalog, name)
    return ReactionModel(tuple(reactions), tuple(features), tuple(rules), principles, conc.value, str(folder / name))


class _ConcentrationRow(Row):
    value: Annotated[float, Field(gt=0, allow_inf_nan=False)]
    rationale: Text
    source: Text


def _reactions(rows, catalog: Catalog, name: str) -> list[Reaction]:
    if len(rows) < 2:
        raise CatalogError("expected at least two reactions", file=name, where="reactions")
    out = []
    for i, raw in enumerate(rows):
        where = f"reactions[{i}]" + (f" ({raw.get('id')})" if isinstance(raw, dict) and raw.get("id") else "")
        r = validate(_ReactionRow, raw, name, where)
        pr = validate(_Probability, r.probability, name, where + ".probability")
        if not pr.low <= pr.value <= pr.high:
            raise CatalogError(f"expected low <= value <= high, got {pr.low} / {pr.value} / {pr.high}", file=name,
                               where=where, field="probability")
        for c in r.effects:
            if c not in catalog.criterion_ids:
                raise CatalogError(f"unknown criterion '{c}'; known: {', '.join(catalog.criterion_ids)}", file=name,
                                   where=where, field="effects")
        if r.effects and not (r.effects_rationale and r.effects_source):
            raise CatalogError("effects need an effects_rationale and an effects_source", file=name, where=where,
                               field="effects_source")
        if r.id in [o.id for o in out]:
            raise CatalogError(f"duplicate reaction id '{r.id}'", file=name, where=where, field="id")
        out.append(Reaction(r.id, r.name, r.description, pr.value, pr.low, pr.high, dict(r.effects),
                            f"{pr.rationale} | effects: {r.effects_rationale}".strip(" |"),
                            f"{pr.source} | effects: {r.effects_source}".strip(" |")))
    total = sum(r.probability for r in out)
    if abs(total - 1) > PROBABILITY_TOLERANCE:
        raise CatalogError(f"base probabilities sum to {total:g}, expected 1", file=name, where="reactions",
                           field="probability.value")
    return out


def _features(rows: dict, catalog: Catalog, name: str) -> list[Feature]:
    out = []
    families = {t.family for t in catalog.tools}
    for fid, raw in rows.items():
        where = f"features.{fid}"
        if fid == RUNG_FEATURE or not isinstance(fid, str) or not fid.isidentifier() or fid != fid.lower():
            raise CatalogError(f"expected a snake_case feature id other than '{RUNG_FEATURE}' (built in)", file=name,
                               where=where)
        f = validate(_FeatureRow, raw, name, where)
        if not (f.tools or f.families or f.stances):
            raise CatalogError("expected at least one of tools, families, stances", file=name, where=where)
        for t in f.tools:
            if t not in catalog.tool_ids:
                raise CatalogError(f"unknown tool '{t}' (not in tools.csv)", file=name, where=where, field="tools")
        for fam in f.families:
            if fam not in families:
                raise CatalogError(f"unknown family '{fam}'; known: {', '.join(sorted(families))}", file=name,
                                   where=where, field="families")
        out.append(Feature(fid, tuple(f.tools), tuple(f.families), tuple(f.stances), f.description))
    return out


def _rules(rows, reactions: list[str], features: list[str], factors: set[str], name: str) -> list[ReactionRule]:
    out = []
    for i, raw in enumerate(rows):
        where = f"rules[{i}]" + (f" ({raw.get('id')})" if isinstance(raw, dict) and raw.get("id") else "")
        r = validate(_RuleRow, raw, name, where)
        checks = [(r.reaction not in reactions, "reaction", f"unknown reaction '{r.reaction}'; known: "
                   f"{', '.join(reactions)}"),
                  (r.feature is None and r.factor is None, "feature", "expected a feature, a factor or both"),
                  (r.feature is not None and r.feature not in features, "feature",
                   f"unknown feature '{r.feature}'; known: {', '.join(features)}"),
                  (r.factor is not None and r.factor not in factors, "factor",
                   f"unknown scenario factor '{r.factor}'; known: {', '.join(sorted(factors))}"),
                  (not r.low <= r.log_odds <= r.high, "log_odds",
                   f"expected low <= log_odds <= high, got {r.low} / {r.log_odds} / {r.high}"),
                  (r.id in [o.id for o in out], "id", f"duplicate rule id '{r.id}'")]
        for bad, fld, msg in checks:
            if bad:
                raise CatalogError(msg, file=name, where=where, field=fld)
        out.append(ReactionRule(r.id, r.reaction, r.feature, r.factor, r.log_odds, r.low, r.high, r.rationale,
                                r.source))
    return out


def _principles(rows: dict, reactions: list[str], features: list[str], catalog: Catalog, name: str) -> Principles:
    unknown = [k for k in rows if k not in Principles.NAMES]
    if unknown:
        raise CatalogError(unknown_key_message(str(unknown[0]), Principles.NAMES).replace("key", "principle", 1),
                           file=name, where=f"principles.{unknown[0]}")
    defaults = Principles()
    kw, rationale = {}, []
    default_reaction = {"credibility": defaults.credibility_reaction, "verified_progress": defaults.verified_reaction,
                        "de_escalation": defaults.de_escalation_reaction}
    for p in Principles.NAMES:
        where = f"principles.{p}"
        if p not in rows:
            kw[p] = False      # a principle not stated in the file is off: nothing hidden
            continue
        model = {"calibration": _Calibration, "security_floor": _Floor, "de_escalation": _DeEscalation}.get(p, _Switch)
        s = validate(model, rows[p], name, where)
        kw[p] = s.enabled
        rationale.append((p, f"{s.rationale} ({s.source})"))
        if p in default_reaction:
            reaction = s.reaction or default_reaction[p]
            if reaction not in reactions:
                raise CatalogError(f"unknown reaction '{reaction}'; known: {', '.join(reactions)}", file=name,
                                   where=where, field="reaction")
            kw[{"credibility": "credibility_reaction", "verified_progress": "verified_reaction",
                "de_escalation": "de_escalation_reaction"}[p]] = reaction
        if s.enabled:
            for f in REQUIRED_FEATURES[p]:
                if f not in features:
                    raise CatalogError(f"principle needs the feature '{f}' (add it under features)", file=name,
                                       where=where)
        if p == "calibration":
            kw.update(max_rungs_up=s.max_rungs_up, opening_max_rung=s.opening_max_rung)
        if p == "de_escalation":
            kw["hold_after_retaliation"] = s.hold_rung
        if p == "security_floor":
            for c in s.criteria:
                if c not in catalog.criterion_ids:
                    raise CatalogError(f"unknown criterion '{c}'", file=name, where=where, field="criteria")
            kw["floor_criteria"] = tuple(s.criteria)
    return Principles(**kw, rationale=tuple(rationale))
