"""The state of a screening stage, derived from the append-only decision events.

Nothing here is stored: the current vote of a reviewer is their latest event, the result
of an item follows from the plan's rule, and a conflict is an item whose votes the rule
cannot turn into a result without the arbiter.

Deriving a stage of 50,000 records takes about a second, and a report reads it for the
PRISMA counts, the stopping rule and the agreement; inside :func:`state_cache` each stage
is derived once and shared. The cache lives only for the ``with`` block and is meant for
read-only work such as a report: nothing may be recorded inside the block.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import Connection

from ...project import Project
from ...store import screening_queries as sq
from ..dedup import links
from .assign import assign
from .plan import Plan, get_plan

#: Results an item can have.
PENDING, INCLUDE, EXCLUDE, CONFLICT = "pending", "include", "exclude", "conflict"


@dataclass(frozen=True)
class Vote:
    reviewer: str
    decision: str
    reason: str | None
    note: str | None
    role: str
    created_at: datetime

    def to_dict(self) -> dict[str, Any]:
        return {
            "reviewer": self.reviewer,
            "decision": self.decision,
            "reason": self.reason,
            "note": self.note,
            "role": self.role,
            "created_at": self.created_at,
        }


@dataclass
class StageState:
    plan: Plan
    items: list[int]
    assigned: dict[int, tuple[str, ...]]
    closed: bool
    votes: dict[int, dict[str, Vote]] = field(default_factory=dict)
    independent: dict[int, dict[str, Vote]] = field(default_factory=dict)
    arbiter: dict[int, Vote] = field(default_factory=dict)
    results: dict[int, str] = field(default_factory=dict)
    #: The assignment settings recorded when screening began (or was last replanned).
    frozen_plan: dict[str, Any] | None = None
    #: False while an owner has switched blindness off for the stage (see
    #: :func:`reviewflow.stages.screening.set_blind`): everyone then sees every vote.
    blind: bool = True

    @property
    def open_book(self) -> bool:
        """Whether every reviewer may see every vote: the stage is closed or unblinded."""
        return self.closed or not self.blind

    def reason_of(self, item: int) -> str | None:
        """The exclusion reason of an excluded item: the arbiter's, else the commonest."""
        if item in self.arbiter:
            return self.arbiter[item].reason
        reasons = [v.reason for v in self.votes.get(item, {}).values() if v.reason]
        if not reasons:
            return None
        order = {r: i for i, r in enumerate(self.plan.reasons)}
        return min(set(reasons), key=lambda r: (-reasons.count(r), order.get(r, len(order)), r))


def rule_result(plan: Plan, assigned: tuple[str, ...], votes: dict[str, str]) -> str:
    """Turn the screeners' current votes on one item into a result under ``plan.rule``."""
    cast = [votes[r] for r in assigned if r in votes]
    if plan.rule == "any_include":
        if any(v in ("include", "maybe") for v in cast):
            return INCLUDE
        return EXCLUDE if len(cast) == len(assigned) else PENDING
    if len(cast) < len(assigned):
        return PENDING
    if plan.rule == "majority_else_arbiter":
        for outcome in (INCLUDE, EXCLUDE):
            if 2 * cast.count(outcome) > len(cast):
                return outcome
        return CONFLICT
    if all(v == INCLUDE for v in cast):
        return INCLUDE
    if all(v == EXCLUDE for v in cast):
        return EXCLUDE
    return CONFLICT


def stage_items(
    conn: Connection,
    project: Project,
    stage: str,
    *,
    ta: StageState | None = None,
    among: Iterable[int] | None = None,
) -> list[int]:
    """Items of a stage in screening order (record or report id).

    ``among``: only those of these ids, each looked up by index rather than by listing
    the whole stage, so that recording one decision on a 50,000-record project costs a
    handful of small queries (a full-text item needs only its own record's
    title/abstract result).
    """
    if among is not None:
        return _items_among(conn, project, stage, set(among), ta=ta)
    if stage == "ta":
        return links.canonical_record_ids(conn)
    ta = ta or load_state(conn, project, "ta")
    passed = {i for i, r in ta.results.items() if r == INCLUDE}
    retrieval = sq.current_retrieval(conn)
    return [
        r["id"]
        for r in sq.list_reports(conn)
        if (r["record_id"] is None or r["record_id"] in passed)
        and retrieval.get(r["id"], {}).get("status") == "retrieved"
    ]


