"""``reviewflow extract ...`` as a user meets it: template, import, pilot, verify, resolve."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner
from openpyxl import load_workbook

from reviewflow.cli import cli
from reviewflow.project import Project
from reviewflow.store import screening_queries


@pytest.fixture
def proj(tmp_path: Path) -> Path:
    args = ["init", str(tmp_path / "p"), "--title", "Social prescribing"]
    for member in ("MC:M Cooper", "CJ:C Jordan", "KA:K A"):
        args += ["--reviewer", member]
    assert CliRunner().invoke(cli, args).exit_code == 0
    with (tmp_path / "p" / "review.toml").open("a", encoding="utf-8") as fh:
        fh.write('\n[[extraction.forms]]\nsource = "social_prescribing"\n')  # the seed's form
    project = Project.open(tmp_path / "p")
    with project.db.transaction() as conn:
        for label in ("Stickley et al. 2012", "Moffatt et al. 2017"):
            screening_queries.insert_study(conn, label=label)
    project.close()
    return tmp_path / "p"


def run(proj: Path, *args: str) -> object:
    return CliRunner().invoke(cli, ["-p", str(proj), *args])


def fill(path: Path, values: dict[tuple[str, str], object]) -> None:
    """Set cells by (study id, column header without the required star)."""
    wb = load_workbook(path)
    ws = wb["Extraction"]
    col = {str(c.value).removesuffix(" *"): c.column for c in ws[1]}
    row = {str(ws.cell(r, 1).value): r for r in range(3, ws.max_row + 1)}
    for (study, header), value in values.items():
        ws.cell(row[study], col[header], value)
    wb.save(path)


BASE = {
    "Country": "England",
    "Sample size": 16,
    "Model of social prescribing (Husk et al.)": "Direct referral",
    "Timing of data collection": "After engagement",
}


def test_extract_verify_resolve_show(proj: Path, tmp_path: Path) -> None:
    sheet = tmp_path / "mc.xlsx"
    assert run(proj, "extract", "template", "-o", str(sheet)).exit_code == 0
    fill(sheet, {(s, k): v for s in ("1", "2") for k, v in BASE.items()})
    result = run(proj, "extract", "import", str(sheet), "--reviewer", "MC", "--json")
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["recorded"] == [1, 2]

    result = run(
        proj,
        "extract",
        "verify",
        "Moffatt et al. 2017",
        "--reviewer",
        "KA",
        "--agree-all",
        "--propose",
        "sample_size=30",
        "--note",
        "sample_size=Table 1",
    )
    assert result.exit_code == 0, result.output
    assert "1 discrepancies" in result.output
    result = run(proj, "extract", "show", "--discrepancies", "--json")
    assert json.loads(result.stdout) == [
        {
            "study": 2,
            "field": "sample_size",
            "extracted": "16",
            "proposed": "30",
            "verifier": "KA",
            "note": "Table 1",
        }
    ]
    result = run(proj, "extract", "resolve", "2", "--reviewer", "MC", "--accept", "sample_size")
    assert result.exit_code == 0, result.output
    result = run(proj, "extract", "show", "2", "--history", "--json")
    data = json.loads(result.stdout)
    assert data["status"] == "final" and data["answers"]["sample_size"] == "30"
    trail = [(e["action"], e["value"]) for e in data["history"] if e["field"] == "sample_size"]
    assert trail == [("extracted", "16"), ("proposed", "30"), ("resolved", "30")]
    result = run(proj, "extract", "show", "--json")
    assert [r["status"] for r in json.loads(result.stdout)] == ["extracted", "final"]


def test_bad_cells_exit_1_and_nothing_is_imported(proj: Path, tmp_path: Path) -> None:
    sheet = tmp_path / "mc.xlsx"
    run(proj, "extract", "template", "-o", str(sheet))
    fill(sheet, {**{("1", k): v for k, v in BASE.items()}, ("2", "Sample size"): "sixteen"})
    result = run(proj, "extract", "import", str(sheet), "--reviewer", "MC")
    assert result.exit_code == 1
    assert "nothing was imported" in result.output
    assert "(study 2, sample_size): expected a whole number" in result.output
    assert "Traceback" not in result.output
    shown = json.loads(run(proj, "extract", "show", "--json").stdout)
    assert {r["status"] for r in shown} == {"not extracted"}
    result = run(proj, "extract", "import", str(sheet), "--reviewer", "XX")
    assert result.exit_code == 1 and "unknown reviewer 'XX'" in result.output


def test_pilot_agreement_per_field(proj: Path, tmp_path: Path) -> None:
    for reviewer, timing in (("MC", "After engagement"), ("CJ", "During engagement")):
        sheet = tmp_path / f"{reviewer}.xlsx"
        run(proj, "extract", "template", "-o", str(sheet))
        fill(
            sheet,
            {**{("1", k): v for k, v in BASE.items()}, ("1", "Timing of data collection"): timing},
        )
        result = run(proj, "extract", "import", str(sheet), "--reviewer", reviewer, "--pilot")
        assert result.exit_code == 0, result.output
    result = run(proj, "extract", "pilot", "--reviewers", "MC", "CJ", "--json")
    assert result.exit_code == 0, result.output
    fields = {f["field"]: f for f in json.loads(result.stdout)["fields"]}
    assert (fields["country"]["agreed"], fields["country"]["compared"]) == (1, 1)
    assert fields["timing"]["disagreements"] == [
        {"study": 1, "first": "After engagement", "second": "During engagement"}
    ]
    result = run(proj, "extract", "verify", "1", "--reviewer", "KA", "--agree-all")
    assert result.exit_code == 1 and "--of" in result.output
