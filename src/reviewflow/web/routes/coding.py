"""Coding (thematic synthesis, stage 1): a study's findings as segments, coded line by line.

``/p/SLUG/coding`` lists the included studies with their segments and, per coder, how
much of each is coded; a study without segments reads its findings from the attached
full text (``reviewflow code import-findings STUDY``). ``/p/SLUG/coding/ID`` shows the
study's findings as segments, participant quotes marked apart from author text, each
coder's codings as highlights with the code's name, and the code bank beside them:
select text (static/coding.js turns the selection into character offsets within its
segment and posts them to the API with the CSRF header) and pick a code or type a new
one; without JavaScript each segment has a plain form that codes the whole of it.
Memos on segments are kept with their history. ``/p/SLUG/coding/ID/compare`` sets two
coders' codings of the study side by side with their agreement.

The code bank's pages (rename, memo, merge, split, history) are in :mod:`.codebank`.
Reviewers (and the owner) code; viewers read.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form
from fastapi.responses import RedirectResponse, Response
from pydantic import BaseModel

from ...errors import InputError, ReviewflowError
from ...stages.synthesis import codes, findings, workbench
from ..failures import status_of
from ..render import page
from ..rules import MEMBER, REVIEWER, Ctx, Guard

router = APIRouter()
Member = Annotated[Ctx, Depends(Guard(MEMBER))]
Reviewer = Annotated[Ctx, Depends(Guard(REVIEWER))]

#: What a page says after a change (fixed texts: nothing typed is echoed from the URL).
DONE = {
    "applied": "The code is applied.",
    "created": "The new code is in the code bank and applied.",
    "removed": "The coding is removed (its history keeps it).",
    "memo": "The memo is saved.",
    "findings": "The findings are read into segments.",
    "flag": "The segment is corrected (its history keeps what was detected).",
}


def codes_user(ctx: Ctx) -> bool:
    """True for a user who codes (a reviewer or the owner); viewers and arbiters read."""
    roles = ctx.user.roles if ctx.user else frozenset()
    return bool(roles & {"owner", "reviewer"})


def _shown_coder(ctx: Ctx, coder: str) -> str | None:
    """Whose codings the page shows: ``coder`` if named, ``all`` for everyone's, else the
    user's own if they code (coders code independently), else everyone's."""
    if coder == "all":
        return None
    if coder:
        return coder.strip()
    return ctx.actor if codes_user(ctx) else None


def study_data(ctx: Ctx, study_id: int, *, coder: str = "", q: str = "") -> dict[str, Any]:
    project = ctx.need_project()
    shown = _shown_coder(ctx, coder)
    with ctx.session(write=False):
        view = workbench.study_view(project, study_id, coder=shown)
        bank = codes.list_codes(project)
    query = q.strip().casefold()
    listed = [c for c in bank if not query or query in c["name"].casefold()]
    by_id = {c["id"]: c for c in bank}
    for seg in view["segments"]:
        seg["pieces"] = _marked(seg["text"], seg["codings"])
    return {
        "view": view,
        "bank": listed,
        "all_codes": bank,
        "by_id": by_id,
        "q": q,
        "shown": shown,
        "can_code": codes_user(ctx),
    }


def _marked(text: str, codings: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The segment's pieces for the page: each with the codings over it and the names of
    those that end there (shown after the highlight by CSS, outside the text itself, so
    a selection's offsets count only the segment's own characters)."""
    out, at = [], 0
    by_id = {c["id"]: c for c in codings}
    for piece, ids in workbench.pieces(text, codings):
        at += len(piece)
        over = [by_id[i] for i in ids]
        ending = [c for c in over if c["end"] == at]
        label = ", ".join(f"{c['code']} ({c['coder']})" for c in ending)
        out.append({"text": piece, "codings": over, "label": label})
    return out


@router.get("/p/{slug}/coding")
def overview_page(ctx: Member, done: str = "") -> Response:
    with ctx.session(write=False):
        data = workbench.overview(ctx.need_project())
    return page(
        ctx,
        "coding_overview.html",
        data=data,
        can_code=codes_user(ctx),
        message=DONE.get(done, ""),
    )


