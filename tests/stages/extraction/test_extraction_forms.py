"""Forms as data: every field type accepts good values and names what it expected on bad
ones; required vs not reported vs empty; consistency warnings; versions and migration."""

from __future__ import annotations

from pathlib import Path

import pytest

from reviewflow.errors import InputError, NotFoundError
from reviewflow.stages.extraction import (
    NOT_REPORTED,
    FieldValueError,
    Row,
    builtin_form,
    check_answers,
    check_consistency,
    coerce,
    load_form,
    loads_form,
    make_extraction,
    migrate_answers,
    validate_answers,
)
from reviewflow.stages.extraction.values import format_value, values_equal

DATA = Path(__file__).parents[2] / "data" / "extraction"


@pytest.fixture(scope="module")
def form():
    return load_form(DATA / "every_type_v1.toml")


GOOD = [
    # (field, raw input, canonical value)
    ("title", "  Stickley 2012 ", "Stickley 2012"),
    ("summary", "line one\nline two", "line one\nline two"),
    ("n", 16, 16),
    ("n", "16", 16),
    ("n", 16.0, 16),
    ("n", "1,200", 1200),
    ("age", "46.5", 46.5),
    ("age", 62, 62.0),
    ("female", "63%", 63.0),
    ("female", 0, 0.0),
    ("female", "100", 100.0),
    ("setting", "primary  CARE", "Primary care"),
    ("methods", "Focus groups; interviews", ("Interviews", "Focus groups")),
    ("methods", ["Observation"], ("Observation",)),
    ("ethics", "Yes", "yes"),
    ("ethics", False, "no"),
    ("ethics", "can't tell", "unclear"),
    ("groups", "White-British = 13; Asian = 1", (Row("White-British", 13), Row("Asian", 1))),
    (
        "groups",
        "White-British [n=13]; Black-British [n=1]",
        (Row("White-British", 13), Row("Black-British", 1)),
    ),
    ("groups", {"Employed": 4, "Retired": 14}, (Row("Employed", 4), Row("Retired", 14))),
    ("groups", [["Employed", "4"]], (Row("Employed", 4),)),
]


@pytest.mark.parametrize(("field_id", "raw", "expected"), GOOD)
def test_good_values_become_canonical(form, field_id, raw, expected):
    assert coerce(form.field(field_id), raw) == expected


BAD = [
    # (field, raw input, words the error must contain)
    ("title", "x" * 21, "at most 20 characters"),
    ("title", "two\nlines", "one line"),
    ("title", True, "one line"),
    ("n", "twelve", "whole number ≥ 1"),
    ("n", 12.5, "whole number"),
    ("n", 0, "≥ 1"),
    ("n", True, "whole number"),
    ("age", "old", "number from 0 to 120"),
    ("age", 130, "from 0 to 120"),
    ("age", float("nan"), "number"),
    ("female", "101%", "percentage from 0 to 100"),
    ("female", -1, "percentage"),
    ("setting", "Hospital", "one of Primary care / Secondary care / Community"),
    ("setting", 3, "one of"),
    ("methods", "Interviews; Survey", "one or more of Interviews / Focus groups / Observation"),
    ("ethics", "maybe", "yes / no / unclear"),
    ("ethics", "Not reported", "not reported not allowed"),
    ("groups", "White-British", "label = count"),
    ("groups", "A = 1; a = 2", "twice"),
    ("groups", "A = -1", "≥ 0"),
    ("groups", "A = 1.5", "whole number"),
    ("groups", 7, "label = count"),
]


@pytest.mark.parametrize(("field_id", "raw", "words"), BAD)
def test_bad_values_say_what_was_expected(form, field_id, raw, words):
    with pytest.raises(FieldValueError) as info:
        coerce(form.field(field_id), raw)
    assert words in str(info.value)
    assert info.value.field_id == field_id


@pytest.mark.parametrize("text", ["NR", "not reported", "Not Reported", " n/r "])
def test_not_reported_is_an_answer_distinct_from_empty(form, text):
    assert coerce(form.field("n"), text) is NOT_REPORTED
    for empty in (None, "", "   ", []):
        assert coerce(form.field("n"), empty) is None
    assert not values_equal(form.field("n"), NOT_REPORTED, None)
    assert values_equal(form.field("n"), NOT_REPORTED, NOT_REPORTED)


def test_required_is_met_by_not_reported_but_not_by_empty(form):
    _, problems = check_answers(form, {"title": "Not reported", "setting": "Community"})
    assert problems == []
    _, problems = check_answers(form, {"title": "", "setting": "Community"})
    assert [(p.field, p.expected) for p in problems] == [("title", "an answer (required field)")]


def test_validate_lists_every_problem_and_accepts_nothing(form):
    with pytest.raises(InputError) as info:
        validate_answers(form, {"n": "many", "setting": "Hospital", "colour": "red"}, study="s1")
    message = str(info.value)
    assert "study s1: 4 answer(s)" in message
    for words in ("n: expected", "setting: expected", "colour: expected a field", "title"):
        assert words in message


def test_format_value_round_trips_through_coerce(form):
    answers = {
        "title": "T",
        "n": 30,
        "age": 60.4,
        "female": 47.0,
        "setting": "Community",
        "methods": ("Interviews", "Observation"),
        "ethics": "unclear",
        "groups": (Row("Employed", 4), Row("Retired", 14)),
    }
    for key, value in answers.items():
        fld = form.field(key)
        assert coerce(fld, format_value(fld, value)) == value
    assert format_value(form.field("n"), NOT_REPORTED) == "Not reported"


