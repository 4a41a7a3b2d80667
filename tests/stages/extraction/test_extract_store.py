"""Extraction on the project store: the seed's workflow, history, XLSX round trip, bad input."""

from __future__ import annotations

import tomllib
from pathlib import Path

import pytest
from openpyxl import load_workbook
from sqlalchemy import func, select

from reviewflow.demo.extraction import load_seed_extraction
from reviewflow.errors import InputError, NotFoundError, ProjectError, StateError
from reviewflow.project import Project
from reviewflow.settings import ExtractionSettings, FormRef, Reviewer
from reviewflow.stages.extraction import NOT_REPORTED, Row
from reviewflow.stages.extraction import project as extract
from reviewflow.stages.extraction import sheets as extract_sheets
from reviewflow.stages.extraction.xlsx import SheetError
from reviewflow.store import screening_queries
from reviewflow.store.schema import extraction_events, extraction_values

DATA = Path(__file__).parents[2] / "data" / "extract_store"
NR = NOT_REPORTED
# Table 1 of the seed review: country, N, mean age, % female, % male, model, timing.
TABLE_1 = {
    "Stickley et al. 2012": ("England", 16, NR, 50, 50, "Direct referral", "After engagement"),
    "Moffatt et al. 2017": ("England", 30, 62.0, 47, 53, "Link worker", "During engagement"),
    "Kellezi et al. 2019": ("England", 19, 60.4, 63, 32, "Link worker", "After engagement"),
    "Wildman et al. 2019": ("England", 24, NR, 46, 54, "Link worker",
                            "During and after engagement"),
    "Roberts et al. 2020": ("Wales", 120, 76.7, 82, 18, "Link worker",
                            "During and after engagement"),
    "Hanlon et al. 2021": ("Scotland", 12, 46.5, 50, 50, "Link worker", "After engagement"),
}  # fmt: skip
COLUMNS = ("country", "sample_size", "age_mean", "female_percent", "male_percent", "model",
           "timing")  # fmt: skip


def _team(project: Project) -> Project:
    """The seed's extraction team, on the seed's form (a new project's default is generic)."""
    project.settings.reviewers += [Reviewer(initials="KA"), Reviewer(initials="JS")]
    project.settings.extraction = ExtractionSettings(forms=[FormRef(source="social_prescribing")])
    return project


def _studies(project: Project, labels: list[str]) -> dict[str, int]:
    with project.db.transaction() as conn:
        return {label: screening_queries.insert_study(conn, label=label) for label in labels}


def _event_rows(project: Project) -> tuple[int, int]:
    with project.db.connect() as conn:
        return (
            conn.execute(select(func.count()).select_from(extraction_events)).scalar_one(),
            conn.execute(select(func.count()).select_from(extraction_values)).scalar_one(),
        )


def _seed_extracted(project: Project) -> dict[str, int]:
    """The seed's extraction and pilot through the store (verification left to the test)."""
    seed = load_seed_extraction()
    data = tomllib.loads(
        (Path(extract.__file__).parents[2] / "demo/data/extraction.toml").read_text("utf-8")
    )
    ids = _studies(project, list(seed.labels.values()))
    raw = {s["id"]: s for s in data["studies"]}
    pilot = set(data["pilot"]["studies"])
    for key, label in seed.labels.items():
        extract.record_extraction(project, label, reviewer="MC", answers=raw[key]["answers"],
                                  notes=raw[key].get("notes"), pilot=key in pilot)  # fmt: skip
    for ext in seed.pilot_second:
        extract.record_extraction(project, ids[seed.labels[ext.study]], reviewer="CJ",
                                  answers=ext.answers, pilot=True)  # fmt: skip
    return ids


def _seed_verified(project: Project) -> None:
    seed = load_seed_extraction()
    for key, label in seed.labels.items():
        checks = {
            c.field: "agree" if c.agree else {"value": c.value, "note": c.note}
            for c in seed.verifications[key].checks
        }
        extract.verify(project, label, reviewer="KA", checks=checks, of="MC")


def test_seed_through_the_store_gives_table_1_with_history(project: Project) -> None:
    _team(project)
    _seed_extracted(project)
    statuses = {s.label: s.status for s in extract.overview(project)}
    assert statuses["Stickley et al. 2012"] == "pilot"  # two extractors, not verified yet
    assert statuses["Wildman et al. 2019"] == "extracted"
    assert extract.table1_rows(project) == []  # nothing is final before verification

    _seed_verified(project)
    open_ = extract.discrepancies(project)
    assert [(d.field, d.extracted, d.proposed, d.verifier) for d in open_] == [
        ("male_percent", 32, 37, "KA")
    ]
    kellezi = extract.study_extraction(project, "Kellezi et al. 2019")
    assert kellezi.status == "discrepancies"
    assert "Kellezi et al. 2019" not in {r["study"] for r in extract.table1_rows(project)}

    extract.resolve(project, "Kellezi et al. 2019", reviewer="MC", keep=["male_percent"],
                    notes={"male_percent": "keep the published 32 %"})  # fmt: skip
    assert extract.discrepancies(project) == []
    rows = {r["study"]: r for r in extract.table1_rows(project)}
    assert set(rows) == set(TABLE_1)
    for label, expected in TABLE_1.items():
        assert tuple(rows[label][c] for c in COLUMNS) == expected, label
    assert rows["Stickley et al. 2012"]["ethnicity"][0] == Row("White-British", 13)
    assert sum(r["sample_size"] for r in rows.values()) == 221
    text = {r["study"]: r for r in extract.table1_rows(project, as_text=True)}
    assert text["Stickley et al. 2012"]["age_mean"] == "Not reported"

    history = [
        (e.action, e.reviewer, e.value, e.note)
        for e in extract.study_extraction(project, "Kellezi et al. 2019").history
        if e.field == "male_percent"
    ]
    assert history == [
        ("pilot extracted", "MC", 32, "As published: 63 % + 32 % = 95 %."),
        ("pilot extracted", "CJ", 32, ""),
        ("proposed", "KA", 37, "63 + 32 does not make 100; 37 would."),
        ("resolved", "MC", 32, "keep the published 32 %"),
    ]