@router.post("/p/{slug}/coding/{study_id}/findings")
def findings_form(ctx: Reviewer, study_id: int) -> Response:
    try:
        with ctx.session(write=True):
            findings.import_findings(ctx.need_project(), study_id)
    except ReviewflowError as exc:
        with ctx.session(write=False):
            data = workbench.overview(ctx.need_project())
        error = exc.message + (f" {exc.hint}" if exc.hint else "")
        return page(
            ctx,
            "coding_overview.html",
            status_code=status_of(exc),
            data=data,
            can_code=True,
            error=error,
        )
    return RedirectResponse(ctx.href(f"/coding/{study_id}?done=findings"), status_code=303)


@router.get("/p/{slug}/coding/{study_id}")
def study_page(
    ctx: Member, study_id: int, coder: str = "", q: str = "", done: str = ""
) -> Response:
    data = study_data(ctx, study_id, coder=coder, q=q)
    return page(ctx, "coding.html", message=DONE.get(done, ""), **data)


def _act(ctx: Ctx, study_id: int, action: Any, *, anchor: str = "") -> Response:
    """Run a change; back to the study with what was done, or the page with the error."""
    try:
        with ctx.session(write=True):
            done = action()
    except ReviewflowError as exc:
        error = exc.message + (f" {exc.hint}" if exc.hint else "")
        data = study_data(ctx, study_id)  # no such study: the 404 page instead
        return page(ctx, "coding.html", status_code=status_of(exc), error=error, **data)
    return RedirectResponse(ctx.href(f"/coding/{study_id}?done={done}{anchor}"), status_code=303)


def _span(start: str, end: str) -> tuple[int, int] | None:
    if not start.strip() and not end.strip():
        return None
    if not (start.strip().isdigit() and end.strip().isdigit()):
        raise InputError("the selection's start and end are character positions (numbers)")
    return int(start), int(end)


def apply(
    ctx: Ctx,
    study_id: int,
    segment_id: int,
    *,
    code_id: int | None,
    new_code: str,
    span: tuple[int, int] | None,
) -> dict[str, Any]:
    """Apply a code (or a new one) as the signed-in user: the page's and the API's way."""
    return workbench.apply_coding(
        ctx.need_project(),
        segment_id,
        code=code_id,
        new_code=new_code.strip() or None,
        span=span,
        study=study_id,
    )


@router.post("/p/{slug}/coding/{study_id}/apply")
def apply_form(
    ctx: Reviewer,
    study_id: int,
    segment_id: Annotated[int, Form()],
    code_id: Annotated[str, Form()] = "",
    new_code: Annotated[str, Form()] = "",
    start: Annotated[str, Form()] = "",
    end: Annotated[str, Form()] = "",
) -> Response:
    def action() -> str:
        chosen = int(code_id) if code_id.strip().isdigit() else None
        made = apply(
            ctx, study_id, segment_id, code_id=chosen, new_code=new_code, span=_span(start, end)
        )
        return "created" if made["created"] else "applied"

    return _act(ctx, study_id, action, anchor=f"#seg-{segment_id}")


def remove(ctx: Ctx, application_id: int) -> dict[str, Any]:
    """The user removes their coding; the owner may remove anyone's."""
    owner = bool(ctx.user and "owner" in ctx.user.roles)
    return workbench.remove_coding(ctx.need_project(), application_id, any_coder=owner)


@router.post("/p/{slug}/coding/{study_id}/remove/{application_id}")
def remove_form(ctx: Reviewer, study_id: int, application_id: int) -> Response:
    def action() -> str:
        remove(ctx, application_id)
        return "removed"

    return _act(ctx, study_id, action)


@router.post("/p/{slug}/coding/{study_id}/memo/{segment_id}")
def memo_form(
    ctx: Reviewer, study_id: int, segment_id: int, memo: Annotated[str, Form()] = ""
) -> Response:
    def action() -> str:
        workbench.set_segment_memo(ctx.need_project(), segment_id, memo)
        return "memo"

    return _act(ctx, study_id, action, anchor=f"#seg-{segment_id}")


def flag(ctx: Ctx, segment_id: int, kind: str) -> dict[str, Any]:
    """Correct a segment: a participant quote is kept as evidence (out of scope), author
    text is coded (in scope), as ``reviewflow code flag`` records it (an event)."""
    if kind not in ("author", "quote"):
        raise InputError(f"a segment is author text or a participant quote, not {kind!r}")
    return findings.correct_segment(
        ctx.need_project(), segment_id, kind=kind, in_scope=kind == "author"
    )


