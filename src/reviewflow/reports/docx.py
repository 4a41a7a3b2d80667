"""The report as a Word document: real Word tables, figures embedded as PNG (python-docx).

Every figure is scaled to fit the page inside its margins, in width and in height: a tall
thematic tree set to the page width would run off the bottom of the page and be cut.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .sections import Block, outline
from .tables import Table

if TYPE_CHECKING:
    from .report import ReportData


#: Characters XML 1.0 cannot hold (python-docx refuses them): an ESC in a title must not
#: stop the report.
_NOT_XML = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ufffe\uffff]")


def _x(value: object) -> str:
    return _NOT_XML.sub("", str(value))


def write_docx(data: ReportData, path: str | Path, *, figure_dir: str | Path) -> Path:
    """Write ``path``; figures are read from ``figure_dir/<stem>.png`` (written before)."""
    from docx import Document
    from docx.enum.section import WD_ORIENT
    from docx.shared import Cm, Pt

    doc = Document()
    section = doc.sections[0]
    section.orientation = WD_ORIENT.LANDSCAPE
    section.page_width, section.page_height = section.page_height, section.page_width
    for side in ("left_margin", "right_margin", "top_margin", "bottom_margin"):
        setattr(section, side, Cm(1.8))
    doc.styles["Normal"].font.name = "Arial"
    doc.styles["Normal"].font.size = Pt(10)
    doc.add_heading(_x(data.title), level=0)
    box = usable_area(section)
    for sec in outline(data):
        doc.add_heading(_x(sec.heading), level=1)
        for block in sec.blocks:
            _block(doc, block, Path(figure_dir), box)
    out = Path(path)
    doc.save(str(out))
    return out


#: Height kept free under a figure for its caption (a few lines of 9 pt), in EMU (1.5 cm).
CAPTION_ROOM = 540_000


def usable_area(section: Any) -> tuple[int, int]:
    """Width and height (EMU) a figure may take: the page inside its margins, less room
    for the caption, so a figure and its caption stay on one page."""
    width = section.page_width - section.left_margin - section.right_margin
    height = section.page_height - section.top_margin - section.bottom_margin - CAPTION_ROOM
    return int(width), int(height)


def fit_figure(png: Path, box: tuple[int, int]) -> tuple[int, int]:
    """The largest width and height (EMU) with the image's aspect ratio inside ``box``:
    a wide diagram takes the full width, a tall tree the full height."""
    from docx.image.image import Image

    image = Image.from_file(str(png))
    max_w, max_h = box
    aspect = image.px_width / image.px_height
    width = min(max_w, int(max_h * aspect))
    return width, int(width / aspect)


def _block(doc: object, block: Block, figure_dir: Path, box: tuple[int, int]) -> None:
    from docx.shared import Pt, RGBColor

    if block.kind == "p":
        doc.add_paragraph(_x(block.value))  # type: ignore[attr-defined]
    elif block.kind in ("list", "warnings"):
        for item in block.value:
            para = doc.add_paragraph(style="List Bullet")  # type: ignore[attr-defined]
            run = para.add_run(("⚠ " if block.kind == "warnings" else "") + _x(item))
            if block.kind == "warnings":
                run.font.color.rgb = RGBColor(0x8B, 0x1A, 0x1A)
    elif block.kind == "table":
        _table(doc, block.value)
    else:
        fig = block.value
        png = figure_dir / f"{fig.stem}.png"
        width, height = fit_figure(png, box)
        doc.add_picture(str(png), width=width, height=height)  # type: ignore[attr-defined]
        cap = doc.add_paragraph()  # type: ignore[attr-defined]
        cap.add_run(f"{_x(fig.title)}. ").bold = True
        cap.add_run(_x(fig.caption)).font.size = Pt(9)


def _table(doc: object, table: Table) -> None:
    from docx.shared import Pt

    doc.add_paragraph().add_run(_x(table.title)).bold = True  # type: ignore[attr-defined]
    t = doc.add_table(rows=1, cols=len(table.columns))  # type: ignore[attr-defined]
    t.style = "Table Grid"
    for cell, name in zip(t.rows[0].cells, table.columns, strict=True):
        cell.text = _x(name)
        for run in cell.paragraphs[0].runs:
            run.bold = True
            run.font.size = Pt(8)
    for row in table.rows:
        cells = t.add_row().cells
        for cell, value in zip(cells, row, strict=True):
            cell.text = _x(value)
            for run in cell.paragraphs[0].runs:
                run.font.size = Pt(8)
