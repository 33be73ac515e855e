"""Structure-aware fuzzing of every catalogue file, reactions.yaml, the case library, a weight profile and the
briefing's output paths (issues 12 and 19).

Each example copies a catalogue and a profile to a temporary folder, mutates one file the way a careless or hostile
user might (a cell, a key, a misspelt key, a YAML 1.1 number, a type, a size, an encoding), runs the command line
in-process (``rank``; ``plan`` for reactions.yaml, ``cases`` for an episode) and asserts: exit 2 with exactly one line on stderr that names
an input file (or states a model-level limit), or exit 0 with a valid result; never a traceback, a hang or a changed
input file. A misspelt key in any YAML schema must be refused naming it. The output-path fuzz puts links, folders,
FIFOs, hard links to inputs and long names at a briefing's HTML, PDF and old ``.part`` paths and runs ``brief
--pdf`` (notebook and Chromium stubbed: the checks and the writer run for real): exit 0 with both files written as
regular files, or one line before any work; never an input or a link target changed, never a temporary file left.
Bounded: a fixed number of examples, each guarded by an alarm; CI runs hypothesis derandomized (tests/conftest.py).
"""
from __future__ import annotations

import csv
import io
import math
import os
import re
import shutil
import signal
import tempfile
from pathlib import Path

import pytest
import yaml
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from decision.catalog import BUNDLED, FILES
from decision.cli import main
from decision.profiles import make_profile, to_yaml

TINY = Path(__file__).parent / "fixtures" / "tiny"
PROFILE = "fuzzed.yaml"
REACTIONS = "reactions.yaml"
HANG_GUARD_S = 60          # an example that runs this long is a hang, not a slow input (typical: well under 1 s)
MODEL_LEVEL = ("no combination is feasible", "candidate combinations", "forced in", "forced-in", "exclusive",
               "prerequisite", "excluded by the premise", "forced out")
"""Errors about the model as a whole (no single file to blame): constraints that cannot be met together."""

NASTY_TEXT = ["", " ", "0_5", "1_000", "1e308", "-1e308", "1e9", "1e400", "nan", "inf", "-inf", "-1", "0", "11",
              "0x10", "1:30", "=HYPERLINK(\"http://x\")", "@SUM(1)", "+1+cmd|' /C calc'!A0", "a|b", "|", "a||b",
              "é", "１", "\x00", "\t", "\r", "line\nbreak", "\"", "'", ",", "2024-13-01", "yes", "null", "~",
              "x" * 300, "x" * 30_000, "Rights_Protection", "rights protection", "demarche", "r", "synergy",
              "without", "benefit", "cost", "days"]
YAML11_NUMBERS = ["010", "07", "0x10", "0b11", "0o10", "1:30", "1:30.5", "-010", "+0x1F", ".inf", "-.inf", ".nan",
                  "1_0"]
"""Unquoted forms YAML 1.1 reads as numbers in another base (or not finite); docs/security.md: plain decimal only."""
NASTY_YAML = [None, True, False, 0, -1, 11, 3.5, 1e308, "2024-13-01", "0_5", "", [], {}, ["x"], {"a": 1},
              "x" * 300, list(range(50)), [[[[[[1]]]]]], "=cmd", "r", "f", "demarche"]


# ------------------------------------------------------------------------------------------------ mutations

def _csv_rows(text: str) -> list[list[str]]:
    return list(csv.reader(io.StringIO(text)))


def _csv_text(rows) -> str:
    buf = io.StringIO()
    csv.writer(buf, lineterminator="\n").writerows(rows)
    return buf.getvalue()


