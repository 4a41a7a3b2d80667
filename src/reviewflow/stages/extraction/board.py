"""What the extraction pages show, read from the same events as :mod:`.project`.

The web app's overview needs more per study than :func:`.project.overview` gives (who
piloted it, everyone who extracted it, every discrepancy with its resolution), the form
page needs one reviewer's own answers (never another's: pilot extractions are
independent), the pilot page needs both reviewers' answers side by side, and the
verification page needs every bad proposal at once rather than the first. Derived here,
in the core, so the pages and their JSON twins hold no extraction logic.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from ...project import Project
from ..screening.plan import check_reviewer
from .agreement import PilotReport
from .forms import AnswerProblem, Extraction, Form
from .project import (
    StudyExtraction,
    _form_version,
    _included,
    _load,
    _main_key,
    _study,
    _summary,
    form_in_use,
    pilot_report,
)
from .values import FieldValueError, coerce
from .verify import Discrepancy, Resolution, compare


@dataclass(frozen=True)
class DiscrepancyState:
    """A field the verifier disputed, and how it was resolved (None while open)."""

    discrepancy: Discrepancy
    resolution: Resolution | None


@dataclass(frozen=True)
class BoardRow:
    """One included study on the extraction overview."""

    extraction: StudyExtraction
    pilot_by: tuple[str, ...]  # reviewers whose extraction on the form in use is a pilot
    extracted_by: tuple[str, ...]  # every reviewer with answers on the form in use
    discrepancies: tuple[DiscrepancyState, ...]  # open and resolved, in form order

    @property
    def open(self) -> int:
        return sum(1 for d in self.discrepancies if d.resolution is None)


def board(project: Project, *, form_id: str | None = None) -> list[BoardRow]:
    """Every included study with its status, pilot and extraction reviewers and its
    discrepancies (open and resolved), in study id order."""
    form = form_in_use(project, form_id)
    rows = []
    with project.db.connect() as conn:
        for study in _included(conn, project):
            state = _load(conn, form, study)
            summary = _summary(conn, form, study)
            pilot = tuple(sorted(r for v, r in state.pilot if v == form.version))
            mine = tuple(sorted(r for v, r in state.extractions if v == form.version))
            found: list[DiscrepancyState] = []
            key = _main_key(state, form)
            if key is not None and key in state.verifications:
                chosen = state.resolutions.get(key, {})
                fv = _form_version(conn, form, key[0])
                result = compare(fv, state.extractions[key], state.verifications[key])
                found = [DiscrepancyState(d, chosen.get(d.field)) for d in result.discrepancies]
            rows.append(BoardRow(summary, pilot, mine, tuple(found)))
    return rows


@dataclass(frozen=True)
class ReviewerExtraction:
    """One reviewer's current answers for a study on the form in use."""

    extraction: Extraction
    pilot: bool
    verified_by: str | None  # who verified it, once verified (it can then no longer change)


def extraction_by(
    project: Project, study: str | int, reviewer: str, *, form_id: str | None = None
) -> ReviewerExtraction | None:
    """``reviewer``'s own extraction of ``study`` on the form version in use, or None."""
    check_reviewer(project, reviewer)
    form = form_in_use(project, form_id)
    with project.db.connect() as conn:
        state = _load(conn, form, _study(conn, project, study))
    key = (form.version, reviewer)
    found = state.extractions.get(key)
    if found is None:
        return None
    verification = state.verifications.get(key)
    return ReviewerExtraction(
        found, key in state.pilot, verification.reviewer if verification else None
    )


def pilot_reviewers(project: Project, *, form_id: str | None = None) -> list[str]:
    """Reviewers with at least one pilot extraction on the form version in use, by how
    many pilot extractions they made (most first), then initials."""
    counts: dict[str, int] = {}
    for row in board(project, form_id=form_id):
        for reviewer in row.pilot_by:
            counts[reviewer] = counts.get(reviewer, 0) + 1
    return sorted(counts, key=lambda r: (-counts[r], r))


@dataclass(frozen=True)
class PilotStudy:
    """Both pilot reviewers' answers to one study (canonical values)."""

    study_id: int
    label: str
    first: Mapping[str, Any]
    second: Mapping[str, Any]


@dataclass(frozen=True)
class PilotView:
    """The pilot's field agreement (:func:`.project.pilot_report`) and the answers it
    compared, study by study."""

    report: PilotReport
    studies: tuple[PilotStudy, ...]


def pilot_view(
    project: Project,
    *,
    reviewers: tuple[str, str],
    studies: Sequence[str | int] | None = None,
    form_id: str | None = None,
) -> PilotView:
    """Field agreement of two pilot reviewers with both sets of answers side by side."""
    report = pilot_report(project, reviewers=reviewers, studies=studies, form_id=form_id)
    form = form_in_use(project, form_id)
    rows = []
    with project.db.connect() as conn:
        for sid in report.studies:
            state = _load(conn, form, _study(conn, project, int(sid)))
            a = state.extractions[(form.version, reviewers[0])]
            b = state.extractions[(form.version, reviewers[1])]
            rows.append(PilotStudy(state.study_id, state.label, a.answers, b.answers))
    return PilotView(report, tuple(rows))


def check_proposals(
    form: Form, proposals: Mapping[str, Any]
) -> tuple[dict[str, Any], list[AnswerProblem]]:
    """A verifier's proposed values coerced, with every one that does not fit its field
    (an empty proposal is allowed: it proposes that the field be left unanswered)."""
    clean: dict[str, Any] = {}
    problems: list[AnswerProblem] = []
    for field_id, raw in proposals.items():
        try:
            clean[field_id] = coerce(form.field(field_id), raw)
        except FieldValueError as exc:
            problems.append(AnswerProblem(field_id, exc.expected, raw))
    return clean, problems
