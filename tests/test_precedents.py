"""Precedents (decision/precedents.py, `decision cases`, `decision explain`): the distance is a metric, worked by hand
on the fictional test episode; nearest is sorted with ties by id; package similarity worked by hand; the CLI's text,
JSON contract (against docs/evidence.md) and one-line errors."""
from __future__ import annotations

import json
import math
import re
import shutil
from dataclasses import replace
from pathlib import Path

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

import decision.cases
import decision.cli.cases
import decision.cli.cases_body
from decision.cases import BUNDLED_CASES, CaseLibrary, load_cases
from decision.catalog import BUNDLED
from decision.cli import main
from decision.errors import DecisionError
from decision.precedents import (FACT_WEIGHT, distance, distances, nearest, package_similarity, similar_packages,
                                 summary)

FIXTURE = Path(__file__).parent / "fixtures" / "cases"
DOCS = Path(__file__).parent.parent / "docs" / "evidence.md"
FACTORS = ["severity", "indispensability", "leverage", "outside_options", "domestic_salience",
           "multilateral_availability", "time_pressure", "criticism_sensitivity", "reform_capacity",
           "evidentiary_certainty"]
TESTLAND = dict(zip(FACTORS, [6, 3, 8, 2, 5, 4, 3, 5, 6, 7]))      # the fixture episode's factors


@pytest.fixture(scope="module")
def base(bundled):
    return load_cases(FIXTURE, bundled).episodes[0]


def library(base, rows) -> CaseLibrary:
    """Episodes like the fixture with other ids, factors and facts: rows of (id, factors, facts)."""
    return CaseLibrary(tuple(replace(base, id=i, factors=dict(f), facts=tuple(x)) for i, f, x in rows), "test")


# ----------------------------------------------------------------------------------------------------------------
# The distance: hand-worked and a metric

def test_distance_to_the_arms_dependent_client_worked_by_hand(bundled, base):
    sc = bundled.scenario("arms_dependent_client")
    # differences 2, 1, 1, 2, 1, 1 points on indispensability (w 2), leverage (2), outside options (2),
    # multilateral availability (1), reform capacity (2), evidence (1); weights sum to 15 (docs/evidence.md)
    expected = math.sqrt((2 * .04 + 2 * .01 + 2 * .01 + .04 + 2 * .01 + .01) / 15)
    assert distance(sc.factors, sc.facts, base.factors, base.facts) == pytest.approx(expected, abs=1e-12)
    assert expected == pytest.approx(0.112546, abs=1e-6)
    total, xd, fd = distances(CaseLibrary((base,), "x"), sc.factors, sc.facts)
    assert total[0] == pytest.approx(expected) and fd[0] == 0


def test_a_partner_side_factor_counts_double_and_facts_add_a_quarter_of_their_jaccard_distance():
    a = dict.fromkeys(FACTORS, 5.0)
    assert distance(a, [], {**a, "leverage": 7}, []) == pytest.approx(math.sqrt(2 * 0.04 / 15))
    assert distance(a, [], {**a, "severity": 7}, []) == pytest.approx(math.sqrt(0.04 / 15))
    assert distance(a, ["x"], a, ["x", "y"]) == pytest.approx(FACT_WEIGHT * 0.5)     # 1 - 1/2
    assert distance(a, ["x"], a, ["y"]) == pytest.approx(FACT_WEIGHT)
    assert distance(a, [], dict.fromkeys(FACTORS, 0.0), []) == pytest.approx(0.5)    # 5 points everywhere


factor_values = st.fixed_dictionaries({f: st.integers(0, 1000).map(lambda k: k / 100) for f in FACTORS})
fact_sets = st.frozensets(st.sampled_from(["a", "b", "c"]))
points = st.tuples(factor_values, fact_sets)


@settings(max_examples=200, deadline=None)
@given(points, points, points)
def test_the_distance_is_a_metric(x, y, z):
    d = lambda p, q: distance(p[0], p[1], q[0], q[1])  # noqa: E731
    assert d(x, y) >= 0
    assert d(x, y) == d(y, x)
    assert d(x, x) == 0
    assert (d(x, y) == 0) == (x[0] == y[0] and x[1] == y[1])
    assert d(x, z) <= d(x, y) + d(y, z) + 1e-12


@settings(max_examples=50, deadline=None)
@given(st.lists(points, min_size=1, max_size=8), points)
def test_the_vectorised_distances_equal_the_pairwise_distance(base, rows, q):
    lib = library(base, [(f"e{i}", f, x) for i, (f, x) in enumerate(rows)])
    total = distances(lib, q[0], q[1])[0]
    assert total.tolist() == pytest.approx([distance(q[0], q[1], f, x) for f, x in rows], abs=1e-12)


