"""environment.yml and pyproject.toml declare the same dependencies with the same version ranges, and the
installed versions satisfy them."""
from __future__ import annotations

import re
import tomllib
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path

import pytest
import yaml
from packaging.requirements import Requirement
from packaging.specifiers import SpecifierSet
from packaging.utils import canonicalize_name

ROOT = Path(__file__).resolve().parent.parent
CONDA_ONLY = {"python", "pip"}


def pyproject_requirements() -> dict[str, SpecifierSet]:
    data = tomllib.loads((ROOT / "pyproject.toml").read_text())
    reqs = list(data["project"]["dependencies"])
    for extra in data["project"].get("optional-dependencies", {}).values():
        reqs += extra
    return {canonicalize_name(r.name): r.specifier for r in map(Requirement, reqs)}


def environment_requirements() -> dict[str, SpecifierSet]:
    env = yaml.safe_load((ROOT / "environment.yml").read_text())
    out = {}
    for dep in env["dependencies"]:
        items = dep["pip"] if isinstance(dep, dict) else [dep]
        for item in items:
            if item.startswith("-e ") or item.strip() == ".":
                continue
            m = re.match(r"^([A-Za-z0-9_.\-]+)\s*(.*)$", item)
            name, spec = m.group(1), m.group(2).replace(" ", "")
            if name in CONDA_ONLY:
                continue
            if spec.startswith("=") and not spec.startswith("=="):      # conda "=1.2" means "1.2.*"
                spec = f"=={spec[1:]}.*"
            out[canonicalize_name(name)] = SpecifierSet(spec)
    return out


def test_same_packages():
    assert set(environment_requirements()) == set(pyproject_requirements())


def test_same_version_ranges():
    env, py = environment_requirements(), pyproject_requirements()
    mismatch = {n: (str(env[n]), str(py[n])) for n in py if n in env and env[n] != py[n]}
    assert not mismatch, f"specifier mismatch (environment.yml, pyproject.toml): {mismatch}"


@pytest.mark.parametrize("name,spec", sorted(pyproject_requirements().items()))
def test_installed_versions_satisfy_the_ranges(name, spec):
    try:
        installed = version(name)
    except PackageNotFoundError:
        pytest.fail(f"{name} is not installed (run `make test`, which installs the test extras)")
    assert spec.contains(installed, prereleases=True), f"{name} {installed} not in {spec}"
