"""Hostile and broken text reaches a record or a clean error, never silent loss,
a hang or a traceback (issue 20, points 1, 4, 5 and 7)."""

from __future__ import annotations

import codecs
import time
from dataclasses import dataclass

import pytest
from click.testing import CliRunner

from reviewflow.cli import cli
from reviewflow.errors import ParseError
from reviewflow.formats import read_bytes_as

# --- 1. a Unicode space at the end of a value ----------------------------------------

SPACES = {
    "nbsp": "\u00a0",
    "thin-space": "\u2009",
    "ideographic-space": "\u3000",
    "next-line": "\u0085",
    "file-separator": "\x1c",
    "group-separator": "\x1d",
    "record-separator": "\x1e",
    "unit-separator": "\x1f",
    "line-separator": "\u2028",
}

LINE_FORMATS = {
    "ris": (
        "x.ris",
        "TY  - JOUR\nTI  - A title{s}\nAU  - Baker, Ann{s}\nAB  - Some text{s}\n"
        "DO  - 10.1000/xyz{s}\nER  - \n",
    ),
    # No ER: the record goes through the line-by-line reader instead of the regex pass.
    "ris-no-er": (
        "x.ris",
        "TY  - JOUR\nTI  - A title{s}\nAU  - Baker, Ann{s}\nAB  - Some text{s}\n"
        "DO  - 10.1000/xyz{s}\n",
    ),
    "nbib": (
        "x.nbib",
        "PMID- 123\nTI  - A title{s}\nAB  - Some text{s}\nFAU - Baker, Ann{s}\n"
        "LID - 10.1000/xyz [doi]{s}\nSO  - J 2020{s}\n",
    ),
    "wos": (
        "x.txt",
        "FN Clarivate\nVR 1.0\nPT J\nAU Baker, Ann{s}\nTI A title{s}\nAB Some text{s}\n"
        "DI 10.1000/xyz{s}\nER\nEF\n",
    ),
}


@pytest.mark.parametrize("fmt", list(LINE_FORMATS))
@pytest.mark.parametrize("space", list(SPACES))
def test_unicode_space_at_line_end_keeps_the_fields(fmt, space):
    file, template = LINE_FORMATS[fmt]
    data = template.format(s=SPACES[space]).encode()
    (record,) = read_bytes_as(data, file=file).records
    assert record.title == "A title"
    assert record.authors == ["Baker, Ann"]
    assert record.abstract == "Some text"
    assert record.doi == "10.1000/xyz"


# --- 4. long runs of spaces and long fields parse in linear time ---------------------

N = 200_000
LONG = {
    "ris-trailing-spaces": ("x.ris", "TY  - JOUR\nTI  - A title" + " " * N + "\nER  - \n"),
    "ris-spaces-then-nbsp": ("x.ris", "TY  - JOUR\nTI  - A" + " " * N + "\u00a0\nER  - \n"),
    "ris-leading-spaces": ("x.ris", "TY  - JOUR\nTI  - " + " " * N + "A title\u00a0\nER  - \n"),
    "ris-space-line": ("x.ris", "TY  - JOUR\nTI  - A title\n" + " " * N + "\u00a0\nER  - \n"),
    "ris-many-lines": ("x.ris", "TY  - JOUR\nTI  - A title\nAB  - x\n" + "   w\n" * N + "ER  - \n"),
    "ris-many-lines-no-er": ("x.ris", "TY  - JOUR\nTI  - A title\nAB  - x\n" + "   w\n" * N),
    "nbib-many-lines": ("x.nbib", "PMID- 1\nTI  - A title\nAB  - x\n" + "      w\n" * N),
    "wos-many-lines": ("x.txt", "PT J\nTI A title\nAB x\n" + "   w\n" * N + "ER\nEF\n"),
}  # fmt: skip


