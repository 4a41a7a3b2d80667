"""The blob store: content-addressed, idempotent, atomic, streamed, indexed once.

Full texts are kept by the sha256 of their bytes in ``<project>/blobs/ab/cdef…``; these
tests put content the ways a user does (a path, upload bytes, two processes at once)
and check what ends up on disk and in the ``blobs`` table.
"""

from __future__ import annotations

import hashlib
import multiprocessing
import os
import tracemalloc
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select

from reviewflow import people
from reviewflow.errors import InputError, NotFoundError, StateError, StoreError
from reviewflow.project import Project
from reviewflow.store import blobs
from reviewflow.store.blobs import BlobStore, IndexedBlobStore, LocalBlobStore
from reviewflow.store.schema import blobs as blobs_table

PDF = b"%PDF-1.4 a full text\n" * 50


def _files(root: Path) -> list[str]:
    """Every file under ``root`` (blobs and any leftover temporary file), relative."""
    if not root.exists():
        return []
    return sorted(str(p.relative_to(root)) for p in root.rglob("*") if not p.is_dir())


def _rows(project: Project) -> list[dict[str, Any]]:
    with project.db.connect() as conn:
        return [dict(r) for r in conn.execute(select(blobs_table)).mappings()]


def test_put_bytes_stores_the_content_under_its_sha256_once(tmp_path: Path) -> None:
    store = LocalBlobStore(tmp_path / "blobs")
    assert isinstance(store, BlobStore)
    sha = hashlib.sha256(PDF).hexdigest()
    ref = store.put_bytes(PDF, file_name="smith2020.pdf")
    assert (ref.sha256, ref.size, ref.media_type) == (sha, len(PDF), "application/pdf")
    assert _files(store.root) == [f"{sha[:2]}/{sha[2:]}"]
    again = store.put_bytes(PDF, file_name="renamed.pdf")
    assert again.sha256 == sha and _files(store.root) == [f"{sha[:2]}/{sha[2:]}"]
    with store.open(sha) as fh:
        assert fh.read() == PDF
    assert store.exists(sha) and store.size(sha) == len(PDF)
    assert store.path_of(sha) == store.root / sha[:2] / sha[2:]


def test_put_path_copies_and_the_original_is_not_needed_after(tmp_path: Path) -> None:
    original = tmp_path / "downloads" / "hall2018.pdf"
    original.parent.mkdir()
    original.write_bytes(PDF)
    store = LocalBlobStore(tmp_path / "blobs")
    ref = store.put_path(original)
    assert ref.file_name == "hall2018.pdf" and ref.sha256 == hashlib.sha256(PDF).hexdigest()
    assert store.put_path(original) == ref
    original.unlink()
    original.parent.rmdir()
    with store.open(ref.sha256) as fh:
        assert fh.read() == PDF
    assert len(_files(store.root)) == 1


def test_put_path_streams_a_large_file(tmp_path: Path) -> None:
    """A 40 MB file is hashed while it is copied, never held in memory whole."""
    big = tmp_path / "big.pdf"
    digest = hashlib.sha256()
    with big.open("wb") as fh:
        for i in range(40):
            chunk = bytes([i]) * 10**6
            digest.update(chunk)
            fh.write(chunk)
    store = LocalBlobStore(tmp_path / "blobs")
    tracemalloc.start()
    try:
        ref = store.put_path(big)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert ref.sha256 == digest.hexdigest() and ref.size == 40 * 10**6
    assert peak < 8 * 10**6, f"put_path held {peak / 10**6:.0f} MB at once"
    assert blobs.sha256_of(store.path_of(ref.sha256) or big) == ref.sha256


def test_a_viewer_gets_a_path_with_the_suffix_and_no_second_copy(tmp_path: Path) -> None:
    store = LocalBlobStore(tmp_path / "blobs")
    ref = store.put_bytes(PDF, file_name="smith2020.pdf")
    plain = store.path_of(ref.sha256)
    named = store.path_of(ref.sha256, suffix=".PDF")
    assert plain is not None and named is not None
    assert named.name.endswith(".pdf") and named.read_bytes() == PDF
    assert os.stat(named).st_ino == os.stat(plain).st_ino  # a hard link, not a copy
    assert store.path_of(ref.sha256, suffix=".pdf") == named
    with pytest.raises(InputError, match="not a file suffix"):
        store.path_of(ref.sha256, suffix="/../../x")
    assert store.path_of("1" * 64, suffix=".pdf") is None


