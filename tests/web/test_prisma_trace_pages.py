"""Every number on the PRISMA page links to the list of what it counts, and each list has
exactly as many entries as the number says; blind where the plan is blind.

The team project of conftest (AB and CD screen every title/abstract, LA arbitrates, VW
reads; record 5's title carries a <script>), with a register search logged by hand, some
screening at both stages and a report not retrieved.
"""

from __future__ import annotations

import html
import re
from collections.abc import Callable, Iterator
from pathlib import Path
from urllib.parse import unquote

import pytest
from fastapi.testclient import TestClient
from webkit import PASSWORD, SLUG, sign_in, signed_in_clients

import reviewflow as rf
from reviewflow.project import Project
from reviewflow.stages import retrieval, screening
from reviewflow.web import create_app

Client = Callable[[str], TestClient]
LINK = re.compile(r'<a class="box-link" href="([^"]+)" data-count="(\d+)"')
SCRIPT = "<script>alert("


@pytest.fixture
def client_for(team_project: Project) -> Iterator[Client]:
    with signed_in_clients(team_project.root) as make:
        yield make


def vote(project: Project, who: str, item: int, decision: str, *, stage: str = "ta",
         reason: str | None = None) -> None:  # fmt: skip
    with project.session(actor=who):
        rf.decide(project, stage=stage, item_id=item, decision=decision, reason=reason)


@pytest.fixture
def screened(team_project: Project, tmp_path: Path) -> Project:
    """Records 1-4 included (4 through LA), 5-6 excluded, 7-8 waiting; of the 4 reports
    one is not retrieved, one included and one excluded at full text, one in conflict."""
    project = team_project
    with project.session(actor="OW"):
        typed = rf.SearchEntry(source="ISRCTN", method="register", records_returned=3)
        rf.add_search(project, typed)
        hand = rf.SearchEntry(source="Reference lists", method="citation searching",
                              records_returned=2)  # fmt: skip
        rf.add_search(project, hand)
    for item in (1, 2, 3):
        vote(project, "AB", item, "include")
        vote(project, "CD", item, "include")
    vote(project, "AB", 4, "include")
    vote(project, "CD", 4, "exclude")
    vote(project, "LA", 4, "include")
    for item in (5, 6):
        vote(project, "AB", item, "exclude")
        vote(project, "CD", item, "exclude")
    with project.session(actor="OW"):
        missing, *kept = screening.create_reports(project)
    with project.session(actor="AB"):
        retrieval.not_retrieved(project, missing, reason="interlibrary loan refused")
        for k, rid in enumerate(kept):
            pdf = tmp_path / f"paper{k}.pdf"
            pdf.write_bytes(b"%PDF-1.4 full text " + str(k).encode())
            retrieval.retrieve(project, rid, file=pdf)
    yes, no, torn = kept
    for who in ("AB", "CD"):
        vote(project, who, yes, "include", stage="ft")
        vote(project, who, no, "exclude", stage="ft", reason="not adults")
    vote(project, "AB", torn, "include", stage="ft")
    vote(project, "CD", torn, "exclude", stage="ft", reason="not adults")
    return project


def entries_of(page: str) -> list[tuple[str, int | None]]:
    """(kind, n) of every entry a list page shows."""
    found = re.findall(r'<li class="trace-entry[^"]*" data-kind="(\w+)" data-n="(\d*)"', page)
    return [(kind, int(n) if n else None) for kind, n in found]


def entry(page: str, item: int) -> str:
    """The HTML of one entry of a list page."""
    return page.split(f'data-id="{item}"')[1].split('class="trace-entry')[0]


def follow_every_link(client: TestClient) -> dict[str, int]:
    """Follow every count link of the PRISMA page; each list has as many as its number.
    Returns link -> number."""
    prisma_page = client.get(f"/p/{SLUG}/prisma")
    assert prisma_page.status_code == 200
    links = {html.unescape(href): int(n) for href, n in LINK.findall(prisma_page.text)}
    for href, number in links.items():
        listed = client.get(href)
        assert listed.status_code == 200, (href, listed.text[:500])
        assert f'data-count="{number}"' in listed.text, href  # the number linked, again
        entries = entries_of(listed.text)
        assert sum(n or 0 for _, n in entries) == number, href
        if not any(kind in ("search", "declared") for kind, _ in entries):
            assert len(entries) == number, href
        assert SCRIPT not in listed.text, href
    figure = client.get(f"/p/{SLUG}/prisma.svg").text  # the boxes of the full-size figure
    boxes = re.findall(r'<a href="([^"]+)">\s*<g id="box-[a-z_]+">(.*?)</g>', figure, re.S)
    assert len(boxes) >= 6
    for href, inside in boxes:
        number = re.findall(r"\(n = ([\d,]+)\)", inside)
        listed = client.get(href)
        assert listed.status_code == 200, href
        if not number:  # "not reported" (the other-methods column's own boxes here)
            assert "not reported" in inside and entries_of(listed.text) == [], href
            continue
        assert len(entries_of(listed.text)) == int(number[0].replace(",", "")), href
    return links


