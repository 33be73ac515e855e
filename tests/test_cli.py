"""The command line as a user meets it (issue 18): what importing it loads, the README's examples, CSV precision, the
direction of every preference column, briefings that are not silently replaced, and the Makefile's `lab` command."""
from __future__ import annotations

import json
import os
import re
import shlex
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

import decision
from decision import export
from decision.cli import main
from tests.browser_support import require_chromium

ROOT = Path(__file__).resolve().parent.parent
DECISION = Path(sys.executable).parent / "decision"
HEAVY = ("decision.dashboard", "plotly", "ipywidgets", "papermill", "nbconvert", "playwright", "scipy.stats", "pymcdm",
         "matplotlib")


def run(capsys, *argv):
    code = main([str(a) for a in argv])
    out, err = capsys.readouterr()
    return code, out, err


def loaded_after(code: str) -> list[str]:
    """The modules of HEAVY (and numpy/pandas) that a fresh interpreter has loaded after running ``code``."""
    probe = (f"{code}\nimport sys, json\n"
             f"print(json.dumps([m for m in {[*HEAVY, 'numpy', 'pandas']!r} if m in sys.modules]))")
    proc = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, cwd=ROOT, check=True)
    return json.loads(proc.stdout.strip().splitlines()[-1])


# ----------------------------------------------------------------------------------------------------------------
# A command line that answers at once: what importing loads

def test_importing_decision_and_its_cli_loads_nothing_heavy():
    assert loaded_after("import decision, decision.cli") == []


def test_listing_scenarios_loads_neither_pandas_nor_the_heavy_stack():
    assert loaded_after("from decision.cli import main; main(['scenarios'])") == ["numpy"]


def test_ranking_with_the_default_method_and_its_cross_checks_needs_no_pymcdm():
    # `decision rank` promises the TOPSIS and VIKOR cross-checks: the package's vectorised paths compute them; the
    # table and the JSON are written without pandas (a fifth of the command's time to import)
    got = loaded_after("from decision.cli import main; main(['rank', '--top', '3'])")
    assert got == ["numpy"]
    assert loaded_after("from decision.cli import main; main(['rank', '--top', '3', '--format', 'json'])") == ["numpy"]


def test_a_csv_ranking_goes_through_pandas():
    assert "pandas" in loaded_after("from decision.cli import main; main(['rank', '--top', '2', '--format', 'csv'])")


def test_a_pymcdm_method_still_loads_pymcdm():
    assert "pymcdm" in loaded_after("from decision.cli import main; main(['rank', '--top', '2', '--method', "
                                    "'promethee_ii'])")


def test_a_command_runs_with_one_blas_thread_unless_the_user_chose(tmp_path):
    code = ("import os, sys; from decision.cli import main; main(['scenarios']); "
            "print(os.environ['OPENBLAS_NUM_THREADS'], 'numpy' in sys.modules)")
    env = {k: v for k, v in os.environ.items() if k != "OPENBLAS_NUM_THREADS"}
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True).stdout
    assert out.split()[-2:] == ["1", "True"]
    out = subprocess.run([sys.executable, "-c", code], env={**env, "OPENBLAS_NUM_THREADS": "2"}, capture_output=True,
                         text=True, check=True).stdout
    assert out.split()[-2:] == ["2", "True"]
    code = ("import numpy, os; from decision.cli import main; main(['scenarios']); "   # a session that has numpy
            "print(os.environ.get('OPENBLAS_NUM_THREADS'))")                          # already is left alone
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True).stdout
    assert out.split()[-1] == "None"


def test_public_api_is_unchanged_by_lazy_loading():
    code = """
import decision, decision.dashboard.state, decision.options      # submodules first: the names must still be functions
assert callable(decision.explain) and decision.explain.__module__ == "decision.explain"
assert callable(decision.dashboard) and decision.dashboard.__module__ == "decision.dashboard.app"
assert decision.Dashboard.__name__ == "Dashboard" and decision.robustness.smaa_portfolios is decision.smaa_portfolios
from decision import explain, figures, load_catalog, rank
assert callable(explain) and figures.__name__ == "decision.figures"
assert sorted(decision.__all__) == sorted(n for n in decision.__all__ if hasattr(decision, n))
"""
    subprocess.run([sys.executable, "-c", code], check=True, cwd=ROOT)
    with pytest.raises(AttributeError):
        decision.no_such_name  # noqa: B018
    with pytest.raises(AttributeError, match="cannot be replaced"):
        decision.explain = None


