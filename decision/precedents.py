"""Precedents: the documented episodes (:mod:`decision.cases`) nearest a scenario, and those that used a package like
the one under discussion, each told in one line with its sources.

Pure functions over a :class:`~decision.cases.CaseLibrary`: no printing, no files. Rules (``docs/evidence.md``,
"Precedents"):

**Distance** between a scenario ``s`` (factor values on 0-10, a set of facts ``F_s``) and an episode ``e``::

    d(s, e) = sqrt( sum_f w_f * ((s_f - e_f) / 10)^2  /  sum_f w_f )  +  FACT_WEIGHT * jaccard(F_s, F_e)
    jaccard(A, B) = 1 - |A & B| / |A | B|      (0 when both sets are empty)

The first term is a weighted root-mean-square factor difference on scales turned to 0-1 (0: the same factors; 1:
every factor at the opposite end of its scale); the second the Jaccard distance between the fact sets. Each term is a
metric (weighted Euclidean on vectors, Jaccard on finite sets), and a sum of metrics on the parts is a metric on the
pairs: non-negative, zero exactly when factors and facts are identical, symmetric, with the triangle inequality.

**Weights** (:data:`FACTOR_WEIGHTS`). A precedent is read for how the partner answered, so the five partner-side
factors that the reaction model ties to that answer (``data/reactions.yaml``, rules and sources) count double:

* ``leverage``: the more the partner depends on our arms and aid, the more a demand costs it to ignore (Drezner 1999,
  *The Sanctions Paradox*; George 1991, *Forceful Persuasion*);
* ``outside_options``: a partner with rival patrons concedes less and hits back more cheaply (Drezner 1998, "Conflict
  Expectations and the Paradox of Economic Coercion");
* ``criticism_sensitivity``: leaderships prone to nationalist backlash answer open criticism in kind (Hafner-Burton
  2008, "Sticks and Stones");
* ``reform_capacity``: governments without independent courts or civilian control cannot deliver what they promise
  (Hafner-Burton 2008);
* ``indispensability``: a partner that knows we need it has the stronger motivation in the dispute (George 1991).

The other five (``severity``, ``domestic_salience``, ``multilateral_availability``, ``time_pressure``,
``evidentiary_certainty``) describe the abuses and our side; they shape which tools score well more than how the
partner reacts, and weigh 1. A factor this table does not name (a user's own catalogue) weighs 1.

**Facts** weigh :data:`FACT_WEIGHT` = 0.25: a complete mismatch of facts (e.g. abuses by units we equip, which
triggers Leahy vetting and the EU and ATT export criteria) counts as much as a 2.5-point difference on every factor,
enough to put a precedent behind one with the same legal position and slightly different factors, not enough to let
facts alone decide.

**Ties**: distances that agree to :data:`DECIMALS` decimals are tied and broken by episode id (ascending), so the
order is stable and independent of file order.

**Package similarity** between a package (tool ids) and an episode: for each stage, the Jaccard similarity
``|P & S| / |P | S|`` between the package ``P`` and the package in force ``S`` at that stage (:attr:`Stage.in_force`);
with a catalogue, ``2/3`` of that plus ``1/3`` of the same similarity on the tools' families (:data:`TOOL_SHARE`:
the same tool is the stronger resemblance; families let aid conditionality and export controls count as alike). A
stage resembles the package only when it shares at least one tool with it; an episode's similarity is that of its most
similar such stage (the earliest on ties), whose reaction is reported. :func:`similar_packages` ranks the episodes
within :data:`NEAR_DISTANCE` of the scenario by it (ties: the nearer, then the id), and the whole library when no near
episode shares a tool with the package.
"""
from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from .defaults import DEFAULT_PRECEDENTS, NEAR_DISTANCE

from .cases import CaseLibrary, Episode, Stage
from .catalog import Catalog
from .errors import DecisionError

