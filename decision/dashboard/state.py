"""The dashboard's pure part: what the analyst has set (:class:`ViewState`) and what follows from it
(:class:`ViewModel` -> :class:`View`). No widgets: unit-tested without a kernel.

Only a change of scenario, maximum number of tools, must-include / must-exclude tools, red lines, accountability
floor, effort capacity or horizon rebuilds the combinations (``build_portfolios``); the last few builds are cached
with their :class:`~decision.ranking.Ranker` (and, once the playbook is asked for, their review tree), so a weight,
method, top-N or current-policy change only re-ranks (and re-solves the playbook, docs/strategy.md "For views").
"""
from __future__ import annotations

from collections import OrderedDict
from dataclasses import asdict, dataclass, field

import pandas as pd

from ..advice import BottomLine, Confidence, advise, assess
from ..catalog import Catalog
from ..errors import DecisionError
from ..defaults import DEFAULT_METHOD
from ..options import DEFAULT_K, Options, find_options
from ..strategy.playbook import Plan, build_plan
from ..portfolios import Overrides, build_portfolios
from ..ranking import Ranker
from ..strategy.reactions_file import load_reactions
from ..strategy.tree import StrategyProblem, strategy_problem
from ..weights import direct

CACHE_SIZE = 3
"""Number of built combination sets kept (scenario / max tools / forced tools / red lines / horizon)."""
CONFIDENCE_DRAWS = 2000
"""SMAA weight draws behind the dashboard's 'how sure' sentence."""
PLAN_REVIEWS, PLAN_MONTHS = 3, 12
"""The dashboard playbook's review tree at first: three quarterly reviews over 12 months (the CLI's defaults)."""
PLAN_MAX_REVIEWS, PLAN_MAX_MONTHS = 4, 60
"""The dashboard's playbook draws at most 3**4 = 81 branches over at most five years (the command line allows more)."""


def scenario_defaults(catalog: Catalog, scenario: str) -> tuple[float | None, float | None]:
    """The scenario's accountability floor in points (None: the catalogue has none or it is off) and its effort
    capacity (None: none), before any analyst override: what the floor and capacity controls start from."""
    sc = catalog.scenario(scenario)
    fl = catalog.constraints.floor
    floor = fl.points(sc.factors) if fl is not None and fl.enabled else None
    return floor, catalog.constraints.capacity(sc)


@dataclass(frozen=True)
class ViewState:
    """Everything the analyst has set. ``weights`` are the raw slider values (any scale); ``normalised`` sums to 1.
    ``red_lines`` is a tuple of ``(criterion, min or None, max or None)``. ``current``: today's policy (tool ids;
    None when not given). ``floor``: the accountability floor on (the default) or off; ``floor_points``: its points
    when the analyst set them (None: the scenario's derived floor); ``capacity``: the effort capacity when the analyst
    set it (None: the scenario's)."""
    scenario: str
    method: str
    max_tools: int
    top: int
    weights: dict[str, float]
    forced_in: tuple[str, ...] = ()
    forced_out: tuple[str, ...] = ()
    red_lines: tuple[tuple[str, float | None, float | None], ...] = ()
    preset: str | None = None
    horizon: float | None = None
    current: tuple[str, ...] | None = None
    k: int = DEFAULT_K
    floor: bool = True
    floor_points: float | None = None
    capacity: float | None = None

    @property
    def normalised(self) -> dict[str, float]:
        """Weights summing to 1 (raises DecisionError if all are zero)."""
        w = direct(self.weights, list(self.weights))
        return {k: float(v) for k, v in w.items()}

    @property
    def overrides(self) -> Overrides:
        """The constraint overrides for ``build_portfolios``, the type the CLI builds (these red lines and forced
        tools replace the catalogue's)."""
        return Overrides(floor=False if not self.floor else None, floor_points=self.floor_points if self.floor else
                         None, capacity=self.capacity, forced_in=tuple(self.forced_in),
                         forced_out=tuple(self.forced_out), red_lines=tuple(self.red_lines), max_tools=self.max_tools)

    @property
    def constraints(self) -> dict:
        """:attr:`overrides` as the dict of Constraints fields (what ``build_portfolios`` applies)."""
        return self.overrides.as_dict()

    @property
    def build_key(self) -> tuple:
        """What the set of feasible combinations depends on."""
        return (self.scenario, self.max_tools, tuple(sorted(self.forced_in)), tuple(sorted(self.forced_out)),
                self.red_lines, self.horizon, self.floor, self.floor_points, self.capacity)

    def to_dict(self) -> dict:
        d = asdict(self)
        d["red_lines"] = [list(r) for r in self.red_lines]
        d["forced_in"], d["forced_out"] = list(self.forced_in), list(self.forced_out)
        d["current"] = None if self.current is None else list(self.current)
        return d


