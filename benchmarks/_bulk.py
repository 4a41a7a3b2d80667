"""A throw-away benchmark project filled in one bulk insert (shared by the concurrency,
queue and web benchmarks): importing 50,000 synthetic records through the parsers would
time the import, not what those benchmarks measure."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import Any

from reviewflow import accounts
from reviewflow.project import Project
from reviewflow.records import Record
from reviewflow.settings import Reviewer, ScreeningSettings
from reviewflow.stages.dedup import links
from reviewflow.store import queries


def bulk_project(
    root: Path,
    *,
    title: str,
    team: Iterable[str],
    screening: dict[str, Any],
    items: Iterable[Record],
    records: int,
    database_url: str = "sqlite:///review.db",
    password: str | None = None,
) -> list[int]:
    """Create the project with ``team`` and the ``screening`` plan, insert ``items`` (of
    which there are ``records``) as one import, give every member ``password`` if set;
    the record ids (canonical, in id order)."""
    team = list(team)
    project = Project.create(
        root, title=title, database_url=database_url,
        reviewers=[Reviewer(initials=r) for r in team],
    )  # fmt: skip
    project.settings.screening = ScreeningSettings.model_validate(screening)
    project.save_settings()
    with project.session(actor=team[0]) as session:
        import_id = queries.insert_import(
            session.conn,
            values={"file_name": "bench.ris", "file_sha256": "0" * 64, "format": "ris",
                    "records_read": records, "warnings": []},
        )  # fmt: skip
        queries.insert_records(session.conn, import_id=import_id, items=items)
        if password is not None:
            for r in team:
                accounts.set_password(session.conn, r, password)
    with project.db.connect() as conn:
        ids = links.canonical_record_ids(conn)
    project.close()
    return ids
