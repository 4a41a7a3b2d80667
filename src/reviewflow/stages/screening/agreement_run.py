"""Agreement statistics of a stage, computed on the store's decisions.

Only independent votes count: role "screen", and on an arbitrated item only the votes
cast before the arbiter's first decision. The sample is the double-screened items of the
plan (every item when a stage has two or more main reviewers). The statistics themselves
are :func:`reviewflow.agreement.agreement_report` ("maybe" counts as include).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ...project import Project
from .assign import double_screened
from .plan import STAGES, check_stage, screening_settings
from .state import load_state

if TYPE_CHECKING:
    from ...agreement import AgreementReport


def agreement(project: Project, *, stage: str | None = None) -> dict[str, AgreementReport]:
    """stage -> agreement report, for ``stage`` or every stage that has a plan."""
    from ...agreement import agreement_report  # numpy: only agreement needs it

    settings = screening_settings(project)
    planned = [s for s in STAGES if getattr(settings, s).reviewers]
    stages = [check_stage(stage)] if stage else planned
    out: dict[str, AgreementReport] = {}
    with project.db.connect() as conn:
        for code in stages:
            state = load_state(conn, project, code)
            sample = set(double_screened(state.plan, state.items))
            decisions = [
                (item, reviewer, vote.decision)
                for item, by_reviewer in state.independent.items()
                if item in sample
                for reviewer, vote in by_reviewer.items()
            ]
            out[code] = agreement_report(decisions, items=sample, stage=code)
    return out
