"""What a request-based screening page reads on every request, kept current cheaply.

A web request asks "what is this reviewer's next record?" and must answer in a few
milliseconds, while deriving a 50,000-record stage (:func:`.state.load_state`) takes
0.35 s with no votes and 1.7 s with 105,000 votes (measured on 2 shared cores). So this
module keeps, per process:

* the items of a stage and who screens each (:func:`stage_items`): for title/abstract,
  rebuilt only when :func:`~reviewflow.store.screening_queries.records_mark` (counts and
  largest ids of the records and link events, one small read) or the plan changes;
* each reviewer's own current votes (:func:`own_votes`), read by the primary key from the
  last event seen on, so each call reads only the events made since;
* the whole stage's derived state (:func:`team_state`), for the team's counts and the
  stopping rule, re-derived when an event was added since: in the request when the last
  derivation took under :data:`INLINE_S`, else in a background thread at most every
  :data:`TEAM_REFRESH_S` while callers get the previous one.

Every call still reads the store (the marks, the new events); the caches save the work
of re-deriving what those reads show has not changed, never the reads. Events read
inside a write session are not cached (the session may yet roll back): they count for
that call only. All of it is thread-safe: a web server runs requests in a thread pool.

Background work (a refit, a re-derivation) runs one job at a time (:data:`AT_ONCE`) and
meanwhile the interpreter hands the GIL over every :data:`SWITCH_S` instead of every
5 ms: with one thread per reviewer refitting at once and the default interval, asking
for the next record took 31 ms at the median instead of 4 (50,000 records, 2 cores);
with both measures, 4 ms.
"""

from __future__ import annotations

import sys
import threading
import time
from collections.abc import Callable
from contextlib import nullcontext
from dataclasses import dataclass, field
from typing import Any, TypeVar

from sqlalchemy import Connection

from ...project import Project
from ...store import in_write_unit
from ...store import screening_queries as sq
from .assign import assign
from .plan import Plan
from .state import StageState, Vote, load_state
from .state import stage_items as _stage_items

#: Work that took less than this the last time is redone in the request; longer work
#: runs in a background thread and the request answers from its previous result.
INLINE_S = 0.05
#: The longest a background re-derivation of a whole stage waits after the last one.
TEAM_REFRESH_S = 10.0

_LOCK = threading.Lock()


@dataclass
class Items:
    """A stage's items (id order) and each one's screeners, under ``plan``."""

    mark: tuple[int, ...] | None
    plan: Plan
    items: list[int]
    assigned: dict[int, tuple[str, ...]]
    _mine: dict[str, tuple[list[int], frozenset[int]]] = field(default_factory=dict)

    def mine(self, reviewer: str) -> list[int]:
        """The items ``reviewer`` screens, in id order."""
        return self._of(reviewer)[0]

    def mine_set(self, reviewer: str) -> frozenset[int]:
        return self._of(reviewer)[1]

    def _of(self, reviewer: str) -> tuple[list[int], frozenset[int]]:
        with _LOCK:
            found = self._mine.get(reviewer)
        if found is None:
            mine = [i for i in self.items if reviewer in self.assigned[i]]
            found = (mine, frozenset(mine))
            with _LOCK:
                self._mine[reviewer] = found
        return found


_ITEMS: dict[tuple[str, str], Items] = {}


def stage_items(conn: Connection, project: Project, plan: Plan) -> Items:
    """The items of ``plan.stage`` now (title/abstract: cached while the records are
    unchanged; full text, a few hundred reports, is read afresh each time)."""
    stage = plan.stage
    if stage != "ta":
        items = _stage_items(conn, project, stage, among=sq.report_ids(conn))
        return Items(None, plan, items, assign(plan, items))
    mark = sq.records_mark(conn)
    key = (project.db.url, stage)
    with _LOCK:
        cached = _ITEMS.get(key)
    if cached is not None and cached.mark == mark and cached.plan == plan:
        return cached
    items = _stage_items(conn, project, stage)
    built = Items(mark, plan, items, assign(plan, items))
    if not in_write_unit():
        with _LOCK:
            _ITEMS[key] = built
    return built


