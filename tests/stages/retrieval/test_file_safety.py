"""Full texts are never written through a planted symlink, odd inputs are named as what
they are, and a literal database password is warned about and kept private (issue 20,
point 10)."""

from __future__ import annotations

import os
import stat
from pathlib import Path
from unittest import mock

import pytest
from click.testing import CliRunner

from reviewflow.cli import cli
from reviewflow.errors import InputError, StateError
from reviewflow.project import Project
from reviewflow.stages.retrieval import full_text_store

NEEDS_FIFO = pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no FIFOs here")


@pytest.fixture
def pdf(tmp_path: Path) -> Path:
    path = tmp_path / "smith2020.pdf"
    path.write_bytes(b"%PDF-1.4 a full text")
    return path


def test_an_attached_full_text_is_a_regular_file_stored_once(project: Project, pdf: Path) -> None:
    store = full_text_store(project)
    ref = store.put_path(pdf)
    stored = store.path_of(ref.sha256)
    assert stored is not None and stored.is_relative_to(project.root / "blobs")
    assert stored.read_bytes() == pdf.read_bytes()
    assert stat.S_ISREG(os.lstat(stored).st_mode)
    assert store.put_path(pdf) == ref
    assert sorted(p.name for p in stored.parent.iterdir()) == [stored.name]


def test_symlinked_blobs_folder_is_refused(project: Project, pdf: Path, tmp_path: Path) -> None:
    outside = tmp_path / "outside"
    outside.mkdir()
    (project.root / "blobs").symlink_to(outside)
    with pytest.raises(StateError, match=r"blobs in the blob store is a symbolic link"):
        full_text_store(project).put_path(pdf)
    assert list(outside.iterdir()) == []


def test_symlinked_blob_folder_is_refused(project: Project, pdf: Path, tmp_path: Path) -> None:
    store = full_text_store(project)
    ref = store.put_path(pdf)
    stored = store.path_of(ref.sha256)
    assert stored is not None
    stored.unlink()
    stored.parent.rmdir()  # as if never stored; then its folder is a planted link
    outside = tmp_path / "outside"
    outside.mkdir()
    stored.parent.symlink_to(outside)
    with pytest.raises(StateError, match="symbolic link"):
        store.put_path(pdf)
    assert list(outside.iterdir()) == []


def test_symlinked_target_is_refused(project: Project, pdf: Path, tmp_path: Path) -> None:
    """A link where the stored copy goes would make reviewflow read (and trust) a file
    outside the project as the attached full text."""
    store = full_text_store(project)
    ref = store.put_path(pdf)
    stored = store.path_of(ref.sha256)
    assert stored is not None
    stored.unlink()
    elsewhere = tmp_path / "elsewhere.pdf"
    elsewhere.write_bytes(pdf.read_bytes())
    stored.symlink_to(elsewhere)
    with pytest.raises(StateError, match="symbolic link"):
        store.put_path(pdf)
    with pytest.raises(StateError, match="symbolic link"):
        store.open(ref.sha256)


def test_no_temporary_file_is_left_behind(project: Project, pdf: Path) -> None:
    store = full_text_store(project)
    for _ in range(3):
        store.put_path(pdf)
    left = [p.name for p in (project.root / "blobs").rglob("*") if p.is_file()]
    assert len(left) == 1 and not left[0].endswith(".part")


def _retrieve(project: Project, file: Path) -> str:
    result = CliRunner().invoke(
        cli,
        ["-p", str(project.root), "fulltext", "retrieve", "1", "--file", str(file),
         "--reviewer", "MC"],
    )  # fmt: skip
    assert result.exit_code == 1, result.output
    assert "Traceback" not in result.output
    return result.output


@NEEDS_FIFO
def test_fifo_given_as_full_text_is_named(project: Project, tmp_path: Path) -> None:
    fifo = tmp_path / "paper.pdf"
    os.mkfifo(fifo)
    out = _retrieve(project, fifo)
    assert "paper.pdf: is a named pipe (FIFO)" in out
    assert "no such file" not in out


def test_symlink_loop_given_as_full_text_is_named(project: Project, tmp_path: Path) -> None:
    (tmp_path / "a.pdf").symlink_to(tmp_path / "b.pdf")
    (tmp_path / "b.pdf").symlink_to(tmp_path / "a.pdf")
    out = _retrieve(project, tmp_path / "a.pdf")
    assert "a.pdf: is a symbolic link that loops back on itself" in out


@NEEDS_FIFO
def test_fifo_given_to_attach_is_named(project: Project, tmp_path: Path) -> None:
    from reviewflow.stages.retrieval.folder import full_text_files

    fifo = tmp_path / "paper.pdf"
    os.mkfifo(fifo)
    with pytest.raises(InputError, match="named pipe"):
        full_text_files([fifo])


def _init(tmp_path: Path, url: str) -> object:
    runner = CliRunner()
    with mock.patch("reviewflow.project._init_store", lambda db, settings, text: None):
        return runner.invoke(
            cli,
            ["init", str(tmp_path / "p"), "--title", "T", "--reviewer", "AB:Ann Baker",
             "--no-interactive", "--database-url", url],
        )  # fmt: skip


def test_literal_password_warns_and_review_toml_is_private(tmp_path: Path) -> None:
    result = _init(tmp_path, "postgresql://u:s3cr3t-pw@db.example/review")
    assert result.exit_code == 0, result.output
    assert "s3cr3t-pw" not in result.output
    assert "holds a password" in result.stderr
    assert "postgresql://u:${RF_DB_PASSWORD}@db.example/review" in result.stderr
    config = tmp_path / "p" / "review.toml"
    assert stat.S_IMODE(config.stat().st_mode) == 0o600
    assert "s3cr3t-pw" in config.read_text(encoding="utf-8")  # stored as the user asked


def test_password_from_environment_needs_no_warning(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("RF_DB_PASSWORD", "from-env")
    result = _init(tmp_path, "postgresql://u:${RF_DB_PASSWORD}@db.example/review")
    assert result.exit_code == 0, result.output
    assert "holds a password" not in result.output
    assert "from-env" not in result.output
    config = tmp_path / "p" / "review.toml"
    assert "${RF_DB_PASSWORD}" in config.read_text(encoding="utf-8")