def _items_among(
    conn: Connection, project: Project, stage: str, wanted: set[int], *, ta: StageState | None
) -> list[int]:
    if not wanted:
        return []
    if stage == "ta":
        return links.canonical_among(conn, wanted)
    record_of = sq.reports_among(conn, wanted)
    status = sq.retrieval_status_among(conn, record_of)
    retrieved = {i: r for i, r in record_of.items() if status.get(i) == "retrieved"}
    records = {r for r in retrieved.values() if r is not None}
    if ta is None and records:
        ta = load_state(conn, project, "ta", only=records)
    passed = {i for i, r in ta.results.items() if r == INCLUDE} if ta is not None else set()
    return sorted(i for i, r in retrieved.items() if r is None or r in passed)


def load_state(
    conn: Connection,
    project: Project,
    stage: str,
    *,
    only: Iterable[int] | None = None,
    ta: StageState | None = None,
) -> StageState:
    """Derive the stage from its events; ``only`` restricts it to some items (faster).

    ``ta``: an already derived title/abstract state, saves deriving it again for "ft".
    Inside :func:`state_cache`, a whole stage is derived once and then shared.
    """
    cache = _CACHE.get()
    if only is None and cache is not None and cache[0] is project:
        if stage not in cache[1]:
            cache[1][stage] = _derive(conn, project, stage, only=None, ta=ta)
        return cache[1][stage]
    return _derive(conn, project, stage, only=only, ta=ta)


#: (project, stage -> state) while a :func:`state_cache` block runs.
_CACHE: ContextVar[tuple[Project, dict[str, StageState]] | None] = ContextVar(
    "screening_state_cache", default=None
)


@contextmanager
def state_cache(project: Project) -> Iterator[None]:
    """Derive each stage of ``project`` at most once inside the block (for read-only work:
    a report asks for the same state for counts, the stopping rule and agreement).

    Re-entrant: a block inside another block for the same project shares its states.
    """
    outer = _CACHE.get()
    if outer is not None and outer[0] is project:
        yield
        return
    token = _CACHE.set((project, {}))
    try:
        yield
    finally:
        _CACHE.reset(token)


def _derive(
    conn: Connection,
    project: Project,
    stage: str,
    *,
    only: Iterable[int] | None,
    ta: StageState | None,
) -> StageState:
    plan = get_plan(project, stage)
    if only is not None:
        wanted = set(only)
        items = stage_items(conn, project, stage, ta=ta, among=wanted)
        events = sq.decision_events(conn, stage=stage, item_ids=items)
    else:
        items = stage_items(conn, project, stage, ta=ta)
        events = sq.decision_events(conn, stage=stage)
    status = sq.stage_status(conn, stage=stage)
    state = StageState(
        plan=plan,
        items=items,
        assigned=assign(plan, items),
        closed=status.closed,
        frozen_plan=status.plan,
        blind=status.blind,
    )
    _fold(state, events)
    for item in items:
        if item in state.arbiter:
            state.results[item] = state.arbiter[item].decision
            continue
        current = {r: v.decision for r, v in state.votes.get(item, {}).items()}
        state.results[item] = rule_result(plan, state.assigned[item], current)
    return state


def _fold(state: StageState, events: list[dict[str, Any]]) -> None:
    """Replay events: latest per reviewer wins; votes after the first arbiter event on an
    item do not count as independent (agreement is measured before arbitration)."""
    arbitrated: set[int] = set()
    for ev in events:
        item = ev["item_id"]
        if item not in state.assigned:
            continue
        vote = Vote(
            reviewer=ev["reviewer"],
            decision=ev["decision"],
            reason=ev["reason"],
            note=ev["note"],
            role=ev["role"],
            created_at=ev["created_at"],
        )
        if ev["role"] == "arbiter":
            arbitrated.add(item)
            if vote.decision == "withdrawn":
                state.arbiter.pop(item, None)
            else:
                state.arbiter[item] = vote
            continue
        targets = (state.votes,) if item in arbitrated else (state.votes, state.independent)
        for target in targets:
            mine = target.setdefault(item, {})
            if vote.decision == "withdrawn":
                mine.pop(vote.reviewer, None)
            else:
                mine[vote.reviewer] = vote
