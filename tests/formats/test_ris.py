"""RIS reader/writer: one fixture per exporter quirk, round trips, rispy cross-check, errors."""

from __future__ import annotations

from pathlib import Path

import pytest
import rispy

from reviewflow.errors import ParseError
from reviewflow.formats import nbib, ris, wos
from reviewflow.records import normalize_doi

DATA = Path(__file__).parent.parent / "data" / "formats" / "ris"
FIXTURES = sorted(DATA.glob("*.ris"))

# (fixture, record index, field, expected, note)
CASES = [
    (
        "ovid_embase.ris",
        0,
        "title",
        "Quality of life in patients with primary ciliary dyskinesia: A systematic review",
        "Ovid writes T1, not TI",
    ),
    ("ovid_embase.ris", 0, "authors", ["Behan L.", "Rubbo B.", "Lucas J.S."], "A1 authors"),
    ("ovid_embase.ris", 0, "year", 2018, "Y1 '2018//'"),
    ("ovid_embase.ris", 0, "source_title", "BMC Proceedings", "JF (full) beats JA"),
    ("ovid_embase.ris", 0, "doi", "10.1186/s12919-018-0099-8", "DOI given as a dx.doi.org URL"),
    ("ovid_embase.ris", 0, "accession_number", "621381829", "AN"),
    ("ovid_embase.ris", 0, "pmid", None, "an Embase AN is not a PMID"),
    ("ovid_embase.ris", 1, "issn", "0966-0410", "first SN, '(Print)' dropped"),
    ("ovid_embase.ris", 1, "pages", "309-324", "SP + EP"),
    ("ovid_medline.ris", 0, "pmid", "29377890", "Ovid MEDLINE: AN is the PMID"),
    ("ovid_medline.ris", 0, "pages", "e0006219", "article number in SP"),
    (
        "ebsco_cinahl.ris",
        0,
        "abstract",
        "Aim: To explore the experiences of practice nurses."
        " Design: Qualitative descriptive study. Findings: Three themes were identified.",
        "N2 abstract with indented continuation lines",
    ),
    (
        "ebsco_cinahl.ris",
        0,
        "url",
        "https://search.ebscohost.com/login.aspx?direct=true&db=ccm&AN=133456789&site=ehost-live",
        "first of several UR",
    ),
    ("ebsco_cinahl.ris", 0, "accession_number", None, "EBSCO ID is not an accession number"),
    ("scopus.ris", 0, "pmid", "30923039", "Scopus puts the PMID in C2"),
    ("scopus.ris", 0, "source_title", "BMJ (Online)", "T2 beats J2"),
    ("scopus.ris", 1, "issn", "2044-6055", "ISSN without hyphen"),
    (
        "scopus.ris",
        1,
        "title",
        "Social prescribing: less rhetoric and more reality. A systematic review of the evidence",
        "last record ends with 'ER  -' and no newline",
    ),
    ("cochrane.ris", 0, "accession_number", "CD012345", "Cochrane review ID"),
    ("cochrane.ris", 1, "accession_number", "CN-01234567", "CENTRAL ID"),
    ("cochrane.ris", 1, "pages", "154-160", "SP + EP"),
    ("endnote.ris", 0, "title", "Synthesising qualitative research", "BOOK: BT is the title"),
    ("endnote.ris", 0, "isbn", "978-1-4462-0090-6", "SN that is an ISBN"),
    (
        "endnote.ris",
        0,
        "keywords",
        ["qualitative research", "synthesis", "systematic reviews"],
        "EndNote writes one keyword per line after a single KW",
    ),
    ("endnote.ris", 1, "source_title", "An introduction to systematic reviews", "CHAP: T2 book"),
    ("endnote.ris", 1, "authors", ["Harden, Angela"], "A2 editors are not authors"),
    ("zotero.ris", 0, "year", 2008, "PY beats DA"),
    ("zotero.ris", 0, "url", "https://doi.org/10.1186/1471-2288-8-45", "UR beats L2"),
    ("mendeley.ris", 0, "doi", "10.1080/17533015.2017.1334002", "DOI only in M3 'doi: ...'"),
    ("mendeley.ris", 0, "pmid", "28978291", "N1 'PMID: ...'"),
    ("mendeley.ris", 0, "pages", "97-123", "range in SP alone"),
    ("lowercase_tags.ris", 0, "doi", "10.1000/xyz.123", "lower-case tags"),
    ("no_space_after_dash.ris", 0, "publication_type", "JOUR", "'TY  -JOUR'"),
    ("no_space_after_dash.ris", 0, "authors", ["Delta, D."], "'AU  -Delta, D.'"),
    (
        "multiline_abstract.ris",
        0,
        "title",
        "A title that is long enough to wrap onto a second line",
        "continued title",
    ),
    ("no_final_er.ris", 1, "title", "Second record, the export was cut here", "kept"),
]


