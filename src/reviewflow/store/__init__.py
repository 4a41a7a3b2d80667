"""The project database: one SQLAlchemy engine, migrations, transactions.

SQLite (the default, one file in the project) runs with WAL journaling and foreign keys
on; PostgreSQL is reached by URL through psycopg 3. All SQL lives in :mod:`.queries`.

Writers never collide: every write unit of work takes the project's one write lock before
it reads anything (SQLite ``BEGIN IMMEDIATE``, PostgreSQL ``pg_advisory_xact_lock``), so
a check-then-insert step such as "is this vote unchanged?" always sees every committed
write. A writer that finds the lock taken waits for it (see :func:`_begin_immediate` and
:func:`_pg_write_lock`) for at most :data:`WRITE_LOCK_WAIT_S` seconds in all, then gets a
:class:`StoreError` that says another process holds the project, never a raw
"database is locked".
"""

from __future__ import annotations

import os
import random
import re
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Engine, create_engine, event, inspect, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, OperationalError, SQLAlchemyError

from ..errors import StoreError

# Every Alembic revision in migrations/versions, oldest first; the last is the schema this
# reviewflow reads and writes. Opening a project compares the database with it (one small
# query) instead of running Alembic on every command. A migration adds its id here;
# tests/store/test_store.py fails until it does.
SCHEMA_REVISIONS: tuple[str, ...] = (
    "0001",
    "0002",
    "0003",
    "0004",
    "0005",
    "0006",
    "0007",
    "0008",
    "0009",
    "0010",
    "0011",
    "0012",
)
HEAD_REVISION = SCHEMA_REVISIONS[-1]

_ENV_VAR = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)\}")


def resolve_url(url: str, *, base: Path | None = None) -> str:
    """Expand ``${VAR}`` from the environment and make SQLite paths project-relative.

    Keeping the password of a team database in an environment variable keeps it out of
    ``review.toml``, which teams commit to version control.
    """

    def env(match: re.Match[str]) -> str:
        name = match.group(1)
        if name not in os.environ:
            raise StoreError(
                f"the database URL uses ${{{name}}} but that environment variable is not set",
                hint=f"Set it first, e.g. export {name}=...",
            )
        return os.environ[name]

    url = _ENV_VAR.sub(env, url)
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url[len("postgresql://") :]
    if url.startswith("sqlite:///") and not url.startswith("sqlite:////") and base is not None:
        rel = url[len("sqlite:///") :]
        if rel and rel != ":memory:" and not Path(rel).is_absolute():
            url = "sqlite:///" + str((base / rel).resolve())
    return url


def safe_url(url: str) -> str:
    """The URL with its password masked, for messages and ``status``."""
    try:
        return make_url(url).render_as_string(hide_password=True)
    except (ArgumentError, ValueError):  # ValueError: a port that is not a number
        return "<invalid database URL>"


def literal_password(url: str) -> bool:
    """Whether ``url`` holds a password itself rather than a ``${VAR}`` read from the
    environment: review.toml would then keep the password in clear."""
    try:
        parsed = make_url(url)
    except (ArgumentError, ValueError):
        return False
    for secret in (parsed.password, parsed.query.get("password")):
        if isinstance(secret, tuple):
            secret = secret[0] if secret else None
        if secret and _ENV_VAR.sub("", str(secret)):
            return True
    return False


def env_password_url(url: str, var: str = "RF_DB_PASSWORD") -> str:
    """``url`` with its password replaced by ``${var}``, to suggest instead of a literal."""
    masked = safe_url(url)
    return masked.replace(":***@", f":${{{var}}}@", 1) if ":***@" in masked else masked


_URL_HINT = (
    "Use sqlite:///review.db (a file in the project folder) or "
    "postgresql://user@host:5432/dbname, given to reviewflow init --database-url or as the "
    "url under [database] in review.toml."
)


