"""The web extraction tests' project: webkit's fresh team project taken through screening
to three included studies, with a form file of the team's own that has one field of every
type the form files allow (reviewflow.stages.extraction.FIELD_TYPES).

AB and CD are the reviewers (they extract, pilot and verify), OW owns the project, VW only
reads. The form is added as a team adds one: a file in the project and an
``[[extraction.forms]]`` entry saved as a new protocol version.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from webkit import make_team_project

import reviewflow as rf
from reviewflow.project import Project
from reviewflow.settings import ExtractionSettings, FormRef

FORM_FILE = "forms/characteristics.toml"
FORM = """\
id = "characteristics"
name = "Study characteristics"
version = 1

[[fields]]
id = "country"
label = "Country"
type = "short_text"
required = true
help = "Where the study was done."

[[fields]]
id = "aims"
label = "Aims"
type = "long_text"
help = "The aims as the authors put them."

[[fields]]
id = "sample_size"
label = "Sample size"
type = "integer"
min = 1
required = true
help = "Service users who took part."

[[fields]]
id = "age_mean"
label = "Mean age (years)"
type = "number"
min = 0
max = 120
tolerance = 0.05

[[fields]]
id = "female_percent"
label = "Female (%)"
type = "percentage"

[[fields]]
id = "model"
label = "Model of social prescribing"
type = "single_choice"
choices = ["Link worker", "Direct referral", "Signposting"]
required = true

[[fields]]
id = "methods"
label = "Data collection methods"
type = "multiple_choice"
choices = ["Semi-structured interviews", "Focus groups", "Observation"]

[[fields]]
id = "age_calculated"
label = "Mean age calculated by reviewers"
type = "yes_no_unclear"

[[fields]]
id = "ethnicity"
label = "Ethnicity (n per group)"
type = "repeated"
row_label = "ethnic group"
count_label = "n"

[[checks]]
kind = "rows_total"
field = "ethnicity"
equals_field = "sample_size"
"""

#: The records (of tests/data/web/records.ris) included at both stages: their studies.
INCLUDED = (1, 3, 6)
LABELS = {1: "Hall & Okafor 2019", 3: "Ng & Patel 2020", 6: "Smith & Jones 2016"}

#: One study's answers as a reviewer types them into the page (every field type).
TYPED: dict[str, Any] = {
    "country": "England",
    "aims": "To explore how link workers support adults <b>with</b> anxiety.",
    "sample_size": "19",
    "age_mean": "60.4",
    "female_percent": "63%",
    "model": "Link worker",
    "methods": ["Semi-structured interviews", "Focus groups"],
    "age_calculated": "no",
    "ethnicity": [("White British", "14"), ("Black African", "2")],
}


def add_form(project: Project) -> None:
    """The team's form file in the project, in use from the next protocol version."""
    path = project.root / FORM_FILE
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(FORM, encoding="utf-8")
    project.settings.extraction = ExtractionSettings(forms=[FormRef(source=FORM_FILE, version=1)])
    project.save_settings(changed_by="OW")


def include_studies(project: Project, records: tuple[int, ...] = INCLUDED) -> None:
    """Both screeners include ``records`` at title/abstract and, full texts attached, at
    full text: one included study each."""
    for who in ("AB", "CD"):
        with project.session(actor=who):
            for record in records:
                rf.decide(project, stage="ta", item_id=record, decision="include")
    text = project.root / "full-text.txt"
    text.write_text("Findings: link workers listened.\n", encoding="utf-8")
    with project.session(actor="OW"):
        rf.create_reports(project)
        for record in records:
            rf.attach_full_text(project, record, file=text)
    for who in ("AB", "CD"):
        with project.session(actor=who):
            for record in records:
                rf.decide(project, stage="ft", item_id=record, decision="include")


def make_extraction_project(root: Path, database_url: str = "sqlite:///review.db") -> Project:
    project = make_team_project(root, database_url)
    add_form(project)
    include_studies(project)
    return project


def form_data(answers: dict[str, Any], csrf: str, **extra: str) -> dict[str, Any]:
    """``answers`` (as TYPED) as the extraction page posts them (a list: several values)."""
    out: dict[str, Any] = {"csrf_token": csrf, **extra}
    for field, value in answers.items():
        if field == "ethnicity":
            out[f"f_{field}_label"] = [label for label, _ in value]
            out[f"f_{field}_count"] = [count for _, count in value]
        else:
            out[f"f_{field}"] = value
    return out


#: Canonical answers (as the core takes them) for the screenshots and the pilot tests.
ANSWERS: dict[str, Any] = {
    "country": "England",
    "aims": "To explore how link workers support adults with anxiety.",
    "sample_size": 19,
    "age_mean": 60.4,
    "female_percent": 63,
    "model": "Link worker",
    "methods": ["Semi-structured interviews"],
    "age_calculated": "no",
    "ethnicity": {"White British": 14, "Black African": 2},
}


def prepare_screenshots(project: Project) -> None:
    """Extraction on tools/screenshots.py's project: the form added, the reports with a
    full text included at full text, a pilot by AB and CD on the first study (CD verifies
    AB's and disputes one field), AB's extraction of the second awaiting verification."""
    from reviewflow.stages import studies
    from reviewflow.stages.extraction import project as extract

    add_form(project)
    retrieved = [3, 5]
    for who in ("AB", "CD"):
        with project.session(actor=who):
            for report in retrieved:
                rf.decide(project, stage="ft", item_id=report, decision="include")
    with project.session(actor="OW"):
        ids = [s.id for s in studies.included(project)]
    first, second = ids[0], ids[-1]
    other = ANSWERS | {"sample_size": 18, "methods": ["Semi-structured interviews", "Focus groups"]}
    with project.session(actor="AB"):
        extract.record_extraction(project, first, answers=ANSWERS, pilot=True,
                                  notes={"ethnicity": "3 participants did not say"})  # fmt: skip
        extract.record_extraction(project, second, answers=ANSWERS | {"country": "Wales"})
    with project.session(actor="CD"):
        extract.record_extraction(project, first, answers=other, pilot=True)
        extract.verify(project, first, of="AB", agree_rest=True, checks={
            "sample_size": {"value": 18, "note": "Table 1 lists 18 service users"}})  # fmt: skip
