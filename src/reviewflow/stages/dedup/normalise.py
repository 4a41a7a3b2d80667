"""Step 1 of deduplication: turn records into comparable keys.

Exports from different databases spell the same paper differently: upper-case titles,
HTML tags, diacritics, authors as ``Smith, John and Doe, J.``, ``J. Smith; J. Doe`` or run
together as ``Smith J.Doe J.`` (Ovid), journals abbreviated or in full, pages as
``911-9`` or ``911-919``. This module reduces each record to plain keys once, so the
later steps compare cheap strings. The output is columnar (one list per key) because
the blocking and comparing steps touch millions of pairs and attribute access on
objects would dominate their cost.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import NamedTuple
from urllib.parse import unquote

from reviewflow.records import Record
from reviewflow.stages.dedup.journal import journals_compatible, journals_same
from reviewflow.stages.dedup.notices import (
    erratum_citation,
    notice_kind,
    part_number,
    strip_notice_heading,
)

__all__ = ["Prepared", "fold", "journals_compatible", "journals_same", "prepare"]

_TAGS = re.compile(r"<[^>]{1,40}>")
_NON_ALNUM = re.compile(r"[^0-9a-z]+")
_CAMEL = re.compile(r"(?<=[a-z])(?=[A-Z])|(?<=[A-Z])(?=[A-Z][a-z])")
_DIGITS = re.compile(r"\d+")
_NON_LETTER = re.compile(r"[^a-z]+")
#: A bracketed qualifier in a journal name: "Med Klin (Munich)", "BMJ (Clinical research ed.)".
_PAREN = re.compile(r"\s*\([^()]*\)")
_SUPPL = re.compile(r"\b(suppl|supplement|supplementum)\b")

#: Titles that name a kind of item rather than a paper; many distinct items share them.
GENERIC_TITLES = frozenset(
    {
        "editorial",
        "editorials",
        "editor s comments",
        "editors comments",
        "editorial comment",
        "from the editor",
        "guest editorial",
        "introduction",
        "preface",
        "foreword",
        "book review",
        "book reviews",
        "letter",
        "letter to the editor",
        "letters",
        "reply",
        "response",
        "in reply",
        "authors reply",
        "correspondence",
        "comment",
        "commentary",
        "erratum",
        "errata",
        "correction",
        "corrigendum",
        "retraction",
        "notice of retraction",
        "news",
        "abstracts",
        "index",
        "contents",
        "table of contents",
        "announcements",
        "obituary",
        "unknown",
        "untitled",
        "no title",
        "na",
        "title",
    }
)

_PREPRINT_VENUE = re.compile(
    r"\b(medrxiv|biorxiv|arxiv|ssrn|research square|preprints?|osf|psyarxiv)\b"
)
_PREPRINT_DOI = ("10.21203/", "10.2139/ssrn", "10.48550/", "10.31219/", "10.20944/")
#: Cold Spring Harbor's prefix is bioRxiv's and medRxiv's ("10.1101/2020.03.12.123456",
#: older "10.1101/123456") but also its journals' ("10.1101/gr.123.1", "10.1101/gad...").
_CSH_PREPRINT = re.compile(r"^10\.1101/\d")


def is_preprint(doi: str, journal: str) -> bool:
    """A preprint server's record, by its DOI or its venue (not by a shared DOI prefix)."""
    if doi.startswith(_PREPRINT_DOI) or _CSH_PREPRINT.match(doi):
        return True
    return bool(_PREPRINT_VENUE.search(journal))


_CONFERENCE_WORDS = re.compile(
    r"\b(conference|congress|meeting|symposium|proceedings|abstracts|annual|workshop)\b"
)
_COCHRANE_ID = re.compile(r"\bcd(\d{6})\b")
_COCHRANE_PUB = re.compile(r"14651858\.cd(\d{6})(?:\.pub(\d+))?")
_AUTHOR_STOP = frozenset(
    {"and", "et", "al", "unknown", "anonymous", "anon", "jr", "sr", "md", "phd"}
)


