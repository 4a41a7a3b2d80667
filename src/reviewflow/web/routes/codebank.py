"""The code bank: every code with its memo and counts, and one code's page to rename it,
write its memo, merge it into another code or split some of its codings off into a new
code, with the history of each change (who, when, what).

The same core functions serve ``reviewflow code new|rename|memo|merge`` (split by chosen
codings is :func:`reviewflow.stages.synthesis.workbench.split_codings`); every change is
a ``code_events`` row, so the history below is read back, never written by the page.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form
from fastapi.responses import RedirectResponse, Response
from pydantic import BaseModel

from ...errors import InputError, ReviewflowError
from ...stages.synthesis import codes, workbench
from ..failures import status_of
from ..render import page
from ..rules import MEMBER, REVIEWER, Ctx, Guard
from .coding import codes_user

router = APIRouter()
Member = Annotated[Ctx, Depends(Guard(MEMBER))]
Reviewer = Annotated[Ctx, Depends(Guard(REVIEWER))]

DONE = {
    "created": "The code is in the code bank.",
    "renamed": "The code is renamed; its history keeps the old name.",
    "memo": "The memo is saved.",
    "merged": "The code is merged; its codings moved and its history says where.",
    "split": "The chosen codings moved to the new code.",
}


def bank_data(ctx: Ctx, *, q: str = "") -> dict[str, Any]:
    project = ctx.need_project()
    with ctx.session(write=False):
        rows = codes.list_codes(project)
        history = workbench.bank_history(project)
    query = q.strip().casefold()
    listed = [c for c in rows if not query or query in c["name"].casefold()]
    return {"rows": listed, "total": len(rows), "q": q, "history": history}


def code_data(ctx: Ctx, code_id: int) -> dict[str, Any]:
    project = ctx.need_project()
    with ctx.session(write=False):
        code = workbench.code_view(project, code_id)  # NotFoundError (404) first
        others = [c for c in codes.list_codes(project) if c["id"] != code_id]
    return {"code": code, "others": others}


@router.get("/p/{slug}/codes")
def bank_page(ctx: Member, q: str = "", done: str = "") -> Response:
    return page(
        ctx,
        "coding_codes.html",
        message=DONE.get(done, ""),
        can_code=codes_user(ctx),
        **bank_data(ctx, q=q),
    )


@router.post("/p/{slug}/codes")
def create_form(
    ctx: Reviewer, name: Annotated[str, Form()] = "", memo: Annotated[str, Form()] = ""
) -> Response:
    try:
        with ctx.session(write=True):
            codes.create_code(ctx.need_project(), name, memo=memo.strip() or None)
    except ReviewflowError as exc:
        error = exc.message + (f" {exc.hint}" if exc.hint else "")
        return page(
            ctx,
            "coding_codes.html",
            status_code=status_of(exc),
            error=error,
            can_code=True,
            **bank_data(ctx),
        )
    return RedirectResponse(ctx.href("/codes?done=created"), status_code=303)


@router.get("/p/{slug}/codes/{code_id}")
def code_page(ctx: Member, code_id: int, done: str = "") -> Response:
    return page(
        ctx,
        "coding_code.html",
        message=DONE.get(done, ""),
        can_code=codes_user(ctx),
        **code_data(ctx, code_id),
    )


def _act(ctx: Ctx, code_id: int, action: Any) -> Response:
    """Run a change; to the code's page (or the code it went to) or the page with the error."""
    try:
        with ctx.session(write=True):
            done, go_to = action()
    except ReviewflowError as exc:
        error = exc.message + (f" {exc.hint}" if exc.hint else "")
        data = code_data(ctx, code_id)
        return page(
            ctx,
            "coding_code.html",
            status_code=status_of(exc),
            error=error,
            can_code=True,
            **data,
        )
    return RedirectResponse(ctx.href(f"/codes/{go_to}?done={done}"), status_code=303)


@router.post("/p/{slug}/codes/{code_id}/rename")
def rename_form(ctx: Reviewer, code_id: int, name: Annotated[str, Form()] = "") -> Response:
    def action() -> tuple[str, int]:
        rename(ctx, code_id, name)
        return "renamed", code_id

    return _act(ctx, code_id, action)


