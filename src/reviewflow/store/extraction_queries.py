"""SQL of extraction and appraisal: form versions, extraction events, appraisals.

Every table here is append-only: nothing is updated or deleted. Current answers, open
discrepancies, consensus and scores are derived by ``stages.extraction.project`` and
``stages.appraisal.project`` from the events these functions read back in the order they
were recorded.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy import Connection, insert, select

from . import actor_or
from .queries import now
from .schema import appraisals, extraction_events, extraction_forms, extraction_values

# -- form versions ---------------------------------------------------------------------


def form_version(conn: Connection, *, form_id: str, version: int) -> dict[str, Any] | None:
    cols = extraction_forms.c
    stmt = select(extraction_forms).where(cols.form_id == form_id, cols.version == version)
    row = conn.execute(stmt).mappings().first()
    return dict(row) if row else None


def form_versions(conn: Connection, *, form_id: str | None = None) -> list[dict[str, Any]]:
    """Stored form versions (oldest first), of one form or of all."""
    cols = extraction_forms.c
    stmt = select(extraction_forms).order_by(cols.form_id, cols.version)
    if form_id is not None:
        stmt = stmt.where(cols.form_id == form_id)
    return [dict(r) for r in conn.execute(stmt).mappings()]


def insert_form_version(
    conn: Connection, *, form_id: str, version: int, name: str, definition: str, changes: str
) -> int:
    result = conn.execute(
        insert(extraction_forms)
        .values(
            form_id=form_id,
            version=version,
            name=name,
            definition=definition,
            changes=changes or None,
            created_by=actor_or(None),
            created_at=now(),
        )
        .returning(extraction_forms.c.id)
    )
    return int(result.scalar_one())


# -- extraction events -----------------------------------------------------------------


def insert_event(
    conn: Connection, *, event: Mapping[str, Any], values: Sequence[Mapping[str, Any]]
) -> int:
    """Append one event (study_id, form_id, form_version, action, reviewer, ...) and its
    field values (field, verdict, value as JSON text, note)."""
    row = {"of_reviewer": None, "pilot": False, "source": None, "created_at": now(), **event}
    result = conn.execute(insert(extraction_events).values(**row).returning(extraction_events.c.id))
    event_id = int(result.scalar_one())
    if values:
        conn.execute(
            insert(extraction_values),
            [{"note": None, "value": None, **v, "event_id": event_id} for v in values],
        )
    return event_id


def events(conn: Connection, *, form_id: str, study_id: int | None = None) -> list[dict[str, Any]]:
    """Events of a form (optionally of one study), oldest first, each with ``values``
    (a list of {field, verdict, value, note} in recording order)."""
    ev = extraction_events.c
    stmt = select(extraction_events).where(ev.form_id == form_id).order_by(ev.id)
    if study_id is not None:
        stmt = stmt.where(ev.study_id == study_id)
    out = {int(r["id"]): {**dict(r), "values": []} for r in conn.execute(stmt).mappings()}
    if not out:
        return []
    val = extraction_values.c
    vstmt = (
        select(val.event_id, val.field, val.verdict, val.value, val.note)
        .select_from(extraction_values.join(extraction_events, val.event_id == ev.id))
        .where(ev.form_id == form_id)
        .order_by(val.id)
    )
    if study_id is not None:
        vstmt = vstmt.where(ev.study_id == study_id)
    for row in conn.execute(vstmt).mappings():
        out[int(row["event_id"])]["values"].append(
            {k: row[k] for k in ("field", "verdict", "value", "note")}
        )
    return list(out.values())


# -- appraisals ------------------------------------------------------------------------


def insert_appraisals(conn: Connection, rows: Sequence[Mapping[str, Any]]) -> int:
    """Append appraisals (study_id, checklist_id, kind, appraiser, answers, notes, ...)."""
    if not rows:
        return 0
    stamp = now()
    base: dict[str, Any] = {
        "checklist_version": None,
        "resolutions": None,
        "source": None,
        "notes": {},
    }
    conn.execute(insert(appraisals), [{**base, "created_at": stamp, **r} for r in rows])
    return len(rows)


def appraisal_rows(conn: Connection, *, checklist_id: str) -> list[dict[str, Any]]:
    """Appraisals on one checklist, oldest first."""
    cols = appraisals.c
    stmt = select(appraisals).where(cols.checklist_id == checklist_id).order_by(cols.id)
    return [dict(r) for r in conn.execute(stmt).mappings()]
