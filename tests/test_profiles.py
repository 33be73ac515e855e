"""Named weight profiles: round-trip, validation on load, atomic save, lookup order, bundled presets, CLI."""
from __future__ import annotations

import dataclasses
import os
from pathlib import Path

import pytest
import yaml

import decision.files
from decision import profiles as P
from decision.cli import main
from decision.errors import DecisionError

CRIT = ["rights_protection", "security_continuity", "legitimacy", "escalation_risk"]
PRESETS = ["balanced", "rights-first", "security-first", "de-escalation-first"]


@pytest.fixture(autouse=True)
def _no_user_profiles(tmp_path, monkeypatch):
    """Each test gets an empty user profile folder (never the developer's ./profiles)."""
    monkeypatch.setenv(P.PROFILES_ENV, str(tmp_path / "user-profiles"))


def _roc_profile(name="team-a", order="legitimacy > rights_protection = security_continuity > escalation_risk"):
    return P.make_profile(name, "roc", order, CRIT, author="A. Analyst", rationale="Why: shared pressure lasts.\n"
                          "Second line.")


# ----------------------------------------------------------------------------------------------------------------
# Round trip

@pytest.mark.parametrize("method, inputs", [
    ("roc", "legitimacy > rights_protection = security_continuity > escalation_risk"),
    ("rank_sum", [["rights_protection"], ["legitimacy"], ["security_continuity", "escalation_risk"]]),
    ("rank_reciprocal", "escalation_risk>security_continuity>legitimacy>rights_protection"),
    ("swing", "rights_protection=100,legitimacy=60,security_continuity=50,escalation_risk=40"),
    ("direct", {"rights_protection": 4, "security_continuity": 3, "legitimacy": 2, "escalation_risk": 0}),
    ("ahp", [[1, 3, 2, 5], ["1/3", 1, "1/2", 2], ["1/2", 2, 1, 3], ["1/5", "1/2", "1/3", 1]]),
])
def test_profile_round_trips_through_a_file(tmp_path, method, inputs):
    p = P.make_profile("round-trip", method, inputs, CRIT, author="Me", rationale="Because.")
    path = P.save_profile(p, tmp_path)
    assert path == tmp_path / "round-trip.yaml"
    q = P.load_profile("round-trip", CRIT, directory=tmp_path)
    assert (q.name, q.method, q.author, q.date, q.rationale) == (p.name, p.method, p.author, p.date, p.rationale)
    assert q.weights.to_dict() == pytest.approx(p.weights.to_dict(), abs=1e-9)
    assert dict(q.inputs) == dict(p.inputs) or method == "ahp"
    assert q.path == path
    assert p.weights.sum() == pytest.approx(1)


def test_saved_file_is_readable_yaml_with_all_fields(tmp_path):
    path = P.save_profile(_roc_profile(), tmp_path)
    text = path.read_text()
    doc = yaml.safe_load(text)
    assert list(doc) == ["name", "author", "date", "method", "inputs", "weights", "rationale"]
    assert doc["inputs"] == {"order": "legitimacy > rights_protection = security_continuity > escalation_risk"}
    assert doc["weights"]["legitimacy"] == pytest.approx(0.520833, abs=1e-6)   # ROC rank 1 of 4
    assert doc["rationale"] == "Why: shared pressure lasts.\nSecond line."
    assert text.startswith("# Weight profile")


def test_ahp_inputs_are_stored_as_readable_judgments(tmp_path):
    p = P.make_profile("pairwise", "ahp", {"legitimacy/rights_protection": "1/3", "rights_protection/"
                                           "security_continuity": 2, "rights_protection/escalation_risk": 4,
                                           "security_continuity/legitimacy": 1, "security_continuity/"
                                           "escalation_risk": 2, "legitimacy/escalation_risk": 2}, CRIT)
    doc = yaml.safe_load(P.to_yaml(p))
    assert doc["inputs"]["judgments"]["rights_protection/legitimacy"] == 3      # ratio >= 1, more/less
    assert all(v >= 1 for v in doc["inputs"]["judgments"].values())
    assert p.ahp.consistency_ratio < 0.1


def test_profile_is_immutable():
    p = _roc_profile()
    with pytest.raises(dataclasses.FrozenInstanceError):
        p.name = "other"
    with pytest.raises(TypeError):
        p.inputs["order"] = "x"
    w = p.weights
    w.loc["legitimacy"] = 0.0
    assert p.weights["legitimacy"] > 0.5                    # .weights is a fresh Series every time