SCALE = 10.0
"""Factors are on 0-10; distances use them divided by this."""
PARTNER_WEIGHT = 2.0
FACTOR_WEIGHTS = {"leverage": PARTNER_WEIGHT, "outside_options": PARTNER_WEIGHT,
                  "criticism_sensitivity": PARTNER_WEIGHT, "reform_capacity": PARTNER_WEIGHT,
                  "indispensability": PARTNER_WEIGHT}
"""Weights of the factors that drive the partner's reaction; every other factor weighs :data:`DEFAULT_WEIGHT`."""
DEFAULT_WEIGHT = 1.0
FACT_WEIGHT = 0.25
"""Weight of the Jaccard distance between fact sets, against a factor term on 0-1."""
DECIMALS = 9
"""Distances and similarities equal to this many decimals are tied (then: episode id)."""
# NEAR_DISTANCE (decision.defaults): an episode within this distance of a scenario is 'near' it (a 2.5-point
# weighted RMS factor difference, a quarter of the scale, or the same factors and no fact in common).
TOOL_SHARE = 2 / 3
"""With a catalogue, package similarity = TOOL_SHARE * tool Jaccard + (1 - TOOL_SHARE) * family Jaccard."""
DEFAULT_TOP = DEFAULT_PRECEDENTS
MEASURES_SHOWN = 5
"""A one-line summary names at most this many measures, then '... and N more'."""
CAVEAT = ("Precedents are documented episodes, not forecasts: their factors were coded after the outcome was known, "
          "and ruptures are better documented than quiet successes (data/cases/README.md).")

CATEGORY_WORDS = {"exercise_scale_down": "exercise scaled down", "transfer_pause": "arms transfer paused",
                  "unit_suspension": "unit suspended", "full_suspension": "all security cooperation suspended",
                  "other": "other measure"}
REACTION_WORDS = {"complies": "complied", "stalls": "stalled", "retaliates": "retaliated"}
RIGHTS_WORDS = {"improved": "abuses eased", "none": "no change in the abuses", "worsened": "abuses worsened"}
SHORT_NAMES = {"United States": "US", "United Kingdom": "UK", "European Union": "EU"}
WITH_ARTICLE = {"US", "UK", "EU", "United States", "United Kingdom", "European Union", "Netherlands", "Philippines",
                "United Arab Emirates", "Gambia", "Bahamas", "Maldives", "Comoros"}
"""States named with 'the' in a sentence ('ties severed by the US', 'the Philippines stalled')."""


# ----------------------------------------------------------------------------------------------------------------
# Results (immutable; each view is a few lines over them)

@dataclass(frozen=True)
class Link:
    """A source as a link: ``label`` is 'Author, Title (year)'."""
    label: str
    url: str


@dataclass(frozen=True)
class Precedent:
    """An episode near a scenario: its distance (and the two terms), its one-line summary and its sources."""
    episode: Episode
    distance: float
    factor_distance: float
    fact_distance: float
    line: str
    sources: tuple[Link, ...]

    @property
    def id(self) -> str:
        return self.episode.id


@dataclass(frozen=True)
class PackageMatch:
    """An episode whose package in force at one stage resembles a given package, and how it ended."""
    episode: Episode
    similarity: float
    tool_similarity: float
    family_similarity: float | None
    stage: int
    shared: tuple[str, ...]
    distance: float | None
    line: str
    sources: tuple[Link, ...]

    @property
    def id(self) -> str:
        return self.episode.id

    @property
    def package(self) -> tuple[str, ...]:
        return self.episode.stages[self.stage].in_force


@dataclass(frozen=True)
class PackagePrecedents:
    """The episodes with the most similar packages; ``scope`` is 'near' (among the ``n_near`` episodes within
    ``near`` of the scenario) or 'all' (no near episode used a similar package, or no scenario was given)."""
    matches: tuple[PackageMatch, ...]
    scope: str
    n_near: int
    near: float


# ----------------------------------------------------------------------------------------------------------------
# Bare computations (numpy)

def weighted_rms(X: np.ndarray, y: np.ndarray, w: np.ndarray) -> np.ndarray:
    """Weighted root-mean-square difference between each row of ``X`` and ``y`` (already on 0-1)."""
    return np.sqrt(((X - y) ** 2) @ w / w.sum())


