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

    Database exports come as UTF-8 with or without BOM, UTF-16 (EndNote, some Windows
    tools) and cp1252/latin-1 (older Ovid and Scopus exports). Binary files are refused.
    """
    if data.startswith(codecs.BOM_UTF8):
        text, encoding = data[len(codecs.BOM_UTF8) :].decode("utf-8", errors="strict"), "utf-8-sig"
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
        except UnicodeDecodeError as exc:
            _refuse_mixed_encodings(data, exc.start, file=file)
            text, encoding = _decode_single_byte(data), "cp1252"
    if "\x00" in text:
        line = text.count("\n", 0, text.index("\x00")) + 1
        raise ParseError(
            "the file contains NUL bytes: it is binary or damaged, not a text export",
            file=file,
            line=line,
            hint="Export the records again from the database as text (RIS, CSV, ...).",
        )
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    return text, encoding


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


_UTF8_MULTIBYTE = re.compile(rb"[\xc2-\xdf][\x80-\xbf]|[\xe0-\xef][\x80-\xbf]{2}")


def _refuse_mixed_encodings(data: bytes, bad: int, *, file: str) -> None:
    """Exports concatenated from several tools can mix UTF-8 and Windows-1252 text.

    Decoding such a file either way garbles part of it ("CafÃ©"), so it is refused.
    """
    if _UTF8_MULTIBYTE.search(data):
        line = data.count(b"\n", 0, bad) + 1
        raise ParseError(
            f"mixed encodings: the file has UTF-8 text but byte 0x{data[bad]:02x} here is not "
            "UTF-8 (it looks like Windows-1252/latin-1)",
            file=file,
            line=line,
            hint="Re-export the records in one encoding (UTF-8), or import the parts separately.",
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
    text, encoding = read_text(path)
    result = loads(text, file=Path(path).name)
    result.report.encoding = encoding
    return result
