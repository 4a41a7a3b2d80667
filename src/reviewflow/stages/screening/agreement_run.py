"""Agreement statistics of a stage, computed on the store's decisions.

Only independent votes count: role "screen", and on an arbitrated item only the votes
cast before the arbiter's first decision. The sample is the double-screened items of the
plan (every item when a stage has two or more main reviewers). The statistics themselves
are :func:`reviewflow.agreement.agreement_report` ("maybe" counts as include).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from ...project import Project
from .assign import double_screened
from .plan import STAGES, check_stage, screening_settings
from .state import StageState, Vote, load_state

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
            sample, votes = _compared(state)
            decisions = [
                (item, reviewer, vote.decision)
                for item, by_reviewer in votes.items()
                for reviewer, vote in by_reviewer.items()
            ]
            out[code] = agreement_report(decisions, items=sample, stage=code)
    return out


def _compared(state: StageState) -> tuple[set[int], dict[int, dict[str, Vote]]]:
    """The double-screened sample and its items' independent votes: what agreement is on."""
    sample = set(double_screened(state.plan, state.items))
    votes = {item: v for item, v in state.independent.items() if item in sample and v}
    return sample, votes


@dataclass(frozen=True)
class ComparedItem:
    """One item an agreement count is over, with the independent votes ``viewer`` may see
    (the others are counted in ``hidden``)."""

    item_id: int
    title: str | None
    authors: list[str]
    year: int | None
    votes: dict[str, Vote]
    hidden: int

    def to_dict(self) -> dict[str, Any]:
        return {
            "item_id": self.item_id,
            "title": self.title,
            "authors": self.authors,
            "year": self.year,
            "votes": {r: v.to_dict() for r, v in self.votes.items()},
            "hidden": self.hidden,
        }


def compared_items(
    project: Project, *, stage: str, pair: tuple[str, str] | None = None, viewer: str | None = None
) -> list[ComparedItem]:
    """The items behind a pair's ``n`` of :func:`agreement` (both rated them independently),
    or with no ``pair`` the items screened by two or more (``n_multiply_rated``); votes
    as ``viewer`` may see them on the screening pages (blind until the stage closes)."""
    from .decisions import can_see_all

    check_stage(stage)
    with project.db.connect() as conn:
        state = load_state(conn, project, stage)
        _, votes = _compared(state)
        if pair is None:
            items = [i for i, v in votes.items() if len(v) >= 2]
        else:
            items = [i for i, v in votes.items() if pair[0] in v and pair[1] in v]
        texts = _texts(conn, state, sorted(items))
    out = []
    for item in sorted(items):
        everyone = votes[item] if pair is None else {r: votes[item][r] for r in pair}
        if can_see_all(state, item, viewer or ""):
            shown = dict(everyone)
        else:
            shown = {r: v for r, v in everyone.items() if r == viewer}
        text = texts.get(item, {})
        out.append(
            ComparedItem(
                item_id=item,
                title=text.get("title"),
                authors=list(text.get("authors") or []),
                year=text.get("year"),
                votes=shown,
                hidden=len(everyone) - len(shown),
            )
        )
    return out


def _texts(conn: Any, state: StageState, items: list[int]) -> dict[int, dict[str, Any]]:
    """Title, authors and year of each item (a report's are its record's)."""
    from ...store import screening_queries as sq

    if state.plan.stage == "ta":
        return sq.record_texts(conn, items)
    wanted = set(items)
    return {int(r["id"]): r for r in sq.list_reports(conn) if r["id"] in wanted}
