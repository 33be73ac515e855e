"""Hostile and careless input, round two (issue 19, "Defects to fix"): one test per reproduction. Each one failed
(or hung until its timeout) before the fix: one clear line and exit 2 before any work, or a correct result."""
from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest
import yaml

import decision
from decision import export, safeio
from decision.catalog import BUNDLED, load_catalog
from decision.cli import main
from decision.errors import DecisionError
from decision.profiles import BUNDLED_PROFILES

TINY = Path(__file__).parent / "fixtures" / "tiny"
FIVE = Path(__file__).parent / "fixtures" / "five"
ROOT = Path(decision.__file__).resolve().parent.parent


def run(capsys, *argv):
    code = main([str(a) for a in argv])
    out, err = capsys.readouterr()
    return code, out, err


def one_line_error(code, err, *fragments):
    assert code == 2, err
    lines = [x for x in err.strip("\n").split("\n") if not x.startswith("making the briefing")]
    assert len(lines) == 1 and lines[0].startswith("decision: error: "), err
    for f in fragments:
        assert f in lines[0], lines[0]
    return lines[0]


def snapshot(*folders: Path) -> dict:
    return {p: p.read_bytes() for f in folders for p in sorted(f.iterdir()) if p.is_file() and not p.is_symlink()}


@pytest.fixture
def cat(tmp_path) -> Path:
    """An editable copy of the bundled catalogue (without its profiles)."""
    dest = tmp_path / "C"
    shutil.copytree(BUNDLED, dest, ignore=shutil.ignore_patterns("profiles", "cases"))
    return dest


def no_work(monkeypatch, *targets):
    """Make each (module, name) fail the test if it is called: the command must stop before that work."""
    for module, name in targets:
        def fail(*a, _name=name, **k):
            raise AssertionError(f"{_name} ran: the command did the work before refusing")
        monkeypatch.setattr(module, name, fail)


# ------------------------------------------------------------------------------------------------- the PDF path

STUB_HTML = "<html><body><h1>Briefing</h1>" + "<p>text</p>" * 200 + "</body></html>"
NEVER_READY_HTML = "<html><body><div class='plotly-graph-div'></div><p>waits for a plot</p></body></html>"
"""A page whose plot never draws: the PDF step waits on it (until its timeout), so a signal lands inside it."""


def stub_briefing(html: str = STUB_HTML):
    """``build_briefing`` without the 10-20 s notebook run: writes ``html`` through the safe writer."""
    def build(scenario=None, out=None, **_):
        from decision.files import atomic_write_text
        from decision.safeio import inputs_read
        out = Path(out) if out else Path("briefings") / f"{scenario or 'default'}.html"
        return atomic_write_text(out, html, protect=inputs_read())
    return build


def fake_pdf(monkeypatch, calls: list):
    """Replace only the Chromium step (the bytes), so the checks and the writer run for real."""
    import decision.pdf as P

    def printed(src, *a, **k):
        calls.append(Path(src))
        return b"%PDF-1.4\n% stub\n%%EOF\n"
    monkeypatch.setattr(P, "require_pdf", lambda: "/usr/bin/chromium")
    monkeypatch.setattr(P, "print_pdf", printed, raising=False)


def test_a_symlink_at_the_pdf_path_is_refused_before_work(tmp_path, monkeypatch, capsys):
    real = tmp_path / "real.txt"
    real.write_text("keep")
    (tmp_path / "b.pdf").symlink_to(real)
    no_work(monkeypatch, (export, "build_briefing"))
    code, _, err = run(capsys, "brief", "--out", tmp_path / "b.html", "--pdf")
    one_line_error(code, err, "b.pdf", "symbolic link")
    assert (tmp_path / "b.pdf").is_symlink() and real.read_text() == "keep"
    assert not (tmp_path / "b.html").exists()


