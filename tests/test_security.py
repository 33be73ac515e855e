"""Hostile and careless input (issue 12): one clear line and exit 2, or a correct result; never a traceback, a hang,
a lost file or an input overwritten. Each test reproduces one report of the issue."""
from __future__ import annotations

import csv
import io
import os
import re
import shutil
import signal
import tempfile
import threading
from pathlib import Path

import pytest

import decision
from decision import export, files, safeio
from decision.catalog import BUNDLED
from decision.cli import main
from decision.errors import CatalogError, DecisionError
from decision.profiles import load_profile_file, make_profile, parse_profile, save_profile, to_yaml

CRIT = ("rights_protection", "security_continuity", "legitimacy", "escalation_risk")


def run(capsys, *argv):
    code = main([str(a) for a in argv])
    out, err = capsys.readouterr()
    return code, out, err


def one_line_error(code, err, *fragments, progress=False):
    assert code == 2, err
    lines = err.strip("\n").split("\n")
    if progress:                                  # brief says "making the briefing ..." before the run
        lines = [x for x in lines if not x.startswith("making the briefing")]
    assert len(lines) == 1 and lines[0].startswith("decision: error: "), err
    for f in fragments:
        assert f in lines[0], lines[0]
    return lines[0]


@pytest.fixture
def cat(tmp_path) -> Path:
    """An editable copy of the bundled catalogue (without its profiles)."""
    dest = tmp_path / "C"
    shutil.copytree(BUNDLED, dest, ignore=shutil.ignore_patterns("profiles"))
    return dest


def snapshot(folder: Path) -> dict:
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir()) if p.is_file()}


# ------------------------------------------------------------------------------------------------------ item 1

