"""``decision weights ...``: elicit weights, keep them as named profiles, and compare a team's profiles.

Registered by :func:`decision.cli.build_parser` through :func:`register`. Every user mistake is a DecisionError (one
line on stderr, exit 2).
"""
from __future__ import annotations

import io
import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from ..defaults import DEFAULT_METHOD, PROFILE_METHODS
from ..errors import DecisionError
from .common import MAX_TOOLS_OPTION, add_catalog, count

if TYPE_CHECKING:
    import pandas as pd

    from ..profiles import Profile
    from ..weights import AHPResult

BAR = 30


# ----------------------------------------------------------------------------------------------------------------
# Reading a pairwise matrix file (CSV or YAML)

def read_pairwise(path: str | Path):
    """Pairwise judgments from a file, in a form :func:`decision.weights.pairwise_matrix` accepts.

    CSV: a square table of numbers or fractions (``1/3``) with criterion ids as the header row, and optionally as the
    first column too. YAML: ``{criteria: [...], matrix: [[...], ...]}`` or ``{judgments: {"a/b": 3, ...}}``.
    """
    from .. import safeio  # noqa: PLC0415
    path = Path(path)
    if not os.path.lexists(path):
        raise DecisionError(f"pairwise matrix file not found: {path}")
    try:
        if path.suffix.lower() in (".yaml", ".yml"):
            return _pairwise_yaml(path)
        if path.suffix.lower() == ".csv":
            return _pairwise_csv(io.StringIO(safeio.read_text(path, limit=safeio.MAX_PROFILE_BYTES)))
    except DecisionError as exc:
        raise DecisionError(exc.problem, file=str(path), where=exc.where, field=exc.field) from None
    raise DecisionError(f"pairwise matrix file must be .csv, .yaml or .yml: {path}")


def _pairwise_yaml(path: Path):
    import pandas as pd  # noqa: PLC0415

    from .. import safeio  # noqa: PLC0415
    doc = safeio.load_yaml(path, limit=safeio.MAX_PROFILE_BYTES, label="not valid YAML")
    if isinstance(doc, dict) and "judgments" in doc:
        if not isinstance(doc["judgments"], dict):
            raise DecisionError("expected a mapping 'more/less': ratio", field="judgments")
        return doc["judgments"]
    if isinstance(doc, dict) and "matrix" in doc:
        crit = doc.get("criteria")
        m = doc["matrix"]
        if not isinstance(m, list) or not all(isinstance(r, list) for r in m):
            raise DecisionError("expected a list of rows", field="matrix")
        if crit is None:
            return m
        if not isinstance(crit, list) or len(crit) != len(m):
            raise DecisionError(f"expected one criterion id per matrix row ({len(m)})", field="criteria")
        if any(len(r) != len(m) for r in m):
            raise DecisionError(f"pairwise matrix must be square ({len(m)} rows)", field="matrix")
        return pd.DataFrame(m, index=[str(c) for c in crit], columns=[str(c) for c in crit])
    raise DecisionError("expected a mapping with 'criteria' and 'matrix', or with 'judgments'")


def _pairwise_csv(path):
    import pandas as pd  # noqa: PLC0415

    from .. import weights as W  # noqa: PLC0415
    try:
        df = pd.read_csv(path, dtype=str, skipinitialspace=True, comment="#")
    except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError) as exc:
        raise DecisionError(f"cannot read CSV ({str(exc).splitlines()[0]})") from None
    heads = [str(c).strip() for c in df.columns]

    def numeric(s):
        try:
            W._number(s, "")
            return True
        except DecisionError:
            return False

    if all(numeric(h) for h in heads):            # no header row: plain numbers
        path.seek(0)
        df = pd.read_csv(path, dtype=str, header=None, skipinitialspace=True, comment="#")
        return df.to_numpy(dtype=object)
    if df.shape[1] == df.shape[0] + 1:            # first column holds row labels
        labels = [str(x).strip() for x in df.iloc[:, 0]]
        df = df.iloc[:, 1:]
        if labels != heads[1:]:
            raise DecisionError(f"row labels ({', '.join(labels)}) must equal the column labels "
                                f"({', '.join(heads[1:])}) in the same order")
        heads = heads[1:]
    if df.shape[0] != df.shape[1]:
        raise DecisionError(f"pairwise matrix must be square, got {df.shape[0]} rows and {df.shape[1]} columns")
    return pd.DataFrame(df.to_numpy(dtype=object), index=heads, columns=heads)


# ----------------------------------------------------------------------------------------------------------------
# Formatting