# ----------------------------------------------------------------------------------------------------------------
# nearest: sorted, ties by id, independent of file order

@settings(max_examples=50, deadline=None)
@given(st.lists(points, min_size=1, max_size=10), points, st.integers(1, 12), st.randoms())
def test_nearest_is_sorted_by_distance_then_id_and_ignores_file_order(base, rows, q, top, rnd):
    rows = [(f"e{i:02d}", f, x) for i, (f, x) in enumerate(rows)]
    found = nearest(library(base, rows), q[0], q[1], top)
    assert len(found) == min(top, len(rows))
    keys = [(round(p.distance, 9), p.id) for p in found]
    assert keys == sorted(keys)
    everything = sorted((round(distance(q[0], q[1], f, x), 9), i) for i, f, x in rows)
    assert keys == everything[:len(found)]                  # brute force: the true top
    rnd.shuffle(rows)
    assert [p.id for p in nearest(library(base, rows), q[0], q[1], top)] == [p.id for p in found]


def test_equal_distances_are_ordered_by_id(base):
    f = dict.fromkeys(FACTORS, 5.0)
    lib = library(base, [("zeta", f, ()), ("alpha", f, ()), ("mid", {**f, "severity": 6}, ()), ("beta", f, ())])
    assert [p.id for p in nearest(lib, f, (), top=4)] == ["alpha", "beta", "zeta", "mid"]


@pytest.mark.parametrize("factors, message", [
    ({**TESTLAND, "levrage": 3}, "unknown factor 'levrage'"),
    ({k: v for k, v in TESTLAND.items() if k != "leverage"}, "factor 'leverage' is missing"),
    ({**TESTLAND, "leverage": 10.5}, "'leverage' must be between 0 and 10"),
])
def test_bad_factors_are_one_line_errors(base, factors, message):
    with pytest.raises(DecisionError, match=message):
        nearest(CaseLibrary((base,), "x"), factors)


def test_an_empty_library_has_no_precedents():
    assert nearest(CaseLibrary((), "x"), TESTLAND) == ()


# ----------------------------------------------------------------------------------------------------------------
# One line per episode

def test_the_one_line_summary_of_the_test_episode(bundled, base):
    assert summary(base, bundled) == (
        "Ruritania–Testland 2001-2002: démarche, legal review, export controls, exercise scaled down, independent "
        "monitoring -> Testland stalled, retaliated (minor), complied; after 12 months: ties degraded by Ruritania, "
        "abuses eased (verifiable). [2 sources]")
    us = replace(base, actor="United States", partner="Philippines", security="severed", security_by="partner",
                 rights="none", months_to_outcome=1)
    assert summary(us).startswith("US–Philippines 2001-2002: demarche, legal_review, export_controls, ")
    assert summary(us).endswith("-> the Philippines stalled, retaliated (minor), complied; after 1 month: ties "
                                "severed by the Philippines, no change in the abuses. [2 sources]")


def test_a_precedent_carries_its_sources_as_links(bundled, base):
    p = nearest(CaseLibrary((base,), "x"), TESTLAND, catalog=bundled)[0]
    assert [(s.label, s.url) for s in p.sources] == [
        ("Test Author, A fictional report (2002)", "https://example.org/a"),
        ("Other Author, Another fictional report (2002)", "https://example.org/b")]
    # same factors; the fixture has a fact and we gave none: a full fact mismatch
    assert (p.factor_distance, p.fact_distance, p.distance) == (0, 1, FACT_WEIGHT)


# ----------------------------------------------------------------------------------------------------------------
# Package similarity

def test_package_similarity_worked_by_hand(bundled, base):
    lib = CaseLibrary((base,), "x")
    # stages in force: {demarche, legal_review}, {.. + export_controls}, {legal_review, export_controls, monitoring}
    sim, tools, fams, stage = package_similarity(lib, ["demarche", "legal_review"])
    assert (sim[0], tools[0], fams, stage[0]) == (1.0, 1.0, None, 0)
    sim, tools, _, stage = package_similarity(lib, ["export_controls"])
    assert (sim[0], tools[0], stage[0]) == (pytest.approx(1 / 3), pytest.approx(1 / 3), 1)     # tie: the earlier
    # with families: stage 2 is {signalling, verification, economic} (1/3), stage 3 {verification, economic} (1/2)
    sim, tools, fams, stage = package_similarity(lib, ["export_controls"], bundled)
    assert stage[0] == 2 and fams[0] == pytest.approx(1 / 2)
    assert sim[0] == pytest.approx(2 / 3 * 1 / 3 + 1 / 3 * 1 / 2)


