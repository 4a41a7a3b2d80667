"""Every route x every role (and signed out): the status the route's rule promises.

The routes come from the app's own route table, so a route added without a rule fails
(create_app refuses it) and a route whose rule lets in the wrong people fails here. Path
parameters take values that name nothing that exists (item 999999, initials ZZ), so an
allowed request can do no harm: it is answered 404/409/422, never 401/403.
"""

from __future__ import annotations

from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.routing import APIRoute
from fastapi.testclient import TestClient
from starlette.routing import Mount
from webkit import SLUG, TEAM, csrf_of, sign_in

from reviewflow.project import Project
from reviewflow.web import create_app
from reviewflow.web.rules import Rule, api_routes, check_every_route_has_a_rule, rule_of

#: A value for every path parameter the app uses; a new parameter needs a line here.
SAMPLES: dict[str, str] = {
    "slug": SLUG,
    "stage": "ta",
    "item_id": "999999",
    "report_id": "999999",
    "study_id": "999999",
    "record_id": "999999",
    "pair_id": "999999",
    "search_id": "999999",
    "invitation_id": "999999",
    "job_id": "999999",
    "initials": "ZZ",
    "token": "no-such-invitation",
    "box": "no-such-box",
    "blob": "0" * 64,
    "path": "app.css",
    "segment_id": "999999",
    "application_id": "999999",
    "code_id": "999999",
}

ROLES = {"owner": "OW", "reviewer": "AB", "arbiter": "LA", "viewer": "VW"}


def _path(route: APIRoute) -> str:
    path = route.path
    for name in route.param_convertors:
        assert name in SAMPLES, f"add a sample value for path parameter {name!r}"
        path = path.replace("{" + name + "}", SAMPLES[name])
    return path


def _cases(app: FastAPI) -> list[tuple[str, APIRoute, Rule]]:
    out = []
    for route in api_routes(app):
        rule = rule_of(route)
        assert rule is not None
        for method in sorted(route.methods):
            out.append((method, route, rule))
    return out


def _expected(rule: Rule, role: str | None, api: bool) -> str:
    if rule.public:
        return "in"
    if role is None:
        return "sign-in"
    return "in" if rule.allows(frozenset({role})) else "forbidden"


def _request(client: TestClient, method: str, path: str, csrf: str) -> Any:
    headers = {"X-CSRF-Token": csrf}
    if method in ("POST", "PUT", "PATCH", "DELETE"):
        return client.request(method, path, headers=headers, json={})
    return client.request(method, path, headers=headers)


@pytest.mark.parametrize("role", [None, *ROLES])
def test_every_route_answers_every_role_as_its_rule_says(
    team_project: Project, role: str | None
) -> None:
    app = create_app(team_project.root)
    with TestClient(app, raise_server_exceptions=False, follow_redirects=False) as client:
        if role is not None:
            sign_in(client, ROLES[role])
        csrf = csrf_of(client)
        wrong = []
        for method, route, rule in _cases(app):
            template = route.path
            path = _path(route)
            api = path.startswith("/api/")
            response = _request(client, method, path, csrf)
            if role is not None and template.endswith("/logout"):
                sign_in(client, ROLES[role])  # the matrix goes on signed in
                csrf = csrf_of(client)
            expected = _expected(rule, role, api)
            status = response.status_code
            if expected == "sign-in":
                ok = (
                    status == 401
                    if api
                    else status == 303 and "/login" in response.headers["location"]
                )
            elif expected == "forbidden":
                ok = status == 403
            else:
                ok = status not in (401, 403) and status < 500
            if not ok:
                wrong.append(f"{method} {template} as {role}: {status} (expected {expected})")
        assert not wrong, "\n".join(wrong)


def test_the_matrix_covers_real_routes_and_every_role_exists(team_project: Project) -> None:
    app = create_app(team_project.root)
    cases = _cases(app)
    assert len(cases) >= 20, "the app's routes are all in the table"
    assert {r for _, _, rule in cases for r in rule.roles} <= set(ROLES)
    assert set(ROLES.values()) <= set(TEAM)


def test_a_route_without_a_rule_stops_the_app_from_starting(team_project: Project) -> None:
    app = create_app(team_project.root)

    @app.get("/p/{slug}/forgotten")
    def forgotten() -> dict[str, str]:
        return {"who": "anyone"}

    with pytest.raises(RuntimeError, match="without an authorisation rule"):
        check_every_route_has_a_rule(app)


def test_only_static_assets_are_served_outside_the_rules(team_project: Project) -> None:
    app = create_app(team_project.root)
    others = [
        r for r in app.routes if not isinstance(r, APIRoute) and not hasattr(r, "original_router")
    ]
    names = {getattr(r, "path", "") for r in others}
    assert all(
        isinstance(r, Mount) and r.path == "/static"
        for r in others
        if r.path != "/api/openapi.json"
    ), names


@pytest.mark.parametrize("role", ["reviewer"])
def test_a_change_without_the_csrf_token_is_refused_on_every_route(
    app_client: TestClient, role: str
) -> None:
    sign_in(app_client, ROLES[role])
    app = app_client.app
    refused = []
    for method, route, _ in _cases(app):  # type: ignore[arg-type]
        if method not in ("POST", "PUT", "PATCH", "DELETE"):
            continue
        template = route.path
        response = app_client.request(method, _path(route), json={})
        refused_for_csrf = "CsrfError" in response.text or "This form has expired" in response.text
        if response.status_code != 403 or not refused_for_csrf:
            refused.append(f"{method} {template}: {response.status_code}")
    assert not refused, "\n".join(refused)
