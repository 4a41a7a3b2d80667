"""The extraction pages as a team uses them (extraction_kit's project: three included
studies, a form with one field of every type): answers typed into the form and read back,
messages beside the fields that need them, the pilot's field agreement, verification by a
second reviewer, a discrepancy resolved, the XLSX template downloaded and uploaded, and a
viewer who reads but cannot change anything."""

from __future__ import annotations

import io
import re
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from extraction_kit import ANSWERS, FORM_FILE, TYPED, form_data, make_extraction_project
from fastapi.testclient import TestClient
from openpyxl import load_workbook
from webkit import SLUG, signed_in_clients

from reviewflow.project import Project
from reviewflow.stages.extraction import FIELD_TYPES, NOT_REPORTED, Row
from reviewflow.stages.extraction import project as extract
from reviewflow.stages.extraction.forms import load_form

P = f"/p/{SLUG}/extraction"
API = f"/api/p/{SLUG}/extraction"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
Client = Callable[[str], TestClient]


@pytest.fixture
def x_project(tmp_path: Path, database_url: str) -> Iterator[Project]:
    project = make_extraction_project(tmp_path / SLUG, database_url)
    yield project
    project.close()


@pytest.fixture
def client_for(x_project: Project) -> Iterator[Client]:
    """A browser signed in as the given member (one app, one client per person), its
    CSRF token in the header (the API's way; forms send it as a field: :func:`tok`)."""
    with signed_in_clients(x_project.root) as make:
        yield make


def tok(client: TestClient) -> str:
    return str(client.headers["X-CSRF-Token"])


def field_block(html: str, field: str) -> str:
    """The part of the page for one field (its inputs and its message)."""
    found = re.search(
        rf'id="(?:field|verify)-{field}".*?(?=id="(?:field|verify)-|x-submit)', html, re.S
    )
    assert found, f"no block for field {field}"
    return found.group(0)


def error_of(html: str, field: str) -> str | None:
    found = re.search(r'class="x-error"[^>]*>([^<]*)<', field_block(html, field))
    return found.group(1) if found else None


def save(client: TestClient, study: int, answers: dict[str, Any], **extra: str) -> Any:
    return client.post(f"{P}/study/{study}", data=form_data(answers, tok(client), **extra))


def test_every_field_type_round_trips_through_the_form(
    x_project: Project, client_for: Client
) -> None:
    ab = client_for("AB")
    form = load_form(x_project.root / FORM_FILE)
    assert {f.type for f in form.fields} == set(FIELD_TYPES)  # the kit's form has every type
    saved = save(ab, 1, TYPED)
    assert saved.status_code == 303 and saved.headers["location"].endswith("?done=saved")
    answers = extract.study_extraction(x_project, 1).answers
    assert answers == {
        "country": "England",
        "aims": TYPED["aims"],
        "sample_size": 19,
        "age_mean": 60.4,
        "female_percent": 63.0,
        "model": "Link worker",
        "methods": ("Semi-structured interviews", "Focus groups"),
        "age_calculated": "no",
        "ethnicity": (Row("White British", 14), Row("Black African", 2)),
    }
    page = ab.get(saved.headers["location"]).text
    assert "Your answers are saved." in page
    assert 'name="f_country" value="England"' in field_block(page, "country")
    assert "&lt;b&gt;with&lt;/b&gt;" in field_block(page, "aims") and "<b>with" not in page
    assert 'name="f_sample_size" value="19"' in page and 'name="f_age_mean" value="60.4"' in page
    assert 'name="f_female_percent" value="63"' in page
    assert 'value="Link worker" checked' in field_block(page, "model")
    methods = field_block(page, "methods")
    assert (
        'value="Focus groups" checked' in methods and 'value="Observation" checked' not in methods
    )
    assert 'value="no" checked' in field_block(page, "age_calculated")
    rows = field_block(page, "ethnicity")
    assert 'value="White British"' in rows and 'value="14"' in rows and 'value="2"' in rows
    assert "ethnicity counts add up to 16, sample_size is 19" in page  # a warning, saved anyway

    not_reported = {
        "country": "Wales",
        "sample_size": "12",
        "model": "Not reported",
        "age_calculated": "unclear",
    }
    extra = {
        "f_age_mean_nr": "1",
        "f_ethnicity_nr": "1",
        "f_methods_nr": "1",
        "f_age_mean_note": "ages not given",
    }
    assert save(ab, 3, not_reported, **extra).status_code == 303
    again = extract.study_extraction(x_project, 3)
    assert again.answers["age_mean"] is NOT_REPORTED and again.answers["model"] is NOT_REPORTED
    assert again.answers["ethnicity"] is NOT_REPORTED and again.answers["methods"] is NOT_REPORTED
    assert again.answers["age_calculated"] == "unclear"
    page = ab.get(f"{P}/study/3").text
    assert 'name="f_age_mean_nr" value="1" checked' in page
    assert 'value="Not reported" checked' in field_block(page, "model")
    assert "ages not given" in field_block(page, "age_mean")

    api = ab.get(f"{API}/study/1").json()
    assert api["mine"]["answers"]["ethnicity"] == "White British = 14; Black African = 2"
    assert api["status"] == "extracted" and api["extracted_by"] == ["AB"]


