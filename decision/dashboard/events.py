"""The dashboard's events: what each control's change does.

A weight, preset, scenario or any other setting changes -> the dashboard updates through its throttle (at once after
a quiet spell, else once at the end of the window; :mod:`.schedule`). A preset sets the sliders; a manual weight
move leaves the preset ("(custom)"); a new scenario starts from its own floor and capacity; the floor's checkbox
enables its slider. Changes made by the code itself inside :meth:`Events.silenced` are not events.
"""
from __future__ import annotations

import html
from contextlib import contextmanager

from ..errors import DecisionError
from .controls import CUSTOM


class Events:
    """Observes one dashboard's controls (:meth:`wire`) and turns their changes into updates."""

    def __init__(self, dash):
        self.dash = dash
        self.quiet = 0

    def wire(self) -> None:
        d, c = self.dash, self.dash.controls
        for s in c.sliders.values():
            s.observe(self.on_weight, "value")
        c.preset.observe(self.on_preset, "value")
        c.scenario.observe(self.on_scenario, "value")
        for w in (c.method, c.max_tools, c.top, c.horizon, c.forced_in, c.forced_out, c.current,
                  c.floor_on, c.floor_points, c.capacity, *c.red_lines.values()):
            w.observe(self.on_setting, "value")
        c.sensitivity_box.observe(self.on_sensitivity_box, "value")
        c.export_button.on_click(self.on_export)
        d.fit.observe(d.resize, "width")

    @contextmanager
    def silenced(self):
        """Control changes made inside are not events (no update per intermediate value)."""
        self.quiet += 1
        try:
            yield
        finally:
            self.quiet -= 1

    def on_weight(self, change):
        c = self.dash.controls
        c.refresh_weight_labels()
        if self.quiet:
            return
        if c.preset.value != CUSTOM:
            with self.silenced():
                c.preset.value = CUSTOM
        self.dash.schedule()

    def on_preset(self, change):
        if self.quiet or change["new"] == CUSTOM:
            return
        try:
            w = self.dash.presets.load(change["new"])
        except DecisionError as exc:
            self.dash.fail(str(exc))
            return
        with self.silenced():
            for k, v in w.items():
                self.dash.controls.sliders[k].value = v
        self.dash.controls.refresh_weight_labels()
        self.dash.schedule()

    def on_scenario(self, change):
        if self.quiet:
            return
        with self.silenced():                     # the new scenario's own floor and capacity
            self.dash.controls.reset_floor_and_capacity(change["new"])
        self.dash.schedule()

    def on_setting(self, change):
        c = self.dash.controls
        if change["owner"] is c.floor_on:
            c.floor_points.disabled = not change["new"]
        if not self.quiet:
            self.dash.schedule()

    def on_sensitivity_box(self, change):
        if change["new"]:
            self.dash.check_stability()
        else:
            self.dash.stability_panel.switch_off()

    def on_export(self, _button):
        c = self.dash.controls
        try:
            path = self.dash.export_profile(c.export_name.value.strip(), overwrite=c.export_overwrite.value)
        except DecisionError as exc:
            c.message.value = f"<span style='color:#8a1c1c'>Not saved: {html.escape(str(exc))}</span>"
            return
        c.message.value = f"<small>Saved profile to <code>{html.escape(str(path))}</code></small>"


__all__ = ["Events"]
