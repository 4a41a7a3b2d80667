"""The protocol in the store, versioned: who changed what in it, and when.

The protocol (title, question, the team, screening plans and reasons, highlight terms,
extraction forms, appraisal checklist and scoring, declared counts) in force is the newest
row of ``protocol_versions``: one JSON document, the validated content of review.toml
without ``[database]``, which stays in the file alone because it says where the store is.
Every change appends a version that lists what changed (dotted paths, old and new value),
where it came from and who made it, and brings the store's users and roles in line with the
team (:func:`reviewflow.people.sync_team`).

review.toml is the protocol's readable import/export. A version read from the file or
written to it records the file's sha256, so opening a project tells from one small query
and a hash whether the file still is the protocol (:func:`sync_file`):

- the hash is the newest version's: in sync; the stored protocol is used;
- the file changed and the store did not, since they last matched: the edit is applied as
  a new version (source ``review.toml``) and the command says so, once;
- the store changed (e.g. in the web app) and the file did not: the store is in force and
  the command says how to rewrite the file (``reviewflow protocol export``);
- both changed: nothing is guessed; the error names ``reviewflow protocol import`` (the
  file wins) and ``reviewflow protocol export`` (the store wins).

Opening never writes review.toml. Commands that change the protocol (``plan set``,
``reviewer add``, ``prisma --declare --save``, ``protocol export``) store the change and
edit the file in place with tomlkit (:func:`change`), keeping the team's comments.
"""

from __future__ import annotations

import getpass
import hashlib
import json
import os
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import Connection, func, insert, select, update

from .errors import ProjectError, ReviewflowError, StateError
from .settings import DatabaseSettings, Settings, validate_config
from .store import current_actor
from .store.schema import protocol_versions

if TYPE_CHECKING:
    from tomlkit.toml_document import TOMLDocument

    from .project import Project
    from .store import Database

#: What an invalid hand edit is told: the store still holds the protocol before the edit.
NOTHING_APPLIED = (
    "Nothing was applied: the project keeps its stored protocol. Fix review.toml, or "
    "rewrite it from the store with: reviewflow protocol export"
)
EXPORT = "reviewflow protocol export"
IMPORT = "reviewflow protocol import"


@dataclass(frozen=True)
class Change:
    """One changed setting: a dotted path and its value before and after (None: absent)."""

    path: str
    old: Any
    new: Any

    def __str__(self) -> str:
        member = self.old if self.new is None else self.new
        if isinstance(member, Mapping) and "initials" in member and None in (self.old, self.new):
            team = self.path.rpartition(".")[0]
            named = f" ({member['name']})" if member.get("name") else ""
            return f"{team} {'+' if self.old is None else '−'} {member['initials']}{named}"
        if self.old is None:
            return f"{self.path} = {_show(self.new)}"
        if self.new is None:
            return f"{self.path} removed (was {_show(self.old)})"
        if isinstance(self.old, list) and isinstance(self.new, list):
            added = [v for v in self.new if v not in self.old]
            gone = [v for v in self.old if v not in self.new]
            if (added or gone) and all(not isinstance(v, dict) for v in added + gone):
                parts = [f"+ {_show(v)}" for v in added] + [f"− {_show(v)}" for v in gone]
                return f"{self.path} " + ", ".join(parts)
        return f"{self.path} {_show(self.old)} → {_show(self.new)}"

    def to_dict(self) -> dict[str, Any]:
        return {"path": self.path, "old": self.old, "new": self.new}


def _show(value: Any) -> str:
    if isinstance(value, dict) and "initials" in value:
        return str(value["initials"])
    if isinstance(value, list) and value and all(isinstance(v, dict) for v in value):
        return "[" + ", ".join(_show(v) for v in value) + "]"
    return json.dumps(value, ensure_ascii=False)


@dataclass(frozen=True)
class Version:
    """One version of the protocol, as ``reviewflow protocol history`` shows it."""

    version: int
    document: dict[str, Any]
    source: str
    changes: list[Change]
    file_sha256: str | None
    changed_by: str | None
    account: str | None
    created_at: datetime

    @property
    def who(self) -> str:
        """The acting user's initials, else the computer account that ran the command."""
        return self.changed_by or self.account or "unknown"

    def to_dict(self) -> dict[str, Any]:
        return {
            "version": self.version,
            "created_at": self.created_at.isoformat(),
            "source": self.source,
            "changed_by": self.changed_by,
            "account": self.account,
            "changes": [c.to_dict() for c in self.changes],
        }


# -- documents and their differences ------------------------------------------------------


def document_of(settings: Settings) -> dict[str, Any]:
    """The stored form of the protocol: every setting but ``[database]``, as JSON data."""
    return settings.model_dump(mode="json", exclude={"database"})


