"""The screening plan of a stage, read from ``[screening]`` in review.toml.

Which items go to the second reviewer is decided by a keyed hash, not a shuffle: an item
is double-screened iff ``blake2b(seed, stage, item id)`` read as a fraction of 2**64 falls
below ``double_share``. Unlike "sort by hash and take the top 20 %", this never moves an
item in or out of the sample when an update search adds records: the sample of the first
search stays as it was and each new record joins with the same probability. The price is
that the realised share is binomial around the target (20 % ± 0.2 points at 50,000
records, wider on small projects); :func:`reviewflow.stages.screening.assignment_summary`
reports the realised share so the review can state it.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

from ...errors import InputError, NotFoundError, ProjectError
from ...project import Project
from ...settings import ScreeningSettings, StagePlan

#: Stage codes used in the database, the CLI and the API.
STAGES: dict[str, str] = {"ta": "title/abstract", "ft": "full text"}
DECISIONS = ("include", "exclude", "maybe")


@dataclass(frozen=True)
class Plan:
    """A stage plan with the protocol's reasons, ready for the screening functions."""

    stage: str
    reviewers: tuple[str, ...]
    second_reviewers: tuple[str, ...]
    double_share: float
    seed: int
    arbiter: str | None
    rule: str
    reason_required: bool
    reasons: tuple[str, ...]

    @property
    def screeners(self) -> tuple[str, ...]:
        return self.reviewers + tuple(r for r in self.second_reviewers if r not in self.reviewers)


def check_stage(stage: str) -> str:
    if stage not in STAGES:
        raise InputError(
            f"unknown stage {stage!r}",
            hint="Use --stage ta (title/abstract) or --stage ft (full text).",
        )
    return stage


def screening_settings(project: Project) -> ScreeningSettings:
    if project.settings.screening is None:
        raise ProjectError(
            "this project has no screening plan yet (who screens what)",
            hint="Set it with: reviewflow plan set --stage ta --reviewers AB --second CD "
            "--share 0.2 --arbiter EF\n"
            "(and --stage ft for full texts; see reviewflow plan set --help, "
            "or edit [screening] in review.toml).",
        )
    return project.settings.screening


def get_plan(project: Project, stage: str) -> Plan:
    """The plan of ``stage``; a project error if review.toml has none."""
    check_stage(stage)
    settings = screening_settings(project)
    raw: StagePlan = getattr(settings, stage)
    if not raw.reviewers:
        raise ProjectError(
            f"the {STAGES[stage]} screening plan names no reviewers",
            hint=f"Set them with: reviewflow plan set --stage {stage} --reviewers AB"
            + (",CD --arbiter EF" if stage == "ft" else " --second CD --share 0.2"),
        )
    return Plan(
        stage=stage,
        reviewers=tuple(raw.reviewers),
        second_reviewers=tuple(raw.second_reviewers),
        double_share=raw.double_share,
        seed=raw.seed,
        arbiter=raw.arbiter,
        rule=raw.rule,
        reason_required=raw.reason_required,
        reasons=tuple(settings.reasons),
    )


def check_reviewer(project: Project, initials: str) -> str:
    """``initials`` if they name a project reviewer, else a NotFoundError listing them."""
    if project.settings.reviewer(initials) is None:
        known = ", ".join(r.initials for r in project.settings.reviewers) or "none"
        raise NotFoundError(
            f"unknown reviewer {initials!r} (reviewers of this project: {known})",
            hint=f"Check the initials, or add the reviewer with: reviewflow reviewer add "
            f"{initials}:NAME",
        )
    return initials


def share_key(seed: int, stage: str, item_id: int) -> float:
    """A reproducible pseudo-random number in [0, 1) for (seed, stage, item)."""
    digest = hashlib.blake2b(f"{seed}:{stage}:{item_id}".encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big") / 2**64


def in_double_share(plan: Plan, item_id: int) -> bool:
    if plan.double_share >= 1.0:
        return True
    return share_key(plan.seed, plan.stage, item_id) < plan.double_share


def second_reviewer_for(plan: Plan, item_id: int) -> str | None:
    """The second reviewer of a double-screened item (spread evenly by a second hash)."""
    if not plan.second_reviewers or not in_double_share(plan, item_id):
        return None
    key = share_key(plan.seed + 1, plan.stage, item_id)
    return plan.second_reviewers[int(key * len(plan.second_reviewers))]
