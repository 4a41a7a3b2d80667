"""The screening page: one record at a time, keyboard first, blind; and its list view.

``/p/SLUG/screen/ta`` (titles and abstracts) and ``/p/SLUG/screen/ft`` (full texts) show
the signed-in reviewer's next record from their own queue (ranked when the plan says so;
:func:`reviewflow.stages.screening.next_item`). I, E and M vote, U undoes the last vote,
digits choose an exclusion reason; each vote is one POST that records the decision in its
own short write session and answers with the next record (HTMX swaps it in; without
JavaScript the form posts and the page reloads). Nothing here shows another reviewer's
vote: the view carries only what :func:`~reviewflow.stages.screening.decisions.visible_votes`
allows (the arbiter's view of a conflict, a closed stage, or blindness switched off by the
owner, which is logged).
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form
from fastapi.responses import RedirectResponse, Response
from pydantic import BaseModel

from ...errors import InputError, ReviewflowError
from ...stages import screening
from ...stages.screening.plan import STAGES, check_stage
from ...stages.screening.session import note_with_tags, parse_tags
from ..render import is_htmx, page
from ..rules import MEMBER, OWNER, SCREENER, Ctx, Guard

router = APIRouter()
Screener = Annotated[Ctx, Depends(Guard(SCREENER))]
Member = Annotated[Ctx, Depends(Guard(MEMBER))]
Owner = Annotated[Ctx, Depends(Guard(OWNER))]

DECISIONS = ("include", "exclude", "maybe")


def _noun(stage: str) -> str:
    """What one screens at ``stage``: records at title/abstract, reports at full text."""
    return "report" if stage == "ft" else "record"


def _stage(stage: str) -> str:
    return check_stage(stage)  # InputError (422) names the stages


def _view_dict(view: screening.View) -> dict[str, Any]:
    return {
        "stage": view.stage,
        "item_id": view.item_id,
        "title": view.title,
        "authors": view.authors,
        "year": view.year,
        "journal": view.journal,
        "doi": view.doi,
        "keywords": list(view.keywords),
        "abstract": view.abstract,
        "vote": view.vote,
        "reason": view.reason,
        "note": view.saved_note,
        "tags": list(view.saved_tags),
        "visible_votes": {
            r: {"decision": v.decision, "reason": v.reason} for r, v in view.visible_votes.items()
        },
        "reasons": list(view.reasons),
        "reason_required": view.reason_required,
        "file_name": view.file_name,
    }


def _progress_dict(progress: Any) -> dict[str, Any]:
    return progress.to_dict() if progress is not None else {}


def current(
    ctx: Ctx, stage: str, item_id: int | None, *, skip: tuple[int, ...] = (), panels: bool = True
) -> dict[str, Any]:
    """Everything the screening view shows for ``item_id`` (None: the reviewer's next)."""
    project, me = ctx.need_project(), ctx.actor or ""
    with ctx.session(write=False):
        if item_id is None:
            item_id = screening.next_item(project, stage=stage, reviewer=me, skip=skip)
        view = (
            screening.item_view(project, stage=stage, item_id=item_id, reviewer=me)
            if item_id is not None
            else None
        )
        progress = screening.progress(project, stage=stage, reviewer=me)
        stopping = None
        if panels and stage == "ta" and screening.ranking_on(project, "ta"):
            stopping = screening.stopping_panel(project)
        blind = screening.is_blind(project, stage=stage)
        ranking = screening.ranking_state(project, stage=stage, reviewer=me)
    return {
        "ranking": ranking,
        "view": view,
        "progress": progress,
        "stopping": stopping,
        "stage": stage,
        "stage_name": STAGES[stage],
        "blind": blind,
    }


def _screen(
    ctx: Ctx,
    stage: str,
    item_id: int | None,
    *,
    message: str = "",
    error: str = "",
    last: int | None = None,
    status: int = 200,
    skip: tuple[int, ...] = (),
) -> Response:
    data = current(ctx, stage, item_id, skip=skip)
    template = "screen_record.html" if is_htmx(ctx.request) else "screen.html"
    return page(
        ctx,
        template,
        status_code=status,
        message=message,
        error=error,
        last=last,
        skip=skip,
        **data,
    )


@router.get("/p/{slug}/screen/{stage}")
def screen_page(ctx: Screener, stage: str, item: int | None = None) -> Response:
    return _screen(ctx, _stage(stage), item)


@router.post("/p/{slug}/screen/{stage}/{item_id}/decide")
def decide_form(
    ctx: Screener,
    stage: str,
    item_id: int,
    decision: Annotated[str, Form()],
    reason: Annotated[str, Form()] = "",
    note: Annotated[str, Form()] = "",
    tags: Annotated[str, Form()] = "",
) -> Response:
    stage = _stage(stage)
    try:
        record_decision(ctx, stage, item_id, decision=decision, reason=reason, note=note, tags=tags)
    except ReviewflowError as exc:
        hint = f" {exc.hint}" if exc.hint else ""
        return _screen(ctx, stage, item_id, error=exc.message + hint, status=422)
    if not is_htmx(ctx.request):
        return RedirectResponse(ctx.href(f"/screen/{stage}"), status_code=303)
    said = {"include": "Included", "exclude": "Excluded", "maybe": "Marked maybe"}[decision]
    return _screen(
        ctx, stage, None, message=f"{said} {_noun(stage)} {item_id}. U undoes it.", last=item_id
    )


@router.post("/p/{slug}/screen/{stage}/{item_id}/undo")
def undo_form(ctx: Screener, stage: str, item_id: int) -> Response:
    stage = _stage(stage)
    with ctx.session(write=True):
        screening.withdraw(ctx.need_project(), stage=stage, item_id=item_id, reviewer=ctx.actor)
    if not is_htmx(ctx.request):
        return RedirectResponse(ctx.href(f"/screen/{stage}?item={item_id}"), status_code=303)
    return _screen(
        ctx, stage, item_id, message=f"Your vote on {_noun(stage)} {item_id} is withdrawn."
    )


@router.post("/p/{slug}/screen/{stage}/{item_id}/skip")
def skip_form(
    ctx: Screener, stage: str, item_id: int, skipped: Annotated[str, Form()] = ""
) -> Response:
    stage = _stage(stage)
    skip = (*tuple(int(s) for s in skipped.split(",") if s.strip().isdigit())[-50:], item_id)
    if not is_htmx(ctx.request):
        return RedirectResponse(ctx.href(f"/screen/{stage}"), status_code=303)
    return _screen(
        ctx, stage, None, message=f"Skipped {_noun(stage)} {item_id} for now.", skip=skip
    )


def record_decision(
    ctx: Ctx,
    stage: str,
    item_id: int,
    *,
    decision: str,
    reason: str = "",
    note: str = "",
    tags: str | list[str] = "",
) -> screening.Vote:
    """One vote by the signed-in reviewer: the page's and the API's one way to vote."""
    if decision not in DECISIONS:
        raise InputError(f"unknown decision {decision!r}", hint="Use include, exclude or maybe.")
    tag_words = parse_tags(tags if isinstance(tags, str) else ", ".join(tags))
    with ctx.session(write=True):
        return screening.decide(
            ctx.need_project(),
            stage=stage,
            item_id=item_id,
            reviewer=ctx.actor,
            decision=decision,
            reason=reason or None,
            note=note_with_tags(note, tag_words),
        )


def _listed(
    ctx: Ctx, stage: str, q: str, vote: str, tag: str, *, offset: int, limit: int
) -> screening.ItemPage:
    """The signed-in reviewer's own items, filtered: the list page's and the API's."""
    with ctx.session(write=False):
        return screening.list_items(
            ctx.need_project(),
            stage=stage,
            reviewer=ctx.actor or "",
            query=q,
            vote=vote or None,
            tag=tag or None,
            offset=offset,
            limit=limit,
        )


@router.get("/p/{slug}/screen/{stage}/list")
def list_page(
    ctx: Screener, stage: str, q: str = "", vote: str = "", tag: str = "", page_no: int = 1
) -> Response:
    stage = _stage(stage)
    size = 50
    items = _listed(ctx, stage, q, vote, tag, offset=(max(page_no, 1) - 1) * size, limit=size)
    return page(
        ctx,
        "screen_list.html",
        stage=stage,
        stage_name=STAGES[stage],
        items=items,
        q=q,
        vote=vote,
        tag=tag,
        page_no=max(page_no, 1),
        size=size,
    )


@router.post("/p/{slug}/screen/{stage}/blind")
def blind_form(ctx: Owner, stage: str, blind: Annotated[str, Form()]) -> Response:
    stage = _stage(stage)
    with ctx.session(write=True):
        screening.set_blind(
            ctx.need_project(), stage=stage, blind=blind == "on", reviewer=ctx.actor
        )
    return RedirectResponse(ctx.href(f"/screen/{stage}"), status_code=303)


# -- API --------------------------------------------------------------------------------


class DecisionBody(BaseModel):
    decision: str
    reason: str | None = None
    note: str = ""
    tags: list[str] = []


class BlindBody(BaseModel):
    blind: bool


def _api_current(ctx: Ctx, stage: str, item_id: int | None) -> dict[str, Any]:
    data = current(ctx, stage, item_id, panels=False)
    view = data["view"]
    return {
        "item": _view_dict(view) if view is not None else None,
        "progress": _progress_dict(data["progress"]),
        "blind": data["blind"],
        # "preparing": the ranker is being built and records come in id order meanwhile
        "ranking": data["ranking"],
    }


@router.get("/api/p/{slug}/screen/{stage}/next")
def api_next(ctx: Screener, stage: str) -> dict[str, Any]:
    """The reviewer's next record (null when every one has their vote) and progress."""
    return _api_current(ctx, _stage(stage), None)


@router.get("/api/p/{slug}/screen/{stage}/items/{item_id}")
def api_item(ctx: Screener, stage: str, item_id: int) -> dict[str, Any]:
    return _api_current(ctx, _stage(stage), item_id)


@router.post("/api/p/{slug}/screen/{stage}/items/{item_id}/decision")
def api_decide(ctx: Screener, stage: str, item_id: int, body: DecisionBody) -> dict[str, Any]:
    """Record the signed-in reviewer's vote; answers with their next record."""
    stage = _stage(stage)
    vote = record_decision(
        ctx,
        stage,
        item_id,
        decision=body.decision,
        reason=body.reason or "",
        note=body.note,
        tags=body.tags,
    )
    out = _api_current(ctx, stage, None)
    out["recorded"] = {"item_id": item_id, "decision": vote.decision, "reason": vote.reason}
    return out


@router.delete("/api/p/{slug}/screen/{stage}/items/{item_id}/decision")
def api_undo(ctx: Screener, stage: str, item_id: int) -> dict[str, Any]:
    stage = _stage(stage)
    with ctx.session(write=True):
        screening.withdraw(ctx.need_project(), stage=stage, item_id=item_id, reviewer=ctx.actor)
    return _api_current(ctx, stage, item_id)


@router.get("/api/p/{slug}/screen/{stage}/items")
def api_items(
    ctx: Screener,
    stage: str,
    q: str = "",
    vote: str = "",
    tag: str = "",
    offset: int = 0,
    limit: int = 50,
) -> dict[str, Any]:
    stage = _stage(stage)
    items = _listed(ctx, stage, q, vote, tag, offset=offset, limit=min(max(limit, 1), 500))
    return items.to_dict()


@router.get("/api/p/{slug}/screen/stopping")
def api_stopping(ctx: Member) -> dict[str, Any]:
    """Where the stopping rule stands at title/abstract (estimated recall, what it says)."""
    with ctx.session(write=False):
        report = screening.stopping_status(ctx.need_project())
    return {**report.to_dict(), "summary": report.summary()}


@router.put("/api/p/{slug}/screen/{stage}/blind")
def api_blind(ctx: Owner, stage: str, body: BlindBody) -> dict[str, Any]:
    stage = _stage(stage)
    with ctx.session(write=True):
        screening.set_blind(ctx.need_project(), stage=stage, blind=body.blind, reviewer=ctx.actor)
    return {"stage": stage, "blind": body.blind}