@dataclass(frozen=True)
class OwnVote:
    """A reviewer's current vote on an item and the id of the event that cast it."""

    event: int
    vote: Vote


@dataclass
class _Own:
    lock: threading.Lock = field(default_factory=threading.Lock)
    mark: tuple[int, ...] | None = None
    last: int = 0
    events: int = 0
    votes: dict[int, OwnVote] = field(default_factory=dict)


@dataclass(frozen=True)
class Own:
    """A reviewer's current votes at a stage (item -> vote), never to be changed by the
    caller, and how many of their events were read in all (a count that only grows)."""

    votes: dict[int, OwnVote]
    events: int


_OWN: dict[tuple[str, str, str], _Own] = {}


def own_votes(conn: Connection, project: Project, items: Items, reviewer: str) -> Own:
    """``reviewer``'s current screening votes at ``items.plan.stage``, from the store.

    Reads the events after the last one seen (all of them when the stage's items changed,
    or the decision ids went back, as after restoring a backup); replays them on a copy,
    so what a caller holds never changes under it.
    """
    stage = items.plan.stage
    key = (project.db.url, stage, reviewer)
    with _LOCK:
        entry = _OWN.setdefault(key, _Own())
    with entry.lock:
        top, _ = sq.change_marks(conn)
        if items.mark is None or entry.mark != items.mark or top < entry.last:
            entry.mark, entry.last, entry.events, entry.votes = items.mark, 0, 0, {}
        rows = sq.own_events_after(conn, stage=stage, reviewer=reviewer, after=entry.last)
        if not rows:
            return Own(entry.votes, entry.events)
        votes = dict(entry.votes)
        for event, item, decision, reason, note, created_at in rows:
            if decision == "withdrawn":
                votes.pop(item, None)
            else:
                vote = Vote(reviewer, decision, reason, note, "screen", created_at)
                votes[item] = OwnVote(event, vote)
        seen = entry.events + len(rows)
        if not in_write_unit():
            entry.last, entry.events, entry.votes = rows[-1][0], seen, votes
        return Own(votes, seen)


@dataclass
class _Team:
    lock: threading.Lock = field(default_factory=threading.Lock)
    state: StageState | None = None
    marks: tuple[Any, ...] | None = None
    seconds: float = 0.0
    derived_at: float = 0.0
    busy: bool = False


_TEAM: dict[tuple[str, str], _Team] = {}


def team_state(conn: Connection, project: Project, items: Items) -> StageState:
    """The whole stage derived from its events: current, or (on a large project, while a
    background thread derives it again) at most about :data:`TEAM_REFRESH_S` old.

    Inside a write session the committed state is derived, on a connection of its own:
    the session's reads may hold its own writes, which could yet roll back.
    """
    stage = items.plan.stage
    marks = (items.mark, items.plan, sq.change_marks(conn))
    with _LOCK:
        entry = _TEAM.setdefault((project.db.url, stage), _Team())
    with entry.lock:
        state, fresh = entry.state, entry.marks == marks
        if state is not None and (fresh or entry.seconds >= INLINE_S):
            again = (
                not fresh
                and not entry.busy
                and time.monotonic() - entry.derived_at >= TEAM_REFRESH_S
            )
            if again:
                entry.busy = True
                background(lambda: _derive_team(project, stage, entry, None), name="team")
            return state
        if not in_write_unit():  # derive it here; other callers wait for it and share it
            return _derive_team(project, stage, entry, conn)
    background(lambda: _derive_team(project, stage, entry, None), name="team", queued=False).join()
    with entry.lock:
        assert entry.state is not None, "the stage could not be derived (see the log)"
        return entry.state


