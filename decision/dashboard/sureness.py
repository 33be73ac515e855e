"""The dashboard's "how sure, with the scores" panel (issue 20): one figure that includes score uncertainty, the
score-only and weight-only shares beside it, and the tornado chart of the scores that decide the recommendation.

The numbers are :func:`decision.sureness.how_sure` and :func:`decision.sureness.score_tornado` (the same functions
``decision robustness`` reports), drawn with :func:`decision.figures.tornado_figure`; nothing is computed here.
On the bundled catalogue they take 7-18 s and 14-29 s (2 shared cores, load 3-5.6; docs/performance.md), far too
slow to follow every slider move, so they run when the analyst presses the button, with a progress line, and the
result is marked as belonging to earlier settings as soon as any setting changes.
"""
from __future__ import annotations

import html
import logging
import time

import ipywidgets as W

from ..errors import DecisionError
from . import render as R
from .charts import chart_width, fit_titles, titles_of

log = logging.getLogger(__name__)



def share(x: float) -> str:
    """A share as the panel prints it: whole percent, 'under 1%' rather than a misleading 0% for a few draws."""
    return "under 1%" if 0 < x < 0.005 else f"{x:.0%}"


def how_sure_html(sure, tornado, seconds: float | None = None, stale: bool = False, option1=None) -> str:
    """The panel's text: the combined figure (defined where shown), the two shares beside it and what the tornado
    shows. ``stale``: the settings changed since (the figures are for the earlier ones). ``option1``: the options'
    first row (:class:`decision.options.Option`); when it is not the top-ranked package the figures are about (option
    1 opens the playbook), a line says so."""
    e = html.escape
    from ..sureness import deciding_scores  # noqa: PLC0415  (heavy: imported when there is a result to show)
    n, what = deciding_scores(tornado) if tornado is not None else (0, "")
    top = tornado.head(3) if tornado is not None else None
    names = "; ".join(f"{r['name']} on {r['criterion'].replace('_', ' ')}" for _, r in top.iterrows()) \
        if top is not None and len(top) else ""
    old = (" <span class='decision-stale'>(for the settings when you pressed the button: press it again for the "
           "current ones)</span>") if stale else ""
    took = f" <small>({seconds:.0f} s)</small>" if seconds is not None else ""
    other = option1 is not None and tuple(option1.tools) != tuple(sure.recommendation)
    opening = option1 is not None and not other and option1.course is not None
    note = (f"<p class='decision-how-sure-note'><b>Note:</b> these figures are for the top-ranked single package "
            f"(#1 in the ranked table), not for option 1 ({e(option1.label)}).</p>" if other else
            f"<p class='decision-how-sure-note'>These figures judge option 1's opening package ({e(option1.label)}) "
            f"held for the whole horizon, as the briefing's detail does; the playbook adapts it at each review. The "
            f"bottom line's \"How sure\" above now judges the opening followed by its playbook, with the scores "
            f"drawn too.</p>"
            if opening else "")
    return (f"<div class='decision-how-sure' data-both='{sure.both:.6f}' data-scores='{sure.scores_only:.6f}' "
            f"data-weights='{sure.weights_only:.6f}' data-stale='{str(stale).lower()}' "
            f"data-option1='{str(not other).lower()}'>{note}"
            f"<p><b>How sure, with the scores: {share(sure.both)}</b> of draws keep <b>{e(sure.label)}</b> first when "
            f"the weights (uniformly {e(sure.weights_region)}) and every tool score (a {e(sure.distribution)} "
            f"draw on its low-high range) vary together. Beside it: <b>{share(sure.scores_only)}</b> with only the "
            f"scores varying (your weights fixed), <b>{share(sure.weights_only)}</b> with only the weights varying "
            f"(the scores at their point values). {sure.n_samples:,} draws each, within ±{sure.mc_error:.0%} at "
            f"95%; a draw that breaks a red line counts as not first.{old}{took}</p>"
            + (f"<p><b>Which scores decide it:</b> {n} of {len(tornado)} scores {what}; check first: "
               f"{e(names)}. The chart moves "
               f"one score at a time across its range (every other at its point value) and shows the "
               f"recommendation's margin over the best alternative; a bar crossing 0 loses first place.</p>"
               if names else "")
            + "</div>")


