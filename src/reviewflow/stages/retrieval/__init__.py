"""Full-text retrieval: attach each report's full text, or record why it was not obtained.

Retrieval is a list of events per report: sought (the default), retrieved (the file stored
in the project's blob store under its sha256, see :mod:`reviewflow.store.blobs`: the same
PDF is stored once, can be checked, and is there whether it came as a path or as uploaded
bytes), or not retrieved (with why; PRISMA counts it). Everything that reads a full text
goes through :func:`full_text_path` or :func:`read_full_text`. :mod:`.folder` attaches a
folder of files at once, matching each file to its report. The reports themselves (and
their studies) are full-text screening's: :mod:`reviewflow.stages.screening.fulltext`.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from ...errors import InputError, NotFoundError, StateError
from ...formats.limits import FULLTEXT, check_regular, check_size
from ...project import Project
from ...store import blobs
from ...store import screening_queries as sq
from ...store.blobs import BlobRef, BlobStore
from ..screening.fulltext import Report, _check_report, _one
from ..screening.plan import check_reviewer
from ..who import acting

#: Where older projects kept their full-text copies (``files/<sha256><suffix>``).
FILES_DIR = "files"
FULL_TEXT_SUFFIXES = {".pdf", ".txt", ".md", ".html", ".htm", ".xml", ".docx"}
#: How a file of these kinds starts (PDF readers accept the header within the first
#: 1024 bytes; a DOCX is a ZIP). An upload's name is only what the browser said.
_MAGIC = {".pdf": (b"%PDF", 1024), ".docx": (b"PK\x03\x04", 4)}
_SIZE_ADVICE = "Compress the PDF (e.g. print it to PDF at a lower resolution)."


def retrieve(
    project: Project, report_id: int, *, file: str | Path, reviewer: str | None = None
) -> Report:
    """Attach the full text at ``file``: copy it into the project's blob store and record
    the event. The original path is kept as provenance only; the project does not need
    the file afterwards (it may be moved or deleted)."""
    reviewer = acting(reviewer, doing="attaching this full text")
    check_reviewer(project, reviewer)
    path = check_full_text_file(Path(file))
    with project.db.connect() as conn:
        _check_report(conn, report_id)  # before copying what may be a large file
    ref = full_text_store(project).put_path(path)
    with project.db.transaction() as conn:
        _check_report(conn, report_id)
        sq.insert_retrieval_event(conn, values=retrieved_event(report_id, ref, reviewer, path))
    return _one(project, report_id)


def attach_bytes(
    project: Project,
    report_id: int,
    data: bytes,
    *,
    file_name: str,
    reviewer: str | None = None,
    media_type: str | None = None,
) -> Report:
    """Attach a full text given as bytes (a web upload): stored like :func:`retrieve`'s
    copy, recorded with ``file_name`` (its folders dropped) and no original path."""
    reviewer = acting(reviewer, doing="attaching this full text")
    check_reviewer(project, reviewer)
    name = file_name.replace("\\", "/").rsplit("/", 1)[-1].strip()
    check_full_text_bytes(data, name or file_name)
    with project.db.connect() as conn:
        _check_report(conn, report_id)
    ref = full_text_store(project).put_bytes(data, file_name=name, media_type=media_type)
    with project.db.transaction() as conn:
        _check_report(conn, report_id)
        sq.insert_retrieval_event(conn, values=retrieved_event(report_id, ref, reviewer))
    return _one(project, report_id)


def check_full_text_file(path: Path) -> Path:
    """``path`` if it is a file of a full-text kind, else an InputError saying what is
    (missing, a folder, a FIFO, a symlink loop...)."""
    st = check_regular(path)
    check_full_text_name(path.name)
    check_size(path.name, st.st_size, kind=FULLTEXT, advice=_SIZE_ADVICE)
    return path


def check_full_text_bytes(data: bytes, name: str) -> None:
    """An InputError unless ``data`` could be the full text ``name`` says it is: a
    full-text suffix, not empty, within the size limit, and a .pdf or .docx that starts
    like one (a renamed web page must not be stored as a PDF)."""
    check_full_text_name(name)
    if not data:
        raise InputError(f"{name}: the file is empty", hint="Upload the full text again.")
    check_size(name, len(data), kind=FULLTEXT, advice=_SIZE_ADVICE)
    suffix = Path(name).suffix.lower()
    magic, within = _MAGIC.get(suffix, (b"", 0))
    if magic and magic not in data[: within + len(magic)]:
        what = "PDF" if suffix == ".pdf" else "Word document"
        raise InputError(
            f"{name}: not a {what} (its content does not start like one)",
            hint="Download the full text again, or save it as a PDF and upload that.",
        )


def check_full_text_name(name: str) -> None:
    """An InputError unless ``name`` ends in a full-text suffix (.pdf, .docx, ...)."""
    if Path(name).suffix.lower() not in FULL_TEXT_SUFFIXES:
        raise InputError(f"{name}: not a full-text file ({', '.join(sorted(FULL_TEXT_SUFFIXES))})")


def full_text_store(project: Project) -> BlobStore:
    """Where the project's full texts are kept (``blobs/`` in the project folder)."""
    return blobs.for_project(project.root, project.db)