def check_url(url: str) -> None:
    """Refuse a database URL reviewflow cannot keep a project in, saying what it expects.

    SQLAlchemy raises ``ValueError`` for a port that is not a number and accepts
    ``sqlite://``, an in-memory database that would vanish with the command.
    """
    try:
        parsed = make_url(url)
    except (ArgumentError, ValueError) as exc:
        port = re.search(r"@[^/?#]*:([^/?#]*)", url)
        if port and not port.group(1).isdigit():
            what = f"its port {port.group(1)!r} is not a number"
        else:
            what = "it should start with sqlite:/// or postgresql://"
        shown = re.sub(r"(//[^:/@]*:)[^@/]*@", r"\1***@", url)  # mask a password
        raise StoreError(f"{shown!r} is not a database URL: {what}", hint=_URL_HINT) from exc
    backend = parsed.get_backend_name()
    if backend not in ("sqlite", "postgresql"):
        raise StoreError(
            f"cannot keep a project in a {backend} database ({safe_url(url)}): reviewflow "
            "supports SQLite and PostgreSQL",
            hint=_URL_HINT,
        )
    database = parsed.database or ""
    if backend == "sqlite" and database in ("", ":memory:"):
        raise StoreError(
            f"the database URL {url!r} names no database file (an in-memory database would "
            "be lost when the command ends)",
            hint=_URL_HINT,
        )
    if backend == "sqlite" and (database.endswith(("/", "\\")) or Path(database).is_dir()):
        raise StoreError(
            f"the database URL {url!r} names a folder ({database}), not a database file",
            hint=_URL_HINT,
        )
    if backend == "sqlite" and not Path(database).parent.is_dir():
        raise StoreError(
            f"the folder of the database file {database} does not exist",
            hint="Create the folder first, or " + _URL_HINT[0].lower() + _URL_HINT[1:],
        )
    if backend == "postgresql" and not database:
        raise StoreError(
            f"the database URL {safe_url(url)} names no database (…/dbname at the end)",
            hint=_URL_HINT,
        )


#: The PostgreSQL advisory lock every write transaction holds (one database = one project),
#: so check-then-insert steps (an "unchanged vote" test, "already applied" codes) see the
#: writes of a concurrent import, as SQLite's BEGIN IMMEDIATE gives.
WRITE_LOCK = 0x7265766965770001

#: How long a writer waits in all for the project's write lock before it gives up with a
#: StoreError. Write units are short (one decision takes milliseconds, a 50,000-record
#: import a few seconds), so a minute of waiting means a process that hangs or a program
#: holding the SQLite file open in a transaction, which waiting longer would not fix.
WRITE_LOCK_WAIT_S = 60.0

#: SQLite's own wait (``PRAGMA busy_timeout``) for any one statement that finds the file
#: locked. Long, since inside a write unit that holds the lock only a checkpoint or (when
#: WAL is unavailable) a COMMIT waiting for readers can meet one, and failing there would
#: lose the unit's work.
BUSY_TIMEOUT_MS = 5_000

#: While waiting for the write lock itself, each ``BEGIN IMMEDIATE`` lets SQLite wait only
#: this long, then sleeps a random part of a doubling back-off (1 ms up to 50 ms) and tries
#: again until :data:`WRITE_LOCK_WAIT_S` is spent. See :func:`_begin_immediate` for why.
LOCK_ATTEMPT_MS = 5
_BACKOFF_FIRST_S = 0.001
_BACKOFF_MAX_S = 0.05


@dataclass(frozen=True)
class _Unit:
    """The unit of work open in this thread or task: its database, connection and actor."""

    database: Database
    conn: Connection
    write: bool
    actor: str | None


#: The unit of work (a :class:`reviewflow.session.Session`) open in this context. Stage
#: functions call :meth:`Database.transaction` and :meth:`Database.connect` as they always
#: did; inside a session those join its connection instead of opening their own, so a
#: command, a web request or a test that opened one commits everything together.
_UNIT: ContextVar[_Unit | None] = ContextVar("reviewflow_unit_of_work", default=None)


def current_actor() -> str | None:
    """The initials of whoever acts in the open session (None outside one, or anonymous).

    Query functions stamp events that name no reviewer of their own (a dedup run, a stage
    closed, an import removed) with it, so every event records who made it.
    """
    unit = _UNIT.get()
    actor = unit.actor if unit is not None else None
    return actor or _ACTING.get()


_ACTING: ContextVar[str | None] = ContextVar("reviewflow_acting_as", default=None)


@contextmanager
def acting_as(actor: str | None) -> Iterator[None]:
    """Name who acts for the units of work opened here without an actor of their own: a
    job runs its stage functions (each atomic on its own) for the person who asked."""
    token = _ACTING.set(actor)
    try:
        yield
    finally:
        _ACTING.reset(token)


def in_write_unit() -> bool:
    """Whether a write unit of work (session) is open in this context: what it reads may
    include its own writes, which roll back if it fails, so a cache must not keep them."""
    unit = _UNIT.get()
    return unit is not None and unit.write


def actor_or(explicit: str | None) -> str | None:
    """Who made a row: the reviewer the caller named, else the open session's actor.

    The one rule every insert in ``store/*queries.py`` applies to its user column
    (``reviewer``, ``created_by``), so a machine step (a dedup run, a stage plan, studies
    made from decisions) records the person whose session ran it.
    """
    return explicit or current_actor()


