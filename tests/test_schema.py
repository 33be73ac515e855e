"""The shared schema toolkit (decision/schema.py): unknown keys and columns are refused everywhere, with the closest
known key named, so a typo never leaves a setting silently at its default."""
from __future__ import annotations

import shutil

import pytest

import decision
from decision.catalog import BUNDLED
from decision.errors import CatalogError
from decision.strategy import load_reactions


@pytest.fixture
def bundled_dir(tmp_path):
    dest = tmp_path / "catalog"
    shutil.copytree(BUNDLED, dest)
    return dest


def test_a_typo_in_a_principle_key_is_refused_with_the_known_key(bundled_dir):
    path = bundled_dir / "reactions.yaml"
    text = path.read_text()
    assert "  calibration:\n    enabled: true" in text
    path.write_text(text.replace("  calibration:\n    enabled: true", "  calibration:\n    enable: false", 1))
    cat = decision.load_catalog(bundled_dir)
    with pytest.raises(CatalogError) as err:
        load_reactions(cat)
    msg = str(err.value)
    assert "reactions.yaml" in msg and "unknown key 'enable'" in msg and "did you mean 'enabled'" in msg


def test_an_unknown_top_level_key_in_constraints_names_the_file(tiny_dir):
    with (tiny_dir / "constraints.yaml").open("a") as fh:
        fh.write("max_tool: 3\n")
    with pytest.raises(CatalogError) as err:
        decision.load_catalog(tiny_dir)
    assert str(err.value).startswith("constraints.yaml") and "unknown key 'max_tool'" in str(err.value)


def test_an_unknown_csv_column_is_refused_with_the_closest_known_column(tiny_dir):
    path = tiny_dir / "tools.csv"
    lines = path.read_text().splitlines()
    path.write_text("\n".join([lines[0] + ",redundancy_grup"] + [x + "," for x in lines[1:]]) + "\n")
    with pytest.raises(CatalogError) as err:
        decision.load_catalog(tiny_dir)
    msg = str(err.value)
    assert msg.startswith("tools.csv, line 1") and "unknown column 'redundancy_grup'" in msg
    assert "did you mean 'redundancy_group'" in msg


def test_a_far_off_unknown_key_lists_the_known_keys(bundled_dir):
    path = bundled_dir / "model.yaml"
    path.write_text(path.read_text().replace("complementarity:\n  value:", "complementarity:\n  zzz: 1\n  value:", 1))
    with pytest.raises(CatalogError) as err:
        decision.load_catalog(bundled_dir)
    assert "unknown key 'zzz' (known keys: rationale, value)" in str(err.value)