@pytest.mark.parametrize("case", list(LONG))
def test_long_runs_parse_quickly(case):
    # Quadratic parsing took 12 s on 20,000 spaces and minutes on 200,000; linear is ~0.1 s.
    file, text = LONG[case]
    started = time.perf_counter()
    (record,) = read_bytes_as(text.encode(), file=file).records
    assert time.perf_counter() - started < 2.0
    assert record.title == "A title" or record.title == "A"
    if "many-lines" in case:
        assert record.abstract == "x" + " w" * N


# --- 5 and 7. bytes that are not what they claim --------------------------------------

RIS = "TY  - JOUR\nTI  - {title}\nAU  - Baker, Ann\nER  - \n"


def _cp1252_then_utf8(text: str) -> bytes:
    """UTF-8 read as Windows-1252 (undefined bytes as latin-1) and saved as UTF-8 again."""
    raw = text.encode()
    return "".join(bytes([b]).decode("cp1252", "ignore") or chr(b) for b in raw).encode()


def _flip(text: str, old: bytes, mask: int) -> bytes:
    data = bytearray(text.encode())
    data[data.index(old)] ^= mask
    return bytes(data)


@dataclass
class Case:
    id: str
    note: str
    data: bytes
    title: str
    warning: tuple[str, ...]  # fragments of the first warning, which names line 2
    encoding: str


CASES = [
    Case(
        "bom-then-invalid-byte",
        "Scopus CSVs: a UTF-8 BOM and one byte that is not UTF-8 (was UnicodeDecodeError)",
        codecs.BOM_UTF8 + RIS.format(title="Caf\xff society").encode("latin-1"),
        "Caf\ufffd society",
        ("0xff", "not valid UTF-8", "replaced"),
        "utf-8-sig",
    ),
    Case(
        "double-encoded-utf8",
        "UTF-8 read as Windows-1252 and saved again: repaired, and said so",
        _cp1252_then_utf8(RIS.format(title="Café “social” – naïve")),
        "Café “social” – naïve",
        ("double-encoded", "Ã©", "repaired"),
        "utf-8",
    ),
    Case(
        "double-encoded-twice",
        "the same done twice: repaired too",
        _cp1252_then_utf8(_cp1252_then_utf8(RIS.format(title="Café naïve")).decode()),
        "Café naïve",
        ("double-encoded", "repaired"),
        "utf-8",
    ),
    Case(
        "koi8-r",
        "Cyrillic in KOI8-R: read as KOI8-R, and the guess stated",
        RIS.format(title="Социальное назначение для пожилых людей").encode("koi8-r"),
        "Социальное назначение для пожилых людей",
        ("not UTF-8", "KOI8-R", "guess", "Социальное"),
        "koi8-r",
    ),
    Case(
        "cp1251",
        "Cyrillic in Windows-1251 (eLibrary exports): the other case order than KOI8-R",
        RIS.format(title="Социальное назначение для пожилых людей").encode("cp1251"),
        "Социальное назначение для пожилых людей",
        ("CP1251", "guess"),
        "cp1251",
    ),
    Case(
        "cp1252",
        "an old Windows-1252 export: still read as such, now with the guess stated",
        RIS.format(title="Café “social” – naïve Müller").encode("cp1252"),
        "Café “social” – naïve Müller",
        ("not UTF-8", "0xe9", "Windows-1252", "guess"),
        "cp1252",
    ),
    Case(
        "flipped-ascii-byte",
        "an ASCII byte flipped to 0x96: damage in UTF-8, not a Windows-1252 dash",
        _flip(RIS.format(title="Social prescribing"), b"i", 0xFF),
        "Soc\ufffdal prescribing",
        ("0x96", "not valid UTF-8", "'–'"),
        "utf-8",
    ),
    Case(
        "flipped-continuation-byte",
        "the second byte of a UTF-8 'é' flipped: the rest of the UTF-8 text is kept",
        _flip(RIS.format(title="Café and naïve"), b"\xa9", 0x40),
        "Caf\ufffd and naïve",
        ("0xc3 0xe9", "not valid UTF-8"),
        "utf-8",
    ),
    Case(
        "flipped-lead-byte",
        "the first byte of a UTF-8 'é' flipped",
        _flip(RIS.format(title="Café and naïve"), b"\xc3", 0x80),
        "CafC\ufffd and naïve",
        ("0xa9", "not valid UTF-8"),
        "utf-8",
    ),
]


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_bytes_decoded_with_a_stated_reason(case: Case):
    result = read_bytes_as(case.data, file="export.ris")
    (record,) = result.records
    assert record.title == case.title
    assert record.authors == ["Baker, Ann"]
    assert result.report.encoding == case.encoding
    first = result.report.warnings[0]
    assert first.line == 2
    for fragment in case.warning:
        assert fragment in first.message


