"""Deduplication on a project: link duplicates (never delete), queue uncertain pairs.

The pure core in :mod:`reviewflow.stages.dedup` decides; this module feeds it the
project's records, the groups already linked and every decision a person took, and
writes the outcome as append-only events. Runs are incremental: records imported since
the last run are compared with each other and with everything before, and nothing a
person decided is decided again. "Duplicates removed" for PRISMA is the number of records
currently linked, derived from the events.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from ...errors import InputError, NotFoundError, StateError
from ...progress import Progress
from ...project import Project
from ...records import Record
from ...store import dedup_queries as dq
from ...store import import_queries, queries
from . import links

if TYPE_CHECKING:
    # The dedup core (numpy, rapidfuzz) loads only where it runs: ``reviewflow status``
    # imports this module for pending_pair_count().
    from . import DedupPolicy, PairEvidence

DECISIONS = ("duplicate", "not_duplicate")


@dataclass
class DedupRunResult:
    run_id: int | None
    records_considered: int
    new_records: int
    links_added: int
    duplicates_removed: int
    queued: int
    related: dict[str, int] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


def policy_from_settings(project: Project) -> DedupPolicy:
    """The policy in review.toml's ``[dedup.related]`` table (category = merge|review|separate)."""
    from . import CATEGORIES, DedupPolicy

    extra = project.settings.model_extra or {}
    actions = (extra.get("dedup") or {}).get("related") or {}
    try:
        return DedupPolicy().with_actions(**actions)
    except (TypeError, ValueError) as exc:
        raise InputError(
            f"review.toml [dedup.related]: {exc}",
            hint=f"Categories: {', '.join(CATEGORIES)}; actions: merge, review, separate.",
        ) from exc


def run(
    project: Project, *, policy: DedupPolicy | None = None, progress: Progress | None = None
) -> DedupRunResult:
    """Deduplicate the records imported since the last run against the whole project."""
    from . import PairDecision, find_duplicates

    policy = policy or policy_from_settings(project)
    with project.db.connect() as conn:
        records = list(queries.iter_records(conn))
        current = links.current(conn)
        decisions = dq.latest_decisions(conn)
        seen_up_to = deduplicated_up_to(conn)
        already = {(p["record_a"], p["record_b"]) for p in dq.queued_pairs(conn)}
    new = [r for r in records if (r.id or 0) > seen_up_to]
    if not new:
        return DedupRunResult(None, len(records), 0, 0, len(current), 0)
    old = [r for r in records if (r.id or 0) <= seen_up_to]
    result = find_duplicates(
        new,
        existing=old,
        existing_groups=links.groups(current),
        decisions=[
            PairDecision(a, b, d["decision"] == "duplicate") for (a, b), d in decisions.items()
        ],
        policy=policy,
        progress=progress,
    )
    events = list(_link_events(result.groups, current))
    pairs = list(_pair_rows(result.uncertain, result.related, decided=decisions, already=already))
    related = {c: len(v) for c, v in result.related.items() if v}
    with project.db.transaction() as conn:
        run_id = dq.insert_run(
            conn,
            values={
                "settings": {"actions": policy.actions},
                "records_considered": len(records),
                "summary": {
                    "max_record_id": max(r.id or 0 for r in records),
                    "new_records": len(new),
                    "candidate_pairs": result.candidate_pairs,
                    "links_added": len(events),
                    "queued": sum(1 for p in pairs if p["queued"]),
                    "related": related,
                },
            },
        )
        links.record(conn, ({**e, "run_id": run_id} for e in events))
        dq.insert_pairs(conn, ({**p, "run_id": run_id} for p in pairs))
        removed = links.duplicates_removed(conn)
    return DedupRunResult(
        run_id=run_id,
        records_considered=len(records),
        new_records=len(new),
        links_added=len(events),
        duplicates_removed=removed,
        queued=sum(1 for p in pairs if p["queued"]),
        related=related,
    )


def deduplicated_up_to(conn: Any) -> int:
    """The highest record id the last run compared: records above it are new.

    An import removed since that run may have taken the highest ids, which SQLite then
    gives to the next import's records; the removal noted the highest id left, and ids
    above that are new again.
    """
    last = dq.last_run(conn)
    if last is None:
        return 0
    seen = int(last["summary"].get("max_record_id", 0))
    for event in import_queries.list_import_events(conn, action="remove"):
        details = event["details"] or {}
        if details.get("dedup_run_id") == last["id"]:
            seen = min(seen, int(details.get("max_record_id_after", seen)))
    return seen