def mutate_csv(data, text: str) -> bytes:
    rows = _csv_rows(text)
    kind = data.draw(st.sampled_from(["cell", "cell", "cell", "header", "dup_header", "drop_cell", "add_cell",
                                      "dup_row", "drop_row", "swap_rows", "grow", "truncate", "encoding",
                                      "bytes"]),
                     label="csv mutation")
    r = data.draw(st.integers(0, len(rows) - 1), label="row")
    c = data.draw(st.integers(0, max(len(rows[r]) - 1, 0)), label="column")
    value = data.draw(st.sampled_from(NASTY_TEXT) | st.text(max_size=12), label="value")
    if kind == "cell" and rows[r]:
        rows[r][c] = value
    elif kind == "header":
        rows[0][c] = value
    elif kind == "dup_header":
        rows[0].append(rows[0][c])
        for row in rows[1:]:
            row.append(value)
    elif kind == "drop_cell" and rows[r]:
        del rows[r][c]
    elif kind == "add_cell":
        rows[r].append(value)
    elif kind == "dup_row":
        rows.append(list(rows[r]))
    elif kind == "drop_row":
        del rows[r]
    elif kind == "grow":                      # past the row limits (safeio.ROW_LIMITS), with distinct ids
        n = data.draw(st.sampled_from([70, 600, 5_100]), label="copies")
        rows += [[f"{cell}_{k}" if j == 0 else cell for j, cell in enumerate(rows[r])] for k in range(n)]
    elif kind == "swap_rows":
        r2 = data.draw(st.integers(0, len(rows) - 1), label="row 2")
        rows[r], rows[r2] = rows[r2], rows[r]
    out = _csv_text(rows)
    if kind == "truncate":
        return out.encode()[:data.draw(st.integers(0, len(out)), label="cut")]
    if kind == "encoding":
        enc = data.draw(st.sampled_from(["latin-1", "utf-16", "utf-8-sig", "cp1252"]), label="encoding")
        return (out.replace("e", "é", 1)).encode(enc, errors="replace")
    if kind == "bytes":
        raw = out.encode()
        at = data.draw(st.integers(0, len(raw)), label="at")
        return raw[:at] + data.draw(st.binary(min_size=1, max_size=8), label="bytes") + raw[at:]
    return out.encode()


def _paths(node, prefix=()):
    yield prefix
    if isinstance(node, dict):
        for k, v in node.items():
            yield from _paths(v, (*prefix, k))
    elif isinstance(node, list):
        for i, v in enumerate(node):
            yield from _paths(v, (*prefix, i))


def _get(doc, path):
    for k in path:
        doc = doc[k]
    return doc


def mutate_yaml(data, text: str) -> bytes:
    doc = yaml.safe_load(text)
    kind = data.draw(st.sampled_from(["value", "value", "value", "delete", "add_key", "dup_key", "alias_bomb",
                                      "deep", "grow", "truncate", "encoding", "bytes", "not_a_mapping",
                                      "yaml11_number"]),
                     label="yaml mutation")
    paths = [p for p in _paths(doc) if p]
    path = data.draw(st.sampled_from(paths), label="path")
    parent = doc
    for k in path[:-1]:
        parent = parent[k]
    if kind == "value":
        parent[path[-1]] = data.draw(st.sampled_from(NASTY_YAML) | st.text(max_size=12) | st.integers() |
                                     st.floats(), label="value")
    elif kind == "delete":
        del parent[path[-1]]
    elif kind == "add_key" and isinstance(parent, dict):
        parent[data.draw(st.sampled_from(["x_note", "unknown", "max_tools", "id", "weights"]), label="key")] = \
            data.draw(st.sampled_from(NASTY_YAML), label="value")
    elif kind == "grow":                      # a long list (e.g. 2,000 copies of a rule or a scenario)
        lists = [p for p in paths if isinstance(_get(doc, p), list) and _get(doc, p)]
        if lists:
            target = _get(doc, data.draw(st.sampled_from(lists), label="list"))
            target.extend([target[0]] * data.draw(st.sampled_from([50, 2_000]), label="copies"))
    if kind in ("value", "delete", "add_key", "grow"):
        return yaml.safe_dump(doc, allow_unicode=True, sort_keys=False).encode()
    if kind == "dup_key":
        first = next(iter(doc))
        return (text + f"\n{first}: {yaml.safe_dump(doc[first], default_flow_style=True).strip()}\n").encode()
    if kind == "alias_bomb":
        lines = ["x_bomb_0: &b0 [t]"] + [f"x_bomb_{k}: &b{k} [{', '.join([f'*b{k - 1}'] * 9)}]" for k in range(1, 10)]
        return ("\n".join(lines) + "\n" + text).encode()
    if kind == "deep":
        n = data.draw(st.sampled_from([40, 5000]), label="depth")
        return (text + "\nx_deep: " + "[" * n + "]" * n + "\n").encode()
    if kind == "truncate":
        return text.encode()[:data.draw(st.integers(0, len(text)), label="cut")]
    if kind == "yaml11_number":               # an unquoted number YAML 1.1 reads in another base: always refused
        numbers = [m for m in re.finditer(r"(?<=: )-?\d+(?:\.\d+)?(?=[,}\s])", text)]
        if numbers:
            m = data.draw(st.sampled_from(numbers), label="number")
            literal = data.draw(st.sampled_from(YAML11_NUMBERS), label="literal")
            return (text[:m.start()] + literal + text[m.end():]).encode()
        return text.encode()
    if kind == "encoding":
        return (text + "\nx_note: é\n").encode(data.draw(st.sampled_from(["latin-1", "utf-16"]), label="enc"),
                                                errors="replace")
    if kind == "bytes":
        raw = text.encode()
        at = data.draw(st.integers(0, len(raw)), label="at")
        return raw[:at] + data.draw(st.binary(min_size=1, max_size=8), label="bytes") + raw[at:]
    return b"- just\n- a list\n"