def settings_of(document: Mapping[str, Any], database: DatabaseSettings) -> Settings:
    """Settings from a stored document and the file's ``[database]``."""
    return Settings.model_validate({**document, "database": database.model_dump()})


def tree_diff(
    old: Any, new: Any, path: tuple[str, ...] = ()
) -> Iterator[tuple[tuple[str, ...], Any, Any]]:
    """Where two documents differ: into tables while both sides are tables, else the
    value (a whole table when only one side has it; None stands for absent)."""
    if isinstance(old, Mapping) and isinstance(new, Mapping):
        for key in [*old, *(k for k in new if k not in old)]:
            yield from tree_diff(old.get(key), new.get(key), (*path, str(key)))
    elif old != new:
        yield path, old, new


def diff(old: Mapping[str, Any] | None, new: Mapping[str, Any] | None) -> list[Change]:
    """What changed from ``old`` to ``new``, one entry per setting, as the history lists
    it. A section added (or removed) lists the settings it gives that are not defaults;
    the team is compared member by member (``reviewers + XY``, ``reviewers.XY.roles``)."""
    return [
        Change(".".join(path), before, after)
        for path, before, after in _leaves(old or {}, new or {}, (), _defaults(), members=True)
    ]


def leaf_diff(
    old: Mapping[str, Any] | None, new: Mapping[str, Any] | None
) -> Iterator[tuple[tuple[str, ...], Any, Any]]:
    """Each setting that differs, by path (a list is one setting); a setting absent on
    one side is compared with its default, and a section that only appears, all
    defaults, is one ``{}`` entry."""
    return _leaves(old or {}, new or {}, (), _defaults())


def _leaves(
    old: Any,
    new: Any,
    path: tuple[str, ...],
    default: Any,
    *,
    inside: bool = False,
    members: bool = False,
) -> Iterator[tuple[tuple[str, ...], Any, Any]]:
    tables = (isinstance(old, Mapping) or old is None) and (isinstance(new, Mapping) or new is None)
    if tables and (isinstance(old, Mapping) or isinstance(new, Mapping)):
        before, after = old or {}, new or {}
        defaults = default if isinstance(default, Mapping) else {}
        one_side = (old is None) != (new is None)
        found = False
        for key in [*before, *(k for k in after if k not in before)]:
            for leaf in _leaves(
                before.get(key),
                after.get(key),
                (*path, key),
                defaults.get(key),
                inside=inside or one_side,
                members=members,
            ):
                found = True
                yield leaf
        if not found and one_side and not inside:  # a section of defaults only
            yield path, None if old is None else {}, None if new is None else {}
        return
    if old == new or (old is None and new == default) or (new is None and old == default):
        return
    if members and _team(old) and _team(new):
        yield from _member_changes(old, new, path)
        return
    yield path, old, new


def _team(value: Any) -> bool:
    return isinstance(value, list) and all(
        isinstance(v, Mapping) and "initials" in v for v in value
    )


def _member_changes(
    old: list[Mapping[str, Any]], new: list[Mapping[str, Any]], path: tuple[str, ...]
) -> Iterator[tuple[tuple[str, ...], Any, Any]]:
    before = {str(m["initials"]): m for m in old}
    after = {str(m["initials"]): m for m in new}
    found = False
    for initials in [*before, *(i for i in after if i not in before)]:
        b, a = before.get(initials), after.get(initials)
        if b is None or a is None:
            found = True
            yield (*path, initials), b, a
            continue
        for key in [*b, *(k for k in a if k not in b)]:
            if b.get(key) != a.get(key):
                found = True
                yield (*path, initials, key), b.get(key), a.get(key)
    if not found:  # the same members in another order
        yield path, old, new


@cache
def _defaults() -> dict[str, Any]:
    """Every section's defaults: what a section added or removed is compared with."""
    from .settings import AppraisalSettings, ExtractionSettings, ReportSettings
    from .settings import ScreeningSettings as Screening

    full = Settings(
        title="-",
        screening=Screening(),
        extraction=ExtractionSettings(),
        appraisal=AppraisalSettings(),
        report=ReportSettings(),
    )
    return document_of(full)


def summary(changes: list[Change], *, limit: int = 3) -> str:
    """A few changes in words, e.g. ``screening.ta.double_share 0.2 → 0.3``."""
    if not changes:
        return "no setting changed"
    shown = "; ".join(str(c) for c in changes[:limit])
    more = len(changes) - limit
    return shown + (f"; and {more} more (reviewflow protocol history)" if more > 0 else "")


# -- reading and writing versions ---------------------------------------------------------


