"""Browser sessions in signed cookies, CSRF tokens and the sign-in state.

The session is Starlette's ``SessionMiddleware``: a cookie signed with the server's
secret (itsdangerous), holding no password and no vote: per project, the initials of the
signed-in user and the stamp of their credential. A password change makes a new stamp
(:mod:`reviewflow.accounts`), so every session signed in before it stops working. The
cookie is ``HttpOnly`` and ``SameSite=Lax``; ``Secure`` when the server is told it is
behind HTTPS (``REVIEWFLOW_SECURE_COOKIES=1``).

The secret comes from ``REVIEWFLOW_SECRET_KEY`` or, failing that, a file
``.reviewflow-secret`` (mode 0600) in the served folder, made on first start: restarts
keep everyone signed in, and several worker processes share it. It is never printed.

CSRF: one random token per browser session, in every form (``csrf_token``) and in the
``X-CSRF-Token`` header HTMX and API clients send; every request that changes something
must carry it (:func:`check_csrf`).
"""

from __future__ import annotations

import os
import secrets
import threading
import time
from pathlib import Path
from typing import TYPE_CHECKING

from fastapi import Request

from .rules import CSRF_FIELD, CSRF_HEADER, CsrfError, same_token

if TYPE_CHECKING:
    from ..people import User
    from ..project import Project

SECRET_ENV = "REVIEWFLOW_SECRET_KEY"
SECRET_FILE = ".reviewflow-secret"
SESSION_COOKIE = "reviewflow_session"
SESSION_DAYS = 14


def secret_key(folder: Path) -> str:
    """The signing secret: the environment's, else the folder's file (made if missing)."""
    given = os.environ.get(SECRET_ENV, "").strip()
    if given:
        return given
    path = folder / SECRET_FILE
    try:
        return path.read_text(encoding="ascii").strip()
    except FileNotFoundError:
        pass
    key = secrets.token_urlsafe(48)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w", encoding="ascii") as handle:
        handle.write(key + "\n")
    return key


def secure_cookies() -> bool:
    return os.environ.get("REVIEWFLOW_SECURE_COOKIES", "") in ("1", "true", "yes")


def csrf_token(request: Request) -> str:
    """This browser session's CSRF token (made on first use)."""
    token = request.session.get("csrf")
    if not token:
        token = secrets.token_urlsafe(32)
        request.session["csrf"] = token
    return str(token)


async def check_csrf(request: Request) -> None:
    expected = request.session.get("csrf")
    given = request.headers.get(CSRF_HEADER)
    if given is None and request.headers.get("content-type", "").startswith(
        ("application/x-www-form-urlencoded", "multipart/form-data")
    ):
        form = await request.form()
        value = form.get(CSRF_FIELD)
        given = value if isinstance(value, str) else None
    if not expected or not same_token(given, str(expected)):
        raise CsrfError()


def sign_in(request: Request, slug: str, user: User, stamp: str) -> None:
    """Remember ``user`` as signed in to project ``slug`` in this browser session."""
    auth = dict(request.session.get("auth") or {})
    auth[slug] = {"initials": user.initials, "stamp": stamp}
    request.session["auth"] = auth
    # A new token after signing in: a token planted before it is worth nothing.
    request.session["csrf"] = secrets.token_urlsafe(32)


def sign_out(request: Request, slug: str) -> None:
    auth = dict(request.session.get("auth") or {})
    auth.pop(slug, None)
    request.session["auth"] = auth


def signed_in_user(request: Request, slug: str, project: Project) -> User | None:
    """The member signed in to ``slug``, if their credential and a role still hold."""
    entry = (request.session.get("auth") or {}).get(slug)
    if not isinstance(entry, dict):
        return None
    from .. import accounts
    from ..people import get_user

    with project.session(write=False) as session:
        user = get_user(session.conn, str(entry.get("initials")))
        if user is None or not user.roles:
            return None
        stamp = accounts.credential_stamp(session.conn, user.id)
    if stamp is None or not same_token(str(entry.get("stamp") or ""), stamp):
        return None
    return user


class Throttle:
    """Slows password guessing: after ``limit`` failures for one log-in name within
    ``window`` seconds, further attempts are refused until the window passes. In memory,
    per process: a brake, not a lock-out (a restart forgets it)."""

    def __init__(self, *, limit: int = 8, window: float = 300.0) -> None:
        self.limit, self.window = limit, window
        self._failures: dict[str, list[float]] = {}
        self._lock = threading.Lock()

    def blocked(self, key: str) -> float:
        """Seconds until ``key`` may try again (0: now)."""
        now = time.monotonic()
        with self._lock:
            recent = [t for t in self._failures.get(key, []) if now - t < self.window]
            self._failures[key] = recent
            if len(recent) < self.limit:
                return 0.0
            return self.window - (now - recent[0])

    def failed(self, key: str) -> None:
        with self._lock:
            self._failures.setdefault(key, []).append(time.monotonic())

    def succeeded(self, key: str) -> None:
        with self._lock:
            self._failures.pop(key, None)
