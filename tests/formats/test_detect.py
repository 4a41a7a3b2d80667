"""Format detection from content: every format, encodings, renamed files, refusals."""

import codecs
import io
from pathlib import Path

import openpyxl
import pytest

from reviewflow.errors import ParseError
from reviewflow.formats import FORMATS
from reviewflow.formats.detect import detect_format

DATA = Path(__file__).parent.parent / "data" / "formats"

CASES = [
    ("detect/embase.ris", "ris"),
    ("detect/preamble.ris", "ris"),
    ("detect/pubmed.nbib", "nbib"),
    ("detect/wos_plain.txt", "wos"),
    ("detect/plain.tsv", "tsv"),
    ("detect/single_column.csv", "csv"),
    ("tabular/wos_tab.txt", "wos-tab"),
    ("tabular/scopus.csv", "scopus-csv"),
    ("tabular/generic.csv", "csv"),
    ("tabular/semicolon_cp1252.csv", "csv"),
    ("bibtex/zotero.bib", "bibtex"),
    ("endnote/two_records.xml", "endnote-xml"),
]


@pytest.mark.parametrize(("path", "expected"), CASES)
def test_detects_fixture(path, expected):
    assert detect_format((DATA / path).read_bytes(), file=Path(path).name) == expected
    assert expected in FORMATS


@pytest.mark.parametrize(("path", "expected"), CASES)
def test_extension_does_not_decide(path, expected):
    """A file saved under the wrong name is still recognised by its content."""
    assert detect_format((DATA / path).read_bytes(), file="export.txt") == expected


@pytest.mark.parametrize("codec", ["utf-8-sig", "utf-16", "utf-16-be"])
def test_detects_through_bom_and_utf16(codec):
    text = (DATA / "endnote/two_records.xml").read_text(encoding="utf-8")
    data = text.encode(codec)
    if codec == "utf-16-be":
        data = codecs.BOM_UTF16_BE + data
    assert detect_format(data, file="x.xml") == "endnote-xml"
    ris = "TY  - JOUR\nTI  - Café\nER  - \n".encode(codec)
    assert detect_format(ris, file="x") == "ris"


def test_xlsx_by_zip_content_even_when_named_csv():
    workbook = openpyxl.Workbook()
    workbook.active.append(["Title"])
    buffer = io.BytesIO()
    workbook.save(buffer)
    assert detect_format(buffer.getvalue(), file="records.csv") == "xlsx"


def test_other_zip_is_refused():
    with pytest.raises(ParseError, match="not an Excel workbook"):
        detect_format(b"PK\x03\x04\x14\x00word/document.xml", file="paper.docx")


def test_html_error_page_saved_as_ris():
    with pytest.raises(ParseError) as info:
        detect_format((DATA / "detect/error_page.ris").read_bytes(), file="error_page.ris")
    message = str(info.value)
    assert message.startswith("error_page.ris:1: this is a web page, not an export")
    assert "export the records again" in message


def test_unrecognised_text_names_file_formats_and_override():
    with pytest.raises(ParseError) as info:
        detect_format((DATA / "detect/prose.txt").read_bytes(), file="prose.txt")
    message = str(info.value)
    assert "prose.txt:1" in message and "not recognised" in message
    assert "BibTeX" in message and "--format" in message


def test_binary_junk_is_refused():
    with pytest.raises(ParseError, match=r"junk\.ris.*binary"):
        detect_format(bytes(range(256)) * 4, file="junk.ris")


def test_blank_file_is_refused():
    with pytest.raises(ParseError, match="empty"):
        detect_format(b"\n \n", file="blank.ris")


def test_other_xml_is_refused():
    with pytest.raises(ParseError, match="not an EndNote XML"):
        detect_format(b'<?xml version="1.0"?>\n<PubmedArticleSet/>', file="pubmed.xml")


def test_comma_tab_tie_uses_extension():
    data = b"title\tnote, with comma\nA\tb, c\n"
    assert detect_format(data, file="x.tsv") == "tsv"


def test_scopus_without_eid_column_is_still_scopus():
    data = b"Authors,Title,Year,Source title,Link\nSmith J.,T,2001,J,https://www.scopus.com/x\n"
    assert detect_format(data, file="scopus.csv") == "scopus-csv"
    assert detect_format(b"title,source title\nT,J\n", file="mine.csv") == "csv"


@pytest.mark.parametrize("first", ["ty  - JOUR", "TY -JOUR", "TY  -JOUR"])
def test_ris_written_by_home_made_exporters(first):
    assert detect_format(f"{first}\nTI  - x\nER  - \n".encode(), file="x.txt") == "ris"


OTHER_FIXTURES = [
    (path, kind)
    for folder, suffix, kind in (
        ("ris", "*.ris", "ris"),
        ("nbib", "*.nbib", "nbib"),
        ("wos", "*.txt", "wos"),
    )
    for path in sorted((DATA / folder).glob(suffix))
]


@pytest.mark.parametrize(("path", "expected"), OTHER_FIXTURES, ids=lambda p: getattr(p, "name", p))
def test_detects_every_tagged_fixture_of_the_parsers(path, expected):
    assert detect_format(path.read_bytes(), file="renamed.dat") == expected
