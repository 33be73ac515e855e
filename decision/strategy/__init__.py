"""Strategies over time (docs/strategy.md): an opening package, review points, and a next package per ally reaction.

One module per step, data flowing down the list:
  reactions  - how the ally may react (reactions.yaml: base rates, sourced rules) and the principles as constraints;
  tree       - the review tree over every feasible package and its exact backward induction (``strategy_problem``);
  playbook   - a solved policy unfolded into a :class:`Plan`, with its text, JSON and HTML views (``make_plan``);
  figures    - the plan as a plotly tree; robustness - how often the opening stays the same; audit - a plan's
               principles re-checked from the tool sets.
"""
from .playbook import Plan, PlanNode, build_plan, make_plan, plan_html, plan_json, plan_text
from .reactions import Principles, ReactionModel
from .reactions_file import load_reactions
from .tree import StrategyProblem, strategy_problem

__all__ = ["Plan", "PlanNode", "Principles", "ReactionModel", "StrategyProblem", "build_plan", "load_reactions",
           "make_plan", "plan_html", "plan_json", "plan_text", "strategy_problem"]