def jaccard_distance(A: np.ndarray, b: np.ndarray) -> np.ndarray:
    """``1 - |A_i & b| / |A_i | b|`` for each boolean row ``A_i`` against ``b`` (0 where both are empty)."""
    inter = (A & b).sum(axis=1)
    union = (A | b).sum(axis=1)
    return np.where(union > 0, 1.0 - inter / np.maximum(union, 1), 0.0)


def jaccard_similarity(A: np.ndarray, b: np.ndarray) -> np.ndarray:
    """``|A_i & b| / |A_i | b|`` for each boolean row against ``b`` (0 where both are empty: nothing in common)."""
    inter = (A & b).sum(axis=1)
    union = (A | b).sum(axis=1)
    return np.where(union > 0, inter / np.maximum(union, 1), 0.0)


def _membership(sets: Sequence[Iterable[str]], vocabulary: Sequence[str]) -> np.ndarray:
    index = {v: i for i, v in enumerate(vocabulary)}
    M = np.zeros((len(sets), len(vocabulary)), dtype=bool)
    for r, items in enumerate(sets):
        M[r, [index[i] for i in items]] = True
    return M


# ----------------------------------------------------------------------------------------------------------------
# Distances

def factor_weights(factor_ids: Sequence[str], weights: Mapping[str, float] | None = None) -> np.ndarray:
    """The weight of each factor (``weights`` defaults to :data:`FACTOR_WEIGHTS`; unnamed factors weigh 1)."""
    table = FACTOR_WEIGHTS if weights is None else weights
    w = np.array([float(table.get(f, DEFAULT_WEIGHT)) for f in factor_ids])
    if not np.all(np.isfinite(w)) or np.any(w <= 0):
        raise DecisionError("factor weights must be positive finite numbers")
    return w


def _vector(factors: Mapping[str, float], factor_ids: Sequence[str]) -> np.ndarray:
    unknown = [f for f in factors if f not in factor_ids]
    missing = [f for f in factor_ids if f not in factors]
    if unknown or missing:
        raise DecisionError(f"unknown factor '{unknown[0]}'; known: {', '.join(factor_ids)}" if unknown
                            else f"factor '{missing[0]}' is missing (give all of {', '.join(factor_ids)})")
    v = np.array([factors[f] for f in factor_ids], dtype=float)
    bad = [f for f, x in zip(factor_ids, v) if not 0 <= x <= SCALE]
    if bad:
        raise DecisionError(f"factor '{bad[0]}' must be between 0 and 10, got {factors[bad[0]]:g}")
    return v / SCALE


def distance(factors_a: Mapping[str, float], facts_a: Iterable[str], factors_b: Mapping[str, float],
             facts_b: Iterable[str], weights: Mapping[str, float] | None = None) -> float:
    """The distance between two (factors, facts) pairs; both name the same factors (see the module docstring).
    Factors are summed in the order of their names, so that ``distance(a, b) == distance(b, a)`` exactly."""
    ids = sorted(factors_a)
    a, b = _vector(factors_a, ids), _vector(factors_b, ids)
    fa, fb = set(facts_a), set(facts_b)
    vocab = sorted(fa | fb)
    F = _membership([fa], vocab)
    factor_part = weighted_rms(a[None, :], b, factor_weights(ids, weights))[0]
    return float(factor_part + FACT_WEIGHT * jaccard_distance(F, _membership([fb], vocab)[0])[0])


def library_factors(library: CaseLibrary) -> list[str]:
    """The factor ids the library's episodes are coded on (those of the catalogue it was checked against)."""
    return list(library.episodes[0].factors) if library.episodes else []