def _derive_team(project: Project, stage: str, entry: _Team, conn: Connection | None) -> StageState:
    """Derive the stage and keep it with the marks it was derived at, then run the
    :func:`on_derived` hooks (``conn`` None: on a connection of its own, in a thread of
    its own, taking the entry's lock only to keep the result; else the caller holds it)."""
    t0 = time.perf_counter()
    try:
        if conn is None:
            with project.db.connect() as own:
                state, marks = _derived(own, project, stage)
        else:
            state, marks = _derived(conn, project, stage)
        took = time.perf_counter() - t0  # the hooks' first run imports scipy: not counted
        for hook in _HOOKS:
            hook(project, state)
        if conn is None:
            with entry.lock:
                _keep(entry, state, marks, took)
        else:
            _keep(entry, state, marks, took)
        return state
    finally:
        if conn is None:
            with entry.lock:
                entry.busy = False


_Hook = TypeVar("_Hook", bound=Callable[[Project, StageState], object])
_HOOKS: list[Callable[[Project, StageState], object]] = []


def on_derived(hook: _Hook) -> _Hook:
    """Run ``hook`` on each newly derived whole-stage state, before callers get it: work
    on the whole stage (the stopping rule, the team's counts) then runs where the
    derivation did, in the background on a large project."""
    _HOOKS.append(hook)
    return hook


def _derived(conn: Connection, project: Project, stage: str) -> tuple[StageState, tuple[Any, ...]]:
    from .plan import get_plan

    plan = get_plan(project, stage)
    marks = (stage_items(conn, project, plan).mark, plan, sq.change_marks(conn))
    return load_state(conn, project, stage), marks


def _keep(entry: _Team, state: StageState, marks: tuple[Any, ...], seconds: float) -> None:
    entry.state, entry.marks, entry.seconds = state, marks, seconds
    entry.derived_at = time.monotonic()


_RUNNING: set[threading.Thread] = set()
#: Background jobs that compute at once; the others wait their turn, so a burst of
#: refits never has every core busy while requests wait.
AT_ONCE = 1
_TURN = threading.BoundedSemaphore(AT_ONCE)
#: How often the interpreter hands the GIL to another thread while background work runs
#: (Python's default is 5 ms). A request waiting on the database needs the GIL back after
#: each statement, and behind a busy thread it waited up to the full interval each time.
SWITCH_S = 0.0005
_switch_before: list[float] = []


def background(work: Callable[[], object], *, name: str, queued: bool = True) -> threading.Thread:
    """Run ``work`` in a daemon thread (outside any session: it opens its own connection),
    one such job at a time (:data:`AT_ONCE`; ``queued=False``: now, for a caller that
    waits for it), with the GIL switched often meanwhile."""

    def run() -> None:
        try:
            with _TURN if queued else nullcontext():
                _switch(+1)
                try:
                    work()
                finally:
                    _switch(-1)
        finally:
            with _LOCK:
                _RUNNING.discard(thread)

    thread = threading.Thread(target=run, name=f"reviewflow {name}", daemon=True)
    with _LOCK:
        _RUNNING.add(thread)
    thread.start()
    return thread


def running() -> int:
    """How many background jobs are running or waiting their turn now."""
    with _LOCK:
        return len(_RUNNING)


def _switch(step: int) -> None:
    """Lower the interpreter's switch interval while background work runs; restore it
    when the last job ends."""
    with _LOCK:
        if step > 0:
            _switch_before.append(sys.getswitchinterval())
            sys.setswitchinterval(min(SWITCH_S, _switch_before[0]))
        else:
            before = _switch_before.pop()
            if not _switch_before:
                sys.setswitchinterval(before)


def wait_idle(timeout: float | None = None) -> None:
    """Wait for the background work running now to end (tests; a server shutting down)."""
    with _LOCK:
        running = list(_RUNNING)
    for thread in running:
        thread.join(timeout)


def clear() -> None:
    """Forget every cached stage, vote and state (tests; a server that dropped a project),
    after the background work running now has ended."""
    wait_idle()
    with _LOCK:
        _ITEMS.clear()
        _OWN.clear()
        _TEAM.clear()
