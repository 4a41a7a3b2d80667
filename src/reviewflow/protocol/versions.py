"""Protocol versions in the store and what changed between them.

One row of ``protocol_versions`` per version: the protocol as one JSON document (the
validated review.toml without ``[database]``), the changes from the version before as
dotted paths with old and new values, where the change came from and who made it.
"""

from __future__ import annotations

import getpass
import hashlib
import json
import os
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import cache
from typing import Any

from sqlalchemy import Connection, func, insert, select, update

from ..settings import DatabaseSettings, Settings
from ..store import actor_or
from ..store.schema import protocol_versions


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
    from ..settings import AppraisalSettings, ExtractionSettings, ReportSettings
    from ..settings import ScreeningSettings as Screening

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


def latest_number(conn: Connection) -> int | None:
    """The number of the protocol version in force, without reading it (a server asks
    before every request whether the protocol changed)."""
    return conn.execute(select(func.max(protocol_versions.c.version))).scalar()


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
    who = actor_or(changed_by)
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
    from ..people import sync_team

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
