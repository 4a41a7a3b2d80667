"""EndNote XML: styled text, paths kept in extra, lines, malformed files."""

from pathlib import Path

import pytest

from reviewflow.errors import ParseError
from reviewflow.formats import endnote_xml

DATA = Path(__file__).parent.parent / "data" / "formats" / "endnote"


def load():
    text = (DATA / "two_records.xml").read_text(encoding="utf-8")
    return endnote_xml.loads(text, file="two_records.xml")


def test_journal_article_fields():
    first = load().records[0]
    assert first.title == "Social prescribing: a realist review"  # three <style> runs joined
    assert first.authors == ["Husk, K.", "Blockley, K."]
    assert first.source_title == "Health Soc Care Community"
    assert first.extra["periodical/full-title"] == ["Health and Social Care in the Community"]
    assert (first.year, first.volume, first.issue, first.pages) == (2020, "28", "2", "309-320")
    assert first.doi == "10.1111/hsc.12839"
    assert first.issn == "0966-0410" and first.isbn is None
    assert first.accession_number == "31502314"
    assert first.pmid == "31502314"  # accession number from PubMed is the PMID
    assert first.keywords == ["social prescribing", "mental health"]
    assert first.publication_type == "Journal Article"
    assert first.url == "https://www.ncbi.nlm.nih.gov/pubmed/31502314"
    assert first.language == "eng"
    assert first.source_line == 1 and first.raw.startswith("<record>")


def test_book_section_keeps_unmapped_elements():
    second = load().records[1]
    assert second.source_line == 2
    assert second.publication_type == "Book Section"
    assert second.isbn == "978-0-19-000000-2" and second.issn is None
    assert second.pmid is None
    assert second.extra["contributors/secondary-authors/author"] == ["Editor, E."]
    assert second.extra["notes"] == ["Café notes – “quoted”"]


def test_truncated_xml_names_line():
    text = (DATA / "two_records.xml").read_text(encoding="utf-8")
    cut = text[: text.index("<record><rec-number>2") + 40]
    with pytest.raises(ParseError) as info:
        endnote_xml.loads(cut, file="cut.xml")
    assert info.value.line == 2 and "cut.xml:2" in str(info.value)


def test_other_xml_is_refused():
    with pytest.raises(ParseError, match="not an EndNote export"):
        endnote_xml.loads('<?xml version="1.0"?>\n<PubmedArticleSet/>', file="p.xml")


def test_utf16_declaration_on_decoded_text():
    text = (
        '<?xml version="1.0" encoding="UTF-16"?>\n'
        "<xml><records><record><titles><title>Ünï</title></titles></record></records></xml>"
    )
    (record,) = endnote_xml.loads(text, file="u.xml").records
    assert record.title == "Ünï" and record.source_line == 2


def test_record_without_title_warns():
    result = endnote_xml.loads(
        "<xml><records><record><volume>1</volume></record></records></xml>", file="x.xml"
    )
    assert result.records[0].volume == "1"
    assert "no title" in result.report.warnings[0].message
