"""A review project: a folder with review.toml and (by default) its SQLite database.

``Project`` holds the settings and the :class:`~reviewflow.store.Database`; it has no
stage logic. Stages take a project and do their work through ``store.queries``.

The settings are the protocol stored in the database (:mod:`reviewflow.protocol`);
review.toml gives ``[database]`` and is its readable copy. Opening hashes the file and
compares it with the stored version (one small query): a hand edit is applied as a new
version and said in :attr:`Project.notices`; opening never writes the file.
"""

from __future__ import annotations

import os
import re
from collections.abc import Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from .errors import ProjectError
from .settings import (
    CONFIG_NAME,
    DEFAULT_DATABASE_URL,
    DatabaseSettings,
    Reviewer,
    ScreeningSettings,
    Settings,
    database_settings,
    dump_settings,
    read_config,
    validate_config,
)
from .store import (
    HEAD_REVISION,
    Database,
    env_password_url,
    literal_password,
    resolve_url,
    safe_url,
)

if TYPE_CHECKING:
    from .session import Session


@dataclass
class Project:
    root: Path
    settings: Settings
    db: Database
    #: What opening found and did that the user should hear once (a hand edit of
    #: review.toml applied as protocol version N); the CLI prints them on stderr.
    notices: list[str] = field(default_factory=list)

    @property
    def config_path(self) -> Path:
        return self.root / CONFIG_NAME

    @classmethod
    def create(
        cls,
        root: str | Path,
        *,
        title: str,
        question: str = "",
        reviewers: Sequence[Reviewer] = (),
        database_url: str = DEFAULT_DATABASE_URL,
        screening: ScreeningSettings | None = None,
        owner: str | None = None,
    ) -> Project:
        """Create a project folder, write review.toml and migrate a fresh database."""
        settings = Settings(
            title=title, question=question, reviewers=list(reviewers), screening=screening
        )
        settings.database.url = database_url
        return cls.create_from(root, settings, owner=owner)

    @classmethod
    def create_from(
        cls, root: str | Path, settings: Settings, *, owner: str | None = None
    ) -> Project:
        """Create a project with a whole protocol: its version 1 and review.toml.

        ``owner`` (default: the first reviewer, unless one already holds the role) is
        made the project's owner.
        """
        root = Path(root)
        if (root / CONFIG_NAME).exists():
            raise ProjectError(
                f"{root / CONFIG_NAME} already exists: this folder is already a project",
                hint="Use the existing project, or choose another folder for a new one.",
            )
        settings = _with_owner(settings, owner)
        created = not root.exists()
        root.mkdir(parents=True, exist_ok=True)
        try:
            db = Database(resolve_url(settings.database.url, base=root))
            text = dump_settings(settings)
            _init_store(db, settings, text)
            _write_config(root / CONFIG_NAME, text, secret=literal_password(settings.database.url))
        except BaseException:
            if created:  # a failed init leaves no half-made project folder behind
                import shutil

                shutil.rmtree(root, ignore_errors=True)
            raise
        return cls(root=root, settings=settings, db=db)

    @classmethod
    def open(
        cls,
        root: str | Path | None = None,
        *,
        check_schema: bool = True,
        sync: bool = True,
        actor: str | None = None,
    ) -> Project:
        """Open the project in ``root`` or, if None, in the current folder or a parent.

        The database must already have this reviewflow's schema (a one-query check, so
        that every command starts fast); :meth:`upgrade` migrates it. ``check_schema=False``
        is for ``reviewflow upgrade`` itself. The settings are the stored protocol; a hand
        edit of review.toml is applied first (by ``actor``, if given), or refused when the
        stored protocol changed too (:class:`reviewflow.protocol.ProtocolConflict`).
        ``sync=False`` skips that: the stored protocol as it is (``reviewflow protocol``
        uses it to resolve a conflict).
        """
        found = find_root(root)
        path = found / CONFIG_NAME
        raw, data = read_config(path)
        database = database_settings(data, path)
        db = Database(resolve_url(database.url, base=found))
        try:
            if check_schema:
                db.check_schema()
            settings, notices = _protocol_in_force(
                db, path, raw, data, database, sync=sync and check_schema, actor=actor
            )
        except BaseException:
            db.dispose()
            raise
        return cls(root=found, settings=settings, db=db, notices=notices)

    def session(
        self, actor: str | None = None, *, write: bool = True
    ) -> AbstractContextManager[Session]:
        """One unit of work: one transaction for ``actor`` (initials), committed at the end.

        Example::

            with project.session(actor="MC") as s:
                decide(project, stage="ta", item_id=12, reviewer="MC", decision="include")

        ``write=False`` gives a read-only snapshot (no write lock taken).
        """
        from .session import open_session

        return open_session(self, actor=actor, write=write)

    def upgrade(self) -> tuple[str | None, str]:
        """Migrate the database to this reviewflow's schema; (revision before, after).

        A project from before the protocol was stored gets review.toml as version 1.
        """
        from . import protocol

        before = self.db.revision()
        self.db.migrate()
        raw, data = read_config(self.config_path)
        self.settings, self.notices = protocol.sync_file(
            self.db, self.config_path, raw, data, self.settings.database
        )
        return before, HEAD_REVISION

    def save_settings(self, *, source: str = "python", changed_by: str | None = None) -> None:
        """Store :attr:`settings` as a new protocol version, then write them into
        review.toml in place (comments kept). For code that changes the protocol on the
        user's request; nothing reviewflow does by itself calls it."""
        from . import protocol

        protocol.save_settings(self, self.settings, source=source, changed_by=changed_by)

    def close(self) -> None:
        self.db.dispose()