def test_the_light_names_agree_with_the_modules_that_own_them():
    from decision import defaults, options, profiles, ranking, robustness
    from decision.strategy import reactions, tree
    assert tuple(ranking.METHODS) == defaults.RANKING_METHODS
    assert {m for m, x in ranking.METHODS.items() if x.ascending} == set(defaults.LOWER_IS_BETTER)
    assert ranking.DEFAULT_METHOD == defaults.DEFAULT_METHOD and robustness.PORTFOLIO_METHODS == ("wsm", "topsis")
    assert (options.DEFAULT_K, options.DEFAULT_SHARE) == (defaults.DEFAULT_K, defaults.DEFAULT_SHARE)
    assert tree.MAX_REVIEWS == defaults.MAX_REVIEWS and reactions.Principles.NAMES == defaults.PRINCIPLES
    assert set(profiles.INPUT_KEY) == set(profiles.METHODS) == set(defaults.PROFILE_METHODS)


def test_rank_cross_checks_equal_pymcdm_on_every_bundled_scenario(bundled):
    # the fast VIKOR path against pymcdm itself (the v=0.5 option forces the pymcdm path), whole feasible sets
    from decision.ranking import Ranker
    for sc in bundled.scenarios:
        r = Ranker(decision.build_portfolios(bundled, sc.id))
        for w in (None, [0.4, 0.3, 0.2, 0.1]):
            assert (r.preference(w, "vikor") == r.preference(w, "vikor", v=0.5)).all()
            assert r.method_check(w) == {m: int(r.top(w, m, 1, **({"v": 0.5} if m == "vikor" else {}))[0][0])
                                         for m in ("wsm", "topsis", "vikor")}


# ----------------------------------------------------------------------------------------------------------------
# What the tables say

CSV_NUMBER = re.compile(r"(?<![\w.])-?\d+\.\d+(?:e[-+]\d+)?(?![\w.])")


@pytest.mark.parametrize("argv", [
    ["rank", "--scenario", "arms_dependent_client", "--top", "5", "--format", "csv"],
    ["options", "--scenario", "arms_dependent_client", "--current", "demarche,interoperability_exercises",
     "--format", "csv"],
])
def test_csv_numbers_have_at_most_six_significant_digits(argv, capsys):
    code, out, _ = run(capsys, *argv)
    assert code == 0
    numbers = CSV_NUMBER.findall(out)
    assert numbers and not any(len(n.lstrip("-").split("e")[0].replace(".", "").lstrip("0")) > 6 for n in numbers)
    assert "6.399607500000001" not in out and "000000" not in out.replace("0.000000", "")


def test_csv_rounding_keeps_the_values_and_json_keeps_full_precision(capsys):
    argv = ["rank", "--scenario", "arms_dependent_client", "--top", "5"]
    _, out, _ = run(capsys, *argv, "--format", "csv")
    from io import StringIO
    csv = pd.read_csv(StringIO(out), index_col=0)
    _, out, _ = run(capsys, *argv, "--format", "json")
    doc = json.loads(out)
    full = [r["preference"] for r in doc["ranking"]]
    assert csv["preference"].iloc[:5].tolist() == pytest.approx(full, rel=5e-6)
    assert any(len(repr(x)) > 10 for x in full)                       # JSON is not rounded
    assert doc["preference_higher_is_better"] is True


@pytest.mark.parametrize("method, direction", [("wsm", "higher is better"), ("vikor", "lower is better"),
                                               ("consensus", "lower is better")])
def test_rank_and_options_tables_say_which_way_the_preference_runs(method, direction, capsys):
    for cmd in (["rank", "--top", "3"], ["options", "--k", "2"]):
        code, out, err = run(capsys, *cmd, "--scenario", "hedging_partner", "--method", method)
        assert code == 0, err
        head = out.splitlines()[1]     # options under wsm open the playbook: their value, higher is better
        playbook = cmd[0] == "options" and method == "wsm"
        assert head.startswith("Basis: the playbook") and head.endswith(direction) if playbook else \
            f"Preference: {direction}" in head, head
        assert re.search(rf"(pref|value) = .*: {direction}\.", out)


def test_vikor_json_says_lower_is_better(capsys):
    _, out, _ = run(capsys, "rank", "--top", "2", "--method", "vikor", "--format", "json")
    assert json.loads(out)["preference_higher_is_better"] is False


def test_group_and_robustness_tables_say_how_to_read_their_numbers(capsys):
    _, out, _ = run(capsys, "weights", "group", "balanced", "rights-first", "--top", "3", "--method", "vikor")
    assert "rank 1 = best" in out
    _, out, _ = run(capsys, "robustness", "--samples", "200")
    assert "Acceptability (higher is better)" in out