def format_weights(w: pd.Series, title: str = "") -> str:
    """A table of weights with a bar each (weights sum to 1)."""
    width = max(len(str(c)) for c in w.index)
    lines = [title] if title else []
    lines.append(f"{'criterion':<{width}}  {'weight':>7}")
    for c, v in w.items():
        lines.append(f"{str(c):<{width}}  {v:>7.4f}  {'#' * round(v * BAR)}")
    return "\n".join(lines)


def format_ahp(r: AHPResult) -> str:
    n = len(r.weights)
    lines = [format_weights(r.weights, "AHP weights (principal eigenvector, Saaty):"), "",
             f"lambda_max = {r.lambda_max:.4f}   (n = {n})",
             f"consistency index CI = (lambda_max - n)/(n - 1) = {r.consistency_index:.4f}",
             f"random index RI({n}) = {r.random_index:g}   table: {r.random_index_table}",
             f"consistency ratio CR = CI/RI = {r.consistency_ratio:.4f}   "
             + (f"ABOVE {r.threshold:.2f}: revise the judgments" if r.inconsistent
                else f"acceptable (<= {r.threshold:.2f})")]
    if r.worst_judgment:
        a, b, given, implied = r.worst_judgment
        lines.append(f"most inconsistent judgment: {a}/{b} = {_ratio(given)}; the other judgments imply about "
                     f"{_ratio(implied)}")
    return "\n".join(lines)


def _ratio(x: float) -> str:
    return f"{x:.3g}" if x >= 1 else f"1/{1 / x:.3g}"


def format_profile(p: Profile) -> str:
    from ..profiles import INPUT_KEY  # noqa: PLC0415
    key = INPUT_KEY[p.method]
    value = p.inputs[key]
    inputs = value if isinstance(value, str) else ", ".join(f"{k}={_num(v)}" for k, v in value.items())
    lines = [f"Profile: {p.name}   method: {p.method}   author: {p.author or '-'}   date: {p.date or '-'}",
             f"Inputs ({key}): {inputs}", "", format_weights(p.weights)]
    if p.method == "ahp":
        r = p.ahp
        lines.append(f"\nconsistency ratio {r.consistency_ratio:.4f} ({r.random_index_table})"
                     + ("  ABOVE 0.10: revise the judgments" if r.inconsistent else ""))
    if p.rationale:
        lines += ["", "Rationale:", p.rationale]
    if p.path:
        lines += ["", f"File: {p.path}"]
    return "\n".join(lines)


def _num(v) -> str:
    return f"{v:g}" if isinstance(v, (int, float)) else str(v)


# ----------------------------------------------------------------------------------------------------------------
# Commands

def _criteria(args):
    from ..catalog import load_catalog  # noqa: PLC0415
    return load_catalog(args.catalog).criterion_ids


def _order_or_n(text: str):
    return int(text) if text.strip().isdigit() else text


def cmd_rank_rule(args) -> int:
    from .. import weights as W  # noqa: PLC0415
    rule = {"roc": W.roc, "rank-sum": W.rank_sum, "rank-reciprocal": W.rank_reciprocal}[args.weights_command]
    value = _order_or_n(args.order)
    w = rule(value, None if isinstance(value, int) else _criteria(args))
    name = {"roc": "Rank-order-centroid", "rank-sum": "Rank-sum", "rank-reciprocal": "Rank-reciprocal"}
    print(format_weights(w, f"{name[args.weights_command]} weights for: "
                            f"{value if isinstance(value, int) else W.format_order(W.parse_order(value))}"))
    return 0


def cmd_swing(args) -> int:
    from .. import weights as W  # noqa: PLC0415
    print(format_weights(W.swing(args.points, _criteria(args)), "Swing weights (points / total):"))
    return 0


def cmd_direct(args) -> int:
    from .. import weights as W  # noqa: PLC0415
    print(format_weights(W.parse_weights(args.values, _criteria(args)), "Direct weights (normalised):"))
    return 0


def _in_file(path, fn, *a, **k):
    """Call ``fn``; a DecisionError without a file gets ``path`` (the judgments came from that file)."""
    try:
        return fn(*a, **k)
    except DecisionError as exc:
        if exc.file or path is None:
            raise
        raise DecisionError(exc.problem, file=str(path), where=exc.where, field=exc.field) from None


def cmd_ahp(args) -> int:
    from .. import weights as W  # noqa: PLC0415
    print(format_ahp(_in_file(args.file, W.ahp, read_pairwise(args.file), _criteria(args))))
    return 0


