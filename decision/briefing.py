"""Briefing computation: everything a briefing shows, computed from the engine (no text, no HTML).

Three layers, one way: :func:`prepare_briefing` computes a :class:`Briefing` here; :mod:`decision.briefing_content`
turns it into display-ready sections (frozen dataclasses of strings, what the tests read); :mod:`decision.briefing_html`
lays those out with autoescaped Jinja templates shipped in ``decision/templates/parts/``. The briefing notebook
(``notebooks/05_briefing.ipynb``) calls these and displays the pieces; :mod:`decision.export` runs that notebook and
writes the offline HTML file.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timezone

import numpy as np
import pandas as pd

from .advice import SPREAD, Confidence, assess, bottom_line
from .catalog import Catalog, load_catalog
from .display import plain, words
from .errors import DecisionError
from .explain import explain
from .kernel import crossings
from .options import DEFAULT_K, DEFAULT_SHARE, Options, find_options
from .portfolios import Portfolios, build_portfolios
from .profiles import BUNDLED_PROFILES, load_profile, load_profile_file
from .ranking import CONSENSUS, CROSS_CHECK, DEFAULT_METHOD, Ranker, method_of
from .strategy.compare import compare_courses
from .strategy.playbook import Plan, build_plan
from .strategy.reactions_file import load_reactions
from .strategy.tree import strategy_problem
from .sureness import HOW_SURE_SAMPLES
from .weights import direct, equal, parse_weights

DEFAULT_PROFILE = "balanced"
SCORE_SAMPLES = HOW_SURE_SAMPLES
"""Draws per share of the briefing's "how sure" figure with score uncertainty: the same 1,000 (each share +/- 3.1% at
95%) as ``decision robustness`` and the dashboard, so the three views give one figure for the same settings (it was
400 while the score tornado took most of the briefing's time; docs/performance.md)."""


@dataclass(frozen=True)
class WeightsSource:
    """The weights and how they were elicited (for the briefing's weights section)."""
    weights: pd.Series
    label: str
    method: str
    author: str = ""
    date: str = ""
    rationale: str = ""
    inputs: str = ""


def resolve_weights(catalog: Catalog, profile: str | None = None, weights: str | None = None) -> WeightsSource:
    """Weights from a named profile, a ``name=value,...`` string, or the default profile (balanced)."""
    if profile and weights:
        raise DecisionError("give either a weight profile or weights, not both")
    if weights:
        w = parse_weights(weights, catalog.criterion_ids)
        return WeightsSource(w, "weights given directly", "direct", inputs=weights)
    try:
        p = load_profile(profile or DEFAULT_PROFILE, catalog)
    except DecisionError:
        if profile:
            raise
        return WeightsSource(equal(catalog.criterion_ids), "equal weights", "direct")
    inputs = p.inputs if isinstance(p.inputs, str) else "; ".join(f"{words(k)}: {plain(v)}"
                                                                   for k, v in dict(p.inputs).items())
    return WeightsSource(p.weights.reindex(catalog.criterion_ids), f"profile '{p.name}'", p.method, p.author,
                         str(p.date or ""), p.rationale or "", inputs)


def resolved_weights(src: WeightsSource) -> dict:
    """``src`` as plain data (JSON-able) that :func:`weights_source` turns back into a WeightsSource: what
    ``decision brief`` hands the briefing notebook, so the notebook never looks a profile up itself."""
    return {"weights": {str(k): float(v) for k, v in src.weights.items()}, "label": src.label, "method": src.method,
            "author": src.author, "date": src.date, "rationale": src.rationale, "inputs": src.inputs}


def weights_source(catalog: Catalog, resolved: dict) -> WeightsSource:
    """The WeightsSource of :func:`resolved_weights`' data, checked against ``catalog``'s criteria."""
    w = resolved.get("weights") if isinstance(resolved, dict) else None
    if not isinstance(w, dict) or sorted(w) != sorted(catalog.criterion_ids):
        raise DecisionError("resolved weights must give one weight per criterion of the catalogue")
    text = {k: str(resolved.get(k) or "") for k in ("label", "method", "author", "date", "rationale", "inputs")}
    return WeightsSource(direct(w, catalog.criterion_ids), text["label"] or "weights given directly",
                         text["method"] or "direct", text["author"], text["date"], text["rationale"], text["inputs"])


@dataclass(frozen=True)
class Briefing:
    """Computed content of one briefing (no HTML): see :func:`prepare_briefing`."""
    catalog: Catalog
    portfolios: Portfolios
    weights: WeightsSource
    method: str
    ranking: pd.DataFrame
    explanations: tuple
    by_method: pd.DataFrame
    presets: dict
    parameters: dict
    generated: str
    robustness: Robustness | None = None
    options: Options | None = None
    confidence: Confidence | None = None
    bottom_line: tuple[str, ...] = ()
    plan: Plan | None = None
    plan_error: str = ""
    plan_courses: tuple = ()          # the playbook against simpler courses (decision.strategy.compare)
    precedents: Precedents | None = None


def strategy_of(p: Portfolios, reviews: int = 3, months: float = 12):
    """The scenario's review tree (docs/strategy.md), or None and the one-line reason when none can be built."""
    try:
        return strategy_problem(p, load_reactions(p.catalog), reviews, months), ""
    except DecisionError as exc:
        return None, str(exc)


def playbook_content(problem, weights) -> tuple[Plan | None, str, tuple]:
    """The playbook of a strategy problem under ``weights`` (docs/strategy.md, "For views") and its comparison with
    simpler courses, or None, the one-line reason (a DecisionError message) when no playbook meets every principle,
    and no comparison."""
    try:
        plan = build_plan(problem, problem.solve(weights), weights)
    except DecisionError as exc:
        return None, str(exc), ()
    return plan, "", tuple(compare_courses(problem, plan))


def prepare_briefing(scenario: str | None = None, profile: str | None = None, weights: str | None = None,
                     method: str = DEFAULT_METHOD, top: int = 5, max_tools: int | None = None,
                     catalog: str | Catalog | None = None, samples: int = 10_000, seed: int = 0,
                     explain_top: int = 3, robustness: bool = True, now: datetime | None = None,
                     horizon: float | None = None, resolved: dict | None = None, current=None,
                     k: int = DEFAULT_K, share: float = DEFAULT_SHARE, reviews: int = 3,
                     months: float = 12, score_samples: int = SCORE_SAMPLES) -> Briefing:
    """Compute a briefing's content. ``samples``/``seed`` drive the SMAA robustness section; ``horizon`` (months)
    discounts tools whose effect lands later. ``resolved`` (from :func:`resolved_weights`, as ``decision brief``
    passes it): the weights already resolved by the caller; ``profile`` and ``weights`` are then only shown.
    ``current``: today's policy (tool ids, a list or ``"a,b"``; None: not given), ranked among ``k`` distinct options
    with its minimal change reaching ``share`` of option 1's gain over doing nothing new. ``reviews``/``months``: the
    playbook's review tree (docs/strategy.md). ``score_samples``: draws per share of the "how sure" figure with
    score uncertainty (:func:`decision.sureness.how_sure`; 0 skips it and the tornado)."""
    cat = catalog if isinstance(catalog, Catalog) else load_catalog(catalog)
    method_of(method)                                      # an unknown method: one line naming the choices
    src = resolve_weights(cat, profile, weights) if resolved is None else weights_source(cat, resolved)
    p = build_portfolios(cat, scenario, max_tools=max_tools, horizon=horizon)
    ranker = Ranker(p)
    ranking = ranker.rank(src.weights, method, top)
    rows = []
    for m in (*CROSS_CHECK, CONSENSUS.name):
        best = ranker.rank(src.weights, m, 1)
        rows.append((m, best["tools"].iloc[0], tuple(best["tool_ids"].iloc[0]) == tuple(ranking["tool_ids"].iloc[0])))
    by_method = pd.DataFrame(rows, columns=["method", "top combination", "same as recommendation"])
    presets = {f"{src.label} (this briefing)": ranking}
    for path in sorted(BUNDLED_PROFILES.glob("*.yaml")):      # the bundled presets, whatever ./profiles holds
        try:
            pre = load_profile_file(path, cat)
        except DecisionError:            # a preset written for other criteria than this catalogue's
            continue
        presets[f"preset: {pre.name}"] = ranker.rank(pre.weights, method, top)
    params = {"scenario": p.adjusted.scenario.id, "profile": profile, "weights": weights, "method": method,
              "top": top, "max_tools": p.constraints.max_tools, "horizon": horizon, "samples": samples, "seed": seed,
              "score_samples": score_samples if robustness else 0}
    if isinstance(current, str):
        current = [t.strip() for t in current.split(",") if t.strip()]
    params.update(current=",".join(current) if current is not None else None, k=k, share=share, reviews=reviews,
                  months=months)
    problem, plan_error = strategy_of(p, reviews, months)
    one_answer = problem if method == DEFAULT_METHOD else None      # the options open the playbook (one answer)
    try:
        opts = find_options(p, src.weights, method, k, current, share, ranker, strategy=one_answer)
    except DecisionError:                                   # no playbook meets every principle: the package view
        one_answer = None
        opts = find_options(p, src.weights, method, k, current, share, ranker)
    rob = (robustness_content(p, src.weights, method, samples, seed, row=opts.best.row,
                              score_samples=score_samples) if robustness else None)
    explanations = tuple(explain(cat, list(o.tools), p.adjusted.scenario, horizon)      # the options on page 1
                         for o in opts.options[:explain_top])
    conf = assess(p, opts, ranker, samples=samples if robustness else 0, seed=seed, smaa=robustness,
                  strategy=one_answer, score_samples=score_samples)
    stamp = (now or datetime.now(timezone.utc)).strftime("%Y-%m-%d %H:%M UTC")
    plan, plan_error, courses = (playbook_content(problem, {c: float(v) for c, v in src.weights.items()})
                                 if problem is not None else (None, plan_error, ()))
    return Briefing(cat, p, src, method, ranking, explanations, by_method, presets, params, stamp, rob, opts, conf,
                    tuple(bottom_line(opts, conf, cat)), plan, plan_error, courses,
                    precedents_of(cat, p.adjusted.scenario, opts.best.tools))


@dataclass(frozen=True)
class Robustness:
    """The robustness numbers of a briefing: the stability intervals of the recommendation (``stability``, per
    criterion id: weight, low, high, margin; ``critical``: the most sensitive criterion), the weight changes that
    replace it (``changes``: distance, criterion id, 'falls below' / 'rises above', bound, weight now, the tools that
    then come first; nearest first), SMAA over weightings drawn within +/- ``spread`` of the analyst's (the same draws
    as the bottom line's "how sure" share), core tools, and the method used (``method``: TOPSIS or the weighted sum)."""
    method: str
    stability: pd.DataFrame
    critical: str | None
    changes: tuple[tuple, ...]
    smaa: object
    spread: float
    core: pd.DataFrame
    n_nondominated: int
    sure: object = None               # decision.sureness.HowSure of option 1's package (scores and weights vary)
    tornado: pd.DataFrame | None = None     # decision.sureness.score_tornado of option 1's package

    @property
    def margin(self) -> float:
        return float(self.stability["margin"].min())


def robustness_content(p: Portfolios, weights: pd.Series, method: str, samples: int, seed: int,
                       row: int | None = None, score_samples: int = SCORE_SAMPLES) -> Robustness:
    """Stability intervals of the recommendation, SMAA acceptability near the analyst's weights, core tools, and the
    weight changes that would replace the recommendation. TOPSIS or weighted sum (other methods use the weighted sum
    here, which the section says). With ``score_samples``, also the "how sure" figure with score uncertainty and the
    score tornado of combination ``row`` (option 1's package; None: the package ranking's first)."""
    from . import robustness as R  # noqa: PLC0415
    from .sureness import how_sure, score_tornado  # noqa: PLC0415
    m = method if method_of(method).portfolio else DEFAULT_METHOD
    w = weights.to_numpy(dtype=float)
    stab = R.portfolio_stability(p, w, m)
    ranker = Ranker(p)
    changes = [(x.distance, p.criteria[x.criterion], x.direction, x.bound, x.weight,
                str(ranker.rank(x.weights, m, 1)["tools"].iloc[0]))
               for x in crossings(w, stab["low"].to_numpy(float), stab["high"].to_numpy(float))]
    k = max(1, min(10, len(p)))
    smaa = R.smaa_portfolios(p, n_samples=samples, seed=seed, method=m, k=k, weight_center=w, spread=SPREAD)
    core = R.core_index(p)
    sure = (how_sure(p, w, m, score_samples, seed, spread=SPREAD, row=row) if score_samples else None)
    tornado = score_tornado(p, w, m, row=row) if score_samples else None
    return Robustness(m, stab, stab.attrs.get("most_critical"), tuple(changes), smaa, SPREAD,
                      core[core["status"] != "exterior"], int(core.attrs["n_nondominated"]), sure, tornado)


@dataclass(frozen=True)
class Precedents:
    """The documented episodes nearest the scenario (``nearest``: :class:`decision.precedents.Precedent`s), those
    whose package resembles option 1's (``similar``: :class:`decision.precedents.PackagePrecedents`), or why none
    are shown (``error``, one line)."""
    nearest: tuple = ()
    similar: object = None
    n_episodes: int = 0
    error: str = ""


def precedents_of(catalog: Catalog, scenario, tools) -> Precedents:
    """The three nearest episodes of the catalogue's case library (its ``cases/`` folder, else the bundled one) and
    those that used a package like ``tools``, as ``decision cases`` and ``decision explain`` find them."""
    from .cases import cases_folder, load_cases  # noqa: PLC0415
    from .errors import CatalogError  # noqa: PLC0415
    from .precedents import DEFAULT_TOP, library_factors, nearest, similar_packages  # noqa: PLC0415
    try:
        library = load_cases(cases_folder(catalog), catalog)
    except CatalogError as exc:
        return Precedents(error=str(exc))
    ids = library_factors(library)
    missing = [f for f in ids if f not in scenario.factors]
    if missing:
        return Precedents(n_episodes=len(library), error=f"the case library codes factors this catalogue's scenario "
                                                         f"lacks ({', '.join(missing)})")
    factors = {f: float(scenario.factors[f]) for f in ids}
    return Precedents(nearest(library, factors, scenario.facts, DEFAULT_TOP, catalog=catalog),
                      similar_packages(library, tools, factors, scenario.facts, catalog=catalog), len(library))
