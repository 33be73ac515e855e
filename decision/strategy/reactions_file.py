"""Loading ``reactions.yaml`` (format: ``data/README.md``): reactions, features, rules, degraded ties, principles.

Validated like the rest of the catalogue (:mod:`decision.schema`): every problem is one :class:`CatalogError` naming
the file, the key, the field and the expectation; unknown keys are refused. Checked against the catalogue (criteria,
tools, families, factors) and bounded before any work (:data:`MAX_RULES`, :data:`MAX_FEATURES`, :data:`MAX_REACTIONS`).
"""
from __future__ import annotations

from pathlib import Path
from typing import Annotated, Literal

from pydantic import Field

from ..catalog import Catalog
from ..errors import CatalogError
from ..schema import Id, Number, Row, Text, check_tools, read_yaml, validate
from .reactions import (KINDS, MAX_RUNG, MEMORY_FEATURES, PROBABILITY_TOLERANCE, RUNG_FEATURE, DegradedTies, Feature,
                        Principles, Reaction, ReactionModel, ReactionRule, Scale)

FILE = "reactions.yaml"
MAX_FILE_BYTES = 256 * 1024
"""Largest reactions file: the bundled one is about 30 KB; 256 KB of YAML parses in about half a second."""
MAX_REACTIONS = 8
"""Most reactions (the review tree branches this many ways at every review; bundled: 4)."""
MAX_FEATURES = 32
"""Most package features (bundled: 11)."""
MAX_RULES = 200
"""Most rules (bundled: about 25); each adds a column to the design of every package."""
REQUIRED_FEATURES = {"calibration": (), "credibility": ("threat", "pressure"),
                     "verified_progress": ("verification", "incentives"), "de_escalation": ("de_escalation",),
                     "answer_stalling": ("threat", "verification", "pressure"), "keep_penalties": ("pressure",),
                     "reward_compliance": ("pressure",),
                     "benchmarks": ("threat", "verification", "pressure"),
                     "security_floor": ()}
Share = Annotated[float, Field(ge=0, le=1, allow_inf_nan=False)]


class _Probability(Row):
    value: Share
    low: Share
    high: Share
    prior: Share | None = None
    rationale: Text
    source: Text


class _Scale(Row):
    factor: Id
    criteria: list[Id]


class _ReactionRow(Row):
    id: Id
    name: Text
    description: str = ""
    kind: Literal[KINDS] | None = None
    severity: Literal["minor", "major"] | None = None
    degrades: bool | None = None
    requires: Id | None = None
    probability: dict
    effects: dict[str, Number] = {}
    scale: _Scale | None = None
    effects_rationale: str = ""
    effects_source: str = ""


class _Degraded(Row):
    effects: dict[str, Number]
    scale: _Scale | None = None
    rationale: Text
    source: Text


class _FeatureRow(Row):
    tools: list[Id] = []
    families: list[Id] = []
    stances: list[Literal["de_escalating", "engagement", "scrutiny", "pressure"]] = []
    unless: list[Id] = []
    description: str = ""


class _RuleRow(Row):
    id: Id
    reaction: Id
    feature: Id | None = None
    factor: Id | None = None
    log_odds: Number
    low: Number
    high: Number
    prior: Number | None = None
    rationale: Text
    source: Text


class _Switch(Row):
    enabled: bool = True
    rationale: Text
    source: Text


class _Calibration(_Switch):
    max_rungs_up: Annotated[int, Field(ge=0, le=MAX_RUNG)] = 2
    opening_max_rung: Annotated[int, Field(ge=0, le=MAX_RUNG)] | None = None
    grave_opening_max_rung: Annotated[int, Field(ge=0, le=MAX_RUNG)] | None = None
    grave_threshold: Annotated[float, Field(ge=0, le=10)] | None = None
    grave_factors: list[str] = []


class _Credibility(_Switch):
    at_horizon: bool = True


class _DeEscalation(_Switch):
    hold_rung: bool = True
    no_new_threat: bool = True


class _Floor(_Switch):
    criteria: list[Id] = ["security_continuity"]
    max_rupture_risk: Share | None = None


class _ConcentrationRow(Row):
    value: Annotated[float, Field(gt=0, allow_inf_nan=False)]
    rationale: Text
    source: Text


class _File(Row):
    concentration: dict
    reactions: Annotated[list, Field(max_length=MAX_REACTIONS)]
    degraded_ties: dict | None = None
    features: Annotated[dict[str, dict], Field(max_length=MAX_FEATURES)] = {}
    rules: Annotated[list, Field(max_length=MAX_RULES)] = []
    principles: dict = {}