def _init_store(db: Database, settings: Settings, text: str) -> None:
    """A new project's database: migrated, with ``settings`` as protocol version 1 read
    from review.toml's ``text``."""
    from . import protocol

    db.migrate()
    with db.transaction() as conn:
        protocol.save(conn, settings, source="init", file_sha256=protocol.sha256(text.encode()))


def _with_owner(settings: Settings, owner: str | None) -> Settings:
    """``settings`` with ``owner`` (default: the first reviewer, unless someone already
    is an owner) holding the owner role, in review.toml's ``roles`` of that reviewer."""
    if owner is None:
        if not settings.reviewers or any("owner" in r.roles for r in settings.reviewers):
            return settings
        owner = settings.reviewers[0].initials
    if settings.reviewer(owner) is None:
        raise ProjectError(
            f"the owner {owner} is not on the team",
            hint=f"Add them as a reviewer too: --reviewer {owner}:NAME",
        )
    reviewers = [
        r.model_copy(update={"roles": ["owner", *(r.roles or ["reviewer"])]})
        if r.initials == owner and "owner" not in r.roles
        else r
        for r in settings.reviewers
    ]
    return settings.model_copy(update={"reviewers": reviewers})


def _protocol_in_force(
    db: Database,
    path: Path,
    raw: bytes,
    data: dict[str, object],
    database: DatabaseSettings,
    *,
    sync: bool,
    actor: str | None,
) -> tuple[Settings, list[str]]:
    from . import protocol

    if sync:
        return protocol.sync_file(db, path, raw, data, database, actor=actor)
    if db.revision() == HEAD_REVISION:
        with db.connect() as conn:
            stored = protocol.current(conn, database=database)
        if stored is not None:
            return stored, []
    return validate_config(data, path), []


def find_root(root: str | Path | None = None) -> Path:
    """The project folder: ``root`` itself, or (None) the current folder or a parent."""
    return _find_root(Path(root) if root is not None else Path.cwd(), search_up=root is None)


def _find_root(start: Path, *, search_up: bool) -> Path:
    start = start.resolve()
    candidates = [start, *start.parents] if search_up else [start]
    for folder in candidates:
        if (folder / CONFIG_NAME).is_file():
            return folder
    where = start if not search_up else Path(os.getcwd())
    raise ProjectError(
        f"no reviewflow project in {where} (no {CONFIG_NAME} found)",
        hint="Create one with: reviewflow init DIR, or pass --project DIR.",
    )


