"""Full-text retrieval: attach each report's full text, or record why it was not obtained.

Retrieval is a list of events per report: sought (the default), retrieved (a file copied
into ``files/`` under its sha256, so the same PDF is stored once and can be checked), or
not retrieved (with why; PRISMA counts it). :mod:`.folder` attaches a folder of files at
once, matching each file to its report. The reports themselves (and their studies) are
full-text screening's: :mod:`reviewflow.stages.screening.fulltext`.
"""

from __future__ import annotations

import hashlib
import os
import stat
from pathlib import Path
from typing import Any

from ...errors import InputError, StateError
from ...formats.limits import check_regular, read_regular
from ...project import Project
from ...store import screening_queries as sq
from ..screening.fulltext import Report, _check_report, _one
from ..screening.plan import check_reviewer

FILES_DIR = "files"
FULL_TEXT_SUFFIXES = {".pdf", ".txt", ".md", ".html", ".htm", ".xml", ".docx"}


def retrieve(project: Project, report_id: int, *, file: str | Path, reviewer: str) -> Report:
    """Attach the full text: copy it to ``files/<sha256><suffix>`` and record the event."""
    check_reviewer(project, reviewer)
    path = check_full_text_file(Path(file))
    with project.db.transaction() as conn:
        _check_report(conn, report_id)
        sha256, rel = store_file(project, path)
        sq.insert_retrieval_event(
            conn, values=retrieved_event(report_id, path, sha256, rel, reviewer)
        )
    return _one(project, report_id)


def check_full_text_file(path: Path) -> Path:
    """``path`` if it is a file of a full-text kind, else an InputError saying what is
    (missing, a folder, a FIFO, a symlink loop...)."""
    check_regular(path)
    if path.suffix.lower() not in FULL_TEXT_SUFFIXES:
        raise InputError(
            f"{path.name}: not a full-text file ({', '.join(sorted(FULL_TEXT_SUFFIXES))})"
        )
    return path


def store_file(project: Project, path: Path, *, data: bytes | None = None) -> tuple[str, Path]:
    """Copy ``path`` into the content-addressed store: (sha256, path relative to the
    project). The same PDF is stored once; an existing copy is not rewritten.

    Nothing is written through a symbolic link: a ``files`` folder, a stored file or a
    ``.part`` file that is a link (planted to write outside the project) is refused.
    """
    data = read_regular(path) if data is None else data
    sha256 = hashlib.sha256(data).hexdigest()
    name = f"{sha256}{path.suffix.lower()}"
    rel = Path(FILES_DIR) / name
    folder = project.root / FILES_DIR
    _check_not_link(folder, rel.parent, want_dir=True)
    folder.mkdir(exist_ok=True)
    # Work relative to the folder opened without following links, so it cannot be
    # swapped for a link between the check and the write (POSIX; elsewhere by path).
    use_fd = os.open in os.supports_dir_fd and os.rename in os.supports_dir_fd
    dir_fd = os.open(folder, os.O_RDONLY | _O_DIRECTORY | _O_NOFOLLOW) if use_fd else None
    try:
        at = dir_fd
        where = (lambda n: n) if use_fd else (lambda n: str(folder / n))
        if _check_not_link(folder / name, rel, want_dir=False):
            return sha256, rel  # stored before: a regular file of this content
        part = name + ".part"
        if _check_not_link(folder / part, rel.with_name(part), want_dir=False):
            os.unlink(where(part), dir_fd=at)  # left by an interrupted copy
        flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | _O_NOFOLLOW | getattr(os, "O_BINARY", 0)
        fd = os.open(where(part), flags, 0o644, dir_fd=at)
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
        os.replace(where(part), where(name), src_dir_fd=at, dst_dir_fd=at)
    finally:
        if dir_fd is not None:
            os.close(dir_fd)
    return sha256, rel


_O_NOFOLLOW = getattr(os, "O_NOFOLLOW", 0)
_O_DIRECTORY = getattr(os, "O_DIRECTORY", 0)


def _check_not_link(path: Path, rel: Path, *, want_dir: bool) -> bool:
    """Whether ``path`` exists (as a folder or regular file, as wanted); a symbolic link
    or anything else in its place is a StateError: reviewflow will not write through it."""
    try:
        st = os.lstat(path)
    except FileNotFoundError:
        return False
    if stat.S_ISLNK(st.st_mode):
        what = f"a symbolic link (to {os.readlink(path)})"
    elif (stat.S_ISDIR if want_dir else stat.S_ISREG)(st.st_mode):
        return True
    else:
        what = "not a folder" if want_dir else "not a regular file"
    raise StateError(
        f"{rel} in the project is {what}; reviewflow does not store full texts through it",
        hint=f"Move {rel} out of the project folder (check who put it there), then try again.",
    )


def retrieved_event(
    report_id: int, path: Path, sha256: str, rel: Path, reviewer: str
) -> dict[str, Any]:
    """The retrieval event of an attached file."""
    return {
        "report_id": report_id,
        "status": "retrieved",
        "file_name": path.name,
        "file_sha256": sha256,
        "file_path": rel.as_posix(),
        "reviewer": reviewer,
    }


def not_retrieved(project: Project, report_id: int, *, reason: str, reviewer: str) -> Report:
    """Record that the full text could not be obtained, and why (PRISMA counts it)."""
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


__all__ = [
    "FULL_TEXT_SUFFIXES",
    "check_full_text_file",
    "not_retrieved",
    "retrieve",
    "retrieved_event",
    "store_file",
]
