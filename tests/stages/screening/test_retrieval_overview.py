"""Retrieval as a team sees it: who attached what and when, companion papers sharing one
PDF, uploads that are not what their name says, and the size limit on full texts."""

from __future__ import annotations

import hashlib

import pytest
from test_screening_setup import add_records, seed_team

from reviewflow.errors import InputError, LimitError, NotFoundError, StateError
from reviewflow.project import Project
from reviewflow.stages import retrieval, screening
from reviewflow.stages.retrieval.overview import attached_full_text, report_detail, report_rows

PDF = b"%PDF-1.4\n% a companion paper\n%%EOF\n"


@pytest.fixture
def reports(project: Project) -> tuple[Project, list[int]]:
    seed_team(project)
    ids = add_records(project, 3)
    for i in ids[:2]:
        screening.decide(project, stage="ta", item_id=i, reviewer="MC", decision="include")
    return project, ids


def test_records_without_a_report_are_offered_until_reports_are_made(
    reports: tuple[Project, list[int]],
) -> None:
    project, ids = reports
    assert screening.records_without_report(project) == ids[:2]
    assert screening.create_reports(project) == ids[:2]
    assert screening.records_without_report(project) == []


def test_the_list_says_who_attached_what_and_when_and_filters_by_status(
    reports: tuple[Project, list[int]],
) -> None:
    project, _ = reports
    r1, r2 = screening.create_reports(project)
    retrieval.attach_bytes(project, r1, PDF, file_name="hall 2019.pdf", reviewer="MC")
    retrieval.not_retrieved(
        project, r2, reason="not found after contacting the authors", reviewer="CJ"
    )
    one, two = report_rows(project)
    assert one.last is not None and (one.last.reviewer, one.last.file_name) == (
        "MC",
        "hall 2019.pdf",
    )
    assert one.last.at is not None
    assert (
        two.report.status == "not_retrieved" and two.last is not None and two.last.reviewer == "CJ"
    )
    assert [r.report.id for r in report_rows(project, status="sought")] == []
    assert [r.report.id for r in report_rows(project, status="not_retrieved")] == [r2]
    with pytest.raises(InputError, match="unknown retrieval status"):
        report_rows(project, status="lost")


def test_a_companion_paper_uses_the_same_file_without_a_second_copy(
    reports: tuple[Project, list[int]],
) -> None:
    project, _ = reports
    r1, r2 = screening.create_reports(project)
    with pytest.raises(StateError, match="no full text attached to share"):
        retrieval.use_full_text_of(project, r2, source_report_id=r1, reviewer="MC")
    retrieval.attach_bytes(project, r1, PDF, file_name="hall 2019.pdf", reviewer="MC")
    shared = retrieval.use_full_text_of(project, r2, source_report_id=r1, reviewer="CJ")
    assert shared.file_sha256 == hashlib.sha256(PDF).hexdigest()
    attached = attached_full_text(project, r2)
    assert attached.file_name == "hall 2019.pdf"
    assert attached.path is not None and attached.path.read_bytes() == PDF
    assert len([p for p in (project.root / "blobs").rglob("*") if p.is_file()]) == 1
    assert [r.same_file_as for r in report_rows(project)] == [(r2,), (r1,)]
    with pytest.raises(InputError, match="its own full text"):
        retrieval.use_full_text_of(project, r1, source_report_id=r1, reviewer="MC")
    with pytest.raises(NotFoundError, match="no report 999"):
        retrieval.use_full_text_of(project, r1, source_report_id=999, reviewer="MC")


def test_the_detail_has_the_record_and_every_event_and_grouping_shows(
    reports: tuple[Project, list[int]],
) -> None:
    project, _ = reports
    r1, r2 = screening.create_reports(project)
    retrieval.not_retrieved(project, r1, reason="paywalled", reviewer="MC")
    retrieval.attach_bytes(project, r1, PDF, file_name="found.pdf", reviewer="CJ")
    screening.group_reports(project, [r1, r2])
    detail = report_detail(project, r1)
    assert detail.abstract and "link workers" in detail.abstract
    assert [(e.status, e.reviewer) for e in detail.history] == [
        ("not_retrieved", "MC"),
        ("retrieved", "CJ"),
    ]
    assert detail.row.study_reports == (r1, r2)
    with pytest.raises(NotFoundError, match="no report 999"):
        report_detail(project, 999)
    with pytest.raises(NotFoundError, match="sought"):
        attached_full_text(project, r2)


def test_an_upload_must_be_what_its_name_says_and_within_the_limit(
    reports: tuple[Project, list[int]], monkeypatch: pytest.MonkeyPatch
) -> None:
    project, _ = reports
    (r1, _r2) = screening.create_reports(project)
    with pytest.raises(InputError, match="not a PDF"):
        retrieval.attach_bytes(
            project, r1, b"<html>hi</html>", file_name="paper.pdf", reviewer="MC"
        )
    with pytest.raises(InputError, match="not a Word document"):
        retrieval.attach_bytes(project, r1, b"plain text", file_name="paper.docx", reviewer="MC")
    monkeypatch.setenv("REVIEWFLOW_MAX_FULLTEXT_MB", "1")
    with pytest.raises(LimitError, match="REVIEWFLOW_MAX_FULLTEXT_MB"):
        retrieval.attach_bytes(project, r1, PDF + b"0" * 10**6, file_name="big.pdf", reviewer="MC")
    assert screening.get_report(project, r1).status == "sought"