def distances(library: CaseLibrary, factors: Mapping[str, float], facts: Iterable[str] = (),
              weights: Mapping[str, float] | None = None) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Distance of every episode (library order) to a scenario: (total, factor term, fact term), vectorised."""
    if not library.episodes:
        return np.zeros(0), np.zeros(0), np.zeros(0)
    ids = library_factors(library)
    y = _vector(factors, ids)
    X = np.array([[e.factors[f] for f in ids] for e in library.episodes], dtype=float) / SCALE
    facts = set(facts)
    vocab = sorted(facts.union(*(e.facts for e in library.episodes)))
    A = _membership([e.facts for e in library.episodes], vocab)
    fd = jaccard_distance(A, _membership([facts], vocab)[0])
    xd = weighted_rms(X, y, factor_weights(ids, weights))
    return xd + FACT_WEIGHT * fd, xd, fd


def _order(keys: np.ndarray, episodes: Sequence[Episode]) -> np.ndarray:
    """Indices sorted by ``keys`` (rounded to :data:`DECIMALS`), then episode id."""
    ids = np.array([e.id for e in episodes], dtype=object)
    return np.lexsort((ids, np.round(keys, DECIMALS)))


def nearest(library: CaseLibrary, factors: Mapping[str, float], facts: Iterable[str] = (), top: int = DEFAULT_TOP,
            weights: Mapping[str, float] | None = None, catalog: Catalog | None = None) -> tuple[Precedent, ...]:
    """The ``top`` episodes nearest a scenario, nearest first (ties: episode id). ``catalog`` names the tools in the
    one-line summaries (default: their ids)."""
    if top < 1:
        raise DecisionError(f"top must be at least 1, got {top}")
    total, xd, fd = distances(library, factors, facts, weights)
    eps = library.episodes
    return tuple(Precedent(eps[i], float(total[i]), float(xd[i]), float(fd[i]), summary(eps[i], catalog),
                           links(eps[i])) for i in _order(total, eps)[:top])


# ----------------------------------------------------------------------------------------------------------------
# Package similarity

def package_similarity(library: CaseLibrary, package: Iterable[str], catalog: Catalog | None = None
                       ) -> tuple[np.ndarray, np.ndarray, np.ndarray | None, np.ndarray]:
    """Per episode (library order): the similarity of its most similar stage among those sharing a tool with the
    package (else of its first stage, whose tool part is then 0), the tool and family parts, and that
    stage's index. Vectorised over every stage of every episode."""
    package = list(dict.fromkeys(package))
    eps = library.episodes
    stages = [s for e in eps for s in e.stages]
    owner = np.repeat(np.arange(len(eps)), [len(e.stages) for e in eps])
    tools = sorted(set(package).union(*(s.in_force for s in stages)))
    tool_sim = jaccard_similarity(_membership([s.in_force for s in stages], tools),
                                  _membership([package], tools)[0])
    fam_sim = None
    sim = tool_sim
    if catalog is not None:
        fam = {t.id: t.family for t in catalog.tools}
        fam_of = lambda ts: {fam.get(t, t) for t in ts}  # noqa: E731
        fams = sorted(fam_of(package).union(*(fam_of(s.in_force) for s in stages)))
        fam_sim = jaccard_similarity(_membership([fam_of(s.in_force) for s in stages], fams),
                                     _membership([fam_of(package)], fams)[0])
        sim = TOOL_SHARE * tool_sim + (1 - TOOL_SHARE) * fam_sim
    start = np.concatenate([[0], np.cumsum([len(e.stages) for e in eps])[:-1]]).astype(int)
    # the most similar stage sharing a tool, per episode, the earliest on ties: sort by (episode, -key, position)
    key = np.where(tool_sim > 0, np.round(sim, DECIMALS), -1.0)
    order = np.lexsort((np.arange(len(stages)), -key, owner))
    first = order[np.searchsorted(owner[order], np.arange(len(eps)))]
    return sim[first], tool_sim[first], None if fam_sim is None else fam_sim[first], first - start


