"""The work behind ``decision cases`` (:mod:`decision.cli.cases` holds its parser): the documented episodes nearest a
scenario (``--list`` every one, ``--show ID`` one in full), and the precedents ``decision explain`` prints under a
package. Imported only when one of those commands runs."""
from __future__ import annotations

import difflib
import json
from pathlib import Path

from ..cases import BUNDLED_CASES, MAX_CASE_FILES, CaseLibrary, Episode, cases_folder, load_cases
from ..catalog import BUNDLED, Catalog
from ..errors import CatalogError, DecisionError
from ..precedents import (CAVEAT, DECIMALS, DEFAULT_TOP, FACT_WEIGHT, NEAR_DISTANCE, SCALE, episode_record,
                          factor_weights, library_factors, nearest, precedent_record, reaction_text,
                          similar_packages, summary)
from ..safeio import strict_float
from .common import catalog_of


# ----------------------------------------------------------------------------------------------------------------
# Reading the query

def parse_factors(text: str, factor_ids) -> dict[str, float]:
    """``"leverage=7,severity=5"`` -> {factor: value}; every mistake is one line naming the factor."""
    values: dict[str, float] = {}
    for part in filter(None, (p.strip() for p in text.split(","))):
        name, sep, num = part.partition("=")
        name = name.strip()
        if not sep:
            raise DecisionError(f"--factors: expected name=value, got '{part[:40]}'")
        if name not in factor_ids:
            close = difflib.get_close_matches(name, factor_ids, n=1, cutoff=0.6)
            hint = f" (did you mean '{close[0]}'?)" if close else ""
            raise DecisionError(f"--factors: unknown factor '{name[:40]}'{hint}; known: {', '.join(factor_ids)}")
        if name in values:
            raise DecisionError(f"--factors: '{name}' given twice")
        v = strict_float(num, f"--factors: {name}")
        if not 0 <= v <= SCALE:
            raise DecisionError(f"--factors: {name} must be between 0 and 10, got {v:g}")
        values[name] = v
    return values


def parse_facts(text: str, known) -> tuple[str, ...]:
    """``"a,b"`` -> facts ('' = none); each must be a fact the catalogue or the library uses."""
    facts = tuple(dict.fromkeys(f.strip() for f in text.split(",") if f.strip()))
    for f in facts:
        if f not in known:
            raise DecisionError(f"--facts: unknown fact '{f[:40]}'; known: {', '.join(sorted(known)) or 'none'}")
    return facts


def known_facts(catalog: Catalog, library: CaseLibrary) -> set[str]:
    """Facts named by the catalogue's scenarios and obligations or by an episode."""
    return ({f for s in catalog.scenarios for f in s.facts}
            | {f for ob in catalog.constraints.obligations for f in ob.facts}
            | {f for e in library for f in e.facts})


def falls_back(catalog: Catalog) -> bool:
    """Whether a user's catalogue, having no ``cases/`` folder, is matched against the bundled library."""
    return (cases_folder(catalog) == BUNDLED_CASES
            and Path(catalog.path or BUNDLED).resolve() != BUNDLED.resolve())


def library_of(catalog: Catalog) -> CaseLibrary:
    """The catalogue's case library; when a user's catalogue falls back on the bundled library, an error says so."""
    try:
        return load_cases(cases_folder(catalog), catalog)
    except CatalogError as exc:
        if not falls_back(catalog):
            raise
        raise CatalogError(f"the catalogue has no cases/ folder and the bundled case library does not fit it: "
                           f"{exc}") from None


def query(args, catalog: Catalog, library: CaseLibrary):
    """(scenario, factors, facts, names given by --factors) from --scenario, --factors and --facts."""
    scenario = catalog.scenario(args.scenario)
    ids = library_factors(library) or [f.id for f in catalog.factors]
    given = parse_factors(args.factors, ids) if args.factors else {}
    factors = {f: float(given.get(f, scenario.factors[f])) for f in ids}
    facts = parse_facts(args.facts, known_facts(catalog, library)) if args.facts is not None else scenario.facts
    return scenario, factors, facts, list(given)


# ----------------------------------------------------------------------------------------------------------------
# Text

def rule_text(ids) -> str:
    w = factor_weights(ids)
    double = [f for f, x in zip(ids, w) if x > 1]
    return (f"Distance: weighted root-mean-square difference of the factors on 0-1 ({', '.join(double)} count "
            f"double: they drive how a partner reacts) + {FACT_WEIGHT:g} x the share of facts not in common "
            f"(Jaccard); ties broken by episode id. docs/evidence.md, \"Precedents\".")


def nearest_text(scenario, factors, facts, given, precedents, library: CaseLibrary) -> str:
    source = (f"{', '.join(f'{k}={factors[k]:g}' for k in given)} from --factors, the rest from scenario "
              f"{scenario.id}" if given else f"scenario {scenario.id} ({scenario.name})")
    lines = [f"Nearest precedents to {source}",
             "Factors: " + " ".join(f"{k}={v:g}" for k, v in factors.items())
             + f"; facts: {', '.join(facts) or 'none'}",
             f"{len(library)} episodes in {library.folder}", ""]
    width = max((len(p.id) for p in precedents), default=0)
    lines += [f"{i:>3}  {p.distance:.3f}  {p.id:<{width}}  {p.line}" for i, p in enumerate(precedents, 1)]
    return "\n".join(lines + ["", rule_text(list(factors)), CAVEAT])


def list_text(library: CaseLibrary, catalog: Catalog) -> str:
    width = max(len(e.id) for e in library)
    lines = [f"{len(library)} episodes in {library.folder} (by start date)", ""]
    lines += [f"{e.id:<{width}}  {summary(e, catalog)}" for e in library]
    return "\n".join(lines + ["", CAVEAT])


