"""The report as Markdown (GitHub tables); figures are the PNG files written beside it."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from .sections import Block, outline
from .tables import Table

if TYPE_CHECKING:
    from .report import ReportData


#: Control characters (C0 but tab and newline, DEL, C1) have no place in a document.
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")
#: An ``&`` that would start a character reference (``&lt;``, ``&#60;``).
_ENTITY = re.compile(r"&(?=#?[0-9A-Za-z]+;)")


def text(value: object) -> str:
    """Record text as Markdown shows it literally: a title ``<script>`` is text, not HTML.

    ``<`` becomes ``&lt;`` and an ``&`` that would start a character reference ``&amp;``
    (GitHub, Pandoc and Python-Markdown all render these as the characters); a lone ``&``
    or ``>`` is already literal and is left as typed.
    """
    return _ENTITY.sub("&amp;", _CONTROL.sub("", str(value))).replace("<", "&lt;")


def render_markdown(data: ReportData) -> str:
    """Markdown text; figures link to ``<stem>.png`` in the same folder."""
    lines = [f"# {text(data.title)}", ""]
    for section in outline(data):
        lines += [f"## {text(section.heading)}", ""]
        for block in section.blocks:
            lines += [*_block(block), ""]
    return "\n".join(lines)


def _block(block: Block) -> list[str]:
    if block.kind == "p":
        return [text(block.value)]
    if block.kind == "list":
        return [f"- {text(x)}" for x in block.value]
    if block.kind == "warnings":
        return [f"- ⚠ {text(x)}" for x in block.value]
    if block.kind == "table":
        return _table(block.value)
    fig = block.value
    title = text(fig.title)
    return [f"![{title}]({fig.stem}.png)", "", f"*{title}.* {text(fig.caption)}"]


def _cell(value: str) -> str:
    return " ".join(text(value).split()).replace("|", "\\|")


def _table(table: Table) -> list[str]:
    out = [f"**{text(table.title)}**", ""]
    out.append("| " + " | ".join(_cell(c) for c in table.columns) + " |")
    out.append("|" + "---|" * len(table.columns))
    out += ["| " + " | ".join(_cell(c) for c in row) + " |" for row in table.rows]
    return out
