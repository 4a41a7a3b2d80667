"""Spreadsheet-safe cells: record text that Excel or LibreOffice would run as a formula.

A title such as ``=HYPERLINK("http://evil.example","x")`` in a CSV we write is a live
formula once the file is opened in a spreadsheet. Every CSV we write passes its cells
through :func:`escape` (OWASP's advice: a leading ``'`` before ``=``, ``+``, ``-``, ``@``,
tab or carriage return); every reader of our own sheets passes them through
:func:`unescape`, which removes exactly that quote, so a round trip gives the text back.
Plain numbers (``-3.5``, ``+44``) are left alone: they are data, not formulas. XLSX cells
are written as string cells (:func:`xlsx_text`), which a spreadsheet never evaluates.
"""

from __future__ import annotations

import re
from typing import Any

#: A cell starting with one of these is read as a formula (or DDE) by spreadsheets.
DANGEROUS = ("=", "+", "-", "@", "\t", "\r")
_NUMBER = re.compile(r"[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?%?")


def _needs_quote(text: str) -> bool:
    """True for text that, after any quotes of its own, a spreadsheet would evaluate.

    Text that already starts with quotes before a dangerous character gets one more, so
    :func:`unescape` can tell our quote from the author's.
    """
    bare = text.lstrip("'")
    return bool(bare) and bare.startswith(DANGEROUS) and not _NUMBER.fullmatch(bare)


def escape(value: Any) -> Any:
    """The cell as a spreadsheet shows it literally; non-text values are returned as they are."""
    if isinstance(value, str) and _needs_quote(value):
        return "'" + value
    return value


def unescape(value: str) -> str:
    """Undo :func:`escape`: drop the one quote it added, nothing else."""
    if value.startswith("'") and _needs_quote(value[1:]):
        return value[1:]
    return value


def escape_row(row: Any) -> list[Any]:
    """:func:`escape` over one CSV row (a list of cells)."""
    return [escape(v) for v in row]


def escape_dict(row: dict[str, Any]) -> dict[str, Any]:
    """:func:`escape` over one ``csv.DictWriter`` row."""
    return {k: escape(v) for k, v in row.items()}


def unescape_dict(row: dict[str, Any]) -> dict[str, Any]:
    """:func:`unescape` over one ``csv.DictReader`` row (``None`` cells stay ``None``)."""
    return {k: unescape(v) if isinstance(v, str) else v for k, v in row.items()}


def xlsx_text(cell: Any) -> None:
    """Make an openpyxl cell holding text a string cell, never a formula.

    openpyxl turns any string starting with ``=`` into a formula; a string cell with the
    quote-prefix style shows the text literally and stays text when someone edits it.
    """
    if isinstance(cell.value, str) and _needs_quote(cell.value):
        cell.data_type = "s"
        cell.quotePrefix = True
