"""RIS reader and writer (Ovid, EBSCO, Scopus, Cochrane, Zotero, EndNote, Mendeley).

Written by hand rather than wrapping rispy 0.10 because rispy (1) silently drops a final
record that has no ``ER`` line, (2) gives no line numbers and no raw text, which we need
to point users at a broken record and to keep every record's original text, (3) ignores
lower-case tags and (4) is slower than a single pass over the lines (see the report of
``benchmarks``: about 2-3x). ``tests/formats/test_ris.py`` cross-checks the field values
against rispy on every fixture rispy can read.

Mapping rules: each canonical field takes the first usable value of its tags in priority
order (``_TITLE_TAGS``, ``_SOURCE_TAGS``, ...); every other value, including the unused
values of those tags, goes to ``Record.extra`` under its tag, so nothing is lost.
:func:`dumps` writes each canonical field under the highest-priority tag and then the
extra tags, which makes ``loads(dumps(loads(x)))`` equal to ``loads(x)`` on canonical
fields and extra.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from pathlib import Path

from ..errors import ParseError
from ..records import Record, clean, normalize_doi, parse_year
from ._base import ParseReport, ParseResult, read_text

#: Field -> tags in priority order; the first usable value wins, the rest go to extra.
_TITLE_TAGS = ("TI", "T1", "CT")
_ABSTRACT_TAGS = ("AB", "N2")
_AUTHOR_TAGS = ("AU", "A1")
_YEAR_TAGS = ("PY", "Y1", "DA")
_SOURCE_TAGS = ("JF", "T2", "JO", "SO", "BT", "JA", "J2", "J1")
_URL_TAGS = ("UR", "L2", "L1")
#: Tags whose continuation lines are new values (EndNote writes one keyword per line).
_LIST_TAGS = frozenset({"AU", "A1", "A2", "A3", "A4", "KW"})
#: Reference types whose BT is the title of the work itself, not of its container.
_BOOK_TYPES = frozenset({"BOOK", "EBOOK", "EDBOOK", "WHOLE"})
#: Ovid/Cochrane accession numbers that sit in ID: CENTRAL CN-..., CDSR CD......
_COCHRANE_ID = re.compile(r"^(?:CN-\d{6,9}|CD\d{6})$")
_ISSN = re.compile(r"^(\d{4})-?(\d{3}[\dXx])(?:\s*\([^)]*\))?$")
_ISSN_ANY = re.compile(r"(?<![\d-])(\d{4})-(\d{3}[\dXx])(?![\d-])")
_ISBN = re.compile(r"^[\dXx][\d\s-]{8,16}[\dXx]$")
_DOI_FIELD = re.compile(r"^(?:https?://(?:dx\.)?doi\.org/|doi:\s*)?10\.\d{4,9}/\S+$", re.I)
_PMID_NOTE = re.compile(r"^PMID:\s*(\d{1,8})\.?$")
_PAGE_RANGE = re.compile(r"^([^\s-]+)-([^\s-]+)$")
_RIS_TAG = re.compile(r"^[A-Z][A-Z0-9]$")
_RAW_STARTS_RIS = re.compile(r"^\s*[A-Za-z][A-Za-z0-9]  -")

Fields = dict[str, list[str]]


def load(path: str | Path) -> ParseResult:
    """Read a RIS file from disk (any encoding :func:`decode_bytes` understands)."""
    text, encoding = read_text(path)
    result = loads(text, file=Path(path).name)
    result.report.encoding = encoding
    return result


def loads(text: str, *, file: str = "<string>") -> ParseResult:
    """Parse RIS text into records; warnings carry line numbers, fatal problems raise.

    Raises :class:`ParseError` when the text holds no ``TY  - `` line at all (not RIS) or
    when a ``TY`` line is followed by a line that is not a tag.
    """
    report = ParseReport(file=file, format="ris")
    lines = text.split("\n")
    blocks = _scan(lines, file=file, report=report)
    records = [_to_record(b, lines, file=file, report=report) for b in blocks]
    report.records_read = len(records)
    return ParseResult(records=records, report=report)


class _Block:
    """One record's lines while scanning: where it starts/ends and its tag values."""

    __slots__ = ("end", "fields", "start")

    def __init__(self, start: int) -> None:
        self.start = start  # 0-based index of the first line
        self.end = start + 1  # exclusive
        self.fields: Fields = {}


def _split_tag(line: str) -> tuple[str, str] | None:
    """``("TY", "JOUR")`` for a tag line, None for anything else."""
    if line[2:5] != "  -":
        return None
    tag = line[:2]
    if not (tag.isascii() and tag[0].isalpha() and tag[1].isalnum()):
        return None
    return tag.upper(), line[5:].strip()


