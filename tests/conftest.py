"""Shared fixtures: a fresh project on SQLite and, when a server is given, on PostgreSQL.

Set REVIEWFLOW_TEST_PG_URL (e.g. postgresql://postgres@127.0.0.1:54329/postgres) to run
every store test on PostgreSQL too; .ci/run starts such a server and sets
REVIEWFLOW_REQUIRE_PG=1 so that an unreachable server fails the run instead of skipping.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

from reviewflow.project import Project
from reviewflow.settings import Reviewer
from reviewflow.store import resolve_url

DATA = Path(__file__).parent / "data"
PG_URL = os.environ.get("REVIEWFLOW_TEST_PG_URL")
REQUIRE_PG = os.environ.get("REVIEWFLOW_REQUIRE_PG") == "1"

ENGINES = ["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)]


@pytest.fixture(params=ENGINES)
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A URL for an empty database on each engine (the PostgreSQL one is dropped after)."""
    if request.param == "sqlite":
        yield "sqlite:///review.db"
        return
    if not PG_URL:
        if REQUIRE_PG:
            pytest.fail("REVIEWFLOW_REQUIRE_PG=1 but REVIEWFLOW_TEST_PG_URL is not set")
        pytest.skip("no PostgreSQL server (set REVIEWFLOW_TEST_PG_URL)")
    admin_url = resolve_url(PG_URL)
    name = f"rf_test_{uuid.uuid4().hex[:12]}"
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    base, _, _ = admin_url.rpartition("/")
    try:
        yield f"{base}/{name}"
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture
def project(tmp_path: Path, database_url: str) -> Iterator[Project]:
    """A new, migrated project with the seed review's reviewers."""
    proj = Project.create(
        tmp_path / "review",
        title="Social prescribing for mental health",
        question="How do UK social prescribing services support service users' mental health?",
        reviewers=[
            Reviewer(initials="MC", name="M Cooper"),
            Reviewer(initials="CJ", name="C Jordan"),
        ],
        database_url=database_url,
    )
    yield proj
    proj.close()
