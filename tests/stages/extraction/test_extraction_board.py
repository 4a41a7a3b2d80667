"""What the extraction pages read (stages.extraction.board), on the seed's extraction
recorded through the store: who piloted and extracted each study, every discrepancy with
its resolution, one reviewer's own answers, the pilot side by side, and every bad
proposal at once; and AnswersError, which lists problems by field for a web form."""

from __future__ import annotations

import pytest
from test_extract_store import _seed_extracted, _seed_verified, _team

from reviewflow.errors import InputError
from reviewflow.project import Project
from reviewflow.stages.extraction import NOT_REPORTED, builtin_form
from reviewflow.stages.extraction import board as xboard
from reviewflow.stages.extraction import project as extract
from reviewflow.stages.extraction.forms import AnswersError


def test_the_board_names_pilot_extractors_and_every_discrepancy_with_its_resolution(
    project: Project,
) -> None:
    _team(project)
    ids = _seed_extracted(project)
    rows = {r.extraction.label: r for r in xboard.board(project)}
    assert [r.extraction.study_id for r in xboard.board(project)] == sorted(ids.values())
    stickley = rows["Stickley et al. 2012"]
    assert (stickley.pilot_by, stickley.extracted_by) == (("CJ", "MC"), ("CJ", "MC"))
    assert rows["Wildman et al. 2019"].pilot_by == () and rows["Wildman et al. 2019"].open == 0
    assert xboard.pilot_reviewers(project) == ["CJ", "MC"]  # three pilot studies each

    _seed_verified(project)
    kellezi = {r.extraction.label: r for r in xboard.board(project)}["Kellezi et al. 2019"]
    [open_] = kellezi.discrepancies
    assert (open_.discrepancy.field, open_.discrepancy.proposed, open_.resolution) == (
        "male_percent",
        37,
        None,
    )
    assert kellezi.open == 1
    assert sum(r.open for r in xboard.board(project)) == len(extract.discrepancies(project))

    extract.resolve(project, "Kellezi et al. 2019", reviewer="MC", keep=["male_percent"],
                    notes={"male_percent": "keep the published 32 %"})  # fmt: skip
    after = {r.extraction.label: r for r in xboard.board(project)}["Kellezi et al. 2019"]
    [done] = after.discrepancies  # still listed, now with how it was resolved
    assert done.resolution is not None and after.open == 0
    assert (done.resolution.value, done.resolution.by) == (32, "MC")
    assert done.resolution.note == "keep the published 32 %"


def test_a_reviewers_own_extraction_and_nobody_elses(project: Project) -> None:
    _team(project)
    _seed_extracted(project)
    mine = xboard.extraction_by(project, "Stickley et al. 2012", "CJ")
    theirs = xboard.extraction_by(project, "Stickley et al. 2012", "MC")
    assert mine is not None and theirs is not None
    assert mine.pilot and mine.verified_by is None
    assert mine.extraction.reviewer == "CJ" and theirs.extraction.reviewer == "MC"
    assert xboard.extraction_by(project, "Wildman et al. 2019", "CJ") is None
    _seed_verified(project)
    verified = xboard.extraction_by(project, "Wildman et al. 2019", "MC")
    assert verified is not None and verified.verified_by == "KA"


def test_the_pilot_side_by_side_is_the_pilot_report_with_its_answers(project: Project) -> None:
    _team(project)
    _seed_extracted(project)
    view = xboard.pilot_view(project, reviewers=("MC", "CJ"))
    assert view.report == extract.pilot_report(project, reviewers=("MC", "CJ"))
    assert [str(s.study_id) for s in view.studies] == list(view.report.studies)
    timing = next(f for f in view.report.fields if f.field == "timing")
    [(study, first, second)] = [(d.study, d.first, d.second) for d in timing.disagreements]
    shown = next(s for s in view.studies if str(s.study_id) == study)
    assert (shown.first["timing"], shown.second["timing"]) == (first, second)


def test_every_bad_proposal_is_listed_and_an_empty_one_is_allowed() -> None:
    form = builtin_form("social_prescribing")
    clean, problems = xboard.check_proposals(
        form, {"sample_size": "many", "male_percent": "140", "model": "", "age_mean": "NR"}
    )
    assert [(p.field, p.got) for p in problems] == [
        ("sample_size", "many"),
        ("male_percent", "140"),
    ]
    assert clean == {"model": None, "age_mean": NOT_REPORTED}


def test_refused_answers_carry_their_problems_by_field(project: Project) -> None:
    _team(project)
    ids = _seed_extracted(project)
    with pytest.raises(AnswersError) as caught:
        extract.record_extraction(project, ids["Wildman et al. 2019"], reviewer="JS",
                                  answers={"sample_size": "many", "model": "Bus"})  # fmt: skip
    assert isinstance(caught.value, InputError)  # what the CLI and older callers catch
    by_field = {p.field: p.expected for p in caught.value.problems}
    assert set(by_field) == {"sample_size", "model", "country", "timing"}
    assert by_field["country"] == "an answer (required field)"
    assert "sample_size: expected a whole number ≥ 1, got 'many'" in caught.value.message
