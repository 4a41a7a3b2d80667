"""A corpus of malformed inputs: each is refused with a clear error naming the file (and
the line where there is one), and the project is left exactly as it was."""

from __future__ import annotations

import io
import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from reviewflow.errors import ReviewflowError
from reviewflow.project import Project
from reviewflow.stages import importing
from reviewflow.store.schema import metadata

GOOD = Path(__file__).parents[2] / "data" / "import" / "embase_ovid.ris"

RIS_OK = "TY  - JOUR\nTI  - A fine title\nPY  - 2020\nER  - \n"


def _xlsx_bytes() -> bytes:
    from openpyxl import Workbook

    wb = Workbook()
    ws = wb.active
    ws.append(["Title", "Year"])
    ws.append(["A title", 2020])
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


@dataclass
class Case:
    id: str
    name: str
    content: Callable[[], bytes]
    message: str  # regex the error must match
    line: int | None = None  # the line the error must name, if any
    format: str | None = None


def b(text: str, encoding: str = "utf-8") -> Callable[[], bytes]:
    return lambda: text.encode(encoding)


CASES = [
    Case("empty", "empty.ris", lambda: b"", "empty"),
    Case("whitespace-only", "blank.ris", b("\n\n   \n"), "empty"),
    Case(
        "html-error-page",
        "embase.ris",
        b("<!DOCTYPE html>\n<html><head><title>502 Bad Gateway</title></head></html>\n"),
        "web page",
    ),
    Case("binary-junk", "junk.ris", lambda: bytes(range(256)) * 4, "binary|NUL"),
    Case("pdf-renamed", "paper.ris", lambda: b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n", "PDF"),
    Case("xlsx-as-csv", "sheet.csv", _xlsx_bytes, "XLSX|ZIP|spreadsheet", format="csv"),
    Case(
        "zip-garbage-as-xlsx",
        "broken.xlsx",
        lambda: b"PK\x03\x04garbage" * 10,
        "xlsx|XLSX|zip|ZIP|workbook",
    ),
    Case("old-xls", "old.xls", lambda: b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 64, "xls"),
    Case(
        "nul-in-text",
        "nul.ris",
        b("TY  - JOUR\nTI  - One\nER  - \nTY  - JOUR\nTI  - Tw\x00o\nER  - \n"),
        "NUL|binary",
        line=5,
    ),
    Case(
        "ris-without-ty",
        "nota.ris",
        b("TI  - A title without a type\nAU  - Smith, J\nER  - \n"),
        "TY",
        line=1,
        format="ris",
    ),
    Case(
        "ris-garbage-after-ty",
        "garbled.ris",
        b(RIS_OK + "TY  - JOUR\n<div>session expired</div>\nER  - \n"),
        "expected a tag line",
        line=6,
        format="ris",
    ),
    Case(
        "plain-prose",
        "notes.txt",
        b("These are my notes about the search.\nNothing here.\n"),
        "format",
    ),
    Case("json-file", "records.json", b('{"records": [{"title": "A"}]}\n'), "format"),
    Case(
        "xml-not-endnote",
        "feed.xml",
        b('<?xml version="1.0"?>\n<rss><channel><title>x</title></channel></rss>\n'),
        "EndNote|record|format",
    ),
    Case(
        "endnote-truncated",
        "endnote.xml",
        b(
            '<?xml version="1.0" encoding="UTF-8"?>\n<xml><records>\n<record>\n'
            "<titles><title>A</title></titles>\n</record>\n<record>\n<titles><title>B"
        ),
        "XML|xml|truncated|closed",
        line=7,
    ),
    Case(
        "endnote-mismatched-tag",
        "endnote2.xml",
        b(
            '<?xml version="1.0" encoding="UTF-8"?>\n<xml><records>\n<record>\n'
            "<titles><title>A</titles></title>\n</record>\n</records></xml>\n"
        ),
        "XML|xml|mismatch",
        line=4,
    ),
    Case(
        "bibtex-unclosed-brace",
        "refs.bib",
        b(
            "@article{a1,\n  title = {Fine},\n  year = 2020\n}\n\n"
            "@article{b2,\n  title = {Never closed,\n  year = 2021\n"
        ),
        "brace|closed|unbalanced|parse",
        line=6,
    ),
    Case(
        "csv-wrong-column-count",
        "records.csv",
        b('Title,Year,DOI\n"A",2020,10.1/a\n"B",2021,10.1/b,extra,cells\n'),
        "column|field",
        line=3,
    ),
    Case(
        "csv-no-title-column",
        "cols.csv",
        b("Name,When\nA,2020\n"),
        "title",
        line=1,
    ),
    Case("csv-header-only", "header.csv", b("Title,Year,DOI\n"), "no records|empty"),
    Case(
        "csv-unterminated-quote",
        "quote.csv",
        b('Title,Year\n"A",2020\n"B never closes,2021\n"C",2022\n'),
        "quote|unterminated|end of file|column|field",
        line=3,
    ),
    Case(
        "nbib-without-pmid",
        "pubmed.nbib",
        b("TI  - A title\nAB  - Text\n\nTI  - Another\n"),
        "PMID|format",
        format="nbib",
    ),
    Case(
        "utf16-truncated",
        "utf16.ris",
        lambda: "\ufeffTY  - JOUR\nTI  - A\nER  - \n".encode("utf-16-le")[:-1],
        "UTF-16",
    ),
    Case(
        "mixed-encodings",
        "mixed.ris",
        lambda: (
            "TY  - JOUR\nTI  - Café society\nER  - \n".encode()
            + "TY  - JOUR\nTI  - Naïve approach\nER  - \n".encode("cp1252")
        ),
        "encoding|UTF-8",
        line=5,
    ),
    Case(
        "ten-megabyte-abstract",
        "huge.ris",
        lambda: (
            RIS_OK + "TY  - JOUR\nTI  - Huge\nAB  - " + "x" * (10 * 1024 * 1024) + "\nER  - \n"
        ).encode(),
        "too long|characters|damaged",
        line=5,
    ),
    Case(
        "ris-only-er-lines",
        "ers.ris",
        b("ER  - \nER  - \nER  - \n"),
        "TY|no records|record",
        line=1,
        format="ris",
    ),
    Case(
        "wos-header-without-records",
        "savedrecs.txt",
        b("FN Clarivate Analytics Web of Science\nVR 1.0\nEF\n"),
        "no records|record",
    ),
    Case(
        "scopus-csv-wrong-column-count",
        "scopus.csv",
        b(
            "Authors,Title,Year,Source title,DOI,EID\n"
            '"Smith J.","A",2020,"J One","10.1/a","2-s2.0-1"\n'
            '"Jones K.","B",2021,"J Two"\n'
        ),
        "column|field",
        line=3,
    ),
    Case(
        "tsv-wrong-column-count",
        "records.tsv",
        b("Title\tYear\tDOI\nA\t2020\t10.1/a\nB\t2021\t10.1/b\tx\ty\n"),
        "column|field",
        line=3,
        format="tsv",
    ),
    Case(
        "wos-tab-no-title",
        "savedrecs.tsv",
        b("PT\tAU\tPY\nJ\tSmith, J\t2020\n"),
        "title|TI",
        line=1,
        format="wos-tab",
    ),
]


def _snapshot(project: Project) -> dict[str, list[tuple[Any, ...]]]:
    with project.db.connect() as conn:
        return {
            t.name: sorted(
                (tuple(str(v) for v in row) for row in conn.execute(select(t))), key=repr
            )
            for t in metadata.sorted_tables
        }


def test_corpus_is_large_enough() -> None:
    assert len(CASES) >= 30
    assert len({c.id for c in CASES}) == len(CASES)


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.id)
def test_malformed_input_is_refused_and_project_unchanged(
    project: Project, tmp_path: Path, case: Case
) -> None:
    importing.run(project, GOOD)
    before = _snapshot(project)
    path = tmp_path / case.name
    path.write_bytes(case.content())
    with pytest.raises(ReviewflowError) as err:
        importing.run(project, path, format=case.format)
    message = str(err.value)
    assert case.name in message, message
    assert re.search(case.message, message), message
    if case.line is not None:
        assert f"{case.name}:{case.line}" in message, message
    assert "Traceback" not in message
    assert _snapshot(project) == before