@router.post("/p/{slug}/codes/{code_id}/memo")
def memo_form(ctx: Reviewer, code_id: int, memo: Annotated[str, Form()] = "") -> Response:
    def action() -> tuple[str, int]:
        codes.set_memo(ctx.need_project(), code_id, memo.strip())
        return "memo", code_id

    return _act(ctx, code_id, action)


@router.post("/p/{slug}/codes/{code_id}/merge")
def merge_form(ctx: Reviewer, code_id: int, into: Annotated[str, Form()] = "") -> Response:
    def action() -> tuple[str, int]:
        target = merge(ctx, code_id, into)
        return "merged", target

    return _act(ctx, code_id, action)


@router.post("/p/{slug}/codes/{code_id}/split")
def split_form(
    ctx: Reviewer,
    code_id: int,
    name: Annotated[str, Form()] = "",
    application_id: Annotated[list[int] | None, Form()] = None,
) -> Response:
    def action() -> tuple[str, int]:
        made = workbench.split_codings(ctx.need_project(), code_id, application_id or [], name)
        return "split", made

    return _act(ctx, code_id, action)


def rename(ctx: Ctx, code_id: int, name: str) -> None:
    if not name.strip():
        raise InputError("type the code's new name")
    codes.rename_code(ctx.need_project(), code_id, name.strip())


def merge(ctx: Ctx, code_id: int, into: str | int) -> int:
    """Merge ``code_id`` into ``into`` (an id or a name); returns the code that stays."""
    if not str(into).strip():
        raise InputError("choose the code to merge this one into")
    ref: int | str = int(into) if str(into).strip().isdigit() else str(into).strip()
    project = ctx.need_project()
    target = int(codes.get_code(project, ref)["id"])
    codes.merge_codes(project, [code_id], target)
    return target


# -- API ------------------------------------------------------------------------------


class NewCode(BaseModel):
    name: str
    memo: str | None = None


class NameBody(BaseModel):
    name: str


class MemoBody(BaseModel):
    memo: str


class MergeBody(BaseModel):
    into: int | str


class SplitBody(BaseModel):
    name: str
    application_ids: list[int]


@router.get("/api/p/{slug}/codes")
def api_codes(ctx: Member) -> dict[str, Any]:
    """The code bank (segments, studies and coders per code) and its latest history."""
    data = bank_data(ctx)
    return {"codes": data["rows"], "history": data["history"]}


@router.post("/api/p/{slug}/codes")
def api_create(ctx: Reviewer, body: NewCode) -> dict[str, Any]:
    with ctx.session(write=True):
        code_id = codes.create_code(ctx.need_project(), body.name, memo=body.memo)
    return _code_json(ctx, code_id)


def _code_json(ctx: Ctx, code_id: int) -> dict[str, Any]:
    with ctx.session(write=False):
        return workbench.code_view(ctx.need_project(), code_id)


@router.get("/api/p/{slug}/codes/{code_id}")
def api_code(ctx: Member, code_id: int) -> dict[str, Any]:
    """One code with its codings and its history (``text`` says each change in words)."""
    return _code_json(ctx, code_id)


@router.post("/api/p/{slug}/codes/{code_id}/rename")
def api_rename(ctx: Reviewer, code_id: int, body: NameBody) -> dict[str, Any]:
    with ctx.session(write=True):
        rename(ctx, code_id, body.name)
    return _code_json(ctx, code_id)


@router.post("/api/p/{slug}/codes/{code_id}/memo")
def api_code_memo(ctx: Reviewer, code_id: int, body: MemoBody) -> dict[str, Any]:
    with ctx.session(write=True):
        codes.set_memo(ctx.need_project(), code_id, body.memo.strip())
    return _code_json(ctx, code_id)


@router.post("/api/p/{slug}/codes/{code_id}/merge")
def api_merge(ctx: Reviewer, code_id: int, body: MergeBody) -> dict[str, Any]:
    """Merge this code into ``into``; returns the code that stays."""
    with ctx.session(write=True):
        target = merge(ctx, code_id, body.into)
    return _code_json(ctx, target)


@router.post("/api/p/{slug}/codes/{code_id}/split")
def api_split(ctx: Reviewer, code_id: int, body: SplitBody) -> dict[str, Any]:
    """Move ``application_ids`` (codings of this code) to a new code ``name``."""
    with ctx.session(write=True):
        made = workbench.split_codings(ctx.need_project(), code_id, body.application_ids, body.name)
    return _code_json(ctx, made)
