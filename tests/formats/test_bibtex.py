"""BibTeX: field mapping, LaTeX to unicode, lines, and entries bibtexparser would drop."""

from pathlib import Path

import pytest

from reviewflow.errors import ParseError
from reviewflow.formats import bibtex

DATA = Path(__file__).parent.parent / "data" / "formats" / "bibtex"


def load(name: str):
    return bibtex.loads((DATA / name).read_text(encoding="utf-8"), file=name)


def test_zotero_export_maps_fields_and_lines():
    result = load("zotero.bib")
    first, second, third = result.records
    assert result.report.records_read == 3
    assert first.title == "Social prescribing: A realist review"
    assert first.authors == ["Husk, Kerryn", "Blockley, Kelly", "Lovell, Rebecca"]
    assert (first.year, first.volume, first.issue, first.pages) == (2020, "28", "2", "309-320")
    assert first.source_title == "Health and Social Care in the Community"
    assert first.doi == "10.1111/hsc.12839"
    assert first.keywords == ["social prescribing", "mental health"]
    assert first.publication_type == "article"
    assert first.extra["ID"] == ["husk_social_2020"]
    assert first.extra["note"] == ["PMID: 31502314"]
    assert first.source_line == 3
    assert first.raw.startswith("@article{husk_social_2020,") and first.raw.endswith("}")
    assert second.source_line == 18
    assert second.source_title == "BMC Medical Research Methodology"
    assert second.url == "https://example.org/a_b%20c"
    assert second.extra["publisher"] == ["BioMed Central"]
    assert third.pmid == "12345678"


def test_braced_corporate_author_is_one_author():
    thomas = load("zotero.bib").records[1]
    assert thomas.authors[-1] == "Department of Health and Social Care"
    assert len(thomas.authors) == 3


@pytest.mark.parametrize(
    ("latex", "text"),
    [
        (r"M{\"u}ller, J{\"o}rg", "Müller, Jörg"),
        (r"Garc{\'\i}a, Mar{\'\i}a", "García, María"),
        (r"{\O}stergaard, S{\o}ren", "Østergaard, Søren"),
        (r"Caf{\'e} culture and na{\"\i}ve {\em loneliness}", "Café culture and naïve loneliness"),
        (r"{{The {COVID}-19 pandemic}}", "The COVID-19 pandemic"),
        (r"50\% of \c{c}a $\alpha$-synuclein", "50% of ça α-synuclein"),
        ("``Feeling heard'': link workers", "“Feeling heard”: link workers"),
        ("The `quote' and `don't go' stayed", "The ‘quote’ and ‘don't go’ stayed"),
        ("Pages 1--10, 2019---2020, p.~3", "Pages 1–10, 2019—2020, p. 3"),
        (
            "See https://example.org/~smith/a--b and doi 10.1000/x--y~z",
            "See https://example.org/~smith/a--b and doi 10.1000/x--y~z",
        ),
        (r"Online: \url{https://ex.org/~a} ``cited''", "Online: https://ex.org/~a “cited”"),
    ],
)
def test_latex_becomes_unicode(latex, text):
    assert bibtex.latex_to_text(latex) == text


def test_accented_authors_and_title_in_file():
    muller = load("zotero.bib").records[2]
    assert muller.authors == ["Müller, Jörg", "García, María", "Østergaard, Søren"]
    assert muller.title == "Café culture and naïve loneliness"
    assert muller.keywords == ["loneliness", "older adults"]


def test_unclosed_brace_names_entry_line():
    text = "@article{a,\n title = {Open {brace},\n year = 2001}\n\n@article{b, title={B}}\n"
    with pytest.raises(ParseError) as info:
        bibtex.loads(text, file="refs.bib")
    assert info.value.line == 1
    assert "refs.bib:1" in str(info.value)
    assert "next entry at line 5" in str(info.value)


def test_unclosed_last_entry_names_its_line():
    with pytest.raises(ParseError) as info:
        bibtex.loads("@article{a, title={A}}\n@article{b,\n title = {B}\n", file="r.bib")
    assert info.value.line == 2 and "end of the file" in str(info.value)


def test_entry_with_a_missing_comma_is_read_with_a_warning_naming_its_line():
    text = "@article{ok, title={Fine}}\n\n@misc{bad, title = {x} author = {Y}}\n"
    result = bibtex.loads(text, file="r.bib")
    assert [(r.title, r.authors) for r in result.records] == [("Fine", []), ("x", ["Y"])]
    (warning,) = result.report.warnings
    assert warning.line == 3 and "'bad'" in warning.message and "no ','" in warning.message


def test_comments_strings_and_parenthesised_entries():
    text = (
        "@comment{jabref-meta: x}\n@string{jt = {Journal of Tests}}\n"
        '@book(b2, title = {Book}, journal = jt # " Part", year = {in press})\n'
    )
    result = bibtex.loads(text, file="r.bib")
    (book,) = result.records
    assert book.source_title == "Journal of Tests Part"
    assert book.year is None and book.extra["year"] == ["in press"]
    assert result.report.warnings[0].line == 3


def test_duplicate_keys_are_both_kept():
    result = bibtex.loads("@article{k, title={One}}\n@article{k, title={Two}}\n", file="r.bib")
    assert [r.title for r in result.records] == ["One", "Two"]


def test_file_without_entries_reads_no_records():
    assert bibtex.loads("% only a comment\n", file="r.bib").records == []


def test_keyless_entry_is_read_not_dropped():
    result = bibtex.loads("@article{, title={No key}}\n@article{k, title={Key}}\n", file="r.bib")
    keyless, keyed = result.records
    assert keyless.title == "No key" and "ID" not in keyless.extra
    assert keyed.extra["ID"] == ["k"] and keyed.source_line == 2


def test_entry_on_a_percent_comment_line_is_ignored():
    text = "% removed: @article{old, title={Old}}\n@article{new, title={New}}\n"
    assert [r.title for r in bibtex.loads(text, file="r.bib").records] == ["New"]


def test_repeated_field_is_a_warning_with_line():
    text = "@article{a,\n title = {T, x = 1},\n keywords = {k1},\n keywords = {k2}\n}\n"
    result = bibtex.loads(text, file="r.bib")
    assert result.records[0].keywords == ["k1"]
    (warning,) = result.report.warnings
    assert warning.line == 1 and "'keywords' appears more than once" in warning.message


def test_latex_quotes_in_a_file_become_typographic_and_the_url_stays() -> None:
    text = (
        "@article{k,\n title = {``Somewhere to go'': a `safe' space---or not},\n"
        " url = {https://example.org/~group/a--b},\n doi = {10.1000/abc--1},\n year = 2020}\n"
    )
    (rec,) = bibtex.loads(text).records
    assert rec.title == "“Somewhere to go”: a ‘safe’ space—or not"
    assert (rec.url, rec.doi) == ("https://example.org/~group/a--b", "10.1000/abc--1")
