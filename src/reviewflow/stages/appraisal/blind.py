"""Appraisal as each person may see it: blind until both appraisers have finished a study.

Two appraisals are independent only if neither appraiser sees the other's answers first,
so the rule lives here, beside the store, and every shell asks through it (the web pages
and their API; a CLI listing would too):

* Before both independent appraisals of a study are in, a person sees their own answers
  and notes only; of the others, only *that* they are done or not (who has finished says
  nothing about what they answered). That holds for everyone, the owner and the arbiter
  included: appraisal has no arbiter who must read ahead, and an owner who could read
  ahead could pass it on.
* Once both are in, every member sees both, the items they disagree on and, once recorded,
  the consensus with its score and band (:func:`compare`).
* An appraiser may revise their own answers until the other has finished; after that the
  two are compared and a change goes through the consensus instead (:func:`save_own`),
  so "independent" stays true of what is reported.

Which two appraisals are compared is :mod:`.project`'s rule (``[appraisal] appraisers``
in review.toml, else the two who appraised); :func:`save_own` refuses a third appraiser
rather than leaving a study that cannot be compared.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from ...errors import StateError
from ...project import Project
from .. import studies as studies_mod
from ..screening.plan import check_reviewer
from ..who import acting
from .checklists import Appraisal, Checklist
from .consensus import ItemDisagreement, disagreements
from .project import (
    CONSENSUS,
    _load,
    _pair,
    _Rows,
    _settings,
    checklist_in_use,
    import_rows,
    scheme_in_use,
)
from .scoring import Score, ScoringScheme, score


@dataclass(frozen=True)
class BoardRow:
    """One study on the overview: who is done, its status and, once agreed, its score."""

    study_id: int
    label: str
    status: str  # not appraised | one appraisal | disagreements | agreed | consensus
    done: dict[str, bool]  # appraiser -> finished (the overview's columns)
    others: tuple[str, ...]  # appraisers outside the columns (more than two, unnamed)
    open_items: tuple[str, ...]  # the items they answered differently, once both are in
    score: Score | None
    #: The consensus answers (item -> option id); empty until a consensus is recorded.
    consensus: dict[str, str] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {
            "study_id": self.study_id,
            "study": self.label,
            "status": self.status,
            "done": dict(self.done),
            "open_items": list(self.open_items),
            "score": self.score.points if self.score else None,
            "max": self.score.max if self.score else None,
            "band": self.score.band if self.score else None,
            "consensus": dict(self.consensus) or None,
        }


@dataclass(frozen=True)
class Board:
    """Every included study × the two appraisers, blind-safe: no appraiser's answers in
    it, only the consensus answers (which exist only once both have finished)."""

    checklist: Checklist
    scheme: ScoringScheme
    appraisers: tuple[str, ...]
    named: bool  # the protocol names the two appraisers
    rows: tuple[BoardRow, ...]


@dataclass(frozen=True)
class StudyView:
    """One study as ``reviewer`` may see it (see the module docstring)."""

    study_id: int
    label: str
    status: str
    appraisers: tuple[str, ...]  # the two compared (named, or the two who appraised)
    done: dict[str, bool]
    own: Appraisal | None
    may_appraise: bool  # reviewer may record (or still revise) their own appraisal
    why_not: str | None  # why not, in words
    both_done: bool
    #: Both appraisals, only once both are in; None before.
    pair: tuple[Appraisal, Appraisal] | None
    disagreements: tuple[ItemDisagreement, ...]
    consensus: Appraisal | None
    resolutions: dict[str, str] = field(default_factory=dict)
    consensus_at: Any = None
    score: Score | None = None

    def to_dict(self, checklist: Checklist) -> dict[str, Any]:
        """For the API: the other appraiser's answers appear only once both are in."""

        def answers(a: Appraisal | None) -> dict[str, Any] | None:
            if a is None:
                return None
            return {"appraiser": a.appraiser, "answers": dict(a.answers), "notes": dict(a.notes)}

        return {
            "study_id": self.study_id,
            "study": self.label,
            "checklist": checklist.id,
            "status": self.status,
            "appraisers": list(self.appraisers),
            "done": dict(self.done),
            "both_done": self.both_done,
            "may_appraise": self.may_appraise,
            "why_not": self.why_not,
            "own": answers(self.own),
            "appraisals": [answers(a) for a in self.pair] if self.pair else None,
            "disagreements": [
                {"item": d.item, "first": d.first, "second": d.second} for d in self.disagreements
            ],
            "consensus": answers(self.consensus),
            "resolutions": dict(self.resolutions),
            "score": self.score.points if self.score else None,
            "max": self.score.max if self.score else None,
            "band": self.score.band if self.score else None,
        }


def _columns(project: Project, states: list[_Rows]) -> tuple[str, ...]:
    named = _settings(project).appraisers
    if named:
        return tuple(named)
    return tuple(sorted({a for s in states for a in s.independent}))


