"""Pilot agreement per field, verification discrepancies, resolution with history."""

from __future__ import annotations

from pathlib import Path

import pytest

from reviewflow.errors import InputError, StateError
from reviewflow.stages.extraction import NOT_REPORTED, load_form, make_extraction
from reviewflow.stages.extraction.agreement import pilot_agreement
from reviewflow.stages.extraction.verify import (
    Resolution,
    Verification,
    agree,
    compare,
    final_answers,
    propose,
    resolve,
    verification_from_mapping,
)

DATA = Path(__file__).parents[2] / "data" / "extraction"


@pytest.fixture(scope="module")
def form():
    return load_form(DATA / "every_type_v1.toml")


def ext(form, study, reviewer, **answers):
    base = {"title": study, "setting": "Community"}
    return make_extraction(form, study, reviewer, {**base, **answers})


def test_pilot_agreement_per_field_lists_each_disagreement(form):
    first = [
        ext(form, "s1", "MC", n=16, age="NR", methods="Interviews"),
        ext(form, "s2", "MC", n=30, age=62, summary="Link worker model"),
        ext(form, "s3", "MC", n=19, age=60.4, groups="A = 1; B = 2"),
    ]
    second = [
        ext(form, "s1", "CJ", n=16, age="NR", methods="Interviews; Focus groups"),
        ext(form, "s2", "CJ", n=31, age=62.0, summary="link  worker MODEL"),
        ext(form, "s3", "CJ", n=19, age=None, groups="B = 2; A = 1"),
    ]
    report = pilot_agreement(form, first, second)
    by_field = {f.field: f for f in report.fields}
    assert report.reviewers == ("MC", "CJ")
    assert report.studies == ("s1", "s2", "s3")
    assert (by_field["n"].agreed, by_field["n"].compared) == (2, 3)
    assert [(d.study, d.first, d.second) for d in by_field["n"].disagreements] == [("s2", 30, 31)]
    # Not reported vs empty is a disagreement; 62 vs 62.0 and case/spacing are not.
    assert [d.study for d in by_field["age"].disagreements] == ["s3"]
    assert by_field["summary"].proportion == 1.0
    assert by_field["summary"].both_empty == 2
    assert by_field["groups"].proportion == 1.0
    assert by_field["methods"].proportion == 0.0
    assert by_field["ethics"].compared == 0 and by_field["ethics"].proportion is None
    assert [f.field for f in report.below(0.9)] == ["n", "age", "methods"]
    assert report.agreed == 12 and report.compared == 15


def test_pilot_refuses_unmatched_studies_and_same_reviewer(form):
    with pytest.raises(StateError, match="s2"):
        pilot_agreement(form, [ext(form, "s1", "MC")], [ext(form, "s2", "CJ")])
    with pytest.raises(InputError, match="two different reviewers"):
        pilot_agreement(form, [ext(form, "s1", "MC")], [ext(form, "s1", "MC")])


def test_pilot_refuses_answers_of_another_form_version(form):
    new = load_form(DATA / "every_type_v2.toml")
    old = [ext(form, "s1", "MC")]
    with pytest.raises(InputError, match="migrate_answers"):
        pilot_agreement(new, old, old)


def test_verification_lists_discrepancies_and_unchecked_fields(form):
    extraction = ext(form, "s1", "MC", n=19, female=63, ethics="yes")
    verification = Verification(
        "s1",
        "KA",
        (
            agree("title"),
            agree("setting"),
            propose("n", "19", "same value typed again"),
            propose("female", 68, "Table 2 says 68 %"),
        ),
    )
    result = compare(form, extraction, verification)
    assert result.confirmed == ("title", "n", "setting")
    assert [(d.field, d.extracted, d.proposed, d.note) for d in result.discrepancies] == [
        ("female", 63.0, 68.0, "Table 2 says 68 %"),
    ]
    assert result.unchecked == ("summary", "age", "methods", "ethics", "groups")


def test_verification_proposal_must_fit_the_field(form):
    extraction = ext(form, "s1", "MC", ethics="yes")
    bad = Verification("s1", "KA", (propose("ethics", "Not reported"),))
    with pytest.raises(InputError, match="not reported not allowed"):
        compare(form, extraction, bad)


def test_extractor_cannot_verify_their_own_extraction(form):
    extraction = ext(form, "s1", "MC")
    with pytest.raises(InputError, match="cannot verify"):
        compare(form, extraction, Verification("s1", "MC", (agree("title"),)))


def test_resolution_records_history_and_nothing_changes_silently(form):
    extraction = ext(form, "s1", "MC", n=19, female=63)
    verification = verification_from_mapping(
        "s1",
        "KA",
        {"title": "agree", "n": {"value": 21, "note": "flow chart says 21"}, "female": "agree"},
    )
    open_result = resolve(form, extraction, verification)
    assert [d.field for d in open_result.unresolved] == ["n"]
    assert open_result.answers["n"] == 19  # unchanged until resolved
    with pytest.raises(StateError, match="unresolved"):
        final_answers(form, extraction, verification)

    done = resolve(form, extraction, verification, [Resolution("n", "20", "MC", "2 withdrew")])
    assert done.unresolved == ()
    assert done.answers["n"] == 20
    n_history = [(e.action, e.reviewer, e.value, e.note) for e in done.history if e.field == "n"]
    assert n_history == [
        ("extracted", "MC", 19, ""),
        ("proposed", "KA", 21, "flow chart says 21"),
        ("resolved", "MC", 20, "2 withdrew"),
    ]
    assert ("confirmed", "KA", 63.0) in [
        (e.action, e.reviewer, e.value) for e in done.history if e.field == "female"
    ]
    assert final_answers(form, extraction, verification, [Resolution("n", 20, "MC")])["n"] == 20
    assert extraction.answers["n"] == 19  # the extraction itself is never modified


def test_resolution_only_for_disputed_fields_and_must_fit(form):
    extraction = ext(form, "s1", "MC", n=19)
    verification = Verification("s1", "KA", (agree("n"), propose("age", 40)))
    with pytest.raises(InputError, match="no discrepancy on field n"):
        resolve(form, extraction, verification, [Resolution("n", 20, "MC")])
    with pytest.raises(InputError, match="number from 0 to 120"):
        resolve(form, extraction, verification, [Resolution("age", 400, "MC")])
    resolved = resolve(form, extraction, verification, [Resolution("age", "NR", "MC")])
    assert resolved.answers["age"] is NOT_REPORTED
