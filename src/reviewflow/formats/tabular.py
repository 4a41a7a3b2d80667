"""Spreadsheet-shaped exports: CSV, TSV, XLSX, Scopus CSV and Web of Science tab-delimited.

Columns are mapped to canonical fields by data, not code: a preset per database export
(:data:`SCOPUS_COLUMNS`, :data:`WOS_TAB_COLUMNS`) and header synonyms for the generic
dialects (:data:`SYNONYMS`), with ``column_map`` overriding both. Every column without a
canonical field goes to ``Record.extra`` under its header, so nothing is lost. The csv
module does the quoting; this module adds what it lacks for an import you can audit: the
line each row starts on (quoted fields span lines), the row's raw text, and errors that
name the line.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from .. import cells
from ..errors import InputError, ParseError
from ..records import LIST_FIELDS, SCALAR_FIELDS, Record, clean, normalize_doi, parse_year
from . import limits
from ._base import ParseReport, ParseResult

#: Pseudo-fields: the two halves of a page range held in separate columns.
PAGE_START, PAGE_END = "page_start", "page_end"
#: Our export's first column: the record's id in the project it came from. Read back (this
#: exact header only: a user's "Record ID" column is their data), it is not stored: the new
#: project gives its own id, and the row's raw text keeps it.
RECORD_ID = "record_id"
FIELDS: tuple[str, ...] = (*SCALAR_FIELDS, *LIST_FIELDS, PAGE_START, PAGE_END)

#: Scopus "CSV export" headers (all export options ticked) -> canonical field.
SCOPUS_COLUMNS: dict[str, str] = {
    "Authors": "authors",
    "Title": "title",
    "Year": "year",
    "Source title": "source_title",
    "Volume": "volume",
    "Issue": "issue",
    "Page start": PAGE_START,
    "Page end": PAGE_END,
    "DOI": "doi",
    "Link": "url",
    "Abstract": "abstract",
    "Author Keywords": "keywords",
    "ISSN": "issn",
    "ISBN": "isbn",
    "Language of Original Document": "language",
    "Document Type": "publication_type",
    "PubMed ID": "pmid",
    "EID": "accession_number",
}

#: Web of Science tab-delimited field tags -> canonical field (the rest go to extra).
WOS_TAB_COLUMNS: dict[str, str] = {
    "AU": "authors",
    "TI": "title",
    "SO": "source_title",
    "LA": "language",
    "DT": "publication_type",
    "DE": "keywords",
    "AB": "abstract",
    "SN": "issn",
    "BN": "isbn",
    "PY": "year",
    "VL": "volume",
    "IS": "issue",
    "BP": PAGE_START,
    "EP": PAGE_END,
    "DI": "doi",
    "PM": "pmid",
    "UT": "accession_number",
}

#: Generic header synonyms (compared lower-cased, runs of space/_/-/. as one space).
SYNONYMS: dict[str, tuple[str, ...]] = {
    "title": ("title", "article title", "document title", "primary title", "ti"),
    "abstract": ("abstract", "abstract note", "ab"),
    "authors": ("authors", "author", "author(s)", "creators", "au"),
    "year": ("year", "publication year", "pub year", "py"),
    "source_title": (
        "journal", "source", "source title", "journal title", "publication title",
        "secondary title", "booktitle", "journal/book", "so", "jo", "t2",
    ),
    "volume": ("volume", "vol", "vl"),
    "issue": ("issue", "number", "no", "is"),
    "pages": ("pages", "page", "pp", "page range"),
    PAGE_START: ("page start", "start page", "first page", "bp", "sp"),
    PAGE_END: ("page end", "end page", "last page", "ep"),
    "doi": ("doi", "di"),
    "pmid": ("pmid", "pubmed id", "pubmed", "pm"),
    "issn": ("issn", "sn"),
    "isbn": ("isbn", "bn"),
    "keywords": ("keywords", "keyword", "author keywords", "manual tags", "kw", "de"),
    "language": ("language", "lang", "la"),
    "publication_type": (
        "type", "publication type", "document type", "entrytype", "item type",
        "reference type", "pt", "dt",
    ),
    "url": ("url", "link", "ur"),
    "accession_number": ("accession number", "accession", "an", "eid", "ut"),
}  # fmt: skip

_EXCEL_ERRORS = frozenset(
    ("#NAME?", "#REF!", "#VALUE!", "#N/A", "#DIV/0!", "#NUM!", "#NULL!", "#SPILL!", "#CALC!")
)
_DIALECTS = ("csv", "tsv", "scopus-csv", "wos-tab")


def _norm(header: str) -> str:
    return re.sub(r"[\s_.\-]+", " ", header.strip().lstrip("\ufeff")).strip().lower()


_PRESETS: dict[str, dict[str, str]] = {
    "scopus-csv": {_norm(k): v for k, v in SCOPUS_COLUMNS.items()},
    "wos-tab": {_norm(k): v for k, v in WOS_TAB_COLUMNS.items()},
}


@dataclass(frozen=True)
class Column:
    """One header cell and where its values go: a canonical field or ``extra[header]``."""

    header: str
    field: str | None


def loads(
    text: str,
    *,
    file: str = "<string>",
    dialect: str = "csv",
    column_map: dict[str, str] | None = None,
) -> ParseResult:
    """Parse delimited text with a header row into records, one per row."""
    if dialect not in _DIALECTS:
        raise InputError(f"unknown tabular dialect {dialect!r}", hint=f"Use one of {_DIALECTS}.")
    report = ParseReport(file=file, format=dialect)
    lines = io.StringIO(text.lstrip("\ufeff"), newline="")
    numbered = _NumberedLines(lines)
    delimiter = _delimiter(dialect, text, numbered)
    # Real exports carry multi-megabyte abstracts; check_field_sizes refuses the absurd.
    csv.field_size_limit(limits.CSV_FIELD_CHARS)
    reader = csv.reader(
        numbered,
        delimiter=delimiter,
        quoting=csv.QUOTE_NONE if dialect == "wos-tab" else csv.QUOTE_MINIMAL,
        strict=True,
    )
    rows = _rows(reader, numbered, file=file)
    try:
        header, header_line, _ = next(rows)
    except StopIteration:
        raise ParseError("the file has no header row", file=file) from None
    # Our own export (first column record_id) quotes cells a spreadsheet would run as a
    # formula; take exactly that quote off again so the round trip is lossless.
    ours = bool(header) and header[0].strip().lstrip("\ufeff") == RECORD_ID
    if ours:
        header = [cells.unescape(h) for h in header]
    columns = map_columns(
        header, dialect=dialect, column_map=column_map, file=file, line=header_line
    )
    records = []
    for values, line, raw in rows:
        if ours:
            values = [cells.unescape(v) for v in values]
        values = _fit_row(
            values, len(columns), file=file, line=line, report=report, dialect=dialect
        )
        records.append(_record(columns, values, file=file, line=line, raw=raw, report=report))
    if not records:
        report.warn(header_line, "the file has a header row but no records")
    report.records_read = len(records)
    return ParseResult(records, report)


def load_xlsx(
    data: bytes, *, file: str = "<bytes>", column_map: dict[str, str] | None = None
) -> ParseResult:
    """Parse the first sheet of an Excel workbook; row 1 (the first non-empty row) is the header."""
    import openpyxl

    limits.check_zip(data, file=file)  # a ZIP bomb is refused before anything is unpacked
    try:
        workbook = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises zipfile, KeyError, ValueError ... on damage
        raise ParseError(
            f"this is not a readable Excel workbook ({type(exc).__name__}: {exc})",
            file=file,
            hint="Open it in Excel or LibreOffice and save it again as .xlsx or CSV.",
        ) from exc
    try:
        sheet = workbook.worksheets[0]
        report = ParseReport(file=file, format="xlsx", encoding="xlsx")
        columns: list[Column] | None = None
        records = []
        for row in limits.sheet_rows(sheet, file=file):
            values = [_cell_text(cell, report) for cell in row]
            if not any(values):
                continue
            line = next((c.row for c in row if getattr(c, "row", None)), None)
            if columns is None:
                columns = map_columns(
                    values, dialect="xlsx", column_map=column_map, file=file, line=line
                )
                continue
            records.append(_xlsx_record(columns, values, file=file, line=line, report=report))
    finally:
        workbook.close()
    if columns is None:
        raise ParseError("the first sheet is empty", file=file)
    report.records_read = len(records)
    return ParseResult(records, report)


def _extra_cell(values: list[str]) -> str:
    """One value as itself; several as a JSON list, so a re-import gets the same list back
    (a "; " join would merge values that contain "; " themselves, as WoS addresses do)."""
    if len(values) == 1:
        return values[0]
    return json.dumps(values, ensure_ascii=False) if values else ""


def _extra_values(text: str) -> list[str]:
    if text.startswith('["') and text.endswith('"]'):
        try:
            values = json.loads(text)
        except ValueError:
            return [text]
        if isinstance(values, list) and all(isinstance(v, str) for v in values):
            return values
    return [text]


def dumps(records: Iterable[Record]) -> str:
    """CSV with the record id, the canonical columns, then every ``extra`` key, readable back
    by :func:`loads` (which reads the id column as provenance, not as a field).

    A cell a spreadsheet would run as a formula (``=HYPERLINK(...)``) gets a leading ``'``
    (:mod:`reviewflow.cells`); :func:`loads` removes it from a file whose first column is
    ``record_id``, i.e. from our own export only.
    """
    records = list(records)
    extra_keys: dict[str, None] = {}
    for record in records:
        extra_keys.update(
            dict.fromkeys(k for k in record.extra if k not in FIELDS and k != RECORD_ID)
        )
    header = [RECORD_ID, *SCALAR_FIELDS, *LIST_FIELDS, *extra_keys]
    out = io.StringIO(newline="")
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(cells.escape_row(header))
    for record in records:
        row = ["" if record.id is None else str(record.id)]
        row += [
            "" if getattr(record, name) is None else str(getattr(record, name))
            for name in SCALAR_FIELDS
        ]
        row.append(_join_list(record.authors))
        row.append(_join_list(record.keywords))
        row.extend(_extra_cell(record.extra.get(key, [])) for key in extra_keys)
        writer.writerow(cells.escape_row(row))
    return out.getvalue()


def map_columns(
    header: list[str],
    *,
    dialect: str,
    column_map: dict[str, str] | None,
    file: str,
    line: int | None,
) -> list[Column]:
    """Decide where each column goes; a header with no title column is an error."""
    header = [h.strip().lstrip("\ufeff") for h in header]
    while header and not header[-1]:
        header.pop()  # WoS tab-delimited files end every line, the header too, with a tab
    overrides = _check_column_map(column_map, header, file=file)
    preset = _PRESETS.get(dialect)
    synonyms = {syn: name for name, syns in SYNONYMS.items() for syn in syns}
    taken: set[str] = set()
    columns = []
    for number, cell in enumerate(header, start=1):
        cell = cell or f"column {number}"  # an unnamed column still needs a name in extra
        key = _norm(cell)
        target: str | None
        if key in overrides:
            target = overrides[key]
        elif preset is not None:
            target = preset.get(key)
        elif cell == RECORD_ID:
            target = RECORD_ID  # our own export's id column
        else:
            target = synonyms.get(key)
        if key not in overrides and target in overrides.values():
            target = None  # --column-map gave this field to another column
        if target in taken or target == "extra":
            target = None  # the first column for a field wins; the rest stay in extra
        if target:
            taken.add(target)
        columns.append(Column(cell, target))
    if "title" not in taken:
        raise ParseError(
            "no column holds the titles; columns found: " + ", ".join(repr(h) for h in header),
            file=file,
            line=line,
            hint="Name the title column with --column-map, e.g. --column-map 'Article Name=title'.",
        )
    return columns


class _NumberedLines:
    """Iterates physical lines for the csv reader, remembering them for ``raw``."""

    def __init__(self, lines: Iterator[str]) -> None:
        self._lines = lines
        self.taken: list[str] = []
        self.line = 0

    def __iter__(self) -> _NumberedLines:
        return self

    def __next__(self) -> str:
        line = next(self._lines)
        self.line += 1
        self.taken.append(line)
        return line

    def pop_raw(self) -> str:
        raw = "".join(self.taken)
        self.taken = []
        return raw.rstrip("\r\n")


def _delimiter(dialect: str, text: str, lines: _NumberedLines) -> str:
    """Tab for TSV/WoS, comma for Scopus; generic CSV follows its header line.

    European Excel writes ';'-separated "CSV", sometimes after a ``sep=;`` line.
    """
    if dialect in ("tsv", "wos-tab"):
        return "\t"
    if dialect == "scopus-csv":
        return ","
    first = next((line for line in text[:100_000].split("\n") if line.strip()), "")
    if first.lower().startswith("sep=") and len(first.strip()) == 5:
        while True:  # consume the sep= line (and any blank lines before it)
            if next(lines).lower().startswith("sep="):
                lines.pop_raw()
                return first.strip()[4]
    unquoted = re.sub(r'"[^"]*"', "", first)
    counts = {d: unquoted.count(d) for d in (",", ";", "\t")}
    best = max(counts, key=lambda d: counts[d])
    return best if counts[best] else ","


def _rows(
    reader: Iterator[list[str]], lines: _NumberedLines, *, file: str
) -> Iterator[tuple[list[str], int, str]]:
    start = lines.line + 1
    while True:
        try:
            values = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            if "field larger than field limit" in str(exc):
                raise ParseError(
                    f"a field is longer than {limits.CSV_FIELD_CHARS:,} characters: the "
                    "export is probably damaged (a quote that is not closed)",
                    file=file,
                    line=start,
                    hint="Open the file in a spreadsheet program, fix the row and save as CSV.",
                ) from exc
            raise ParseError(
                f"malformed CSV ({exc}); a quote is probably not closed",
                file=file,
                line=start,
                hint="Open the file in a spreadsheet program, fix the row and save as CSV.",
            ) from exc
        raw = lines.pop_raw()
        limits.check_columns(len(values), file=file, line=start)
        if values and any(v.strip() for v in values):
            yield values, start, raw
        start = lines.line + 1


def _xlsx_record(
    columns: list[Column], values: list[str], *, file: str, line: int | None, report: ParseReport
) -> Record:
    """A sheet row: short rows are padded; cells right of the header are kept, not refused."""
    from openpyxl.utils import get_column_letter

    width = len(columns)
    cells = values[:width] + [""] * (width - len(values))
    record = _record(columns, cells, file=file, line=line, raw="\t".join(values), report=report)
    for index, value in enumerate(values[width:], start=width + 1):
        if value.strip():
            name = f"column {get_column_letter(index)}"
            report.warn(
                line, f"cell {get_column_letter(index)}{line} has no header; kept as {name!r}"
            )
            record.extra.setdefault(name, []).append(value)
    return record


def _fit_row(
    values: list[str], width: int, *, file: str, line: int | None, report: ParseReport, dialect: str
) -> list[str]:
    if len(values) > width:
        surplus = values[width:]
        if any(v.strip() for v in surplus):
            raise ParseError(
                f"this row has {len(values)} fields but the header has {width} columns",
                file=file,
                line=line,
                hint="A delimiter inside an unquoted field splits it; quote the field or "
                "re-export the file.",
            )
        if dialect != "wos-tab":  # WoS ends every row with a tab; elsewhere it is worth a word
            report.warn(line, f"{len(surplus)} empty field(s) after the last column ignored")
        return values[:width]
    if len(values) < width:
        raise ParseError(
            f"this row has {len(values)} fields but the header has {width} columns",
            file=file,
            line=line,
            hint="The row is cut short or a quoted field runs on; fix it in a spreadsheet.",
        )
    return values


def _record(
    columns: list[Column],
    values: list[str],
    *,
    file: str,
    line: int | None,
    raw: str,
    report: ParseReport,
) -> Record:
    record = Record(raw=raw, source_file=file, source_line=line)
    pages: dict[str, str] = {}
    for column, value in zip(columns, values, strict=True):
        text = clean(value)
        if text is None:
            continue
        if text in _EXCEL_ERRORS:
            report.warn(
                line, f"column {column.header!r} holds the spreadsheet error {text}; ignored"
            )
            continue
        if not _set_field(record, column, text, pages, report=report, line=line):
            record.extra.setdefault(column.header, []).extend(_extra_values(text))
    if PAGE_START in pages and not record.pages:
        end = pages.get(PAGE_END)
        record.pages = f"{pages[PAGE_START]}-{end}" if end else pages[PAGE_START]
    return record


def _set_field(
    record: Record,
    column: Column,
    text: str,
    pages: dict[str, str],
    *,
    report: ParseReport,
    line: int | None,
) -> bool:
    """Store ``text`` in its canonical field; False sends it to extra (unmapped or unusable)."""
    name = column.field
    if name is None:
        return False
    if name == RECORD_ID:
        return True  # another project's id: provenance in the raw row, not a field here
    if name in (PAGE_START, PAGE_END):
        pages[name] = text
        return False
    if name == "year":
        record.year = parse_year(text)
        if record.year is None:
            report.warn(line, f"no year in {column.header!r} value {text!r}; kept in extra")
        return record.year is not None
    if name == "doi":
        record.doi = normalize_doi(text)
        if record.doi is None:
            report.warn(line, f"no DOI in {column.header!r} value {text!r}; kept in extra")
        return record.doi is not None
    if name == "authors":
        record.authors = split_authors(text)
        return True
    if name == "keywords":
        record.keywords = [k.strip() for k in text.split(";") if k.strip()]
        return True
    setattr(record, name, text)
    return True


_INITIALS_COMMA = re.compile(r"(?<=\.),\s+")


def split_authors(text: str) -> list[str]:
    """Split an author cell, by the evidence of the cell itself.

    ``;`` (Scopus since 2020, WoS, Zotero, our own export) wins; else `` and `` (CSVs made
    from BibTeX); else a comma after initials (``Smith J., Jones A.B.`` in older Scopus,
    ``Achenbach, T. M., Rescorla, L. A.`` in APA-style lists).
    """
    if ";" in text:
        parts = text.split(";")
    elif " and " in text:
        parts = text.split(" and ")
    else:
        parts = _INITIALS_COMMA.split(text)
    return [p.strip() for p in parts if p.strip()]


def _join_list(values: list[str]) -> str:
    joined = "; ".join(values)
    if len(values) == 1 and split_authors(joined) != values:
        joined += ";"  # a lone "Health and Care Dept" must not split on re-import
    return joined


def _cell_text(cell: object, report: ParseReport) -> str:
    value = getattr(cell, "value", None)
    if value is None:
        return ""
    if getattr(cell, "data_type", None) == "e" or (
        isinstance(value, str) and value in _EXCEL_ERRORS
    ):
        report.warn(
            getattr(cell, "row", None),
            f"cell {getattr(cell, 'coordinate', '?')} holds the error {value}; ignored",
        )
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat()
    return str(value)


def _check_column_map(
    column_map: dict[str, str] | None, header: list[str], *, file: str
) -> dict[str, str]:
    if not column_map:
        return {}
    found = {_norm(h) for h in header}
    out = {}
    for column, target in column_map.items():
        if target not in FIELDS and target != "extra":
            raise InputError(
                f"--column-map {column}={target}: {target!r} is not a record field",
                hint="Fields: " + ", ".join(FIELDS) + " (or 'extra').",
            )
        if _norm(column) not in found:
            raise InputError(
                f"{file}: --column-map names the column {column!r}, which is not in the header",
                hint="Columns found: " + ", ".join(repr(h) for h in header),
            )
        out[_norm(column)] = target
    return out
