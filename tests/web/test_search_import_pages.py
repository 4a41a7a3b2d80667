"""The search log and the import pages as an owner uses them: a search logged through
the form (problems shown beside their fields, nothing typed lost), an export uploaded and
its parse report read before anything is imported, the import confirmed at the count
shown, a damaged file named by file:line and refused, and duplicates found afterwards."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from fastapi.testclient import TestClient
from webkit import DATA, SLUG, csrf_of, sign_in

from reviewflow.project import Project
from reviewflow.stages.importing import pending

P = f"/p/{SLUG}"
API = f"/api/p/{SLUG}"
QUERY = "1 exp Social Prescribing/\n2 (link adj2 worker*).ti,ab.\n3 1 or 2"


def _as(client: TestClient, initials: str) -> str:
    client.cookies.clear()
    sign_in(client, initials)
    return csrf_of(client)


def _log(client: TestClient, csrf: str, **fields: str) -> Any:
    return client.post(f"{P}/searches", data={"csrf_token": csrf, **fields})


def _imported(client: TestClient) -> tuple[int, int]:
    """(imports, records) as the API lists them."""
    imports = client.get(f"{API}/imports").json()["imports"]
    return len(imports), sum(i["records"] for i in imports)


def _upload(
    client: TestClient, csrf: str, name: str, search: int, data: bytes | None = None
) -> Any:
    content = data if data is not None else (DATA / name).read_bytes()
    return client.post(
        f"{P}/import",
        data={"csrf_token": csrf, "search": str(search)},
        files={"file": (name, content, "application/x-research-info-systems")},
    )


def _upload_id(check: Any) -> str:
    """The name the upload waits under, from the parse report page's address."""
    found = re.search(r"upload=([0-9a-f]{64})", str(check.url))
    assert found, check.url
    return found.group(1)


def _new_search(client: TestClient, csrf: str, source: str = "CINAHL") -> int:
    made = _log(client, csrf, source=source, platform="EBSCOhost", date_searched="2022-03-22")
    assert made.status_code == 303, made.text
    found = re.search(r"#search-(\d+)", made.headers["location"])
    assert found
    return int(found.group(1))


def test_the_search_form_shows_each_problem_beside_its_field_and_keeps_what_was_typed(
    app_client: TestClient,
) -> None:
    csrf = _as(app_client, "OW")
    wrong = _log(
        app_client,
        csrf,
        source="  ",
        platform="Ovid",
        date_searched="21/03/2022",
        records_returned="about 300",
        query=QUERY,
        limits="English; humans",
    )
    assert wrong.status_code == 422
    html = wrong.text
    assert "3 fields to correct" in html
    listed = [html.index(f'href="#f-{k}"') for k in ("source", "date_searched", "records_returned")]
    assert listed == sorted(listed)  # the summary in the form's order, each a link to it
    assert re.search(r'id="e-source">A search needs the name of the database or source<', html)
    assert "Date searched &#39;21/03/2022&#39; is not a date. Write it as YYYY-MM-DD" in html
    assert "Records returned must be a whole number, e.g. 1203" in html
    assert 'id="f-date_searched" name="date_searched" type="text" value="21/03/2022"' in html
    assert 'value="Ovid"' in html and 'value="English; humans"' in html
    assert f">{QUERY}</textarea>" in html  # the query kept line for line
    assert app_client.get(f"{API}/searches").json()["databases"][0]["source"] == "Embase"

    made = _log(
        app_client,
        csrf,
        source="MEDLINE",
        platform="Ovid",
        date_searched="2022-03-21",
        records_returned="1,203",
        query=QUERY.replace("\n", "\r\n"),  # as a browser sends a textarea
        limits="English; humans",
    )
    assert made.status_code == 303
    listing = app_client.get(made.headers["location"])
    assert "The search is logged." in listing.text
    logged = app_client.get(f"{API}/searches").json()["databases"][-1]
    assert (logged["source"], logged["records_returned"], logged["query"]) == (
        "MEDLINE",
        1203,
        QUERY,
    )
    other = _log(app_client, csrf, source="Reference lists", method="citation searching")
    assert other.status_code == 303
    log = app_client.get(f"{API}/searches").json()
    assert [s["source"] for s in log["others"]] == ["Reference lists"]
    page = app_client.get(f"{P}/searches").text
    assert page.index("Reference lists") > page.index("Other methods")