def test_pilot_agreement_per_field_on_the_store(project: Project) -> None:
    _team(project)
    _seed_extracted(project)
    report = extract.pilot_report(project, reviewers=("MC", "CJ"))
    assert len(report.studies) == 3
    below = {f.field: (f.agreed, f.compared) for f in report.below(1.0)}
    assert below == {"timing": (2, 3), "timing_inferred": (0, 1), "reason_for_referral": (2, 3)}
    with pytest.raises(StateError, match="no extraction by CJ"):
        extract.pilot_report(project, reviewers=("MC", "CJ"), studies=["Hanlon et al. 2021"])


def test_verification_needs_a_second_reviewer_and_changes_are_never_silent(
    project: Project,
) -> None:
    _team(project)
    (sid,) = _studies(project, ["Study A"]).values()
    answers = {"country": "England", "sample_size": 10, "model": "Link worker",
               "timing": "After engagement"}  # fmt: skip
    extract.record_extraction(project, sid, reviewer="MC", answers=answers)
    # same answers again: nothing new recorded; different answers need replace=True
    before = _event_rows(project)
    extract.record_extraction(project, sid, reviewer="MC", answers=answers)
    assert _event_rows(project) == before
    with pytest.raises(InputError, match="already extracted by MC"):
        extract.record_extraction(
            project, sid, reviewer="MC", answers={**answers, "sample_size": 12}
        )
    extract.record_extraction(
        project, sid, reviewer="MC", answers={**answers, "sample_size": 12}, replace=True
    )
    with pytest.raises(InputError, match="cannot verify"):
        extract.verify(project, sid, reviewer="MC", checks={}, agree_rest=True)
    proposal = {"sample_size": {"value": 14, "note": "Table 2 says 14"}}
    result = extract.verify(project, sid, reviewer="KA", checks=proposal, agree_rest=True)
    assert [(d.field, d.extracted, d.proposed) for d in result.discrepancies] == [
        ("sample_size", 12, 14)
    ]
    with pytest.raises(StateError, match="already verified"):
        extract.record_extraction(project, sid, reviewer="MC", answers=answers, replace=True)
    with pytest.raises(InputError, match="no discrepancy on field country"):
        extract.resolve(project, sid, reviewer="MC", values={"country": "Wales"})
    extract.resolve(project, sid, reviewer="MC", accept=["sample_size"])
    with pytest.raises(InputError, match="already resolved"):
        extract.resolve(project, sid, reviewer="MC", values={"sample_size": 13})
    extract.resolve(project, sid, reviewer="KA", values={"sample_size": 13}, replace=True)
    study = extract.study_extraction(project, "Study A")
    assert study.status == "final" and study.answers["sample_size"] == 13
    trail = [(e.action, e.value) for e in study.history if e.field == "sample_size"]
    assert trail == [("extracted", 10), ("extracted", 12), ("proposed", 14),
                     ("resolved", 14), ("resolved", 13)]  # fmt: skip


def test_bad_input_is_refused_and_nothing_recorded(project: Project) -> None:
    _team(project)
    (sid,) = _studies(project, ["Study A"]).values()
    before = _event_rows(project)
    with pytest.raises(NotFoundError, match="no study 'Study Z'"):
        extract.record_extraction(project, "Study Z", reviewer="MC", answers={"country": "UK"})
    with pytest.raises(NotFoundError, match="unknown reviewer 'ZZ'"):
        extract.record_extraction(project, sid, reviewer="ZZ", answers={"country": "UK"})
    with pytest.raises(InputError) as err:
        extract.record_extraction(
            project, sid, reviewer="MC",
            answers={"country": "UK", "sample_size": "twelve", "model": "Robot",
                     "timing": "After engagement"},
        )  # fmt: skip
    assert "sample_size: expected a whole number" in str(err.value)
    assert "model: expected one of" in str(err.value)
    with pytest.raises(InputError, match="country: expected an answer"):
        extract.record_extraction(
            project,
            sid,
            reviewer="MC",
            answers={"sample_size": 3, "model": "Link worker", "timing": "After engagement"},
        )
    with pytest.raises(StateError, match="not extracted"):
        extract.verify(project, sid, reviewer="KA", checks={}, agree_rest=True)
    assert _event_rows(project) == before