def test_a_refused_form_shows_each_message_beside_its_field_and_keeps_every_value(
    x_project: Project, client_for: Client
) -> None:
    ab = client_for("AB")
    bad = TYPED | {
        "sample_size": "nineteen",
        "female_percent": "130",
        "model": "",
        "ethnicity": [("White British", "14"), ("", "2")],
        "country": "Eng\nland",
    }
    refused = save(ab, 1, bad, f_age_mean_nr="1")
    assert refused.status_code == 422
    page = refused.text
    assert "6 answer(s) need correcting; nothing was saved." in page
    assert error_of(page, "sample_size") == "Expected a whole number ≥ 1; got “nineteen”."
    assert error_of(page, "female_percent") == "Expected a percentage from 0 to 100; got “130”."
    assert error_of(page, "model") == "Expected an answer (required field)."
    assert error_of(page, "age_mean") == "Tick “Not reported” or give a value, not both."
    assert "Expected rows" in (error_of(page, "ethnicity") or "")
    assert (error_of(page, "country") or "").startswith("Expected one line of text")
    assert error_of(page, "aims") is None and error_of(page, "methods") is None
    assert 'name="f_sample_size" value="nineteen"' in page  # kept as typed
    assert 'name="f_female_percent" value="130"' in page
    assert (
        'name="f_age_mean" value="60.4"' in page
        and 'name="f_age_mean_nr" value="1" checked' in page
    )
    assert 'value="Focus groups" checked' in page and 'value="Black African"' not in page
    assert 'name="f_ethnicity_count" value="2"' in page  # the half-filled row is still there
    assert 'aria-invalid="true" aria-describedby="f_sample_size-error"' in page
    assert extract.study_extraction(x_project, 1).status == "not extracted"

    more = save(ab, 1, TYPED, more="ethnicity")  # "More rows" without JavaScript
    assert more.status_code == 200
    assert more.text.count('name="f_ethnicity_label"') == 2 + 2 + 3
    assert 'value="White British"' in more.text
    assert extract.study_extraction(x_project, 1).status == "not extracted"

    api = ab.post(
        f"{API}/study/1",
        json={"answers": {"sample_size": "many", "model": "x"}},
    )
    assert api.status_code == 422
    by_field = {p["field"]: p for p in api.json()["problems"]}
    assert set(by_field) == {"sample_size", "model", "country"}
    assert by_field["model"]["expected"] == "one of Link worker / Direct referral / Signposting"


def test_the_pilot_page_shows_the_cores_field_agreement(
    x_project: Project, client_for: Client
) -> None:
    ab, cd = client_for("AB"), client_for("CD")
    for study, mine, theirs in (
        (1, TYPED, TYPED | {"sample_size": "18", "methods": ["Focus groups"]}),
        (3, TYPED | {"country": "Wales"}, TYPED | {"country": "wales ", "aims": ""}),
    ):
        assert save(ab, study, mine, pilot="1").status_code == 303
        assert save(cd, study, theirs, pilot="1").status_code == 303
    page = ab.get(f"{P}/pilot").text
    report = extract.pilot_report(x_project, reviewers=("AB", "CD"))
    assert report.studies == ("1", "3")
    for f in report.fields:
        row = re.search(rf'<tr data-field="{f.field}".*?</tr>', page, re.S)
        assert row, f.field
        assert f'data-stat="agreed">{f.agreed}/{f.compared}<' in row.group(0)
    assert f'<dd data-stat="agreed">{report.agreed}</dd>' in page
    assert (report.agreed, report.compared) == (15, 18)  # "wales " is Wales; one aims empty
    assert 'data-stat="proportion">83 %' in page
    assert "Below 80 %: Aims, Sample size, Data collection methods" in page
    assert "<span>pilot: AB, CD</span>" in ab.get(f"{P}/study/1").text
    api = ab.get(f"{API}/pilot?a=AB&b=CD").json()
    assert api["proportion"] == report.proportion
    assert [f["agreed"] for f in api["fields"]] == [f.agreed for f in report.fields]
    sample = next(f for f in api["fields"] if f["field"] == "sample_size")
    assert sample["disagreements"] == [{"study": 1, "first": "19", "second": "18"}]
    none_yet = client_for("VW").get(f"{P}/pilot?a=AB&b=AB").text
    assert "Choose two different reviewers." in none_yet