@dataclass
class Prepared:
    """Normalised keys of n records, one list per key, in input order."""

    ids: list[int] = field(default_factory=list)
    title: list[str] = field(default_factory=list)
    title_garbled: list[bool] = field(default_factory=list)
    title_generic: list[bool] = field(default_factory=list)
    authors: list[str] = field(default_factory=list)
    #: Author letters only, run together: robust to every separator and initial style.
    author_letters: list[str] = field(default_factory=list)
    first_author: list[str] = field(default_factory=list)
    year: list[int] = field(default_factory=list)
    journal: list[str] = field(default_factory=list)
    #: The meeting of a conference abstract ("69th annual meeting aan"), from the venue.
    meeting: list[str] = field(default_factory=list)
    #: ISSNs given with the record (print and electronic), normalised.
    issn: list[frozenset[str]] = field(default_factory=list)
    #: The record's own date as locator-like strings (year, day of month): a volume,
    #: issue or page equal to one of them is a date in the wrong field, not a locator.
    dates: list[tuple[str, ...]] = field(default_factory=list)
    volume: list[str] = field(default_factory=list)
    issue: list[str] = field(default_factory=list)
    page: list[str] = field(default_factory=list)
    page_end: list[str] = field(default_factory=list)
    #: The page is an electronic article number ("e0176621"), not a printed page.
    page_article: list[bool] = field(default_factory=list)
    doi: list[str] = field(default_factory=list)
    abstract: list[str] = field(default_factory=list)
    notice: list[str] = field(default_factory=list)
    part: list[str] = field(default_factory=list)
    #: Numbers in the title ("delta 9", "phase 2", "2 year follow up") as a sorted tuple.
    numbers: list[tuple[str, ...]] = field(default_factory=list)
    is_conference: list[bool] = field(default_factory=list)
    is_preprint: list[bool] = field(default_factory=list)
    cochrane: list[str] = field(default_factory=list)
    cochrane_pub: list[int] = field(default_factory=list)
    completeness: list[int] = field(default_factory=list)

    def __len__(self) -> int:
        return len(self.ids)


def fold(text: str | None) -> str:
    """Lower-case ASCII words separated by single spaces ("" for None)."""
    if not text:
        return ""
    text = _TAGS.sub(" ", text)
    if not text.isascii():
        text = _demojibake(text)
        text = unicodedata.normalize("NFKD", text)
        text = "".join(ch for ch in text if not unicodedata.combining(ch))
    return _NON_ALNUM.sub(" ", text.lower()).strip()


def _demojibake(text: str) -> str:
    """Repair UTF-8 read as Latin-1 ("GonzÃ¡lez" -> "González"), else return it unchanged."""
    if "Ã" not in text and "Â" not in text:
        return text
    try:
        return text.encode("cp1252").decode("utf-8")
    except UnicodeError:
        try:
            return text.encode("latin-1").decode("utf-8")
        except UnicodeError:
            return text


_UMLAUT = re.compile(r"(?<=[a-z])([aou])e")


def _umlaut(word: str) -> str:
    """German transliteration to plain vowels ("muehlberger" -> "muhlberger")."""
    return _UMLAUT.sub(r"\1", word) if "e" in word else word


def author_tokens(authors: Sequence[str]) -> str:
    """Author names as sorted-free words of two letters or more (surnames, given names).

    Initials are dropped because databases disagree on them (``J. Smith`` vs ``John
    Smith``); names run together by some exports (``MariaBenatar``) are split first.
    """
    text = " ".join(authors)
    if not text:
        return ""
    text = _CAMEL.sub(" ", _PARTICLE_CAMEL.sub(_lower_next, text))
    words = [_umlaut(w) for w in fold(text).split() if len(w) > 1 and w not in _AUTHOR_STOP]
    return " ".join(words)


#: A surname particle in camel case ("diCenzo", "McEwen", "DeGroot"): one word, not two,
#: so that it matches the same name written "Dicenzo" or "Mcewen" by another database.
#: "Mc"/"Mac" also inside names run together ("TejasviMcGuire").
_PARTICLE_CAMEL = re.compile(r"(Mc|Mac|\b(?:Di|De|Le|La|Da|Du|di|de|le|la|da|du))([A-Z])(?=[a-z])")


def _lower_next(match: re.Match[str]) -> str:
    return match.group(1) + match.group(2).lower()


def _first_author(authors: Sequence[str]) -> str:
    """The first author's surname, or its first long word when the order is unclear.

    "Smith, John", "Smith J." and "J. Smith" all give "smith" (initials are dropped).
    """
    if not authors:
        return ""
    head = re.split(r"[,;]| and ", authors[0], maxsplit=1)[0]
    words = [w for w in fold(_CAMEL.sub(" ", head)).split() if w not in _AUTHOR_STOP]
    long_words = [w for w in words if len(w) > 1]
    return long_words[0] if long_words else ""