def cmd_objective(args) -> int:
    from .. import weights as W  # noqa: PLC0415
    from ..catalog import CAVEAT, load_catalog  # noqa: PLC0415
    from ..portfolios import build_portfolios  # noqa: PLC0415  (heavy; only for this command)
    cat = load_catalog(args.catalog)
    p = build_portfolios(cat, args.scenario, max_tools=args.max_tools)
    if args.weights_command == "entropy":
        w, what = W.entropy(p.values, cat.criterion_ids), "Entropy"
    else:
        w, what = W.critic(p.values, cat.types, cat.criterion_ids), "CRITIC"
    print(format_weights(w, f"{what} weights over the {len(p):,} feasible combinations of scenario "
                            f"{p.adjusted.scenario.id}:"))
    print(f"\nNote: {W.OBJECTIVE_LABEL}.\n{CAVEAT}")
    return 0


def _save_inputs(method: str, text: str):
    """(inputs, file they came from or None)."""
    from .. import weights as W  # noqa: PLC0415
    if method == "ahp":
        path = Path(text)
        if path.suffix.lower() in (".csv", ".yaml", ".yml") or path.is_file():
            return read_pairwise(path), path
        return W._parse_assignments(text, "ahp inputs"), None      # "a/b=3,a/c=1/2,..."
    return text, None


def cmd_save(args) -> int:
    from ..profiles import make_profile, save_profile  # noqa: PLC0415
    crit = _criteria(args)
    inputs, path = _save_inputs(args.method, args.inputs)
    p = _in_file(path, make_profile, args.name, args.method, inputs, crit, author=args.author,
                 rationale=args.rationale)
    path = save_profile(p, args.profiles_dir, overwrite=args.force)
    print(format_profile(p))
    print(f"saved: {path}", file=sys.stderr)
    if p.method == "ahp" and p.ahp.inconsistent:
        print(f"warning: consistency ratio {p.ahp.consistency_ratio:.3f} is above 0.10; consider revising the "
              "judgments (decision weights show " + p.name + ")", file=sys.stderr)
    return 0


def cmd_list(args) -> int:
    from ..profiles import list_profiles, user_dir  # noqa: PLC0415
    df = list_profiles(args.profiles_dir, _criteria(args))
    if df.empty:
        print(f"no profiles found (looked in {user_dir(args.profiles_dir)}/ and the bundled data/profiles/)")
        return 0
    print(df.drop(columns=["path"]).to_string(index=False))
    return 0


def cmd_show(args) -> int:
    from ..catalog import load_catalog  # noqa: PLC0415
    from ..profiles import load_profile  # noqa: PLC0415
    cat = load_catalog(args.catalog)
    print(format_profile(load_profile(args.profile, cat, args.profiles_dir)))
    return 0


def cmd_group(args) -> int:
    from ..catalog import CAVEAT, load_catalog  # noqa: PLC0415
    from ..group import group_view  # noqa: PLC0415  (imports ranking; only for this command)
    from ..profiles import load_profile  # noqa: PLC0415
    from ..portfolios import build_portfolios  # noqa: PLC0415
    if len(args.profiles) < 2:
        raise DecisionError("weights group: give at least two profiles")
    cat = load_catalog(args.catalog)
    profiles = [load_profile(n, cat, args.profiles_dir) for n in args.profiles]
    p = build_portfolios(cat, args.scenario, max_tools=args.max_tools)
    g = group_view(p, profiles, top=args.top, method=args.method)
    print(f"Group of {len(g.names)} profiles: {', '.join(g.names)}")
    print(f"Scenario: {g.scenario}   Method: {g.method} (each profile ranks the combinations by it; rank 1 = best)"
          f"   {len(p):,} feasible combinations\n")
    print("Weights and disagreement (spread = max - min; std across profiles), widest spread first:")
    print(g.disagreement.round(3).to_string() + "\n")
    print(format_weights(g.aggregated, f"Group weights ({g.rule}):"))
    if g.group_ahp is not None:
        print(f"group consistency ratio {g.group_ahp.consistency_ratio:.4f}")
    rank_cols = [f"rank_{n}" for n in g.names]
    print()
    if len(g.robust):
        print(f"Robust across analysts: {len(g.robust)} combination(s) in the top {g.top} under every profile")
        print(_rank_table(g.robust, rank_cols))
    else:
        k = int(g.closest["worst_rank"].min())
        print(f"No combination is in the top {g.top} under every profile; the smallest k for which one is in "
              f"everyone's top k is {k:,}.")
        print(f"Closest (best worst-case rank):\n{_rank_table(g.closest, rank_cols)}")
    print("\n" + CAVEAT)
    return 0


