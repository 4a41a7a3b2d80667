"""Shared fixtures: a fresh project on SQLite and, when a server is given, on PostgreSQL.

Set REVIEWFLOW_TEST_PG_URL (e.g. postgresql://postgres@127.0.0.1:54329/postgres) to run
every store test on PostgreSQL too; .ci/run starts such a server and sets
REVIEWFLOW_REQUIRE_PG=1 so that an unreachable server fails the run instead of skipping.
"""

from __future__ import annotations

import os
import sys
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import create_engine, text

from reviewflow import cli, store
from reviewflow.project import Project
from reviewflow.settings import Reviewer
from reviewflow.store import resolve_url

DATA = Path(__file__).parent / "data"
PG_URL = os.environ.get("REVIEWFLOW_TEST_PG_URL")
REQUIRE_PG = os.environ.get("REVIEWFLOW_REQUIRE_PG") == "1"

ENGINES = ["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)]


#: Work a command may do before its session: the schema-version check of Project.open
#: and its reading (and, after a hand edit, applying) of the protocol in force, init
#: and upgrade (which migrate and store protocol version 1), and the demo (which
#: builds its own project).
_BEFORE_A_SESSION = {
    "revision",
    "check_schema",
    "migrate",
    "demo_cmd",
    "_protocol_in_force",
    "_init_store",
    "upgrade",
}
_IN_A_COMMAND = [0]


def _in_a_session(name: str, method: Callable[..., Any]) -> Callable[..., Any]:
    """``Database.<name>``, failing when a CLI command calls it outside a session."""

    def guarded(db: store.Database, *args: Any, **kwargs: Any) -> Any:
        if _IN_A_COMMAND[0] and store._UNIT.get() is None:
            frame, stack = sys._getframe(1), []
            while frame is not None and frame.f_code.co_name not in _BEFORE_A_SESSION:
                where = Path(frame.f_code.co_filename)
                if "reviewflow" in where.parts:
                    stack.append(f"{where.name}:{frame.f_code.co_name}")
                frame = frame.f_back  # type: ignore[assignment]
            if frame is None:
                raise AssertionError(f"db.{name}() outside a session: {' <- '.join(stack)}")
        return method(db, *args, **kwargs)

    return guarded


@pytest.fixture(scope="session", autouse=True)
def _commands_work_in_sessions() -> Iterator[None]:
    """Every ``reviewflow`` command reads and writes the project inside one session (a
    unit of work); in every test, a command that touches it outside one fails."""
    invoke = cli._Group.invoke

    def counted(group: cli._Group, ctx: Any) -> Any:
        _IN_A_COMMAND[0] += 1
        try:
            return invoke(group, ctx)
        finally:
            _IN_A_COMMAND[0] -= 1

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(cli._Group, "invoke", counted)
        for name in ("connect", "transaction"):
            patch.setattr(store.Database, name, _in_a_session(name, getattr(store.Database, name)))
        yield


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


def _write_tiny_pdf(path: Path, lines: list[str], info: dict[str, str] | None = None) -> Path:
    """A one-page PDF with ``lines`` of Helvetica text (and an /Info dictionary)."""
    objs = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [4 0 R] /Count 1 >>",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 5 0 R "
        b"/Resources << /Font << /F1 3 0 R >> >> >>",
    ]
    ops = ["BT /F1 11 Tf"]
    ops += [f"1 0 0 1 72 {740 - 16 * i} Tm ({t}) Tj" for i, t in enumerate(lines)]
    stream = "\n".join([*ops, "ET"]).encode("latin-1")
    objs.append(b"<< /Length %d >>\nstream\n" % len(stream) + stream + b"\nendstream")
    info_ref = b""
    if info:
        objs.append(("<< " + " ".join(f"/{k} ({v})" for k, v in info.items()) + " >>").encode())
        info_ref = b" /Info %d 0 R" % len(objs)
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for n, body in enumerate(objs, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % n + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objs) + 1)
    out += b"".join(b"%010d 00000 n \n" % o for o in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R%s >>\nstartxref\n%d\n%%%%EOF\n" % (
        len(objs) + 1,
        info_ref,
        xref,
    )
    path.write_bytes(bytes(out))
    return path


@pytest.fixture(scope="session")
def tiny_pdf() -> Callable[..., Path]:
    """Writes a one-page PDF whose text layer holds the given lines (full-text fixtures)."""
    return _write_tiny_pdf
