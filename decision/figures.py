"""Plotly figures (pure: data in, ``go.Figure`` out). Used by notebooks, the dashboard and briefings."""
from __future__ import annotations

import pandas as pd
import plotly.graph_objects as go

CRITERION_COLOURS = ("#1b7837", "#2166ac", "#762a83", "#b2182b", "#8c510a", "#01665e")


CHAR_PX = 6.2
"""Average width in px of one character of an 11 px plotly label (its default font): what a label of n characters
needs, for fitting labels to a chart's width."""


def label_chars(width: float | None, share: float = 0.32, least: int = 14, most: int = 44,
                unknown: int = 32) -> int | None:
    """How many characters a line of combination labels may hold on a chart ``width`` px wide whose labels may take
    ``share`` of it: at most ``most``; None when fewer than ``least`` fit (label by rank only, :func:`combination_labels`
    with ``names=False``); ``unknown`` when the width is not known (None or 0)."""
    if not width:
        return unknown
    n = int(share * width / CHAR_PX)
    return None if n < least else min(n, most)


def _short(label: str, width: int = 70) -> str:
    return label if len(label) <= width else label[: width - 1] + "…"


def combination_labels(ranking: pd.DataFrame, wrap: int | None = None, names: bool = True) -> list[str]:
    """'#rank  tool + tool + ...' labels (unique even with tied ranks), best first; ``wrap``: the whole names on
    lines of about that many characters (:func:`wrap_label`) instead of one line cut at 70; ``names`` False: the
    rank only ('#1'), for a page whose table names the combinations."""
    if not names:
        return [f"#{r}" + "\u200b" * i for i, r in enumerate(ranking["rank"])]
    if wrap:
        return [wrap_label(f"#{r} {t}", wrap) + "\u200b" * i
                for i, (r, t) in enumerate(zip(ranking["rank"], ranking["tools"]))]
    return [f"#{r} {_short(t)}" + "\u200b" * i for i, (r, t) in enumerate(zip(ranking["rank"], ranking["tools"]))]


def profile_data(ranking: pd.DataFrame, criteria, wrap: int | None = None, names: bool = True) -> list[dict]:
    """Per criterion, the bar data (x values, y labels) for :func:`profile_figure` (used to update in place)."""
    labels = combination_labels(ranking, wrap, names)
    return [{"x": ranking[c.id].round(2).tolist(), "y": labels, "name": c.name} for c in criteria]


def profile_figure(ranking: pd.DataFrame, criteria, title: str | None = "Criterion profile of the top combinations",
                   wrap: int | None = None, names: bool = True) -> go.Figure:
    """Grouped horizontal bars: one row per ranked combination (best at the top), one bar per criterion (0-10).

    ``criteria``: the catalogue's Criterion objects (cost criteria are marked 'lower is better'). ``wrap``: labels
    on lines of about that many characters (:func:`combination_labels`); ``title`` None: no title (the page's
    caption names the chart); ``names`` False: rank-only labels (:func:`combination_labels`)."""
    fig = go.Figure()
    for k, (c, d) in enumerate(zip(criteria, profile_data(ranking, criteria, wrap, names))):
        name = d["name"] + (" (lower is better)" if c.direction == "cost" else "")
        fig.add_bar(x=d["x"], y=d["y"], name=name, orientation="h",
                    marker_color=CRITERION_COLOURS[k % len(CRITERION_COLOURS)],
                    hovertemplate="%{y}<br>" + c.name + ": %{x:.2f}<extra></extra>")
    fig.update_layout(barmode="group", title=title, xaxis=dict(title="value (0-10)", range=[0, 10]),
                      yaxis=dict(autorange="reversed", automargin=True), legend=dict(orientation="h", y=-0.15),
                      height=max(320, 60 * len(ranking) + 120), margin=dict(l=10, r=10, t=50 if title else 10, b=10))
    return fig