def test_a_pdf_path_equal_to_the_profile_is_refused_before_work(tmp_path, monkeypatch, capsys):
    profile = tmp_path / "b.pdf"                               # a profile file that happens to be named b.pdf
    shutil.copy(BUNDLED_PROFILES / "balanced.yaml", profile)
    before = profile.read_bytes()
    no_work(monkeypatch, (export, "build_briefing"))
    code, _, err = run(capsys, "brief", "--profile", profile, "--out", tmp_path / "b.html", "--pdf")
    one_line_error(code, err, "b.pdf", "input of this command")
    assert profile.read_bytes() == before


def test_a_pdf_path_equal_to_a_catalogue_file_is_refused_before_work(cat, tmp_path, monkeypatch, capsys):
    os.link(cat / "scores.csv", tmp_path / "b.pdf")            # the same file under another name
    before = snapshot(cat)
    no_work(monkeypatch, (export, "build_briefing"))
    code, _, err = run(capsys, "brief", "--catalog", cat, "--out", tmp_path / "b.html", "--pdf")
    one_line_error(code, err, "input of this command")
    assert snapshot(cat) == before


@pytest.mark.parametrize("kind", ["folder", "long name", "under a file"])
def test_a_bad_pdf_path_is_one_line_before_work(kind, tmp_path, monkeypatch, capsys):
    if kind == "folder":
        (tmp_path / "b.pdf").mkdir()
        out, words = tmp_path / "b.html", "folder"
    elif kind == "long name":                 # the HTML name fits (253 characters); with ".pdf" it does not
        out, words = tmp_path / ("x" * 253), "too long"
    else:
        (tmp_path / "plain").write_text("x")
        out, words = tmp_path / "plain" / "b", "not a folder"
    no_work(monkeypatch, (export, "build_briefing"))
    code, _, err = run(capsys, "brief", "--out", out, "--pdf")
    one_line_error(code, err, words)
    assert sorted(p.name for p in tmp_path.iterdir()) in ([], ["b.pdf"], ["plain"])


def test_out_naming_a_pdf_with_pdf_is_refused_before_work(tmp_path, monkeypatch, capsys):
    no_work(monkeypatch, (export, "build_briefing"))
    code, _, err = run(capsys, "brief", "--out", tmp_path / "x.pdf", "--pdf")
    one_line_error(code, err, "x.pdf", "--out")
    assert list(tmp_path.iterdir()) == []


def test_the_pdf_goes_through_the_safe_writer_and_never_follows_a_part_link(cat, tmp_path, monkeypatch, capsys):
    """``<out>.pdf.part`` used to be opened with open(path, 'wb'): a link there to scores.csv overwrote the
    catalogue with PDF bytes. Now nothing is written at a guessable name (the writer's temporary file is created
    with O_EXCL in the target folder)."""
    (tmp_path / "b.pdf.part").symlink_to(cat / "scores.csv")
    before = snapshot(cat)
    calls = []
    fake_pdf(monkeypatch, calls)
    monkeypatch.setattr(export, "build_briefing", stub_briefing())
    code, out, err = run(capsys, "brief", "--catalog", cat, "--out", tmp_path / "b.html", "--pdf")
    assert code == 0, err
    assert snapshot(cat) == before
    assert (tmp_path / "b.pdf").read_bytes().startswith(b"%PDF-") and not (tmp_path / "b.pdf").is_symlink()
    assert (tmp_path / "b.pdf.part").is_symlink()                       # left alone
    assert sorted(p.name for p in tmp_path.iterdir()) == ["C", "b.html", "b.pdf", "b.pdf.part"]
    assert calls == [(tmp_path / "b.html").resolve()]


def test_all_scenarios_checks_every_pdf_path_before_work(tmp_path, monkeypatch, capsys):
    folder = tmp_path / "out"
    folder.mkdir()
    sid = load_catalog().scenarios[-1].id
    (folder / f"{sid}.pdf").mkdir()
    no_work(monkeypatch, (export, "build_briefing"))
    monkeypatch.setattr("decision.pdf.require_pdf", lambda: "/usr/bin/chromium")
    code, _, err = run(capsys, "brief", "--all-scenarios", "--out", folder, "--pdf")
    one_line_error(code, err, f"{sid}.pdf", "folder")


