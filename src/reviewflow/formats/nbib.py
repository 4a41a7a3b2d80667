"""PubMed MEDLINE format (``.nbib``, "PubMed" export, Ovid/NCBI tagged text) reader.

Written by hand rather than with the ``nbib`` package from PyPI because that package
returns plain dicts with no line numbers and no raw text, and maps a fixed set of tags;
we need each record's text and first line, and every tag kept (``extra``).

The format: a tag padded to four characters, ``"- "``, the value (``PMID- 12345678``,
``TI  - ...``); long values continue on lines indented by six spaces; records start at
``PMID-`` and are separated by blank lines; every record ends with ``SO`` (the citation).
"""

from __future__ import annotations

import re
from pathlib import Path

from ..errors import ParseError
from ..records import Record, normalize_doi, parse_year
from ._base import ParseReport, ParseResult, load_path
from .ris import Fields, _first, _join, _take

_TAG = re.compile(r"^([A-Z][A-Z0-9]{0,3}) {0,3}- ?(.*)$")
_ISSN = re.compile(r"(\d{4})-?(\d{3}[\dXx])")
_DOI_MARK = re.compile(r"\s*\[doi\]\s*$", re.I)


def load(path: str | Path) -> ParseResult:
    """Read a PubMed/MEDLINE file from disk."""
    return load_path(loads, path)


def loads(text: str, *, file: str = "<string>") -> ParseResult:
    """Parse MEDLINE-format text; raises :class:`ParseError` on text that is not MEDLINE."""
    report = ParseReport(file=file, format="nbib")
    lines = text.split("\n")
    blocks = _scan(lines, file=file, report=report)
    records = [_to_record(start, end, fields, lines, file=file) for start, end, fields in blocks]
    for rec in records:
        if rec.title is None:
            report.warn(rec.source_line, "record has no title (TI)")
    if blocks and "SO" not in blocks[-1][2]:
        report.warn(
            blocks[-1][0] + 1,
            "the last record has no SO line, which PubMed writes at the end of every record:"
            " the file may be truncated; kept the record",
        )
    report.records_read = len(records)
    return ParseResult(records=records, report=report)


def _tag_line(line: str) -> tuple[str, str] | None:
    """``("PMID", "123")`` for a tag line: tag padded to 4 characters, then ``"- "``."""
    if line[4:6] == "- " or line[4:] == "-":
        tag = line[:4].rstrip()
        if tag and tag.isalnum() and tag.isupper():
            return tag, line[6:].strip()
    m = _TAG.match(line) if line[:1].isupper() else None
    return (m.group(1), m.group(2).strip()) if m else None


def _scan(lines: list[str], *, file: str, report: ParseReport) -> list[tuple[int, int, Fields]]:
    """Records as (first line index, end index, tag values)."""
    blocks: list[tuple[int, int, Fields]] = []
    fields: Fields | None = None
    start = end = 0
    last_tag: str | None = None
    parts: list[str] = []  # continuation lines of the last value (see ris._join)
    for i, line in enumerate(lines):
        if not line.strip():
            _join(fields, last_tag, parts)
            if fields is not None:
                blocks.append((start, end, fields))
                fields = None
            continue
        if line[0] in " \t":
            if fields is None or last_tag is None:
                raise ParseError(
                    "an indented continuation line with no tag line before it",
                    file=file,
                    line=i + 1,
                    hint="Records must start with 'PMID- '; export the file again from PubMed.",
                )
            parts.append(line.strip())
            end = i + 1
            continue
        _join(fields, last_tag, parts)
        parsed = _tag_line(line)
        if parsed is None:
            _raise_not_a_tag(lines, i, file=file, in_record=fields is not None)
        tag, value = parsed  # type: ignore[misc]
        if tag == "PMID" and fields is not None:
            blocks.append((start, end, fields))
            fields = None
        if fields is None:
            if tag != "PMID":
                report.warn(i + 1, f"record starts with {tag}, not PMID; read it without a PMID")
            fields, start = {}, i
        fields.setdefault(tag, []).append(value)
        end = i + 1
        last_tag = tag
    _join(fields, last_tag, parts)
    if fields is not None:
        blocks.append((start, end, fields))
    if not any("PMID" in f for _, _, f in blocks):
        first = next((n for n, ln in enumerate(lines) if ln.strip()), 0)
        raise ParseError(
            "not a PubMed/MEDLINE file: no record starts with 'PMID- '",
            file=file,
            line=first + 1,
            hint="In PubMed choose Save > Format: PubMed, or pass the right --format.",
        )
    return blocks


def _raise_not_a_tag(lines: list[str], i: int, *, file: str, in_record: bool) -> None:
    what = lines[i].strip()[:60]
    if not any(ln.startswith("PMID-") for ln in lines):
        raise ParseError(
            f"not a PubMed/MEDLINE file: {what!r} is not a tag line like 'PMID- 12345678'",
            file=file,
            line=i + 1,
            hint="In PubMed choose Save > Format: PubMed, or pass the right --format.",
        )
    where = "inside a record" if in_record else "between records"
    raise ParseError(
        f"expected a tag line ('TI  - ...') or a continuation indented by spaces {where},"
        f" found {what!r}",
        file=file,
        line=i + 1,
        hint="The file was edited or damaged; export it again from PubMed.",
    )


def _to_record(start: int, end: int, fields: Fields, lines: list[str], *, file: str) -> Record:
    fields = {tag: [v for v in values if v] for tag, values in fields.items()}
    rec = Record(raw="\n".join(lines[start:end]), source_file=file, source_line=start + 1)
    rec.pmid = _first(fields, ("PMID",))
    rec.title = _first(fields, ("TI",)) or _first(fields, ("BTI",))
    rec.abstract = _first(fields, ("AB",))
    rec.authors = fields.pop("FAU", []) or fields.pop("AU", [])
    rec.year = _take(fields, ("DP",), parse_year)
    rec.source_title = _first(fields, ("JT", "TA", "BTI"))
    rec.volume = _first(fields, ("VI",))
    rec.issue = _first(fields, ("IP",))
    rec.pages = _first(fields, ("PG",))
    rec.doi = _take(fields, ("LID", "AID"), _marked_doi)
    rec.issn = _take(fields, ("IS",), _issn)
    rec.isbn = _first(fields, ("ISBN",))
    rec.keywords = fields.pop("MH", []) + fields.pop("OT", [])
    rec.language = _first(fields, ("LA",))
    rec.publication_type = _first(fields, ("PT",))
    rec.extra = {tag: values for tag, values in fields.items() if values}
    return rec


def _marked_doi(value: str) -> str | None:
    """Only a value PubMed marks ``[doi]`` is a DOI (``[pii]`` values often look like one)."""
    return normalize_doi(value) if _DOI_MARK.search(value) else None


def _issn(value: str) -> str | None:
    """``1234-5678 (Electronic)`` -> ``1234-5678``; the first IS line wins, others stay."""
    m = _ISSN.match(value)
    return f"{m.group(1)}-{m.group(2).upper()}" if m else None
