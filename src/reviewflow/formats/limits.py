"""Limits on every file reviewflow reads, so a hostile or broken file fails fast.

A 1.4 KB workbook can declare row 900,000,000, a few KB of ZIP can inflate to gigabytes,
a FIFO or ``/dev/zero`` never ends and a CSV can hold a million columns: each would run
for minutes or exhaust memory. Every import and sheet read goes through this module:

* :func:`read_regular` reads regular files only (a FIFO, device, folder, socket or a
  symlink loop is named as what it is) and no more than a size cap;
* :func:`check_zip` checks a workbook's declared uncompressed sizes and compression
  ratio before openpyxl sees it;
* :func:`sheet_rows` iterates the rows a sheet really holds (not its declared
  dimension) and stops at a row or column cap;
* :func:`check_columns` caps the width of a CSV row and :data:`CSV_FIELD_CHARS` the size
  of one field.

Each cap has a generous default and an environment variable to raise it
(``REVIEWFLOW_MAX_FILE_MB`` and so on, see :data:`DEFAULTS`). A refused file raises
:class:`reviewflow.errors.LimitError`, naming the file, the limit and how to proceed.
"""

from __future__ import annotations

import csv
import errno
import io
import os
import stat
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from ..errors import InputError, LimitError

#: Environment variable -> default. Sizes in MB (10**6 bytes).
DEFAULTS: dict[str, int] = {
    "REVIEWFLOW_MAX_FILE_MB": 2000,  # a record export (and its unzipped content)
    "REVIEWFLOW_MAX_SHEET_MB": 200,  # a sheet: decisions, appraisals, codings, extraction
    "REVIEWFLOW_MAX_FULLTEXT_MB": 500,  # one full text (a scanned thesis can be large)
    "REVIEWFLOW_MAX_ROWS": 1_048_576,  # Excel's own row limit
    "REVIEWFLOW_MAX_COLUMNS": 16_384,  # Excel's own column limit (XFD)
    "REVIEWFLOW_MAX_ZIP_RATIO": 100,  # uncompressed:compressed of one large ZIP member
}
#: A ZIP member below this size is never refused for its ratio (small XML packs tightly).
_RATIO_FLOOR = 16 * 10**6
#: The longest single CSV field read (characters); no real record field comes near it.
CSV_FIELD_CHARS = 100_000_000

EXPORT, SHEET = "REVIEWFLOW_MAX_FILE_MB", "REVIEWFLOW_MAX_SHEET_MB"
FULLTEXT = "REVIEWFLOW_MAX_FULLTEXT_MB"


def limit(name: str) -> int:
    """The limit ``name`` (a key of :data:`DEFAULTS`), from the environment if set there."""
    raw = os.environ.get(name, "").strip()
    if not raw:
        return DEFAULTS[name]
    try:
        value = int(float(raw))
    except ValueError:
        raise InputError(
            f"{name}={raw!r} is not a number",
            hint=f"Set it to a whole number (default {DEFAULTS[name]:,}) or unset it.",
        ) from None
    if value <= 0:
        raise InputError(f"{name}={raw!r} must be more than 0", hint=f"Unset {name}.")
    return value


def max_bytes(kind: str = EXPORT) -> int:
    """The size cap in bytes for ``kind`` (:data:`EXPORT`, :data:`SHEET`, :data:`FULLTEXT`)."""
    return limit(kind) * 10**6


def _raise_limit(file: str, what: str, name: str, *, advice: str = "") -> None:
    raise LimitError(
        f"{file}: {what}; reviewflow refuses it (limit {name}={limit(name):,})",
        hint=(advice + " " if advice else "")
        + f"If the file is genuine, raise the limit, e.g. export {name}={limit(name) * 4}.",
    )


def check_size(file: str, size: int, *, kind: str, advice: str = "") -> None:
    """A LimitError if ``size`` bytes is past the cap for ``kind`` (a web upload, whose
    size is known only once it has arrived, is checked with this)."""
    if size > max_bytes(kind):
        _raise_limit(file, f"the file is {size / 10**6:,.0f} MB", kind, advice=advice)


