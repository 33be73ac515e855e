"""The playbook as a plotly tree (pure: a Plan in, a ``go.Figure`` out). Used by the notebook, dashboard, briefing.

x is the month of the review, y the position among the leaves (a node sits at the mean of its children). Edges
carry the reaction and its probability; node colour is the path probability; hovering a node shows its package and
values. :func:`plan_figure_data` returns the same numbers as plain lists so a view can update a figure in place.
"""
from __future__ import annotations

import hashlib
import json

import plotly.graph_objects as go

from ..display import wrap_words
from .playbook import Plan, PlanNode

REACTION_COLOURS = {"complies": "#1b7837", "stalls": "#8c510a", "retaliates": "#b2182b",
                    "retaliates_minor": "#d6604d", "retaliates_major": "#67001f"}
OTHER_COLOUR = "#555555"


def _short(text: str, width: int = 42) -> str:
    return text if len(text) <= width else text[: width - 1] + "…"


def _change(n: PlanNode, parent: PlanNode | None) -> str:
    """What a review changes, as a node label: ``+Added −Dropped`` (tool names), ``no change``, or ``Opening``."""
    if parent is None:
        return "Opening"
    added = [f"+{nm}" for t, nm in zip(n.tools, n.names) if t not in parent.tools]
    dropped = [f"−{nm}" for t, nm in zip(parent.tools, parent.names) if t not in n.tools]
    return " ".join(added + dropped) or "no change"


def plan_figure_data(plan: Plan, wrap: int | None = None) -> dict:
    """Node and edge coordinates, labels and probabilities of the plan tree (lists, in depth-first order). A node's
    label is what its review changes (the opening is labelled ``Opening``), shortened to 42 characters, or with
    ``wrap`` whole, on lines of about that many characters; its hover text holds the whole package."""
    step = plan.months / (plan.reviews + 1)
    nodes, edges, counter = [], [], [0]

    def place(n: PlanNode, parent: PlanNode | None, parent_index: int | None) -> float:
        i = len(nodes)
        nodes.append(None)
        if n.children:
            ys = [place(c, n, i) for c in n.children]
            y = sum(ys) / len(ys)
        else:
            y = float(counter[0])
            counter[0] += 1
        vals = ", ".join(f"{c} {n.values[c]:.1f}" for c in plan.criteria)
        flag = f" [{', '.join(n.flags).upper()}]" if n.flags else ""
        change = _change(n, parent)
        label = wrap_words(change + flag, wrap) if wrap else _short(change) + flag
        nodes[i] = {"x": n.review * step, "y": y, "reach": n.reach, "label": label,
                    "hover": f"review {n.review}, {shown.get(n.reaction) or 'opening'} (p {n.probability:.2f}, path "
                             f"{n.reach:.3f})<br>{change}<br>{'<br>'.join(n.names)}<br>{vals}{flag}",
                    "flags": list(n.flags), "tools": list(n.tools)}
        if parent_index is not None:
            edges.append({"from": parent_index, "to": i, "reaction": n.reaction, "probability": n.probability})
        return y

    shown = {k: v.lower() for k, v in zip(plan.reactions, plan.reaction_names)}     # names, never ids, on screen
    place(plan.root, None, None)
    return {"nodes": nodes, "edges": edges}


def plan_trace_data(plan: Plan, label_depth: int = 1, wrap: int | None = None) -> list[dict]:
    """The review tree's traces as plain lists, in :func:`plan_figure`'s order: per reaction its lines
    (``name``, ``x``, ``y``) and its probability labels (``x``, ``y``, ``text``, ``hovertext``; beyond review 2 of a
    crowded tree the label is on hover only), then the packages (``name``, ``x``, ``y``, ``text`` up to
    ``label_depth``, ``hovertext``, ``marker``; ``wrap``: :func:`plan_figure_data`'s). No plotly validation, so a
    FigureWidget can be updated in place."""
    d = plan_figure_data(plan, wrap)
    nodes, edges = d["nodes"], d["edges"]
    step = plan.months / (plan.reviews + 1)
    crowded = len(nodes) - len({e["from"] for e in edges}) > 9      # more than 9 leaves: deep labels on hover only
    names = dict(zip(plan.reactions, plan.reaction_names))
    out = []
    for reaction in dict.fromkeys(e["reaction"] for e in edges):
        xs, ys, mx, my, mt, mh = [], [], [], [], [], []
        for e in (e for e in edges if e["reaction"] == reaction):
            a, b = nodes[e["from"]], nodes[e["to"]]
            xs += [a["x"], b["x"], None]
            ys += [a["y"], b["y"], None]
            mx.append((a["x"] + b["x"]) / 2)
            my.append((a["y"] + b["y"]) / 2)
            deep = round(b["x"] / step) > 2 and crowded
            mt.append("" if deep else f"{e['probability']:.2f}")
            mh.append(f"{names.get(reaction, reaction)}: p {e['probability']:.2f}")
        out.append({"name": names.get(reaction, reaction), "reaction": reaction, "x": xs, "y": ys})
        out.append({"x": mx, "y": my, "text": mt, "hovertext": mh})
    depth = [round(n["x"] / step) for n in nodes]
    out.append({"name": "package", "x": [n["x"] for n in nodes], "y": [n["y"] for n in nodes],
                "text": [n["label"] if k <= label_depth else "" for n, k in zip(nodes, depth)],
                "hovertext": [n["hover"] for n in nodes],
                "marker": {"size": [16 if n["flags"] else 11 for n in nodes],
                           "color": [round(n["reach"], 6) for n in nodes],              # 6 digits: same on every CPU
                           "symbol": ["x" if n["flags"] else "circle" for n in nodes]}})
    return out