class Database:
    """A project database. Use :meth:`transaction` for every write.

    One SQLAlchemy engine per database URL per process, shared by every ``Database`` on
    that URL (a web worker opens the project per request; engines and their pools are
    made once).
    """

    def __init__(self, url: str) -> None:
        self.url = url
        check_url(url)
        try:
            self.engine: Engine = _engine_for(url)
        except (ArgumentError, ValueError, ImportError) as exc:
            raise StoreError(
                f"cannot use database URL {safe_url(url)}: {exc}",
                hint="Use sqlite:///file.db or postgresql://user@host/dbname in review.toml.",
            ) from exc

    @property
    def is_sqlite(self) -> bool:
        return self.engine.dialect.name == "sqlite"

    def _joined(self) -> _Unit | None:
        unit = _UNIT.get()
        return unit if unit is not None and unit.database.url == self.url else None

    @contextmanager
    def transaction(self) -> Iterator[Connection]:
        """One atomic unit of work: everything inside commits together or not at all.

        Inside an open session this is a savepoint of the session's transaction: it
        rolls back alone if it fails, and commits when the session does.
        """
        unit = self._joined()
        if unit is not None:
            if not unit.write:
                from ..errors import StateError

                raise StateError(
                    "this operation writes to the project but was started in a read-only session",
                    hint="Open the session with write=True (a reviewflow bug if you see it).",
                )
            with unit.conn.begin_nested():
                yield unit.conn
            return
        with self.unit_of_work(write=True) as conn:
            yield conn

    @contextmanager
    def unit_of_work(self, *, write: bool, actor: str | None = None) -> Iterator[Connection]:
        """Open the one transaction of a session and make it the context's unit of work.

        A write unit takes the write lock at once (SQLite ``BEGIN IMMEDIATE``, with
        retries and back-off while another process holds it; a PostgreSQL advisory lock),
        so check-then-insert steps never race; a read unit sees one consistent snapshot.
        """
        if self._joined() is not None:
            from ..errors import StateError

            raise StateError(
                "a session is already open on this project in this thread",
                hint="Run the operation inside the open session (a reviewflow bug if you see it).",
            )
        local = _local_writers(self.url) if write and self.is_sqlite else None
        if local is not None and not local.acquire(timeout=WRITE_LOCK_WAIT_S):
            raise _held_elsewhere(self.url, WRITE_LOCK_WAIT_S)
        try:
            with self.engine.connect() as conn:
                if write:
                    # On SQLite, take the write lock at once (BEGIN IMMEDIATE) so two
                    # writers never fail half-way through; see _configure_sqlite.
                    conn.execution_options(rf_write=True)
                with conn.begin():
                    if write and conn.dialect.name == "postgresql":
                        _pg_write_lock(conn, self.url)
                    token = _UNIT.set(_Unit(self, conn, write, actor))
                    try:
                        yield conn
                    finally:
                        _UNIT.reset(token)
        except OperationalError as exc:
            raise StoreError(
                f"database error on {safe_url(self.url)}: {exc.orig}",
                hint="Check that the database server is running and reachable.",
            ) from exc
        finally:
            if local is not None:
                local.release()

    @contextmanager
    def connect(self) -> Iterator[Connection]:
        """A read-only connection (reads see one consistent snapshot).

        Inside an open session: the session's own connection, so reads see its writes.
        """
        unit = self._joined()
        if unit is not None:
            yield unit.conn
            return
        try:
            with self.engine.connect() as conn:
                yield conn
        except OperationalError as exc:
            raise StoreError(
                f"cannot read from {safe_url(self.url)}: {exc.orig}",
                hint="Check that the database server is running and reachable.",
            ) from exc

    def exists(self) -> bool:
        """False for a SQLite file that is not there yet (connecting would create it)."""
        path = self.engine.url.database
        if not self.is_sqlite or not path or path == ":memory:" or path.startswith("file:"):
            return True
        return Path(path).exists()

    def revision(self) -> str | None:
        """The schema revision the database is at; None if it has no reviewflow tables."""
        if not self.exists():
            return None
        try:
            with self.connect() as conn:  # an unreachable server becomes a StoreError here
                if not inspect(conn).has_table("alembic_version"):
                    return None
                rows = conn.execute(text("SELECT version_num FROM alembic_version")).all()
        except SQLAlchemyError as exc:  # e.g. a file that is not a database
            raise StoreError(
                f"cannot read the database at {safe_url(self.url)}: {getattr(exc, 'orig', exc)}",
                hint="Check the database URL in review.toml; restore a damaged file from a backup.",
            ) from exc
        if len(rows) != 1:
            return "+".join(sorted(str(r[0]) for r in rows)) or None
        return str(rows[0][0])

    def check_schema(self) -> None:
        """Refuse a database whose schema is not the one this reviewflow uses.

        Cheap (one query) so every command can afford it; only ``reviewflow init`` and
        ``reviewflow upgrade`` run the migrations.
        """
        if not self.exists():
            raise StoreError(
                f"the project database {self.engine.url.database} does not exist",
                hint="If review.toml names the right file, create an empty database there "
                "with: reviewflow upgrade",
            )
        current = self.revision()
        if current == HEAD_REVISION:
            return
        where = safe_url(self.url)
        if current is None:
            raise StoreError(
                f"the database at {where} has no reviewflow tables yet",
                hint="Create them with: reviewflow upgrade",
            )
        if current in SCHEMA_REVISIONS:
            raise StoreError(
                f"the database at {where} was made by an older reviewflow "
                f"(schema {current}; this version uses {HEAD_REVISION})",
                hint="Back it up, then bring it up to date with: reviewflow upgrade",
            )
        raise self._newer(current)

    def _newer(self, current: str) -> StoreError:
        return StoreError(
            f"the database at {safe_url(self.url)} has schema {current}, which this version "
            f"of reviewflow does not know (it uses {HEAD_REVISION}): a newer reviewflow made it",
            hint="Install the newer reviewflow: pip install --upgrade reviewflow",
        )

    def migrate(self) -> None:
        """Bring the schema to the newest Alembic revision (imports Alembic: init/upgrade)."""
        from .migrate import upgrade

        current = self.revision()
        if current is not None and current not in SCHEMA_REVISIONS:
            raise self._newer(current)
        try:
            upgrade(self.engine)
        except SQLAlchemyError as exc:
            raise StoreError(
                f"cannot create or upgrade the database at {safe_url(self.url)}: {exc}",
                hint="Check the database URL in review.toml and that the server is running.",
            ) from exc

    def dispose(self) -> None:
        """Close the pooled connections (the engine stays usable, and shared)."""
        self.engine.dispose()


