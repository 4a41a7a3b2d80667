"""Web tests' helpers: a fresh team project, signing in, CSRF tokens.

The project is made the way a new team makes one (Project.create, an RIS export imported,
passwords set as ``reviewflow account`` does), not by the demo: OW owns it, AB screens
every title/abstract and CD double-screens all of them, LA is the arbiter, VW a viewer.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from fastapi.testclient import TestClient

import reviewflow as rf
from reviewflow import accounts
from reviewflow.project import Project
from reviewflow.settings import Reviewer

DATA = Path(__file__).parent.parent / "data" / "web"
PASSWORD = "correct horse battery"
SLUG = "review"
TEAM = {
    "OW": ("Olu Owner", ["owner"]),
    "AB": ("Ada Byron", ["reviewer"]),
    "CD": ("Cal Dunn", ["reviewer"]),
    "LA": ("Lee Arbiter", ["arbiter"]),
    "VW": ("Val Viewer", ["viewer"]),
}


def make_team_project(root: Path, database_url: str = "sqlite:///review.db") -> Project:
    screening = rf.ScreeningSettings(
        reasons=["not social prescribing", "no qualitative data", "not adults"],
        highlight_include=["social prescribing", "qualitative", "link worker"],
        highlight_exclude=["randomised", "trial", "meta-analysis"],
        ta={
            "reviewers": ["AB"],
            "second_reviewers": ["CD"],
            "double_share": 1.0,
            "arbiter": "LA",
            "rule": "unanimous_else_arbiter",
        },
        ft={
            "reviewers": ["AB", "CD"],
            "double_share": 1.0,
            "arbiter": "LA",
            "rule": "unanimous_else_arbiter",
            "reason_required": True,
        },
    )
    project = Project.create(
        root,
        title="Social prescribing & mental health <a team review>",
        question="How do link workers support adults' mental health?",
        reviewers=[Reviewer(initials=i, name=n, roles=r) for i, (n, r) in TEAM.items()],
        database_url=database_url,
        screening=screening,
        owner="OW",
    )
    with project.session(actor="OW") as session:
        rf.add_search(
            project,
            rf.SearchEntry(source="Embase", records_returned=8),
            export_file=DATA / "records.ris",
        )
        rf.import_file(project, DATA / "records.ris")
        for initials in TEAM:
            accounts.set_password(session.conn, initials, PASSWORD)
    return project


def csrf_of(client: TestClient, slug: str = SLUG) -> str:
    return str(client.get(f"/api/p/{slug}/me").json()["csrf_token"])


def form_csrf(html: str) -> str:
    found = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert found, "the page has a form with a CSRF token"
    return found.group(1)


def sign_in(client: TestClient, initials: str, *, slug: str = SLUG) -> None:
    page = client.get(f"/p/{slug}/login")
    response = client.post(
        f"/p/{slug}/login",
        data={"login": initials, "password": PASSWORD, "csrf_token": form_csrf(page.text)},
    )
    assert response.status_code == 303, response.text


@dataclass
class Served:
    """A real server on a loopback port (uvicorn in a thread) for browser tests."""

    url: str
    project: Project


@contextmanager
def signed_in_clients(root: Path) -> Iterator[Callable[[str], TestClient]]:
    """``make(initials)``: a browser signed in as that member, all on one app served for
    the project in ``root`` (its lifespan running), each with its CSRF token in the
    header (the API's way; forms send it as a field). Closed at the end."""
    from reviewflow.web import create_app

    app = create_app(root)
    opened: list[TestClient] = []

    def make(initials: str) -> TestClient:
        client = TestClient(app, raise_server_exceptions=False, follow_redirects=False)
        client.__enter__()
        opened.append(client)
        sign_in(client, initials)
        client.headers["X-CSRF-Token"] = csrf_of(client)
        return client

    try:
        yield make
    finally:
        for client in opened:
            client.__exit__(None, None, None)
