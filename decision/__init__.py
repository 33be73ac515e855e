"""decision: rank combinations of diplomatic tools that press an abusive ally for accountability without severing
security ties.

Data flows one way: catalog -> scenario -> portfolios -> ranking / robustness -> options -> advice -> strategy
(reactions, review tree, playbook) -> figures -> dashboard / briefing.
"""
from .advice import Confidence, assess, bottom_line
from .catalog import CAVEAT, Catalog, load_catalog
from .dashboard import Dashboard, dashboard
from .errors import CatalogError, DecisionError
from .explain import explain
from .group import GroupView, group_view
from .options import Option, Options, find_options
from .strategy.playbook import Plan, make_plan, plan_json, plan_text
from .portfolios import Portfolios, build_portfolios
from .profiles import Profile, list_profiles, load_profile, make_profile, save_profile
from .ranking import METHODS, Ranker, consensus, rank, rank_matrix, rank_portfolios
from .robustness import (PortfolioSMAA, SMAAResult, core_index, nondominated, pareto_mask, portfolio_stability,
                         smaa_matrix, smaa_portfolios, stability_intervals, top_changes, weight_sweep)
from .sureness import HowSure, how_sure, score_tornado
from .weights import AHPResult, ahp, critic, direct, entropy, rank_reciprocal, rank_sum, roc, swing

__version__ = "0.1.0"

__all__ = [
    "AHPResult", "CAVEAT", "Catalog", "CatalogError", "Confidence", "Dashboard", "DecisionError", "GroupView", "HowSure",
    "METHODS", "Option", "Options", "Plan", "PortfolioSMAA", "Portfolios", "Profile", "Ranker", "SMAAResult",
    "__version__", "ahp", "assess", "bottom_line", "build_portfolios", "consensus", "core_index", "critic",
    "dashboard", "direct", "entropy", "explain", "find_options", "group_view", "how_sure", "list_profiles",
    "load_catalog",
    "load_profile", "make_plan", "make_profile", "nondominated", "pareto_mask", "plan_json", "plan_text",
    "portfolio_stability", "rank", "rank_matrix", "rank_portfolios", "rank_reciprocal", "rank_sum", "roc",
    "save_profile", "score_tornado", "smaa_matrix", "smaa_portfolios", "stability_intervals", "swing", "top_changes",
    "weight_sweep",
]
