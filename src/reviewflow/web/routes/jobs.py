"""The jobs page: heavy work queued from the browser, its progress, and cancelling it.

The page lists what :func:`reviewflow.jobs.list_jobs` lists (``reviewflow jobs``); while a
job is queued or running, its list refreshes itself every two seconds (HTMX), so a team
sees an import or a report advance and end, with what it did or what to do next. The
owner queues dedup, the ranker's features or the report here (an import is queued from
its upload) and may cancel any job; what a cancelled job did is rolled back.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form
from fastapi.responses import RedirectResponse, Response
from pydantic import BaseModel

from ... import jobs
from ...errors import InputError
from ..render import fragment, is_htmx, page
from ..rules import MEMBER, OWNER, Ctx, Guard

router = APIRouter()
Member = Annotated[Ctx, Depends(Guard(MEMBER))]
Owner = Annotated[Ctx, Depends(Guard(OWNER))]

#: What the owner may queue from this page, with the button's words.
OFFERED = {
    "dedup": "Find duplicates",
    "features": "Prepare the ranking",
    "report": "Write the report",
}


def jobs_data(ctx: Ctx) -> dict[str, Any]:
    project = ctx.need_project()
    listed = jobs.list_jobs(project)
    return {
        "jobs": listed,
        "live": any(not j.ended for j in listed),
        "offered": OFFERED,
        "queue_server": jobs.uses_queue_server(project),
    }


def _page(ctx: Ctx, **extra: Any) -> Response:
    return page(ctx, "jobs.html", **jobs_data(ctx), **extra)


@router.get("/p/{slug}/jobs")
def jobs_page(ctx: Member) -> Response:
    return _page(ctx)


@router.get("/p/{slug}/jobs/list")
def jobs_list(ctx: Member) -> Response:
    """The list alone, for the page's self-refresh."""
    return fragment(ctx, "jobs_list.html", **jobs_data(ctx))


def _params(kind: str, asked: dict[str, Any] | None = None) -> dict[str, Any]:
    """The parameters a browser may set: never a path on the server (an import's file
    comes from its upload, a report goes to the project's reports folder)."""
    if kind not in OFFERED:
        raise InputError(
            f"{kind!r} is not a job this page queues",
            hint=f"Choose one of: {', '.join(OFFERED)} (an import is queued from its upload).",
        )
    if kind == "features":
        return {"stage": "ta"}
    if kind == "report" and asked and asked.get("formats"):
        return {"formats": list(asked["formats"])}
    return {}


@router.post("/p/{slug}/jobs")
def add_job_form(ctx: Owner, kind: Annotated[str, Form()]) -> Response:
    project = ctx.need_project()
    jobs.submit(project, kind, _params(kind), by=ctx.actor)
    if is_htmx(ctx.request):
        return fragment(ctx, "jobs_list.html", **jobs_data(ctx))
    return RedirectResponse(ctx.href("/jobs"), status_code=303)


@router.post("/p/{slug}/jobs/{job_id}/cancel")
def cancel_job_form(ctx: Owner, job_id: int) -> Response:
    jobs.cancel(ctx.need_project(), job_id, by=ctx.actor)
    if is_htmx(ctx.request):
        return fragment(ctx, "jobs_list.html", **jobs_data(ctx))
    return RedirectResponse(ctx.href("/jobs"), status_code=303)


# -- the API -------------------------------------------------------------------------------


class JobBody(BaseModel):
    kind: str
    params: dict[str, Any] = {}


@router.get("/api/p/{slug}/jobs")
def api_jobs(ctx: Member) -> dict[str, Any]:
    """The newest jobs first (``reviewflow jobs --json``)."""
    return {"jobs": [j.to_dict() for j in jobs.list_jobs(ctx.need_project())]}


@router.get("/api/p/{slug}/jobs/{job_id}")
def api_job(ctx: Member, job_id: int) -> dict[str, Any]:
    """One job: status, progress (phase, done, total, percent), what it did."""
    return jobs.get(ctx.need_project(), job_id).to_dict()


@router.post("/api/p/{slug}/jobs")
def api_add_job(ctx: Owner, body: JobBody) -> dict[str, Any]:
    """Queue a job: dedup, features or report (params.formats: html, docx, md)."""
    params = _params(body.kind, body.params)
    return jobs.submit(ctx.need_project(), body.kind, params, by=ctx.actor).to_dict()


@router.post("/api/p/{slug}/jobs/{job_id}/cancel")
def api_cancel_job(ctx: Owner, job_id: int) -> dict[str, Any]:
    """Stop a job: a queued one at once, a running one at its next step."""
    return jobs.cancel(ctx.need_project(), job_id, by=ctx.actor).to_dict()
