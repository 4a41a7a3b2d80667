"""The report of a constructed project: formats, declared counts, checks in words."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from click.testing import CliRunner
from docx import Document

from reviewflow.cli import cli
from reviewflow.errors import InputError, ProjectError
from reviewflow.project import Project
from reviewflow.protocol import save_declared
from reviewflow.reports.report import build_report, collect, declared_from_settings
from reviewflow.stages import searches, studies
from reviewflow.stages.synthesis import codes, findings, themes
from reviewflow.stages.synthesis.segments import Block


@pytest.fixture
def project(tmp_path: Path) -> Project:
    p = Project.create(tmp_path / "review", title="A small review")
    searches.add(p, searches.SearchEntry(source="Embase", records_returned=120))
    searches.add(p, searches.SearchEntry(source="MEDLINE", records_returned=80))
    study = studies.add_study(p, "Alpha et al. 2020")
    findings.store_blocks(p, study, [Block("people felt heard")], file_name="a.txt", unit="line")
    seg = findings.list_segments(p)[0]["id"]
    code = codes.create_code(p, "being heard", reviewer="MC")
    codes.apply_code(p, seg, code, reviewer="MC")
    top = themes.create_theme(p, "Care", kind="analytical", description="d", label="1")
    themes.create_theme(
        p, "Listening", kind="descriptive", description="d", label="1.1", parent=top, codes=[code]
    )
    return p


CONSISTENT = {
    "duplicates_removed": 50,
    "records_screened": 150,
    "records_excluded": 140,
    "reports_sought": 10,
    "reports_not_retrieved": 1,
    "reports_assessed": 9,
    "exclusion_reasons": [("Not qualitative", 8)],
    "reports_included": 1,
}


def test_consistent_declared_counts_add_up_and_are_marked(project: Project) -> None:
    data = collect(project, declared=CONSISTENT)
    assert data.prisma.databases_n == 200  # derived from the search log
    assert data.prisma.studies_included == 1  # derived from the study table
    assert data.prisma_problems == []
    assert "records_screened" in data.prisma.declared
    assert "Records screened" in data.figures[0].caption


def test_inconsistent_counts_are_reported_in_words(project: Project, tmp_path: Path) -> None:
    bad = {**CONSISTENT, "records_excluded": 100}
    paths = build_report(project, formats=["md"], out_dir=tmp_path / "out", declared=bad)
    text = paths["md"].read_text(encoding="utf-8")
    assert "The PRISMA counts do not add up:" in text
    assert (
        "- ⚠ Reports sought for retrieval (10) should equal records screened (150) minus "
        "records excluded (100) = 50" in text
    )


def test_all_formats_written_docx_opens_html_self_contained(
    project: Project, tmp_path: Path
) -> None:
    progress: list[str] = []
    paths = build_report(
        project,
        out_dir=tmp_path / "out",
        declared=CONSISTENT,
        progress=lambda step, done, total: progress.append(step),
    )
    assert {"html", "docx", "md", "prisma.csv", "prisma.png", "thematic_tree.svg"} <= set(paths)
    assert progress[0] == "PRISMA counts" and "writing docx" in progress
    html = paths["html"].read_text(encoding="utf-8")
    assert "<svg" in html and "Records screened" in html and "1.1 Listening" in html
    assert not re.search(r"""(src|href)=["'](?!#|data:)""", html), "HTML must need no other file"
    doc = Document(str(paths["docx"]))
    titles = [t.rows[0].cells[1].text for t in doc.tables]
    assert "Source" in titles  # search log as a real Word table
    assert len(doc.inline_shapes) == 2  # PRISMA and thematic tree, embedded
    md = paths["md"].read_text(encoding="utf-8")
    assert (
        "| 1 | Embase | database |" in md
        and "![Figure 1. PRISMA 2020 flow diagram](prisma.png)" in md
    )