def test_a_second_reviewer_verifies_field_by_field_and_the_discrepancy_is_resolved(
    x_project: Project, client_for: Client
) -> None:
    ab, cd = client_for("AB"), client_for("CD")
    assert save(ab, 1, TYPED).status_code == 303
    own = ab.get(f"{P}/study/1/verify").text
    assert "You (AB) extracted this study and cannot verify it" in own
    refused = ab.post(
        f"{P}/study/1/verify",
        data={"csrf_token": tok(ab), "of": "AB", **{f"v_{f}": "agree" for f in TYPED}},
    )
    assert refused.status_code == 422
    assert "AB extracted study 1 and cannot verify it" in refused.text

    page = cd.get(f"{P}/study/1/verify").text
    assert "You (CD) check AB's extraction" in page
    assert 'data-extracted="ethnicity">White British = 14; Black African = 2<' in page
    verdicts = {f"v_{f}": "agree" for f in TYPED if f not in ("aims", "sample_size")}
    data = {
        "csrf_token": tok(cd),
        "of": "AB",
        **verdicts,
        "v_sample_size": "dispute",
        "p_sample_size": "lots",
        "p_sample_size_note": "Table 1 lists 18",
    }
    incomplete = cd.post(f"{P}/study/1/verify", data=data)
    assert incomplete.status_code == 422
    assert error_of(incomplete.text, "aims") == "Confirm or dispute this field."
    assert error_of(incomplete.text, "sample_size") == "Expected a whole number ≥ 1; got “lots”."
    assert 'name="p_sample_size" value="lots"' in incomplete.text
    assert "Table 1 lists 18" in incomplete.text
    assert extract.study_extraction(x_project, 1).verifier is None

    data |= {"v_aims": "agree", "p_sample_size": "18"}
    done = cd.post(f"{P}/study/1/verify", data=data)
    assert done.status_code == 303, done.text
    state = extract.study_extraction(x_project, 1)
    assert (state.status, state.verifier) == ("discrepancies", "CD")
    assert [(d.field, d.extracted, d.proposed) for d in state.unresolved] == [
        ("sample_size", 19, 18)
    ]

    listed = ab.get(f"{P}/discrepancies").text
    assert 'data-count="open">1<' in listed and "“Table 1 lists 18”" in listed
    assert "Keep 19" in listed and "Take 18" in listed
    overview = ab.get(P).text
    assert 'data-count="open">1<' in overview and "discrepancies open" in overview
    bad = ab.post(
        f"{P}/study/1/resolve",
        data={
            "csrf_token": tok(ab),
            "field": "sample_size",
            "action": "value",
            "r_sample_size": "0",
        },
    )
    assert bad.status_code == 422 and "Expected a whole number ≥ 1; got “0”." in bad.text
    assert 'name="r_sample_size" value="0"' in bad.text
    resolved = ab.post(
        f"{P}/study/1/resolve",
        data={
            "csrf_token": tok(ab),
            "field": "sample_size",
            "action": "accept",
            "note": "agreed: 18 after checking Table 1",
        },
    )
    assert resolved.status_code == 303
    state = extract.study_extraction(x_project, 1)
    assert state.status == "final" and state.answers["sample_size"] == 18
    listed = ab.get(resolved.headers["location"]).text
    assert "The resolution is recorded." in listed and 'data-count="open">0<' in listed
    assert "Resolved by AB: <strong>18</strong> — agreed: 18 after checking Table 1" in listed
    api = ab.get(f"{API}/discrepancies").json()
    assert api == [
        {
            "study_id": 1,
            "study": "Hall & Okafor 2019",
            "field": "sample_size",
            "extracted": "19",
            "proposed": "18",
            "verifier": "CD",
            "note": "Table 1 lists 18",
            "resolution": {"value": "18", "by": "AB", "note": "agreed: 18 after checking Table 1"},
        }
    ]
    mine = ab.get(f"{P}/study/1").text
    assert "CD has verified your extraction" in mine and 'name="f_country"' not in mine


