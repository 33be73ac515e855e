"""Plotly figures (pure: data in, ``go.Figure`` out). Used by notebooks, the dashboard and briefings."""
from __future__ import annotations

import numpy as np
import pandas as pd
import plotly.graph_objects as go

CRITERION_COLOURS = ("#1b7837", "#2166ac", "#762a83", "#b2182b", "#8c510a", "#01665e")


def _short(label: str, width: int = 70) -> str:
    return label if len(label) <= width else label[: width - 1] + "…"


def combination_labels(ranking: pd.DataFrame) -> list[str]:
    """'#rank  tool + tool + ...' labels (unique even with tied ranks), best first."""
    return [f"#{r} {_short(t)}" + "\u200b" * i for i, (r, t) in enumerate(zip(ranking["rank"], ranking["tools"]))]


def profile_data(ranking: pd.DataFrame, criteria) -> list[dict]:
    """Per criterion, the bar data (x values, y labels) for :func:`profile_figure` (used to update in place)."""
    labels = combination_labels(ranking)
    return [{"x": ranking[c.id].round(2).tolist(), "y": labels, "name": c.name} for c in criteria]


def profile_figure(ranking: pd.DataFrame, criteria, title: str = "Criterion profile of the top combinations"
                   ) -> go.Figure:
    """Grouped horizontal bars: one row per ranked combination (best at the top), one bar per criterion (0-10).

    ``criteria``: the catalogue's Criterion objects (cost criteria are marked 'lower is better')."""
    fig = go.Figure()
    for k, (c, d) in enumerate(zip(criteria, profile_data(ranking, criteria))):
        name = d["name"] + (" (lower is better)" if c.direction == "cost" else "")
        fig.add_bar(x=d["x"], y=d["y"], name=name, orientation="h",
                    marker_color=CRITERION_COLOURS[k % len(CRITERION_COLOURS)],
                    hovertemplate="%{y}<br>" + c.name + ": %{x:.2f}<extra></extra>")
    fig.update_layout(barmode="group", title=title, xaxis=dict(title="value (0-10)", range=[0, 10]),
                      yaxis=dict(autorange="reversed", automargin=True), legend=dict(orientation="h", y=-0.15),
                      height=max(320, 60 * len(ranking) + 120), margin=dict(l=10, r=10, t=50, b=10))
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
