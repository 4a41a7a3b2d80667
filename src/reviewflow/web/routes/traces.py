"""What the numbers of the synthesis and Table 1 count, for the pages that show them.

The themes board and the report draw the theme × study matrix; each cell can link to
``/p/{slug}/matrix/cell?theme=ID&study=ID`` (JSON twin under /api/), where
:func:`reviewflow.stages.synthesis.matrix_trace.matrix_cell` lists the segments the cell
counts, with the codings (code, coder, when) that put each one there. Table 1's aggregate
sentences can link to ``/p/{slug}/table1/aggregate?field=ID``:
:func:`reviewflow.reports.table1_trace.aggregate_trace`, each study's final answer with
who extracted and verified it.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends
from fastapi.responses import Response

from ...reports.table1_trace import AggregateTrace, aggregate_trace
from ...stages import studies
from ...stages.synthesis import themes
from ...stages.synthesis.matrix_trace import matrix_cell
from ..render import page
from ..rules import MEMBER, Ctx, Guard

router = APIRouter()
Member = Annotated[Ctx, Depends(Guard(MEMBER))]


def cell_data(ctx: Ctx, theme: int, study: int, coder: str) -> dict[str, Any]:
    """The cell's number (as the matrix counts it) and the segments behind it."""
    project = ctx.need_project()
    with ctx.session(write=False):
        segments = matrix_cell(project, theme, study, coder=coder or None)
        row = next(r for r in themes.matrix(project, coder=coder or None) if r.theme_id == theme)
        label = studies.labels(project).get(study, f"study {study}")
    return {
        "theme": row,
        "study_id": study,
        "study": label,
        "coder": coder or None,
        "count": row.segments_by_study.get(study, 0),
        "segments": segments,
    }


@router.get("/p/{slug}/matrix/cell")
def matrix_cell_page(ctx: Member, theme: int, study: int, coder: str = "") -> Response:
    return page(ctx, "matrix_cell.html", **cell_data(ctx, theme, study, coder))


@router.get("/api/p/{slug}/matrix/cell")
def api_matrix_cell(ctx: Member, theme: int, study: int, coder: str = "") -> dict[str, Any]:
    """The cell's count and every segment it counts, with its codings."""
    data = cell_data(ctx, theme, study, coder)
    return {
        "theme_id": data["theme"].theme_id,
        "theme": data["theme"].name,
        "study_id": study,
        "study": data["study"],
        "coder": data["coder"],
        "count": data["count"],
        "segments": [s.to_dict() for s in data["segments"]],
    }


# -- Table 1: an aggregate sentence's studies ------------------------------------------------


def aggregate_data(ctx: Ctx, field: str) -> AggregateTrace:
    with ctx.session(write=False):
        return aggregate_trace(ctx.need_project(), field)


@router.get("/p/{slug}/table1/aggregate")
def table1_aggregate_page(ctx: Member, field: str) -> Response:
    return page(ctx, "table1_aggregate.html", agg=aggregate_data(ctx, field))


@router.get("/api/p/{slug}/table1/aggregate")
def api_table1_aggregate(ctx: Member, field: str) -> dict[str, Any]:
    """Table 1's sentences for one column and every study's final answer behind them."""
    return aggregate_data(ctx, field).to_dict()