# Real Chromium, in a child process (signals and hangs cannot be tested in-process)

RUNNER = textwrap.dedent("""
    import sys
    from pathlib import Path
    from decision import export
    from decision.files import atomic_write_text
    from decision.safeio import inputs_read
    HTML = Path(sys.argv[1]).read_text()
    def build(scenario=None, out=None, **_):
        return atomic_write_text(Path(out), HTML, protect=inputs_read())
    export.build_briefing = build
    from decision.cli import main
    sys.exit(main(sys.argv[2:]))
""")


@pytest.fixture
def short_tmp():
    """A private TMPDIR with a short path: Chromium cannot start under a TMPDIR longer than about 60 characters (its
    socket path would pass the 107-byte limit), and pytest's own temporary folders are longer."""
    import tempfile
    tmp = Path(tempfile.mkdtemp(prefix="d19-", dir="/tmp"))
    yield tmp
    shutil.rmtree(tmp, ignore_errors=True)


def start_brief(tmp_path: Path, tmp: Path, html: str, *extra) -> subprocess.Popen:
    """``decision brief --out b.html --pdf`` in a child process (own session, like a job a terminal started), with
    the HTML step stubbed and ``tmp`` as its TMPDIR."""
    (tmp_path / "page.html").write_text(html)
    env = {**os.environ, "TMPDIR": str(tmp), "PYTHONPATH": str(ROOT)}
    proc = subprocess.Popen([sys.executable, "-c", RUNNER, str(tmp_path / "page.html"), "brief", "--out", "b.html",
                             "--pdf", *extra], cwd=tmp_path, env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, start_new_session=True)
    return proc


def finish(proc: subprocess.Popen, timeout: float) -> tuple[int, str, str]:
    try:
        out, err = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.communicate()
        pytest.fail(f"hung: no exit {timeout:g} s after the signal")
    return proc.returncode, out, err


@pytest.mark.browser
def test_a_fifo_at_the_part_path_does_not_hang(tmp_path, short_tmp):
    from .browser_support import require_chromium
    require_chromium()
    os.mkfifo(tmp_path / "b.pdf.part")
    proc, tmp = start_brief(tmp_path, short_tmp, STUB_HTML), short_tmp
    code, out, err = finish(proc, 120)
    assert code == 0, err
    assert (tmp_path / "b.pdf").read_bytes().startswith(b"%PDF-")
    assert (tmp_path / "b.pdf.part").is_fifo() and list(tmp.iterdir()) == []


@pytest.mark.browser
def test_sigterm_ends_a_run_with_a_fifo_at_the_part_path(tmp_path, short_tmp):
    """The old code hung opening the FIFO at ``<out>.pdf.part`` (inside Playwright's driver) and the first SIGTERM
    did not end it. Now nothing opens that name: the run has ended (written, exit 0) or the signal ends it (130)."""
    import time
    from .browser_support import require_chromium
    require_chromium()
    os.mkfifo(tmp_path / "b.pdf.part")
    proc = start_brief(tmp_path, short_tmp, STUB_HTML)
    assert proc.stdout.readline().startswith("written: "), proc.stderr.read()
    time.sleep(8)                                     # the old code is blocked on the FIFO by now
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
    code, _, err = finish(proc, 30)
    assert code in (0, 130), err
    assert (tmp_path / "b.pdf.part").is_fifo()
    assert (code == 0) == (tmp_path / "b.pdf").is_file()


