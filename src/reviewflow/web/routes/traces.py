"""What a number of the synthesis counts: a theme × study matrix cell's coded segments.

The themes board and the report draw the matrix; each cell can link here
(``/p/{slug}/matrix/cell?theme=ID&study=ID``, JSON twin under /api/), where
:func:`reviewflow.stages.synthesis.matrix_trace.matrix_cell` lists the segments the cell
counts, with the codings (code, coder, when) that put each one there.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends
from fastapi.responses import Response

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