def _status(project: Project, s: _Rows) -> tuple[str, tuple[Appraisal, Appraisal] | None]:
    pair = _pair(project, s)
    if s.consensus is not None:
        return CONSENSUS, pair
    if pair:
        return ("disagreements" if disagreements(*pair) else "agreed"), pair
    return ("one appraisal" if s.independent else "not appraised"), None


def board(project: Project) -> Board:
    """The overview every member may see: who has finished which study, no answers, and
    the score and band of each study with a consensus."""
    checklist = checklist_in_use(project)
    scoring = scheme_in_use(project, checklist)
    with project.db.connect() as conn:
        states = list(_load(conn, project, checklist).values())
    columns = _columns(project, states)
    rows = []
    for s in states:
        status, pair = _status(project, s)
        rows.append(
            BoardRow(
                s.study_id,
                s.label,
                status,
                {a: a in s.independent for a in columns},
                tuple(sorted(set(s.independent) - set(columns))),
                tuple(d.item for d in disagreements(*pair)) if pair else (),
                score(checklist, scoring, s.consensus) if s.consensus else None,
                dict(s.consensus.answers) if s.consensus else {},
            )
        )
    return Board(checklist, scoring, columns, bool(_settings(project).appraisers), tuple(rows))


def _why_not(project: Project, s: _Rows, who: str, pair: object) -> str | None:
    """Why ``who`` may not record or revise their own appraisal of the study now."""
    named = _settings(project).appraisers
    if named and who not in named:
        return (
            f"The protocol names {' and '.join(named)} as the two appraisers; "
            "an appraisal by anyone else would not be compared."
        )
    if pair and who in s.independent:
        return (
            "Both appraisals are in, so yours can no longer change: the two are compared "
            "now. Record the agreed answer of each disagreement in the consensus."
        )
    others = sorted(set(s.independent) - {who})
    if not named and who not in s.independent and len(others) >= 2:
        return f"{' and '.join(others)} have already appraised this study independently."
    if s.consensus is not None:
        return "A consensus is recorded; the independent appraisals are final."
    return None


def _state(project: Project, checklist: Checklist, study: str | int) -> _Rows:
    with project.db.connect() as conn:
        found = studies_mod.load(conn, project).require_included(study, doing="appraised")
        return _load(conn, project, checklist)[found.id]


def study_view(project: Project, study: str | int, *, reviewer: str | None = None) -> StudyView:
    """A study's appraisals as ``reviewer`` (default: the session's actor) may see them."""
    who = acting(reviewer, doing="asking for the appraisals")
    checklist = checklist_in_use(project)
    s = _state(project, checklist, study)
    status, pair = _status(project, s)
    columns = tuple(_settings(project).appraisers) or tuple(sorted(s.independent)[:2])
    why = _why_not(project, s, who, pair)
    scoring = scheme_in_use(project, checklist)
    return StudyView(
        study_id=s.study_id,
        label=s.label,
        status=status,
        appraisers=columns,
        done={a: a in s.independent for a in columns},
        own=s.independent.get(who),
        may_appraise=why is None,
        why_not=why,
        both_done=pair is not None,
        pair=pair,
        disagreements=tuple(disagreements(*pair)) if pair else (),
        consensus=s.consensus if pair else None,
        resolutions=dict(s.resolutions) if pair else {},
        consensus_at=s.consensus_at if pair else None,
        score=score(checklist, scoring, s.consensus) if pair and s.consensus else None,
    )


def compare(project: Project, study: str | int, *, reviewer: str | None = None) -> StudyView:
    """Both appraisals side by side, for the consensus; refused (StateError) until both
    appraisers have finished, so the comparison never shows one appraiser's answers early."""
    view = study_view(project, study, reviewer=reviewer)
    if not view.both_done:
        waiting = [a for a, done in view.done.items() if not done]
        who = " and ".join(waiting) if waiting else "a second appraiser"
        raise StateError(
            f"{view.label}: the appraisals are blind until both appraisers have finished; "
            f"waiting for {who}",
            hint="The consensus opens once both independent appraisals are recorded.",
        )
    return view


def save_own(
    project: Project,
    study: str | int,
    *,
    reviewer: str | None = None,
    answers: Mapping[str, str],
    notes: Mapping[str, str] | None = None,
) -> Appraisal:
    """Record ``reviewer``'s own appraisal, or revise it while the other appraiser has
    not finished; refused once both are in, for an appraiser the protocol does not name,
    and for a third appraiser of a study two have appraised."""
    who = acting(reviewer, doing="appraising")
    check_reviewer(project, who)
    checklist = checklist_in_use(project)
    s = _state(project, checklist, study)
    why = _why_not(project, s, who, _pair(project, s))
    if why is not None:
        raise StateError(f"{s.label}: {why}")
    clean_notes = {k: v.strip() for k, v in (notes or {}).items() if v and v.strip()}
    return import_rows(project, [(s.study_id, who, answers, clean_notes)], replace=True)[0]
