"""Fixtures for the web tests: a fresh team project (webkit.make_team_project) and a
TestClient on the app serving it."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from webkit import SLUG, make_team_project

from reviewflow.project import Project
from reviewflow.web import create_app


@pytest.fixture
def team_project(tmp_path: Path, database_url: str) -> Iterator[Project]:
    project = make_team_project(tmp_path / SLUG, database_url)
    yield project
    project.close()


@pytest.fixture
def app_client(team_project: Project) -> Iterator[TestClient]:
    app = create_app(team_project.root)
    with TestClient(app, raise_server_exceptions=False, follow_redirects=False) as client:
        yield client
