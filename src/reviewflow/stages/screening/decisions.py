"""Record screening decisions and read them back, blind.

Every write goes through :func:`record`, which checks *all* the decisions it is given
against the plan and the current state inside one transaction before writing any: an
unknown reviewer, an item not assigned to the reviewer, a reason not in the protocol's list
or a closed stage raises and leaves the database as it was.

Blindness lives here, not in the CLI: :func:`votes` takes the asking reviewer and returns
other reviewers' votes on an item only when the stage is closed, or when the asker is the
arbiter and the item has reached the arbiter (a conflict, or already arbitrated), or while
an owner has switched blindness off for the stage (:func:`set_blind`, a logged event).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import Connection

from ...errors import InputError, NotFoundError, StateError
from ...project import Project
from ...store import current_actor
from ...store import screening_queries as sq
from ..who import acting
from .plan import DECISIONS, STAGES, Plan, check_reviewer, check_stage
from .state import CONFLICT, StageState, Vote, load_state


@dataclass(frozen=True)
class Decision:
    """One decision to record. ``where`` (e.g. "sheet.csv:12") prefixes error messages."""

    stage: str
    item_id: int
    reviewer: str
    decision: str
    reason: str | None = None
    note: str | None = None
    where: str | None = None


def decide(
    project: Project,
    *,
    stage: str,
    item_id: int,
    reviewer: str | None = None,
    decision: str,
    reason: str | None = None,
    note: str | None = None,
) -> Vote:
    """Record one reviewer's decision (a screener's vote, or the arbiter's ruling)."""
    reviewer = acting(reviewer, doing="recording this decision")
    d = Decision(stage, item_id, reviewer, decision, reason or None, note or None)
    return record(project, [d])[0]


def withdraw(project: Project, *, stage: str, item_id: int, reviewer: str | None = None) -> Vote:
    """Take back one's current vote (undo): an event, so the history keeps both."""
    reviewer = acting(reviewer, doing="withdrawing this vote")
    return decide(project, stage=stage, item_id=item_id, reviewer=reviewer, decision="withdrawn")


def record(
    project: Project, decisions: Sequence[Decision], *, skip_unchanged: bool = False
) -> list[Vote]:
    """Validate every decision, then append them all in one transaction (or none).

    ``skip_unchanged`` leaves out a decision equal to the reviewer's current vote, decided
    inside the same write transaction as the insert: two imports of one sheet at the same
    time then record each decision once (the second sees the first's votes).
    """
    if not decisions:
        return []
    for d in decisions:
        _where(d, check_stage, d.stage)
        _where(d, check_reviewer, project, d.reviewer)
    out: list[Vote] = []
    with project.db.transaction() as conn:
        for stage in sorted({d.stage for d in decisions}):
            mine = [d for d in decisions if d.stage == stage]
            state = load_state(conn, project, stage, only={d.item_id for d in mine})
            if skip_unchanged:
                mine = [d for d in mine if not _unchanged(state, d)]
                if not mine:
                    continue
            _freeze_plan(conn, state)
            rows = [_checked_row(state, d) for d in mine]
            sq.insert_decisions(conn, rows)
            out.extend(_vote(row) for row in rows)
    return out


def _unchanged(state: StageState, d: Decision) -> bool:
    """True when ``d`` repeats the reviewer's current vote (or the arbiter's ruling)."""
    cur = state.arbiter.get(d.item_id) if d.reviewer == state.plan.arbiter else None
    cur = cur or state.votes.get(d.item_id, {}).get(d.reviewer)
    return cur is not None and (cur.decision, cur.reason, cur.note) == (
        d.decision,
        d.reason,
        d.note,
    )


def plan_fingerprint(plan: Plan) -> dict[str, object]:
    """The plan settings that decide who screens what."""
    return {
        "reviewers": list(plan.reviewers),
        "second_reviewers": list(plan.second_reviewers),
        "double_share": plan.double_share,
        "seed": plan.seed,
    }


def _freeze_plan(conn: object, state: StageState) -> None:
    """The first vote of a stage records its plan; later votes must be under the same one.

    Changing the seed, the share or the reviewers in review.toml after screening began
    would silently move items in and out of the double-screened sample. ``state`` was
    derived in this write transaction, so its recorded plan is the latest one.
    """
    plan = state.plan
    current = plan_fingerprint(plan)
    frozen = state.frozen_plan
    if frozen is None:
        sq.insert_stage_event(conn, stage=plan.stage, action="plan", reviewer=None, details=current)  # type: ignore[arg-type]
        return
    if frozen != current:
        changed = ", ".join(
            f"{key} {frozen.get(key)!r} -> {value!r}"
            for key, value in current.items()
            if frozen.get(key) != value
        )
        raise StateError(
            f"the {STAGES[plan.stage]} plan in review.toml changed after screening began "
            f"({changed}); assignments would change under the votes already cast",
            hint=f"Accept the new plan with: reviewflow screen replan --stage {plan.stage} "
            "--reviewer INITIALS, or restore the old one with: reviewflow plan set --stage "
            f"{plan.stage} ... (reviewflow plan show shows the plan now).",
        )


