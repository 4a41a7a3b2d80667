"""The team web app: :func:`create_app` builds it for a folder of projects.

A FastAPI app factory (no module-level app, engine or settings): pages are rendered on the
server with Jinja2 and made lively with HTMX (shipped in ``static/``, no build step and no
CDN); the JSON API under ``/api/`` offers every action the pages do, and both call the
same core functions in a session for the signed-in user. Every route declares who may use
it (:mod:`.rules`); errors read as the CLI's do (:mod:`.failures`).
"""

from __future__ import annotations

import os
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from pathlib import Path

from fastapi import FastAPI, Request, Response
from fastapi.staticfiles import StaticFiles
from starlette.middleware.sessions import SessionMiddleware

from .. import __version__
from ..formats.limits import FULLTEXT, max_bytes
from . import failures
from .hosting import Host
from .render import STATIC, make_templates
from .rules import check_every_route_has_a_rule
from .security import SESSION_COOKIE, SESSION_DAYS, Throttle, secret_key, secure_cookies

#: Served with every response: no framing by other sites, no guessing of content types,
#: scripts, styles and frames only from this server (the PDF viewer is a same-origin frame).
SECURITY_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "SAMEORIGIN",
    "Referrer-Policy": "same-origin",
    "Content-Security-Policy": (
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
        "frame-src 'self'; object-src 'self'; frame-ancestors 'self'; form-action 'self'; "
        "base-uri 'none'"
    ),
}


def create_app(
    path: str | Path, *, demo_sign_in: bool = False, files: str | Path | None = None
) -> FastAPI:
    """The app serving the project in ``path``, or every project folder inside it, or
    (``path`` a PostgreSQL URL) the projects on that server, their files under ``files``.

    ``demo_sign_in``: projects made by ``reviewflow demo`` let visitors sign in as a demo
    user without a password (``reviewflow serve`` turns it on only on a loopback address).
    """
    from .routes import ROUTERS

    host = Host(path, files=files)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        # The jobs of SQLite projects run in this process (reviewflow.jobs.Worker); those
        # on PostgreSQL are taken by `reviewflow worker` processes.
        from .. import jobs

        worker = jobs.Worker(host.served_projects).start()
        try:
            yield
        finally:
            worker.stop(timeout=10)
            host.close()

    app = FastAPI(
        lifespan=lifespan,
        title="reviewflow",
        version=__version__,
        docs_url=None,  # the interactive docs load their scripts from a CDN
        redoc_url=None,
        openapi_url="/api/openapi.json",
    )
    app.state.host = host
    app.state.templates = make_templates()
    app.state.throttle = Throttle()
    app.state.demo_sign_in = demo_sign_in
    app.add_middleware(
        SessionMiddleware,
        secret_key=secret_key(host.secret_folder),
        session_cookie=SESSION_COOKIE,
        max_age=SESSION_DAYS * 24 * 3600,
        same_site="lax",
        https_only=secure_cookies(),
    )

    @app.middleware("http")
    async def _too_large(
        request: Request, call_next: Callable[[Request], Awaitable[Response]]
    ) -> Response:
        # Refused before a byte of the body is read: the form parser would otherwise
        # spool the whole upload to disk before the route could look at its size.
        length = request.headers.get("content-length", "")
        cap = upload_cap()
        if length.isdigit() and int(length) > cap:
            return failures.problem(
                request,
                413,
                heading="That file is too large",
                message=f"The upload is {int(length) / 2**20:,.0f} MB; this server takes "
                f"files up to {max_bytes(FULLTEXT) / 2**20:,.0f} MB, so nothing was saved.",
                next_text="Upload a smaller copy of the file (a PDF saved without its "
                "scanned images, for instance), or ask whoever runs the server to raise "
                f"{FULLTEXT}.",
                kind="TooLarge",
            )
        return await call_next(request)

    @app.middleware("http")
    async def _headers(
        request: Request, call_next: Callable[[Request], Awaitable[Response]]
    ) -> Response:
        response = await call_next(request)
        for name, value in SECURITY_HEADERS.items():
            response.headers.setdefault(name, value)
        if request.url.path.startswith(("/p/", "/api/")):
            response.headers.setdefault("Cache-Control", "no-store")
        return response

    failures.install(app)
    app.mount("/static", StaticFiles(directory=STATIC), name="static")
    for router in ROUTERS:
        app.include_router(router)
    check_every_route_has_a_rule(app)

    return app


def upload_cap() -> int:
    """The largest request body the server reads: one full text and the form around it."""
    return max_bytes(FULLTEXT) + 2**20


def app_from_environment() -> FastAPI:
    """For ``uvicorn --factory reviewflow.web.app:app_from_environment`` (several workers):
    the folder or server URL from REVIEWFLOW_SERVE_PATH, a server's project files under
    REVIEWFLOW_SERVE_FILES."""
    return create_app(
        os.environ.get("REVIEWFLOW_SERVE_PATH", "."),
        demo_sign_in=os.environ.get("REVIEWFLOW_DEMO_SIGN_IN") == "1",
        files=os.environ.get("REVIEWFLOW_SERVE_FILES") or None,
    )
