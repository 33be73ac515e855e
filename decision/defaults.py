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


# ----------------------------------------------------------------------------------------------------------------
# Decision rules: the named thresholds (one place; the module named after each uses it and documents the rule)

TIE_DELTA = 0.02
"""Two rows are statistically tied when moving one weight by at most this (others rescaled) reverses them (ranking)."""
MAX_SHARED = 0.5
"""An option may share at most this fraction of the tools of any other option (options' diversity rule)."""
DIFF_SHOWN = 0.05
"""Criterion differences (points) smaller than this are left out of a trade-off sentence (options)."""
NEAR_SPREAD = 0.1
"""'Weightings near yours': each weight drawn within +/- this of the analyst's (advice, briefing, robustness)."""
FRAGILE_MARGIN, STABLE_MARGIN = 0.05, 0.15
"""Stability margins (share of the weight) below which a recommendation is fragile / from which it is stable."""
TIED_MARGIN = 0.005
"""A stability margin below this prints as 0.00: the recommendation is called tied, not 'replaced by 0' (advice)."""
PAST_BOUND = 0.01
"""How far past a stability bound a weight is set to find what replaces the recommendation (decision.kernel)."""
WHOLE_PERCENT = 0.1
"""Shares from this up (or exactly 0) print as whole percentages, smaller ones with one decimal (advice, briefing)."""
CR_THRESHOLD = 0.10
"""AHP consistency ratio above which pairwise judgments are flagged as inconsistent (Saaty; decision.weights)."""
COURSE_TIE = 5e-4
"""Course values closer than this (a rounding step of three printed decimals) are 'about as much' (strategy.compare)."""
MATERIAL_EFFORT = 3.0
"""The audit fails a method disagreement costing more than this many effort units' worth of value (decision.audit)."""
CAP_BINDS = 0.5
"""The audit fails the cap on tools when more than this share of runs would add a tool if allowed (decision.audit)."""
NEAR_DISTANCE = 0.25
"""An episode within this distance of a scenario is 'near' it (decision.precedents)."""

CORE_SHARE = 0.9
"""A tool of the recommended opening is part of its core when the best opening holds it in at least this share of
the weightings drawn near the analyst's (the bottom line names the core when the opening as a whole is less sure)."""
