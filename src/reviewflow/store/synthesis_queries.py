"""SQL of thematic synthesis and CERQual, as named functions with keyword-only arguments.

Current state that reviewers may change (segment kind/scope, CERQual judgements) is read
from append-only events here, so every caller sees the same "latest event wins" rule.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from sqlalchemy import Connection, delete, func, insert, select, update

from . import actor_or
from .queries import now
from .schema import (
    cerqual_findings,
    cerqual_judgements,
    code_applications,
    code_events,
    codes,
    segment_flag_events,
    segment_memos,
    segments,
    studies,
    synthesis_sources,
    theme_codes,
    theme_quotes,
    themes,
)

# -- sources and segments --------------------------------------------------------------


def insert_source(conn: Connection, *, values: Mapping[str, Any]) -> int:
    row = {**values, "created_by": actor_or(values.get("created_by")), "created_at": now()}
    result = conn.execute(insert(synthesis_sources).values(**row).returning(synthesis_sources.c.id))
    return int(result.scalar_one())


def find_source(conn: Connection, *, study_id: int, sha256: str) -> dict[str, Any] | None:
    row = (
        conn.execute(
            select(synthesis_sources).where(
                synthesis_sources.c.study_id == study_id,
                synthesis_sources.c.file_sha256 == sha256,
            )
        )
        .mappings()
        .first()
    )
    return dict(row) if row else None


def insert_segments(conn: Connection, *, rows: Sequence[Mapping[str, Any]]) -> None:
    if rows:
        conn.execute(insert(segments), [dict(r) for r in rows])


def segment_keys(conn: Connection, *, study_id: int) -> dict[str, int]:
    rows = conn.execute(
        select(segments.c.key, segments.c.id).where(segments.c.study_id == study_id)
    )
    return {key: sid for key, sid in rows}


def max_position(conn: Connection, *, study_id: int) -> int:
    value = conn.execute(
        select(func.max(segments.c.position)).where(segments.c.study_id == study_id)
    ).scalar()
    return -1 if value is None else int(value)


def list_segments(
    conn: Connection,
    *,
    study_id: int | None = None,
    segment_ids: Iterable[int] | None = None,
) -> list[dict[str, Any]]:
    """Segments with their current kind and scope (detected, then corrected by events)."""
    stmt = select(segments, studies.c.label.label("study")).join(
        studies, studies.c.id == segments.c.study_id
    )
    if study_id is not None:
        stmt = stmt.where(segments.c.study_id == study_id)
    if segment_ids is not None:
        stmt = stmt.where(segments.c.id.in_(list(segment_ids)))
    rows = [
        dict(r)
        for r in conn.execute(stmt.order_by(segments.c.study_id, segments.c.position)).mappings()
    ]
    by_id = {r["id"]: r for r in rows}
    if by_id:
        events = conn.execute(
            select(segment_flag_events)
            .where(segment_flag_events.c.segment_id.in_(list(by_id)))
            .order_by(segment_flag_events.c.id)
        ).mappings()
        for ev in events:
            seg = by_id[ev["segment_id"]]
            if ev["field"] == "kind":
                seg["kind"] = ev["value"]
            else:
                seg["in_scope"] = ev["value"] == "true"
    return rows


def insert_flag_event(
    conn: Connection, *, segment_id: int, field: str, value: str, reviewer: str | None
) -> None:
    conn.execute(
        insert(segment_flag_events).values(
            segment_id=segment_id,
            field=field,
            value=value,
            reviewer=actor_or(reviewer),
            created_at=now(),
        )
    )


def insert_segment_memo(
    conn: Connection, *, segment_id: int, memo: str, reviewer: str | None
) -> None:
    conn.execute(
        insert(segment_memos).values(
            segment_id=segment_id, memo=memo, reviewer=actor_or(reviewer), created_at=now()
        )
    )


def list_segment_memos(
    conn: Connection, *, segment_ids: Iterable[int] | None = None
) -> list[dict[str, Any]]:
    """Every memo version, oldest first (the last per segment is current)."""
    stmt = select(segment_memos).order_by(segment_memos.c.id)
    if segment_ids is not None:
        stmt = stmt.where(segment_memos.c.segment_id.in_(list(segment_ids)))
    return [dict(r) for r in conn.execute(stmt).mappings()]


# -- codes and applications ------------------------------------------------------------


def insert_code(
    conn: Connection,
    *,
    name: str,
    memo: str | None = None,
    parent_id: int | None = None,
    created_by: str | None = None,
) -> int:
    result = conn.execute(
        insert(codes)
        .values(
            name=name,
            memo=memo,
            parent_id=parent_id,
            active=True,
            created_by=actor_or(created_by),
            created_at=now(),
        )
        .returning(codes.c.id)
    )
    return int(result.scalar_one())


def update_code(conn: Connection, code_id: int, *, values: Mapping[str, Any]) -> None:
    conn.execute(update(codes).where(codes.c.id == code_id).values(**values))


def get_code(conn: Connection, code_id: int) -> dict[str, Any] | None:
    row = conn.execute(select(codes).where(codes.c.id == code_id)).mappings().first()
    return dict(row) if row else None


def find_active_code(conn: Connection, name: str) -> dict[str, Any] | None:
    row = (
        conn.execute(
            select(codes).where(codes.c.active.is_(True), func.lower(codes.c.name) == name.lower())
        )
        .mappings()
        .first()
    )
    return dict(row) if row else None


def list_codes(conn: Connection, *, include_inactive: bool = False) -> list[dict[str, Any]]:
    stmt = select(codes).order_by(codes.c.id)
    if not include_inactive:
        stmt = stmt.where(codes.c.active.is_(True))
    return [dict(r) for r in conn.execute(stmt).mappings()]


def insert_code_event(
    conn: Connection, *, code_id: int, action: str, detail: Mapping[str, Any], reviewer: str | None
) -> None:
    conn.execute(
        insert(code_events).values(
            code_id=code_id,
            action=action,
            detail=dict(detail),
            reviewer=actor_or(reviewer),
            created_at=now(),
        )
    )


def list_code_events(conn: Connection, *, code_id: int | None = None) -> list[dict[str, Any]]:
    stmt = select(code_events).order_by(code_events.c.id)
    if code_id is not None:
        stmt = stmt.where(code_events.c.code_id == code_id)
    return [dict(r) for r in conn.execute(stmt).mappings()]


def insert_application(
    conn: Connection,
    *,
    segment_id: int,
    code_id: int,
    coder: str,
    span: tuple[int, int] | None = None,
) -> int:
    result = conn.execute(
        insert(code_applications)
        .values(
            segment_id=segment_id,
            code_id=code_id,
            coder=coder,
            span_start=span[0] if span else None,
            span_end=span[1] if span else None,
            created_at=now(),
        )
        .returning(code_applications.c.id)
    )
    return int(result.scalar_one())


def active_applications(
    conn: Connection,
    *,
    code_ids: Iterable[int] | None = None,
    coder: str | None = None,
    segment_ids: Iterable[int] | None = None,
) -> list[dict[str, Any]]:
    """Applications not removed, with the study of their segment."""
    stmt = (
        select(code_applications, segments.c.study_id)
        .join(segments, segments.c.id == code_applications.c.segment_id)
        .where(code_applications.c.removed_at.is_(None))
        .order_by(code_applications.c.id)
    )
    if code_ids is not None:
        stmt = stmt.where(code_applications.c.code_id.in_(list(code_ids)))
    if coder is not None:
        stmt = stmt.where(code_applications.c.coder == coder)
    if segment_ids is not None:
        stmt = stmt.where(code_applications.c.segment_id.in_(list(segment_ids)))
    return [dict(r) for r in conn.execute(stmt).mappings()]


def remove_applications(conn: Connection, *, ids: Iterable[int], reason: str) -> None:
    ids = list(ids)
    if ids:
        conn.execute(
            update(code_applications)
            .where(code_applications.c.id.in_(ids))
            .values(removed_at=now(), removed_reason=reason)
        )


# -- themes and quotes -----------------------------------------------------------------


def insert_theme(conn: Connection, *, values: Mapping[str, Any]) -> int:
    row = {**values, "created_by": actor_or(values.get("created_by")), "created_at": now()}
    return int(conn.execute(insert(themes).values(**row).returning(themes.c.id)).scalar_one())


def update_theme(conn: Connection, theme_id: int, *, values: Mapping[str, Any]) -> None:
    conn.execute(update(themes).where(themes.c.id == theme_id).values(**values))


def list_themes(conn: Connection) -> list[dict[str, Any]]:
    return [dict(r) for r in conn.execute(select(themes).order_by(themes.c.id)).mappings()]


def link_theme_codes(conn: Connection, *, theme_id: int, code_ids: Iterable[int]) -> None:
    have = {
        r
        for (r,) in conn.execute(
            select(theme_codes.c.code_id).where(theme_codes.c.theme_id == theme_id)
        )
    }
    who = actor_or(None)
    rows = [
        {"theme_id": theme_id, "code_id": c, "created_by": who}
        for c in dict.fromkeys(code_ids)
        if c not in have
    ]
    if rows:
        conn.execute(insert(theme_codes), rows)


def unlink_theme_code(conn: Connection, *, theme_id: int, code_id: int) -> None:
    conn.execute(
        delete(theme_codes).where(
            theme_codes.c.theme_id == theme_id, theme_codes.c.code_id == code_id
        )
    )


def list_theme_codes(conn: Connection) -> list[tuple[int, int]]:
    rows = conn.execute(select(theme_codes.c.theme_id, theme_codes.c.code_id))
    return [(int(t), int(c)) for t, c in rows]


def move_theme_codes(conn: Connection, *, from_code: int, to_code: int) -> None:
    """After a merge, themes that grouped the merged code group its target."""
    theme_ids = [
        t
        for (t,) in conn.execute(
            select(theme_codes.c.theme_id).where(theme_codes.c.code_id == from_code)
        )
    ]
    for theme_id in theme_ids:
        link_theme_codes(conn, theme_id=theme_id, code_ids=[to_code])
        unlink_theme_code(conn, theme_id=theme_id, code_id=from_code)


def insert_quote(conn: Connection, *, values: Mapping[str, Any]) -> int:
    row = {**values, "created_by": actor_or(values.get("created_by")), "created_at": now()}
    result = conn.execute(insert(theme_quotes).values(**row).returning(theme_quotes.c.id))
    return int(result.scalar_one())


def list_quotes(conn: Connection) -> list[dict[str, Any]]:
    stmt = (
        select(theme_quotes, studies.c.label.label("study"))
        .join(studies, studies.c.id == theme_quotes.c.study_id)
        .order_by(theme_quotes.c.id)
    )
    return [dict(r) for r in conn.execute(stmt).mappings()]


# -- CERQual ---------------------------------------------------------------------------


def insert_finding(
    conn: Connection, *, statement: str, theme_ids: Sequence[int], label: str | None
) -> int:
    result = conn.execute(
        insert(cerqual_findings)
        .values(
            statement=statement,
            theme_ids=list(theme_ids),
            label=label,
            created_by=actor_or(None),
            created_at=now(),
        )
        .returning(cerqual_findings.c.id)
    )
    return int(result.scalar_one())


def list_findings(conn: Connection) -> list[dict[str, Any]]:
    stmt = select(cerqual_findings).order_by(cerqual_findings.c.id)
    return [dict(r) for r in conn.execute(stmt).mappings()]


def insert_judgement(conn: Connection, *, values: Mapping[str, Any]) -> int:
    row = {**values, "reviewer": actor_or(values.get("reviewer")), "created_at": now()}
    result = conn.execute(
        insert(cerqual_judgements).values(**row).returning(cerqual_judgements.c.id)
    )
    return int(result.scalar_one())


def current_judgements(conn: Connection) -> dict[tuple[int, str], dict[str, Any]]:
    """The latest judgement per (finding, component)."""
    latest: dict[tuple[int, str], dict[str, Any]] = {}
    stmt = select(cerqual_judgements).order_by(cerqual_judgements.c.id)
    for row in conn.execute(stmt).mappings():
        latest[(row["finding_id"], row["component"])] = dict(row)
    return latest
