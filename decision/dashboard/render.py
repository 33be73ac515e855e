"""The dashboard's renderers: HTML strings and in-place figure updates from computed results (no widgets, no
state)."""
from __future__ import annotations

import html
import json
import re

import pandas as pd

from .. import figures
from ..catalog import Catalog
from ..display import flag_words
from ..errors import DecisionError
from ..advice import BottomLine
from ..memo import options_table
from ..options import Options
from ..ranking import CONSENSUS, DEFAULT_METHOD, METHODS, method_of
from .state import ViewState

TABLE_CLASS = "decision-ranking"
"""CSS class of the ranked-table element (browser tests read it)."""
METHOD_LABELS = {m.name: m.menu + (" (default)" if m.name == DEFAULT_METHOD else "")
                 for m in sorted([*METHODS.values(), CONSENSUS], key=lambda m: m.name != DEFAULT_METHOD) if m.menu}
"""The dashboard's method menu (:attr:`decision.ranking.Method.menu`), the default method first."""


def ranking_table_html(ranking: pd.DataFrame, catalog: Catalog, state: ViewState, stale: bool = False,
                       status_quo=None) -> str:
    """The ranked combinations as an HTML table with plain-language names; ``status_quo`` (the options' "do nothing
    new" row, :class:`decision.options.OptionRow`) is shown last, unranked, so every option can be read against it.

    The ``<table>`` carries ``class="decision-ranking"`` and ``data-top-ids`` (the first row's tool ids, ``|``-joined)
    and ``data-state`` (the :class:`ViewState` as JSON, normalised weights included) so a browser test can check the
    table against the engine."""
    e = html.escape
    crit = catalog.criteria
    try:
        norm = state.normalised
    except DecisionError:
        norm = {}
    pref_note = "lower is better" if method_of(state.method).ascending else "higher is better"
    top_ids = "|".join(ranking["tool_ids"].iloc[0]) if len(ranking) else ""
    data_state = e(json.dumps({**state.to_dict(), "normalised": norm}, sort_keys=True), quote=True)
    head = "".join(f"<th class='num' title='{e(c.description)}'>{e(c.name)} "
                   f"{'↓' if c.direction == 'cost' else '↑'}</th>" for c in crit)
    rows = []
    for _, r in ranking.iterrows():
        vals = "".join(f"<td class='num'>{r[c.id]:.2f}</td>" for c in crit)
        rows.append(f"<tr data-ids='{e('|'.join(r['tool_ids']))}'><td class='num'>{int(r['rank'])}</td>"
                    f"<td class='combo'>{e(r['tools'])}</td><td class='num'>{int(r['n_tools'])}</td>{vals}"
                    f"<td class='num'>{r['preference']:.4f}</td></tr>")
    if status_quo is not None:
        vals = "".join(f"<td class='num'>{status_quo.values[c.id]:.2f}</td>" for c in crit)
        pref = f"{status_quo.preference:.4f}" if status_quo.preference == status_quo.preference else "n/a"
        rows.append(f"<tr class='status-quo' data-kind='status_quo'><td class='num'>–</td><td class='combo'><b>Do "
                    f"nothing new</b> <small>(today's cooperation continues; the reference point)</small></td>"
                    f"<td class='num'>0</td>{vals}<td class='num'>{pref}</td></tr>")
    style = ("<style>.decision-ranking{border-collapse:collapse;font-size:12px;width:100%;line-height:1.3}"
             ".decision-ranking th,.decision-ranking td{border-bottom:1px solid #ddd;padding:3px 5px;"
             "vertical-align:top;text-align:left}.decision-ranking th{font-weight:600;vertical-align:bottom}"
             ".decision-ranking .num{text-align:right;font-variant-numeric:tabular-nums}"
             ".decision-ranking td.combo{min-width:12em}.decision-ranking.stale{opacity:.45}"
             ".decision-ranking caption{caption-side:bottom;text-align:left;font-size:11px;color:#666}"
             ".decision-ranking tr.status-quo td{background:#f4f4f4;border-top:2px solid #bbb}</style>")
    cls = TABLE_CLASS + (" stale" if stale else "")
    return labelled(f"{style}<table class='{cls}' data-top-ids='{e(top_ids)}' data-state='{data_state}' "
            f"data-stale='{str(stale).lower()}'><caption>Values on 0-10 scales: ↑ higher is better, ↓ lower is "
            f"better. Preference: {pref_note}. Scores are illustrative.</caption><thead><tr><th class='num'>Rank</th>"
            f"<th>Combination</th><th class='num'>Tools</th>{head}<th class='num'>Preference</th></tr></thead>"
            f"<tbody>{''.join(rows)}</tbody></table>")