def load_reactions(catalog: Catalog, path: str | Path | None = None) -> ReactionModel:
    """Load ``reactions.yaml`` from ``path`` (a file or folder; default: the catalogue's folder) and check it
    against the catalogue (criteria, tools, factors)."""
    p = Path(path) if path is not None else Path(catalog.path)
    folder, name = (p.parent, p.name) if p.suffix in (".yaml", ".yml") else (p, FILE)
    raw = read_yaml(folder, name, limit=MAX_FILE_BYTES)
    _check_sizes(raw, name)
    data = validate(_File, raw, name, "top level")
    conc = validate(_ConcentrationRow, data.concentration, name, "concentration")
    factors = {f.id for f in catalog.factors}
    features = _features(data.features, catalog, name)
    fids = [f.id for f in features] + [RUNG_FEATURE]
    reactions = _reactions(data.reactions, catalog, fids, factors, name)
    ids = [r.id for r in reactions]
    rules = _rules(data.rules, ids, fids + list(MEMORY_FEATURES), factors, name)
    degraded = _degraded(data.degraded_ties, catalog, factors, name) if data.degraded_ties is not None else None
    principles = _principles(data.principles, fids, catalog, name)
    return ReactionModel(tuple(reactions), tuple(features), tuple(rules), principles, conc.value, degraded,
                         str(folder / name))


def _check_sizes(raw: dict, name: str) -> None:
    """Refuse, before any other check, a file with more reactions, features or rules than the limits."""
    for key, limit in (("reactions", MAX_REACTIONS), ("features", MAX_FEATURES), ("rules", MAX_RULES)):
        n = len(raw[key]) if isinstance(raw.get(key), (list, dict)) else 0
        if n > limit:
            raise CatalogError(f"{n:,} {key}, above the limit of {limit}", file=name, where="top level", field=key)


def _scale(s: _Scale | None, catalog: Catalog, factors: set, name: str, where: str) -> Scale | None:
    if s is None:
        return None
    if s.factor not in factors:
        raise CatalogError(f"unknown scenario factor '{s.factor}'", file=name, where=where, field="scale.factor")
    for c in s.criteria:
        if c not in catalog.criterion_ids:
            raise CatalogError(f"unknown criterion '{c}'", file=name, where=where, field="scale.criteria")
    return Scale(s.factor, tuple(s.criteria))


def _effects(effects: dict, catalog: Catalog, name: str, where: str) -> dict:
    for c in effects:
        if c not in catalog.criterion_ids:
            raise CatalogError(f"unknown criterion '{c}'; known: {', '.join(catalog.criterion_ids)}", file=name,
                               where=where, field="effects")
    return dict(effects)


def _reactions(rows, catalog: Catalog, fids: list[str], factors: set, name: str) -> list[Reaction]:
    if len(rows) < 2:
        raise CatalogError("expected at least two reactions", file=name, where="reactions")
    out = []
    for i, raw in enumerate(rows):
        where = f"reactions[{i}]" + (f" ({raw.get('id')})" if isinstance(raw, dict) and raw.get("id") else "")
        r = validate(_ReactionRow, raw, name, where)
        pr = validate(_Probability, r.probability, name, where + ".probability")
        kind = r.kind or (r.id if r.id in KINDS else None)
        checks = [(kind is None, "kind", f"expected a kind ({', '.join(KINDS)}) for reaction '{r.id}'"),
                  (not pr.low <= pr.value <= pr.high, "probability",
                   f"expected low <= value <= high, got {pr.low} / {pr.value} / {pr.high}"),
                  (pr.prior is not None and not pr.low <= pr.prior <= pr.high, "probability.prior",
                   f"expected low <= prior <= high, got {pr.low} / {pr.prior} / {pr.high}"),
                  (r.severity is not None and kind != "retaliates", "severity", "only a retaliation has a severity"),
                  (r.requires is not None and r.requires not in fids, "requires",
                   f"unknown feature '{r.requires}'; known: {', '.join(fids)}"),
                  (bool(r.effects) and not (r.effects_rationale and r.effects_source), "effects_source",
                   "effects need an effects_rationale and an effects_source"),
                  (r.id in [o.id for o in out], "id", f"duplicate reaction id '{r.id}'")]
        for bad, fld, msg in checks:
            if bad:
                raise CatalogError(msg, file=name, where=where, field=fld)
        degrades = r.degrades if r.degrades is not None else r.severity == "major"
        out.append(Reaction(r.id, r.name, r.description, kind, r.severity, pr.value, pr.low, pr.high,
                            _effects(r.effects, catalog, name, where), _scale(r.scale, catalog, factors, name, where),
                            r.requires, degrades, f"{pr.rationale} | effects: {r.effects_rationale}".strip(" |"),
                            f"{pr.source} | effects: {r.effects_source}".strip(" |"), pr.prior))
    _check_envelopes(out, name)
    return out


def _check_envelopes(reactions: list[Reaction], name: str) -> None:
    """Base rates sum to 1, and the brackets admit a distribution with every reaction allowed and with each
    reaction that requires a feature ruled out."""
    total = sum(r.probability for r in reactions)
    if abs(total - 1) > PROBABILITY_TOLERANCE:
        raise CatalogError(f"base probabilities sum to {total:g}, expected 1", file=name, where="reactions",
                           field="probability.value")
    for gone in [None] + [r for r in reactions if r.requires]:
        rest = [r for r in reactions if r is not gone]
        lo, hi = sum(r.low for r in rest), sum(r.high for r in rest)
        if lo > 1 + PROBABILITY_TOLERANCE or hi < 1 - PROBABILITY_TOLERANCE:
            when = f" when '{gone.id}' is ruled out" if gone else ""
            raise CatalogError(f"the probability brackets (low sum {lo:g}, high sum {hi:g}) admit no distribution"
                               f"{when}; widen them", file=name, where="reactions", field="probability.low")


