"""Signing in and out, invitations, password changes (pages and API).

Accounts live in each project's database (:mod:`reviewflow.accounts`): one signs in to a
project, and a browser can be signed in to several at once. A failed sign-in says only
that the name or password is wrong, never which; repeated failures are slowed down.
"""

from __future__ import annotations

from typing import Annotated, Any
from urllib.parse import urlsplit

from fastapi import APIRouter, Depends, Form
from fastapi.responses import RedirectResponse, Response
from pydantic import BaseModel

from ... import accounts
from ...errors import InputError, ReviewflowError, StateError
from ...people import team
from ..render import page
from ..rules import MEMBER, PROJECT_PUBLIC, Ctx, Guard
from ..security import sign_in, sign_out

router = APIRouter()
Public = Annotated[Ctx, Depends(Guard(PROJECT_PUBLIC))]
Member = Annotated[Ctx, Depends(Guard(MEMBER))]


def _safe_next(target: str | None, slug: str) -> str:
    """Only a path on this server (no scheme, no host): no open redirect."""
    home = f"/p/{slug}/"
    if not target:
        return home
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//"):
        return home
    return target


def demo_users(ctx: Ctx) -> list[Any]:
    """The demo's team, when this server lets visitors sign in as them."""
    project = ctx.need_project()
    report = project.settings.report
    if not ctx.request.app.state.demo_sign_in or report is None or report.published != "seed":
        return []
    with ctx.session(write=False) as session:
        return team(session.conn)


def _authenticate(ctx: Ctx, login: str, password: str) -> tuple[Any, str] | None:
    throttle = ctx.request.app.state.throttle
    key = f"{ctx.slug}:{login.strip().lower()}"
    wait = throttle.blocked(key)
    if wait:
        raise StateError(
            f"too many failed sign-ins for {login!r}; wait {int(wait // 60) + 1} minutes",
            hint="Ask the project's owner to set a new password if you have forgotten it.",
        )
    with ctx.session(write=True) as session:  # write: a stale hash is rehashed on success
        user = accounts.authenticate(session.conn, login, password)
        stamp = accounts.credential_stamp(session.conn, user.id) if user else None
    if user is None or stamp is None:
        throttle.failed(key)
        return None
    throttle.succeeded(key)
    return user, stamp


@router.get("/p/{slug}/login")
def login_page(ctx: Public, next: str | None = None) -> Response:
    if ctx.user is not None:
        return RedirectResponse(_safe_next(next, ctx.slug or ""), status_code=303)
    return page(ctx, "login.html", next=next or "", demo=demo_users(ctx), error=None, login="")


@router.post("/p/{slug}/login")
def login_form(
    ctx: Public,
    login: Annotated[str, Form()],
    password: Annotated[str, Form()],
    next: Annotated[str, Form()] = "",
) -> Response:
    found = _authenticate(ctx, login, password)
    if found is None:
        return page(
            ctx,
            "login.html",
            status_code=401,
            next=next,
            demo=demo_users(ctx),
            login=login,
            error="That name or password is not right.",
        )
    sign_in(ctx.request, ctx.slug or "", *found)
    return RedirectResponse(_safe_next(next, ctx.slug or ""), status_code=303)


@router.post("/p/{slug}/login/demo")
def demo_login(ctx: Public, initials: Annotated[str, Form()]) -> Response:
    """Sign in as one of the demo review's people (demo projects on loopback only)."""
    match = [u for u in demo_users(ctx) if u.initials == initials]
    if not match:
        raise StateError(
            "signing in without a password is only for the demo project served on this computer",
            hint="Sign in with your password.",
        )
    with ctx.session(write=True) as session:
        stamp = accounts.credential_stamp(session.conn, match[0].id)
        if stamp is None:  # the demo's people have no password: give each a random one
            import secrets

            accounts.set_password(session.conn, initials, secrets.token_urlsafe(24))
            stamp = accounts.credential_stamp(session.conn, match[0].id)
    assert stamp is not None
    sign_in(ctx.request, ctx.slug or "", match[0], stamp)
    return RedirectResponse(f"/p/{ctx.slug}/", status_code=303)


@router.post("/p/{slug}/logout")
def logout(ctx: Public) -> Response:
    sign_out(ctx.request, ctx.slug or "")
    return RedirectResponse(f"/p/{ctx.slug}/login", status_code=303)