@pytest.mark.browser
@pytest.mark.parametrize("how,delay", [("ctrl-c", 1.5), ("ctrl-c", 3.0), ("sigterm", 0.3), ("sigterm", 2.5)])
def test_a_signal_during_the_pdf_phase_is_one_line_exit_130(tmp_path, short_tmp, how, delay):
    """Ctrl-C in a terminal signals the whole process group (Chromium and Playwright's driver too): it used to print
    a 30-line Playwright traceback and exit 1. Now, Ctrl-C or SIGTERM: one line, exit 130, no PDF, no temporary file
    or folder left (the page's plot never draws, so the signal always lands in the PDF phase)."""
    import time
    from .browser_support import require_chromium
    require_chromium()
    os.mkfifo(tmp_path / "b.pdf.part")
    proc, tmp = start_brief(tmp_path, short_tmp, NEVER_READY_HTML), short_tmp
    assert proc.stdout.readline().startswith("written: "), proc.stderr.read()      # the HTML is done
    time.sleep(delay)
    if how == "ctrl-c":
        os.killpg(proc.pid, signal.SIGINT)
    else:
        proc.send_signal(signal.SIGTERM)
    code, _, err = finish(proc, 30)
    assert code == 130, err
    assert err.strip().splitlines() == ["making the briefing (about 10-20 s) ...",
                                        "decision: interrupted (temporary files removed)"], err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["b.html", "b.pdf.part", "page.html"]
    time.sleep(1)                                     # Chromium may still be leaving its profile folder
    assert list(tmp.iterdir()) == []


# ------------------------------------------------------------------------------------------- outputs before work

def test_plan_checks_its_output_before_solving(monkeypatch, capsys):
    from decision import portfolios
    no_work(monkeypatch, (portfolios, "build_portfolios"))
    code, _, err = run(capsys, "plan", "--out", "/dev/null")
    one_line_error(code, err, "/dev/null", "character device")


def test_options_checks_its_output_before_work(tmp_path, monkeypatch, capsys):
    from decision import portfolios
    no_work(monkeypatch, (portfolios, "build_portfolios"))
    code, _, err = run(capsys, "options", "--out", tmp_path)
    one_line_error(code, err, "folder")


def test_rank_checks_its_output_before_work(tiny_dir, monkeypatch, capsys):
    from decision import portfolios
    no_work(monkeypatch, (portfolios, "build_portfolios"))
    code, _, err = run(capsys, "rank", "--catalog", tiny_dir, "--out", tiny_dir / "scores.csv")
    one_line_error(code, err, "input of this command")


# ------------------------------------------------------------------------------------------------ bounded work

def reactions_with_rules(source: Path, n: int) -> str:
    """The reactions file with ``n`` trivial rules appended (each about 100 bytes)."""
    doc = yaml.safe_load(source.read_text())
    doc["rules"] += [{"id": f"r{i}", "reaction": doc["reactions"][0]["id"], "feature": "rung", "log_odds": 0,
                      "low": 0, "high": 0, "rationale": "x", "source": "x"} for i in range(n)]
    return yaml.safe_dump(doc, sort_keys=False, width=1000)


def test_ten_thousand_rules_are_refused_before_any_work(cat, monkeypatch, capsys):
    """Issue 19: 10,000 trivial rules (1.1 MB, under the catalogue size limit) took 110 s and 11.4 GB."""
    from decision.strategy import tree
    (cat / "reactions.yaml").write_text(reactions_with_rules(cat / "reactions.yaml", 10_000))
    assert 1_000_000 < (cat / "reactions.yaml").stat().st_size < safeio.MAX_CATALOG_FILE_BYTES
    no_work(monkeypatch, (tree, "strategy_problem"))
    code, _, err = run(capsys, "plan", "--catalog", cat)
    one_line_error(code, err, "reactions.yaml", "limit")


def test_too_many_rules_in_a_small_file_are_refused_with_the_limit(cat, monkeypatch, capsys):
    from decision.strategy.reactions_file import MAX_RULES
    from decision.strategy import tree
    (cat / "reactions.yaml").write_text(reactions_with_rules(cat / "reactions.yaml", MAX_RULES))
    no_work(monkeypatch, (tree, "strategy_problem"))
    code, _, err = run(capsys, "plan", "--catalog", cat)
    one_line_error(code, err, "reactions.yaml", f"limit of {MAX_RULES}", "rules")


