"""Opening a project checks the schema version instead of running Alembic every time.

Only ``reviewflow init`` and ``reviewflow upgrade`` migrate; any other command on a
database of another version stops with a message that names ``reviewflow upgrade``.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from alembic.script import ScriptDirectory
from click.testing import CliRunner
from sqlalchemy import text

from reviewflow.cli import cli
from reviewflow.errors import StoreError
from reviewflow.project import Project
from reviewflow.settings import CONFIG_NAME, Settings, dump_settings
from reviewflow.store import HEAD_REVISION, SCHEMA_REVISIONS, Database, resolve_url
from reviewflow.store.migrate import _config, current_revision, upgrade


def test_revision_constants_match_the_alembic_scripts() -> None:
    scripts = ScriptDirectory.from_config(_config())
    chain = [rev.revision for rev in scripts.walk_revisions()][::-1]  # oldest first
    assert list(SCHEMA_REVISIONS) == chain, "add the new migration's id to SCHEMA_REVISIONS"
    assert HEAD_REVISION == scripts.get_current_head()


def _old_project(tmp_path: Path, database_url: str, revision: str | None) -> Path:
    """A project whose database stops at ``revision`` (None: an empty database)."""
    root = tmp_path / "old"
    root.mkdir()
    db = Database(resolve_url(database_url, base=root))
    if revision is None:
        with db.connect():  # creates an empty SQLite file
            pass
    else:
        upgrade(db.engine, revision)
    db.dispose()
    settings = Settings(title="Old review")
    settings.database.url = database_url
    (root / CONFIG_NAME).write_text(dump_settings(settings), encoding="utf-8")
    return root


def test_out_of_date_database_names_reviewflow_upgrade_which_fixes_it(
    tmp_path: Path, database_url: str
) -> None:
    root = _old_project(tmp_path, database_url, "0005")
    runner = CliRunner()

    result = runner.invoke(cli, ["--project", str(root), "status"])
    assert result.exit_code == 1
    assert "older reviewflow (schema 0005" in result.output
    assert "reviewflow upgrade" in result.output
    assert "Traceback" not in result.output

    result = runner.invoke(cli, ["--project", str(root), "upgrade"])
    assert result.exit_code == 0, result.output
    assert f"from schema 0005 to {HEAD_REVISION}" in result.output

    result = runner.invoke(cli, ["--project", str(root), "status"])
    assert result.exit_code == 0, result.output
    assert "Old review" in result.output

    result = runner.invoke(cli, ["--project", str(root), "upgrade"])
    assert result.exit_code == 0, result.output
    assert "up to date" in result.output


def test_database_from_a_newer_reviewflow_is_refused_by_open_and_upgrade(
    project: Project,
) -> None:
    with project.db.transaction() as conn:
        conn.execute(text("UPDATE alembic_version SET version_num = '9999'"))
    with pytest.raises(StoreError, match="newer reviewflow") as err:
        Project.open(project.root)
    assert "pip install --upgrade reviewflow" in str(err.value)

    result = CliRunner().invoke(cli, ["--project", str(project.root), "upgrade"])
    assert result.exit_code == 1
    assert "newer reviewflow" in result.output
    assert current_revision(project.db.engine) == "9999"


def test_missing_sqlite_file_is_not_silently_recreated(tmp_path: Path) -> None:
    Project.create(tmp_path / "p", title="T").close()
    db_file = tmp_path / "p" / "review.db"
    db_file.unlink()
    runner = CliRunner()

    result = runner.invoke(cli, ["--project", str(tmp_path / "p"), "status"])
    assert result.exit_code == 1
    assert "does not exist" in result.output
    assert "reviewflow upgrade" in result.output
    assert not db_file.exists()

    result = runner.invoke(cli, ["--project", str(tmp_path / "p"), "upgrade"])
    assert result.exit_code == 0, result.output
    assert "Created the reviewflow tables" in result.output
    assert runner.invoke(cli, ["--project", str(tmp_path / "p"), "status"]).exit_code == 0


def test_empty_database_asks_for_upgrade(tmp_path: Path, database_url: str) -> None:
    root = _old_project(tmp_path, database_url, None)
    with pytest.raises(StoreError, match="no reviewflow tables yet") as err:
        Project.open(root)
    assert "reviewflow upgrade" in str(err.value)


def test_a_file_that_is_not_a_database_is_a_store_error(tmp_path: Path) -> None:
    Project.create(tmp_path / "p", title="T").close()
    for leftover in tmp_path.glob("p/review.db*"):
        leftover.unlink()
    (tmp_path / "p" / "review.db").write_text("not a database", encoding="utf-8")
    result = CliRunner().invoke(cli, ["--project", str(tmp_path / "p"), "status"])
    assert result.exit_code == 1
    assert "cannot read the database" in result.output
    assert "Traceback" not in result.output