def test_the_owner_corrects_a_logged_search_and_its_file_checksum_stays(
    app_client: TestClient,
) -> None:
    csrf = _as(app_client, "OW")
    before = app_client.get(f"{API}/searches/1").json()
    assert before["file_sha256"]
    form = app_client.get(f"{P}/searches/1")
    assert 'value="Embase"' in form.text and "Save changes" in form.text
    bad = app_client.post(
        f"{P}/searches/1",
        data={"csrf_token": csrf, "source": "Embase", "records_returned": "-3"},
    )
    assert bad.status_code == 422 and "Records returned cannot be negative" in bad.text
    saved = app_client.post(
        f"{P}/searches/1",
        data={"csrf_token": csrf, "source": "Embase", "platform": "Ovid", "records_returned": "9"},
    )
    assert saved.status_code == 303
    after = app_client.get(f"{API}/searches/1").json()
    assert (after["platform"], after["records_returned"]) == ("Ovid", 9)
    assert after["file_sha256"] == before["file_sha256"]
    assert [i["records"] for i in after["imports"]] == [8]


def test_an_upload_is_read_and_shown_and_nothing_is_imported_until_confirmed(
    app_client: TestClient, team_project: Project
) -> None:
    csrf = _as(app_client, "OW")
    search = _new_search(app_client, csrf)
    assert _imported(app_client) == (1, 8)
    uploaded = _upload(app_client, csrf, "cinahl_export.ris", search)
    assert uploaded.status_code == 303, uploaded.text
    check = app_client.get(uploaded.headers["location"])
    html = check.text
    assert check.status_code == 200
    assert re.search(r'data-report="records">3<', html)
    assert re.search(r'data-report="errors">0<', html)
    assert "<code>cinahl_export.ris:19</code> the last record has no ER line" in html
    # record text is escaped: the title's markup is shown as text, never as markup
    assert "Men&#39;s sheds and &lt;i&gt;mental&lt;/i&gt; health" in html
    assert "<i>mental</i>" not in html
    assert "Import 3 records" in html
    assert _imported(app_client) == (1, 8)  # read, not imported
    waiting = list((team_project.root / pending.PENDING_DIR).iterdir())
    assert [p.name for p in waiting] == [_upload_id(check)]

    upload = waiting[0].name
    done = app_client.post(
        f"{P}/import/confirm",
        data={"csrf_token": csrf, "upload": upload, "search": str(search), "records": "3"},
    )
    assert done.status_code == 303
    page = app_client.get(done.headers["location"])
    assert "Imported 3 records" in page.text and "for search 2" in page.text
    assert _imported(app_client) == (2, 11)
    logged = app_client.get(f"{API}/searches/{search}").json()
    assert logged["file_name"] == "cinahl_export.ris" and logged["file_sha256"] == upload
    assert logged["file_format"] == "ris"
    assert not (team_project.root / pending.PENDING_DIR / upload).exists()
    again = app_client.post(
        f"{P}/import/confirm",
        data={"csrf_token": csrf, "upload": upload, "search": str(search), "records": "3"},
    )
    assert again.status_code == 404 and "Upload the file again" in again.text
    assert _imported(app_client) == (2, 11)


