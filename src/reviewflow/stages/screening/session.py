"""The keyboard loop of ``reviewflow screen``, as a function of an input callable.

``read_key`` returns one key per call (the CLI passes ``click.getchar``; tests pass an
iterator over a string), ``show`` draws a :class:`View`. Keys: i include, e exclude,
m maybe, r exclude with a reason (then a digit), u undo (withdraws one's last vote of this
session: an event, not a deletion), n next item, q quit. The session starts, and resumes
after a quit, at the reviewer's first item without a vote.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from ...errors import ReviewflowError
from ...project import Project
from ...store import screening_queries as sq
from .decisions import decide, withdraw
from .plan import check_reviewer, check_stage
from .prioritise import SessionRanker, ranking_on, stopping_status
from .state import StageState, load_state

HELP = "i include · e exclude · m maybe · r reason+exclude · u undo · n next · q quit"


@dataclass
class View:
    stage: str
    item_id: int | None
    title: str
    authors: str
    year: str
    abstract: str
    done: int
    total: int
    vote: str | None = None
    message: str = ""
    reasons: tuple[str, ...] = ()
    choosing_reason: bool = False


@dataclass
class SessionResult:
    decided: int = 0
    undone: int = 0
    remaining: int = 0
    log: list[str] = field(default_factory=list)


def screen_loop(
    project: Project,
    *,
    stage: str,
    reviewer: str,
    read_key: Callable[[], str],
    show: Callable[[View], None],
) -> SessionResult:
    """Screen ``reviewer``'s items until they are all voted on or the reviewer quits."""
    check_stage(stage)
    check_reviewer(project, reviewer)
    result = SessionResult()
    with project.db.connect() as conn:
        state = load_state(conn, project, stage)
    mine = [i for i in state.items if reviewer in state.assigned[i]]
    voted = {i for i in mine if reviewer in state.votes.get(i, {})}
    own = {i: state.votes[i][reviewer].decision for i in voted}
    ranker = SessionRanker(project, mine) if ranking_on(project, stage) and mine else None
    sample_seed: int | None = None
    if ranker is not None:
        sample_seed = _sample_seed(project, state)
        mine = _ranked(ranker, mine, voted, own, sample_seed)
    history: list[int] = []
    pos = _next_open(mine, voted, 0)
    message = ""
    while pos is not None:
        item = mine[pos]
        show(_view(project, state, item, reviewer, len(voted), len(mine), message))
        message = ""
        key = read_key().lower()
        if key == "q":
            break
        if key == "n":
            pos = (pos + 1) % len(mine)
            continue
        if key == "u":
            if not history:
                message = "nothing to undo in this session"
                continue
            last = history.pop()
            withdraw(project, stage=stage, item_id=last, reviewer=reviewer)
            voted.discard(last)
            own.pop(last, None)
            result.undone += 1
            result.log.append(f"undo {last}")
            pos, message = mine.index(last), f"vote on {last} withdrawn"
            continue
        choice = _choice(key, state, item, reviewer, read_key, show, voted, len(mine))
        if choice is None:
            message = f"unknown key {key!r}: {HELP}"
            continue
        if choice == ("", None):
            continue  # reason menu cancelled
        decision, reason = choice
        try:
            decide(
                project,
                stage=stage,
                item_id=item,
                reviewer=reviewer,
                decision=decision,
                reason=reason,
            )
        except ReviewflowError as exc:
            message = exc.message
            continue
        voted.add(item)
        own[item] = decision
        history.append(item)
        result.decided += 1
        result.log.append(f"{decision} {item}" + (f" ({reason})" if reason else ""))
        if ranker is not None:
            if result.decided % 10 == 0:
                report = stopping_status(project)
                message = report.summary()
                if report.switched and sample_seed is None:
                    sample_seed = state.plan.seed
            mine = _ranked(ranker, mine, voted, own, sample_seed)
            pos = _next_open(mine, voted, 0)
        else:
            pos = _next_open(mine, voted, pos)
    result.remaining = len(mine) - len(voted)
    return result


def _choice(
    key: str,
    state: StageState,
    item: int,
    reviewer: str,
    read_key: Callable[[], str],
    show: Callable[[View], None],
    voted: set[int],
    total: int,
) -> tuple[str, str | None] | None:
    plan = state.plan
    if key == "i":
        return ("include", None)
    if key == "m":
        return ("maybe", None)
    if key == "e" and not plan.reason_required:
        return ("exclude", None)
    if key in ("e", "r"):
        if not plan.reasons:
            return ("exclude", None)
        view = View(plan.stage, item, "", "", "", "", len(voted), total)
        view.reasons, view.choosing_reason = plan.reasons, True
        show(view)
        pick = read_key()
        if pick.isdigit() and 1 <= int(pick) <= len(plan.reasons):
            return ("exclude", plan.reasons[int(pick) - 1])
        return ("", None)
    return None


def _ranked(
    ranker: SessionRanker,
    mine: list[int],
    voted: set[int],
    own: dict[int, str],
    sample_seed: int | None,
) -> list[int]:
    """Voted items first (as they were), then the open ones best first (or, once the
    stopping rule samples, in its seeded random order)."""
    done = [i for i in mine if i in voted]
    return done + ranker.order(own, [i for i in mine if i not in voted], sample_seed=sample_seed)


def _sample_seed(project: Project, state: StageState) -> int | None:
    """The plan's seed once the stopping rule has switched to random sampling, else None."""
    return state.plan.seed if stopping_status(project, state=state).switched else None


def _next_open(mine: list[int], voted: set[int], start: int) -> int | None:
    """Index of the first item without a vote, looking forward from ``start`` and wrapping."""
    n = len(mine)
    for step in range(n):
        idx = (start + step) % n
        if mine[idx] not in voted:
            return idx
    return None


def _view(
    project: Project,
    state: StageState,
    item: int,
    reviewer: str,
    done: int,
    total: int,
    message: str,
) -> View:
    with project.db.connect() as conn:
        record_id = item
        if state.plan.stage == "ft":
            rows = {r["id"]: r["record_id"] for r in sq.list_reports(conn)}
            record_id = rows.get(item) or -1
        text = sq.record_texts(conn, [record_id]).get(record_id, {})
        current = load_state(conn, project, state.plan.stage, only={item}).votes
    vote = current.get(item, {}).get(reviewer)
    return View(
        stage=state.plan.stage,
        item_id=item,
        title=text.get("title") or "(no title)",
        authors="; ".join(text.get("authors") or []),
        year=str(text.get("year") or ""),
        abstract=text.get("abstract") or "(no abstract)",
        done=done,
        total=total,
        vote=vote.decision if vote else None,
        message=message,
        reasons=state.plan.reasons,
    )