def test_every_number_on_the_prisma_page_leads_to_as_many_entries_as_it_says(
    screened: Project, client_for: Client
) -> None:
    for who in ("VW", "AB", "LA", "OW"):
        client = client_for(who)
        links = follow_every_link(client)
        shown = re.findall(r'data-field="[^"]+">(.*?)</td>', client.get(f"/p/{SLUG}/prisma").text)
        reported = [cell for cell in shown if "not reported" not in cell]
        assert len(reported) == len(links), "every number is a link"
        paths = {unquote(href.split(f"/p/{SLUG}/prisma/box/")[1]) for href in links}
        assert {"records_screened", "records_excluded", "duplicates", "dbr_excluded",
                "database_results?part=Embase", "register_results", "dbr_excluded?part=not adults",
                "dbr_notretrieved_reports", "new_studies", "new_reports"} <= paths  # fmt: skip
        assert links[f"/p/{SLUG}/prisma/box/records_excluded"] == 2
        assert links[f"/p/{SLUG}/prisma/box/register_results"] == 3
        assert links[f"/p/{SLUG}/prisma/box/citations_results"] == 2  # other methods' total
        assert links[f"/p/{SLUG}/prisma/box/citations_results?part=Citation%20searching"] == 2
    with screened.session(actor="LA"):
        screening.close_stage(screened, stage="ta", reviewer="LA", force=True)
        screening.close_stage(screened, stage="ft", reviewer="LA", force=True)
    follow_every_link(client_for("VW"))


def test_a_list_names_only_what_blindness_lets_the_viewer_see(
    screened: Project, client_for: Client
) -> None:
    ab, la = client_for("AB"), client_for("LA")
    excluded = ab.get(f"/p/{SLUG}/prisma/box/records_excluded").text
    assert excluded.count("counted but not named while screening is blind") == 2
    assert "title/abstract screening is blind" in excluded
    screened_list = ab.get(f"/p/{SLUG}/prisma/box/records_screened").text
    assert "&lt;script&gt;" in screened_list and SCRIPT not in screened_list  # record 5
    record_4 = entry(screened_list, 4)
    assert "<strong>AB</strong>" in record_4 and "<strong>CD</strong>" not in record_4
    assert "2 other votes hidden while screening is blind" in record_4  # CD's and LA's
    ruled = la.get(f"/p/{SLUG}/prisma/box/records_screened").text
    record_4 = entry(ruled, 4)
    assert "<strong>CD</strong>" in record_4 and "(arbiter)" in record_4  # it reached LA
    with screened.session(actor="LA"):
        screening.close_stage(screened, stage="ta", reviewer="LA", force=True)
    vw = client_for("VW")
    after = vw.get(f"/p/{SLUG}/prisma/box/records_excluded").text
    assert "not named" not in after and after.count("<strong>CD</strong>") == 2
    missing = vw.get(f"/p/{SLUG}/prisma/box/dbr_notretrieved_reports").text
    assert "interlibrary loan refused" in missing and "<strong>AB</strong>" in missing