_ENGINES: dict[str, Engine] = {}


def _engine_for(url: str) -> Engine:
    engine = _ENGINES.get(url)
    if engine is None:
        engine = _ENGINES[url] = _make_engine(url)
    return engine


def _after_fork_in_child() -> None:
    # A forked worker must not use its parent's pooled connections (SQLAlchemy's advice
    # for multiprocessing): drop them without closing what the parent still uses.
    for engine in _ENGINES.values():
        engine.dispose(close=False)


os.register_at_fork(after_in_child=_after_fork_in_child)


def _held_elsewhere(url: str, waited: float) -> StoreError:
    """The error of a writer that waited :data:`WRITE_LOCK_WAIT_S` for the write lock."""
    if url.startswith("sqlite"):
        other = (
            "or a program keeps the database file open in a transaction (a database "
            "browser with unsaved changes: save or close it)"
        )
    else:
        other = (
            "or a session on the server holds reviewflow's write lock (find it in pg_locks "
            f"where locktype = 'advisory' and objid = {WRITE_LOCK & 0xFFFFFFFF})"
        )
    return StoreError(
        f"another reviewflow process has held this project's write lock for {waited:.0f} s "
        f"({safe_url(url)}), so nothing was recorded",
        hint="Wait for the other command (an import, a dedup run) to finish and run this one "
        f"again. If none is running, a reviewflow process hangs (stop it) {other}.",
    )


def _busy(exc: object) -> bool:
    """Whether a sqlite3 error means "another connection holds the lock" (retryable)."""
    code = getattr(exc, "sqlite_errorcode", None)
    if code is not None:
        return code & 0xFF in (5, 6)  # SQLITE_BUSY, SQLITE_LOCKED and their extended codes
    text_ = str(exc).lower()
    return "database is locked" in text_ or "busy" in text_ or "table is locked" in text_


_LOCAL_WRITERS: dict[str, threading.Lock] = {}
_LOCAL_WRITERS_LOCK = threading.Lock()


def _local_writers(url: str) -> threading.Lock:
    """The lock the writers of one SQLite file in this process queue on before they ask
    SQLite for its write lock.

    SQLite offers a waiting writer no queue, only polling: each waiter sleeps and tries
    again (:func:`_begin_immediate`), so behind a 5 ms write a waiter could sleep tens
    of milliseconds. A web server's threads are most of a project's writers; on this lock
    they wake the moment the one before them commits, and only writers in other processes
    (the CLI, a second server) still meet SQLite's lock and its back-off.
    """
    with _LOCAL_WRITERS_LOCK:
        return _LOCAL_WRITERS.setdefault(url, threading.Lock())


