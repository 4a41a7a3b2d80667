"""Deciding the uncertain duplicate pairs, one at a time (page and JSON twins).

The queue is :func:`reviewflow.stages.dedup.project.review_queue` (most uncertain first)
and a decision is :func:`~reviewflow.stages.dedup.project.decide_pair`, as in ``reviewflow
dedup review``: "same record" links the pair at once, "different" keeps them apart, and
skip only moves on. Decisions are append-only, so "undo" records the opposite decision
on the same two records (the core has no way to put a decided pair back in the queue).
Anyone on the team may read the queue; reviewers and owners decide.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form
from fastapi.responses import RedirectResponse, Response
from pydantic import BaseModel

from ...errors import InputError, NotFoundError
from ...records import Record
from ...stages import status
from ...stages.dedup import project as dedup
from ..render import fragment, is_htmx, page
from ..rules import MEMBER, REVIEWER, Ctx, Guard

router = APIRouter()
Member = Annotated[Ctx, Depends(Guard(MEMBER))]
Reviewer = Annotated[Ctx, Depends(Guard(REVIEWER))]

DECISIONS = {"duplicate": True, "not_duplicate": False}
SAID = {"duplicate": "the same record", "not_duplicate": "different records"}

#: The fields shown for a pair, as the CLI's review shows them (label, how to read it).
FIELDS: tuple[tuple[str, str], ...] = (
    ("title", "Title"),
    ("authors", "Authors"),
    ("year", "Year"),
    ("source", "Source"),
    ("volume", "Volume"),
    ("issue", "Issue"),
    ("pages", "Pages"),
    ("doi", "DOI"),
    ("abstract", "Abstract"),
)


def field_value(record: Record, name: str) -> str:
    """A record's field as the pair review shows it (all authors, the whole abstract)."""
    if name == "authors":
        return "; ".join(record.authors)
    if name == "source":
        return record.source_title or ""
    value = getattr(record, name, None)
    return "" if value is None else str(value)


def pair_view(item: dedup.QueueItem) -> dict[str, Any]:
    """The pair side by side: differing fields first (highlighted), equal ones apart."""
    differing = {label for label, _, _ in item.differences()}
    same = set(item.same_fields())
    rows = [
        {
            "name": name,
            "label": label,
            "a": field_value(item.a, name),
            "b": field_value(item.b, name),
            "differs": name in differing,
        }
        for name, label in FIELDS
        if name in differing or name in same
    ]
    return {
        "pair_id": item.pair_id,
        "a": item.a.id,
        "b": item.b.id,
        "category": item.category.replace("_", " "),
        "rule": item.rule,
        "uncertainty": item.uncertainty,
        "differs": [r for r in rows if r["differs"]],
        "same": [r for r in rows if not r["differs"]],
    }


def _found(ctx: Ctx) -> dict[str, int]:
    """What dedup found so far: the figures ``reviewflow status`` shows for it."""
    stages = status.run(ctx.need_project()).stages
    keys = ("imported", "not yet deduplicated", "duplicates removed", "after deduplication")
    return {k: stages[k] for k in keys}


def queue_data(ctx: Ctx, *, after: int | None = None, show: int | None = None) -> dict[str, Any]:
    """The queue, the pair to show (``show``, or the one after ``after`` for skip, or the
    most uncertain) and the figures."""
    with ctx.session(write=False):
        queue = dedup.review_queue(ctx.need_project())
        found = _found(ctx)
    ids = [q.pair_id for q in queue]
    current = queue[0] if queue else None
    if show in ids:
        current = queue[ids.index(show)]
    elif after is not None and queue:
        at = ids.index(after) + 1 if after in ids else 0
        current = queue[at % len(queue)]
    return {
        "left": len(queue),
        "pair": pair_view(current) if current else None,
        "queue": [
            {
                "pair_id": q.pair_id,
                "a": q.a.id,
                "b": q.b.id,
                "title": q.a.title,
                "category": q.category.replace("_", " "),
                "uncertainty": q.uncertainty,
            }
            for q in queue
        ],
        "found": found,
    }


def _queued(ctx: Ctx, pair_id: int) -> dedup.QueueItem:
    with ctx.session(write=False):
        for item in dedup.review_queue(ctx.need_project()):
            if item.pair_id == pair_id:
                return item
    raise NotFoundError(
        f"pair {pair_id} is not waiting for a decision (it was decided already, or there "
        "is no such pair)",
        hint="The Duplicates page lists the pairs still waiting.",
    )


def _decision(decision: str) -> bool:
    if decision not in DECISIONS:
        raise InputError(
            f"decision {decision!r} is not one of {', '.join(DECISIONS)}",
            hint="duplicate: the two are the same record; not_duplicate: they are different.",
        )
    return DECISIONS[decision]


