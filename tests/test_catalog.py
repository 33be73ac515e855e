"""Loading the catalogue: the bundled data is complete, and every bad input gives a one-line error naming file,
row/key and field."""
from __future__ import annotations

import re

import pytest

import decision
from decision import CatalogError, DecisionError, load_catalog
from decision.cli import main
from decision.weights import direct, parse_weights


def edit(folder, name, old, new, count=1):
    path = folder / name
    text = path.read_text()
    assert old in text, f"{old!r} not in {name}"
    path.write_text(text.replace(old, new, count))


# ------------------------------------------------------------------------------------------------ bundled data

def test_bundled_catalogue_covers_the_seed(bundled):
    assert len(bundled.tools) >= 25
    assert bundled.criterion_ids == ["rights_protection", "security_continuity", "legitimacy", "escalation_risk"]
    assert [c.direction for c in bundled.criteria] == ["benefit", "benefit", "benefit", "cost"]
    assert len({i.id for i in bundled.interactions}) >= 15
    assert len(bundled.scenarios) >= 5
    assert "full_security_suspension" in bundled.constraints.excluded_by_premise


def test_every_bundled_score_has_range_rationale_and_source(bundled):
    assert (bundled.low <= bundled.score).all() and (bundled.score <= bundled.high).all()
    for (tool, crit), (rationale, source) in bundled.notes.items():
        assert rationale.strip() and source.strip(), (tool, crit)
    assert len(bundled.notes) == len(bundled.tools) * len(bundled.criteria)


def test_seed_quotes_in_sources_are_verbatim(bundled):
    seed = (decision.catalog.BUNDLED.parent.parent / "shared" / "seed")
    files = list(seed.glob("*.txt")) if seed.is_dir() else []
    if not files:
        pytest.skip("shared/seed not beside the project")
    lines = files[0].read_text(encoding="utf-8").splitlines()
    sources = [s for _, s in bundled.notes.values()] + [i.source for i in bundled.interactions]
    sources += [r.source for r in bundled.rules]
    checked = 0
    for src in sources:
        for line, quote in re.findall(r"seed L(\d+): «([^»]+)»", src):
            assert quote in lines[int(line) - 1], (line, quote)
            checked += 1
    assert checked > 50


def test_a_fifth_criterion_needs_only_data(tiny_dir):
    edit(tiny_dir, "criteria.csv", "e,Escalation,cost,2,0,10,test criterion",
         "e,Escalation,cost,2,0,10,test criterion\nt,Time to effect,cost,5,0,10,months until effect")
    with (tiny_dir / "scores.csv").open("a") as fh:
        fh.write("a,t,-1,-2,0,fast,hand\nb,t,4,3,5,slow,hand\nc,t,-2,-3,-1,fast,hand\n")
    cat = load_catalog(tiny_dir)
    assert cat.criterion_ids[-1] == "t"
    p = decision.build_portfolios(cat)
    assert p.values.shape == (7, 5)
    # t is a cost, status quo 5 (goodness 0.5): b's harm 0.4 -> 0.3; then a's improvement 0.1 -> 0.3 + 0.7 * 0.1
    assert p.values[p.find(["a", "b"]), 4] == pytest.approx(10 - 10 * 0.37)
    df = decision.rank(p, method="wsm", top=3)
    assert "t" in df.columns


# ------------------------------------------------------------------------------------------------ bad input

