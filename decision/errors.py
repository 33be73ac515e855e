"""The one exception type for user mistakes (bad files, bad weights, bad options)."""
from __future__ import annotations


class DecisionError(ValueError):
    """A user mistake: names where it is (file, row or key, field) and what was expected.

    ``str(err)`` is a single line suitable for a CLI error message.
    """

    def __init__(self, problem: str, *, file: str | None = None, where: str | None = None,
                 field: str | None = None):
        self.problem, self.file, self.where, self.field = problem, file, where, field
        parts = [p for p in (file, where, f"field '{field}'" if field else None) if p]
        prefix = ", ".join(parts)
        super().__init__(f"{prefix}: {problem}" if prefix else problem)


class CatalogError(DecisionError):
    """A problem in a catalogue file (criteria, tools, scores, interactions, scenarios, constraints)."""
