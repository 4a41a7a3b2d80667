"""Conflicts: items whose independent votes the plan's rule cannot turn into a result.

Conflicts are derived, never stored; the arbiter's decision (an ordinary decision event
with role "arbiter") resolves one. Before the stage is closed (or unblinded by an owner)
only the arbiter may list them: knowing that an item is in conflict would tell a screener
the other vote.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection

from ...errors import StateError
from ...project import Project
from ...store import screening_queries as sq
from ..who import acting
from .decisions import decide, visible_votes
from .plan import STAGES, check_reviewer, check_stage
from .state import CONFLICT, Vote, load_state


@dataclass(frozen=True)
class Conflict:
    stage: str
    item_id: int
    votes: dict[str, Vote]
    resolution: Vote | None
    #: What the item is, so the arbiter need not look each id up (record or report).
    title: str | None = None
    year: int | None = None
    first_author: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "stage": self.stage,
            "item_id": self.item_id,
            "title": self.title,
            "year": self.year,
            "first_author": self.first_author,
            "votes": {r: v.to_dict() for r, v in self.votes.items()},
            "resolution": self.resolution.to_dict() if self.resolution else None,
        }


def conflicts(
    project: Project, *, stage: str, reviewer: str | None = None, include_resolved: bool = False
) -> list[Conflict]:
    """Open conflicts of a stage (and resolved ones with ``include_resolved``)."""
    reviewer = acting(reviewer, doing="asking for the conflicts")
    check_stage(stage)
    check_reviewer(project, reviewer)
    with project.db.connect() as conn:
        state = load_state(conn, project, stage)
    if not state.open_book and reviewer != state.plan.arbiter:
        raise StateError(
            f"only the arbiter ({state.plan.arbiter or 'none named'}) sees the conflicts of "
            f"{STAGES[stage]} screening before the stage is closed",
            hint="Screening is blind: ask the arbiter, or close the stage first.",
        )
    found = []
    for item in state.items:
        resolved = state.arbiter.get(item)
        if state.results[item] == CONFLICT or (include_resolved and resolved is not None):
            votes = visible_votes(state, item, reviewer)
            votes.pop(resolved.reviewer if resolved else "", None)
            found.append((item, votes, resolved))
    with project.db.connect() as conn:
        about = item_texts(conn, stage, [item for item, _, _ in found])
    out = []
    for item, votes, resolved in found:
        text = about.get(item, {})
        authors = text.get("authors") or []
        out.append(
            Conflict(
                stage,
                item,
                votes,
                resolved,
                title=text.get("title"),
                year=text.get("year"),
                first_author=authors[0] if authors else None,
            )
        )
    return out


def item_texts(conn: Connection, stage: str, items: Sequence[int]) -> dict[int, dict[str, Any]]:
    """Item id -> its record's texts (title, authors, year, ...): at full text, the record
    the report was made from; a report without a record falls back to its study label."""
    if stage == "ta":
        return sq.record_texts(conn, items)
    wanted = set(items)
    rows = [r for r in sq.list_reports(conn) if r["id"] in wanted]
    texts = sq.record_texts(conn, [r["record_id"] for r in rows if r["record_id"] is not None])
    out = {}
    for r in rows:
        text = texts.get(r["record_id"], {})
        out[r["id"]] = {**text, "title": text.get("title") or r["study_label"]}
    return out


def resolve(
    project: Project,
    *,
    stage: str,
    item_id: int,
    reviewer: str | None = None,
    decision: str,
    reason: str | None = None,
    note: str | None = None,
) -> Vote:
    """The arbiter's decision on a conflict; only the plan's arbiter may make it."""
    reviewer = acting(reviewer, doing="resolving this conflict")
    check_stage(stage)
    check_reviewer(project, reviewer)
    with project.db.connect() as conn:
        arbiter = load_state(conn, project, stage, only={item_id}).plan.arbiter
    if reviewer != arbiter:
        raise StateError(
            f"{reviewer} is not the arbiter of {STAGES[stage]} screening "
            f"(the plan names {arbiter or 'no arbiter'})",
            hint=f"Name the arbiter with: reviewflow plan set --stage {stage} --arbiter INITIALS",
        )
    return decide(
        project,
        stage=stage,
        item_id=item_id,
        reviewer=reviewer,
        decision=decision,
        reason=reason,
        note=note,
    )
