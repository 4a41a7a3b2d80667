"""Team changes: add a member, set their roles, take them off the team.

The team is part of the protocol (review.toml's ``[[reviewers]]``, stored as protocol
versions), so every change here is a protocol change made through
:func:`reviewflow.protocol.change`: a new version in the history, review.toml edited in
place (comments kept), and :func:`reviewflow.people.sync_team` bringing the store's users
and roles in line. The CLI's ``reviewflow reviewer`` commands and the web app's team page
call these functions, so both keep the same rules:

- the first member added to a team without an owner becomes its owner;
- the last owner cannot lose the role (nobody could change the team any more);
- a member leaves the team with their history: they stay a user, their decisions stay.

Who may change the team (an owner) is the caller's check (``session.require("owner")``).
Each function runs in the open session (or a transaction of its own) and, like any
protocol change, writes nothing when the change is refused.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

from .config_edit import STAGE_NAMES, add_reviewer, remove_reviewer, validate
from .errors import InputError, NotFoundError, StateError
from .people import ROLES, User, list_users, require_user
from .settings import Reviewer

if TYPE_CHECKING:
    from tomlkit.toml_document import TOMLDocument

    from .project import Project


def member(initials: str, *, name: str = "", what: str = "") -> Reviewer:
    """A new member as review.toml lists them (``what``: what they do, in words), or an
    InputError for initials reviewflow cannot use."""
    try:
        return Reviewer(initials=initials, name=name.strip(), role=what.strip() or "reviewer")
    except ValueError:
        raise InputError(
            f"initials {initials!r} may hold only letters, digits, '-' and '_' (at most 10)",
            hint="Choose initials such as AB or AB2.",
        ) from None


def add_member(
    project: Project,
    initials: str,
    *,
    name: str = "",
    roles: Sequence[str] = ("reviewer",),
    email: str | None = None,
    what: str = "",
    by: str | None = None,
    owner_if_none: bool = True,
    source: str = "reviewer add",
) -> User:
    """Add ``initials`` to the team with ``roles``, or give a member the roles they lack.

    Naming a member who already holds every role asked for is refused when only
    ``reviewer`` was asked (they are on the team already: likely a mistake); other roles
    they already hold change nothing. ``owner_if_none=False`` keeps a team without an
    owner without one (an invited reviewer does not become its owner).
    """
    added = add_members(
        project,
        [member(initials, name=name, what=what)],
        roles=roles,
        email=email,
        by=by,
        owner_if_none=owner_if_none,
        source=source,
    )
    return added[0]


def add_members(
    project: Project,
    members: Sequence[Reviewer],
    *,
    roles: Sequence[str] = ("reviewer",),
    email: str | None = None,
    by: str | None = None,
    owner_if_none: bool = True,
    source: str = "reviewer add",
) -> list[User]:
    """:func:`add_member` for several at once: one protocol version for them all (the
    first of them owns a team without an owner). Returns each as the store has them."""
    wanted = _checked_roles(roles or ("reviewer",))
    if email and len(members) > 1:
        raise InputError("an e-mail names one member's address", hint="Add them one at a time.")

    def edit(doc: TOMLDocument) -> None:
        held = validate(doc.unwrap()).team_roles()
        has_owner = any("owner" in r for r in held.values())
        for n, new in enumerate(members):
            if new.initials in held:
                _grant_in(doc, new.initials, held[new.initials], wanted)
                continue
            _refuse_lookalike(project, new.initials)
            given = list(wanted)
            if owner_if_none and not has_owner and n == 0 and "owner" not in given:
                given = ["owner", *given]
            add_reviewer(doc, new.initials, new.name, new.role, email=email or None,
                         roles=[] if given == ["reviewer"] else given)  # fmt: skip

    return _change(project, edit, [m.initials for m in members], source=source, by=by)


def set_roles(
    project: Project,
    initials: str,
    roles: Sequence[str],
    *,
    by: str | None = None,
    source: str = "reviewer roles",
) -> User:
    """Give member ``initials`` exactly ``roles`` (at least one; to take every role, use
    :func:`remove_member`). A stage's arbiter keeps ``arbiter`` while the plan names them."""
    if not roles:
        raise InputError(
            f"give {initials} at least one role (roles are: {', '.join(ROLES)})",
            hint=f"To take them off the team: reviewflow reviewer remove {initials}",
        )
    wanted = _checked_roles(roles)

    def edit(doc: TOMLDocument) -> None:
        settings = validate(doc.unwrap())
        held = settings.team_roles()
        if initials not in held:
            raise _not_on_team(initials)
        _keep_an_owner(held, initials, set(held[initials]) - set(wanted))
        if "arbiter" not in wanted and settings.screening is not None:
            for stage in ("ta", "ft"):
                if getattr(settings.screening, stage).arbiter == initials:
                    raise InputError(
                        f"{initials} is the arbiter of the {STAGE_NAMES[stage]} screening "
                        "plan, so they stay an arbiter",
                        hint="Name another arbiter first: reviewflow plan set --stage "
                        f"{stage} --arbiter INITIALS",
                    )
        _write_roles(doc, initials, wanted)

    return _change(project, edit, [initials], source=source, by=by)[0]