def tool_frequency_data(ranking: pd.DataFrame, tools) -> dict:
    """How many of the ranked combinations hold each tool (tools never present are left out), most frequent first."""
    names = {t.id: t.name for t in tools}
    counts = pd.Series([t for ids in ranking["tool_ids"] for t in ids]).value_counts()
    counts = counts.sort_index().sort_values(ascending=False, kind="stable")
    return {"x": counts.tolist(), "y": [names[t] for t in counts.index]}


def tool_frequency_figure(ranking: pd.DataFrame, tools, title: str | None = None) -> go.Figure:
    """Bar chart: in how many of the top-N combinations each tool appears."""
    d = tool_frequency_data(ranking, tools)
    fig = go.Figure(go.Bar(x=d["x"], y=d["y"], orientation="h", marker_color="#4d4d4d",
                           hovertemplate="%{y}: in %{x} of the top combinations<extra></extra>"))
    fig.update_layout(title=title or f"Tools in the top {len(ranking)} combinations",
                      xaxis=dict(title="number of combinations", range=[0, max(1, len(ranking))], dtick=1),
                      yaxis=dict(autorange="reversed", automargin=True), height=max(280, 26 * len(d["y"]) + 120),
                      margin=dict(l=10, r=10, t=50, b=10))
    return fig


def preset_ranking_figure(rankings: dict[str, pd.DataFrame], criteria, active: str | None = None) -> go.Figure:
    """Criterion profiles of the top combinations under several weight presets, switched by a plotly dropdown
    (precomputed: works in a static HTML file without a kernel)."""
    names = list(rankings)
    active = active if active in rankings else names[0]
    base = profile_figure(rankings[active], criteria, title=f"Top combinations, weights: {active}")
    buttons = []
    for name in names:
        data = profile_data(rankings[name], criteria)
        buttons.append(dict(label=name, method="update",
                            args=[{"x": [d["x"] for d in data], "y": [d["y"] for d in data]},
                                  {"title.text": f"Top combinations, weights: {name}"}]))
    base.update_layout(updatemenus=[dict(type="dropdown", active=names.index(active), buttons=buttons, x=1, y=1.12,
                                         xanchor="right", yanchor="bottom")])
    return base


# ----------------------------------------------------------------------------------------------------------------
# Robustness figures (data from decision.robustness)

def sensitivity_figure(sweep: pd.DataFrame, title: str = "Which alternative is on top as one weight moves") -> go.Figure:
    """One row per criterion: the weight walked from 0 to 1 (others rescaled proportionally), coloured by the top
    alternative; a black tick marks the current weight. ``sweep``: :func:`decision.robustness.weight_sweep`."""
    crits = list(dict.fromkeys(sweep["criterion"]))
    tops = list(dict.fromkeys(str(t) for t in sweep["top"]))
    palette = ("#1b9e77", "#d95f02", "#7570b3", "#e7298a", "#66a61e", "#e6ab02", "#a6761d", "#666666")
    fig = go.Figure()
    for i, top in enumerate(tops):
        d = sweep[sweep["top"].astype(str) == top]
        fig.add_scatter(x=d["weight"], y=d["criterion"], mode="markers", name=_short(top, 60),
                        marker=dict(symbol="square", size=9, color=palette[i % len(palette)]),
                        hovertemplate="%{y} weight %{x:.2f}<br>top: " + _short(top, 60) + "<extra></extra>")
    cur = sweep.drop_duplicates("criterion")
    fig.add_scatter(x=cur["current"], y=cur["criterion"], mode="markers", name="current weight",
                    marker=dict(symbol="line-ns-open", size=22, color="black", line=dict(width=3)))
    fig.update_layout(title=title, xaxis=dict(title="weight of the criterion", range=[-0.02, 1.02]),
                      yaxis=dict(categoryorder="array", categoryarray=crits[::-1], automargin=True),
                      legend=dict(orientation="h", y=-0.2), height=160 + 50 * len(crits),
                      margin=dict(l=10, r=10, t=50, b=10))
    return fig


