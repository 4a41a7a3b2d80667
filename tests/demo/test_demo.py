"""``reviewflow demo`` end to end: the seed review rebuilt, its figures recomputed."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from click.testing import CliRunner
from docx import Document

from reviewflow.cli import cli
from reviewflow.reports.report import ReportData


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, ReportData]:
    from reviewflow import demo as demo_mod

    root = tmp_path_factory.mktemp("demo") / "demo-review"
    project, data, _ = demo_mod.run(root)
    project.close()
    return root, data


def _statement(data: ReportData, claim: str):
    return next(s for s in data.statements if s.claim.startswith(claim))


@pytest.mark.parametrize(
    ("claim", "value"),
    [
        ("Databases searched", "9"),
        ("Records from electronic searches", "51,965"),
        ("Records from hand and citation searching", "109"),
        ("Full texts assessed", "288"),
        ("Studies included", "6"),
        ("Studies in England / Scotland / Wales", "4 / 1 / 1"),
        ("Link worker / direct referral model", "5 / 1"),
        ("Data after / during / during and after engagement", "3 / 1 / 2"),
        ("Referred for social isolation and/or loneliness", "4"),
        ("Mean age range (years)", "47 to 77"),
        ("Studies without age data", "2"),
        ("Even / more female / more male", "2 / 2 / 2"),
        ("Studies reporting ethnicity", "3"),
        ("British and/or White", "54"),
        ("Black Minority Ethnic / White-Irish / Asian", "5 / 1 / 1"),
        ("Studies reporting employment", "3"),
        ("Employed / retired / unemployed", "16 / 34 / 23"),
        ("CASP scores equal to Table 1", "6 of 6"),
        ("Score range", "15 to 20"),
        ("Very valuable / valuable", "5 / 1"),
        ("Researcher-participant relationship considered (Q6)", "1"),
        ("Ethical statement (Q7)", "4"),
        ("Rigorous data analysis (Q8)", "5"),
        ("Analytical themes", "2"),
        ("Descriptive themes", "7"),
        ("Studies reporting theme 1.1", "6"),
        ("Studies reporting theme 1.3", "4"),
        ("Studies reporting theme 1.4", "2"),
        ("Studies reporting theme 2.1", "5"),
        ("Studies reporting theme 2.2", "6"),
        ("Studies reporting theme 2.3", "6"),
    ],
)
def test_seed_figure_is_computed(demo: tuple[Path, ReportData], claim: str, value: str) -> None:
    s = _statement(demo[1], claim)
    assert (s.stated, s.computed, s.agrees) == (value, value, True)


def test_only_the_seeds_own_inconsistencies_are_not_reproduced(
    demo: tuple[Path, ReportData],
) -> None:
    missed = [s.claim for s in demo[1].statements if not s.agrees]
    assert len(missed) == 3, missed


@pytest.mark.parametrize(
    ("claim", "stated", "computed"),
    [
        ("Combined sample size", "220", "221"),
        ("Descriptive themes announced for analytical theme 1", "5", "4"),
        ("Codes", "10", "20"),
    ],
)
def test_seed_numbers_that_do_not_add_up_are_said(
    demo: tuple[Path, ReportData], claim: str, stated: str, computed: str
) -> None:
    s = _statement(demo[1], claim)
    assert (s.stated, s.computed, s.agrees) == (stated, computed, False)


def test_table1_and_prisma_of_the_demo(demo: tuple[Path, ReportData]) -> None:
    data = demo[1]
    t1 = data.table("Table 1")
    assert t1.column("Sample size") == ["16", "30", "19", "24", "120", "12"]
    assert t1.column("Quality score")[0] == "19 [very valuable]"
    assert t1.column("Study")[:2] == ["Stickley et al. 2012 [24]", "Moffatt et al. 2017 [21]"]
    assert (
        "Kellezi et al. 2019 [7]: female_percent 63 + male_percent 32 = 95, not 100 "
        "(as reported)." in t1.warnings
    )
    assert "The text states a total sample size of 220; the 6 studies add up to 221." in t1.warnings
    c = data.prisma
    assert (c.databases_n, c.reports_assessed, c.reports_excluded_n, c.studies_included) == (
        51965, 288, 282, 6,
    )  # fmt: skip
    assert {"databases_total", "reports_assessed", "exclusion_reasons"} <= c.declared
    # the six included reports went through the full-text stage: derived, not declared
    assert not {"studies_included", "reports_included"} & c.declared
    assert c.reports_included == 6
    assert c.duplicates_removed is None  # dedup ran in EndNote: unknown, not zero
    assert c.records_screened is None and "records_screened" in c.declared  # not given
    assert data.prisma_problems == []
    agreement = data.table("Agreement")
    assert agreement.column("Stage") == [
        "Full-text screening",
        "Data extraction (pilot)",
        "Quality appraisal",
    ]
    assert agreement.column("Reviewers")[1:] == ["MC, CJ", "JS, MC"]


def test_demo_files(demo: tuple[Path, ReportData]) -> None:
    reports = demo[0] / "reports"
    html = (reports / "report.html").read_text(encoding="utf-8")
    assert html.count("<svg") == 3  # PRISMA, traffic light, tree: inline
    assert not re.search(r"""(src|href)=["'](?!#|data:)""", html)
    assert "declared" in html and "220" in html and "221" in html
    doc = Document(str(reports / "report.docx"))
    assert len(doc.inline_shapes) == 3
    table1 = next(t for t in doc.tables if t.rows[0].cells[0].text == "Study"
                  and t.rows[0].cells[1].text == "Country")  # fmt: skip
    assert [r.cells[0].text for r in table1.rows[1:3]] == [
        "Stickley et al. 2012 [24]",
        "Moffatt et al. 2017 [21]",
    ]
    csv = (reports / "prisma.csv").read_text(encoding="utf-8").splitlines()
    assert csv[0] == "data,node,box,description,boxtext,tooltips,url,n"
    assert any(line.startswith("database_results,") and line.endswith(",51965") for line in csv)