@router.get("/p/{slug}/invite/{token}")
def invitation_page(ctx: Public, token: str) -> Response:
    with ctx.session(write=False) as session:
        invitation = accounts.find_invitation(session.conn, token)
    return page(
        ctx,
        "invite.html",
        invitation=invitation,
        problem=_invalid(invitation),
        token=token,
        error=None,
        form={},
    )


def _invalid(invitation: accounts.Invitation | None) -> str | None:
    from datetime import UTC, datetime

    if invitation is None:
        return "This invitation link is not known: it may be mistyped or withdrawn."
    if invitation.used_at is not None:
        return "This invitation link has been used already."
    expires = invitation.expires_at
    if expires.tzinfo is None:
        expires = expires.replace(tzinfo=UTC)
    if expires < datetime.now(UTC):
        return "This invitation link has expired."
    return None


@router.post("/p/{slug}/invite/{token}")
def accept_invitation(
    ctx: Public,
    token: str,
    initials: Annotated[str, Form()],
    name: Annotated[str, Form()],
    password: Annotated[str, Form()],
    password_again: Annotated[str, Form()],
    email: Annotated[str, Form()] = "",
) -> Response:
    form = {"initials": initials, "name": name, "email": email}
    try:
        if password != password_again:
            raise InputError("the two passwords differ", hint="Type the same password twice.")
        user = accounts.accept_invitation(
            ctx.need_project(),
            token,
            initials=initials.strip(),
            name=name.strip(),
            password=password,
            email=email.strip() or None,
        )
    except ReviewflowError as exc:
        with ctx.session(write=False) as session:
            invitation = accounts.find_invitation(session.conn, token)
        return page(
            ctx,
            "invite.html",
            status_code=422,
            invitation=invitation,
            problem=_invalid(invitation),
            token=token,
            error=exc,
            form=form,
        )
    with ctx.session(write=False) as session:
        stamp = accounts.credential_stamp(session.conn, user.id)
    assert stamp is not None
    sign_in(ctx.request, ctx.slug or "", user, stamp)
    return RedirectResponse(f"/p/{ctx.slug}/", status_code=303)


@router.get("/p/{slug}/account")
def account_page(ctx: Member) -> Response:
    return page(ctx, "account.html", error=None, done=False)


@router.post("/p/{slug}/account/password")
def change_password(
    ctx: Member,
    current: Annotated[str, Form()],
    password: Annotated[str, Form()],
    password_again: Annotated[str, Form()],
) -> Response:
    assert ctx.user is not None
    try:
        if password != password_again:
            raise InputError("the two new passwords differ", hint="Type the same password twice.")
        with ctx.session(write=True) as session:
            if accounts.authenticate(session.conn, ctx.user.initials, current) is None:
                raise InputError(
                    "your current password is not right",
                    hint="Type the password you signed in with.",
                )
            accounts.set_password(session.conn, ctx.user.initials, password)
            stamp = accounts.credential_stamp(session.conn, ctx.user.id)
    except ReviewflowError as exc:
        return page(ctx, "account.html", status_code=422, error=exc, done=False)
    assert stamp is not None
    sign_in(ctx.request, ctx.slug or "", ctx.user, stamp)  # this browser stays signed in
    return page(ctx, "account.html", error=None, done=True)


# -- API --------------------------------------------------------------------------------


class LoginBody(BaseModel):
    login: str
    password: str


@router.get("/api/p/{slug}/me")
def api_me(ctx: Public) -> dict[str, Any]:
    """Who is signed in (or null) and this session's CSRF token, for API clients."""
    user = ctx.user
    return {
        "project": ctx.slug,
        "csrf_token": ctx.csrf,
        "user": None
        if user is None
        else {"initials": user.initials, "name": user.name, "roles": sorted(user.roles)},
    }


@router.post("/api/p/{slug}/login")
def api_login(ctx: Public, body: LoginBody) -> Response:
    from fastapi.responses import JSONResponse

    found = _authenticate(ctx, body.login, body.password)
    if found is None:
        return JSONResponse(
            {"error": "SignInFailed", "message": "wrong name or password", "next": None},
            status_code=401,
        )
    sign_in(ctx.request, ctx.slug or "", *found)
    user = found[0]
    return JSONResponse(
        {"initials": user.initials, "roles": sorted(user.roles), "csrf_token": ctx.csrf}
    )


@router.post("/api/p/{slug}/logout")
def api_logout(ctx: Public) -> dict[str, bool]:
    sign_out(ctx.request, ctx.slug or "")
    return {"signed_out": True}
