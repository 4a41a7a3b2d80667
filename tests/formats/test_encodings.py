"""The same record reaches the same title whatever encoding and line endings it came in."""

import codecs

import pytest

from reviewflow.errors import InputError, ParseError
from reviewflow.formats import read_bytes_as

TITLE = "Café “social prescribing” – naïve users"
LATIN1_TITLE = "Café «social prescribing» naïve users"  # latin-1 has no smart quotes

TEMPLATES = {
    "csv": 'Title,Year,Authors\n"{title}",2020,"Müller, J; Smith, K"\n',
    "bibtex": "@article{{k1,\n  title = {{{title}}},\n  author = {{Müller, J and Smith, K}},\n"
    "  year = {{2020}}\n}}\n",
    "endnote-xml": '<?xml version="1.0" encoding="{xml_encoding}"?>\n<xml><records><record>'
    '<titles><title><style face="normal">{title}</style></title></titles>'
    "<contributors><authors><author>Müller, J</author></authors></contributors>"
    "</record></records></xml>\n",
    "ris": "TY  - JOUR\nTI  - {title}\nAU  - Müller, J\nPY  - 2020\nER  - \n",
}

ENCODINGS = [
    ("utf-8", b"", TITLE),
    ("utf-8", codecs.BOM_UTF8, TITLE),
    ("utf-16-le", codecs.BOM_UTF16_LE, TITLE),
    ("utf-16-be", codecs.BOM_UTF16_BE, TITLE),
    ("cp1252", b"", TITLE),
    ("latin-1", b"", LATIN1_TITLE),
]


def encode(fmt: str, codec: str, bom: bytes, title: str, *, crlf: bool = False) -> bytes:
    xml_encoding = "UTF-16" if codec.startswith("utf-16") else codec.upper()
    text = TEMPLATES[fmt].format(title=title, xml_encoding=xml_encoding)
    if crlf:
        text = text.replace("\n", "\r\n")
    return bom + text.encode(codec)


@pytest.mark.parametrize("fmt", list(TEMPLATES))
@pytest.mark.parametrize(("codec", "bom", "title"), ENCODINGS)
def test_same_title_in_every_encoding(fmt, codec, bom, title):
    result = read_bytes_as(encode(fmt, codec, bom, title), file=f"export.{fmt}")
    (record,) = result.records
    assert record.title == title
    assert record.authors[0] == "Müller, J"
    assert result.report.format == fmt


@pytest.mark.parametrize("fmt", list(TEMPLATES))
def test_crlf_line_endings_change_nothing(fmt):
    unix = read_bytes_as(encode(fmt, "utf-8", b"", TITLE), file="a").records[0]
    windows = read_bytes_as(encode(fmt, "utf-8", b"", TITLE, crlf=True), file="a").records[0]
    assert windows.canonical() == unix.canonical()
    assert windows.source_line == unix.source_line
    assert "\r" not in windows.raw


def test_report_names_the_encoding():
    result = read_bytes_as(encode("csv", "utf-16-le", codecs.BOM_UTF16_LE, TITLE), file="a.csv")
    assert result.report.encoding == "utf-16"
    result = read_bytes_as(encode("csv", "cp1252", b"", TITLE), file="a.csv")
    assert result.report.encoding == "cp1252"


def _xlsx_bytes() -> bytes:
    import io

    import openpyxl

    workbook = openpyxl.Workbook()
    workbook.active.append(["Title"])
    workbook.active.append(["A"])
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def test_xlsx_renamed_to_csv_is_read_as_xlsx():
    (record,) = read_bytes_as(_xlsx_bytes(), file="records.csv").records
    assert record.title == "A"


def test_xlsx_forced_as_csv_says_what_it_is():
    with pytest.raises(ParseError) as info:
        read_bytes_as(_xlsx_bytes(), file="records.csv", format="csv")
    assert "records.csv" in str(info.value) and "--format xlsx" in str(info.value)


def test_empty_file_is_refused_with_name():
    with pytest.raises(InputError, match=r"empty\.csv: the file is empty"):
        read_bytes_as(b"  \n", file="empty.csv")