def _degraded(raw: dict, catalog: Catalog, factors: set, name: str) -> DegradedTies:
    d = validate(_Degraded, raw, name, "degraded_ties")
    return DegradedTies(_effects(d.effects, catalog, name, "degraded_ties"),
                        _scale(d.scale, catalog, factors, name, "degraded_ties"), d.rationale, d.source)


def _features(rows: dict, catalog: Catalog, name: str) -> list[Feature]:
    out = []
    families = {t.family for t in catalog.tools}
    for fid, raw in rows.items():
        where = f"features.{fid}"
        if fid in (RUNG_FEATURE, *MEMORY_FEATURES) or not isinstance(fid, str) or not fid.isidentifier() \
                or fid != fid.lower():
            raise CatalogError(f"expected a snake_case feature id other than the built-in {RUNG_FEATURE}, "
                               f"{', '.join(MEMORY_FEATURES)}", file=name, where=where)
        f = validate(_FeatureRow, raw, name, where)
        if not (f.tools or f.families or f.stances):
            raise CatalogError("expected at least one of tools, families, stances", file=name, where=where)
        check_tools(f.tools, catalog.tool_ids, name, where, "tools")
        for fam in f.families:
            if fam not in families:
                raise CatalogError(f"unknown family '{fam}'; known: {', '.join(sorted(families))}", file=name,
                                   where=where, field="families")
        for u in f.unless:
            if u not in [o.id for o in out]:
                raise CatalogError(f"'unless' names '{u}', which is not a feature defined above this one", file=name,
                                   where=where, field="unless")
        out.append(Feature(fid, tuple(f.tools), tuple(f.families), tuple(f.stances), f.description, tuple(f.unless)))
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
                  (r.prior is not None and not r.low <= r.prior <= r.high, "prior",
                   f"expected low <= prior <= high, got {r.low} / {r.prior} / {r.high}"),
                  (r.id in [o.id for o in out], "id", f"duplicate rule id '{r.id}'")]
        for bad, fld, msg in checks:
            if bad:
                raise CatalogError(msg, file=name, where=where, field=fld)
        out.append(ReactionRule(r.id, r.reaction, r.feature, r.factor, r.log_odds, r.low, r.high, r.rationale,
                                r.source, r.prior))
    return out


_PRINCIPLE_SCHEMAS = {"calibration": _Calibration, "credibility": _Credibility, "de_escalation": _DeEscalation,
                      "security_floor": _Floor}


def _principles(rows: dict, features: list[str], catalog: Catalog, name: str) -> Principles:
    unknown = [k for k in rows if k not in Principles.NAMES]
    if unknown:
        raise CatalogError(f"unknown principle '{unknown[0]}'; known: {', '.join(Principles.NAMES)}", file=name,
                           where=f"principles.{unknown[0]}")
    kw, rationale = {}, []
    for p in Principles.NAMES:
        where = f"principles.{p}"
        if p not in rows:
            kw[p] = False      # a principle not stated in the file is off: nothing hidden
            continue
        s = validate(_PRINCIPLE_SCHEMAS.get(p, _Switch), rows[p], name, where)
        kw[p] = s.enabled
        rationale.append((p, f"{s.rationale} ({s.source})"))
        if s.enabled:
            for f in REQUIRED_FEATURES[p]:
                if f not in features:
                    raise CatalogError(f"principle needs the feature '{f}' (add it under features)", file=name,
                                       where=where)
        if p == "calibration":
            known = [f.id for f in catalog.factors]
            for f in s.grave_factors:
                if f not in known:
                    raise CatalogError(f"unknown factor '{f}'; known: {', '.join(known)}", file=name, where=where,
                                       field="grave_factors")
            kw.update(max_rungs_up=s.max_rungs_up, opening_max_rung=s.opening_max_rung,
                      grave_opening_max_rung=s.grave_opening_max_rung, grave_threshold=s.grave_threshold,
                      grave_factors=tuple(s.grave_factors))
        if p == "credibility":
            kw["threat_at_horizon"] = s.at_horizon
        if p == "de_escalation":
            kw.update(hold_after_retaliation=s.hold_rung, no_threat_after_retaliation=s.no_new_threat)
        if p == "security_floor":
            for c in s.criteria:
                if c not in catalog.criterion_ids:
                    raise CatalogError(f"unknown criterion '{c}'", file=name, where=where, field="criteria")
            kw.update(floor_criteria=tuple(s.criteria), max_rupture_risk=s.max_rupture_risk)
    return Principles(**kw, rationale=tuple(rationale))
