"""A project with two studies and their findings segmented, for the synthesis tests."""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from reviewflow.project import Project
from reviewflow.stages import studies as studies_mod
from reviewflow.stages.synthesis import findings
from reviewflow.stages.synthesis.segments import Block


@dataclass
class Coded:
    project: Project
    studies: dict[str, int]
    segs: dict[str, int]  # first words of the text → segment id


@pytest.fixture
def coded(project: Project) -> Coded:
    studies = {
        label: studies_mod.add_study(project, label) for label in ("Moffatt 2017", "Wildman 2019")
    }
    findings.store_blocks(
        project,
        studies["Moffatt 2017"],
        [
            Block("Service users trusted their link worker. Goals were set together.", page=4),
            Block("“She really listened to me.” (P3)", page=4),
            Block("Peer groups reduced loneliness.", page=5),
        ],
        file_name="moffatt.txt",
    )
    findings.store_blocks(
        project,
        studies["Wildman 2019"],
        [Block("Trust in the link worker grew slowly. Health shocks stopped attendance.", page=2)],
        file_name="wildman.txt",
    )
    segs = {s["text"].split()[0].strip("“"): s["id"] for s in findings.list_segments(project)}
    return Coded(project, studies, segs)
