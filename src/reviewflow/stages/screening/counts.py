"""Derived screening counts for the PRISMA 2020 flow diagram and ``reviewflow status``.

Every number is computed from the events; nothing is typed in or cached.
"""

from __future__ import annotations

from collections import Counter

from ...project import Project
from ...store import screening_queries as sq
from .plan import screening_settings
from .state import CONFLICT, EXCLUDE, INCLUDE, PENDING, StageState, load_state

REASON_PREFIX = "reports_excluded: "


def counts(project: Project) -> dict[str, int]:
    """Screening counts; ``reports_excluded: <reason>`` keys give PRISMA's reasons.

    Keys: records_screened (canonical records), records_excluded, records_included,
    records_pending, records_in_conflict, reports_sought, reports_not_retrieved,
    reports_retrieved, reports_assessed, reports_excluded, reports_included,
    reports_pending, reports_in_conflict, studies_included, and one key per reason.
    """
    out = dict.fromkeys(
        [
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
        ],
        0,
    )
    if project.settings.screening is None or not screening_settings(project).ta.reviewers:
        return out
    with project.db.connect() as conn:
        ta = load_state(conn, project, "ta")
        ta_results = Counter(ta.results.values())
        out.update(
            records_screened=len(ta.items),
            records_excluded=ta_results[EXCLUDE],
            records_included=ta_results[INCLUDE],
            records_pending=ta_results[PENDING],
            records_in_conflict=ta_results[CONFLICT],
        )
        passed = {i for i, r in ta.results.items() if r == INCLUDE}
        reports = [r for r in sq.list_reports(conn) if r["record_id"] in passed]
        retrieval = sq.current_retrieval(conn)
        status = Counter(retrieval.get(r["id"], {}).get("status", "sought") for r in reports)
        out.update(
            reports_sought=len(reports),
            reports_not_retrieved=status["not_retrieved"],
            reports_retrieved=status["retrieved"],
        )
        for reason in screening_settings(project).reasons:
            out[REASON_PREFIX + reason] = 0
        if not screening_settings(project).ft.reviewers:
            return out
        ft = load_state(conn, project, "ft", ta=ta)
    _full_text_counts(out, ft, {r["id"]: r["study_id"] for r in reports})
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


def _full_text_counts(out: dict[str, int], ft: StageState, study_of: dict[int, int]) -> None:
    results = ft.results
    tally = Counter(results.values())
    out.update(
        reports_assessed=tally[INCLUDE] + tally[EXCLUDE],
        reports_excluded=tally[EXCLUDE],
        reports_included=tally[INCLUDE],
        reports_pending=tally[PENDING],
        reports_in_conflict=tally[CONFLICT],
        studies_included=len({study_of.get(i, -i) for i, r in results.items() if r == INCLUDE}),
    )
    for item, result in results.items():
        if result == EXCLUDE:
            reason = ft.reason_of(item) or "no reason given"
            out[REASON_PREFIX + reason] = out.get(REASON_PREFIX + reason, 0) + 1
