"""The case library loader (decision/cases.py): the schema of data/cases/README.md, checked against the catalogue;
every bad file is one CatalogError naming the file and the field."""
from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from decision.cases import load_cases
from decision.errors import CatalogError

FIXTURE = Path(__file__).parent / "fixtures" / "cases"
NAME = "ruritania_testland_2001.yaml"


@pytest.fixture
def case_dir(tmp_path) -> Path:
    dest = tmp_path / "cases"
    shutil.copytree(FIXTURE, dest)
    return dest


def edit(folder: Path, old: str, new: str) -> None:
    path = folder / NAME
    text = path.read_text()
    assert old in text, old
    path.write_text(text.replace(old, new, 1))


def error(folder: Path, bundled) -> str:
    with pytest.raises(CatalogError) as err:
        load_cases(folder, bundled)
    msg = str(err.value)
    assert "\n" not in msg and msg.startswith(f"cases/{NAME}"), msg
    return msg


def test_the_package_in_force_accumulates_added_tools_less_lifted_ones(bundled):
    e = load_cases(FIXTURE, bundled).episodes[0]
    assert [s.in_force for s in e.stages] == [
        ("demarche", "legal_review"),
        ("demarche", "legal_review", "export_controls"),
        ("legal_review", "export_controls", "independent_monitoring")]
    assert [s.reaction for s in e.stages] == ["stalls", "retaliates", "complies"]
    assert e.stages[1].retaliation == "minor" and e.stages[0].retaliation is None
    assert [m.category for m in e.unexpressed] == ["exercise_scale_down"]
    assert e.years == "2001-2002" and e.factors["leverage"] == 8 and e.why["leverage"] == "police run on Ruritanian arms"


def test_an_episode_with_one_source_is_refused(case_dir, bundled):
    edit(case_dir, '- {author: Other Author, title: Another fictional report, year: 2002, link: "https://example.org/b"}\n',
         "")
    assert "field 'sources'" in error(case_dir, bundled)


def test_two_sources_with_the_same_link_count_as_one(case_dir, bundled):
    edit(case_dir, "https://example.org/b", "https://example.org/a")
    assert "two distinct sources" in error(case_dir, bundled)


@pytest.mark.parametrize("value", ["11", "-1", "nan", "ten"])
def test_a_factor_outside_0_to_10_is_refused(case_dir, bundled, value):
    edit(case_dir, "severity: {value: 6,", f"severity: {{value: {value},")
    assert "factors.severity.value" in error(case_dir, bundled)


def test_a_missing_factor_is_named(case_dir, bundled):
    edit(case_dir, "  time_pressure: {value: 3, why: no crisis}\n", "")
    assert "factor 'time_pressure' is missing" in error(case_dir, bundled)


def test_an_unknown_key_is_refused_with_the_closest_known_one(case_dir, bundled):
    edit(case_dir, "confidence: medium", "confidance: medium")
    msg = error(case_dir, bundled)
    assert "unknown key 'confidance'" in msg and "did you mean 'confidence'" in msg


def test_an_unknown_tool_is_refused(case_dir, bundled):
    edit(case_dir, "tool: export_controls", "tool: arms_embargo")
    msg = error(case_dir, bundled)
    assert "unknown tool 'arms_embargo'" in msg and "stages[1]" in msg


def test_retaliation_severity_goes_with_retaliates_only(case_dir, bundled):
    edit(case_dir, "  reaction: stalls\n", "  reaction: stalls\n  retaliation: major\n")
    assert "field 'retaliation'" in error(case_dir, bundled)
    edit(case_dir, "  retaliation: minor\n", "")


def test_lifting_a_tool_never_in_force_is_refused(case_dir, bundled):
    edit(case_dir, "{tool: demarche, date: 2002-01", "{tool: targeted_sanctions, date: 2002-01")
    assert "lifted tool 'targeted_sanctions'" in error(case_dir, bundled)


def test_the_id_must_match_the_file_name(case_dir, bundled):
    edit(case_dir, "id: ruritania_testland_2001", "id: ruritania_testland_2002")
    assert "differs from the file name" in error(case_dir, bundled)


def test_an_episode_before_1975_is_refused(case_dir, bundled):
    edit(case_dir, "start: 2001-03", "start: 1970-03")
    assert "outside 1975-2023" in error(case_dir, bundled)


def test_a_multi_line_text_is_refused(case_dir, bundled):
    edit(case_dir, "title: A fictional test episode", "title: |\n  two\n  lines")
    assert "field 'title'" in error(case_dir, bundled)


def test_a_bad_date_is_refused(case_dir, bundled):
    edit(case_dir, "end: 2002", "end: 2002-13")
    assert "field 'end'" in error(case_dir, bundled)


def test_lenient_loading_turns_unknown_tools_into_named_unexpressed_measures(case_dir, bundled):
    edit(case_dir, "tool: export_controls", "tool: arms_embargo")
    e = load_cases(case_dir, bundled, lenient=True).episodes[0]
    assert "export_controls" not in e.tools_used
    assert [m.what for m in e.stages[1].unexpressed][-1].startswith("arms_embargo (not in this catalogue)")
    assert e.stages[1].in_force == ("demarche", "legal_review")
