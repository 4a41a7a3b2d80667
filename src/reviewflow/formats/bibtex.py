"""BibTeX / BibLaTeX exports (Zotero, JabRef, Mendeley, Google Scholar, CoLRev).

bibtexparser 1.4 does the field grammar (quotes, braces, ``@string`` macros, ``#``
concatenation) but reports no lines and drops a malformed entry without a word. So this
module first scans the text for entries itself — their start line, their raw text, and
braces that never close — and then checks that bibtexparser returned every entry it
found, in order. A lost entry is a :class:`ParseError` naming its line: an import never
silently half-happens.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

import bibtexparser
from bibtexparser.bparser import BibTexParser

from ..errors import ParseError
from ..records import Record, clean, normalize_doi, parse_year
from ._base import ParseReport, ParseResult

_ENTRY_START = re.compile(r"@\s*([A-Za-z]+)\s*([{(])")
_NOT_RECORDS = frozenset(("comment", "string", "preamble"))
#: BibTeX field -> canonical field; every other field goes to ``extra`` under its name.
FIELD_MAP: dict[str, str] = {
    "title": "title",
    "abstract": "abstract",
    "journal": "source_title",
    "journaltitle": "source_title",
    "booktitle": "source_title",
    "volume": "volume",
    "number": "issue",
    "issue": "issue",
    "pages": "pages",
    "doi": "doi",
    "pmid": "pmid",
    "issn": "issn",
    "isbn": "isbn",
    "language": "language",
    "langid": "language",
    "url": "url",
}
_VERBATIM = frozenset(("url", "doi", "file", "pages"))


@dataclass
class Entry:
    """An entry as found by the scanner: type, key, first line and raw text."""

    type: str
    key: str
    line: int
    raw: str


def loads(text: str, *, file: str = "<string>") -> ParseResult:
    """Parse BibTeX text; one record per entry (``@comment``/``@string``/``@preamble`` skipped)."""
    report = ParseReport(file=file, format="bibtex")
    text = text.lstrip("\ufeff")
    entries = scan_entries(text, file=file)
    found = [e for e in entries if e.type not in _NOT_RECORDS]
    # Only the entries go to bibtexparser, keyless ones with a stand-in key it accepts.
    source = "\n\n".join(_with_key(e) for e in entries)
    parser = BibTexParser(common_strings=True, ignore_nonstandard_types=False)
    parsed = bibtexparser.loads(source, parser=parser).entries
    _check_all_parsed(found, parsed, file=file)
    records = []
    for entry, fields in zip(found, parsed, strict=True):
        _warn_repeated_fields(entry, report)
        records.append(_record(fields, entry, file=file, report=report))
    report.records_read = len(records)
    return ParseResult(records, report)


def scan_entries(text: str, *, file: str) -> list[Entry]:
    """Every ``@type{...}`` with its line and raw text; unbalanced braces are a ParseError."""
    entries = []
    pos = 0
    line, counted = 1, 0  # count newlines incrementally: a 20 MB file has 10,000 entries
    while (match := _ENTRY_START.search(text, pos)) is not None:
        line += text.count("\n", counted, match.start())
        counted = match.start()
        if "%" in text[text.rfind("\n", 0, match.start()) + 1 : match.start()]:
            pos = match.end()  # commented out, as bibtexparser and reference managers read it
            continue
        end = _entry_end(text, match.end(), match.group(2), file=file, line=line)
        raw = text[match.start() : end]
        key = raw[match.end() - match.start() :].split(",", 1)[0].strip()
        entries.append(Entry(match.group(1).lower(), key, line, raw))
        pos = end
    return entries


_BRACE_EVENTS = re.compile(r"\\.|[{}()]|\n(?=\s*@\s*[A-Za-z]+\s*[{(])", re.DOTALL)


def _entry_end(text: str, start: int, opener: str, *, file: str, line: int) -> int:
    """Offset just past the entry's closing brace; a new ``@type{`` line first is an error."""
    depth = 0
    for event in _BRACE_EVENTS.finditer(text, start):
        char = event.group(0)
        if char == "{":
            depth += 1
        elif char == "}":
            if depth == 0 and opener == "{":
                return event.end()
            depth -= 1
        elif char == ")" and opener == "(" and depth == 0:
            return event.end()
        elif char == "\n":
            next_line = line + text.count("\n", start, text.index("@", event.end()))
            raise _unclosed(file, line, f"before the next entry at line {next_line}")
    raise _unclosed(file, line, "before the end of the file")