def stability_html(stability: pd.DataFrame, catalog: Catalog) -> str:
    """The stability panel: for each criterion, the weight range within which today's top combination stays first
    (the other weights rescaled proportionally, which is what moving one slider does)."""
    e = html.escape
    a = stability.attrs
    names = {c.id: c.name for c in catalog.criteria}
    rows = "".join(
        f"<tr><td>{e(names.get(c, c))}</td><td class='num'>{r['weight']:.3f}</td>"
        f"<td class='num'>{r['low']:.3f} – {r['high']:.3f}</td><td class='num'>{r['margin']:.3f}</td></tr>"
        for c, r in stability.iterrows())
    crit = a.get("most_critical")
    if crit:
        r = stability.loc[crit]
        verdict = (f"Most sensitive: <b>{e(names.get(crit, crit))}</b>: a change of {r['margin']:.3f} in its share "
                   f"of the weight changes the top combination.")
    else:
        verdict = "No single weight change within 0-1 changes the top combination."
    how = "exact" if bool(stability["exact"].all()) else "found numerically (to 1e-7)"
    return labelled(f"<div class='decision-stability'><b>Stability of the recommendation</b> ({e(a.get('method', ''))}, "
            f"bounds {how})<br><small>Top: {e(str(a.get('top', '')))}</small><br>{verdict}"
            f"<table class='{TABLE_CLASS}-stability' style='border-collapse:collapse;font-size:12px'><thead><tr>"
            "<th>Criterion</th><th>Weight now</th><th>Stays on top between</th><th>Margin</th></tr></thead>"
            f"<tbody>{rows}</tbody></table></div>")


def explanation_html(e: dict, catalog: Catalog, label: str) -> str:
    """Why one combination scores as it does (:func:`decision.explain`): per tool and criterion the marginal
    contribution (value with the tool minus value without it), then the interactions that fired and the red lines."""
    esc = html.escape
    crit = catalog.criteria
    marg = e["tools"].pivot_table(index="name", columns="criterion", values="marginal", sort=False)
    head = "".join(f"<th class='num'>{esc(c.name)}{' (cost)' if c.direction == 'cost' else ''}</th>" for c in crit)
    rows = "".join(f"<tr><td>{esc(name)}</td>" + "".join(f"<td class='num'>{r[c.id]:+.2f}</td>" for c in crit)
                   + "</tr>" for name, r in marg.iterrows())
    vals = "".join(f"<td class='num'><b>{e['values'][c.id]:.2f}</b></td>" for c in crit)
    inter = "".join(f"<li>{esc(r.kind)}: {esc(next(c.name for c in crit if c.id == r.criterion))} "
                    f"{r.effect:+.1f}: {esc(r.rationale)}</li>" for r in e["interactions"].itertuples()) \
        or "<li>none</li>"
    red = "".join(f"<li>{esc(r.criterion)} {r.value:.2f} ({'max' if r.max == r.max and r.max is not None else 'min'} "
                  f"{(r.max if r.max == r.max and r.max is not None else r.min):g})</li>"
                  for r in e["red_lines"].itertuples())
    return labelled(f"<div class='decision-explain'><b>{esc(label)}</b><table style='border-collapse:collapse;"
            f"font-size:12px'><thead><tr><th>What each tool adds</th>{head}</tr></thead><tbody>{rows}"
            f"<tr><td><b>Combination value</b></td>{vals}</tr></tbody></table><small>Synergies and conflicts that "
            f"fire:</small><ul style='margin:2px 0'>{inter}</ul><small>Red lines:</small><ul style='margin:2px 0'>"
            f"{red or '<li>none</li>'}</ul></div>")


def bottom_line_html(bottom) -> str:
    """The bottom line as the dashboard's first block: the headline, then Do / Why / How sure / What would change
    it (``bottom``: a :class:`decision.advice.BottomLine`, the briefing's; or text lines)."""
    e = html.escape
    if isinstance(bottom, BottomLine):
        head = f"<p style='margin:0 0 3px 0;font-weight:700;font-size:1.1em'>{e(bottom.headline)}</p>"
        parts = "".join(f"<p style='margin:2px 0'><b style='color:#2166ac'>{e(label)}:</b> {e(text)}</p>"
                        for label, text in bottom.items())
        body = head + parts
    else:
        body = "<p style='margin:0'>" + " ".join(e(s) for s in bottom) + "</p>"
    return ("<div class='decision-bottom-line' style='background:#eef4fb;border-left:4px solid #2166ac;"
            f"padding:6px 10px;margin:4px 0'>{body}</div>")