def _kind(mode: int) -> str | None:
    """What a non-regular file is, in words; None for a regular file."""
    if stat.S_ISREG(mode):
        return None
    if stat.S_ISDIR(mode):
        return "is a folder, not a file"
    if stat.S_ISFIFO(mode):
        return "is a named pipe (FIFO), not a file"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "is a device, not a file"
    if stat.S_ISSOCK(mode):
        return "is a socket, not a file"
    return "is not a regular file"


def check_regular(path: str | Path) -> os.stat_result:
    """The stat of ``path`` if it is a regular file (symlinks followed), else InputError
    saying what it is: missing, a dangling link, a symlink loop, a FIFO, a device..."""
    p = Path(path)
    try:
        st = os.stat(p)
    except OSError as exc:
        raise _open_error(p, exc) from None
    kind = _kind(st.st_mode)
    if kind:
        raise InputError(f"{p}: {kind}", hint="Give the path of the exported file itself.")
    return st


def _open_error(p: Path, exc: OSError) -> InputError:
    if exc.errno == errno.ELOOP:
        return InputError(
            f"{p}: is a symbolic link that loops back on itself",
            hint="Give the path of the real file.",
        )
    if exc.errno == errno.ENOENT:
        if os.path.islink(p):
            return InputError(
                f"{p}: is a symbolic link to {os.readlink(p)}, which does not exist",
                hint="Give the path of the real file.",
            )
        return InputError(f"{p}: no such file", hint="Check the path and try again.")
    if exc.errno in (errno.EACCES, errno.EPERM):
        return InputError(
            f"{p}: permission denied", hint="Check that you may read the file, then try again."
        )
    return InputError(f"{p}: cannot be read ({exc.strerror})")


