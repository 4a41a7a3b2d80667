"""Web of Science plain-text reader: field mapping, lists over lines, malformed input."""

from __future__ import annotations

from pathlib import Path

import pytest

from reviewflow.errors import ParseError
from reviewflow.formats import wos

DATA = Path(__file__).parent.parent / "data" / "formats" / "wos"

# (fixture, record index, field, expected, note)
CASES = [
    (
        "savedrecs.txt",
        0,
        "authors",
        ["Moffatt, Suzanne", "Steer, Mel", "Lawson, Sarah"],
        "AF (full names) beats AU; one author per continuation line",
    ),
    (
        "savedrecs.txt",
        0,
        "title",
        "Link worker social prescribing to improve health and"
        " well-being for people with long-term conditions: qualitative study of service user"
        " perceptions",
        "TI over three lines",
    ),
    ("savedrecs.txt", 0, "source_title", "BMJ OPEN", "SO"),
    ("savedrecs.txt", 0, "year", 2017, "PY"),
    ("savedrecs.txt", 0, "pages", "1-10", "BP + EP"),
    ("savedrecs.txt", 0, "doi", "10.1136/bmjopen-2016-015203", "DI"),
    ("savedrecs.txt", 0, "accession_number", "WOS:000406345400072", "UT"),
    ("savedrecs.txt", 0, "pmid", "28713072", "PM"),
    ("savedrecs.txt", 0, "issn", "2044-6055", "SN"),
    ("savedrecs.txt", 0, "publication_type", "Article", "DT"),
    ("savedrecs.txt", 0, "source_line", 3, "first PT after the FN/VR header"),
    ("savedrecs.txt", 1, "isbn", "978-1-4739-2942-5", "BN"),
    ("savedrecs.txt", 1, "authors", ["Thomas, J", "Harden, A"], "no AF: AU"),
    ("no_ef.txt", 0, "issn", "1234-567X", "EI when there is no SN"),
]


@pytest.mark.parametrize(("name", "index", "field", "expected", "note"), CASES)
def test_fixture_field(name: str, index: int, field: str, expected: object, note: str) -> None:
    record = wos.load(DATA / name).records[index]
    assert getattr(record, field) == expected, note


def test_keyword_lists_are_split_across_wrapped_lines() -> None:
    record = wos.load(DATA / "savedrecs.txt").records[0]
    assert record.keywords[:4] == [
        "social prescribing",
        "long-term conditions",
        "qualitative research",
        "primary care",
    ]
    assert record.keywords[-1] == "PRIMARY-CARE SERVICES"


def test_addresses_and_references_stay_one_per_line_in_extra() -> None:
    record = wos.load(DATA / "savedrecs.txt").records[0]
    assert len(record.extra["C1"]) == 2 and len(record.extra["CR"]) == 2
    assert record.extra["AU"] == ["Moffatt, S", "Steer, M", "Lawson, S"]
    assert record.extra["TC"] == ["150"]


def test_raw_text_runs_from_pt_to_er() -> None:
    result = wos.load(DATA / "savedrecs.txt")
    assert result.report.warnings == []
    raw = result.records[1].raw
    assert raw.startswith("PT B\n") and raw.endswith("\nER")


# --- malformed input: every message names the line ---------------------------------------


def test_ris_text_is_not_wos() -> None:
    with pytest.raises(ParseError) as err:
        wos.loads("TY  - JOUR\nTI  - A title\nER  - \n", file="x.txt")
    assert err.value.line == 1 and "x.txt:1:" in str(err.value)


def test_unindented_text_inside_a_record_is_an_error() -> None:
    text = "FN Web of Science\nVR 1.0\nPT J\nTI A title\nthat lost its indentation\nER\nEF\n"
    with pytest.raises(ParseError) as err:
        wos.loads(text, file="bad.txt")
    assert err.value.line == 5 and "bad.txt:5:" in str(err.value)


def test_truncated_last_record_is_kept_with_a_warning() -> None:
    result = wos.load(DATA / "truncated.txt")
    assert [r.title for r in result.records] == [
        "Complete record",
        "The download stopped inside this record",
    ]
    assert (
        result.records[1].abstract == "This abstract was being written when the connection dropped"
    )
    assert [(w.line, "no ER" in w.message) for w in result.report.warnings] == [(10, True)]


def test_missing_ef_is_a_warning() -> None:
    result = wos.load(DATA / "no_ef.txt")
    assert len(result.records) == 1
    assert [(w.line, "EF" in w.message) for w in result.report.warnings] == [(8, True)]


def test_missing_er_before_next_pt_is_a_warning() -> None:
    result = wos.loads("PT J\nTI One\nPT J\nTI Two\nER\nEF\n")
    assert [r.title for r in result.records] == ["One", "Two"]
    assert result.report.warnings[0].line == 1 and "line 3" in result.report.warnings[0].message


def test_text_after_ef_is_a_warning() -> None:
    result = wos.loads("PT J\nTI One\nER\nEF\nTI Leftover\n")
    assert len(result.records) == 1
    assert [(w.line, "after EF" in w.message) for w in result.report.warnings] == [(5, True)]


def test_record_not_starting_with_pt_is_a_warning() -> None:
    result = wos.loads("PT J\nTI One\nER\nTI Orphan\nER\nEF\n")
    assert [r.title for r in result.records] == ["One", "Orphan"]
    assert [(w.line, "not PT" in w.message) for w in result.report.warnings] == [(4, True)]
