"""SQL for changing an import afterwards: its search link, its removal, and their history.

Removing an import deletes rows from many tables, so the tables that depend on its records
are listed here once (:func:`removal_targets`, children first), each with the condition
that selects the rows to go: what is shown to the user before confirming and what is
deleted are the same statements. Conditions are subqueries on the import id, never long
``IN (...)`` lists, so a 50,000-record import stays within SQLite's parameter limit.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, Connection, Table, delete, func, insert, or_, select, update

from . import actor_or
from .queries import now
from .schema import (
    appraisals,
    code_applications,
    dedup_decisions,
    dedup_pairs,
    duplicate_links,
    extraction_events,
    extraction_values,
    import_events,
    imports,
    records,
    reports,
    retrieval_events,
    screening_decisions,
    searches,
    segment_flag_events,
    segment_memos,
    segments,
    studies,
    synthesis_sources,
    theme_quotes,
)


def get_import(conn: Connection, import_id: int) -> dict[str, Any] | None:
    row = conn.execute(select(imports).where(imports.c.id == import_id)).mappings().first()
    return dict(row) if row else None


def set_import_search(conn: Connection, *, import_id: int, search_id: int | None) -> None:
    conn.execute(update(imports).where(imports.c.id == import_id).values(search_id=search_id))


def find_searches_by_sha256(conn: Connection, sha256: str) -> list[dict[str, Any]]:
    stmt = select(searches).where(searches.c.file_sha256 == sha256).order_by(searches.c.id)
    return [dict(r) for r in conn.execute(stmt).mappings()]


def insert_import_event(conn: Connection, *, values: Mapping[str, Any]) -> int:
    row = {"created_at": now(), "details": {}, **values}
    row["reviewer"] = actor_or(row.get("reviewer"))
    result = conn.execute(insert(import_events).values(**row).returning(import_events.c.id))
    return int(result.scalar_one())


def list_import_events(conn: Connection, *, action: str | None = None) -> list[dict[str, Any]]:
    stmt = select(import_events).order_by(import_events.c.id)
    if action is not None:
        stmt = stmt.where(import_events.c.action == action)
    return [dict(r) for r in conn.execute(stmt).mappings()]


def max_record_id(conn: Connection) -> int:
    return int(conn.execute(select(func.max(records.c.id))).scalar_one() or 0)


# -- removal ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Target:
    """Rows of one table that go when an import is removed."""

    key: str  # stable name, used in the history row's counts
    label: str  # what a user reads
    table: Table
    where: ColumnElement[bool]


def record_ids_of(conn: Connection, import_id: int) -> list[int]:
    stmt = select(records.c.id).where(records.c.import_id == import_id).order_by(records.c.id)
    return [int(i) for i in conn.execute(stmt).scalars()]


def removal_targets(conn: Connection, import_id: int) -> list[Target]:
    """Every table holding rows that depend on the records of ``import_id``, children first.

    A study goes only when every one of its reports goes (reports of records of this
    import); a study that keeps another report stays with all its work.
    """
    rec = select(records.c.id).where(records.c.import_id == import_id).scalar_subquery()
    rep = select(reports.c.id).where(reports.c.record_id.in_(rec)).scalar_subquery()
    gone = _studies_left_without_reports(conn, import_id)
    src = select(synthesis_sources.c.id).where(synthesis_sources.c.study_id.in_(gone))
    seg = select(segments.c.id).where(
        or_(segments.c.study_id.in_(gone), segments.c.source_id.in_(src.scalar_subquery()))
    )
    ext = select(extraction_events.c.id).where(extraction_events.c.study_id.in_(gone))
    sd = screening_decisions.c
    return [
        Target("extraction_values", "extraction answers", extraction_values,
               extraction_values.c.event_id.in_(ext.scalar_subquery())),
        Target("extraction_events", "extraction events", extraction_events,
               extraction_events.c.study_id.in_(gone)),
        Target("appraisals", "appraisals", appraisals, appraisals.c.study_id.in_(gone)),
        Target("segment_flag_events", "segment corrections", segment_flag_events,
               segment_flag_events.c.segment_id.in_(seg.scalar_subquery())),
        Target("segment_memos", "segment memos", segment_memos,
               segment_memos.c.segment_id.in_(seg.scalar_subquery())),
        Target("code_applications", "code applications", code_applications,
               code_applications.c.segment_id.in_(seg.scalar_subquery())),
        Target("theme_quotes", "theme quotes", theme_quotes,
               or_(theme_quotes.c.study_id.in_(gone),
                   theme_quotes.c.segment_id.in_(seg.scalar_subquery()))),
        Target("segments", "findings segments", segments,
               or_(segments.c.study_id.in_(gone),
                   segments.c.source_id.in_(src.scalar_subquery()))),
        Target("synthesis_sources", "findings documents", synthesis_sources,
               synthesis_sources.c.study_id.in_(gone)),
        Target("ft_decisions", "full-text screening decisions", screening_decisions,
               (sd.stage == "ft") & sd.item_id.in_(rep)),
        Target("retrieval_events", "full-text retrieval events", retrieval_events,
               retrieval_events.c.report_id.in_(rep)),
        Target("reports", "reports", reports, reports.c.record_id.in_(rec)),
        Target("studies", "studies", studies, studies.c.id.in_(gone)),
        Target("ta_decisions", "title/abstract screening decisions", screening_decisions,
               (sd.stage == "ta") & sd.item_id.in_(rec)),
        Target("duplicate_links", "duplicate link events", duplicate_links,
               or_(duplicate_links.c.record_id.in_(rec), duplicate_links.c.canonical_id.in_(rec))),
        Target("dedup_pairs", "dedup pairs", dedup_pairs,
               or_(dedup_pairs.c.record_a.in_(rec), dedup_pairs.c.record_b.in_(rec))),
        Target("dedup_decisions", "dedup decisions", dedup_decisions,
               or_(dedup_decisions.c.record_a.in_(rec), dedup_decisions.c.record_b.in_(rec))),
        Target("records", "records", records, records.c.import_id == import_id),
    ]  # fmt: skip


def _studies_left_without_reports(conn: Connection, import_id: int) -> list[int]:
    rec = select(records.c.id).where(records.c.import_id == import_id).scalar_subquery()
    touched = {
        int(s)
        for s in conn.execute(
            select(reports.c.study_id).where(reports.c.record_id.in_(rec)).distinct()
        ).scalars()
    }
    if not touched:
        return []
    kept = conn.execute(
        select(reports.c.study_id)
        .where(reports.c.study_id.in_(sorted(touched)))
        .where(or_(reports.c.record_id.is_(None), reports.c.record_id.not_in(rec)))
        .distinct()
    ).scalars()
    return sorted(touched - {int(s) for s in kept})


def count_targets(conn: Connection, targets: list[Target]) -> dict[str, int]:
    return {
        t.key: int(
            conn.execute(select(func.count()).select_from(t.table).where(t.where)).scalar_one()
        )
        for t in targets
    }


def delete_targets(conn: Connection, targets: list[Target], *, import_id: int) -> None:
    """Delete every target, then the import row (inside the caller's transaction)."""
    for t in targets:
        conn.execute(delete(t.table).where(t.where))
    conn.execute(delete(imports).where(imports.c.id == import_id))
