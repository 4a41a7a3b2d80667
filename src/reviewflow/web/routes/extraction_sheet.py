"""Extraction through a spreadsheet: the XLSX template downloaded (empty, with a
reviewer's answers, or as a verifier's copy) and a filled one uploaded, on a page and as
JSON. The core (``stages.extraction.sheets``) checks every cell and records every row or
none; a refused upload lists each bad cell by sheet, row and column."""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, Depends, File, Form, UploadFile
from fastapi.responses import Response

from ...errors import InputError, ReviewflowError
from ...formats.limits import SHEET, max_bytes
from ...stages.extraction import project as extract
from ..failures import status_of
from ..render import page
from ..rules import MEMBER, REVIEWER, Ctx, Guard
from .extraction import overview_data

router = APIRouter()
Member = Annotated[Ctx, Depends(Guard(MEMBER))]
Reviewer = Annotated[Ctx, Depends(Guard(REVIEWER))]
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


# -- the spreadsheet round trip ---------------------------------------------------------


def template_response(ctx: Ctx, prefill: str) -> Response:
    project = ctx.need_project()
    with tempfile.TemporaryDirectory() as tmp, ctx.session(write=False):
        form = extract.form_in_use(project)
        from ...stages.extraction import sheets

        who = prefill or None
        path = sheets.write_template(project, Path(tmp) / "t.xlsx", prefill=who)
        body = path.read_bytes()
    name = f"{form.id}-v{form.version}" + (f"-{prefill}" if prefill else "") + ".xlsx"
    return Response(
        body,
        media_type=XLSX,
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )


@router.get("/p/{slug}/extraction/template.xlsx")
def template_file(ctx: Member, prefill: str = "") -> Response:
    return template_response(ctx, prefill)


def sheet_data(ctx: Ctx) -> dict[str, Any]:
    data = overview_data(ctx)
    extractors = sorted({r for row in data["rows"] for r in row.extracted_by})
    return {"form": data["form"], "extractors": extractors, "me": ctx.actor or ""}


@router.get("/p/{slug}/extraction/sheet")
def sheet_page(ctx: Member) -> Response:
    return page(ctx, "extraction_sheet.html", result=None, cells=[], **sheet_data(ctx))


def cell_rows(exc: Exception) -> list[dict[str, Any]]:
    """A SheetError's bad cells as sheet / column / row / study / field / message."""
    import re

    out = []
    for e in getattr(exc, "errors", []):
        found = re.fullmatch(r"(?P<sheet>[^!]+)!(?P<col>[A-Z]*)(?P<row>\d*)", e.cell)
        sheet, col, row = (
            (found["sheet"], found["col"], found["row"]) if found else (e.cell, "", "")
        )
        out.append(
            {
                "cell": e.cell,
                "sheet": sheet,
                "column": col,
                "row": int(row) if row else None,
                "study": e.study,
                "field": e.field,
                "expected": e.expected,
                "got": None if e.got is None else str(e.got),
            }
        )
    return out


def read_sheet_upload(upload: UploadFile | None) -> tuple[str, bytes]:
    if upload is None or not (upload.filename or "").strip():
        raise InputError(
            "choose a filled template (.xlsx) to upload",
            hint="Download the template on this page, fill it in, upload it.",
        )
    cap, chunks, size = max_bytes(SHEET), [], 0
    while size <= cap and (chunk := upload.file.read(1 << 20)):
        chunks.append(chunk)
        size += len(chunk)
    return Path(upload.filename or "sheet.xlsx").name, b"".join(chunks)


def import_upload(
    ctx: Ctx, upload: UploadFile | None, *, mode: str, of: str, pilot: bool, replace: bool
) -> dict[str, Any]:
    """Record an uploaded sheet as the signed-in reviewer's extractions (or verification
    of ``of``'s): every row or none. Error messages name the uploaded file, not the
    temporary copy the core reads."""
    from ...stages.extraction import sheets

    name, data = read_sheet_upload(upload)
    project = ctx.need_project()
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / (name if name.lower().endswith(".xlsx") else name + ".xlsx")
        path.write_bytes(data)
        try:
            with ctx.session(write=True):
                if mode == "verify":
                    if not of:
                        raise InputError("say whose extractions the verifier's copy holds")
                    done = sheets.verify_from_template(project, path, reviewer=ctx.actor, of=of)
                    return {
                        "file": name,
                        "mode": mode,
                        "verified": sorted(done),
                        "discrepancies": sum(len(c.discrepancies) for c in done.values()),
                    }
                result = sheets.import_template(
                    project, path, reviewer=ctx.actor, pilot=pilot, replace=replace
                )
        except ReviewflowError as exc:
            exc.message = exc.message.replace(str(path), name).replace(tmp + "/", "")
            raise
    return {
        "file": name,
        "mode": mode,
        "recorded": list(result.recorded),
        "unchanged": list(result.unchanged),
        "empty": list(result.empty),
    }


@router.post("/p/{slug}/extraction/sheet")
def sheet_upload(
    ctx: Reviewer,
    file: Annotated[UploadFile | None, File()] = None,
    mode: Annotated[str, Form()] = "extract",
    of: Annotated[str, Form()] = "",
    pilot: Annotated[str, Form()] = "",
    replace: Annotated[str, Form()] = "",
) -> Response:
    values = sheet_data(ctx)
    try:
        result = import_upload(
            ctx, file, mode=mode, of=of, pilot=pilot == "1", replace=replace == "1"
        )
    except ReviewflowError as exc:
        cells = cell_rows(exc)
        message = exc.message.split("\n", 1)[0] if cells else exc.message
        error = message + (f" {exc.hint}" if exc.hint else "")
        return page(
            ctx,
            "extraction_sheet.html",
            status_code=status_of(exc),
            result=None,
            cells=cells,
            error=error,
            **values,
        )
    return page(ctx, "extraction_sheet.html", result=result, cells=[], **values)


@router.get("/api/p/{slug}/extraction/template.xlsx")
def api_template(ctx: Member, prefill: str = "") -> Response:
    """The XLSX template (``prefill=INITIALS``: with that reviewer's answers)."""
    return template_response(ctx, prefill)


@router.post("/api/p/{slug}/extraction/sheet")
def api_sheet(
    ctx: Reviewer,
    file: Annotated[UploadFile | None, File()] = None,
    mode: Annotated[str, Form()] = "extract",
    of: Annotated[str, Form()] = "",
    pilot: Annotated[bool, Form()] = False,
    replace: Annotated[bool, Form()] = False,
) -> Response:
    """Upload a filled template: 422 lists every bad cell (sheet, row, column)."""
    from fastapi.responses import JSONResponse

    try:
        return JSONResponse(
            import_upload(ctx, file, mode=mode, of=of, pilot=pilot, replace=replace)
        )
    except ReviewflowError as exc:
        return JSONResponse(exc.to_dict() | {"cells": cell_rows(exc)}, status_of(exc))