def test_the_xlsx_template_goes_down_and_comes_back_up(
    x_project: Project, client_for: Client
) -> None:
    ab, cd = client_for("AB"), client_for("CD")
    assert save(ab, 1, TYPED).status_code == 303
    down = ab.get(f"{P}/template.xlsx?prefill=AB")
    assert down.status_code == 200 and down.headers["content-type"] == XLSX
    assert 'filename="characteristics-v1-AB.xlsx"' in down.headers["content-disposition"]
    wb = load_workbook(io.BytesIO(down.content))
    ws = wb["Extraction"]
    header = [c.value for c in ws[1]]
    assert header[:3] == ["Study ID", "Citation", "Country *"]
    rows = {str(r[0].value): r for r in ws.iter_rows(min_row=3)}
    assert set(rows) == {"1", "3", "6"} and rows["1"][2].value == "England"
    col = {name: i for i, name in enumerate(header)}
    for name, value in (
        ("Country *", "Wales"),
        ("Sample size *", 12),
        ("Model of social prescribing *", "Signposting"),
    ):
        rows["3"][col[name]].value = value
    up = _upload(ab, wb, "ab filled.xlsx")
    assert up.status_code == 200, up.text
    assert "ab filled.xlsx: 1 studies recorded, 1 unchanged, 1 rows empty." in up.text
    assert extract.study_extraction(x_project, 3).answers["model"] == "Signposting"

    rows["6"][col["Sample size *"]].value = "many"
    rows["6"][col["Female (%)"]].value = 140
    refused = _upload(ab, wb, "again.xlsx", replace="1")
    assert refused.status_code == 422
    cell = '<td data-label="{}">([^<]*)</td>'
    row = cell.format("Sheet") + '<td class="num" data-label="Row">([^<]*)</td>'
    cells = re.findall(row + cell.format("Column"), refused.text)
    assert ("Extraction", "5", "E") in cells and ("Extraction", "5", "G") in cells
    assert "again.xlsx: " in refused.text and "/tmp" not in refused.text
    assert "Nothing was imported." in refused.text
    api = ab.post(
        f"{API}/sheet",
        files={"file": ("x.xlsx", _bytes(wb), XLSX)},
    )
    assert api.status_code == 422
    found = {(c["sheet"], c["row"], c["column"]): c for c in api.json()["cells"]}
    assert found["Extraction", 5, "E"]["got"] == "many"
    assert found["Extraction", 5, "C"]["expected"] == "an answer (required field)"

    copy = load_workbook(io.BytesIO(cd.get(f"{P}/template.xlsx?prefill=AB").content))
    crow = {str(r[0].value): r for r in copy["Extraction"].iter_rows(min_row=3)}
    crow["1"][col["Sample size *"]].value = 18
    for row in sorted((crow[s][0].row for s in ("3", "6")), reverse=True):
        copy["Extraction"].delete_rows(row, 1)  # the verifier checks study 1 only
    verified = _upload(cd, copy, "cd checks ab.xlsx", mode="verify", of="AB")
    assert verified.status_code == 200, verified.text
    assert "verification recorded for 1 study, 1 discrepancy." in verified.text
    state = extract.study_extraction(x_project, 1)
    assert [(d.field, d.proposed) for d in state.unresolved] == [("sample_size", 18)]


def _bytes(wb: Any) -> bytes:
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def _upload(client: TestClient, wb: Any, name: str, **fields: str) -> Any:
    return client.post(
        f"{P}/sheet",
        data={"csrf_token": tok(client), **fields},
        files={"file": (name, _bytes(wb), XLSX)},
    )


def test_a_viewer_reads_every_extraction_page_but_changes_nothing(
    x_project: Project, client_for: Client
) -> None:
    ab, vw = client_for("AB"), client_for("VW")
    assert save(ab, 1, TYPED).status_code == 303
    for path in ("", "/study/1", "/pilot", "/discrepancies", "/sheet", "/template.xlsx"):
        assert vw.get(P + path).status_code == 200, path
    page = vw.get(f"{P}/study/1").text
    assert 'name="f_country"' not in page and 'data-field="country">England<' in page
    assert (
        ">Verify<" not in vw.get(P).text
        and "Upload a filled template" not in vw.get(f"{P}/sheet").text
    )
    assert vw.get(f"{P}/study/1/verify").status_code == 403
    refused = save(vw, 1, TYPED)
    assert refused.status_code == 403 and "Viewers can read every page" in refused.text
    api = vw.post(f"{API}/study/3", json={"answers": ANSWERS})
    assert api.status_code == 403 and api.json()["error"] == "Forbidden"
    assert extract.study_extraction(x_project, 3).status == "not extracted"


def test_a_reviewer_sees_no_one_elses_answers_before_saving_their_own(
    x_project: Project, client_for: Client
) -> None:
    ab, cd = client_for("AB"), client_for("CD")
    assert save(ab, 1, TYPED, pilot="1").status_code == 303
    blind = cd.get(f"{P}/study/1").text
    assert "England" not in blind and "shown once you have saved your own" in blind
    assert "answers" not in cd.get(f"{API}/study/1").json()
    assert save(cd, 1, TYPED | {"country": "Scotland"}, pilot="1").status_code == 303
    assert "History (" in cd.get(f"{P}/study/1").text
    assert cd.get(f"{API}/study/1").json()["mine"]["answers"]["country"] == "Scotland"
