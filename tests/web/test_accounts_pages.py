"""Signing in and out, invitations, password changes, the team page, error pages."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from webkit import PASSWORD, SLUG, csrf_of, form_csrf, make_team_project, sign_in

from reviewflow import accounts
from reviewflow.project import Project
from reviewflow.web import create_app


def _client(root: Path, **kwargs: bool) -> TestClient:
    app = create_app(root, **kwargs)
    return TestClient(app, raise_server_exceptions=False, follow_redirects=False)


def test_pages_need_a_signed_in_member_and_sign_in_returns_to_the_page(
    app_client: TestClient,
) -> None:
    response = app_client.get(f"/p/{SLUG}/screen/ta/list")
    assert response.status_code == 303
    assert response.headers["location"] == f"/p/{SLUG}/login?next=/p/{SLUG}/screen/ta/list"
    page = app_client.get(response.headers["location"])
    assert "Sign in" in page.text and "Social prescribing &amp; mental health" in page.text
    signed = app_client.post(
        f"/p/{SLUG}/login",
        data={
            "login": "ab",
            "password": PASSWORD,
            "csrf_token": form_csrf(page.text),
            "next": f"/p/{SLUG}/screen/ta/list",
        },
    )
    assert signed.status_code == 303 and signed.headers["location"] == f"/p/{SLUG}/screen/ta/list"
    assert app_client.get(f"/api/p/{SLUG}/me").json()["user"]["initials"] == "AB"


def test_a_wrong_password_says_so_without_saying_which_part_was_wrong(
    app_client: TestClient,
) -> None:
    page = app_client.get(f"/p/{SLUG}/login")
    for login in ("AB", "nobody"):
        response = app_client.post(
            f"/p/{SLUG}/login",
            data={"login": login, "password": "wrong", "csrf_token": form_csrf(page.text)},
        )
        assert response.status_code == 401
        assert "That name or password is not right." in response.text
    assert app_client.get(f"/api/p/{SLUG}/me").json()["user"] is None


def test_repeated_failures_are_slowed_down(app_client: TestClient) -> None:
    csrf = form_csrf(app_client.get(f"/p/{SLUG}/login").text)
    for _ in range(8):
        app_client.post(
            f"/p/{SLUG}/login", data={"login": "CD", "password": "x", "csrf_token": csrf}
        )
    blocked = app_client.post(
        f"/p/{SLUG}/login", data={"login": "CD", "password": PASSWORD, "csrf_token": csrf}
    )
    assert blocked.status_code == 409
    assert "too many failed sign-ins" in blocked.text and "wait" in blocked.text


def test_the_open_redirect_is_closed(app_client: TestClient) -> None:
    csrf = form_csrf(app_client.get(f"/p/{SLUG}/login").text)
    response = app_client.post(
        f"/p/{SLUG}/login",
        data={
            "login": "AB",
            "password": PASSWORD,
            "csrf_token": csrf,
            "next": "//evil.example/phish",
        },
    )
    assert response.headers["location"] == f"/p/{SLUG}/"


def test_sign_out_ends_the_session(app_client: TestClient) -> None:
    sign_in(app_client, "AB")
    home = app_client.get(f"/p/{SLUG}/")
    assert home.status_code == 200
    app_client.post(f"/p/{SLUG}/logout", data={"csrf_token": form_csrf(home.text)})
    assert app_client.get(f"/p/{SLUG}/").status_code == 303


def test_an_invitation_makes_a_member_who_is_signed_in_and_it_works_once(
    team_project: Project,
) -> None:
    owner, guest = _client(team_project.root), _client(team_project.root)
    sign_in(owner, "OW")
    team = owner.get(f"/p/{SLUG}/team")
    made = owner.post(
        f"/p/{SLUG}/team/invite",
        data={"roles": ["reviewer"], "name": "Eve Evans", "csrf_token": form_csrf(team.text)},
    )
    assert made.status_code == 200
    link = re.search(r'value="(http[^"]+/invite/[^"]+)"', made.text)
    assert link, made.text
    path = "/" + link.group(1).split("/", 3)[3]
    page = guest.get(path)
    assert "invited you as" in page.text and "Eve Evans" in page.text
    joined = guest.post(
        path,
        data={
            "initials": "EE",
            "name": "Eve Evans",
            "password": "a long new password",
            "password_again": "a long new password",
            "csrf_token": form_csrf(page.text),
        },
    )
    assert joined.status_code == 303
    me = guest.get(f"/api/p/{SLUG}/me").json()["user"]
    assert me["initials"] == "EE" and me["roles"] == ["reviewer"]
    assert "EE" in team_project.root.joinpath("review.toml").read_text()
    again = _client(team_project.root).get(path)
    assert "has been used already" in again.text


def test_a_bad_invitation_form_keeps_what_was_typed_and_says_what_to_fix(
    team_project: Project,
) -> None:
    with team_project.session(actor="OW"):
        token = accounts.create_invitation(team_project, roles=["viewer"], by="OW")
    guest = _client(team_project.root)
    page = guest.get(f"/p/{SLUG}/invite/{token}")
    response = guest.post(
        f"/p/{SLUG}/invite/{token}",
        data={
            "initials": "AB",
            "name": "Someone Else",
            "password": "a long new password",
            "password_again": "a long new password",
            "csrf_token": form_csrf(page.text),
        },
    )
    assert response.status_code == 422
    assert "Someone Else" in response.text and "AB" in response.text
    assert guest.get(f"/api/p/{SLUG}/me").json()["user"] is None


def test_a_password_change_signs_out_the_other_browsers(team_project: Project) -> None:
    here, there = _client(team_project.root), _client(team_project.root)
    sign_in(here, "AB")
    sign_in(there, "AB")
    page = here.get(f"/p/{SLUG}/account")
    changed = here.post(
        f"/p/{SLUG}/account/password",
        data={
            "current": PASSWORD,
            "password": "another long password",
            "password_again": "another long password",
            "csrf_token": form_csrf(page.text),
        },
    )
    assert changed.status_code == 200 and "Your password is changed" in changed.text
    assert here.get(f"/p/{SLUG}/").status_code == 200, "this browser stays signed in"
    assert there.get(f"/p/{SLUG}/").status_code == 303, "the other one must sign in again"


def test_the_owner_changes_roles_and_removes_members(team_project: Project) -> None:
    owner, vw = _client(team_project.root), _client(team_project.root)
    sign_in(owner, "OW")
    sign_in(vw, "VW")
    csrf = csrf_of(owner)
    owner.post(f"/p/{SLUG}/team/VW/roles", data={"roles": ["reviewer"], "csrf_token": csrf})
    roles = {m["initials"]: m["roles"] for m in owner.get(f"/api/p/{SLUG}/team").json()}
    assert roles["VW"] == ["reviewer"]
    assert vw.get(f"/api/p/{SLUG}/me").json()["user"]["roles"] == ["reviewer"]
    # Someone the screening plan names stays until the plan changes: the page says why.
    refused = owner.post(f"/p/{SLUG}/team/CD/remove", data={"csrf_token": csrf})
    assert refused.status_code == 422 and "plan" in refused.text
    owner.post(f"/p/{SLUG}/team/VW/remove", data={"csrf_token": csrf})
    roles = {m["initials"]: m["roles"] for m in owner.get(f"/api/p/{SLUG}/team").json()}
    assert roles["VW"] == [], "a removed member stays a user (their history names them)"
    assert vw.get(f"/p/{SLUG}/").status_code == 303, "and is signed out"
    last = owner.post(f"/p/{SLUG}/team/OW/remove", data={"csrf_token": csrf})
    assert last.status_code == 422 and "owner" in last.text


def test_a_reviewer_cannot_manage_the_team(app_client: TestClient) -> None:
    sign_in(app_client, "AB")
    page = app_client.get(f"/p/{SLUG}/team")
    assert page.status_code == 200 and "Invite someone" not in page.text
    response = app_client.post(
        f"/p/{SLUG}/team/VW/remove", data={"csrf_token": csrf_of(app_client)}
    )
    assert response.status_code == 403
    assert "Your role does not allow this" in response.text and "OW" in response.text


def test_demo_users_sign_in_without_a_password_only_on_a_demo_project_when_allowed(
    tmp_path: Path,
) -> None:
    from reviewflow.demo import create_project

    demo = create_project(tmp_path / "demo")
    demo.close()
    local = _client(tmp_path / "demo", demo_sign_in=True)
    page = local.get("/p/demo/login")
    assert "Try the demo review" in page.text and "MC" in page.text
    signed = local.post(
        "/p/demo/login/demo", data={"initials": "MC", "csrf_token": form_csrf(page.text)}
    )
    assert signed.status_code == 303
    assert local.get("/api/p/demo/me").json()["user"]["initials"] == "MC"
    remote = _client(tmp_path / "demo", demo_sign_in=False)
    page = remote.get("/p/demo/login")
    assert "Try the demo review" not in page.text
    refused = remote.post(
        "/p/demo/login/demo", data={"initials": "MC", "csrf_token": form_csrf(page.text)}
    )
    assert refused.status_code == 409


def test_an_own_project_never_offers_password_free_sign_in(team_project: Project) -> None:
    client = _client(team_project.root, demo_sign_in=True)
    page = client.get(f"/p/{SLUG}/login")
    assert "Try the demo review" not in page.text


def test_a_bug_shows_a_plain_page_not_a_traceback(
    app_client: TestClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    from reviewflow.web.routes import projects

    def broken(ctx: object) -> dict[str, object]:
        raise ZeroDivisionError("secret internals")

    monkeypatch.setattr(projects, "summary", broken)
    sign_in(app_client, "AB")
    response = app_client.get(f"/p/{SLUG}/")
    assert response.status_code == 500
    assert "Something went wrong on the server" in response.text
    assert "Traceback" not in response.text and "secret internals" not in response.text
    api = app_client.get(f"/api/p/{SLUG}/summary")
    assert api.status_code == 500 and api.json()["error"] == "InternalError"


def test_unknown_pages_and_projects_say_so(app_client: TestClient) -> None:
    assert "No such page" in app_client.get("/nowhere").text
    response = app_client.get("/p/no-such-project/login")
    assert response.status_code == 404
    assert "no project &#39;no-such-project&#39; on this server" in response.text
    assert app_client.get("/api/p/no-such-project/me").json()["error"] == "NotFoundError"


def test_every_response_carries_the_security_headers(app_client: TestClient) -> None:
    response = app_client.get(f"/p/{SLUG}/login")
    assert "script-src 'self'" in response.headers["content-security-policy"]
    assert response.headers["x-frame-options"] == "SAMEORIGIN"
    cookie = response.headers["set-cookie"].lower()
    assert "httponly" in cookie and "samesite=lax" in cookie


def test_serving_a_folder_lists_its_projects(tmp_path: Path) -> None:
    for name in ("alpha", "beta"):
        make_team_project(tmp_path / name).close()
    client = _client(tmp_path)
    page = client.get("/")
    assert page.status_code == 200
    assert "/p/alpha/" in page.text and "/p/beta/" in page.text
    assert [p["slug"] for p in client.get("/api/projects").json()] == ["alpha", "beta"]
    sign_in(client, "AB", slug="alpha")
    assert client.get("/p/alpha/").status_code == 200
    assert client.get("/p/beta/").status_code == 303, "signed in to one project only"