def mutate(data, folder: Path, profile: Path) -> Path:
    target = data.draw(st.sampled_from([*(folder / f for f in FILES), profile]), label="file")
    text = target.read_text(encoding="utf-8")
    target.write_bytes(mutate_csv(data, text) if target.suffix == ".csv" else mutate_yaml(data, text))
    return target


# ------------------------------------------------------------------------------------------------ the check

class Hang(Exception):
    pass


def _alarm(signum, frame):
    raise Hang(f"no result after {HANG_GUARD_S} s")


def guarded(argv) -> int:
    old = signal.signal(signal.SIGALRM, _alarm)
    signal.alarm(HANG_GUARD_S)
    try:
        return main(argv)
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, old)


def one_line(err: str) -> str:
    lines = err.strip("\n").split("\n")
    assert len(lines) == 1 and lines[0].startswith("decision: error: "), err
    return lines[0]


ARGS = {"rank": ["--top", "3"], "plan": ["--reviews", "1"], "cases": ["--list"]}


def check(capsys, folder: Path, profile: Path, target: Path, extra=(), command="rank") -> tuple[int, str]:
    """Run ``command`` (rank, plan or cases) on the mutated inputs and check the outcome; returns (exit code,
    stderr)."""
    files = lambda: {p: p.read_bytes() for p in [*folder.rglob("*"), profile] if p.is_file()}  # noqa: E731
    before = files()
    argv = ["--catalog", str(folder)] + (["--profile", str(profile)] if command != "cases" else [])
    code = guarded([command, *argv, *ARGS[command], *extra])
    out, err = capsys.readouterr()
    assert files() == before, "an input file changed"
    assert code in (0, 2), (code, err)
    if code == 2:
        line = one_line(err)
        names = [*FILES, REACTIONS, str(profile), *(f"cases/{p.name}" for p in folder.glob("cases/*"))]
        assert any(n in line for n in names) or any(m in line for m in MODEL_LEVEL), \
            f"{target.name} mutated; the error names no input file: {line}"
    elif command == "cases":
        assert re.match(r"\d+ episodes in ", out), out
    elif command == "plan":
        assert out.startswith("Playbook: ") and "Expected over the horizon" in out, out
        assert not re.search(r"\b(nan|inf)\b", out), out
    else:
        assert "rank" in out and "pref" in out, out
        table = out.split("tools", 1)[1]
        assert not re.search(r"\b(nan|inf)\b", table), out
        prefs = [float(m) for m in re.findall(r"^\s*\d+\s+(-?[\d.]+)\s", table, flags=re.M)]
        assert prefs and all(math.isfinite(p) for p in prefs), out
    return code, err