def _stand_in_key(entry: Entry) -> str:
    return entry.key or f"reviewflow-keyless-line-{entry.line}"


def _with_key(entry: Entry) -> str:
    if entry.key or entry.type in _NOT_RECORDS:
        return entry.raw
    return re.sub(r"^(@[^{(]*[{(])\s*,", rf"\g<1>{_stand_in_key(entry)},", entry.raw)


def _unclosed(file: str, line: int, where: str) -> ParseError:
    return ParseError(
        f"this entry is not closed {where}: a brace is missing",
        file=file,
        line=line,
        hint="Balance the { } of this entry in a text editor, then import again.",
    )


def _check_all_parsed(found: list[Entry], parsed: list[dict[str, str]], *, file: str) -> None:
    """bibtexparser drops bad entries silently: line them up by key and name the first lost."""
    j = 0
    for entry in found:
        if j < len(parsed) and parsed[j].get("ID") == _stand_in_key(entry):
            j += 1
            continue
        raise ParseError(
            f"entry {entry.key!r} could not be read (a missing comma, quote or '=' in a field)",
            file=file,
            line=entry.line,
            hint="Fix the entry in a text editor (each field is name = {value},) and import again.",
        )
    if j != len(parsed):  # pragma: no cover - the scanner finds what bibtexparser finds
        raise ParseError("entries were found that the scanner missed", file=file)


_INNER_BRACES = re.compile(r"\{[^{}]*\}")
_FIELD_NAME = re.compile(r"(?:^|,)\s*([A-Za-z][\w:.+-]*)\s*=")


def _warn_repeated_fields(entry: Entry, report: ParseReport) -> None:
    """bibtexparser keeps only the first of two same-named fields; say so, with the line."""
    opener = _ENTRY_START.match(entry.raw)
    body = entry.raw[opener.end() if opener else 0 : -1].partition(",")[2]
    while (stripped := _INNER_BRACES.sub("", body)) != body:
        body = stripped
    body = re.sub(r'"[^"]*"', "", body)
    names = [name.lower() for name in _FIELD_NAME.findall(body)]
    for name in sorted({n for n in names if names.count(n) > 1}):
        report.warn(
            entry.line, f"field {name!r} appears more than once; only the first is read (see raw)"
        )


def _record(fields: dict[str, str], entry: Entry, *, file: str, report: ParseReport) -> Record:
    record = Record(raw=entry.raw, source_file=file, source_line=entry.line)
    record.publication_type = fields.get("ENTRYTYPE")
    if entry.key:
        record.extra["ID"] = [entry.key]
    for name, value in fields.items():
        if name in ("ENTRYTYPE", "ID"):
            continue
        if name == "author":
            record.authors = [_plain(a) for a in split_names(value) if _plain(a)]
            continue
        text = clean(value if name in _VERBATIM else _plain(value))
        if text is None:
            continue
        if not _set_field(record, name, text, report=report, line=entry.line):
            record.extra.setdefault(name, []).append(text)
    return record


def _set_field(record: Record, name: str, text: str, *, report: ParseReport, line: int) -> bool:
    if name in ("year", "date"):
        if record.year is not None:
            return False
        record.year = parse_year(text)
        if record.year is None:
            report.warn(line, f"no year in {name} = {text!r}; kept in extra")
        return name == "year" and record.year is not None
    if name == "keywords":
        record.keywords = [k.strip() for k in re.split(r"[;,]", text) if k.strip()]
        return True
    target = FIELD_MAP.get(name)
    if target is None or getattr(record, target):
        return False  # journal and booktitle both present: the second stays in extra
    if target == "doi":
        record.doi = normalize_doi(text)
        return record.doi is not None
    if target == "pages":
        text = re.sub(r"\s*-{2,}\s*", "-", text)
    setattr(record, target, text)
    return True


def split_names(value: str) -> list[str]:
    """Split ``A and B`` at brace depth 0, so ``{Smith and Sons}`` stays one author."""
    names, depth, start = [], 0, 0
    i = 0
    while i < len(value):
        char = value[i]
        if char == "{":
            depth += 1
        elif char == "}":
            depth -= 1
        elif depth == 0 and value[i : i + 5].lower() == " and ":
            names.append(value[start:i])
            start = i = i + 5
            continue
        i += 1
    names.append(value[start:])
    return [n.strip() for n in names if n.strip()]


