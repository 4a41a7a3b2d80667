"""An uploaded export waiting for a person's confirmation: parsed and shown, not imported.

The web app's import page parses an upload, shows its parse report (format, records read,
warnings and errors with their lines, a few records) and imports it only when the person
confirms the count. Between those two requests the file waits in the project's cache
folder, ``.reviewflow-cache/uploads/SHA256/NAME``, keyed by its content: the database
knows nothing of it until it is imported (no second source of truth), and an abandoned
upload is a disposable file. :func:`commit` parses the file again and imports it through
:func:`reviewflow.stages.importing.run`, the same whole-file-or-nothing step as
``reviewflow import``, refusing it when it no longer reads as the count confirmed.
"""

from __future__ import annotations

import hashlib
import os
import re
import shutil
import tempfile
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ... import formats
from ...errors import DuplicateImportError, InputError, LimitError, NotFoundError, ParseError
from ...formats import FORMATS, ParseIssue
from ...formats.limits import EXPORT, limit, max_bytes
from ...project import Project
from ...records import Record
from ...store import import_queries, queries
from .. import searches
from . import ImportResult, _check_not_imported, run
from .changes import describe_search

PENDING_DIR = Path(".reviewflow-cache") / "uploads"
#: An upload neither confirmed nor cancelled within this many seconds is swept away by
#: the next upload (someone closed the tab): the cache must not grow without end.
KEEP_SECONDS = 7 * 24 * 3600
#: How many parsed records the report shows, so a person can see the fields came through.
SAMPLE_SIZE = 5
_SHA256 = re.compile(r"[0-9a-f]{64}")


@dataclass
class ParseProblem:
    """Why a file cannot be imported as it is: the reader's message and where."""

    message: str
    file: str
    line: int | None = None
    hint: str | None = None

    @property
    def where(self) -> str:
        return f"{self.file}:{self.line}" if self.line else self.file

    def to_dict(self) -> dict[str, Any]:
        return {"message": self.message, "file": self.file, "line": self.line, "hint": self.hint}


@dataclass
class ImportPreview:
    """The parse report of a waiting upload; nothing of it is in the project yet."""

    upload: str  # the file's sha256, which names it while it waits
    file: str
    size: int
    search_id: int | None
    format: str | None = None
    encoding: str | None = None
    records: int = 0
    warnings: list[ParseIssue] = field(default_factory=list)
    sample: list[Record] = field(default_factory=list)
    #: the file does not parse: what the reader said, with file:line
    error: ParseProblem | None = None
    #: it parses but is not imported from here (the same content was imported before)
    refused: str | None = None
    #: what to know about the search it goes with
    notices: list[str] = field(default_factory=list)

    @property
    def can_import(self) -> bool:
        return self.error is None and self.refused is None and self.records > 0

    def to_dict(self) -> dict[str, Any]:
        return {
            "upload": self.upload,
            "file": self.file,
            "size": self.size,
            "search_id": self.search_id,
            "format": self.format,
            "encoding": self.encoding,
            "records": self.records,
            "warnings": [{"line": w.line, "message": w.message} for w in self.warnings],
            "sample": [_sample_dict(r) for r in self.sample],
            "error": self.error.to_dict() if self.error else None,
            "refused": self.refused,
            "notices": self.notices,
            "can_import": self.can_import,
        }


def _sample_dict(record: Record) -> dict[str, Any]:
    return {
        "line": record.source_line,
        "title": record.title,
        "authors": record.authors,
        "year": record.year,
        "source_title": record.source_title,
        "doi": record.doi,
    }


def safe_name(name: str) -> str:
    """The name an upload is kept and imported under: its last path part, printable."""
    name = name.replace("\\", "/").rsplit("/", 1)[-1]
    name = re.sub(r"[\x00-\x1f\x7f]", "", name).strip().lstrip(".")
    return name[:200] or "upload"


def _folder(project: Project) -> Path:
    return project.root / PENDING_DIR


def stash(
    project: Project, chunks: Iterable[bytes], *, file_name: str, cap: int | None = None
) -> str:
    """Keep an upload until it is confirmed or cancelled; returns its sha256.

    Written to a temporary file first and renamed when complete, so a half-received
    upload never waits as if it were whole. ``cap`` (default: the export limit) refuses
    a larger file as soon as it is passed.
    """
    cap = max_bytes(EXPORT) if cap is None else min(cap, max_bytes(EXPORT))
    folder = _folder(project)
    folder.mkdir(parents=True, exist_ok=True)
    _sweep(folder)
    digest, size = hashlib.sha256(), 0
    fd, part = tempfile.mkstemp(dir=folder, prefix=".part-")
    try:
        with os.fdopen(fd, "wb") as out:
            for chunk in chunks:
                size += len(chunk)
                if size > cap:
                    raise LimitError(
                        f"{safe_name(file_name)}: the file is larger than {cap / 10**6:,.0f} "
                        f"MB; reviewflow refuses it (limit {EXPORT}={limit(EXPORT):,})",
                        hint="Split the export into smaller files (most databases export "
                        "in batches), or import it with the CLI on the server.",
                    )
                digest.update(chunk)
                out.write(chunk)
        sha256 = digest.hexdigest()
        target = folder / sha256
        target.mkdir(exist_ok=True)
        for earlier in target.iterdir():  # the same content uploaded before: the new name
            earlier.unlink()
        os.replace(part, target / safe_name(file_name))
    finally:
        if os.path.exists(part):
            os.unlink(part)
    return sha256


