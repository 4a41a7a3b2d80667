"""BibTeX / BibLaTeX exports (Zotero, JabRef, Mendeley, Google Scholar, CoLRev).

Read by a hand-written single-pass reader, not bibtexparser. Why: bibtexparser 1.4 (pyparsing)
takes 14 s for 2,000 entries and grows faster than linearly (70 s for 8,000 on the benchmark
machine; the issue measured 40 s and 2.5 GB for 8,000), so a 50,000-entry library, ordinary
for a reference manager, took many minutes. It also reports no lines, drops a malformed
entry without a word, recurses on nested braces and raises a bare ``UndefinedString`` on an
unknown ``@string``. ``python benchmarks/import_bench.py --bibtex`` measures both beside RIS
for the same records (goal: 50,000 entries in RIS's time class, under 1 GB).

The reader keeps bibtexparser's field semantics (``BibTexParser(common_strings=True)``):
lower-cased field names, the first of two same-named fields, ``@string`` macros
(case-insensitive, month names built in), ``#`` concatenation, the outer braces or quotes
removed and inner ones kept, leading blanks of continuation lines removed, and the fields
handed on in reverse file order, as bibtexparser's dict has them (so which of ``journal``
and ``booktitle`` wins is unchanged). tests/formats/test_bibtex_hostile.py checks it field
for field against bibtexparser on a generated library.

It is iterative (20,000 nested braces are a counter, not a recursion) and linear: every
scan moves forward and a run of blanks is one regex step. Nothing is dropped silently: an
entry or field it cannot read is a warning naming the entry number and line (a missing
opening brace, a missing comma, a field without ``=`` or without a value, an unclosed
quote, an undefined ``@string``, a repeated field or key). An entry whose braces never close
(so where it ends cannot be known) is a :class:`ParseError` naming its line, as before.
"""

from __future__ import annotations

import re
import unicodedata
from bisect import bisect_right
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Protocol, cast

from ..errors import ParseError
from ..records import Record, clean, normalize_doi, parse_year
from ._base import ParseReport, ParseResult, cyclic_gc_off

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
#: bibtexparser's ``common_strings``: the month macros every style file defines.
MONTHS = {
    "jan": "January", "feb": "February", "mar": "March", "apr": "April", "may": "May",
    "jun": "June", "jul": "July", "aug": "August", "sep": "September", "oct": "October",
    "nov": "November", "dec": "December",
}  # fmt: skip


@dataclass
class Entry:
    """An entry as read: type, key, first line, raw text and its fields in file order."""

    type: str
    key: str
    line: int
    raw: str
    fields: dict[str, str] = field(default_factory=dict)


def loads(text: str, *, file: str = "<string>") -> ParseResult:
    """Parse BibTeX text; one record per entry (``@comment``/``@string``/``@preamble`` skipped)."""
    report = ParseReport(file=file, format="bibtex")
    with cyclic_gc_off():
        entries = read_entries(text.lstrip("\ufeff"), file=file, report=report)
        records = [_record(entry, file=file, report=report) for entry in entries]
    report.records_read = len(records)
    return ParseResult(records, report)


def read_entries(text: str, *, file: str, report: ParseReport) -> list[Entry]:
    """Every record entry of ``text`` in order; what could not be read is warned in ``report``."""
    return _Reader(text, file, report).run()


class _MatchesEmpty(Protocol):
    """A pattern that matches the empty string, so its ``match`` is never None."""

    def match(self, string: str, pos: int = 0, /) -> re.Match[str]: ...