def replan(project: Project, *, stage: str, reviewer: str | None = None) -> dict[str, object]:
    """Accept the plan now in review.toml for a stage whose screening has begun."""
    reviewer = acting(reviewer, doing="accepting the new plan")
    check_stage(stage)
    check_reviewer(project, reviewer)
    from .plan import get_plan

    current = plan_fingerprint(get_plan(project, stage))
    with project.db.transaction() as conn:
        sq.insert_stage_event(conn, stage=stage, action="plan", reviewer=reviewer, details=current)
    return current


def plan_changed_since_screening_began(project: Project, stage: str) -> bool:
    """Whether screening of ``stage`` began under another plan than review.toml's now:
    the next vote is then refused until the new plan is accepted (:func:`replan`)."""
    from .plan import get_plan

    with project.db.connect() as conn:
        frozen = sq.latest_plan(conn, stage=stage)
    if frozen is None or not project.settings.screening:
        return False
    if not getattr(project.settings.screening, stage).reviewers:
        return False
    return frozen != plan_fingerprint(get_plan(project, stage))


def _where(d: Decision, check: object, *args: object) -> None:
    try:
        check(*args)  # type: ignore[operator]
    except (InputError, NotFoundError) as exc:
        if d.where:
            raise type(exc)(f"{d.where}: {exc.message}", next=exc.next) from None
        raise


def _checked_row(state: StageState, d: Decision) -> dict[str, object]:
    plan = state.plan
    prefix = f"{d.where}: " if d.where else ""
    label = f"{'record' if plan.stage == 'ta' else 'report'} {d.item_id}"
    if state.closed:
        raise StateError(
            f"{prefix}the {STAGES[plan.stage]} stage is closed; no more decisions are taken",
            hint=f"Reopen it first with: reviewflow screen reopen --stage {plan.stage}",
        )
    if d.item_id not in state.assigned:
        raise NotFoundError(
            f"{prefix}{label} is not an item of {STAGES[plan.stage]} screening",
            hint=_not_an_item_hint(plan.stage),
        )
    role = "arbiter" if d.reviewer == plan.arbiter else "screen"
    if role == "screen" and d.reviewer not in state.assigned[d.item_id]:
        raise StateError(
            f"{prefix}{label} is not assigned to {d.reviewer} at {STAGES[plan.stage]}",
            hint="Screen the items of your own list: reviewflow screen export "
            f"--stage {plan.stage} --reviewer {d.reviewer}",
        )
    if (
        role == "arbiter"
        and state.results.get(d.item_id) != CONFLICT
        and (d.item_id not in state.arbiter)
    ):
        raise StateError(
            f"{prefix}{label} is not a conflict; the arbiter {d.reviewer} decides only conflicts",
            hint=f"List them with: reviewflow conflicts --stage {plan.stage} "
            f"--reviewer {d.reviewer}",
        )
    _check_decision(plan, d, role=role, prefix=prefix)
    return {
        "stage": plan.stage,
        "item_id": d.item_id,
        "reviewer": d.reviewer,
        "decision": d.decision,
        "reason": d.reason,
        "note": d.note,
        "role": role,
    }


def _check_decision(plan: Plan, d: Decision, *, role: str, prefix: str) -> None:
    allowed = ("include", "exclude") if role == "arbiter" else DECISIONS
    if d.decision not in (*allowed, "withdrawn"):
        raise InputError(
            f"{prefix}decision {d.decision!r} is not one of {', '.join(allowed)}",
            hint="The arbiter's decision is final: include or exclude."
            if role == "arbiter"
            else "Use include, exclude or maybe.",
        )
    if d.reason is not None and d.reason not in plan.reasons:
        listed = "; ".join(plan.reasons) or "none are listed"
        raise InputError(
            f"{prefix}reason {d.reason!r} is not in the protocol's list ({listed})",
            hint="Use one of the listed reasons, or add it with: "
            'reviewflow plan set --add-reason "REASON"',
        )
    if d.decision == "exclude" and plan.reason_required and d.reason is None:
        raise InputError(
            f"{prefix}an exclusion at {STAGES[plan.stage]} needs a reason",
            hint="Give one with --reason; reviewflow plan show lists the reasons.",
        )
    if d.decision != "exclude" and d.reason is not None:
        raise InputError(f"{prefix}a reason is given only with exclude, not {d.decision}")