# ----------------------------------------------------------------------------------------------------------------
# Validation on load

def _write(tmp_path, text, name="edited.yaml") -> Path:
    path = tmp_path / name
    path.write_text(text)
    return path


def test_load_rejects_weights_that_do_not_match_inputs(tmp_path):
    text = P.to_yaml(_roc_profile()).replace("legitimacy: 0.520833", "legitimacy: 0.6")
    path = _write(tmp_path, text)
    with pytest.raises(DecisionError) as exc:
        P.load_profile(str(path), CRIT)
    msg = str(exc.value)
    assert str(path) in msg and "field 'weights.legitimacy'" in msg and "give 0.5208" in msg


def test_load_rejects_criteria_not_in_catalogue(tmp_path):
    path = _write(tmp_path, P.to_yaml(_roc_profile()))
    with pytest.raises(DecisionError, match="field 'inputs'.*unknown criterion 'legitimacy'"):
        P.load_profile(str(path), ["rights_protection", "security_continuity", "escalation_risk", "cost"])


@pytest.mark.parametrize("edit, message", [
    (lambda d: d.pop("weights"), "field 'weights': missing"),
    (lambda d: d.update(colour="blue"), "field 'colour': unknown key"),
    (lambda d: d.update(method="magic"), "field 'method': unknown method 'magic'"),
    (lambda d: d.update(name="Has Spaces"), "field 'name'"),
    (lambda d: d["weights"].pop("legitimacy"), "field 'inputs'|no weight for criterion 'legitimacy'"),
    (lambda d: d.update(inputs={"points": {"a": 1}}), "field 'inputs'.*single key 'order'"),
    (lambda d: d["weights"].update(extra=0.1), "field 'weights': unknown criterion 'extra'"),
])
def test_load_errors_name_file_and_field(tmp_path, edit, message):
    doc = yaml.safe_load(P.to_yaml(_roc_profile()))
    edit(doc)
    path = _write(tmp_path, yaml.safe_dump(doc, sort_keys=False))
    with pytest.raises(DecisionError, match=message) as exc:
        P.load_profile(str(path), CRIT)
    assert str(path) in str(exc.value)


def test_load_rejects_broken_yaml_with_line(tmp_path):
    path = _write(tmp_path, "name: x\nweights: [unclosed\n")
    with pytest.raises(DecisionError, match="not valid YAML") as exc:
        P.load_profile(str(path), CRIT)
    assert "line" in str(exc.value) and str(path) in str(exc.value)


def test_unknown_profile_lists_available():
    with pytest.raises(DecisionError, match="unknown profile 'nope'; available: .*balanced"):
        P.load_profile("nope", CRIT)


def test_bad_method_and_name_when_making():
    with pytest.raises(DecisionError, match="unknown weighting method 'guess'"):
        P.make_profile("x", "guess", "a>b", CRIT)
    with pytest.raises(DecisionError, match="profile name '../evil'"):
        P.make_profile("../evil", "roc", "a>b", CRIT)


# ----------------------------------------------------------------------------------------------------------------
# Saving

def test_save_refuses_to_overwrite_unless_asked(tmp_path):
    P.save_profile(_roc_profile(), tmp_path)
    with pytest.raises(DecisionError, match="already exists"):
        P.save_profile(_roc_profile(), tmp_path)
    other = _roc_profile(order="rights_protection > legitimacy > security_continuity > escalation_risk")
    P.save_profile(other, tmp_path, overwrite=True)
    assert P.load_profile("team-a", CRIT, tmp_path).weights["rights_protection"] == pytest.approx(0.5208, abs=1e-4)