def test_only_a_stage_sharing_a_tool_resembles_the_package(bundled, base):
    # stage 1 holds aid conditionality alone: same family as export controls (similarity 1/3) but no tool in common;
    # stage 2 shares export controls among four tools: 2/3 * 1/4 + 1/3 * 1/3 = 0.278, lower, yet the one reported
    first = replace(base.stages[0], in_force=("aid_conditionality",))
    second = replace(base.stages[1], in_force=("export_controls", "demarche", "legal_review", "independent_monitoring"))
    lib = CaseLibrary((replace(base, stages=(first, second)),), "x")
    found = similar_packages(lib, ["export_controls"], catalog=bundled)
    assert [(m.stage, m.shared) for m in found.matches] == [(1, ("export_controls",))]
    assert found.matches[0].similarity == pytest.approx(2 / 3 * 1 / 4 + 1 / 3 * 1 / 3)


def test_similar_packages_prefer_near_episodes_and_fall_back_on_the_library(bundled, base):
    far = {**TESTLAND, "leverage": 0, "outside_options": 10, "indispensability": 10}
    lib = library(base, [("near_one", TESTLAND, base.facts), ("far_one", far, base.facts)])
    found = similar_packages(lib, ["demarche"], TESTLAND, base.facts, catalog=bundled)
    assert found.scope == "near" and found.n_near == 1 and [m.id for m in found.matches] == ["near_one"]
    m = found.matches[0]
    assert m.stage == 0 and m.shared == ("demarche",) and m.distance == 0
    # tools 1/2; families {signalling} against {signalling, verification}: 1/2
    assert m.line.startswith("Ruritania–Testland 2001-2002, 2001-03: démarche + legal review (shares démarche; "
                             "similarity 0.50)")
    assert m.line.endswith("-> Testland stalled; in the end, after 12 months: ties degraded by Ruritania, abuses "
                           "eased (verifiable). [2 sources]")
    # seen from far away nothing is near: the whole library, ties on similarity broken by distance
    found = similar_packages(lib, ["demarche"], dict.fromkeys(FACTORS, 10.0), (), catalog=bundled)
    assert found.scope == "all" and [m.id for m in found.matches] == ["far_one", "near_one"]
    # a package sharing no tool with any stage has no precedent, however alike its families
    assert similar_packages(lib, ["private_letter"], TESTLAND, catalog=bundled).matches == ()


# ----------------------------------------------------------------------------------------------------------------
# The CLI

def episode_yaml(folder: Path, eid: str, factors: dict, facts: list) -> None:
    data = yaml.safe_load((FIXTURE / "ruritania_testland_2001.yaml").read_text())
    data["id"] = eid
    data["facts"] = facts
    for f, v in factors.items():
        data["factors"][f]["value"] = v
    (folder / f"{eid}.yaml").write_text(yaml.safe_dump(data, sort_keys=False, allow_unicode=True))


@pytest.fixture(scope="module")
def catalog_dir(tmp_path_factory, bundled) -> Path:
    """The bundled catalogue with a case folder of three fictional episodes: the fixture, one coded exactly like
    arms_dependent_client and one exactly like hedging_partner."""
    dest = tmp_path_factory.mktemp("catalog") / "data"
    shutil.copytree(BUNDLED, dest, ignore=shutil.ignore_patterns("cases"))
    (dest / "cases").mkdir()
    shutil.copy(FIXTURE / "ruritania_testland_2001.yaml", dest / "cases")
    arms, hedge = bundled.scenario("arms_dependent_client"), bundled.scenario("hedging_partner")
    episode_yaml(dest / "cases", "ruritania_armsland_2003", arms.factors, list(arms.facts))
    episode_yaml(dest / "cases", "ruritania_hedgeland_2005", hedge.factors, list(hedge.facts))
    return dest


def run(capsys, *argv) -> tuple[int, str, str]:
    code = main(list(argv))
    out = capsys.readouterr()
    return code, out.out, out.err


