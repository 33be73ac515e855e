"""Display-ready building blocks of a document section: every field a string a reader may see (no numbers, ids or
Python values), laid out by templates (``decision/templates/parts/``), read by tests.

A :class:`Section` is a titled sequence of blocks: :class:`Text` (a paragraph), :class:`Items` (a list),
:class:`Pairs` (label: value lines), :class:`Cited` (lines with their sources as links), :class:`Table`, :class:`Tree` (nested list) and :class:`Heading`. A new
briefing section (e.g. case precedents) is a function returning a Section plus one line where the sections are listed.
"""
from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Text:
    text: str
    css: str = ""
    label: str = ""                 # bold lead-in ("Rationale:")


@dataclass(frozen=True)
class Heading:
    text: str


@dataclass(frozen=True)
class Items:
    items: tuple[str, ...]
    css: str = ""


@dataclass(frozen=True)
class Pairs:
    """Label: value lines (a definition list)."""
    pairs: tuple[tuple[str, str], ...]
    css: str = ""


@dataclass(frozen=True)
class Table:
    """A table of strings. ``numeric[j]``: column j is right-aligned figures. ``attrs[i]``: data attributes of row i
    (for tests and styling, e.g. ``{"kind": "option"}``). On a narrow screen rows stack, each cell led by its column's
    label."""
    columns: tuple[str, ...]
    rows: tuple[tuple[str, ...], ...]
    numeric: tuple[bool, ...] = ()
    caption: str = ""
    css: str = ""
    attrs: tuple[dict, ...] = ()

    def __post_init__(self):
        if any(len(r) != len(self.columns) for r in self.rows):
            raise ValueError("every row needs one cell per column")
        if not self.numeric:
            object.__setattr__(self, "numeric", (False,) * len(self.columns))

    def column(self, name: str) -> list[str]:
        j = self.columns.index(name)
        return [r[j] for r in self.rows]


@dataclass(frozen=True)
class Link:
    """A link: ``label`` is shown, ``url`` (http or https only; anything else is shown as text) is the target,
    ``title`` the full label shown on hover."""
    label: str
    url: str
    title: str = ""


@dataclass(frozen=True)
class Cited:
    """A list of lines, each followed by its sources as links: ``items`` are (line, links) pairs."""
    items: tuple[tuple[str, tuple[Link, ...]], ...]
    lead: str = "Sources:"
    css: str = ""


@dataclass(frozen=True)
class Node:
    text: str
    detail: str = ""
    children: tuple["Node", ...] = ()


@dataclass(frozen=True)
class Tree:
    root: Node
    css: str = ""


@dataclass(frozen=True)
class Section:
    """A titled part of a document; ``key`` names it (CSS class ``section-<key>``, tests); ``level`` 2 or 3."""
    key: str
    title: str
    blocks: tuple = ()
    level: int = 2
    css: str = ""
    subsections: tuple["Section", ...] = field(default=())

    def texts(self) -> list[str]:
        """Every string a reader may see in this section (for tests: no raw values)."""
        out = [self.title]
        for b in self.blocks:
            out += _texts(b)
        for s in self.subsections:
            out += s.texts()
        return out


def _texts(b) -> list[str]:
    if isinstance(b, (Text, Heading)):
        return [b.text, getattr(b, "label", "")]
    if isinstance(b, Items):
        return list(b.items)
    if isinstance(b, Cited):
        return [b.lead, *(x for text, links in b.items for x in (text, *(k.label for k in links)))]
    if isinstance(b, Pairs):
        return [x for p in b.pairs for x in p]
    if isinstance(b, Table):
        return [*b.columns, b.caption, *(c for r in b.rows for c in r)]
    if isinstance(b, Tree):
        stack, out = [b.root], []
        while stack:
            n = stack.pop()
            out += [n.text, n.detail]
            stack += list(n.children)
        return out
    texts = getattr(b, "texts", None)
    return list(texts()) if callable(texts) else []
