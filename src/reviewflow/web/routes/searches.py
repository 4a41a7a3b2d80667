"""The PRISMA-S search log: every database search and other method, logged as a form.

``/p/SLUG/searches`` lists the database and register searches and, apart, the other
methods (citation searching, hand searching, websites, ...), each with the records it
returned and how many of them were imported; ``/searches/new`` logs one and
``/searches/ID`` shows one (and lets the owner correct it). The same core functions serve
``reviewflow search add|list`` (:mod:`reviewflow.stages.searches`). A form that cannot be
logged comes back with each problem beside its field and everything typed kept.

The owner keeps the log, as the owner imports the files; everyone on the team reads it.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import JSONResponse, RedirectResponse, Response
from pydantic import BaseModel

from ...errors import ReviewflowError
from ...formats import FORMATS
from ...stages import searches
from ...stages.importing import changes as imports
from ..render import page
from ..rules import MEMBER, OWNER, Ctx, Guard

router = APIRouter()
Member = Annotated[Ctx, Depends(Guard(MEMBER))]
Owner = Annotated[Ctx, Depends(Guard(OWNER))]

#: Methods that feed PRISMA's left column; the others are listed as "other methods".
DATABASE_METHODS = ("database", "register")
#: What a page says after a change (fixed texts: nothing typed is echoed from the URL).
DONE = {"added": "The search is logged.", "saved": "The search is saved."}
#: Where a new search's form may send the user afterwards (fixed: no open redirect).
NEXT = {"import": "/import"}


def _text(value: Any, *, verbatim: bool = False) -> str | None:
    if value is None:
        return None
    text = str(value).replace("\r\n", "\n")
    if not verbatim:
        text = text.strip()
    return text if text.strip() else None


def _whole_number(value: Any, label: str, errors: dict[str, str], key: str) -> int | None:
    if value is None or isinstance(value, int):
        return value
    text = str(value).strip().replace(",", "")
    if not text:
        return None
    if not re.fullmatch(r"-?\d+", text):
        errors[key] = f"{label} must be a whole number, e.g. 1203 (you wrote {str(value)!r})"
        return None
    return int(text)


def entry_from(values: Mapping[str, Any]) -> tuple[searches.SearchEntry, dict[str, str]]:
    """The entry a form or API body describes, and a message for each field that is wrong."""
    errors: dict[str, str] = {}
    records = _whole_number(
        values.get("records_returned"), "Records returned", errors, "records_returned"
    )
    update_of = _whole_number(values.get("update_of"), "Update of", errors, "update_of")
    entry = searches.SearchEntry(
        source=_text(values.get("source")) or "",
        method=_text(values.get("method")) or "database",
        platform=_text(values.get("platform")),
        searched_with=_text(values.get("searched_with")),
        date_searched=_text(values.get("date_searched")),
        searcher=_text(values.get("searcher")),
        query=_text(values.get("query"), verbatim=True),
        limits=_text(values.get("limits")),
        records_returned=records,
        file_name=_text(values.get("file_name")),
        file_format=_text(values.get("file_format")),
        update_of=update_of,
        notes=_text(values.get("notes"), verbatim=True),
    )
    for key, exc in searches.problems(entry).items():
        errors.setdefault(key, exc.message + (f". {exc.hint}" if exc.hint else ""))
    return (
        entry,
        {  # in the form's order, each a sentence
            k: errors[k][:1].upper() + errors[k][1:] for k in searches.EDITABLE if k in errors
        },
    )


def log_data(ctx: Ctx) -> dict[str, Any]:
    """The log split as PRISMA-S reads it, with the records imported for each search."""
    with ctx.session(write=False):
        rows = searches.list_all(ctx.need_project())
        imported = imports.list_all(ctx.need_project())
    per_search: dict[int, int] = {}
    for i in imported:
        if i["search_id"] is not None:
            per_search[i["search_id"]] = per_search.get(i["search_id"], 0) + i["records"]
    for row in rows:
        row["imported"] = per_search.get(row["id"])
    unlinked = sum(i["records"] for i in imported if i["search_id"] is None)
    return {
        "databases": [r for r in rows if r["method"] in DATABASE_METHODS],
        "others": [r for r in rows if r["method"] not in DATABASE_METHODS],
        "unlinked": unlinked,
    }


def _form_page(
    ctx: Ctx,
    *,
    values: Mapping[str, Any],
    errors: dict[str, str] | None = None,
    search: dict[str, Any] | None = None,
    error: str = "",
    next: str = "",
    status_code: int = 200,
) -> Response:
    with ctx.session(write=False):
        earlier = [
            s
            for s in searches.list_all(ctx.need_project())
            if search is None or s["id"] != search["id"]
        ]
    return page(
        ctx,
        "search_form.html",
        status_code=status_code,
        values=values,
        errors=errors or {},
        search=search,
        error=error,
        next=next if next in NEXT else "",
        methods=searches.METHODS,
        formats=FORMATS,
        earlier=earlier,
    )


async def _posted(request: Request) -> dict[str, Any]:
    form = await request.form()
    return {k: form.get(k) for k in searches.EDITABLE}


@router.get("/p/{slug}/searches")
def log_page(ctx: Member, done: str = "") -> Response:
    return page(ctx, "searches.html", message=DONE.get(done, ""), **log_data(ctx))


@router.get("/p/{slug}/searches/new")
def new_page(ctx: Owner, method: str = "database", next: str = "") -> Response:
    chosen = method if method in searches.METHODS else "database"
    return _form_page(ctx, values={"method": chosen}, next=next)


def _saved(ctx: Ctx, search_id: int, next: str, done: str) -> Response:
    if next in NEXT:
        return RedirectResponse(ctx.href(f"{NEXT[next]}?search={search_id}"), status_code=303)
    return RedirectResponse(ctx.href(f"/searches?done={done}#search-{search_id}"), status_code=303)


@router.post("/p/{slug}/searches")
async def add_form(ctx: Owner, next: str = "") -> Response:
    values = await _posted(ctx.request)
    entry, errors = entry_from(values)
    if errors:
        return _form_page(ctx, values=values, errors=errors, next=next, status_code=422)
    try:
        with ctx.session(write=True):
            search_id = searches.add(ctx.need_project(), entry)
    except ReviewflowError as exc:
        text = exc.message + (f" {exc.hint}" if exc.hint else "")
        return _form_page(ctx, values=values, error=text, next=next, status_code=422)
    return _saved(ctx, search_id, next, "added")


def _search(ctx: Ctx, search_id: int) -> dict[str, Any]:
    with ctx.session(write=False):
        found = searches.get(ctx.need_project(), search_id)  # NotFoundError: 404
        found["imports"] = [
            i for i in imports.list_all(ctx.need_project()) if i["search_id"] == search_id
        ]
    return found


@router.get("/p/{slug}/searches/{search_id}")
def search_page(ctx: Member, search_id: int, done: str = "") -> Response:
    found = _search(ctx, search_id)
    if ctx.user is not None and "owner" in ctx.user.roles:
        return _form_page(ctx, values=found, search=found, error="")
    return page(ctx, "search_view.html", search=found, message=DONE.get(done, ""))


@router.post("/p/{slug}/searches/{search_id}")
async def edit_form(ctx: Owner, search_id: int) -> Response:
    found = _search(ctx, search_id)
    values = await _posted(ctx.request)
    entry, errors = entry_from(values)
    if errors:
        return _form_page(ctx, values=values, errors=errors, search=found, status_code=422)
    try:
        with ctx.session(write=True):
            searches.update(ctx.need_project(), search_id, entry)
    except ReviewflowError as exc:
        text = exc.message + (f" {exc.hint}" if exc.hint else "")
        return _form_page(ctx, values=values, search=found, error=text, status_code=422)
    return _saved(ctx, search_id, "", "saved")


# -- the API -----------------------------------------------------------------------------


class SearchBody(BaseModel):
    source: str = ""
    method: str = "database"
    platform: str | None = None
    searched_with: str | None = None
    date_searched: str | None = None
    searcher: str | None = None
    query: str | None = None
    limits: str | None = None
    records_returned: int | str | None = None
    file_name: str | None = None
    file_format: str | None = None
    update_of: int | str | None = None
    notes: str | None = None


def _refused(errors: dict[str, str]) -> JSONResponse:
    """The form's field messages as JSON: what the page shows beside each field."""
    return JSONResponse(
        {
            "error": "InputError",
            "message": "; ".join(f"{k}: {v}" for k, v in errors.items()),
            "fields": errors,
            "next": {"text": "Correct the fields named and send it again.", "command": None},
        },
        status_code=422,
    )