CASES = [BUNDLED / "cases" / "us_chile_1976.yaml", Path(__file__).parent / "fixtures" / "cases" /
         "ruritania_testland_2001.yaml"]
"""Two episodes (a bundled one and the fictional test one) for a copied catalogue's own cases/ folder."""


def _setup(source: Path, tmp: Path, cases: bool = False) -> tuple[Path, Path]:
    folder = tmp / "catalogue"
    shutil.copytree(source, folder, ignore=shutil.ignore_patterns("profiles", "cases", "README.md"))
    if cases:
        (folder / "cases").mkdir()
        for p in CASES:
            shutil.copy(p, folder / "cases" / p.name)
    from decision.catalog import load_catalog
    crit = load_catalog(folder).criterion_ids
    order = ">".join(crit)
    profile = tmp / PROFILE
    profile.write_text(to_yaml(make_profile("fuzzed", "roc", order, crit, rationale="fuzz")), encoding="utf-8")
    return folder, profile


FUZZ = settings(max_examples=250, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture,
                                                                        HealthCheck.too_slow])


@FUZZ
@given(data=st.data())
def test_fuzzed_tiny_catalogue_and_profile(data, capsys):
    with tempfile.TemporaryDirectory() as tmp:
        folder, profile = _setup(TINY, Path(tmp))
        target = mutate(data, folder, profile)
        check(capsys, folder, profile, target)


@settings(FUZZ, max_examples=80)
@given(data=st.data())
def test_fuzzed_bundled_catalogue_and_profile(data, capsys):
    with tempfile.TemporaryDirectory() as tmp:
        folder, profile = _setup(BUNDLED, Path(tmp))
        target = mutate(data, folder, profile)
        check(capsys, folder, profile, target, extra=("--max-tools", "2"))


@pytest.mark.parametrize("source", [TINY, BUNDLED], ids=["tiny", "bundled"])
def test_unmutated_inputs_rank(source, tmp_path, capsys):
    folder, profile = _setup(source, tmp_path)
    check(capsys, folder, profile, profile, extra=("--max-tools", "2"))


# ------------------------------------------------------------------------------------------------ reactions.yaml

def fuzz_reactions(data, capsys, source: Path, extra=()):
    """reactions.yaml mutated like the other YAML files; ``decision plan`` reads it."""
    with tempfile.TemporaryDirectory() as tmp:
        folder, profile = _setup(source, Path(tmp))
        target = folder / REACTIONS
        target.write_bytes(mutate_yaml(data, target.read_text(encoding="utf-8")))
        check(capsys, folder, profile, target, extra=extra, command="plan")


@settings(FUZZ, max_examples=120)
@given(data=st.data())
def test_fuzzed_reactions_file(data, capsys):
    fuzz_reactions(data, capsys, TINY)


@settings(FUZZ, max_examples=30)
@given(data=st.data())
def test_fuzzed_bundled_reactions_file(data, capsys):
    fuzz_reactions(data, capsys, BUNDLED, ("--max-tools", "2"))


# ------------------------------------------------------------------------------------------------ case library

@settings(FUZZ, max_examples=60)
@given(data=st.data())
def test_fuzzed_case_library(data, capsys):
    """An episode file of a catalogue's own cases/ folder mutated; ``decision cases --list`` reads the library."""
    with tempfile.TemporaryDirectory() as tmp:
        folder, profile = _setup(BUNDLED, Path(tmp), cases=True)
        target = folder / "cases" / data.draw(st.sampled_from([p.name for p in CASES]), label="episode")
        target.write_bytes(mutate_yaml(data, target.read_text(encoding="utf-8")))
        check(capsys, folder, profile, target, command="cases")


# ------------------------------------------------------------------------------------------- misspelt YAML keys

