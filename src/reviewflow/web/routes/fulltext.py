"""Full texts: the reports sought for full-text screening, their files, and why not.

``/p/SLUG/fulltext`` lists the reports (made from the records included at
title/abstract) with their retrieval status, study and who did what when;
``/p/SLUG/fulltext/ID`` shows one with its record, the attached full text, and the
forms that attach a file, record why it could not be obtained, use another report's
file (a companion paper in one PDF) or put it in another report's study. The same core
functions serve ``reviewflow fulltext`` (reports --create, retrieve, group, kind).

``/p/SLUG/fulltext/ID/file`` serves the attached file to members. An upload is whatever
a browser sent, so only a PDF is shown inline (as application/pdf, for the screening
page's viewer); anything else is sent as a download, sandboxed, never rendered here.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import quote

from fastapi import APIRouter, Depends, File, Form, UploadFile
from fastapi.responses import FileResponse, RedirectResponse, Response
from pydantic import BaseModel

from ...errors import InputError, ReviewflowError
from ...formats.limits import FULLTEXT, max_bytes
from ...stages import retrieval, screening
from ...stages.retrieval.overview import (
    STATUSES,
    attached_full_text,
    report_detail,
    report_rows,
)
from ..failures import status_of
from ..render import page
from ..rules import MEMBER, REVIEWER, Ctx, Guard

router = APIRouter()
Member = Annotated[Ctx, Depends(Guard(MEMBER))]
Reviewer = Annotated[Ctx, Depends(Guard(REVIEWER))]

#: What a page says after a change (fixed texts: nothing typed is echoed from the URL).
DONE = {
    "file": "The full text is attached.",
    "not-retrieved": "Recorded as not retrieved; PRISMA counts it.",
    "same-file": "This report now uses the other report's full text.",
    "group": "The report is now in the other report's study.",
    "kind": "The report's kind is saved.",
}
KINDS = ("main", "protocol", "follow-up", "companion", "erratum")
#: Served as themselves (as downloads); every other kind as plain bytes.
MEDIA = {
    ".pdf": "application/pdf",
    ".txt": "text/plain; charset=utf-8",
    ".md": "text/markdown; charset=utf-8",
    ".docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
}


def _status(status: str) -> str | None:
    return status if status in STATUSES else None


def list_data(ctx: Ctx, *, status: str | None = None) -> dict[str, Any]:
    """The reports, the full-text counts and how many included records lack a report."""
    project = ctx.need_project()
    with ctx.session(write=False):
        rows = report_rows(project, status=status)
        waiting = screening.records_without_report(project)
        counts = screening.counts(project)
    excluded = {
        k.split(": ", 1)[1]: v for k, v in counts.items() if k.startswith("reports_excluded: ")
    }
    return {"rows": rows, "waiting": waiting, "counts": counts, "excluded_by_reason": excluded}


def detail_data(ctx: Ctx, report_id: int) -> dict[str, Any]:
    project = ctx.need_project()
    with ctx.session(write=False):
        detail = report_detail(project, report_id)  # NotFoundError (404) first
        others = [r for r in report_rows(project) if r.report.id != report_id]
    return {"detail": detail, "others": others, "kinds": KINDS}


@router.get("/p/{slug}/fulltext")
def fulltext_page(ctx: Member, status: str = "", created: int | None = None) -> Response:
    chosen = _status(status)
    message = ""
    if created is not None:
        message = f"{created} reports created; each has the id of the record it was made from."
    return page(
        ctx, "fulltext.html", status=chosen, message=message, **list_data(ctx, status=chosen)
    )


@router.post("/p/{slug}/fulltext/reports")
def create_reports_form(ctx: Reviewer) -> Response:
    with ctx.session(write=True):
        made = screening.create_reports(ctx.need_project())
    return RedirectResponse(ctx.href(f"/fulltext?created={len(made)}"), status_code=303)


@router.get("/p/{slug}/fulltext/{report_id}")
def report_page(ctx: Member, report_id: int, done: str = "") -> Response:
    return page(
        ctx, "fulltext_report.html", message=DONE.get(done, ""), **detail_data(ctx, report_id)
    )


def _act(ctx: Ctx, report_id: int, done: str, action: Any) -> Response:
    """Run a change; back to the report with what was done, or the page with the error."""
    try:
        with ctx.session(write=True):
            action()
    except ReviewflowError as exc:
        error = exc.message + (f" {exc.hint}" if exc.hint else "")
        data = detail_data(ctx, report_id)  # no such report: the 404 page instead
        return page(ctx, "fulltext_report.html", status_code=status_of(exc), error=error, **data)
    return RedirectResponse(ctx.href(f"/fulltext/{report_id}?done={done}"), status_code=303)


def read_upload(upload: UploadFile | None) -> tuple[str, bytes]:
    """The name and bytes of an uploaded file, read no further than the full-text limit
    (the core refuses what is past it, naming the setting that raises it)."""
    if upload is None or not (upload.filename or "").strip():
        raise InputError(
            "choose a file to upload",
            hint="A PDF of the full text (or .docx, .txt, .md, .html, .xml).",
        )
    cap, chunks, size = max_bytes(FULLTEXT), [], 0
    while size <= cap and (chunk := upload.file.read(1 << 20)):  # read(cap) would
        chunks.append(chunk)  # allocate the whole cap up front
        size += len(chunk)
    return upload.filename or "", b"".join(chunks)


def attach_upload(ctx: Ctx, report_id: int, upload: UploadFile | None) -> screening.Report:
    """Attach an uploaded file as the signed-in user: the page's and the API's one way."""
    name, data = read_upload(upload)
    return retrieval.attach_bytes(ctx.need_project(), report_id, data, file_name=name)


@router.post("/p/{slug}/fulltext/{report_id}/file")
def upload_form(
    ctx: Reviewer, report_id: int, file: Annotated[UploadFile | None, File()] = None
) -> Response:
    return _act(ctx, report_id, "file", lambda: attach_upload(ctx, report_id, file))


@router.post("/p/{slug}/fulltext/{report_id}/not-retrieved")
def not_retrieved_form(
    ctx: Reviewer, report_id: int, reason: Annotated[str, Form()] = ""
) -> Response:
    project = ctx.need_project()
    return _act(
        ctx,
        report_id,
        "not-retrieved",
        lambda: retrieval.not_retrieved(project, report_id, reason=reason),
    )


@router.post("/p/{slug}/fulltext/{report_id}/same-file")
def same_file_form(
    ctx: Reviewer, report_id: int, source_report_id: Annotated[int, Form()]
) -> Response:
    project = ctx.need_project()
    return _act(
        ctx,
        report_id,
        "same-file",
        lambda: retrieval.use_full_text_of(project, report_id, source_report_id=source_report_id),
    )


@router.post("/p/{slug}/fulltext/{report_id}/group")
def group_form(ctx: Reviewer, report_id: int, with_report: Annotated[int, Form()]) -> Response:
    project = ctx.need_project()
    return _act(
        ctx, report_id, "group", lambda: screening.group_reports(project, [with_report, report_id])
    )


@router.post("/p/{slug}/fulltext/{report_id}/kind")
def kind_form(ctx: Reviewer, report_id: int, kind: Annotated[str, Form()] = "") -> Response:
    project = ctx.need_project()
    return _act(
        ctx,
        report_id,
        "kind",
        lambda: screening.set_report_kind(project, report_id, kind.strip() or None),
    )


# -- the file itself ---------------------------------------------------------------------


def content_disposition(kind: str, name: str) -> str:
    """``inline``/``attachment`` with an ASCII ``filename`` and the exact name as RFC 5987
    ``filename*`` (a name with quotes, semicolons or line breaks cannot break the header)."""
    name = re.sub(r"[\x00-\x1f\x7f/\\]", "_", name).strip() or "full-text"
    fallback = re.sub(r"[^A-Za-z0-9._ -]", "_", name)
    return f"{kind}; filename=\"{fallback}\"; filename*=UTF-8''{quote(name, safe='')}"


@router.get("/p/{slug}/fulltext/{report_id}/file")
def file_page(ctx: Member, report_id: int) -> Response:
    with ctx.session(write=False):
        attached = attached_full_text(ctx.need_project(), report_id)
    suffix = Path(attached.file_name).suffix.lower()
    pdf = suffix == ".pdf"
    headers = {
        "Content-Disposition": content_disposition(
            "inline" if pdf else "attachment", attached.file_name
        ),
        "X-Content-Type-Options": "nosniff",
        "Cache-Control": "private, no-store",
    }
    if not pdf:  # never a document of this site: no scripts, no forms, no same origin
        headers["Content-Security-Policy"] = "sandbox; default-src 'none'"
    media = MEDIA.get(suffix, "application/octet-stream")
    if attached.path is not None:
        return FileResponse(attached.path, media_type=media, headers=headers)
    return Response(attached.data or b"", media_type=media, headers=headers)


# -- API ------------------------------------------------------------------------------


class ReasonBody(BaseModel):
    reason: str


class SameFileBody(BaseModel):
    source_report_id: int


class GroupBody(BaseModel):
    with_report: int | None = None
    study_id: int | None = None


class KindBody(BaseModel):
    kind: str | None = None


def _report_json(ctx: Ctx, report_id: int) -> dict[str, Any]:
    with ctx.session(write=False):
        return report_detail(ctx.need_project(), report_id).to_dict()


@router.get("/api/p/{slug}/fulltext")
def api_reports(ctx: Member, status: str = "") -> dict[str, Any]:
    """The reports with their retrieval status, study and latest event; the counts."""
    if status and _status(status) is None:
        raise InputError(f"unknown status {status!r}", hint=f"Use one of: {', '.join(STATUSES)}.")
    data = list_data(ctx, status=_status(status))
    return {
        "reports": [r.to_dict() for r in data["rows"]],
        "records_without_report": data["waiting"],
        "counts": data["counts"],
    }


@router.post("/api/p/{slug}/fulltext/reports")
def api_create_reports(ctx: Reviewer) -> dict[str, Any]:
    """A report for every record included at title/abstract that has none (idempotent)."""
    with ctx.session(write=True):
        made = screening.create_reports(ctx.need_project())
    return {"created": made}


@router.get("/api/p/{slug}/fulltext/{report_id}")
def api_report(ctx: Member, report_id: int) -> dict[str, Any]:
    return _report_json(ctx, report_id)


@router.post("/api/p/{slug}/fulltext/{report_id}/file")
def api_upload(
    ctx: Reviewer, report_id: int, file: Annotated[UploadFile | None, File()] = None
) -> dict[str, Any]:
    """Attach a full text (multipart field ``file``)."""
    with ctx.session(write=True):
        attach_upload(ctx, report_id, file)
    return _report_json(ctx, report_id)


@router.post("/api/p/{slug}/fulltext/{report_id}/not-retrieved")
def api_not_retrieved(ctx: Reviewer, report_id: int, body: ReasonBody) -> dict[str, Any]:
    with ctx.session(write=True):
        retrieval.not_retrieved(ctx.need_project(), report_id, reason=body.reason)
    return _report_json(ctx, report_id)


@router.post("/api/p/{slug}/fulltext/{report_id}/same-file")
def api_same_file(ctx: Reviewer, report_id: int, body: SameFileBody) -> dict[str, Any]:
    """Use the full text already attached to another report (one PDF, two reports)."""
    with ctx.session(write=True):
        retrieval.use_full_text_of(
            ctx.need_project(), report_id, source_report_id=body.source_report_id
        )
    return _report_json(ctx, report_id)


@router.post("/api/p/{slug}/fulltext/{report_id}/group")
def api_group(ctx: Reviewer, report_id: int, body: GroupBody) -> dict[str, Any]:
    """Put this report in ``with_report``'s study, or in study ``study_id``."""
    if (body.with_report is None) == (body.study_id is None):
        raise InputError("give either with_report or study_id")
    ids = [report_id] if body.with_report is None else [body.with_report, report_id]
    with ctx.session(write=True):
        screening.group_reports(ctx.need_project(), ids, study_id=body.study_id)
    return _report_json(ctx, report_id)


@router.put("/api/p/{slug}/fulltext/{report_id}/kind")
def api_kind(ctx: Reviewer, report_id: int, body: KindBody) -> dict[str, Any]:
    with ctx.session(write=True):
        screening.set_report_kind(ctx.need_project(), report_id, (body.kind or "").strip() or None)
    return _report_json(ctx, report_id)
