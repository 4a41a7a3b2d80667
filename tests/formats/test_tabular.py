"""CSV, TSV, XLSX, Scopus CSV and WoS tab-delimited: mapping, lines, raw text, errors."""

import io
from pathlib import Path

import openpyxl
import pytest

from reviewflow.errors import InputError, ParseError
from reviewflow.formats import tabular
from reviewflow.formats._base import decode_bytes
from reviewflow.records import Record

DATA = Path(__file__).parent.parent / "data" / "formats" / "tabular"


def load(name: str, dialect: str, **kwargs):
    text, _ = decode_bytes((DATA / name).read_bytes(), file=name)
    return tabular.loads(text, file=name, dialect=dialect, **kwargs)


def test_scopus_preset():
    result = load("scopus.csv", "scopus-csv")
    husk, drinkwater = result.records
    assert husk.title == "Social prescribing: a realist review"
    assert husk.authors == ["Husk K.", "Blockley K.", "Lovell R."]
    assert husk.pages == "309-320"
    assert husk.abstract.endswith('A second paragraph, with "quotes".')
    assert husk.keywords == ["social prescribing", "mental health"]
    assert husk.extra["Index Keywords"] == ["adult; human; primary health care"]
    assert husk.extra["Author full names"][0].startswith("Husk, Kerryn")
    assert (husk.pmid, husk.issn, husk.language) == ("31502314", "09660410", "English")
    assert husk.accession_number == "2-s2.0-85072000001"
    assert husk.publication_type == "Review"
    assert husk.source_line == 2 and drinkwater.source_line == 4  # the abstract spans 2 lines
    assert husk.raw.count("\n") == 1 and husk.raw.startswith('"Husk K.; Blockley K.')
    # older Scopus exports separate authors with commas after initials
    assert drinkwater.authors == ["Drinkwater C.", "Wildman J.", "Moffatt S."]
    assert drinkwater.extra["Art. No."] == ["l1285"]


def test_wos_tab_utf16_with_trailing_tabs():
    result = load("wos_tab.txt", "wos-tab")
    husk, thomas = result.records
    assert result.report.warnings == []  # the trailing tab is WoS's habit, not a problem
    assert husk.title == 'Social prescribing: a "realist" review'  # no CSV quoting in WoS
    assert husk.authors == ["Husk, K", "Blockley, K", "Lovell, R"]
    assert husk.source_title == "HEALTH & SOCIAL CARE IN THE COMMUNITY"
    assert (husk.year, husk.pages, husk.pmid) == (2020, "309-320", "31502314")
    assert husk.accession_number == "WOS:000500000000001"
    assert husk.extra["EI"] == ["1365-2524"] and husk.extra["AF"][0].startswith("Husk, Kerryn")
    assert thomas.extra["AR"] == ["45"] and thomas.source_line == 3


def test_generic_csv_synonyms_and_author_styles():
    result = load("generic.csv", "csv")
    smith, jones, green = result.records
    assert smith.title == "Link workers and loneliness: a qualitative study"
    assert smith.abstract == 'Older adults described "feeling heard".\nSecond line of the abstract.'
    assert smith.authors == ["Smith, J.", "O'Neil, K."]
    assert (smith.year, smith.source_title) == (2021, "BMC Public Health")
    assert smith.doi == "10.1186/s12889-021-00001-x"
    assert smith.extra == {"Record ID": ["r1"], "Screening note": ["check full text"]}
    assert jones.authors == ["Jones A.", "Patel B."]
    assert jones.source_line == 4 and green.source_line == 5
    assert green.authors == ["Achenbach, T. M.", "Rescorla, L. A."]
    assert green.year is None and green.extra["Publication Year"] == ["in press"]
    assert any(w.line == 5 and "no year" in w.message for w in result.report.warnings)


def test_semicolon_csv_in_cp1252_with_column_map():
    result = load("semicolon_cp1252.csv", "csv", column_map={"Titel": "title", "Jahr": "year"})
    (record,) = result.records
    assert (record.title, record.year) == ("Soziale Verschreibung", 2022)
    assert record.extra["Autoren"] == ["Müller, A."]


def test_column_map_overrides_synonym():
    text = "Title,Name of paper\nwrong,right\n"
    result = tabular.loads(text, file="m.csv", dialect="csv", column_map={"name of paper": "title"})
    assert result.records[0].title == "right"
    assert result.records[0].extra["Title"] == ["wrong"]


def test_column_map_errors_name_the_problem():
    with pytest.raises(InputError, match="not a record field"):
        tabular.loads("Title\nx\n", file="m.csv", dialect="csv", column_map={"Title": "headline"})
    with pytest.raises(InputError, match=r"'Titel'.*not in the header"):
        tabular.loads("Title\nx\n", file="m.csv", dialect="csv", column_map={"Titel": "title"})


def test_no_title_column_lists_columns_and_hint():
    with pytest.raises(ParseError) as info:
        tabular.loads("\nName,Size\na,1\n", file="t.csv", dialect="csv")
    message = str(info.value)
    assert info.value.line == 2 and "t.csv:2" in message
    assert "'Name', 'Size'" in message and "--column-map" in message


def test_row_with_too_many_fields_names_line():
    with pytest.raises(ParseError) as info:
        tabular.loads("Title,Year\nA,2001\nB, the sequel,2002\n", file="t.csv", dialect="csv")
    assert info.value.line == 3 and "3 fields but the header has 2" in str(info.value)


def test_row_with_too_few_fields_names_line():
    with pytest.raises(ParseError) as info:
        tabular.loads('Title,Year,DOI\n"A\nlong",2001,x\nB\n', file="t.csv", dialect="csv")
    assert info.value.line == 4