def remove_member(
    project: Project,
    initials: str,
    *,
    roles: Sequence[str] = (),
    by: str | None = None,
    source: str = "reviewer remove",
) -> User:
    """Take ``initials`` off the team (or, with ``roles``, take only those roles).

    They lose their roles but stay a user, so their decisions, votes and codings still
    name someone. Refused for a member named in a screening plan (change the plan first)
    and for the last owner.
    """
    taking = _checked_roles(roles) if roles else ()

    def edit(doc: TOMLDocument) -> None:
        held = validate(doc.unwrap()).team_roles()
        if initials in held:
            _keep_an_owner(held, initials, set(taking or held[initials]))
        remove_reviewer(doc, initials, roles=taking)

    return _change(project, edit, [initials], source=source, by=by)[0]


def update_member(
    project: Project,
    initials: str,
    *,
    name: str | None = None,
    email: str | None = None,
    what: str | None = None,
    by: str | None = None,
    source: str = "reviewer update",
) -> User:
    """Change a member's name, e-mail (``""``: none) or what they do; None leaves it."""

    def edit(doc: TOMLDocument) -> None:
        entry = _entry(doc, initials)
        for key, value in (("name", name), ("email", email), ("role", what)):
            if value is None:
                continue
            value = value.strip() or ("reviewer" if key == "role" else "")
            if key == "email" and not value:
                if "email" in entry:
                    del entry["email"]
            else:
                entry[key] = value

    return _change(project, edit, [initials], source=source, by=by)[0]


# -- helpers ---------------------------------------------------------------------------------


def _change(
    project: Project,
    edit: Callable[[TOMLDocument], None],
    initials: Sequence[str],
    *,
    source: str,
    by: str | None,
) -> list[User]:
    """Run ``edit`` as one protocol change and read the members back in the same unit."""
    from . import protocol

    with project.db.transaction() as conn:
        protocol.change(project, edit, source=source, changed_by=by)
        return [require_user(conn, i) for i in initials]


def _checked_roles(roles: Sequence[str]) -> tuple[str, ...]:
    unknown = [r for r in roles if r not in ROLES]
    if unknown:
        raise InputError(
            f"unknown role {unknown[0]!r}", hint="Roles are: " + ", ".join(ROLES) + "."
        )
    return tuple(r for r in ROLES if r in roles)  # each once, in the usual order


def _grant_in(
    doc: TOMLDocument, initials: str, held: frozenset[str], wanted: Sequence[str]
) -> None:
    if not set(wanted) - held and set(wanted) <= {"reviewer"}:
        raise InputError(
            f"{initials} is already a reviewer of this project",
            hint="See the team with: reviewflow reviewer list (nothing was written); "
            f"give them a role with: reviewflow reviewer add {initials} --role arbiter",
        )
    add_reviewer(doc, initials, roles=list(wanted))


def _refuse_lookalike(project: Project, initials: str) -> None:
    """Log-ins compare initials without case, so 'ab' next to 'AB' would be ambiguous."""
    with project.db.connect() as conn:
        same = [
            u.initials for u in list_users(conn) if u.initials.casefold() == initials.casefold()
        ]
    if same and initials not in same:
        raise InputError(
            f"{initials} differs only in case from {same[0]}, who is already a user of this "
            "project",
            hint=f"Use {same[0]} itself, or choose other initials.",
        )


def _keep_an_owner(held: dict[str, frozenset[str]], initials: str, losing: set[str]) -> None:
    if "owner" not in losing or "owner" not in held.get(initials, frozenset()):
        return
    if any("owner" in r for who, r in held.items() if who != initials):
        return
    raise StateError(
        f"{initials} is the project's last owner: without one, nobody could change the team "
        "or the protocol",
        hint="Make someone else an owner first: reviewflow reviewer add INITIALS --role owner",
    )


def _not_on_team(initials: str) -> NotFoundError:
    return NotFoundError(
        f"{initials} is not a reviewer of this project",
        hint="See the team with: reviewflow reviewer list",
    )


def _entry(doc: TOMLDocument, initials: str) -> Any:
    """The ``[[reviewers]]`` table (or inline table) of ``initials``."""
    found = next((r for r in doc.get("reviewers", []) if str(r.get("initials")) == initials), None)
    if found is None:
        raise _not_on_team(initials)
    return found


def _write_roles(doc: TOMLDocument, initials: str, roles: Sequence[str]) -> None:
    """``roles`` of ``[[reviewers]]`` entry ``initials``; none written means reviewer."""
    import tomlkit

    entry = _entry(doc, initials)
    if list(roles) == ["reviewer"]:
        if "roles" in entry:
            del entry["roles"]
        return
    array = tomlkit.array()
    array.extend(roles)
    entry["roles"] = array
