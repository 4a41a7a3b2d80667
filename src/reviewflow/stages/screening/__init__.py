"""Title/abstract and full-text screening on the project store.

Plans come from ``[screening]`` in review.toml; decisions are append-only events; the
assignment, results, conflicts, agreement and PRISMA counts are derived from them. The CLI
(``reviewflow screen``, ``conflicts``, ``resolve``, ``agreement``, ``fulltext``) and the
web app call these same functions.

Example::

    from reviewflow.stages import screening
    screening.decide(project, stage="ta", item_id=12, reviewer="MC", decision="include")
    screening.conflicts(project, stage="ft", reviewer="LA")
    screening.agreement(project)["ta"].to_dict()
    screening.counts(project)
"""

from __future__ import annotations

from .agreement_run import agreement
from .assign import assign, double_screened, reviewers_for
from .conflicts import Conflict, conflicts, resolve
from .counts import counts
from .decisions import Decision, close_stage, decide, record, reopen_stage, votes, withdraw
from .plan import STAGES, Plan, get_plan, in_double_share, share_key
from .reports import (
    Report,
    create_reports,
    group_reports,
    list_reports,
    not_retrieved,
    retrieve,
    set_report_kind,
)
from .session import SessionResult, View, screen_loop
from .sheets import SheetImport, export_sheet, import_sheet
from .state import StageState, Vote, load_state, rule_result

__all__ = [
    "STAGES",
    "Conflict",
    "Decision",
    "Plan",
    "Report",
    "SessionResult",
    "SheetImport",
    "StageState",
    "View",
    "Vote",
    "agreement",
    "assign",
    "close_stage",
    "conflicts",
    "counts",
    "create_reports",
    "decide",
    "double_screened",
    "export_sheet",
    "get_plan",
    "group_reports",
    "import_sheet",
    "in_double_share",
    "list_reports",
    "load_state",
    "not_retrieved",
    "record",
    "reopen_stage",
    "resolve",
    "retrieve",
    "reviewers_for",
    "rule_result",
    "screen_loop",
    "set_report_kind",
    "share_key",
    "votes",
    "withdraw",
]
