"""Content-addressed blob store: full texts (and any other file) kept by their sha256.

A web upload arrives as bytes, a CLI attach as a path, and a team server may keep files
on another disk or, later, in an object store. So full texts go through one small
interface, :class:`BlobStore`, keyed by the sha256 of the content:

* ``put_bytes(data)`` and ``put_path(path)`` store content and return a :class:`BlobRef`;
  the same content twice is stored once; ``put_path`` streams (hashing while it copies),
  so a 500 MB PDF is never held in memory;
* ``open(sha256)`` reads it back; ``exists``, ``size``;
* ``path_of(sha256)`` gives a local file for a PDF viewer or a browser when the store
  has one, and None when it does not (an object store): callers then read ``open``.
  ``path_of(sha256, suffix=".pdf")`` gives one whose name ends in ``.pdf`` (a hard link
  beside the blob), for viewers that choose the program by the suffix.

The interface is deliberately that small (put, open, exists, size, path_of) so that an
object store (S3 and the like: put_object / get_object / head_object) can stand behind
it later without touching the stages; there is no S3 code yet.

:class:`LocalBlobStore` keeps the bytes in a folder, ``<root>/ab/cdef…`` (the first two
hex digits as a sub-folder, the other 62 as the name). A put writes a temporary file in
the store's folder and ``os.replace``-s it into place only once the hash is known and
checked, so a failed or interrupted write never leaves a partial blob, and two processes
putting the same content at once both end with the one, complete file. Nothing is read
or written through a symbolic link inside the store (a planted link could make
reviewflow write outside the project, or trust a file outside it as a full text).

:class:`IndexedBlobStore` wraps any store and records each blob in the project's
``blobs`` table (sha256, size, media type, file name, who, when): insert-if-absent
(``ON CONFLICT DO NOTHING`` on SQLite and PostgreSQL), so concurrent puts of one content
make one row. The bytes are written before the row, so a row always has its bytes; a
put whose transaction then rolls back leaves an unindexed blob, which is harmless (the
next put of that content indexes it).

Where the bytes live: :func:`for_project` uses ``<project folder>/blobs`` (also for a
project whose database is on PostgreSQL: the files stay in the project folder). A
setting for another root, or another backend, goes there later.
"""

from __future__ import annotations

import hashlib
import mimetypes
import os
import re
import secrets
import shutil
import stat
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, BinaryIO, Protocol, runtime_checkable

from sqlalchemy import select
from sqlalchemy.engine import Connection

from ..errors import InputError, NotFoundError, StateError, StoreError
from . import actor_or
from .schema import blobs as blobs_table

if TYPE_CHECKING:
    from . import Database

#: The folder of a project's blobs, relative to the project folder.
BLOBS_DIR = "blobs"
#: Bytes read and hashed at a time by ``put_path`` and :func:`sha256_of`.
CHUNK = 1 << 20
_HEX64 = re.compile(r"[0-9a-f]{64}")
_SUFFIX = re.compile(r"\.[a-z0-9]{1,10}")
_O_NOFOLLOW = getattr(os, "O_NOFOLLOW", 0)
_O_BINARY = getattr(os, "O_BINARY", 0)


@dataclass(frozen=True)
class BlobRef:
    """A stored blob: its key (sha256 hex), size in bytes, and what the caller said it is."""

    sha256: str
    size: int
    media_type: str | None = None
    file_name: str | None = None


@runtime_checkable
class BlobStore(Protocol):
    """Where full texts are kept, by the sha256 of their content (see the module doc)."""

    def put_bytes(
        self,
        data: bytes,
        *,
        file_name: str | None = None,
        media_type: str | None = None,
        sha256: str | None = None,
    ) -> BlobRef:
        """Store ``data``; with ``sha256`` given, refuse content that does not match it."""
        ...

    def put_path(
        self,
        path: str | Path,
        *,
        file_name: str | None = None,
        media_type: str | None = None,
        sha256: str | None = None,
    ) -> BlobRef:
        """Store a copy of the file at ``path``, streamed; the original is not needed after."""
        ...

    def open(self, sha256: str) -> BinaryIO:
        """The content, for reading (NotFoundError if absent)."""
        ...

    def exists(self, sha256: str) -> bool: ...

    def size(self, sha256: str) -> int | None:
        """The content's size in bytes, or None if absent."""
        ...

    def path_of(self, sha256: str, *, suffix: str | None = None) -> Path | None:
        """A local file holding the content (to hand to a viewer), or None: not stored,
        or the store has no local files. With ``suffix`` (".pdf") the file's name ends
        with it: desktop viewers on macOS and Windows choose the program by suffix."""
        ...


