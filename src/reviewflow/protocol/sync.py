"""review.toml and the stored protocol: kept in step when a project opens, and written
in place by the commands that change the protocol (see :mod:`reviewflow.protocol`)."""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import Connection

from ..errors import ProjectError, ReviewflowError, StateError
from ..settings import DatabaseSettings, Settings, validate_config
from .versions import (
    Change,
    Version,
    diff,
    document_of,
    history,
    last_synced,
    latest,
    mark_synced,
    save,
    settings_of,
    sha256,
    summary,
)

if TYPE_CHECKING:
    from tomlkit.toml_document import TOMLDocument

    from ..project import Project
    from ..store import Database

#: What an invalid hand edit is told: the store still holds the protocol before the edit.
NOTHING_APPLIED = (
    "Nothing was applied: the project keeps its stored protocol. Fix review.toml, or "
    "rewrite it from the store with: reviewflow protocol export"
)
EXPORT = "reviewflow protocol export"
IMPORT = "reviewflow protocol import"


# -- review.toml and the store --------------------------------------------------------------


@dataclass(frozen=True)
class _Plan:
    """What opening a project must do about review.toml (see :func:`sync_file`)."""

    action: str  # use | stamp | adopt | apply | stale
    settings: Settings
    notice: str | None = None
    version: Version | None = None


def sync_file(
    db: Database,
    path: Path,
    raw: bytes,
    data: dict[str, Any],
    database: DatabaseSettings,
    *,
    actor: str | None = None,
) -> tuple[Settings, list[str]]:
    """The protocol in force for a project being opened, and what to tell the user.

    In sync (the usual case) this is one query and no write. A hand edit is applied
    under the write lock, once: a second process opening at the same time finds it
    applied. Raises :class:`ProtocolConflict` when file and store both changed.
    """
    digest = sha256(raw)
    with db.connect() as conn:
        newest = latest(conn)
        if newest is not None and newest.file_sha256 == digest:
            return settings_of(newest.document, database), []
        plan = _plan(conn, newest, path, data, digest, database)
    if plan.action in ("use", "stale"):
        return plan.settings, [plan.notice] if plan.notice else []
    with db.transaction() as conn:  # the write lock: decide again, on what is committed
        plan = _plan(conn, latest(conn), path, data, digest, database)
        if plan.action == "stamp":
            assert plan.version is not None
            mark_synced(conn, plan.version.version, digest)
        elif plan.action in ("adopt", "apply"):
            made = save(
                conn, plan.settings, source="review.toml", changed_by=actor, file_sha256=digest
            )
            if made is not None and plan.action == "apply":
                plan = _Plan(
                    "apply",
                    plan.settings,
                    f"{path.name} changed: applied as protocol version {made.version} "
                    f"({summary(made.changes)})",
                )
    return plan.settings, [plan.notice] if plan.notice else []


def _plan(
    conn: Connection,
    newest: Version | None,
    path: Path,
    data: dict[str, Any],
    digest: str,
    database: DatabaseSettings,
) -> _Plan:
    if newest is not None and newest.file_sha256 == digest:
        return _Plan("use", settings_of(newest.document, database))
    try:
        from_file = validate_config(data, path, hint=NOTHING_APPLIED)
    except ProjectError as exc:
        raise FileNotApplied(exc.message, hint=exc.hint) from exc
    file_doc = document_of(from_file)
    if newest is None:
        return _Plan(
            "adopt",
            from_file,
            f"Stored the protocol of {path.name} in the project database as version 1; "
            f"see it with: reviewflow protocol show",
        )
    if file_doc == newest.document:
        return _Plan("stamp", from_file, version=newest)
    base = last_synced(conn)
    base_doc = base.document if base is not None else None
    file_changes = diff(base_doc, file_doc)
    store_changed = base is None or base.version != newest.version
    if not file_changes:  # only comments or layout changed; the store moved on
        return _Plan("stale", settings_of(newest.document, database), _stale(conn, base, newest))
    if not store_changed:
        return _Plan("apply", from_file)
    raise ProtocolConflict(conn, path, base, newest, file_changes)


def _stale(conn: Connection, base: Version | None, newest: Version) -> str:
    changes = diff(base.document if base else None, newest.document)
    return (
        f"review.toml is behind the stored protocol (version {newest.version}, by "
        f"{newest.who} via {newest.source}: {summary(changes)}); the stored one is in force. "
        f"Rewrite the file from it with: {EXPORT}"
    )


class FileNotApplied(ProjectError):
    """review.toml was edited into something invalid; the stored protocol stays."""


class ProtocolConflict(StateError):
    """review.toml and the stored protocol both changed since they last matched."""

    def __init__(
        self,
        conn: Connection,
        path: Path,
        base: Version | None,
        newest: Version,
        file_changes: list[Change],
    ) -> None:
        since = f"version {base.version}" if base is not None else "the project began"
        newer = [v for v in history(conn) if base is None or v.version > base.version]
        store_changes = diff(base.document if base else None, newest.document)
        who = ", ".join(sorted({f"{v.who} via {v.source}" for v in newer}))
        super().__init__(
            f"{path.name} and the stored protocol have both changed since {since}, so "
            f"neither is applied over the other. The file changes: {summary(file_changes)}. "
            f"The store's version{'s' if len(newer) > 1 else ''} "
            f"{', '.join(str(v.version) for v in newer)} ({who}) changed: "
            f"{summary(store_changes)}.",
            hint=f"To apply the file, overwriting the stored change(s) listed: {IMPORT}\n"
            f"To rewrite {path.name} from the store, dropping the file's edit: {EXPORT}",
        )
        self.file_changes = file_changes
        self.store_changes = store_changes