def _sweep(folder: Path) -> None:
    cutoff = time.time() - KEEP_SECONDS
    for entry in folder.iterdir():
        try:
            if entry.stat().st_mtime >= cutoff:
                continue
            if entry.is_dir():
                shutil.rmtree(entry)
            else:
                entry.unlink()
        except OSError:  # another request swept or confirmed it first
            continue


def stashed(project: Project, upload: str) -> Path:
    """The waiting file named by ``upload`` (its sha256)."""
    folder = _folder(project) / upload if _SHA256.fullmatch(upload or "") else None
    files = []
    if folder is not None and folder.is_dir():
        files = sorted(folder.iterdir(), key=lambda p: p.stat().st_mtime)
    if not files:
        raise NotFoundError(
            "that upload is no longer waiting to be imported (it was imported or cancelled, "
            "or the server's cache was cleared)",
            hint="Upload the file again.",
        )
    return files[-1]


def discard(project: Project, upload: str) -> None:
    """Forget a waiting upload (cancelled, or imported)."""
    if _SHA256.fullmatch(upload or ""):
        shutil.rmtree(_folder(project) / upload, ignore_errors=True)


def preview(
    project: Project, upload: str, *, search_id: int | None = None, format: str | None = None
) -> ImportPreview:
    """Parse a waiting upload as the import would, without importing anything."""
    path = stashed(project, upload)
    data = formats.read_bytes(path)  # a regular file within the export limit
    result = ImportPreview(upload=upload, file=path.name, size=len(data), search_id=search_id)
    if format is not None and format not in FORMATS:
        raise InputError(f"unknown format {format!r}", hint="Use one of: " + ", ".join(FORMATS))
    with project.db.connect() as conn:
        search = queries.get_search(conn, search_id) if search_id is not None else None
        if search_id is not None and search is None:
            raise NotFoundError(
                f"there is no search {search_id} to import {path.name} for",
                hint="Choose a search from the log, or log it first.",
            )
        try:
            _check_not_imported(conn, upload, file=path.name, force=False, search_id=search_id)
        except DuplicateImportError as exc:
            result.refused = exc.message
        by_sha = import_queries.find_searches_by_sha256(conn, upload)
    result.notices = _notices(result, search, by_sha)
    try:
        parsed = formats.read_bytes_as(data, file=path.name, format=format)
    except InputError as exc:
        where = exc if isinstance(exc, ParseError) else None
        result.error = ParseProblem(
            message=where.reason if where else exc.message,
            file=path.name,
            line=where.line if where else None,
            hint=exc.hint,
        )
        return result
    report = parsed.report
    result.format, result.encoding = report.format, report.encoding
    result.records = len(parsed.records)
    result.warnings = list(report.warnings)
    result.sample = parsed.records[:SAMPLE_SIZE]
    if search is not None and search["records_returned"] not in (None, result.records):
        result.notices.append(
            f"The search log says {describe_search(search)} returned "
            f"{search['records_returned']:,} records; "
            f"this file holds {result.records:,}. Check that the export is complete (many "
            "databases export in batches), or correct the log."
        )
    return result


def _notices(
    result: ImportPreview, search: dict[str, Any] | None, by_sha: list[dict[str, Any]]
) -> list[str]:
    if search is None:
        if len(by_sha) == 1:
            return [
                f"It will be linked to {describe_search(by_sha[0])}: the file logged there "
                "has the same content."
            ]
        return [
            "It is not linked to a logged search: PRISMA counts its records apart, as "
            "'Imported without a logged search', until it is."
        ]
    if search["file_sha256"] and search["file_sha256"] != result.upload:
        return [
            f"{describe_search(search).capitalize()} logged the file {search['file_name']}, "
            f"whose content differs from {result.file}: check that this is the right search."
        ]
    return []


def commit(
    project: Project,
    upload: str,
    *,
    search_id: int | None,
    expected_records: int,
    format: str | None = None,
) -> ImportResult:
    """Import a waiting upload, parsed again, atomically; note the file on its search.

    Refused (and nothing stored) when the file does not parse, was imported before, or
    no longer reads as ``expected_records``, the count the person confirmed. The upload
    keeps waiting until :func:`discard`, so a refusal can be looked at again.
    """
    path = stashed(project, upload)
    with project.db.transaction():
        result = run(
            project, path, search_id=search_id, format=format, expected_records=expected_records
        )
        if result.search_id is not None:
            searches.record_export_file(
                project,
                result.search_id,
                file_name=result.file,
                sha256=result.sha256,
                file_format=result.format,
            )
    return result
