"""What the browser and API clients see when something goes wrong: never a traceback.

A :class:`~reviewflow.errors.ReviewflowError` reads as the CLI's message does, what went
wrong and what to do next (its :class:`~reviewflow.errors.NextAction`, with the page
that does it and the CLI command that does it); the API returns the same as JSON
(``ReviewflowError.to_dict()``). Anything else is a reviewflow bug: it is logged with its
traceback on the server and the user gets a plain page that says nothing was changed.
"""

from __future__ import annotations

import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, RedirectResponse, Response
from starlette.exceptions import HTTPException as StarletteHTTPException

from ..errors import (
    InputError,
    NotFoundError,
    ProjectError,
    ReviewflowError,
    StateError,
    StoreError,
)
from .rules import CsrfError, Ctx, Forbidden, SignInRequired

log = logging.getLogger("reviewflow.web")

STATUS = {NotFoundError: 404, StateError: 409, InputError: 422, ProjectError: 400, StoreError: 503}


def status_of(exc: ReviewflowError) -> int:
    for kind, status in STATUS.items():
        if isinstance(exc, kind):
            return status
    return 400


def _api(request: Request) -> bool:
    return request.url.path.startswith("/api/")


def _slug(request: Request) -> str | None:
    parts = request.url.path.split("/")
    if len(parts) > 2 and parts[1] == "p":
        return parts[2]
    if len(parts) > 3 and parts[1] == "api" and parts[2] == "p":
        return parts[3]
    return None


def problem(
    request: Request,
    status: int,
    *,
    heading: str,
    message: str,
    next_text: str | None = None,
    command: str | None = None,
    links: list[tuple[str, str]] | None = None,
    kind: str = "Error",
) -> Response:
    """The error as a page (or JSON for the API), saying what to do next."""
    if _api(request):
        body: dict[str, Any] = {
            "error": kind,
            "message": message,
            "next": {"text": next_text, "command": command},
        }
        return JSONResponse(body, status_code=status)
    slug = _slug(request)
    ctx = Ctx(request=request, host=request.app.state.host, slug=slug)
    if slug is not None:
        try:
            ctx.project = ctx.host.project(slug)
        except ReviewflowError:
            ctx.slug = None
    if links is None:
        links = [(f"/p/{ctx.slug}/", "Back to the project")] if ctx.slug else [("/", "Start page")]
    templates = request.app.state.templates
    htmx = request.headers.get("hx-request") == "true"
    response = templates.TemplateResponse(
        request,
        # HTMX asked for a piece of a page: the problem replaces the page's main area.
        "error_card.html" if htmx else "error.html",
        {
            "ctx": ctx,
            "project": ctx.project,
            "user": None,
            "slug": ctx.slug,
            "title": heading,
            "heading": heading,
            "message": message,
            "next_text": next_text,
            "command": command,
            "links": links,
            "status": status,
        },
        status_code=status,
    )
    if htmx:
        response.headers["HX-Retarget"] = "#main"
        response.headers["HX-Reswap"] = "innerHTML"
    return response


def install(app: FastAPI) -> None:
    """Register the handlers on ``app``."""

    @app.exception_handler(ReviewflowError)
    async def _reviewflow(request: Request, exc: ReviewflowError) -> Response:
        nxt = exc.next
        links = None
        if nxt is not None and nxt.route:
            links = [(nxt.route, nxt.label or "Go there")]
        if _api(request):
            return JSONResponse(exc.to_dict(), status_code=status_of(exc))
        return problem(
            request,
            status_of(exc),
            heading="That did not work",
            message=exc.message,
            next_text=nxt.text if nxt else None,
            command=nxt.command if nxt else None,
            links=links,
            kind=type(exc).__name__,
        )

    @app.exception_handler(SignInRequired)
    async def _sign_in(request: Request, exc: SignInRequired) -> Response:
        slug = _slug(request)
        if _api(request) or slug is None:
            return problem(
                request,
                401,
                heading="Please sign in",
                kind="SignInRequired",
                message="You need to sign in to this project first.",
                next_text="Sign in on the project's log-in page.",
            )
        from urllib.parse import quote

        target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        if request.method != "GET":
            target = f"/p/{slug}/"
        login = f"/p/{slug}/login?next={quote(target)}"
        if request.headers.get("hx-request") == "true":  # HTMX follows with a full page load
            return Response(status_code=401, headers={"HX-Redirect": login})
        return RedirectResponse(login, status_code=303)

    @app.exception_handler(Forbidden)
    async def _forbidden(request: Request, exc: Forbidden) -> Response:
        held = ", ".join(sorted(exc.user.roles)) or "no role"
        needs = " or ".join(sorted(exc.rule.roles)) or "a role"
        owners = _owners(request, exc.slug)
        return problem(
            request,
            403,
            heading="Your role does not allow this",
            kind="Forbidden",
            message=f"You ({exc.user.initials}) are {held} on this project; this needs {needs}."
            + (
                " Viewers can read every page but cannot vote or change anything."
                if held == "viewer"
                else ""
            ),
            next_text="Ask the project's owner"
            + (f" ({owners})" if owners else "")
            + f" to give you the {needs.split(' or ')[0]} role on the Team page.",
        )

    @app.exception_handler(CsrfError)
    async def _csrf(request: Request, exc: CsrfError) -> Response:
        return problem(
            request,
            403,
            heading="This form has expired",
            kind="CsrfError",
            message="The form was sent without this browser session's security token "
            "(it may be from an older page, or from another site).",
            next_text="Go back, reload the page and send it again."
            if not _api(request)
            else "Send the X-CSRF-Token header: GET /api/p/SLUG/me gives it.",
        )

    @app.exception_handler(RequestValidationError)
    async def _invalid(request: Request, exc: RequestValidationError) -> Response:
        parts = []
        for err in exc.errors():
            where = ".".join(
                str(p) for p in err.get("loc", ()) if p not in ("body", "query", "path")
            )
            parts.append(f"{where}: {err.get('msg')}" if where else str(err.get("msg")))
        return problem(
            request,
            422,
            heading="Something in the form is missing or wrong",
            kind="InputError",
            message="; ".join(parts) or "invalid input",
            next_text="Correct it and send the form again.",
        )

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> Response:
        if exc.status_code == 404:
            return problem(
                request,
                404,
                heading="No such page",
                kind="NotFound",
                message=f"There is no page at {request.url.path}.",
                next_text="Use the links in the menu.",
            )
        if exc.status_code == 405:
            return problem(
                request,
                405,
                heading="Not like that",
                kind="MethodNotAllowed",
                message=f"{request.method} is not how {request.url.path} is used.",
                next_text="Use the page's buttons and forms.",
            )
        return problem(
            request, exc.status_code, heading="That did not work", message=str(exc.detail)
        )

    @app.exception_handler(Exception)
    async def _bug(request: Request, exc: Exception) -> Response:
        log.exception("unexpected error on %s %s", request.method, request.url.path)
        return problem(
            request,
            500,
            heading="Something went wrong on the server",
            kind="InternalError",
            message="reviewflow hit an error it did not expect. What you were doing was not "
            "saved; everything saved before is safe. The details are in the server's log.",
            next_text="Try again; if it happens again, tell the person who runs the server "
            "what you did (the time is in the log).",
        )


def _owners(request: Request, slug: str) -> str:
    try:
        project = request.app.state.host.project(slug)
    except ReviewflowError:
        return ""
    roles = project.settings.team_roles()
    return ", ".join(initials for initials, held in roles.items() if "owner" in held)
