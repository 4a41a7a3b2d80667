"""Conflicts: items whose independent votes the plan's rule cannot turn into a result.

Conflicts are derived, never stored; the arbiter's decision (an ordinary decision event
with role "arbiter") resolves one. Before the stage is closed only the arbiter may list
them: knowing that an item is in conflict would tell a screener the other vote.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ...errors import StateError
from ...project import Project
from .decisions import decide, visible_votes
from .plan import STAGES, check_reviewer, check_stage
from .state import CONFLICT, Vote, load_state


@dataclass(frozen=True)
class Conflict:
    stage: str
    item_id: int
    votes: dict[str, Vote]
    resolution: Vote | None

    def to_dict(self) -> dict[str, Any]:
        return {
            "stage": self.stage,
            "item_id": self.item_id,
            "votes": {r: v.to_dict() for r, v in self.votes.items()},
            "resolution": self.resolution.to_dict() if self.resolution else None,
        }


def conflicts(
    project: Project, *, stage: str, reviewer: str, include_resolved: bool = False
) -> list[Conflict]:
    """Open conflicts of a stage (and resolved ones with ``include_resolved``)."""
    check_stage(stage)
    check_reviewer(project, reviewer)
    with project.db.connect() as conn:
        state = load_state(conn, project, stage)
    if not state.closed and reviewer != state.plan.arbiter:
        raise StateError(
            f"only the arbiter ({state.plan.arbiter or 'none named'}) sees the conflicts of "
            f"{STAGES[stage]} screening before the stage is closed",
            hint="Screening is blind: ask the arbiter, or close the stage first.",
        )
    out = []
    for item in state.items:
        resolved = state.arbiter.get(item)
        if state.results[item] == CONFLICT or (include_resolved and resolved is not None):
            votes = visible_votes(state, item, reviewer)
            votes.pop(resolved.reviewer if resolved else "", None)
            out.append(Conflict(stage, item, votes, resolved))
    return out


def resolve(
    project: Project,
    *,
    stage: str,
    item_id: int,
    reviewer: str,
    decision: str,
    reason: str | None = None,
    note: str | None = None,
) -> Vote:
    """The arbiter's decision on a conflict; only the plan's arbiter may make it."""
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