# Outside entries a % comment runs to the end of its line, and an @ may start an entry.
_OUTSIDE = re.compile(r"%[^\n]*|@")
_HEAD = re.compile(r"[ \t]*([A-Za-z][\w-]*)\s*([{(]?)")
_HEAD_OPEN = re.compile(r"[ \t]*[A-Za-z][\w-]*[ \t]*[{(]")
_WS = cast(_MatchesEmpty, re.compile(r"\s*"))
_KEY = cast(_MatchesEmpty, re.compile(r"[^,\s{}()=\"#]*"))
_NAME = re.compile(r"[^\s=,{}()\"#]+")
_NAME_EQ = re.compile(r"[^\s=,{}()\"#]+\s*=")
_BARE = re.compile(r"[^\s,#{}()\"=]+")
_SIMPLE_BRACED = re.compile(r"[^{}\\\n]*\}")
_MISSING_BRACE = re.compile(r"\s*[^\s,{}()=\"#]+\s*,\s*[^\s=,{}()\"#]+\s*=")
# One field in its common shapes: {value} (braces nested two deep), "value", 123 or a macro,
# followed by ',' or a closer. Possessive: no backtracking. Anything else takes the slow path.
_FAST_FIELD = re.compile(
    r"""\s*+([^\s=,{}()"\#]++)\s*+=\s*+
    (?:\{((?:[^{}\\\n]++|\\[^\n]|\n(?![ \t]*@)
          |\{(?:[^{}\\\n]++|\\[^\n]|\n(?![ \t]*@)|\{[^{}\\\n]*+\})*+\})*+)\}
      |"((?:[^"{}\\\n]++|\\[^\n]|\{[^{}\\\n]*+\})*+)"
      |(\d++)
      |([A-Za-z][\w-]*+)
    )\s*+(?=[,})])""",
    re.VERBOSE,
)
# A line that starts a new entry: inside an unclosed value, the entry ends before it.
_NEXT = r"\n(?=[ \t]*@[ \t]*[A-Za-z][\w-]*[ \t]*[{(])"
_BRACED_EVENTS = re.compile(r"\\.|[{}]|" + _NEXT, re.DOTALL)
_QUOTED_EVENTS = re.compile(r'\\.|[{}"]|' + _NEXT, re.DOTALL)
_RESYNC_EVENTS = re.compile(r"\\.|[{}(),]|" + _NEXT, re.DOTALL)


class _Unclosed(Exception):
    """The entry runs into the next entry (``pos`` at that line's newline) or the file's end."""

    def __init__(self, pos: int | None) -> None:
        super().__init__(pos)
        self.pos = pos