def test_declared_counts_round_trip_through_review_toml(project: Project) -> None:
    declared = {
        "duplicates_removed": None,
        "records_screened": 150,
        "exclusion_reasons": [("x", 3), ("y", None)],
    }
    save_declared(project, declared)
    text = (project.root / "review.toml").read_text(encoding="utf-8")
    assert 'duplicates_removed = "not reported"' in text  # TOML has no null
    again = Project.open(project.root)
    assert declared_from_settings(again) == declared
    data = collect(again)
    assert data.prisma.duplicates_removed is None
    assert data.prisma.records_screened == 150
    assert {"duplicates_removed", "records_screened"} <= data.prisma.declared


def test_declared_counts_are_checked_when_review_toml_is_read(project: Project) -> None:
    with pytest.raises(InputError, match="studies: Extra inputs are not permitted"):
        save_declared(project, {"studies": 3})
    config = project.root / "review.toml"
    base = config.read_text(encoding="utf-8")
    config.write_text(base + "\n[report.declared]\nduplicates_removed = -5\n", "utf-8")
    with pytest.raises(ProjectError, match=r"report\.declared\.duplicates_removed"):
        Project.open(project.root)
    config.write_text(base + "\n[report.declared]\nrecords_screend = 10\n", "utf-8")
    with pytest.raises(ProjectError, match=r"report\.declared\.records_screend"):
        Project.open(project.root)


def test_unknown_format_is_refused(project: Project, tmp_path: Path) -> None:
    with pytest.raises(InputError, match="unknown report format pdf"):
        build_report(project, formats=["pdf"], out_dir=tmp_path)


def test_cli_report(project: Project, tmp_path: Path) -> None:
    result = CliRunner().invoke(
        cli, ["-p", str(project.root), "report", "--format", "html,md", "--out", str(tmp_path)]
    )
    assert result.exit_code == 0, result.output
    assert (tmp_path / "report.html").is_file() and not (tmp_path / "report.docx").exists()
    bad = CliRunner().invoke(cli, ["-p", str(project.root), "report", "--format", "odt"])
    assert bad.exit_code == 1 and "unknown report format odt" in bad.output


def test_every_prisma_box_can_be_declared_in_review_toml() -> None:
    from reviewflow.reports.prisma import COUNT_FIELDS, LIST_FIELDS
    from reviewflow.settings import DeclaredCounts

    boxes = {*COUNT_FIELDS, *LIST_FIELDS, "other_methods_screened"}
    assert set(DeclaredCounts.model_fields) == boxes


def test_docx_figures_fit_the_page_even_a_tall_thematic_tree(
    project: Project, tmp_path: Path
) -> None:
    """A tree far taller than the page is scaled down to the page's usable height (it used
    to be set to the page width and run off the bottom, half of it cut)."""
    from docx.shared import Emu

    study = findings.list_segments(project)[0]["study_id"]
    blocks = [Block(f"finding number {i} was reported") for i in range(40)]
    findings.store_blocks(project, study, blocks, file_name="b.txt", unit="line")
    parent = themes.theme_tree(project)[0]["id"]
    for k, seg in enumerate(findings.list_segments(project)[1:]):
        code = codes.create_code(project, f"code {k}", reviewer="MC")
        codes.apply_code(project, seg["id"], code, reviewer="MC")
        if k % 4 == 0:
            name, label = f"Theme {k}", f"1.{k + 2}"
            theme = themes.create_theme(
                project, name, kind="descriptive", description="d", label=label, parent=parent
            )
        themes.group_codes(project, theme, [code])
    paths = build_report(project, formats=["docx"], out_dir=tmp_path / "out")
    doc = Document(str(paths["docx"]))
    section = doc.sections[0]
    usable_w = section.page_width - section.left_margin - section.right_margin
    usable_h = section.page_height - section.top_margin - section.bottom_margin
    shapes = {round(s.width / s.height, 2): s for s in doc.inline_shapes}
    assert len(shapes) == 2  # PRISMA diagram and tree
    tall = shapes[min(shapes)]
    assert Emu(tall.height).cm > Emu(tall.width).cm  # the tree really is taller than wide
    for shape in doc.inline_shapes:
        assert shape.width <= usable_w and shape.height <= usable_h
    assert tall.height > 0.8 * usable_h  # scaled to fit, not shrunk to a stamp
