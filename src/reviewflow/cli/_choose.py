"""``--stage`` and ``--reviewer`` when the user left them out.

click's own "Missing option '--stage'" tells a new user nothing about what a stage is.
Here a missing stage is guessed when only one stage fits (and the choice is said on
stderr), otherwise the message explains the two stages; a missing reviewer comes from
``REVIEWFLOW_REVIEWER`` or the message lists the project's reviewers.
"""

from __future__ import annotations

import click

from ..errors import InputError, ProjectError, StateError
from ..project import Project
from ..stages import screening
from ..stages.screening import which
from ._output import (  # noqa: F401  (re-exported for the screening commands)
    REVIEWER_ENV,
    echo,
    need_reviewer,
    reviewer_option,
)

WHICH = "Which stage? --stage ta (title/abstract records) or --stage ft (full-text reports)"

stage_option = click.option(
    "--stage",
    type=click.Choice(list(screening.STAGES)),
    default=None,
    help="ta = title/abstract (records), ft = full text (reports); "
    "guessed when only one stage fits.",
)


def need_stage(stage: str | None, *, context: str = "") -> str:
    """The stage given, else the question (for commands where guessing would be unsafe)."""
    if stage:
        return stage
    raise InputError(WHICH + (f" ({context})" if context else ""))


def _arbiter(project: Project, stage: str) -> str:
    try:
        return screening.get_plan(project, stage).arbiter or "none named"
    except ProjectError:
        return "no plan"


def _chosen(stage: str, why: str) -> str:
    echo(f"Stage {stage} ({screening.STAGES[stage]}): {why}. Give --stage to choose.", err=True)
    return stage


def stage_for_work(project: Project, stage: str | None, *, reviewer: str) -> str:
    """For screening one's own items: the only stage with items left for ``reviewer``."""
    if stage:
        return stage
    left = {s: n for s, n in which.stages_with_work(project, reviewer=reviewer).items() if n}
    if len(left) == 1:
        ((only, n),) = left.items()
        return _chosen(only, f"the only stage with items left for {reviewer} ({n})")
    if not left:
        raise InputError(f"{WHICH} ({reviewer} has no items left to screen at either stage)")
    counts = ", ".join(f"{n} at {s}" for s, n in left.items())
    raise InputError(f"{WHICH} ({reviewer} has items left at both: {counts})")


def stage_for_item(project: Project, stage: str | None, *, item_id: int, reviewer: str) -> str:
    """For a decision on one item: the only open stage where ``reviewer`` may decide it."""
    if stage:
        return stage
    fits = which.stages_of_item(project, item_id=item_id, reviewer=reviewer)
    if len(fits) == 1:
        return _chosen(fits[0], f"the only stage where item {item_id} is open for {reviewer}")
    where = "is open for {r} at both stages" if fits else "is not open for {r} at either stage"
    raise InputError(f"{WHICH} (item {item_id} {where.format(r=reviewer)})")


def stage_for_conflicts(project: Project, stage: str | None, *, reviewer: str) -> str | None:
    """For listing conflicts: the stage the reviewer may see, or the only one with open
    conflicts; None when no stage has any (the caller says so)."""
    if stage:
        return stage
    visible = which.stages_with_conflicts(project, reviewer=reviewer)
    if not visible:
        named = "; ".join(
            f"{screening.STAGES[s]}: {_arbiter(project, s)}" for s in screening.STAGES
        )
        raise StateError(
            f"only the arbiter sees conflicts before a stage is closed ({named})",
            hint="Screening is blind: ask the arbiter, or close the stage first.",
        )
    if len(visible) == 1:
        ((only, n),) = visible.items()
        return _chosen(only, f"the only stage whose conflicts {reviewer} may see ({n} open)")
    open_ = {s: n for s, n in visible.items() if n}
    if len(open_) == 1:
        ((only, n),) = open_.items()
        return _chosen(only, f"the only stage with open conflicts ({n})")
    if not open_:
        return None
    counts = ", ".join(f"{n} at {s}" for s, n in open_.items())
    raise InputError(f"{WHICH} (open conflicts: {counts})")
