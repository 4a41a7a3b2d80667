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
    from reviewflow.stages import demo as demo_mod

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
    ],
)
def test_seed_figure_is_computed(demo: tuple[Path, ReportData], claim: str, value: str) -> None:
    s = _statement(demo[1], claim)
    assert (s.stated, s.computed, s.agrees) == (value, value, True)


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
    assert (
        "Kellezi et al. 2019: female_percent 63 + male_percent 32 = 95, not 100 (as reported)."
        in t1.warnings
    )
    assert "The text states a total sample size of 220; the 6 studies add up to 221." in t1.warnings
    c = data.prisma
    assert (c.databases_n, c.reports_assessed, c.reports_excluded_n, c.studies_included) == (
        51965, 288, 282, 6,
    )  # fmt: skip
    assert {"databases_total", "reports_assessed", "exclusion_reasons"} <= c.declared
    assert "studies_included" not in c.declared  # derived from the project's studies
    assert c.duplicates_removed is None  # dedup ran in EndNote: unknown, not zero
    assert data.table("Appraisal").warnings == []  # every published CASP score reproduced
    agreement = data.table("Agreement")
    assert agreement.column("Stage") == ["Data extraction (pilot)", "Quality appraisal"]


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
        "Stickley et al. 2012",
        "Moffatt et al. 2017",
    ]
    csv = (reports / "prisma.csv").read_text(encoding="utf-8").splitlines()
    assert csv[0] == "data,node,box,description,boxtext,tooltips,url,n"
    assert any(line.startswith("database_results,") and line.endswith(",51965") for line in csv)


def test_cli_demo_and_report_in_the_demo_folder(tmp_path: Path) -> None:
    runner = CliRunner()
    result = runner.invoke(cli, ["demo", str(tmp_path / "d"), "--format", "md"])
    assert result.exit_code == 0, result.output
    assert "26 of 35 figures stated in the review are reproduced" in result.output
    again = runner.invoke(cli, ["-p", str(tmp_path / "d"), "report", "--format", "md"])
    assert again.exit_code == 0, again.output
    # the declared totals live in review.toml, so a later report redraws the same boxes
    csv = (tmp_path / "d" / "reports" / "prisma.csv").read_text(encoding="utf-8")
    assert "Reasons not reported in the publication" in csv and ",51965" in csv
