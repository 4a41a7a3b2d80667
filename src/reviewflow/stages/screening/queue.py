"""A reviewer's next record, and where they and the team stand, one request at a time.

The keyboard loop (:mod:`.session`) holds its order in a local variable for a sitting;
the web app asks afresh on every request, from a thread pool, and must answer within a
few milliseconds on a 50,000-record project. :func:`next_item` reads, on every call,
which of the reviewer's items still lack their vote (:mod:`.live`: the few events since
the last call), and takes the first of those in the last computed order:

* ranking off: id order;
* ranking on (title/abstract): best first by a :class:`~.prioritise.SessionRanker`
  trained on the reviewer's OWN votes only (the order reveals nothing of anyone else's;
  blindness holds), refitted on the ranker's schedule; once the stopping rule has
  switched to sampling, the seeded random order its test assumes. Assignment (the
  random double-screened share) is untouched.

A refit on 50,000 records takes 0.3-0.6 s, so one that is due runs in the background
(one per reviewer at a time, fitted in a child process: :mod:`.refits`) while requests
answer from the previous order; items it does not hold yet (new imports, a vote
withdrawn after the fit) come after it. Rankers are kept per process for (database,
stage, reviewer), the :data:`KEEP` most recently used. The first call for a reviewer
starts building theirs in the background (on a new 50,000-record project the features
take about a minute, then come from the disk cache in a second or two) and, until it is
there, answers in id order: :func:`warm` builds it ahead. Correctness never rests on
the cache: an answer is always an item the store says is the reviewer's and open.

Measured (benchmarks/queue_bench.py: 50,000 records, 20 reviewers, ranking on, 5 taking
turns in one process, 2 shared cores at load 6-16): "record a decision, then ask for the
next record" p50 2-21 ms, p95 11-60 ms back to back; with 200 ms between turns p95 44 ms
and the refits keep up (96 of every reviewer's first 100 records relevant, against 4 %
of the records).
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from collections.abc import Collection
from dataclasses import dataclass, field
from typing import Any

from ...project import Project
from ...store import screening_queries as sq
from . import live
from .plan import check_reviewer, check_stage, get_plan
from .prioritise import (
    RELEVANT,
    SessionRanker,
    StoppingReport,
    forget_shared,
    ranking_on,
    sample_order,
    stopping_status,
)
from .state import CONFLICT, PENDING, StageState

#: Rankers kept per process (each holds its reviewer's model; the features are shared
#: memory-mapped files).
KEEP = 64
#: A first guess at how long a refit takes before one has been timed (per record).
_FIT_S_PER_ITEM = 1e-5
#: How long a reviewer's first request waits for their ranker to be built before it
#: answers in id order (a small project's is ready well within it).
FIRST_WAIT_S = 2.0


@dataclass
class _Queue:
    lock: threading.Lock = field(default_factory=threading.Lock)
    ranker: SessionRanker | None = None
    #: The items mark and plan the ranker's features were built for.
    built_for: tuple[Any, ...] | None = None
    order: list[int] = field(default_factory=list)
    in_order: frozenset[int] = frozenset()
    #: Own events read when the order was computed (-1: never), and its sample seed.
    fit_events: int = -1
    seed: int | None = None
    seconds: float = 0.0
    busy: bool = False
    worker: threading.Thread | None = None


_QUEUES: OrderedDict[tuple[str, str, str], _Queue] = OrderedDict()
_LOCK = threading.Lock()


def next_item(
    project: Project, *, stage: str, reviewer: str, skip: Collection[int] = ()
) -> int | None:
    """``reviewer``'s next item without their vote (None: none left, or the stage is
    closed); ``skip``: items to pass over this time (the reviewer skipped them)."""
    check_stage(stage)
    check_reviewer(project, reviewer)
    with project.db.connect() as conn:
        plan = get_plan(project, stage)
        if sq.stage_status(conn, stage=stage).closed:
            return None
        items = live.stage_items(conn, project, plan)
        mine = items.mine(reviewer)
        if not mine:
            return None
        mine_own = live.own_votes(conn, project, items, reviewer)
        ranked = ranking_on(project, stage)
        seed = _sample_seed(conn, project, items) if ranked else None
        own = mine_own.votes
        passed = set(skip)
        if not ranked:
            return next((i for i in mine if i not in own and i not in passed), None)
        order, in_order = _order(project, items, reviewer, mine_own, seed)
    mine_set = items.mine_set(reviewer)
    for i in order:
        if i not in own and i not in passed and i in mine_set:
            return i
    return next((i for i in mine if i not in in_order and i not in own and i not in passed), None)


def ranking_state(project: Project, *, stage: str, reviewer: str) -> str:
    """``"off"`` (no ranking at this stage), ``"preparing"`` (the reviewer's ranker is
    being built: :func:`next_item` answers in id order meanwhile) or ``"ready"``."""
    if not ranking_on(project, stage):
        return "off"
    with _LOCK:
        queue = _QUEUES.get((project.db.url, stage, reviewer))
    return "ready" if queue is not None and queue.ranker is not None else "preparing"


def warm(project: Project, *, stage: str, reviewer: str) -> None:
    """Build ``reviewer``'s queue now (features, first fit) and wait for any refit, so
    that their first request is fast and the order is current."""
    next_item(project, stage=stage, reviewer=reviewer)
    with _LOCK:
        queue = _QUEUES.get((project.db.url, stage, reviewer))
    worker = queue.worker if queue is not None else None
    if worker is not None:
        worker.join()
    if queue is not None and ranking_on(project, stage):
        next_item(project, stage=stage, reviewer=reviewer)  # a refit the first call owed
        if queue.worker is not None:
            queue.worker.join()


def _sample_seed(conn: Any, project: Project, items: live.Items) -> int | None:
    """The plan's seed once the stopping rule has switched to random sampling."""
    state = live.team_state(conn, project, items)
    return items.plan.seed if _facts(project, state)["switched"] else None


