"""What a team sees of retrieval: each report with its status, study, who did what, when.

:func:`reviewflow.stages.screening.list_reports` gives a report's current status; a team
sharing the work also asks who attached a file and when, which other reports sit in the
same study, and which share one PDF (a companion paper). :func:`report_rows` (the list)
and :func:`report_detail` (one report, with its record and every retrieval event) answer
that for the web app, read in one go; :func:`attached_full_text` gives the bytes to serve.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from ...errors import InputError, NotFoundError
from ...project import Project
from ...store import screening_queries as sq
from .. import studies
from ..screening.fulltext import Report, get_report, list_reports
from . import full_text_path, read_full_text

STATUSES = ("sought", "retrieved", "not_retrieved")


@dataclass(frozen=True)
class RetrievalEvent:
    """One thing done to a report's full text: attached, or recorded as not retrieved."""

    report_id: int
    status: str  # retrieved | not_retrieved
    file_name: str | None
    file_sha256: str | None
    reason: str | None
    reviewer: str | None
    at: datetime | None

    def to_dict(self) -> dict[str, Any]:
        out = asdict(self)
        out["at"] = self.at.isoformat() if self.at else None
        return out


@dataclass(frozen=True)
class ReportRow:
    """A report as the list shows it."""

    report: Report
    study_label: str
    #: Every report of the report's study, this one included, in id order.
    study_reports: tuple[int, ...]
    #: The latest retrieval event (who attached the file or said why not, and when).
    last: RetrievalEvent | None
    #: Other reports whose current full text is the same file.
    same_file_as: tuple[int, ...]

    def to_dict(self) -> dict[str, Any]:
        return {
            **self.report.to_dict(),
            "study_label": self.study_label,
            "study_reports": list(self.study_reports),
            "last_event": self.last.to_dict() if self.last else None,
            "same_file_as": list(self.same_file_as),
        }


@dataclass(frozen=True)
class ReportDetail:
    """One report: the list's row, its record's text and every retrieval event."""

    row: ReportRow
    authors: tuple[str, ...]
    journal: str | None
    doi: str | None
    abstract: str | None
    keywords: tuple[str, ...]
    history: tuple[RetrievalEvent, ...]

    def to_dict(self) -> dict[str, Any]:
        return {
            **self.row.to_dict(),
            "authors": list(self.authors),
            "journal": self.journal,
            "doi": self.doi,
            "abstract": self.abstract,
            "keywords": list(self.keywords),
            "history": [e.to_dict() for e in self.history],
        }


def report_rows(project: Project, *, status: str | None = None) -> list[ReportRow]:
    """Every report (or those with retrieval ``status``), in id order."""
    if status is not None and status not in STATUSES:
        raise InputError(
            f"unknown retrieval status {status!r}", hint=f"Use one of: {', '.join(STATUSES)}."
        )
    reports = list_reports(project)
    with project.db.connect() as conn:
        history = sq.retrieval_history(conn)
    known = studies.list_studies(project)
    return [
        r
        for r in _rows(reports, known, _last_events(history))
        if status is None or r.report.status == status
    ]


def report_detail(project: Project, report_id: int) -> ReportDetail:
    """One report with its record's details and its retrieval history (NotFoundError)."""
    report = get_report(project, report_id)
    reports = list_reports(project)
    with project.db.connect() as conn:
        history = [_event(e) for e in sq.retrieval_history(conn, report_id=report_id)]
        ids = [report.record_id] if report.record_id is not None else []
        text = sq.record_texts(conn, ids).get(report.record_id or -1, {})
    last = {report_id: history[-1]} if history else {}
    (row,) = [
        r for r in _rows(reports, studies.list_studies(project), last) if r.report.id == report_id
    ]
    return ReportDetail(
        row=row,
        authors=tuple(text.get("authors") or ()),
        journal=text.get("source_title"),
        doi=text.get("doi"),
        abstract=text.get("abstract"),
        keywords=tuple(text.get("keywords") or ()),
        history=tuple(history),
    )


@dataclass(frozen=True)
class AttachedFile:
    """The full text attached to a report now: a local file when the blob store has one
    (a server streams it, with range requests for PDF viewers), else its bytes."""

    report_id: int
    file_name: str
    sha256: str
    path: Path | None
    data: bytes | None


def attached_full_text(project: Project, report_id: int) -> AttachedFile:
    """The full text attached to ``report_id`` now; a NotFoundError when there is none
    (sought, recorded as not retrieved, or its file is missing from the blob store)."""
    report = get_report(project, report_id)
    if report.status != "retrieved" or not report.file_sha256:
        why = f" ({report.not_retrieved_reason})" if report.not_retrieved_reason else ""
        raise NotFoundError(
            f"report {report_id} has no full text attached: it is "
            f"{report.status.replace('_', ' ')}{why}",
            hint=f"Attach it with: reviewflow fulltext retrieve {report_id} --file FILE",
        )
    event = {**report.to_dict(), "report_id": report_id}
    path = full_text_path(project, event)
    return AttachedFile(
        report_id=report_id,
        file_name=report.file_name or f"report-{report_id}",
        sha256=report.file_sha256,
        path=path,
        data=None if path is not None else read_full_text(project, event),
    )


def _rows(
    reports: list[Report], known: list[studies.Study], last: Mapping[int, RetrievalEvent]
) -> list[ReportRow]:
    by_study = {s.id: s for s in known}
    sharing: dict[str, list[int]] = {}
    for r in reports:
        if r.status == "retrieved" and r.file_sha256:
            sharing.setdefault(r.file_sha256, []).append(r.id)
    out = []
    for r in reports:
        study = by_study.get(r.study_id)
        same = sharing.get(r.file_sha256 or "", []) if r.status == "retrieved" else []
        out.append(
            ReportRow(
                report=r,
                study_label=study.label if study else f"study {r.study_id}",
                study_reports=tuple(sorted(study.report_ids)) if study else (r.id,),
                last=last.get(r.id),
                same_file_as=tuple(i for i in same if i != r.id),
            )
        )
    return out


def _last_events(history: list[dict[str, Any]]) -> dict[int, RetrievalEvent]:
    return {int(e["report_id"]): _event(e) for e in history}  # oldest first: the last wins


def _event(row: Mapping[str, Any]) -> RetrievalEvent:
    return RetrievalEvent(
        report_id=int(row["report_id"]),
        status=str(row["status"]),
        file_name=row.get("file_name"),
        file_sha256=row.get("file_sha256"),
        reason=row.get("reason"),
        reviewer=row.get("reviewer"),
        at=row.get("created_at"),
    )
