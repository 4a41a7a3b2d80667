"""The PRISMA 2020 flow diagram, live from the store (page, SVG and JSON twin).

The counts are :func:`reviewflow.reports.prisma_project.counts_from_project` (the one
place the diagram is computed: ``reviewflow prisma`` and the report call it too), the
figure is :func:`reviewflow.reports.prisma_svg.to_svg` and the arithmetic check
:func:`reviewflow.reports.prisma.check`. A project whose review.toml says ``[report]
published = "..."`` also gets that publication's figures recomputed, through the check
:func:`reviewflow.demo.published_check` names (as ``reviewflow report`` passes it).

Record and search text is drawn into the SVG, so the SVG is its own resource, served
with a policy that lets it run nothing and embedded with ``<img>`` (an image runs no
script even if one got in), never inlined into the page.

Every number of the counts table links to the list of what it counts,
``/p/{slug}/prisma/box/{box}`` (JSON twin under /api/): the entries of
:func:`reviewflow.reports.prisma_trace.trace` as the signed-in member may see them, blind
where the screening plan is (``reviewflow prisma --box NAME --json`` lists the same).
"""

from __future__ import annotations

import hashlib
from dataclasses import asdict
from typing import Annotated, Any

from fastapi import APIRouter, Depends
from fastapi.responses import Response

from ...reports import prisma, prisma_svg, prisma_trace
from ...reports.prisma_project import counts_from_project
from ...reports.report import ReportData, Statement
from ..render import fragment, is_htmx, page
from ..rules import MEMBER, Ctx, Guard

router = APIRouter()
Member = Annotated[Ctx, Depends(Guard(MEMBER))]

#: The SVG may draw, nothing else: no script, no fetching, not even as a document.
SVG_POLICY = "default-src 'none'; sandbox"


def count_rows(c: prisma.PrismaCounts) -> list[dict[str, Any]]:
    """The diagram's boxes as table rows: (field, label, value, declared, indented)."""
    rows: list[dict[str, Any]] = []

    def add(
        field: str,
        value: int | None,
        *,
        label: str | None = None,
        sub: bool = False,
        declared: bool | None = None,
    ) -> None:
        shown_label = label or prisma.LABELS.get(field, field)
        rows.append(
            {
                "field": field,
                "label": shown_label,
                "value": value,
                "shown": prisma.fmt(value),
                "sub": sub,
                "declared": c.is_declared(field) if declared is None else declared,
                "box": None if value is None else _box_of(c, field, label if sub else None),
            }
        )

    add(
        "databases_total",
        c.databases_n,
        declared=c.is_declared("databases_total") or c.is_declared("databases"),
    )
    for name, n in c.databases:
        add("databases", n, label=name, sub=True, declared=c.is_declared("databases"))
    if c.registers or c.registers_total is not None:
        add("registers_total", c.registers_n)
    if c.other_methods:
        add("other_methods", c.other_methods_n, label="Records identified from other methods")
        for name, n in c.other_methods:
            add("other_methods", n, label=name, sub=True)
    for field in (
        "duplicates_removed",
        "excluded_automation",
        "removed_other",
        "records_screened",
        "records_excluded",
        "reports_sought",
        "reports_not_retrieved",
        "reports_assessed",
    ):
        add(field, getattr(c, field))
    add(
        "reports_excluded",
        c.reports_excluded_n,
        declared=c.is_declared("reports_excluded") or c.is_declared("exclusion_reasons"),
    )
    for name, n in c.exclusion_reasons:
        add("exclusion_reasons", n, label=name, sub=True)
    if c.other_methods and not c.other_methods_screened:
        for field in (
            "other_reports_sought",
            "other_reports_not_retrieved",
            "other_reports_assessed",
        ):
            add(field, getattr(c, field))
        add("other_reports_excluded", c.other_reports_excluded_n)
    add("studies_included", c.studies_included)
    add("reports_included", c.reports_included)
    if c.previous_studies is not None or c.previous_reports is not None:
        add("previous_studies", c.previous_studies)
        add("previous_reports", c.previous_reports)
    return rows


def _box_of(c: prisma.PrismaCounts, field: str, line: str | None) -> tuple[str, str | None] | None:
    """(box, line) a table row links to; the other methods' total only when one box of
    the PRISMA2020 CSV (websites, organisations or citations) holds every method."""
    if field == "other_methods" and line is None:
        slots = list(prisma.other_method_slots(c))
        return (slots[0], None) if len(slots) == 1 else None
    return prisma_trace.box_of(field, line)


