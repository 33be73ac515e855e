"""decision: rank combinations of diplomatic tools that press an abusive ally for accountability without severing
security ties.

Data flows one way: catalog -> scenario -> portfolios -> ranking / robustness -> options -> advice -> strategy
(reactions, review tree, playbook) -> figures -> dashboard / briefing.

Importing the package is cheap: every public name below (and every submodule, ``decision.robustness`` etc.) is
loaded on first use (PEP 562), so the command line answers without importing the dashboard, plotly, ipywidgets,
papermill, nbconvert, playwright, scipy or pymcdm (docs/performance.md). ``decision.explain`` and
``decision.dashboard`` are the functions of those names, as they always were, although submodules of the same
names exist.
"""
from __future__ import annotations

import importlib
import importlib.util
import sys
import types

from .errors import CatalogError, DecisionError

__version__ = "0.1.0"

_HOME = {   # public name -> the submodule that defines it
    "Confidence": "advice", "assess": "advice", "bottom_line": "advice",
    "CAVEAT": "catalog", "Catalog": "catalog", "load_catalog": "catalog",
    "Dashboard": "dashboard", "dashboard": "dashboard",
    "explain": "explain",
    "GroupView": "group", "group_view": "group",
    "Option": "options", "Options": "options", "find_options": "options",
    "Plan": "strategy.playbook", "make_plan": "strategy.playbook", "plan_json": "strategy.playbook",
    "plan_text": "strategy.playbook",
    "Portfolios": "portfolios", "build_portfolios": "portfolios",
    **dict.fromkeys(("Profile", "list_profiles", "load_profile", "make_profile", "save_profile"), "profiles"),
    **dict.fromkeys(("METHODS", "Ranker", "consensus", "rank", "rank_matrix", "rank_portfolios"), "ranking"),
    **dict.fromkeys(("PortfolioSMAA", "SMAAResult", "core_index", "nondominated", "pareto_mask", "portfolio_stability",
                     "smaa_matrix", "smaa_portfolios", "stability_intervals", "top_changes", "weight_sweep"),
                    "robustness"),
    **dict.fromkeys(("HowSure", "how_sure", "score_tornado"), "sureness"),
    **dict.fromkeys(("AHPResult", "ahp", "critic", "direct", "entropy", "rank_reciprocal", "rank_sum", "roc",
                     "swing"), "weights"),
}
_SHADOWED = ("dashboard", "explain")
"""Public functions named like the submodule that defines them."""

__all__ = sorted(["CatalogError", "DecisionError", "__version__", *_HOME], key=lambda s: (s[0].islower(), s))


def _load(name: str):
    return getattr(importlib.import_module(f"{__name__}.{_HOME[name]}"), name)


def __getattr__(name: str):
    """A public name (imported from its submodule on first use), or a submodule (``decision.figures``)."""
    if name in _HOME:
        value = _load(name)
        globals()[name] = value
        return value
    if not name.startswith("_") and importlib.util.find_spec(f"{__name__}.{name}") is not None:
        return importlib.import_module(f"{__name__}.{name}")
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__():
    return sorted(set(globals()) | set(__all__))


def _function_over_submodule(name: str) -> property:
    """``decision.<name>`` is the function: importing the submodule (which sets the package attribute to the module)
    must not replace it, whichever is imported first."""
    def refuse(self, value):
        if not isinstance(value, types.ModuleType):     # the import system sets the submodule: keep the function
            raise AttributeError(f"decision.{name} cannot be replaced")
    return property(lambda self: _load(name), refuse)


class _Package(types.ModuleType):
    dashboard = _function_over_submodule("dashboard")
    explain = _function_over_submodule("explain")


sys.modules[__name__].__class__ = _Package