def test_too_many_features_are_refused_with_the_limit(cat, monkeypatch, capsys):
    from decision.strategy.reactions_file import MAX_FEATURES
    from decision.strategy import tree
    doc = yaml.safe_load((cat / "reactions.yaml").read_text())
    tool = load_catalog(cat).tool_ids[0]
    doc["features"].update({f"f{i}": {"tools": [tool]} for i in range(MAX_FEATURES)})
    (cat / "reactions.yaml").write_text(yaml.safe_dump(doc, sort_keys=False, width=1000))
    no_work(monkeypatch, (tree, "strategy_problem"))
    code, _, err = run(capsys, "plan", "--catalog", cat)
    one_line_error(code, err, "reactions.yaml", f"limit of {MAX_FEATURES}", "features")


def eight_reactions(source: Path) -> str:
    """The tiny catalogue's three reactions and five more: eight, the most a reactions file may hold."""
    from decision.strategy.reactions_file import MAX_REACTIONS
    doc = yaml.safe_load(source.read_text())
    extra = [{"id": f"other_{i}", "name": f"Other {i}", "kind": "stalls",
              "probability": {"value": 0.1, "low": 0, "high": 0.2, "rationale": "t", "source": "t"}}
             for i in range(MAX_REACTIONS - 3)]
    doc["reactions"] += extra
    for r, v in zip(doc["reactions"][:3], (0.2, 0.2, 0.1)):
        r["probability"].update(value=v, low=0.0)
    return yaml.safe_dump(doc, sort_keys=False)


def test_a_review_tree_beyond_the_limit_is_refused_before_solving(tiny_dir, monkeypatch, capsys):
    """Issue 19: 10 reactions and --reviews 6 (now 8, the file limit) grew without bound (reactions^reviews branches)."""
    from decision.strategy import playbook, tree
    (tiny_dir / "reactions.yaml").write_text(eight_reactions(tiny_dir / "reactions.yaml"))
    no_work(monkeypatch, (tree, "backward_induction"), (playbook, "build_plan"))
    code, _, err = run(capsys, "plan", "--catalog", tiny_dir, "--reviews", 6)
    line = one_line_error(code, err, "limit", "--reviews")
    assert f"{tree.MAX_PLAN_NODES:,}" in line


def test_a_review_tree_within_the_limit_is_solved(tiny_dir, capsys):
    (tiny_dir / "reactions.yaml").write_text(eight_reactions(tiny_dir / "reactions.yaml"))
    code, out, err = run(capsys, "plan", "--catalog", tiny_dir, "--reviews", 2)
    assert code == 0, err
    assert "Playbook:" in out


# ------------------------------------------------------------------------------------------------- silent wrong

def test_the_worst_branch_ignores_paths_of_probability_zero(tiny):
    """A reaction with base probability 0 never happens, so no worst branch may pass through it (it used to be
    taken at every review but the last)."""
    from decision.portfolios import build_portfolios
    from decision.strategy.playbook import build_plan
    from decision.strategy.reactions_file import load_reactions
    from decision.strategy.tree import strategy_problem
    model = load_reactions(tiny)
    base = {"complies": 0.2, "stalls": 0.8, "retaliates": 0.0}
    from dataclasses import replace
    model = replace(model, reactions=tuple(replace(r, probability=base[r.id], low=0.0) for r in model.reactions))
    w = {"r": 0.4, "s": 0.2, "l": 0.2, "e": 0.2}
    problem = strategy_problem(build_portfolios(tiny, "base", max_tools=1), model, reviews=2, months=9)
    assert not any(r.degrades for r in model.reactions)
    plan = build_plan(problem, problem.solve(w), w)
    assert "retaliates" not in plan.worst_path
    # brute force over the possible paths (probability > 0): the worst leaf value
    crit = list(plan.criteria)
    W = np.array([w[c] for c in crit]) / sum(w.values())

    def leaves(node, acc, cost, prob):
        for k, child_p in node.reaction_probabilities.items():
            if child_p == 0:
                continue
            i = int(np.searchsorted(problem.rows, node.row))
            out = problem.outcomes[i, 0, model.index(k)]        # no reaction here degrades the ties
            c = cost + float(problem.effort_cost[i])
            nxt = next((ch for ch in node.children if ch.reaction == k), None)
            if nxt is None:
                yield (acc + out) / 3, c / 3
            else:
                yield from leaves(nxt, acc + out, c, prob * child_p)

    from decision.ranking import additive_value
    values = [float(additive_value(v, W, tiny)) - c for v, c in leaves(plan.root, np.zeros(len(crit)), 0.0, 1.0)]
    assert plan.worst_value == pytest.approx(min(values), abs=1e-12)


