"""``reviewflow serve postgresql://...``: the projects kept on a PostgreSQL server, each
with a working folder for its files, served like folders are."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner
from fastapi.testclient import TestClient
from webkit import SLUG, make_team_project, sign_in

from reviewflow.cli import cli
from reviewflow.errors import ProjectError
from reviewflow.project import projects_on_server, with_database
from reviewflow.web import create_app

pytestmark = pytest.mark.postgres


@pytest.fixture
def pg_project_url(database_url: str) -> str:
    if not database_url.startswith("postgresql"):
        pytest.skip("PostgreSQL only")
    return database_url


def test_a_server_url_serves_its_project_databases_with_their_files_in_a_folder(
    tmp_path: Path, pg_project_url: str
) -> None:
    project = make_team_project(tmp_path / "made-here", pg_project_url)
    project.close()
    name = pg_project_url.rpartition("/")[2]
    server = pg_project_url.rpartition("/")[0] + "/"
    files = tmp_path / "served-files"

    assert name in projects_on_server(server)  # every project database on the server
    assert projects_on_server(pg_project_url) == {name: pg_project_url}  # just that one
    assert projects_on_server(with_database(server, "postgres")).get("postgres") is None

    app = create_app(pg_project_url, files=files)
    with TestClient(app, raise_server_exceptions=False, follow_redirects=False) as client:
        listed = client.get("/api/projects").json()
        assert [p["slug"] for p in listed] == [name]
        assert listed[0]["title"] == "Social prescribing & mental health <a team review>"
        sign_in(client, "AB", slug=name)
        page = client.get(f"/p/{name}/screen/ta")
        assert page.status_code == 200 and "record-title" in page.text
    # the working folder: review.toml says where the database is, and is kept
    config = (files / name / "review.toml").read_text(encoding="utf-8")
    assert pg_project_url in config and "Social prescribing" in config
    assert not (tmp_path / SLUG).exists()


def test_a_password_in_the_server_url_is_refused_with_the_safe_way_to_give_it(
    pg_project_url: str,
) -> None:
    with_password = pg_project_url.replace("://", "://someone:hunter2@", 1)
    if "@" in pg_project_url:
        user_host = pg_project_url.split("://", 1)[1].split("@", 1)
        with_password = pg_project_url.replace(user_host[0] + "@", user_host[0] + ":hunter2@")
    with pytest.raises(ProjectError) as caught:
        projects_on_server(with_password)
    assert "hunter2" not in str(caught.value) + (caught.value.hint or "")
    assert "${RF_DB_PASSWORD}" in (caught.value.hint or "")
    result = CliRunner().invoke(cli, ["serve", with_password, "--port", "1"])
    assert result.exit_code != 0 and "hunter2" not in result.output


def test_files_is_only_for_a_server(tmp_path: Path) -> None:
    result = CliRunner().invoke(cli, ["serve", str(tmp_path), "--files", str(tmp_path / "f")])
    assert result.exit_code != 0
    assert "--files is for projects served from a PostgreSQL server" in result.output
