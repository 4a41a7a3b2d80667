"""The one canonical record shape every format is read into and written from.

A record keeps its normalised bibliographic fields *and* everything needed to prove
nothing was lost: the raw text of the record as it stood in the file, the file and line
it started on, and every tag/column that has no canonical field (``extra``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

#: Canonical scalar fields, in the order used by CSV export and tables.
SCALAR_FIELDS: tuple[str, ...] = (
    "title",
    "abstract",
    "year",
    "source_title",
    "volume",
    "issue",
    "pages",
    "doi",
    "pmid",
    "issn",
    "isbn",
    "language",
    "publication_type",
    "url",
    "accession_number",
)
#: Canonical list fields.
LIST_FIELDS: tuple[str, ...] = ("authors", "keywords")


@dataclass
class Record:
    """One bibliographic record as exported by a database."""

    title: str | None = None
    abstract: str | None = None
    authors: list[str] = field(default_factory=list)
    year: int | None = None
    source_title: str | None = None
    volume: str | None = None
    issue: str | None = None
    pages: str | None = None
    doi: str | None = None
    pmid: str | None = None
    issn: str | None = None
    isbn: str | None = None
    keywords: list[str] = field(default_factory=list)
    language: str | None = None
    publication_type: str | None = None
    url: str | None = None
    accession_number: str | None = None
    #: Tags or columns with no canonical field, name -> values, in file order.
    extra: dict[str, list[str]] = field(default_factory=dict)
    #: The record's text exactly as it stood in the file (after decoding).
    raw: str = ""
    #: File name and 1-based line the record starts on.
    source_file: str | None = None
    source_line: int | None = None
    id: int | None = None

    def canonical(self) -> dict[str, object]:
        """The canonical fields only, for comparisons and exports."""
        out: dict[str, object] = {name: getattr(self, name) for name in SCALAR_FIELDS}
        for name in LIST_FIELDS:
            out[name] = list(getattr(self, name))
        return out


_DOI_PREFIX = re.compile(
    r"^(?:doi:\s*|https?://(?:dx\.)?doi\.org/|https?://doi\.org/|doi\.org/)", re.IGNORECASE
)
_DOI_SHAPE = re.compile(r"10\.\d{4,9}/\S+")
_DOI_SUFFIX = re.compile(r"\s*\[doi\]\s*$", re.IGNORECASE)


def normalize_doi(value: str | None) -> str | None:
    """Lower-cased bare DOI (``10.xxxx/...``) or None when no DOI is recognisable.

    DOIs are case-insensitive by definition; databases export them with URL prefixes,
    ``doi:`` labels, trailing full stops and, in Embase, a ``[doi]`` suffix.
    """
    if not value:
        return None
    text = value.strip()
    text = _DOI_SUFFIX.sub("", text)
    text = _DOI_PREFIX.sub("", text)
    match = _DOI_SHAPE.search(text)
    if not match:
        return None
    doi = match.group(0).rstrip(".,;")
    return doi.lower()


_ISSN = re.compile(r"^\s*(\d{4})-?(\d{3}[\dXx])\s*$")


def normalize_issn(value: str | None) -> str | None:
    """``NNNN-NNNX`` for a bare ISSN in any common spelling; anything else unchanged.

    Scopus writes ``09660410``, RIS and PubMed ``0966-0410``; one spelling lets exports
    of the same journal compare equal.
    """
    if not value:
        return value
    match = _ISSN.match(value)
    return f"{match.group(1)}-{match.group(2).upper()}" if match else value


_YEAR = re.compile(r"(?<!\d)(1[5-9]\d\d|20\d\d|21\d\d)(?!\d)")


def parse_year(value: str | None) -> int | None:
    """The first plausible four-digit year in a date string (``2019/03/01``, ``Mar 2019``)."""
    if not value:
        return None
    match = _YEAR.search(value)
    return int(match.group(1)) if match else None


def clean(value: str | None) -> str | None:
    """Strip whitespace; empty strings become None (a missing field, not an empty one)."""
    if value is None:
        return None
    value = value.strip()
    return value or None
