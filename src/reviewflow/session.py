"""Sessions: the one unit of work every operation runs in.

``with project.session(actor="MC") as s:`` opens one transaction for one actor. A CLI
command, a web request, a job and a test open one; stage functions called inside it join
its connection (their own ``transaction()`` becomes a savepoint), so everything the
session did commits together when it ends, or nothing does when it raises. A stage
function called outside any session opens a session of its own for just that operation,
so it is atomic either way.

A write session takes the project's write lock at once (see
:meth:`reviewflow.store.Database.unit_of_work`): two processes recording decisions never
interleave, and a check such as "is this vote unchanged?" sees every committed write.
Keep write sessions short (one request, one decision, one import); an interactive
terminal loop opens one per action, not one for the whole sitting.

``s.cache`` holds derived state the session computed (e.g. a stage's screening state),
so one request does not derive it twice; it dies with the session.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from sqlalchemy import Connection

from .errors import StateError

if TYPE_CHECKING:
    from .people import User
    from .project import Project


@dataclass
class Session:
    """One transaction, one actor. ``actor`` is the acting user's initials (or None)."""

    project: Project
    conn: Connection
    actor: str | None
    write: bool
    cache: dict[Any, Any] = field(default_factory=dict)
    _user: User | None = None

    @property
    def user(self) -> User | None:
        """The acting user as the store knows them (None for an anonymous session)."""
        if self.actor is None:
            return None
        if self._user is None:
            from .people import require_user

            self._user = require_user(self.conn, self.actor)
        return self._user

    @property
    def roles(self) -> frozenset[str]:
        user = self.user
        return user.roles if user is not None else frozenset()

    def require(self, *roles: str) -> None:
        """Refuse unless the actor holds one of ``roles`` (owners may do everything)."""
        held = self.roles
        if "owner" in held or held.intersection(roles):
            return
        who = self.actor or "an anonymous session"
        raise StateError(
            f"{who} may not do this: it needs the role {' or '.join(roles)}"
            f" ({who} has {', '.join(sorted(held)) or 'no role'})",
            hint="Ask the project's owner to grant it: reviewflow reviewer add "
            f"{self.actor or 'INITIALS'} --role {roles[0]}",
        )


@contextmanager
def open_session(
    project: Project, *, actor: str | None = None, write: bool = True
) -> Iterator[Session]:
    """The implementation of :meth:`reviewflow.project.Project.session`."""
    with project.db.unit_of_work(write=write, actor=actor) as conn:
        session = Session(project=project, conn=conn, actor=actor, write=write)
        if actor is not None and _has_users(conn):
            session.user  # noqa: B018 - an unknown actor fails here, before any work
        yield session


def _has_users(conn: Connection) -> bool:
    """Whether the project keeps its people in the store yet (projects made before it
    did accept any initials until ``reviewflow upgrade`` brings their reviewers in)."""
    from sqlalchemy import exists, select

    from .store.schema import users

    return bool(conn.execute(select(exists().where(users.c.id.isnot(None)))).scalar())