def _published(ctx: Ctx, counts: prisma.PrismaCounts, problems: list[str]) -> list[Statement]:
    """The named publication's own figures, recomputed (``[report] published``)."""
    project = ctx.need_project()
    settings = project.settings.report
    if settings is None or settings.published is None:
        return []
    from ...demo import published_check

    check = published_check(settings.published)
    if check is None:
        return []
    data = ReportData(
        title=project.settings.title,
        question=project.settings.question or "",
        prisma=counts,
        prisma_problems=problems,
    )
    statements, _notes = check(project, data, None, None)
    return statements


def prisma_data(ctx: Ctx) -> dict[str, Any]:
    """Counts, the SVG, the arithmetic check and the publication's figures, one snapshot."""
    with ctx.session(write=False):
        counts = counts_from_project(ctx.need_project())
        problems = prisma.check(counts)
        published = _published(ctx, counts, problems)
    svg = prisma_svg.to_svg(counts)
    return {
        "counts": counts,
        "rows": count_rows(counts),
        "problems": problems,
        "notes": counts.notes,
        "published": published,
        "svg": svg,
        "version": hashlib.sha256(svg.encode("utf-8")).hexdigest()[:12],
    }


@router.get("/p/{slug}/prisma")
def prisma_page(ctx: Member) -> Response:
    data = prisma_data(ctx)
    if is_htmx(ctx.request):  # the 30-second refresh: the figure, the table, the check
        return fragment(ctx, "prisma_live.html", **data)
    return page(ctx, "prisma.html", **data)


@router.get("/p/{slug}/prisma.svg")
def prisma_figure(ctx: Member) -> Response:
    """The flow diagram alone, as an image that can run nothing; opened full size, each
    box with one number links to the list of what it counts."""
    with ctx.session(write=False):
        counts = counts_from_project(ctx.need_project())
    links = {key: ctx.href(f"/prisma/box/{box}") for key, box in prisma_trace.SVG_BOXES.items()}
    return Response(
        prisma_svg.to_svg(counts, links=links),
        media_type="image/svg+xml",
        headers={
            "Content-Security-Policy": SVG_POLICY,
            "Content-Disposition": 'inline; filename="prisma.svg"',
        },
    )


@router.get("/api/p/{slug}/prisma")
def api_prisma(ctx: Member) -> dict[str, Any]:
    """Every count (``reviewflow prisma --json``), the arithmetic check and the
    publication's recomputed figures when review.toml names one."""
    data = prisma_data(ctx)
    counts: prisma.PrismaCounts = data["counts"]
    return {
        "counts": counts.to_dict(),
        "problems": data["problems"],
        "notes": data["notes"],
        "declared": sorted(counts.declared),
        "published": [asdict(s) for s in data["published"]],
    }


# -- what a box counts --------------------------------------------------------------------

#: Entries per page of a box's list (a box of 50,000 screened records is 250 pages).
BOX_PAGE = 200


def box_data(ctx: Ctx, name: str, part: str | None) -> prisma_trace.BoxTrace:
    """What box ``name`` counts, as the signed-in member may see it (blind where the
    plan is): the same entries as ``reviewflow prisma --box NAME --reviewer ME``."""
    prisma_trace.check_box(name)
    with ctx.session(write=False):
        return prisma_trace.trace(ctx.need_project(), name, viewer=ctx.actor, part=part or None)


@router.get("/p/{slug}/prisma/box/{box}")
def prisma_box_page(ctx: Member, box: str, part: str = "", page_no: int = 1) -> Response:
    found = box_data(ctx, box, part)
    pages = max(1, -(-len(found.entries) // BOX_PAGE))
    page_no = min(max(page_no, 1), pages)
    start = (page_no - 1) * BOX_PAGE
    return page(
        ctx,
        "prisma_box.html",
        box=found,
        entries=found.entries[start : start + BOX_PAGE],
        start=start,
        page_no=page_no,
        pages=pages,
        typed=any(e.kind in ("search", "declared") for e in found.entries),
    )


@router.get("/api/p/{slug}/prisma/box/{box}")
def api_prisma_box(ctx: Member, box: str, part: str = "") -> dict[str, Any]:
    """The box's number and every entry behind it (``reviewflow prisma --box NAME
    --json`` prints the entries one per line); hidden entries are counted, not named."""
    return box_data(ctx, box, part).to_dict()
