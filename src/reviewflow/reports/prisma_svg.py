"""The PRISMA 2020 flow diagram drawn natively as SVG, and rendered to PNG/PDF.

Written by hand because the field's tools draw it through R/Graphviz (PRISMA2020) or fill
a Word template; an SVG writer over our own counts keeps the box texts exactly as the
PRISMA 2020 template words them, lets long lists (nine databases, six reasons) wrap and
grow their box instead of being cut off, and marks declared counts with a dagger. PNG and
PDF come from the SVG through cairosvg (which needs libcairo2 on the machine).

Layout (official template): side bars Identification / Screening / Included; a yellow
header over the databases-and-registers column, grey headers over the optional "other
methods" and (updated reviews) "previous studies" columns; boxes in rows, arrows down
the left boxes and across to the exclusion boxes. Text widths are estimated with DejaVu
Sans metrics, the widest of the usual fallbacks, so text never overflows a box.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from xml.sax.saxutils import escape

from ..errors import InputError
from .prisma import PrismaCounts, fmt, to_csv

FONT = "Arial, Helvetica, 'DejaVu Sans', sans-serif"
SIZE = 11
LINE = 14
PAD = 7
ROW_GAP = 30
MARGIN = 12
SIDE_W = 26
COL_GAP = 36
YELLOW, GREY, BLUE, WHITE = "#FFC000", "#E3E3E3", "#BDD7EE", "#FFFFFF"
DAGGER = "†"
DECLARED_NOTE = (
    f"{DAGGER} Declared, not derived: this count comes from a stage the review team ran "
    "outside reviewflow and typed in."
)
MERGED_NOTE = (
    "Records found by other methods were deduplicated and screened together with the "
    "records from databases and registers."
)
SOURCE_NOTE = (
    "From: Page MJ, McKenzie JE, Bossuyt PM, Boutron I, Hoffmann TC, Mulrow CD, et al. "
    "The PRISMA 2020 statement: an updated guideline for reporting systematic reviews. "
    "BMJ 2021;372:n71. doi: 10.1136/bmj.n71."
)
TEMPLATES = ("new", "updated")

# Advance widths of DejaVu Sans in em, by character class (measured; see module doc).
_NARROW = set("ijl.,;:|()[]ft!' ")
_WIDE = set("mwMW@%")
_WORD = re.compile(r"\(n = [^)]*\)|\S+")
_WIDTHS = {"I": 0.3, "J": 0.3, "L": 0.56, "T": 0.61, "r": 0.42, "-": 0.36, "=": 0.84}


def text_width(text: str, *, size: float = SIZE, bold: bool = False) -> float:
    """Estimated width in px of ``text`` (errs wide so nothing overflows)."""
    em = 0.0
    for ch in text:
        if ch in _WIDTHS:
            em += _WIDTHS[ch]
        elif ch in _NARROW:
            em += 0.36
        elif ch in _WIDE:
            em += 0.99
        elif ch.isupper():
            em += 0.79
        else:
            em += 0.64
    return em * size * (1.1 if bold else 1.0)


def wrap(text: str, width: float, *, size: float = SIZE, bold: bool = False) -> list[str]:
    """Greedy word wrap to ``width`` px; "(n = …)" stays whole, over-long words are broken."""
    lines: list[str] = []
    current = ""
    for word in _WORD.findall(text):
        trial = f"{current} {word}" if current else word
        if text_width(trial, size=size, bold=bold) <= width:
            current = trial
            continue
        if current:
            lines.append(current)
        while text_width(word, size=size, bold=bold) > width:
            cut = max(1, int(len(word) * width / text_width(word, size=size, bold=bold)) - 1)
            lines.append(word[:cut])
            word = word[cut:]
        current = word
    if current or not lines:
        lines.append(current)
    return lines


@dataclass
class Para:
    """One paragraph of a box: wrapped as a unit, optionally indented or bold."""

    text: str
    indent: int = 0
    bold: bool = False


@dataclass
class Box:
    key: str
    x: float
    width: float
    paras: list[Para]
    fill: str = WHITE
    align: str = "start"
    rounded: bool = False
    bold: bool = False
    size: float = SIZE
    y: float = 0.0
    lines: list[tuple[str, float, bool]] = field(default_factory=list)

    def layout(self) -> None:
        self.lines = []
        for p in self.paras:
            if p.text == "":
                self.lines.append(("", 0, False))
                continue
            # continuation lines hang 10 px further in, so list entries stay apart
            bold = p.bold or self.bold
            first, *rest = wrap(p.text, self.width - 2 * PAD - p.indent, size=self.size, bold=bold)
            self.lines.append((first, p.indent, bold))
            if rest:
                hang = p.indent + (10 if self.align == "start" else 0)
                rest = wrap(" ".join(rest), self.width - 2 * PAD - hang, size=self.size, bold=bold)
                self.lines += [(ln, hang, bold) for ln in rest]

    @property
    def height(self) -> float:
        return len(self.lines) * LINE + 2 * PAD

    @property
    def cx(self) -> float:
        return self.x + self.width / 2

    @property
    def cy(self) -> float:
        return self.y + self.height / 2

    @property
    def bottom(self) -> float:
        return self.y + self.height

    @property
    def right(self) -> float:
        return self.x + self.width


class _Marks:
    """Formats "(n = …)" and remembers whether a declared count was shown."""

    def __init__(self, counts: PrismaCounts) -> None:
        self.counts = counts
        self.used = False

    def n(self, value: int | None, *names: str) -> str:
        dagger = ""
        if any(self.counts.is_declared(name) for name in names):
            dagger = DAGGER
            self.used = True
        return f"(n = {fmt(value)}{dagger})"


def _entries(marks: _Marks, entries: Sequence[tuple[str, int | None]], name: str) -> list[Para]:
    out = []
    for label, n in entries:
        text = label if n is None else f"{label} {marks.n(n, name)}"
        out.append(Para(text, indent=10))
    return out


def _identified_paras(c: PrismaCounts, m: _Marks, *, merge_other: bool) -> list[Para]:
    paras = [Para("Records identified from:")]
    paras.append(Para(f"Databases {m.n(c.databases_n, 'databases_total', 'databases')}"))
    paras += _entries(m, c.databases, "databases")
    paras.append(Para(f"Registers {m.n(c.registers_n, 'registers_total', 'registers')}"))
    paras += _entries(m, c.registers, "registers")
    if merge_other and c.other_methods:
        paras.append(Para(f"Other methods {m.n(c.other_methods_n, 'other_methods')}"))
        paras += _entries(m, c.other_methods, "other_methods")
    return paras


def _removed_paras(c: PrismaCounts, m: _Marks) -> list[Para]:
    return [
        Para("Records removed before screening:"),
        Para(f"Duplicate records removed {m.n(c.duplicates_removed, 'duplicates_removed')}"),
        Para(
            "Records marked as ineligible by automation tools "
            f"{m.n(c.excluded_automation, 'excluded_automation')}"
        ),
        Para(f"Records removed for other reasons {m.n(c.removed_other, 'removed_other')}"),
    ]


def _excluded_paras(
    m: _Marks, reasons: Sequence[tuple[str, int | None]], total: int | None, names: list[str]
) -> list[Para]:
    if not reasons:
        return [Para("Reports excluded"), Para(m.n(total, *names))]
    paras = [Para("Reports excluded:")]
    for reason, n in reasons:
        paras.append(Para(f"{reason} {m.n(n, *names)}", indent=10))
    return paras


def _two(label: str, value: str) -> list[Para]:
    return [Para(label), Para(value)]


@dataclass
class _Layout:
    boxes: dict[str, Box]
    arrows: list[list[tuple[float, float]]]
    bars: list[tuple[str, float, float]]
    width: float
    notes: list[str]


def _columns(*, previous: bool, other: bool) -> dict[str, tuple[float, float]]:
    x = MARGIN + SIDE_W + 14
    cols: dict[str, tuple[float, float]] = {}
    if previous:
        cols["prev"] = (x, 200)
        x += 200 + COL_GAP
    cols["left"] = (x, 250)
    x += 250 + COL_GAP
    cols["right"] = (x, 250)
    x += 250 + COL_GAP + 6
    if other:
        cols["oleft"] = (x, 220)
        x += 220 + COL_GAP
        cols["oright"] = (x, 210)
        x += 210
    cols["end"] = (x + MARGIN, 0)
    return cols


def _build(c: PrismaCounts, *, template: str, other: bool) -> _Layout:
    previous = template == "updated"
    m = _Marks(c)
    cols = _columns(previous=previous, other=other)
    merge_other = not other and c.other_methods_screened
    own_reports = other and not c.other_methods_screened

    def box(key: str, col: str, paras: list[Para], **kw: object) -> Box:
        x, w = cols[col]
        if col == "left" and kw.pop("span", False):
            w = cols["right"][0] + cols["right"][1] - x
        if col == "oleft" and kw.pop("span", False):
            w = cols["oright"][0] + cols["oright"][1] - x
        b = Box(key, x, w, paras, **kw)  # type: ignore[arg-type]
        b.layout()
        return b

    hdr = {"align": "middle", "rounded": True, "bold": True, "size": 12}
    rows: list[list[Box]] = []
    header = [
        box(
            "header_new",
            "left",
            [Para("Identification of new studies via databases and registers")],
            fill=YELLOW,
            span=True,
            **hdr,
        )
    ]
    if previous:
        header.append(box("header_previous", "prev", [Para("Previous studies")], fill=GREY, **hdr))
    if other:
        header.append(
            box(
                "header_other",
                "oleft",
                [Para("Identification of new studies via other methods")],
                fill=GREY,
                span=True,
                **hdr,
            )
        )
    rows.append(header)

    ident = [
        box("identified", "left", _identified_paras(c, m, merge_other=merge_other)),
        box("removed", "right", _removed_paras(c, m)),
    ]
    if previous:
        ident.append(
            box(
                "previous",
                "prev",
                [
                    Para(
                        "Studies included in previous version of review "
                        f"{m.n(c.previous_studies, 'previous_studies')}"
                    ),
                    Para(""),
                    Para(
                        "Reports of studies included in previous version of review "
                        f"{m.n(c.previous_reports, 'previous_reports')}"
                    ),
                ],
                fill=GREY,
            )
        )
    if other:
        methods = c.other_methods or [
            ("Websites", 0),
            ("Organisations", 0),
            ("Citation searching", 0),
        ]
        paras = [Para("Records identified from:")]
        paras += [Para(f"{name} {m.n(n, 'other_methods')}") for name, n in methods]
        ident.append(box("other_identified", "oleft", paras, fill=GREY))
    rows.append(ident)

    def nbox(key: str, col: str, label: str, value: int | None, *names: str) -> Box:
        fill = GREY if col.startswith("o") else WHITE
        return box(key, col, _two(label, m.n(value, *names)), fill=fill)

    rows.append(
        [
            nbox("screened", "left", "Records screened", c.records_screened, "records_screened"),
            nbox(
                "records_excluded",
                "right",
                "Records excluded",
                c.records_excluded,
                "records_excluded",
            ),
        ]
    )
    sought = [
        nbox("sought", "left", "Reports sought for retrieval", c.reports_sought, "reports_sought"),
        nbox(
            "not_retrieved",
            "right",
            "Reports not retrieved",
            c.reports_not_retrieved,
            "reports_not_retrieved",
        ),
    ]
    names = ["reports_excluded", "exclusion_reasons"]
    assessed = [
        nbox(
            "assessed",
            "left",
            "Reports assessed for eligibility",
            c.reports_assessed,
            "reports_assessed",
        ),
        box(
            "reports_excluded",
            "right",
            _excluded_paras(m, c.exclusion_reasons, c.reports_excluded_n, names),
        ),
    ]
    if own_reports:
        names = ["other_reports_excluded", "other_exclusion_reasons"]
        sought += [
            nbox(
                "other_sought",
                "oleft",
                "Reports sought for retrieval",
                c.other_reports_sought,
                "other_reports_sought",
            ),
            nbox(
                "other_not_retrieved",
                "oright",
                "Reports not retrieved",
                c.other_reports_not_retrieved,
                "other_reports_not_retrieved",
            ),
        ]
        assessed += [
            nbox(
                "other_assessed",
                "oleft",
                "Reports assessed for eligibility",
                c.other_reports_assessed,
                "other_reports_assessed",
            ),
            box(
                "other_excluded",
                "oright",
                _excluded_paras(m, c.other_exclusion_reasons, c.other_reports_excluded_n, names),
                fill=GREY,
            ),
        ]
    rows += [sought, assessed]

    if previous:
        included = [
            Para(f"New studies included in review {m.n(c.studies_included, 'studies_included')}"),
            Para(f"Reports of new included studies {m.n(c.reports_included, 'reports_included')}"),
        ]
    else:
        included = _two("Studies included in review", m.n(c.studies_included, "studies_included"))
        included += _two("Reports of included studies", m.n(c.reports_included, "reports_included"))
    rows.append([box("included", "left", included)])
    if previous:
        total = [
            Para(
                "Total studies included in review "
                f"{m.n(c.total_studies, 'studies_included', 'previous_studies')}"
            ),
            Para(
                "Reports of total included studies "
                f"{m.n(c.total_reports, 'reports_included', 'previous_reports')}"
            ),
        ]
        rows.append([box("total", "left", total, fill=GREY)])

    # Vertical placement: each row as tall as its tallest box, boxes centred in the row.
    y: float = MARGIN
    row_spans = []
    for i, row in enumerate(rows):
        h = max(b.height for b in row)
        for b in row:
            b.y = y + (h - b.height) / 2 if i else y
        row_spans.append((y, y + h))
        y += h + (ROW_GAP * 0.7 if i == 0 else ROW_GAP)
    boxes = {b.key: b for row in rows for b in row}
    width = cols["end"][0]
    notes = [DECLARED_NOTE] if m.used else []
    if c.other_methods_screened and c.other_methods:
        notes.append(MERGED_NOTE)
    notes.append(SOURCE_NOTE)
    arrows = _arrows(boxes, own_reports=own_reports, merge_into_screening=other and not own_reports)
    n_incl = 2 if previous else 1
    bars = [
        ("Identification", row_spans[1][0], row_spans[1][1]),
        ("Screening", row_spans[2][0], row_spans[4][1]),
        ("Included", row_spans[5][0], row_spans[4 + n_incl][1]),
    ]
    return _Layout(boxes, arrows, bars, width, notes)


def _arrows(
    b: dict[str, Box], *, own_reports: bool, merge_into_screening: bool
) -> list[list[tuple[float, float]]]:
    def down(a: str, z: str) -> list[tuple[float, float]]:
        return [(b[a].cx, b[a].bottom), (b[z].cx, b[z].y)]

    def across(a: str, z: str) -> list[tuple[float, float]]:
        return [(b[a].right, b[a].cy), (b[z].x, b[a].cy)]

    out = [
        across("identified", "removed"),
        down("identified", "screened"),
        across("screened", "records_excluded"),
        down("screened", "sought"),
        across("sought", "not_retrieved"),
        down("sought", "assessed"),
        across("assessed", "reports_excluded"),
        down("assessed", "included"),
    ]
    if own_reports:
        out += [
            down("other_identified", "other_sought"),
            across("other_sought", "other_not_retrieved"),
            down("other_sought", "other_assessed"),
            across("other_assessed", "other_excluded"),
            [
                (b["other_assessed"].cx, b["other_assessed"].bottom),
                (b["other_assessed"].cx, b["included"].cy),
                (b["included"].right, b["included"].cy),
            ],
        ]
    elif merge_into_screening:
        # Records found by other methods were deduplicated and screened with the rest.
        join_y = (b["identified"].bottom + b["screened"].y) / 2
        join_y = max(join_y, max(b["removed"].bottom, b["other_identified"].bottom) + 8)
        out.append(
            [
                (b["other_identified"].cx, b["other_identified"].bottom),
                (b["other_identified"].cx, join_y),
                (b["identified"].cx, join_y),
            ]
        )
    if "previous" in b:
        out.append(
            [
                (b["previous"].cx, b["previous"].bottom),
                (b["previous"].cx, b["total"].cy),
                (b["total"].x, b["total"].cy),
            ]
        )
        out.append(down("included", "total"))
    return out


# -- SVG writing -------------------------------------------------------------------------


def _svg_box(b: Box, href: str | None = None) -> str:
    rx = ' rx="8"' if b.rounded else ""
    parts = [
        f'<g id="box-{b.key}">',
        f'<rect x="{b.x:.1f}" y="{b.y:.1f}" width="{b.width:.1f}" height="{b.height:.1f}"{rx} '
        f'fill="{b.fill}" stroke="#000000" stroke-width="1"/>',
    ]
    for i, (line, indent, bold) in enumerate(b.lines):
        if not line:
            continue
        ty = b.y + PAD + LINE * i + LINE * 0.75
        if b.align == "middle":
            tx, anchor = b.cx, "middle"
        else:
            tx, anchor = b.x + PAD + indent, "start"
        weight = ' font-weight="bold"' if bold else ""
        parts.append(
            f'<text x="{tx:.1f}" y="{ty:.1f}" text-anchor="{anchor}" font-size="{b.size}"'
            f"{weight}>{escape(line)}</text>"
        )
    parts.append("</g>")
    if href is not None:  # the list of what the box counts (the web app's full-size figure)
        parts = [f'<a href="{escape(href, {chr(34): "&quot;"})}">', *parts, "</a>"]
    return "\n".join(parts)


def _svg_arrow(points: list[tuple[float, float]]) -> str:
    d = " ".join(f"{x:.1f},{y:.1f}" for x, y in points)
    return (
        f'<polyline points="{d}" fill="none" stroke="#000000" stroke-width="1.2" '
        'marker-end="url(#arrowhead)"/>'
    )


def _svg_bar(label: str, top: float, bottom: float) -> str:
    x, h = MARGIN, bottom - top
    cx, cy = x + SIDE_W / 2, top + h / 2
    return (
        f'<g id="bar-{label.lower()}"><rect x="{x}" y="{top:.1f}" width="{SIDE_W}" '
        f'height="{h:.1f}" rx="6" fill="{BLUE}" stroke="none"/>'
        f'<text x="{cx:.1f}" y="{cy + 4:.1f}" text-anchor="middle" font-size="12" '
        f'font-weight="bold" transform="rotate(-90 {cx:.1f} {cy:.1f})">{label}</text></g>'
    )


def to_svg(
    counts: PrismaCounts,
    *,
    template: str = "new",
    other_methods: bool | None = None,
    links: Mapping[str, str] | None = None,
) -> str:
    """The flow diagram as a standalone SVG document.

    ``template`` is "new" or "updated" (adds the previous-studies column and the totals);
    ``other_methods`` draws the other-methods column (default: when any were logged).
    ``links`` maps a box's key (its ``id`` without ``box-``, e.g. "screened") to a URL the
    box links to: the web app links each box to the list of what it counts.
    """
    if template not in TEMPLATES:
        raise InputError(f"unknown PRISMA template {template!r}", hint="Use new or updated.")
    other = bool(counts.other_methods) if other_methods is None else other_methods
    lay = _build(counts, template=template, other=other)
    bottom = max(b.bottom for b in lay.boxes.values()) + 16
    note_lines: list[str] = []
    for note in lay.notes:
        note_lines += wrap(note, lay.width - 2 * MARGIN, size=9)
    height = bottom + len(note_lines) * 12 + MARGIN
    body = [_svg_bar(*bar) for bar in lay.bars]
    body += [_svg_box(b, (links or {}).get(b.key)) for b in lay.boxes.values()]
    body += [_svg_arrow(a) for a in lay.arrows]
    for i, line in enumerate(note_lines):
        body.append(
            f'<text x="{MARGIN}" y="{bottom + 10 + 12 * i:.1f}" font-size="9">{escape(line)}</text>'
        )
    return "\n".join(
        [
            '<?xml version="1.0" encoding="UTF-8"?>',
            f'<svg xmlns="http://www.w3.org/2000/svg" width="{lay.width:.0f}" '
            f'height="{height:.0f}" viewBox="0 0 {lay.width:.0f} {height:.0f}" '
            f'font-family="{FONT}">',
            "<title>PRISMA 2020 flow diagram</title>",
            '<defs><marker id="arrowhead" viewBox="0 0 10 10" refX="10" refY="5" '
            'markerWidth="7" markerHeight="7" orient="auto">'
            '<path d="M0,0 L10,5 L0,10 z" fill="#000000"/></marker></defs>',
            f'<rect x="0" y="0" width="{lay.width:.0f}" height="{height:.0f}" fill="#FFFFFF"/>',
            *body,
            "</svg>",
            "",
        ]
    )


# -- PNG / PDF and files -----------------------------------------------------------------

FORMATS = ("svg", "png", "pdf", "csv")


def svg_to_png(svg: str, path: str | Path, *, scale: float = 2.0) -> Path:
    """Render with cairosvg at ``scale`` × (2 gives a sharp figure for a paper)."""
    import cairosvg

    cairosvg.svg2png(bytestring=svg.encode("utf-8"), write_to=str(path), scale=scale)
    return Path(path)


def svg_to_pdf(svg: str, path: str | Path) -> Path:
    import cairosvg

    cairosvg.svg2pdf(bytestring=svg.encode("utf-8"), write_to=str(path))
    return Path(path)


def write(
    counts: PrismaCounts,
    out_dir: str | Path,
    *,
    formats: Iterable[str] = ("svg", "png", "pdf", "csv"),
    template: str = "new",
    other_methods: bool | None = None,
    stem: str = "prisma",
) -> dict[str, Path]:
    """Write the diagram (and the PRISMA2020 CSV) to ``out_dir``; returns format → path."""
    wanted = list(dict.fromkeys(formats))
    unknown = [f for f in wanted if f not in FORMATS]
    if unknown:
        raise InputError(
            f"unknown PRISMA output format {', '.join(unknown)}",
            hint="Use any of: " + ", ".join(FORMATS) + ".",
        )
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    paths: dict[str, Path] = {}
    svg = to_svg(counts, template=template, other_methods=other_methods)
    for f in wanted:
        path = out / f"{stem}.{f}"
        if f == "svg":
            path.write_text(svg, encoding="utf-8")
        elif f == "png":
            svg_to_png(svg, path)
        elif f == "pdf":
            svg_to_pdf(svg, path)
        else:
            path.write_text(to_csv(counts), encoding="utf-8")
        paths[f] = path
    return paths
