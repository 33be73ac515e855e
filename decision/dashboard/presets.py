"""The dashboard's weight profiles: the weights it starts from, a profile picked in the list, and "Export current
view" (the weights saved as a profile, the other settings written into its rationale). Reads and writes through
:mod:`decision.profiles` (atomic writes, the user's profile folder)."""
from __future__ import annotations

from pathlib import Path

import pandas as pd

from .. import profiles as P
from ..catalog import Catalog
from ..weights import direct
from .controls import CUSTOM, Controls
from .state import ViewState


class Presets:
    """Weight profiles for one dashboard's controls (``profiles_dir``: the folder listed and written; default: the
    user's, :func:`decision.profiles.user_dir`)."""

    def __init__(self, catalog: Catalog, controls: Controls, profiles_dir: str | Path | None = None):
        self.catalog, self.controls, self.profiles_dir = catalog, controls, profiles_dir

    def names(self) -> list[str]:
        return [v for _, v in self.controls.preset.options if v != CUSTOM]

    def load(self, name: str) -> dict[str, float]:
        """The raw weights of profile ``name`` (DecisionError when it cannot be read)."""
        w = P.load_profile(name, self.catalog, self.profiles_dir).weights
        return {c: float(w[c]) for c in self.catalog.criterion_ids}

    def initial(self, weights, preset: str | None) -> dict[str, float]:
        """The weights to start from: ``weights`` when given, else profile ``preset`` (default "balanced" when it
        exists; the profile list shows it), else equal weights."""
        crit = self.catalog.criterion_ids
        if weights is not None:
            w = direct(dict(weights) if isinstance(weights, (dict, pd.Series)) else weights, crit)
            return {c: float(w[c]) for c in crit}
        options = self.names()
        if preset is None and "balanced" in options:
            preset = "balanced"
        if preset is not None:
            w = self.load(preset)
            self.controls.preset.value = preset if preset in options else CUSTOM
            return w
        return {c: 1.0 / len(crit) for c in crit}

    def export(self, state: ViewState, name: str, overwrite: bool = False, author: str = "dashboard export") -> Path:
        """Write ``state``'s weights as profile ``name`` (method ``direct``; scenario, method, tool limits, forced
        tools and red lines in its rationale), refresh the list and pick it there; returns the path."""
        norm = state.normalised                               # raises if all weights are zero
        cat = self.catalog
        names = lambda ids: ", ".join(self.controls.tool_names(ids)) or "none"  # noqa: E731
        red = "; ".join(f"{c}" + (f" >= {lo:g}" if lo is not None else "") + (f" <= {hi:g}" if hi is not None else "")
                        for c, lo, hi in state.red_lines) or "none"
        rationale = (f"Exported from the dashboard. Scenario {state.scenario} ({cat.scenario(state.scenario).name}), "
                     f"method {state.method}, at most {state.max_tools} tools, top {state.top} shown. Must include: "
                     f"{names(state.forced_in)}. Must exclude: {names(state.forced_out)}. Red lines: {red}. "
                     f"Catalogue digest {cat.digest[:12]}.")
        prof = P.make_profile(name, "direct", {c: round(norm[c], 6) for c in cat.criterion_ids}, cat.criterion_ids,
                              author=author, rationale=rationale)
        path = P.save_profile(prof, self.profiles_dir, overwrite=overwrite)
        self.controls.preset.options = self.controls.preset_options()
        if name in self.names():
            self.controls.preset.value = name
        return path


__all__ = ["Presets"]