@pytest.mark.parametrize("fail_at", ["write", "replace"])
def test_interrupted_save_leaves_old_file_intact(tmp_path, monkeypatch, fail_at):
    path = P.save_profile(_roc_profile(), tmp_path)
    before = path.read_text()
    new = _roc_profile(order="escalation_risk > rights_protection > legitimacy > security_continuity")

    class Crash(RuntimeError):
        pass

    if fail_at == "replace":
        def boom(*a, **k):
            raise Crash("power cut during rename")
        monkeypatch.setattr(decision.files.os, "replace", boom)
    else:
        real_fdopen = os.fdopen

        def half_written(fd, *a, **k):
            fh = real_fdopen(fd, *a, **k)
            orig = fh.write

            def write(text):
                orig(text[: len(text) // 2])
                raise Crash("disk full mid-write")
            fh.write = write
            return fh
        monkeypatch.setattr(decision.files.os, "fdopen", half_written)
    with pytest.raises(Crash):
        P.save_profile(new, tmp_path, overwrite=True)
    monkeypatch.undo()
    assert path.read_text() == before
    assert [p.name for p in tmp_path.iterdir()] == ["team-a.yaml"]       # no temporary file left behind
    assert P.load_profile("team-a", CRIT, tmp_path).weights["legitimacy"] == pytest.approx(0.5208, abs=1e-4)


# ----------------------------------------------------------------------------------------------------------------
# Lookup order, listing, bundled presets

def test_user_profile_overrides_bundled_and_path_loads_directly(tmp_path):
    mine = P.make_profile("balanced", "roc", "rights_protection>legitimacy>security_continuity>escalation_risk", CRIT)
    P.save_profile(mine, tmp_path)
    assert P.load_profile("balanced", CRIT, tmp_path).method == "roc"
    assert P.load_profile("balanced", CRIT, tmp_path / "elsewhere").method == "swing"     # bundled
    assert P.load_profile(str(P.BUNDLED_PROFILES / "balanced.yaml"), CRIT).method == "swing"
    listing = P.list_profiles(tmp_path, CRIT)
    rows = listing[listing["name"] == "balanced"]
    assert rows["source"].tolist() == ["user", "bundled"]
    assert rows["status"].tolist() == ["ok", "overridden by user profile"]


def test_environment_variable_sets_user_folder(tmp_path, monkeypatch):
    folder = tmp_path / "env-folder"
    monkeypatch.setenv(P.PROFILES_ENV, str(folder))
    P.save_profile(_roc_profile("via-env"), None)
    assert (folder / "via-env.yaml").is_file()
    assert P.load_profile("via-env", CRIT).name == "via-env"


def test_saved_profiles_go_to_the_user_folder_never_the_working_folder(tmp_path, monkeypatch, capsys):
    """Issue 18: `decision weights save` from a checkout created ./profiles/ there; now it writes to
    $DECISION_HOME/profiles and the profile is found from any other folder."""
    monkeypatch.delenv(P.PROFILES_ENV)
    home, work, elsewhere = tmp_path / "home", tmp_path / "work", tmp_path / "elsewhere"
    work.mkdir()
    elsewhere.mkdir()
    monkeypatch.setenv(P.HOME_ENV, str(home))
    monkeypatch.chdir(work)
    assert main(["weights", "save", "my-view", "--method", "swing", "--inputs",
                 "rights_protection=100,legitimacy=60,security_continuity=50,escalation_risk=40"]) == 0
    assert f"saved: {home / 'profiles' / 'my-view.yaml'}" in capsys.readouterr().err
    assert list(work.iterdir()) == []
    monkeypatch.chdir(elsewhere)
    assert main(["rank", "--profile", "my-view", "--top", "1", "--max-tools", "2"]) == 0
    assert "rights_protection=0.40" in capsys.readouterr().out
    assert main(["weights", "list"]) == 0
    assert "my-view" in capsys.readouterr().out


def test_user_folder_precedence_and_xdg_default(tmp_path, monkeypatch):
    monkeypatch.delenv(P.PROFILES_ENV)
    monkeypatch.delenv(P.HOME_ENV)
    monkeypatch.setenv("HOME", str(tmp_path / "me"))
    monkeypatch.delenv("XDG_CONFIG_HOME", raising=False)
    assert P.user_dir() == tmp_path / "me" / ".config" / "decision" / "profiles"
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "cfg"))
    assert P.user_dir() == tmp_path / "cfg" / "decision" / "profiles"
    monkeypatch.setenv(P.HOME_ENV, str(tmp_path / "dh"))
    assert P.user_dir() == tmp_path / "dh" / "profiles"
    monkeypatch.setenv(P.PROFILES_ENV, str(tmp_path / "env"))
    assert P.user_dir() == tmp_path / "env"
    assert P.user_dir(tmp_path / "given") == tmp_path / "given"