@dataclass
class View:
    """What one state shows: the ranked table, the distinct options and (once checked) stability and confidence."""
    state: ViewState
    ranker: Ranker
    ranking: pd.DataFrame
    options: Options
    built: bool = False
    stability: pd.DataFrame | None = None
    confidence: Confidence | None = None
    timings: dict = field(default_factory=dict)

    def bottom_line(self) -> BottomLine:
        """The briefing's bottom line (:func:`decision.advice.advise`) for this view."""
        return advise(self.options, self.confidence, self.ranker.portfolios.catalog)


class ViewModel:
    """Computes :class:`View`s for a catalogue, caching the combination sets."""

    def __init__(self, catalog: Catalog, cache_size: int = CACHE_SIZE):
        self.catalog = catalog
        self.cache_size = cache_size
        self._cache: OrderedDict[tuple, Ranker] = OrderedDict()
        self._problems: dict[tuple, StrategyProblem] = {}

    def ranker(self, state: ViewState) -> tuple[Ranker, bool]:
        """The Ranker of ``state``'s combinations, and whether they were just built."""
        key = state.build_key
        if key in self._cache:
            self._cache.move_to_end(key)
            return self._cache[key], False
        p = build_portfolios(self.catalog, state.scenario, max_tools=state.max_tools, constraints=state.overrides,
                             horizon=state.horizon)
        ranker = Ranker(p)
        ranker.normalised                                     # noqa: B018  (pay the one-off normalisation now)
        self._cache[key] = ranker
        while len(self._cache) > self.cache_size:
            old, _ = self._cache.popitem(last=False)
            for k in [k for k in self._problems if k[0] == old]:
                del self._problems[k]
        return ranker, True

    def problem(self, state: ViewState, reviews: int = PLAN_REVIEWS, months: float = PLAN_MONTHS) -> StrategyProblem:
        """The review tree of ``state``'s combinations over ``reviews`` reviews in ``months`` months (built once per
        combination set and length, then cached with the combinations)."""
        ranker, _ = self.ranker(state)
        key = (state.build_key, reviews, months)
        if key not in self._problems:
            self._problems[key] = strategy_problem(ranker.portfolios, load_reactions(self.catalog), reviews, months)
        return self._problems[key]

    def plan(self, state: ViewState, reviews: int = PLAN_REVIEWS, months: float = PLAN_MONTHS
             ) -> tuple[Plan | None, str]:
        """The playbook for ``state``'s scenario, constraints and weights (re-solved on every call, about 15 ms; the
        tree is cached), or None and the one-line reason when no playbook meets every principle."""
        try:
            problem = self.problem(state, reviews, months)
            w = state.normalised
            return build_plan(problem, problem.solve(w), w), ""
        except DecisionError as exc:
            return None, str(exc)

    def view(self, state: ViewState) -> View:
        """Rank and pick the options for ``state`` (DecisionError for unusable settings)."""
        import time  # noqa: PLC0415
        t0 = time.perf_counter()
        ranker, built = self.ranker(state)
        t1 = time.perf_counter()
        ranking = ranker.rank(state.weights, state.method, state.top)
        t2 = time.perf_counter()
        options = self.options(state, ranker)
        t3 = time.perf_counter()
        return View(state, ranker, ranking, options, built,
                    timings={"build_ms": (t1 - t0) * 1e3 if built else 0.0, "rank_ms": (t2 - t1) * 1e3,
                             "options_ms": (t3 - t2) * 1e3})

    def options(self, state: ViewState, ranker: Ranker) -> Options:
        """The distinct options as the briefing picks them: under the default method they open the playbook (one
        answer: option 1 is the playbook's opening); otherwise, or when no playbook meets every principle, the
        package view."""
        if state.method == DEFAULT_METHOD:
            try:
                return find_options(ranker.portfolios, state.weights, state.method, state.k, state.current,
                                    ranker=ranker, strategy=self.problem(state))
            except DecisionError:
                pass
        return find_options(ranker.portfolios, state.weights, state.method, state.k, state.current, ranker=ranker)

    def confidence(self, view: View, draws: int = CONFIDENCE_DRAWS, score_samples: int = 0) -> Confidence:
        """The 'how sure' numbers of ``view`` (reuses its stability table when present); stored on the view.
        ``score_samples``: also draw the tool scores (the playbook's opening; the "How sure, with the scores?"
        button asks for it, since it takes about a second)."""
        strategy = self.problem(view.state) if view.options.basis == "playbook" else None
        view.confidence = assess(view.ranker.portfolios, view.options, view.ranker, samples=draws,
                                 stability=view.stability, strategy=strategy, score_samples=score_samples)
        return view.confidence
