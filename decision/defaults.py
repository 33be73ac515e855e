"""The names and defaults the command line must know before any work starts, in a module that imports nothing.

``decision`` builds every command's parser (its choices, defaults and help) from these, so ``decision scenarios`` or
``decision --help`` never load numpy, pandas or pymcdm to learn, say, the list of ranking methods. Each value is
defined here once and re-exported by the module it belongs to (``decision.ranking.DEFAULT_METHOD``,
``decision.options.DEFAULT_K``, ``decision.strategy.reactions.Principles.NAMES``, ...); that module documents it.
"""
from __future__ import annotations

DEFAULT_METHOD = "wsm"
"""The one default ranking method (decision.ranking)."""
RANKING_METHODS = ("topsis", "vikor", "spotis", "wsm", "promethee_ii")
"""The ranking methods, in decision.ranking.METHODS order."""
LOWER_IS_BETTER = ("vikor", "spotis")
"""Ranking methods whose preference is a distance or an index: lower is better (decision.ranking.Method.ascending)."""
PORTFOLIO_METHODS = ("wsm", "topsis")
"""Methods with a robustness analysis over combinations (decision.robustness)."""
DEFAULT_K = 4
"""Distinct options shown (decision.options)."""
DEFAULT_SHARE = 0.9
"""Share of option 1's gain over doing nothing new that the minimal change must reach (decision.options)."""
MAX_REVIEWS = 8
"""Review points of a playbook (decision.strategy.tree)."""
PRINCIPLES = ("calibration", "credibility", "verified_progress", "de_escalation", "answer_stalling", "keep_penalties",
              "reward_compliance", "benchmarks", "security_floor")
"""The playbook's principles (decision.strategy.reactions.Principles.NAMES)."""
PROFILE_METHODS = ("direct", "roc", "rank_sum", "rank_reciprocal", "swing", "ahp")
"""Weight elicitation methods a profile can record (decision.profiles.METHODS)."""
DEFAULT_PRECEDENTS = 3
"""Precedents shown by ``decision cases`` (decision.precedents.DEFAULT_TOP)."""
MAX_CASE_FILES = 500
"""Most episode files in a case folder (decision.cases.MAX_CASE_FILES)."""
HOW_SURE_SAMPLES = 1_000
"""Draws per share of the "how sure" figure (decision.sureness.HOW_SURE_SAMPLES)."""