_TRAILING_NOTE = re.compile(
    # One level of nesting: MEDLINE writes "[Erratum appears in ... Note: Name [added]]".
    r"\s*\[(?:[^\[\]]|\[[^\[\]]*\])*\]\s*\.?\s*$|\s*\[(?:[^\[\]]|\[[^\[\]]*\])*$|"
    r"\.\s*(german|french|spanish|italian|russian|polish|"
    r"portuguese|dutch|chinese|japanese|czech|hungarian|turkish|danish|swedish|norwegian)\b.*$",
    re.IGNORECASE | re.DOTALL,
)


def strip_notes(title: str | None) -> str | None:
    """Drop trailing database notes ("[Review] [33 refs]", "[Erratum appears in ...]").

    A title that is entirely in brackets (MEDLINE's translated titles) is kept.
    """
    if not title:
        return title
    while True:
        stripped = _TRAILING_NOTE.sub("", title)
        if stripped == title or not stripped.strip():
            return title
        title = stripped


_MONTHS = {
    m: str(n)
    for n, m in enumerate(
        ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"), 1
    )
}
_DAY_MONTH = re.compile(r"^\s*(\d{1,2})-([A-Za-z]{3})\s*$")
_MONTH_NUMBER = re.compile(r"^\s*([A-Za-z]{3})-(\d{1,4})\s*$")


def repair_pages(pages: str | None) -> str | None:
    """Undo a spreadsheet's date conversion of pages ("11-Jun" -> "11-6", "Nov-18" -> "11-18").

    Exports opened in Excel turn "6-11" or "11-16" into dates shown as "11-Jun" or
    "Nov-16"; no real page range is spelled with a month name, so the repair is safe.
    """
    if not pages or not any(c.isalpha() for c in pages):
        return pages
    match = _DAY_MONTH.match(pages)
    if match and match.group(2).lower() in _MONTHS:
        return f"{int(match.group(1))}-{_MONTHS[match.group(2).lower()]}"
    match = _MONTH_NUMBER.match(pages)
    if match and match.group(1).lower() in _MONTHS:
        return f"{_MONTHS[match.group(1).lower()]}-{int(match.group(2))}"
    return pages


def last_page(pages: str | None) -> str:
    """The last page as digits, abbreviated ends expanded ("S417-S429" -> "429", "911-9" -> "919").

    MEDLINE drops the digits the last page shares with the first ("161-70"); publishers
    print them ("161-170"). Expanding makes the two ranges equal.
    """
    if not pages:
        return ""
    found = _DIGITS.findall(pages)
    if not found:
        return ""
    end = found[-1].lstrip("0")
    start = found[0].lstrip("0")
    if len(found) >= 2 and len(end) < len(start) and int(end or 0) < int(start):
        end = start[: len(start) - len(end)] + end
    return end


_ARTICLE_NUMBER = re.compile(r"^\s*(?:[a-rt-z]{1,2}\d{3,}|\d{5,})\s*$", re.IGNORECASE)


def is_article_number(pages: str | None) -> bool:
    """An electronic article number ("e0176621", "a1754", "20180124"), not a printed page.

    One database gives the article number where another gives the printed pages of the
    same paper, so the two must not count as a page conflict. (Supplement pages "S45"
    are printed pages.)
    """
    return bool(pages and _ARTICLE_NUMBER.match(pages))


def first_page(pages: str | None) -> str:
    """The first page as digits ("S498" -> "498", "e0134585" -> "134585", "Cd002273" -> "2273")."""
    if not pages:
        return ""
    match = _DIGITS.search(pages)
    if not match:
        return ""
    return match.group(0).lstrip("0") or "0"


def _volume(value: str | None) -> str:
    if not value:
        return ""
    match = _DIGITS.search(value)
    return match.group(0).lstrip("0") if match else ""


_VOLUME_ISSUE = re.compile(r"^\s*(\d+)\s*\(([^)]*)\)")