def similar_packages(library: CaseLibrary, package: Iterable[str], factors: Mapping[str, float] | None = None,
                     facts: Iterable[str] = (), top: int = DEFAULT_TOP, near: float = NEAR_DISTANCE,
                     catalog: Catalog | None = None) -> PackagePrecedents:
    """The ``top`` episodes whose package in force at some stage is most like ``package`` (sharing a tool), among
    those within ``near`` of the scenario (``factors``, ``facts``), or in the whole library when none of those used a
    similar package or no scenario is given. Ties: the nearer episode, then the id."""
    package = tuple(dict.fromkeys(package))
    eps = library.episodes
    if not eps or not package:
        return PackagePrecedents((), "all", 0, near)
    sim, tsim, fsim, stage = package_similarity(library, package, catalog)
    dist = distances(library, factors, facts)[0] if factors is not None else np.full(len(eps), np.nan)
    is_near = dist <= near + 10.0 ** -DECIMALS
    shares = tsim > 0
    pool = is_near & shares
    scope = "near" if pool.any() else "all"
    if not pool.any():
        pool = shares
    idx = np.flatnonzero(pool)
    ids = np.array([eps[i].id for i in idx], dtype=object)
    order = idx[np.lexsort((ids, np.round(np.nan_to_num(dist[idx], nan=0.0), DECIMALS),
                            -np.round(sim[idx], DECIMALS)))][:top]
    matches = []
    for i in order:
        e, k = eps[i], int(stage[i])
        d = None if np.isnan(dist[i]) else float(dist[i])
        shared = tuple(t for t in e.stages[k].in_force if t in package)
        matches.append(PackageMatch(e, float(sim[i]), float(tsim[i]), None if fsim is None else float(fsim[i]), k,
                                    shared, d, package_line(e, k, float(sim[i]), catalog, shared), links(e)))
    return PackagePrecedents(tuple(matches), scope, int(is_near.sum()), near)


# ----------------------------------------------------------------------------------------------------------------
# One-line summaries and records

def short_name(state: str) -> str:
    return SHORT_NAMES.get(state, state)


def in_sentence(state: str) -> str:
    """The state as the subject or object of a sentence: 'the US', 'the Philippines', 'Egypt'."""
    name = short_name(state)
    return f"the {name}" if name in WITH_ARTICLE else name


def _tool_name(tool: str, catalog: Catalog | None) -> str:
    if catalog is None or tool not in catalog.tool_ids:
        return tool
    name = catalog.tool(tool).name
    return name if name[1:2].isupper() else name[:1].lower() + name[1:]


def measures_done(episode: Episode, catalog: Catalog | None = None) -> list[str]:
    """What the actor did, in order of first use, each once: tool names, then words for unexpressed measures."""
    words = []
    for s in episode.stages:
        for m in sorted([*s.added, *s.unexpressed], key=lambda m: m.date):
            words.append(_tool_name(m.tool, catalog) if m.tool else CATEGORY_WORDS[m.category])
    return list(dict.fromkeys(words))


def _measures_text(words: list[str]) -> str:
    if len(words) > MEASURES_SHOWN:
        return ", ".join(words[:MEASURES_SHOWN]) + f" and {len(words) - MEASURES_SHOWN} more"
    return ", ".join(words) or "no measure"


def reaction_text(stage: Stage) -> str:
    word = REACTION_WORDS[stage.reaction]
    return f"{word} ({stage.retaliation})" if stage.retaliation else word


def ending(episode: Episode) -> str:
    """'after 6 months: ties severed by Uzbekistan, abuses worsened (verifiable)'."""
    who = {"actor": in_sentence(episode.actor), "partner": in_sentence(episode.partner), "both": "both sides"}
    ties = ("ties kept" if episode.security == "maintained"
            else f"ties {episode.security} by {who.get(episode.security_by, episode.security_by)}")
    rights = RIGHTS_WORDS[episode.rights]
    if episode.rights != "none":
        rights += " (verifiable)" if episode.rights_verifiable else " (not verifiable)"
    months = episode.months_to_outcome
    return f"after {months} month{'s' if months != 1 else ''}: {ties}, {rights}"


def summary(episode: Episode, catalog: Catalog | None = None) -> str:
    """One line: who, when, what was done, how the partner answered at each stage, how it ended, how many sources."""
    e = episode
    reactions = ", ".join(reaction_text(s) for s in e.stages)
    return (f"{short_name(e.actor)}–{e.partner} {e.years}: {_measures_text(measures_done(e, catalog))} -> "
            f"{in_sentence(e.partner)} {reactions}; {ending(e)}. [{len(e.sources)} sources]")


