"""Pure parsers and writers for bibliographic exports. Nothing here touches the database.

Each text format module exposes ``loads(text, *, file=...) -> ParseResult`` (and, where
the format can be written, ``dumps(records) -> str``), in the shape of the stdlib ``json``
module. :func:`read` is the one entry point that reads a file, detects its format from
its content (an explicit ``format`` overrides) and dispatches.
"""

from __future__ import annotations

from pathlib import Path

from ..errors import InputError, ParseError
from ..records import normalize_issn
from ._base import (
    ParseIssue,
    ParseReport,
    ParseResult,
    decode_bytes,
    decode_report,
    read_bytes,
)

#: Format names accepted by ``--format``, with a one-line description for help texts.
FORMATS: dict[str, str] = {
    "ris": "RIS (Ovid, EBSCO CINAHL, Scopus, Cochrane, Zotero, EndNote, Mendeley, ...)",
    "nbib": "PubMed MEDLINE / .nbib",
    "wos": "Web of Science plain text (FN/VR, PT ... ER)",
    "wos-tab": "Web of Science tab-delimited",
    "scopus-csv": "Scopus CSV export",
    "bibtex": "BibTeX / BibLaTeX",
    "endnote-xml": "EndNote XML",
    "csv": "generic CSV with a header row (columns mapped by name or --column-map)",
    "tsv": "generic tab-separated text with a header row",
    "xlsx": "Excel workbook, first sheet, header row",
}


def read(
    path: str | Path,
    *,
    format: str | None = None,
    column_map: dict[str, str] | None = None,
) -> ParseResult:
    """Read a record file of any supported format into canonical records.

    Raises :class:`reviewflow.errors.ParseError` (file and line) on malformed input.
    """
    p = Path(path)
    data = read_bytes(p)
    return read_bytes_as(data, file=p.name, format=format, column_map=column_map)


def read_bytes_as(
    data: bytes,
    *,
    file: str,
    format: str | None = None,
    column_map: dict[str, str] | None = None,
) -> ParseResult:
    """Like :func:`read` for bytes already in memory (uploads, tests)."""
    from . import detect, tabular

    if format is not None and format not in FORMATS:
        raise InputError(
            f"unknown format {format!r}",
            hint="Use one of: " + ", ".join(FORMATS) + ".",
        )
    if not data.strip():
        raise InputError(
            f"{file}: the file is empty",
            hint="Export the records again; the file holds no records.",
        )
    if format == "xlsx" or (format is None and data.startswith(b"PK\x03\x04")):
        fmt = format or detect.detect_format(data, file=file)  # refuses non-Excel ZIPs
        result = tabular.load_xlsx(data, file=file, column_map=column_map)
    else:
        text, encoding, warnings = decode_report(data, file=file)  # once: detection reads it too
        fmt = format or detect.detect_text(text, file=file)
        result = _loads(fmt, text, file=file, column_map=column_map)
        result.report.encoding = encoding
        result.report.warnings[:0] = warnings  # how the bytes were read comes first
    check_field_sizes(result, file=file)
    for rec in result.records:
        rec.issn = normalize_issn(rec.issn)
    if not result.records:
        raise ParseError(
            f"no records found in this {FORMATS[fmt].split(' (')[0]} file",
            file=file,
            hint="Check that the export finished and holds records, then export it again.",
        )
    return result


#: No real bibliographic field comes near this; a longer one means a damaged export
#: (a lost tag or record end swallowed the rest of the file into one field).
MAX_FIELD_CHARS = 1_000_000


def check_field_sizes(result: ParseResult, *, file: str) -> None:
    """Refuse records with absurdly long fields, naming the record's line."""
    for rec in result.records:
        for name in ("title", "abstract", "source_title"):
            value = getattr(rec, name)
            if value and len(value) > MAX_FIELD_CHARS:
                raise ParseError(
                    f"the {name} of this record is {len(value):,} characters long, too long "
                    "for a real record: the export is probably damaged (a missing tag or "
                    "record end)",
                    file=file,
                    line=rec.source_line,
                    hint="Export the records again, or check this record in a text editor.",
                )
        for key, values in rec.extra.items():
            if sum(len(v) for v in values) > MAX_FIELD_CHARS:
                raise ParseError(
                    f"field {key} of this record is too long for a real record: the export "
                    "is probably damaged",
                    file=file,
                    line=rec.source_line,
                )


_TEXT_MODULES = {
    "ris": "ris",
    "nbib": "nbib",
    "wos": "wos",
    "bibtex": "bibtex",
    "endnote-xml": "endnote_xml",
}


def _loads(fmt: str, text: str, *, file: str, column_map: dict[str, str] | None) -> ParseResult:
    from importlib import import_module

    if fmt in ("csv", "tsv", "wos-tab", "scopus-csv"):
        from . import tabular

        return tabular.loads(text, file=file, dialect=fmt, column_map=column_map)
    module = import_module(f"{__name__}.{_TEXT_MODULES[fmt]}")
    result: ParseResult = module.loads(text, file=file)
    return result


__all__ = [
    "FORMATS",
    "ParseIssue",
    "ParseReport",
    "ParseResult",
    "decode_bytes",
    "read",
    "read_bytes",
    "read_bytes_as",
]
