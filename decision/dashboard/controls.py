"""The dashboard's widgets: the controls the analyst sets (read into a :class:`~.state.ViewState`) and the output
panels. No computing and no event handling beyond keeping each weight's number box and slider equal (that is
:class:`~.app.Dashboard`'s wiring); :mod:`.layout` arranges them."""
from __future__ import annotations

import ipywidgets as W

from .. import profiles as P
from ..catalog import Catalog
from ..errors import DecisionError
from .render import METHOD_LABELS
from .state import ViewState, scenario_defaults

HORIZONS = (3, 12, 36)
"""Months offered by the time-horizon control (the domain's 0-3, 3-12 and over-12-month horizons)."""
CUSTOM = "(custom)"
WEIGHT_DECIMALS = 4
"""Decimals a weight's number box shows (a preset's exact weight stays in the slider until the analyst edits it)."""


class Controls:
    """Every widget of one dashboard. ``state()`` reads the controls. Each weight has a slider (drag, or arrow keys
    in steps of 0.01) and a number box beside it (type a value, or its arrows, step 0.01) that always hold the same
    value, and the normalised share at its right."""

    def __init__(self, catalog: Catalog, scenario: str, method: str, top: int, max_tools: int | None,
                 profiles_dir=None):
        self.catalog = catalog
        self.profiles_dir = profiles_dir
        self._names = {t.id: t.name for t in catalog.tools}
        self._ids = {t.name: t.id for t in catalog.tools}
        desc = {"description_width": "130px"}
        full = W.Layout(width="100%")
        self._settings(scenario, method, top, max_tools, desc, full)
        self._weights()
        self._tools_and_red_lines(desc, full)
        self._floor_and_capacity(scenario, desc, full)
        self.sensitivity_box = W.Checkbox(value=True, description="Check stability after each change", indent=False)
        self.export_name = W.Text(value="my-view", placeholder="profile name, e.g. my-view",
                                  layout=W.Layout(width="140px"))
        self.export_overwrite = W.Checkbox(value=False, description="overwrite", indent=False,
                                           layout=W.Layout(width="90px"))
        self.export_button = W.Button(description="Export", icon="save", layout=W.Layout(width="auto"),
                                      tooltip="Save the current weights (and settings, in the rationale) as a "
                                              "weight profile")
        self._outputs()

    # -- building ------------------------------------------------------------------------------------------------
    def _settings(self, scenario: str, method: str, top: int, max_tools: int | None, desc: dict, full) -> None:
        """Weight profile, scenario, method, tool cap, rows shown and time horizon."""
        cat = self.catalog
        self.preset = W.Dropdown(options=self.preset_options(), value=CUSTOM, description="Weight profile",
                                 style=desc, layout=full)
        self.scenario = W.Dropdown(options=[(s.name, s.id) for s in cat.scenarios], value=scenario,
                                   description="Scenario", style=desc, layout=full)
        self.method = W.Dropdown(options=[(v, k) for k, v in METHOD_LABELS.items()], value=method,
                                 description="Method", style=desc, layout=full)
        default_cap = cat.constraints.max_tools if max_tools is None else int(max_tools)
        cap_max = max(default_cap, min(len(cat.tools), cat.constraints.max_tools + 2))
        self.max_tools = W.IntSlider(value=default_cap, min=1, max=cap_max,
                                     description="Max tools", continuous_update=False, style=desc, layout=full)
        self.top = W.IntSlider(value=int(top), min=1, max=max(25, int(top)), description="Show top",
                               continuous_update=False, style=desc, layout=full)
        horizons = [("none", None)] + ([(f"{m} months", float(m)) for m in HORIZONS] if cat.model.horizon else [])
        self.horizon = W.Dropdown(options=horizons, value=None, description="Time horizon", style=desc, layout=full,
                                  disabled=cat.model.horizon is None)

    def _weights(self) -> None:
        """A slider, a number box (kept equal) and a share label for each criterion."""
        cat = self.catalog
        self.sliders = {c.id: W.FloatSlider(value=0.0, min=0.0, max=1.0, step=0.01, readout=False,
                                            description=c.name, continuous_update=False,
                                            style={"description_width": "140px"},
                                            layout=W.Layout(flex="1 1 auto", min_width="220px", width="auto"))
                        for c in cat.criteria}
        self.weight_boxes = {c.id: W.BoundedFloatText(value=0.0, min=0.0, max=1.0, step=0.01,
                                                      tooltip=f"weight of {c.name} (0-1; step 0.01)",
                                                      layout=W.Layout(width="76px", flex="0 0 auto"))
                             for c in cat.criteria}
        for c in cat.criteria:
            self.sliders[c.id].add_class(f"decision-weight-{c.id}")
            self.weight_boxes[c.id].add_class(f"decision-weight-box-{c.id}")
            self.sliders[c.id].observe(self._slider_to_box, "value")
            self.weight_boxes[c.id].observe(self._box_to_slider, "value")
        self.weight_labels = {c.id: W.HTML(layout=W.Layout(width="44px", flex="0 0 auto")) for c in cat.criteria}

    def _tools_and_red_lines(self, desc: dict, full) -> None:
        """Forced-in, forced-out and current tools (by name); a range slider per criterion for its red lines."""
        cat = self.catalog
        names = [t.name for t in cat.tools]
        tags = dict(allowed_tags=names, allow_duplicates=False, layout=W.Layout(width="98%"))
        self.forced_in = W.TagsInput(value=[], **tags)
        self.forced_out = W.TagsInput(value=[], **tags)
        self.current = W.TagsInput(value=[], **tags)
        self.current.add_class("decision-current")
        red = {rl.criterion: rl for rl in cat.constraints.red_lines}
        self.red_lines = {}
        for c in cat.criteria:
            rl = red.get(c.id)
            lo = rl.min if rl is not None and rl.min is not None else c.scale_min
            hi = rl.max if rl is not None and rl.max is not None else c.scale_max
            self.red_lines[c.id] = W.FloatRangeSlider(value=(lo, hi), min=c.scale_min, max=c.scale_max, step=0.1,
                                                      readout_format=".1f", description=c.name,
                                                      continuous_update=False, style=desc, layout=full)

    def _floor_and_capacity(self, scenario: str, desc: dict, full) -> None:
        """The accountability floor (on/off, points) and the effort capacity, at ``scenario``'s own values."""
        cat = self.catalog
        floor, capacity = scenario_defaults(cat, scenario)
        self.floor_on = W.Checkbox(value=floor is not None, description="Accountability floor", indent=False,
                                   disabled=cat.constraints.floor is None)
        self.floor_on.add_class("decision-floor-on")
        self.floor_points = W.FloatSlider(value=floor or 0.0, min=0.0, max=10.0, step=0.1, readout_format=".1f",
                                          description="Floor (points)", continuous_update=False, style=desc,
                                          layout=full, disabled=floor is None)
        self.floor_points.add_class("decision-floor-points")
        self.capacity = W.FloatSlider(value=capacity or 0.0, min=1.0, max=max(40.0, 2 * (capacity or 0)), step=0.5,
                                      readout_format=".1f", description="Effort capacity", continuous_update=False,
                                      style=desc, layout=full, disabled=capacity is None)
        self.capacity.add_class("decision-capacity-slider")
        self.defaults = (floor, capacity)
        """The scenario's own floor and capacity: a control at its default reads as "the scenario's" (None)."""

    def _outputs(self) -> None:
        """The panels the dashboard writes into: progress, bottom line, options, table, status, error, message."""
        self.progress = W.HTML(layout=W.Layout(width="100%"))
        self.progress.add_class("decision-progress")
        self.bottom_line = W.HTML(layout=W.Layout(width="100%"))
        self.bottom_line.add_class("decision-bottom-line-widget")
        self.options_panel = W.HTML(layout=W.Layout(width="100%", overflow="auto"))
        self.options_panel.add_class("decision-options-widget")
        self.table = W.HTML(layout=W.Layout(width="100%", overflow="auto"))
        self.table.add_class("decision-ranking-widget")
        self.status = W.HTML()
        self.status.add_class("decision-status")
        self.error_panel = W.HTML(layout=W.Layout(display="none"))
        self.error_panel.add_class("decision-error")
        self.message = W.HTML()
        self.message.add_class("decision-message")

    # -- reading -------------------------------------------------------------------------------------------------
    def state(self) -> ViewState:
        """The settings the controls hold right now (raises DecisionError for an unknown tool name)."""
        cat = self.catalog
        red = []
        for c in cat.criteria:
            lo, hi = self.red_lines[c.id].value
            lo = None if lo <= c.scale_min + 1e-9 else round(float(lo), 6)
            hi = None if hi >= c.scale_max - 1e-9 else round(float(hi), 6)
            if lo is not None or hi is not None:
                red.append((c.id, lo, hi))
        current = self.tool_ids(self.current.value)
        floor, capacity = self.defaults
        points = round(float(self.floor_points.value), 6)
        cap = round(float(self.capacity.value), 6)
        return ViewState(floor=bool(self.floor_on.value) or floor is None,
                         floor_points=None if floor is None or abs(points - floor) < 0.05 else points,
                         capacity=None if capacity is not None and abs(cap - capacity) < 1e-9 else
                         (cap if capacity is not None else None),
                         scenario=self.scenario.value, method=self.method.value, max_tools=int(self.max_tools.value),
                         top=int(self.top.value), weights={c: float(s.value) for c, s in self.sliders.items()},
                         forced_in=self.tool_ids(self.forced_in.value),
                         forced_out=self.tool_ids(self.forced_out.value), red_lines=tuple(red),
                         preset=None if self.preset.value == CUSTOM else self.preset.value,
                         horizon=self.horizon.value, current=current or None)

    def tool_ids(self, names) -> tuple[str, ...]:
        out = []
        for n in names:
            if n in self._ids:
                out.append(self._ids[n])
            elif n in self._names:                                  # an id typed instead of a name
                out.append(n)
            else:
                raise DecisionError(f"unknown tool '{n}'; type a tool's name as listed (e.g. "
                                    f"{self.catalog.tools[0].name})")
        return tuple(out)

    def tool_names(self, tools) -> list[str]:
        """Display names of tools given by id or name (DecisionError for an unknown one)."""
        return [self._names[t] for t in self.tool_ids(tools)]

    def preset_options(self) -> list[tuple[str, str]]:
        opts: list[tuple[str, str]] = [(CUSTOM, CUSTOM)]
        try:
            df = P.list_profiles(self.profiles_dir, self.catalog)
        except DecisionError:
            return opts
        for _, r in df.iterrows():
            if r["status"] == "ok":
                opts.append((f"{r['name']} ({r['source']})", r["name"]))
        return opts

    def refresh_weight_labels(self) -> None:
        raw = {c: float(s.value) for c, s in self.sliders.items()}
        total = sum(raw.values())
        for c, lab in self.weight_labels.items():
            lab.value = f"<span title='normalised weight'>{raw[c] / total:.0%}</span>" if total > 0 else "–"

    def apply(self, *, weights=None, preset=None, preset_name=None, scenario=None, method=None, max_tools=None,
              top=None, tags=None, red_lines=None, horizon=None, floor=None, capacity=None) -> None:
        """Set several controls at once (the caller silences the events; arguments as :meth:`.app.Dashboard.set`'s,
        but ``preset``: that profile's weights, named ``preset_name``; ``tags``: {"in"/"out": tool names})."""
        if preset is not None:
            for c, v in preset.items():
                self.sliders[c].value = v
            self.preset.value = preset_name if preset_name in [v for _, v in self.preset.options] else CUSTOM
        if weights is not None:
            for c, v in weights.items():
                self.sliders[c].value = float(v)
            self.preset.value = CUSTOM
        if scenario is not None and scenario != self.scenario.value:
            self.scenario.value = scenario
            self.reset_floor_and_capacity(scenario)
        if floor is not None:
            self.floor_on.value = floor is not False
            if floor is not True and floor is not False:
                self.floor_points.value = float(floor)
            self.floor_points.disabled = not self.floor_on.value
        if capacity is not None:
            self.capacity.value = float(capacity)
        for widget, value in ((self.method, method), (self.max_tools, max_tools), (self.top, top),
                              (self.horizon, None if horizon is None else float(horizon))):
            if value is not None:
                widget.value = value
        for key, widget in (("in", self.forced_in), ("out", self.forced_out)):
            if key in (tags or {}):
                widget.value = tags[key]
        for c, (lo, hi) in (red_lines or {}).items():
            cr = self.catalog.criterion(c)
            self.red_lines[c].value = (cr.scale_min if lo is None else lo, cr.scale_max if hi is None else hi)

    def _slider_to_box(self, change) -> None:
        box = self.weight_boxes[next(c for c, s in self.sliders.items() if s is change["owner"])]
        value = round(float(change["new"]), WEIGHT_DECIMALS)
        if box.value != value:
            box.value = value

    def _box_to_slider(self, change) -> None:
        slider = self.sliders[next(c for c, b in self.weight_boxes.items() if b is change["owner"])]
        if abs(float(change["new"]) - slider.value) >= 0.5 * 10 ** -WEIGHT_DECIMALS:   # not the slider's own echo
            slider.value = float(change["new"])

    def reset_floor_and_capacity(self, scenario: str) -> None:
        """Put the floor and capacity controls at ``scenario``'s own values (the caller silences the events)."""
        floor, capacity = self.defaults = scenario_defaults(self.catalog, scenario)
        self.floor_on.value = floor is not None
        self.floor_points.disabled = floor is None
        if floor is not None:
            self.floor_points.value = floor
        self.capacity.disabled = capacity is None
        if capacity is not None:
            self.capacity.max = max(self.capacity.max, 2 * capacity)
            self.capacity.value = capacity