@pytest.mark.parametrize(("name", "index", "field", "expected", "note"), CASES)
def test_fixture_field(name: str, index: int, field: str, expected: object, note: str) -> None:
    record = ris.load(DATA / name).records[index]
    assert getattr(record, field) == expected, note


def test_unmapped_tags_are_kept_in_extra_in_order() -> None:
    record = ris.load(DATA / "ebsco_cinahl.ris").records[0]
    assert record.extra["UR"] == ["https://doi.org/10.1111/jan.13800"]
    assert record.extra["JO"] == ["Journal of Advanced Nursing"]  # the unused journal tag
    assert record.extra["DP"] == ["EBSCOhost"]
    assert record.extra["U2"] == ["PMID: 30123456."]


def test_raw_text_and_start_line() -> None:
    result = ris.load(DATA / "ovid_embase.ris")
    first, second = result.records
    text = (DATA / "ovid_embase.ris").read_text()
    assert (first.source_line, second.source_line) == (1, 28)
    assert first.raw.startswith("TY  - JOUR\nDB  - Embase") and first.raw.endswith("ER  - ")
    assert second.raw in text and first.source_file == "ovid_embase.ris"


@pytest.mark.parametrize("path", FIXTURES, ids=lambda p: p.name)
def test_round_trip_is_lossless(path: Path) -> None:
    first = ris.load(path).records
    again = ris.loads(ris.dumps(first)).records
    assert [r.canonical() for r in again] == [r.canonical() for r in first]
    assert [r.extra for r in again] == [r.extra for r in first]


def test_dumps_writes_long_text_on_one_line() -> None:
    record = ris.load(DATA / "multiline_abstract.ris").records[0]
    lines = ris.dumps([record]).splitlines()
    assert [ln for ln in lines if ln.startswith("AB  - ")] == [f"AB  - {record.abstract}"]


@pytest.mark.parametrize(
    ("reader", "path"),
    [
        (nbib, DATA.parent / "nbib" / "pubmed.nbib"),
        (wos, DATA.parent / "wos" / "savedrecs.txt"),
    ],
    ids=["nbib", "wos"],
)
def test_other_formats_export_to_ris_without_losing_fields(reader, path: Path) -> None:
    first = reader.load(path).records
    again = ris.loads(ris.dumps(first)).records
    assert [r.canonical() for r in again] == [r.canonical() for r in first]
    # Their tags mean other things in RIS, so extra comes back as notes, not as tags.
    assert "N1" in again[0].extra and "AU" not in again[0].extra


def test_dump_and_load_files(tmp_path: Path) -> None:
    records = ris.load(DATA / "scopus.ris").records
    ris.dump(records, tmp_path / "out.ris")
    assert [r.doi for r in ris.load(tmp_path / "out.ris").records] == [r.doi for r in records]


# rispy cannot read these: lower-case tags, values glued to the dash, a final record without
# ER, one space before the dash.
RISPY_READABLE = [
    p
    for p in FIXTURES
    if p.name
    not in {
        "lowercase_tags.ris",
        "no_space_after_dash.ris",
        "no_final_er.ris",
        "one_space_tags.ris",
    }
]


@pytest.mark.parametrize("path", RISPY_READABLE, ids=lambda p: p.name)
def test_fields_agree_with_rispy(path: Path) -> None:
    ours = ris.load(path).records
    theirs = rispy.loads(path.read_text())
    assert len(ours) == len(theirs)
    for mine, entry in zip(ours, theirs, strict=True):
        unknown = entry.get("unknown_tag", {})  # rispy does not map BT
        title = entry.get("title") or entry.get("primary_title") or unknown.get("BT", [None])[0]
        assert mine.title == title
        assert mine.authors == entry.get("authors", []) + entry.get("first_authors", [])
        # rispy turns a blank line inside a value into a double space; we skip blank lines.
        abstract = entry.get("abstract") or entry.get("notes_abstract")
        if abstract is None:
            assert mine.abstract is None
        else:
            assert " ".join(mine.abstract.split()) == " ".join(abstract.split())
        assert mine.volume == entry.get("volume")
        assert mine.issue == entry.get("number")
        assert mine.keywords == entry.get("keywords", [])
        if entry.get("doi"):
            assert mine.doi == normalize_doi(entry["doi"])


def test_final_record_without_er_is_kept_where_rispy_drops_it() -> None:
    path = DATA / "no_final_er.ris"
    assert len(rispy.loads(path.read_text())) == 1
    result = ris.load(path)
    assert len(result.records) == 2 and result.report.records_read == 2
    assert [w.line for w in result.report.warnings] == [7]
    assert "no ER" in result.report.warnings[0].message