def _scan(lines: list[str], *, file: str, report: ParseReport) -> list[_Block]:
    """Group lines into records. Only structural problems are decided here."""
    blocks: list[_Block] = []
    block: _Block | None = None
    last_tag: str | None = None
    saw_ty = False
    for i, line in enumerate(lines):
        parsed = _split_tag(line) if len(line) >= 5 else None
        if parsed is None:
            if not line.strip():
                continue
            if block is None:
                report.warn(i + 1, f"ignored text outside any record: {line.strip()[:60]!r}")
                continue
            if last_tag == "TY":
                raise ParseError(
                    f"expected a tag line like 'TI  - ...' after TY, found {line.strip()[:60]!r}",
                    file=file,
                    line=i + 1,
                    hint="The file is damaged; export it again from the database.",
                )
            values = block.fields[last_tag]  # type: ignore[index]
            if last_tag in _LIST_TAGS:
                values.append(line.strip())
            else:
                values[-1] = f"{values[-1]} {line.strip()}".strip()
            block.end = i + 1
            continue
        tag, value = parsed
        if tag == "TY":
            saw_ty = True
            if block is not None:
                report.warn(
                    block.start + 1,
                    f"record has no ER line before the next TY at line {i + 1}; kept it",
                )
            block = _Block(i)
            blocks.append(block)
        elif tag == "ER":
            if block is None:
                report.warn(i + 1, "ER line with no open record; ignored")
            else:
                block.end = i + 1
                block = None
            last_tag = None
            continue
        elif block is None:
            report.warn(
                i + 1, f"record starts with {tag}, not TY; read it with no publication type"
            )
            block = _Block(i)
            blocks.append(block)
        block.fields.setdefault(tag, []).append(value)
        block.end = i + 1
        last_tag = tag
    if not saw_ty:
        _raise_not_ris(lines, file=file)
    if block is not None:
        report.warn(
            block.start + 1,
            "the last record has no ER line (the file may be truncated); kept it",
        )
    return blocks


def _raise_not_ris(lines: list[str], *, file: str) -> None:
    first = next((n for n, ln in enumerate(lines) if ln.strip()), 0)
    head = lines[first].lstrip()[:200].lower() if lines else ""
    if head.startswith(("<!doctype", "<html", "<?xml", "<")):
        what = "an HTML or XML page, not RIS"
    else:
        what = "not RIS: no line starts a record with 'TY  - '"
    raise ParseError(
        what,
        file=file,
        line=first + 1,
        hint="Export the records again as RIS, or pass --format if the file is another format.",
    )


def _take(fields: Fields, tags: Iterable[str], convert: Callable[[str], object | None]):
    """Pop and return the first value of ``tags`` that ``convert`` accepts (else None)."""
    for tag in tags:
        values = fields.get(tag)
        if not values:
            continue
        for n, value in enumerate(values):
            result = convert(value)
            if result is not None:
                del values[n]
                return result
    return None


def _take_all(fields: Fields, tags: Iterable[str]) -> list[str]:
    out: list[str] = []
    for tag in tags:
        out.extend(fields.pop(tag, []))
    return out


def _find(fields: Fields, tags: Iterable[str], convert: Callable[[str], object | None]):
    """Like :func:`_take` but leaves the value in place (a value derived, not moved)."""
    for tag in tags:
        for value in fields.get(tag, ()):
            result = convert(value)
            if result is not None:
                return result
    return None


def _to_record(block: _Block, lines: list[str], *, file: str, report: ParseReport) -> Record:
    fields = {tag: [v for v in values if v] for tag, values in block.fields.items()}
    ptype = _take(fields, ("TY",), clean)
    rec = Record(
        raw="\n".join(lines[block.start : block.end]),
        source_file=file,
        source_line=block.start + 1,
        publication_type=ptype,
    )
    title_tags = (*_TITLE_TAGS, "BT") if ptype in _BOOK_TYPES else _TITLE_TAGS
    source_tags = tuple(t for t in _SOURCE_TAGS if not (t == "BT" and ptype in _BOOK_TYPES))
    rec.title = _take(fields, title_tags, clean)
    rec.abstract = _take(fields, _ABSTRACT_TAGS, clean)
    rec.authors = _take_all(fields, _AUTHOR_TAGS)
    rec.year = _take(fields, _YEAR_TAGS, parse_year)
    rec.source_title = _take(fields, source_tags, clean)
    rec.volume = _take(fields, ("VL",), clean)
    rec.issue = _take(fields, ("IS",), clean)
    rec.pages = _pages(fields)
    rec.doi = _take(fields, ("DO",), normalize_doi) or _find(
        fields, ("UR", "L2", "L1", "M3"), _doi_field
    )
    rec.accession_number = _take(fields, ("AN",), clean) or _take(fields, ("ID",), _cochrane_id)
    rec.issn = _take(fields, ("SN",), _issn) or _find(fields, ("SN",), _issn_anywhere)
    rec.isbn = _take(fields, ("SN",), _isbn)
    rec.keywords = _take_all(fields, ("KW",))
    rec.language = _take(fields, ("LA",), clean)
    rec.url = _take(fields, _URL_TAGS, _url)
    rec.pmid = _take(fields, ("PM",), _digits) or _derived_pmid(rec, fields)
    rec.extra = {tag: values for tag, values in fields.items() if values}
    _check(rec, block, report)
    return rec