def test_a_file_with_a_bad_line_is_named_by_line_and_cannot_be_imported(
    app_client: TestClient,
) -> None:
    csrf = _as(app_client, "OW")
    search = _new_search(app_client, csrf)
    check = app_client.get(_upload(app_client, csrf, "bad_line.ris", search).headers["location"])
    html = check.text
    assert "This file cannot be imported." in html
    assert "<code>bad_line.ris:8</code>: expected a tag line like" in html
    assert "Fix the file at line 8" in html
    assert "/import/confirm" not in html and "Import 0 records" not in html
    upload = _upload_id(check)
    forced = app_client.post(
        f"{P}/import/confirm",
        data={"csrf_token": csrf, "upload": upload, "search": str(search), "records": "2"},
    )
    assert forced.status_code == 422 and "bad_line.ris:8" in forced.text
    assert _imported(app_client) == (1, 8)
    assert app_client.get(f"{API}/searches/{search}").json()["file_sha256"] is None
    cancelled = app_client.post(f"{P}/import/cancel", data={"csrf_token": csrf, "upload": upload})
    assert "nothing was imported" in app_client.get(cancelled.headers["location"]).text


def test_a_count_other_than_the_one_shown_and_a_file_imported_before_are_refused(
    app_client: TestClient,
) -> None:
    csrf = _as(app_client, "OW")
    search = _new_search(app_client, csrf)
    check = app_client.get(
        _upload(app_client, csrf, "cinahl_export.ris", search).headers["location"]
    )
    upload = _upload_id(check)
    wrong = app_client.post(
        f"{P}/import/confirm",
        data={"csrf_token": csrf, "upload": upload, "search": str(search), "records": "4"},
    )
    assert wrong.status_code == 409 and "not the 4 that were shown" in wrong.text
    assert _imported(app_client) == (1, 8)

    same = app_client.get(_upload(app_client, csrf, "records.ris", 1).headers["location"])
    assert "was already imported (import 1" in same.text
    assert "/import/confirm" not in same.text


def test_a_search_logged_from_the_upload_page_comes_back_to_it_chosen(
    app_client: TestClient,
) -> None:
    csrf = _as(app_client, "OW")
    assert 'href="/p/review/searches/new?next=import"' in app_client.get(f"{P}/import").text
    form = app_client.get(f"{P}/searches/new?next=import")
    assert 'action="/p/review/searches?next=import"' in form.text
    assert "Log it and import its file" in form.text
    made = app_client.post(
        f"{P}/searches?next=import", data={"csrf_token": csrf, "source": "Scopus"}
    )
    assert made.headers["location"] == f"{P}/import?search=2"
    assert (
        '<option value="2" selected>2: Scopus</option>'
        in app_client.get(made.headers["location"]).text
    )
    elsewhere = app_client.post(
        f"{P}/searches?next=https://evil.example", data={"csrf_token": csrf, "source": "X"}
    )
    assert elsewhere.headers["location"].startswith(f"{P}/searches?done=added")


def test_the_upload_needs_a_search_and_a_file(app_client: TestClient) -> None:
    csrf = _as(app_client, "OW")
    no_search = app_client.post(
        f"{P}/import",
        data={"csrf_token": csrf, "search": ""},
        files={"file": ("a.ris", b"TY  - JOUR\nER  - \n", "text/plain")},
    )
    assert (
        no_search.status_code == 422 and "Choose the search this file came from" in no_search.text
    )
    no_file = app_client.post(
        f"{P}/import",
        data={"csrf_token": csrf, "search": "1"},
        files={"file": ("", b"", "application/octet-stream")},
    )
    assert no_file.status_code == 422 and "choose the exported file to read" in no_file.text


def test_viewers_and_reviewers_read_the_log_but_only_the_owner_changes_it(
    app_client: TestClient,
) -> None:
    for who in ("VW", "AB"):
        csrf = _as(app_client, who)
        log = app_client.get(f"{P}/searches")
        assert log.status_code == 200 and "Embase" in log.text
        assert "Log a database search" not in log.text
        view = app_client.get(f"{P}/searches/1")
        assert view.status_code == 200 and "Save changes" not in view.text
        imports = app_client.get(f"{P}/import")
        assert imports.status_code == 200 and "Upload an export" not in imports.text
        assert app_client.get(f"{P}/searches/new").status_code == 403
        assert _log(app_client, csrf, source="Scopus").status_code == 403
        assert _upload(app_client, csrf, "cinahl_export.ris", 1).status_code == 403
        assert app_client.post(f"{P}/dedup/run", data={"csrf_token": csrf}).status_code == 403
    assert _imported(app_client) == (1, 8)


