"""What every format module shares: the parse report and byte decoding.

Every ``loads`` returns a :class:`ParseResult`: the records plus a report of what was
read and every warning with its line. Fatal problems raise
:class:`reviewflow.errors.ParseError` naming file and line, so an import never half-happens.
"""

from __future__ import annotations

import codecs
import gc
import re
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from ..errors import ParseError
from ..records import Record


@contextmanager
def cyclic_gc_off() -> Iterator[None]:
    """Turn the cyclic garbage collector off for a bulk build of acyclic objects (records),
    and back on afterwards if it was on. The collector would otherwise rescan every record
    built so far, over and over: on 50,000 records it doubles a parse. Also a decorator."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


@dataclass
class ParseIssue:
    """A warning about one place in a file."""

    line: int | None
    message: str

    def __str__(self) -> str:
        return f"line {self.line}: {self.message}" if self.line else self.message


@dataclass
class ParseReport:
    """What a parser read: counts, detected format and encoding, warnings with lines."""

    file: str
    format: str
    encoding: str = "utf-8"
    records_read: int = 0
    warnings: list[ParseIssue] = field(default_factory=list)

    def warn(self, line: int | None, message: str) -> None:
        self.warnings.append(ParseIssue(line, message))


@dataclass
class ParseResult:
    records: list[Record]
    report: ParseReport


def decode_bytes(data: bytes, *, file: str) -> tuple[str, str]:
    """Decode an export to text; returns ``(text, encoding)`` with newlines normalised to ``\\n``.

    :func:`decode_report` does the work and also says where the decode was a guess.
    """
    text, encoding, _ = decode_report(data, file=file)
    return text, encoding


def decode_report(data: bytes, *, file: str) -> tuple[str, str, list[ParseIssue]]:
    """Decode an export; returns ``(text, encoding, warnings)``, newlines normalised to ``\\n``.

    Database exports come as UTF-8 with or without BOM, UTF-16 (EndNote, some Windows
    tools) and cp1252/latin-1 (older Ovid and Scopus exports). Binary files are refused.
    Text that is not UTF-8 has no label saying what it is, so the decode is then a guess,
    and the warnings say which guess was made and why, with the first offending line:
    a few stray bytes in UTF-8 text are damage (kept as U+FFFD, each line named), accented
    letters throughout are Windows-1252, whole words of high bytes are Cyrillic. UTF-8 that
    was once decoded as Windows-1252 and saved again ("CafÃ©") is repaired, with a warning.
    """
    warnings: list[ParseIssue] = []
    if data.startswith(codecs.BOM_UTF8):
        # The BOM says UTF-8: bytes that are not are damage, whatever they look like.
        body = data[len(codecs.BOM_UTF8) :]
        try:
            text = body.decode("utf-8")
        except UnicodeDecodeError:
            text = _utf8_with_errors(body.decode("utf-8", "surrogateescape"), warnings)
        encoding = "utf-8-sig"
    elif data.startswith(codecs.BOM_UTF16_LE) or data.startswith(codecs.BOM_UTF16_BE):
        text, encoding = _decode_utf16(data, file=file), "utf-16"
    elif _looks_like_utf16_without_bom(data):
        codec = "utf-16-le" if data[1:2] == b"\x00" else "utf-16-be"
        try:
            text, encoding = data.decode(codec), codec
        except UnicodeDecodeError as exc:
            raise ParseError(
                "the file looks like UTF-16 text but cannot be decoded", file=file
            ) from exc
    else:
        _refuse_binary(data, file=file)
        try:
            text, encoding = data.decode("utf-8"), "utf-8"
        except UnicodeDecodeError:
            text, encoding = _decode_not_utf8(data, file=file, warnings=warnings)
    if "\x00" in text:
        line = text.count("\n", 0, text.index("\x00")) + 1
        raise ParseError(
            "the file contains NUL bytes: it is binary or damaged, not a text export",
            file=file,
            line=line,
            hint="Export the records again from the database as text (RIS, CSV, ...).",
        )
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    if encoding.startswith("utf"):
        text = _repair_double_encoding(text, warnings)
    warnings.sort(key=lambda w: w.line or len(text))  # file order; a summary last
    return text, encoding, warnings


#: A run of bytes that were not UTF-8, as ``surrogateescape`` decodes them.
_ESCAPED = re.compile("[\udc80-\udcff]+")
_NON_ASCII = re.compile("[^\x00-\x7f\udc80-\udcff]")
#: Punctuation that Windows-1252 text has between words (its bytes 0x85, 0x91-0x97, ...).
_CP1252_PUNCTUATION = frozenset("‘’‚“”„–—…•«»°·±§©®™€£")
_MAX_LINES_NAMED = 20
_REEXPORT = "If the text looks wrong, export the records again as UTF-8 (Unicode) and import that."


def _raw(run: str) -> bytes:
    return run.encode("utf-8", "surrogateescape")


def _cp1252(raw: bytes) -> str:
    return raw.decode("cp1252", errors="replace") if _cp1252_clean(raw) else raw.decode("latin-1")


def _cp1252_like(text: str, match: re.Match[str], *, strict: bool = False) -> bool:
    """Whether a run of non-UTF-8 bytes reads as Windows-1252 text in its place: an
    accented letter or two beside a letter, or typographic punctuation. ``strict``: one
    accented letter with letters on both sides ("M\xfcller"), nothing less."""
    chars = _cp1252(_raw(match.group()))
    if not strict and len(chars) == 1 and chars in _CP1252_PUNCTUATION:
        return True
    before = text[match.start() - 1 : match.start()]
    after = text[match.end() : match.end() + 1]
    flanks = [c.isascii() and c.isalpha() for c in (before, after)]
    return (
        len(chars) <= (1 if strict else 2)
        and chars.isalpha()
        and (all(flanks) if strict else any(flanks))
    )


def _line_of(text: str, pos: int) -> int:
    # The text still has the file's own line ends; a lone CR ends a line too.
    head = text[:pos]
    return head.count("\n") + head.count("\r") - head.count("\r\n") + 1


def _decode_not_utf8(data: bytes, *, file: str, warnings: list[ParseIssue]) -> tuple[str, str]:
    """Decode text that is not valid UTF-8: say what it was taken for, and why."""
    escaped = data.decode("utf-8", "surrogateescape")
    bad = list(_ESCAPED.finditer(escaped))
    first = bad[0]
    line = _line_of(escaped, first.start())
    byte = _raw(first.group())[0]
    if _NON_ASCII.search(escaped):  # real UTF-8 text too
        # Windows-1252 text pasted into UTF-8 has single accented bytes inside words;
        # damage to a UTF-8 character leaves a lead byte without its continuation.
        if all(_cp1252_like(escaped, m, strict=True) for m in bad):
            raise ParseError(
                f"mixed encodings: the file has UTF-8 text but byte 0x{byte:02x} here is not "
                f"UTF-8 (it looks like Windows-1252/latin-1, where it is "
                f"{_cp1252(_raw(first.group()))!r})",
                file=file,
                line=line,
                hint="Re-export the records in one encoding (UTF-8), or import the parts "
                "separately.",
            )
        return _utf8_with_errors(escaped, warnings), "utf-8"
    if (cyrillic := _cyrillic(data)) is not None:
        codec, text = cyrillic
        word = max(re.findall(r"[Ѐ-ӿ]+", text.split("\n")[line - 1] or text), key=len, default="")
        warnings.append(
            ParseIssue(
                line,
                f"the file is not UTF-8 (byte 0x{byte:02x} here is not); its other bytes form "
                f"whole words of Cyrillic letters in {codec.upper()} (here {word!r}), so it was "
                f"read as {codec.upper()}: a guess. {_REEXPORT}",
            )
        )
        return text, codec
    # One stray byte is more often damage than a single accent, unless it sits inside a
    # word ("M\xfcller" in a Windows-1252 CSV from Excel); more of them must mostly fit.
    plausible = sum(_cp1252_like(escaped, m, strict=len(bad) == 1) for m in bad)
    if plausible >= 0.8 * len(bad):
        text = _decode_single_byte(data)
        name = "Windows-1252" if _cp1252_clean(data) else "latin-1"
        warnings.append(
            ParseIssue(
                line,
                f"the file is not UTF-8 (byte 0x{byte:02x} here is not): read it as {name}, "
                f"the usual encoding of older exports, in which its {len(bad)} non-UTF-8 "
                f"characters are accented letters and quotes (here "
                f"{_cp1252(_raw(first.group()))!r}): a guess. {_REEXPORT}",
            )
        )
        return text, "cp1252" if _cp1252_clean(data) else "latin-1"
    return _utf8_with_errors(escaped, warnings), "utf-8"


def _utf8_with_errors(escaped: str, warnings: list[ParseIssue]) -> str:
    """UTF-8 text with a few damaged bytes: each becomes U+FFFD, each line is named."""
    lines: dict[int, list[re.Match[str]]] = {}
    for match in _ESCAPED.finditer(escaped):
        lines.setdefault(_line_of(escaped, match.start()), []).append(match)
        if len(lines) > _MAX_LINES_NAMED:
            break
    for line, matches in list(lines.items())[:_MAX_LINES_NAMED]:
        raw = b"".join(_raw(m.group()) for m in matches)
        shown = " ".join(f"0x{b:02x}" for b in raw[:6]) + (" ..." if len(raw) > 6 else "")
        alt = _cp1252(raw) if len(matches) == 1 and len(raw) == 1 else ""
        warnings.append(
            ParseIssue(
                line,
                f"byte(s) {shown} here are not valid UTF-8, so the file is damaged here; "
                "they were replaced by '\ufffd' and the rest of the line was kept"
                + (f" (read as Windows-1252 the byte would be {alt!r})" if alt else ""),
            )
        )
    if len(lines) > _MAX_LINES_NAMED:
        total = len({_line_of(escaped, m.start()) for m in _ESCAPED.finditer(escaped)})
        warnings.append(
            ParseIssue(
                None, f"... and {total - _MAX_LINES_NAMED} more lines with bytes that are not UTF-8"
            )
        )
    return _ESCAPED.sub("\ufffd", escaped)


#: Runs of three or more high bytes: whole words in a single-byte non-Latin script.
_HIGH_RUN = re.compile(rb"[\x80-\xff]{3,}")
_HIGH = re.compile(rb"[\x80-\xff]")


def _cyrillic(data: bytes) -> tuple[str, str] | None:
    """KOI8-R or Windows-1251 text, told apart by which of them makes most letters
    lower-case (text is mostly lower-case; the two put the cases the other way round)."""
    high = len(_HIGH.findall(data))
    in_words = sum(len(m) for m in _HIGH_RUN.findall(data))
    if high == 0 or in_words < 0.5 * high:
        return None
    best: tuple[int, str, str] | None = None
    for codec in ("koi8-r", "cp1251"):
        try:
            text = data.decode(codec)
        except UnicodeDecodeError:
            continue
        lower = sum(1 for c in text if "а" <= c <= "я" or c == "ё")
        if best is None or lower > best[0]:
            best = (lower, codec, text)
    if best is None or best[0] < 0.5 * high:
        return None
    return best[1], best[2]


#: Characters that the bytes 0x80-0xBF (UTF-8 continuation bytes) become when UTF-8 is
#: decoded as Windows-1252, or as latin-1 for the five bytes Windows-1252 leaves undefined.
_CONT = "".join(
    sorted(
        {bytes([b]).decode("cp1252", errors="ignore") or chr(b) for b in range(0x80, 0xC0)}
        | {chr(b) for b in range(0x80, 0xA0)}
    )
)
_C = "[" + re.escape(_CONT) + "]"
#: One UTF-8 character decoded as Windows-1252 ("Ã©" for "é", "â€™" for "’").
_MOJIBAKE = re.compile(f"[\u00c2-\u00df]{_C}|[\u00e0-\u00ef]{_C}{{2}}|[\u00f0-\u00f4]{_C}{{3}}")
_TO_CP1252 = {
    ord(c): bytes([b])
    for b in range(0x80, 0x100)
    for c in [bytes([b]).decode("cp1252", errors="ignore")]
    if c
}


def _cp1252_bytes(text: str) -> bytes | None:
    out = bytearray()
    for c in text:
        b = _TO_CP1252.get(ord(c))
        if b is None:
            if ord(c) > 0xFF:
                return None
            b = bytes([ord(c)])
        out += b
    return bytes(out)


def _unmojibake(text: str) -> tuple[str, int]:
    """``text`` with each double-encoded character decoded back, and how many there were."""
    count = 0

    def fix(match: re.Match[str]) -> str:
        nonlocal count
        raw = _cp1252_bytes(match.group())
        try:
            char = raw.decode("utf-8") if raw is not None else None
        except UnicodeDecodeError:
            char = None
        if char is None:
            return match.group()
        count += 1
        return char

    for _ in range(3):  # UTF-8 decoded wrongly twice is "ÃƒÂ©"
        before = count
        text = _MOJIBAKE.sub(fix, text)
        if count == before:
            break
    return text, count


def _repair_double_encoding(text: str, warnings: list[ParseIssue]) -> str:
    """Undo UTF-8 that was decoded as Windows-1252 and saved as UTF-8 again ("CafÃ©").

    Only a sequence that turns back into one valid UTF-8 character is changed, so real
    "Ã" or "â" followed by other text stays as it is. Repaired rather than refused: the
    original text comes back exactly, and the warning says where it started.
    """
    match = _MOJIBAKE.search(text)
    if match is None:
        return text
    repaired, count = _unmojibake(text)
    if count:
        lines = sum(a != b for a, b in zip(text.split("\n"), repaired.split("\n"), strict=True))
        first = next(m for m in _MOJIBAKE.finditer(text) if _unmojibake(m.group())[1])
        word = re.match(r"\S{1,30}", text[first.start() :])
        shown = word.group() if word else first.group()
        warnings.append(
            ParseIssue(
                text.count("\n", 0, first.start()) + 1,
                f"the file has UTF-8 text that was once read as Windows-1252 and saved again "
                f"(double-encoded, e.g. {shown!r}); repaired it on {lines} line(s) to what it "
                f"was (here {_unmojibake(shown)[0]!r}). Check the records from this line on.",
            )
        )
    return repaired


def _decode_utf16(data: bytes, *, file: str) -> str:
    try:
        return data.decode("utf-16")
    except UnicodeDecodeError as exc:
        raise ParseError("the file has a UTF-16 mark but is not valid UTF-16", file=file) from exc


def _looks_like_utf16_without_bom(data: bytes) -> bool:
    sample = data[:4000]
    if len(sample) < 4:
        return False
    even_nuls = sample[0::2].count(0)
    odd_nuls = sample[1::2].count(0)
    half = len(sample) // 2
    return (odd_nuls > 0.4 * half and even_nuls < 0.05 * half) or (
        even_nuls > 0.4 * half and odd_nuls < 0.05 * half
    )


_ZIP_MAGIC = b"PK\x03\x04"
_PDF_MAGIC = b"%PDF"
_OLE_MAGIC = b"\xd0\xcf\x11\xe0"


def _refuse_binary(data: bytes, *, file: str) -> None:
    if data.startswith(_ZIP_MAGIC):
        raise ParseError(
            "this is a ZIP container (an XLSX or DOCX file, or a zipped export), not text",
            file=file,
            hint="A spreadsheet imports with --format xlsx; a zipped export must be unzipped.",
        )
    if data.startswith(_PDF_MAGIC):
        raise ParseError("this is a PDF, not a record export", file=file)
    if data.startswith(_OLE_MAGIC):
        raise ParseError(
            "this is an old binary Office file (.xls/.doc), not a text export",
            file=file,
            hint="Save it as .xlsx or CSV and import that.",
        )
    head = data[:8000]
    if b"\x00" in head:
        raise ParseError(
            "the file is binary (it contains NUL bytes), not a text export",
            file=file,
            line=head[: head.index(b"\x00")].count(b"\n") + 1,
        )


def _decode_single_byte(data: bytes) -> str:
    # cp1252 leaves five bytes undefined; latin-1 maps every byte, so fall back per byte.
    return (
        data.decode("cp1252", errors="replace") if _cp1252_clean(data) else data.decode("latin-1")
    )


def _cp1252_clean(data: bytes) -> bool:
    return not any(b in data for b in (b"\x81", b"\x8d", b"\x8f", b"\x90", b"\x9d"))


def read_text(path: str | Path) -> tuple[str, str]:
    """Read and decode a file; a missing or unreadable file is an :class:`InputError`."""
    p = Path(path)
    data = read_bytes(p)
    return decode_bytes(data, file=p.name)


def read_bytes(path: str | Path) -> bytes:
    """The bytes of a record export: a regular file within the size cap (see limits)."""
    from .limits import read_regular

    return read_regular(path)


def load_path(loads: Callable[..., ParseResult], path: str | Path) -> ParseResult:
    """``load(path)`` of a text format module: read, decode, parse, note the encoding."""
    p = Path(path)
    text, encoding, warnings = decode_report(read_bytes(p), file=p.name)
    result = loads(text, file=p.name)
    result.report.encoding = encoding
    result.report.warnings[:0] = warnings
    return result