BAD = [
    # (file, old, new, expected message fragments)
    ("scores.csv", "a,r,4,3,5", "a,r,abc,3,5", ["scores.csv", "line 2", "field 'change'", "abc"]),
    ("scores.csv", "a,r,4,3,5", "a,r,nan,3,5", ["scores.csv", "line 2", "field 'change'", "finite"]),
    ("scores.csv", "a,r,4,3,5", "a,r,11,3,12", ["scores.csv", "line 2", "field 'change'", "outside -10..10"]),
    ("scores.csv", "a,r,4,3,5", "a,r,6,3,5", ["scores.csv", "line 2", "field 'change'", "outside its own range"]),
    ("effort.csv", "a,1,test,hand", "a,-1,test,hand", ["effort.csv", "line 2", "field 'effort'"]),
    ("effort.csv", "a,1,test,hand\n", "", ["effort.csv", "tool a", "no effort"]),
    ("criteria.csv", "r,Rights,benefit,2,0,10", "r,Rights,benefit,12,0,10", ["criteria.csv", "line 2",
                                                                            "field 'status_quo'", "outside the scale"]),
    ("interactions.csv", "x1,synergy,a,c,with,l,1,,", "x1,synergy,a,c,with,l,1,zz,",
     ["interactions.csv", "line 2", "field 'scales_with'", "unknown factor 'zz'"]),
    ("scores.csv", "a,r,4,3,5", "a,q,4,3,5", ["scores.csv", "line 2", "field 'criterion'", "unknown criterion 'q'"]),
    ("scores.csv", "a,r,4,3,5", "z,r,4,3,5", ["scores.csv", "line 2", "field 'tool'", "unknown tool 'z'"]),
    ("scores.csv", "a,s,0,-1,0", "a,r,0,-1,0", ["scores.csv", "line 3", "duplicate score for a / r"]),
    ("scores.csv", "a,s,0,-1,0,test,hand\n", "", ["scores.csv", "tool a", "no score", "'s'"]),
    ("scores.csv", "tool,criterion,change,low,high", "tool,criterion,score,low,high",
     ["scores.csv", "line 1", "missing column(s) change"]),
    ("tools.csv", "b,Tool B", "a,Tool B", ["tools.csv", "line 3", "duplicate tool id 'a'"]),
    ("tools.csv", "a,Tool A,signalling,1", "a,Tool A,signalling,one", ["tools.csv", "line 2", "field 'rung'"]),
    ("tools.csv", "a,Tool A,signalling,1", "a,nan,signalling,1", ["tools.csv", "line 2", "field 'name'",
                                                                   "reads as a number"]),
    ("criteria.csv", "r,Rights,benefit", "r,1e9,benefit", ["criteria.csv", "line 2", "field 'name'",
                                                           "reads as a number"]),
    ("criteria.csv", "benefit,2,0,10", "benefit,2,10,0", ["criteria.csv", "line 2", "scale_max"]),
    ("interactions.csv", "x1,synergy,a,c", "x1,synergy,a,zz", ["interactions.csv", "line 2", "field 'tools_b'",
                                                                 "unknown tool 'zz'"]),
    ("scenarios.yaml", "default_scenario: base", "default_scenario: nowhere",
     ["scenarios.yaml", "field 'default_scenario'", "unknown scenario 'nowhere'"]),
    ("scenarios.yaml", "factors: {f: 10}", "factors: {f: 10, g: 3}", ["scenarios.yaml", "scenarios[1] (hot)",
                                                                       "unknown factor 'g'"]),
    ("scenarios.yaml", "factors: {f: 10}", "factors: {f: 12}", ["scenarios.yaml", "scenarios[1]", "factors.f"]),
    ("scenarios.yaml", "tools: [b]", "tools: [nope]", ["scenarios.yaml", "rules[0] (f_helps_b)", "unknown tool"]),
    ("constraints.yaml", "prerequisites: []", "prerequisites: [{id: p1, tool: a, requires_any: [b]}, "
                                              "{id: p2, tool: b, requires_any: [a]}]",
     ["constraints.yaml", "prerequisites", "cycle", "a -> b -> a"]),
    ("constraints.yaml", "prerequisites: []\nforced_in: []\nforced_out: []",
     "prerequisites: [{id: p1, tool: a, requires_any: [b]}]\nforced_in: []\nforced_out: [b]",
     ["constraints.yaml", "prerequisites", "can never be met"]),
    ("constraints.yaml", "forced_in: []", "forced_in: [ghost]", ["constraints.yaml", "field 'forced_in'",
                                                                "unknown tool 'ghost'"]),
    ("model.yaml", "value: 0.5, rationale: test}\nredundancy", "value: 1.5, rationale: test}\nredundancy",
     ["model.yaml", "complementarity"]),
    ("model.yaml", "  criterion: r\n", "  criterion: zz\n", ["model.yaml", "time_horizon", "unknown criterion 'zz'"]),
    ("model.yaml", "{days: 0.25, weeks: 1,", "{days: 0.25,", ["model.yaml", "time_horizon", "lead time 'weeks'"]),
]