def options_html(o: Options, catalog: Catalog) -> str:
    """The distinct options with doing nothing new, today's policy and its minimal change: the briefing's options
    table (:func:`decision.memo.options_table`, the same cells) in the dashboard's style."""
    e = html.escape
    t = options_table(o, catalog)
    head = "".join(f"<th class='num' title='{e(desc)}'>{e(name)} {'↓' if d.startswith('lower') else '↑'}</th>"
                   for name, desc, d in t.criteria)
    rows = []
    for r in t.rows:
        vals = "".join(f"<td class='num'>{e(v)}</td>" for v in r.values)
        label = f": {e(r.label)}" if r.label else ""
        rows.append(f"<tr data-kind='{r.kind}' data-ids='{e('|'.join(r.tools))}'><td><b>{e(r.name)}</b>{label}</td><td class='combo'>{e(r.names)}<br><small>{e('; '.join(r.notes))}</small></td>"
                    f"{vals}<td class='num'>{e(r.effort)}</td><td class='num'>{e(r.preference)}</td>"
                    f"<td>{e(r.tied)}</td></tr>")
    return labelled(f"<table class='{TABLE_CLASS} decision-options'><caption>{e(t.preference_note)} {e(t.rule)}</caption>"
            f"<thead><tr><th>Course of action</th><th>Tools</th>{head}<th class='num'>Effort</th>"
            f"<th class='num'>Preference</th><th>Tied</th></tr></thead><tbody>{''.join(rows)}</tbody></table>")


def status_html(n_feasible: int, scenario_name: str, method: str, timings: dict, floor_text: str = "",
                capacity: float | None = None, effort_cost: float | None = None) -> str:
    """The status line: size of the feasible set, scenario, method, timing, then the accountability floor in words
    (or that it is off) and the effort capacity."""
    built = f", rebuilt combinations {timings['build_ms']:.0f} ms" if timings.get("build_ms") else ""
    floor = (f"<span class='decision-floor'>{html.escape(floor_text)}</span>" if floor_text else
             "<span class='decision-floor'>Accountability floor off: recommendations need not do anything about the "
             "abuses (to explore only).</span>")
    cap = ("no effort capacity" if capacity is None else
           f"effort capacity <b class='decision-capacity'>{capacity:g}</b> units")
    cost = f" (each unit costs {effort_cost:g} of preference)" if effort_cost else ""
    return (f"<small><b>{n_feasible:,}</b> feasible combinations · scenario <b>{html.escape(scenario_name)}</b> · "
            f"{html.escape(METHOD_LABELS[method])} · updated in <span class='decision-update-ms'>"
            f"{timings['total_ms']:.0f}</span> ms{built} · <i>scores are illustrative</i><br>{floor} · {cap}{cost}"
            f"</small>")


def progress_html(step: int, steps: int, text: str) -> str:
    """The progress line while the dashboard starts: an animated bar (the browser animates it while the kernel is
    busy), the step and what is being done."""
    return (f"<div class='decision-progress-line'><progress></progress><b>Step {step} of {steps}:</b> "
            f"{html.escape(text)}</div>")


def error_html(message: str) -> str:
    return (f"<div style='color:#8a1c1c;background:#fdecea;padding:6px;border-radius:4px'><b>Could not update:</b> "
            f"{html.escape(message)}<br><small>Your settings are kept; the table below still shows the last valid "
            "result. Change a setting to retry.</small></div>")


def playbook_html(plan, error: str = "", solve_ms: float | None = None, comparison: str = "") -> str:
    """The playbook panel: the plan as nested lists (:func:`decision.strategy.playbook.plan_html`) with its flags and
    ``comparison`` (HTML: :func:`decision.strategy.compare.courses_html`), or the one-line reason no playbook meets
    every principle. The ``<div>`` carries ``data-opening`` (the opening package's tool ids, ``|``-joined) and
    ``data-weights`` (the weights solved for, JSON) so a browser test can check it."""
    from ..strategy.playbook import PROBABILITY_CAVEAT, plan_html  # noqa: PLC0415
    e = html.escape
    if plan is None:
        return (f"<div class='decision-playbook' data-opening=''><b>No playbook meets every principle:</b> "
                f"{e(error)}</div>")
    flags = (f"<p style='color:#8a1c1c'><b>Flags:</b> {e(' '.join(flag_words(f) + '.' for f in plan.flags))}</p>"
             if plan.flags else "")
    weights = e(json.dumps({k: round(float(v), 6) for k, v in plan.weights.items()}, sort_keys=True), quote=True)
    solved = (f" Re-solved for these weights in <span class='decision-playbook-ms'>{solve_ms:.0f}</span> ms."
              if solve_ms is not None else "")
    return (f"<div class='decision-playbook' data-opening='{e('|'.join(plan.root.tools))}' data-weights='{weights}' "
            f"style='font-size:12px'>{flags}{plan_html(plan)}{comparison}<small><i>{e(PROBABILITY_CAVEAT)}</i>{solved}"
            f"</small></div>")