def test_a_profile_left_in_an_old_profiles_folder_is_named_in_the_error(tmp_path, monkeypatch):
    monkeypatch.delenv(P.PROFILES_ENV)
    monkeypatch.chdir(tmp_path)
    (tmp_path / "profiles").mkdir()
    P.save_profile(_roc_profile("old-one"), tmp_path / "profiles")
    with pytest.raises(DecisionError, match=r"profiles/old-one.yaml is not searched: give its path"):
        P.load_profile("old-one", CRIT)
    assert P.load_profile("profiles/old-one.yaml", CRIT).name == "old-one"


def test_list_reports_invalid_files_instead_of_failing(tmp_path):
    (tmp_path / "broken.yaml").write_text("name: broken\n")
    listing = P.list_profiles(tmp_path, CRIT)
    row = listing[listing["name"] == "broken"].iloc[0]
    assert row["source"] == "user" and row["status"].startswith("invalid:")


def test_bundled_presets_load_with_rationale_and_expected_leaders(bundled):
    leaders = {"balanced": None, "rights-first": "rights_protection", "security-first": "security_continuity",
               "de-escalation-first": "escalation_risk"}
    for name in PRESETS:
        p = P.load_profile(name, bundled)
        assert p.rationale and p.author and p.date
        assert p.weights.sum() == pytest.approx(1)
        assert p.method != "direct"                           # presets come from an elicitation method
        if leaders[name]:
            assert p.weights.idxmax() == leaders[name]
        else:
            assert p.weights.tolist() == pytest.approx([0.25] * 4)
    assert P.load_profile("de-escalation-first", bundled).ahp.consistency_ratio < 0.1


# ----------------------------------------------------------------------------------------------------------------
# CLI

def test_cli_save_show_list_and_rank_with_profile(tmp_path, capsys):
    d = str(tmp_path)
    assert main(["weights", "save", "cli-made", "--method", "roc", "--inputs",
                 "rights_protection>legitimacy>security_continuity=escalation_risk", "--author", "Tester",
                 "--rationale", "testing", "--profiles-dir", d]) == 0
    captured = capsys.readouterr()
    assert "saved:" in captured.err and (tmp_path / "cli-made.yaml").is_file()
    assert main(["weights", "show", "cli-made", "--profiles-dir", d]) == 0
    assert "Tester" in capsys.readouterr().out
    assert main(["weights", "list", "--profiles-dir", d]) == 0
    out = capsys.readouterr().out
    assert "cli-made" in out and "de-escalation-first" in out
    assert main(["rank", "--profile", str(tmp_path / "cli-made.yaml"), "--top", "2", "--max-tools", "2"]) == 0
    assert "rights_protection=0.52" in capsys.readouterr().out


def test_cli_save_ahp_from_inline_judgments(tmp_path, capsys):
    judg = ("rights_protection/security_continuity=3,rights_protection/legitimacy=2,rights_protection/"
            "escalation_risk=5,legitimacy/security_continuity=2,security_continuity/escalation_risk=2,"
            "legitimacy/escalation_risk=3")
    assert main(["weights", "save", "pairwise", "--method", "ahp", "--inputs", judg,
                 "--profiles-dir", str(tmp_path)]) == 0
    assert "consistency ratio" in capsys.readouterr().out
    assert P.load_profile("pairwise", CRIT, tmp_path).weights.idxmax() == "rights_protection"


@pytest.mark.parametrize("argv, message", [
    (["weights", "show", "nope"], "unknown profile 'nope'"),
    (["weights", "save", "x", "--method", "roc", "--inputs", "rights_protection>legitimacy"], "misses criterion"),
    (["weights", "save", "Bad Name", "--method", "roc", "--inputs", "a"], "profile name"),
    (["rank", "--profile", "nope"], "unknown profile 'nope'"),
    (["rank", "--profile", "balanced", "--weights", "rights_protection=1"], "not both"),
])
def test_cli_profile_mistakes_exit_2_with_one_line(argv, message, capsys):
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and message in err


def test_cli_save_existing_needs_force(tmp_path, capsys):
    args = ["weights", "save", "dup", "--method", "swing", "--inputs",
            "rights_protection=100,security_continuity=50,legitimacy=50,escalation_risk=50",
            "--profiles-dir", str(tmp_path)]
    assert main(args) == 0
    assert main(args) == 2
    assert "already exists" in capsys.readouterr().err
    assert main([*args, "--force"]) == 0
