"""Web of Science plain-text export ("Other file formats" > Plain text) reader.

Written by hand: rispy's ``WokParser`` has the same failings as its RIS parser (drops a
last record without ``ER``, no line numbers, no raw text) and does not split keyword
lists. The format: ``FN``/``VR`` header, records from ``PT`` to ``ER``, ``EF`` at the end;
a tag is two characters and a space; long values continue on lines indented by three
spaces. For author, address and cited-reference tags each continuation line is a new
value; for other tags it continues the same value.
"""

from __future__ import annotations

import re
from pathlib import Path

from ..errors import ParseError
from ..records import Record, normalize_doi, parse_year
from ._base import ParseReport, ParseResult, load_path
from .ris import Fields, _first, _join, _take

#: Tags whose continuation lines are separate values (one author / address / reference each).
_LIST_TAGS = frozenset({"AU", "AF", "BA", "BF", "CA", "GP", "BE", "CR", "C1", "C3"})
_HEADER_TAGS = frozenset({"FN", "VR"})
_ISSN = re.compile(r"^(\d{4})-?(\d{3}[\dXx])$")


def load(path: str | Path) -> ParseResult:
    """Read a Web of Science plain-text file from disk."""
    return load_path(loads, path)


def loads(text: str, *, file: str = "<string>") -> ParseResult:
    """Parse WoS plain text; raises :class:`ParseError` when it is not WoS plain text."""
    report = ParseReport(file=file, format="wos")
    lines = text.split("\n")
    blocks = _scan(lines, file=file, report=report)
    records = []
    for start, end, fields in blocks:
        rec = _to_record(fields, raw="\n".join(lines[start:end]), line=start + 1, file=file)
        if rec.title is None:
            report.warn(start + 1, "record has no title (TI)")
        records.append(rec)
    report.records_read = len(records)
    return ParseResult(records=records, report=report)


def _split(line: str) -> tuple[str, str] | None:
    """``("TI", "...")`` for a tag line; None for anything else."""
    tag = line[:2]
    if (
        len(tag) == 2
        and tag.isascii()
        and tag.isalnum()
        and tag == tag.upper()
        and tag[0].isalpha()
    ):
        if len(line) == 2 or line[2] == " ":
            return tag, line[3:].strip()
    return None


def _scan(lines: list[str], *, file: str, report: ParseReport) -> list[tuple[int, int, Fields]]:
    blocks: list[tuple[int, int, Fields]] = []
    fields: Fields | None = None
    start = end = 0
    last_tag: str | None = None
    parts: list[str] = []  # continuation lines of the last value (see ris._join)
    saw_ef = saw_pt = False
    for i, line in enumerate(lines):
        if not line.strip():
            continue
        if line[0] in " \t":
            if fields is None or last_tag is None:
                raise ParseError(
                    "an indented continuation line outside any record",
                    file=file,
                    line=i + 1,
                    hint="Records run from 'PT' to 'ER'; export the file again.",
                )
            if last_tag in _LIST_TAGS:
                fields[last_tag].append(line.strip())
            else:
                parts.append(line.strip())
            end = i + 1
            continue
        _join(fields, last_tag, parts)
        parsed = _split(line)
        if parsed is None:
            _raise_not_a_tag(lines, i, file=file)
        tag, value = parsed  # type: ignore[misc]
        if saw_ef and tag != "FN":
            report.warn(i + 1, f"text after EF (end of file) ignored: {line.strip()[:60]!r}")
            continue
        if tag == "ER" or tag == "EF":
            if fields is not None:
                if tag == "EF":
                    report.warn(start + 1, f"record has no ER before EF at line {i + 1}")
                blocks.append((start, i + 1 if tag == "ER" else end, fields))
                fields = None
            elif tag == "ER":
                report.warn(i + 1, "ER line with no open record; ignored")
            saw_ef = tag == "EF"
            last_tag = None
            continue
        if fields is None and tag in _HEADER_TAGS:
            saw_ef = False  # a second export appended to the first
            continue
        if tag == "PT":
            saw_pt = True
            if fields is not None:
                report.warn(start + 1, f"record has no ER before the next PT at line {i + 1}")
                blocks.append((start, end, fields))
                fields = None
        if fields is None:
            if tag != "PT":
                report.warn(i + 1, f"record starts with {tag}, not PT; read it anyway")
            fields, start = {}, i
        fields.setdefault(tag, []).append(value)
        end = i + 1
        last_tag = tag
    _join(fields, last_tag, parts)
    if not saw_pt:
        raise ParseError(
            "not Web of Science plain text: no record starts with 'PT '",
            file=file,
            line=1,
            hint="In Web of Science export as 'Plain text file', or pass the right --format.",
        )
    if fields is not None:
        report.warn(
            start + 1, "the last record has no ER line (the file may be truncated); kept it"
        )
        blocks.append((start, end, fields))
    elif not saw_ef:
        last = max(n for n, ln in enumerate(lines) if ln.strip()) + 1
        report.warn(last, "the file does not end with EF: it may be truncated")
    return blocks


def _raise_not_a_tag(lines: list[str], i: int, *, file: str) -> None:
    what = lines[i].strip()[:60]
    raise ParseError(
        f"expected a two-letter tag ('TI ...') or a line indented by three spaces, found {what!r}",
        file=file,
        line=i + 1,
        hint="The file was edited or damaged, or it is not WoS plain text; export it again.",
    )


def _to_record(fields: Fields, *, raw: str, line: int, file: str) -> Record:
    fields = {tag: [v for v in values if v] for tag, values in fields.items()}
    rec = Record(raw=raw, source_file=file, source_line=line)
    rec.authors = fields.pop("AF", []) or fields.pop("AU", [])
    rec.title = _first(fields, ("TI",))
    rec.source_title = _first(fields, ("SO",))
    rec.year = _take(fields, ("PY", "EY"), parse_year)
    rec.volume = _first(fields, ("VL",))
    rec.issue = _first(fields, ("IS",))
    rec.pages = _pages(fields)
    rec.doi = _take(fields, ("DI",), normalize_doi)
    rec.accession_number = _first(fields, ("UT",))
    rec.pmid = _first(fields, ("PM",))
    rec.abstract = _first(fields, ("AB",))
    rec.keywords = _keywords(fields, "DE") + _keywords(fields, "ID")
    rec.language = _first(fields, ("LA",))
    rec.publication_type = _first(fields, ("DT",))
    rec.issn = _take(fields, ("SN", "EI"), _issn)
    rec.isbn = _first(fields, ("BN",))
    rec.extra = {tag: values for tag, values in fields.items() if values}
    return rec


def _pages(fields: Fields) -> str | None:
    begin = _first(fields, ("BP",))
    if begin is None:
        return None
    end = _first(fields, ("EP",))
    return f"{begin}-{end}" if end and end != begin else begin


def _keywords(fields: Fields, tag: str) -> list[str]:
    """DE and ID hold one ``;``-separated list, wrapped over several lines."""
    text = " ".join(fields.pop(tag, []))
    return [k.strip() for k in text.split(";") if k.strip()]


def _issn(value: str) -> str | None:
    m = _ISSN.match(value)
    return f"{m.group(1)}-{m.group(2).upper()}" if m else None