CASE = "case library"
YAML_FILES = ("scenarios.yaml", "constraints.yaml", "model.yaml", REACTIONS, PROFILE, CASE)
DEFINITIONS = {(REACTIONS, ("features",))}
"""Mappings whose keys are defined by the file itself (a renamed feature is a new feature, not a typo)."""


def typo(data, key: str, siblings) -> str | None:
    """A near miss of ``key`` (a letter dropped, doubled or added, two letters swapped) that is no sibling key."""
    forms = {key[:-1], key + "s", key + key[-1], key[1:] if len(key) > 2 else key + "x"}
    if len(key) > 2:
        forms.add(key[0] + key[2] + key[1] + key[3:])
    forms = sorted(f for f in forms if f and f != key and f not in siblings)
    return data.draw(st.sampled_from(forms), label="typo") if forms else None


@settings(FUZZ, max_examples=150)
@given(data=st.data())
def test_a_misspelt_key_in_any_yaml_file_is_refused_naming_it(data, capsys):
    """Issue 19: unknown keys used to be ignored (``enable: false`` left a principle on). Now any misspelt key of
    any YAML schema is refused, naming the key (schemas add the closest known one)."""
    name = data.draw(st.sampled_from(YAML_FILES), label="file")
    source = BUNDLED if name == CASE else data.draw(st.sampled_from([TINY, BUNDLED]), label="catalogue")
    with tempfile.TemporaryDirectory() as tmp:
        folder, profile = _setup(source, Path(tmp), cases=name == CASE)
        target = (profile if name == PROFILE else folder / "cases" / CASES[1].name if name == CASE
                  else folder / name)
        doc = yaml.safe_load(target.read_text(encoding="utf-8"))
        maps = [p for p in _paths(doc) if isinstance(_get(doc, p), dict) and _get(doc, p)]
        path = data.draw(st.sampled_from(maps), label="mapping")
        parent = _get(doc, path)
        key = data.draw(st.sampled_from(sorted(map(str, parent))), label="key")
        bad = typo(data, key, set(map(str, parent)))
        if bad is None:
            event("no typo possible")
            return
        renamed = {(bad if str(k) == key else k): v for k, v in parent.items()}
        if path:
            _get(doc, path[:-1])[path[-1]] = renamed
        else:
            doc = renamed
        target.write_text(yaml.safe_dump(doc, allow_unicode=True, sort_keys=False), encoding="utf-8")
        command = {REACTIONS: "plan", CASE: "cases"}.get(name, "rank")
        extra = ("--max-tools", "2") if source == BUNDLED and command != "cases" else ()
        code, err = check(capsys, folder, profile, target, extra=extra, command=command)
        if (name, tuple(p for p in path if not isinstance(p, int))) in DEFINITIONS:
            event("a definition renamed")
            return
        event("a misspelt key checked")
        assert code == 2, f"{name}: '{key}' misspelt as '{bad}' at {path} was accepted"
        assert bad in err, f"{name}: the error does not name '{bad}': {err}"


# ------------------------------------------------------------------------------------------------- output paths

PATH_KINDS = ["free", "free", "file", "link to an input", "link elsewhere", "dangling link", "folder", "fifo",
              "hard link to an input", "under a file"]
PART_KINDS = ["free", "link to an input", "fifo", "folder", "file"]


def place(kind: str, path: Path, inputs: list[Path], elsewhere: Path, data) -> None:
    """Put a thing of ``kind`` at ``path``."""
    if kind == "file":
        path.write_text("old output")
    elif kind == "link to an input":
        path.symlink_to(data.draw(st.sampled_from(inputs), label="linked input"))
    elif kind == "link elsewhere":
        path.symlink_to(elsewhere)
    elif kind == "dangling link":
        path.symlink_to(path.parent / "nowhere" / "x")
    elif kind == "folder":
        path.mkdir()
    elif kind == "fifo":
        os.mkfifo(path)
    elif kind == "hard link to an input":
        os.link(data.draw(st.sampled_from(inputs), label="linked input"), path)