class LocalBlobStore:
    """A :class:`BlobStore` in a local folder (``root``, made when first written)."""

    def __init__(self, root: str | Path) -> None:
        self.root = Path(root)

    def __repr__(self) -> str:
        return f"LocalBlobStore({str(self.root)!r})"

    # -- writing ---------------------------------------------------------------------

    def put_bytes(
        self,
        data: bytes,
        *,
        file_name: str | None = None,
        media_type: str | None = None,
        sha256: str | None = None,
    ) -> BlobRef:
        return self._put([data], file_name=file_name, media_type=media_type, expected=sha256)

    def put_path(
        self,
        path: str | Path,
        *,
        file_name: str | None = None,
        media_type: str | None = None,
        sha256: str | None = None,
    ) -> BlobRef:
        p = Path(path)
        with _open_regular(p) as fh:
            return self._put(
                iter(lambda: fh.read(CHUNK), b""),
                file_name=file_name if file_name is not None else p.name,
                media_type=media_type,
                expected=sha256,
            )

    def _put(
        self,
        chunks: Iterable[bytes],
        *,
        file_name: str | None,
        media_type: str | None,
        expected: str | None,
    ) -> BlobRef:
        if expected is not None:
            expected = check_key(expected)
        self._check_dir(self.root, want_dir=True)
        self.root.mkdir(parents=True, exist_ok=True)
        temp = self.root / f".incoming-{secrets.token_hex(8)}.part"
        digest = hashlib.sha256()
        size = 0
        try:
            # O_EXCL + O_NOFOLLOW: a fresh, random name, never a file planted there.
            flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | _O_NOFOLLOW | _O_BINARY
            with os.fdopen(os.open(temp, flags, 0o644), "wb") as out:
                for chunk in chunks:
                    digest.update(chunk)
                    size += len(chunk)
                    out.write(chunk)
                out.flush()
                os.fsync(out.fileno())
            key = digest.hexdigest()
            if expected is not None and key != expected:
                raise StoreError(
                    f"{file_name or 'the content'} has sha256 {key[:12]}…, "
                    f"not the {expected[:12]}… it was stored as",
                    hint="The file changed or was damaged on the way; get it again.",
                )
            final = self._file(key)
            self._check_dir(final.parent, want_dir=True)
            stored = self._check_dir(final, want_dir=False)
            if stored is not None and stored.st_size == size:
                return BlobRef(key, size, media_type or _guess(file_name), file_name)
            # absent, or a damaged copy of another size: replace it whole, atomically
            final.parent.mkdir(exist_ok=True)
            os.replace(temp, final)
        finally:
            if os.path.lexists(temp):
                os.unlink(temp)
        return BlobRef(key, size, media_type or _guess(file_name), file_name)

    # -- reading ---------------------------------------------------------------------

    def open(self, sha256: str) -> BinaryIO:
        path = self._file(check_key(sha256))
        self._check_dir(path.parent, want_dir=True)
        try:
            fd = os.open(path, os.O_RDONLY | _O_NOFOLLOW | _O_BINARY)
        except FileNotFoundError:
            raise NotFoundError(f"no blob {sha256[:12]}… in {self.root}") from None
        except OSError as exc:
            self._check_dir(path, want_dir=False)  # names a planted link as what it is
            raise StoreError(f"cannot read blob {sha256[:12]}…: {exc.strerror}") from None
        fh = os.fdopen(fd, "rb")
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            fh.close()
            self._check_dir(path, want_dir=False)
        return fh

    def exists(self, sha256: str) -> bool:
        return self.size(sha256) is not None

    def size(self, sha256: str) -> int | None:
        path = self._file(check_key(sha256))
        if self._check_dir(path.parent, want_dir=True) is None:
            return None
        st = self._check_dir(path, want_dir=False)
        return st.st_size if st is not None else None

    def path_of(self, sha256: str, *, suffix: str | None = None) -> Path | None:
        if not self.exists(sha256):
            return None
        blob = self._file(sha256)
        if not suffix:
            return blob
        if not _SUFFIX.fullmatch(suffix.lower()):
            raise InputError(f"{suffix!r} is not a file suffix such as '.pdf'")
        named = blob.with_name(blob.name + suffix.lower())
        st = self._check_dir(named, want_dir=False)
        if st is not None and st.st_size == os.stat(blob).st_size:
            return named
        # A hard link beside the blob (the same bytes, no second copy); a copy where the
        # file system has no links. Made under a temporary name, then moved into place.
        temp = blob.with_name(f".{blob.name}-{secrets.token_hex(4)}.part")
        try:
            try:
                os.link(blob, temp)
            except OSError:
                shutil.copyfile(blob, temp, follow_symlinks=False)
            os.replace(temp, named)
        finally:
            if os.path.lexists(temp):
                os.unlink(temp)
        return named

    # -- layout ----------------------------------------------------------------------

    def _file(self, sha256: str) -> Path:
        return self.root / sha256[:2] / sha256[2:]

    def _check_dir(self, path: Path, *, want_dir: bool) -> os.stat_result | None:
        """The stat of ``path`` (a folder or regular file, as wanted), None if absent; a
        symbolic link or anything else there is a StateError: not used, not written."""
        try:
            st = os.lstat(path)
        except FileNotFoundError:
            return None
        if stat.S_ISLNK(st.st_mode):
            what = f"a symbolic link (to {os.readlink(path)})"
        elif (stat.S_ISDIR if want_dir else stat.S_ISREG)(st.st_mode):
            return st
        else:
            what = "not a folder" if want_dir else "not a regular file"
        raise StateError(
            f"{path} in the blob store is {what}; reviewflow does not keep full texts through it",
            hint=f"Move {path} out of the way (check who put it there), then try again.",
        )


