"""The model scored against the case library (``decision backtest``; docs/evidence.md).

Every episode of :mod:`decision.cases` is replayed through the model, stage by stage, and four questions are asked:

(a) **Reactions.** At each stage the model gives the package then in force (the episode's factors and facts, the
    previous observed reaction) probabilities of complies / stalls / retaliates
    (:func:`decision.strategy.reactions.reaction_probabilities`). Scored against the observed reaction with the log
    score ``-ln p(observed)`` and the Brier score ``sum_k (p_k - [k observed])^2`` (both lower is better; Gneiting &
    Raftery 2007). **Skill** is ``1 - score / score_ref``, where the reference forecast is the model's own base rates
    for every stage (the probabilities with no rule firing); above 0 the rules help.
(b) **Security red line.** The model *flags* an episode when a package in force at one of its stages fails the
    playbook's security floor (:func:`decision.strategy.tree.above_floor`: the package's values plus a reaction's
    effects fall below the security red line after some reaction). A flag is right when the ties were degraded or
    severed, and no flag is right when they were maintained (a confusion matrix).
(c) **Recall.** For episodes where the abuses improved verifiably, the measures that accompanied the improvement
    (the packages in force at the stages the partner complied; all measures used if it never did) are looked up in
    the model's playbook for the episode (balanced weights, three quarterly reviews): the share found in the opening,
    and anywhere in the playbook (micro-averaged over episodes).
(d) **Blind.** The same with each episode's factors and facts replaced by those of its archetype (the bundled
    scenario its relationship resembles), so that nothing coded after the outcome enters.

Measures no catalogue tool expresses are counted and named (:attr:`Backtest.unexpressed`). Where no playbook meets
every principle, recall reads the playbook `decision plan` advises (:func:`advised_playbook_tools`: the first
principle whose switching off makes one possible), named per episode; episodes the model still cannot value are
named with the reason. Calibration (:func:`fit_reactions`) fits the reaction model's
base rates and rule log-odds by penalised likelihood (a Gaussian prior centred on each sourced value with the sourced
bracket as +-2 standard deviations, MAP); every fitted figure is reported out of sample by leave-one-out (each
episode scored by a model fitted without it).
"""
from __future__ import annotations

from dataclasses import dataclass, field, replace

import numpy as np
import pandas as pd

from .cases import CaseLibrary, Episode, load_cases
from .catalog import Catalog, Scenario
from .errors import DecisionError
from .portfolios import build_portfolios, package_values, setting
from .strategy.reactions import (KINDS, ReactionModel, allowed_reactions, feature_matrix, memory_values,
                                 reaction_probabilities, rule_design)
from .strategy.reactions_file import load_reactions
from .strategy.tree import floor_ok, period_outcomes

REVIEWS, MONTHS = 3, 12
"""The playbook replayed for recall: three quarterly reviews over a year (the `decision plan` default)."""
MIN_SD = 0.05
"""Smallest prior standard deviation of a fitted parameter (a bracket of zero width is fixed at its value)."""


# ----------------------------------------------------------------------------------------------------------------
# Scoring rules (pure)

def log_score(P: np.ndarray, y: np.ndarray) -> np.ndarray:
    """(N,) ``-ln p(observed)`` of forecasts P (N x K) for observed classes y (N,); lower is better."""
    return -np.log(np.clip(P[np.arange(len(y)), y], 1e-12, 1.0))


def brier(P: np.ndarray, y: np.ndarray) -> np.ndarray:
    """(N,) ``sum_k (p_k - [k = observed])^2``; 0 perfect, 2 certain and wrong; lower is better."""
    onehot = np.zeros_like(P)
    onehot[np.arange(len(y)), y] = 1.0
    return ((P - onehot) ** 2).sum(1)


def skill(score: float, reference: float) -> float:
    """``1 - score / reference``: the share of the reference's score the forecast removes (1 perfect, 0 no better,
    negative worse)."""
    return float(1.0 - score / reference) if reference > 0 else float("nan")


# ----------------------------------------------------------------------------------------------------------------
# Episodes as scenarios and stages

