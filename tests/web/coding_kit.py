"""The coding tests' project: the team project of webkit.py, screened to two included
studies as a team would (AB and CD include records 1 and 3 at title/abstract and their
reports at full text, each report with a findings text attached), one study's findings
read into segments, the other's left for the page to read.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from webkit import DATA, make_team_project

from reviewflow.project import Project
from reviewflow.stages import retrieval, screening
from reviewflow.stages import studies as studies_mod
from reviewflow.stages.synthesis import findings

HALL = DATA / "findings_hall.txt"
ARTS = DATA / "findings_arts.txt"


@dataclass
class CodingProject:
    project: Project
    hall: int  # study id, findings segmented
    arts: int  # study id, full text attached, findings not read yet


def make_coding_project(root: Path, database_url: str = "sqlite:///review.db") -> CodingProject:
    project = make_team_project(root, database_url)
    for who in ("AB", "CD"):
        with project.session(actor=who):
            for record in (1, 3):
                screening.decide(project, stage="ta", item_id=record, decision="include")
    with project.session(actor="AB"):
        reports = screening.create_reports(project)
        for report, path in zip(reports, (HALL, ARTS), strict=True):
            retrieval.attach_bytes(project, report, path.read_bytes(), file_name=path.name)
    for who in ("AB", "CD"):
        with project.session(actor=who):
            for report in reports:
                screening.decide(project, stage="ft", item_id=report, decision="include")
    with project.session(actor="OW"):
        included = studies_mod.included(project)
        hall, arts = included[0].id, included[1].id
        findings.import_findings(project, hall)
    return CodingProject(project, hall, arts)