def test_find_duplicates_after_an_import_links_the_record_found_twice(
    app_client: TestClient,
) -> None:
    csrf = _as(app_client, "OW")
    search = _new_search(app_client, csrf)
    check = app_client.get(
        _upload(app_client, csrf, "cinahl_export.ris", search).headers["location"]
    )
    upload = _upload_id(check)
    app_client.post(
        f"{P}/import/confirm",
        data={"csrf_token": csrf, "upload": upload, "search": str(search), "records": "3"},
    )
    before = app_client.get(f"{P}/import").text
    assert re.search(r'data-found="not yet deduplicated">11<', before)
    assert "Find duplicates" in before
    ran = app_client.post(f"{P}/dedup/run", data={"csrf_token": csrf})
    assert ran.status_code == 303
    after = app_client.get(ran.headers["location"]).text
    assert "Deduplication ran" in after
    assert re.search(r'data-found="duplicates removed">1<', after)  # Hall 2019, twice
    assert re.search(r'data-found="not yet deduplicated">0<', after)
    assert "Find duplicates" not in after
    dedup = app_client.get(f"{P}/dedup").text
    assert re.search(r'data-found="duplicates removed">1<', dedup)
    again = app_client.post(f"{API}/dedup/run", headers={"X-CSRF-Token": csrf})
    assert again.json()["run_id"] is None  # nothing new since


def test_the_api_reads_logs_and_imports_as_the_pages_do(app_client: TestClient) -> None:
    csrf = _as(app_client, "OW")
    headers = {"X-CSRF-Token": csrf}
    refused = app_client.post(
        f"{API}/searches",
        json={"source": "", "date_searched": "March 2022", "records_returned": "lots"},
        headers=headers,
    )
    assert refused.status_code == 422
    assert set(refused.json()["fields"]) == {"source", "date_searched", "records_returned"}
    made = app_client.post(
        f"{API}/searches",
        json={"source": "PsycINFO", "platform": "Ovid", "records_returned": 3},
        headers=headers,
    )
    assert made.status_code == 201
    search = made.json()["id"]
    preview = app_client.post(
        f"{API}/imports/preview",
        data={"search_id": str(search)},
        files={"file": ("psycinfo.ris", (DATA / "cinahl_export.ris").read_bytes(), "text/plain")},
        headers=headers,
    ).json()
    assert (preview["records"], preview["can_import"], preview["format"]) == (3, True, "ris")
    assert preview["warnings"] == [
        {
            "line": 19,
            "message": "the last record has no ER line (the file may be truncated); kept it",
        }
    ]
    assert preview["sample"][1]["title"].startswith("Men's sheds and <i>mental</i>")
    assert _imported(app_client) == (1, 8)
    done = app_client.post(
        f"{API}/imports/confirm",
        json={"upload": preview["upload"], "search_id": search, "records": 3},
        headers=headers,
    ).json()
    assert (done["records"], done["search_id"], done["file"]) == (3, search, "psycinfo.ris")
    assert _imported(app_client) == (2, 11)

    bad = app_client.post(
        f"{API}/imports/preview",
        data={"search_id": str(search)},
        files={"file": ("bad.ris", (DATA / "bad_line.ris").read_bytes(), "text/plain")},
        headers=headers,
    ).json()
    assert bad["can_import"] is False
    assert (bad["error"]["file"], bad["error"]["line"]) == ("bad.ris", 8)


def test_an_upload_past_the_size_cap_is_refused_before_it_is_read(
    app_client: TestClient, monkeypatch: Any, tmp_path: Path
) -> None:
    csrf = _as(app_client, "OW")
    monkeypatch.setenv("REVIEWFLOW_MAX_FULLTEXT_MB", "1")  # the server's upload cap: 2 MB
    big = b"TY  - JOUR\nTI  - x\nER  - \n" * 120_000  # 3 MB
    refused = _upload(app_client, csrf, "big.ris", 1, data=big)
    assert refused.status_code == 413 and "nothing was saved" in refused.text
    assert _imported(app_client) == (1, 8)