#: Embase's citation packed into the venue: "Journal.57 ()(pp 36-43) 2015." or
#: "Journal. 11 (1) (no pagination), 2019.", with the volume, issue and pages fields empty.
_VENUE_LOCATOR = re.compile(
    r"[.,]?\s*(?P<volume>\d+[A-Za-z]?)?\s*\((?P<issue>[^()]*)\)\s*"
    r"\((?:pp\.?\s*(?P<pages>[^()]*)|no pagination)\)\s*,?\s*(?:(?:1[89]|20)\d\d\b)?\.?",
    re.IGNORECASE,
)
_VENUE_DATE = re.compile(r"[.,]?\s*Date of Publication:?\s*(?P<date>.*)$", re.IGNORECASE)
_VENUE_MEETING = re.compile(r"[.,]?\s*Conference:\s*(?P<meeting>.*)$", re.IGNORECASE)
_VENUE_ARTICLE = re.compile(r"[.,]?\s*Article Number:\s*(?P<number>[^\s.,;]+)\.?", re.IGNORECASE)
_MEETING_TAIL = re.compile(r"[.,]?\s*Conference (?:Start|End)\b.*$", re.IGNORECASE)
_DAY = re.compile(r"^\s*(\d{1,2})\b")


class Venue(NamedTuple):
    """A venue field split into what it holds (empty strings where it holds nothing)."""

    name: str
    meeting: str = ""
    volume: str = ""
    issue: str = ""
    pages: str = ""
    day: str = ""


def split_venue(text: str | None) -> Venue:
    """Split a citation-shaped venue into journal name, meeting, volume, issue, pages.

    Some Embase exports put the whole citation in the journal field
    (``Progress in X.57 ()(pp 36-43) 2015.Date of Publication: 03 Jan 2015.``) and leave
    the locator fields empty; conference abstracts carry the meeting after the journal
    (``Neurology. Conference: 69th Annual Meeting AAN``). A plain journal name comes back
    unchanged as ``name``.
    """
    if not text:
        return Venue("")
    day = ""
    match = _VENUE_DATE.search(text)
    if match:
        found = _DAY.match(match.group("date"))
        day = found.group(1).lstrip("0") if found else ""
        text = text[: match.start()]
    volume = issue = pages = ""
    match = _VENUE_ARTICLE.search(text)
    if match:
        pages = match.group("number")
        text = text[: match.start()] + " " + text[match.end() :]
    match = _VENUE_LOCATOR.search(text)
    if match:
        volume = match.group("volume") or ""
        issue = (match.group("issue") or "").strip()
        pages = (match.group("pages") or "").strip() or pages
        text = text[: match.start()] + " " + text[match.end() :]
    meeting = ""
    match = _VENUE_MEETING.search(text)
    if match:
        meeting = fold(_MEETING_TAIL.sub("", match.group("meeting")))
        text = text[: match.start()]
    return Venue(text.strip().rstrip(".,").strip(), meeting, volume, issue, pages, day)


#: An issue field holding a page range ("pp 163-170", "p. S178").
_ISSUE_PAGES = re.compile(r"^\s*pp?\.?\s*([A-Za-z]?\d.*)$", re.IGNORECASE)


def _locators(record: Record, venue: Venue) -> tuple[str, str, str | None]:
    """Volume, issue and pages, repairing the ways exports misplace them.

    Embase's ``7 (10) (no pagination)`` puts the issue in the volume field and the
    article number, which other databases give as the page, in the issue field. A page
    range in the issue field ("pp 163-170") is the pages. Locators parsed from a
    citation-shaped venue fill only the fields that are empty.
    """
    raw_issue, pages = record.issue, record.pages
    shifted = _ISSUE_PAGES.match(raw_issue or "")
    if shifted:
        raw_issue = None
        pages = pages or shifted.group(1)
    volume, issue = _volume(record.volume or venue.volume), _volume(raw_issue or venue.issue)
    pages = pages or venue.pages or None
    match = _VOLUME_ISSUE.match(record.volume or "")
    if match:
        inner = _volume(match.group(2))
        if inner and inner != issue:
            if issue and not pages:
                pages = issue
            issue = inner
    return volume, issue, pages


_GENERIC_HEADS = frozenset(
    {
        "editorial",
        "editor",
        "editors",
        "introduction",
        "preface",
        "foreword",
        "erratum",
        "correction",
        "reply",
        "response",
        "comment",
        "commentary",
        "letter",
        "book",
        "news",
    }
)


def _generic(title: str) -> bool:
    """A title shared by many distinct items ("Editorial", "Editorial introduction")."""
    words = title.split()
    if title in GENERIC_TITLES or len(words) <= 1:
        return True
    return len(words) <= 3 and words[0] in _GENERIC_HEADS


