"""PubMed MEDLINE (.nbib) reader: field mapping per quirk, raw text, malformed input."""

from __future__ import annotations

from pathlib import Path

import pytest

from reviewflow.errors import ParseError
from reviewflow.formats import nbib

DATA = Path(__file__).parent.parent / "data" / "formats" / "nbib"

# (fixture, record index, field, expected, note)
CASES = [
    ("pubmed.nbib", 0, "pmid", "29377890", "PMID- starts the record"),
    (
        "pubmed.nbib",
        0,
        "title",
        "Caregivers' views on stigmatization and discrimination of people affected by"
        " leprosy in Ghana.",
        "TI continued on a line indented by six spaces",
    ),
    (
        "pubmed.nbib",
        0,
        "authors",
        ["Asampong, Emmanuel", "Dako-Gyeke, Mavis", "Oduro, Razak"],
        "FAU (full names) beats AU",
    ),
    ("pubmed.nbib", 0, "year", 2018, "DP '2018 Jan'"),
    ("pubmed.nbib", 0, "source_title", "PLoS neglected tropical diseases", "JT beats TA"),
    ("pubmed.nbib", 0, "volume", "12", "VI"),
    ("pubmed.nbib", 0, "issue", "1", "IP"),
    ("pubmed.nbib", 0, "pages", "e0006219", "PG"),
    ("pubmed.nbib", 0, "doi", "10.1371/journal.pntd.0006219", "LID '... [doi]'"),
    ("pubmed.nbib", 0, "issn", "1935-2735", "first IS, '(Electronic)' dropped"),
    ("pubmed.nbib", 0, "language", "eng", "LA"),
    ("pubmed.nbib", 0, "publication_type", "Journal Article", "first PT"),
    ("pubmed.nbib", 1, "issue", None, "no IP"),
    ("pubmed.nbib", 1, "source_line", 56, "second record after a blank line"),
    (
        "book_chapter.nbib",
        0,
        "title",
        "Qualitative Evidence Synthesis: a guide for review teams",
        "whole book: BTI is the title",
    ),
    ("book_chapter.nbib", 0, "isbn", "978-1-4462-0090-6", "ISBN tag"),
    (
        "book_chapter.nbib",
        1,
        "source_title",
        "Qualitative Evidence Synthesis: a guide for review teams",
        "chapter: BTI is the source",
    ),
    ("book_chapter.nbib", 1, "doi", None, "a [pii] LID is not a DOI"),
]


@pytest.mark.parametrize(("name", "index", "field", "expected", "note"), CASES)
def test_fixture_field(name: str, index: int, field: str, expected: object, note: str) -> None:
    record = nbib.load(DATA / name).records[index]
    assert getattr(record, field) == expected, note


def test_mesh_and_author_keywords_are_keywords() -> None:
    record = nbib.load(DATA / "pubmed.nbib").records[0]
    assert record.keywords[:2] == ["Adult", "*Caregivers"]
    assert record.keywords[-2:] == ["caregivers", "stigma"]


def test_every_other_tag_is_kept_in_extra() -> None:
    record = nbib.load(DATA / "pubmed.nbib").records[0]
    assert record.extra["AU"] == ["Asampong E", "Dako-Gyeke M", "Oduro R"]
    assert record.extra["IS"] == ["1935-2727 (Linking)"]
    assert record.extra["PHST"] == ["2017/07/12 00:00 [received]", "2018/01/30 06:00 [entrez]"]
    assert record.extra["SO"][0].endswith("eCollection 2018 Jan.")


def test_raw_is_the_records_own_lines() -> None:
    result = nbib.load(DATA / "pubmed.nbib")
    first, second = result.records
    assert first.raw.startswith("PMID- 29377890\n") and first.raw.endswith("eCollection 2018 Jan.")
    assert second.raw.startswith("PMID- 30923039") and result.report.warnings == []


def test_record_without_blank_line_before_pmid_still_splits() -> None:
    text = "PMID- 1\nTI  - One\nSO  - J. 2001.\nPMID- 2\nTI  - Two\nSO  - J. 2002.\n"
    assert [r.pmid for r in nbib.loads(text).records] == ["1", "2"]


# --- malformed input: every message names the line ---------------------------------------


def test_ris_text_is_not_nbib() -> None:
    with pytest.raises(ParseError) as err:
        nbib.loads("TY  - JOUR\nTI  - A title\nER  - \n", file="x.nbib")
    assert err.value.line == 1 and "x.nbib:1:" in str(err.value) and "PMID" in str(err.value)


def test_unindented_text_inside_a_record_is_an_error() -> None:
    text = "PMID- 1\nTI  - A title\nthat lost its indentation\nSO  - J. 2001.\n"
    with pytest.raises(ParseError) as err:
        nbib.loads(text, file="bad.nbib")
    assert err.value.line == 3 and "indented" in str(err.value)


def test_continuation_before_any_tag_is_an_error() -> None:
    with pytest.raises(ParseError) as err:
        nbib.loads("      stray continuation\nPMID- 1\nTI  - T\n", file="c.nbib")
    assert err.value.line == 1


def test_record_not_starting_with_pmid_is_a_warning() -> None:
    text = "PMID- 1\nTI  - One\nSO  - J.\n\nTI  - No PMID here\nSO  - J.\n"
    result = nbib.loads(text)
    assert [r.title for r in result.records] == ["One", "No PMID here"]
    assert [(w.line, "not PMID" in w.message) for w in result.report.warnings] == [(5, True)]


def test_truncated_file_is_a_warning_naming_the_last_record() -> None:
    result = nbib.load(DATA / "truncated.nbib")
    assert result.records[0].abstract == "The download stopped in the middle of"
    assert [(w.line, "truncated" in w.message) for w in result.report.warnings] == [(1, True)]


def test_record_without_title_is_a_warning() -> None:
    result = nbib.loads("PMID- 7\nAB  - Only an abstract\nSO  - J.\n")
    assert [(w.line, "no title" in w.message) for w in result.report.warnings] == [(1, True)]
