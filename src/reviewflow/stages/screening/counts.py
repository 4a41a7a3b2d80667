"""Derived screening counts for the PRISMA 2020 flow diagram and ``reviewflow status``.

Every number is computed from the events; nothing is typed in or cached.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from ...project import Project
from ...store import screening_queries as sq
from .plan import screening_settings
from .state import CONFLICT, EXCLUDE, INCLUDE, PENDING, StageState, load_state

REASON_PREFIX = "reports_excluded: "


#: The keys of :func:`counts` (and of :attr:`Members.ids`), before the reason keys.
KEYS = (
    "records_screened",
    "records_excluded",
    "records_included",
    "records_pending",
    "records_in_conflict",
    "reports_sought",
    "reports_not_retrieved",
    "reports_retrieved",
    "reports_assessed",
    "reports_excluded",
    "reports_included",
    "reports_pending",
    "reports_in_conflict",
    "studies_included",
)


@dataclass
class Members:
    """What each screening count counts: key -> the ids behind it, with the states read.

    ``ids`` has the keys of :func:`counts`: record ids at title/abstract, report ids at
    full text, study ids for ``studies_included`` (minus the report id for a report in no
    study). Every count is ``len`` of its list, so a list of what a PRISMA box counts
    (:mod:`reviewflow.reports.prisma_trace`) has as many entries as the box says.
    ``reports`` are every report (id -> row with its record's title, authors and year);
    ``retrieval`` each report's latest retrieval event.
    """

    ids: dict[str, list[int]] = field(default_factory=lambda: {k: [] for k in KEYS})
    ta: StageState | None = None
    ft: StageState | None = None
    reports: dict[int, dict[str, Any]] = field(default_factory=dict)
    retrieval: dict[int, dict[str, Any]] = field(default_factory=dict)


def counts(project: Project) -> dict[str, int]:
    """Screening counts; ``reports_excluded: <reason>`` keys give PRISMA's reasons.

    Keys: records_screened (canonical records), records_excluded, records_included,
    records_pending, records_in_conflict, reports_sought, reports_not_retrieved,
    reports_retrieved, reports_assessed, reports_excluded, reports_included,
    reports_pending, reports_in_conflict, studies_included, and one key per reason.
    """
    return {key: len(ids) for key, ids in members(project).ids.items()}


def members(project: Project) -> Members:
    """The ids behind every screening count (see :class:`Members`), derived once."""
    out = Members()
    if project.settings.screening is None or not screening_settings(project).ta.reviewers:
        return out
    ids = out.ids
    with project.db.connect() as conn:
        ta = out.ta = load_state(conn, project, "ta")
        by_result = _by_result(ta)
        ids.update(
            records_screened=list(ta.items),
            records_excluded=by_result[EXCLUDE],
            records_included=by_result[INCLUDE],
            records_pending=by_result[PENDING],
            records_in_conflict=by_result[CONFLICT],
        )
        passed = set(by_result[INCLUDE])
        every = sq.list_reports(conn)
        out.reports = {int(r["id"]): r for r in every}
        reports = [r for r in every if r["record_id"] in passed]
        out.retrieval = sq.current_retrieval(conn)
        status = {r["id"]: out.retrieval.get(r["id"], {}).get("status", "sought") for r in reports}
        ids.update(
            reports_sought=[r["id"] for r in reports],
            reports_not_retrieved=[i for i, s in status.items() if s == "not_retrieved"],
            reports_retrieved=[i for i, s in status.items() if s == "retrieved"],
        )
        for reason in screening_settings(project).reasons:
            ids[REASON_PREFIX + reason] = []
        if not screening_settings(project).ft.reviewers:
            return out
        out.ft = load_state(conn, project, "ft", ta=ta)
    _full_text_members(ids, out.ft, {r["id"]: r["study_id"] for r in reports})
    return out


def _by_result(state: StageState) -> dict[str, list[int]]:
    out: dict[str, list[int]] = {PENDING: [], INCLUDE: [], EXCLUDE: [], CONFLICT: []}
    for item in state.items:
        out[state.results[item]].append(item)
    return out


def reviewer_progress(project: Project) -> dict[str, dict[str, tuple[int, int]]]:
    """Per stage and reviewer: (items voted on, items assigned), for ``reviewflow status``.

    PRISMA's "records screened" counts the records that enter screening; a team also wants
    to see how far each screener has got.
    """
    out: dict[str, dict[str, tuple[int, int]]] = {}
    if project.settings.screening is None:
        return out
    plans = screening_settings(project)
    with project.db.connect() as conn:
        ta = None
        for stage in ("ta", "ft"):
            if not getattr(plans, stage).reviewers:
                continue
            state = load_state(conn, project, stage, ta=ta)
            ta = state if stage == "ta" else ta
            done: Counter[str] = Counter()
            assigned: Counter[str] = Counter()
            for item, who in state.assigned.items():
                for reviewer in who:
                    assigned[reviewer] += 1
                    done[reviewer] += reviewer in state.votes.get(item, {})
            out[stage] = {r: (done[r], assigned[r]) for r in sorted(assigned)}
    return out


def _full_text_members(
    ids: dict[str, list[int]], ft: StageState, study_of: dict[int, int]
) -> None:
    by_result = _by_result(ft)
    included = by_result[INCLUDE]
    ids.update(
        reports_assessed=sorted(included + by_result[EXCLUDE]),
        reports_excluded=by_result[EXCLUDE],
        reports_included=included,
        reports_pending=by_result[PENDING],
        reports_in_conflict=by_result[CONFLICT],
        studies_included=list(dict.fromkeys(study_of.get(i, -i) for i in included)),
    )
    for item in by_result[EXCLUDE]:
        reason = ft.reason_of(item) or "no reason given"
        ids.setdefault(REASON_PREFIX + reason, []).append(item)