def test_demo_records_every_stage_in_the_store(demo: tuple[Path, ReportData]) -> None:
    from reviewflow.project import Project
    from reviewflow.stages import screening
    from reviewflow.stages.appraisal import project as appraise
    from reviewflow.stages.extraction import project as extract

    project = Project.open(demo[0])
    try:
        ft = screening.counts(project)
        assert (ft["reports_included"], ft["studies_included"]) == (6, 6)
        pilot = extract.pilot_report(project, reviewers=("MC", "CJ"))
        assert len(pilot.studies) == 3
        history = [
            (e.action, e.reviewer, e.value)
            for e in extract.study_extraction(project, "Kellezi et al. 2019 [7]").history
            if e.field == "male_percent"
        ]
        assert history == [("pilot extracted", "MC", 32), ("pilot extracted", "CJ", 32),
                           ("proposed", "KA", 37), ("resolved", "MC", 32)]  # fmt: skip
        assert extract.discrepancies(project) == []
        scores = [r["score"] for r in appraise.appraisal_table(project)]
        assert scores == [19, 18, 17, 18, 15, 20]  # the published CASP scores, Table 1 order
        assert appraise.agreement(project).appraisers == ("JS", "MC")
    finally:
        project.close()


def test_cli_demo_and_report_in_the_demo_folder(tmp_path: Path) -> None:
    runner = CliRunner()
    result = runner.invoke(cli, ["demo", str(tmp_path / "d"), "--format", "md,html"])
    assert result.exit_code == 0, result.output
    assert "32 of 35 figures stated in the review are reproduced" in result.output
    again = runner.invoke(
        cli,
        ["-p", str(tmp_path / "d"), "report", "--format", "md,html", "--out", str(tmp_path / "r")],
    )
    assert again.exit_code == 0, again.output
    # everything lives in the project (store + review.toml): a later report is the same
    first = tmp_path / "d" / "reports"
    names = sorted(p.name for p in first.iterdir() if p.suffix != ".png")
    assert {"report.md", "report.html", "prisma.csv", "appraisal_traffic_light.svg"} <= set(names)
    for name in names:
        assert (tmp_path / "r" / name).read_bytes() == (first / name).read_bytes(), name
    csv = (tmp_path / "r" / "prisma.csv").read_text(encoding="utf-8")
    assert "Reasons not reported in the publication" in csv and ",51965" in csv
    md = (tmp_path / "r" / "report.md").read_text(encoding="utf-8")
    assert "| Stickley et al. 2012 [24] | England | 16 |" in md


def test_figures_are_numbered_in_reading_order_in_every_format(
    demo: tuple[Path, ReportData],
) -> None:
    """Figure 1, 2, 3 as the reader meets them (the appraisal chart used to be "Figure 3"
    before the tree's "Figure 2")."""
    reports = demo[0] / "reports"
    html = (reports / "report.html").read_text(encoding="utf-8")
    md = (reports / "report.md").read_text(encoding="utf-8")
    doc = Document(str(reports / "report.docx"))
    docx = "\n".join(p.text for p in doc.paragraphs)
    html_numbers = [int(n) for n in re.findall(r"<figcaption><b>Figure (\d+)\.", html)]
    md_numbers = [int(n) for n in re.findall(r"^\*Figure (\d+)\.", md, re.MULTILINE)]
    docx_numbers = [int(n) for n in re.findall(r"^Figure (\d+)\.", docx, re.MULTILINE)]
    assert html_numbers == md_numbers == docx_numbers == [1, 2, 3]
    assert re.search(r"Figure 2\. Quality appraisal", md) and "Figure 3. Thematic tree" in md


def test_the_readme_shows_the_demos_screening_plans(demo: tuple[Path, ReportData]) -> None:
    """The plan a user reads in the README is the one ``reviewflow demo`` writes, and
    both are the seed's: LA arbitrates at both stages, no ranking."""
    import tomllib

    from reviewflow.settings import ScreeningSettings

    readme = (Path(__file__).parents[2] / "README.md").read_text(encoding="utf-8")
    heading = readme.index("## The seed review's screening plans")
    block = re.search(r"```toml\n(.*?)```", readme[heading:], re.DOTALL).group(1)
    shown = ScreeningSettings.model_validate(tomllib.loads(block)["screening"])
    written = tomllib.loads((demo[0] / "review.toml").read_text(encoding="utf-8"))["screening"]
    assert ScreeningSettings.model_validate(written) == shown
    assert (shown.ta.rule, shown.ta.ranking, shown.ta.arbiter) == (
        "unanimous_else_arbiter", False, "LA",
    )  # fmt: skip
