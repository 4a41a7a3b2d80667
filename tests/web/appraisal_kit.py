"""Appraisal tests' helpers: the team project of webkit with studies included at full text.

The team (webkit.TEAM) screens as a new team would: AB and CD include records 1, 3 and 5
at title/abstract, the reports get their full texts and both include them at full text,
so three studies are included ("Hall & Okafor 2019", "Ng & Patel 2020", "Evans 2021").
The owner then sets the seed's scheme (Yes = 2, Can't tell = 1, No = 0 of 20, bands
> 15 / 10-15 / < 10) and names AB and CD as the two appraisers, as review.toml would.
"""

from __future__ import annotations

from pathlib import Path

import reviewflow as rf
from reviewflow.project import Project
from reviewflow.settings import AppraisalSettings
from reviewflow.stages import studies

INCLUDED_RECORDS = (1, 3, 5)
APPRAISERS = ("AB", "CD")
ALL_YES = {f"q{i}": "yes" for i in range(1, 11)}
#: AB's and CD's answers to the first study: they differ on Q6 and Q8.
AB_ANSWERS = {**ALL_YES, "q6": "cant_tell", "q8": "yes"}
CD_ANSWERS = {**ALL_YES, "q6": "no", "q8": "cant_tell"}


def make_appraisal_project(
    root: Path, database_url: str = "sqlite:///review.db", *, name_appraisers: bool = True
) -> Project:
    """webkit's team project with three included studies and the seed's scoring."""
    from webkit import make_team_project

    project = make_team_project(root, database_url)
    pdf = root.parent / "full text.pdf"
    pdf.write_bytes(b"%PDF-1.4\n%%EOF\n")
    for who in APPRAISERS:
        with project.session(actor=who):
            for record in INCLUDED_RECORDS:
                rf.decide(project, stage="ta", item_id=record, decision="include")
    with project.session(actor="AB"):
        rf.create_reports(project)
        for report in INCLUDED_RECORDS:  # a report keeps its record's id
            rf.attach_full_text(project, report, file=pdf)
    for who in APPRAISERS:
        with project.session(actor=who):
            for report in INCLUDED_RECORDS:
                rf.decide(project, stage="ft", item_id=report, decision="include")
    _seed_scheme(project, name_appraisers=name_appraisers)
    return project


def _seed_scheme(project: Project, *, name_appraisers: bool = True) -> None:
    project.settings.appraisal = AppraisalSettings(
        scheme="weighted_bands", appraisers=list(APPRAISERS) if name_appraisers else []
    )
    project.save_settings(changed_by="OW")


def prepare_screenshots(project: Project, report: int) -> int:
    """For tools/screenshots.py: ``report`` (retrieved) included at full text by AB and CD,
    and its study appraised by both, differing on Q6 and Q8; returns the study id."""
    for who in APPRAISERS:
        with project.session(actor=who):
            rf.decide(project, stage="ft", item_id=report, decision="include")
    _seed_scheme(project)
    with project.session(actor="OW", write=False):
        study = next(s.id for s in studies.included(project) if report in s.report_ids)
    appraise_as(project, "AB", study, AB_ANSWERS)
    appraise_as(project, "CD", study, CD_ANSWERS)
    return study


def included_ids(project: Project) -> dict[str, int]:
    """label -> study id of the included studies."""
    with project.session(actor="OW", write=False):
        return {s.label: s.id for s in studies.included(project)}


def appraise_as(project: Project, who: str, study: int, answers: dict[str, str]) -> None:
    """Record ``who``'s own appraisal through the same core call the page makes."""
    from reviewflow.stages.appraisal import blind

    with project.session(actor=who):
        blind.save_own(project, study, answers=answers)