def retrieved_event(
    report_id: int, ref: BlobRef, reviewer: str, source: Path | None = None
) -> dict[str, Any]:
    """The retrieval event of a full text stored as ``ref``; ``source`` is the file it
    was attached from (provenance: where it came from, not where it is kept)."""
    return {
        "report_id": report_id,
        "status": "retrieved",
        "file_name": ref.file_name,
        "file_sha256": ref.sha256,
        "file_path": str(source.absolute()) if source is not None else None,
        "reviewer": reviewer,
    }


def full_text_path(
    project: Project, event: Mapping[str, Any], *, for_viewer: bool = False
) -> Path | None:
    """A local file holding the full text of a retrieval ``event``, or None if there is
    none. ``for_viewer``: a file whose name ends like the attached file's (``.pdf``), as
    desktop viewers choose the program by the suffix.

    The blob store's copy first. Older projects recorded a copy in ``files/`` (or a
    blob was lost): then the recorded path, if the file there still has the recorded
    sha256. ``reviewflow upgrade`` copies such files into the blob store
    (:func:`adopt_file_copies`).
    """
    sha256 = event.get("file_sha256")
    if event.get("status") != "retrieved" or not sha256:
        return None
    suffix = Path(event.get("file_name") or "").suffix if for_viewer else None
    if suffix and suffix.lower() not in FULL_TEXT_SUFFIXES:
        suffix = None
    found = full_text_store(project).path_of(sha256, suffix=suffix or None)
    return found if found is not None else _recorded_copy(project, event)


def read_full_text(project: Project, event: Mapping[str, Any]) -> bytes:
    """The bytes of the full text of a retrieval ``event`` (see :func:`full_text_path`);
    a NotFoundError saying how to attach it again when neither copy is there."""
    sha256 = event.get("file_sha256")
    store = full_text_store(project)
    if sha256 and store.exists(sha256):
        with store.open(sha256) as fh:
            return fh.read()
    legacy = _recorded_copy(project, event) if sha256 else None
    if legacy is not None:
        return legacy.read_bytes()
    report = event.get("report_id")
    raise NotFoundError(
        f"the full text attached to report {report} ({event.get('file_name')}) is missing "
        "from the project's blob store",
        hint=f"Attach it again: reviewflow fulltext retrieve {report} --file FILE --reviewer XX",
    )


def _recorded_copy(project: Project, event: Mapping[str, Any]) -> Path | None:
    """The file at the event's recorded path (relative paths are in the project), if it
    is a regular file with the recorded sha256."""
    recorded = event.get("file_path")
    if not recorded:
        return None
    path = project.root / recorded  # an absolute path stays itself
    try:
        if path.is_symlink() or not path.is_file():
            return None
        return path if blobs.sha256_of(path) == event.get("file_sha256") else None
    except (OSError, InputError):
        return None


def adopt_file_copies(project: Project) -> int:
    """Copy the full texts that older projects kept in ``files/`` (or whose blob is
    missing while the recorded file is there) into the blob store; the number copied.

    Idempotent: a full text already in the store is not copied again. The ``files/``
    folder is left as it is; once this ran it is no longer read.
    """
    with project.db.connect() as conn:
        events = list(sq.current_retrieval(conn).values())
    store = full_text_store(project)
    copied = 0
    for event in events:
        sha256 = event.get("file_sha256")
        if event.get("status") != "retrieved" or not sha256 or store.exists(sha256):
            continue
        legacy = _recorded_copy(project, event)
        if legacy is not None:
            store.put_path(legacy, file_name=event.get("file_name"), sha256=sha256)
            copied += 1
    return copied


def use_full_text_of(
    project: Project, report_id: int, *, source_report_id: int, reviewer: str | None = None
) -> Report:
    """Attach to ``report_id`` the full text already attached to ``source_report_id``: a
    companion paper published in one PDF with another, or a duplicate report. The file
    is not copied (the blob store keeps it once); the event records the same sha256."""
    reviewer = acting(reviewer, doing="attaching this full text")
    check_reviewer(project, reviewer)
    if report_id == source_report_id:
        raise InputError(
            f"report {report_id} cannot share its own full text",
            hint="Name the other report whose file this one should use.",
        )
    with project.db.transaction() as conn:
        _check_report(conn, report_id)
        _check_report(conn, source_report_id)
        source = sq.current_retrieval(conn).get(source_report_id, {})
        if source.get("status") != "retrieved" or not source.get("file_sha256"):
            raise StateError(
                f"report {source_report_id} has no full text attached to share",
                hint=f"Attach it first: reviewflow fulltext retrieve {source_report_id} "
                "--file FILE",
            )
        ref = BlobRef(source["file_sha256"], 0, file_name=source.get("file_name"))
        event = retrieved_event(report_id, ref, reviewer)
        event["file_path"] = source.get("file_path")  # an older project's copy, if any
        sq.insert_retrieval_event(conn, values=event)
    return _one(project, report_id)


def not_retrieved(
    project: Project, report_id: int, *, reason: str, reviewer: str | None = None
) -> Report:
    """Record that the full text could not be obtained, and why (PRISMA counts it)."""
    reviewer = acting(reviewer, doing="recording the report as not retrieved")
    check_reviewer(project, reviewer)
    if not reason.strip():
        raise InputError(
            "say why the report was not retrieved",
            hint='e.g. --why "no library access; author did not reply"',
        )
    with project.db.transaction() as conn:
        _check_report(conn, report_id)
        sq.insert_retrieval_event(
            conn,
            values={
                "report_id": report_id,
                "status": "not_retrieved",
                "reason": reason.strip(),
                "reviewer": reviewer,
            },
        )
    return _one(project, report_id)
