"""Shared fixtures: the hand-worked 3-tool catalogue, editable copies of it, and the bundled catalogue."""
from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest
from hypothesis import settings

# CI runs the property tests on a fixed, reproducible set of examples; locally hypothesis explores new ones each run.
settings.register_profile("ci", derandomize=True, print_blob=True)
if os.environ.get("CI", "").lower() == "true":
    settings.load_profile("ci")

import decision

TINY = Path(__file__).parent / "fixtures" / "tiny"


@pytest.fixture(autouse=True)
def _decision_home(tmp_path_factory, monkeypatch):
    """Every test gets its own empty decision home (saved profiles go there): nothing is read from or written to the
    developer's ~/.config/decision, and a developer's $DECISION_PROFILES is not used."""
    monkeypatch.setenv("DECISION_HOME", str(tmp_path_factory.mktemp("decision-home")))
    monkeypatch.delenv("DECISION_PROFILES", raising=False)


@pytest.fixture(scope="session")
def tiny():
    return decision.load_catalog(TINY)


@pytest.fixture
def tiny_dir(tmp_path) -> Path:
    """An editable copy of the 3-tool catalogue."""
    dest = tmp_path / "catalog"
    shutil.copytree(TINY, dest)
    return dest


@pytest.fixture(scope="session")
def bundled():
    return decision.load_catalog()


@pytest.fixture(scope="session")
def bundled_portfolios(bundled):
    return decision.build_portfolios(bundled)
