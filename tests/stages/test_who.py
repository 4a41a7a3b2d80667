"""One keyword names who acts: ``reviewer``, defaulting to the session's actor."""

from __future__ import annotations

import importlib
import inspect
import pkgutil

import pytest
from screening.test_screening_setup import add_records, seed_team

import reviewflow
import reviewflow.stages
from reviewflow.errors import InputError
from reviewflow.project import Project
from reviewflow.settings import AppraisalSettings, Reviewer
from reviewflow.stages import screening
from reviewflow.stages.appraisal import project as appraise
from reviewflow.store import screening_queries

#: Keywords that once named the acting person in some stage function.
OLD_NAMES = {"appraiser", "coder", "by", "verifier", "extractor", "arbiter", "actor", "who"}
#: ``coder=`` here filters by whose codings are counted; it names nobody acting.
FILTERS = {
    "segments_under", "matrix", "suggest_codes", "matrix_inputs", "matrix_cell", "study_view",
}  # fmt: skip


def _stage_functions() -> list[tuple[str, object]]:
    out = []
    for info in pkgutil.walk_packages(reviewflow.stages.__path__, "reviewflow.stages."):
        module = importlib.import_module(info.name)
        for name, fn in vars(module).items():
            if inspect.isfunction(fn) and not name.startswith("_") and fn.__module__ == info.name:
                out.append((f"{info.name}.{name}", fn))
    return out


def test_every_stage_function_names_the_person_reviewer() -> None:
    functions = _stage_functions()
    assert len(functions) > 100
    old = [
        f"{where}({p})"
        for where, fn in functions
        for p in inspect.signature(fn).parameters  # type: ignore[arg-type]
        if p in OLD_NAMES and where.rsplit(".", 1)[1] not in FILTERS
    ]
    assert old == []
    public = [getattr(reviewflow, n) for n in reviewflow.__all__]
    takes = [
        f for f in public if inspect.isfunction(f) and "reviewer" in inspect.signature(f).parameters
    ]
    assert len(takes) >= 15


def test_a_decision_in_a_session_is_the_actors(project: Project) -> None:
    seed_team(project)
    (item,) = add_records(project, 1)
    with project.session(actor="MC"):
        vote = screening.decide(project, stage="ta", item_id=item, decision="include")
    assert vote.reviewer == "MC"
    with project.session(actor="MC"):
        mine = screening.votes(project, stage="ta", item_id=item)
    assert mine["MC"].decision == "include"


def test_an_explicit_reviewer_wins_over_the_actor(project: Project) -> None:
    seed_team(project)
    (item,) = add_records(project, 1)
    with project.session(actor="LA"):  # the arbiter records MC's vote from a paper sheet
        vote = screening.decide(
            project, stage="ta", item_id=item, reviewer="MC", decision="exclude"
        )
    assert vote.reviewer == "MC"


def test_nobody_named_and_no_session_is_refused_clearly(project: Project) -> None:
    seed_team(project)
    (item,) = add_records(project, 1)
    with pytest.raises(InputError, match="who is recording this decision") as err:
        screening.decide(project, stage="ta", item_id=item, decision="include")
    assert "project.session(actor=" in str(err.value)
    with project.session(), pytest.raises(InputError, match="who is recording"):  # anonymous
        screening.decide(project, stage="ta", item_id=item, decision="include")
    assert screening.counts(project)["records_pending"] == 1


def test_appraisal_and_consensus_take_the_actor_too(project: Project) -> None:
    project.settings.reviewers += [Reviewer(initials="JS")]
    project.settings.appraisal = AppraisalSettings()
    project.save_settings()  # the team lives in the store: JS must join it to act
    with project.db.transaction() as conn:
        study = screening_queries.insert_study(conn, label="Study A")
    answers = {f"q{i}": "Yes" for i in range(1, 11)}
    for who in ("MC", "JS"):
        with project.session(actor=who):
            assert appraise.record_appraisal(project, study, answers=answers).appraiser == who
    with project.session(actor="CJ"):
        agreed = appraise.record_agreed_consensus(project)
    assert agreed == [study]
    (row,) = appraise.overview(project)
    assert row.status == "consensus" and row.appraisers == ("JS", "MC")
    with pytest.raises(InputError, match="who is appraising"):
        appraise.record_appraisal(project, study, answers=answers)