def _begin_immediate(conn: Connection) -> None:
    """``BEGIN IMMEDIATE``, retried with exponential back-off and jitter while another
    writer holds the lock, for at most :data:`WRITE_LOCK_WAIT_S` seconds in all.

    Why not just a long ``busy_timeout``: its wait is per statement and ends in a raw
    "database is locked", so the bound on the whole wait and the message that names the
    cause must be ours anyway; SQLite does not call its busy handler in every busy case
    (a WAL file being recovered after a crash returns SQLITE_BUSY at once); and its
    handler sleeps every waiter on one fixed schedule growing to 100 ms, while random,
    doubling sleeps capped at 50 ms keep waiters from waking in lock-step and one from
    sleeping long past the moment the lock came free. Retrying is safe because nothing
    has run in the transaction yet.
    """
    started = time.monotonic()
    deadline = started + WRITE_LOCK_WAIT_S
    delay = _BACKOFF_FIRST_S
    driver: Any = conn.connection.driver_connection  # pragmas straight to sqlite3: cheaper
    driver.execute(f"PRAGMA busy_timeout = {LOCK_ATTEMPT_MS}")
    try:
        while True:
            try:
                conn.exec_driver_sql("BEGIN IMMEDIATE")
                return
            except OperationalError as exc:
                if not _busy(exc.orig):
                    raise
                left = deadline - time.monotonic()
                if left <= 0:
                    url = conn.engine.url.render_as_string(hide_password=True)
                    raise _held_elsewhere(url, time.monotonic() - started) from None
                time.sleep(min(left, random.uniform(0.0, delay)))
                delay = min(2 * delay, _BACKOFF_MAX_S)
    finally:
        driver.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")


def _pg_write_lock(conn: Connection, url: str) -> None:
    """Take the project's advisory write lock, waiting at most :data:`WRITE_LOCK_WAIT_S`.

    The same one-writer-at-a-time rule as SQLite's: PostgreSQL's default READ COMMITTED
    would let two imports both find a vote "not there yet" and both insert it. Under READ
    COMMITTED every statement after the lock sees what the previous holder committed.
    PostgreSQL queues the waiters (no polling needed); ``lock_timeout`` bounds the wait
    for this one statement, so a hung holder gives a StoreError rather than a hang. The
    lock ends with the transaction.
    """
    ms = int(WRITE_LOCK_WAIT_S * 1000)
    started = time.monotonic()
    try:
        conn.exec_driver_sql(
            f"SET LOCAL lock_timeout = {ms}; SELECT pg_advisory_xact_lock({WRITE_LOCK}); "
            "SET LOCAL lock_timeout TO DEFAULT"
        )
    except OperationalError as exc:
        if getattr(exc.orig, "sqlstate", None) == "55P03":  # lock_not_available
            raise _held_elsewhere(url, time.monotonic() - started) from None
        raise


def _make_engine(url: str) -> Engine:
    kwargs: dict[str, Any] = {}
    if url.startswith("sqlite"):
        kwargs["connect_args"] = {"timeout": BUSY_TIMEOUT_MS / 1000}
    engine = create_engine(url, **kwargs)
    if engine.dialect.name == "sqlite":
        _configure_sqlite(engine)
    return engine


def _configure_sqlite(engine: Engine) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn: Any, _record: Any) -> None:
        # Let SQLAlchemy, not pysqlite, manage transactions (so BEGIN IMMEDIATE works).
        dbapi_conn.isolation_level = None
        cur = dbapi_conn.cursor()
        cur.execute("PRAGMA foreign_keys=ON")
        # WAL: readers (a report, the web app's pages) never block the one writer nor it
        # them, so only writers ever wait for each other, and only for the write lock;
        # with synchronous=NORMAL a commit does not wait for fsync (a power cut may lose
        # the last commits, never corrupt the file).
        cur.execute("PRAGMA journal_mode=WAL")
        cur.execute("PRAGMA synchronous=NORMAL")
        cur.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Connection) -> None:
        # pysqlite with isolation_level=None starts no transaction by itself (SQLAlchemy's
        # documented recipe); writes lock at once, reads take a deferred snapshot.
        if conn.get_execution_options().get("rf_write", False):
            _begin_immediate(conn)
        else:
            conn.exec_driver_sql("BEGIN")