def test_cases_lists_the_nearest_episodes_one_line_each(capsys, catalog_dir, bundled):
    arms, hedge = bundled.scenario("arms_dependent_client"), bundled.scenario("hedging_partner")
    code, out, _ = run(capsys, "cases", "--catalog", str(catalog_dir), "--scenario", "arms_dependent_client")
    assert code == 0
    rows = [line for line in out.splitlines() if re.match(r"^\s+\d+  \d\.\d{3}  ", line)]
    far = distance(arms.factors, arms.facts, hedge.factors, hedge.facts)
    assert [r.split()[:3] for r in rows] == [["1", "0.000", "ruritania_armsland_2003"],
                                             ["2", "0.113", "ruritania_testland_2001"],
                                             ["3", f"{far:.3f}", "ruritania_hedgeland_2005"]]
    assert "Ruritania–Testland 2001-2002: démarche, legal review" in rows[1]
    assert "count double" in out and "not forecasts" in out


def test_factors_option_overrides_some_factors_and_takes_the_rest_from_the_scenario(capsys, catalog_dir):
    # the fixture episode differs from arms_dependent_client on six factors; giving those six makes it distance 0
    given = "indispensability=3,leverage=8,outside_options=2,multilateral_availability=4,reform_capacity=6," \
            "evidentiary_certainty=7"
    code, out, _ = run(capsys, "cases", "--catalog", str(catalog_dir), "--scenario", "arms_dependent_client",
                       "--factors", given, "--top", "1", "--format", "json")
    assert code == 0
    doc = json.loads(out)
    assert doc["precedents"][0]["id"] == "ruritania_testland_2001" and doc["precedents"][0]["distance"] == 0
    assert doc["query"]["from_factors_option"] == ["indispensability", "leverage", "outside_options",
                                                   "multilateral_availability", "reform_capacity",
                                                   "evidentiary_certainty"]
    assert doc["query"]["factors"]["severity"] == 6                       # from the scenario
    assert doc["query"]["facts"] == ["abuses_by_units_we_equip"]
    # --facts '' drops the fact: the fact term becomes a full mismatch with every fixture episode that has it
    code, out, _ = run(capsys, "cases", "--catalog", str(catalog_dir), "--scenario", "arms_dependent_client",
                       "--factors", given, "--facts", "", "--top", "1", "--format", "json")
    assert json.loads(out)["precedents"][0]["distance"] == FACT_WEIGHT


def json_keys(value, skip=("factors", "factor_weights", "why")) -> set[str]:
    """Every key of every object in a JSON document (maps keyed by factor id are not fields)."""
    if isinstance(value, dict):
        keys = set(value)
        for k, v in value.items():
            if k not in skip:
                keys |= json_keys(v, skip)
        return keys
    if isinstance(value, list):
        return set().union(*(json_keys(v, skip) for v in value)) if value else set()
    return set()


def documented_fields() -> set[str]:
    section = DOCS.read_text().split("## Precedents", 1)[1].split("\n## ", 1)[0]
    return set(re.findall(r"^\| `([a-z_]+)`", section, flags=re.M))


def test_the_json_outputs_have_exactly_the_documented_fields(capsys, catalog_dir):
    cat = ["--catalog", str(catalog_dir), "--format", "json"]
    docs = [json.loads(run(capsys, "cases", *cat)[1]), json.loads(run(capsys, "cases", "--list", *cat)[1]),
            json.loads(run(capsys, "cases", "--show", "ruritania_testland_2001", *cat)[1])]
    assert set().union(*(json_keys(d) for d in docs)) == documented_fields()
    nearest_doc, listed, shown = docs
    assert list(nearest_doc) == ["query", "rule", "library", "precedents", "caveat"]
    assert nearest_doc["library"]["episodes"] == 3 and len(listed["episodes"]) == 3
    assert [p["rank"] for p in nearest_doc["precedents"]] == [1, 2, 3]
    p = nearest_doc["precedents"][0]
    assert p["sources"][0] == {"author": "Test Author", "title": "A fictional report", "year": 2002,
                               "link": "https://example.org/a"}
    assert nearest_doc["rule"]["factor_weights"]["leverage"] == 2 and nearest_doc["rule"]["fact_weight"] == 0.25
    e = shown["episode"]
    assert [s["in_force"] for s in e["stages"]][-1] == ["legal_review", "export_controls", "independent_monitoring"]
    assert [m["tool"] for m in e["stages"][2]["lifted"]] == ["demarche"] and e["security"]["what"] == "riot-gear sales stayed suspended."