#: Facts about a derived whole-stage state, worked out once per state (by identity).
_FACTS: dict[tuple[str, str], tuple[StageState, dict[str, int]]] = {}
#: The stopping rule's report on the same state (title/abstract with ranking).
_REPORTS: dict[tuple[str, str], tuple[StageState, StoppingReport]] = {}


def stopping_panel(project: Project) -> StoppingReport:
    """The stopping rule's report for a screening page, shown after every vote.

    :func:`stopping_status` derives the whole stage (0.1-0.3 s on 50,000 records); this
    reads it off the whole-stage state the queue keeps (:func:`live.team_state`), worked
    out once per state, so on a large project it may be a few seconds old, like the
    team's progress beside it. ``reviewflow screen stopping`` reads it afresh.
    """
    with project.db.connect() as conn:
        items = live.stage_items(conn, project, get_plan(project, "ta"))
        state = live.team_state(conn, project, items)
    key = (project.db.url, "ta")
    with _LOCK:
        known = _REPORTS.get(key)
    if known is not None and known[0] is state:
        return known[1]
    report = stopping_status(project, state=state)
    with _LOCK:
        _REPORTS[key] = (state, report)
    return report


@live.on_derived
def _facts(project: Project, state: StageState) -> dict[str, int]:
    """decided / screened / conflicts counts of ``state``, and whether the stopping rule
    has switched to sampling (title/abstract with ranking)."""
    key = (project.db.url, state.plan.stage)
    with _LOCK:
        known = _FACTS.get(key)
    if known is not None and known[0] is state:
        return known[1]
    facts = {"decided": 0, "screened": 0, "conflicts": 0, "switched": 0}
    for item in state.items:
        result = state.results.get(item, PENDING)
        facts["decided"] += result != PENDING
        facts["conflicts"] += result == CONFLICT
        cast = state.votes.get(item, {})
        facts["screened"] += item in state.arbiter or all(r in cast for r in state.assigned[item])
    report = None
    if ranking_on(project, state.plan.stage):
        report = stopping_status(project, state=state)
        facts["switched"] = report.samples_randomly
    with _LOCK:
        _FACTS[key] = (state, facts)
        if report is not None:
            _REPORTS[key] = (state, report)
    return facts


def _order(
    project: Project, items: live.Items, reviewer: str, own: live.Own, seed: int | None
) -> tuple[list[int], frozenset[int]]:
    """The last computed order of ``reviewer``'s items, refitting (inline while that is
    quick, else in the background) when one is due."""
    stage = items.plan.stage
    key = (project.db.url, stage, reviewer)
    with _LOCK:
        queue = _QUEUES.get(key)
        if queue is None:
            queue = _QUEUES[key] = _Queue()
            while len(_QUEUES) > KEEP:
                _QUEUES.popitem(last=False)
        _QUEUES.move_to_end(key)
    wanted = (items.mark, items.plan)
    if queue.ranker is None and not _first_build(project, queue, items, reviewer, seed):
        return [], frozenset()  # id order until the features are built
    with queue.lock:
        order, in_order = queue.order, queue.in_order
        if queue.busy:
            return order, in_order
        rebuild = queue.built_for != wanted
        due = rebuild or queue.seed != seed or _fit_due(queue, own)
        if not due:
            return order, in_order
        queue.busy = True
        inline = queue.seconds < live.INLINE_S
    if inline:
        _refit(project, queue, items, reviewer, own, seed, rebuild=rebuild)
        return queue.order, queue.in_order
    queue.worker = live.background(  # on the votes as they are when it runs
        lambda: _refit(
            project, queue, items, reviewer, None, seed, rebuild=rebuild, elsewhere=True
        ),
        name=f"refit {stage} {reviewer}",
        # a refit in the child process computes nothing here: it need not wait its turn
        queued=rebuild or queue.ranker is None or queue.ranker.folder is None,
    )
    return order, in_order


