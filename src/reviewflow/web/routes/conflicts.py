"""The arbiter's conflicts page, both stages, and its JSON twin.

Lists what :func:`reviewflow.stages.screening.conflicts` lists (blindness is its business:
before a stage is closed only the plan's arbiter may see the votes) and records the ruling
with :func:`reviewflow.stages.screening.resolve`, the same two calls ``reviewflow
conflicts`` and ``reviewflow resolve`` make. With HTMX the ruled conflict is swapped for a
one-line "resolved" row, so the arbiter stays where they were in the list.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form
from fastapi.responses import RedirectResponse, Response
from pydantic import BaseModel

from ...errors import ReviewflowError
from ...stages import screening
from ...stages.screening.conflicts import Conflict, item_texts
from ...stages.screening.plan import check_stage
from ..render import fragment, is_htmx, page
from ..rules import ARBITER, Ctx, Guard

router = APIRouter()
Arbiter = Annotated[Ctx, Depends(Guard(ARBITER))]

#: What an empty list means, per stage (said on the page and in the API).
EMPTY = {
    "ta": "No conflicts: every double-screened record has agreeing votes, or the second "
    "reviewer has not finished.",
    "ft": "No conflicts: every report screened by two or more reviewers has agreeing votes, "
    "or a reviewer has not finished.",
}


def planned_stages(ctx: Ctx) -> list[str]:
    """The stages whose plan names reviewers (a stage without a plan has no conflicts)."""
    settings = ctx.need_project().settings.screening
    if settings is None:
        return []
    return [s for s in screening.STAGES if getattr(settings, s).reviewers]


def _item(c: Conflict, texts: dict[int, dict[str, Any]]) -> dict[str, Any]:
    """One conflict as the page and the API show it: the core's fields and every author."""
    out = c.to_dict()
    text = texts.get(c.item_id, {})
    out["authors"] = list(text.get("authors") or ([c.first_author] if c.first_author else []))
    out["votes"] = [v for _, v in sorted(c.votes.items())]
    out["resolution"] = c.resolution
    return out


def conflict_data(ctx: Ctx, stage: str) -> dict[str, Any]:
    """Open and resolved conflicts of ``stage`` for the signed-in arbiter, with the plan's
    reasons (the ruling form offers them) and how many items still wait for a vote."""
    project = ctx.need_project()
    with ctx.session(write=False) as session:
        found = screening.conflicts(project, stage=stage, reviewer=ctx.actor, include_resolved=True)
        texts = item_texts(session.conn, stage, [c.item_id for c in found])
        plan = screening.get_plan(project, stage)
        counts = screening.counts(project)
    items = [_item(c, texts) for c in found]
    pending = counts["records_pending" if stage == "ta" else "reports_pending"]
    return {
        "stage": stage,
        "open": [i for i in items if i["resolution"] is None],
        "resolved": [i for i in items if i["resolution"] is not None],
        "reasons": list(plan.reasons),
        "reason_required": plan.reason_required,
        "arbiter": plan.arbiter,
        "pending": pending,
        "empty": EMPTY[stage],
    }


def _chosen_stage(ctx: Ctx, stage: str | None) -> str:
    """The asked-for stage; without one, the first planned stage with an open conflict."""
    if stage is not None:
        return check_stage(stage)
    stages = planned_stages(ctx) or ["ta"]
    with ctx.session(write=False):
        counts = screening.counts(ctx.need_project())
    for code in stages:
        if counts["records_in_conflict" if code == "ta" else "reports_in_conflict"]:
            return code
    return stages[0]


@router.get("/p/{slug}/conflicts")
def conflicts_page(ctx: Arbiter, stage: str | None = None) -> Response:
    code = _chosen_stage(ctx, stage)
    return page(
        ctx, "conflicts.html", stages=planned_stages(ctx), error=None, **conflict_data(ctx, code)
    )


def _resolve(
    ctx: Ctx, stage: str, item_id: int, decision: str, reason: str | None, note: str | None
) -> screening.Vote:
    with ctx.session(write=True):
        return screening.resolve(
            ctx.need_project(),
            stage=stage,
            item_id=item_id,
            reviewer=ctx.actor,
            decision=decision,
            reason=reason or None,
            note=note or None,
        )


@router.post("/p/{slug}/conflicts/{stage}/{item_id}")
def resolve_form(
    ctx: Arbiter,
    stage: str,
    item_id: int,
    decision: Annotated[str, Form()],
    reason: Annotated[str, Form()] = "",
    note: Annotated[str, Form()] = "",
) -> Response:
    # One form offers both buttons and the reason list: a reason picked before pressing
    # "Include" is not part of an inclusion (the core would refuse it).
    reason = reason.strip() if decision == "exclude" else ""
    try:
        vote = _resolve(ctx, stage, item_id, decision, reason, note.strip())
    except ReviewflowError as exc:
        if not is_htmx(ctx.request) or stage not in screening.STAGES:
            raise
        # HTMX swaps only 2xx answers: the conflict comes back with the message in it.
        data = conflict_data(ctx, stage)
        item = next((i for i in data["open"] + data["resolved"] if i["item_id"] == item_id), None)
        if item is None:
            raise
        return fragment(ctx, "conflict_item.html", c=item, error=exc, **data)
    if is_htmx(ctx.request):
        return fragment(ctx, "conflict_resolved.html", stage=stage, item_id=item_id, vote=vote)
    return RedirectResponse(ctx.href(f"/conflicts?stage={stage}"), status_code=303)


# -- the API -------------------------------------------------------------------------------


class ResolveBody(BaseModel):
    decision: str
    reason: str | None = None
    note: str | None = None


def _api_item(item: dict[str, Any]) -> dict[str, Any]:
    out = dict(item)
    out["votes"] = {v.reviewer: v.to_dict() for v in item["votes"]}
    out["resolution"] = item["resolution"].to_dict() if item["resolution"] else None
    return out


@router.get("/api/p/{slug}/conflicts/{stage}")
def api_conflicts(ctx: Arbiter, stage: str, include_resolved: bool = False) -> dict[str, Any]:
    """Open conflicts of a stage (and resolved ones with ``include_resolved=true``)."""
    data = conflict_data(ctx, check_stage(stage))
    shown = data["open"] + (data["resolved"] if include_resolved else [])
    return {
        "stage": stage,
        "open": len(data["open"]),
        "resolved": len(data["resolved"]),
        "pending": data["pending"],
        "conflicts": [_api_item(i) for i in shown],
        "message": None if data["open"] else data["empty"],
    }


@router.post("/api/p/{slug}/conflicts/{stage}/{item_id}")
def api_resolve(ctx: Arbiter, stage: str, item_id: int, body: ResolveBody) -> dict[str, Any]:
    """The arbiter's ruling on one conflict: include or exclude (with a reason)."""
    vote = _resolve(ctx, stage, item_id, body.decision, body.reason, body.note)
    return {"stage": stage, "item_id": item_id, **vote.to_dict()}
