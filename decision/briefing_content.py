"""What a briefing says, as display-ready content: a :class:`Cover` (the memo and the options table, page 1), the
playbook grid, the detail sections and the appendix, each a frozen dataclass of strings (:mod:`decision.blocks`).

Pure: a :class:`~decision.briefing.Briefing` in, strings out, no HTML (:mod:`decision.briefing_html` lays these out).
Rules every string here follows (tested): no Python values (None, True/False, NaN, dicts), no snake_case ids (ids
become display names or words), preferences with enough decimals to separate what they rank
(:func:`decision.display.separating_decimals`), a stability margin below :data:`decision.advice.TIED_MARGIN` called
"tied", and one "how sure" figure (the share of weightings near the analyst's under which the recommendation stays
first), defined where it is shown. Adding a section (e.g. case precedents) is a function returning a
:class:`~decision.blocks.Section` and one entry in :data:`DETAIL`.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np

from .advice import TIED_MARGIN, BottomLine, advise, verdict
from .blocks import Cited, Heading, Items, Link, Pairs, Section, Table, Text
from .briefing import Briefing
from .catalog import CAVEAT
from .display import ELICITATION, join_names, percent, plain, separating_decimals, signed, words
from .memo import OptionsTable, options_table
from .briefing_playbook import appendix_section, playbook_section
from .ranking import METHODS, method_of
from .sureness import HOW_SURE_SAMPLES, deciding_scores

HANDLING = "Illustrative data: scores are expert judgments, not measurements"
QUESTION = ("Which combination of diplomatic tools presses the ally for accountability without severing security "
            "ties?")
REMOVED = {"prerequisites": "lack a tool they need first (prerequisites)",
           "escalation_ladder": "skip a rung of the escalation ladder",
           "effort_capacity": "need more effort than the capacity",
           "red_lines": "cross a red line", "accountability_floor": "fall below the accountability floor"}
"""Why combinations were left out, in words (keys of ``Portfolios.removed``)."""


@dataclass(frozen=True)
class Cover:
    """Page 1: the handling line with the title (which names the scenario), the bottom line (headline and labelled
    parts; "Do" names today's policy when given), the date and the context (weights, method), the options table and
    the caption of the options chart.
    ``page_title``: the document's title (no date, so the same parameters give the same file)."""
    handling: str
    title: str
    page_title: str
    bottom: BottomLine
    date: str
    meta: tuple[tuple[str, str], ...]
    table: OptionsTable
    figure_caption: str

    def texts(self) -> list[str]:
        t = self.table
        rows = [x for r in t.rows for x in (r.name, r.label, r.names, *r.values, r.effort, r.preference, r.tied,
                                             *r.notes)]
        return [self.handling, self.title, self.bottom.headline, *(x for p in self.bottom.items() for x in p),
                self.date,
                *(x for p in self.meta for x in p), *(c[0] for c in t.criteria), t.preference_note, *rows,
                self.figure_caption]


@dataclass(frozen=True)
class BriefingContent:
    """Everything a briefing shows, in reading order: ``cover``, ``playbook``, ``sections`` (the detail) and
    ``appendix``; ``captions``: the caption of each figure (:func:`figure`) by name; ``parameters``: the run's
    parameters with ids (stored in the file, not shown)."""
    cover: Cover
    playbook: Section
    sections: tuple[Section, ...]
    appendix: tuple[Section, ...]
    captions: dict
    parameters: dict

    def section(self, key: str) -> Section:
        for s in (self.playbook, *self.sections, *self.appendix):
            if s.key == key:
                return s
        raise KeyError(key)

    def texts(self) -> list[str]:
        out = self.cover.texts()
        for s in (self.playbook, *self.sections, *self.appendix):
            out += s.texts()
        return [t for t in out if t]


def _names(b: Briefing) -> dict[str, str]:
    """Every catalogue id a text may contain -> its display name."""
    cat = b.catalog
    return {**{t.id: t.name for t in cat.tools}, **{c.id: c.name.lower() for c in cat.criteria},
            **{f.id: f.name for f in cat.factors}}


def named(text: str, names: dict[str, str]) -> str:
    """``text`` with every catalogue id in it replaced by its display name (longest ids first)."""
    for k in sorted(names, key=len, reverse=True):
        if "_" in k:
            text = re.sub(rf"\b{re.escape(k)}\b", names[k], text)
    return text


def cover(b: Briefing) -> Cover:
    sc = b.portfolios.adjusted.scenario
    bottom = advise(b.options, b.confidence, b.catalog)
    short = ", ".join(f"{c.name.split()[0]} {b.weights.weights[c.id]:.2f}" for c in b.catalog.criteria)
    meta = [("Weights", f"{short} ({named(b.weights.label, _names(b))})"),
            ("Method", method_of(b.method).words)]
    cost = [c.name.lower() for c in b.catalog.criteria if c.direction == "cost"]
    caption = ("Each row of the table on the criteria (0-10 scales" +
               (f"; {join_names(cost)}: lower is better" if cost else "") + ").")
    title = f"Briefing: {sc.name}"
    return Cover(HANDLING, title, f"{bottom.headline} | {title}", bottom, b.generated, tuple(meta),
                 options_table(b.options, b.catalog), caption)


# ----------------------------------------------------------------------------------------------------------------
# Detail sections

def _level(v: float) -> str:
    return "very high" if v >= 8.5 else "high" if v >= 6.5 else "moderate" if v >= 3.5 else "low" if v >= 1.5 \
        else "very low"


def situation(b: Briefing) -> Section:
    sc = b.portfolios.adjusted.scenario
    names = {f.id: f.name for f in b.catalog.factors}
    blocks = [Text(sc.description), Text(QUESTION, "sub")]
    h = b.portfolios.adjusted.horizon
    if h:
        crit = next(c.name.lower() for c in b.catalog.criteria if c.id == b.catalog.model.horizon.criterion)
        blocks.append(Text(f"Time horizon: {h:g} months. Tools whose effect usually lands later keep only part of "
                           f"their score on {crit}."))
    blocks.append(Text(f"The scenario's factors shift tool scores through {len(b.catalog.rules)} sourced rules "
                       "(5 is neutral)."))
    blocks.append(Table(("Factor", "Value (0-10)", "In words"),
                        tuple((names.get(k, words(k)), f"{v:g}", _level(v)) for k, v in sc.factors.items()),
                        (False, True, False)))
    blocks += [Text("What every recommendation must meet here:"), Items(tuple(constraints(b)), "constraints")]
    return Section("situation", "The situation", tuple(blocks))


def constraints(b: Briefing) -> list[str]:
    """The accountability floor in words, the effort capacity, and each mandatory tool with its obligation."""
    st = b.portfolios.setting
    if st is None:
        return []
    floor = st.floor_text()
    out = [f"Accountability floor. {floor}" if floor else "Accountability floor: switched off for this briefing."]
    cost = b.catalog.model.effort_cost
    out.append(f"Effort capacity. A package may use at most {st.capacity:g} units of effort (diplomatic bandwidth, "
               f"political capital, coordination); each unit also costs {cost:g} of preference, so an extra tool "
               "must earn its effort." if st.capacity is not None else
               f"Effort capacity: none; each unit of effort costs {cost:g} of preference.")
    obligations = {ob.id: ob for ob in b.catalog.constraints.obligations}
    names = {t.id: t.name for t in b.catalog.tools}
    for tid, obs in st.mandatory.items():
        for oid in obs:
            ob = obligations.get(oid)
            label, source = (ob.name, ob.source) if ob is not None else (words(oid), "")
            out.append(f"Mandatory: {names.get(tid, words(tid))}, required by {label}" +
                       (f" (source: {source})" if source else "") + ".")
    if not st.mandatory:
        out.append("No legal obligation makes a tool mandatory in this scenario.")
    return out


def weights_section(b: Briefing) -> Section:
    w, names = b.weights, _names(b)
    how = ELICITATION.get(w.method, words(w.method))
    desc = METHODS[b.method].description if b.method in METHODS else "mean rank of three methods"
    blocks = [Text(f"Weights from {named(w.label, names)}, {how}. Method: {method_of(b.method).words} "
                   f"({named(desc, names).replace('wsm', 'the weighted sum')}).")]
    extra = tuple(f"{k}: {named(v, names)}" for k, v in (("Author", w.author), ("Date", w.date),
                                                        ("Elicitation input", w.inputs)) if v)
    if extra:
        blocks.append(Items(extra))
    if w.rationale:
        blocks.append(Text(named(w.rationale, names), label="Rationale:"))
    cn = {c.id: c.name for c in b.catalog.criteria}
    blocks.append(Table(("Criterion", "Weight"), tuple((cn[c], f"{v:.3f}") for c, v in w.weights.items()),
                        (False, True)))
    return Section("weights", "What matters, and how much", tuple(blocks))


def ranking_section(b: Briefing) -> Section:
    crit, df = b.catalog.criteria, b.ranking
    d = separating_decimals(df["preference"])
    best = float(df["preference"].iloc[0])
    cols = ("Rank", "Tools", *(c.name + (" (cost)" if c.direction == "cost" else "") for c in crit), "Preference",
            "Gap to #1")
    rows = tuple((str(int(r["rank"])), r["tools"], *(f"{r[c.id]:.1f}" for c in crit), f"{r['preference']:.{d}f}",
                  "" if i == 0 else signed(r["preference"] - best, d)) for i, (_, r) in enumerate(df.iterrows()))
    removed = [(REMOVED.get(k, words(k)), v) for k, v in b.portfolios.removed.items() if v]
    left = ("; ".join(f"{v:,} {why}" for why, v in removed) + ".") if removed else "none."
    m = method_of(b.method)
    blocks = [Text(f"{len(b.portfolios):,} feasible combinations of up to {b.portfolios.constraints.max_tools} tools "
                   f"were ranked. Combinations left out: {left}"),
              Table(cols, rows, (True, False, *(True,) * len(crit), True, True)),
              Text(f"Values on 0-10 scales; escalation risk is a cost (lower is better). Preference: "
                   f"{m.words}, net of effort, {'lower' if m.ascending else 'higher'} is better; the gap to #1 "
                   f"shows how close the runners-up are.", "sub")]
    top_ids = tuple(df["tool_ids"].iloc[0])
    pres = tuple((named(name.replace("preset: ", "preset "), _names(b)), r["tools"].iloc[0],
                  "yes" if tuple(r["tool_ids"].iloc[0]) == top_ids else "no")
                 for name, r in b.presets.items() if len(r))
    blocks += [Heading("Under other weights"),
               Table(("Weights", "Top combination", "Same as this briefing's #1"), pres),
               Heading("How the options on page 1 were chosen"), Text(b.options.rule, "sub")]
    return Section("ranking", "Recommended combinations", tuple(blocks))


def explanation(b: Briefing, k: int) -> Section:
    e, opt = b.explanations[k], b.options.options[k]
    cn = {c.id: c.name.lower() for c in b.catalog.criteria}
    items = []
    for _, g in e["tools"].groupby("tool", sort=False):
        top = g.loc[g["marginal"].abs().idxmax()]
        shift = g[g["scenario_shift"].abs() > 1e-9]
        shifts = ("; scenario shifts: " + ", ".join(f"{cn[c]} {signed(s, 1)}" for c, s in
                                                    zip(shift["criterion"], shift["scenario_shift"]))
                  if len(shift) else "")
        items.append(f"{g['name'].iloc[0]}: biggest effect on {cn[top['criterion']]} "
                     f"({signed(top['marginal'], 2)} points in this package){shifts}.")
    inter = tuple(f"{r.kind.capitalize()} on {cn[r.criterion]} {signed(r.effect, 1)}: {r.rationale}"
                  for r in e["interactions"].itertuples()) or ("No synergy or conflict fires.",)
    binding = []
    for r in e["red_lines"].itertuples():
        has_max = r.max is not None and r.max == r.max
        limit = r.max if has_max else r.min
        if abs(r.value - limit) < 1.0:
            binding.append(f"{cn[r.criterion].capitalize()} is {r.value:.2f}, within {abs(r.value - limit):.2f} of "
                           f"the red line ({'at most' if has_max else 'at least'} {limit:g}).")
    blocks = (Text("What each tool adds (value with it minus value without it):"), Items(tuple(items)),
              Text("Synergies and conflicts that fire in this package:"), Items(inter),
              Text("Red lines:"),
              Items(tuple(binding) or ("No red line is close (all have a margin of at least 1 point).",)))
    return Section(f"explanation-{k + 1}", f"Option {k + 1} ({opt.label}): {' + '.join(opt.names)}", blocks,
                   level=3)


def explanations(b: Briefing) -> Section:
    return Section("explanations", "Why the options' packages score as they do", (),
                   subsections=tuple(explanation(b, k) for k in range(len(b.explanations))))



def robustness_section(b: Briefing) -> Section:
    rob = b.robustness
    if rob is None:
        return Section("robustness", "How sure, in detail", (Text("The robustness analysis was not run for this "
                                                                  "briefing."),))
    cn = {c.id: c.name for c in b.catalog.criteria}
    smaa = rob.smaa
    row = b.options.best.row
    share = float(smaa.table.loc[row, "first"]) if row in smaa.table.index else 0.0
    crit = cn.get(rob.critical, "no criterion").lower()
    margin = (f"it is tied: a weight change of less than {TIED_MARGIN} on {crit} replaces it" if rob.margin <
              TIED_MARGIN else f"the smallest change of one weight that replaces it is {rob.margin:.3f} (on {crit})")
    said = verdict(rob.margin)
    conf = b.confidence
    if conf is not None and conf.basis == "playbook":
        cm = ("no change of a single weight replaces it" if conf.margin is None else
              f"the smallest change of one weight that replaces it is {conf.margin:.3f} (on "
              f"{cn.get(conf.critical, conf.critical).lower()})")
        share_text = "n/a" if conf.first_share is None else percent(conf.first_share)
        seed = b.parameters["seed"]
        if conf.with_scores is not None:
            head = (f"How sure: the recommended opening stays the best of the {conf.courses} best openings (each "
                    f"followed by its playbook, held fixed) in {percent(conf.with_scores)} of {conf.score_draws:,} "
                    f"draws in which the weights vary within \u00b1{conf.spread:g} of these and every expert score "
                    f"is drawn within its range (triangular, seed {seed}), the figure on page 1; "
                    f"{percent(conf.scores_only)} with the weights as given, and {share_text} of {conf.draws:,} "
                    f"weightings with the scores at their point values; {cm}. A draw in which the opening breaks a "
                    "red line or misses the floor counts against it.")
        else:
            head = (f"How sure: the recommended opening stays the best of the {conf.courses} best openings (each "
                    f"followed by its playbook, held fixed) in {share_text} of {conf.draws:,} weightings drawn at "
                    f"random within \u00b1{conf.spread:g} of these weights (seed {seed}), the figure on page 1; "
                    f"{cm}.")
        blocks = [Text(head),                     # the opening's tools, held or not: page 1 ("its core, ...")
                  Heading("The package view: each package held for the whole horizon, without the ally's "
                          "reactions"),
                  Text(f"Here the package ranking's first is {said}; {margin}. It stays first in {percent(share)} "
                       f"of {smaa.n_samples:,} weightings drawn within \u00b1{rob.spread:g} of these weights "
                       f"(\u00b1{smaa.mc_error:.1%} at 95%); {smaa.n_candidates:,} of {smaa.n_feasible:,} "
                       f"combinations can reach the top {smaa.k} under such weightings.")]
    else:
        blocks = [Text(f"Under these weights the recommendation is {said}; {margin}. How sure: it stays first "
                       f"in {percent(share)} of {smaa.n_samples:,} weightings drawn at random within "
                       f"\u00b1{rob.spread:g} of these weights (\u00b1{smaa.mc_error:.1%} at 95%, seed "
                       f"{b.parameters['seed']}), the figure on page 1. {smaa.n_candidates:,} of {smaa.n_feasible:,} "
                       f"combinations can reach the top {smaa.k} under such weightings.")]
    blocks += score_blocks(b, conf is not None and conf.basis == "playbook")
    st = rob.stability
    blocks.append(Heading("Weight range within which it stays first (one weight moved, the others rescaled)"))
    blocks.append(Table(("Criterion", "Weight now", "From", "To", "Margin"),
                        tuple((cn[c], f"{r['weight']:.3f}", f"{r['low']:.3f}", f"{r['high']:.3f}",
                               f"{r['margin']:.3f}") for c, r in st.iterrows()), (False,) + (True,) * 4))
    acc = smaa.table.head(8)
    blocks.append(Heading("How often each combination comes first or in the top {} near these weights".format(
        smaa.k)))
    blocks.append(Table(("Combination", "First", f"In top {smaa.k}"),
                        tuple((t, percent(f), percent(k)) for t, f, k in zip(acc["tools"], acc["first"],
                                                                            acc["top_k"])), (False, True, True)))
    core = rob.core.head(12)
    blocks.append(Heading(f"Core tools ({rob.n_nondominated:,} combinations no other beats on every criterion)"))
    blocks.append(Table(("Tool", "Share of those combinations that hold it", "Status"),
                        tuple((n, percent(x), s) for n, x, s in zip(core["name"], core["core_index"],
                                                                    core["status"])), (False, True, False)))
    other = "" if rob.method == b.method else " (the chosen method has no robustness analysis here)"
    blocks.append(Text(f"Stability and these shares use {method_of(rob.method).words}{other}. A core tool is in every "
                       "such combination, a borderline tool in some.", "sub"))
    return Section("robustness", "How sure, in detail", tuple(blocks))


def score_blocks(b: Briefing, playbook: bool) -> list:
    """The "how sure" figure with score uncertainty beside the score-only and weight-only shares, and how it relates
    to the page-1 figure; then what the tornado chart (:func:`figure` "tornado") shows."""
    rob = b.robustness
    sure, tor = rob.sure, rob.tornado
    if sure is None:
        return [Text("The scores were held at their point values here (no score draws were made for this "
                     "briefing).", "sub")]
    held = ("option 1's opening package held for the whole horizon (the playbook's answers to the ally left out)"
            if playbook else "the recommendation")
    relation = ("The page-1 figures judge the opening followed by its playbook among the best openings; this one "
                "judges the package alone, as the package ranking does. " if playbook else
                "The page-1 figure varies only the weights; this one lets the expert scores vary too. ")
    blocks = [Heading("If the expert scores are off too"),
              Text(f"How sure, with score uncertainty: {held} comes first in {percent(sure.both)} of {sure.n_samples:,} "
                   f"draws in which the weights vary within \u00b1{rob.spread:g} of these and every tool score is "
                   f"drawn within its low-high range ({sure.distribution}); {percent(sure.scores_only)} with only the "
                   f"scores varying (weights as given), {percent(sure.weights_only)} with only the weights varying "
                   f"(scores at their point values). Each share is within \u00b1{sure.mc_error:.1%} at 95% "
                   f"({sure.n_samples:,} draws each, seed {sure.seed}"
                   + (": as many as decision robustness and the dashboard use, so the three views agree"
                      if sure.n_samples == HOW_SURE_SAMPLES else
                      f": decision robustness and the dashboard use {HOW_SURE_SAMPLES:,}")
                   + "; a draw in which it crosses a red line counts against it). " + relation)]
    if tor is not None and len(tor):
        a = tor.attrs
        if a["margin"] > 0:
            lead = (f"At the point scores it leads the next best package ({a['runner_up']}) by {a['margin']:.4f} in "
                    "preference. ")
        else:
            lead = (f"At the point scores the package ranking puts {a['runner_up']} first, {-a['margin']:.4f} ahead "
                    "of it in preference (the playbook's value, not the package's, makes it option 1). ")
        n, what = deciding_scores(tor)
        blocks.append(Text(lead + "The chart below moves one tool score at a time to the low and the high end of its "
                           "range, every other score at its point value, and shows the margin at each end: a bar "
                           f"crossing 0 is a judgment that decides the order. {n} of {len(tor)} scores {what}; "
                           "check the top rows first."))
    return blocks


def precedents_section(b: Briefing) -> Section:
    """The three documented episodes nearest the scenario, one line each (what was done, how the partner answered,
    how it ended) with their sources as links, and one line on the episodes that used a package like option 1's."""
    from .precedents import CAVEAT, ending, short_name  # noqa: PLC0415
    pr = b.precedents
    if pr is None or pr.error or not pr.nearest:
        why = pr.error if pr is not None and pr.error else "no case library"
        return Section("precedents", "Precedents", (Text(f"No precedents are shown: {why}."),))
    sc = b.portfolios.adjusted.scenario
    items = tuple((re.sub(r" \[\d+ sources?\]$", "", p.line), tuple(Link(_short_source(k.label), k.url, k.label) for k in p.sources))
                  for p in pr.nearest)
    blocks = [Text(f"The {len(pr.nearest)} documented episodes (of {pr.n_episodes}) nearest this scenario "
                   f"({sc.name}), nearest first: what was done, how the partner answered, how it ended."),
              Cited(items)]
    sim = pr.similar
    if sim is not None and sim.matches:
        told = "; ".join(f"{short_name(m.episode.actor)}\u2013{m.episode.partner} {m.episode.years} ended "
                         f"{ending(m.episode)}" for m in sim.matches)
        where = (f"Among the {sim.n_near} episodes near this scenario, those" if sim.scope == "near" else
                 "No episode near this scenario used a package like it; in the whole library, those")
        blocks.append(Text(f"{where} whose package was most like option 1's: {told}.", label="Option 1's package:"))
    elif sim is not None:
        blocks.append(Text("No episode in the library used any of option 1's tools.", label="Option 1's package:"))
    blocks.append(Text(CAVEAT, "sub"))
    return Section("precedents", "Precedents", tuple(blocks))


def _short_source(label: str) -> str:
    """'Author (detail), Title (year)' -> 'Author year', the link text of a source."""
    head, _, tail = label.rpartition(" (")
    year = tail.rstrip(")")
    author = head.split(", ")[0].split(" (")[0]
    return f"{author} {year}" if year.isdigit() else label


def changes_section(b: Briefing) -> Section:
    blocks = []
    names = {t.id: t.name for t in b.catalog.tools}
    if len(b.ranking) > 1:
        top, second = b.ranking.iloc[0], b.ranking.iloc[1]
        a, c = set(top["tool_ids"]), set(second["tool_ids"])
        diff = ([f"drops {join_names(names[t] for t in sorted(a - c))}"] if a - c else []) + \
               ([f"adds {join_names(names[t] for t in sorted(c - a))}"] if c - a else [])
        gap = abs(float(top["preference"]) - float(second["preference"]))
        blocks.append(Text(f"The runner-up ({second['tools']}) {' and '.join(diff)}; its preference differs by "
                           f"{gap:.2g}."))
    blocks.append(Text("Top combination under each ranking method (same weights):"))
    blocks.append(Table(("Method", "Top combination", "Same as the recommendation"),
                        tuple((method_of(m).words, t, "yes" if same else "no") for m, t, same in
                              b.by_method.itertuples(index=False))))
    rob = b.robustness
    if rob is not None and rob.changes:
        cn = {c.id: c.name.lower() for c in b.catalog.criteria}
        items = []
        for dist, c, verb, bound, now, new in rob.changes:
            d = next((d for d in (2, 3, 4) if round(bound, d) != round(now, d)), 4)
            lead = "Tied: if" if dist < TIED_MARGIN else "If"
            items.append(f"{lead} the weight on {cn[c]} {verb} {bound:.{d}f} (now {now:.{d}f}), the top "
                         f"combination becomes {new}.")
        blocks += [Text("Weight changes that would replace the recommendation (the others rescaled proportionally), "
                        "nearest first:"), Items(tuple(items))]
    return Section("changes", "What would change the recommendation", tuple(blocks))


def caveats(b: Briefing) -> Section:
    items = [CAVEAT,
             "The model adds tools' effects with diminishing returns and fixed pairwise interactions (docs/model.md); "
             "real packages depend on sequencing, timing and execution that it does not capture.",
             "Scenario profiles are generic archetypes, not assessments of any real country."]
    if not method_of(b.method).fixed_scale:
        items.append(f"{method_of(b.method).words} scales each criterion over the feasible set: changing the cap on "
                     "tools or the red lines can re-order combinations that did not themselves change.")
    else:
        items.append("The weighted sum scores every combination on fixed 0-10 anchors, so adding or removing other "
                     "combinations never re-orders these.")
    return Section("caveats", "Caveats", (Items(tuple(items)),))


def provenance(b: Briefing) -> Section:
    from importlib.metadata import PackageNotFoundError, version  # noqa: PLC0415
    import platform  # noqa: PLC0415
    from pathlib import Path  # noqa: PLC0415

    from .catalog import BUNDLED  # noqa: PLC0415

    def v(pkg):
        try:
            return version(pkg)
        except PackageNotFoundError:
            return "unknown"
    p = b.parameters
    o = b.options
    pairs = [("decision", v("decision")),
             ("Catalogue", "bundled (data folder)" if Path(b.catalog.path) == BUNDLED else Path(b.catalog.path).name),
             ("Catalogue fingerprint (SHA-256)", b.catalog.digest),
             ("Scenario", b.portfolios.adjusted.scenario.name), ("Weights", named(b.weights.label, _names(b))),
             ("Method", method_of(b.method).words), ("Combinations listed", str(p["top"])),
             ("Cap on tools per combination", str(p["max_tools"])),
             ("Time horizon", f"{p['horizon']:g} months" if p.get("horizon") else "none"),
             ("Weight draws", f"{p['samples']:,} (seed {p['seed']})"),
             ("Today's policy", join_names(o.current.names) if o.current is not None else plain(None)),
             ("Distinct options", str(p["k"])),
             ("Smallest change reaches", f"{p['share']:.0%} of option 1's gain over doing nothing new"),
             ("Playbook", f"{p['reviews']} reviews over {p['months']:g} months"),
             ("pymcdm", v("pymcdm")), ("numpy", np.__version__), ("pandas", v("pandas")),
             ("Python", platform.python_version())]
    return Section("provenance", "Provenance", (
        Text("Same parameters and catalogue give the same briefing (only the timestamp differs); the exact "
             "parameters are stored in this file for re-running."), Pairs(tuple(pairs), "prov")))


DETAIL = (("situation", situation), ("weights", weights_section), ("ranking", ranking_section),
          ("explanations", explanations), ("robustness", robustness_section), ("changes", changes_section),
          ("precedents", precedents_section), ("caveats", caveats))
"""The detail sections after the playbook, in reading order (the appendix follows)."""


TORNADO_ROWS = 6
"""Scores the briefing's tornado chart shows (the most decisive first; ``decision robustness --tornado N`` lists more)."""

CAPTIONS = {
    "ranking": "Criterion values of the top combinations, numbered as in the table above (0-10 scales; escalation "
               "risk: lower is better).",
    "robustness": "How often each tool is in the top combination, over the weightings drawn near these weights.",
    "tornado": "Which expert scores decide it: option 1's margin over the best other package with one tool score at "
               "the low or the high end of its range (dotted: at the point scores; a bar crossing 0 changes which "
               "package comes first).",
    "playbook": "The review tree: letters are the packages of the grid, line colour is the ally's reaction, a darker "
                "node is a likelier path (illustrative probabilities).",
}


def content(b: Briefing) -> BriefingContent:
    """The display-ready content of ``b``."""
    c = cover(b)
    captions = {"options": c.figure_caption, "ranking": CAPTIONS["ranking"]}
    if b.robustness is not None:
        captions["robustness"] = CAPTIONS["robustness"]
        if b.robustness.tornado is not None and len(b.robustness.tornado):
            captions["tornado"] = CAPTIONS["tornado"]
    if b.plan is not None:
        captions["playbook"] = CAPTIONS["playbook"]
    return BriefingContent(c, playbook_section(b.plan, b.plan_error, b.plan_courses),
                           tuple(build(b) for _, build in DETAIL), (appendix_section(b.plan), provenance(b)),
                           captions, dict(b.parameters))


def figure(b: Briefing, name: str):
    """The briefing's figure ``name`` (options, ranking, robustness, tornado, playbook; None when it has nothing to show),
    sized to its container, titled by its caption on the page (:attr:`BriefingContent.captions`)."""
    from . import figures as F  # noqa: PLC0415
    if name == "options":
        return F.options_figure(b.options.rows(), b.catalog.criteria)
    if name == "ranking":
        return F.profile_figure(b.ranking, b.catalog.criteria, title=None, names=False)
    if name == "robustness":
        if b.robustness is None:
            return None
        tib = b.robustness.smaa.tool_in_best
        return F.tool_in_best_figure(tib[tib["in_best"] > 0], title=None).update_layout(
            xaxis_title="share of weightings")
    if name == "tornado":
        tor = None if b.robustness is None else b.robustness.tornado
        if tor is None or not len(tor):
            return None
        return F.tornado_figure(tor, rows=TORNADO_ROWS, title=None).update_layout(   # the caption says the rest
            margin=dict(t=30), xaxis_title="margin in preference", height=30 * min(TORNADO_ROWS, len(tor)) + 96)
    if name == "playbook":
        if b.plan is None:
            return None
        from .strategy.figures import plan_figure  # noqa: PLC0415
        return plan_figure(b.plan, static=True).update_layout(title=None, margin=dict(t=10))
    raise KeyError(name)