def test_values_equal_ignores_case_spacing_and_row_order(form):
    assert values_equal(form.field("summary"), "Social  isolation", "social isolation")
    rows = form.field("groups")
    assert values_equal(rows, (Row("A", 1), Row("B", 2)), (Row("b", 2), Row("a", 1)))
    assert not values_equal(rows, (Row("A", 1),), (Row("A", 2),))
    assert not values_equal(form.field("age"), 46.5, 46.6)


def test_consistency_checks_warn_and_keep_published_values():
    form = builtin_form("social_prescribing")
    ext = make_extraction(
        form,
        "kellezi2019",
        "MC",
        {
            "country": "England",
            "sample_size": 19,
            "female_percent": 63,
            "male_percent": 32,
            "ethnicity": "White and/or British = 16",
            "employment": "Employed = 9; Retired = 10",
            "model": "Link worker",
            "timing": "After engagement",
        },
    )
    warnings = [str(w) for w in check_consistency(form, ext.answers)]
    assert warnings == [
        "female_percent 63 + male_percent 32 = 95, not 100",
        "ethnicity counts add up to 16, sample_size is 19",
    ]
    assert ext.answers["male_percent"] == 32  # kept as published
    # Not reported and empty values skip the checks instead of failing them.
    quiet = {**ext.answers, "ethnicity": NOT_REPORTED, "male_percent": None}
    assert check_consistency(form, quiet) == []


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ('id = "f"\nversion = 1\n[[fields]]\nid = "a"\ntype = "date"\n', "unknown type 'date'"),
        (
            'id = "f"\nversion = 1\n[[fields]]\nid = "a"\ntype = "single_choice"\n',
            "needs 'choices'",
        ),
        ('id = "f"\nversion = 0\n[[fields]]\nid = "a"\ntype = "integer"\n', "'version'"),
        ('id = "f"\nversion = 1\n', "at least one"),
        (
            'id = "f"\nversion = 1\n[[fields]]\nid = "a"\ntype = "integer"\n'
            '[[fields]]\nid = "a"\ntype = "integer"\n',
            "used twice: a",
        ),
        (
            'id = "f"\nversion = 1\n[[fields]]\nid = "a"\ntype = "integer"\nhelp_text = "x"\n',
            "unknown key(s) help_text",
        ),
        (
            'id = "f"\nversion = 1\n[[fields]]\nid = "a"\ntype = "integer"\n'
            '[[checks]]\nkind = "rows_total"\nfield = "a"\nequals_field = "a"\n',
            "field 'a' must be repeated",
        ),
        ("id = ", "not valid TOML"),
    ],
)
def test_bad_form_files_are_refused_with_the_reason(text, words):
    with pytest.raises(InputError) as info:
        loads_form(text, source="form.toml")
    assert "form.toml" in str(info.value)
    assert words in str(info.value)


def test_builtin_form_is_the_seed_form():
    form = builtin_form("social_prescribing")
    ids = [f.id for f in form.fields]
    for wanted in ("country", "aims", "design", "data_collection_methods", "analysis_methods",
                   "inclusion_criteria", "exclusion_criteria", "sampling", "sample_size",
                   "age_mean", "female_percent", "male_percent", "ethnicity", "employment",
                   "reason_for_referral", "model", "timing"):  # fmt: skip
        assert wanted in ids
    assert form.field("model").type == "single_choice"
    assert "Direct referral" in form.field("model").choices
    assert form.field("timing").choices == (
        "During engagement",
        "After engagement",
        "During and after engagement",
    )
    assert form.field("ethnicity").type == "repeated"
    with pytest.raises(NotFoundError):
        builtin_form("nope")


def test_migration_carries_renamed_and_compatible_answers_and_lists_the_rest(form):
    new = load_form(DATA / "every_type_v2.toml")
    old_answers = validate_answers(
        form,
        {
            "title": "Moffatt 2017",
            "summary": "Link workers",
            "n": 30,
            "age": 62.5,
            "female": 47,
            "setting": "Community",
            "methods": "Interviews",
            "ethics": "yes",
            "groups": "Employed = 4",
        },
    )
    result = migrate_answers(old_answers, form, new)
    assert result.answers == {
        "title": "Moffatt 2017",
        "sample_size": 30,
        "female": 47.0,
        "methods": ("Interviews",),
        "ethics": "yes",
        "groups": (Row("Employed", 4),),
    }
    assert result.carried["sample_size"] == "n"
    assert set(result.not_carried) == {"summary", "age", "setting"}
    assert "removed in version 2" in result.not_carried["summary"]
    assert "whole number" in result.not_carried["age"]
    assert "Voluntary sector" in result.not_carried["setting"]
    assert set(result.new_fields) == {"country", "age", "setting"}
    # The old answers are untouched and still valid on the old version.
    assert validate_answers(form, old_answers) == old_answers


def test_migration_keeps_not_reported(form):
    new = load_form(DATA / "every_type_v2.toml")
    result = migrate_answers({"n": NOT_REPORTED}, form, new)
    assert result.answers == {"sample_size": NOT_REPORTED}
