"""Load and validate a catalogue folder: one module per file, each with its record schemas, the immutable objects it
makes and its loader (the formats are documented in ``data/README.md``).

* :mod:`.criteria` ``criteria.csv``; :mod:`.tools` ``tools.csv`` and ``effort.csv``; :mod:`.scores` ``scores.csv``;
  :mod:`.interactions` ``interactions.csv``; :mod:`.scenarios` ``scenarios.yaml``; :mod:`.constraints`
  ``constraints.yaml``, whose conditional sections (legal obligations, availability) are :mod:`.obligations`;
  :mod:`.model` ``model.yaml``.
* :mod:`.folder` puts them together: :func:`load_catalog` and the :class:`Catalog`.

Every problem raises :class:`CatalogError` naming the file, the line or key, the field and what was expected (the
shared checks are :mod:`decision.schema`'s). Nothing is dropped or coerced silently.
"""
from ..errors import CatalogError
from .constraints import AccountabilityFloor, Constraints, RedLine, check_constraints
from .criteria import Criterion
from .folder import BUNDLED, CAVEAT, FILES, Catalog, load_catalog
from .interactions import Interaction
from .model import ModelParams, QuietCap, TimeHorizon
from .obligations import Availability, Obligation
from .scenarios import NEUTRAL_FACTOR, Factor, Rule, Scenario
from .tools import Tool

__all__ = ["BUNDLED", "CAVEAT", "FILES", "NEUTRAL_FACTOR", "AccountabilityFloor", "Availability", "Catalog",
           "CatalogError", "Constraints", "Criterion", "Factor", "Interaction", "ModelParams", "Obligation", "QuietCap",
           "RedLine", "Rule", "Scenario", "TimeHorizon", "Tool", "check_constraints", "load_catalog"]
