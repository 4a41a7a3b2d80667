"""The report's outline as data: headings and blocks, shared by the HTML, DOCX and MD writers.

One outline keeps the three formats in the same order with the same words; a writer only
decides how a paragraph, a list, a table or a figure looks.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .report import ReportData


@dataclass
class Block:
    """``kind`` is "p", "list", "warnings", "table" or "figure"; ``value`` fits the kind."""

    kind: str
    value: Any


@dataclass
class Section:
    heading: str
    blocks: list[Block] = field(default_factory=list)

    def p(self, text: str) -> None:
        self.blocks.append(Block("p", text))

    def items(self, kind: str, lines: list[str]) -> None:
        if lines:
            self.blocks.append(Block(kind, list(lines)))


def outline(data: ReportData) -> list[Section]:
    """Sections in reading order; empty parts are left out, missing ones are said."""
    out: list[Section] = []
    intro = Section("About this report")
    if data.question:
        intro.p(f"Review question: {data.question}")
    intro.p(
        "Every count, total and range below is computed from the project's data; counts "
        "the team declared (stages run elsewhere, or given only as totals) are marked as "
        "declared. Where data and stated figures disagree, the report says so and keeps "
        "the data as reported."
    )
    intro.items("warnings", data.notes)
    out.append(intro)

    ident = Section("Identification and selection of studies")
    for t in data.tables:
        if t.title.startswith("Search log"):
            _table(ident, t)
    for fig in data.figures:
        if fig.stem == "prisma":
            ident.blocks.append(Block("figure", fig))
    if data.prisma_problems:
        ident.p("The PRISMA counts do not add up:")
        ident.items("warnings", data.prisma_problems)
    else:
        ident.p("The PRISMA boxes add up.")
    ident.items("list", data.prisma.notes)
    out.append(ident)

    chars = Section("Included studies")
    for prefix in ("Table 1", "Appraisal"):
        for t in data.tables:
            if t.title.startswith(prefix):
                _table(chars, t)
    for fig in data.figures:
        if fig.stem == "appraisal_traffic_light":
            chars.blocks.append(Block("figure", fig))
    if chars.blocks:
        out.append(chars)

    for t in data.tables:
        if t.title.startswith("Agreement"):
            sec = Section("Agreement between reviewers")
            _table(sec, t)
            out.append(sec)

    synth = Section("Thematic synthesis")
    for fig in data.figures:
        if fig.stem == "thematic_tree":
            synth.blocks.append(Block("figure", fig))
    for prefix in ("Themes", "Summary of Qualitative"):
        for t in data.tables:
            if t.title.startswith(prefix):
                _table(synth, t)
    if synth.blocks:
        out.append(synth)

    if data.statements:
        stated = Section("Figures stated in the review, recomputed")
        disagree = [s for s in data.statements if not s.agrees]
        stated.p(
            f"{len(data.statements) - len(disagree)} of {len(data.statements)} stated "
            f"figures are reproduced by the computation; {len(disagree)} are not."
        )
        from .tables import Table

        stated.blocks.append(
            Block(
                "table",
                Table(
                    "Stated vs computed",
                    ["Statement", "Stated", "Computed", "Agrees", "Note"],
                    [
                        [s.claim, s.stated, s.computed, "yes" if s.agrees else "NO", s.note]
                        for s in data.statements
                    ],
                ),
            )
        )
        out.append(stated)
    _number_figures(out)
    return out


def _number_figures(sections: list[Section]) -> None:
    """Number figures in reading order (Figure 1, 2, ...): the report's one numbering pass."""
    n = 0
    for section in sections:
        for i, block in enumerate(section.blocks):
            if block.kind == "figure":
                n += 1
                section.blocks[i] = Block(
                    "figure", replace(block.value, title=f"Figure {n}. {block.value.title}")
                )


def _table(section: Section, table: Any) -> None:
    section.blocks.append(Block("table", table))
    section.items("list", table.figures)
    section.items("warnings", table.warnings)
    section.items("list", table.notes)