class _Reader:
    """One pass over the text. Positions only move forward; nothing recurses."""

    def __init__(self, text: str, file: str, report: ParseReport) -> None:
        self.text, self.file, self.report = text, file, report
        self.macros: dict[str, str] = dict(MONTHS)
        self.number = 0  # record entries met so far: "entry N" in messages
        self.keys: dict[str, int] = {}
        self._newlines: list[int] | None = None
        self._line, self._counted = 1, 0

    # -- lines ------------------------------------------------------------------------
    def entry_line(self, pos: int) -> int:
        """Line of an entry start: entries come in order, so count on from the last one."""
        self._line += self.text.count("\n", self._counted, pos)
        self._counted = pos
        return self._line

    def line_at(self, pos: int) -> int:
        """Line of any position (for warnings): an index of newlines, built once if needed."""
        if self._newlines is None:
            self._newlines = [m.start() for m in re.finditer("\n", self.text)]
        return bisect_right(self._newlines, pos - 1) + 1

    def warn(self, pos: int, label: str, message: str) -> None:
        """A warning on the entry's first line (the record's line), naming the line of the
        problem too when it is another one."""
        line = self.line_at(pos)
        if line != self._line:
            label = f"{label}, line {line}"
        self.report.warn(self._line, f"{label}: {message}")

    # -- outside entries --------------------------------------------------------------
    def run(self) -> list[Entry]:
        text, entries, pos = self.text, [], 0
        while (match := _OUTSIDE.search(text, pos)) is not None:
            pos = match.end()
            if match.group(0) != "@":
                continue  # a % comment line
            at = match.start()
            head = _HEAD.match(text, pos)
            if head is None or (at > 0 and text[at - 1].isalnum()):
                continue  # an e-mail address or a stray @ in the free text between entries
            kind, opener, start = head.group(1).lower(), head.group(2), head.end()
            if not opener and not _at_line_start(text, at):
                continue  # "@ home" in free text: BibTeX ignores it, and so do we
            line = self.entry_line(at)
            label = "@" + kind if kind in _NOT_RECORDS else f"entry {self.number + 1}"
            if kind not in _NOT_RECORDS:
                self.number += 1
            if not opener:
                if kind in _NOT_RECORDS or not _MISSING_BRACE.match(text, start):
                    self.warn(
                        at,
                        label,
                        f"'@{head.group(1)}' is not followed by '{{', so this entry could not "
                        "be read and was skipped: add the '{' in a text editor and import again",
                    )
                    continue
                self.warn(at, label, f"'@{head.group(1)}' has no '{{' after it; read as if it had")
                opener = "{"
            try:
                entry, pos = self._entry(at, line, kind, opener, start, label)
            except _Unclosed as exc:
                raise self._unclosed(line, label, exc) from None
            if entry is not None:
                entries.append(entry)
        return entries

    def _unclosed(self, line: int, label: str, exc: _Unclosed) -> ParseError:
        if exc.pos is not None:
            where = f"before the next entry at line {self.line_at(exc.pos + 1)}"
        else:
            where = "before the end of the file"
        return ParseError(
            f"{label}: this entry is not closed {where}: a brace is missing",
            file=self.file,
            line=line,
            hint="Balance the { } of this entry in a text editor, then import again.",
        )

    # -- one entry --------------------------------------------------------------------
    def _entry(
        self, at: int, line: int, kind: str, opener: str, pos: int, label: str
    ) -> tuple[Entry | None, int]:
        """Read from just after the opener; returns the entry (None for @string & co) and
        the offset just past its closer."""
        text = self.text
        closer = "}" if opener == "{" else ")"
        if kind in ("comment", "preamble"):
            end = self._braced(pos, closer=closer) + 1
            return None, end
        key = ""
        if kind != "string":
            pos = _WS.match(text, pos).end()
            key_match = _KEY.match(text, pos)
            after = _WS.match(text, key_match.end()).end()
            char = text[after : after + 1]
            if char == "=":
                pass  # no key at all: the first field follows at once
            elif char == ",":
                key, pos = key_match.group(0), after + 1
            elif char == closer:
                key, pos = key_match.group(0), after
            else:
                key, pos = key_match.group(0), after
                if not char:
                    raise _Unclosed(None)
                self.warn(after, label, f"no ',' after the key {key!r}; read as if it had one")
            if key:
                label = f"{label} ({key!r})"
                first = self.keys.setdefault(key, line)
                if first != line:
                    self.warn(at, label, f"the key {key!r} was already used at line {first}")
        fields, pos = self._fields(pos, closer, label)
        if kind == "string":
            for name, value in fields.items():
                self.macros[name] = value
            return None, pos
        if not fields:
            self.warn(at, label, "this entry has no fields")
        return Entry(kind, key, line, text[at:pos], fields), pos

    def _fields(self, pos: int, closer: str, label: str) -> tuple[dict[str, str], int]:
        """``name = value, ...`` up to the closer; returns the fields and the offset past it."""
        text, fields, macros = self.text, {}, self.macros
        while True:
            fast = _FAST_FIELD.match(text, pos)
            if fast is not None:  # the common shapes in one C-level step; else read below
                name, braced, quoted, number, macro = fast.groups()
                value = braced if braced is not None else quoted if quoted is not None else number
                if value is None:
                    value = macros.get(macro.lower())
                if value is not None:
                    name = name.lower()
                    if name in fields:
                        self.warn(
                            fast.start(1),
                            label,
                            f"field {name!r} appears more than once; only the first is read "
                            "(see raw)",
                        )
                    else:
                        fields[name] = _strip_after_new_lines(value) if "\n" in value else value
                    pos = fast.end()
            pos = _WS.match(text, pos).end()
            char = text[pos : pos + 1]
            if char == closer:
                return fields, pos + 1
            if not char:
                raise _Unclosed(None)
            if char == ",":
                pos += 1
                continue
            name_match = _NAME.match(text, pos)
            if name_match is None:
                pos = self._skip(pos, closer, label, f"unreadable text {text[pos : pos + 20]!r}")
                continue
            name = name_match.group(0).lower()
            eq = _WS.match(text, name_match.end()).end()
            if text[eq : eq + 1] != "=":
                pos = self._skip(pos, closer, label, f"field {name!r} has no '='")
                continue
            value, pos = self._value(_WS.match(text, eq + 1).end(), closer, label, name)
            if value is None:
                continue
            if name in fields:
                self.warn(
                    name_match.start(),
                    label,
                    f"field {name!r} appears more than once; only the first is read (see raw)",
                )
            else:
                fields[name] = value
            pos = _WS.match(text, pos).end()
            char = text[pos : pos + 1]
            if char in (",", closer) or not char:
                continue
            if _NAME_EQ.match(text, pos):
                self.warn(pos, label, f"no ',' after field {name!r}; read as if it had one")
                continue
            pos = self._skip(pos, closer, label, f"unreadable text after field {name!r}")

    def _skip(self, pos: int, closer: str, label: str, what: str) -> int:
        """Warn and move on to the next ',' or the closer at brace depth 0."""
        text = self.text
        if text[pos] == "@" and _at_line_start(text, pos) and _HEAD_OPEN.match(text, pos + 1):
            raise _Unclosed(text.rfind("\n", 0, pos))  # a new entry: this one never closed
        self.warn(pos, label, f"{what}; it was not read (it stays in the record's raw text)")
        depth = 0
        for event in _RESYNC_EVENTS.finditer(self.text, pos):
            char = event.group(0)
            if char == "{":
                depth += 1
            elif char == "}" and depth:
                depth -= 1
            elif depth == 0 and char in (",", closer):
                return event.start()
            elif char == "\n":
                raise _Unclosed(event.start())
        raise _Unclosed(None)

    def _value(self, pos: int, closer: str, label: str, name: str) -> tuple[str | None, int]:
        """``piece # piece ...``: braced, quoted, a number or a macro; None if there is none."""
        text, parts = self.text, []
        while True:
            char = text[pos : pos + 1]
            if char == "{":
                end = self._braced(pos + 1, closer="}")
                parts.append(_strip_after_new_lines(text[pos + 1 : end]))
                pos = end + 1
            elif char == '"':
                end, closed = self._quoted(pos + 1, closer)
                parts.append(_strip_after_new_lines(text[pos + 1 : end]))
                if not closed:
                    self.warn(
                        pos,
                        label,
                        f"the closing '\"' of field {name!r} is missing; its value was read "
                        "to the end of the entry (check the fields after it)",
                    )
                pos = end + closed
            elif (bare := _BARE.match(text, pos)) is not None:
                word = bare.group(0)
                if word.isdigit():
                    parts.append(word)
                elif (macro := self.macros.get(word.lower())) is not None:
                    parts.append(macro)
                else:
                    self.warn(
                        pos,
                        label,
                        f"field {name!r} uses {word!r}, which no @string defines; kept as written",
                    )
                    parts.append(word)
                pos = bare.end()
            else:
                self.warn(pos, label, f"field {name!r} has no value; it was not read")
                return None, pos
            after = _WS.match(text, pos).end()
            if text[after : after + 1] != "#":
                return "".join(parts), pos
            pos = _WS.match(text, after + 1).end()

    def _braced(self, pos: int, *, closer: str) -> int:
        """Offset of the brace closing the group opened just before ``pos``."""
        text = self.text
        if closer == "}" and (simple := _SIMPLE_BRACED.match(text, pos)) is not None:
            return simple.end() - 1
        depth = 0
        for event in (_BRACED_EVENTS if closer == "}" else _RESYNC_EVENTS).finditer(text, pos):
            char = event.group(0)
            if char == "{":
                depth += 1
            elif char == "}":
                if depth == 0 and closer == "}":
                    return event.start()
                depth -= 1
            elif char == ")" and depth == 0 and closer == ")":
                return event.start()
            elif char == "\n":
                raise _Unclosed(event.start())
        raise _Unclosed(None)

    def _quoted(self, pos: int, closer: str) -> tuple[int, int]:
        """Offset of the closing quote and 1; or of the entry's closer and 0 if it is missing."""
        depth = 0
        for event in _QUOTED_EVENTS.finditer(self.text, pos):
            char = event.group(0)
            if char == "{":
                depth += 1
            elif char == "}":
                if depth == 0:
                    return event.start(), 0
                depth -= 1
            elif char == '"' and depth == 0:
                return event.start(), 1
            elif char == "\n":
                raise _Unclosed(event.start())
        raise _Unclosed(None)