@router.post("/p/{slug}/coding/{study_id}/flag/{segment_id}")
def flag_form(
    ctx: Reviewer, study_id: int, segment_id: int, kind: Annotated[str, Form()] = ""
) -> Response:
    def action() -> str:
        flag(ctx, segment_id, kind)
        return "flag"

    return _act(ctx, study_id, action, anchor=f"#seg-{segment_id}")


@router.get("/p/{slug}/coding/{study_id}/compare")
def compare_page(ctx: Member, study_id: int, first: str = "", second: str = "") -> Response:
    project = ctx.need_project()
    with ctx.session(write=False):
        coders = workbench.study_view(project, study_id)["coders"]
        first = first.strip() or (coders[0] if coders else "")
        second = second.strip() or next((c for c in coders if c != first), "")
        result, error = None, ""
        if first and second:
            try:
                result = workbench.compare_study(project, study_id, first, second)
            except InputError as exc:
                error = exc.message
    return page(
        ctx,
        "coding_compare.html",
        study_id=study_id,
        coders=coders,
        first=first,
        second=second,
        result=result,
        error=error,
    )


# -- API ------------------------------------------------------------------------------


class ApplyBody(BaseModel):
    segment_id: int
    code_id: int | None = None
    new_code: str | None = None
    start: int | None = None
    end: int | None = None


class MemoBody(BaseModel):
    memo: str


@router.get("/api/p/{slug}/coding")
def api_overview(ctx: Member) -> dict[str, Any]:
    """Included studies with their segments and, per coder, segments coded and codings."""
    with ctx.session(write=False):
        return workbench.overview(ctx.need_project())


@router.post("/api/p/{slug}/coding/{study_id}/findings")
def api_findings(ctx: Reviewer, study_id: int) -> dict[str, Any]:
    """Read the study's findings from its attached full text into segments."""
    with ctx.session(write=True):
        return findings.import_findings(ctx.need_project(), study_id).to_dict()


@router.get("/api/p/{slug}/coding/{study_id}")
def api_study(ctx: Member, study_id: int, coder: str = "") -> dict[str, Any]:
    """The study's segments with memos and codings (``coder=AB``: only AB's)."""
    with ctx.session(write=False):
        return workbench.study_view(ctx.need_project(), study_id, coder=coder.strip() or None)


@router.post("/api/p/{slug}/coding/{study_id}/apply")
def api_apply(ctx: Reviewer, study_id: int, body: ApplyBody) -> dict[str, Any]:
    """Apply ``code_id`` or a ``new_code`` to a segment, or to characters ``start``–``end``
    of it (offsets within the segment's text)."""
    span = None
    if body.start is not None or body.end is not None:
        if body.start is None or body.end is None:
            raise InputError("give both start and end of the selection, or neither")
        span = (body.start, body.end)
    with ctx.session(write=True):
        return apply(
            ctx,
            study_id,
            body.segment_id,
            code_id=body.code_id,
            new_code=body.new_code or "",
            span=span,
        )


@router.delete("/api/p/{slug}/coding/applications/{application_id}")
def api_remove(ctx: Reviewer, application_id: int) -> dict[str, Any]:
    with ctx.session(write=True):
        removed = remove(ctx, application_id)
    return {"removed": application_id, "coder": removed["coder"]}


@router.put("/api/p/{slug}/coding/segments/{segment_id}/memo")
def api_memo(ctx: Reviewer, segment_id: int, body: MemoBody) -> dict[str, Any]:
    """Write (an empty text clears) the segment's memo; earlier versions are kept."""
    with ctx.session(write=True):
        return workbench.set_segment_memo(ctx.need_project(), segment_id, body.memo)


class FlagBody(BaseModel):
    kind: str


@router.put("/api/p/{slug}/coding/segments/{segment_id}/flag")
def api_flag(ctx: Reviewer, segment_id: int, body: FlagBody) -> dict[str, Any]:
    """Mark a segment as ``author`` text (in scope) or a participant ``quote`` (out)."""
    with ctx.session(write=True):
        return flag(ctx, segment_id, body.kind)


@router.get("/api/p/{slug}/coding/{study_id}/compare")
def api_compare(ctx: Member, study_id: int, first: str, second: str) -> dict[str, Any]:
    """Two coders' codings of the study side by side with their agreement."""
    with ctx.session(write=False):
        return workbench.compare_study(ctx.need_project(), study_id, first.strip(), second.strip())
