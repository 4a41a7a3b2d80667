"""Title/abstract and full-text screening on the project store.

Plans come from ``[screening]`` in review.toml; decisions are append-only events; the
assignment, results, conflicts, agreement and PRISMA counts are derived from them. The CLI
(``reviewflow screen``, ``conflicts``, ``resolve``, ``agreement``, ``fulltext``) and the
web app call these same functions.

The seed review's plans (titles/abstracts by MC, a random 20 % independently by CJ;
full texts by MC, DF and JS independently; LA decides disagreements at both stages) in
review.toml::

    [screening]
    reasons = ["not UK-based", "not social prescribing", "no qualitative data",
               "not adults", "not mental health"]
    [screening.ta]
    reviewers = ["MC"]            # screen every item
    second_reviewers = ["CJ"]     # independently screen the double-screened share
    double_share = 0.20
    seed = 2022
    arbiter = "LA"
    rule = "unanimous_else_arbiter"   # or "any_include": any include/maybe passes
    reason_required = false
    [screening.ft]
    reviewers = ["MC", "DF", "JS"]
    double_share = 1.0
    arbiter = "LA"
    rule = "unanimous_else_arbiter"
    reason_required = true

Example::

    from reviewflow.stages import screening
    screening.decide(project, stage="ta", item_id=12, reviewer="MC", decision="include")
    screening.conflicts(project, stage="ft", reviewer="LA")
    screening.agreement(project)["ta"].to_dict()
    screening.counts(project)

The web app's screening page asks one question per request (:mod:`.queue`, :mod:`.view`,
:mod:`.listing`)::

    screening.next_item(project, stage="ta", reviewer="MC")   # -> 12, or None
    screening.item_view(project, stage="ta", item_id=12, reviewer="MC")
    screening.progress(project, stage="ta", reviewer="MC").to_dict()
    screening.list_items(project, stage="ta", reviewer="MC", query="carers", vote="none")
"""

from __future__ import annotations

from .agreement_run import ComparedItem, agreement, compared_items
from .assign import assign, double_screened, reviewers_for
from .conflicts import Conflict, conflicts, resolve
from .counts import counts
from .decisions import (
    Decision,
    close_stage,
    decide,
    is_blind,
    record,
    reopen_stage,
    replan,
    set_blind,
    votes,
    withdraw,
)
from .fulltext import (
    Report,
    create_reports,
    get_report,
    group_reports,
    list_reports,
    records_without_report,
    set_report_kind,
)
from .listing import ItemPage, ListItem, list_items
from .plan import STAGES, Plan, get_plan, in_double_share, share_key
from .prioritise import (
    StoppingReport,
    automation_excluded,
    ranking_on,
    resume,
    stop,
    stopping_status,
)
from .queue import Progress, next_item, progress, ranking_state, stopping_panel, warm
from .session import SessionResult, screen_loop
from .sheets import SheetImport, export_sheet, import_sheet
from .state import StageState, Vote, load_state, rule_result, state_cache
from .stopping import methods_text as stopping_methods_text
from .view import View, item_view

__all__ = [
    "STAGES",
    "ComparedItem",
    "Conflict",
    "Decision",
    "ItemPage",
    "ListItem",
    "Plan",
    "Progress",
    "Report",
    "SessionResult",
    "SheetImport",
    "StageState",
    "StoppingReport",
    "View",
    "Vote",
    "agreement",
    "assign",
    "automation_excluded",
    "close_stage",
    "compared_items",
    "conflicts",
    "counts",
    "create_reports",
    "decide",
    "double_screened",
    "export_sheet",
    "get_plan",
    "get_report",
    "group_reports",
    "import_sheet",
    "in_double_share",
    "is_blind",
    "item_view",
    "list_items",
    "list_reports",
    "load_state",
    "next_item",
    "progress",
    "ranking_on",
    "ranking_state",
    "record",
    "records_without_report",
    "reopen_stage",
    "replan",
    "resolve",
    "resume",
    "reviewers_for",
    "rule_result",
    "screen_loop",
    "set_blind",
    "set_report_kind",
    "share_key",
    "state_cache",
    "stop",
    "stopping_methods_text",
    "stopping_panel",
    "stopping_status",
    "votes",
    "warm",
    "withdraw",
]
