"""A review project: a folder with review.toml and (by default) its SQLite database.

``Project`` holds the settings and the :class:`~reviewflow.store.Database`; it has no
stage logic. Stages take a project and do their work through ``store.queries``.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from .errors import ProjectError
from .settings import (
    CONFIG_NAME,
    DEFAULT_DATABASE_URL,
    Reviewer,
    ScreeningSettings,
    Settings,
    dump_settings,
    load_settings,
)
from .store import HEAD_REVISION, Database, env_password_url, literal_password, resolve_url

if TYPE_CHECKING:
    from .session import Session


@dataclass
class Project:
    root: Path
    settings: Settings
    db: Database

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
    ) -> Project:
        """Create a project folder, write review.toml and migrate a fresh database."""
        root = Path(root)
        if (root / CONFIG_NAME).exists():
            raise ProjectError(
                f"{root / CONFIG_NAME} already exists: this folder is already a project",
                hint="Use the existing project, or choose another folder for a new one.",
            )
        settings = Settings(
            title=title, question=question, reviewers=list(reviewers), screening=screening
        )
        settings.database.url = database_url
        created = not root.exists()
        root.mkdir(parents=True, exist_ok=True)
        try:
            db = Database(resolve_url(database_url, base=root))
            db.migrate()
            secret = literal_password(database_url)
            _write_config(root / CONFIG_NAME, dump_settings(settings), secret=secret)
        except BaseException:
            if created:  # a failed init leaves no half-made project folder behind
                import shutil

                shutil.rmtree(root, ignore_errors=True)
            raise
        return cls(root=root, settings=settings, db=db)

    @classmethod
    def open(cls, root: str | Path | None = None, *, check_schema: bool = True) -> Project:
        """Open the project in ``root`` or, if None, in the current folder or a parent.

        The database must already have this reviewflow's schema (a one-query check, so
        that every command starts fast); :meth:`upgrade` migrates it. ``check_schema=False``
        is for ``reviewflow upgrade`` itself.
        """
        found = find_root(root)
        settings = load_settings(found / CONFIG_NAME)
        db = Database(resolve_url(settings.database.url, base=found))
        if check_schema:
            try:
                db.check_schema()
            except BaseException:
                db.dispose()
                raise
        return cls(root=found, settings=settings, db=db)

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
        """Migrate the database to this reviewflow's schema; (revision before, after)."""
        before = self.db.revision()
        self.db.migrate()
        return before, HEAD_REVISION

    def save_settings(self) -> None:
        self.config_path.write_text(dump_settings(self.settings), encoding="utf-8")

    def close(self) -> None:
        self.db.dispose()


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