def state(folder: Path) -> dict:
    """What is at each path in ``folder`` (kind, link target or bytes), to compare before and after."""
    out = {}
    for p in sorted(folder.rglob("*")):
        if p.is_symlink():
            out[p] = ("link", os.readlink(p))
        elif p.is_fifo():
            out[p] = ("fifo",)
        elif p.is_file():
            out[p] = ("file", p.read_bytes())
    return out


@settings(FUZZ, max_examples=120)
@given(data=st.data())
def test_fuzzed_briefing_output_paths(data, capsys, monkeypatch):
    import decision.pdf as P
    from decision import export
    from decision.files import atomic_write_text
    from decision.safeio import inputs_read
    built, printed = [], []

    def build(scenario=None, out=None, **_):
        built.append(out)
        return atomic_write_text(Path(out), "<html>briefing</html>", protect=inputs_read())

    def fake_print(src, *a, **k):
        printed.append(src)
        return b"%PDF-1.4 fuzz %%EOF"
    monkeypatch.setattr(export, "build_briefing", build)
    monkeypatch.setattr(P, "print_pdf", fake_print)
    monkeypatch.setattr(P, "require_pdf", lambda: "/usr/bin/chromium")
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        folder, profile = _setup(TINY, tmp)
        out_dir = tmp / "out"
        out_dir.mkdir()
        elsewhere = tmp / "elsewhere.txt"
        elsewhere.write_text("not an output")
        inputs = [*(folder / f for f in FILES), profile]
        stem = data.draw(st.sampled_from(["b", "b.html", "b.pdf", "b.htm", "x" * 250 + ".html", "x" * 253,
                                          "b.tar.gz"]), label="name")
        html = out_dir / stem
        pdf = html.with_suffix(".pdf")
        html_kind = data.draw(st.sampled_from(PATH_KINDS), label="at the HTML path")
        if html_kind == "under a file":
            (out_dir / "plain").write_text("a file")
            html = out_dir / "plain" / "b.html"
            pdf = html.with_suffix(".pdf")
        else:
            place(html_kind, html, inputs, elsewhere, data)
        if pdf != html and pdf.parent.is_dir() and len(pdf.name) < 250:
            place(data.draw(st.sampled_from(PATH_KINDS[:-1]), label="at the PDF path"), pdf, inputs, elsewhere,
                  data)
            place(data.draw(st.sampled_from(PART_KINDS), label="at the old .part path"),
                  pdf.with_name(pdf.name + ".part"), inputs, elsewhere, data)
        before_inputs = state(folder) | {profile: ("file", profile.read_bytes()), elsewhere: ("file", b"")}
        before_inputs[elsewhere] = ("file", elsewhere.read_bytes())
        before_out = state(out_dir)
        built.clear()
        printed.clear()
        code = guarded(["brief", "--catalog", str(folder), "--profile", str(profile), "--out", str(html), "--pdf"])
        out, err = capsys.readouterr()
        event(f"exit {code}")
        assert code in (0, 2), err
        after_inputs = state(folder) | {profile: ("file", profile.read_bytes()),
                                        elsewhere: ("file", elsewhere.read_bytes())}
        assert after_inputs == before_inputs, "an input (or a link's target) changed"
        leftovers = [p.name for p in out_dir.rglob("*") if p.name.endswith(".tmp")]
        assert not leftovers, leftovers
        if code == 2:
            one_line(err)
            assert built == [] and printed == [], "refused after the work started"
            assert state(out_dir) == before_out, "something was written before the refusal"
        else:
            assert built and printed
            for p, content in ((html, b"<html>briefing</html>"), (pdf, b"%PDF-1.4 fuzz %%EOF")):
                assert not p.is_symlink() and p.is_file() and p.read_bytes() == content, p
            changed = {p for p in set(before_out) | set(state(out_dir)) if before_out.get(p) != state(out_dir).get(p)}
            assert changed <= {html, pdf}, changed
