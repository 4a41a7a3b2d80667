"""PRISMA counts derived from a constructed project: search log, imports, dedup, screening."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from reviewflow.cli import cli
from reviewflow.errors import InputError
from reviewflow.project import Project
from reviewflow.reports.prisma import check
from reviewflow.reports.prisma_project import counts_from_project
from reviewflow.settings import ScreeningSettings
from reviewflow.stages import importing, retrieval, screening, searches
from reviewflow.stages.dedup import project as dedup_project
from reviewflow.stages.searches import SearchEntry

DATA = Path(__file__).parent.parent / "data" / "reports"


def _imported(project: Project) -> Project:
    """Embase 6 + MEDLINE 4 (2 of them the same DOIs) + 2 from citation searching."""
    for source, method, name, n in [
        ("Embase", "database", "embase.ris", 6),
        ("MEDLINE", "database", "medline.ris", 4),
        ("Google Scholar", "citation searching", "citations.ris", 2),
    ]:
        sid = searches.add(
            project,
            SearchEntry(source=source, method=method, records_returned=n),
            export_file=DATA / name,
        )
        importing.run(project, DATA / name, search_id=sid)
    dedup_project.run(project)
    return project


def _screened(project: Project, tmp_path: Path) -> Project:
    """MC screens titles/abstracts and full texts alone; 3 pass, 1 not retrieved, 1 excluded."""
    project.settings.screening = ScreeningSettings.model_validate(
        {
            "reasons": ["not UK-based", "no qualitative data"],
            "ta": {"reviewers": ["MC"]},
            "ft": {"reviewers": ["MC"], "rule": "any_include", "reason_required": True},
        }
    )
    project.save_settings()
    with project.db.connect() as conn:
        state = screening.load_state(conn, project, "ta")
    items = sorted(state.items)
    for k, item in enumerate(items):
        decision = "include" if k < 3 else "exclude"
        screening.decide(project, stage="ta", item_id=item, reviewer="MC", decision=decision)
    r1, r2, r3 = screening.create_reports(project)
    retrieval.not_retrieved(project, r3, reason="no library access", reviewer="MC")
    for k, rid in enumerate((r1, r2)):
        pdf = tmp_path / f"paper{k}.pdf"
        pdf.write_bytes(b"%PDF-1.4 full text " + str(k).encode())
        retrieval.retrieve(project, rid, file=pdf, reviewer="MC")
    screening.decide(project, stage="ft", item_id=r1, reviewer="MC", decision="include")
    screening.decide(
        project, stage="ft", item_id=r2, reviewer="MC", decision="exclude", reason="not UK-based"
    )
    return project


def test_identification_and_duplicates_come_from_the_store(project: Project) -> None:
    counts = counts_from_project(_imported(project))
    assert counts.databases == [("Embase", 6), ("MEDLINE", 4)]
    assert counts.other_methods == [("Citation searching", 2)]
    assert counts.other_methods_screened  # imported, so deduplicated and screened with the rest
    assert counts.duplicates_removed == 2
    assert counts.records_identified == 12
    assert counts.records_screened is None  # no screening plan: left to declared counts
    assert counts.declared == set()
    assert check(counts) == []


def test_screening_counts_and_a_diagram_that_adds_up(project: Project, tmp_path: Path) -> None:
    counts = counts_from_project(_screened(_imported(project), tmp_path))
    assert (counts.records_screened, counts.records_excluded) == (10, 7)
    assert (counts.reports_sought, counts.reports_not_retrieved) == (3, 1)
    assert counts.reports_assessed == 2
    assert counts.exclusion_reasons == [("not UK-based", 1)]
    assert (counts.studies_included, counts.reports_included) == (1, 1)
    assert check(counts) == []
    assert counts.notes == []


def test_the_report_derives_each_screening_stage_once(
    project: Project, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from reviewflow.reports.report import collect
    from reviewflow.stages.screening import state

    _screened(_imported(project), tmp_path)
    expected = counts_from_project(project)
    derived: list[str] = []
    real = state._derive

    def counting(conn, project, stage, **kw):  # type: ignore[no-untyped-def]
        derived.append(stage)
        return real(conn, project, stage, **kw)

    monkeypatch.setattr(state, "_derive", counting)
    data = collect(project)
    # counts, stopping rule and agreement share one title/abstract and one full-text state
    assert sorted(derived) == ["ft", "ta"]
    assert data.prisma == expected
    derived.clear()
    counts_from_project(project)  # outside a report nothing is kept between calls
    counts_from_project(project)
    assert derived == ["ta", "ft", "ta", "ft"]


def test_a_logged_search_that_was_never_imported_breaks_the_sum(project: Project) -> None:
    _imported(project)
    entry = SearchEntry(source="ClinicalTrials.gov", method="register", records_returned=3)
    searches.add(project, entry)
    counts = counts_from_project(project, declared={"records_screened": 10})
    assert counts.registers == [("ClinicalTrials.gov", 3)]
    assert check(counts) == [
        "Records screened (10) should equal records identified (15: 13 from databases and "
        "registers and 2 from other methods) minus duplicates removed (2) minus automation "
        "exclusions (0) minus other removals (0) = 13"
    ]


def test_declared_counts_replace_derived_ones_and_are_marked(project: Project) -> None:
    counts = counts_from_project(
        _imported(project),
        declared={
            "databases_total": 51965,
            "duplicates_removed": 10000,
            "exclusion_reasons": [("not UK-based", 120), ("no qualitative data", 98)],
        },
    )
    assert counts.databases_n == 51965
    assert counts.databases == [("Embase", None), ("MEDLINE", None)]  # names kept
    assert counts.duplicates_removed == 10000
    assert counts.reports_excluded_n == 218
    assert {"databases_total", "duplicates_removed", "exclusion_reasons"} <= counts.declared
    with pytest.raises(InputError, match="not a box of the PRISMA diagram"):
        counts_from_project(project, declared={"studies": 3})
    with pytest.raises(InputError, match="whole number"):
        counts_from_project(project, declared={"duplicates_removed": -1})


def test_prisma_command_writes_files_and_reports_problems(project: Project, tmp_path: Path) -> None:
    _imported(project)
    out = tmp_path / "figures"
    runner = CliRunner()
    result = runner.invoke(
        cli,
        [
            "--project", str(project.root), "prisma", "--format", "svg,csv", "--out", str(out),
            "--template", "updated", "--declare", "previous_studies=4",
            "--declare", "previous_reports=5", "--declare", "records_screened=9", "--json",
        ],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert sorted(data["files"]) == ["csv", "svg"]
    assert (out / "prisma.svg").read_text(encoding="utf-8").startswith("<?xml")
    assert data["problems"][0].startswith("Records screened (9) should equal records identified")
    assert data["counts"]["previous_studies"] == 4
    bad = runner.invoke(cli, ["--project", str(project.root), "prisma", "--declare", "x"])
    assert bad.exit_code == 1
    assert "is not KEY=N" in bad.output
