"""Which export format a file is, decided from its content.

Users rename files, databases save error pages under the export's name, and one
extension (``.txt``) covers four formats, so the extension only breaks ties. The checks
run on the decoded text (UTF-8, UTF-16 and BOMs alike) and look at the first meaningful
line first, then at the first few kilobytes: every format here announces itself early.
"""

from __future__ import annotations

import csv
import io
import re
from pathlib import PurePath

from ..errors import ParseError
from ..records import SCALAR_FIELDS
from ._base import decode_bytes

_ZIP_MAGIC = b"PK\x03\x04"
_HEAD_CHARS = 64_000

_RIS_TY = re.compile(r"^TY {1,2}-", re.MULTILINE | re.IGNORECASE)  # home-made: "ty  -", "TY -"
_NBIB_PMID = re.compile(r"^PMID- ?\d", re.MULTILINE)
_WOS_PT = re.compile(r"^PT [A-Z]\s*$", re.MULTILINE)
_WOS_FN_VR = re.compile(r"^FN .*\n(?:.*\n)*?VR ", re.MULTILINE)
_BIBTEX_ENTRY = re.compile(r"^\s*@\s*[A-Za-z]+\s*[{(]", re.MULTILINE)
_SCOPUS_MARKERS = {"eid", "author(s) id", "link", "art. no."}  # beside "Source title"
_KNOWN_COLUMNS = {
    "title", "article title", "document title", "abstract", "authors", "author", "year",
    "publication year", "journal", "source title", "doi", "pmid", "keywords", "url", "eid",
}  # fmt: skip

_SUPPORTED = (
    "RIS, PubMed .nbib, Web of Science (plain text or tab-delimited), Scopus CSV, BibTeX, "
    "EndNote XML, CSV, TSV and XLSX"
)


def detect_format(data: bytes, *, file: str) -> str:
    """The name (a key of ``formats.FORMATS``) of the format ``data`` is written in.

    Raises :class:`ParseError` for web pages, binary files and text in no known format,
    naming the file and the ``--format`` override.
    """
    if data.startswith(_ZIP_MAGIC):
        if b"xl/" in data:
            return "xlsx"
        raise ParseError(
            "this is a ZIP file but not an Excel workbook",
            file=file,
            hint="Unzip it and import the export inside, or save the sheet as .xlsx or CSV.",
        )
    text, _ = decode_bytes(data, file=file)
    return detect_text(text, file=file)


def detect_text(text: str, *, file: str) -> str:
    """Like :func:`detect_format` for text already decoded."""
    head = text[:_HEAD_CHARS].lstrip("\ufeff")
    first_line, line_no = _first_line(head)
    if first_line is None:
        raise ParseError(
            "the file is empty",
            file=file,
            hint="Export the records again; the file holds no records.",
        )
    lower = head.lstrip().lower()
    if lower.startswith(("<!doctype html", "<html")) or (
        lower.startswith("<") and "<html" in lower[:2000] and "<records>" not in lower
    ):
        raise ParseError(
            "this is a web page, not an export — the database probably returned an error",
            file=file,
            line=line_no,
            hint="Open it in a browser to read the error, then export the records again.",
        )
    if first_line.startswith("<"):
        return _xml_kind(lower, file=file, line=line_no)
    fmt = (
        _tagged_kind(first_line, head)
        or _delimited_kind(head, first_line, file=file, need_known=True)
        or _scanned_kind(head)
        or _delimited_kind(head, first_line, file=file, need_known=False)
    )
    if fmt:
        return fmt
    raise ParseError(
        "the format of this file is not recognised",
        file=file,
        line=line_no,
        hint=f"Supported: {_SUPPORTED}. If you know the format, pass it with --format "
        "(e.g. --format ris).",
    )


def _first_line(head: str) -> tuple[str | None, int]:
    for number, line in enumerate(head.split("\n"), start=1):
        if line.strip():
            return line.strip("\r"), number
    return None, 0