_ACCENTS = {
    "'": "\u0301", "`": "\u0300", "^": "\u0302", '"': "\u0308", "~": "\u0303",
    "=": "\u0304", ".": "\u0307", "u": "\u0306", "v": "\u030c", "H": "\u030b",
    "c": "\u0327", "k": "\u0328", "r": "\u030a",
}  # fmt: skip
_SYMBOL_ACCENT = re.compile(r"\\(['`^\"~=.])\s*(?:\{\s*(\\?[A-Za-z])\s*\}|(\\?[A-Za-z]))")
_LETTER_ACCENT = re.compile(r"\\([uvHckr])(?:\s*\{\s*(\\?[A-Za-z])\s*\}|\s+([A-Za-z]))")
_LETTERS = {
    "o": "ø", "O": "Ø", "ss": "ß", "aa": "å", "AA": "Å", "ae": "æ", "AE": "Æ", "oe": "œ",
    "OE": "Œ", "l": "ł", "L": "Ł", "i": "i", "j": "j", "alpha": "α", "beta": "β",
    "gamma": "γ", "delta": "δ", "epsilon": "ε", "kappa": "κ", "lambda": "λ", "mu": "μ",
    "pi": "π", "sigma": "σ", "tau": "τ", "chi": "χ", "omega": "ω", "Delta": "Δ",
    "textendash": "–", "textemdash": "—", "textregistered": "®", "texttrademark": "™",
}  # fmt: skip
_NAMED = re.compile(r"\\([A-Za-z]+)\b\s*(?:\{\s*\})?")
_FORMATTING = frozenset(
    ("emph", "textit", "textbf", "textsc", "textrm", "texttt", "textup", "mathrm", "mathit",
     "em", "it", "bf", "sc", "rm", "tt", "url", "mbox", "textsuperscript", "textsubscript")
)  # fmt: skip


#: A URL or DOI inside a text field (a note, a howpublished): kept as written.
_LINK = re.compile(r"(?:https?://|ftp://|www\.|\b10\.\d{4,9}/)[^\s{}]+", re.IGNORECASE)
#: LaTeX quotes: ``double'' and `single' (an apostrophe inside, as in `don't', stays).
_DOUBLE_QUOTE = re.compile(r"``(.*?)''", re.DOTALL)
_SINGLE_QUOTE = re.compile(r"`(.*?)'(?![A-Za-z])", re.DOTALL)


def latex_to_text(value: str) -> str:
    """LaTeX accents, symbols, quotes and dashes to unicode; formatting and braces dropped.

    bibtexparser's own table mangles some accents (``Mar{\\'i}a`` -> ``Mar\\á``) and
    keeps ``\\emph``; the few dozen forms exports really use are listed here. ``quote''
    and `quote' become “quote” and ‘quote’, -- and --- dashes, ~ a space; URLs and DOIs in
    the text are left as they are (a ``~`` or ``--`` there is part of the address).
    """
    if not any(c in value for c in "\\{$~`") and "--" not in value and "''" not in value:
        return value
    parts, pos = [], 0
    for link in _LINK.finditer(value):
        parts += [_latex(value[pos : link.start()]), link.group(0)]
        pos = link.end()
    parts.append(_latex(value[pos:]))
    return "".join(parts)


def _latex(value: str) -> str:
    text = _SYMBOL_ACCENT.sub(_accent, value)
    text = _LETTER_ACCENT.sub(_accent, text)
    text = _NAMED.sub(_named, text)
    text = re.sub(r"\\([&%$#_{}])", r"\1", text)
    text = _DOUBLE_QUOTE.sub(r"“\1”", text)
    text = _SINGLE_QUOTE.sub(r"‘\1’", text)
    text = text.replace("---", "—").replace("--", "–")
    text = re.sub(r"(?<!\\)[{}$]", "", text).replace("~", " ")
    return unicodedata.normalize("NFC", text)


def _accent(match: re.Match[str]) -> str:
    letter = (match.group(2) or match.group(3)).lstrip("\\")
    return letter + _ACCENTS[match.group(1)]


def _named(match: re.Match[str]) -> str:
    name = match.group(1)
    if name in _FORMATTING:
        return ""
    return _LETTERS.get(name, match.group(0))


def _plain(value: str) -> str:
    """Unicode text without case-protecting braces or line breaks."""
    return re.sub(r"\s+", " ", latex_to_text(value)).strip()