def acceptability_figure(rank_acceptability: pd.DataFrame, title: str = "Rank acceptability (SMAA-2)",
                         labels=None) -> go.Figure:
    """Stacked horizontal bars: for each alternative, the share of weight samples giving it rank 1, 2, ...
    ``rank_acceptability``: alternatives x ranks (``SMAAResult.rank_acceptability``, or the ``rank_1..rank_k``
    columns of a combinations table)."""
    ra = rank_acceptability
    names = [_short(str(x), 60) for x in (labels if labels is not None else ra.index)]
    fig = go.Figure()
    for j, col in enumerate(ra.columns):
        shade = 0.25 + 0.75 * (1 - j / max(1, len(ra.columns) - 1))
        fig.add_bar(x=ra[col].to_numpy(), y=names, orientation="h", name=f"rank {str(col).replace('rank_', '')}",
                    marker_color=f"rgba(33,102,172,{shade:.2f})",
                    hovertemplate="%{y}<br>" + str(col) + ": %{x:.1%}<extra></extra>")
    fig.update_layout(barmode="stack", title=title, xaxis=dict(title="share of samples", tickformat=".0%"),
                      yaxis=dict(autorange="reversed", automargin=True), legend=dict(orientation="h", y=-0.2),
                      height=max(280, 28 * len(names) + 140), margin=dict(l=10, r=10, t=50, b=10))
    return fig


def core_index_figure(core: pd.DataFrame, title: str | None = None) -> go.Figure:
    """Bars of each tool's core index (share of non-dominated combinations holding it), coloured by RPM status.
    ``core``: :func:`decision.robustness.core_index`."""
    colours = {"core": "#1b7837", "borderline": "#e6ab02", "exterior": "#bababa"}
    fig = go.Figure()
    for status, colour in colours.items():
        d = core[core["status"] == status]
        if len(d):
            fig.add_bar(x=d["core_index"], y=d["name"], orientation="h", name=status, marker_color=colour,
                        hovertemplate="%{y}: in %{x:.0%} of non-dominated combinations<extra></extra>")
    n = core.attrs.get("n_nondominated")
    fig.update_layout(title=title or f"Core index of each tool ({n:,} non-dominated combinations)" if n else
                      title or "Core index of each tool", xaxis=dict(title="core index", range=[0, 1],
                                                                     tickformat=".0%"),
                      yaxis=dict(categoryorder="array", categoryarray=list(core["name"])[::-1], automargin=True),
                      legend=dict(orientation="h", y=-0.15), height=max(300, 22 * len(core) + 140),
                      margin=dict(l=10, r=10, t=50, b=10))
    return fig


def tool_in_best_figure(tool_in_best: pd.DataFrame, title: str | None = "Probability that a tool is in the best "
                                                                         "combination (SMAA)") -> go.Figure:
    """Bars per tool of ``PortfolioSMAA.tool_in_best`` (tools never in the best combination left out)."""
    d = tool_in_best[tool_in_best["in_best"] > 0]
    fig = go.Figure(go.Bar(x=d["in_best"], y=d["name"], orientation="h", marker_color="#2166ac",
                           hovertemplate="%{y}: %{x:.1%}<extra></extra>"))
    fig.update_layout(title=title, xaxis=dict(title="share of weight samples", range=[0, 1], tickformat=".0%"),
                      yaxis=dict(autorange="reversed", automargin=True), height=max(280, 24 * len(d) + 120),
                      margin=dict(l=10, r=10, t=50 if title else 10, b=10))
    return fig


def wrap_label(text: str, width: int = 28) -> str:
    """``text`` broken into lines of at most about ``width`` characters (plotly ``<br>``), at " + " between tool
    names where possible, else at spaces: long labels grow downwards instead of squeezing the plot on a narrow
    screen."""
    parts = text.replace(" + ", " +\u00a0").split(" ")
    lines, line = [], ""
    for word in parts:
        if line and len(line) + 1 + len(word) > width:
            lines.append(line)
            line = word
        else:
            line = f"{line} {word}" if line else word
    lines.append(line)
    return "<br>".join(x.replace("\u00a0", " ") for x in lines)