def episode_scenario(catalog: Catalog, episode: Episode, blind: bool = False) -> Scenario:
    """The scenario an episode is replayed in: its coded factors and facts, or (``blind``) its archetype's. The
    effort capacity is the archetype's (capacity is not coded per episode)."""
    arche = catalog.scenario(episode.archetype) if episode.archetype in {s.id for s in catalog.scenarios} else None
    if blind:
        if arche is None:
            raise DecisionError(f"episode '{episode.id}': archetype '{episode.archetype}' is not a scenario of this "
                                "catalogue, so it has no blind variant")
        return arche
    return Scenario(episode.id, f"{episode.actor}–{episode.partner} {episode.years}", episode.title,
                    dict(episode.factors), episode.facts, arche.effort_capacity if arche is not None else None)


def observed_index(model: ReactionModel, reaction: str, retaliation: str | None) -> int:
    """The model's reaction for an observed one: same kind, and for a retaliation the same severity when the model
    tells severities apart (a model with one retaliation takes both)."""
    same = [k for k, r in enumerate(model.reactions) if r.kind == reaction]
    if not same:
        raise DecisionError(f"the reaction model has no reaction of kind '{reaction}'")
    exact = [k for k in same if model.reactions[k].severity == retaliation]
    return (exact or same)[0]


@dataclass(frozen=True)
class Stages:
    """Every stage of a library as arrays: ``episode`` (N,) index into ``episodes``, ``y`` (N,) observed reaction
    index, ``members`` (N x T) the package in force, ``design`` (N x R) the reaction rules' design in the stage's
    context (the previous observed reaction, ties degraded by an earlier major retaliation), ``allowed`` (N x K)
    the reactions the package makes possible, ``degraded`` (N,) the ties were degraded at the stage."""
    episodes: tuple[str, ...]
    episode: np.ndarray
    stage: np.ndarray
    y: np.ndarray
    members: np.ndarray
    design: np.ndarray
    allowed: np.ndarray
    degraded: np.ndarray


def stage_arrays(library: CaseLibrary, catalog: Catalog, model: ReactionModel, blind: bool = False) -> Stages:
    """The stages of every episode with the package in force and the rule design in the episode's scenario."""
    tid = {t: i for i, t in enumerate(catalog.tool_ids)}
    ep, st, y, members, factors, prev, degraded = [], [], [], [], [], [], []
    for e_i, e in enumerate(library):
        sc = episode_scenario(catalog, e, blind)
        last, deg = None, False
        for s_i, s in enumerate(e.stages):
            row = np.zeros(len(tid), dtype=bool)
            row[[tid[t] for t in s.in_force if t in tid]] = True
            k = observed_index(model, s.reaction, s.retaliation)
            ep.append(e_i), st.append(s_i), y.append(k), members.append(row), factors.append(sc.factors)
            prev.append(last), degraded.append(deg)
            last, deg = s.reaction, deg or model.reactions[k].degrades
    members = np.array(members, dtype=bool).reshape(-1, len(tid))
    fac = {f.id: np.array([fs[f.id] for fs in factors], dtype=float) for f in catalog.factors}
    memory = {f: np.array([memory_values(p, d)[f] for p, d in zip(prev, degraded)], dtype=float)
              for f in memory_values(None, False)}
    feats = feature_matrix(members, catalog, model)
    design = rule_design(feats, fac, model, memory)
    return Stages(tuple(e.id for e in library), np.array(ep), np.array(st), np.array(y), members, design,
                  allowed_reactions(feats, model), np.array(degraded, dtype=bool))


def by_kind(P: np.ndarray, model: ReactionModel) -> tuple[np.ndarray, list[str]]:
    """(N x kinds) probabilities summed over reactions of the same kind (complies / stalls / retaliates), so models
    with and without retaliation severities are scored on the same outcomes."""
    kinds = [k for k in KINDS if k in model.kinds]
    return np.column_stack([P[:, model.of_kind(k)].sum(1) for k in kinds]), kinds


# ----------------------------------------------------------------------------------------------------------------
# Calibration: penalised likelihood, leave-one-out

@dataclass(frozen=True)
class Fitted:
    """Fitted base probabilities (K,) and rule log-odds (R,), beside the sourced ones."""
    base: np.ndarray
    log_odds: np.ndarray
    sourced_base: np.ndarray
    sourced_log_odds: np.ndarray


