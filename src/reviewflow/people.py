"""The people of a project and their roles, kept in the project database.

A user is named by initials (unique in the project: every event's ``reviewer`` column
holds them), with a name and an e-mail; their web app password is kept by
:mod:`reviewflow.accounts`. Roles are
granted and revoked as append-only events, so a removed member's history and decisions
stay. The team is part of the protocol (``[[reviewers]]`` in review.toml, kept in the
store by :mod:`reviewflow.protocol`): every protocol version brings the users and their
roles in line with it (:func:`sync_team`), so the list and the roles never disagree.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from sqlalchemy import Connection, insert, select

from .errors import InputError, NotFoundError
from .store import actor_or
from .store.schema import membership_events, users

if TYPE_CHECKING:
    from .settings import Settings

#: What each role may do: owners change the protocol and the team; reviewers screen,
#: extract, appraise and code; arbiters resolve conflicts; viewers read.
ROLES = ("owner", "reviewer", "arbiter", "viewer")


@dataclass(frozen=True)
class User:
    id: int
    initials: str
    name: str
    email: str | None
    roles: frozenset[str]

    @property
    def is_member(self) -> bool:
        return bool(self.roles)


def _now() -> datetime:
    return datetime.now(UTC)


def _check_role(role: str) -> str:
    if role not in ROLES:
        raise InputError(
            f"unknown role {role!r}",
            hint="Roles are: " + ", ".join(ROLES) + ".",
        )
    return role


def roles_by_user(conn: Connection) -> dict[int, frozenset[str]]:
    """Each user's current roles, replayed from the grant/revoke events."""
    held: dict[int, set[str]] = {}
    rows = conn.execute(
        select(
            membership_events.c.user_id, membership_events.c.role, membership_events.c.action
        ).order_by(membership_events.c.id)
    )
    for user_id, role, action in rows:
        mine = held.setdefault(user_id, set())
        if action == "grant":
            mine.add(role)
        else:
            mine.discard(role)
    return {uid: frozenset(r) for uid, r in held.items()}


def list_users(conn: Connection, *, members_only: bool = False) -> list[User]:
    """Every user of the project (or only those who still hold a role), oldest first."""
    roles = roles_by_user(conn)
    out = [
        User(row.id, row.initials, row.name, row.email, roles.get(row.id, frozenset()))
        for row in conn.execute(select(users).order_by(users.c.id))
    ]
    return [u for u in out if u.roles] if members_only else out


def get_user(conn: Connection, initials: str) -> User | None:
    row = conn.execute(select(users).where(users.c.initials == initials)).first()
    if row is None:
        return None
    return User(
        row.id, row.initials, row.name, row.email, roles_by_user(conn).get(row.id, frozenset())
    )


def require_user(conn: Connection, initials: str) -> User:
    user = get_user(conn, initials)
    if user is None:
        known = ", ".join(u.initials for u in list_users(conn, members_only=True)) or "none yet"
        raise NotFoundError(
            f"unknown reviewer {initials!r}: not on this project's team (members: {known})",
            hint=f'Add them with: reviewflow reviewer add "{initials}:Full Name"',
        )
    return user


def ensure_user(
    conn: Connection,
    initials: str,
    *,
    name: str = "",
    email: str | None = None,
    exact: bool = False,
) -> User:
    """The user with ``initials``, created if new; a name or e-mail given updates theirs.

    ``exact``: the name and e-mail become exactly those given, so an e-mail taken out
    of the protocol no longer logs anyone in (:func:`sync_team`).
    """
    from sqlalchemy import update

    user = get_user(conn, initials)
    if user is None:
        conn.execute(
            insert(users).values(initials=initials, name=name, email=email, created_at=_now())
        )
    else:
        changes: dict[str, object] = {}
        if (name or exact) and name != user.name:
            changes["name"] = name
        if (email or exact) and (email or None) != user.email:
            changes["email"] = email or None
        if changes:
            conn.execute(update(users).where(users.c.id == user.id).values(**changes))
    found = get_user(conn, initials)
    assert found is not None
    return found


def grant(conn: Connection, initials: str, roles: Iterable[str], *, by: str | None = None) -> User:
    """Give ``initials`` each of ``roles`` they do not hold yet (an event per role)."""
    user = require_user(conn, initials)
    for role in roles:
        if _check_role(role) not in user.roles:
            conn.execute(
                insert(membership_events).values(
                    user_id=user.id,
                    role=role,
                    action="grant",
                    by=actor_or(by),
                    created_at=_now(),
                )
            )
    return require_user(conn, initials)


def revoke(
    conn: Connection, initials: str, roles: Iterable[str] | None = None, *, by: str | None = None
) -> User:
    """Take ``roles`` (default: all) from ``initials``; their decisions stay."""
    user = require_user(conn, initials)
    for role in sorted(user.roles if roles is None else set(roles)):
        if _check_role(role) in user.roles:
            conn.execute(
                insert(membership_events).values(
                    user_id=user.id,
                    role=role,
                    action="revoke",
                    by=actor_or(by),
                    created_at=_now(),
                )
            )
    return require_user(conn, initials)


def team(conn: Connection) -> list[User]:
    """The members now: users who hold a role (the "who are you?" list)."""
    return list_users(conn, members_only=True)


def sync_team(conn: Connection, settings: Settings, *, by: str | None = None) -> None:
    """Make the store's users and roles those of the protocol's team.

    Each listed reviewer is a user (their name and e-mail kept up to date) holding the
    roles :meth:`~reviewflow.settings.Settings.team_roles` gives; anyone no longer listed
    loses their roles but stays a user, so their decisions still name someone.
    """
    wanted: Mapping[str, frozenset[str]] = settings.team_roles()
    for reviewer in settings.reviewers:
        ensure_user(conn, reviewer.initials, name=reviewer.name, email=reviewer.email, exact=True)
    for user in list_users(conn):
        roles = wanted.get(user.initials, frozenset())
        if user.roles - roles:
            revoke(conn, user.initials, user.roles - roles, by=by)
        if roles - user.roles:
            grant(conn, user.initials, sorted(roles - user.roles), by=by)
