"""EndNote XML exports (File > Export > XML), as EndNote 8–21 write them.

The standard library's ElementTree reads them; it gives no line per element, but EndNote
writes every record as a bare ``<record>`` tag, so the scanner pairs the n-th element with
the n-th ``<record>...</record>`` in the text for ``source_line`` and ``raw``. Every leaf
element without a canonical field is kept in ``extra`` under its path inside the record
(``titles/alt-title``, ``urls/pdf-urls/url``), so nothing is lost.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET

from ..errors import ParseError
from ..records import Record, clean, normalize_doi, parse_year
from ._base import ParseReport, ParseResult

#: Path inside <record> -> canonical field.
PATH_MAP: dict[str, str] = {
    "contributors/authors/author": "authors",
    "titles/title": "title",
    "titles/secondary-title": "source_title",
    "periodical/full-title": "source_title",
    "pages": "pages",
    "volume": "volume",
    "number": "issue",
    "keywords/keyword": "keywords",
    "dates/year": "year",
    "electronic-resource-num": "doi",
    "accession-num": "accession_number",
    "abstract": "abstract",
    "urls/related-urls/url": "url",
    "isbn": "isbn",
    "language": "language",
}
_RECORD_SPAN = re.compile(r"<record>.*?</record>", re.DOTALL)
_ISSN = re.compile(r"^\s*\d{4}-?\d{3}[\dXx]\b")
_PUBMED = re.compile(r"pubmed|medline|nlm", re.IGNORECASE)


def loads(text: str, *, file: str = "<string>") -> ParseResult:
    """Parse EndNote XML text into one record per ``<record>``."""
    report = ParseReport(file=file, format="endnote-xml")
    text = text.lstrip("\ufeff")
    # The declaration may name UTF-16 while the text is already decoded: drop it.
    body = re.sub(r"^\s*<\?xml[^>]*\?>", "", text)
    offset = text.count("\n", 0, len(text) - len(body))
    try:
        root = ET.fromstring(body)
    except ET.ParseError as exc:
        line, column = exc.position
        raise ParseError(
            f"the XML is malformed ({str(exc).split(':')[0]}, column {column})",
            file=file,
            line=line + offset,
            hint="The file is probably cut short; export it from EndNote again.",
        ) from exc
    if _depth(root) > MAX_DEPTH:
        raise ParseError(
            f"elements are nested more than {MAX_DEPTH} levels deep, which no EndNote export "
            "does (its records are about 5 deep): the file is damaged or not an EndNote export",
            file=file,
            line=_deep_line(body) + offset,
            hint="Export the records from EndNote again with File > Export > XML.",
        )
    if root.tag not in ("xml", "records"):
        raise ParseError(
            f"this XML is not an EndNote export (its root is <{root.tag}>, not <xml><records>)",
            file=file,
            line=1 + offset,
            hint="Export from EndNote with File > Export > XML, or pass --format.",
        )
    elements = list(root.iter("record"))
    spans = list(_RECORD_SPAN.finditer(text))
    if len(spans) != len(elements):
        spans = []  # an unusual writer: records without line numbers rather than wrong ones
        report.warn(None, "record lines could not be located; records have no line numbers")
    records = []
    line, counted = 1, 0
    for i, element in enumerate(elements):
        record = _record(element, file=file)
        if spans:
            line += text.count("\n", counted, spans[i].start())
            counted = spans[i].start()
            record.source_line = line
            record.raw = spans[i].group(0)
        else:
            record.raw = ET.tostring(element, encoding="unicode")
        if record.title is None:
            report.warn(record.source_line, "record has no title")
        records.append(record)
    if not records:
        report.warn(None, "the file holds no <record> elements")
    report.records_read = len(records)
    return ParseResult(records, report)


#: Nesting beyond this is refused before the (recursive) walk over a record's elements.
MAX_DEPTH = 100
_TAG = re.compile(r"<(/?)[A-Za-z_][^<>]*?(/?)>")


def _depth(root: ET.Element) -> int:
    """How deep elements nest, found without recursion (5,000 levels broke the walk)."""
    deepest = 0
    stack = [(root, 1)]
    while stack:
        element, depth = stack.pop()
        deepest = max(deepest, depth)
        if deepest > MAX_DEPTH:
            break
        stack.extend((child, depth + 1) for child in element)
    return deepest


def _deep_line(text: str) -> int:
    """The line where nesting first passes :data:`MAX_DEPTH`, from the tags in the text."""
    depth = 0
    for match in _TAG.finditer(text):
        if match.group(1):
            depth -= 1
        elif not match.group(2):
            depth += 1
            if depth > MAX_DEPTH:
                return text.count("\n", 0, match.start()) + 1
    return 1


def _record(element: ET.Element, *, file: str) -> Record:
    record = Record(source_file=file)
    ref_type = element.find("ref-type")
    if ref_type is not None:
        record.publication_type = ref_type.get("name") or clean(ref_type.text)
    for path, value in _leaves(element):
        if not _set_field(record, path, value):
            record.extra.setdefault(path, []).append(value)
    database = " ".join(record.extra.get("remote-database-name", []))
    database += " " + " ".join(record.extra.get("remote-database-provider", []))
    if record.accession_number and record.accession_number.isdigit() and _PUBMED.search(database):
        record.pmid = record.accession_number
    return record


def _leaves(element: ET.Element, prefix: str = "") -> list[tuple[str, str]]:
    """(path, text) for every element holding text; <style> runs are joined, not leaves."""
    out = []
    for child in element:
        path = f"{prefix}{child.tag}"
        if all(grand.tag == "style" for grand in child):
            value = clean(re.sub(r"[ \t]*\r?\n[ \t]*", "\n", "".join(child.itertext())))
            if value is not None:
                out.append((path, value))
        else:
            out.extend(_leaves(child, prefix=f"{path}/"))
    return out


def _set_field(record: Record, path: str, value: str) -> bool:
    name = PATH_MAP.get(path)
    if name is None:
        return False
    if name == "authors":
        record.authors.append(value)
        return True
    if name == "keywords":
        record.keywords.extend(k.strip() for k in value.split("\n") if k.strip())
        return True
    if name == "year":
        record.year = parse_year(value)
        return record.year is not None
    if name == "doi":
        record.doi = record.doi or normalize_doi(value)
        return record.doi is not None and normalize_doi(value) == record.doi
    if name == "isbn" and _ISSN.match(value):
        name = "issn"
    if getattr(record, name):
        return False  # e.g. periodical/full-title after titles/secondary-title: keep in extra
    setattr(record, name, value)
    return True