def test_a_failed_write_leaves_no_partial_blob(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    store = LocalBlobStore(tmp_path / "blobs")

    def disk_full(fd: int) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(blobs.os, "fsync", disk_full)
    with pytest.raises(OSError, match="No space left"):
        store.put_bytes(PDF)
    assert _files(store.root) == []
    assert not store.exists(hashlib.sha256(PDF).hexdigest())


def test_a_source_that_fails_half_way_leaves_nothing(tmp_path: Path) -> None:
    store = LocalBlobStore(tmp_path / "blobs")

    def chunks() -> Any:
        yield b"first half of a PDF"
        raise OSError(5, "Input/output error")  # the USB stick was pulled out

    with pytest.raises(OSError, match="Input/output"):
        store._put(chunks(), file_name="x.pdf", media_type=None, expected=None)
    assert _files(store.root) == []


def test_the_hash_is_verified_on_put(tmp_path: Path) -> None:
    store = LocalBlobStore(tmp_path / "blobs")
    wrong = hashlib.sha256(b"another file").hexdigest()
    with pytest.raises(StoreError, match="not the"):
        store.put_bytes(PDF, file_name="x.pdf", sha256=wrong)
    assert _files(store.root) == []
    right = hashlib.sha256(PDF).hexdigest()
    assert store.put_bytes(PDF, sha256=right).sha256 == right
    with pytest.raises(InputError, match="not a sha256"):
        store.put_bytes(PDF, sha256="../../etc/passwd")


def test_a_damaged_blob_is_replaced_by_the_next_put(tmp_path: Path) -> None:
    store = LocalBlobStore(tmp_path / "blobs")
    ref = store.put_bytes(PDF)
    path = store.path_of(ref.sha256)
    assert path is not None
    path.write_bytes(PDF[:100])  # truncated by a crash of some other tool
    store.put_bytes(PDF)
    assert path.read_bytes() == PDF


def test_keys_cannot_name_other_paths(tmp_path: Path) -> None:
    store = LocalBlobStore(tmp_path / "blobs")
    for bad in ("../../../etc/passwd", "A" * 64, "ab"):
        with pytest.raises(InputError, match="not a sha256"):
            store.open(bad)
    with pytest.raises(NotFoundError, match="no blob"):
        store.open("0" * 64)
    assert store.path_of("0" * 64) is None and store.size("0" * 64) is None


def test_nothing_is_written_or_read_through_a_planted_link(tmp_path: Path) -> None:
    outside = tmp_path / "outside"
    outside.mkdir()
    (tmp_path / "linked").symlink_to(outside)
    with pytest.raises(StateError, match="symbolic link"):
        LocalBlobStore(tmp_path / "linked").put_bytes(PDF)
    assert list(outside.iterdir()) == []
    store = LocalBlobStore(tmp_path / "blobs")
    ref = store.put_bytes(PDF)
    path = store.path_of(ref.sha256)
    assert path is not None
    path.unlink()
    elsewhere = tmp_path / "elsewhere.pdf"
    elsewhere.write_bytes(PDF)
    path.symlink_to(elsewhere)  # a link where the blob goes: reviewflow would trust it
    with pytest.raises(StateError, match="symbolic link"):
        store.open(ref.sha256)
    with pytest.raises(StateError, match="symbolic link"):
        store.put_bytes(PDF)
    assert path.is_symlink() and elsewhere.read_bytes() == PDF


def test_the_project_store_indexes_each_blob_once_with_its_actor(project: Project) -> None:
    store = blobs.for_project(project.root, project.db)
    assert isinstance(store, IndexedBlobStore) and isinstance(store, BlobStore)
    with project.session(actor=None) as s:
        people.ensure_user(s.conn, "MC", name="M Cooper")
        people.grant(s.conn, "MC", ["owner"])
    with project.session(actor="MC"):
        ref = store.put_bytes(PDF, file_name="smith2020.pdf")
    store.put_bytes(PDF, file_name="again.pdf")  # outside a session: its own transaction
    (row,) = _rows(project)
    assert row["sha256"] == ref.sha256 and row["size"] == len(PDF)
    assert (row["file_name"], row["media_type"], row["created_by"]) == (
        "smith2020.pdf", "application/pdf", "MC",
    )  # fmt: skip
    assert _files(project.root / "blobs") == [f"{ref.sha256[:2]}/{ref.sha256[2:]}"]


def test_a_rolled_back_session_leaves_an_unindexed_blob_that_the_next_put_indexes(
    project: Project,
) -> None:
    store = blobs.for_project(project.root, project.db)
    with pytest.raises(RuntimeError), project.session():
        store.put_bytes(PDF)
        raise RuntimeError("the upload's request failed after the put")
    assert _rows(project) == []
    ref = store.put_bytes(PDF)
    assert [r["sha256"] for r in _rows(project)] == [ref.sha256]


def _put_at_once(root: str, data: bytes, barrier: Any, results: Any) -> None:
    project = Project.open(root)
    try:
        store = blobs.for_project(project.root, project.db)
        barrier.wait(timeout=60)
        results.put(store.put_bytes(data, file_name="same.pdf").sha256)
    except Exception as exc:  # reported to the parent, which fails the test
        results.put(repr(exc))
    finally:
        project.close()


def test_processes_putting_the_same_content_at_once_store_one_blob_and_one_row(
    project: Project,
) -> None:
    writers = 3
    data = os.urandom(8 * 10**6)  # big enough that the copies overlap in time
    ctx = multiprocessing.get_context("spawn")
    barrier, results = ctx.Barrier(writers), ctx.Queue()
    procs = [
        ctx.Process(target=_put_at_once, args=(str(project.root), data, barrier, results))
        for _ in range(writers)
    ]
    for p in procs:
        p.start()
    outcomes = [results.get(timeout=120) for _ in procs]
    for p in procs:
        p.join(timeout=60)
    sha = hashlib.sha256(data).hexdigest()
    assert outcomes == [sha] * writers
    assert _files(project.root / "blobs") == [f"{sha[:2]}/{sha[2:]}"]
    with project.db.connect() as conn:
        assert conn.execute(select(func.count()).select_from(blobs_table)).scalar_one() == 1
    with blobs.for_project(project.root, project.db).open(sha) as fh:
        assert fh.read() == data