@pytest.mark.parametrize("name,old,new,fragments", BAD, ids=[f"{b[0]}:{'/'.join(b[3][1:3])}" for b in BAD])
def test_bad_catalogue_input_names_file_row_and_field(tiny_dir, name, old, new, fragments):
    edit(tiny_dir, name, old, new)
    with pytest.raises(CatalogError) as err:
        load_catalog(tiny_dir)
    msg = str(err.value)
    assert "\n" not in msg
    for frag in fragments:
        assert frag in msg, (frag, msg)


def test_missing_file_is_named(tiny_dir):
    (tiny_dir / "interactions.csv").unlink()
    with pytest.raises(CatalogError, match=r"interactions.csv: file not found"):
        load_catalog(tiny_dir)


def test_unknown_scenario_is_named(tiny):
    with pytest.raises(CatalogError, match="unknown scenario 'mars'; known: base, hot"):
        decision.build_portfolios(tiny, "mars")


def test_yaml_is_loaded_safely(tiny_dir):
    (tiny_dir / "model.yaml").write_text("complementarity: !!python/object/apply:os.system ['echo pwned']\n")
    with pytest.raises(CatalogError, match="model.yaml.*invalid YAML"):
        load_catalog(tiny_dir)


@pytest.mark.parametrize("weights,fragment", [
    ({"r": -1, "s": 1, "l": 1, "e": 1}, "weight of 'r' is negative"),
    ({"r": float("nan"), "s": 1, "l": 1, "e": 1}, "weight of 'r' is nan"),
    ({"r": 0, "s": 0, "l": 0, "e": 0}, "all weights are zero"),
    ({"r": 1, "s": 1, "l": 1}, "weights miss criterion 'e'"),
    ({"r": 1, "s": 1, "l": 1, "e": 1, "x": 1}, "unknown criterion 'x'"),
])
def test_bad_weights_are_rejected(weights, fragment):
    with pytest.raises(DecisionError, match=re.escape(fragment)):
        direct(weights, ["r", "s", "l", "e"])


def test_weights_string_parses_and_normalises():
    w = parse_weights("r=2, s=1,l=1,e=0", ["r", "s", "l", "e"])
    assert w.to_dict() == {"r": 0.5, "s": 0.25, "l": 0.25, "e": 0.0}
    with pytest.raises(DecisionError, match="expected name=value"):
        parse_weights("r:2", ["r"])


# ------------------------------------------------------------------------------------------------ CLI errors

def test_cli_prints_one_line_and_exits_2_on_bad_catalogue(tiny_dir, capsys):
    edit(tiny_dir, "scores.csv", "a,r,4,3,5", "a,r,x,3,5")
    assert main(["rank", "--catalog", str(tiny_dir)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith("decision: error: scores.csv, line 2, field 'change'")


@pytest.mark.parametrize("args,fragment", [
    (["rank", "--weights", "r=-1,s=1,l=1,e=1"], "negative"),
    (["rank", "--weights", "r=0,s=0,l=0,e=0"], "all weights are zero"),
    (["rank", "--scenario", "mars"], "unknown scenario 'mars'"),
    (["rank", "--method", "magic"], "invalid choice"),
    (["rank", "--max-tools", "0"], "max_tools must be"),
    (["explain", "a", "zz"], "unknown tool 'zz'"),
])
def test_cli_user_mistakes_exit_2_with_one_line(tiny_dir, capsys, args, fragment):
    assert main([*args, "--catalog", str(tiny_dir)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and fragment in err


def test_cli_lists_ids_first(capsys, bundled):
    assert main(["tools"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert [ln.split()[0] for ln in lines] == bundled.tool_ids
    assert main(["scenarios"]) == 0
    out = capsys.readouterr().out.splitlines()
    assert [ln.split()[0] for ln in out[::2]] == [s.id for s in bundled.scenarios]