def test_rank_table_separates_neighbouring_ranks_and_aligns_the_status_quo(capsys):
    _, out, _ = run(capsys, "rank", "--top", "10")
    rows = [ln for ln in out.splitlines() if re.match(r"\s*\d+[= ]\s+\d\.\d+", ln)]
    prefs = [ln.split()[1] for ln in rows[:-1]]
    ranks = [int(ln.split()[0].rstrip("=")) for ln in rows[:-1]]
    assert all(p != q for p, q, r, s in zip(prefs, prefs[1:], ranks, ranks[1:]) if r != s)
    assert len({ln.index("  ", ln.index(".")) for ln in rows}) == 1   # the pref column ends at one place


def test_explain_red_lines_say_their_bounds_in_words_without_nan(capsys):
    code, out, _ = run(capsys, "explain", "--scenario", "arms_dependent_client", "reform_incentives",
                       "transparent_reporting", "legal_review", "export_controls")
    assert code == 0 and "Feasible: yes" in out
    red = out.split("Red lines:\n")[1]
    assert "NaN" not in out and "at most 7.00" in red and "at least 4.00" in red and "holds" in red


# ----------------------------------------------------------------------------------------------------------------
# Briefings made with other settings are never replaced silently

@pytest.fixture
def fake_notebook(monkeypatch):
    """build_briefing without the 10-20 s notebook run: a tiny page stands in for the converted notebook."""
    monkeypatch.setattr(export, "execute", lambda params, executed, timeout=120: None)
    monkeypatch.setattr(export, "to_html", lambda executed: "<!DOCTYPE html><html><head><meta charset='utf-8'>"
                                                            "</head><body>briefing</body></html>")


def test_all_scenarios_refuses_to_replace_a_briefing_made_with_other_settings(tmp_path, fake_notebook, capsys):
    out = tmp_path / "briefings"
    assert run(capsys, "brief", "--scenario", "hedging_partner", "--current", "demarche", "--samples", 200,
               "--out", out / "hedging_partner.html")[0] == 0
    assert export.recorded_settings(out / "hedging_partner.html")["current"] == "demarche"
    before = (out / "hedging_partner.html").read_bytes()
    code, _, err = run(capsys, "brief", "--all-scenarios", "--samples", 200, "--out", out)
    assert code == 2 and err.count("\n") == 1
    assert f"{out / 'hedging_partner.html'} was made with other settings (--current demarche there, not given now" \
           in err and "--force" in err
    assert sorted(p.name for p in out.iterdir()) == ["hedging_partner.html"]      # checked before any run
    assert (out / "hedging_partner.html").read_bytes() == before
    assert run(capsys, "brief", "--all-scenarios", "--samples", 200, "--out", out, "--force")[0] == 0
    assert len(list(out.glob("*.html"))) == len(decision.load_catalog().scenarios)
    assert export.recorded_settings(out / "hedging_partner.html")["current"] is None
    # the same settings again: a plain refresh, no question asked
    assert run(capsys, "brief", "--all-scenarios", "--samples", 200, "--out", out)[0] == 0


def test_single_briefing_names_the_differing_setting(tmp_path, fake_notebook, capsys):
    target = tmp_path / "b.html"
    assert run(capsys, "brief", "--samples", 200, "--out", target)[0] == 0
    code, _, err = run(capsys, "brief", "--samples", 200, "--profile", "rights-first", "--out", target)
    assert code == 2 and "--profile not given there, rights-first now" in err
    code, _, err = run(capsys, "brief", "--samples", 300, "--out", target)
    assert code == 2 and "--samples 200 there, 300 now" in err
    assert run(capsys, "brief", "--samples", 300, "--out", target, "--force")[0] == 0


def test_a_users_catalogue_is_recorded_by_content_not_by_its_path(tmp_path, fake_notebook, capsys):
    import shutil
    folder = tmp_path / "private-catalogue-name"
    shutil.copytree(decision.catalog.BUNDLED, folder, ignore=shutil.ignore_patterns("profiles", "cases", "examples"))
    target = tmp_path / "b.html"
    assert run(capsys, "brief", "--samples", 200, "--catalog", folder, "--out", target)[0] == 0
    assert "private-catalogue-name" not in target.read_text()
    assert export.recorded_settings(target)["catalog"].startswith("sha256:")


# ----------------------------------------------------------------------------------------------------------------
# Make targets (the command lines they build; nothing is installed or launched)

@pytest.mark.parametrize("uid, root", [("0", True), ("1000", False)])
def test_make_lab_passes_allow_root_only_as_root(uid, root):
    out = subprocess.run(["make", "-n", "-W", "pyproject.toml", "lab", f"USER_ID={uid}"], cwd=ROOT,
                         capture_output=True, text=True, check=True).stdout
    lab = [ln for ln in out.splitlines() if "jupyter lab" in ln]
    assert len(lab) == 1 and ("--allow-root" in lab[0]) == root and lab[0].endswith("notebooks/")
    assert "--quiet" not in out and "about 2 minutes" in out         # the install says what it does, with progress


