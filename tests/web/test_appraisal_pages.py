"""The appraisal pages as a team uses them: AB and CD appraise blind, the consensus shows
their disagreements and records the agreed answers, and the scores, bands, agreement and
traffic-light figure are the core's. The project is appraisal_kit's (three studies
included at full text by the webkit team; the seed's scheme; AB and CD named)."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from appraisal_kit import (
    AB_ANSWERS,
    ALL_YES,
    CD_ANSWERS,
    appraise_as,
    included_ids,
    make_appraisal_project,
)
from fastapi.testclient import TestClient
from webkit import SLUG, signed_in_clients

from reviewflow.project import Project
from reviewflow.stages import studies
from reviewflow.stages.appraisal import project as appraise
from reviewflow.stages.appraisal.checklists import builtin_checklist, make_appraisal
from reviewflow.stages.appraisal.scoring import scheme, score

P = f"/p/{SLUG}/appraisal"
API = f"/api/p/{SLUG}/appraisal"
Client = Callable[[str], TestClient]
HALL = "Hall & Okafor 2019"


@pytest.fixture
def project(tmp_path: Path, database_url: str) -> Iterator[Project]:
    made = make_appraisal_project(tmp_path / SLUG, database_url)
    yield made
    made.close()


@pytest.fixture
def client_for(project: Project) -> Iterator[Client]:
    """A browser signed in as the given member (one app, one client per person)."""
    with signed_in_clients(project.root) as make:
        yield make


def _form(answers: dict[str, str], notes: dict[str, str] | None = None) -> dict[str, str]:
    data = {f"answer_{k}": v for k, v in answers.items()}
    data.update({f"note_{k}": v for k, v in (notes or {}).items()})
    return data


def _post(client: TestClient, path: str, data: dict[str, str]) -> Any:
    return client.post(path, data={**data, "csrf_token": client.headers["X-CSRF-Token"]})


def test_neither_page_nor_api_shows_the_other_appraisal_before_both_are_done(
    project: Project, client_for: Client
) -> None:
    hall = included_ids(project)[HALL]
    ab, cd, ow = client_for("AB"), client_for("CD"), client_for("OW")
    saved = _post(ab, f"{P}/{hall}", _form(AB_ANSWERS, {"q6": "AB-SECRET-NOTE p. 7"}))
    assert saved.status_code == 303
    mine = ab.get(saved.headers["location"]).text
    assert "Your appraisal is saved." in mine and "AB-SECRET-NOTE p. 7" in mine
    assert 'value="cant_tell" checked' in mine  # AB's own answer to Q6, kept

    for client in (cd, ow):  # the other appraiser, and the owner, see only "done"
        page = client.get(f"{P}/{hall}").text
        assert "AB-SECRET-NOTE" not in page and " checked" not in page
        assert "AB: done" in page
        body = client.get(f"{API}/{hall}").json()
        assert (body["own"], body["appraisals"], body["consensus"]) == (None, None, None)
        assert body["done"] == {"AB": True, "CD": False} and "AB-SECRET" not in str(body)
        board = client.get(API).json()["studies"]
        assert {r["study"]: r["done"]["AB"] for r in board}[HALL] is True
        assert "cant_tell" not in str(board)
        refused = client.get(f"{P}/{hall}/consensus")
        assert refused.status_code == 409 and "waiting for CD" in refused.text
        assert "AB-SECRET" not in refused.text
        assert client.get(f"{API}/{hall}/consensus").status_code == 409

    # CD finishes through the API; now both see both, side by side
    done = cd.put(f"{API}/{hall}", json={"answers": CD_ANSWERS, "notes": {"q8": "thin"}})
    assert done.status_code == 200 and done.json()["both_done"] is True
    both = ab.get(f"{API}/{hall}").json()
    assert [a["appraiser"] for a in both["appraisals"]] == ["AB", "CD"]
    assert both["appraisals"][1]["notes"] == {"q8": "thin"}
    assert {d["item"] for d in both["disagreements"]} == {"q6", "q8"}
    page = ab.get(f"{P}/{hall}").text
    assert "AB-SECRET-NOTE p. 7" in page and "thin" in page
    # ... and AB can no longer change answers the comparison has already seen
    late = ab.put(f"{API}/{hall}", json={"answers": CD_ANSWERS})
    assert late.status_code == 409 and "can no longer change" in late.json()["message"]


def test_agreement_numbers_are_the_cores(project: Project, client_for: Client) -> None:
    ids = included_ids(project)
    appraise_as(project, "AB", ids[HALL], AB_ANSWERS)
    appraise_as(project, "CD", ids[HALL], CD_ANSWERS)
    appraise_as(project, "AB", ids["Ng & Patel 2020"], ALL_YES)
    appraise_as(project, "CD", ids["Ng & Patel 2020"], {**ALL_YES, "q7": "no"})
    appraise_as(project, "AB", ids["Evans 2021"], ALL_YES)  # CD not yet: not compared
    with project.session(actor="OW", write=False):
        core = appraise.agreement(project)
    vw = client_for("VW")
    body = vw.get(f"{API}/agreement").json()
    assert body["studies"] == 2 == len(core.studies)
    assert body["proportion"] == core.proportion == 17 / 20
    assert body["kappa"] == core.kappa.kappa and body["ac1"] == core.ac1.ac1
    assert {i["item"]: (i["agreed"], i["compared"]) for i in body["items"]} == {
        i.item: (i.agreed, i.compared) for i in core.items
    }
    page = vw.get(f"{P}/agreement").text
    assert '<dd data-stat="proportion">85.0 %</dd>' in page
    shown = dict(re.findall(r'data-item="(q\d+)">.*?data-stat="agreed">([^<]+)<', page))
    assert shown == {i.item: f"{i.agreed}/{i.compared}" for i in core.items}
    assert shown["q6"] == "1/2" and shown["q1"] == "2/2"
    assert "Evans 2021" not in page.split("Disagreements")[1]


def test_agreement_before_anyone_finished_says_why(client_for: Client) -> None:
    vw = client_for("VW")
    assert "no study has two independent appraisals yet" in vw.get(f"{P}/agreement").text
    assert vw.get(f"{API}/agreement").json()["message"].startswith("no study has two")


def test_the_consensus_shows_the_disagreements_and_scores_as_the_core_does(
    project: Project, client_for: Client
) -> None:
    hall = included_ids(project)[HALL]
    appraise_as(project, "AB", hall, AB_ANSWERS)
    appraise_as(project, "CD", hall, CD_ANSWERS)
    la = client_for("LA")  # the arbiter records it
    page = la.get(f"{P}/{hall}/consensus").text
    differing = re.findall(r'class="ap-row ap-differs[^"]*" data-item="(q\d+)"', page)
    assert differing == ["q6", "q8"]
    assert '<dd data-field="agreed">8/10</dd>' in page
    assert 'name="answer_q6"' in page and 'name="answer_q1"' not in page

    half = _post(la, f"{P}/{hall}/consensus", {"answer_q6": "cant_tell"})
    assert half.status_code == 409
    assert "choose the agreed answer for Q8" in half.text
    assert 'value="cant_tell" checked' in half.text

    done = _post(
        la, f"{P}/{hall}/consensus", {"answer_q6": "cant_tell", "answer_q8": "yes", "note_q8": "p4"}
    )
    assert done.status_code == 303
    page = la.get(done.headers["location"]).text
    assert "The consensus is recorded." in page and "Consensus recorded by LA" in page

    checklist = builtin_checklist("casp_qualitative")
    agreed = make_appraisal(checklist, str(hall), "LA", {**AB_ANSWERS, "q8": "yes"})
    expected = score(checklist, scheme(checklist, "weighted_bands"), agreed)
    assert (expected.points, expected.band) == (19, "very valuable")
    assert '<dd data-field="score">19/20</dd>' in page
    assert '<dd data-field="band">very valuable</dd>' in page
    row = {r["study"]: r for r in la.get(API).json()["studies"]}[HALL]
    assert (row["score"], row["max"], row["band"]) == (19, 20, "very valuable")
    with project.session(actor="OW", write=False):
        core = {r["study"]: r for r in appraise.appraisal_table(project)}[HALL]
        overview = appraise.overview(project)  # what `reviewflow appraise scores` prints
    assert (core["score"], core["band"], core["q6"]) == (19, "very valuable", "Can't tell")
    api = la.get(API).json()["studies"]
    assert [(r["study_id"], r["status"], r["open_items"], r["score"], r["band"]) for r in api] == [
        (s.study_id, s.status, list(s.open_items), s.score and s.score.points,
         s.score and s.score.band) for s in overview
    ]  # fmt: skip
    board = la.get(P).text
    assert re.search(rf"{re.escape('Hall &amp; Okafor 2019')}.*?19/20.*?very valuable", board, re.S)

    svg = la.get(f"/p/{SLUG}/appraisal.svg")
    assert svg.status_code == 200 and svg.headers["content-type"].startswith("image/svg+xml")
    assert "sandbox" in svg.headers["content-security-policy"]
    assert "Hall &amp; Okafor 2019 q6: Can&apos;t tell" in svg.text or "q6: Can't tell" in svg.text
    assert svg.text.count("<circle") == 10 + 3  # one study's ten answers, the legend
    download = la.get(f"/p/{SLUG}/appraisal.svg?download=1")
    assert download.headers["content-disposition"].startswith("attachment;")
    assert '<img src="/p/review/appraisal.svg"' in board


def test_a_viewer_cannot_appraise_or_agree(project: Project, client_for: Client) -> None:
    hall = included_ids(project)[HALL]
    vw = client_for("VW")
    page = vw.get(f"{P}/{hall}").text
    assert '<form method="post" action="/p/review/appraisal/' not in page
    assert "Appraising needs the reviewer role" in page
    refused = _post(vw, f"{P}/{hall}", _form(ALL_YES))
    assert refused.status_code == 403
    assert vw.put(f"{API}/{hall}", json={"answers": ALL_YES}).status_code == 403
    assert vw.post(f"{API}/{hall}/consensus", json={}).status_code == 403
    assert vw.get(f"{API}/{hall}").json()["done"] == {"AB": False, "CD": False}


def test_missing_answers_are_named_and_the_given_ones_kept(
    project: Project, client_for: Client
) -> None:
    hall = included_ids(project)[HALL]
    ab = client_for("AB")
    partial = {k: v for k, v in AB_ANSWERS.items() if k not in ("q3", "q9")}
    answer = _post(ab, f"{P}/{hall}", _form(partial, {"q1": "aims on p. 2"}))
    assert answer.status_code == 422
    text = answer.text
    assert "Nothing was saved: 2 of 10 questions have no answer yet (Q3, Q9)" in text
    assert text.count("ap-item ap-missing") == 2 and 'id="item-q3"' in text
    assert "aims on p. 2" in text and 'value="cant_tell" checked' in text
    api = ab.put(f"{API}/{hall}", json={"answers": partial})
    assert api.status_code == 422 and "unanswered: q3, q9" in api.json()["message"]
    assert ab.get(f"{API}/{hall}").json()["own"] is None


def test_an_appraiser_the_protocol_does_not_name_is_told_so(
    project: Project, client_for: Client
) -> None:
    hall = included_ids(project)[HALL]
    ow = client_for("OW")  # owner: may use every route, but is not one of the two
    page = ow.get(f"{P}/{hall}").text
    assert "The protocol names AB and CD as the two appraisers" in page
    refused = ow.put(f"{API}/{hall}", json={"answers": ALL_YES})
    assert refused.status_code == 409 and "names AB and CD" in refused.json()["message"]


def test_study_text_is_escaped_and_an_unknown_study_is_a_404(
    project: Project, client_for: Client
) -> None:
    evans = included_ids(project)["Evans 2021"]
    with project.session(actor="OW"):
        studies.rename(project, evans, "<script>alert(1)</script> Evans")
    appraise_as(project, "AB", evans, ALL_YES)
    appraise_as(project, "CD", evans, ALL_YES)
    with project.session(actor="LA"):
        appraise.record_consensus(project, evans)
    ab = client_for("AB")
    assert ab.get(f"{P}/999").status_code == 404
    assert ab.get(f"{API}/999").status_code == 404
    for path in (P, f"{P}/{evans}", f"{P}/{evans}/consensus", f"/p/{SLUG}/appraisal.svg"):
        text = ab.get(path).text
        assert "<script>alert(1)" not in text and "&lt;script&gt;alert(1)" in text, path
    board = ab.get(P).text
    assert "Hall &amp; Okafor 2019" in board and "<a team review>" not in board


def test_a_new_consensus_replaces_the_score_and_keeps_the_old_one_in_history(
    project: Project, client_for: Client
) -> None:
    hall = included_ids(project)[HALL]
    appraise_as(project, "AB", hall, AB_ANSWERS)
    appraise_as(project, "CD", hall, CD_ANSWERS)
    ab = client_for("AB")
    first = _post(ab, f"{P}/{hall}/consensus", {"answer_q6": "yes", "answer_q8": "yes"})
    assert first.status_code == 303
    again = _post(ab, f"{P}/{hall}/consensus", {"answer_q6": "no", "answer_q8": "yes"})
    assert again.status_code == 422 and "a consensus is already recorded" in again.text
    redo = _post(
        ab, f"{P}/{hall}/consensus", {"answer_q6": "no", "answer_q8": "no", "replace": "1"}
    )
    assert redo.status_code == 303
    row = {r["study"]: r for r in ab.get(API).json()["studies"]}[HALL]
    assert (row["score"], row["band"]) == (16, "very valuable")
    assert ab.get(f"{API}/{hall}").json()["resolutions"] == {"q6": "no", "q8": "no"}
