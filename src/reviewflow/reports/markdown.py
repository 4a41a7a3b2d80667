"""The report as Markdown (GitHub tables); figures are the PNG files written beside it."""

from __future__ import annotations

from typing import TYPE_CHECKING

from .sections import Block, outline
from .tables import Table

if TYPE_CHECKING:
    from .report import ReportData


def render_markdown(data: ReportData) -> str:
    """Markdown text; figures link to ``<stem>.png`` in the same folder."""
    lines = [f"# {data.title}", ""]
    for section in outline(data):
        lines += [f"## {section.heading}", ""]
        for block in section.blocks:
            lines += [*_block(block), ""]
    return "\n".join(lines)


def _block(block: Block) -> list[str]:
    if block.kind == "p":
        return [block.value]
    if block.kind == "list":
        return [f"- {x}" for x in block.value]
    if block.kind == "warnings":
        return [f"- ⚠ {x}" for x in block.value]
    if block.kind == "table":
        return _table(block.value)
    fig = block.value
    return [f"![{fig.title}]({fig.stem}.png)", "", f"*{fig.title}.* {fig.caption}"]


def _cell(text: str) -> str:
    return " ".join(str(text).split()).replace("|", "\\|")


def _table(table: Table) -> list[str]:
    out = [f"**{table.title}**", ""]
    out.append("| " + " | ".join(_cell(c) for c in table.columns) + " |")
    out.append("|" + "---|" * len(table.columns))
    out += ["| " + " | ".join(_cell(c) for c in row) + " |" for row in table.rows]
    return out