def _prior(model: ReactionModel) -> tuple[np.ndarray, np.ndarray]:
    """Prior means and standard deviations of the parameters (log base rates, then log-odds): centred on the sourced
    values, the sourced bracket as +-2 sd."""
    base_mu = np.log(np.maximum(model.prior_base, 1e-6))
    base_sd = np.array([(np.log(max(r.high, 1e-3)) - np.log(max(r.low, 1e-3))) / 4 for r in model.reactions])
    rule_mu = model.prior_log_odds
    rule_sd = np.array([(r.high - r.low) / 4 for r in model.rules])
    return np.r_[base_mu, rule_mu], np.maximum(np.r_[base_sd, rule_sd], MIN_SD)


def _unpack(theta: np.ndarray, K: int) -> tuple[np.ndarray, np.ndarray]:
    b = np.exp(theta[:K] - theta[:K].max())
    return b / b.sum(), theta[K:]


def fit_reactions(model: ReactionModel, design: np.ndarray, y: np.ndarray, allowed: np.ndarray | None = None
                  ) -> Fitted:
    """MAP fit of the base rates and rule log-odds to observed reactions ``y`` of stages with rule ``design`` (and
    the reactions each package makes possible), each kept inside its documented bracket."""
    from scipy.optimize import minimize  # noqa: PLC0415  (scipy is heavy; only the fit needs it)
    mu, sd = _prior(model)
    K = len(model.reactions)

    def objective(theta):
        base, lo = _unpack(theta, K)
        P = reaction_probabilities(design, model, base, lo, allowed)
        return log_score(P, y).sum() + 0.5 * (((theta - mu) / sd) ** 2).sum()

    lo_b = np.r_[np.log(np.maximum([r.low for r in model.reactions], 1e-6)), [r.low for r in model.rules]]
    hi_b = np.r_[np.log(np.maximum([r.high for r in model.reactions], 1e-6)), [r.high for r in model.rules]]
    res = minimize(objective, np.clip(mu, lo_b, hi_b), method="L-BFGS-B", bounds=list(zip(lo_b, hi_b)))
    base, lo = _unpack(res.x, K)
    return Fitted(base, lo, model.prior_base, model.prior_log_odds)


def leave_one_out(model: ReactionModel, stages: Stages) -> tuple[np.ndarray, dict[int, Fitted]]:
    """(N x K) out-of-sample probabilities (each episode's stages from a model fitted on every other episode) and
    the fit that left out each episode (episode index -> :class:`Fitted`)."""
    P = np.zeros((len(stages.y), len(model.reactions)))
    fits = {}
    for e in np.unique(stages.episode):
        out = stages.episode == e
        fits[int(e)] = f = fit_reactions(model, stages.design[~out], stages.y[~out], stages.allowed[~out])
        P[out] = reaction_probabilities(stages.design[out], model, f.base, f.log_odds, stages.allowed[out])
    return P, fits


def with_fitted(model: ReactionModel, fitted: Fitted) -> ReactionModel:
    """The reaction model with fitted base rates and log-odds (brackets and sources unchanged)."""
    reactions = tuple(replace(r, probability=float(p)) for r, p in zip(model.reactions, fitted.base))
    rules = tuple(replace(r, log_odds=float(v)) for r, v in zip(model.rules, fitted.log_odds))
    return replace(model, reactions=reactions, rules=rules)


# ----------------------------------------------------------------------------------------------------------------
# (b) red-line flags and (c) recall, per episode

def security_flag(catalog: Catalog, episode: Episode, model: ReactionModel, blind: bool = False) -> bool:
    """True when a package in force at some stage fails the playbook's security floor in the episode's scenario and
    the stage's context (the previous observed reaction, ties degraded): a reaction that can happen would push
    security below its red line, or the chance of a major retaliation is above the ceiling."""
    sc = episode_scenario(catalog, episode, blind)
    st = setting(catalog, sc)
    one = CaseLibrary((episode,), "")
    stages = stage_arrays(one, catalog, model, blind)
    P = reaction_probabilities(stages.design, model, allowed=stages.allowed)
    values = package_values(st, [[t for t in s.in_force if t in catalog.tool_ids] for s in episode.stages])
    out = np.stack([period_outcomes(values, model, catalog, sc.factors, degraded=bool(d)) for d in (0, 1)], axis=1)
    out = out[np.arange(len(P)), stages.degraded.astype(int)]         # each stage in its own degraded state
    return bool(not floor_ok(out, P, model, st.constraints.red_lines, catalog.criterion_ids).all())


