"""The keyboard loop of ``reviewflow screen``, as a function of an input callable.

``read_key`` returns one key per call (the CLI passes ``click.getchar``; tests pass an
iterator over a string), ``show`` draws a :class:`View`. Keys: i include, e exclude,
m maybe, r exclude with a reason (then a digit), u undo (withdraws one's last vote of this
session: an event, not a deletion), s skip to the next item, n note, t tags, o open the
full text (full-text stage), q quit. The session starts, and resumes after a quit, at the
reviewer's first item without a vote.

A note and tags (``read_line`` reads them) are recorded with the next decision on the
item, tags as ``#tag`` words in the note (see :mod:`.view`). The web app asks the same
questions one request at a time: :mod:`.view` and :mod:`.queue`.
"""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractContextManager
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING

from ...errors import ReviewflowError
from ...project import Project
from .decisions import decide, withdraw
from .plan import check_reviewer, check_stage
from .prioritise import SessionRanker, ranking_on, stopping_status
from .state import StageState, load_state
from .view import View, build_view, note_with_tags, parse_tags

if TYPE_CHECKING:
    from ...session import Session


@dataclass
class SessionResult:
    decided: int = 0
    undone: int = 0
    remaining: int = 0
    #: How many items the reviewer has at this stage (all of them, voted or not).
    total: int = 0
    log: list[str] = field(default_factory=list)


def screen_loop(
    project: Project,
    *,
    stage: str,
    reviewer: str,
    read_key: Callable[[], str],
    show: Callable[[View], None],
    read_line: Callable[[str], str] | None = None,
    open_file: Callable[[Path], int | None] | None = None,
) -> SessionResult:
    """Screen ``reviewer``'s items until they are all voted on or the reviewer quits.

    ``read_line(prompt)`` reads a note or tags (without it n and t say they cannot);
    ``open_file(path)`` shows a full text in the system viewer (the o key) and returns
    non-zero when it could not.

    Each action is its own session for ``reviewer`` (the loop opens them, so call it
    outside a session): a decision or an undo is committed the moment it is made, and the
    write lock is held for that one decision, never while the reviewer reads.
    """
    check_stage(stage)
    check_reviewer(project, reviewer)
    result = SessionResult()

    def reading() -> AbstractContextManager[Session]:
        return project.session(actor=reviewer, write=False)

    def writing() -> AbstractContextManager[Session]:
        return project.session(actor=reviewer, write=True)

    with reading(), project.db.connect() as conn:
        state = load_state(conn, project, stage)
        mine = [i for i in state.items if reviewer in state.assigned[i]]
        voted = {i for i in mine if reviewer in state.votes.get(i, {})}
        own = {i: state.votes[i][reviewer].decision for i in voted}
        ranker = SessionRanker(project, mine) if ranking_on(project, stage) and mine else None
        sample_seed: int | None = None
        if ranker is not None:
            sample_seed = _sample_seed(project, state)
    if ranker is not None:
        mine = _ranked(ranker, mine, voted, own, sample_seed)
    history: list[int] = []
    pos = _next_open(mine, voted, 0)
    message = ""
    typed: dict[int, tuple[str, tuple[str, ...]]] = {}  # item -> note, tags
    result.total = len(mine)
    while pos is not None:
        item = mine[pos]
        with reading():
            view = build_view(project, stage=stage, item_id=item, reviewer=reviewer,
                              done=len(voted), total=len(mine))  # fmt: skip
        view.message = message
        view.note, view.tags = typed.get(item, ("", ()))
        show(view)
        message = ""
        key = read_key().lower()
        if key == "q":
            break
        if key == "s":
            pos = _next_open(mine, voted, (pos + 1) % len(mine))
            continue
        if key in ("n", "t", "o"):
            message = _extra(key, view, typed, read_line, open_file)
            continue
        if key == "u":
            if not history:
                message = "nothing to undo in this session"
                continue
            last = history.pop()
            with writing():
                withdraw(project, stage=stage, item_id=last, reviewer=reviewer)
            voted.discard(last)
            own.pop(last, None)
            result.undone += 1
            result.log.append(f"undo {last}")
            pos, message = mine.index(last), f"vote on {last} withdrawn"
            continue
        choice = _choice(key, state, view, read_key, show)
        if choice is None:
            message = f"unknown key {key!r}: {view.help}"
            continue
        if choice == ("", None):
            continue  # reason menu cancelled
        decision, reason = choice
        note = note_with_tags(view.note, view.tags)
        try:
            with writing():  # one decision, one session
                decide(
                    project,
                    stage=stage,
                    item_id=item,
                    reviewer=reviewer,
                    decision=decision,
                    reason=reason,
                    note=note,
                )
        except ReviewflowError as exc:
            message = exc.message
            continue
        typed.pop(item, None)
        voted.add(item)
        own[item] = decision
        history.append(item)
        result.decided += 1
        result.log.append(
            f"{decision} {item}"
            + (f" ({reason})" if reason else "")
            + (f" [{note}]" if note else "")
        )
        if ranker is not None:
            if result.decided % 10 == 0:
                with reading():
                    report = stopping_status(project)
                message = report.summary()
                if report.samples_randomly and sample_seed is None:
                    sample_seed = state.plan.seed
            mine = _ranked(ranker, mine, voted, own, sample_seed)
            pos = _next_open(mine, voted, 0)
        else:
            pos = _next_open(mine, voted, pos)
    result.remaining = len(mine) - len(voted)
    return result


def _extra(
    key: str,
    view: View,
    typed: dict[int, tuple[str, tuple[str, ...]]],
    read_line: Callable[[str], str] | None,
    open_file: Callable[[Path], int | None] | None,
) -> str:
    """The n (note), t (tags) and o (open full text) keys; returns the message to show."""
    assert view.item_id is not None
    if key == "o":
        if view.stage != "ft":
            return "o opens a full text; at title/abstract there is none"
        if view.file_path is None or not view.file_path.is_file():
            return (
                f"no full text attached to report {view.item_id}: "
                "reviewflow fulltext attach FOLDER --reviewer INITIALS"
            )
        if open_file is None:
            return f"the full text is {view.file_path}"
        if open_file(view.file_path):
            return f"no viewer could open {view.file_name}; the file is {view.file_path}"
        return f"opened {view.file_name} in the system viewer"
    if read_line is None:
        return "notes and tags cannot be typed here"
    note, tags = view.note, view.tags
    if key == "n":
        note = read_line("Note (Enter to keep it empty)").strip()
        said = f"note: {note}" if note else "note cleared"
    else:
        tags = parse_tags(read_line("Tags, separated by spaces or commas"))
        said = "tags: " + " ".join(f"#{t}" for t in tags) if tags else "tags cleared"
    typed[view.item_id] = (note, tags)
    return said + " (recorded with your decision)"


def _choice(
    key: str,
    state: StageState,
    view: View,
    read_key: Callable[[], str],
    show: Callable[[View], None],
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
        show(replace(view, choosing_reason=True, message=""))
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
    return state.plan.seed if stopping_status(project, state=state).samples_randomly else None


def _next_open(mine: list[int], voted: set[int], start: int) -> int | None:
    """Index of the first item without a vote, looking forward from ``start`` and wrapping."""
    n = len(mine)
    for step in range(n):
        idx = (start + step) % n
        if mine[idx] not in voted:
            return idx
    return None
