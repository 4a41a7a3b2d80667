"""Hostile files given to ``import`` and the sheet readers fail fast with a clear error
naming the file and the limit, and leave the project as it was (issue 20, point 6)."""

from __future__ import annotations

import io
import os
import struct
import time
import zipfile
from pathlib import Path

import pytest
from click.testing import CliRunner

from reviewflow.cli import cli
from reviewflow.project import Project

RIS_OK = "TY  - JOUR\nTI  - A fine title\nPY  - 2020\nER  - \n"
NEEDS_FIFO = pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no FIFOs here")

_CT = (
    '<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/'
    'package/2006/content-types"><Default Extension="rels" ContentType="application/'
    'vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" ContentType='
    '"application/xml"/><Override PartName="/xl/workbook.xml" ContentType="application/'
    'vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/><Override PartName='
    '"/xl/worksheets/sheet1.xml" ContentType="application/vnd.openxmlformats-officedocument.'
    'spreadsheetml.worksheet+xml"/></Types>'
)
_RELS = (
    '<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats'
    '.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.'
    'openxmlformats.org/officeDocument/2006/relationships/officeDocument" '
    'Target="xl/workbook.xml"/></Relationships>'
)
_WB = (
    '<?xml version="1.0" encoding="UTF-8"?><workbook xmlns="http://schemas.openxmlformats.org/'
    'spreadsheetml/2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/'
    'relationships"><sheets><sheet name="S" sheetId="1" r:id="rId1"/></sheets></workbook>'
)
_WB_RELS = (
    '<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats'
    '.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.'
    'openxmlformats.org/officeDocument/2006/relationships/worksheet" '
    'Target="worksheets/sheet1.xml"/></Relationships>'
)


def _cell(ref: str, text: str) -> str:
    return f'<c r="{ref}" t="inlineStr"><is><t>{text}</t></is></c>'


def _xlsx(sheet_xml: str) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("[Content_Types].xml", _CT)
        z.writestr("_rels/.rels", _RELS)
        z.writestr("xl/workbook.xml", _WB)
        z.writestr("xl/_rels/workbook.xml.rels", _WB_RELS)
        z.writestr("xl/worksheets/sheet1.xml", sheet_xml)
    return buf.getvalue()


def _sheet(rows: str, dimension: str = "A1:B2") -> str:
    return (
        '<?xml version="1.0" encoding="UTF-8"?><worksheet xmlns="http://schemas.openxmlformats'
        f'.org/spreadsheetml/2006/main"><dimension ref="{dimension}"/><sheetData>{rows}'
        "</sheetData></worksheet>"
    )


def _huge_dimension_xlsx() -> bytes:
    """1.5 KB declaring A1:XFD900000000, with a cell really in row 900,000,000."""
    rows = (
        f'<row r="1">{_cell("A1", "Title")}</row><row r="2">{_cell("A2", "A study")}</row>'
        f'<row r="900000000">{_cell("XFD900000000", "x")}</row>'
    )
    return _xlsx(_sheet(rows, "A1:XFD900000000"))


def _declared_size_bomb() -> bytes:
    """A few KB whose sheet member declares 3 GB uncompressed (central directory and
    local header both say so)."""
    data = bytearray(_xlsx(_sheet(f'<row r="1">{_cell("A1", "Title")}</row>')))
    name = b"xl/worksheets/sheet1.xml"
    huge = struct.pack("<I", 3_000_000_000)
    at = data.find(b"PK\x01\x02")
    while at != -1:
        name_len = struct.unpack_from("<H", data, at + 28)[0]
        if bytes(data[at + 46 : at + 46 + name_len]) == name:
            data[at + 24 : at + 28] = huge
            local = struct.unpack_from("<I", data, at + 42)[0]
            data[local + 22 : local + 26] = huge
        at = data.find(b"PK\x01\x02", at + 4)
    return bytes(data)


def _ratio_bomb() -> bytes:
    """A sheet member that really inflates 1000-fold: 40 MB of spaces in 40 KB."""
    padding = " " * 40_000_000
    return _xlsx(_sheet(f'<row r="1">{_cell("A1", "Title")}</row>{padding}'))


@pytest.fixture
def proj(project: Project, tmp_path: Path) -> Path:
    """A project holding one imported record, so 'store unchanged' can be checked."""
    good = tmp_path / "good.ris"
    good.write_text(RIS_OK, encoding="utf-8")
    result = CliRunner().invoke(cli, ["-p", str(project.root), "import", str(good)])
    assert result.exit_code == 0, result.output
    return project.root


def _records(root: Path) -> int:
    project = Project.open(root)
    try:
        with project.db.connect() as conn:
            from sqlalchemy import text

            return int(conn.execute(text("SELECT count(*) FROM records")).scalar_one())
    finally:
        project.close()


def _refused(root: Path, path: Path, *patterns: str, budget: float = 15.0) -> str:
    start = time.monotonic()
    result = CliRunner().invoke(cli, ["-p", str(root), "import", str(path)])
    elapsed = time.monotonic() - start
    assert result.exit_code == 1, result.output
    assert result.output.startswith("Error: "), result.output
    assert "Traceback" not in result.output
    for pattern in patterns:
        assert pattern in result.output, result.output
    assert elapsed < budget, f"took {elapsed:.1f} s"
    assert _records(root) == 1
    return result.output


