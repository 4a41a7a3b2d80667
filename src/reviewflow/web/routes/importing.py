"""Importing an export file in two steps: read it and show the parse report, then import.

``/p/SLUG/import`` lists the imports and takes an upload for a logged search; the server
keeps the file aside (:mod:`reviewflow.stages.importing.pending`, in the project's cache
folder, keyed by its sha256) and parses it without importing: ``/import/check`` shows the
format, the records read, the warnings and any error with its file:line, and a few
records. Only "Import N records" imports it, parsed again, whole or not at all, as
``reviewflow import FILE --search ID`` does; a file that does not parse has no such button
and the page says what to fix. Afterwards "Find duplicates" runs deduplication as
``reviewflow dedup`` does (in the request, for now) and links to the Duplicates page.

Importing and deduplicating change every count of the review: the owner does them;
everyone on the team sees the imports.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Annotated, Any

from fastapi import APIRouter, Depends, File, Form, UploadFile
from fastapi.responses import RedirectResponse, Response
from pydantic import BaseModel

from ...errors import InputError
from ...formats import FORMATS
from ...stages import searches, status
from ...stages.dedup import project as dedup
from ...stages.importing import ImportResult, pending
from ...stages.importing import changes as imports
from ..app import upload_cap
from ..render import page
from ..rules import MEMBER, OWNER, Ctx, Guard

router = APIRouter()
Member = Annotated[Ctx, Depends(Guard(MEMBER))]
Owner = Annotated[Ctx, Depends(Guard(OWNER))]

DONE = {
    "cancelled": "The upload was cancelled; nothing was imported.",
    "dedup": "Deduplication ran on the records imported since the last run.",
}


def _format(value: str | None) -> str | None:
    value = (value or "").strip()
    if not value:
        return None
    if value not in FORMATS:
        raise InputError(f"unknown format {value!r}", hint="Use one of: " + ", ".join(FORMATS))
    return value


def dedup_figures(ctx: Ctx) -> dict[str, int]:
    """What ``reviewflow status`` says about deduplication."""
    stages = status.run(ctx.need_project()).stages
    keys = (
        "imported",
        "not yet deduplicated",
        "duplicates removed",
        "after deduplication",
        "dedup pairs waiting for review",
    )
    return {k: stages[k] for k in keys}


def overview(ctx: Ctx) -> dict[str, Any]:
    """The imports, the searches they can go with, and what deduplication found."""
    project = ctx.need_project()
    with ctx.session(write=False):
        return {
            "imports": imports.list_all(project),
            "searches": searches.list_all(project),
            "dedup": dedup_figures(ctx),
        }


@router.get("/p/{slug}/import")
def import_page(
    ctx: Member, search: int | None = None, done: str = "", import_id: int | None = None
) -> Response:
    data = overview(ctx)
    imported = None
    if done == "import":
        imported = next((i for i in data["imports"] if i["id"] == import_id), None)
    return page(
        ctx,
        "import.html",
        chosen=search,
        message=DONE.get(done, "") if done != "dedup" else "",
        dedup_message=DONE["dedup"] if done == "dedup" else "",
        imported=imported,
        formats=FORMATS,
        error="",
        **data,
    )


def _chunks(upload: UploadFile) -> Iterator[bytes]:
    while chunk := upload.file.read(1 << 20):
        yield chunk


def stash_upload(ctx: Ctx, upload: UploadFile | None) -> str:
    """Keep an uploaded export aside until it is confirmed: the page's and the API's way."""
    if upload is None or not (upload.filename or "").strip():
        raise InputError(
            "choose the exported file to read",
            hint="RIS, PubMed (.nbib), Web of Science, Scopus CSV, BibTeX, EndNote XML, "
            "CSV or Excel.",
        )
    return pending.stash(
        ctx.need_project(), _chunks(upload), file_name=upload.filename or "", cap=upload_cap()
    )


def _upload_page(ctx: Ctx, search: int | None, error: str) -> Response:
    return page(
        ctx,
        "import.html",
        status_code=422,
        chosen=search,
        message="",
        dedup_message="",
        imported=None,
        formats=FORMATS,
        error=error,
        **overview(ctx),
    )


@router.post("/p/{slug}/import")
def upload_form(
    ctx: Owner,
    search: Annotated[str, Form()] = "",
    file: Annotated[UploadFile | None, File()] = None,
    format: Annotated[str, Form()] = "",
) -> Response:
    fmt = _format(format)
    search_id = int(search) if search.strip().isdigit() else None
    if search_id is None:
        return _upload_page(
            ctx,
            None,
            "Choose the search this file came from (or log it first): its "
            "records are then counted under that search in PRISMA.",
        )
    try:
        sha256 = stash_upload(ctx, file)
    except InputError as exc:
        return _upload_page(ctx, search_id, exc.message + (f" {exc.hint}" if exc.hint else ""))
    query = f"?upload={sha256}&search={search_id}" + (f"&format={fmt}" if fmt else "")
    return RedirectResponse(ctx.href(f"/import/check{query}"), status_code=303)


def preview_of(ctx: Ctx, upload: str, search: int | None, fmt: str | None) -> Any:
    with ctx.session(write=False):
        return pending.preview(ctx.need_project(), upload, search_id=search, format=fmt)


@router.get("/p/{slug}/import/check")
def check_page(
    ctx: Owner, upload: str = "", search: int | None = None, format: str = ""
) -> Response:
    fmt = _format(format)
    report = preview_of(ctx, upload, search, fmt)
    chosen = None
    if search is not None:
        with ctx.session(write=False):
            chosen = searches.get(ctx.need_project(), search)
    return page(ctx, "import_check.html", report=report, search=chosen, fmt=fmt or "")


def commit_upload(
    ctx: Ctx, upload: str, *, search: int | None, records: int, fmt: str | None
) -> ImportResult:
    """Import the waiting upload as the signed-in user, then forget it."""
    with ctx.session(write=True):
        result = pending.commit(
            ctx.need_project(), upload, search_id=search, expected_records=records, format=fmt
        )
    pending.discard(ctx.need_project(), upload)  # only once the import is committed
    return result


@router.post("/p/{slug}/import/confirm")
def confirm_form(
    ctx: Owner,
    upload: Annotated[str, Form()],
    search: Annotated[int, Form()],
    records: Annotated[int, Form()],
    format: Annotated[str, Form()] = "",
) -> Response:
    result = commit_upload(ctx, upload, search=search, records=records, fmt=_format(format))
    target = f"/import?done=import&import_id={result.import_id}#imported"
    return RedirectResponse(ctx.href(target), status_code=303)


@router.post("/p/{slug}/import/cancel")
def cancel_form(ctx: Owner, upload: Annotated[str, Form()] = "") -> Response:
    pending.discard(ctx.need_project(), upload)
    return RedirectResponse(ctx.href("/import?done=cancelled"), status_code=303)


def run_dedup(ctx: Ctx) -> dedup.DedupRunResult:
    """Deduplicate the records imported since the last run, as ``reviewflow dedup`` does."""
    with ctx.session(write=True):
        return dedup.run(ctx.need_project())


@router.post("/p/{slug}/dedup/run")
def dedup_form(ctx: Owner) -> Response:
    run_dedup(ctx)
    return RedirectResponse(ctx.href("/import?done=dedup#duplicates"), status_code=303)


# -- the API -----------------------------------------------------------------------------


class ConfirmBody(BaseModel):
    upload: str
    search_id: int | None = None
    records: int
    format: str | None = None


class CancelBody(BaseModel):
    upload: str


@router.get("/api/p/{slug}/imports")
def api_imports(ctx: Member) -> dict[str, Any]:
    """The imports with their records and searches, the history of links and removals,
    and what deduplication found."""
    data = overview(ctx)
    with ctx.session(write=False):
        history = imports.history(ctx.need_project())
    return {"imports": data["imports"], "history": history, "dedup": data["dedup"]}


@router.post("/api/p/{slug}/imports/preview")
def api_preview(
    ctx: Owner,
    file: Annotated[UploadFile | None, File()] = None,
    search_id: Annotated[int | None, Form()] = None,
    format: Annotated[str, Form()] = "",
) -> dict[str, Any]:
    """Upload an export (multipart ``file``) and read it without importing: the parse
    report, and ``upload``, the name to confirm it by."""
    fmt = _format(format)
    sha256 = stash_upload(ctx, file)
    return dict(preview_of(ctx, sha256, search_id, fmt).to_dict())


@router.get("/api/p/{slug}/imports/preview")
def api_preview_again(
    ctx: Owner, upload: str = "", search_id: int | None = None, format: str = ""
) -> dict[str, Any]:
    """The parse report of a waiting upload, read again."""
    return dict(preview_of(ctx, upload, search_id, _format(format)).to_dict())


@router.post("/api/p/{slug}/imports/confirm")
def api_confirm(ctx: Owner, body: ConfirmBody) -> dict[str, Any]:
    """Import a waiting upload; ``records`` must be the count its parse report gave."""
    result = commit_upload(
        ctx, body.upload, search=body.search_id, records=body.records, fmt=_format(body.format)
    )
    return result.to_dict()


@router.post("/api/p/{slug}/imports/cancel")
def api_cancel(ctx: Owner, body: CancelBody) -> dict[str, Any]:
    """Forget a waiting upload."""
    pending.discard(ctx.need_project(), body.upload)
    return {"upload": body.upload, "cancelled": True}


@router.post("/api/p/{slug}/dedup/run")
def api_dedup(ctx: Owner) -> dict[str, Any]:
    """Deduplicate the records imported since the last run (``reviewflow dedup --json``)."""
    return run_dedup(ctx).to_dict()
