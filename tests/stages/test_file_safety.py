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
from reviewflow.stages.screening.reports import store_file

NEEDS_FIFO = pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no FIFOs here")


@pytest.fixture
def pdf(tmp_path: Path) -> Path:
    path = tmp_path / "smith2020.pdf"
    path.write_bytes(b"%PDF-1.4 a full text")
    return path


def test_store_file_writes_a_regular_file_once(project: Project, pdf: Path) -> None:
    sha, rel = store_file(project, pdf)
    stored = project.root / rel
    assert stored.read_bytes() == pdf.read_bytes()
    assert stat.S_ISREG(os.lstat(stored).st_mode)
    assert store_file(project, pdf) == (sha, rel)
    assert sorted(p.name for p in stored.parent.iterdir()) == [stored.name]


def test_symlinked_files_folder_is_refused(project: Project, pdf: Path, tmp_path: Path) -> None:
    outside = tmp_path / "outside"
    outside.mkdir()
    (project.root / "files").symlink_to(outside)
    with pytest.raises(StateError, match=r"files in the project is a symbolic link"):
        store_file(project, pdf)
    assert list(outside.iterdir()) == []


def test_symlinked_part_file_is_refused(project: Project, pdf: Path, tmp_path: Path) -> None:
    _, rel = store_file(project, pdf)
    (project.root / rel).unlink()  # as if never stored; then a .part link is planted
    victim = tmp_path / "victim.txt"
    victim.write_text("precious", encoding="utf-8")
    part = project.root / rel.with_name(rel.name + ".part")
    part.symlink_to(victim)
    with pytest.raises(StateError, match=r"\.part in the project is a symbolic link"):
        store_file(project, pdf)
    assert victim.read_text(encoding="utf-8") == "precious"
    assert not (project.root / rel).exists()


def test_symlinked_target_is_refused(project: Project, pdf: Path, tmp_path: Path) -> None:
    """A link where the stored copy goes would make reviewflow read (and trust) a file
    outside the project as the attached full text."""
    _, rel = store_file(project, pdf)
    (project.root / rel).unlink()
    elsewhere = tmp_path / "elsewhere.pdf"
    elsewhere.write_bytes(pdf.read_bytes())
    (project.root / rel).symlink_to(elsewhere)
    with pytest.raises(StateError, match="symbolic link"):
        store_file(project, pdf)


def test_stale_part_file_from_an_interrupted_copy_is_replaced(project: Project, pdf: Path) -> None:
    _, rel = store_file(project, pdf)
    (project.root / rel).unlink()
    part = project.root / rel.with_name(rel.name + ".part")
    part.write_bytes(b"half")
    store_file(project, pdf)
    assert (project.root / rel).read_bytes() == pdf.read_bytes()
    assert not part.exists()


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
    from reviewflow.stages.screening.attach import full_text_files

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
