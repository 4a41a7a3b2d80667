"""The thematic tree figure: analytical → descriptive themes → codes, with their studies.

Drawn as SVG by hand (like the PRISMA diagram, and sharing its text measuring) because the
figure is three columns of wrapped boxes joined by elbow lines: a graph-layout library
(graphviz) would add a system dependency and still need the column and wrapping rules.
Every node lists the studies that support it, from the derived theme × study matrix and
the code applications, so the figure shows how each stage maps onto the studies.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape

from .prisma_svg import svg_to_png, wrap

FONT = "Arial, Helvetica, sans-serif"
SIZE = 11.0
LINE = 14.0
PAD = 8.0
GAP = 10.0
COL_W = (230.0, 290.0, 270.0)
COL_GAP = 40.0
MARGIN = 16.0
FILL = {"analytical": "#1F4E79", "descriptive": "#DCE6F2", "code": "#FFFFFF"}
INK = {"analytical": "#FFFFFF", "descriptive": "#000000", "code": "#000000"}


@dataclass
class Node:
    kind: str
    title: str
    studies: str
    x: float
    width: float
    y: float = 0.0

    def lines(self) -> list[tuple[str, bool]]:
        out = [(t, True) for t in wrap(self.title, self.width - 2 * PAD, bold=True)]
        out += [(t, False) for t in wrap(self.studies, self.width - 2 * PAD, size=SIZE - 1)]
        return out

    @property
    def height(self) -> float:
        return len(self.lines()) * LINE + 2 * PAD - 2

    @property
    def mid(self) -> float:
        return self.y + self.height / 2


def _studies(ids: Sequence[int], short: Mapping[int, str]) -> str:
    if not ids:
        return "Studies: none coded"
    return f"Studies ({len(ids)}): " + ", ".join(short.get(i, str(i)) for i in ids)


def _layout(
    tree: Sequence[Mapping[str, Any]],
    short: Mapping[int, str],
    code_studies: Mapping[str, Sequence[int]],
) -> tuple[list[Node], list[tuple[Node, Node]]]:
    xs = [MARGIN, MARGIN + COL_W[0] + COL_GAP, MARGIN + COL_W[0] + COL_W[1] + 2 * COL_GAP]
    nodes: list[Node] = []
    edges: list[tuple[Node, Node]] = []
    y = MARGIN + 24.0
    for top in tree:
        a = Node("analytical", f"{top['label'] or ''} {top['name']}".strip(), "", xs[0], COL_W[0])
        a.studies = _studies(top["studies"], short)
        children = []
        for theme in top.get("themes", []):
            d = Node(
                "descriptive",
                f"{theme['label'] or ''} {theme['name']}".strip(),
                "",
                xs[1],
                COL_W[1],
            )
            d.studies = _studies(theme["studies"], short)
            codes = [
                Node("code", name, _studies(code_studies.get(name, []), short), xs[2], COL_W[2])
                for name in theme.get("codes", [])
            ]
            block = sum(c.height for c in codes) + GAP * max(len(codes) - 1, 0)
            start = y
            if d.height > block:  # centre the codes on a tall theme box
                start = y + (d.height - block) / 2
            cy = start
            for c in codes:
                c.y = cy
                cy += c.height + GAP
                edges.append((d, c))
            d.y = y + max(block, d.height) / 2 - d.height / 2
            y += max(block, d.height) + 2 * GAP
            nodes += [d, *codes]
            children.append(d)
            edges.append((a, d))
        if children:
            span_top, span_bottom = children[0].y, children[-1].y + children[-1].height
            a.y = max(span_top, (span_top + span_bottom) / 2 - a.height / 2)
            y = max(y, a.y + a.height + 2 * GAP)
        else:
            a.y = y
            y += a.height + 2 * GAP
        y += 2 * GAP
        nodes.append(a)
    return nodes, edges


def to_svg(
    tree: Sequence[Mapping[str, Any]],
    study_labels: Mapping[int, str],
    *,
    code_studies: Mapping[str, Sequence[int]] | None = None,
    title: str = "Thematic tree",
) -> str:
    """The tree as a standalone SVG; ``code_studies`` maps code name → study ids."""
    short = {k: short_label(v) for k, v in study_labels.items()}
    nodes, edges = _layout(tree, short, code_studies or {})
    width = MARGIN * 2 + sum(COL_W) + 2 * COL_GAP
    height = max((n.y + n.height for n in nodes), default=60) + MARGIN
    body = []
    heads = ("Analytical themes", "Descriptive themes", "Codes")
    x = MARGIN
    for head, w in zip(heads, COL_W, strict=True):
        body.append(
            f'<text x="{x + w / 2:.1f}" y="{MARGIN + 8}" text-anchor="middle" font-size="13" '
            f'font-weight="bold">{head}</text>'
        )
        x += w + COL_GAP
    for parent, child in edges:
        x1, x2 = parent.x + parent.width, child.x
        xm = x1 + COL_GAP / 2
        body.append(
            f'<path d="M{x1:.1f},{parent.mid:.1f} H{xm:.1f} V{child.mid:.1f} H{x2:.1f}" '
            'fill="none" stroke="#555555" stroke-width="1.2"/>'
        )
    for n in nodes:
        body.append(_box(n))
    return "\n".join(
        [
            '<?xml version="1.0" encoding="UTF-8"?>',
            f'<svg xmlns="http://www.w3.org/2000/svg" width="{width:.0f}" height="{height:.0f}" '
            f'viewBox="0 0 {width:.0f} {height:.0f}" font-family="{FONT}">',
            f"<title>{escape(title)}</title>",
            f'<rect width="{width:.0f}" height="{height:.0f}" fill="#FFFFFF"/>',
            *body,
            "</svg>",
            "",
        ]
    )


def _box(n: Node) -> str:
    out = [
        f'<g class="{n.kind}"><rect x="{n.x:.1f}" y="{n.y:.1f}" width="{n.width:.1f}" '
        f'height="{n.height:.1f}" rx="5" fill="{FILL[n.kind]}" stroke="#1F4E79" '
        'stroke-width="1"/>'
    ]
    for i, (text, bold) in enumerate(n.lines()):
        weight = ' font-weight="bold"' if bold else ""
        size = SIZE if bold else SIZE - 1
        out.append(
            f'<text x="{n.x + PAD:.1f}" y="{n.y + PAD + 10 + i * LINE:.1f}" font-size="{size:g}" '
            f'fill="{INK[n.kind]}"{weight}>{escape(text)}</text>'
        )
    out.append("</g>")
    return "".join(out)


def short_label(label: str | None) -> str:
    """'Kellezi et al. 2019 [7]' → 'Kellezi 2019', 'Greenwood et al. 2013a' →
    'Greenwood 2013a': short enough for a node."""
    words = (label or "").replace(",", " ").split()
    year = next((w for w in words if _YEAR.fullmatch(w)), "")
    name = []
    for w in words:
        if w in ("et", "&", "and") or _YEAR.fullmatch(w) or w.startswith("["):
            break
        name.append(w)
    return " ".join([*(name or words[:1]), year]).strip()


_YEAR = re.compile(r"\d{4}[a-z]?|n\.d\.[a-z]?")


def write(
    tree: Sequence[Mapping[str, Any]],
    study_labels: Mapping[int, str],
    out_dir: str | Path,
    *,
    code_studies: Mapping[str, Sequence[int]] | None = None,
    formats: Sequence[str] = ("svg", "png"),
    stem: str = "thematic_tree",
) -> dict[str, Path]:
    """Write the tree as SVG and/or PNG; returns format → path."""
    svg = to_svg(tree, study_labels, code_studies=code_studies)
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    paths = {}
    for f in formats:
        path = out / f"{stem}.{f}"
        if f == "svg":
            path.write_text(svg, encoding="utf-8")
        else:
            svg_to_png(svg, path)
        paths[f] = path
    return paths
