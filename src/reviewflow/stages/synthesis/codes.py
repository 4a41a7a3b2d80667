"""The code bank on the store: create, rename, memo, move, merge, split; code applications.

Every change to a code is also an append-only ``code_events`` row, so the history of the
bank ("A was merged into B by MC") can be read back and reported. Applications are never
deleted: removing, merging and splitting close them (``removed_at`` + reason) and, for
merge and split, open new ones on the target code for the same segment, coder and span.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from sqlalchemy import Connection

from ...errors import InputError, NotFoundError, StateError
from ...project import Project
from ...store import synthesis_queries as sq
from ..who import acting

CodeRef = int | str


def resolve(conn: Connection, ref: CodeRef) -> dict[str, Any]:
    """An active code by id or (case-insensitive) name."""
    row = None
    if isinstance(ref, int) or str(ref).isdigit():
        row = sq.get_code(conn, int(ref))
    if row is None:
        row = sq.find_active_code(conn, str(ref))
    if row is None:
        raise NotFoundError(
            f"no code {ref!r}", hint="List the code bank with: reviewflow code list"
        )
    if not row["active"]:
        raise StateError(
            f"code {row['id']} ({row['name']}) was merged or split and is closed",
            hint=f"See where it went with: reviewflow code history {row['id']}",
        )
    return row


def get_code(project: Project, code: CodeRef) -> dict[str, Any]:
    """An active code by id or name, as :func:`resolve` finds it."""
    with project.db.connect() as conn:
        return resolve(conn, code)


def create_code(
    project: Project,
    name: str,
    *,
    memo: str | None = None,
    parent: CodeRef | None = None,
    reviewer: str | None = None,
) -> int:
    """Add a code to the bank; names are unique among active codes."""
    with project.db.transaction() as conn:
        return _create(conn, name, memo=memo, parent=parent, reviewer=reviewer)


def _create(
    conn: Connection,
    name: str,
    *,
    memo: str | None,
    parent: CodeRef | None,
    reviewer: str | None,
    detail: Mapping[str, Any] | None = None,
) -> int:
    name = name.strip()
    if not name:
        raise InputError("a code needs a name")
    if sq.find_active_code(conn, name):
        raise InputError(
            f"a code named {name!r} exists already",
            hint="Use it, or pick another name (names are compared case-insensitively).",
        )
    parent_id = resolve(conn, parent)["id"] if parent is not None else None
    code_id = sq.insert_code(conn, name=name, memo=memo, parent_id=parent_id, created_by=reviewer)
    info = {"name": name, "memo": memo, "parent_id": parent_id, **(detail or {})}
    sq.insert_code_event(conn, code_id=code_id, action="create", detail=info, reviewer=reviewer)
    return code_id


def ensure_code(conn: Connection, name: str, *, reviewer: str | None) -> int:
    """The active code of this name, created if new (for imports of codings)."""
    row = sq.find_active_code(conn, name.strip())
    if row:
        return int(row["id"])
    return _create(conn, name, memo=None, parent=None, reviewer=reviewer)


def rename_code(project: Project, code: CodeRef, name: str, *, reviewer: str | None = None) -> None:
    with project.db.transaction() as conn:
        row = resolve(conn, code)
        other = sq.find_active_code(conn, name)
        if other and other["id"] != row["id"]:
            raise InputError(f"a code named {name!r} exists already")
        sq.update_code(conn, row["id"], values={"name": name})
        sq.insert_code_event(
            conn,
            code_id=row["id"],
            action="rename",
            detail={"from": row["name"], "to": name},
            reviewer=reviewer,
        )


def set_memo(project: Project, code: CodeRef, memo: str, *, reviewer: str | None = None) -> None:
    """The definition memo: what the code means, so coders apply it the same way."""
    with project.db.transaction() as conn:
        row = resolve(conn, code)
        sq.update_code(conn, row["id"], values={"memo": memo})
        detail = {"from": row["memo"], "to": memo}
        sq.insert_code_event(
            conn, code_id=row["id"], action="memo", detail=detail, reviewer=reviewer
        )


def move_code(
    project: Project, code: CodeRef, parent: CodeRef | None, *, reviewer: str | None = None
) -> None:
    """Place a code under another (a code tree) or back at the top (``parent=None``)."""
    with project.db.transaction() as conn:
        row = resolve(conn, code)
        parent_id = resolve(conn, parent)["id"] if parent is not None else None
        if parent_id is not None and _is_descendant(conn, parent_id, row["id"]):
            raise InputError("a code cannot be placed under itself or its own descendant")
        sq.update_code(conn, row["id"], values={"parent_id": parent_id})
        detail = {"from": row["parent_id"], "to": parent_id}
        sq.insert_code_event(
            conn, code_id=row["id"], action="move", detail=detail, reviewer=reviewer
        )


def _is_descendant(conn: Connection, node: int, ancestor: int) -> bool:
    seen: set[int] = set()
    current: int | None = node
    while current is not None and current not in seen:
        if current == ancestor:
            return True
        seen.add(current)
        row = sq.get_code(conn, current)
        current = row["parent_id"] if row else None
    return False


def merge_codes(
    project: Project,
    sources: Sequence[CodeRef],
    into: CodeRef,
    *,
    reviewer: str | None = None,
) -> int:
    """Merge codes into ``into``: their applications and theme links move, they close."""
    with project.db.transaction() as conn:
        target = resolve(conn, into)
        moved = 0
        for ref in sources:
            src = resolve(conn, ref)
            if src["id"] == target["id"]:
                raise InputError("a code cannot be merged into itself")
            apps = sq.active_applications(conn, code_ids=[src["id"]])
            moved += _move_applications(conn, apps, target["id"], f"merged into {target['id']}")
            sq.move_theme_codes(conn, from_code=src["id"], to_code=target["id"])
            sq.update_code(conn, src["id"], values={"active": False})
            for child in sq.list_codes(conn):
                if child["parent_id"] == src["id"]:
                    sq.update_code(conn, child["id"], values={"parent_id": target["id"]})
            sq.insert_code_event(
                conn,
                code_id=src["id"],
                action="merge",
                detail={
                    "into": target["id"],
                    "into_name": target["name"],
                    "applications": len(apps),
                },
                reviewer=reviewer,
            )
            sq.insert_code_event(
                conn,
                code_id=target["id"],
                action="absorb",
                detail={"from": src["id"], "from_name": src["name"], "applications": len(apps)},
                reviewer=reviewer,
            )
        return moved


def split_code(
    project: Project,
    code: CodeRef,
    parts: Mapping[str, Iterable[int]],
    *,
    reviewer: str | None = None,
) -> dict[str, int]:
    """Split a code into new codes, each taking the applications on the given segments.

    Applications on segments not named stay on the original code, which stays open only
    if some remain; otherwise it closes. Returns the new codes by name.
    """
    if not parts:
        raise InputError("name at least one new code to split into")
    with project.db.transaction() as conn:
        src = resolve(conn, code)
        apps = sq.active_applications(conn, code_ids=[src["id"]])
        claimed: dict[int, str] = {}
        for name, segment_ids in parts.items():
            for segment_id in segment_ids:
                if segment_id in claimed:
                    raise InputError(f"segment {segment_id} is given to two new codes")
                claimed[segment_id] = name
        unknown = set(claimed) - {a["segment_id"] for a in apps}
        if unknown:
            raise InputError(
                f"code {src['name']!r} is not applied to segment(s) {sorted(unknown)}",
                hint=f"See its segments with: reviewflow code segments --code {src['id']}",
            )
        created = {
            name: _create(
                conn,
                name,
                memo=None,
                parent=src["parent_id"],
                reviewer=reviewer,
                detail={"split_from": src["id"]},
            )
            for name in parts
        }
        for name, new_id in created.items():
            mine = [a for a in apps if claimed.get(a["segment_id"]) == name]
            _move_applications(conn, mine, new_id, f"split into {new_id}")
        remaining = len([a for a in apps if a["segment_id"] not in claimed])
        if not remaining:
            sq.update_code(conn, src["id"], values={"active": False})
        sq.insert_code_event(
            conn,
            code_id=src["id"],
            action="split",
            detail={"into": created, "remaining_applications": remaining},
            reviewer=reviewer,
        )
        return created


def _move_applications(
    conn: Connection, apps: Sequence[Mapping[str, Any]], to_code: int, reason: str
) -> int:
    """Close ``apps`` and open the same applications on ``to_code`` (no duplicates: one
    coder's same span of one segment is coded once; two spans of a segment stay two)."""

    def same(a: Mapping[str, Any]) -> tuple[Any, ...]:
        return (a["segment_id"], a["coder"], a["span_start"], a["span_end"])

    have = {same(a) for a in sq.active_applications(conn, code_ids=[to_code])}
    sq.remove_applications(conn, ids=[a["id"] for a in apps], reason=reason)
    moved = 0
    for app in apps:
        if same(app) in have:
            continue
        span = (app["span_start"], app["span_end"]) if app["span_start"] is not None else None
        sq.insert_application(
            conn, segment_id=app["segment_id"], code_id=to_code, coder=app["coder"], span=span
        )
        have.add(same(app))
        moved += 1
    return moved


def apply_code(
    project: Project,
    segment_id: int,
    code: CodeRef,
    *,
    reviewer: str | None = None,
    span: tuple[int, int] | None = None,
) -> int:
    """A coder (``reviewer``, default: the session's actor) applies a code to a segment
    (or a span of it); applying twice is a no-op."""
    coder = acting(reviewer, doing="coding this segment")
    with project.db.transaction() as conn:
        return _apply(conn, segment_id, resolve(conn, code)["id"], coder=coder, span=span)


def _apply(
    conn: Connection,
    segment_id: int,
    code_id: int,
    *,
    coder: str,
    span: tuple[int, int] | None = None,
) -> int:
    rows = sq.list_segments(conn, segment_ids=[segment_id])
    if not rows:
        raise NotFoundError(f"no segment {segment_id}", hint="List them: reviewflow code segments")
    if span is not None and not 0 <= span[0] < span[1] <= len(rows[0]["text"]):
        raise InputError(
            f"span {span} is outside segment {segment_id} (length {len(rows[0]['text'])})"
        )
    for app in sq.active_applications(
        conn, code_ids=[code_id], coder=coder, segment_ids=[segment_id]
    ):
        if (app["span_start"], app["span_end"]) == (span or (None, None)):
            return int(app["id"])
    return sq.insert_application(
        conn, segment_id=segment_id, code_id=code_id, coder=coder, span=span
    )


def remove_application(
    project: Project, application_id: int, *, reviewer: str | None = None
) -> None:
    """Take a code off a segment again (the application stays in the history)."""
    coder = acting(reviewer, doing="removing this coding")
    with project.db.transaction() as conn:
        sq.remove_applications(conn, ids=[application_id], reason=f"removed by {coder}")


def list_codes(project: Project, *, include_inactive: bool = False) -> list[dict[str, Any]]:
    """The code bank with, per code, how many segments and studies it is applied to."""
    with project.db.connect() as conn:
        rows = sq.list_codes(conn, include_inactive=include_inactive)
        apps = sq.active_applications(conn)
    for row in rows:
        mine = [a for a in apps if a["code_id"] == row["id"]]
        row["segments"] = len({a["segment_id"] for a in mine})
        row["studies"] = sorted({a["study_id"] for a in mine})
        row["coders"] = sorted({a["coder"] for a in mine})
    return rows


def history(project: Project, code: CodeRef | None = None) -> list[dict[str, Any]]:
    """The events of one code (closed ones too), or of the whole bank."""
    with project.db.connect() as conn:
        code_id = None
        if code is not None:
            row = sq.get_code(conn, int(code)) if str(code).isdigit() else None
            code_id = int(row["id"]) if row else int(resolve(conn, code)["id"])
        return sq.list_code_events(conn, code_id=code_id)


def segments_under(
    project: Project, code: CodeRef, *, coder: str | None = None, descendants: bool = True
) -> list[dict[str, Any]]:
    """Every segment coded with ``code`` (and its sub-codes), with who coded it."""
    with project.db.connect() as conn:
        root = resolve(conn, code)
        ids = {root["id"]}
        if descendants:
            all_codes = sq.list_codes(conn)
            grew = True
            while grew:
                more = {c["id"] for c in all_codes if c["parent_id"] in ids} - ids
                ids |= more
                grew = bool(more)
        apps = sq.active_applications(conn, code_ids=ids, coder=coder)
        segs = {
            s["id"]: s for s in sq.list_segments(conn, segment_ids={a["segment_id"] for a in apps})
        }
    out = []
    for seg_id in sorted(segs, key=lambda i: (segs[i]["study_id"], segs[i]["position"])):
        row = dict(segs[seg_id])
        mine = [a for a in apps if a["segment_id"] == seg_id]
        row["coders"] = sorted({a["coder"] for a in mine})
        row["spans"] = [
            row["text"][a["span_start"] : a["span_end"]]
            for a in mine
            if a["span_start"] is not None
        ]
        out.append(row)
    return out
