"""One self-contained HTML file: styles inline, figures as inline SVG (no external files)."""

from __future__ import annotations

from html import escape
from typing import TYPE_CHECKING

from .sections import Block, outline
from .tables import Table

if TYPE_CHECKING:
    from .report import ReportData

CSS = """
body{font-family:Arial,Helvetica,sans-serif;max-width:1100px;margin:2em auto;padding:0 1em;
color:#222;line-height:1.45}
h1{font-size:1.6em}h2{border-bottom:2px solid #1F4E79;padding-bottom:.2em;margin-top:2em}
table{border-collapse:collapse;margin:1em 0;font-size:.85em;width:100%}
th,td{border:1px solid #bbb;padding:4px 6px;vertical-align:top;text-align:left}
th{background:#DCE6F2}caption{font-weight:bold;text-align:left;padding:.4em 0}
ul.warnings li{color:#8B1A1A}ul.warnings li::marker{content:"⚠ "}
figure{margin:1.5em 0;overflow-x:auto}figcaption{font-size:.9em;color:#444}
figure svg{max-width:100%;height:auto}
"""


def render_html(data: ReportData) -> str:
    """The report as one HTML document that needs no other file."""
    parts = [
        "<!DOCTYPE html>",
        '<html lang="en"><head><meta charset="utf-8">',
        f"<title>{escape(data.title)}</title><style>{CSS}</style></head><body>",
        f"<h1>{escape(data.title)}</h1>",
    ]
    for section in outline(data):
        parts.append(f"<h2>{escape(section.heading)}</h2>")
        parts += [_block(b) for b in section.blocks]
    parts.append("</body></html>")
    return "\n".join(parts)


def _block(block: Block) -> str:
    if block.kind == "p":
        return f"<p>{escape(block.value)}</p>"
    if block.kind in ("list", "warnings"):
        items = "".join(f"<li>{escape(x)}</li>" for x in block.value)
        return f'<ul class="{block.kind}">{items}</ul>'
    if block.kind == "table":
        return _table(block.value)
    fig = block.value
    svg = fig.svg.split("?>", 1)[-1] if fig.svg.startswith("<?xml") else fig.svg
    return (
        f'<figure id="{escape(fig.stem)}">{svg}<figcaption><b>{escape(fig.title)}.</b> '
        f"{escape(fig.caption)}</figcaption></figure>"
    )


def _table(table: Table) -> str:
    head = "".join(f"<th>{escape(c)}</th>" for c in table.columns)
    body = "".join(
        "<tr>" + "".join(f"<td>{escape(c)}</td>" for c in row) + "</tr>" for row in table.rows
    )
    return (
        f"<table><caption>{escape(table.title)}</caption><thead><tr>{head}</tr></thead>"
        f"<tbody>{body}</tbody></table>"
    )