class IndexedBlobStore:
    """A :class:`BlobStore` that also records every put in the ``blobs`` table.

    Inside an open session the row is written in the session's transaction (and stamped
    with its actor); outside one, in a transaction of its own.
    """

    def __init__(self, backend: BlobStore, database: Database) -> None:
        self.backend = backend
        self.database = database

    def __repr__(self) -> str:
        return f"IndexedBlobStore({self.backend!r})"

    def put_bytes(
        self,
        data: bytes,
        *,
        file_name: str | None = None,
        media_type: str | None = None,
        sha256: str | None = None,
    ) -> BlobRef:
        ref = self.backend.put_bytes(
            data, file_name=file_name, media_type=media_type, sha256=sha256
        )
        return self._index(ref)

    def put_path(
        self,
        path: str | Path,
        *,
        file_name: str | None = None,
        media_type: str | None = None,
        sha256: str | None = None,
    ) -> BlobRef:
        ref = self.backend.put_path(path, file_name=file_name, media_type=media_type, sha256=sha256)
        return self._index(ref)

    def _index(self, ref: BlobRef) -> BlobRef:
        with self.database.transaction() as conn:
            index_blob(conn, ref)
        return ref

    def open(self, sha256: str) -> BinaryIO:
        return self.backend.open(sha256)

    def exists(self, sha256: str) -> bool:
        return self.backend.exists(sha256)

    def size(self, sha256: str) -> int | None:
        return self.backend.size(sha256)

    def path_of(self, sha256: str, *, suffix: str | None = None) -> Path | None:
        return self.backend.path_of(sha256, suffix=suffix)


def for_project(root: str | Path, database: Database) -> IndexedBlobStore:
    """The blob store of the project in folder ``root``: ``root/blobs``, indexed in its
    database (whatever the database engine)."""
    return IndexedBlobStore(LocalBlobStore(Path(root) / BLOBS_DIR), database)


def index_blob(conn: Connection, ref: BlobRef) -> None:
    """Record ``ref`` in the ``blobs`` table unless it is there (safe when two writers
    record the same content at once: the second insert does nothing)."""
    values = {
        "sha256": ref.sha256,
        "size": ref.size,
        "media_type": ref.media_type,
        "file_name": ref.file_name,
        "created_by": actor_or(None),
        "created_at": datetime.now(UTC),
    }
    if conn.dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert as pg_insert

        conn.execute(pg_insert(blobs_table).values(values).on_conflict_do_nothing())
    else:
        from sqlalchemy.dialects.sqlite import insert as sqlite_insert

        conn.execute(sqlite_insert(blobs_table).values(values).on_conflict_do_nothing())


def blob_row(conn: Connection, sha256: str) -> dict[str, object] | None:
    """The ``blobs`` row of ``sha256``, or None."""
    row = conn.execute(select(blobs_table).where(blobs_table.c.sha256 == sha256)).mappings()
    found = row.first()
    return dict(found) if found is not None else None


def sha256_of(path: str | Path) -> str:
    """The sha256 of a regular file, read in chunks (never the whole file at once)."""
    digest = hashlib.sha256()
    with _open_regular(Path(path)) as fh:
        for chunk in iter(lambda: fh.read(CHUNK), b""):
            digest.update(chunk)
    return digest.hexdigest()


def check_key(sha256: str) -> str:
    """``sha256`` if it is 64 lower-case hex digits (a key cannot name another path)."""
    if not isinstance(sha256, str) or not _HEX64.fullmatch(sha256):
        raise InputError(f"{sha256!r} is not a sha256 (64 lower-case hex digits)")
    return sha256


def _open_regular(path: Path) -> BinaryIO:
    """``path`` opened for reading if it is a regular file (checked on the open
    descriptor, non-blocking, so a FIFO cannot hang the copy), else an InputError."""
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | _O_BINARY)
    except FileNotFoundError:
        raise InputError(f"{path}: no such file", hint="Check the path and try again.") from None
    except OSError as exc:
        raise InputError(f"{path}: cannot be read ({exc.strerror})") from None
    if not stat.S_ISREG(os.fstat(fd).st_mode):
        os.close(fd)
        raise InputError(f"{path}: not a regular file", hint="Give the path of the file itself.")
    return os.fdopen(fd, "rb")


def _guess(file_name: str | None) -> str | None:
    return mimetypes.guess_type(file_name)[0] if file_name else None