def show_text(e: Episode, catalog: Catalog) -> str:
    name = lambda t: catalog.tool(t).name if t in catalog.tool_ids else t  # noqa: E731
    who = {"actor": e.actor, "partner": e.partner, "both": "both sides", "none": "nobody"}
    lines = [f"{e.id}: {e.title}",
             f"{e.actor} and {e.partner}, {e.start} to {e.end} (archetype {e.archetype}; confidence {e.confidence})",
             "", f"Abuses: {e.abuses}", f"Security ties at stake: {e.security_ties}", "",
             "Factors (0-10, as coded at the start):"]
    width = max(len(f) for f in e.factors)
    lines += [f"  {f:<{width}}  {v:>4g}  {e.why[f]}" for f, v in e.factors.items()]
    lines += [f"Facts: {', '.join(e.facts) or 'none'}", "", "Stages:"]
    for k, s in enumerate(e.stages, 1):
        lines.append(f"  {k}. {s.date}")
        lines += [f"     added {name(m.tool)} ({m.date}): {m.what}" for m in s.added]
        lines += [f"     lifted {name(m.tool)} ({m.date}): {m.what}" for m in s.lifted]
        lines += [f"     no tool expresses [{m.category}] ({m.date}): {m.what}" for m in s.unexpressed]
        lines.append(f"     package in force: {', '.join(name(t) for t in s.in_force) or 'none'}")
        lines.append(f"     {e.partner} {reaction_text(s)}: {s.response}")
    rights = f"{e.rights} ({'verifiable' if e.rights_verifiable else 'not verifiable'})"
    lines += ["", f"Security outcome: {e.security}"
              + (f" by {who[e.security_by]}" if e.security != "maintained" else "") + f". {e.security_what}",
              f"Rights outcome: {rights}. {e.rights_what}", f"Months to outcome: {e.months_to_outcome}"]
    if e.disputed:
        lines += ["", "Disputed:"] + [f"  - {d}" for d in e.disputed]
    lines += ["", "Sources:"] + [f"  {i}. {s.author}, \"{s.title}\" ({s.year}) <{s.link}>"
                                 for i, s in enumerate(e.sources, 1)]
    return "\n".join(lines + ["", f"File: {e.file}", CAVEAT])


# ----------------------------------------------------------------------------------------------------------------
# The command

def _library_json(library: CaseLibrary) -> dict:
    return {"folder": library.folder, "episodes": len(library)}


def rule_json(ids) -> dict:
    return {"factor_weights": dict(zip(ids, factor_weights(ids).tolist())), "fact_weight": FACT_WEIGHT,
            "scale": SCALE, "tie_decimals": DECIMALS, "ties": "episode id"}


def cmd_cases(args) -> int:
    if (args.list or args.show) and (args.scenario or args.factors or args.facts is not None or args.top):
        raise DecisionError("--list and --show take no --scenario, --factors, --facts or --top")
    cat = catalog_of(args)
    library = library_of(cat)
    as_json = args.format == "json"
    if args.list:
        text = (json.dumps({"library": _library_json(library), "episodes": [episode_record(e, cat) for e in library],
                            "caveat": CAVEAT}, indent=2, ensure_ascii=False) if as_json else list_text(library, cat))
    elif args.show:
        e = library.episode(args.show)
        text = (json.dumps({"episode": episode_record(e, cat, full=True), "caveat": CAVEAT}, indent=2,
                           ensure_ascii=False) if as_json else show_text(e, cat))
    else:
        scenario, factors, facts, given = query(args, cat, library)
        found = nearest(library, factors, facts, args.top or DEFAULT_TOP, catalog=cat)
        if as_json:
            text = json.dumps({
                "query": {"scenario": scenario.id, "factors": factors, "from_factors_option": given,
                          "facts": list(facts)},
                "rule": rule_json(list(factors)), "library": _library_json(library),
                "precedents": [precedent_record(p, i, cat) for i, p in enumerate(found, 1)], "caveat": CAVEAT},
                indent=2, ensure_ascii=False)
        else:
            text = nearest_text(scenario, factors, facts, given, found, library)
    print(text)
    return 0


# ----------------------------------------------------------------------------------------------------------------
# Precedents under `decision explain`

def explain_lines(catalog: Catalog, tools, scenario_id: str) -> list[str]:
    """The 'Precedents with a similar package' section of ``decision explain`` (one line per episode)."""
    folder = cases_folder(catalog)
    if not folder.is_dir() or not any(p.suffix in (".yaml", ".yml") for p in folder.iterdir()):
        return [f"Precedents: none (no episode in {folder})."]
    try:
        library = library_of(catalog)
    except CatalogError as exc:
        if not falls_back(catalog):
            raise                       # the catalogue's own case file is bad: exit 2 like any catalogue file
        return [f"Precedents: not shown: {exc}"]
    sc = catalog.scenario(scenario_id)
    found = similar_packages(library, tools, sc.factors, sc.facts, catalog=catalog)
    if not found.matches:
        return [f"Precedents: none of the {len(library)} episodes used any of these tools."]
    head = (f"Precedents with a similar package (of the {found.n_near} episodes within {found.near:g} of scenario "
            f"{sc.id}, those sharing a tool; `decision cases --show ID` for one in full):" if found.scope == "near"
            else f"Precedents with a similar package (no episode within {found.near:g} of scenario {sc.id} shares a "
                 "tool with it, so from the whole library; `decision cases --show ID` for one in full):")
    return [head] + [f"  - {m.id}: {m.line}" for m in found.matches] + [CAVEAT]