class HowSurePanel:
    """A button, a progress line, the how-sure text and the tornado chart (a FigureWidget created on the first
    result, as wide as the results column). ``current`` returns the dashboard's current :class:`~.state.View`;
    ``with_scores(n)``, when given, recomputes the bottom line's "How sure" with ``n`` score draws (the playbook's
    opening among the best openings, as the briefing's page 1) once the button has run."""

    def __init__(self, current, samples: int | None = None, with_scores=None):
        self.current, self.samples, self.with_scores = current, samples, with_scores
        self.steps = 2                                      # progress steps: 3 when the bottom line is redone too
        self.sure = self.tornado = self.figure = self.option1 = None
        self.key: str | None = None                         # the settings the result is for
        self.seconds: float | None = None
        self.column = 0
        self.titles: tuple = ()
        self.button = W.Button(description="How sure, with the scores?", icon="calculator",
                               tooltip="How often the recommendation stays first when the tool scores vary too, and "
                                       "which scores decide it (5-10 s)",
                               layout=W.Layout(width="auto"))
        self.button.add_class("decision-how-sure-button")
        self.button.on_click(lambda _b: self.run())
        self.progress = W.HTML(layout=W.Layout(display="none"))
        self.progress.add_class("decision-progress")
        self.text = W.HTML("<small>Every score in the catalogue is a judgment with a low-high range. The button "
                           "asks how often the recommendation stays first when the scores vary as well as the "
                           "weights, and which scores decide it (5-10 s on the bundled catalogue: not recomputed "
                           "on every change).</small>", layout=W.Layout(width="100%"))
        self.chart = W.VBox(layout=W.Layout(width="100%"))
        self.box = W.VBox([W.HBox([self.button, self.progress], layout=W.Layout(flex_flow="row wrap",
                                                                               align_items="center")),
                           self.text, self.chart], layout=W.Layout(width="100%"))
        self.box.add_class("decision-how-sure-box")

    @staticmethod
    def key_of(view) -> str:
        return repr(view.state)

    def run(self) -> None:
        """Compute both for the current view (blocking the kernel 5-10 s; the progress line says what runs)."""
        from ..sureness import HOW_SURE_SAMPLES, how_sure, score_tornado  # noqa: PLC0415  (scipy-free, but heavy)
        view = self.current()
        if view is None:
            return
        st = view.state
        from ..ranking import method_of  # noqa: PLC0415
        if not method_of(st.method).portfolio:              # what decision.sureness accepts (wsm, TOPSIS)
            self.text.value = (f"<small>How sure with the scores is available for the weighted sum and TOPSIS; the "
                               f"method is {html.escape(R.METHOD_LABELS.get(st.method, st.method))}.</small>")
            return
        p, n = view.ranker.portfolios, self.samples or HOW_SURE_SAMPLES
        playbook = self.with_scores is not None and view.options.basis == "playbook"
        self.steps = 3 if playbook else 2
        self.button.disabled = True
        t0 = time.perf_counter()
        try:
            self._step(1, f"drawing {n:,} weightings and score sets three times (10-20 s)…")
            row = view.options.best.row              # option 1's package, as the briefing judges it
            sure = how_sure(p, st.weights, st.method, n_samples=n, row=row)
            self._step(2, "moving each tool score across its range (15-30 s)…")
            tornado = score_tornado(p, st.weights, st.method, row=row)
            if playbook:
                self._step(3, "the playbook's opening with the scores drawn (about a second)…")
                self.with_scores(n)                 # the bottom line's "How sure" now covers the scores too
        except DecisionError as exc:
            self.text.value = f"<small>Not available: {html.escape(str(exc))}</small>"
            return
        finally:
            self.button.disabled = False
            self.progress.layout.display = "none"
        self.sure, self.tornado, self.key = sure, tornado, self.key_of(view)
        self.option1 = view.options.best
        self.seconds = time.perf_counter() - t0
        self.text.value = how_sure_html(sure, tornado, self.seconds, option1=self.option1)
        self._draw()

    def refresh(self, view) -> None:
        """The view changed: the result, if any, now belongs to earlier settings (or again to these)."""
        if self.sure is not None:
            self.text.value = how_sure_html(self.sure, self.tornado, self.seconds,
                                            stale=self.key != self.key_of(view), option1=self.option1)

    def resize(self, column: int) -> None:
        self.column = int(column)
        if self.figure is not None:
            width = chart_width(self.column)
            with self.figure.batch_update():
                self.figure.layout.width = width
                self.figure.layout.autosize = width is None
                fit_titles(self.figure, self.titles, width)

    def _step(self, step: int, text: str) -> None:
        self.progress.value = R.progress_html(step, self.steps, text)
        self.progress.layout.display = None

    def _draw(self) -> None:
        import plotly.graph_objects as go  # noqa: PLC0415  (plotly's widget: only once a result is drawn)
        from ..figures import tornado_figure  # noqa: PLC0415
        fig = tornado_figure(self.tornado)
        width = chart_width(self.column)
        fig.update_layout(width=width, autosize=width is None,      # the title at the top, the legend under it
                          title=dict(x=0, xanchor="left", yref="container", y=1, yanchor="top", pad=dict(t=8)))
        self.titles = titles_of(fig)
        self.figure = go.FigureWidget(fig)                # a new chart per press (rows and labels change)
        fit_titles(self.figure, self.titles, width)
        self.chart.children = (self.figure,)


__all__ = ["HowSurePanel", "how_sure_html", "share"]