def test_xlsx_round_trip_through_the_project(project: Project, tmp_path: Path) -> None:
    _team(project)
    ids = _studies(project, ["Study A", "Study B"])
    path = extract_sheets.write_template(project, tmp_path / "mc.xlsx")
    wb = load_workbook(path)
    ws = wb["Extraction"]
    header = [c.value for c in ws[1]]
    col = {name.removesuffix(" *"): i + 1 for i, name in enumerate(header)}
    row = {ws.cell(r, 1).value: r for r in range(3, ws.max_row + 1)}
    assert set(row) == {str(i) for i in ids.values()}
    a, b = row[str(ids["Study A"])], row[str(ids["Study B"])]
    ws.cell(a, col["Country"], "England")
    ws.cell(a, col["Sample size"], 16)
    ws.cell(a, col["Age, years (mean)"], "Not reported")
    ws.cell(b, col["Country"], "Wales")
    for r in (a, b):
        ws.cell(r, col["Timing of data collection"], "After engagement")
    ws.cell(a, col["Model of social prescribing (Husk et al.)"], "Direct referral")
    ws.cell(b, col["Sample size"], "lots")  # wrong type
    ws.cell(b, col["Model of social prescribing (Husk et al.)"], "Robot")  # unknown choice
    ws.cell(ws.max_row + 1, 1, "999")  # unknown study
    wb.save(path)
    before = _event_rows(project)
    with pytest.raises(SheetError) as err:
        extract_sheets.import_template(project, path, reviewer="MC")
    cells = {(e.study, e.field) for e in err.value.errors}
    assert cells == {(str(ids["Study B"]), "sample_size"), (str(ids["Study B"]), "model"),
                     ("999", None)}  # fmt: skip
    assert "nothing was imported" in str(err.value)
    assert _event_rows(project) == before  # Study A was not half-imported

    ws.cell(b, col["Sample size"], 120)
    ws.cell(b, col["Model of social prescribing (Husk et al.)"], "link worker")
    ws.delete_rows(ws.max_row)
    wb.save(path)
    result = extract_sheets.import_template(project, path, reviewer="MC")
    assert sorted(result.recorded) == sorted(ids.values())
    again = extract_sheets.import_template(project, path, reviewer="MC")
    assert again.recorded == () and len(again.unchanged) == 2
    answers = extract.study_extraction(project, "Study B").answers
    assert answers["model"] == "Link worker" and answers["sample_size"] == 120
    assert extract.study_extraction(project, "Study A").answers["age_mean"] is NR

    # the verifier's copy: prefilled with MC's answers; one changed cell is a proposal
    copy = extract_sheets.write_template(project, tmp_path / "ka.xlsx", prefill="MC")
    wb = load_workbook(copy)
    wb["Extraction"].cell(b, col["Sample size"], 121)
    wb.save(copy)
    checked = extract_sheets.verify_from_template(project, copy, reviewer="KA", of="MC")
    assert [d.field for d in checked[ids["Study B"]].discrepancies] == ["sample_size"]
    assert checked[ids["Study A"]].discrepancies == ()
    assert extract.study_extraction(project, "Study A").status == "final"


def test_revised_form_is_a_new_version_and_old_answers_stay_readable(project: Project) -> None:
    _team(project)
    (sid,) = _studies(project, ["Study A"]).values()
    forms = project.root / "forms"
    forms.mkdir()
    (forms / "f.toml").write_text((DATA / "form_v1.toml").read_text("utf-8"), "utf-8")
    project.settings.extraction = ExtractionSettings(forms=[FormRef(source="forms/f.toml")])
    extract.record_extraction(project, sid, reviewer="MC", answers={"n": 12, "setting": "GP"})
    # editing the file without raising its version is refused
    (forms / "f.toml").write_text(
        (DATA / "form_v1.toml").read_text("utf-8").replace("Setting", "Place"), "utf-8"
    )
    with pytest.raises(InputError, match="has changed since answers were recorded"):
        extract.record_extraction(project, sid, reviewer="CJ", answers={"n": 12})
    (forms / "f.toml").write_text((DATA / "form_v2.toml").read_text("utf-8"), "utf-8")
    project.settings.extraction.forms[0].version = 1
    with pytest.raises(ProjectError, match="expects tiny version 1"):
        extract.form_in_use(project)
    project.settings.extraction.forms[0].version = 2
    old = extract.study_extraction(project, sid)
    assert old.form_version == 1 and old.answers == {"n": 12, "setting": "GP"}
    extract.record_extraction(project, sid, reviewer="MC", answers={"sample_size": 12})
    assert [f.version for f in extract.form_versions(project)] == [1, 2]
    now = extract.study_extraction(project, sid)
    assert now.form_version == 2 and now.answers == {"sample_size": 12}
    assert [(e.field, e.value) for e in now.history] == [("n", 12), ("setting", "GP"),
                                                         ("sample_size", 12)]  # fmt: skip
