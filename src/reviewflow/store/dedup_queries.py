"""SQL for deduplication: link events, the review queue and people's pair decisions.

Every read and write of ``duplicate_links`` is here (removing an import deletes its
records' link events with them: ``import_queries``); the stages read and write links
through :mod:`reviewflow.stages.dedup.links`.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from sqlalchemy import Connection, Select, bindparam, insert, select

from . import actor_or
from .queries import now
from .schema import dedup_decisions, dedup_pairs, dedup_runs, duplicate_links, records

_CHUNK = 900  # stay under SQLite's bound-parameter limit in IN (...) lists


def _pair(a: int, b: int) -> tuple[int, int]:
    return (a, b) if a < b else (b, a)


def insert_run(conn: Connection, *, values: Mapping[str, Any]) -> int:
    row = {"started_at": now(), **values}
    row["created_by"] = actor_or(row.get("created_by"))
    return int(
        conn.execute(insert(dedup_runs).values(**row).returning(dedup_runs.c.id)).scalar_one()
    )


def last_run(conn: Connection) -> dict[str, Any] | None:
    row = (
        conn.execute(select(dedup_runs).order_by(dedup_runs.c.id.desc()).limit(1))
        .mappings()
        .first()
    )
    return dict(row) if row else None


def list_runs(conn: Connection) -> list[dict[str, Any]]:
    return [dict(r) for r in conn.execute(select(dedup_runs).order_by(dedup_runs.c.id)).mappings()]


def insert_link_events(conn: Connection, rows: Iterable[Mapping[str, Any]]) -> int:
    stamp = now()
    batch = [
        {"created_at": stamp, "scores": {}, **row, "reviewer": actor_or(row.get("reviewer"))}
        for row in rows
    ]
    if batch:
        conn.execute(insert(duplicate_links), batch)
    return len(batch)


def link_history(conn: Connection, record_id: int) -> list[dict[str, Any]]:
    stmt = (
        select(duplicate_links)
        .where(duplicate_links.c.record_id == record_id)
        .order_by(duplicate_links.c.id)
    )
    return [dict(r) for r in conn.execute(stmt).mappings()]


def latest_links(conn: Connection) -> dict[int, dict[str, Any]]:
    """The latest link event of each record that is currently linked (action "link")."""
    state: dict[int, dict[str, Any]] = {}
    for row in conn.execute(select(duplicate_links).order_by(duplicate_links.c.id)).mappings():
        state[row["record_id"]] = dict(row)
    return {rid: row for rid, row in state.items() if row["action"] == "link"}


def current_links(conn: Connection) -> dict[int, int]:
    """record id -> canonical record id, for every record currently linked as a duplicate.

    Derived from the append-only link events: the latest event per record wins.
    """
    rows = conn.execute(
        select(
            duplicate_links.c.record_id, duplicate_links.c.canonical_id, duplicate_links.c.action
        ).order_by(duplicate_links.c.id)
    )
    state: dict[int, int | None] = {}
    for record_id, canonical_id, action in rows:
        state[record_id] = canonical_id if action == "link" else None
    return {rid: cid for rid, cid in state.items() if cid is not None}


def canonical_record_ids(conn: Connection) -> list[int]:
    """Ids of records that are not linked as a duplicate of another: the ones screened."""
    linked = current_links(conn)
    ids = conn.execute(select(records.c.id).order_by(records.c.id)).scalars()
    return [int(i) for i in ids if i not in linked]


def _canonical_among_stmt() -> Select[Any]:
    link, earlier = duplicate_links.c, duplicate_links.alias("earlier").c
    latest = (
        select(earlier.id)
        .where(earlier.record_id == records.c.id)
        .order_by(earlier.id.desc())
        .limit(1)
        .correlate(records)
        .scalar_subquery()
    )
    return (
        select(records.c.id, link.action, link.canonical_id)
        .select_from(records.outerjoin(duplicate_links, link.id == latest))
        .where(records.c.id.in_(bindparam("ids", expanding=True)))
    )


#: Built once: it runs for every screening decision recorded.
_CANONICAL_AMONG = _canonical_among_stmt()


def canonical_among(conn: Connection, ids: Iterable[int]) -> list[int]:
    """Those of ``ids`` that are records not currently linked as a duplicate, in id order.

    The title/abstract items among a few ids, read in one statement by primary key and
    the duplicate-link index (each record's latest link event), so recording one decision
    does not list every record of the project.
    """
    out: list[int] = []
    wanted = sorted(set(ids))
    for part in (wanted[i : i + _CHUNK] for i in range(0, len(wanted), _CHUNK)):
        rows = conn.execute(_CANONICAL_AMONG, {"ids": part})
        out.extend(int(i) for i, action, canonical in rows if action != "link" or canonical is None)
    return sorted(out)


def insert_pairs(conn: Connection, rows: Iterable[Mapping[str, Any]]) -> int:
    batch = [{"created_at": now(), **row} for row in rows]
    if batch:
        conn.execute(insert(dedup_pairs), batch)
    return len(batch)


def queued_pairs(conn: Connection) -> list[dict[str, Any]]:
    stmt = select(dedup_pairs).order_by(dedup_pairs.c.id)
    return [dict(r) for r in conn.execute(stmt).mappings()]


def insert_decision(conn: Connection, *, values: Mapping[str, Any]) -> None:
    a, b = _pair(int(values["record_a"]), int(values["record_b"]))
    row = {"created_at": now(), **values, "record_a": a, "record_b": b}
    row["reviewer"] = actor_or(row.get("reviewer"))
    conn.execute(insert(dedup_decisions).values(**row))


def latest_decisions(conn: Connection) -> dict[tuple[int, int], dict[str, Any]]:
    """(a, b) with a < b -> the latest decision a person took on that pair."""
    out: dict[tuple[int, int], dict[str, Any]] = {}
    for row in conn.execute(select(dedup_decisions).order_by(dedup_decisions.c.id)).mappings():
        out[(row["record_a"], row["record_b"])] = dict(row)
    return out


def record_ids(conn: Connection) -> list[int]:
    return [int(i) for i in conn.execute(select(records.c.id).order_by(records.c.id)).scalars()]
