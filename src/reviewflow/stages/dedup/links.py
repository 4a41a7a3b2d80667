"""Duplicate links: the one module that reads and writes them.

A duplicate is *linked* to its canonical record, never deleted. Links are append-only
events (``link`` or ``unlink``, with the method, the rule, the scores and who), and a
record's latest event is its state. Deduplication (:mod:`.project`) links groups and
people confirm, separate or undo them; removing an import regroups the survivors
(:func:`restore_after_removal`); title/abstract screening screens the canonical records
(:func:`canonical_record_ids`; :func:`canonical_among` for the few a decision names);
``reviewflow status`` and the PRISMA diagram count :func:`duplicates_removed`. All of
them come here, so no two can disagree on what is linked.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from typing import Any

from sqlalchemy import Connection

from ...store import dedup_queries as dq

#: record id -> its latest link event, for the records linked as duplicates now.
Links = Mapping[int, Mapping[str, Any]]


# -- reading ---------------------------------------------------------------------------


def current(conn: Connection) -> dict[int, dict[str, Any]]:
    """Every record linked as a duplicate now, with its latest link event."""
    return dq.latest_links(conn)


def canonical_record_ids(conn: Connection) -> list[int]:
    """Ids of the records that are not a duplicate of another: the ones screened."""
    return dq.canonical_record_ids(conn)


def canonical_among(conn: Connection, ids: Iterable[int]) -> list[int]:
    """Those of ``ids`` that are canonical records, in id order, each read by index: what
    recording one screening decision asks, without listing every record."""
    return dq.canonical_among(conn, ids)


def duplicates_removed(conn: Connection) -> int:
    """PRISMA's "duplicate records removed": the records linked as duplicates now."""
    return len(dq.current_links(conn))


def latest_links(conn: Connection) -> dict[int, dict[str, Any]]:
    """Duplicate record id -> the link event that makes it one now (method, rule, scores,
    reviewer, when): what PRISMA's "duplicate records removed" box lists."""
    return dq.latest_links(conn)


def history(conn: Connection, record_id: int) -> list[dict[str, Any]]:
    """Every link event of one record, oldest first."""
    return dq.link_history(conn, record_id)


def root(links: Links, record_id: int) -> int:
    """The canonical record of ``record_id``'s group (itself when it is not linked)."""
    return int(links[record_id]["canonical_id"]) if record_id in links else record_id


def members(links: Links) -> dict[int, list[int]]:
    """Canonical record -> its duplicates (ascending), for every group."""
    out: dict[int, list[int]] = defaultdict(list)
    for rid, row in links.items():
        out[int(row["canonical_id"])].append(rid)
    return {c: sorted(ms) for c, ms in sorted(out.items())}


def groups(links: Links) -> list[list[int]]:
    """Every group as [canonical, *duplicates], by canonical id."""
    return [[canonical, *ms] for canonical, ms in members(links).items()]


# -- writing ---------------------------------------------------------------------------


def record(conn: Connection, events: Iterable[Mapping[str, Any]]) -> int:
    """Append link events; returns how many."""
    return dq.insert_link_events(conn, events)


def join(links: Links, a: int, b: int, reviewer: str | None) -> list[dict[str, Any]]:
    """Events that put ``b``'s whole group into ``a``'s (a person confirmed a duplicate)."""
    ra, rb = root(links, a), root(links, b)
    if ra == rb:
        return []
    moving = [rb, *(rid for rid, row in links.items() if row["canonical_id"] == rb)]
    return [_person(rid, ra, "link", "confirmed", reviewer) for rid in moving]


def separate(links: Links, a: int, b: int, reviewer: str | None) -> list[dict[str, Any]]:
    """Events that unlink ``a`` and ``b`` where one is linked to the other (a person said
    they are not duplicates)."""
    return [
        _person(rid, None, "unlink", "rejected", reviewer)
        for rid, other in ((a, b), (b, a))
        if rid in links and links[rid]["canonical_id"] == other
    ]


def undo(links: Links, record_id: int, reviewer: str | None) -> tuple[int, list[dict[str, Any]]]:
    """(canonical record, events) that unlink every duplicate of ``record_id``'s group."""
    canonical = root(links, record_id)
    gone = members(links).get(canonical, [])
    return canonical, [_person(rid, None, "unlink", "undo", reviewer) for rid in gone]


def _person(
    record_id: int, canonical_id: int | None, action: str, rule: str, reviewer: str | None
) -> dict[str, Any]:
    return {
        "record_id": record_id,
        "canonical_id": canonical_id,
        "action": action,
        "method": "person",
        "rule": rule,
        "reviewer": reviewer,
    }


# -- an import removed -----------------------------------------------------------------


def regroup_targets(links: Links, removed: set[int]) -> dict[int, int | None]:
    """Surviving record -> its new canonical record (None for the new canonical itself),
    for every group whose canonical record goes: the lowest-id survivor takes its place."""
    survivors: dict[int, list[int]] = defaultdict(list)
    for rid, row in links.items():
        if row["canonical_id"] in removed and rid not in removed:
            survivors[row["canonical_id"]].append(rid)
    out: dict[int, int | None] = {}
    for group in survivors.values():
        first, *rest = sorted(group)
        out[first] = None
        out.update({rid: first for rid in rest})
    return out


def restore_after_removal(
    after: Links, before: Links, removed: set[int], reviewer: str | None
) -> list[dict[str, Any]]:
    """Link events that give every surviving record the group it should have now.

    Deleting the events that name a removed record can expose an older event of a
    survivor (a link it had before its group moved); the events returned here override
    whatever the deletion left, so no survivor keeps or regains a stale link.
    """
    regroup = regroup_targets(before, removed)
    wanted: dict[int, int | None] = {}
    for rid in set(before) | set(after):
        if rid in removed:
            continue
        old = before.get(rid)
        if old is None:
            wanted[rid] = None
        elif old["canonical_id"] in removed:
            wanted[rid] = regroup[rid]
        else:
            wanted[rid] = old["canonical_id"]
    events = []
    for rid, canonical in sorted(wanted.items()):
        now_ = after.get(rid)
        if (now_["canonical_id"] if now_ else None) == canonical:
            continue
        events.append(
            {
                "record_id": rid,
                "canonical_id": canonical,
                "action": "link" if canonical is not None else "unlink",
                "method": "auto",
                "rule": "import removed",
                "reviewer": reviewer,
            }
        )
    return events
