"""XLSX template round trip: layout, drop-downs, and all-or-nothing import with per-cell errors."""

from __future__ import annotations

from pathlib import Path

import pytest
from openpyxl import load_workbook

from reviewflow.stages.extraction import NOT_REPORTED, Row, load_form, validate_answers
from reviewflow.stages.extraction.xlsx import SheetError, read_template, write_template

DATA = Path(__file__).parents[2] / "data" / "extraction"
STUDIES = {"s1": "Stickley et al. 2012", "s2": "Moffatt et al. 2017"}


@pytest.fixture(scope="module")
def form():
    return load_form(DATA / "every_type_v1.toml")


@pytest.fixture
def answers(form):
    return {
        "s1": validate_answers(
            form,
            {
                "title": "Arts on prescription",
                "summary": "Two lines\nof text",
                "n": 16,
                "age": "NR",
                "female": 50,
                "setting": "Secondary care",
                "methods": "Interviews; Observation",
                "ethics": "yes",
                "groups": "White-British = 13; Black-British = 1; Asian = 1; Afro-Caribbean = 1",
            },
        ),
        "s2": validate_answers(form, {"title": "Ways to Wellness", "setting": "Community"}),
    }


def test_round_trip_returns_the_same_answers(form, answers, tmp_path):
    path = write_template(form, STUDIES, tmp_path / "t.xlsx", answers=answers)
    assert read_template(path, form, STUDIES) == answers
    assert answers["s1"]["age"] is NOT_REPORTED
    assert answers["s1"]["groups"][0] == Row("White-British", 13)


def test_template_layout_helps_the_reviewer(form, tmp_path):
    path = write_template(form, STUDIES, tmp_path / "t.xlsx")
    wb = load_workbook(path)
    ws = wb["Extraction"]
    assert [ws.cell(3, 1).value, ws.cell(4, 1).value] == ["s1", "s2"]
    assert ws.cell(3, 2).value == "Stickley et al. 2012"
    headers = [c.value for c in ws[1]]
    assert headers[:3] == ["Study ID", "Citation", "Short title *"]
    assert ws.cell(2, 5).value == "a whole number ≥ 1"  # help row under "Participants"
    assert "Not reported" in ws.cell(1, 5).comment.text
    assert wb["_form"].sheet_state == "hidden" and wb["_lists"].sheet_state == "hidden"
    assert wb["_form"]["B2"].value == "every_type" and wb["_form"]["B3"].value == 1
    lists = {str(dv.sqref): dv.formula1 for dv in ws.data_validations.dataValidation}
    setting_col, ethics_col = "H", "J"
    assert set(lists) == {f"{setting_col}3:{setting_col}4", f"{ethics_col}3:{ethics_col}4"}
    assert all(formula.startswith("'_lists'!$") for formula in lists.values())
    options = [c.value for c in wb["_lists"]["A"] if c.value]
    assert options == ["Primary care", "Secondary care", "Community", "Not reported"]
    # ethics does not allow "not reported", so its list omits it.
    assert [c.value for c in wb["_lists"]["B"] if c.value] == ["yes", "no", "unclear"]


def fill(path, cells):
    wb = load_workbook(path)
    ws = wb["Extraction"]
    for ref, value in cells.items():
        ws[ref] = value
    wb.save(path)


def test_bad_cells_are_all_reported_and_nothing_is_returned(form, answers, tmp_path):
    path = write_template(form, STUDIES, tmp_path / "t.xlsx", answers=answers)
    fill(
        path,
        {
            "E3": "sixteen",  # wrong type: integer
            "H4": "Hospital",  # unknown choice
            "J3": "Not reported",  # not allowed for ethics
            "A5": "s9",  # unknown study
            "C5": "x",
            "C6": "orphan row",  # data but no study id
            "A7": "s1",  # the same study twice
            "C7": "again",
            "H7": "Community",
        },
    )
    with pytest.raises(SheetError) as info:
        read_template(path, form, STUDIES)
    errors = {e.cell: e for e in info.value.errors}
    assert set(errors) == {
        "Extraction!E3",
        "Extraction!H4",
        "Extraction!J3",
        "Extraction!A5",
        "Extraction!A6",
        "Extraction!A7",
    }
    assert (errors["Extraction!E3"].study, errors["Extraction!E3"].field) == ("s1", "n")
    assert errors["Extraction!E3"].expected == "a whole number ≥ 1"
    assert errors["Extraction!E3"].got == "sixteen"
    assert "Primary care / Secondary care / Community" in errors["Extraction!H4"].expected
    assert "study id of this project" in errors["Extraction!A5"].expected
    assert "row has data" in errors["Extraction!A6"].expected
    assert "each study once" in errors["Extraction!A7"].expected
    message = str(info.value)
    assert "6 cell(s) cannot be imported; nothing was imported" in message
    assert "Extraction!E3 (study s1, n): expected a whole number ≥ 1, got 'sixteen'" in message


def test_required_cells_left_empty_are_errors_unless_partial_import(form, tmp_path):
    path = write_template(form, STUDIES, tmp_path / "t.xlsx")
    fill(path, {"C3": "T1", "H3": "Community"})
    with pytest.raises(SheetError) as info:
        read_template(path, form, STUDIES)
    assert {e.cell for e in info.value.errors} == {"Extraction!C4", "Extraction!H4"}
    partial = read_template(path, form, STUDIES, require_complete=False)
    assert partial == {"s1": {"title": "T1", "setting": "Community"}, "s2": {}}


def test_a_template_of_another_form_version_is_refused(form, tmp_path):
    new = load_form(DATA / "every_type_v2.toml")
    path = write_template(form, STUDIES, tmp_path / "t.xlsx")
    with pytest.raises(SheetError) as info:
        read_template(path, new, STUDIES)
    assert "form version 2" in str(info.value)


def test_moved_columns_are_detected(form, tmp_path):
    path = write_template(form, STUDIES, tmp_path / "t.xlsx")
    wb = load_workbook(path)
    wb["Extraction"].insert_cols(4)
    wb.save(path)
    with pytest.raises(SheetError, match="expected the column header"):
        read_template(path, form, STUDIES)


def test_a_file_that_is_not_a_template_is_refused(form, tmp_path):
    from openpyxl import Workbook

    path = tmp_path / "other.xlsx"
    Workbook().save(path)
    with pytest.raises(SheetError, match="reviewflow extraction template"):
        read_template(path, form, STUDIES)


def test_a_study_missing_from_the_sheet_is_an_error_when_all_are_required(form, tmp_path):
    path = write_template(form, {"s1": "Stickley"}, tmp_path / "t.xlsx")
    fill(path, {"C3": "T1", "H3": "Community"})
    assert read_template(path, form, STUDIES) == {"s1": {"title": "T1", "setting": "Community"}}
    with pytest.raises(SheetError) as info:
        read_template(path, form, STUDIES, require_all_studies=True)
    assert [(e.cell, e.study, e.expected) for e in info.value.errors] == [
        ("Extraction!A", "s2", "a row for this study")
    ]