def _decide(ctx: Ctx, a: int, b: int, decision: str, note: str | None = None) -> None:
    duplicate = _decision(decision)
    with ctx.session(write=True):
        dedup.decide_pair(
            ctx.need_project(), a, b, duplicate=duplicate, reviewer=ctx.actor, note=note or None
        )


def still_linked(ctx: Ctx, a: int, b: int) -> int | None:
    """The canonical record ``a`` and ``b`` still share after a "different" decision, if
    any: the core unlinks only a direct link, so two records joined through a third stay
    in one group (the page then says how to undo the whole group)."""
    with ctx.session(write=False):
        for group in dedup.groups(ctx.need_project()):
            ids = {group.canonical.id, *(r.id for r, _ in group.duplicates)}
            if a in ids and b in ids:
                return group.canonical.id
    return None


def _undo(ctx: Ctx, pair_id: int, a: int, b: int, decision: str, *, via: str) -> dict[str, Any]:
    opposite = "not_duplicate" if _decision(decision) else "duplicate"
    _decide(ctx, a, b, opposite, note=f"undo {via}")
    together = still_linked(ctx, a, b) if opposite == "not_duplicate" else None
    return {
        "pair_id": pair_id,
        "a": a,
        "b": b,
        "decision": opposite,
        "said": SAID[opposite],
        "undone": True,
        "still_linked_to": together,
    }


def _answer(ctx: Ctx, done: dict[str, Any] | None, *, after: int | None = None) -> Response:
    data = queue_data(ctx, after=after)
    return fragment(ctx, "dedup_pair.html", done=done, **data)


@router.get("/p/{slug}/dedup")
def dedup_page(ctx: Member, after: int | None = None, pair: int | None = None) -> Response:
    if is_htmx(ctx.request):  # skip: only the pair changes
        return _answer(ctx, None, after=after)
    return page(ctx, "dedup.html", done=None, **queue_data(ctx, after=after, show=pair))


@router.post("/p/{slug}/dedup/pairs/{pair_id}")
def decide_form(ctx: Reviewer, pair_id: int, decision: Annotated[str, Form()]) -> Response:
    _decision(decision)
    item = _queued(ctx, pair_id)
    a, b = item.a.id or 0, item.b.id or 0
    _decide(ctx, a, b, decision)
    done = {"pair_id": pair_id, "a": a, "b": b, "decision": decision, "said": SAID[decision]}
    if is_htmx(ctx.request):
        return _answer(ctx, done)
    return RedirectResponse(ctx.href("/dedup"), status_code=303)


@router.post("/p/{slug}/dedup/pairs/{pair_id}/undo")
def undo_form(
    ctx: Reviewer,
    pair_id: int,
    a: Annotated[int, Form()],
    b: Annotated[int, Form()],
    decision: Annotated[str, Form()],
) -> Response:
    """Take back a decision just made: the opposite decision, recorded as a new one."""
    done = _undo(ctx, pair_id, a, b, decision, via="on the dedup page")
    if is_htmx(ctx.request):
        return _answer(ctx, done)
    return RedirectResponse(ctx.href("/dedup"), status_code=303)


# -- the API -------------------------------------------------------------------------------


class PairBody(BaseModel):
    decision: str
    note: str | None = None


class UndoBody(BaseModel):
    a: int
    b: int
    decision: str


@router.get("/api/p/{slug}/dedup")
def api_queue(ctx: Member) -> dict[str, Any]:
    """The pairs waiting for a person (most uncertain first), the first one field by
    field, and what dedup found."""
    data = queue_data(ctx)
    return {
        "left": data["left"],
        "pairs": data["queue"],
        "first": data["pair"],
        "found": data["found"],
    }


@router.post("/api/p/{slug}/dedup/pairs/{pair_id}")
def api_decide(ctx: Reviewer, pair_id: int, body: PairBody) -> dict[str, Any]:
    """Decide a queued pair: ``duplicate`` (linked at once) or ``not_duplicate``."""
    _decision(body.decision)
    item = _queued(ctx, pair_id)
    _decide(ctx, item.a.id or 0, item.b.id or 0, body.decision, body.note)
    with ctx.session(write=False):
        left = len(dedup.review_queue(ctx.need_project()))
    return {
        "pair_id": pair_id,
        "a": item.a.id,
        "b": item.b.id,
        "decision": body.decision,
        "left": left,
    }


@router.post("/api/p/{slug}/dedup/pairs/{pair_id}/undo")
def api_undo(ctx: Reviewer, pair_id: int, body: UndoBody) -> dict[str, Any]:
    """Take back a decision on records ``a`` and ``b``: the opposite decision is recorded.
    ``still_linked_to`` names the canonical record they still share, if any."""
    done = _undo(ctx, pair_id, body.a, body.b, body.decision, via="through the API")
    return {k: done[k] for k in ("pair_id", "a", "b", "decision", "still_linked_to")}