def test_the_api_twin_gives_the_page_s_entries_and_errors_say_what_to_do(
    screened: Project, client_for: Client
) -> None:
    vw = client_for("VW")
    api = vw.get(f"/api/p/{SLUG}/prisma/box/dbr_excluded", params={"part": "not adults"})
    assert api.status_code == 200
    body = api.json()
    assert (body["box"], body["part"], body["count"], body["total"]) == (
        "dbr_excluded", "not adults", 1, 1
    )  # fmt: skip
    assert [e["hidden"] for e in body["entries"]] == [True]  # full text still blind for VW
    page = vw.get(f"/p/{SLUG}/prisma/box/dbr_excluded", params={"part": "not adults"}).text
    assert len(entries_of(page)) == len(body["entries"])
    unknown = vw.get(f"/api/p/{SLUG}/prisma/box/records_included")
    assert unknown.status_code == 404 and "records_screened" in str(unknown.json())
    line = vw.get(f"/p/{SLUG}/prisma/box/database_results", params={"part": "Scopus"})
    assert line.status_code == 404 and "Embase" in line.text
    with TestClient(create_app(screened.root), follow_redirects=False) as signed_out:
        assert signed_out.get(f"/api/p/{SLUG}/prisma/box/duplicates").status_code == 401
        assert signed_out.get(f"/p/{SLUG}/prisma/box/duplicates").status_code in (302, 303)


# -- agreement: each count links to the items it is over ---------------------------------


def test_every_agreement_count_leads_to_the_items_it_is_over(
    screened: Project, client_for: Client
) -> None:
    with screened.session(actor="OW", write=False):
        reports = screening.agreement(screened)
    assert reports["ta"].pairs[0].n == 6 and reports["ft"].pairs[0].n == 3
    for who in ("VW", "AB"):
        client = client_for(who)
        page = client.get(f"/p/{SLUG}/agreement").text
        links = {html.unescape(href): int(n) for href, n in LINK.findall(page)}
        assert links == {
            f"/p/{SLUG}/agreement/ta/items": reports["ta"].n_multiply_rated,
            f"/p/{SLUG}/agreement/ta/items?pair=AB/CD": 6,
            f"/p/{SLUG}/agreement/ft/items": reports["ft"].n_multiply_rated,
            f"/p/{SLUG}/agreement/ft/items?pair=AB/CD": 3,
        }
        for href, number in links.items():
            listed = client.get(href)
            assert listed.status_code == 200, href
            assert len(entries_of(listed.text)) == number, href
            assert SCRIPT not in listed.text
    ab = client_for("AB").get(f"/api/p/{SLUG}/agreement/ta/items", params={"pair": "AB/CD"})
    items = ab.json()["items"]
    assert all(set(i["votes"]) == {"AB"} and i["hidden"] == 1 for i in items)  # blind
    with screened.session(actor="LA"):
        screening.close_stage(screened, stage="ta", reviewer="LA", force=True)
    vw = client_for("VW").get(f"/api/p/{SLUG}/agreement/ta/items", params={"pair": "AB/CD"})
    votes = {i["item_id"]: i["votes"] for i in vw.json()["items"]}
    assert (votes[4]["AB"]["decision"], votes[4]["CD"]["decision"]) == ("include", "exclude")
    assert "LA" not in votes[4]  # the arbiter's ruling is not an independent vote
    bad = client_for("VW").get(f"/api/p/{SLUG}/agreement/ta/items", params={"pair": "AB"})
    assert bad.status_code == 422 and "pair=AB/CD" in str(bad.json())


# -- in Chromium: from the full-size figure and the table to the lists ---------------------


def test_in_chromium_a_box_of_the_figure_and_a_number_of_the_table_open_their_lists(
    screened: Project,
) -> None:
    from web_browser import chromium, live_server, signed_in_page

    problems: list[str] = []
    with live_server(screened.root) as base, chromium() as browser:
        vw = signed_in_page(browser, base, "VW", PASSWORD)
        vw.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
        vw.goto(f"{base}/p/{SLUG}/prisma")
        vw.locator("td[data-field='records_excluded'] a").click()
        vw.wait_for_url(f"**/p/{SLUG}/prisma/box/records_excluded")
        assert vw.locator(".trace-entry").count() == 2
        vw.goto(f"{base}/p/{SLUG}/prisma.svg")  # the figure opened full size
        vw.locator("#box-screened").click()
        vw.wait_for_url(f"**/p/{SLUG}/prisma/box/records_screened")
        assert vw.locator(".trace-entry").count() == 8
        phone = signed_in_page(browser, base, "VW", PASSWORD, width=390, height=844)
        phone.goto(f"{base}/p/{SLUG}/prisma/box/records_screened")
        width = phone.evaluate("document.documentElement.scrollWidth")
        assert width <= 390, f"the list is {width} px wide on a 390 px phone"
    assert not problems, problems


# -- the theme x study matrix: a cell's coded segments -------------------------------------