@router.get("/api/p/{slug}/searches")
def api_log(ctx: Member) -> dict[str, Any]:
    """The search log: database and register searches, other methods, and the records
    imported without a logged search."""
    return log_data(ctx)


@router.post("/api/p/{slug}/searches", status_code=201, response_model=None)
def api_add(ctx: Owner, body: SearchBody) -> dict[str, Any] | JSONResponse:
    """Log a search; 422 with ``fields`` (a message per field) when it cannot be."""
    entry, errors = entry_from(body.model_dump())
    if errors:
        return _refused(errors)
    with ctx.session(write=True):
        search_id = searches.add(ctx.need_project(), entry)
    return _search(ctx, search_id)


@router.get("/api/p/{slug}/searches/{search_id}")
def api_search(ctx: Member, search_id: int) -> dict[str, Any]:
    """One search as logged, with the imports linked to it."""
    return _search(ctx, search_id)


@router.put("/api/p/{slug}/searches/{search_id}", response_model=None)
def api_edit(ctx: Owner, search_id: int, body: SearchBody) -> dict[str, Any] | JSONResponse:
    """Correct a logged search (every typed field is replaced by the body's)."""
    entry, errors = entry_from(body.model_dump())
    if errors:
        return _refused(errors)
    with ctx.session(write=True):
        searches.update(ctx.need_project(), search_id, entry)
    return _search(ctx, search_id)