def read_regular(path: str | Path, *, kind: str = EXPORT) -> bytes:
    """The bytes of a regular file no larger than the cap for ``kind``.

    The file is opened non-blocking and checked on the open descriptor, so a FIFO swapped
    in after a check cannot hang the read, and never more than the cap is read.
    """
    p = Path(path)
    check_regular(p)  # a clear message before open() could block on a FIFO
    try:
        fd = os.open(p, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_BINARY", 0))
    except OSError as exc:
        raise _open_error(p, exc) from None
    with os.fdopen(fd, "rb") as fh:
        what = _kind(os.fstat(fd).st_mode)
        if what:
            raise InputError(f"{p}: {what}", hint="Give the path of the exported file itself.")
        cap = max_bytes(kind)
        size = os.fstat(fd).st_size
        if size > cap:
            _too_big(p, size, kind)
        try:
            # At most the size the file has now, plus one byte to see whether it grew:
            # read(cap + 1) would allocate a buffer of the whole cap (2 GB) up front.
            data = fh.read(size + 1)
            if len(data) > size:  # still being written: read on, up to the cap
                data += fh.read(cap + 1 - len(data))
        except OSError as exc:
            raise InputError(f"{p}: cannot be read ({exc.strerror})") from None
    if len(data) > cap:
        _too_big(p, len(data), kind)
    return data


def _too_big(p: Path, size: int, kind: str) -> None:
    _raise_limit(
        p.name,
        f"the file is {'at least ' if size == max_bytes(kind) + 1 else ''}{size / 10**6:,.0f} MB",
        kind,
        advice="Split the export into smaller files and import each one.",
    )


def check_zip(data: bytes, *, file: str, kind: str = EXPORT) -> None:
    """Refuse a ZIP (an XLSX) whose members would inflate past the size cap or whose
    large members compress suspiciously well (a ZIP bomb), before anything is unpacked."""
    try:
        members = zipfile.ZipFile(io.BytesIO(data)).infolist()
    except (zipfile.BadZipFile, OSError, ValueError):
        return  # not a readable ZIP: the workbook reader says so in its own words
    total = sum(m.file_size for m in members)
    if total > max_bytes(kind):
        _raise_limit(
            file,
            f"the workbook unpacks to {total / 10**6:,.0f} MB (a ZIP bomb or a damaged file)",
            kind,
            advice="Open it in Excel or LibreOffice and save it as CSV.",
        )
    ratio_cap = limit("REVIEWFLOW_MAX_ZIP_RATIO")
    for m in members:
        if m.file_size > _RATIO_FLOOR and m.file_size > ratio_cap * max(m.compress_size, 1):
            _raise_limit(
                file,
                f"{m.filename} inflates {m.file_size // max(m.compress_size, 1):,} times "
                "(a ZIP bomb or a damaged file)",
                "REVIEWFLOW_MAX_ZIP_RATIO",
                advice="Open it in Excel or LibreOffice and save it as CSV.",
            )


def sheet_rows(sheet: Any, *, file: str) -> Iterator[tuple[Any, ...]]:
    """The rows of a read-only openpyxl sheet that hold cells, ignoring its declared size.

    openpyxl pads rows and columns up to the dimension the sheet declares
    (``A1:XFD900000000`` makes billions of empty cells); the dimension is reset so only
    real rows come, and a row or column beyond the caps is refused.
    """
    if hasattr(sheet, "reset_dimensions"):
        sheet.reset_dimensions()
    max_rows, max_cols = limit("REVIEWFLOW_MAX_ROWS"), limit("REVIEWFLOW_MAX_COLUMNS")
    seen = 0
    for row in sheet.iter_rows(min_row=1, min_col=1):  # row i is sheet row i
        seen += 1
        if seen > max_rows:
            _raise_limit(
                file,
                f"the sheet has more than {max_rows:,} rows",
                "REVIEWFLOW_MAX_ROWS",
                advice="A damaged sheet can claim rows it does not hold: open it in Excel or "
                "LibreOffice and save it again (as .xlsx or CSV).",
            )
        if len(row) > max_cols:
            _raise_limit(
                file,
                f"row {seen} has {len(row):,} columns",
                "REVIEWFLOW_MAX_COLUMNS",
            )
        yield row


def check_sheet_size(ws: Any, *, file: str) -> None:
    """Refuse a loaded (not read-only) sheet whose cells reach past the row/column caps,
    before code walks ``range(ws.max_row)``."""
    max_rows, max_cols = limit("REVIEWFLOW_MAX_ROWS"), limit("REVIEWFLOW_MAX_COLUMNS")
    if ws.max_row > max_rows:
        _raise_limit(file, f"the sheet reaches row {ws.max_row:,}", "REVIEWFLOW_MAX_ROWS")
    if ws.max_column > max_cols:
        _raise_limit(file, f"the sheet reaches column {ws.max_column:,}", "REVIEWFLOW_MAX_COLUMNS")


def check_columns(count: int, *, file: str, line: int | None) -> None:
    """Refuse a delimited row with more fields than the column cap."""
    cap = limit("REVIEWFLOW_MAX_COLUMNS")
    if count > cap:
        where = f"{file}:{line}" if line else file
        _raise_limit(
            where,
            f"this row has {count:,} columns",
            "REVIEWFLOW_MAX_COLUMNS",
            advice="Check that the file is a record export with the right delimiter.",
        )


def read_sheet_text(path: str | Path) -> str:
    """A CSV sheet as text (UTF-8, a BOM allowed), read within the sheet caps."""
    p = Path(path)
    data = read_regular(p, kind=SHEET)
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise InputError(
            f"{p.name}: not UTF-8 text", hint="Save the sheet as 'CSV UTF-8' and try again."
        ) from None


def load_workbook(path: str | Path, *, read_only: bool = False) -> Any:
    """openpyxl's ``load_workbook`` (data only) for a sheet, after the size and ZIP checks."""
    from openpyxl import load_workbook as _load

    p = Path(path)
    data = read_regular(p, kind=SHEET)
    check_zip(data, file=p.name, kind=SHEET)
    return _load(io.BytesIO(data), read_only=read_only, data_only=True)


def sheet_reader(text: str, *, file: str) -> csv.DictReader[str]:
    """A ``csv.DictReader`` over a CSV sheet whose header is within the column cap."""
    csv.field_size_limit(max(csv.field_size_limit(), CSV_FIELD_CHARS))
    reader = csv.DictReader(io.StringIO(text))
    try:
        header = reader.fieldnames or []
    except csv.Error as exc:
        raise InputError(f"{file}:1: the header row is not valid CSV ({exc})") from None
    check_columns(len(header), file=file, line=1)
    return reader
