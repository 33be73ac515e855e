"""Size limits of the developers' guide (TEAM.md, issue 19): no class in decision/ over 250 lines and no function or
method over 80 (nested ones included), counted by ``ast`` from the ``def``/``class`` line to the last line of the
body (decorators not counted). A long function is split into named pieces, not allowed here."""
from __future__ import annotations

import ast
from pathlib import Path

import decision

PACKAGE = Path(decision.__file__).parent
MAX_CLASS_LINES = 250
MAX_FUNCTION_LINES = 80
ALLOWED: set[str] = set()
"""Functions or classes allowed over the limit while being split (each with a comment saying where); empty."""


def sizes(source: str, module: str) -> list[tuple[str, str, int]]:
    """``(kind, module.Qual.name, lines)`` of every class and function in ``source``, nested ones included."""
    out = []

    def walk(node, prefix):
        for child in ast.iter_child_nodes(node):
            if isinstance(child, (ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)):
                name = f"{prefix}.{child.name}"
                kind = "class" if isinstance(child, ast.ClassDef) else "function"
                out.append((kind, name, child.end_lineno - child.lineno + 1))
                walk(child, name)
            else:
                walk(child, prefix)

    walk(ast.parse(source), module)
    return out


def too_long(source: str, module: str) -> list[str]:
    limit = {"class": MAX_CLASS_LINES, "function": MAX_FUNCTION_LINES}
    return [f"{kind} {name}: {n} lines (limit {limit[kind]})" for kind, name, n in sizes(source, module)
            if n > limit[kind] and name not in ALLOWED]


def _module(path: Path) -> str:
    return ".".join(path.relative_to(PACKAGE).with_suffix("").parts)


def test_no_class_or_function_in_the_package_is_over_the_limit():
    found = [msg for path in sorted(PACKAGE.rglob("*.py")) for msg in too_long(path.read_text(encoding="utf-8"),
                                                                               _module(path))]
    assert not found, "split these into named pieces:\n" + "\n".join(found)


def test_the_allow_list_names_only_functions_that_exist():
    names = {name for path in sorted(PACKAGE.rglob("*.py"))
             for _, name, _ in sizes(path.read_text(encoding="utf-8"), _module(path))}
    assert ALLOWED <= names


def test_the_counter_sees_a_long_function_a_long_method_and_a_long_class():
    body = "".join(f"    x{i} = {i}\n" for i in range(80))                       # def line + 80 = 81 lines
    long_function = f"def f():\n{body}"
    assert too_long(long_function, "m") == ["function m.f: 81 lines (limit 80)"]
    assert too_long(f"def f():\n{body[:-len('    x79 = 79')-1]}", "m") == []      # 80 lines: allowed
    nested = "class C:\n    def g(self):\n        def h():\n" + body.replace("    ", "            ")
    assert "function m.C.g.h: 81 lines (limit 80)" in too_long(nested, "m")
    methods = "class K:\n" + "".join(f"    def m{i}(self):\n        return {i}\n\n" for i in range(84))
    assert too_long(methods, "m") == [f"class m.K: {1 + 3 * 84 - 1} lines (limit 250)"]
    assert too_long(long_function, "options") == ["function options.f: 81 lines (limit 80)"]