def improvement_measures(episode: Episode, catalog: Catalog) -> tuple[str, ...]:
    """Catalogue tools that accompanied a verified improvement: those in force when the partner complied (all tools
    used if it never did). Empty unless the rights outcome is a verifiable improvement."""
    if episode.rights != "improved" or not episode.rights_verifiable:
        return ()
    complied = [s.in_force for s in episode.stages if s.reaction == "complies"]
    tools = [t for pkg in (complied or [episode.tools_used]) for t in pkg]
    return tuple(t for t in dict.fromkeys(tools) if t in catalog.tool_ids)


def playbook_tools(catalog: Catalog, scenario: Scenario, model: ReactionModel, weights) -> tuple[set, set]:
    """(opening tools, every tool anywhere in the playbook) of the model's plan in ``scenario``."""
    from .strategy.playbook import build_plan  # noqa: PLC0415
    from .strategy.tree import strategy_problem  # noqa: PLC0415
    problem = strategy_problem(build_portfolios(catalog, scenario), model, REVIEWS, MONTHS)
    plan = build_plan(problem, problem.solve(weights), weights)
    return set(plan.root.tools), {t for n in plan.nodes for t in n.tools}


def advised_playbook_tools(catalog: Catalog, scenario: Scenario, model: ReactionModel,
                           weights) -> tuple[set, set, str | None]:
    """:func:`playbook_tools` of the playbook an analyst would use: the model's plan, or, when no playbook meets
    every principle, the plan with the first principle whose switching off makes one possible (what `decision plan`
    advises, in the order it lists them; the security floor, the premise, comes last), and that principle's name
    (None when every principle holds). Raises the plan's DecisionError when no single principle is to blame."""
    try:
        return (*playbook_tools(catalog, scenario, model, weights), None)
    except DecisionError as exc:
        if "no playbook meets every principle" not in str(exc):
            raise
        first = exc
    pr = model.principles
    for name in pr.NAMES:
        if not getattr(pr, name):
            continue
        try:
            return (*playbook_tools(catalog, scenario, model.with_principles(pr.switched(off=[name])), weights),
                    name)
        except DecisionError:
            continue
    raise first


# ----------------------------------------------------------------------------------------------------------------
# The whole backtest

@dataclass(frozen=True)
class Variant:
    """One variant of the backtest (coded or blind factors; sourced or leave-one-out fitted reaction model)."""
    name: str
    probabilities: np.ndarray          # (N x K) per stage
    reference: np.ndarray              # (N x K) base-rate forecasts per stage
    flags: dict[str, bool | None]      # episode -> flagged (None: could not be valued)
    recall: dict[str, tuple[int, int, int]]   # episode -> (needed, in opening, in playbook)
    failures: dict[str, str] = field(default_factory=dict)
    relaxed: dict[str, str] = field(default_factory=dict)   # episode -> principle switched off for its playbook

    def note(self, episode: str) -> str:
        """Why an episode is not valued, or which principle its playbook was counted without."""
        if episode in self.failures:
            return self.failures[episode]
        if episode in self.relaxed:
            return (f"no playbook meets every principle; counted with '{self.relaxed[episode]}' switched off, "
                    "as decision plan advises")
        return ""