def _strip_after_new_lines(value: str) -> str:
    """bibtexparser's rule: leading blanks of every line but the first are removed."""
    if "\n" not in value:
        return value
    lines = value.splitlines()
    return "\n".join([lines[0]] + [line.lstrip() for line in lines[1:]]) if lines else ""


def _at_line_start(text: str, pos: int) -> bool:
    """Only blanks between the line's start and ``pos`` (a scan over those blanks only)."""
    j = pos - 1
    while j >= 0 and text[j] in " \t":
        j -= 1
    return j < 0 or text[j] == "\n"


def _record(entry: Entry, *, file: str, report: ParseReport) -> Record:
    record = Record(raw=entry.raw, source_file=file, source_line=entry.line)
    record.publication_type = entry.type
    if entry.key:
        record.extra["ID"] = [entry.key]
    for name, value in reversed(entry.fields.items()):  # bibtexparser's order: see above
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


_NAME_EVENTS = re.compile(r"[{}]| and ", re.IGNORECASE)


def split_names(value: str) -> list[str]:
    """Split ``A and B`` at brace depth 0, so ``{Smith and Sons}`` stays one author."""
    names, depth, start = [], 0, 0
    for event in _NAME_EVENTS.finditer(value):
        char = event.group(0)
        if char == "{":
            depth += 1
        elif char == "}":
            depth -= 1
        elif depth == 0:
            names.append(value[start : event.start()])
            start = event.end()
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
#: (A match never runs past the next backtick: ten thousand unclosed ones stay linear.)
_DOUBLE_QUOTE = re.compile(r"``((?:[^`']|'(?!'))*)''")
_SINGLE_QUOTE = re.compile(r"`([^`]*?)'(?![A-Za-z])")