def _pages(fields: Fields) -> str | None:
    start = _take(fields, ("SP",), clean)
    if start is None:
        return None
    if "-" in start:
        return start
    end = _take(fields, ("EP",), clean)
    return f"{start}-{end}" if end else start


def _doi_field(value: str) -> str | None:
    return normalize_doi(value) if _DOI_FIELD.match(value.strip()) else None


def _cochrane_id(value: str) -> str | None:
    return value if _COCHRANE_ID.match(value) else None


def _issn(value: str) -> str | None:
    m = _ISSN.match(value)
    return f"{m.group(1)}-{m.group(2).upper()}" if m else None


def _issn_anywhere(value: str) -> str | None:
    m = _ISSN_ANY.search(value)
    return f"{m.group(1)}-{m.group(2).upper()}" if m else None


def _isbn(value: str) -> str | None:
    if not _ISBN.match(value):
        return None
    digits = value.replace("-", "").replace(" ", "")
    return value if len(digits) in (10, 13) else None


def _url(value: str) -> str | None:
    return value if value.startswith(("http://", "https://", "www.")) else None


def _digits(value: str) -> str | None:
    return value if value.isdigit() else None


def _derived_pmid(rec: Record, fields: Fields) -> str | None:
    """PMID only where the database makes it unambiguous.

    Ovid MEDLINE and PubMed-sourced records carry the PMID as AN; Scopus carries it as C2.
    Elsewhere AN is a database accession (Embase, CINAHL) and C2 is a free custom field.
    """
    databases = " ".join(fields.get("DB", ())).lower()
    an = rec.accession_number
    if an and an.isdigit() and len(an) <= 8 and ("medline" in databases or "pubmed" in databases):
        return an
    if "scopus" in databases and (pmid := _find(fields, ("C2",), _digits)):
        return pmid
    return _find(fields, ("N1", "U2"), _pmid_note)


def _pmid_note(value: str) -> str | None:
    m = _PMID_NOTE.match(value)
    return m.group(1) if m else None


def _check(rec: Record, block: _Block, report: ParseReport) -> None:
    if rec.title is not None:
        return
    if (
        not rec.extra
        and rec.canonical() == Record(publication_type=rec.publication_type).canonical()
    ):
        report.warn(block.start + 1, "record has no fields besides TY")
    else:
        report.warn(block.start + 1, "record has no title (TI/T1)")


# --- writing ---------------------------------------------------------------------------


def dumps(records: Iterable[Record]) -> str:
    """RIS text for ``records``; reading it back gives the same canonical fields and extra.

    Extra tags of records that were read from RIS are written as tags; extra values of
    records from other formats (WoS, PubMed, CSV columns) are written as ``N1`` notes
    (``N1  - KEY: value``) because their tag names mean something else in RIS.
    """
    out: list[str] = []
    for rec in records:
        out.extend(_record_lines(rec))
        out.append("")
    return "\n".join(out)


def dump(records: Iterable[Record], path: str | Path) -> None:
    """Write ``records`` as a UTF-8 RIS file."""
    Path(path).write_text(dumps(records), encoding="utf-8")


def _record_lines(rec: Record) -> list[str]:
    lines = [_line("TY", rec.publication_type or "")]
    simple = (
        ("TI", rec.title),
        ("AB", rec.abstract),
        ("PY", str(rec.year) if rec.year is not None else None),
        ("JF", rec.source_title),
        ("VL", rec.volume),
        ("IS", rec.issue),
    )
    lines += [_line(tag, value) for tag, value in simple if value]
    lines += [_line("AU", a) for a in rec.authors]
    if rec.pages:
        m = _PAGE_RANGE.match(rec.pages)
        lines += (
            [_line("SP", m.group(1)), _line("EP", m.group(2))] if m else [_line("SP", rec.pages)]
        )
    more = (
        ("DO", rec.doi),
        ("AN", rec.accession_number),
        ("PM", rec.pmid),
        ("SN", rec.issn),
        ("SN", rec.isbn),
        ("LA", rec.language),
        ("UR", rec.url),
    )
    lines += [_line(tag, value) for tag, value in more if value]
    lines += [_line("KW", k) for k in rec.keywords]
    from_ris = bool(_RAW_STARTS_RIS.match(rec.raw)) or not rec.raw
    for key, values in rec.extra.items():
        if from_ris and _RIS_TAG.match(key):
            lines += [_line(key, v) for v in values]
        else:
            lines += [_line("N1", f"{key}: {v}") for v in values]
    lines.append("ER  - ")
    return lines


def _line(tag: str, value: str) -> str:
    return f"{tag}  - {value.replace(chr(10), ' ')}" if value else f"{tag}  - "