@dataclass(frozen=True)
class Backtest:
    library: CaseLibrary
    reactions: tuple[str, ...]
    stages: Stages
    variants: tuple[Variant, ...]
    fitted: Fitted
    rule_ids: tuple[str, ...]
    unexpressed: tuple[tuple[str, str, str], ...]    # (episode, category, what)
    kinds: tuple[str, ...] = ()                      # the kind of each reaction (complies / stalls / retaliates)

    def kind_scores(self, P: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Forecasts and observations on the kinds (complies / stalls / retaliates): (N x kinds), (N,)."""
        kinds = [k for k in KINDS if k in self.kinds]
        to = np.array([[r == k for k in kinds] for r in self.kinds], dtype=float)        # (K, kinds)
        return P @ to, to[self.stages.y].argmax(1)

    def variant(self, name: str) -> Variant:
        return next(v for v in self.variants if v.name == name)

    def summary(self) -> pd.DataFrame:
        """One row per variant: log and Brier scores and skills on the reaction kinds (complies / stalls /
        retaliates), the Brier score on the model's own reactions (retaliation severities apart), red-line accuracy,
        recall."""
        rows = []
        y = self.stages.y
        for v in self.variants:
            (P, yk), (R, _) = self.kind_scores(v.probabilities), self.kind_scores(v.reference)
            ls, lr = log_score(P, yk).mean(), log_score(R, yk).mean()
            bs, br = brier(P, yk).mean(), brier(R, yk).mean()
            bsev, bsev_ref = brier(v.probabilities, y).mean(), brier(v.reference, y).mean()
            cm = confusion(self.library, v.flags)
            need = sum(r[0] for r in v.recall.values())
            rows.append({"variant": v.name, "stages": len(y), "log_score": ls, "log_skill": skill(ls, lr),
                         "brier": bs, "brier_skill": skill(bs, br), "brier_severity": bsev,
                         "brier_severity_skill": skill(bsev, bsev_ref),
                         "red_line_accuracy": (cm["right"] / cm["episodes"]) if cm["episodes"] else float("nan"),
                         "recall_opening": sum(r[1] for r in v.recall.values()) / need if need else float("nan"),
                         "recall_playbook": sum(r[2] for r in v.recall.values()) / need if need else float("nan")})
        return pd.DataFrame(rows).set_index("variant")

    def episodes(self, variant: str) -> pd.DataFrame:
        """Per episode: observed reactions, mean probability of the observed reaction, Brier, flag vs outcome,
        recall."""
        v = self.variant(variant)
        y, ep = self.stages.y, self.stages.episode
        P, yk = self.kind_scores(v.probabilities)
        p_obs = P[np.arange(len(yk)), yk]
        b = brier(P, yk)
        rows = []
        for i, e in enumerate(self.library):
            m = ep == i
            need, op, pb = v.recall.get(e.id, (0, 0, 0))
            rows.append({"episode": e.id, "archetype": e.archetype,
                         "observed": " ".join(self.reactions[k] for k in y[m]),
                         "p_observed": float(p_obs[m].mean()), "brier": float(b[m].mean()),
                         "security": e.security, "flagged": v.flags.get(e.id),
                         "flag_right": _flag_right(e, v.flags.get(e.id)), "rights": e.rights,
                         "improvement_measures": need, "in_opening": op, "in_playbook": pb,
                         "note": v.note(e.id)})
        return pd.DataFrame(rows).set_index("episode")


def _flag_right(e: Episode, flag: bool | None) -> bool | None:
    return None if flag is None else flag == (e.security != "maintained")


def confusion(library: CaseLibrary, flags: dict) -> dict:
    """Confusion matrix of red-line flags against the security outcome (degraded or severed = ties cut)."""
    cm = {"flagged_cut": 0, "flagged_kept": 0, "unflagged_cut": 0, "unflagged_kept": 0}
    for e in library:
        f = flags.get(e.id)
        if f is None:
            continue
        cut = e.security != "maintained"
        cm[f"{'flagged' if f else 'unflagged'}_{'cut' if cut else 'kept'}"] += 1
    cm["episodes"] = sum(cm.values())
    cm["right"] = cm["flagged_cut"] + cm["unflagged_kept"]
    return cm


def _variant(name, catalog, library, models, P, reference, weights, blind, progress) -> Variant:
    """Flags and recall of every episode, each with ``models[i]`` (the sourced model, or the one fitted without
    episode i); playbooks are shared between episodes that have the same scenario and model."""
    flags, recall, failures, relaxed = {}, {}, {}, {}
    cache: dict = {}
    for i, e in enumerate(library):
        model = models[i]
        if progress:
            progress(name, e.id)
        try:
            flags[e.id] = security_flag(catalog, e, model, blind)
        except DecisionError as exc:
            flags[e.id], failures[e.id] = None, str(exc)
        need = improvement_measures(e, catalog)
        if not need:
            continue
        key = (e.archetype if blind else e.id, id(model))
        try:
            if key not in cache:
                cache[key] = advised_playbook_tools(catalog, episode_scenario(catalog, e, blind), model, weights)
            opening, anywhere, off = cache[key]
            recall[e.id] = (len(need), sum(t in opening for t in need), sum(t in anywhere for t in need))
            if off is not None:
                relaxed[e.id] = off
        except DecisionError as exc:
            failures[e.id] = str(exc)
    return Variant(name, P, reference, flags, recall, failures, relaxed)


def run_backtest(catalog: Catalog, library: CaseLibrary | None = None, reactions: ReactionModel | None = None,
                 weights=None, loo: bool = True, progress=None) -> Backtest:
    """Score the model against the case library: coded and blind factors, with the sourced reaction model and (with
    ``loo``) the leave-one-out fitted one. ``weights`` for the playbooks (default: equal weights, the balanced
    preset); ``progress(variant, episode)`` is called before each episode's playbook."""
    model = reactions or load_reactions(catalog)
    library = library or load_cases(catalog=catalog)
    weights = weights if weights is not None else {c: 1.0 for c in catalog.criterion_ids}
    variants = []
    coded = stage_arrays(library, catalog, model)
    blind = stage_arrays(library, catalog, model, blind=True)
    sourced = [model] * len(library)
    base = np.broadcast_to(model.base, (len(coded.y), len(model.ids))).copy()
    for name, st, is_blind in (("coded", coded, False), ("blind", blind, True)):
        P = reaction_probabilities(st.design, model, allowed=st.allowed)
        variants.append(_variant(name, catalog, library, sourced, P, base, weights, is_blind, progress))
    fitted = fit_reactions(model, coded.design, coded.y, coded.allowed)
    if loo:
        for name, st, is_blind in (("coded, fitted out of sample", coded, False),
                                   ("blind, fitted out of sample", blind, True)):
            P, fits = leave_one_out(model, st)
            models = [with_fitted(model, fits[i]) for i in range(len(library))]
            variants.append(_variant(name, catalog, library, models, P, base, weights, is_blind, progress))
    unexpressed = tuple((e.id, m.category or "other", m.what) for e in library for m in e.unexpressed)
    return Backtest(library, tuple(model.ids), coded, tuple(variants), fitted, tuple(r.id for r in model.rules),
                    unexpressed, tuple(model.kinds))


# ----------------------------------------------------------------------------------------------------------------
# Views: JSON contract, text, markdown tables for docs/evidence.md

TARGETS = {"brier_skill_out_of_sample": 0.25, "brier_skill_blind_out_of_sample": 0.15, "red_line_accuracy": 0.80,
           "recall_playbook": 0.60}
"""The issue's targets, shown beside the figures (leave-one-out for the skills)."""


def _r(x, nd: int = 4):
    return None if x is None or (isinstance(x, float) and np.isnan(x)) else round(float(x), nd)


def backtest_json(bt: Backtest) -> dict:
    """The JSON contract (docs/evidence.md): per variant the aggregate scores, the red-line confusion matrix, recall
    and one record per episode; the fitted parameters beside the sourced ones; unexpressed measures."""
    summary = bt.summary()
    variants = {}
    for v in bt.variants:
        s = summary.loc[v.name]
        eps = bt.episodes(v.name)
        y, ep = bt.stages.y, bt.stages.episode
        records = []
        for i, e in enumerate(bt.library):
            m = ep == i
            row = eps.loc[e.id]
            need, op, pb = v.recall.get(e.id, (0, 0, 0))
            records.append({
                "id": e.id, "archetype": e.archetype, "observed": [bt.reactions[k] for k in y[m]],
                "probabilities": [{r: _r(p) for r, p in zip(bt.reactions, P)} for P in v.probabilities[m]],
                "brier": _r(row["brier"]), "security": e.security, "flagged": v.flags.get(e.id),
                "flag_right": _flag_right(e, v.flags.get(e.id)), "rights": e.rights, "rights_verifiable": e.rights_verifiable,
                "recall": {"measures": need, "in_opening": op, "in_playbook": pb}, "note": v.note(e.id)})
        variants[v.name] = {
            "log_score": _r(s["log_score"]), "log_skill": _r(s["log_skill"]), "brier": _r(s["brier"]),
            "brier_skill": _r(s["brier_skill"]), "brier_severity": _r(s["brier_severity"]),
            "brier_severity_skill": _r(s["brier_severity_skill"]), "red_line": {**confusion(bt.library, v.flags),
                                                              "accuracy": _r(s["red_line_accuracy"])},
            "recall": {"opening": _r(s["recall_opening"]), "playbook": _r(s["recall_playbook"])},
            "episodes": records}
    f = bt.fitted
    return {"episodes": len(bt.library), "stages": int(len(bt.stages.y)), "reactions": list(bt.reactions),
            "variants": variants, "targets": TARGETS,
            "fitted": {"base": {r: {"sourced": _r(a), "fitted": _r(b)} for r, a, b in
                                zip(bt.reactions, f.sourced_base, f.base)},
                       "rules": {r: {"sourced": _r(a), "fitted": _r(b)} for r, a, b in
                                 zip(bt.rule_ids, f.sourced_log_odds, f.log_odds)}},
            "unexpressed": [{"episode": e, "category": c, "what": w} for e, c, w in bt.unexpressed],
            "library": bt.library.folder}


def _pct(x) -> str:
    return "n/a" if x is None or (isinstance(x, float) and np.isnan(x)) else f"{x:.0%}"


def backtest_text(bt: Backtest) -> str:
    """The backtest for a terminal: the aggregate table, targets, the episodes the model gets most wrong."""
    s = bt.summary()
    lines = [f"Backtest: {len(bt.library)} episodes, {len(bt.stages.y)} stages ({bt.library.folder})", "",
             f"{'variant':<30} {'log score':>9} {'skill':>6} {'Brier':>6} {'skill':>6} {'red line':>8} "
             f"{'recall (opening/playbook)':>26}"]
    for name, r in s.iterrows():
        lines.append(f"{name:<30} {r['log_score']:>9.3f} {_pct(r['log_skill']):>6} {r['brier']:>6.3f} "
                     f"{_pct(r['brier_skill']):>6} {_pct(r['red_line_accuracy']):>8} "
                     f"{_pct(r['recall_opening']):>12} / {_pct(r['recall_playbook']):<11}")
    lines += ["", "Scores: lower is better; skill = 1 - score / score of the model's base rates (higher is better). "
              "Red line: share of episodes where the security flag matches whether ties were cut. Recall: share of "
              "the measures that accompanied verified improvement found in the opening / the playbook.",
              f"Targets (issue 16): Brier skill out of sample >= {TARGETS['brier_skill_out_of_sample']:.0%}, blind >= "
              f"{TARGETS['brier_skill_blind_out_of_sample']:.0%}; red line >= {TARGETS['red_line_accuracy']:.0%}; "
              f"recall in the playbook >= {TARGETS['recall_playbook']:.0%}.", ""]
    eps = bt.episodes("coded").sort_values("p_observed")
    lines.append("Reactions the model found least likely (coded factors, sourced model):")
    for eid, r in eps.head(5).iterrows():
        lines.append(f"  {eid:<28} observed {r['observed']:<30} mean p(observed) {r['p_observed']:.2f}")
    wrong = eps[eps["flag_right"] == False]  # noqa: E712  (None means not valued)
    if len(wrong):
        lines.append("Security flags that missed: " + ", ".join(
            f"{eid} ({'flagged, ties ' + r['security'] if r['flagged'] else 'not flagged, ties ' + r['security']})"
            for eid, r in wrong.iterrows()))
    if bt.unexpressed:
        cats = pd.Series([c for _, c, _ in bt.unexpressed]).value_counts()
        lines.append(f"Measures no catalogue tool expresses: {len(bt.unexpressed)} in "
                     f"{len({e for e, _, _ in bt.unexpressed})} episodes (" +
                     ", ".join(f"{c} {n}" for c, n in cats.items()) + "); `decision backtest --format json` names "
                     "them.")
    fails = {e: n for v in bt.variants for e, n in v.failures.items()}
    for e, n in sorted(fails.items()):
        lines.append(f"Not valued: {e}: {n}")
    relaxed = {}
    for v in bt.variants:
        for e, n in v.relaxed.items():
            relaxed.setdefault((e, n), []).append(v.name)
    for (e, n), names in sorted(relaxed.items()):
        lines.append(f"Counted with '{n}' switched off (no playbook meets every principle; what decision plan "
                     f"advises): {e} ({'; '.join(names)})")
    return "\n".join(lines)


def _cell(x, pct: bool = False) -> str:
    if x is None or (isinstance(x, float) and np.isnan(x)):
        return "n/a"
    return f"{x:.0%}" if pct else f"{x:.3f}"


MEASURES = (("log_score", "log score", False, "lower"), ("brier", "Brier", False, "lower"),
            ("red_line_accuracy", "red line right", True, "higher"), ("recall_opening", "recall, opening", True,
                                                                       "higher"),
            ("recall_playbook", "recall, playbook", True, "higher"))
"""The backtest's measures in the before/after table: key, label, shown as a share, which way is better."""


def backtest_markdown(bt: Backtest, before: dict | None = None) -> dict[str, str]:
    """Markdown blocks for docs/evidence.md (regenerated by ``docs/refresh_evidence.py``, never typed): ``summary``
    (the variants), ``before_after`` (with ``before``, a ``backtest_json`` of the earlier model), ``episodes`` (per
    episode, coded and leave-one-out), ``fitted`` (the fit beside the values in the file) and ``unexpressed``."""
    s = bt.summary()
    out = {}
    rows = ["| variant | stages | log score | skill | Brier | skill | Brier (severities) | red line right | recall, "
            "opening | recall, playbook |", "|---|---|---|---|---|---|---|---|---|---|"]
    for name, r in s.iterrows():
        rows.append(f"| {name} | {int(r['stages'])} | {_cell(r['log_score'])} | {_cell(r['log_skill'], True)} | "
                    f"{_cell(r['brier'])} | {_cell(r['brier_skill'], True)} | {_cell(r['brier_severity'])} | "
                    f"{_cell(r['red_line_accuracy'], True)} | {_cell(r['recall_opening'], True)} | "
                    f"{_cell(r['recall_playbook'], True)} |")
    out["summary"] = "\n".join(rows)
    if before is not None:
        b = {name: v for name, v in before["variants"].items()}
        rows = ["| variant | measure | before | after | better? |", "|---|---|---|---|---|"]
        for name, r in s.iterrows():
            old = b.get(name) or b.get(name.replace("fitted out of sample", "fitted (leave-one-out)"))
            if old is None:
                continue
            was = {"log_score": old["log_score"], "brier": old["brier"],
                   "red_line_accuracy": old["red_line"]["accuracy"], "recall_opening": old["recall"]["opening"],
                   "recall_playbook": old["recall"]["playbook"]}
            for key, label, pct, way in MEASURES:
                a, o = r[key], was[key]
                verdict = ("n/a" if o is None or a != a else "same" if round(a, 4) == round(o, 4) else
                           "yes" if (a < o) == (way == "lower") else "no")
                rows.append(f"| {name} | {label} ({way} is better) | {_cell(o, pct)} | {_cell(a, pct)} | {verdict} |")
        out["before_after"] = "\n".join(rows)
    eps = {v: bt.episodes(v) for v in ("coded", "coded, fitted out of sample") if v in s.index}
    rows = ["| episode | archetype | observed | p(observed) | LOO p(observed) | ties | flagged | flag right | "
            "rights | recall (playbook) |", "|---|---|---|---|---|---|---|---|---|---|"]
    coded = eps["coded"]
    loo = eps.get("coded, fitted out of sample")
    for eid, r in coded.iterrows():
        lp = _cell(loo.loc[eid, "p_observed"]) if loo is not None else "n/a"
        rec = f"{int(r['in_playbook'])} of {int(r['improvement_measures'])}" if r["improvement_measures"] else ""
        note = f" ({r['note'][:60]}...)" if r["note"] else ""
        rows.append(f"| {eid} | {r['archetype']} | {r['observed'].replace('_', ' ')} | {_cell(r['p_observed'])} | "
                    f"{lp} | {r['security']} | {'' if r['flagged'] is None else 'yes' if r['flagged'] else 'no'} | "
                    f"{'' if r['flag_right'] is None else 'yes' if r['flag_right'] else 'NO'} | {r['rights']} | "
                    f"{rec}{note} |")
    out["episodes"] = "\n".join(rows)
    f = bt.fitted
    rows = ["| parameter | in the file (prior) | fitted to the whole library | bracket |", "|---|---|---|---|"]
    for rid, a, b in zip(bt.reactions, f.sourced_base, f.base):
        rows.append(f"| base rate: {rid} | {a:.3f} | {b:.3f} | |")
    for rid, a, b in zip(bt.rule_ids, f.sourced_log_odds, f.log_odds):
        rows.append(f"| rule: {rid} | {a:+.2f} | {b:+.2f} | |")
    out["fitted"] = "\n".join(rows)
    by = {}
    for e, c, w in bt.unexpressed:
        by.setdefault(e, []).append(f"{c.replace('_', ' ')}: {w}")
    out["unexpressed"] = "\n".join(f"- {e}: " + "; ".join(v) for e, v in sorted(by.items())) or "- none"
    return out