def tree_shape(plan: Plan, traces: list[dict] | None = None) -> str:
    """A short key of what only a rebuild can change: the scenario, the traces' names and every x and y. Stored
    in the figure's ``layout.meta`` so a view can tell an in-place update from a rebuild without reading trace
    properties back (the browser fills unset ones, such as names, with its own defaults)."""
    traces = plan_trace_data(plan) if traces is None else traces
    shape = [plan.scenario, [[t.get("name"), t["x"], t["y"]] for t in traces]]
    return hashlib.sha1(json.dumps(shape).encode()).hexdigest()[:16]


def plan_figure(plan: Plan, title: str | None = None, label_depth: int = 1, static: bool = False,
                wrap: int | None = None) -> go.Figure:
    """The review tree: one marker per decision node, one line per reaction labelled with its probability (beyond
    review 2 of a crowded tree, on hover). What each review changes is written next to nodes up to ``label_depth``
    (deeper: on hover, with the whole package); a node's shade is the probability of reaching it.

    ``static`` (printed and offline pages, where nothing can be hovered): every node is labelled with its package's
    letter (:func:`decision.strategy.grid.package_letters`, the letters of the grid and its legend), right of the
    node, so labels cannot overlap; the reaction lines carry no text (the legend names their colours) and the title
    does not mention hovering. ``wrap``: node labels whole, on lines of about that many characters (default: cut at
    42)."""
    d = plan_figure_data(plan, wrap)
    nodes, edges = d["nodes"], d["edges"]
    step = plan.months / (plan.reviews + 1)
    fig = go.Figure()
    traces = plan_trace_data(plan, label_depth, wrap)
    if static:
        from .grid import package_letters  # noqa: PLC0415
        letters = package_letters(plan)
        traces[-1] = {**traces[-1], "text": [letters[tuple(n["tools"])] for n in nodes]}
    for lines, labels in zip(traces[:-1:2], traces[1:-1:2]):
        reaction = lines["reaction"]
        colour = REACTION_COLOURS.get(reaction, OTHER_COLOUR)
        fig.add_scatter(x=lines["x"], y=lines["y"], mode="lines", line=dict(color=colour, width=2),
                        name=lines["name"], hoverinfo="skip", legendgroup=reaction)
        if not static:
            fig.add_scatter(x=labels["x"], y=labels["y"], mode="text", text=labels["text"],
                            textposition="top center", textfont=dict(color=colour, size=10), showlegend=False,
                            hovertext=labels["hovertext"], hoverinfo="text", legendgroup=reaction)
    pk = traces[-1]
    position = ["middle left"] + ["top center"] * (len(nodes) - 1)
    if static:          # letters on a white box right of each node: they cover the lines, never each other
        fig.update_layout(annotations=[dict(x=x, y=y, text=t, showarrow=False, xshift=12, bgcolor="white",
                                            font=dict(size=11), borderpad=1) for x, y, t in
                                       zip(pk["x"], pk["y"], pk["text"])])
        pk = {**pk, "text": [""] * len(nodes)}
    fig.add_scatter(x=pk["x"], y=pk["y"], mode="markers" if static else "markers+text", text=pk["text"],
                    textfont=dict(size=11 if static else 10),
                    textposition=position,                       # the root's label: left of it (interactive view)
                    hovertext=pk["hovertext"], hoverinfo="skip" if static else "text", name="package",
                    marker=dict(**pk["marker"], colorscale="Blues", cmin=0, cmax=1, line=dict(color="#222", width=1),
                                showscale=False))
    months = [k * step for k in range(plan.reviews + 1)]
    n_leaves = len(nodes) - len({e["from"] for e in edges})
    default_title = (f"Playbook for {plan.scenario_name}<br><sup>letters: the packages of the grid; line colour: "
                     "the ally's reaction<br>darker node: likelier path; probabilities are illustrative</sup>"
                     if static else
                     f"Playbook for {plan.scenario_name}<br><sup>opening and next package per reaction; labels: "
                     "what each review changes<br>darker node: likelier path; hover a node for its package; "
                     "probabilities are illustrative</sup>")
    fig.update_layout(
        title=title or default_title,
        xaxis=dict(title="month", tickvals=months, ticktext=[f"{m:g}" for m in months], zeroline=False,
                   range=[-0.6 * step, plan.months - 0.6 * step]),
        yaxis=dict(visible=False, autorange="reversed"), height=max(360, 22 * n_leaves + 140),
        legend=dict(orientation="h", y=-0.12), margin=dict(l=10, r=10, t=84, b=10),
        meta={"tree_shape": tree_shape(plan, traces)})
    return fig
