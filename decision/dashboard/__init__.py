"""The live dashboard for JupyterLab: move a weight, see the bottom line, the distinct options and the ranked
combinations change.

The package follows the one-way flow: :mod:`.state` (the pure part: :class:`ViewState` and :class:`ViewModel`, no
widgets), :mod:`.render` (HTML and in-place figure updates), :mod:`.controls` (the settings' widgets),
:mod:`.layout` (one column: title, progress line, bottom line, settings above, the results across the whole width),
:mod:`.charts` and :mod:`.fit` (charts sized to the width the browser reports), one module per output panel with
widgets of its own (:mod:`.explanation`, :mod:`.stability`, :mod:`.sureness`, :mod:`.precedents`, :mod:`.playbook`;
each works on the dashboard's current view), :mod:`.events`, :mod:`.presets` and :mod:`.schedule` (what a control's
change does, weight profiles, the throttle), :mod:`.results` (builds the panels, draws a computed view into them and
into the output widgets) and :mod:`.app` (:class:`Dashboard`, the wiring). The maths is in decision's own modules;
the dashboard only calls them.

``dashboard()`` returns the ipywidgets layout; :class:`Dashboard` is the controller behind it (``.widget``,
``.state``, ``.update()``, ``.set(...)``, ``.ranking``, ``.check_stability()``, ``.export_profile()``), so tests and
notebooks can drive it without a browser.

How an update runs
------------------
* Controls are read into a :class:`ViewState` (immutable). Only a change of scenario, maximum number of tools,
  must-include / must-exclude tools, red lines, floor or capacity rebuilds the combinations (``build_portfolios``, about 0.3 s for the
  bundled catalogue); the last few builds are cached, so switching back is instant. A weight, method or top-N change
  only re-ranks through a cached :class:`~decision.ranking.Ranker` (a few ms for TOPSIS / weighted sum).
* Outputs are updated in place: one HTML table (``<table class="decision-ranking">``, whose ``data-*`` attributes
  carry the exact state and the top combination's tool ids for tests), and two plotly ``FigureWidget``s whose existing
  traces get new data inside ``batch_update`` (figures are never re-created).
* Fast slider moves: sliders use ``continuous_update=False`` (one value per drag, sent on release, and per key press),
  and the kernel throttles on its asyncio loop: a change after a quiet spell updates at once (leading edge); changes
  arriving within ``debounce`` seconds (default 40 ms) of the last update are folded into one update at the end of
  that window (trailing edge), so a held arrow key or a burst of messages costs one update per window and the
  final state is always drawn. Why not live updates during a drag: with ``continuous_update=True``
  ipywidgets 8 echoes every value noUiSlider snaps to its step back to the kernel, so a preset's exact weights
  (0.5208...) would be overwritten by the rounded slider position, and a drag floods the kernel with ~60 messages/s,
  each redrawing two charts in the browser.
* Each update also picks the distinct options (:func:`decision.options.find_options`, a few tens of ms with the
  cached non-dominated mask) and writes the bottom line's first sentences. The stability panel and the bottom line's
  "how sure" sentence (method agreement, SMAA share of 2,000 weight draws, stability margin; 0.3-1.5 s) run
  ``SENSITIVITY_DELAY`` seconds after the last change (a true debounce) and never delay the table.
* The accountability floor (on/off, points) and the effort capacity start at the scenario's own values (reset when
  the scenario changes) and reach ``build_portfolios`` as the CLI's overrides (``ViewState.constraints``); the status
  line states the floor in words and the capacity; the ranked table ends with the "do nothing new" row.
* The Playbook panel (issue 11) is closed at first, so weight changes pay nothing for it. Open, each update re-solves
  the playbook (:meth:`ViewModel.plan`: the review tree is built once per combination set and length and cached;
  backward induction and unfolding the plan take about 15 ms) before the two charts are redrawn, and its tree
  ``FigureWidget`` gets only the changed labels, hover text and marker arrays (:func:`.render.draw_plan`; a shape
  key in ``layout.meta`` says when only a rebuild will do). The panel's own controls set the number of reviews
  (1-4) and the horizon (months); a change re-solves at once. Measured in Chromium: key press to redrawn tree
  130-211 ms on an unloaded machine (docs/performance.md).
* A failed update (a :class:`~decision.errors.DecisionError`: infeasible red lines, too many tools, all weights zero,
  ...) shows its one-line message in the panel, keeps every control as the analyst set it, and leaves the last valid
  table on screen, marked as such.

* Fitting the screen (issue 18): in a notebook the first build runs on the kernel's loop after the cell returns,
  so the dashboard shows at once with a progress line (build, rank, draw); the charts, the tornado and the playbook
  tree are created when first drawn and given the results column's width as the browser reports it
  (:class:`.fit.FitAgent`), with labels and titles wrapped whole to it; below 620 px tables become one card per row.
  The FitAgent also scrolls the dashboard into view once its results are drawn, so Run All ends on it.
* "How sure, with the scores?" (issue 20) runs :func:`decision.sureness.how_sure` and
  :func:`~decision.sureness.score_tornado` on a button press (5-10 s on the bundled catalogue, with a progress line;
  too slow for every change), then marks its result stale when a setting changes. The three nearest precedents
  (issue 16, :func:`decision.precedents.nearest`) follow the scenario.

Without a running asyncio loop (plain Python, tests) every change updates synchronously.
"""
from .app import Dashboard, dashboard
from .controls import Controls
from .render import (METHOD_LABELS, TABLE_CLASS, bottom_line_html, explanation_html, options_html, ranking_table_html,
                     stability_html)
from .state import View, ViewModel, ViewState

__all__ = ["Controls", "Dashboard", "METHOD_LABELS", "TABLE_CLASS", "View", "ViewModel", "ViewState",
           "bottom_line_html", "dashboard", "explanation_html", "options_html", "ranking_table_html",
           "stability_html"]