def constant_column_catalogue(tiny_dir: Path) -> Path:
    """Tool a forced into every combination and the only tool acting on legitimacy: every combination has the same
    legitimacy, which differs from the status quo's."""
    scores = (tiny_dir / "scores.csv").read_text().replace("b,l,2,1,3", "b,l,0,-1,1").replace("c,l,-1,-2,0", "c,l,0,-1,0")
    (tiny_dir / "scores.csv").write_text(scores)
    inter = (tiny_dir / "interactions.csv").read_text().splitlines()
    (tiny_dir / "interactions.csv").write_text("\n".join(x for x in inter if not x.startswith("x1,")) + "\n")
    cons = (tiny_dir / "constraints.yaml").read_text().replace("forced_in: []", "forced_in: [a]")
    (tiny_dir / "constraints.yaml").write_text(cons)
    return tiny_dir


def test_topsis_ties_in_options_use_the_rankings_own_scale_with_the_status_quo(tiny_dir):
    """Ties among the rows of the options table, by brute force on the Ranker (the ranking's own TOPSIS scale,
    normalised with the status quo): moving one weight by TIE_DELTA reverses or equalises the order of two rows."""
    from decision.options import find_options, weight_shifts
    from decision.portfolios import build_portfolios
    from decision.ranking import DECIMALS, TIE_DELTA, Ranker
    cat = load_catalog(constant_column_catalogue(tiny_dir))
    p = build_portfolios(cat, "base")
    assert len(np.unique(p.values[:, 2])) == 1 and p.values[0, 2] != p.status_quo[2]
    w = {"r": 0.25, "s": 0.25, "l": 0.25, "e": 0.25}
    o = find_options(p, w, "topsis", k=3)
    r = Ranker(p)

    def prefs(wv):
        all_ = np.append(r.preference(wv, "topsis"), r.status_quo_preference(wv, "topsis"))
        return np.round(all_[[*[x.row for x in o.options], len(p)]], DECIMALS)
    u0 = prefs(r.weights(w))
    m = len(u0)
    tied = np.zeros((m, m), dtype=bool)
    for wv in weight_shifts(r.weights(w), TIE_DELTA):
        u = prefs(wv)
        tied |= np.sign(u[:, None] - u[None, :]) != np.sign(u0[:, None] - u0[None, :])
    tied |= u0[:, None] == u0[None, :]
    np.fill_diagonal(tied, False)
    sq = m - 1
    assert o.status_quo.tied_with == tuple(int(j) for j in np.flatnonzero(tied[sq, :sq]))
    assert [x.tied_with_status_quo for x in o.options] == [bool(t) for t in tied[:sq, sq]]
    assert any(tied[:sq, sq]), "the example must hold a tie with the status quo"
    assert [x.tied_with for x in o.options] == [tuple(int(j) for j in np.flatnonzero(tied[i, :sq]))
                                                for i in range(sq)]


def test_the_options_table_says_tied_with_the_status_quo(tiny_dir, capsys):
    constant_column_catalogue(tiny_dir)
    code, out, err = run(capsys, "options", "--catalog", tiny_dir, "--method", "topsis", "--k", 3,
                         "--weights", "r=0.25,s=0.25,l=0.25,e=0.25")
    assert code == 0, err
    assert "statistically tied with" in out and "the status quo" in out.split("statistically tied with", 1)[1]


