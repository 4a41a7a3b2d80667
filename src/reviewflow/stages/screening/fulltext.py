"""Reports and studies for full-text screening.

A report is created for each record that passed title/abstract (:func:`create_reports`,
idempotent), in a study of its own; :func:`group_reports` then puts the reports of one
study together (protocol, main paper, follow-up). Each report shows its retrieval status
(sought, retrieved or not retrieved), which :mod:`reviewflow.stages.retrieval` records.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass
from typing import Any

from ...errors import InputError, NotFoundError
from ...project import Project
from ...store import screening_queries as sq
from .. import studies
from .state import INCLUDE, load_state


@dataclass(frozen=True)
class Report:
    id: int
    record_id: int | None
    study_id: int
    kind: str | None
    title: str | None
    year: int | None
    status: str  # sought | retrieved | not_retrieved
    file_name: str | None
    file_sha256: str | None
    file_path: str | None
    not_retrieved_reason: str | None

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def create_reports(project: Project) -> list[int]:
    """A report (in a new study) for every record that passed title/abstract and has none."""
    with project.db.transaction() as conn:
        return sq.insert_studies_and_reports(conn, record_ids=_without_report(conn, project))


def records_without_report(project: Project) -> list[int]:
    """The records that passed title/abstract and have no report yet: what
    :func:`create_reports` would make reports for (so a page can offer it)."""
    with project.db.connect() as conn:
        return _without_report(conn, project)


def _without_report(conn: Any, project: Project) -> list[int]:
    ta = load_state(conn, project, "ta")
    have = {r["record_id"] for r in sq.list_reports(conn)}
    return [i for i in ta.items if ta.results[i] == INCLUDE and i not in have]


def get_report(project: Project, report_id: int) -> Report:
    """One report, or a NotFoundError saying how reports are made."""
    with project.db.connect() as conn:
        _check_report(conn, report_id)
    return _one(project, report_id)


def list_reports(project: Project) -> list[Report]:
    with project.db.connect() as conn:
        rows = sq.list_reports(conn)
        retrieval = sq.current_retrieval(conn)
    out = []
    for row in rows:
        ev = retrieval.get(row["id"], {})
        out.append(
            Report(
                id=row["id"],
                record_id=row["record_id"],
                study_id=row["study_id"],
                kind=row["kind"],
                title=row["title"],
                year=row["year"],
                status=ev.get("status", "sought"),
                file_name=ev.get("file_name"),
                file_sha256=ev.get("file_sha256"),
                file_path=ev.get("file_path"),
                not_retrieved_reason=ev.get("reason"),
            )
        )
    return out


def group_reports(
    project: Project, report_ids: Sequence[int], *, study_id: int | None = None
) -> int:
    """Put reports in one study (``study_id``, or the study of the first report)."""
    if not report_ids:
        raise InputError("name at least one report to group")
    with project.db.transaction() as conn:
        known = {r["id"]: r for r in sq.list_reports(conn)}
        missing = [i for i in report_ids if i not in known]
        if missing:
            raise NotFoundError(
                f"no report {missing[0]}", hint="List them with: reviewflow fulltext reports"
            )
        target = study_id if study_id is not None else known[report_ids[0]]["study_id"]
        target = studies.load(conn, project).find(target).id
        sq.set_report_study(conn, report_ids=report_ids, study_id=target)
    return target


def set_report_kind(project: Project, report_id: int, kind: str | None) -> None:
    """Label a report (main, protocol, follow-up, ...)."""
    with project.db.transaction() as conn:
        _check_report(conn, report_id)
        sq.set_report_kind(conn, report_id=report_id, kind=kind)


def _check_report(conn: Any, report_id: int) -> None:
    if report_id not in sq.report_ids(conn):
        raise NotFoundError(
            f"no report {report_id}",
            hint="Create reports with: reviewflow fulltext reports --create",
        )


def _one(project: Project, report_id: int) -> Report:
    return next(r for r in list_reports(project) if r.id == report_id)
