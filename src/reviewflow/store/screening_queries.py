"""SQL of screening: decisions, stage events, reports, studies and retrieval events.

Every table here is append-only except ``reports.study_id``/``kind`` (the grouping of
reports into studies is an editable judgement, not a decision) and ``studies.label``.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, Sequence
from typing import Any, NamedTuple

from sqlalchemy import Connection, String, bindparam, cast, func, insert, or_, select, update

from . import actor_or
from .queries import now
from .schema import (
    duplicate_links,
    records,
    reports,
    retrieval_events,
    screening_decisions,
    screening_stage_events,
    studies,
)

_CHUNK = 900  # stay under SQLite's bound-parameter limit in IN (...) lists

# -- decisions -------------------------------------------------------------------------


# Statements that run for every decision recorded are built once, with bound parameters:
# building and cache-keying a fresh statement costs more than SQLite takes to run it.
_INSERT_DECISIONS = insert(screening_decisions)
_EVENTS_OF_STAGE = (
    select(screening_decisions)
    .where(screening_decisions.c.stage == bindparam("stage"))
    .order_by(screening_decisions.c.id)
)
_EVENTS_OF_ITEMS = _EVENTS_OF_STAGE.where(
    screening_decisions.c.item_id.in_(bindparam("ids", expanding=True))
)


def insert_decisions(conn: Connection, rows: Sequence[Mapping[str, Any]]) -> int:
    """Append decision events (stage, item_id, reviewer, decision, reason, note, role)."""
    if not rows:
        return 0
    stamp = now()
    values = [{"created_at": stamp, "reason": None, "note": None, **row} for row in rows]
    if conn.dialect.name == "postgresql" and len(values) >= _COPY_FROM:
        _copy_decisions(conn, values)
    else:
        conn.execute(_INSERT_DECISIONS, values)
    return len(values)


#: From how many rows a PostgreSQL batch goes through COPY: a sheet of 60,000 decisions
#: took 1.5 s as a pipelined executemany, 0.2 s as COPY; a few rows are quicker inserted.
_COPY_FROM = 200
_DECISION_COLUMNS = tuple(c.name for c in screening_decisions.columns if c.name != "id")


def _copy_decisions(conn: Connection, values: Sequence[Mapping[str, Any]]) -> None:
    """COPY through the caller's transaction (all or nothing, as the insert); ids come
    from the sequence in row order, so the events keep the order they were given in."""
    cursor = conn.connection.driver_connection.cursor()  # type: ignore[union-attr]
    sql = f"COPY screening_decisions ({', '.join(_DECISION_COLUMNS)}) FROM STDIN"
    with cursor.copy(sql) as copy:
        for row in values:
            copy.write_row(tuple(row[c] for c in _DECISION_COLUMNS))


def decision_events(
    conn: Connection, *, stage: str, item_ids: Iterable[int] | None = None
) -> list[dict[str, Any]]:
    """Decision events of a stage in the order they were made (oldest first)."""
    names = list(screening_decisions.c.keys())
    if item_ids is None:
        rows = conn.execute(_EVENTS_OF_STAGE, {"stage": stage})
        return [dict(zip(names, r, strict=True)) for r in rows]
    out: list[dict[str, Any]] = []
    for part in _chunks(item_ids):
        rows = conn.execute(_EVENTS_OF_ITEMS, {"stage": stage, "ids": part})
        out.extend(dict(zip(names, r, strict=True)) for r in rows)
    out.sort(key=lambda r: r["id"])
    return out


def _chunks(ids: Iterable[int]) -> Iterator[list[int]]:
    wanted = sorted(set(ids))
    for start in range(0, len(wanted), _CHUNK):
        yield wanted[start : start + _CHUNK]


_OWN_EVENTS = (
    select(
        screening_decisions.c.id,
        screening_decisions.c.item_id,
        screening_decisions.c.decision,
        screening_decisions.c.reason,
        screening_decisions.c.note,
        screening_decisions.c.created_at,
    )
    .where(
        screening_decisions.c.id > bindparam("after"),
        screening_decisions.c.stage == bindparam("stage"),
        screening_decisions.c.reviewer == bindparam("reviewer"),
        screening_decisions.c.role == "screen",
    )
    .order_by(screening_decisions.c.id)
)


def own_events_after(
    conn: Connection, *, stage: str, reviewer: str, after: int = 0
) -> list[tuple[int, int, str, str | None, str | None, Any]]:
    """``reviewer``'s screening events at ``stage`` with an id above ``after``, oldest
    first: (id, item_id, decision, reason, note, created_at).

    Read by the primary key from ``after`` on, so asking for the few events since the last
    call costs the same on a project of 50,000 records as on one of 50.
    """
    rows = conn.execute(_OWN_EVENTS, {"after": after, "stage": stage, "reviewer": reviewer})
    return [tuple(r) for r in rows]


_CHANGE_MARKS = select(
    select(func.max(screening_decisions.c.id)).scalar_subquery(),
    select(func.max(screening_stage_events.c.id)).scalar_subquery(),
)


def change_marks(conn: Connection) -> tuple[int, int]:
    """(largest decision id, largest stage event id): both grow with every event, so a
    derived state that recorded them is current while they are unchanged."""
    decisions, events = conn.execute(_CHANGE_MARKS).one()
    return int(decisions or 0), int(events or 0)


_RECORDS_MARK = select(
    select(func.count()).select_from(records).scalar_subquery(),
    select(func.max(records.c.id)).scalar_subquery(),
    select(func.count()).select_from(duplicate_links).scalar_subquery(),
    select(func.max(duplicate_links.c.id)).scalar_subquery(),
)


def records_mark(conn: Connection) -> tuple[int, ...]:
    """Counts and largest ids of the records and the duplicate link events: unchanged
    while the title/abstract items (the canonical records) are, in one cheap read
    (an import adds records, removing one deletes them, dedup adds link events)."""
    return tuple(int(v or 0) for v in conn.execute(_RECORDS_MARK).one())


def records_matching(conn: Connection, needle: str) -> set[int]:
    """Ids of the records whose title, abstract or authors contain ``needle``, ignoring
    case (SQL LIKE: ASCII letters only on SQLite; check non-ASCII text in Python)."""
    escaped = needle.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    pattern = f"%{escaped}%"
    cols = records.c
    stmt = select(cols.id).where(
        or_(
            cols.title.ilike(pattern, escape="\\"),
            cols.abstract.ilike(pattern, escape="\\"),
            cast(cols.authors, String).ilike(pattern, escape="\\"),
        )
    )
    return {int(i) for i in conn.execute(stmt).scalars()}


def reports_among(conn: Connection, ids: Iterable[int]) -> dict[int, int | None]:
    """report id -> its record id (None for a report without one), for those of ``ids``."""
    out: dict[int, int | None] = {}
    for part in _chunks(ids):
        stmt = select(reports.c.id, reports.c.record_id).where(reports.c.id.in_(part))
        out.update({int(i): (None if r is None else int(r)) for i, r in conn.execute(stmt)})
    return out


def retrieval_status_among(conn: Connection, ids: Iterable[int]) -> dict[int, str]:
    """report id -> the status of its latest retrieval event, for those of ``ids`` with one."""
    cols = retrieval_events.c
    out: dict[int, str] = {}
    for part in _chunks(ids):
        stmt = select(cols.report_id, cols.status).where(cols.report_id.in_(part)).order_by(cols.id)
        out.update({int(i): str(status) for i, status in conn.execute(stmt)})
    return out


# -- stage events ----------------------------------------------------------------------


def insert_stage_event(
    conn: Connection,
    *,
    stage: str,
    action: str,
    reviewer: str | None,
    details: Mapping[str, Any] | None = None,
) -> None:
    conn.execute(
        insert(screening_stage_events).values(
            stage=stage,
            action=action,
            reviewer=actor_or(reviewer),
            created_at=now(),
            details=details,
        )
    )


def latest_plan(conn: Connection, *, stage: str) -> dict[str, Any] | None:
    """The assignment settings recorded when screening of ``stage`` began (or was replanned)."""
    cols = screening_stage_events.c
    return conn.execute(
        select(cols.details)
        .where(cols.stage == stage, cols.action == "plan")
        .order_by(cols.id.desc())
        .limit(1)
    ).scalar()


_STAGE_EVENTS = (
    select(screening_stage_events.c.action, screening_stage_events.c.details)
    .where(screening_stage_events.c.stage == bindparam("stage"))
    .order_by(screening_stage_events.c.id)
)


class StageStatus(NamedTuple):
    """What the few stage events of a stage say about it now."""

    closed: bool
    #: False while an owner has switched blindness off ("unblind"), True again on "blind".
    blind: bool
    #: The assignment settings recorded when screening began (or was last replanned).
    plan: dict[str, Any] | None


def stage_status(conn: Connection, *, stage: str) -> StageStatus:
    """Whether ``stage`` is closed and blind, and its latest recorded plan, from one read of
    its few events: what recording a decision needs to know about the stage besides its
    items."""
    rows = conn.execute(_STAGE_EVENTS, {"stage": stage})
    closed, blind, plan = False, True, None
    for action, details in rows:
        if action in ("close", "reopen"):
            closed = action == "close"
        elif action in ("blind", "unblind"):
            blind = action == "blind"
        elif action == "plan":
            plan = details
    return StageStatus(closed, blind, plan)


def stage_closed(conn: Connection, *, stage: str) -> bool:
    """True when the latest close/reopen event of ``stage`` is "close"."""
    return latest_stage_action(conn, stage=stage, actions=("close", "reopen")) == "close"


def latest_stage_action(conn: Connection, *, stage: str, actions: Sequence[str]) -> str | None:
    """The latest of ``actions`` recorded for ``stage`` (close/reopen, stop/resume)."""
    cols = screening_stage_events.c
    return conn.execute(
        select(cols.action)
        .where(cols.stage == stage, cols.action.in_(list(actions)))
        .order_by(cols.id.desc())
        .limit(1)
    ).scalar()


def latest_stage_event(
    conn: Connection, *, stage: str, actions: Sequence[str]
) -> dict[str, Any] | None:
    """The latest of ``actions`` recorded for ``stage`` as a whole row (who, when), or None."""
    cols = screening_stage_events.c
    row = (
        conn.execute(
            select(screening_stage_events)
            .where(cols.stage == stage, cols.action.in_(list(actions)))
            .order_by(cols.id.desc())
            .limit(1)
        )
        .mappings()
        .first()
    )
    return dict(row) if row is not None else None


# -- studies and reports ---------------------------------------------------------------


def insert_study(conn: Connection, *, label: str | None = None) -> int:
    """A study recorded directly (no report yet): the next id above every study id.

    Ids are given explicitly, as for reports, so that a study made by screening can
    take its report's id (PostgreSQL's sequence would not know of those ids).
    """
    sid = (conn.execute(select(func.max(studies.c.id))).scalar() or 0) + 1
    conn.execute(
        insert(studies).values(id=sid, label=label, created_by=actor_or(None), created_at=now())
    )
    return sid


def insert_studies_and_reports(conn: Connection, *, record_ids: Sequence[int]) -> list[int]:
    """One new study per record and a report of that record in it; the new report ids.

    A report and its new study take the id of its record, so "item 9" is the same paper at
    title/abstract, at full text and in later stages. Only when that id is already taken
    (by a report made without a record, see :func:`insert_report`, or a study recorded
    directly) does it get the next free id above every record and report id. Ids are
    always given explicitly, so no database sequence is involved; one bulk insert per
    table, so promoting thousands of records takes well under a second.
    """
    if not record_ids:
        return []
    stamp, who = now(), actor_or(None)
    taken = report_ids(conn)
    spare = _next_free_id(conn)
    ids = []
    for r in record_ids:
        if r in taken:
            r, spare = spare, spare + 1
        taken.add(r)
        ids.append(r)
    # The new study takes its report's id too, so "study 9" is the paper of record 9,
    # unless a study recorded directly already holds that id.
    taken_studies = study_ids(conn)
    spare_study = max(spare, max(taken_studies, default=0) + 1)
    study_ids_ = []
    for i in ids:
        if i in taken_studies:
            i, spare_study = spare_study, spare_study + 1
        taken_studies.add(i)
        study_ids_.append(i)
    conn.execute(
        insert(studies),
        [{"id": i, "label": None, "created_by": who, "created_at": stamp} for i in study_ids_],
    )
    rows = [
        {
            "id": i,
            "record_id": r,
            "study_id": s,
            "kind": None,
            "created_by": who,
            "created_at": stamp,
        }
        for i, r, s in zip(ids, record_ids, study_ids_, strict=True)
    ]
    conn.execute(insert(reports), rows)
    return ids


def insert_report(
    conn: Connection, *, record_id: int | None, study_id: int, kind: str | None = None
) -> int:
    """A report; one without a record gets an id above every record id (see above)."""
    taken = report_ids(conn)
    rid = record_id if record_id is not None and record_id not in taken else _next_free_id(conn)
    conn.execute(
        insert(reports).values(
            id=rid,
            record_id=record_id,
            study_id=study_id,
            kind=kind,
            created_by=actor_or(None),
            created_at=now(),
        )
    )
    return rid


def _next_free_id(conn: Connection) -> int:
    """One above the largest record and report id: never the id of a record."""
    top_record = conn.execute(select(func.max(records.c.id))).scalar() or 0
    top_report = conn.execute(select(func.max(reports.c.id))).scalar() or 0
    return max(top_record, top_report) + 1


def list_reports(conn: Connection) -> list[dict[str, Any]]:
    """Every report with its record's title, year, authors and DOI, in id order."""
    stmt = (
        select(
            reports,
            records.c.title,
            records.c.year,
            records.c.authors,
            records.c.abstract,
            records.c.doi,
            studies.c.label.label("study_label"),
        )
        .select_from(
            reports.outerjoin(records, reports.c.record_id == records.c.id).join(
                studies, reports.c.study_id == studies.c.id
            )
        )
        .order_by(reports.c.id)
    )
    return [dict(r) for r in conn.execute(stmt).mappings()]