def draw_plan(figure, plan, wrap: int | None = None, layout: dict | None = None, label_depth: int = 1) -> None:
    """Give the playbook's FigureWidget ``plan``'s tree in place: the same traces get new labels, probabilities,
    colours and hover text (the usual case: only the weights moved); the figure is rebuilt only on first drawing or
    when the tree's shape or scenario changed. ``wrap``: node labels' line length (:func:`~decision.strategy.figures.
    plan_figure`); ``layout``: applied over the tree's own on a rebuild (the dashboard's width and legend);
    ``label_depth``: reviews whose changes are written next to their nodes (0: the opening's label only)."""
    from ..strategy.figures import plan_trace_data, tree_shape  # noqa: PLC0415
    upd = plan_trace_data(plan, label_depth=label_depth, wrap=wrap)
    meta = figure.layout.meta
    same = isinstance(meta, dict) and meta.get("tree_shape") == tree_shape(plan, upd)
    if not same:
        from ..strategy.figures import plan_figure  # noqa: PLC0415
        new = plan_figure(plan, label_depth=label_depth, wrap=wrap)
        if layout:
            new.update_layout(**layout)
        layout = new.layout.to_plotly_json()
        layout.pop("template", None)         # the widget has the same default template; re-validating it cost 0.4 s
        with figure.batch_update():
            figure.data = []
            figure.add_traces(new.data)
            figure.update_layout(layout)
        return
    with figure.batch_update():                  # x and y follow the tree's shape only: the same here, not re-sent
        for trace, u in zip(figure.data, upd):
            for key, value in u.items():
                if key == "marker":
                    for attr in ("size", "color", "symbol"):
                        if list(getattr(trace.marker, attr)) != value[attr]:
                            setattr(trace.marker, attr, value[attr])
                elif key in ("text", "hovertext") and list(getattr(trace, key)) != value:
                    setattr(trace, key, value)


def draw_figures(profile_figure, frequency_figure, ranking: pd.DataFrame, catalog: Catalog,
                 chars: int | None = 32) -> None:
    """Give the two FigureWidgets the new ranking's data in place (traces are never re-created); ``chars``: the
    combination labels' line length (:func:`decision.figures.label_chars`; None: the rank alone)."""
    prof = figures.profile_data(ranking, catalog.criteria, wrap=chars, names=chars is not None)
    freq = figures.tool_frequency_data(ranking, catalog.tools)
    with profile_figure.batch_update():
        for trace, d in zip(profile_figure.data, prof):
            trace.x, trace.y = d["x"], d["y"]
        profile_figure.layout.height = max(320, 60 * len(ranking) + 120)
    with frequency_figure.batch_update():
        bar = frequency_figure.data[0]
        bar.x, bar.y = freq["x"], freq["y"]
        frequency_figure.layout.title.text = f"Tools in the top {len(ranking)} combinations"
        frequency_figure.layout.xaxis.range = [0, max(1, len(ranking))]
        frequency_figure.layout.height = max(280, 26 * len(freq["y"]) + 120)


_TABLE = re.compile(r"<table\b.*?</table>", re.S)
_HEAD = re.compile(r"<thead>.*?</thead>", re.S)
_TH = re.compile(r"<th\b[^>]*>(.*?)</th>", re.S)
_ROW = re.compile(r"(<tbody>)(.*?)(</tbody>)", re.S)
_TR = re.compile(r"<tr\b[^>]*>.*?</tr>", re.S)
_TD = re.compile(r"<td\b([^>]*)>")


def labelled(fragment: str) -> str:
    """``fragment`` with each body cell of each table given its column's header text as ``data-label``: where the
    dashboard is narrow (a phone, a split screen) its stylesheet stacks a row's cells, each led by that label, so no
    table needs a sideways scroll (:data:`.layout.STYLE`). Works on the tables the dashboard itself writes."""
    def table(m):
        t = m.group(0)
        head = _HEAD.search(t)
        if head is None:
            return t
        names = [html.escape(html.unescape(re.sub(r"<[^>]+>", "", h)).strip(), quote=True)
                 for h in _TH.findall(head.group(0))]

        def row(r):
            k = iter(range(10 ** 6))
            return _TD.sub(lambda c: (f"<td{c.group(1)} data-label='{names[i]}'>" if (i := next(k)) < len(names)
                                      and names[i] else c.group(0)), r.group(0))
        return _ROW.sub(lambda b: b.group(1) + _TR.sub(row, b.group(2)) + b.group(3), t)
    return _TABLE.sub(table, fragment)
