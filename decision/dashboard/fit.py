"""The dashboard's eyes in the browser: how wide its results column is, and bringing it into view.

Plotly's ``FigureWidget`` draws once at the size it finds when its view is created (700 px wide when the view is not
laid out yet, as in a collapsed panel or a notebook cell off screen) and never follows its container. So the kernel
sizes every chart itself: :class:`FitAgent`, a tiny `anywidget <https://anywidget.dev>`_ without a visible body,
watches the dashboard's results column with a ``ResizeObserver`` and reports its width (whole pixels; changes under
4 px and a hidden column's 0 are not reported) in the ``width`` trait; the dashboard answers by giving every chart
that width and labels that fit it (:mod:`.charts`, :mod:`.playbook`). A chart that was drawn where it could not be
measured is drawn again when its container first gets a width.

It also scrolls the dashboard into view when it is first shown and whenever ``scroll`` is incremented (after the
first results are drawn), so Run All ends on the dashboard rather than on the notebook's last cell.

Without a browser (tests, scripts, nbconvert) nothing reports a width: charts keep plotly's own sizing.
"""
from __future__ import annotations

import anywidget
import traitlets

RESULTS_CLASS = "decision-results"
"""CSS class of the column whose width the charts take (:func:`.layout.arrange` puts it on the results box)."""

_ESM = """
function render({ model, el }) {
  el.classList.add("decision-fit-agent");
  let observer = null, last = 0, tries = 0, dash = null, gone = false;
  const report = (w) => {
    w = Math.floor(w);
    if (w > 0 && Math.abs(w - last) >= 4) { last = w; model.set("width", w); model.save_changes(); }
  };
  const scroll = () => { if (dash) dash.scrollIntoView({ block: "start" }); };
  const attach = () => {
    if (gone) return;
    dash = el.closest(".decision-dashboard");
    const column = dash && dash.querySelector(".%(results)s");
    if (!column) { if (tries++ < 1200) setTimeout(attach, 100); return; }
    observer = new ResizeObserver((entries) => { for (const e of entries) report(e.contentRect.width); });
    observer.observe(column);
    if (model.get("scroll") > 0) requestAnimationFrame(scroll);
  };
  model.on("change:scroll", () => requestAnimationFrame(scroll));
  attach();
  return () => { gone = true; if (observer) observer.disconnect(); };
}
export default { render };
""" % {"results": RESULTS_CLASS}


class FitAgent(anywidget.AnyWidget):
    """Reports the results column's width (``width``, px; 0 until a browser has measured it) and scrolls the
    dashboard into view on display when ``scroll`` > 0 and each time ``scroll`` grows."""
    _esm = _ESM
    width = traitlets.Int(0).tag(sync=True)
    scroll = traitlets.Int(1).tag(sync=True)


__all__ = ["FitAgent", "RESULTS_CLASS"]