def test_trailing_empty_fields_are_a_warning():
    result = tabular.loads("Title,Year\nA,2001,,\n", file="t.csv", dialect="csv")
    assert result.records[0].year == 2001
    assert result.report.warnings[0].line == 2


def test_unclosed_quote_names_row_start():
    with pytest.raises(ParseError) as info:
        tabular.loads('Title,Year\nA,2001\n"B never closes,2002\n', file="t.csv", dialect="csv")
    assert info.value.line == 3


def test_header_only_reads_no_records_with_warning():
    result = tabular.loads("Title,Abstract\n", file="t.csv", dialect="csv")
    assert result.records == [] and "no records" in result.report.warnings[0].message


def test_spreadsheet_error_values_are_dropped_with_warning():
    result = tabular.loads("Title,Journal\n#NAME?,J\n", file="t.csv", dialect="csv")
    assert result.records[0].title is None and result.records[0].source_title == "J"
    assert "#NAME?" in result.report.warnings[0].message


def test_ten_megabyte_abstract_imports():
    abstract = "word " * 2_100_000
    text = f'Title,Abstract\nBig,"{abstract}"\nSmall,x\n'
    result = tabular.loads(text, file="big.csv", dialect="csv")
    assert len(result.records[0].abstract) > 10_000_000
    assert result.records[1].source_line == 3


def test_csv_round_trip_is_lossless_on_canonical_fields():
    records = [
        Record(
            title='A "quoted", comma title',
            abstract="Line one\nline two",
            authors=["Smith, J.", "Department of Health and Social Care"],
            year=2019,
            source_title="J",
            pages="1-10",
            doi="10.1000/x",
            pmid="123",
            keywords=["mental health", "loneliness, social"],
            extra={"Notes": ["n1"]},
        ),
        Record(title="Lone corporate author", authors=["Health and Care Dept"]),
        Record(title="Initials author", authors=["Achenbach, T. M., Rescorla, L. A."]),
    ]
    back = tabular.loads(tabular.dumps(records), file="rt.csv", dialect="csv").records
    assert [r.canonical() for r in back] == [r.canonical() for r in records]
    assert back[0].extra == {"Notes": ["n1"]}


def _xlsx(rows) -> bytes:
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    for row in rows:
        sheet.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def test_xlsx_first_sheet():
    data = _xlsx([["Title", "Year", "Authors", "Cited"], ["A study", 2019, "X, Y; Z, W", 3.0]])
    result = tabular.load_xlsx(data, file="s.xlsx")
    (record,) = result.records
    assert (record.title, record.year, record.authors) == ("A study", 2019, ["X, Y", "Z, W"])
    assert record.extra["Cited"] == ["3"] and record.source_line == 2


def test_xlsx_error_cell_warns_with_cell_reference():
    data = _xlsx([["Title", "Journal"], ["#REF!", "J"], ["Fine", "K"]])
    result = tabular.load_xlsx(data, file="s.xlsx")
    assert result.records[0].title is None
    assert any("A2" in w.message and "#REF!" in w.message for w in result.report.warnings)


def test_xlsx_without_title_column():
    with pytest.raises(ParseError, match=r"s\.xlsx:1: no column holds the titles"):
        tabular.load_xlsx(_xlsx([["Name"], ["x"]]), file="s.xlsx")


def test_damaged_xlsx_is_a_parse_error():
    with pytest.raises(ParseError, match="not a readable Excel workbook"):
        tabular.load_xlsx(b"PK\x03\x04 not really a zip", file="s.xlsx")


def test_xlsx_cells_right_of_header_are_kept_with_warning():
    data = _xlsx([["Title", "Year"], ["A"], ["B", 2001, None, "stray note"]])
    result = tabular.load_xlsx(data, file="s.xlsx")
    short, stray = result.records
    assert (short.title, short.year) == ("A", None)
    assert stray.extra["column D"] == ["stray note"]
    assert any("D3" in w.message for w in result.report.warnings)


def test_scopus_headers_match_regardless_of_case():
    text = "AUTHORS,TITLE,SOURCE TITLE,EID\nSmith J.,T,J,2-s2.0-1\n"
    (record,) = tabular.loads(text, file="s.csv", dialect="scopus-csv").records
    assert (record.title, record.source_title, record.accession_number) == ("T", "J", "2-s2.0-1")


def test_unnamed_column_is_kept_under_its_position():
    (record,) = tabular.loads("Title,,Year\nA,x,2001\n", file="a.csv", dialect="csv").records
    assert record.extra == {"column 2": ["x"]} and record.year == 2001


def test_stray_quote_is_an_error_not_a_misread_row():
    with pytest.raises(ParseError) as info:
        tabular.loads('Title,Year\nA,2001\n"B" extra,2002\n', file="t.csv", dialect="csv")
    assert info.value.line == 3


def test_record_id_column_is_provenance_not_a_field_and_id_stays_data():
    """Our export's ``record_id`` is the source project's id: not a field, not extra; an
    ``ID`` column of the user's own (a BibTeX key) is data and comes back as it was."""
    records = [Record(title="T", extra={"ID": ["smith2019"], "Record ID": ["r1"]}, id=7)]
    text = tabular.dumps(records)
    assert text.splitlines()[0].startswith("record_id,title,")
    (back,) = tabular.loads(text, file="rt.csv", dialect="csv").records
    assert back.extra == {"ID": ["smith2019"], "Record ID": ["r1"]} and back.id is None
    assert back.raw.startswith("7,T,")
    stale = Record(title="T", extra={"record_id": ["3"]}, id=9)  # read before this column
    assert tabular.dumps([stale]).splitlines()[0].count("record_id") == 1
