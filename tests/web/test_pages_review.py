"""The review pages: conflicts (arbiter), agreement, duplicates and PRISMA, with their API
twins. The team project of conftest: AB screens every title/abstract and CD all of them
again, LA arbitrates, VW only reads; record 5's title carries a <script>."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from webkit import DATA, PASSWORD, SLUG, sign_in, signed_in_clients

import reviewflow as rf
from reviewflow.project import Project
from reviewflow.stages.dedup import DedupPolicy
from reviewflow.web import create_app
from reviewflow.web.routes.prisma import SVG_POLICY

Client = Callable[[str], TestClient]
HX = {"HX-Request": "true"}
SCRIPT = "<script>alert("


@pytest.fixture
def client_for(team_project: Project) -> Iterator[Client]:
    """A browser signed in as the given member (one app, one client per person)."""
    with signed_in_clients(team_project.root) as make:
        yield make


def vote(project: Project, who: str, item: int, decision: str, *, stage: str = "ta",
         reason: str | None = None) -> None:  # fmt: skip
    with project.session(actor=who):
        rf.decide(project, stage=stage, item_id=item, decision=decision, reason=reason)


def conflict_on(project: Project, item: int) -> None:
    """AB includes ``item`` and CD excludes it: a conflict for LA."""
    vote(project, "AB", item, "include")
    vote(project, "CD", item, "exclude")


def counts_shown(html: str) -> dict[str, str]:
    """PRISMA table cells of the page: field -> the count shown."""
    return dict(re.findall(r'data-field="([^"]+)">(?:<a [^>]*>)?([^<]+)(?:</a>)?', html))


def assert_escaped(html: str) -> None:
    assert SCRIPT not in html
    assert "&lt;script&gt;" in html


# -- conflicts --------------------------------------------------------------------------


def test_arbiter_sees_a_conflict_resolves_it_and_prisma_counts_change(
    team_project: Project, client_for: Client
) -> None:
    conflict_on(team_project, 1)
    vote(team_project, "AB", 2, "exclude")
    vote(team_project, "CD", 2, "exclude")
    la = client_for("LA")
    before = la.get(f"/api/p/{SLUG}/prisma").json()["counts"]

    page = la.get(f"/p/{SLUG}/conflicts?stage=ta")
    assert page.status_code == 200
    text = page.text
    assert "Link workers and loneliness" in text and "Hall, Jane; Okafor, Ben" in text
    assert "(2019)" in text
    assert re.search(r"<td>AB</td><td><span[^>]*>include</span>", text)
    assert re.search(r"<td>CD</td><td><span[^>]*>exclude</span>", text)
    assert "Knee replacement" not in text  # record 2: both excluded, no conflict

    answer = la.post(f"/p/{SLUG}/conflicts/ta/1", data={"decision": "exclude", "note": "no"},
                     headers=HX)  # fmt: skip
    assert answer.status_code == 200
    assert "resolved: exclude by LA" in answer.text and "<html" not in answer.text

    after_page = la.get(f"/p/{SLUG}/conflicts?stage=ta").text
    open_part = after_page.split('id="resolved-heading"')[0]
    assert "No conflicts: every double-screened record has agreeing votes" in open_part
    assert "resolved: exclude by LA" in after_page  # the resolved section
    after = la.get(f"/api/p/{SLUG}/prisma").json()["counts"]
    assert (before["records_excluded"], after["records_excluded"]) == (1, 2)
    shown = counts_shown(la.get(f"/p/{SLUG}/prisma").text)
    assert shown["records_excluded"] == "2"


def test_the_api_twin_lists_and_resolves_the_same_conflicts(
    team_project: Project, client_for: Client
) -> None:
    conflict_on(team_project, 1)
    conflict_on(team_project, 3)
    la = client_for("LA")
    listed = la.get(f"/api/p/{SLUG}/conflicts/ta").json()
    assert [c["item_id"] for c in listed["conflicts"]] == [1, 3]
    assert listed["conflicts"][0]["votes"]["CD"]["decision"] == "exclude"
    assert listed["conflicts"][1]["authors"] == ["Ng, Lee", "Patel, Asha"]
    ruling = la.post(f"/api/p/{SLUG}/conflicts/ta/3", json={"decision": "include"})
    assert ruling.status_code == 200 and ruling.json()["reviewer"] == "LA"
    again = la.get(f"/api/p/{SLUG}/conflicts/ta?include_resolved=true").json()
    assert (again["open"], again["resolved"]) == (1, 1)
    page = la.get(f"/p/{SLUG}/conflicts?stage=ta").text
    assert page.count('class="card conflict"') == 2  # one open, one resolved: as the API


def test_a_full_text_exclusion_needs_a_reason_from_the_plan(
    team_project: Project, client_for: Client, tmp_path: Path
) -> None:
    vote(team_project, "AB", 1, "include")
    vote(team_project, "CD", 1, "include")
    pdf = tmp_path / "hall2019.pdf"
    pdf.write_bytes(b"%PDF-1.4\n%%EOF\n")
    with team_project.session(actor="OW"):
        rf.create_reports(team_project)
        rf.attach_full_text(team_project, 1, file=pdf)
    vote(team_project, "AB", 1, "include", stage="ft")
    vote(team_project, "CD", 1, "exclude", stage="ft", reason="not adults")
    la = client_for("LA")
    page = la.get(f"/p/{SLUG}/conflicts").text  # the stage with the open conflict
    assert "required to exclude" in page and "<option>no qualitative data</option>" in page

    refused = la.post(f"/api/p/{SLUG}/conflicts/ft/1", json={"decision": "exclude"})
    assert refused.status_code == 422 and "needs a reason" in refused.json()["message"]
    inline = la.post(f"/p/{SLUG}/conflicts/ft/1", data={"decision": "exclude"}, headers=HX)
    assert inline.status_code == 200  # HTMX swaps the conflict back in with the message
    assert "needs a reason" in inline.text and 'id="conflict-1"' in inline.text
    plain = la.post(f"/p/{SLUG}/conflicts/ft/1", data={"decision": "exclude"})
    assert plain.status_code == 422 and "needs a reason" in plain.text

    done = la.post(f"/p/{SLUG}/conflicts/ft/1",
                   data={"decision": "exclude", "reason": "not adults"})  # fmt: skip
    assert done.status_code == 303
    counts = la.get(f"/api/p/{SLUG}/prisma").json()["counts"]
    assert counts["exclusion_reasons"] == [["not adults", 1]]


def test_only_the_arbiter_may_see_conflicts(team_project: Project, client_for: Client) -> None:
    conflict_on(team_project, 1)
    for who in ("AB", "VW"):
        client = client_for(who)
        page = client.get(f"/p/{SLUG}/conflicts")
        assert page.status_code == 403 and "Your role does not allow this" in page.text
        assert "Link workers" not in page.text
        api = client.get(f"/api/p/{SLUG}/conflicts/ta")
        assert api.status_code == 403 and api.json()["error"] == "Forbidden"
    owner = client_for("OW").get(f"/p/{SLUG}/conflicts")  # an owner, but not the plan's arbiter
    assert owner.status_code == 409 and "only the arbiter (LA)" in owner.text


# -- agreement --------------------------------------------------------------------------


def test_agreement_page_and_api_show_the_same_numbers(
    team_project: Project, client_for: Client
) -> None:
    decisions = ["include", "exclude", "include", "exclude", "exclude", "exclude"]
    for item, decision in enumerate(decisions, start=1):
        vote(team_project, "AB", item, decision)
        vote(team_project, "CD", item, "exclude" if item == 1 else decision)
    vw = client_for("VW")
    page = vw.get(f"/p/{SLUG}/agreement")
    assert page.status_code == 200 and "How to read κ" in page.text
    api = vw.get(f"/api/p/{SLUG}/agreement").json()
    pair = api["ta"]["pairs"][0]
    assert (pair["reviewers"], pair["n"]) == (["AB", "CD"], 6)
    row = page.text.split('data-pair="AB/CD"')[1].split("</tr>")[0]
    cells = dict(re.findall(r'data-stat="(\w+)">([^<]+)', row))
    kappa = pair["kappa"]
    assert cells["n"] == "6"
    assert cells["observed"] == f"{pair['percent_agreement'] * 100:.1f} %"
    assert (
        cells["kappa"] == f"{kappa['kappa']:.2f} ({kappa['ci_low']:.2f} to {kappa['ci_high']:.2f})"
    )
    assert cells["pabak"] == f"{pair['pabak']:.2f}"
    # no full texts yet: the page and the API say why there is nothing to compare
    assert "Full text screening: none of the items" in page.text
    assert api["ft"]["message"].startswith("Full text screening: none of the items")


# -- duplicates -------------------------------------------------------------------------


def queue_a_pair(project: Project) -> None:
    """Two parts of one paper: a pair the dedup policy sends to a person."""
    with project.session(actor="OW"):
        rf.import_file(project, DATA / "pairs.ris")
        rf.dedup(project, policy=DedupPolicy().with_actions(multi_part="review"))


def test_a_reviewer_decides_a_pair_and_can_undo_it(
    team_project: Project, client_for: Client
) -> None:
    queue_a_pair(team_project)
    ab = client_for("AB")
    page = ab.get(f"/p/{SLUG}/dedup")
    assert page.status_code == 200
    assert "1 left" in page.text and 'data-key="d"' in page.text
    assert re.search(r'class="pair-row differs".{0,80}Title', page.text)
    assert "fields the same: Authors, Year, Source, Volume, Issue" in page.text
    assert_escaped(page.text)
    queue = ab.get(f"/api/p/{SLUG}/dedup").json()
    assert queue["left"] == 1 and queue["first"]["a"] == 9
    pair = queue["pairs"][0]["pair_id"]

    decided = ab.post(f"/p/{SLUG}/dedup/pairs/{pair}", data={"decision": "duplicate"},
                      headers=HX)  # fmt: skip
    assert decided.status_code == 200
    assert "records 9 and 10 are the same record" in decided.text
    assert "No pairs are waiting for review" in decided.text
    assert ab.get(f"/api/p/{SLUG}/prisma").json()["counts"]["duplicates_removed"] == 1
    again = ab.post(f"/p/{SLUG}/dedup/pairs/{pair}", data={"decision": "duplicate"})
    assert again.status_code == 404  # decided already: not in the queue any more

    undone = ab.post(f"/p/{SLUG}/dedup/pairs/{pair}/undo",
                     data={"a": 9, "b": 10, "decision": "duplicate"}, headers=HX)  # fmt: skip
    assert "Undone" in undone.text and "different records" in undone.text
    found = ab.get(f"/api/p/{SLUG}/dedup").json()["found"]
    assert found["duplicates removed"] == 0
    assert 'data-found="duplicates removed">0<' in ab.get(f"/p/{SLUG}/dedup").text


def test_a_viewer_reads_the_queue_but_cannot_decide(
    team_project: Project, client_for: Client
) -> None:
    queue_a_pair(team_project)
    vw = client_for("VW")
    page = vw.get(f"/p/{SLUG}/dedup")
    assert page.status_code == 200 and "Same record" not in page.text
    pair = vw.get(f"/api/p/{SLUG}/dedup").json()["pairs"][0]["pair_id"]
    refused = vw.post(f"/p/{SLUG}/dedup/pairs/{pair}", data={"decision": "duplicate"})
    assert refused.status_code == 403
    api = vw.post(f"/api/p/{SLUG}/dedup/pairs/{pair}", json={"decision": "duplicate"})
    assert api.status_code == 403 and api.json()["error"] == "Forbidden"
    assert vw.get(f"/api/p/{SLUG}/dedup").json()["left"] == 1


def test_an_empty_queue_says_what_dedup_found(client_for: Client) -> None:
    page = client_for("VW").get(f"/p/{SLUG}/dedup").text
    assert "No pairs are waiting for review" in page
    assert "8 imported records have not been deduplicated yet" in page


# -- PRISMA -----------------------------------------------------------------------------


def test_prisma_page_embeds_the_figure_as_an_image_and_serves_it_safely(
    team_project: Project, client_for: Client
) -> None:
    with team_project.session(actor="OW"):
        rf.add_search(team_project, rf.SearchEntry(source="<script>alert(1)</script> Index",
                                                   records_returned=0))  # fmt: skip
    vw = client_for("VW")
    page = vw.get(f"/p/{SLUG}/prisma")
    assert page.status_code == 200
    assert re.search(rf'<img src="/p/{SLUG}/prisma.svg\?v=[0-9a-f]+"', page.text)
    assert "<svg" not in page.text and 'hx-trigger="every 30s"' in page.text
    assert_escaped(page.text)
    assert "The boxes add up." in page.text or "Does not add up" in page.text
    live = vw.get(f"/p/{SLUG}/prisma", headers=HX)
    assert "<html" not in live.text and 'id="prisma-live"' in live.text

    svg = vw.get(f"/p/{SLUG}/prisma.svg")
    assert svg.headers["content-type"].startswith("image/svg+xml")
    assert svg.headers["content-security-policy"] == SVG_POLICY
    assert "<script" not in svg.text and "&lt;script&gt;" in svg.text


def test_prisma_api_gives_the_numbers_the_page_shows(
    team_project: Project, client_for: Client
) -> None:
    vote(team_project, "AB", 2, "exclude")
    vote(team_project, "CD", 2, "exclude")
    vw = client_for("VW")
    api = vw.get(f"/api/p/{SLUG}/prisma").json()
    shown = counts_shown(vw.get(f"/p/{SLUG}/prisma").text)
    c = api["counts"]
    for field in ("duplicates_removed", "records_screened", "records_excluded",
                  "reports_sought", "studies_included"):  # fmt: skip
        assert shown[field] == f"{c[field]:,}", field
    assert shown["databases_total"] == f"{c['databases_n']:,}"
    assert (c["records_screened"], c["records_excluded"]) == (8, 1)
    assert isinstance(api["problems"], list)


def test_a_seed_project_shows_the_published_figures_recomputed(tmp_path: Path) -> None:
    """``[report] published = "seed"``: the page recomputes what the seed review states."""
    from reviewflow import accounts, demo

    project = demo.create_project(tmp_path / "demo")
    with project.session(actor="MC") as session:
        accounts.set_password(session.conn, "MC", PASSWORD)
    with TestClient(create_app(project.root), follow_redirects=False) as client:
        sign_in(client, "MC", slug="demo")
        page = client.get("/p/demo/prisma").text
        api = client.get("/api/p/demo/prisma").json()
    project.close()
    assert "The published review's figures, recomputed" in page
    studies = next(s for s in api["published"] if s["claim"] == "Studies included")
    assert studies == {"claim": "Studies included", "stated": "6", "computed": "6",
                       "agrees": True, "note": "derived from the full-text stage"}  # fmt: skip
    assert api["counts"]["studies_included"] == 6
    assert counts_shown(page)["studies_included"] == "6"


# -- every page escapes record text; every API error is JSON ------------------------------


def test_record_text_is_escaped_on_every_page(team_project: Project, client_for: Client) -> None:
    conflict_on(team_project, 5)  # record 5: <script> in the title
    queue_a_pair(team_project)
    la, ow = client_for("LA"), client_for("OW")
    pages = {
        "conflicts": la.get(f"/p/{SLUG}/conflicts").text,
        "dedup": ow.get(f"/p/{SLUG}/dedup").text,
        "agreement": ow.get(f"/p/{SLUG}/agreement").text,
        "prisma": ow.get(f"/p/{SLUG}/prisma").text,
    }
    assert "Social prescribing &amp; &lt;b&gt;wellbeing&lt;/b&gt;" in pages["conflicts"]
    for name, html in pages.items():
        assert SCRIPT not in html and "<b>wellbeing" not in html, name
        assert "&lt;a team review&gt;" in html, name  # the project title, in the header


def test_every_api_error_is_json(team_project: Project, client_for: Client) -> None:
    conflict_on(team_project, 1)
    la, ab = client_for("LA"), client_for("AB")
    vote(team_project, "AB", 2, "exclude")
    vote(team_project, "CD", 2, "exclude")
    undo = {"a": 1, "decision": "duplicate"}
    cases = [
        (la.get(f"/api/p/{SLUG}/conflicts/xx"), 422),
        (la.post(f"/api/p/{SLUG}/conflicts/ta/2", json={"decision": "include"}), 409),
        (la.post(f"/api/p/{SLUG}/conflicts/ta/999999", json={"decision": "include"}), 404),
        (la.post(f"/api/p/{SLUG}/conflicts/ta/1", json={"decision": "maybe"}), 422),
        (la.post(f"/api/p/{SLUG}/conflicts/ta/1", json={}), 422),
        (ab.get(f"/api/p/{SLUG}/conflicts/ta"), 403),
        (ab.post(f"/api/p/{SLUG}/dedup/pairs/999999", json={"decision": "duplicate"}), 404),
        (ab.post(f"/api/p/{SLUG}/dedup/pairs/1", json={"decision": "same"}), 422),
        (ab.post(f"/api/p/{SLUG}/dedup/pairs/1/undo", json={**undo, "b": 1}), 422),
        (ab.post(f"/api/p/{SLUG}/dedup/pairs/1/undo", json={**undo, "b": 999999}), 404),
    ]  # fmt: skip
    signed_out = TestClient(create_app(team_project.root), raise_server_exceptions=False)
    with signed_out:
        cases += [(signed_out.get(f"/api/p/{SLUG}/{path}"), 401)
                  for path in ("agreement", "prisma", "dedup", "conflicts/ta")]  # fmt: skip
    for response, status in cases:
        where = f"{response.request.method} {response.request.url.path}"
        assert response.status_code == status, (where, response.text)
        assert response.headers["content-type"].startswith("application/json"), where
        assert response.json()["message"], where


# -- in a browser: HTMX swaps, keys, and both screen sizes ---------------------------------


def test_in_chromium_the_arbiter_rules_in_place_and_pages_fit_a_phone(
    team_project: Project,
) -> None:
    from web_browser import chromium, live_server, signed_in_page

    conflict_on(team_project, 1)
    conflict_on(team_project, 5)
    queue_a_pair(team_project)
    problems: list[str] = []
    with live_server(team_project.root) as base, chromium() as browser:
        la = signed_in_page(browser, base, "LA", PASSWORD)
        la.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
        la.goto(f"{base}/p/{SLUG}/conflicts?stage=ta")
        la.locator("#conflict-1 button[value=exclude]").click()
        la.locator("#conflict-1.resolved").wait_for()
        assert "resolved: exclude by LA" in la.locator("#conflict-1").inner_text()
        assert la.locator("#conflict-5 button[value=include]").count() == 1  # still open

        ab = signed_in_page(browser, base, "AB", PASSWORD)
        ab.goto(f"{base}/p/{SLUG}/dedup")
        ab.keyboard.press("d")  # "Same record"
        ab.get_by_text("records 9 and 10 are the same record").wait_for()

        for who, path in (("LA", "conflicts"), ("AB", "dedup"), ("VW", "agreement"),
                          ("VW", "prisma")):  # fmt: skip
            phone = signed_in_page(browser, base, who, PASSWORD, width=390, height=844)
            phone.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
            phone.goto(f"{base}/p/{SLUG}/{path}")
            width = phone.evaluate("document.documentElement.scrollWidth")
            assert width <= 390, f"{path} is {width} px wide on a 390 px phone"
            phone.context.close()
        la.goto(f"{base}/p/{SLUG}/prisma")
        assert la.evaluate("document.querySelector('.prisma-figure img').naturalWidth") > 0
    assert not problems, problems  # no script or style refused by the CSP, no failed load


def test_an_undo_that_leaves_records_linked_through_a_third_says_so(
    team_project: Project, client_for: Client
) -> None:
    with team_project.session(actor="AB"):
        rf.decide_pair(team_project, 1, 3, duplicate=True)  # 3 is a copy of 1
        rf.decide_pair(team_project, 3, 2, duplicate=True)  # the decision to take back
    ab = client_for("AB")
    undone = ab.post(f"/api/p/{SLUG}/dedup/pairs/1/undo",
                     json={"a": 3, "b": 2, "decision": "duplicate"})  # fmt: skip
    assert undone.json()["still_linked_to"] == 1
    page = ab.post(f"/p/{SLUG}/dedup/pairs/1/undo",
                   data={"a": 3, "b": 2, "decision": "duplicate"}, headers=HX)  # fmt: skip
    assert "still in one duplicate group through record 1" in page.text