# --- malformed input: every message names the line ---------------------------------------


def test_html_page_saved_as_ris_is_an_error_on_its_first_line() -> None:
    with pytest.raises(ParseError) as err:
        ris.loads("\n<!DOCTYPE html>\n<html><body>Session expired</body></html>\n", file="x.ris")
    assert err.value.line == 2 and "x.ris:2:" in str(err.value) and "HTML" in str(err.value)


def test_text_with_no_ty_is_not_ris() -> None:
    with pytest.raises(ParseError) as err:
        ris.loads("Title: something\nAuthors: someone\n", file="notes.ris")
    assert err.value.line == 1 and "TY  - " in str(err.value)


def test_text_after_ty_that_is_not_a_tag_is_an_error() -> None:
    text = "TY  - JOUR\nTI  - Fine\nER  - \n\nTY  - JOUR\nthis is not a tag\nER  - \n"
    with pytest.raises(ParseError) as err:
        ris.loads(text, file="bad.ris")
    assert err.value.line == 6 and "bad.ris:6:" in str(err.value)


def test_tags_before_any_ty_start_a_record_with_a_warning() -> None:
    text = "TI  - Orphan record\nAU  - Solo, S.\nER  - \nTY  - JOUR\nTI  - Normal\nER  - \n"
    result = ris.loads(text)
    assert [r.title for r in result.records] == ["Orphan record", "Normal"]
    assert result.records[0].publication_type is None
    assert [(w.line, "not TY" in w.message) for w in result.report.warnings] == [(1, True)]


def test_text_between_records_is_reported_with_its_line() -> None:
    text = "TY  - JOUR\nTI  - One\nER  - \nPage 1 of 2\nTY  - JOUR\nTI  - Two\nER  - \n"
    result = ris.loads(text)
    assert len(result.records) == 2
    assert [(w.line, "Page 1 of 2" in w.message) for w in result.report.warnings] == [(4, True)]


def test_missing_er_before_next_ty_is_a_warning() -> None:
    text = "TY  - JOUR\nTI  - One\nTY  - JOUR\nTI  - Two\nER  - \n"
    result = ris.loads(text)
    assert [r.title for r in result.records] == ["One", "Two"]
    assert result.report.warnings[0].line == 1 and "line 3" in result.report.warnings[0].message


def test_ty_with_nothing_else_is_a_warning() -> None:
    result = ris.loads("TY  - JOUR\nER  - \nTY  - JOUR\nTI  - Real\nER  - \n")
    assert len(result.records) == 2
    assert [(w.line, w.message) for w in result.report.warnings] == [
        (1, "record has no fields besides TY")
    ]


def test_record_without_title_is_a_warning() -> None:
    result = ris.loads("TY  - JOUR\nAU  - Only, A.\nER  - \n")
    assert result.records[0].authors == ["Only, A."]
    assert [(w.line, "no title" in w.message) for w in result.report.warnings] == [(1, True)]


def test_stray_er_is_a_warning() -> None:
    result = ris.loads("TY  - JOUR\nTI  - A\nER  - \nER  - \n")
    assert len(result.records) == 1
    assert [(w.line, "ER line" in w.message) for w in result.report.warnings] == [(4, True)]


@pytest.mark.parametrize("path", FIXTURES, ids=lambda p: p.name)
def test_fast_path_and_line_reader_agree(path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    fast = ris.load(path)
    monkeypatch.setattr(ris, "_fast_fields", lambda pairs: None)
    slow = ris.load(path)
    assert [(r.canonical(), r.extra, r.raw, r.source_line) for r in slow.records] == [
        (r.canonical(), r.extra, r.raw, r.source_line) for r in fast.records
    ]
    assert [str(w) for w in slow.report.warnings] == [str(w) for w in fast.report.warnings]


def test_odd_case_ty_inside_a_record_still_starts_a_new_record() -> None:
    result = ris.loads("TY  - JOUR\nTI  - One\ntY  - JOUR\nTI  - Two\nER  - \n")
    assert [(r.title, r.source_line) for r in result.records] == [("One", 1), ("Two", 3)]
    assert [w.line for w in result.report.warnings] == [1]


def test_one_space_before_the_dash_is_read_leniently_with_a_warning() -> None:
    result = ris.load(DATA / "one_space_tags.ris")
    assert [(r.title, r.source_line) for r in result.records] == [
        ("A home-made export with one space before the dash", 1),
        ("Second", 8),
    ]
    assert result.records[0].authors == ["Eta, E."] and result.records[0].year == 2022
    assert "one space" in result.report.warnings[0].message
