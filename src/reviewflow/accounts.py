"""Accounts for the team web app: passwords, log-in, invitations and the first owner.

A user (:mod:`reviewflow.people`) may have one credential: an argon2id hash made by
argon2-cffi's :class:`~argon2.PasswordHasher` with its default parameters (the field's
recommended ones; a hash made with older parameters is rehashed at the next log-in), and
a *stamp*, a random value replaced on every password change. The web app keeps the stamp
in its session cookie and refuses a cookie whose stamp is no longer the user's, so a
password change ends every session opened before it.

Invitations let an owner bring someone onto the team without knowing their password: a
link holding a random token (only its sha256 is stored), used once, before it expires.
Accepting one adds the member through :func:`reviewflow.team.add_member` (a protocol
change, like every team change) and sets their password, in one transaction.

Log-in, password and invitation checks live here, with no web code, so the CLI
(``reviewflow account``) and the web app apply the same rules. Who may invite (an owner)
is the caller's check. Functions that take a ``conn`` run on the open session's
connection (``session.conn``); those that take a project join the open session.
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import cache
from typing import TYPE_CHECKING, Any

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import Connection, insert, select, update

from . import team
from .errors import InputError, NotFoundError, StateError
from .people import ROLES, User, get_user, list_users, require_user
from .store import actor_or
from .store.schema import credentials, invitations, users

if TYPE_CHECKING:
    from .project import Project

#: The shortest password accepted; length matters more than character classes.
MIN_PASSWORD = 10
#: The longest: hashing is bounded, a pasted novel is refused rather than hashed.
MAX_PASSWORD = 1024
#: How long an invitation link works unless told otherwise.
INVITATION_DAYS = 14

_HASHER = PasswordHasher()

#: Passwords every guessing list starts with (compared without case, trailing digits and
#: punctuation dropped): "Password123!" is as weak as "password".
_COMMON = frozenset(
    {"password", "passw0rd", "passwort", "motdepasse", "letmein", "welcome", "changeme",
     "iloveyou", "qwerty", "qwertz", "azerty", "admin", "administrator", "secret",
     "reviewflow", "abc", "abcd", "test", "login", "monkey", "dragon", "football"}
)  # fmt: skip
_RUNS = (
    "01234567890",
    "09876543210",
    "abcdefghijklmnopqrstuvwxyz",
    "zyxwvutsrqponmlkjihgfedcba",
    "qwertyuiopasdfghjklzxcvbnm",
    "qwertzuiopasdfghjklyxcvbnm",
    "azertyuiopqsdfghjklmwxcvbn",
)
_ASK_OWNER = "Ask the project's owner for a new invitation link."
_CLOSED = {
    "used": "this invitation link was used already (each link works once)",
    "revoked": "this invitation link was withdrawn by the project's owner",
    "expired": "this invitation link has expired",
}


def _now() -> datetime:
    return datetime.now(UTC)


def _aware(value: datetime | None) -> datetime | None:
    """SQLite hands back naive datetimes; they were stored in UTC."""
    if value is not None and value.tzinfo is None:
        return value.replace(tzinfo=UTC)
    return value


# -- passwords ----------------------------------------------------------------------------


def check_new_password(password: str, *, initials: str = "") -> None:
    """Refuse a password that is easy to guess, saying why (never repeating it)."""
    hint = (
        f"Choose a password of at least {MIN_PASSWORD} characters: a few unrelated words "
        "are long and easy to remember."
    )
    if len(password) < MIN_PASSWORD:
        raise InputError(f"the password is shorter than {MIN_PASSWORD} characters", hint=hint)
    if len(password) > MAX_PASSWORD:
        raise InputError(f"the password is longer than {MAX_PASSWORD} characters", hint=hint)
    folded = password.casefold()
    if initials and folded.strip() == initials.casefold():
        raise InputError("the password is the same as the initials", hint=hint)
    if len(set(folded)) < 3:
        raise InputError("the password repeats one or two characters", hint=hint)
    if any(folded in run for run in _RUNS):
        raise InputError("the password is a run of the alphabet, digits or keyboard", hint=hint)
    if folded.rstrip("0123456789!?.,;:-_#*@$%&+=~ ") in _COMMON:
        raise InputError("the password is one of the most common passwords", hint=hint)


def set_password(conn: Connection, initials: str, password: str, *, by: str | None = None) -> None:
    """Set ``initials``' password (checked first) and a new stamp, which ends their
    web sessions opened before. ``by``: who set it (default: the session's actor)."""
    user = require_user(conn, initials)
    check_new_password(password, initials=user.initials)
    values = {"password_hash": _HASHER.hash(password), "changed_at": _now(),
              "stamp": secrets.token_urlsafe(16), "changed_by": actor_or(by)}  # fmt: skip
    done = conn.execute(update(credentials).where(credentials.c.user_id == user.id).values(values))
    if not done.rowcount:
        conn.execute(insert(credentials).values(user_id=user.id, **values))


def authenticate(
    conn: Connection, login: str, password: str, *, rehash: bool = True
) -> User | None:
    """The user whose initials (any case) or e-mail is ``login`` and whose password this
    is, if they are on the team; None otherwise, whatever the reason (the caller says
    only "wrong log-in or password", so nobody learns who has an account).

    A hash is verified even for an unknown login, so the answer takes as long either
    way. A hash made with older parameters is rehashed: a write, so call it in a write
    session, or pass ``rehash=False`` in a read-only one.
    """
    found = _credential_for(conn, login)
    if found is None:
        _verify(_dummy_hash(), password)
        return None
    user_id, initials, stored = found
    if not _verify(stored, password):
        return None
    if rehash and _HASHER.check_needs_rehash(stored):
        conn.execute(
            update(credentials)
            .where(credentials.c.user_id == user_id)
            .values(password_hash=_HASHER.hash(password))  # the stamp stays: same password
        )
    user = get_user(conn, initials)
    return user if user is not None and user.roles else None


def credential_stamp(conn: Connection, user_id: int) -> str | None:
    """The user's current stamp (None: no password), to compare with a session's."""
    row = conn.execute(select(credentials.c.stamp).where(credentials.c.user_id == user_id))
    return row.scalar_one_or_none()


def has_password(conn: Connection, initials: str) -> bool:
    user = get_user(conn, initials)
    return user is not None and credential_stamp(conn, user.id) is not None


def owners_with_password(conn: Connection) -> list[User]:
    """The owners who can log in: while there is none, the web app offers the first-run
    page and ``reviewflow account create-owner`` works."""
    with_password = set(conn.execute(select(credentials.c.user_id)).scalars())
    return [u for u in list_users(conn, members_only=True)
            if "owner" in u.roles and u.id in with_password]  # fmt: skip


def check_no_owner_yet(conn: Connection) -> None:
    """Refuse a second first owner: once an owner can log in, others are invited."""
    if owners_with_password(conn):
        raise StateError(
            "this project already has an owner who can log in",
            hint="Ask them to invite you: reviewflow account invite --role owner",
        )


def create_owner(
    project: Project, initials: str, *, name: str, password: str, email: str | None = None
) -> User:
    """The first-run step: make ``initials`` an owner who can log in.

    Someone not on the team is added as owner; a member is made owner (a ``name`` or
    ``email`` given replaces theirs). Refused once any owner can log in (they invite the
    others), so nobody with the project's folder but no account takes over a team that
    has one.
    """
    with project.db.transaction() as conn:
        check_no_owner_yet(conn)
        initials = _same_user(conn, team.member(initials).initials)
        check_new_password(password, initials=initials)
        user = get_user(conn, initials)
        if user is None or not user.roles:
            team.add_member(project, initials, name=name, roles=("owner",), email=email)
        else:
            if "owner" not in user.roles:
                team.add_member(project, initials, roles=("owner",))
            if (name and name != user.name) or (email and email != user.email):
                team.update_member(project, initials, name=name or None, email=email or None)
        set_password(conn, initials, password, by=initials)
        return require_user(conn, initials)


def _verify(stored: str, password: str) -> bool:
    try:
        return _HASHER.verify(stored, password)
    except (VerificationError, InvalidHashError):
        return False


@cache
def _dummy_hash() -> str:
    return _HASHER.hash(secrets.token_urlsafe(16))


def _credential_for(conn: Connection, login: str) -> tuple[int, str, str] | None:
    """(user id, initials, hash) of the one user with a password whom ``login`` names.

    Compared without case in Python (SQLite's lower() knows ASCII only); a login naming
    two users (initials differing in case, a shared e-mail) names the exact spelling, or
    nobody. A project has tens of users, so reading them all is cheap.
    """
    login = login.strip()
    if not login:
        return None
    column = users.c.email if "@" in login else users.c.initials
    rows = conn.execute(
        select(users.c.id, users.c.initials, column.label("key"), credentials.c.password_hash)
        .join(credentials, credentials.c.user_id == users.c.id)
    ).all()  # fmt: skip
    same = [r for r in rows if r.key is not None and r.key.casefold() == login.casefold()]
    exact = [r for r in same if r.key == login]
    chosen = exact if len(exact) == 1 else same
    if len(chosen) != 1:
        return None
    return chosen[0].id, chosen[0].initials, chosen[0].password_hash


def _same_user(conn: Connection, initials: str) -> str:
    """The initials of the user ``initials`` names without case (``mc`` for ``MC``)."""
    same = [u.initials for u in list_users(conn) if u.initials.casefold() == initials.casefold()]
    return initials if initials in same or len(same) != 1 else same[0]


# -- invitations ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Invitation:
    """An invitation as an owner lists it; the token itself is known only to its link."""

    id: int
    email: str | None
    name: str
    roles: tuple[str, ...]
    created_by: str | None
    created_at: datetime
    expires_at: datetime
    used_at: datetime | None
    used_by: str | None = None
    revoked_at: datetime | None = None

    def state(self, *, now: datetime | None = None) -> str:
        """``open``, ``used``, ``revoked`` or ``expired``: what the invitation page says."""
        if self.used_at is not None:
            return "used"
        if self.revoked_at is not None:
            return "revoked"
        return "expired" if (now or _now()) >= self.expires_at else "open"

    @property
    def is_open(self) -> bool:
        return self.state() == "open"

    def to_dict(self) -> dict[str, Any]:
        return {"id": self.id, "state": self.state(), "email": self.email, "name": self.name,
                "roles": list(self.roles), "created_by": self.created_by,
                "created_at": self.created_at.isoformat(),
                "expires_at": self.expires_at.isoformat(),
                "used_at": self.used_at.isoformat() if self.used_at else None,
                "used_by": self.used_by,
                "revoked_at": self.revoked_at.isoformat() if self.revoked_at else None}  # fmt: skip


def _token_sha256(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8", "surrogatepass")).hexdigest()


def _invitation(row: Any) -> Invitation:
    return Invitation(
        id=row.id,
        email=row.email,
        name=row.name,
        roles=tuple(r for r in row.roles.split(",") if r),
        created_by=row.created_by,
        created_at=_aware(row.created_at),  # type: ignore[arg-type]
        expires_at=_aware(row.expires_at),  # type: ignore[arg-type]
        used_at=_aware(row.used_at),
        used_by=row.used_by,
        revoked_at=_aware(row.revoked_at),
    )


def create_invitation(
    project: Project,
    *,
    roles: Sequence[str] = ("reviewer",),
    email: str | None = None,
    name: str = "",
    days: int = INVITATION_DAYS,
    by: str | None = None,
) -> str:
    """A new invitation; returns its token, for the link (it is not stored)."""
    wanted = _invitation_roles(roles)
    if days < 1:
        raise InputError("an invitation must work for at least one day", hint="Use --days 1.")
    token = secrets.token_urlsafe(32)
    now = _now()
    with project.db.transaction() as conn:
        conn.execute(
            insert(invitations).values(
                token_sha256=_token_sha256(token), email=email or None, name=name.strip(),
                roles=",".join(wanted), created_by=actor_or(by), created_at=now,
                expires_at=now + timedelta(days=days),
            )
        )  # fmt: skip
    return token


def find_invitation(conn: Connection, token: str) -> Invitation | None:
    """The invitation of a link's token, used or expired too (the page says which);
    None for a token that was never issued."""
    if not token or len(token) > 200:
        return None
    row = conn.execute(
        select(invitations).where(invitations.c.token_sha256 == _token_sha256(token))
    ).first()
    return None if row is None else _invitation(row)


def list_invitations(conn: Connection) -> list[Invitation]:
    """Every invitation, oldest first."""
    return [_invitation(r) for r in conn.execute(select(invitations).order_by(invitations.c.id))]


def revoke_invitation(project: Project, invitation_id: int, *, by: str | None = None) -> None:
    """Make an unused invitation's link stop working (revoking twice changes nothing)."""
    with project.db.transaction() as conn:
        row = conn.execute(select(invitations).where(invitations.c.id == invitation_id)).first()
        if row is None:
            raise NotFoundError(
                f"no invitation {invitation_id}",
                hint="See them with: reviewflow account invitations",
            )
        found = _invitation(row)
        if found.used_at is not None:
            raise StateError(
                f"invitation {invitation_id} was used by {found.used_by} already",
                hint=f"Take them off the team instead: reviewflow reviewer remove {found.used_by}",
            )
        if found.revoked_at is None:
            conn.execute(
                update(invitations)
                .where(invitations.c.id == invitation_id)
                .values(revoked_at=_now(), revoked_by=actor_or(by))
            )


def accept_invitation(
    project: Project,
    token: str,
    *,
    initials: str,
    name: str,
    password: str,
    email: str | None = None,
) -> User:
    """Join the team through an invitation: the member added with its roles (by whoever
    invited), their password set, the invitation used up, all in one transaction.

    Everything is checked before the team changes, so a refusal changes nothing.
    """
    with project.db.transaction() as conn:
        row = conn.execute(
            select(invitations).where(invitations.c.token_sha256 == _token_sha256(token or ""))
        ).first()
        if row is None:
            raise StateError("this invitation link is not valid", hint=_ASK_OWNER)
        found = _invitation(row)
        state = found.state()
        if state != "open":
            raise StateError(_CLOSED[state], hint=_ASK_OWNER)
        new = team.member(initials, name=name or found.name)
        if not new.name:
            raise InputError("give your name", hint="The team sees it next to your initials.")
        email = (email or "").strip() or found.email
        _refuse_taken(list_users(conn), new.initials, email)
        check_new_password(password, initials=new.initials)
        team.add_member(
            project, new.initials, name=new.name, roles=found.roles,
            email=email, by=found.created_by, owner_if_none=False,
            source="invitation",
        )  # fmt: skip
        set_password(conn, new.initials, password, by=new.initials)
        conn.execute(
            update(invitations)
            .where(invitations.c.id == found.id)
            .values(used_at=_now(), used_by=new.initials)
        )
        return require_user(conn, new.initials)


def _refuse_taken(known: Sequence[User], initials: str, email: str | None) -> None:
    """A newcomer's initials and e-mail must name nobody else: both log in, without case."""
    same = [u.initials for u in known if u.initials.casefold() == initials.casefold()]
    if same:
        raise InputError(
            f"the initials {same[0]} are taken in this project",
            hint="Choose other initials, e.g. with a digit or your middle initial.",
        )
    if email and any(u.email and u.email.casefold() == email.casefold() for u in known):
        raise InputError(
            f"the e-mail {email} is already someone's in this project",
            hint="Give another e-mail, or none: you can log in with your initials.",
        )


def _invitation_roles(roles: Sequence[str]) -> tuple[str, ...]:
    if not roles:
        raise InputError("an invitation gives at least one role", hint="e.g. --role reviewer")
    unknown = [r for r in roles if r not in ROLES]
    if unknown:
        raise InputError(
            f"unknown role {unknown[0]!r}", hint="Roles are: " + ", ".join(ROLES) + "."
        )
    return tuple(r for r in ROLES if r in roles)