def test_list_and_show_in_text(capsys, catalog_dir):
    code, out, _ = run(capsys, "cases", "--catalog", str(catalog_dir), "--list")
    assert code == 0 and out.startswith("3 episodes in ")
    assert sum(line.startswith("ruritania_") for line in out.splitlines()) == 3
    code, out, _ = run(capsys, "cases", "--catalog", str(catalog_dir), "--show", "ruritania_testland_2001")
    assert code == 0
    assert "  1. Test Author, \"A fictional report\" (2002) <https://example.org/a>" in out
    assert "Testland retaliated (minor): Testland recalled its ambassador for consultations." in out
    assert "package in force: Legal review, Export controls, Independent monitoring" in out


@pytest.mark.parametrize("argv, message", [
    (["--factors", "levrage=7"], "unknown factor 'levrage' (did you mean 'leverage'?)"),
    (["--factors", "leverage=11"], "leverage must be between 0 and 10, got 11"),
    (["--factors", "leverage=-1"], "leverage must be between 0 and 10, got -1"),
    (["--factors", "leverage"], "expected name=value"),
    (["--factors", "leverage=nan"], "expected a finite number"),
    (["--factors", "leverage=1,leverage=2"], "'leverage' given twice"),
    (["--facts", "no_such_fact"], "unknown fact 'no_such_fact'"),
    (["--top", "0"], "top must be a whole number from 1 to 500"),
    (["--show", "no_such_episode"], "unknown episode 'no_such_episode'"),
    (["--scenario", "no_such_scenario"], "unknown scenario 'no_such_scenario'"),
    (["--list", "--top", "2"], "--list and --show take no"),
])
def test_bad_options_are_one_line_errors(capsys, catalog_dir, argv, message):
    code, out, err = run(capsys, "cases", "--catalog", str(catalog_dir), *argv)
    assert code == 2 and out == ""
    assert message in err and err.count("\n") == 1, err


def test_a_bad_case_file_of_the_catalogue_is_one_line_naming_it(capsys, catalog_dir, tmp_path):
    dest = tmp_path / "data"
    shutil.copytree(catalog_dir, dest)
    path = dest / "cases" / "ruritania_testland_2001.yaml"
    path.write_text(path.read_text().replace("leverage: {value: 8", "leverage: {value: 18"))
    for argv in (["cases"], ["explain", "demarche"]):
        code, _, err = run(capsys, *argv, "--catalog", str(dest))
        assert code == 2 and err.startswith("decision: error: cases/ruritania_testland_2001.yaml") and \
            err.count("\n") == 1, err


# ----------------------------------------------------------------------------------------------------------------
# explain

def test_explain_names_the_precedents_with_a_similar_package(capsys, catalog_dir):
    code, out, _ = run(capsys, "explain", "--catalog", str(catalog_dir), "--scenario", "arms_dependent_client",
                       "demarche", "legal_review")
    assert code == 0
    section = out.split("Precedents with a similar package", 1)[1].splitlines()
    assert section[0].startswith(" (of the 2 episodes within 0.25 of scenario arms_dependent_client")
    lines = [s for s in section if s.startswith("  - ")]
    # both near episodes had exactly this package at their first stage: similarity 1, nearer first
    assert [s.split(":")[0] for s in lines] == ["  - ruritania_armsland_2003", "  - ruritania_testland_2001"]
    assert "2001-03: démarche + legal review (shares démarche, legal review; similarity 1.00) -> Testland stalled; " \
           "in the end, after 12 months" \
        in lines[0]


def test_explain_without_episodes_says_so(capsys, tiny_dir, monkeypatch, tmp_path):
    empty = tmp_path / "cases"
    empty.mkdir()
    monkeypatch.setattr(decision.cases, "BUNDLED_CASES", empty)
    monkeypatch.setattr(decision.cli.cases_body, "BUNDLED_CASES", empty)
    code, out, _ = run(capsys, "explain", "--catalog", str(tiny_dir), "a")
    assert code == 0 and f"Precedents: none (no episode in {empty})." in out


def test_a_user_catalogue_that_the_bundled_library_does_not_fit(capsys, tiny_dir, monkeypatch):
    # the 3-tool catalogue has no cases/ folder: the bundled library (here the fixture) names tools it lacks
    monkeypatch.setattr(decision.cases, "BUNDLED_CASES", FIXTURE)
    monkeypatch.setattr(decision.cli.cases_body, "BUNDLED_CASES", FIXTURE)
    code, out, _ = run(capsys, "explain", "--catalog", str(tiny_dir), "a")
    assert code == 0 and "Precedents: not shown: the catalogue has no cases/ folder and the bundled case " \
                          "library does not fit it" in out
    code, _, err = run(capsys, "cases", "--catalog", str(tiny_dir))
    assert code == 2 and "bundled case library does not fit it" in err and err.count("\n") == 1