def _link_events(groups: Iterable[Any], linked: dict[int, dict[str, Any]]) -> Iterable[dict]:
    for group in groups:
        evidence: dict[int, PairEvidence] = {}
        for ev in group.links:
            evidence.setdefault(ev.b, ev)
            evidence.setdefault(ev.a, ev)
        if group.canonical in linked:  # a canonical record must not itself be linked
            yield _event(group.canonical, None, "unlink", None)
        for member in group.duplicates:
            current = linked.get(member)
            if current and current["canonical_id"] == group.canonical:
                continue
            yield _event(member, group.canonical, "link", evidence.get(member))


def _event(
    record_id: int, canonical_id: int | None, action: str, ev: PairEvidence | None
) -> dict[str, Any]:
    return {
        "record_id": record_id,
        "canonical_id": canonical_id,
        "action": action,
        "method": "person" if ev is not None and not ev.automatic else "auto",
        "rule": ev.rule if ev is not None else "group",
        "scores": dict(ev.scores) if ev is not None else {},
    }


def _pair_rows(
    uncertain: Sequence[PairEvidence],
    related: dict[str, list[PairEvidence]],
    *,
    decided: dict[tuple[int, int], Any],
    already: set[tuple[int, int]],
) -> Iterable[dict[str, Any]]:
    seen = set(already)
    queued = [(ev, True) for ev in uncertain]
    reported = [(ev, False) for evs in related.values() for ev in evs]
    for ev, needs_person in [*queued, *reported]:
        key = (min(ev.a, ev.b), max(ev.a, ev.b))
        if key in seen or (needs_person and key in decided):
            continue
        seen.add(key)
        yield {
            "record_a": key[0],
            "record_b": key[1],
            "category": ev.category or "uncertain",
            "queued": needs_person,
            "rule": ev.rule,
            "scores": dict(ev.scores),
        }


# -- the review queue ---------------------------------------------------------------------


def uncertainty(scores: dict[str, float]) -> float:
    """How close a queued pair is to a coin flip, 0 (clear either way) to 1.

    The pair's evidence (title, author and abstract similarity; agreeing or contradicting
    DOI, volume, issue, pages, journal, year) is summed as rough log-odds; the queue shows
    the pairs nearest even odds first, where a person's look matters most, and the nearly
    certain ones last. A ranking aid, not a probability anyone should quote.
    """
    get = scores.get
    odds = (get("title", 0.0) - 92.0) / 3.0
    if get("authors", -1.0) >= 0:
        odds += (get("authors", 0.0) - 80.0) / 8.0
    if get("abstract", -1.0) >= 0:
        odds += (get("abstract", 0.0) - 85.0) / 5.0
    weights = {"doi": 2.0, "volume": 1.5, "issue": 1.0, "page": 2.0, "journal": 1.0}
    odds += sum(w * get(k, 0.0) for k, w in weights.items())
    odds -= 3.0 * (get("meeting", 0.0) < 0)
    gap = get("year_gap", -1.0)
    odds -= 3.0 if gap > 1 else (1.0 if gap == 1 else 0.0)
    odds = max(min(odds, 30.0), -30.0)
    prob = 1.0 / (1.0 + math.exp(-odds))
    return round(1.0 - abs(2.0 * prob - 1.0), 3)


#: Fields shown side by side in the review, as (label, how to read it from a record).
_SHOWN: tuple[tuple[str, Callable[[Record], str]], ...] = (
    ("title", lambda r: r.title or ""),
    ("authors", lambda r: "; ".join(r.authors[:6]) + (" ..." if len(r.authors) > 6 else "")),
    ("year", lambda r: "" if r.year is None else str(r.year)),
    ("source", lambda r: r.source_title or ""),
    ("volume", lambda r: r.volume or ""),
    ("issue", lambda r: r.issue or ""),
    ("pages", lambda r: r.pages or ""),
    ("doi", lambda r: r.doi or ""),
    ("abstract", lambda r: (r.abstract or "")[:300]),
)
_LOOSE = re.compile(r"[^0-9a-z]+")


def _loose(text: str) -> str:
    return _LOOSE.sub("", text.lower())


@dataclass
class QueueItem:
    pair_id: int
    a: Record
    b: Record
    category: str
    rule: str
    scores: dict[str, float]

    @property
    def uncertainty(self) -> float:
        """0 (clear) to 1 (a coin flip): the queue's order, most uncertain first."""
        return uncertainty(self.scores)

    def differences(self) -> list[tuple[str, str, str]]:
        """(field, value in a, value in b) for the fields that differ beyond case and
        punctuation; fields that agree are not worth a reviewer's eye."""
        out = []
        for label, get in _SHOWN:
            va, vb = get(self.a), get(self.b)
            if _loose(va) != _loose(vb):
                out.append((label, va, vb))
        return out

    def same_fields(self) -> list[str]:
        """Fields both records fill and agree on (listed, not shown)."""
        differing = {label for label, _, _ in self.differences()}
        return [
            label for label, get in _SHOWN if label not in differing and get(self.a) and get(self.b)
        ]


