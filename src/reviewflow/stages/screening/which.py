"""Which stage a command means when the user did not say: the facts the CLI guesses from.

A new user types ``reviewflow conflicts --reviewer LA`` without ``--stage``. Most of the
time only one stage can be meant (only one has open conflicts, only one has items left
for this reviewer, the item is open at only one stage); these functions say which stages
fit, and the CLI picks the stage when exactly one does and says so, or asks.
"""

from __future__ import annotations

from sqlalchemy import Connection

from ...errors import ProjectError
from ...project import Project
from .plan import STAGES, check_reviewer
from .state import CONFLICT, StageState, load_state


def _states(conn: Connection, project: Project) -> dict[str, StageState]:
    """Both stages' states; a stage without a plan (no reviewers named) is left out."""
    out: dict[str, StageState] = {}
    first_error: ProjectError | None = None
    for stage in STAGES:
        try:
            out[stage] = load_state(conn, project, stage, ta=out.get("ta"))
        except ProjectError as exc:
            first_error = first_error or exc
    if not out and first_error is not None:
        raise first_error
    return out


def stages_with_work(project: Project, *, reviewer: str) -> dict[str, int]:
    """Open stage -> how many of ``reviewer``'s items there still have no vote of theirs."""
    check_reviewer(project, reviewer)
    with project.db.connect() as conn:
        states = _states(conn, project)
    return {
        stage: sum(
            1
            for item in state.items
            if reviewer in state.assigned[item] and reviewer not in state.votes.get(item, {})
        )
        for stage, state in states.items()
        if not state.closed
    }


def stages_with_conflicts(project: Project, *, reviewer: str) -> dict[str, int]:
    """Stage -> open conflicts, for the stages whose conflicts ``reviewer`` may list (the
    arbiter's, or closed or unblinded ones): the others' counts would break blindness."""
    check_reviewer(project, reviewer)
    with project.db.connect() as conn:
        states = _states(conn, project)
    return {
        stage: sum(1 for r in state.results.values() if r == CONFLICT)
        for stage, state in states.items()
        if state.open_book or state.plan.arbiter == reviewer
    }


def stages_of_item(project: Project, *, item_id: int, reviewer: str) -> list[str]:
    """Open stages where ``reviewer`` may decide ``item_id``: it is assigned to them, or it
    is a conflict (or an arbitrated item) and they are the arbiter."""
    check_reviewer(project, reviewer)
    with project.db.connect() as conn:
        states = _states(conn, project)
    out = []
    for stage, state in states.items():
        if state.closed or item_id not in state.assigned:
            continue
        if state.plan.arbiter == reviewer:
            if state.results.get(item_id) == CONFLICT or item_id in state.arbiter:
                out.append(stage)
        elif reviewer in state.assigned[item_id]:
            out.append(stage)
    return out
