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
