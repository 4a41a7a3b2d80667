"""The full-text pages as a team uses them: reports made from included records, a PDF
uploaded and shown beside the screening form, both reviewers excluding it with a reason,
a report that could not be obtained, and uploads that must never become a page here."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from webkit import SLUG, csrf_of, sign_in

P = f"/p/{SLUG}"
API = f"/api/p/{SLUG}"
REASON = "no qualitative data"


def _as(client: TestClient, initials: str) -> str:
    client.cookies.clear()
    sign_in(client, initials)
    return csrf_of(client)


def _vote(client: TestClient, csrf: str, stage: str, item: int, decision: str, **extra: str) -> Any:
    data = {"decision": decision, "csrf_token": csrf, **extra}
    return client.post(f"{P}/screen/{stage}/{item}/decide", data=data)


def _include_at_ta(client: TestClient, *records: int) -> None:
    for who in ("AB", "CD"):
        csrf = _as(client, who)
        for record in records:
            assert _vote(client, csrf, "ta", record, "include").status_code == 303


def _upload(client: TestClient, csrf: str, report: int, name: str, data: bytes) -> Any:
    return client.post(
        f"{P}/fulltext/{report}/file",
        data={"csrf_token": csrf},
        files={"file": (name, data, "application/octet-stream")},
    )


@pytest.fixture
def pdf(tmp_path: Path, tiny_pdf: Callable[..., Path]) -> bytes:
    path = tiny_pdf(tmp_path / "hall.pdf", ["Link workers and loneliness", "Findings"])
    return path.read_bytes()


def test_a_pdf_is_uploaded_shown_and_excluded_by_both_reviewers_with_a_reason(
    app_client: TestClient, pdf: bytes
) -> None:
    _include_at_ta(app_client, 1)
    csrf = _as(app_client, "AB")
    listing = app_client.get(f"{P}/fulltext")
    assert "Create reports from included records" in listing.text
    assert "1 record included at title/abstract has no report yet" in listing.text
    made = app_client.post(f"{P}/fulltext/reports", data={"csrf_token": csrf})
    assert made.status_code == 303
    listing = app_client.get(made.headers["location"])
    assert "1 reports created" in listing.text
    assert "Create reports from included records" not in listing.text
    assert "Link workers and loneliness" in listing.text and "sought" in listing.text

    uploaded = _upload(app_client, csrf, 1, "Hall 2019 (final).pdf", pdf)
    assert uploaded.status_code == 303, uploaded.text
    page = app_client.get(uploaded.headers["location"])
    assert "The full text is attached." in page.text
    assert f'<iframe src="{P}/fulltext/1/file"' in page.text
    assert "attached by AB" in page.text

    served = app_client.get(f"{P}/fulltext/1/file")
    assert served.status_code == 200 and served.content == pdf
    assert served.headers["content-type"] == "application/pdf"
    assert served.headers["content-disposition"].startswith("inline;")
    assert "filename*=UTF-8''Hall%202019%20%28final%29.pdf" in served.headers["content-disposition"]
    assert served.headers["x-content-type-options"] == "nosniff"

    screen = app_client.get(f"{P}/screen/ft")
    assert screen.status_code == 200, screen.text
    assert f'<iframe src="{P}/fulltext/1/file"' in screen.text
    assert "(required)" in screen.text  # the ft plan requires a reason to exclude
    assert "full text · report 1" in screen.text

    refused = _vote(app_client, csrf, "ft", 1, "exclude")
    assert refused.status_code == 422 and "reason" in refused.text
    assert _vote(app_client, csrf, "ft", 1, "exclude", reason=REASON).status_code == 303
    csrf = _as(app_client, "CD")
    assert _vote(app_client, csrf, "ft", 1, "exclude", reason=REASON).status_code == 303

    counts = app_client.get(f"{API}/fulltext").json()["counts"]
    assert counts["reports_excluded"] == 1
    assert counts[f"reports_excluded: {REASON}"] == 1
    listing = app_client.get(f"{P}/fulltext")
    assert "Reports excluded, with reasons" in listing.text
    assert f"<span>{REASON}</span> <strong>1</strong>" in listing.text


def test_a_report_not_retrieved_shows_its_reason_in_the_list_and_the_counts(
    app_client: TestClient,
) -> None:
    _include_at_ta(app_client, 1, 3)
    csrf = _as(app_client, "OW")
    app_client.post(f"{P}/fulltext/reports", data={"csrf_token": csrf})
    missing = app_client.post(f"{P}/fulltext/3/not-retrieved", data={"csrf_token": csrf})
    assert missing.status_code == 422 and "say why" in missing.text
    why = "not found after contacting the authors"
    done = app_client.post(
        f"{P}/fulltext/3/not-retrieved", data={"csrf_token": csrf, "reason": why}
    )
    assert done.status_code == 303
    listing = app_client.get(f"{P}/fulltext?status=not_retrieved")
    assert why in listing.text and "Arts on prescription" in listing.text
    assert "Link workers and loneliness" not in listing.text  # report 1 is still sought
    counts = app_client.get(f"{API}/summary").json()["counts"]
    assert counts["reports_not_retrieved"] == 1 and counts["reports_sought"] == 2
    detail = app_client.get(f"{API}/fulltext/3").json()
    assert detail["status"] == "not_retrieved" and detail["not_retrieved_reason"] == why
    assert detail["last_event"]["reviewer"] == "OW"


def test_an_uploaded_web_page_is_never_served_inline(app_client: TestClient) -> None:
    _include_at_ta(app_client, 1)
    csrf = _as(app_client, "AB")
    app_client.post(f"{P}/fulltext/reports", data={"csrf_token": csrf})
    page = b"<html><script>alert(document.cookie)</script></html>"
    assert _upload(app_client, csrf, 1, "paper.html", page).status_code == 303
    served = app_client.get(f"{P}/fulltext/1/file")
    assert served.status_code == 200 and served.content == page
    assert served.headers["content-disposition"].startswith("attachment;")
    assert "html" not in served.headers["content-type"]
    assert "sandbox" in served.headers["content-security-policy"]
    detail = app_client.get(f"{P}/fulltext/1")
    assert "<iframe" not in detail.text and "Download paper.html" in detail.text
    screen = app_client.get(f"{P}/screen/ft")
    assert screen.status_code == 200 and "Download paper.html" in screen.text
    assert "<iframe" not in screen.text


def test_uploads_that_are_empty_or_not_a_pdf_or_too_big_get_a_clear_page(
    app_client: TestClient, pdf: bytes, monkeypatch: pytest.MonkeyPatch
) -> None:
    _include_at_ta(app_client, 1)
    csrf = _as(app_client, "AB")
    app_client.post(f"{P}/fulltext/reports", data={"csrf_token": csrf})
    cases = [
        ("empty.pdf", b"", "the file is empty"),
        ("paper.pdf", b"<html>a login page</html>", "not a PDF"),
        ("setup.exe", b"MZ\x90\x00", "not a full-text file"),
    ]
    for name, data, said in cases:
        response = _upload(app_client, csrf, 1, name, data)
        assert response.status_code == 422, name
        assert said in response.text and "Attach the full text" in response.text
    monkeypatch.setenv("REVIEWFLOW_MAX_FULLTEXT_MB", "1")
    big = _upload(app_client, csrf, 1, "scan.pdf", pdf + b" " * int(1.5 * 2**20))
    assert big.status_code == 422 and "REVIEWFLOW_MAX_FULLTEXT_MB" in big.text
    # far past the limit: refused from its Content-Length, before the body is read
    huge = _upload(app_client, csrf, 1, "scan.pdf", pdf + b" " * 3 * 2**20)
    assert huge.status_code == 413 and "too large" in huge.text
    assert (
        "up to 1 MB, so nothing was saved" in huge.text
        and "REVIEWFLOW_MAX_FULLTEXT_MB" in huge.text
    )
    api = app_client.post(
        f"{API}/fulltext/1/file",
        headers={"X-CSRF-Token": csrf},
        files={"file": ("scan.pdf", pdf + b" " * 3 * 2**20, "application/pdf")},
    )
    assert api.status_code == 413 and api.json()["error"] == "TooLarge"
    none = app_client.post(f"{P}/fulltext/1/file", data={"csrf_token": csrf})
    assert none.status_code == 422 and "choose a file" in none.text
    assert app_client.get(f"{P}/fulltext/1/file").status_code == 404
    assert app_client.get(f"{API}/fulltext/1").json()["status"] == "sought"


def test_a_viewer_reads_but_cannot_upload(app_client: TestClient, pdf: bytes) -> None:
    _include_at_ta(app_client, 1)
    csrf = _as(app_client, "AB")
    app_client.post(f"{P}/fulltext/reports", data={"csrf_token": csrf})
    csrf = _as(app_client, "VW")
    assert _upload(app_client, csrf, 1, "hall.pdf", pdf).status_code == 403
    listing = app_client.get(f"{P}/fulltext")
    assert listing.status_code == 200 and "Link workers" in listing.text
    detail = app_client.get(f"{P}/fulltext/1")
    assert detail.status_code == 200 and "Attach the full text" not in detail.text


def test_record_text_is_escaped(app_client: TestClient) -> None:
    _include_at_ta(app_client, 5)
    csrf = _as(app_client, "AB")
    app_client.post(f"{P}/fulltext/reports", data={"csrf_token": csrf})
    for url in (f"{P}/fulltext", f"{P}/fulltext/5"):
        html = app_client.get(url).text
        assert "<script>alert" not in html and "<b>wellbeing" not in html
        assert "&lt;script&gt;alert(" in html


def test_companion_reports_share_a_file_and_a_study(app_client: TestClient, pdf: bytes) -> None:
    _include_at_ta(app_client, 1, 3)
    csrf = _as(app_client, "AB")
    app_client.post(f"{P}/fulltext/reports", data={"csrf_token": csrf})
    early = app_client.post(
        f"{P}/fulltext/3/same-file", data={"csrf_token": csrf, "source_report_id": "1"}
    )
    assert early.status_code == 409 and "no full text attached to share" in early.text
    _upload(app_client, csrf, 1, "hall.pdf", pdf)
    shared = app_client.post(
        f"{P}/fulltext/3/same-file", data={"csrf_token": csrf, "source_report_id": "1"}
    )
    assert shared.status_code == 303
    assert app_client.get(f"{P}/fulltext/3/file").content == pdf
    grouped = app_client.post(
        f"{P}/fulltext/3/group", data={"csrf_token": csrf, "with_report": "1"}
    )
    assert grouped.status_code == 303
    kind = app_client.post(f"{P}/fulltext/3/kind", data={"csrf_token": csrf, "kind": "protocol"})
    assert kind.status_code == 303
    one, three = app_client.get(f"{API}/fulltext").json()["reports"]
    assert one["study_id"] == three["study_id"] and three["kind"] == "protocol"
    assert three["same_file_as"] == [1] and three["study_reports"] == [1, 3]
    assert "same file as report 1" in app_client.get(f"{P}/fulltext").text


def test_the_api_twins_call_the_same_core(app_client: TestClient, pdf: bytes) -> None:
    _include_at_ta(app_client, 1, 3)
    csrf = _as(app_client, "CD")
    headers = {"X-CSRF-Token": csrf}
    listed = app_client.get(f"{API}/fulltext").json()
    assert listed["reports"] == [] and listed["records_without_report"] == [1, 3]
    made = app_client.post(f"{API}/fulltext/reports", headers=headers)
    assert made.json() == {"created": [1, 3]}
    up = app_client.post(
        f"{API}/fulltext/1/file",
        headers=headers,
        files={"file": ("Müller 2020.pdf", pdf, "application/pdf")},
    )
    assert up.status_code == 200 and up.json()["file_name"] == "Müller 2020.pdf"
    assert up.json()["history"][0]["reviewer"] == "CD"
    served = app_client.get(f"{P}/fulltext/1/file")
    assert "filename*=UTF-8''M%C3%BCller%202020.pdf" in served.headers["content-disposition"]
    bad = app_client.post(
        f"{API}/fulltext/1/file", headers=headers, files={"file": ("x.pdf", b"", "")}
    )
    assert bad.status_code == 422 and "empty" in bad.json()["message"]
    why = app_client.post(
        f"{API}/fulltext/3/not-retrieved", headers=headers, json={"reason": "   "}
    )
    assert why.status_code == 422
    why = app_client.post(
        f"{API}/fulltext/3/not-retrieved", headers=headers, json={"reason": "no access"}
    )
    assert why.json()["status"] == "not_retrieved"
    statuses = [r["status"] for r in app_client.get(f"{API}/fulltext").json()["reports"]]
    assert statuses == ["retrieved", "not_retrieved"]
    assert app_client.get(f"{API}/fulltext?status=lost").status_code == 422
    assert app_client.get(f"{API}/fulltext/999999").status_code == 404