def _not_an_item_hint(stage: str) -> str:
    if stage == "ta":
        return "Title/abstract items are canonical (non-duplicate) records: reviewflow status."
    return (
        "Full-text items are reports (a report has the id of its record) that passed "
        "title/abstract and were retrieved: reviewflow fulltext reports"
    )


def _vote(row: dict[str, object]) -> Vote:
    from ...store.queries import now

    return Vote(
        reviewer=str(row["reviewer"]),
        decision=str(row["decision"]),
        reason=row["reason"],  # type: ignore[arg-type]
        note=row["note"],  # type: ignore[arg-type]
        role=str(row["role"]),
        created_at=now(),
    )


def votes(
    project: Project, *, stage: str, item_id: int, reviewer: str | None = None
) -> dict[str, Vote]:
    """Current votes on an item as ``reviewer`` may see them (blind until allowed)."""
    reviewer = acting(reviewer, doing="asking for the votes")
    check_reviewer(project, reviewer)
    with project.db.connect() as conn:
        state = load_state(conn, project, stage, only={item_id})
    return visible_votes(state, item_id, reviewer)


def visible_votes(state: StageState, item_id: int, reviewer: str) -> dict[str, Vote]:
    """The blindness rule, on a derived state."""
    current = dict(state.votes.get(item_id, {}))
    if item_id in state.arbiter:
        current[state.arbiter[item_id].reviewer] = state.arbiter[item_id]
    if can_see_all(state, item_id, reviewer):
        return current
    return {r: v for r, v in current.items() if r == reviewer}


def can_see_all(state: StageState, item_id: int, reviewer: str) -> bool:
    if state.open_book:
        return True
    at_arbiter = state.results.get(item_id) == CONFLICT or item_id in state.arbiter
    return reviewer == state.plan.arbiter and at_arbiter


def close_stage(
    project: Project, *, stage: str, reviewer: str | None = None, force: bool = False
) -> None:
    """Close a stage: no more decisions, and every vote becomes visible to everyone."""
    reviewer = acting(reviewer, doing="closing the stage")
    check_stage(stage)
    check_reviewer(project, reviewer)
    with project.db.transaction() as conn:
        state = load_state(conn, project, stage)
        if state.closed:
            raise StateError(f"the {STAGES[stage]} stage is already closed")
        open_items = [i for i, r in state.results.items() if r in ("pending", CONFLICT)]
        if open_items and not force:
            raise StateError(
                f"{len(open_items)} items of {STAGES[stage]} screening have no result yet "
                f"(first: {open_items[0]})",
                hint="Finish screening and resolve conflicts, or close anyway with --force.",
            )
        sq.insert_stage_event(conn, stage=stage, action="close", reviewer=reviewer)


def reopen_stage(project: Project, *, stage: str, reviewer: str | None = None) -> None:
    reviewer = acting(reviewer, doing="reopening the stage")
    check_stage(stage)
    check_reviewer(project, reviewer)
    with project.db.transaction() as conn:
        if not sq.stage_closed(conn, stage=stage):
            raise StateError(f"the {STAGES[stage]} stage is not closed")
        sq.insert_stage_event(conn, stage=stage, action="reopen", reviewer=reviewer)


def set_blind(project: Project, *, stage: str, blind: bool, reviewer: str | None = None) -> None:
    """Switch blindness off (``blind=False``) or on again for a stage; owners only.

    Some teams screen openly, or lift blindness to calibrate after a pilot; the switch is a
    stage event ("unblind"/"blind") with who and when, so the review can report it. While
    it is off every reviewer sees every vote, as after closing, but decisions go on.
    """
    who = acting(reviewer, doing="switching blindness")
    check_stage(stage)
    check_reviewer(project, who)
    with project.db.transaction() as conn:
        _require_owner(project, conn, current_actor() or who)
        if sq.stage_status(conn, stage=stage).blind == blind:
            now = "blind" if blind else "not blind"
            raise StateError(f"{STAGES[stage]} screening is already {now}")
        action = "blind" if blind else "unblind"
        sq.insert_stage_event(conn, stage=stage, action=action, reviewer=who)


def is_blind(project: Project, *, stage: str) -> bool:
    """Whether votes at ``stage`` are hidden from the other reviewers now (one small read):
    the screening page says so, and says it plainly when an owner has lifted it."""
    check_stage(stage)
    with project.db.connect() as conn:
        status = sq.stage_status(conn, stage=stage)
    return status.blind and not status.closed


def _require_owner(project: Project, conn: Connection, actor: str) -> None:
    """Refuse unless ``actor`` holds the owner role (the session's rule, on this conn)."""
    from ...session import Session

    Session(project=project, conn=conn, actor=actor, write=True).require("owner")