def _write_config(path: Path, text: str, *, secret: bool) -> None:
    """Write review.toml; readable by its owner only (0600) when it holds a password."""
    if not secret:
        path.write_text(text, encoding="utf-8")
        return
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        os.chmod(path, 0o600)  # also when the file existed with a wider mode
        fh.write(text)


def password_in_url(url: str) -> str | None:
    """For a database URL that holds a password itself (review.toml would keep it in
    clear): the same URL reading it from the environment instead, masked, to suggest;
    None for a URL without a literal password."""
    return env_password_url(url) if literal_password(url) else None


# -- projects kept on a PostgreSQL server (reviewflow serve postgresql://...) -------------

_PG_URL = re.compile(r"^(postgresql(?:\+psycopg)?://[^/?#]*)(/[^?#]*)?(\?[^#]*)?$")


def is_server_url(text: str) -> bool:
    """Whether ``text`` names a PostgreSQL server or database rather than a folder."""
    return text.startswith(("postgresql://", "postgresql+psycopg://"))


def with_database(url: str, name: str) -> str:
    """``url`` naming database ``name`` instead, written as given (``${VAR}`` kept)."""
    found = _PG_URL.match(url)
    if found is None:
        raise ProjectError(
            f"cannot read the server URL {safe_url(url)!r}",
            hint="Give it as postgresql://user@host:5432/dbname",
        )
    return f"{found.group(1)}/{name}{found.group(3) or ''}"


def projects_on_server(url: str) -> dict[str, str]:
    """The projects on the PostgreSQL server ``url`` names: database name -> its URL.

    A database holding reviewflow's schema is a project: the one ``url`` names, if it
    is one; else every database on the server the user may connect to that is one
    (one database = one project, so one server holds many).
    """
    if literal_password(url):
        raise ProjectError(
            "the server URL holds a password, which would show in the process list",
            hint="Keep it in an environment variable: "
            f"reviewflow serve '{env_password_url(url)}' (export RF_DB_PASSWORD=... first), "
            "or use PGPASSWORD or ~/.pgpass",
        )
    from sqlalchemy import text

    found_url = _PG_URL.match(url)
    named = found_url is not None and (found_url.group(2) or "/") != "/"
    db = Database(resolve_url(url if named else with_database(url, "postgres")))
    try:
        if named and _is_project(db):
            name = db.engine.url.database or ""
            return {name: url}
        with db.connect() as conn:
            names: list[str] = list(
                conn.execute(
                    text(
                        "SELECT datname FROM pg_database WHERE datallowconn AND NOT"
                        " datistemplate AND has_database_privilege(datname, 'CONNECT')"
                        " ORDER BY datname"
                    )
                ).scalars()
            )
    finally:
        db.dispose()
    found: dict[str, str] = {}
    for name in names:
        candidate = Database(resolve_url(with_database(url, name)))
        try:
            if _is_project(candidate):
                found[name] = with_database(url, name)
        finally:
            candidate.dispose()
    return found


def _is_project(db: Database) -> bool:
    from .errors import ReviewflowError

    try:
        return db.revision() is not None  # an older schema too: its page says to upgrade
    except ReviewflowError:
        return False


def working_folder(url: str, folder: Path) -> Path:
    """Make ``folder`` the working folder of the project in database ``url`` (served from
    a PostgreSQL server): the project's files (full texts, the ranker's cache, reports)
    live there, and review.toml, written from the stored protocol when the folder is
    new, says where the database is. An existing folder is kept as it is."""
    from . import protocol

    config = folder / CONFIG_NAME
    if config.is_file():
        return folder
    db = Database(resolve_url(url))
    try:
        with db.connect() as conn:
            stored = protocol.current(conn, database=DatabaseSettings(url=url))
    finally:
        db.dispose()
    if stored is None:
        raise ProjectError(
            f"the database {safe_url(url)} holds no stored protocol",
            hint="Open it once with the CLI in a folder whose review.toml names it and run: "
            "reviewflow upgrade",
        )
    folder.mkdir(parents=True, exist_ok=True)
    protocol.write_config(config, dump_settings(stored))
    return folder