def latex_to_text(value: str) -> str:
    """LaTeX accents, symbols, quotes and dashes to unicode; formatting and braces dropped.

    bibtexparser's own table mangles some accents (``Mar{\\'i}a`` -> ``Mar\\á``) and
    keeps ``\\emph``; the few dozen forms exports really use are listed here. ``quote''
    and `quote' become “quote” and ‘quote’, -- and --- dashes, ~ a space; URLs and DOIs in
    the text are left as they are (a ``~`` or ``--`` there is part of the address).
    """
    if _NEEDS_LATEX.search(value) is None:
        return value
    if "://" not in value and "www." not in value.lower() and "10." not in value:
        return _latex(value)  # no link to keep as written (the common case: skip the search)
    parts, pos = [], 0
    for link in _LINK.finditer(value):
        parts += [_latex(value[pos : link.start()]), link.group(0)]
        pos = link.end()
    parts.append(_latex(value[pos:]))
    return "".join(parts)


_NEEDS_LATEX = re.compile(r"[\\{$~`]|--|''")
_ESCAPED = re.compile(r"\\([&%$#_{}])")
_BRACES_DOLLARS = re.compile(r"(?<!\\)[{}$]")


def _latex(value: str) -> str:
    text = value
    if "\\" in text:
        text = _SYMBOL_ACCENT.sub(_accent, text)
        text = _LETTER_ACCENT.sub(_accent, text)
        text = _NAMED.sub(_named, text)
        text = _ESCAPED.sub(r"\1", text)
    if "`" in text:
        text = _DOUBLE_QUOTE.sub(r"“\1”", text)
        text = _SINGLE_QUOTE.sub(r"‘\1’", text)
    if "--" in text:
        text = text.replace("---", "—").replace("--", "–")
    if "{" in text or "}" in text or "$" in text:
        text = _BRACES_DOLLARS.sub("", text)
    if "~" in text:
        text = text.replace("~", " ")
    return text if text.isascii() else unicodedata.normalize("NFC", text)


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
    if len(value) <= 80:
        return _plain_short(value)
    return " ".join(latex_to_text(value).split())


@lru_cache(maxsize=1 << 16)
def _plain_short(value: str) -> str:
    """Names, journals and keywords repeat across a library: convert each once."""
    return " ".join(latex_to_text(value).split())
