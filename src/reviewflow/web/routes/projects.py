"""The start page, a project's home and its team (members, roles, invitations)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form
from fastapi.responses import RedirectResponse, Response
from pydantic import BaseModel

from ... import accounts, team
from ...errors import ReviewflowError
from ...people import ROLES, list_users
from ...stages.screening import state_cache
from ...stages.screening.counts import counts, reviewer_progress
from ..render import page
from ..rules import MEMBER, OWNER, PUBLIC, Ctx, Guard

router = APIRouter()
Anyone = Annotated[Ctx, Depends(Guard(PUBLIC))]
Member = Annotated[Ctx, Depends(Guard(MEMBER))]
Owner = Annotated[Ctx, Depends(Guard(OWNER))]


def _listing(ctx: Ctx) -> list[dict[str, Any]]:
    out = []
    for slug in ctx.host.slugs():
        try:
            title = ctx.host.project(slug).settings.title
        except ReviewflowError as exc:
            title = f"(cannot be opened: {exc.message})"
        out.append({"slug": slug, "title": title})
    return out


@router.get("/")
def start_page(ctx: Anyone) -> Response:
    listing = _listing(ctx)
    if ctx.host.single and listing:
        return RedirectResponse(f"/p/{listing[0]['slug']}/", status_code=303)
    return page(ctx, "projects.html", projects=listing)


@router.get("/api/projects")
def api_projects(ctx: Anyone) -> list[dict[str, Any]]:
    """The projects on this server: slug and title."""
    return _listing(ctx)


def summary(ctx: Ctx) -> dict[str, Any]:
    """What the project home shows: the screening counts and each screener's progress."""
    project = ctx.need_project()
    with ctx.session(write=False):
        with state_cache(project):  # both read the same derived stages
            return {"counts": counts(project), "progress": reviewer_progress(project)}


@router.get("/p/{slug}/")
def project_home(ctx: Member) -> Response:
    return page(ctx, "home.html", **summary(ctx))


@router.get("/api/p/{slug}/summary")
def api_summary(ctx: Member) -> dict[str, Any]:
    data = summary(ctx)
    data["progress"] = {
        stage: {who: {"done": d, "assigned": a} for who, (d, a) in by.items()}
        for stage, by in data["progress"].items()
    }
    return data


# -- the team ---------------------------------------------------------------------------


def team_data(ctx: Ctx) -> dict[str, Any]:
    with ctx.session(write=False) as session:
        people = list_users(session.conn)
        invitations = accounts.list_invitations(session.conn)
        login = {u.initials: accounts.has_password(session.conn, u.initials) for u in people}
    return {"people": people, "invitations": invitations, "can_log_in": login, "roles": ROLES}


@router.get("/p/{slug}/team")
def team_page(ctx: Member) -> Response:
    return page(ctx, "team.html", link=None, error=None, **team_data(ctx))


def _team_error(ctx: Ctx, exc: ReviewflowError) -> Response:
    return page(ctx, "team.html", status_code=422, link=None, error=exc, **team_data(ctx))


@router.post("/p/{slug}/team/invite")
def invite(
    ctx: Owner,
    roles: Annotated[list[str], Form()],
    email: Annotated[str, Form()] = "",
    name: Annotated[str, Form()] = "",
) -> Response:
    try:
        with ctx.session(write=True):
            token = accounts.create_invitation(
                ctx.need_project(),
                roles=roles,
                email=email.strip() or None,
                name=name.strip(),
                by=ctx.actor,
            )
    except ReviewflowError as exc:
        return _team_error(ctx, exc)
    link = str(ctx.request.base_url).rstrip("/") + f"/p/{ctx.slug}/invite/{token}"
    return page(ctx, "team.html", link=link, error=None, **team_data(ctx))


@router.post("/p/{slug}/team/invitations/{invitation_id}/withdraw")
def withdraw_invitation(ctx: Owner, invitation_id: int) -> Response:
    with ctx.session(write=True):
        accounts.revoke_invitation(ctx.need_project(), invitation_id, by=ctx.actor)
    return RedirectResponse(f"/p/{ctx.slug}/team", status_code=303)


@router.post("/p/{slug}/team/{initials}/roles")
def set_roles(ctx: Owner, initials: str, roles: Annotated[list[str], Form()]) -> Response:
    try:
        with ctx.session(write=True):
            team.set_roles(ctx.need_project(), initials, roles, by=ctx.actor)
    except ReviewflowError as exc:
        return _team_error(ctx, exc)
    return RedirectResponse(f"/p/{ctx.slug}/team", status_code=303)


@router.post("/p/{slug}/team/{initials}/remove")
def remove_member(ctx: Owner, initials: str) -> Response:
    try:
        with ctx.session(write=True):
            team.remove_member(ctx.need_project(), initials, by=ctx.actor)
    except ReviewflowError as exc:
        return _team_error(ctx, exc)
    return RedirectResponse(f"/p/{ctx.slug}/team", status_code=303)


class InviteBody(BaseModel):
    roles: list[str] = ["reviewer"]
    email: str | None = None
    name: str = ""


class RolesBody(BaseModel):
    roles: list[str]


@router.get("/api/p/{slug}/team")
def api_team(ctx: Member) -> list[dict[str, Any]]:
    data = team_data(ctx)
    return [
        {
            "initials": u.initials,
            "name": u.name,
            "roles": sorted(u.roles),
            "can_log_in": data["can_log_in"][u.initials],
        }
        for u in data["people"]
    ]


@router.post("/api/p/{slug}/team/invitations")
def api_invite(ctx: Owner, body: InviteBody) -> dict[str, str]:
    with ctx.session(write=True):
        token = accounts.create_invitation(
            ctx.need_project(), roles=body.roles, email=body.email, name=body.name, by=ctx.actor
        )
    base = str(ctx.request.base_url).rstrip("/")
    return {"link": f"{base}/p/{ctx.slug}/invite/{token}"}


@router.put("/api/p/{slug}/team/{initials}/roles")
def api_set_roles(ctx: Owner, initials: str, body: RolesBody) -> dict[str, Any]:
    with ctx.session(write=True):
        user = team.set_roles(ctx.need_project(), initials, body.roles, by=ctx.actor)
    return {"initials": user.initials, "roles": sorted(user.roles)}


@router.delete("/api/p/{slug}/team/{initials}")
def api_remove(ctx: Owner, initials: str) -> dict[str, Any]:
    with ctx.session(write=True):
        user = team.remove_member(ctx.need_project(), initials, by=ctx.actor)
    return {"initials": user.initials, "roles": sorted(user.roles)}
