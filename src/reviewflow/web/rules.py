"""Who may use each route: one rule per route, checked before the route runs.

Every route of the app declares its rule through its ``ctx`` parameter
(``ctx: Annotated[Ctx, Depends(Guard(REVIEWER))]``); :func:`check_every_route_has_a_rule`
runs when the app is built, so a new route without a rule stops the server from starting
(and tests/web/test_authorisation.py reads the same rules off the route table).

A rule names the project roles that may use the route (``people.ROLES``: owner, reviewer,
arbiter, viewer; an owner may use every route of their project), or says the route is
public (log-in, invitations, assets) or needs only a signed-in member of any role. The
guard also checks the CSRF token of every request that changes something, and turns "not
signed in" into a redirect to the log-in page (pages) or 401 (API).
"""

from __future__ import annotations

import hmac
from collections.abc import Iterator
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from fastapi import Request
from fastapi.routing import APIRoute

if TYPE_CHECKING:
    from fastapi import FastAPI

    from ..people import User
    from ..project import Project
    from ..session import Session
    from .hosting import Host

UNSAFE = frozenset({"POST", "PUT", "PATCH", "DELETE"})
CSRF_FIELD = "csrf_token"
CSRF_HEADER = "x-csrf-token"


@dataclass(frozen=True)
class Rule:
    """``roles`` that may use a route; ``public`` routes need no one, ``member`` any role."""

    name: str
    roles: frozenset[str] = frozenset()
    public: bool = False
    #: A public route that still needs a project in its path (log-in, invitation).
    project: bool = True

    def allows(self, held: frozenset[str]) -> bool:
        if self.public:
            return True
        if not held:
            return False
        return not self.roles or "owner" in held or bool(held & self.roles)


PUBLIC = Rule("public", public=True, project=False)
PROJECT_PUBLIC = Rule("project-public", public=True)
MEMBER = Rule("member")  # any role, viewers included: reading pages
REVIEWER = Rule("reviewer", frozenset({"reviewer"}))
ARBITER = Rule("arbiter", frozenset({"arbiter"}))
SCREENER = Rule("screener", frozenset({"reviewer", "arbiter"}))
OWNER = Rule("owner", frozenset({"owner"}))


class SignInRequired(Exception):
    """No signed-in member of this project: pages redirect to log in, the API says 401."""


class Forbidden(Exception):
    """Signed in, but the route needs a role the user does not hold (403)."""

    def __init__(self, user: User, rule: Rule, slug: str) -> None:
        super().__init__(rule.name)
        self.user, self.rule, self.slug = user, rule, slug


class CsrfError(Exception):
    """A request that changes something came without this browser session's token."""


@dataclass
class Ctx:
    """What a route needs: the request, the project and the signed-in user (or None)."""

    request: Request
    host: Host
    slug: str | None = None
    project: Project | None = None
    user: User | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def api(self) -> bool:
        return self.request.url.path.startswith("/api/")

    @property
    def csrf(self) -> str:
        from .security import csrf_token

        return csrf_token(self.request)

    @property
    def actor(self) -> str | None:
        return self.user.initials if self.user is not None else None

    def need_project(self) -> Project:
        assert self.project is not None, "a project route without a project"
        return self.project

    def session(self, *, write: bool) -> AbstractContextManager[Session]:
        """The request's unit of work on its project, as the signed-in user."""
        return self.need_project().session(actor=self.actor, write=write)

    def href(self, path: str = "") -> str:
        """A path inside this project: ``ctx.href("/screen/ta")`` -> ``/p/SLUG/screen/ta``."""
        return f"/p/{self.slug}{path}"


class Guard:
    """The dependency that enforces a :class:`Rule` (see the module docstring)."""

    def __init__(self, rule: Rule) -> None:
        self.rule = rule

    def __repr__(self) -> str:
        return f"Guard({self.rule.name})"

    async def __call__(self, request: Request) -> Ctx:
        from .security import check_csrf, signed_in_user

        host: Host = request.app.state.host
        ctx = Ctx(request=request, host=host)
        if request.method in UNSAFE:
            await check_csrf(request)
        slug = request.path_params.get("slug")
        if slug is not None:
            ctx.slug = slug
            ctx.project = host.project(slug)  # NotFoundError (404) for an unknown one
            ctx.user = signed_in_user(request, slug, ctx.project)
        if self.rule.public:
            return ctx
        if ctx.user is None:
            raise SignInRequired()
        if not self.rule.allows(ctx.user.roles):
            raise Forbidden(ctx.user, self.rule, slug or "")
        return ctx


def rule_of(route: APIRoute) -> Rule | None:
    """The rule a route declares (its Guard dependency), or None."""

    def walk(dependant: Any) -> Iterator[Any]:
        for dep in dependant.dependencies:
            yield dep.call
            yield from walk(dep)

    for call in walk(route.dependant):
        if isinstance(call, Guard):
            return call.rule
    return None


def api_routes(app: FastAPI) -> list[APIRoute]:
    """Every route of the app, those of included routers too.

    FastAPI used to copy an included router's routes into ``app.routes``; newer versions
    (0.16x) keep the router as one entry, its routes under ``original_router``.
    """
    out: list[APIRoute] = []

    def walk(routes: Any) -> None:
        for route in routes:
            if isinstance(route, APIRoute):
                out.append(route)
            inner = getattr(route, "original_router", None)
            if inner is not None:
                walk(inner.routes)

    walk(app.routes)
    return out


def check_every_route_has_a_rule(app: FastAPI) -> None:
    """Refuse to build an app with a route that declares no rule."""
    routes = api_routes(app)
    if not routes:
        raise RuntimeError("the app has no routes: the route table could not be read")
    missing = [f"{sorted(r.methods or ())} {r.path}" for r in routes if rule_of(r) is None]
    if missing:
        raise RuntimeError("routes without an authorisation rule: " + ", ".join(missing))


def same_token(given: str | None, expected: str) -> bool:
    return bool(given) and hmac.compare_digest(str(given), expected)
