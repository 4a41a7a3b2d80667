"""Which projects a server hosts, and each one opened once for every request.

``reviewflow serve PATH`` hosts the project in PATH, or, when PATH holds no review.toml,
every project folder directly inside it (each with its own database: SQLite in the folder,
or the PostgreSQL database its review.toml names). ``reviewflow serve postgresql://user@host/``
hosts the projects kept on a PostgreSQL server instead (one database each: the database
the URL names if it is one, else every project database on the server), each with a
working folder for its files under ``files`` (:func:`reviewflow.project.working_folder`).
A project is known by its *slug*, its folder's (or database's) name made URL-safe
(``/p/SLUG/...``).

A :class:`~reviewflow.project.Project` is opened once and kept; before each request the
host checks (one small query and a stat of review.toml) whether the protocol changed
since, through another worker, the CLI or a hand edit, and reopens it then, so every page
works on the protocol in force.
"""

from __future__ import annotations

import re
import threading
import time
from dataclasses import dataclass
from pathlib import Path

from ..errors import NotFoundError, ProjectError
from ..project import Project, is_server_url, projects_on_server, working_folder
from ..settings import CONFIG_NAME

#: Where the files of projects served from a PostgreSQL server go unless told otherwise.
DEFAULT_FILES = "reviewflow-files"
#: How often a server's list of project databases is read again (it connects to each).
SERVER_REFRESH_S = 30.0


@dataclass
class _Open:
    project: Project
    version: int | None
    mtime_ns: int


def slugify(name: str) -> str:
    slug = re.sub(r"[^a-z0-9._-]+", "-", name.lower()).strip("-.")
    return slug or "project"


class Host:
    """The projects one server serves (see the module docstring)."""

    def __init__(self, path: str | Path, *, files: str | Path | None = None) -> None:
        self.server = str(path) if is_server_url(str(path)) else None
        if self.server is not None:
            self.path = Path(files if files is not None else DEFAULT_FILES).resolve()
            self.path.mkdir(parents=True, exist_ok=True)
            self.single = False
        else:
            self.path = Path(path).resolve()
            if not self.path.is_dir():
                raise ProjectError(
                    f"{self.path} is not a folder",
                    hint="Give a project folder, a folder of project folders or a PostgreSQL "
                    "server: reviewflow serve PATH (or postgresql://user@host:5432/)",
                )
            self.single = (self.path / CONFIG_NAME).is_file()
        self._open: dict[str, _Open] = {}
        self._lock = threading.Lock()
        self._roots = self._discover()
        self._found_at = time.monotonic()

    @property
    def secret_folder(self) -> Path:
        return self.path

    def _discover(self) -> dict[str, Path]:
        if self.server is not None:
            return self._discover_server(self.server)
        if self.single:
            return {slugify(self.path.name): self.path}
        roots: dict[str, Path] = {}
        for child in sorted(self.path.iterdir()):
            if child.is_dir() and (child / CONFIG_NAME).is_file():
                slug, n = slugify(child.name), 2
                base = slug
                while slug in roots:
                    slug, n = f"{base}-{n}", n + 1
                roots[slug] = child
        return roots

    def _discover_server(self, url: str) -> dict[str, Path]:
        roots: dict[str, Path] = {}
        for name, db_url in projects_on_server(url).items():
            slug, n = slugify(name), 2
            base = slug
            while slug in roots:
                slug, n = f"{base}-{n}", n + 1
            roots[slug] = working_folder(db_url, self.path / slug)
        return roots

    def slugs(self) -> list[str]:
        """Every hosted project's slug, a project folder made since start included (on
        a server: a project database made in the last :data:`SERVER_REFRESH_S` may wait)."""
        if not self.single:
            fresh = time.monotonic() - self._found_at < SERVER_REFRESH_S
            if self.server is None or not fresh:
                roots = self._discover()
                with self._lock:
                    self._roots, self._found_at = roots, time.monotonic()
        return list(self._roots)

    def root(self, slug: str) -> Path:
        root = self._roots.get(slug)
        if root is None and not self.single:
            self._found_at = 0.0  # a project made since: look again now
            self.slugs()
            root = self._roots.get(slug)
        if root is None:
            raise NotFoundError(
                f"no project {slug!r} on this server",
                hint="Choose one of the projects on the server's start page.",
            )
        return root

    def project(self, slug: str) -> Project:
        """The project ``slug``, opened (or reopened after a protocol change)."""
        root = self.root(slug)
        with self._lock:
            held = self._open.get(slug)
        if held is not None and self._current(held, root):
            return held.project
        # review.toml's time is read before opening: a protocol saved while the project
        # opens (another worker, the CLI) then shows as a change at the next request
        # instead of leaving the settings read before it in place.
        mtime = _mtime(root)
        project = Project.open(root)
        fresh = _Open(project, _version(project), mtime)
        with self._lock:
            old = self._open.get(slug)
            self._open[slug] = fresh
        if old is not None and old.project is not project:
            old.project.close()
        return project

    def _current(self, held: _Open, root: Path) -> bool:
        return _mtime(root) == held.mtime_ns and _version(held.project) == held.version

    def served_projects(self) -> list[Project]:
        """Every project hosted, opened (the in-process job worker goes through them)."""
        out = []
        for slug in self.slugs():
            try:
                out.append(self.project(slug))
            except (NotFoundError, ProjectError):
                continue  # a folder that is not (or no longer) a project
        return out

    def close(self) -> None:
        with self._lock:
            for held in self._open.values():
                held.project.close()
            self._open.clear()


def _mtime(root: Path) -> int:
    try:
        return (root / CONFIG_NAME).stat().st_mtime_ns
    except OSError:
        return -1


def _version(project: Project) -> int | None:
    from ..protocol.versions import latest_number

    with project.session(write=False) as session:
        return latest_number(session.conn)