# -- commands that change the protocol ------------------------------------------------------


def change(
    project: Project,
    edit: Callable[[TOMLDocument], None],
    *,
    source: str,
    changed_by: str | None = None,
) -> Version | None:
    """Change the protocol: ``edit`` review.toml's document, store the result as a new
    version and write the file in place (comments kept), or nothing if it is invalid.

    The file is brought up to the stored protocol first when it is behind it, so an edit
    never undoes a change made elsewhere. Returns the new version (None: no change).
    """
    import tomlkit

    from .. import config_edit

    path = project.config_path
    with project.db.transaction() as conn:
        newest = latest(conn)
        doc = config_edit.load_document(path)
        before_text = tomlkit.dumps(doc)
        if newest is not None:
            on_file = document_of(config_edit.validate(doc.unwrap()))
            if on_file != newest.document:
                config_edit.update_document(doc, on_file, newest.document)
        edit(doc)
        settings = config_edit.validate(doc.unwrap())
        text = tomlkit.dumps(doc)
        made = save(
            conn, settings, source=source, changed_by=changed_by, file_sha256=sha256(text.encode())
        )
        if text != before_text:
            write_config(path, text)
    project.settings = settings
    return made


def save_settings(
    project: Project, settings: Settings, *, source: str, changed_by: str | None = None
) -> Version | None:
    """Store ``settings`` as the protocol and bring review.toml to it, in place."""
    from .. import config_edit

    target = document_of(settings)

    def edit(doc: TOMLDocument) -> None:
        config_edit.update_document(doc, document_of(config_edit.validate(doc.unwrap())), target)

    made = change(project, edit, source=source, changed_by=changed_by)
    project.settings = settings
    return made


def save_declared(
    project: Project, declared: Mapping[str, Any], *, changed_by: str | None = None
) -> Version | None:
    """Keep declared PRISMA counts in the protocol (a new version) and in review.toml, so
    ``reviewflow report`` redraws the same boxes: ``reviewflow prisma --declare ... --save``.
    A report never calls it (reports read, never write)."""
    from ..settings import ReportSettings, declared_model

    model = declared_model(declared)
    report = project.settings.report or ReportSettings()
    changed = project.settings.model_copy(
        update={"report": report.model_copy(update={"declared": model})}
    )
    return save_settings(project, changed, source="prisma --save", changed_by=changed_by)


def export(project: Project, path: Path | None = None) -> Path:
    """Write the stored protocol to review.toml (or ``path``), editing the existing file in
    place so its comments and layout stay; a new file gets the commented layout of init."""
    import tomlkit

    from .. import config_edit
    from ..settings import dump_settings
    from ..store import literal_password

    target = path or project.config_path
    with project.db.transaction() as conn:
        newest = latest(conn)
        if newest is None:
            raise StateError(
                "this project has no stored protocol yet", hint="Run: reviewflow upgrade"
            )
        stored = settings_of(newest.document, project.settings.database)
        if target.exists():
            doc = config_edit.load_document(target)
            try:
                on_file = document_of(config_edit.validate(doc.unwrap()))
            except ReviewflowError:  # an invalid file: compared as written
                on_file = {k: v for k, v in doc.unwrap().items() if k != "database"}
            config_edit.update_document(doc, on_file, newest.document)
            text = tomlkit.dumps(doc)
            if document_of(config_edit.validate(tomlkit.parse(text).unwrap())) != newest.document:
                text = dump_settings(stored)  # never a file that says another protocol
        else:
            text = dump_settings(stored)
        if target.resolve() == project.config_path.resolve():
            mark_synced(conn, newest.version, sha256(text.encode()))
        if not target.exists() or target.read_text(encoding="utf-8") != text:
            write_config(target, text, secret=literal_password(stored.database.url))
    project.settings = stored
    return target


def import_file(
    project: Project, path: Path | None = None, *, changed_by: str | None = None
) -> Version | None:
    """Apply review.toml (or another protocol file) to the store as a new version, over any
    change made in the store since: the way out of a conflict that keeps the file's edit.

    Another file is also written into review.toml (in place, comments kept), so the
    project's file and its store match again.
    """
    from ..settings import read_config

    source = path or project.config_path
    raw, data = read_config(source)
    hint = NOTHING_APPLIED.replace("Fix review.toml", f"Fix {source.name}")
    settings = validate_config(data, source, hint=hint)
    settings.database = project.settings.database  # the project's own file says where
    if source.resolve() != project.config_path.resolve():
        return save_settings(project, settings, source="protocol import", changed_by=changed_by)
    with project.db.transaction() as conn:
        made = save(
            conn,
            settings,
            source="protocol import",
            changed_by=changed_by,
            file_sha256=sha256(raw),
        )
    project.settings = settings
    return made


def write_config(path: Path, text: str, *, secret: bool = False) -> None:
    """Write review.toml whole or not at all (a temporary file renamed over it), keeping
    its permissions; a new file holding a password (``secret``) is readable by its owner
    only."""
    mode = path.stat().st_mode & 0o777 if path.exists() else (0o600 if secret else None)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        tmp.write_text(text, encoding="utf-8")
        if mode is not None:  # else a new file, as the umask makes it
            os.chmod(tmp, mode)
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)