@pytest.mark.parametrize("text,fragment", [
    ("a: 010\n", "010"),            # YAML 1.1: octal 8
    ("a: 0x10\n", "0x10"),          # hex 16
    ("a: 0b11\n", "0b11"),          # binary 3
    ("a: -010\n", "-010"),
    ("a: 1:30\n", "1:30"),          # sexagesimal 90
    ("a: 1:30.5\n", "1:30.5"),      # sexagesimal float 90.5
    ("a: +.inf\n", "accepted range"),
])
def test_yaml_11_number_forms_are_refused(text, fragment):
    with pytest.raises(DecisionError, match=r"line 1.*" + __import__("re").escape(fragment)):
        safeio.parse_yaml(text, name="t.yaml")


@pytest.mark.parametrize("text,value", [("a: 10\n", 10), ("a: 0\n", 0), ("a: -3\n", -3), ("a: 0.5\n", 0.5),
                                        ("a: 010.5\n", 10.5), ("a: 1e3\n", 1000.0), ("a: '010'\n", "010")])
def test_plain_decimal_numbers_still_read(text, value):
    assert safeio.parse_yaml(text, name="t.yaml") == {"a": value}


def test_an_octal_max_tools_is_refused_end_to_end(tiny_dir, capsys):
    path = tiny_dir / "constraints.yaml"
    path.write_text(path.read_text().replace("max_tools: 3", "max_tools: 03"))
    code, _, err = run(capsys, "rank", "--catalog", tiny_dir)
    one_line_error(code, err, "constraints.yaml", "line 1", "03")


def test_two_tools_with_the_same_display_name_are_refused(tiny_dir, capsys):
    path = tiny_dir / "tools.csv"
    path.write_text(path.read_text().replace("b,Tool B,", "b,tool  a,"))
    code, _, err = run(capsys, "rank", "--catalog", tiny_dir)
    one_line_error(code, err, "tools.csv", "'a'", "'b'", "name")


# Unknown keys: every YAML schema refuses them, naming the key and the closest known one

@pytest.mark.parametrize("file,old,new,key,closest", [
    ("reactions.yaml", "verified_progress: {enabled: false", "verified_progress: {enable: false", "enable",
     "enabled"),
    ("reactions.yaml", "max_rungs_up: 3", "max_rung_up: 3", "max_rung_up", "max_rungs_up"),
    ("reactions.yaml", "concentration: {value: 10", "concentration: {valeu: 10", "valeu", "value"),
    ("reactions.yaml", "effects_rationale: test", "effect_rationale: test", "effect_rationale",
     "effects_rationale"),
    ("reactions.yaml", "threat: {tools: [a]}", "threat: {tool: [a]}", "tool", "tools"),
    ("reactions.yaml", "rules:\n- {id: pressure_doubles_retaliation_odds,",
     "rules:\n- {id: pressure_doubles_retaliation_odds, factors: f,", "factors", "factor"),
    ("reactions.yaml", "probability: {value: 0.2, low: 0.1", "probability: {value: 0.2, lo: 0.1", "lo", "low"),
    ("constraints.yaml", "max_tools: 3", "max_tools: 3\nmax_tool: 2", "max_tool", "max_tools"),
    ("constraints.yaml", "escalation_ladder: {enabled: false}", "escalation_ladder: {enable: false}", "enable",
     "enabled"),
    ("scenarios.yaml", "per_point: 0.2", "per_points: 0.2", "per_points", "per_point"),
    ("scenarios.yaml", "default_scenario: base", "default_scenario: base\ndefault_scenarios: hot",
     "default_scenarios", "default_scenario"),
    ("scenarios.yaml", "description: neutral, factors", "descripton: neutral, factors", "descripton", "description"),
    ("model.yaml", "complementarity: {value: 0.5", "complementarity: {values: 0.5", "values", "value"),
    ("model.yaml", "  discount: 0.5", "  discount: 0.5\n  discounts: 0.4", "discounts", "discount"),
    ("model.yaml", "redundancy_factor:", "effort_costs: {value: 0.01, rationale: t}\nredundancy_factor:",
     "effort_costs", "effort_cost"),
])
def test_an_unknown_yaml_key_is_refused_naming_the_closest(tiny_dir, capsys, file, old, new, key, closest):
    path = tiny_dir / file
    text = path.read_text()
    assert old in text
    path.write_text(text.replace(old, new, 1))
    cmd = ["plan", "--reviews", 1] if file == "reactions.yaml" else ["rank"]
    code, _, err = run(capsys, *cmd, "--catalog", tiny_dir)
    line = one_line_error(code, err, file, f"'{key}'", f"'{closest}'")
    assert "unknown" in line