def _rank_table(df: pd.DataFrame, rank_cols) -> str:
    lines = []
    for i, (_, r) in enumerate(df.iterrows(), 1):
        ranks = ", ".join(f"{c[5:]} {int(r[c])}" for c in rank_cols)
        lines.append(f"{i:>3}. {r['tools']}\n     worst rank {int(r['worst_rank'])}; {ranks}")
    return "\n".join(lines)


# ----------------------------------------------------------------------------------------------------------------

def register(sub) -> None:
    """Add ``decision weights ...`` to the main parser's subcommands."""
    w = sub.add_parser("weights", help="elicit weights, save and compare weight profiles")
    ws = w.add_subparsers(dest="weights_command", required=True, parser_class=type(w))

    def profiles_dir(p):
        p.add_argument("--profiles-dir", metavar="DIR",
                       help="your profile folder (default: $DECISION_PROFILES, else $DECISION_HOME/profiles, else "
                            "~/.config/decision/profiles; see docs/weights.md)")

    order_help = "importance order, e.g. 'rights_protection>legitimacy>security_continuity=escalation_risk' " \
                 "('>' more important, '=' tied), or a number n for the weights of ranks 1..n"
    for name, desc in (("roc", "rank-order-centroid weights (Barron & Barrett 1996)"),
                       ("rank-sum", "rank-sum weights"), ("rank-reciprocal", "rank-reciprocal weights")):
        p = ws.add_parser(name, help=desc)
        add_catalog(p)
        p.add_argument("order", help=order_help)
        p.set_defaults(func=cmd_rank_rule)

    p = ws.add_parser("swing", help="swing weights: the most important swing gets 100 points")
    add_catalog(p)
    p.add_argument("points", help="e.g. rights_protection=100,legitimacy=60,security_continuity=50,escalation_risk=40")
    p.set_defaults(func=cmd_swing)

    p = ws.add_parser("direct", help="normalise direct numbers to weights")
    add_catalog(p)
    p.add_argument("values", help="e.g. rights_protection=4,security_continuity=3,legitimacy=2,escalation_risk=1")
    p.set_defaults(func=cmd_direct)

    p = ws.add_parser("ahp", help="AHP weights and consistency ratio from a pairwise matrix file")
    add_catalog(p)
    p.add_argument("file", help="CSV (square, criterion ids as header) or YAML ({criteria, matrix} or {judgments})")
    p.set_defaults(func=cmd_ahp)

    for name, desc in (("entropy", "data-driven entropy weights over the feasible combinations"),
                       ("critic", "data-driven CRITIC weights over the feasible combinations")):
        p = ws.add_parser(name, help=desc)
        add_catalog(p)
        p.add_argument("--scenario")
        p.add_argument("--max-tools", type=MAX_TOOLS_OPTION)
        p.set_defaults(func=cmd_objective)

    p = ws.add_parser("save", help="save a named weight profile (YAML)")
    add_catalog(p)
    profiles_dir(p)
    p.add_argument("name", help="profile name: lower-case letters, digits, '-', '_'")
    p.add_argument("--method", required=True, choices=PROFILE_METHODS)
    p.add_argument("--inputs", required=True,
                   help="roc/rank_sum/rank_reciprocal: an importance order 'a>b=c>d'; swing: 'a=100,b=60,...'; "
                        "direct: 'a=4,b=3,...'; ahp: a CSV/YAML matrix file or 'a/b=3,a/c=5,...'")
    p.add_argument("--author", default="")
    p.add_argument("--rationale", default="", help="why these weights (kept in the file)")
    p.add_argument("--force", action="store_true", help="overwrite an existing profile of that name")
    p.set_defaults(func=cmd_save)

    p = ws.add_parser("list", help="list the saved and bundled profiles")
    add_catalog(p)
    profiles_dir(p)
    p.set_defaults(func=cmd_list)

    p = ws.add_parser("show", help="show one profile: inputs, weights, rationale")
    add_catalog(p)
    profiles_dir(p)
    p.add_argument("profile", help="profile name or path to a .yaml file")
    p.set_defaults(func=cmd_show)

    p = ws.add_parser("group", help="compare profiles: aggregate, disagreement, combinations robust across analysts")
    add_catalog(p)
    profiles_dir(p)
    p.add_argument("profiles", nargs="+", help="two or more profile names or paths")
    p.add_argument("--scenario")
    p.add_argument("--top", type=count(1, 1_000, "top"), default=5)
    p.add_argument("--method", default=DEFAULT_METHOD, help="ranking method (as in `decision rank`)")
    p.add_argument("--max-tools", type=MAX_TOOLS_OPTION)
    p.set_defaults(func=cmd_group)