def _xml_kind(lower: str, *, file: str, line: int) -> str:
    if "<records>" in lower or "<record>" in lower or lower.startswith("<xml"):
        return "endnote-xml"
    raise ParseError(
        "this XML file is not an EndNote XML export (no <records> element)",
        file=file,
        line=line,
        hint="Export from EndNote with File > Export > XML, or pass --format.",
    )


def _tagged_kind(first_line: str, head: str) -> str | None:
    """Tag-per-line formats announce themselves on their first line."""
    if _RIS_TY.match(first_line):
        return "ris"
    if first_line.startswith("PMID-"):
        return "nbib"
    if first_line.startswith("FN ") or re.match(r"PT [A-Z]\s*$", first_line):
        return "wos"
    if first_line.split("\t")[:2] == ["PT", "AU"]:
        return "wos-tab"
    if first_line.lstrip().startswith(("@", "%")) and _BIBTEX_ENTRY.search(head):
        return "bibtex"
    return None


def _scanned_kind(head: str) -> str | None:
    """Tags a little way down: preambles ("Provider:" lines, comments) push them there."""
    # Preambles (a "Provider:" line, a blank first record) push the tags down a little.
    for pattern, name in (
        (_RIS_TY, "ris"),
        (_NBIB_PMID, "nbib"),
        (_WOS_FN_VR, "wos"),
        (_WOS_PT, "wos"),
    ):
        if pattern.search(head[:4000]):
            return name
    if _BIBTEX_ENTRY.search(head[:4000]):
        return "bibtex"
    return None


def _delimited_kind(head: str, first_line: str, *, file: str, need_known: bool) -> str | None:
    """CSV/TSV with a header row: the delimiter that splits the header best wins."""
    if first_line.lower().startswith("sep="):
        return "tsv" if first_line[4:5] == "\t" else "csv"
    counts = {d: first_line.count(d) for d in (",", "\t", ";")}
    delimiter = max(counts, key=lambda d: counts[d])
    if counts[delimiter] == 0:
        single = first_line.strip().strip('"').lower()
        if single in _KNOWN_COLUMNS:
            return "tsv" if PurePath(file).suffix.lower() in (".tsv", ".tab") else "csv"
        return None
    tab_suffix = PurePath(file).suffix.lower() in (".tsv", ".tab", ".txt")
    if counts["\t"] == counts[","] == counts[delimiter] and tab_suffix:
        delimiter = "\t"  # a tie: the extension decides
    rows = _first_rows(head, delimiter)
    if not rows:
        return None
    header = [_norm(cell) for cell in rows[0]]
    if any(len(cell) > 150 for cell in header):
        return None
    known = any(cell in _KNOWN_COLUMNS for cell in header)
    consistent = len(rows) > 1 and len(rows[1]) in (len(header), len(header) + 1)
    if not known and (need_known or not consistent):
        return None
    if delimiter == "\t":
        return "wos-tab" if header[:2] == ["pt", "au"] else "tsv"
    if _OWN_EXPORT in (header[: len(_OWN_EXPORT)], header[1 : len(_OWN_EXPORT) + 1]):
        return "csv"  # reviewflow's own export (record_id first, or not yet), any extras
    if "source title" in header and _SCOPUS_MARKERS & set(header):
        return "scopus-csv"
    return "csv"


def _first_rows(head: str, delimiter: str) -> list[list[str]]:
    # The head may end inside a quoted field; the first two complete rows are enough.
    reader = csv.reader(io.StringIO(head, newline=""), delimiter=delimiter)
    rows: list[list[str]] = []
    try:
        for row in reader:
            if row:
                rows.append(row)
            if len(rows) == 2:
                break
    except csv.Error:
        pass
    return rows


def _norm(header: str) -> str:
    return re.sub(r"[\s_]+", " ", header.strip().strip('"').lstrip("\ufeff")).lower()


#: The canonical columns of ``reviewflow export FILE.csv``, in order, after its record_id.
_OWN_EXPORT = [_norm(name) for name in SCALAR_FIELDS]