def test_xlsx_declaring_row_900_million_is_refused_fast(proj: Path, tmp_path: Path) -> None:
    path = tmp_path / "dim.xlsx"
    path.write_bytes(_huge_dimension_xlsx())
    assert path.stat().st_size < 2000
    out = _refused(proj, path, "dim.xlsx", "1,048,576 rows", "REVIEWFLOW_MAX_ROWS")
    assert "save it again" in out


def test_xlsx_with_a_small_dimension_still_reads_rows_far_below(
    project: Project, tmp_path: Path
) -> None:
    """The declared dimension is not trusted either way: rows past it are still read."""
    rows = f'<row r="1">{_cell("A1", "Title")}</row><row r="5000">{_cell("A5000", "Late")}</row>'
    path = tmp_path / "late.xlsx"
    path.write_bytes(_xlsx(_sheet(rows, "A1:A1")))
    result = CliRunner().invoke(cli, ["-p", str(project.root), "import", str(path), "--json"])
    assert result.exit_code == 0, result.output
    assert _records(project.root) == 1


def test_zip_declaring_gigabytes_is_refused_before_unpacking(proj: Path, tmp_path: Path) -> None:
    path = tmp_path / "bomb.xlsx"
    path.write_bytes(_declared_size_bomb())
    assert path.stat().st_size < 5000
    _refused(proj, path, "bomb.xlsx", "unpacks to 3,000 MB", "REVIEWFLOW_MAX_FILE_MB")


def test_zip_member_inflating_a_thousandfold_is_refused(proj: Path, tmp_path: Path) -> None:
    path = tmp_path / "ratio.xlsx"
    path.write_bytes(_ratio_bomb())
    assert path.stat().st_size < 200_000
    _refused(proj, path, "ratio.xlsx", "inflates", "REVIEWFLOW_MAX_ZIP_RATIO")


@NEEDS_FIFO
def test_fifo_is_named_as_a_pipe_not_read(proj: Path, tmp_path: Path) -> None:
    fifo = tmp_path / "export.ris"
    os.mkfifo(fifo)  # nobody writes to it: reading it would block for ever
    _refused(proj, fifo, "export.ris", "named pipe (FIFO)", budget=10)


@pytest.mark.skipif(not Path("/dev/zero").exists(), reason="no /dev/zero")
def test_dev_zero_is_a_device(proj: Path) -> None:
    _refused(proj, Path("/dev/zero"), "/dev/zero: is a device", budget=10)


def test_symlink_loop_and_dangling_link_say_what_they_are(proj: Path, tmp_path: Path) -> None:
    (tmp_path / "a.ris").symlink_to(tmp_path / "b.ris")
    (tmp_path / "b.ris").symlink_to(tmp_path / "a.ris")
    _refused(proj, tmp_path / "a.ris", "a.ris: is a symbolic link that loops")
    (tmp_path / "gone.ris").symlink_to(tmp_path / "nowhere.ris")
    _refused(proj, tmp_path / "gone.ris", "which does not exist")


def test_csv_with_a_million_columns_is_refused(proj: Path, tmp_path: Path) -> None:
    path = tmp_path / "wide.csv"
    path.write_text("Title" + ",x" * 1_000_000 + "\nA study\n", encoding="utf-8")
    _refused(proj, path, "wide.csv:1", "1,000,001 columns", "REVIEWFLOW_MAX_COLUMNS")


def test_size_cap_set_by_environment(
    proj: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("REVIEWFLOW_MAX_FILE_MB", "1")
    path = tmp_path / "big.ris"
    path.write_text(RIS_OK.replace("A fine", "Another") * 40_000, encoding="utf-8")
    out = _refused(proj, path, "big.ris: the file is 2 MB", "REVIEWFLOW_MAX_FILE_MB=1")
    assert "Split the export" in out
    monkeypatch.setenv("REVIEWFLOW_MAX_FILE_MB", "lots")
    _refused(proj, path, "REVIEWFLOW_MAX_FILE_MB='lots' is not a number")


def test_screening_sheet_past_the_column_cap(
    proj: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("REVIEWFLOW_MAX_COLUMNS", "50")
    sheet = tmp_path / "mc.csv"
    header = ["record_id", "stage", "reviewer", "decision"] + [f"c{i}" for i in range(60)]
    sheet.write_text(",".join(header) + "\n", encoding="utf-8")
    result = CliRunner().invoke(cli, ["-p", str(proj), "screen", "import", str(sheet)])
    assert result.exit_code == 1
    assert "mc.csv:1: this row has 64 columns" in result.output
    assert "REVIEWFLOW_MAX_COLUMNS=50" in result.output


@NEEDS_FIFO
def test_screening_sheet_fifo(proj: Path, tmp_path: Path) -> None:
    fifo = tmp_path / "mc.csv"
    os.mkfifo(fifo)
    result = CliRunner().invoke(cli, ["-p", str(proj), "screen", "import", str(fifo)])
    assert result.exit_code == 1
    assert "named pipe (FIFO)" in result.output


def test_extraction_template_reaching_row_900_million(tmp_path: Path) -> None:
    """The extraction reader loads the whole sheet; a cell at row 900,000,000 must not make
    it walk every row up to there."""
    from reviewflow.errors import LimitError
    from reviewflow.formats import limits

    path = tmp_path / "template.xlsx"
    path.write_bytes(_huge_dimension_xlsx())
    wb = limits.load_workbook(path)
    start = time.monotonic()
    with pytest.raises(LimitError, match="reaches row 900,000,000"):
        limits.check_sheet_size(wb.worksheets[0], file=path.name)
    assert time.monotonic() - start < 5