def _year(record: Record) -> int:
    """The year, or 0 when it is implausible or merely the issue number read as a year.

    Either way the number is kept in ``Prepared.dates``, so a locator equal to it is
    read as unknown by :func:`reviewflow.stages.dedup.compare.compare`.
    """
    year = record.year or 0
    if year < 1800 or year > 2100 or (record.issue and _volume(record.issue) == str(year)):
        return 0  # "1862" in year and issue: the issue number read as a year
    return year


def _garbled(title: str, raw_title: str | None, journal: str) -> bool:
    """A title that cannot identify a paper: empty, a spreadsheet error, or the venue."""
    if not title or len(title) < 8:
        return True
    if raw_title and raw_title.strip().startswith("#"):
        return True  # "#NAME?" and friends from spreadsheet round trips
    if title in GENERIC_TITLES:
        return True
    if journal and (title == journal or title.startswith(journal + " " + journal)):
        return True
    letters = len(_NON_LETTER.sub("", title))
    return letters < 0.5 * len(title)


_ISSN_TEXT = re.compile(r"\b(\d{4})-?(\d{3}[\dXx])\b")


def _issns(value: str | None) -> frozenset[str]:
    """Every ISSN in the field ("0278-5846; 1878-4216" gives both)."""
    if not value:
        return frozenset()
    return frozenset(f"{a}-{b.upper()}" for a, b in _ISSN_TEXT.findall(value))


def _fill(record: Record) -> int:
    names = ("title", "abstract", "year", "source_title", "volume", "issue", "pages", "doi")
    score = sum(1 for name in names if getattr(record, name))
    return score + (1 if record.authors else 0) + min(len(record.abstract or "") // 500, 3)


def prepare(records: Sequence[Record]) -> Prepared:
    """Normalise every record once; ids must be set and unique."""
    out = Prepared()
    for record in records:
        if record.id is None:
            raise ValueError("every record needs an id before deduplication")
        raw_title, cites_corrected = erratum_citation(strip_notes(record.title))
        title = fold(raw_title)
        notice = "errat" if cites_corrected else notice_kind(title)
        if notice in ("errat", "withd"):
            title = strip_notice_heading(title)
        venue = split_venue(record.source_title)
        journal = _SUPPL.sub("", fold(_PAREN.sub(" ", venue.name))).strip()
        doi = unquote(record.doi or "").lower()
        ptype = fold(record.publication_type)
        out.ids.append(record.id)
        out.title.append(title)
        out.title_garbled.append(_garbled(title, record.title, journal))
        out.title_generic.append(_generic(title))
        out.authors.append(author_tokens(record.authors))
        letters = _umlaut(fold(" ".join(record.authors)).replace(" ", ""))
        anonymous = letters.startswith(("anonymous", "unknown"))
        out.author_letters.append("" if anonymous else letters[:80])
        out.first_author.append(_first_author(record.authors))
        out.year.append(_year(record))
        out.journal.append(journal)
        out.meeting.append(venue.meeting)
        out.issn.append(_issns(record.issn))
        year = record.year or 0
        out.dates.append(tuple(d for d in (str(year) if year else "", venue.day) if d))
        volume, issue, pages = _locators(record, venue)
        pages = repair_pages(pages)
        out.volume.append(volume)
        out.issue.append(issue)
        out.page.append(first_page(pages))
        out.page_end.append(last_page(pages))
        out.page_article.append(is_article_number(pages))
        out.doi.append(doi)
        out.abstract.append(fold((record.abstract or "")[:400]))
        out.notice.append(notice)
        out.numbers.append(tuple(sorted(_DIGITS.findall(title))))
        out.part.append(part_number(title))
        venue_text = fold(record.source_title)
        conf_text = f"{venue_text} {fold(record.volume)} {fold(record.issue)} {ptype}"
        out.is_conference.append(
            ptype in {"inproceedings", "conference", "conference paper", "conference abstract"}
            or bool(_CONFERENCE_WORDS.search(conf_text))
        )
        out.is_preprint.append(is_preprint(doi, journal))
        cochrane = _COCHRANE_PUB.search(doi)
        if cochrane:
            out.cochrane.append(cochrane.group(1))
            out.cochrane_pub.append(int(cochrane.group(2) or 1))
        elif "cochrane" in journal:
            found = _COCHRANE_ID.search(fold(f"{record.pages} {record.issue} {record.volume}"))
            out.cochrane.append(found.group(1) if found else "")
            out.cochrane_pub.append(0)
        else:
            out.cochrane.append("")
            out.cochrane_pub.append(0)
        out.completeness.append(_fill(record))
    return out