def _version(row: Any) -> Version:
    document = row.document if isinstance(row.document, dict) else json.loads(row.document)
    changes = row.changes if isinstance(row.changes, list) else json.loads(row.changes)
    created = row.created_at
    if created.tzinfo is None:  # SQLite hands back naive datetimes; they were stored in UTC
        created = created.replace(tzinfo=UTC)
    return Version(
        version=row.version,
        document=document,
        source=row.source,
        changes=[Change(c["path"], c.get("old"), c.get("new")) for c in changes],
        file_sha256=row.file_sha256,
        changed_by=row.changed_by,
        account=row.account,
        created_at=created,
    )


def latest(conn: Connection) -> Version | None:
    """The protocol in force (one small query), or None for a project from before."""
    row = conn.execute(
        select(protocol_versions).order_by(protocol_versions.c.version.desc()).limit(1)
    ).first()
    return None if row is None else _version(row)


def last_synced(conn: Connection) -> Version | None:
    """The newest version that was read from or written to review.toml."""
    row = conn.execute(
        select(protocol_versions)
        .where(protocol_versions.c.file_sha256.isnot(None))
        .order_by(protocol_versions.c.version.desc())
        .limit(1)
    ).first()
    return None if row is None else _version(row)


def history(conn: Connection) -> list[Version]:
    """Every version, oldest first."""
    rows = conn.execute(select(protocol_versions).order_by(protocol_versions.c.version))
    return [_version(row) for row in rows]


def current(conn: Connection, *, database: DatabaseSettings | None = None) -> Settings | None:
    """The stored protocol as settings (``database`` fills in ``[database]``)."""
    newest = latest(conn)
    if newest is None:
        return None
    return settings_of(newest.document, database or DatabaseSettings())


def account() -> str | None:
    """The computer account running this process, for the history."""
    try:
        return getpass.getuser()
    except (OSError, KeyError):  # no login name and no passwd entry (some containers)
        return os.environ.get("USER") or None


def save(
    conn: Connection,
    settings: Settings,
    *,
    source: str,
    changed_by: str | None = None,
    file_sha256: str | None = None,
) -> Version | None:
    """Append ``settings`` as a new version if they differ from the one in force.

    ``file_sha256`` is review.toml's hash when the version was read from or written to
    it. Returns the new version, or None when nothing changed (the hash, if given, is
    then recorded on the version in force: the file and the store match).
    """
    before = latest(conn)
    document = document_of(settings)
    if before is not None and before.document == document:
        if file_sha256 is not None and before.file_sha256 != file_sha256:
            mark_synced(conn, before.version, file_sha256)
        return None
    changes = diff(before.document, document) if before is not None else []
    who = changed_by or current_actor()
    login = account()
    number = int(conn.execute(select(func.coalesce(func.max(protocol_versions.c.version), 0)))
                 .scalar_one()) + 1  # fmt: skip
    now = datetime.now(UTC)
    conn.execute(
        insert(protocol_versions).values(
            version=number,
            document=document,
            source=source[:20],
            changes=[c.to_dict() for c in changes],
            file_sha256=file_sha256,
            changed_by=who,
            account=login,
            created_at=now,
        )
    )
    from .people import sync_team

    sync_team(conn, settings, by=who)
    return Version(number, document, source, changes, file_sha256, who, login, now)


def mark_synced(conn: Connection, version: int, file_sha256: str) -> None:
    """Record that review.toml with this hash holds ``version`` (the file and the store
    match), so the next open takes the fast path."""
    conn.execute(
        update(protocol_versions)
        .where(protocol_versions.c.version == version)
        .values(file_sha256=file_sha256)
    )


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


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

    from . import config_edit

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
    from . import config_edit

    target = document_of(settings)

    def edit(doc: TOMLDocument) -> None:
        config_edit.update_document(doc, document_of(config_edit.validate(doc.unwrap())), target)

    made = change(project, edit, source=source, changed_by=changed_by)
    project.settings = settings
    return made


def export(project: Project, path: Path | None = None) -> Path:
    """Write the stored protocol to review.toml (or ``path``), editing the existing file in
    place so its comments and layout stay; a new file gets the commented layout of init."""
    import tomlkit

    from . import config_edit
    from .settings import dump_settings

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
            write_config(target, text)
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
    from .settings import read_config

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


def write_config(path: Path, text: str) -> None:
    """Write review.toml whole or not at all (a temporary file renamed over it), keeping
    its permissions: 0600 when it holds a password."""
    mode = path.stat().st_mode & 0o777 if path.exists() else 0o644
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        tmp.write_text(text, encoding="utf-8")
        os.chmod(tmp, mode)
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)
