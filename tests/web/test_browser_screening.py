"""Two reviewers screen blind at once in a real Chromium, an arbiter resolves, a viewer
cannot vote: the issue's browser test, on a fresh project (not the demo)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from web_browser import chromium, live_server, signed_in_page
from webkit import PASSWORD, make_team_project

from reviewflow.project import Project


@pytest.fixture
def served(tmp_path: Path) -> Any:
    project = make_team_project(tmp_path / "review")
    with live_server(project.root) as url:
        yield url, project
    project.close()


def _title(page: Any) -> str:
    return str(page.locator("#record-title").inner_text())


def _api(page: Any, path: str) -> Any:
    """GET an API path with this browser's cookies (what the page's own session sees)."""
    response = page.request.get(path)
    assert response.ok, response.text()
    return response.json()


def _press_and_wait(page: Any, key: str) -> None:
    with page.expect_response(lambda r: "/screen/" in r.url and r.request.method == "POST"):
        page.keyboard.press(key)
    page.wait_for_selector("#screen")


def test_two_reviewers_screen_blind_with_the_keyboard_and_the_arbiter_resolves(
    served: tuple[str, Project],
) -> None:
    base, _project = served
    with chromium() as browser:
        ab = signed_in_page(browser, base, "AB", PASSWORD)
        cd = signed_in_page(browser, base, "CD", PASSWORD)
        ab.goto(f"{base}/p/review/screen/ta")
        cd.goto(f"{base}/p/review/screen/ta")
        first = _title(ab)
        assert first == _title(cd), "both double-screen the same first record"
        assert ab.locator("mark.hl-include").count() > 0, "include terms are highlighted"

        _press_and_wait(ab, "i")  # AB includes record 1 ...
        _press_and_wait(cd, "e")  # ... while CD excludes it: a conflict
        assert _title(ab) != first and _title(cd) != first, "each got their next record"
        assert "Included record" in ab.locator("#screen").inner_text()
        second = _title(ab)
        _press_and_wait(ab, "e")
        _press_and_wait(cd, "e")  # they agree on record 2

        # Blind: neither sees the other's vote, on the page or through the API.
        ab.goto(f"{base}/p/review/screen/ta?item=1")
        assert "your vote: include" in ab.locator(".record").inner_text()
        assert ab.locator(".votes").count() == 0
        seen = _api(ab, f"{base}/api/p/review/screen/ta/items/1")["item"]["visible_votes"]
        assert set(seen) == {"AB"}
        seen = _api(cd, f"{base}/api/p/review/screen/ta/items/1")["item"]["visible_votes"]
        assert set(seen) == {"CD"}
        assert "CD" not in json.dumps(_api(ab, f"{base}/api/p/review/screen/ta/items?limit=50"))

        # U undoes AB's last vote in the session, then AB votes again.
        ab.goto(f"{base}/p/review/screen/ta")
        _press_and_wait(ab, "m")
        _press_and_wait(ab, "u")
        assert "withdrawn" in ab.locator("#screen").inner_text()

        before = _api(ab, f"{base}/api/p/review/prisma")
        # The arbiter sees the conflict with both votes and resolves it.
        la = signed_in_page(browser, base, "LA", PASSWORD)
        la.goto(f"{base}/p/review/conflicts?stage=ta")
        row = la.locator(".conflict", has_text=first[:30])
        assert row.count() == 1, la.content()
        text = row.inner_text()
        assert (
            "AB" in text
            and "CD" in text
            and second[:30] not in la.locator(".conflict-list").first.inner_text()
        )
        row.locator("button[value=include]").click()
        la.wait_for_selector("#conflict-1 >> text=resolved: include by LA")
        after = _api(la, f"{base}/api/p/review/prisma")
        assert before != after, "the PRISMA counts follow the arbiter's ruling"
        la.goto(f"{base}/p/review/prisma")
        figure = la.locator("img[src*='prisma.svg']")
        figure.wait_for()
        assert la.evaluate("(img) => img.complete && img.naturalWidth > 0", figure.element_handle())


def test_a_viewer_cannot_vote_and_is_told_why(served: tuple[str, Project]) -> None:
    base, _ = served
    with chromium() as browser:
        vw = signed_in_page(browser, base, "VW", PASSWORD)
        response = vw.goto(f"{base}/p/review/screen/ta")
        assert response is not None and response.status == 403
        body = vw.locator("main").inner_text()
        assert "viewer" in body and "owner" in body.lower(), body
        csrf = _api(vw, f"{base}/api/p/review/me")["csrf_token"]
        posted = vw.request.post(
            f"{base}/api/p/review/screen/ta/items/1/decision",
            data={"decision": "include"},
            headers={"X-CSRF-Token": csrf},
        )
        assert posted.status == 403
        assert posted.json()["error"] == "Forbidden"