def package_line(episode: Episode, stage: int, similarity: float, catalog: Catalog | None = None,
                 shared: Sequence[str] = ()) -> str:
    """One line: the episode's package at its most similar stage (the tools it shares with the package explained),
    the reaction to it and how the episode ended."""
    e, s = episode, episode.stages[stage]
    package = " + ".join(_tool_name(t, catalog) for t in s.in_force)
    common = f"shares {', '.join(_tool_name(t, catalog) for t in shared)}; " if shared else ""
    return (f"{short_name(e.actor)}–{e.partner} {e.years}, {s.date}: {package} ({common}similarity "
            f"{similarity:.2f}) -> "
            f"{in_sentence(e.partner)} {reaction_text(s)}; in the end, {ending(e)}. [{len(e.sources)} sources]")


def links(episode: Episode) -> tuple[Link, ...]:
    return tuple(Link(f"{s.author}, {s.title} ({s.year})", s.link) for s in episode.sources)


def episode_record(e: Episode, catalog: Catalog | None = None, full: bool = False) -> dict:
    """The episode as plain data for JSON (``docs/evidence.md``, "Precedents"); ``full`` adds the texts and the
    factors' justifications."""
    rec = {
        "id": e.id, "title": e.title, "actor": e.actor, "partner": e.partner, "start": e.start, "end": e.end,
        "archetype": e.archetype, "factors": dict(e.factors), "facts": list(e.facts),
        "measures": measures_done(e, catalog), "tools_used": list(e.tools_used),
        "unexpressed": [m.category for m in e.unexpressed],
        "reactions": [{"date": s.date, "reaction": s.reaction, "retaliation": s.retaliation,
                       "in_force": list(s.in_force)} for s in e.stages],
        "security": {"status": e.security, "by": e.security_by},
        "rights": {"status": e.rights, "verifiable": e.rights_verifiable},
        "months_to_outcome": e.months_to_outcome, "confidence": e.confidence, "line": summary(e, catalog),
        "sources": [{"author": s.author, "title": s.title, "year": s.year, "link": s.link} for s in e.sources],
    }
    if full:
        rec["abuses"], rec["security_ties"] = e.abuses, e.security_ties
        rec["why"] = dict(e.why)
        rec["security"]["what"], rec["rights"]["what"] = e.security_what, e.rights_what
        rec["stages"] = [{"date": s.date, "added": [{"tool": m.tool, "date": m.date, "what": m.what} for m in s.added],
                          "lifted": [{"tool": m.tool, "date": m.date, "what": m.what} for m in s.lifted],
                          "unexpressed": [{"category": m.category, "date": m.date, "what": m.what}
                                          for m in s.unexpressed],
                          "reaction": s.reaction, "retaliation": s.retaliation, "response": s.response,
                          "in_force": list(s.in_force)} for s in e.stages]
        rec["disputed"], rec["file"] = list(e.disputed), e.file
    return rec


def precedent_record(p: Precedent, rank: int, catalog: Catalog | None = None) -> dict:
    return {"rank": rank, "distance": round(p.distance, 6), "factor_distance": round(p.factor_distance, 6),
            "fact_distance": round(p.fact_distance, 6), **episode_record(p.episode, catalog)}


def match_record(m: PackageMatch) -> dict:
    return {"id": m.id, "similarity": round(m.similarity, 6), "tool_similarity": round(m.tool_similarity, 6),
            "family_similarity": None if m.family_similarity is None else round(m.family_similarity, 6),
            "stage": m.stage, "stage_date": m.episode.stages[m.stage].date, "package": list(m.package),
            "shared": list(m.shared), "distance": None if m.distance is None else round(m.distance, 6),
            "reaction": m.episode.stages[m.stage].reaction, "line": m.line,
            "sources": [{"label": s.label, "link": s.url} for s in m.sources]}