def report_ids(conn: Connection) -> set[int]:
    return {int(i) for i in conn.execute(select(reports.c.id)).scalars()}


def list_studies(conn: Connection) -> list[dict[str, Any]]:
    """Study rows as stored (label: the team's, or None); labels and inclusion are
    derived by :mod:`reviewflow.stages.studies`, which every stage reads them through."""
    return [dict(r) for r in conn.execute(select(studies).order_by(studies.c.id)).mappings()]


def study_ids(conn: Connection) -> set[int]:
    return {int(i) for i in conn.execute(select(studies.c.id)).scalars()}


def set_report_study(conn: Connection, *, report_ids: Iterable[int], study_id: int) -> None:
    conn.execute(
        update(reports).where(reports.c.id.in_(list(report_ids))).values(study_id=study_id)
    )


def set_report_kind(conn: Connection, *, report_id: int, kind: str | None) -> None:
    conn.execute(update(reports).where(reports.c.id == report_id).values(kind=kind))


def set_study_label(conn: Connection, *, study_id: int, label: str | None) -> None:
    conn.execute(update(studies).where(studies.c.id == study_id).values(label=label))


# -- retrieval -------------------------------------------------------------------------


def insert_retrieval_event(conn: Connection, *, values: Mapping[str, Any]) -> None:
    row = {"created_at": now(), **values}
    row["reviewer"] = actor_or(row.get("reviewer"))
    conn.execute(insert(retrieval_events).values(**row))


