"""Regenerate the figures of docs/evidence.md from the backtest (never typed by hand).

    .venv/bin/python docs/refresh_evidence.py            # rewrite the blocks between the markers
    .venv/bin/python docs/refresh_evidence.py --check    # exit 1 if the document is out of date (a test runs this)

Each block sits between ``<!-- backtest:NAME -->`` and ``<!-- /backtest:NAME -->``; the "before" figures come from
``docs/evidence/backtest-before.json``: ``decision backtest --lenient --format json`` run at the commit recorded in it,
on today's library.
"""
from __future__ import annotations

import json
import re
import sys
from pathlib import Path

import decision
from decision.backtest import backtest_markdown, run_backtest

DOC = Path(__file__).with_name("evidence.md")
BEFORE = Path(__file__).parent / "evidence" / "backtest-before.json"


def blocks() -> dict[str, str]:
    before = json.loads(BEFORE.read_text(encoding="utf-8")) if BEFORE.exists() else None
    return backtest_markdown(run_backtest(decision.load_catalog()), before)


def refreshed(text: str, new: dict[str, str]) -> str:
    for name, body in new.items():
        pattern = re.compile(rf"(<!-- backtest:{name} -->\n)(?:.*?\n)?(<!-- /backtest:{name} -->)", re.S)
        if not pattern.search(text):
            raise SystemExit(f"docs/evidence.md has no block '{name}' (<!-- backtest:{name} --> ... )")
        text = pattern.sub(lambda m: m.group(1) + body + "\n" + m.group(2), text)
    return text


def main(argv: list[str]) -> int:
    text = DOC.read_text(encoding="utf-8")
    new = refreshed(text, blocks())
    if "--check" in argv:
        return 0 if new == text else 1
    DOC.write_text(new, encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