def options_data(rows, criteria) -> list[dict]:
    """Per criterion, the bar data for :func:`options_figure`: ``rows`` are :class:`decision.options.Option`s."""
    names = {"status_quo": "do nothing new", "current": "today's policy", "minimal_change": "smallest change"}
    labels = [f"{i + 1}. {_short(r.label, 26)}" if r.kind == "option" else names.get(r.kind, r.kind)
              for i, r in enumerate(rows)]
    return [{"x": [round(r.values[c.id], 2) for r in rows], "y": labels, "name": c.name} for c in criteria]


def options_figure(rows, criteria, title: str | None = None) -> go.Figure:
    """Grouped horizontal bars: one group per option or reference row (status quo, today's policy, minimal change),
    one bar per criterion. Sized to its container (responsive width, a height that fits the rows); the caption is
    the page's (``title`` None), so a narrow screen never clips it; the legend (criteria by their first word, one
    line even on a phone) sits in the top margin."""
    fig = go.Figure()
    for k, (c, d) in enumerate(zip(criteria, options_data(rows, criteria))):
        name = d["name"].split()[0]
        fig.add_bar(x=d["x"], y=d["y"], name=name, orientation="h",
                    marker_color=CRITERION_COLOURS[k % len(CRITERION_COLOURS)],
                    hovertemplate="%{y}<br>" + c.name + ": %{x:.2f}<extra></extra>")
    fig.update_layout(barmode="group", xaxis=dict(range=[0, 10], dtick=2), yaxis=dict(autorange="reversed",
                                                                                      automargin=True),
                      legend=dict(orientation="h", y=1.0, yanchor="bottom", x=0, xanchor="left", font=dict(size=10),
                                  entrywidth=0),
                      height=max(160, 18 * len(rows) + 96), autosize=True, margin=dict(l=10, r=10, t=30, b=6),
                      font=dict(size=11))
    if title:                          # the title above the legend
        fig.update_layout(title=dict(text=title, y=0.98, yanchor="top"), margin=dict(t=64))
    return fig


def tornado_figure(tornado: pd.DataFrame, rows: int = 8, title: str = "Which scores decide the recommendation"
                   ) -> go.Figure:
    """Tornado chart of :func:`decision.sureness.score_tornado`: per (tool, criterion) score, the recommendation's
    margin over the best alternative with that score at the low (left colour) and high end of its range, drawn from
    the margin at the point scores; a bar crossing 0 marks a score whose range can overturn the recommendation.
    Responsive (no fixed width); short labels on two lines stay readable on a 390 px phone screen."""
    d = tornado.head(rows).iloc[::-1]
    point = float(tornado.attrs.get("margin", 0.0))
    labels = [f"{_short(n, 24)}<br>{c.replace('_', ' ')}" for n, c in zip(d["name"], d["criterion"])]
    fig = go.Figure()
    for col, name, colour in (("margin_low", "score at its low end", "#b2182b"),
                              ("margin_high", "score at its high end", "#2166ac")):
        x = d[col].fillna(tornado[["margin_low", "margin_high"]].min().min())      # NaN: breaks a constraint
        fig.add_bar(x=x - point, y=labels, base=point, orientation="h", name=name, marker_color=colour,
                    customdata=d[col], hovertemplate="%{y}<br>margin %{customdata:+.4f}<extra>" + name + "</extra>")
    fig.add_vline(x=0, line_color="black", line_width=1)
    fig.add_vline(x=point, line_dash="dot", line_color="grey")
    fig.update_layout(barmode="overlay", title=dict(text=title, font=dict(size=15)), autosize=True,
                      xaxis=dict(title="margin over the best alternative (below 0: it loses first place)",
                                 tickformat="+.3f", title_font=dict(size=12)),
                      yaxis=dict(automargin=True, tickfont=dict(size=11)),
                      legend=dict(orientation="h", y=1.02, yanchor="bottom", x=0, font=dict(size=11)),
                      height=max(260, 46 * len(d) + 130), margin=dict(l=8, r=8, t=70, b=40))
    return fig