def test_brief_hands_the_notebook_the_profile_resolved_in_the_calling_folder(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("DECISION_PROFILES", raising=False)
    code, _, err = run(capsys, "weights", "save", "security-first", "--method", "direct", "--inputs",
                       "rights_protection=1,security_continuity=0,legitimacy=0,escalation_risk=0")
    assert code == 0, err
    seen = {}

    def fake_execute(parameters, executed, timeout=120):
        seen.update(parameters)
        raise KeyboardInterrupt               # stop before the notebook would run

    monkeypatch.setattr(export, "execute", fake_execute)
    code, _, err = run(capsys, "brief", "--profile", "security-first", "--out", "b.html")
    assert code == 130
    r = seen["resolved"]
    assert r["weights"] == {"rights_protection": 1.0, "security_continuity": 0.0, "legitimacy": 0.0,
                            "escalation_risk": 0.0}
    assert r["label"] == "profile 'security-first'" and r["method"] == "direct"


def test_prepare_briefing_uses_resolved_weights_not_a_lookup(bundled):
    from decision import briefing as B
    resolved = {"weights": {"rights_protection": 1.0, "security_continuity": 0.0, "legitimacy": 0.0,
                            "escalation_risk": 0.0}, "label": "profile 'security-first'", "method": "direct"}
    b = B.prepare_briefing(profile="security-first", resolved=resolved, robustness=False, top=2)
    assert b.weights.weights.to_dict() == resolved["weights"]
    with pytest.raises(DecisionError, match="one weight per criterion"):
        B.prepare_briefing(resolved={"weights": {"rights_protection": 1.0}}, robustness=False)


def test_a_profile_only_in_the_working_folder_is_found_before_the_run(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("DECISION_PROFILES", raising=False)
    assert run(capsys, "weights", "save", "only-here", "--method", "roc", "--inputs",
               "legitimacy>rights_protection>security_continuity>escalation_risk")[0] == 0
    seen = {}
    monkeypatch.setattr(export, "execute", lambda p, e, timeout=120: seen.update(p) or (_ for _ in ()).throw(
        KeyboardInterrupt))
    assert run(capsys, "brief", "--profile", "only-here", "--out", "b.html")[0] == 130
    assert seen["resolved"]["label"] == "profile 'only-here'"
    assert max(seen["resolved"]["weights"], key=seen["resolved"]["weights"].get) == "legitimacy"


# ------------------------------------------------------------------------------------------------------ item 2

def test_rank_refuses_to_write_over_its_own_catalogue(cat, capsys):
    before = snapshot(cat)
    code, _, err = run(capsys, "rank", "--catalog", cat, "--format", "csv", "--top", 2, "--out", cat / "scores.csv")
    one_line_error(code, err, "scores.csv", "input of this command")
    assert snapshot(cat) == before


def test_rank_refuses_a_symlink_a_fifo_and_a_folder(tiny_dir, tmp_path, capsys):
    real = tmp_path / "real.txt"
    real.write_text("keep")
    link = tmp_path / "link.txt"
    link.symlink_to(real)
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    for target, words in ((link, "symbolic link"), (fifo, "FIFO"), (tmp_path, "folder")):
        code, _, err = run(capsys, "rank", "--catalog", tiny_dir, "--out", target)
        one_line_error(code, err, words)
    assert link.is_symlink() and real.read_text() == "keep" and Path(fifo).is_fifo()


def test_a_device_is_never_an_output():
    with pytest.raises(DecisionError, match="character device"):
        files.check_output("/dev/null")


def test_rank_out_under_a_file_or_in_a_read_only_folder_is_one_line(tiny_dir, tmp_path, monkeypatch, capsys):
    plain = tmp_path / "plain.txt"
    plain.write_text("x")
    code, _, err = run(capsys, "rank", "--catalog", tiny_dir, "--out", plain / "sub" / "out.txt")
    one_line_error(code, err, "is a file, not a folder")

    def denied(*a, **k):
        raise PermissionError(13, "Permission denied")
    monkeypatch.setattr(tempfile, "mkstemp", denied)     # a read-only folder (root ignores chmod)
    code, _, err = run(capsys, "rank", "--catalog", tiny_dir, "--out", tmp_path / "out.txt")
    one_line_error(code, err, "Permission denied")


def test_brief_checks_out_before_the_run(tmp_path, monkeypatch, capsys):
    monkeypatch.setattr(export, "execute", lambda *a, **k: pytest.fail("the notebook must not run"))
    code, _, err = run(capsys, "brief", "--out", tmp_path)
    one_line_error(code, err, "folder")
    (tmp_path / "f").write_text("x")
    code, _, err = run(capsys, "brief", "--out", tmp_path / "f" / "b.html")
    one_line_error(code, err, "not a folder")


# ------------------------------------------------------------------------------------------------------ item 3

def alias_bomb(levels=9, width=9) -> str:
    lines = ["bomb_0: &b0 [t]"]
    for k in range(1, levels + 1):
        lines.append(f"bomb_{k}: &b{k} [{', '.join([f'*b{k - 1}'] * width)}]")
    return "\n".join(lines) + "\n"


def test_yaml_alias_bomb_is_refused_before_expansion(cat, capsys):
    text = (cat / "scenarios.yaml").read_text()
    (cat / "scenarios.yaml").write_text("x_bombs:\n" + "".join("  " + line + "\n" for line in
                                                              alias_bomb().splitlines()) + text)
    code, _, err = run(capsys, "tools", "--catalog", cat)
    one_line_error(code, err, "scenarios.yaml", "aliases count as copies")


def test_yaml_alias_count_is_limited():
    text = "a: &a 1\nb: [" + ", ".join(["*a"] * (safeio.MAX_YAML_ALIASES + 1)) + "]\n"
    with pytest.raises(DecisionError, match="more than 100 aliases"):
        safeio.parse_yaml(text, name="x.yaml")


def test_huge_max_tools_is_refused_at_once(tiny_dir, capsys):
    code, _, err = run(capsys, "rank", "--catalog", tiny_dir, "--max-tools", 10**12)
    one_line_error(code, err, "max_tools")
    assert decision.portfolios.candidate_count(29, 10**12) == 2**29   # no loop to k


def test_a_fifo_or_dev_zero_as_profile_fails_fast(tmp_path, capsys):
    fifo = tmp_path / "p.yaml"
    os.mkfifo(fifo)
    code, _, err = run(capsys, "rank", "--profile", fifo, "--max-tools", 2)
    one_line_error(code, err, "FIFO")
    zero = tmp_path / "z.yaml"
    zero.symlink_to("/dev/zero")
    code, _, err = run(capsys, "weights", "show", zero)
    one_line_error(code, err, "character device")


def test_a_huge_catalogue_file_is_refused_by_size(cat, capsys):
    with (cat / "interactions.csv").open("a") as fh:
        fh.write("x" * (safeio.MAX_CATALOG_FILE_BYTES + 1))
    code, _, err = run(capsys, "tools", "--catalog", cat)
    one_line_error(code, err, "interactions.csv", "above the limit")


def test_too_many_interactions_are_refused(cat, capsys):
    rows = (cat / "interactions.csv").read_text().splitlines()
    extra = [f"z{k:04d},synergy,demarche,private_letter,with,legitimacy,0.01,,r,s" for k in range(500)]
    (cat / "interactions.csv").write_text("\n".join(rows + extra) + "\n")
    code, _, err = run(capsys, "tools", "--catalog", cat)
    one_line_error(code, err, "interactions.csv", "more than 500 rows")


def test_more_tools_than_a_combination_mask_holds_is_one_line(tiny_dir, capsys):
    tools = (tiny_dir / "tools.csv").read_text().splitlines()
    last = tools[-1].split(",", 1)[1]
    (tiny_dir / "tools.csv").write_text("\n".join(tools + [f"extra_{k},{last}" for k in range(64)]) + "\n")
    code, _, err = run(capsys, "explain", "--catalog", tiny_dir, *[f"extra_{k}" for k in range(64)])
    one_line_error(code, err, "tools.csv", "more than 62 rows")


# ------------------------------------------------------------------------------------------------------ item 4

def test_an_invalid_yaml_date_is_just_text(cat, capsys, tmp_path):
    text = (cat / "model.yaml").read_text()
    (cat / "model.yaml").write_text(text.replace("complementarity:\n  value: 0.5\n  rationale: ",
                                                 "complementarity:\n  value: 0.5\n  rationale: 2024-13-01 "))
    assert "2024-13-01" in (cat / "model.yaml").read_text()
    assert run(capsys, "tools", "--catalog", cat)[0] == 0
    p = make_profile("dated", "roc", "rights_protection>legitimacy>security_continuity>escalation_risk", CRIT)
    folder = tmp_path / "profiles"
    folder.mkdir()
    (folder / "dated.yaml").write_text(to_yaml(p).replace(f"date: '{p.date}'", "date: 2024-13-01"))
    code, out, err = run(capsys, "weights", "list", "--profiles-dir", folder)
    assert code == 0, err
    assert "dated" in out and "invalid" not in out.split("dated", 1)[1].splitlines()[0]


def test_deeply_nested_yaml_is_one_line(cat, capsys):
    (cat / "model.yaml").write_text("a: " + "[" * 5000 + "]" * 5000 + "\n")
    code, _, err = run(capsys, "tools", "--catalog", cat)
    one_line_error(code, err, "model.yaml", "nested more than")


def test_a_250_character_profile_name_is_one_line(tmp_path, capsys):
    code, _, err = run(capsys, "weights", "save", "a" * 250, "--profiles-dir", tmp_path, "--method", "roc",
                       "--inputs", "rights_protection>legitimacy>security_continuity>escalation_risk")
    one_line_error(code, err, "up to 64")


def test_profiles_dir_that_is_a_file_is_one_line(tmp_path, capsys):
    f = tmp_path / "file"
    f.write_text("x")
    code, _, err = run(capsys, "weights", "save", "p", "--profiles-dir", f, "--method", "roc", "--inputs",
                       "rights_protection>legitimacy>security_continuity>escalation_risk")
    one_line_error(code, err, "is a file, not a folder")
    code, _, err = run(capsys, "weights", "list", "--profiles-dir", f)
    one_line_error(code, err, "is a file, not a folder")


@pytest.mark.parametrize("argv,fragment", [
    (["robustness", "--seed", "-1"], "seed must be"),
    (["robustness", "--samples", "1000000000"], "samples must be"),
    (["robustness", "--show", "-1"], "show must be"),
    (["weights", "roc", "100000000"], "at most 1,000"),
    (["brief", "--timeout", "0"], "timeout must be"),
    (["rank", "--top", "0"], "top must be"),
])
def test_out_of_range_counts_are_one_line(argv, fragment, capsys):
    one_line_error(*run(capsys, *argv)[::2], fragment)


def test_an_ahp_entry_of_1e308_is_one_line(tmp_path, capsys):
    f = tmp_path / "m.yaml"
    f.write_text("judgments:\n  rights_protection/legitimacy: 1e308\n  rights_protection/security_continuity: 3\n"
                 "  rights_protection/escalation_risk: 3\n  legitimacy/security_continuity: 1\n"
                 "  legitimacy/escalation_risk: 1\n  security_continuity/escalation_risk: 1\n")
    code, _, err = run(capsys, "weights", "ahp", f)
    one_line_error(code, err, "m.yaml")
    f.write_text(f.read_text().replace("1e308", "'1e308'"))
    one_line_error(*run(capsys, "weights", "ahp", f)[::2], "m.yaml")


def test_ctrl_c_during_a_brief_is_one_line_and_leaves_no_temporary_files(tmp_path, monkeypatch, capsys):
    made = []

    def interrupted(parameters, executed, timeout=120):
        made.append(Path(executed).parent)
        assert Path(executed).parent.is_dir()
        raise KeyboardInterrupt

    monkeypatch.setattr(export, "execute", interrupted)
    code, _, err = run(capsys, "brief", "--out", tmp_path / "b.html")
    lines = [x for x in err.strip().splitlines() if not x.startswith("making the briefing")]
    assert code == 130 and lines == ["decision: interrupted (temporary files removed)"]
    assert made and not made[0].exists() and list(tmp_path.iterdir()) == []


def test_sigterm_is_handled_like_ctrl_c(tiny_dir, monkeypatch, capsys):
    from decision.cli import ranking
    monkeypatch.setattr(ranking, "cmd_tools", lambda args: os.kill(os.getpid(), signal.SIGTERM) or 0)
    code, _, err = run(capsys, "tools", "--catalog", tiny_dir)
    assert code == 130 and "interrupted" in err


def test_brief_timeout_is_one_line(tmp_path, capsys):
    code, _, err = run(capsys, "brief", "--timeout", 1, "--samples", 100, "--out", tmp_path / "b.html")
    one_line_error(code, err, "timeout of 1 s", progress=True)
    assert not (tmp_path / "b.html").exists()


# ------------------------------------------------------------------------------------------------------ item 5

def test_duplicate_yaml_keys_are_refused(cat, capsys):
    text = (cat / "constraints.yaml").read_text()
    (cat / "constraints.yaml").write_text(text + "\nmax_tools: 3\n")
    code, _, err = run(capsys, "tools", "--catalog", cat)
    one_line_error(code, err, "constraints.yaml", "duplicate key 'max_tools'")


def test_duplicate_csv_header_columns_are_refused(tiny_dir, capsys):
    text = (tiny_dir / "scores.csv").read_text().splitlines()
    (tiny_dir / "scores.csv").write_text("\n".join([text[0] + ",change"] + [r + ",0" for r in text[1:]]) + "\n")
    code, _, err = run(capsys, "tools", "--catalog", tiny_dir)
    one_line_error(code, err, "scores.csv", "line 1", "'change' appears twice")


def test_numbers_with_underscores_are_refused(tiny_dir, capsys):
    lines = (tiny_dir / "scores.csv").read_text().splitlines()
    head = lines[0].split(",")
    row = next(csv.reader([lines[1]]))
    row[head.index("low")] = "0_5"
    buf = io.StringIO()
    csv.writer(buf, lineterminator="\n").writerow(row)
    lines[1] = buf.getvalue().strip()
    (tiny_dir / "scores.csv").write_text("\n".join(lines) + "\n")
    code, _, err = run(capsys, "tools", "--catalog", tiny_dir)
    one_line_error(code, err, "scores.csv", "line 2", "field 'low'", "0_5")
    with pytest.raises(DecisionError, match="not a plain number"):
        safeio.parse_yaml("value: 0_5\n", name="m.yaml")
    with pytest.raises(DecisionError, match="plain decimal"):
        decision.weights.parse_weights("rights_protection=0_5,security_continuity=1,legitimacy=1,escalation_risk=1",
                                       CRIT)


def test_a_duplicated_interaction_row_is_refused(cat, capsys):
    lines = (cat / "interactions.csv").read_text().splitlines()
    (cat / "interactions.csv").write_text("\n".join(lines + [lines[1]]) + "\n")
    code, _, err = run(capsys, "tools", "--catalog", cat)
    one_line_error(code, err, "interactions.csv", f"line {len(lines) + 1}", "given twice")


@pytest.mark.parametrize("effect", ["1e9", "1e308", "-1e308"])
def test_an_interaction_effect_beyond_its_scale_is_refused(cat, capsys, effect):
    lines = (cat / "interactions.csv").read_text().splitlines()
    row = next(csv.reader([lines[1]]))
    row[6] = effect
    buf = io.StringIO()
    csv.writer(buf, lineterminator="\n").writerow(row)
    lines[1] = buf.getvalue().strip()
    (cat / "interactions.csv").write_text("\n".join(lines) + "\n")
    code, _, err = run(capsys, "tools", "--catalog", cat)
    one_line_error(code, err, "interactions.csv", "line 2", "effect")


def test_weights_save_refuses_1e308_inputs(tmp_path, capsys):
    code, _, err = run(capsys, "weights", "save", "huge", "--profiles-dir", tmp_path, "--method", "direct",
                       "--inputs", "rights_protection=1e308,security_continuity=1e308,legitimacy=1e308,"
                                   "escalation_risk=1e308")
    one_line_error(code, err, "outside the accepted range")
    assert list(tmp_path.iterdir()) == []


def test_promethee_says_when_it_stops_at_its_shortlist(capsys):
    code, out, err = run(capsys, "rank", "--method", "promethee_ii", "--top", 100000, "--format", "csv")
    assert code == 0
    rows = [r for r in csv.reader(io.StringIO(out)) if r]
    assert len(rows) - 2 == decision.ranking.SHORTLIST          # header and the status-quo row
    assert "not 100,000" in err and "shortlist" not in err.split("not 100,000")[0]


def test_a_profile_name_with_a_trailing_newline_is_refused():
    with pytest.raises(DecisionError, match="profile name"):
        make_profile("rights-first\n", "roc", "rights_protection>legitimacy>security_continuity>escalation_risk",
                     CRIT)
    p = make_profile("x", "roc", "rights_protection>legitimacy>security_continuity>escalation_risk", CRIT)
    with pytest.raises(DecisionError, match="name"):
        parse_profile(to_yaml(p).replace("name: x", 'name: "x\\n"'), CRIT)


# ------------------------------------------------------------------------------------------------------ item 6

def test_csv_output_neutralises_spreadsheet_formulas(tiny_dir, capsys):
    evil = ['=HYPERLINK("http://x.example","y")', "@SUM(1+1)", "+1+cmd|' /C calc'!A0"]
    rows = list(csv.reader(io.StringIO((tiny_dir / "tools.csv").read_text())))
    for r, new in zip(rows[1:], evil):
        r[1] = new
    buf = io.StringIO()
    csv.writer(buf, lineterminator="\n").writerows(rows)
    (tiny_dir / "tools.csv").write_text(buf.getvalue())
    code, out, err = run(capsys, "rank", "--catalog", tiny_dir, "--format", "csv", "--top", 7)
    assert code == 0, err
    cells = [c for row in csv.reader(io.StringIO(out)) for c in row]
    assert not [c for c in cells if c.startswith(("=", "+", "@", "\t", "\r"))]
    assert any(c.startswith("'=HYPERLINK") for c in cells)


def test_neutralise_leaves_numbers_alone():
    import pandas as pd
    df = files.neutralise_csv(pd.DataFrame({"a": ["-x", "ok"], "b": [-1.5, 2.0]}))
    assert df["a"].tolist() == ["'-x", "ok"] and df["b"].tolist() == [-1.5, 2.0]


# ------------------------------------------------------------------------------------------------------ item 7

def test_concurrent_saves_of_a_new_name_have_exactly_one_winner(tmp_path):
    n = 40
    barrier = threading.Barrier(n)
    results = [None] * n

    def save(k):
        p = make_profile("race", "direct", {c: (k + 1 if c == "legitimacy" else 1) for c in CRIT}, CRIT,
                         rationale=f"writer {k}")
        barrier.wait()
        try:
            save_profile(p, tmp_path)
            results[k] = "ok"
        except DecisionError as exc:
            results[k] = str(exc)

    threads = [threading.Thread(target=save, args=(k,)) for k in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    winners = [k for k, r in enumerate(results) if r == "ok"]
    assert len(winners) == 1, results
    assert all("already exists" in r for r in results if r != "ok")
    saved = load_profile_file(tmp_path / "race.yaml", CRIT)
    assert saved.rationale == f"writer {winners[0]}"
    assert [p.name for p in tmp_path.iterdir()] == ["race.yaml"]


# ------------------------------------------------------------------------------------------------------ item 8

def test_encoding_errors_name_the_line(tiny_dir, capsys):
    data = (tiny_dir / "scores.csv").read_bytes().split(b"\n")
    data[3] = data[3] + b"\xff"
    (tiny_dir / "scores.csv").write_bytes(b"\n".join(data))
    code, _, err = run(capsys, "tools", "--catalog", tiny_dir)
    one_line_error(code, err, "scores.csv", "line 4", "UTF-8")


def test_field_size_errors_name_the_line(tiny_dir, capsys):
    lines = (tiny_dir / "tools.csv").read_text().splitlines()
    lines[2] = lines[2] + "x" * 200_000
    (tiny_dir / "tools.csv").write_text("\n".join(lines) + "\n")
    code, _, err = run(capsys, "tools", "--catalog", tiny_dir)
    one_line_error(code, err, "tools.csv", "line 3")


@pytest.mark.parametrize("exc", [KeyboardInterrupt, OSError])
def test_an_interrupted_write_leaves_no_tmp_file(tmp_path, monkeypatch, exc):
    target = tmp_path / "out.txt"
    target.write_text("old")

    def boom(*a, **k):
        raise exc()
    monkeypatch.setattr(os, "replace", boom)
    with pytest.raises((exc, DecisionError)):
        files.atomic_write_text(target, "new")
    assert [p.name for p in tmp_path.iterdir()] == ["out.txt"] and target.read_text() == "old"


def test_profile_files_are_read_with_a_size_limit(tmp_path):
    f = tmp_path / "big.yaml"
    f.write_text("name: big\n" + "# x\n" * (safeio.MAX_PROFILE_BYTES // 4 + 1))
    with pytest.raises(DecisionError, match="above the limit"):
        load_profile_file(f, CRIT)


def test_catalog_errors_never_format_a_huge_value(cat):
    (cat / "model.yaml").write_text((cat / "model.yaml").read_text().replace(
        "complementarity:", "complementarity_x: 1\ncomplementarity:\n  value: [" + ", ".join(["1"] * 5000) + "]\n"
        "  rationale: r\nx_old_complementarity:", 1))
    with pytest.raises(CatalogError) as err:
        decision.load_catalog(cat)
    assert len(str(err.value)) < 300


def test_brief_end_to_end_shows_the_profile_of_the_calling_folder(tmp_path, monkeypatch, capsys):
    """The reproduction of item 1, run for real: a user profile security-first (saved in $DECISION_HOME/profiles by
    the calling process) beats the bundled preset."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("DECISION_PROFILES", raising=False)
    assert run(capsys, "weights", "save", "security-first", "--method", "direct", "--rationale",
               "marker-saved-in-the-working-folder", "--inputs",
               "rights_protection=1,security_continuity=0,legitimacy=0,escalation_risk=0")[0] == 0
    code, _, err = run(capsys, "brief", "--profile", "security-first", "--samples", 200, "--out", "b.html")
    assert code == 0, err
    assert "marker-saved-in-the-working-folder" in (tmp_path / "b.html").read_text(encoding="utf-8")


def test_real_ctrl_c_during_a_brief_is_one_line_exit_130_and_cleans_up(tmp_path):
    """Item 4/8 for real: SIGINT to a running `decision brief` (kernel started) gives one line, exit 130, and
    leaves neither the output, a .tmp file nor a temporary folder."""
    import subprocess
    import sys
    import time
    tmp = tmp_path / "tmp"
    tmp.mkdir()
    env = {**os.environ, "TMPDIR": str(tmp), "PYTHONPATH": str(Path(decision.__file__).parent.parent)}
    proc = subprocess.Popen([sys.executable, "-c", "import sys; from decision.cli import main; sys.exit(main())", "brief", "--samples", "200", "--out", "b.html"],
                            cwd=tmp_path, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    first = proc.stderr.readline()                   # "making the briefing ..." comes just before the run
    assert first.startswith("making the briefing"), first
    time.sleep(3)
    proc.send_signal(signal.SIGINT)
    out, err = proc.communicate(timeout=120)
    assert proc.returncode == 130, err
    assert err.strip().splitlines() == ["decision: interrupted (temporary files removed)"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["tmp"] and list(tmp.iterdir()) == []


@pytest.mark.parametrize("text,fragment", [
    ("a: &a [1, *a]\n", "contains it"),                      # a recursive structure (printing it never ends)
    ("a: .inf\n", "accepted range"),
    ("a: 1e400\n", "accepted range"),
    ("a: 1:30\n", "not a plain number"),                     # YAML 1.1 reads this as 90
    ("a: 1\na: 2\n", "duplicate key 'a' (first at line 1)"),
])
def test_safe_yaml_loader_refuses(text, fragment):
    with pytest.raises(DecisionError, match=re.escape(fragment)):
        safeio.parse_yaml(text, name="t.yaml")


def test_safe_yaml_loader_keeps_dates_as_text_and_merges_keys():
    assert safeio.parse_yaml("d: 2024-01-31\nbad: 2024-13-01\nb: &b {k: 1}\nm:\n  <<: *b\n  j: 2\n", name="t") == {
        "d": "2024-01-31", "bad": "2024-13-01", "b": {"k": 1}, "m": {"k": 1, "j": 2}}


@pytest.mark.parametrize("value", ["'1e308'", "1e308", "'0_5'", "'nan'"])
def test_quoted_or_unquoted_huge_numbers_in_catalogue_yaml_are_refused(tiny_dir, capsys, value):
    """YAML 1.1 reads 1e308 (no dot) and '1e308' as text that pydantic turned into a float: a rule of 1e308 points
    per factor step made scores infinite (and +inf - inf = nan)."""
    path = tiny_dir / "scenarios.yaml"
    path.write_text(path.read_text().replace("per_point: 0.2", f"per_point: {value}"))
    code, _, err = run(capsys, "rank", "--catalog", tiny_dir)
    one_line_error(code, err, "scenarios.yaml")


def test_a_hard_link_to_an_input_is_not_an_output(cat, tmp_path, capsys):
    alias = tmp_path / "also-scores.csv"
    os.link(cat / "scores.csv", alias)
    before = snapshot(cat)
    code, _, err = run(capsys, "rank", "--catalog", cat, "--format", "csv", "--top", 2, "--out", alias)
    one_line_error(code, err, "input of this command")
    assert snapshot(cat) == before


HOSTILE_YAML = ["a: &a [1, *a]\n", "a: .inf\n", "a: 1e400\n", "a: 1:30\n", "a: 1\na: 2\n", "a: 0_5\n", "a: 1e308\n",
                "a: &a 1\nb: [" + ", ".join(["*a"] * (safeio.MAX_YAML_ALIASES + 1)) + "]\n",
                "[" * (safeio.MAX_YAML_DEPTH + 5) + "]" * (safeio.MAX_YAML_DEPTH + 5), "a: " + "[" * 5000 + "]" * 5000,
                "a: &a [" + ", ".join(["x"] * 50) + "]\nb: &b [" + ", ".join(["*a"] * 60) + "]\nc: [" +
                ", ".join(["*b"] * 70) + "]\n",                # 50 x 60 x 70 values once expanded
                "- !!python/object/apply:os.system ['true']\n", "a: *nope\n", "d: 2024-01-31\nm: {<<: {k: 1}, j: 2}\n"]
SYNTAX_ERRORS = ["a: [\n", "x: \x07\n", "\t- a\n", "a: b: c\n"]


@pytest.mark.parametrize("text", HOSTILE_YAML + SYNTAX_ERRORS)
def test_libyaml_parser_under_the_safe_loader_refuses_and_accepts_alike(text):
    """Issue 18: catalogue YAML is parsed by libyaml's C parser under the same Python composer and limits; every
    hostile document gets the same answer as with the pure-Python loader: the same value, or the same error at the
    same line (for a plain syntax error libyaml words the message its own way)."""
    def answer(loader):
        try:
            return safeio.parse_yaml(text, name="t.yaml", loader=loader)
        except DecisionError as exc:
            return ("error", exc.where, exc.problem if text not in SYNTAX_ERRORS else "invalid YAML")
    assert safeio.FastSafeLoader is not safeio.SafeLoader                 # PyYAML here is built with libyaml
    assert answer(safeio.FastSafeLoader) == answer(safeio.SafeLoader)


def test_bundled_yaml_reads_the_same_with_the_libyaml_parser():
    for path in sorted(BUNDLED.rglob("*.yaml")):
        text = path.read_text(encoding="utf-8")
        assert safeio.parse_yaml(text, name=path.name, loader=safeio.FastSafeLoader) == \
            safeio.parse_yaml(text, name=path.name, loader=safeio.SafeLoader)
