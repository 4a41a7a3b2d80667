"""The screening page without a browser: the queue, votes, reasons, undo, skip, the list,
blindness and its switch, escaping, and HTMX answers."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from webkit import SLUG, csrf_of, sign_in

import reviewflow as rf
from reviewflow.project import Project

HX = {"HX-Request": "true"}


def _vote(client: TestClient, item: int, decision: str, *, stage: str = "ta", **form: str) -> str:
    response = client.post(
        f"/p/{SLUG}/screen/{stage}/{item}/decide",
        data={"decision": decision, "csrf_token": csrf_of(client), **form},
        headers=HX,
    )
    assert response.status_code in (200, 422), response.text
    return response.text


def _shown(html: str) -> int:
    import re

    found = re.search(r"record (\d+)</p>|record (\d+) ·", html)
    assert found, html
    return int(found.group(1) or found.group(2))


def test_the_page_shows_the_next_record_with_terms_highlighted_and_text_escaped(
    app_client: TestClient,
) -> None:
    sign_in(app_client, "AB")
    page = app_client.get(f"/p/{SLUG}/screen/ta")
    assert page.status_code == 200
    assert 'data-key="i"' in page.text and 'data-key="e"' in page.text
    assert '<mark class="hl-include" title="include term">social prescribing</mark>' in page.text
    assert "Hall, Jane; Okafor, Ben" in page.text
    hostile = app_client.get(f"/p/{SLUG}/screen/ta?item=5").text
    assert "<script>alert" not in hostile and "&lt;script&gt;alert" in hostile
    assert "<b>wellbeing</b>" not in hostile


def test_a_vote_answers_with_the_next_record_and_undo_takes_it_back(
    app_client: TestClient, team_project: Project
) -> None:
    sign_in(app_client, "AB")
    after = _vote(app_client, 1, "include", note="carers", tags="uk, peer support")
    assert "Included record 1" in after and "<!doctype" not in after.lower(), "a fragment"
    assert _shown(after) == 2
    listed = app_client.get(f"/api/p/{SLUG}/screen/ta/items?vote=include").json()
    assert [(i["item_id"], i["note"], i["tags"]) for i in listed["items"]] == [
        (1, "carers", ["uk", "peer-support"])
    ]
    undone = app_client.post(
        f"/p/{SLUG}/screen/ta/1/undo", data={"csrf_token": csrf_of(app_client)}, headers=HX
    )
    assert "withdrawn" in undone.text and _shown(undone.text) == 1
    assert app_client.get(f"/api/p/{SLUG}/screen/ta/items?vote=none").json()["total"] == 8
    with team_project.session(write=False):
        history = rf.screening_counts(team_project)
    assert history["records_pending"] == 8


def test_without_javascript_the_form_posts_and_the_page_reloads(app_client: TestClient) -> None:
    sign_in(app_client, "AB")
    response = app_client.post(
        f"/p/{SLUG}/screen/ta/1/decide",
        data={"decision": "exclude", "csrf_token": csrf_of(app_client)},
    )
    assert response.status_code == 303 and response.headers["location"] == f"/p/{SLUG}/screen/ta"
    assert _shown(app_client.get(f"/p/{SLUG}/screen/ta").text) == 2


def test_skip_moves_on_and_the_skipped_record_comes_back(app_client: TestClient) -> None:
    sign_in(app_client, "AB")
    skipped = app_client.post(
        f"/p/{SLUG}/screen/ta/1/skip", data={"csrf_token": csrf_of(app_client)}, headers=HX
    )
    assert _shown(skipped.text) == 2
    assert _shown(app_client.get(f"/p/{SLUG}/screen/ta").text) == 1


def test_a_wrong_reason_keeps_the_record_and_says_what_to_do(app_client: TestClient) -> None:
    sign_in(app_client, "AB")
    text = _vote(app_client, 3, "exclude", reason="made up reason")
    assert "made up reason" in text and _shown(text) == 3
    assert app_client.get(f"/api/p/{SLUG}/screen/ta/items?vote=exclude").json()["total"] == 0


def test_blind_until_the_owner_switches_it_off_and_the_switch_is_logged(
    team_project: Project,
) -> None:
    from reviewflow.web import create_app

    app = create_app(team_project.root)
    ab = TestClient(app, raise_server_exceptions=False, follow_redirects=False)
    ow = TestClient(app, raise_server_exceptions=False, follow_redirects=False)
    sign_in(ab, "AB")
    sign_in(ow, "OW")
    with team_project.session(actor="CD"):
        rf.decide(team_project, stage="ta", item_id=1, decision="exclude", note="not UK")
    seen = ab.get(f"/api/p/{SLUG}/screen/ta/items/1").json()["item"]["visible_votes"]
    assert seen == {}
    assert "not UK" not in ab.get(f"/p/{SLUG}/screen/ta?item=1").text
    refused = ab.post(
        f"/p/{SLUG}/screen/ta/blind", data={"blind": "off", "csrf_token": csrf_of(ab)}
    )
    assert refused.status_code == 403
    ow.post(f"/p/{SLUG}/screen/ta/blind", data={"blind": "off", "csrf_token": csrf_of(ow)})
    page = ab.get(f"/p/{SLUG}/screen/ta?item=1").text
    assert "the owner has switched blindness off" in page
    seen = ab.get(f"/api/p/{SLUG}/screen/ta/items/1").json()["item"]["visible_votes"]
    assert seen["CD"]["decision"] == "exclude"
    back = ow.put(
        f"/api/p/{SLUG}/screen/ta/blind",
        json={"blind": True},
        headers={"X-CSRF-Token": csrf_of(ow)},
    )
    assert back.json() == {"stage": "ta", "blind": True}
    assert ab.get(f"/api/p/{SLUG}/screen/ta/items/1").json()["item"]["visible_votes"] == {}


def test_the_list_filters_by_words_and_own_vote(app_client: TestClient) -> None:
    sign_in(app_client, "AB")
    _vote(app_client, 2, "exclude")
    page = app_client.get(f"/p/{SLUG}/screen/ta/list?q=knee")
    assert (
        "Knee replacement outcomes" in page.text and "Link workers and loneliness" not in page.text
    )
    mine = app_client.get(f"/p/{SLUG}/screen/ta/list?vote=exclude").text
    assert "1 record match" in mine
    assert app_client.get(f"/api/p/{SLUG}/screen/ta/items?q=zzzz").json()["total"] == 0


def test_someone_with_nothing_to_screen_is_told_why(app_client: TestClient) -> None:
    sign_in(app_client, "LA")  # the arbiter screens nothing at title/abstract
    page = app_client.get(f"/p/{SLUG}/screen/ta")
    assert page.status_code == 200 and "Nothing for you to screen here" in page.text
    full_text = app_client.get(f"/p/{SLUG}/screen/ft")
    assert "no reports have been created yet" in full_text.text


def test_an_htmx_request_that_fails_replaces_the_main_area_with_the_problem(
    app_client: TestClient,
) -> None:
    sign_in(app_client, "VW")
    response = app_client.post(
        f"/p/{SLUG}/screen/ta/1/decide",
        data={"decision": "include", "csrf_token": csrf_of(app_client)},
        headers=HX,
    )
    assert response.status_code == 403
    assert response.headers["hx-retarget"] == "#main"
    assert "<!doctype" not in response.text.lower() and "viewer" in response.text


def test_the_api_votes_and_hands_over_the_next_record(app_client: TestClient) -> None:
    sign_in(app_client, "CD")
    headers = {"X-CSRF-Token": csrf_of(app_client)}
    first = app_client.get(f"/api/p/{SLUG}/screen/ta/next").json()
    assert first["item"]["item_id"] == 1 and first["progress"]["mine_total"] == 8
    voted = app_client.post(
        f"/api/p/{SLUG}/screen/ta/items/1/decision",
        json={"decision": "maybe", "tags": ["check"]},
        headers=headers,
    )
    body = voted.json()
    assert body["recorded"] == {"item_id": 1, "decision": "maybe", "reason": None}
    assert body["item"]["item_id"] == 2 and body["progress"]["mine_done"] == 1
    tagged = app_client.post(
        f"/api/p/{SLUG}/screen/ta/items/2/decision",
        json={"decision": "exclude", "tags": ["peer support", "uk"]},
        headers=headers,
    )
    assert tagged.status_code == 200
    listed = app_client.get(f"/api/p/{SLUG}/screen/ta/items?vote=exclude").json()["items"]
    assert listed[0]["tags"] == ["peer-support", "uk"], "a tag of two words stays one tag"
    bad = app_client.post(
        f"/api/p/{SLUG}/screen/ta/items/1/decision", json={"decision": "perhaps"}, headers=headers
    )
    assert bad.status_code == 422 and bad.json()["error"] == "InputError"


def test_a_ranked_stage_answers_in_import_order_while_the_ranker_is_prepared(
    app_client: TestClient, team_project: Project, monkeypatch: pytest.MonkeyPatch
) -> None:
    # On a large new project the ranker's features take a minute: the first page must
    # open at once, in import order, and say why the order is not ranked yet.
    import threading

    from reviewflow.stages import screening
    from reviewflow.stages.screening import prioritise, queue
    from reviewflow.store import queries

    assert team_project.settings.screening is not None
    team_project.settings.screening.ta.ranking = True
    team_project.save_settings()
    release = threading.Event()
    real = prioritise.SessionRanker._features

    def slow(project: Project, items: list[int]) -> object:
        release.wait(30)
        return real(project, items)

    monkeypatch.setattr(prioritise.SessionRanker, "_features", staticmethod(slow))
    monkeypatch.setattr(queue, "FIRST_WAIT_S", 0.0)
    with team_project.db.connect() as conn:
        first_id = min(r.id for r in queries.iter_records(conn))
    try:
        sign_in(app_client, "AB")
        answer = app_client.get(f"/api/p/{SLUG}/screen/ta/next").json()
        assert answer["ranking"] == "preparing"
        assert answer["item"]["item_id"] == first_id
        assert "Ranking is being prepared" in app_client.get(f"/p/{SLUG}/screen/ta").text
        release.set()
        screening.warm(team_project, stage="ta", reviewer="AB")
        assert app_client.get(f"/api/p/{SLUG}/screen/ta/next").json()["ranking"] == "ready"
        assert "Ranking is being prepared" not in app_client.get(f"/p/{SLUG}/screen/ta").text
    finally:
        release.set()
        queue.clear()


def test_a_reviewer_signing_in_behind_a_build_is_not_kept_waiting(
    app_client: TestClient, team_project: Project, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A team signing in together: the first reviewer's build is running, so the next
    # reviewer's cannot start within the first-request wait; their page opens at once.
    import threading
    import time

    from reviewflow.stages.screening import live, queue

    assert team_project.settings.screening is not None
    team_project.settings.screening.ta.ranking = True
    team_project.save_settings()
    release = threading.Event()
    monkeypatch.setattr(queue, "FIRST_WAIT_S", 20.0)
    live.background(lambda: release.wait(30), name="another reviewer's build")
    try:
        sign_in(app_client, "AB")
        t0 = time.monotonic()
        answer = app_client.get(f"/api/p/{SLUG}/screen/ta/next").json()
        waited = time.monotonic() - t0
        assert answer["ranking"] == "preparing"
        assert waited < 10, f"the first page waited {waited:.1f} s behind another build"
    finally:
        release.set()
        live.wait_idle(30)
        queue.clear()


def test_with_ranking_the_stopping_panel_shows_both_rules_and_the_plain_note(
    tmp_path, database_url: str
) -> None:
    from webkit import make_team_project

    from reviewflow.config_edit import load_document, set_stage_plan
    from reviewflow.web import create_app

    project = make_team_project(tmp_path / SLUG, database_url)
    config = project.root / "review.toml"
    doc = load_document(config)
    set_stage_plan(doc, "ta", ranking=True)
    config.write_text(doc.as_string(), encoding="utf-8")
    project.close()
    app = create_app(project.root)
    with TestClient(app, raise_server_exceptions=False, follow_redirects=False) as client:
        sign_in(client, "AB")
        _vote(client, 1, "include")
        _vote(client, 2, "exclude")
        page = client.get(f"/p/{SLUG}/screen/ta").text
        assert "Stopping rule" in page
        assert "<strong>arrival</strong> (decides)" in page and "ranked sample" in page
        assert "With 1 include found, 95% recall means finding all of them" in page
        api = client.get(f"/api/p/{SLUG}/screen/stopping").json()
        assert api["rule"] == "arrival" and set(api["rules"]) == {"arrival", "sampling"}
