"""Appraisal as each person may see it: blind until both appraisers finished a study."""

from __future__ import annotations

import pytest

from reviewflow.errors import StateError
from reviewflow.project import Project
from reviewflow.settings import AppraisalSettings, Reviewer
from reviewflow.stages.appraisal import blind
from reviewflow.stages.appraisal import project as appraise
from reviewflow.stages.appraisal.checklists import Checklist
from reviewflow.store import screening_queries

ALL_YES = {f"q{i}": "yes" for i in range(1, 11)}


def _setup(project: Project, *, named: list[str] | None = None) -> int:
    project.settings.reviewers += [Reviewer(initials="JS"), Reviewer(initials="OW")]
    project.settings.appraisal = AppraisalSettings(scheme="weighted_bands", appraisers=named or [])
    with project.db.transaction() as conn:
        return screening_queries.insert_study(conn, label="Study A")


def test_nobody_sees_answers_but_their_own_until_both_are_in(project: Project) -> None:
    sid = _setup(project)
    blind.save_own(project, sid, reviewer="MC", answers=ALL_YES, notes={"q6": "reflexive "})
    mine = blind.study_view(project, sid, reviewer="MC")
    assert mine.own is not None and mine.own.notes == {"q6": "reflexive"}
    assert (mine.both_done, mine.pair, mine.disagreements) == (False, None, ())
    for other in ("JS", "OW", "CJ"):  # the other appraiser, the owner, anyone
        view = blind.study_view(project, sid, reviewer=other)
        assert view.own is None and view.pair is None and view.consensus is None
        assert view.done == {"MC": True}
        assert "yes" not in str(view.to_dict(project_checklist(project)))
    with pytest.raises(StateError, match="blind until both appraisers have finished"):
        blind.compare(project, sid, reviewer="OW")

    # MC revises while JS has not finished: allowed, the newest answers count
    blind.save_own(project, sid, reviewer="MC", answers={**ALL_YES, "q6": "no"})
    blind.save_own(project, sid, reviewer="JS", answers={**ALL_YES, "q7": "cant_tell"})
    both = blind.compare(project, sid, reviewer="OW")
    assert both.pair is not None
    assert [(d.item, d.first, d.second) for d in both.disagreements] == [
        ("q6", "yes", "no"),  # JS first, MC second: the two in initials order
        ("q7", "cant_tell", "yes"),
    ]
    assert (both.done, both.status) == ({"JS": True, "MC": True}, "disagreements")
    with pytest.raises(StateError, match="can no longer change"):
        blind.save_own(project, sid, reviewer="MC", answers=ALL_YES)

    appraise.record_consensus(
        project, sid, reviewer="OW", resolutions={"q6": "cant_tell", "q7": "yes"}
    )
    done = blind.compare(project, sid, reviewer="MC")
    assert done.resolutions == {"q6": "cant_tell", "q7": "yes"}
    assert done.score is not None and (done.score.points, done.score.band) == (19, "very valuable")
    (row,) = blind.board(project).rows
    assert (row.status, row.done) == ("consensus", {"JS": True, "MC": True})
    assert row.open_items == ("q6", "q7")  # as `reviewflow appraise scores` lists them
    assert row.score == done.score


def test_a_third_or_unnamed_appraiser_is_refused_before_anything_is_saved(
    project: Project,
) -> None:
    sid = _setup(project)
    blind.save_own(project, sid, reviewer="MC", answers=ALL_YES)
    blind.save_own(project, sid, reviewer="JS", answers=ALL_YES)
    with pytest.raises(StateError, match="JS and MC have already appraised"):
        blind.save_own(project, sid, reviewer="OW", answers=ALL_YES)
    assert blind.study_view(project, sid, reviewer="OW").may_appraise is False

    project.settings.appraisal = AppraisalSettings(appraisers=["MC", "CJ"])
    view = blind.study_view(project, sid, reviewer="JS")
    assert view.why_not is not None and "names MC and CJ" in view.why_not
    with pytest.raises(StateError, match="names MC and CJ"):
        blind.save_own(project, sid, reviewer="JS", answers=ALL_YES)
    assert blind.board(project).appraisers == ("MC", "CJ")
    assert blind.board(project).rows[0].done == {"MC": True, "CJ": False}


def test_a_changed_note_alone_is_a_new_version_not_silently_dropped(project: Project) -> None:
    sid = _setup(project)
    blind.save_own(project, sid, reviewer="MC", answers=ALL_YES)
    blind.save_own(project, sid, reviewer="MC", answers=ALL_YES, notes={"q3": "see p. 4"})
    own = blind.study_view(project, sid, reviewer="MC").own
    assert own is not None and own.notes == {"q3": "see p. 4"}


def project_checklist(project: Project) -> Checklist:
    return appraise.checklist_in_use(project)
