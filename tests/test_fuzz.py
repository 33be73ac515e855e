"""Structure-aware fuzzing of every catalogue file and a weight profile (issue 12).

Each example copies a catalogue and a profile to a temporary folder, mutates one file the way a careless or hostile
user might (a cell, a key, a type, a size, an encoding), runs the command line in-process and asserts: exit 2 with
exactly one line on stderr that names an input file (or states a model-level limit), or exit 0 with a valid result;
never a traceback, a hang or a changed input file. Bounded: a fixed number of examples, each guarded by an alarm;
CI runs hypothesis derandomized (tests/conftest.py).
"""
from __future__ import annotations

import csv
import io
import math
import re
import shutil
import signal
import tempfile
from pathlib import Path

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from decision.catalog import BUNDLED, FILES
from decision.cli import main
from decision.profiles import make_profile, to_yaml

TINY = Path(__file__).parent / "fixtures" / "tiny"
PROFILE = "fuzzed.yaml"
HANG_GUARD_S = 60          # an example that runs this long is a hang, not a slow input (typical: well under 1 s)
MODEL_LEVEL = ("no combination is feasible", "candidate combinations", "forced in", "forced-in", "exclusive",
               "prerequisite", "excluded by the premise", "forced out")
"""Errors about the model as a whole (no single file to blame): constraints that cannot be met together."""

NASTY_TEXT = ["", " ", "0_5", "1_000", "1e308", "-1e308", "1e9", "1e400", "nan", "inf", "-inf", "-1", "0", "11",
              "0x10", "1:30", "=HYPERLINK(\"http://x\")", "@SUM(1)", "+1+cmd|' /C calc'!A0", "a|b", "|", "a||b",
              "é", "１", "\x00", "\t", "\r", "line\nbreak", "\"", "'", ",", "2024-13-01", "yes", "null", "~",
              "x" * 300, "x" * 30_000, "Rights_Protection", "rights protection", "demarche", "r", "synergy",
              "without", "benefit", "cost", "days"]
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
                                      "dup_row", "drop_row", "swap_rows", "truncate", "encoding", "bytes"]),
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


def mutate_yaml(data, text: str) -> bytes:
    doc = yaml.safe_load(text)
    kind = data.draw(st.sampled_from(["value", "value", "value", "delete", "add_key", "dup_key", "alias_bomb",
                                      "deep", "truncate", "encoding", "bytes", "not_a_mapping"]),
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
    if kind in ("value", "delete", "add_key"):
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
    if kind == "encoding":
        return (text + "\nx_note: é\n").encode(data.draw(st.sampled_from(["latin-1", "utf-16"]), label="enc"))
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


def check(capsys, folder: Path, profile: Path, target: Path, extra=()):
    before = {p: p.read_bytes() for p in [*folder.iterdir(), profile] if p.is_file()}
    old = signal.signal(signal.SIGALRM, _alarm)
    signal.alarm(HANG_GUARD_S)
    try:
        code = main(["rank", "--catalog", str(folder), "--profile", str(profile), "--top", "3", *extra])
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, old)
    out, err = capsys.readouterr()
    after = {p: p.read_bytes() for p in [*folder.iterdir(), profile] if p.is_file()}
    assert after == before, "an input file changed"
    assert code in (0, 2), (code, err)
    if code == 2:
        lines = err.strip("\n").split("\n")
        assert len(lines) == 1 and lines[0].startswith("decision: error: "), err
        names = [*FILES, str(profile)]
        assert any(n in lines[0] for n in names) or any(m in lines[0] for m in MODEL_LEVEL), \
            f"{target.name} mutated; the error names no input file: {lines[0]}"
    else:
        assert "rank" in out and "pref" in out, out
        table = out.split("tools", 1)[1]
        assert not re.search(r"\b(nan|inf)\b", table), out
        prefs = [float(m) for m in re.findall(r"^\s*\d+\s+(-?[\d.]+)\s", table, flags=re.M)]
        assert prefs and all(math.isfinite(p) for p in prefs), out


def _setup(source: Path, tmp: Path) -> tuple[Path, Path]:
    folder = tmp / "catalogue"
    shutil.copytree(source, folder, ignore=shutil.ignore_patterns("profiles", "README.md"))
    from decision.catalog import load_catalog
    crit = load_catalog(folder).criterion_ids
    order = ">".join(crit)
    profile = tmp / PROFILE
    profile.write_text(to_yaml(make_profile("fuzzed", "roc", order, crit, rationale="fuzz")), encoding="utf-8")
    return folder, profile


FUZZ = settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture,
                                                                        HealthCheck.too_slow])


@FUZZ
@given(data=st.data())
def test_fuzzed_tiny_catalogue_and_profile(data, capsys):
    with tempfile.TemporaryDirectory() as tmp:
        folder, profile = _setup(TINY, Path(tmp))
        target = mutate(data, folder, profile)
        check(capsys, folder, profile, target)


@settings(FUZZ, max_examples=40)
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
