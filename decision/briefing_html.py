"""The briefing's HTML: :mod:`decision.briefing_content` laid out by Jinja templates shipped with the package
(``decision/templates/parts/``: ``cover.html.j2``, ``section.html.j2``, the macros in ``blocks.html.j2`` and the
look in ``briefing.css``). Autoescaped: a tool name holding ``<script>`` is shown as text.

The notebook displays these pieces one by one, between its figures; :mod:`decision.export` turns the notebook into
one offline file. :data:`PLOT_CONFIG` is the plotly configuration of every briefing figure: sized to its container
(``responsive``), no mode bar (nothing to click in a memo or on paper).
"""
from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from .briefing_content import BriefingContent, Cover

TEMPLATES = Path(__file__).resolve().parent / "templates" / "parts"
PLOT_CONFIG = {"responsive": True, "displayModeBar": False}


@lru_cache(maxsize=1)
def environment():
    import jinja2  # noqa: PLC0415
    env = jinja2.Environment(loader=jinja2.FileSystemLoader(str(TEMPLATES)), autoescape=True,
                             undefined=jinja2.StrictUndefined, trim_blocks=False, lstrip_blocks=False)
    env.globals["block_kind"] = lambda x: type(x).__name__
    return env


def cover_html(cover: Cover) -> str:
    """Page 1: the style sheet, handling line, headline, labelled bottom line, context and the options table."""
    return environment().get_template("cover.html.j2").render(cover=cover)


def sections_html(content: BriefingContent, *keys: str, parameters: bool = False) -> str:
    """The sections named ``keys`` (``content.section(key)``), and with ``parameters`` the run's parameters as JSON in
    a script element (stored, not shown)."""
    return environment().get_template("section.html.j2").render(
        sections=[content.section(k) for k in keys], parameters=content.parameters if parameters else None)


def caption_html(content: BriefingContent, figure: str) -> str:
    """The caption of ``figure``, shown in the figure's own cell above it (print keeps the two together)."""
    return environment().get_template("caption.html.j2").render(caption=content.captions[figure])
