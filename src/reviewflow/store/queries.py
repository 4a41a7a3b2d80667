"""All SQL of the project store, as named functions with keyword-only arguments.

Stages call these inside ``db.transaction()`` (writes) or ``db.connect()`` (reads).
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator, Mapping
from datetime import UTC, datetime
from itertools import islice
from operator import attrgetter
from typing import Any

from sqlalchemy import Connection, RowMapping, func, insert, select, update

from ..records import LIST_FIELDS, SCALAR_FIELDS, Record
from . import actor_or
from .schema import import_events, imports, metadata, records, searches

_INSERT_CHUNK = 2000


def now() -> datetime:
    return datetime.now(UTC)


# -- searches -------------------------------------------------------------------------


def insert_search(conn: Connection, *, values: Mapping[str, Any]) -> int:
    row = dict(values)
    row.setdefault("created_at", now())
    row["created_by"] = actor_or(row.get("created_by"))
    result = conn.execute(insert(searches).values(**row).returning(searches.c.id))
    return int(result.scalar_one())


def get_search(conn: Connection, search_id: int) -> dict[str, Any] | None:
    row = conn.execute(select(searches).where(searches.c.id == search_id)).mappings().first()
    return dict(row) if row else None


def list_searches(conn: Connection) -> list[dict[str, Any]]:
    rows = conn.execute(select(searches).order_by(searches.c.id)).mappings().all()
    return [dict(r) for r in rows]


def update_search(conn: Connection, search_id: int, *, values: Mapping[str, Any]) -> None:
    conn.execute(update(searches).where(searches.c.id == search_id).values(**values))


# -- imports and records --------------------------------------------------------------


def find_imports_by_sha256(conn: Connection, sha256: str) -> list[dict[str, Any]]:
    rows = conn.execute(
        select(imports).where(imports.c.file_sha256 == sha256).order_by(imports.c.id)
    ).mappings()
    return [dict(r) for r in rows]


def insert_import(conn: Connection, *, values: Mapping[str, Any]) -> int:
    row = dict(values)
    row.setdefault("imported_at", now())
    row["created_by"] = actor_or(row.get("created_by"))
    if conn.dialect.name == "sqlite":
        # SQLite would hand a removed import's id to the next import, and the history
        # (import_events) would then name two different imports by one id.
        used = select(func.max(imports.c.id)).union_all(select(func.max(import_events.c.import_id)))
        row.setdefault(
            "id", max((int(i) for i in conn.execute(used).scalars() if i), default=0) + 1
        )
    result = conn.execute(insert(imports).values(**row).returning(imports.c.id))
    return int(result.scalar_one())


#: Column order of the bulk record insert.
_RECORD_COLUMNS: tuple[str, ...] = (
    "import_id",
    "position",
    "source_file",
    "source_line",
    *SCALAR_FIELDS,
    *LIST_FIELDS,
    "extra",
    "raw",
)


def record_rows(items: Iterable[Record], *, import_id: int) -> Iterator[tuple[Any, ...]]:
    """The records as row tuples in :data:`_RECORD_COLUMNS` order (lists and extra as JSON).

    One encoder object for every row: ``json.dumps(x, ensure_ascii=False)`` builds a new
    encoder at every call (0.26 s against 0.18 s for the lists of 50,000 records).
    """
    encode = json.JSONEncoder(ensure_ascii=False).encode
    scalars = attrgetter(*SCALAR_FIELDS)
    for position, rec in enumerate(items):
        yield (
            import_id,
            position,
            rec.source_file,
            rec.source_line,
            *scalars(rec),
            encode(rec.authors) if rec.authors else "[]",
            encode(rec.keywords) if rec.keywords else "[]",
            encode(rec.extra) if rec.extra else "{}",
            rec.raw,
        )


def insert_records(
    conn: Connection,
    *,
    import_id: int,
    items: Iterable[Record],
    on_chunk: Any = None,
) -> int:
    """Insert records in chunks through the driver; ``on_chunk(n)`` reports progress.

    Written against the DB-API cursor (``executemany`` on SQLite, ``COPY`` on PostgreSQL)
    rather than ``conn.execute(insert(records), rows)``: SQLAlchemy's per-row parameter
    processing took half of a 50,000-record import (benchmarks/import_bench.py). The rows
    still go through the caller's transaction, so an import stays all-or-nothing.
    """
    cursor = conn.connection.driver_connection.cursor()  # type: ignore[union-attr]
    write = _copy_writer(cursor) if conn.dialect.name == "postgresql" else _sqlite_writer(cursor)
    count = 0
    rows = record_rows(items, import_id=import_id)
    while chunk := list(islice(rows, _INSERT_CHUNK)):
        write(chunk)
        count += len(chunk)
        if on_chunk:
            on_chunk(len(chunk))
    return count


def _sqlite_writer(cursor: Any) -> Any:
    sql = (
        f"INSERT INTO records ({', '.join(_RECORD_COLUMNS)}) "
        f"VALUES ({', '.join('?' for _ in _RECORD_COLUMNS)})"
    )

    def write(rows: list[tuple[Any, ...]]) -> None:
        cursor.executemany(sql, rows)

    return write


def _copy_writer(cursor: Any) -> Any:
    sql = f"COPY records ({', '.join(_RECORD_COLUMNS)}) FROM STDIN"

    def write(rows: list[tuple[Any, ...]]) -> None:
        with cursor.copy(sql) as copy:
            for row in rows:
                copy.write_row(row)

    return write


def iter_records(
    conn: Connection, *, import_id: int | None = None, ids: Iterable[int] | None = None
) -> Iterator[Record]:
    """Records in import order, as canonical :class:`Record` objects."""
    stmt = select(records).order_by(records.c.id)
    if import_id is not None:
        stmt = stmt.where(records.c.import_id == import_id)
    if ids is not None:
        stmt = stmt.where(records.c.id.in_(list(ids)))
    for row in conn.execute(stmt).mappings():
        yield row_to_record(row)


def row_to_record(row: RowMapping | Mapping[str, Any]) -> Record:
    kwargs: dict[str, Any] = {name: row[name] for name in SCALAR_FIELDS}
    for name in LIST_FIELDS:
        kwargs[name] = list(row[name] or [])
    return Record(
        **kwargs,
        extra=dict(row["extra"] or {}),
        raw=row["raw"],
        source_file=row["source_file"],
        source_line=row["source_line"],
        id=row["id"],
    )


def list_imports(conn: Connection) -> list[dict[str, Any]]:
    rows = conn.execute(select(imports).order_by(imports.c.id)).mappings().all()
    return [dict(r) for r in rows]


def records_per_import(conn: Connection) -> dict[int, int]:
    stmt = select(records.c.import_id, func.count()).group_by(records.c.import_id)
    return {int(i): int(n) for i, n in conn.execute(stmt)}


def table_counts(conn: Connection) -> dict[str, int]:
    """Row count of every table (used by tests to prove a failed import changed nothing)."""
    out: dict[str, int] = {}
    for table in metadata.sorted_tables:
        out[table.name] = int(conn.execute(select(func.count()).select_from(table)).scalar_one())
    return out


def count_records_after(conn: Connection, record_id: int) -> int:
    """Records with an id above ``record_id`` (imported after a given point)."""
    stmt = select(func.count()).select_from(records).where(records.c.id > record_id)
    return int(conn.execute(stmt).scalar_one())


_BRIEF_CHUNK = 900


def record_briefs(
    conn: Connection, *, ids: Iterable[int] | None = None, import_ids: Iterable[int] | None = None
) -> list[dict[str, Any]]:
    """id, import_id, title, authors, year and DOI of records, in id order: what a list
    of records shows. ``ids`` or ``import_ids`` (the records of those imports) select them."""
    cols = records.c
    base = select(cols.id, cols.import_id, cols.title, cols.authors, cols.year, cols.doi)
    if (ids is None) == (import_ids is None):
        raise ValueError("give ids or import_ids")
    column, wanted = (cols.id, ids) if ids is not None else (cols.import_id, import_ids)
    values = sorted(set(wanted or ()))
    out: list[dict[str, Any]] = []
    for start in range(0, len(values), _BRIEF_CHUNK):
        part = values[start : start + _BRIEF_CHUNK]
        out.extend(dict(r) for r in conn.execute(base.where(column.in_(part))).mappings())
    out.sort(key=lambda r: r["id"])
    return out
