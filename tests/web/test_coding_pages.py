"""The coding pages as a team uses them: a study's findings as segments with quotes marked,
codes applied (whole segment through the plain form, a selection through the API the
page's script calls) and removed, code bank rename, merge and split with their history,
memos, two coders compared, a viewer who only reads, and findings text never rendered as
markup."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from coding_kit import CodingProject, make_coding_project
from fastapi.testclient import TestClient
from webkit import SLUG, csrf_of, sign_in

from reviewflow.web import create_app

P = f"/p/{SLUG}"
API = f"/api/p/{SLUG}"


@pytest.fixture
def coding(tmp_path: Path, database_url: str) -> Iterator[tuple[TestClient, CodingProject]]:
    made = make_coding_project(tmp_path / SLUG, database_url)
    app = create_app(made.project.root)
    with TestClient(app, raise_server_exceptions=False, follow_redirects=False) as client:
        yield client, made
    made.project.close()


def _as(client: TestClient, initials: str) -> str:
    client.cookies.clear()
    sign_in(client, initials)
    return csrf_of(client)


def _segments(client: TestClient, study: int) -> list[dict[str, Any]]:
    return list(client.get(f"{API}/coding/{study}?coder=all").json()["segments"])


def _apply_api(client: TestClient, csrf: str, study: int, **body: Any) -> Any:
    return client.post(f"{API}/coding/{study}/apply", json=body, headers={"X-CSRF-Token": csrf})


def test_a_study_reads_as_segments_with_quotes_marked_and_text_escaped(
    coding: tuple[TestClient, CodingProject],
) -> None:
    client, made = coding
    _as(client, "AB")
    page = client.get(f"{P}/coding/{made.hall}")
    assert page.status_code == 200
    assert page.text.count('class="cd-seg cd-quote cd-out"') == 2
    assert page.text.count('class="cd-seg cd-author"') == 4
    assert "<h2>Trust in the link worker</h2>" in page.text  # the findings' sub-headings
    assert "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;" in page.text
    assert "<script>alert" not in page.text and "<b>tags</b>" not in page.text
    assert "daunting &amp; left early" in page.text
    assert '<script src="/static/coding.js" defer></script>' in page.text
    assert "Methods" not in page.text and "Link workers built trust slowly" not in page.text


def test_the_overview_reads_a_studys_findings_from_its_attached_full_text(
    coding: tuple[TestClient, CodingProject],
) -> None:
    client, made = coding
    csrf = _as(client, "AB")
    overview = client.get(f"{P}/coding")
    assert "Read findings from the attached full text" in overview.text
    read = client.post(f"{P}/coding/{made.arts}/findings", data={"csrf_token": csrf})
    assert read.status_code == 303
    page = client.get(read.headers["location"])
    assert "The findings are read into segments." in page.text
    assert "Painting is the only time my head goes quiet." in page.text
    again = client.post(f"{P}/coding/{made.arts}/findings", data={"csrf_token": csrf})
    assert again.status_code == 400 and "already imported" in again.text
    studies = {s["study_id"]: s for s in client.get(f"{API}/coding").json()["studies"]}
    assert (studies[made.arts]["segments"], studies[made.arts]["quotes"]) == (3, 1)


def test_codes_are_applied_to_a_selection_and_a_whole_segment_and_removed(
    coding: tuple[TestClient, CodingProject],
) -> None:
    client, made = coding
    csrf = _as(client, "AB")
    first = _segments(client, made.hall)[0]
    start = first["text"].index("trusting their link worker")
    span = (start, start + len("trusting their link worker"))
    made_code = _apply_api(
        client,
        csrf,
        made.hall,
        segment_id=first["id"],
        new_code="trust",
        start=span[0],
        end=span[1],
    )
    assert made_code.status_code == 200 and made_code.json()["created"] is True
    whole = client.post(
        f"{P}/coding/{made.hall}/apply",
        data={"csrf_token": csrf, "segment_id": str(first["id"] + 1), "new_code": "being heard"},
    )
    assert whole.status_code == 303 and whole.headers["location"].endswith(
        f"#seg-{first['id'] + 1}"
    )
    page = client.get(whole.headers["location"])
    assert "The new code is in the code bank and applied." in page.text
    assert 'data-label="trust (AB)">trusting their link worker</mark>' in page.text
    assert "“trusting their link worker”" in page.text and "whole segment" in page.text
    assert "1 here · 1 in all" in page.text

    refused = _apply_api(
        client, csrf, made.hall, segment_id=first["id"], code_id=1, start=0, end=999
    )
    assert refused.status_code == 422 and "outside segment" in refused.json()["message"]
    empty = client.post(
        f"{P}/coding/{made.hall}/apply", data={"csrf_token": csrf, "segment_id": str(first["id"])}
    )
    assert empty.status_code == 422 and "choose a code" in empty.text

    coding_id = made_code.json()["application_id"]
    csrf_cd = _as(client, "CD")
    theirs = client.post(f"{P}/coding/{made.hall}/remove/{coding_id}", data={"csrf_token": csrf_cd})
    assert theirs.status_code == 409 and "AB&#39;s" in theirs.text
    csrf = _as(client, "AB")
    gone = client.post(f"{P}/coding/{made.hall}/remove/{coding_id}", data={"csrf_token": csrf})
    assert gone.status_code == 303
    assert _segments(client, made.hall)[0]["codings"] == []
    assert "The coding is removed" in client.get(gone.headers["location"]).text


def test_rename_merge_and_split_keep_a_history_of_who_did_what(
    coding: tuple[TestClient, CodingProject],
) -> None:
    client, made = coding
    csrf = _as(client, "AB")
    segs = _segments(client, made.hall)
    trust = _apply_api(client, csrf, made.hall, segment_id=segs[0]["id"], new_code="trust")
    trust_id = trust.json()["code_id"]
    _apply_api(client, csrf, made.hall, segment_id=segs[1]["id"], code_id=trust_id)
    heard = _apply_api(client, csrf, made.hall, segment_id=segs[1]["id"], new_code="listened to")
    csrf_cd = _as(client, "CD")
    cd_coding = _apply_api(client, csrf_cd, made.hall, segment_id=segs[0]["id"], code_id=trust_id)

    renamed = client.post(
        f"{P}/codes/{trust_id}/rename",
        data={"csrf_token": csrf_cd, "name": "trust in the link worker"},
    )
    assert renamed.status_code == 303
    page = client.get(renamed.headers["location"])
    assert "renamed ‘trust’ to ‘trust in the link worker’" in page.text
    assert "CD: renamed" in page.text

    merged = client.post(
        f"{P}/codes/{heard.json()['code_id']}/merge",
        data={"csrf_token": csrf_cd, "into": str(trust_id)},
    )
    assert merged.status_code == 303 and merged.headers["location"].startswith(
        f"{P}/codes/{trust_id}"
    )
    page = client.get(merged.headers["location"])
    assert "absorbed ‘listened to’ (1 coding)" in page.text
    assert "Codings (3)" in page.text  # AB's two (the merge's twin dropped) and CD's one

    split = client.post(
        f"{P}/codes/{trust_id}/split",
        data={
            "csrf_token": csrf_cd,
            "name": "trust after a home visit",
            "application_id": str(cd_coding.json()["application_id"]),
        },
    )
    assert split.status_code == 303
    new_page = client.get(split.headers["location"])
    assert (
        "created ‘trust after a home visit’ by splitting ‘trust in the link worker’"
        in new_page.text
    )
    assert "Codings (1)" in new_page.text and "Hall &amp; Okafor 2019</a> · CD" in new_page.text
    old = client.get(f"{API}/codes/{trust_id}").json()
    assert [c["coder"] for c in old["codings"]] == ["AB", "AB"]
    assert [(e["action"], e["reviewer"]) for e in old["history"]] == [
        ("create", "AB"),
        ("rename", "CD"),
        ("absorb", "CD"),
        ("split", "CD"),
    ]
    bank = client.get(f"{P}/codes")
    assert "split into ‘trust after a home visit’; 2 codings stayed" in bank.text
    nothing = client.post(f"{P}/codes/{trust_id}/split", data={"csrf_token": csrf_cd, "name": "x"})
    assert nothing.status_code == 422 and "tick at least one coding" in nothing.text


def test_memos_on_segments_and_codes_are_kept_with_their_history(
    coding: tuple[TestClient, CodingProject],
) -> None:
    client, made = coding
    csrf = _as(client, "AB")
    seg = _segments(client, made.hall)[1]
    saved = client.post(
        f"{P}/coding/{made.hall}/memo/{seg['id']}",
        data={"csrf_token": csrf, "memo": "Listening <i>before</i> advice?"},
    )
    assert saved.status_code == 303
    csrf = _as(client, "CD")
    put = client.put(
        f"{API}/coding/segments/{seg['id']}/memo",
        json={"memo": "Listening came before any referral"},
        headers={"X-CSRF-Token": csrf},
    )
    assert put.status_code == 200 and len(put.json()["history"]) == 2
    page = client.get(f"{P}/coding/{made.hall}")
    assert "Listening came before any referral" in page.text
    assert "Listening &lt;i&gt;before&lt;/i&gt; advice?" in page.text  # in the history
    code = _apply_api(client, csrf, made.hall, segment_id=seg["id"], new_code="being heard")
    code_id = code.json()["code_id"]
    memo = client.post(
        f"{P}/codes/{code_id}/memo", data={"csrf_token": csrf, "memo": "Named being listened to"}
    )
    assert memo.status_code == 303
    page = client.get(memo.headers["location"])
    assert "<strong>Memo:</strong> Named being listened to" in page.text
    assert "memo set to ‘Named being listened to’" in page.text


def test_two_coders_compare_side_by_side_with_agreement(
    coding: tuple[TestClient, CodingProject],
) -> None:
    client, made = coding
    csrf = _as(client, "AB")
    segs = _segments(client, made.hall)
    trust = _apply_api(client, csrf, made.hall, segment_id=segs[0]["id"], new_code="trust")
    _apply_api(client, csrf, made.hall, segment_id=segs[3]["id"], new_code="groups")
    csrf = _as(client, "CD")
    _apply_api(client, csrf, made.hall, segment_id=segs[0]["id"], code_id=trust.json()["code_id"])
    own = client.get(f"{P}/coding/{made.hall}")
    assert 'data-label="trust (CD)"' in own.text  # CD sees only CD's own codings
    assert "trust (AB)" not in own.text and "groups (AB)" not in own.text

    page = client.get(f"{P}/coding/{made.hall}/compare")
    assert page.status_code == 200
    assert (
        "<dt>Only AB</dt><dd>1</dd>" in page.text and "<dt>Both coded</dt><dd>1</dd>" in page.text
    )
    assert "<dt>Items</dt><dd>8</dd>" in page.text
    assert page.text.count('class="pair-row differs"') == 1  # the groups segment
    data = client.get(f"{API}/coding/{made.hall}/compare?first=AB&second=CD").json()
    assert data["overall"]["items"] == 8  # 4 in-scope segments x 2 codes
    assert data["overall"]["percent_agreement"] == pytest.approx(7 / 8)
    assert {r["code"]: r["both"] for r in data["per_code"]} == {"trust": 1, "groups": 0}
    same = client.get(f"{P}/coding/{made.hall}/compare?first=AB&second=AB")
    assert "choose two different coders" in same.text


def test_a_viewer_reads_every_coding_but_cannot_code(
    coding: tuple[TestClient, CodingProject],
) -> None:
    client, made = coding
    csrf = _as(client, "AB")
    seg = _segments(client, made.hall)[0]
    _apply_api(client, csrf, made.hall, segment_id=seg["id"], new_code="trust")
    csrf = _as(client, "VW")
    page = client.get(f"{P}/coding/{made.hall}")
    assert page.status_code == 200 and 'data-label="trust (AB)"' in page.text
    assert 'id="cd-apply"' not in page.text and "Code the whole segment" not in page.text
    assert "Reviewers code; you can read" in page.text
    refused = client.post(
        f"{P}/coding/{made.hall}/apply",
        data={"csrf_token": csrf, "segment_id": str(seg["id"]), "new_code": "mine"},
    )
    assert refused.status_code == 403
    api = _apply_api(client, csrf, made.hall, segment_id=seg["id"], new_code="mine")
    assert api.status_code == 403
    assert client.post(f"{P}/codes", data={"csrf_token": csrf, "name": "x"}).status_code == 403
    assert client.get(f"{P}/codes").status_code == 200


def test_a_coder_corrects_a_segment_read_as_author_text_to_a_quote(
    coding: tuple[TestClient, CodingProject],
) -> None:
    client, made = coding
    csrf = _as(client, "AB")
    seg = _segments(client, made.hall)[1]
    assert (seg["kind"], seg["in_scope"]) == ("author", True)
    fixed = client.post(
        f"{P}/coding/{made.hall}/flag/{seg['id']}", data={"csrf_token": csrf, "kind": "quote"}
    )
    assert fixed.status_code == 303
    page = client.get(fixed.headers["location"])
    assert page.text.count('class="cd-seg cd-quote cd-out"') == 3
    back = client.put(
        f"{API}/coding/segments/{seg['id']}/flag",
        json={"kind": "author"},
        headers={"X-CSRF-Token": csrf},
    )
    assert back.status_code == 200 and back.json()["in_scope"] is True
