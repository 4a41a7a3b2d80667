"""No record text reaches a spreadsheet as a live formula, and our sheets still round-trip."""

from __future__ import annotations

import csv
import io
import zipfile
from pathlib import Path

from click.testing import CliRunner
from hypothesis import given, settings
from hypothesis import strategies as st
from openpyxl import load_workbook

from reviewflow import cells
from reviewflow.cli import cli
from reviewflow.formats import tabular
from reviewflow.project import Project
from reviewflow.records import Record
from reviewflow.stages import screening
from reviewflow.store import queries, screening_queries

EVIL = '=HYPERLINK("http://evil.example","x")'


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet=st.sampled_from("'=+-@\t\r1.5ea xE%"), max_size=8) | st.text())
def test_escape_is_undone_exactly(text: str) -> None:
    escaped = cells.escape(text)
    assert cells.unescape(escaped) == text
    bare = escaped.lstrip("'")
    assert escaped == text or escaped.startswith("'")
    assert not escaped.startswith(cells.DANGEROUS) or cells._NUMBER.fullmatch(bare)


def test_numbers_stay_numbers() -> None:
    assert [cells.escape(v) for v in ("-3.5", "+44", "-1e3", "12%", 7)] == [
        "-3.5", "+44", "-1e3", "12%", 7,
    ]  # fmt: skip
    assert [cells.escape(v) for v in (EVIL, "+x", "-abc", "@SUM(A1)", "\tx", "\rx")] == [
        "'" + v for v in (EVIL, "+x", "-abc", "@SUM(A1)", "\tx", "\rx")
    ]


def _add(project: Project, record: Record) -> int:
    with project.db.transaction() as conn:
        import_id = queries.insert_import(
            conn,
            values={"file_name": "x.ris", "file_sha256": "0" * 64, "format": "ris",
                    "records_read": 1, "warnings": []},
        )  # fmt: skip
        queries.insert_records(conn, import_id=import_id, items=[record])
    with project.db.connect() as conn:
        return next(queries.iter_records(conn, import_id=import_id)).id  # type: ignore[return-value]


def test_export_csv_quotes_formulas_and_reads_back_losslessly(
    project: Project, tmp_path: Path
) -> None:
    rec = Record(title=EVIL, authors=["-Smith, J"], year=2020, pages="-3.5",
                 abstract="'=already quoted", raw="x", extra={"+Note": ["@me"]})  # fmt: skip
    _add(project, rec)
    out = tmp_path / "out.csv"
    result = CliRunner().invoke(cli, ["-p", str(project.root), "export", str(out)])
    assert result.exit_code == 0, result.output
    row = next(csv.DictReader(out.open(encoding="utf-8", newline="")))
    assert row["title"] == "'" + EVIL  # shown as text by Excel / LibreOffice
    assert row["authors"].startswith("'-Smith")
    assert (row["year"], row["pages"]) == ("2020", "-3.5")  # numbers are left alone
    assert row["'+Note"] == "'@me"
    back = tabular.loads(out.read_text(encoding="utf-8"), file="out.csv").records[0]
    assert (back.title, back.authors, back.pages, back.abstract) == (
        EVIL, ["-Smith, J"], "-3.5", "'=already quoted",
    )  # fmt: skip
    assert back.extra["+Note"] == ["@me"]


def test_a_users_csv_keeps_its_quotes(tmp_path: Path) -> None:
    """Only our own export (first column record_id) is unescaped; a user's file is data."""
    text = "title,notes\n'=x,'-y\n"
    rec = tabular.loads(text).records[0]
    assert (rec.title, rec.extra["notes"]) == ("'=x", ["'-y"])


def test_screening_sheet_quotes_titles_and_notes_round_trip(
    project: Project, tmp_path: Path
) -> None:
    from stages.screening.test_screening_setup import seed_team

    seed_team(project)
    rid = _add(project, Record(title=EVIL, raw="x"))
    screening.decide(project, stage="ta", item_id=rid, reviewer="MC", decision="maybe",
                     note="-check the =sample")  # fmt: skip
    sheet = screening.export_sheet(project, stage="ta", reviewer="MC")
    row = next(csv.DictReader(io.StringIO(sheet)))
    assert (row["title"], row["note"]) == ("'" + EVIL, "'-check the =sample")
    path = tmp_path / "mc.csv"
    path.write_text(sheet, encoding="utf-8")
    again = screening.import_sheet(project, path)
    assert (again.recorded, again.unchanged) == (0, 1)  # the note came back as it was


def test_extract_template_never_holds_a_formula(tmp_path: Path) -> None:
    args = ["init", str(tmp_path / "p"), "--title", "T", "--reviewer", "MC:M Cooper"]
    assert CliRunner().invoke(cli, args).exit_code == 0
    with (tmp_path / "p" / "review.toml").open("a", encoding="utf-8") as fh:
        fh.write('\n[[extraction.forms]]\nsource = "social_prescribing"\n')
    project = Project.open(tmp_path / "p")
    with project.db.transaction() as conn:
        screening_queries.insert_study(conn, label=EVIL)
    project.close()
    out = tmp_path / "mc.xlsx"
    result = CliRunner().invoke(cli, ["-p", str(tmp_path / "p"), "extract", "template",
                                      "-o", str(out)])  # fmt: skip
    assert result.exit_code == 0, result.output
    with zipfile.ZipFile(out) as z:
        assert "<f>" not in z.read("xl/worksheets/sheet1.xml").decode()
    cell = load_workbook(out)["Extraction"]["B3"]
    assert (cell.value, cell.data_type) == (EVIL, "s")