def test_unknown_keys_in_bundled_constraints_sections_are_refused(cat, capsys):
    """The sections read as free mappings before (legal_obligations, the accountability floor) are schemas too."""
    path = cat / "constraints.yaml"
    doc = yaml.safe_load(path.read_text())
    for section, key, closest in (("legal_obligations", "enable", "enabled"),
                                  ("accountability_floor", "minimun", "minimum"),
                                  ("tool_red_lines", "alow", "allow")):
        if section not in doc:
            continue
        bad = {**doc, section: {**doc[section], key: doc[section].get(closest, True)}}
        path.write_text(yaml.safe_dump(bad, sort_keys=False))
        code, _, err = run(capsys, "rank", "--catalog", cat, "--max-tools", 2)
        one_line_error(code, err, "constraints.yaml", f"'{key}'", f"'{closest}'")


def test_an_unknown_csv_column_is_refused_naming_the_closest(tiny_dir, capsys):
    path = tiny_dir / "interactions.csv"
    path.write_text(path.read_text().replace("scales_with", "scales_whit"))
    code, _, err = run(capsys, "rank", "--catalog", tiny_dir)
    one_line_error(code, err, "interactions.csv", "'scales_whit'", "'scales_with'")


def test_an_unknown_profile_key_names_the_closest(tmp_path, capsys):
    text = (BUNDLED_PROFILES / "balanced.yaml").read_text().replace("rationale:", "rational:")
    (tmp_path / "p.yaml").write_text(text)
    code, _, err = run(capsys, "rank", "--profile", tmp_path / "p.yaml", "--max-tools", 2)
    one_line_error(code, err, "p.yaml", "'rational'", "'rationale'")


# ------------------------------------------------------------------------------------------- traceback / hang

@pytest.mark.parametrize("command", ["rank", "options"])
def test_no_floor_on_a_catalogue_without_a_floor_is_not_a_traceback(tiny_dir, capsys, command):
    """Found on the way: switching off a floor the catalogue does not have raised a TypeError."""
    plain = run(capsys, command, "--catalog", tiny_dir)
    code, out, err = run(capsys, command, "--catalog", tiny_dir, "--no-floor")
    assert code == 0, err
    assert out == plain[1]


def test_audit_of_a_catalogue_with_a_fifth_criterion(capsys):
    """data/README.md documents a fifth criterion as supported; `decision audit` raised KeyError: 'n_tools' (no
    bundled preset fits five criteria, so no run was made). Now it audits with equal weights and says so."""
    cat = load_catalog(FIVE)
    assert len(cat.criteria) == 5
    code, out, err = run(capsys, "audit", "--catalog", FIVE)
    assert code in (0, 1), err
    assert err == ""
    assert "runs:" in out and "equal weights" in out
    assert out.rstrip().splitlines()[-1].startswith("audit: ")
    from decision.audit import audit
    rep = audit(cat)
    assert len(rep.runs) == len(cat.scenarios) * 3                # scenarios x 1 weight set x 3 methods
    assert set(rep.runs["preset"]) == {"equal weights"}
