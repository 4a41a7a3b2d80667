"""The project store on both engines: migrations, settings, atomic transactions."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import inspect, text

from reviewflow.errors import ProjectError, StoreError
from reviewflow.project import Project
from reviewflow.settings import load_settings
from reviewflow.store import Database, queries, resolve_url, safe_url
from reviewflow.store.migrate import current_revision, head_revision
from reviewflow.store.schema import metadata


def test_new_project_is_migrated_to_head_and_matches_schema(project: Project) -> None:
    assert current_revision(project.db.engine) == head_revision()
    tables = set(inspect(project.db.engine).get_table_names())
    assert {t.name for t in metadata.sorted_tables} <= tables
    for table in metadata.sorted_tables:
        migrated = {c["name"] for c in inspect(project.db.engine).get_columns(table.name)}
        assert migrated == {c.name for c in table.columns}, table.name


def test_sqlite_runs_with_wal_and_foreign_keys(tmp_path: Path) -> None:
    proj = Project.create(tmp_path / "p", title="T")
    with proj.db.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
    assert (tmp_path / "p" / "review.db").exists()
    proj.close()


def test_foreign_keys_are_enforced(project: Project) -> None:
    with pytest.raises(Exception, match=r"(?i)foreign key"):
        with project.db.transaction() as conn:
            conn.execute(
                text(
                    "INSERT INTO records (import_id, position, authors, keywords, extra, raw)"
                    " VALUES (999, 0, '[]', '[]', '{}', '')"
                )
            )


def test_transaction_rolls_back_everything_on_error(project: Project) -> None:
    with pytest.raises(RuntimeError):
        with project.db.transaction() as conn:
            queries.insert_search(conn, values={"source": "Embase"})
            raise RuntimeError("boom")
    with project.db.connect() as conn:
        assert queries.table_counts(conn)["searches"] == 0


def test_open_finds_project_and_reads_settings(project: Project) -> None:
    reopened = Project.open(project.root)
    assert reopened.settings.title == project.settings.title
    assert [r.initials for r in reopened.settings.reviewers] == ["MC", "CJ"]
    reopened.close()


def test_open_searches_parent_folders(project: Project, monkeypatch: pytest.MonkeyPatch) -> None:
    sub = project.root / "exports"
    sub.mkdir()
    monkeypatch.chdir(sub)
    found = Project.open()
    assert found.root == project.root.resolve()
    found.close()


def test_init_refuses_an_existing_project(project: Project) -> None:
    with pytest.raises(ProjectError, match="already a project"):
        Project.create(project.root, title="Again")


def test_invalid_review_toml_names_file_and_key(tmp_path: Path) -> None:
    (tmp_path / "review.toml").write_text('title = ""\n[database]\nurl = 3\n', encoding="utf-8")
    with pytest.raises(ProjectError) as err:
        load_settings(tmp_path / "review.toml")
    assert "review.toml" in str(err.value)
    assert "title" in str(err.value)
    assert "database.url" in str(err.value)


def test_broken_toml_syntax_is_a_project_error(tmp_path: Path) -> None:
    (tmp_path / "review.toml").write_text('title = "unterminated\n', encoding="utf-8")
    with pytest.raises(ProjectError, match="not valid TOML"):
        Project.open(tmp_path)


def test_database_url_reads_password_from_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("RF_TEST_PW", "s3cret")
    url = resolve_url("postgresql://rev:${RF_TEST_PW}@db.example/review")
    assert url == "postgresql+psycopg://rev:s3cret@db.example/review"
    assert "s3cret" not in safe_url(url)


def test_missing_environment_variable_is_a_clear_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("RF_NOT_SET", raising=False)
    with pytest.raises(StoreError, match="RF_NOT_SET"):
        resolve_url("postgresql://rev:${RF_NOT_SET}@db/review")


def test_unreachable_server_is_a_store_error_without_password(tmp_path: Path) -> None:
    db = Database(resolve_url("postgresql://rev:hunter2@127.0.0.1:9/none"))
    with pytest.raises(StoreError) as err:
        db.migrate()
    assert "hunter2" not in str(err.value)
    db.dispose()


def test_sqlite_path_is_relative_to_project(tmp_path: Path) -> None:
    url = resolve_url("sqlite:///data/review.db", base=tmp_path)
    assert url == f"sqlite:///{(tmp_path / 'data' / 'review.db').resolve()}"