def test_a_matrix_cell_lists_the_segments_it_counts_with_their_codings(tmp_path: Path) -> None:
    from reviewflow import accounts
    from reviewflow.settings import Reviewer
    from reviewflow.stages import studies
    from reviewflow.stages.synthesis import codes, findings, themes
    from reviewflow.stages.synthesis.segments import Block

    project = Project.create(
        tmp_path / SLUG,
        title="Coding",
        question="?",
        reviewers=[
            Reviewer(initials="MC", name="M C", roles=["owner"]),
            Reviewer(initials="VW", name="V W", roles=["viewer"]),
        ],
        owner="MC",
    )
    with project.session(actor="MC") as session:
        for who in ("MC", "VW"):
            accounts.set_password(session.conn, who, PASSWORD)
        study = studies.add_study(project, "Moffatt 2017")
        other = studies.add_study(project, "Wildman 2019")
        findings.store_blocks(
            project,
            study,
            [Block("Trust grew slowly.", page=2), Block("<script>alert(1)</script> mattered.")],
            file_name="m.txt",
        )
        findings.store_blocks(project, other, [Block("Nothing here.")], file_name="w.txt")
        trust = codes.create_code(project, "trust")
        for seg in findings.list_segments(project, study=study):
            codes.apply_code(project, seg["id"], trust, reviewer="MC")
        theme = themes.create_theme(project, "Relationship", kind="descriptive",
                                    description="d", label="1.1", codes=[trust])  # fmt: skip
    (row,) = themes.matrix(project)
    expected = row.segments_by_study[study]
    assert expected >= 2
    try:
        with TestClient(create_app(project.root), follow_redirects=False) as vw:
            sign_in(vw, "VW")
            page = vw.get(f"/p/{SLUG}/matrix/cell", params={"theme": theme, "study": study})
            assert page.status_code == 200
            assert f'data-count="{expected}"' in page.text
            assert len(entries_of(page.text)) == expected
            assert SCRIPT not in page.text and "&lt;script&gt;" in page.text
            assert "<strong>MC</strong> coded <em>trust</em>" in page.text
            api = vw.get(f"/api/p/{SLUG}/matrix/cell", params={"theme": theme, "study": other})
            assert (api.json()["count"], api.json()["segments"]) == (0, [])
            missing = vw.get(f"/api/p/{SLUG}/matrix/cell", params={"theme": 999, "study": study})
            assert missing.status_code == 404
    finally:
        project.close()


# -- Table 1: an aggregate's studies --------------------------------------------------------


def test_a_table_1_aggregate_lists_the_studies_its_sentence_counts(tmp_path: Path) -> None:
    from reviewflow import accounts, demo

    project = demo.create_project(tmp_path / "demo")
    with project.session(actor="MC") as session:
        accounts.set_password(session.conn, "MC", PASSWORD)
    try:
        with TestClient(create_app(project.root), follow_redirects=False) as mc:
            sign_in(mc, "MC", slug="demo")
            page = mc.get("/p/demo/table1/aggregate", params={"field": "age_mean"})
            assert page.status_code == 200
            assert "range 46.5–76.7 (not reported by 2 of 6)" in page.text
            assert len(entries_of(page.text)) == 6
            assert page.text.count('data-counted="no"') == 2 and 'data-count="4"' in page.text
            api = mc.get("/api/p/demo/table1/aggregate", params={"field": "sample_size"}).json()
            assert sum(int(e["value"]) for e in api["entries"] if e["counted"]) == 221
            wrong = mc.get("/api/p/demo/table1/aggregate", params={"field": "participants"})
            assert wrong.status_code == 404 and "sample_size" in str(wrong.json())
    finally:
        project.close()


def test_a_long_list_is_paged_and_the_pages_hold_every_entry_once(
    screened: Project, client_for: Client, monkeypatch: pytest.MonkeyPatch
) -> None:
    from reviewflow.web.routes import prisma as prisma_routes

    monkeypatch.setattr(prisma_routes, "BOX_PAGE", 3)
    vw = client_for("VW")
    href, seen = f"/p/{SLUG}/prisma/box/records_screened", []
    while href:
        listed = vw.get(href).text
        seen += re.findall(r'class="trace-entry[^"]*"[^>]*data-id="(\d+)"', listed)
        found = re.search(r'<a href="([^"]+)" rel="next">', listed)
        href = html.unescape(found[1]) if found else ""
    assert seen == [str(i) for i in range(1, 9)]  # 8 records on pages of 3, once each
    assert "Page 3 of 3" in listed