def _first_build(
    project: Project, queue: _Queue, items: live.Items, reviewer: str, seed: int | None
) -> bool:
    """Build ``reviewer``'s ranker in the background (the features of a new 50,000-record
    project take about a minute; from the disk cache a second or two) and wait for it up
    to :data:`FIRST_WAIT_S`; whether it is there now. Meanwhile the reviewer gets their
    records in id order, so the first page of a new project opens at once. Behind other
    background work (a team signing in together: the first reviewer's build is running)
    the build cannot start within the wait, so the reviewer is not kept waiting for it."""
    with queue.lock:
        start = queue.ranker is None and not queue.busy
        if start:
            queue.busy = True
    behind = live.running() > 0
    if start:
        queue.worker = live.background(
            lambda: _refit(project, queue, items, reviewer, None, seed, rebuild=True),
            name=f"build {items.plan.stage} {reviewer}",
        )
    worker = queue.worker
    if worker is not None and queue.ranker is None and not (start and behind):
        worker.join(FIRST_WAIT_S)
    return queue.ranker is not None


def _fit_due(queue: _Queue, own: live.Own) -> bool:
    """Whether the reviewer's votes changed enough since the last fit for another one."""
    since = own.events - queue.fit_events
    if since == 0:
        return False
    if since < 0:
        return True  # the votes were read afresh (the items changed): start again
    ranker = queue.ranker
    assert ranker is not None
    if not ranker.fitted:  # a fit needs an include and an exclude among the votes
        relevant = {v.vote.decision in RELEVANT for i, v in own.votes.items() if i in ranker.row}
        return len(relevant) == 2
    return ranker.due(len(own.votes), since=since)


def _refit(
    project: Project,
    queue: _Queue,
    items: live.Items,
    reviewer: str,
    own: live.Own | None,
    seed: int | None,
    *,
    rebuild: bool,
    elsewhere: bool = False,
) -> None:
    """Compute the order on ``own`` (None: the votes as they are now, read on a
    connection of its own) and keep it; the caller set busy. ``elsewhere``: fit in the
    child process (:mod:`.refits`)."""
    t0 = time.perf_counter()
    try:
        mine = items.mine(reviewer)
        ranker = queue.ranker
        if rebuild or ranker is None:
            ranker = SessionRanker(project, mine, mark=items.mark)
        if own is None:
            with project.db.connect() as conn:
                own = live.own_votes(conn, project, items, reviewer)
        fitted = None
        if seed is not None:
            order = sample_order(mine, seed)
        else:
            votes = {i: v.vote.decision for i, v in own.votes.items()}
            fitted = ranker.refit(votes, elsewhere=elsewhere)
            order = list(ranker.items) if fitted is None else fitted
        with queue.lock:
            queue.ranker, queue.built_for = ranker, (items.mark, items.plan)
            queue.order, queue.in_order = order, frozenset(order)
            queue.fit_events, queue.seed = own.events, seed
            took = time.perf_counter() - t0
            queue.seconds = took if fitted is not None else len(mine) * _FIT_S_PER_ITEM
    finally:
        with queue.lock:
            queue.busy = False


@dataclass(frozen=True)
class Progress:
    """Where a reviewer and their team stand at a stage (counts only: blind-safe).

    ``team_done``: items with a result other than pending, when the reviewer may see every
    vote (the stage is closed or unblinded, or they are its arbiter); for everyone else
    the items every screener has voted on (or the arbiter decided), which is the same
    under the unanimous and majority rules and under ``any_include`` leaves out an item
    one screener included before the other voted: counting it would tell a blind
    screener the other's include. ``conflicts`` is None for those who may not list them
    (``reviewflow conflicts``): a count that rose after a vote would tell its caster the
    other vote. ``since_last_include``: records the reviewer screened since their own
    last include (or maybe), with ranking on (title/abstract), else None. On a large
    project the team's figures may be a few seconds old (see :mod:`.live`).
    """

    stage: str
    reviewer: str
    mine_done: int
    mine_total: int
    team_done: int
    team_total: int
    conflicts: int | None
    since_last_include: int | None

    def to_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


def progress(project: Project, *, stage: str, reviewer: str) -> Progress:
    """Counts for a screening page's progress bar and the team's standing."""
    check_stage(stage)
    check_reviewer(project, reviewer)
    with project.db.connect() as conn:
        plan = get_plan(project, stage)
        items = live.stage_items(conn, project, plan)
        own = live.own_votes(conn, project, items, reviewer).votes
        state = live.team_state(conn, project, items)
        status = sq.stage_status(conn, stage=stage)  # read afresh: the counts may lag
    mine = items.mine_set(reviewer)
    done = [v for i, v in own.items() if i in mine]
    since = None
    if ranking_on(project, stage):
        since = 0
        for v in sorted(done, key=lambda v: v.event, reverse=True):
            if v.vote.decision in RELEVANT:
                break
            since += 1
    sees_all = status.closed or not status.blind or reviewer == plan.arbiter
    counts = _facts(project, state)
    return Progress(
        stage=stage,
        reviewer=reviewer,
        mine_done=len(done),
        mine_total=len(mine),
        team_done=counts["decided"] if sees_all else counts["screened"],
        team_total=len(state.items),
        conflicts=counts["conflicts"] if sees_all else None,
        since_last_include=since,
    )


def clear() -> None:
    """Forget every ranker and cached state of this process (tests)."""
    with _LOCK:
        _QUEUES.clear()
        _FACTS.clear()
        _REPORTS.clear()
    forget_shared()
    live.clear()