# ----------------------------------------------------------------------------------------------------------------
# Every `.venv/bin/decision ...` line of README.md runs

def readme_commands() -> list[str]:
    """Each `.venv/bin/decision` command line of README.md's code blocks, continuation lines joined."""
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    blocks = re.findall(r"^```[^\n]*\n(.*?)^```", text, flags=re.DOTALL | re.MULTILINE)
    lines = "\n".join(blocks).replace("\\\n", " ").splitlines()
    return [ln.strip() for ln in lines if ln.strip().startswith(".venv/bin/decision")]


COMMANDS = readme_commands()


class ReadmeRun:
    """Runs README commands as a user would: from one working folder with one decision home, the `weights save`
    a later `--profile` needs first. Repository files named in a command (data/examples/...) are given by path."""

    def __init__(self, folder: Path):
        self.cwd, self.home = folder / "work", folder / "home"
        self.cwd.mkdir()
        self.done: dict[int, subprocess.CompletedProcess] = {}

    def argv(self, line: str) -> list[str]:
        words = shlex.split(line, comments=True)
        words[0] = str(DECISION)
        return [str(ROOT / w) if not w.startswith("-") and "/" in w and (ROOT / w).exists() else w for w in words]

    def result(self, i: int) -> subprocess.CompletedProcess:
        if i not in self.done:
            argv = self.argv(COMMANDS[i])
            if "--profile" in argv:
                name = argv[argv.index("--profile") + 1]
                for j, other in enumerate(COMMANDS[:i]):
                    if re.search(rf"weights save {re.escape(name)}\b", other):
                        self.result(j)
            env = {**os.environ, "DECISION_HOME": str(self.home)}
            self.done[i] = subprocess.run(argv, cwd=self.cwd, env=env, capture_output=True, text=True, timeout=900)
        return self.done[i]


@pytest.fixture(scope="module")
def readme(tmp_path_factory):
    return ReadmeRun(tmp_path_factory.mktemp("readme"))


def test_readme_has_the_commands_a_new_user_is_shown():
    assert len(COMMANDS) >= 15 and all(c.count(".venv/bin/decision") == 1 for c in COMMANDS)
    assert any("weights ahp data/examples/ahp-judgments.csv" in c for c in COMMANDS)
    assert (ROOT / "data" / "examples" / "ahp-judgments.csv").is_file()


@pytest.mark.parametrize("i", [pytest.param(i, id=c.split("#")[0][len(".venv/bin/decision "):].strip()[:60],
                                            marks=[pytest.mark.slow] if " brief " in c else [])
                               for i, c in enumerate(COMMANDS)])
def test_readme_command_runs(readme, i):
    if "--pdf" in COMMANDS[i]:
        require_chromium()
    proc = readme.result(i)
    assert proc.returncode == 0, proc.stderr
    assert "Traceback" not in proc.stderr + proc.stdout
    assert proc.stdout.strip() or proc.stderr.strip()
    if " explain " in COMMANDS[i]:
        assert "NaN" not in proc.stdout


def test_rank_survives_a_cross_check_method_that_cannot_rank(capsys):
    # two feasible combinations that tie on escalation risk: VIKOR's normalisation divides by a zero range, so it
    # cannot rank them; `decision rank --method wsm` used to fail with VIKOR's error (from the cross-check)
    argv = ["rank", "--scenario", "treaty_peer_in_crisis", "--max-tools", "2"]
    assert main(argv + ["--method", "wsm"]) == 0
    out = capsys.readouterr().out
    assert "2 feasible combinations" in out
    assert "vikor cannot rank these combinations" in out and "Methods: wsm, topsis agree on #1." in out
    assert main(argv + ["--format", "json"]) == 0
    checks = json.loads(capsys.readouterr().out)["checks"]
    assert checks["methods_undefined"] == ["vikor"] and set(checks["methods"]) == {"wsm", "topsis"}
    assert main(argv + ["--method", "vikor"]) == 2                      # asked for by name: a one-line error
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "divides by a spread that is zero" in err


def test_an_unknown_option_is_one_line_without_a_doubled_prefix(capsys):
    assert main(["rank", "--consensus"]) == 2
    assert capsys.readouterr().err == "decision: error: unrecognized arguments: --consensus (see --help)\n"
    assert main(["rank", "--method", "foo"]) == 2                       # a subcommand's parser names itself
    assert capsys.readouterr().err.startswith("decision: error: decision rank: argument --method: invalid choice")