def test_damaged_bytes_name_every_line():
    lines = [f"TY  - JOUR\nTI  - Title {n}\xff\nER  - " for n in range(3)]
    data = ("\n".join(lines) + "\n").encode("latin-1")
    result = read_bytes_as(codecs.BOM_UTF8 + data, file="export.ris")
    assert [r.title for r in result.records] == [f"Title {n}\ufffd" for n in range(3)]
    assert [w.line for w in result.report.warnings] == [2, 5, 8]


def test_real_a_tilde_text_is_not_repaired():
    result = read_bytes_as(RIS.format(title="NÃO em São Paulo").encode(), file="x.ris")
    assert result.records[0].title == "NÃO em São Paulo"
    assert result.report.warnings == []


def test_one_accent_inside_a_word_stays_windows_1252():
    # A German CSV saved by Excel: one byte, inside a word, is an accent, not damage.
    result = read_bytes_as(RIS.format(title="Müller").encode("cp1252"), file="x.ris")
    assert result.records[0].title == "Müller"
    assert "Windows-1252" in result.report.warnings[0].message


def test_mixed_encodings_are_still_refused():
    data = RIS.format(title="Café").encode() + RIS.format(title="Naïve").encode("cp1252")
    with pytest.raises(ParseError, match="mixed encodings") as info:
        read_bytes_as(data, file="x.ris")
    assert info.value.line == 6


# --- 5. deep XML, malformed database URLs ---------------------------------------------


@pytest.mark.parametrize("inside_record", [True, False])
def test_deep_endnote_xml_is_a_clean_error(inside_record):
    deep = "<a>" * 5000 + "x" + "</a>" * 5000
    record = "<record><titles><title>T</title></titles>{}</record>"
    body = record.format(deep) if inside_record else record.format("") + deep
    data = f'<?xml version="1.0"?>\n<xml><records>\n{body}</records></xml>\n'.encode()
    with pytest.raises(ParseError, match="nested more than 100 levels") as info:
        read_bytes_as(data, file="endnote.xml")
    assert info.value.line == 3


def test_ordinary_endnote_nesting_still_reads():
    deep = "<a>" * 50 + "x" + "</a>" * 50
    data = f"<xml><records><record><titles><title>T</title></titles>{deep}</record></records></xml>"
    (record,) = read_bytes_as(data.encode(), file="endnote.xml").records
    assert record.title == "T"


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("postgresql://u:secret@h:notaport/db", "port 'notaport' is not a number"),
        ("sqlite:////", "names a folder"),
        ("foo", "is not a database URL"),
        ("sqlite://", "names no database file"),
        ("sqlite:///:memory:", "names no database file"),
        ("mysql://u@h/db", "supports SQLite and PostgreSQL"),
        ("postgresql://u@h", "names no database"),
        ("sqlite:///no/such/folder/review.db", "does not exist"),
    ],
)
def test_malformed_database_url_is_a_clean_error(tmp_path, url, expected):
    result = CliRunner().invoke(
        cli,
        ["init", str(tmp_path / "p"), "--title", "T", "--reviewer", "AB:Ann Baker",
         "--database-url", url],
    )  # fmt: skip
    assert result.exit_code == 1, result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)
    assert "Traceback" not in result.output
    assert expected in result.output
    assert "sqlite:///review.db" in result.output  # says what is expected
    assert "secret" not in result.output
    assert not (tmp_path / "p").exists()  # no half-made project folder is left behind