def current_retrieval(conn: Connection) -> dict[int, dict[str, Any]]:
    """report id -> its latest retrieval event (reports with no event are "sought")."""
    stmt = select(retrieval_events).order_by(retrieval_events.c.id)
    return {int(r["report_id"]): dict(r) for r in conn.execute(stmt).mappings()}


def retrieval_history(conn: Connection, *, report_id: int | None = None) -> list[dict[str, Any]]:
    """Every retrieval event (of one report, or all), oldest first."""
    stmt = select(retrieval_events).order_by(retrieval_events.c.id)
    if report_id is not None:
        stmt = stmt.where(retrieval_events.c.report_id == report_id)
    return [dict(r) for r in conn.execute(stmt).mappings()]


# -- records shown to screeners --------------------------------------------------------


def record_texts(conn: Connection, ids: Iterable[int]) -> dict[int, dict[str, Any]]:
    """id -> title, abstract, authors, year, source_title, keywords, DOI for screeners."""
    cols = records.c
    out: dict[int, dict[str, Any]] = {}
    wanted = sorted(set(ids))
    for start in range(0, len(wanted), _CHUNK):
        stmt = select(
            cols.id,
            cols.title,
            cols.abstract,
            cols.authors,
            cols.year,
            cols.source_title,
            cols.keywords,
            cols.doi,
        ).where(cols.id.in_(wanted[start : start + _CHUNK]))
        for row in conn.execute(stmt).mappings():
            out[int(row["id"])] = dict(row)
    return out
