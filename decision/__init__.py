"""decision: rank combinations of diplomatic tools that press an abusive ally for accountability without severing
security ties.

Data flows one way: catalog -> scenario -> portfolios -> ranking / robustness -> figures -> dashboard / briefing.
"""
from .catalog import CAVEAT, Catalog, load_catalog
from .errors import CatalogError, DecisionError
from .portfolios import Portfolios, build_portfolios, explain
from .ranking import METHODS, Ranker, consensus, rank, rank_matrix, rank_portfolios

__version__ = "0.1.0"

__all__ = [
    "CAVEAT", "Catalog", "CatalogError", "DecisionError", "METHODS", "Portfolios", "Ranker", "build_portfolios",
    "consensus", "explain", "load_catalog", "rank", "rank_matrix", "rank_portfolios", "__version__",
]