def _pending_pairs(conn: Any) -> list[dict[str, Any]]:
    decided = dq.latest_decisions(conn)
    return [
        p
        for p in dq.queued_pairs(conn)
        if p["queued"] and (p["record_a"], p["record_b"]) not in decided
    ]


def pending_pair_count(project: Project) -> int:
    """How many pairs wait for a person (without loading their records)."""
    with project.db.connect() as conn:
        return len(_pending_pairs(conn))


def review_queue(project: Project) -> list[QueueItem]:
    """Pairs waiting for a person, most uncertain first (decided pairs drop out)."""
    with project.db.connect() as conn:
        pending = _pending_pairs(conn)
        ids = {p["record_a"] for p in pending} | {p["record_b"] for p in pending}
        by_id = {r.id: r for r in queries.iter_records(conn, ids=ids)} if ids else {}
    items = [
        QueueItem(
            p["id"],
            by_id[p["record_a"]],
            by_id[p["record_b"]],
            p["category"],
            p["rule"] or "",
            dict(p["scores"] or {}),
        )
        for p in pending
    ]
    items.sort(key=lambda item: (-item.uncertainty, item.pair_id))
    return items


def decide_pair(
    project: Project,
    a: int,
    b: int,
    *,
    duplicate: bool,
    reviewer: str | None = None,
    note: str | None = None,
) -> None:
    """Record a person's decision on a pair; a duplicate is linked at once."""
    decide_pairs(project, [(a, b, duplicate, note)], reviewer=reviewer)


def decide_pairs(
    project: Project,
    items: Sequence[tuple[int, int, bool, str | None]],
    *,
    reviewer: str | None = None,
) -> int:
    """Record several decisions in one transaction (all or nothing)."""
    _check_reviewer(project, reviewer)
    with project.db.transaction() as conn:
        known = set(dq.record_ids(conn))
        for a, b, duplicate, note in items:
            for rid in (a, b):
                if rid not in known:
                    raise NotFoundError(f"there is no record {rid}")
            if a == b:
                raise InputError(f"a record cannot be a duplicate of itself ({a})")
            dq.insert_decision(
                conn,
                values={
                    "record_a": a,
                    "record_b": b,
                    "decision": "duplicate" if duplicate else "not_duplicate",
                    "reviewer": reviewer,
                    "note": note,
                },
            )
            current = links.current(conn)
            change = links.join if duplicate else links.separate
            links.record(conn, change(current, a, b, reviewer))
    return len(items)


def _check_reviewer(project: Project, reviewer: str | None) -> None:
    if reviewer is not None and project.settings.reviewer(reviewer) is None:
        known = ", ".join(r.initials for r in project.settings.reviewers) or "none yet"
        raise InputError(
            f"unknown reviewer {reviewer!r} (reviewers in review.toml: {known})",
            hint=f"Use the initials listed, or add the reviewer with: reviewflow reviewer add "
            f"{reviewer}:NAME",
        )


def undo(project: Project, record_id: int, *, reviewer: str | None = None) -> list[int]:
    """Unlink the whole group of ``record_id``; returns the records unlinked.

    Each unlinked pair is also recorded as "not duplicate", so a later run does not link
    it again; linking it back is a decision like any other.
    """
    _check_reviewer(project, reviewer)
    with project.db.transaction() as conn:
        canonical, events = links.undo(links.current(conn), record_id, reviewer)
        if not events:
            raise StateError(
                f"record {record_id} is not in a duplicate group",
                hint="See the groups with: reviewflow dedup groups",
            )
        members = [e["record_id"] for e in events]
        links.record(conn, events)
        for rid in members:
            dq.insert_decision(
                conn,
                values={
                    "record_a": rid,
                    "record_b": canonical,
                    "decision": "not_duplicate",
                    "reviewer": reviewer,
                    "note": "dedup undo",
                },
            )
    return members


@dataclass
class Group:
    canonical: Record
    duplicates: list[tuple[Record, dict[str, Any]]]


def groups(project: Project) -> list[Group]:
    """The current duplicate groups with the evidence of each link."""
    with project.db.connect() as conn:
        current = links.current(conn)
        ids = set(current) | {row["canonical_id"] for row in current.values()}
        by_id = {r.id: r for r in queries.iter_records(conn, ids=ids)} if ids else {}
    return [
        Group(by_id[c], [(by_id[m], current[m]) for m in ms])
        for c, ms in links.members(current).items()
    ]


def duplicates_removed(project: Project) -> int:
    """PRISMA's "duplicate records removed" for the project (:func:`.links.duplicates_removed`)."""
    with project.db.connect() as conn:
        return links.duplicates_removed(conn)
