"""``reviewflow account``: log-ins for the team web app, from the terminal.

Thin shell over :mod:`reviewflow.accounts`. A password is typed twice at a hidden prompt
(or, for scripts, read from REVIEWFLOW_PASSWORD) and never printed. It is asked before
the command's session opens, so nobody else's work waits while someone types.
"""

from __future__ import annotations

import os
from urllib.parse import quote

import click

from ..errors import InputError
from . import cli
from ._output import (
    OutputContext,
    acting,
    echo,
    echo_json,
    error_text,
    pass_output,
    reviewer_option,
)

PASSWORD_ENV = "REVIEWFLOW_PASSWORD"
DEFAULT_BASE_URL = "http://127.0.0.1:8000"
#: reviewflow.people.ROLES, spelled out so that ``--help`` imports no store.
_ROLE = click.Choice(["owner", "reviewer", "arbiter", "viewer"])


def read_password(initials: str) -> str:
    """A new password for ``initials``: from REVIEWFLOW_PASSWORD if set, else typed twice
    at a hidden prompt, asked again until it is strong enough."""
    from ..accounts import check_new_password

    given = os.environ.get(PASSWORD_ENV)
    if given is not None:
        check_new_password(given, initials=initials)
        return given

    def checked(value: str) -> str:
        try:
            check_new_password(value, initials=initials)
        except InputError as exc:  # click says why and asks again (it masks the input)
            raise click.BadParameter(error_text(exc)) from None
        return value

    password: str = click.prompt(
        f"New password for {initials}", hide_input=True, confirmation_prompt=True,
        value_proc=checked,
    )  # fmt: skip
    return password


@cli.group("account")
def account_group() -> None:
    """Log-ins for the team web app: the first owner, passwords, invitation links.

    Example:

    \b
        reviewflow account create-owner MC --name "M Cooper" --email mc@example.org
        reviewflow account invite --role reviewer --email cj@example.org
    """


@account_group.command("create-owner")
@click.argument("initials")
@click.option("--name", default="", help="Their full name (for someone not on the team yet).")
@click.option("--email", help="Their e-mail, which also logs them in.")
@pass_output
def create_owner_cmd(out: OutputContext, initials: str, name: str, email: str | None) -> None:
    """Make INITIALS an owner who can log in to the team web app: the first step on a
    new team server. Someone not on the team is added as its owner.

    Refused once an owner can log in: they invite everyone else. The password is asked
    twice (hidden), or read from REVIEWFLOW_PASSWORD.

    Example:

    \b
        reviewflow account create-owner MC --name "M Cooper" --email mc@example.org
    """
    from .. import accounts

    with out.session(write=False) as session:  # refuse before asking for a password
        accounts.check_no_owner_yet(session.conn)
    password = read_password(initials)
    with out.session(write=True):
        user = accounts.create_owner(
            out.project(), initials, name=name, password=password, email=email
        )
    login = f"{user.initials} or {user.email}" if user.email else user.initials
    echo(f"{user.initials} owns this project and can log in to the web app as {login}.")
    echo("Invite the others with: reviewflow account invite --role reviewer --email ADDRESS")


@account_group.command("set-password")
@click.argument("initials")
@pass_output
def set_password_cmd(out: OutputContext, initials: str) -> None:
    """Set or reset INITIALS' web app password; their open web sessions end.

    The password is asked twice (hidden), or read from REVIEWFLOW_PASSWORD.

    Example:

    \b
        reviewflow account set-password CJ
    """
    from .. import accounts
    from ..people import require_user

    with out.session(write=False) as session:  # an unknown reviewer fails before the prompt
        user = require_user(session.conn, initials)
    password = read_password(user.initials)
    with out.session(write=True) as session:
        accounts.set_password(session.conn, user.initials, password)
    echo(f"Password set for {user.initials}; web sessions opened before this one end.")
    if not user.roles:
        echo(
            f"Note: {user.initials} is not on the team, so cannot log in until added again "
            f"with: reviewflow reviewer add {user.initials}",
            err=True,
        )


@account_group.command("invite")
@click.option("--role", "roles", type=_ROLE, multiple=True,
              help="What they may do (default reviewer); repeat for several.")  # fmt: skip
@click.option("--email", help="Their e-mail (shown on the invitation; they may change it).")
@click.option("--name", default="", help="Their name, filled in for them.")
@click.option("--days", type=click.IntRange(min=1), default=14, show_default=True,
              help="How many days the link works.")  # fmt: skip
@click.option("--base-url", default=DEFAULT_BASE_URL, show_default=True,
              help="Where the team web app is served.")  # fmt: skip
@reviewer_option
@pass_output
def invite_cmd(
    out: OutputContext,
    roles: tuple[str, ...],
    email: str | None,
    name: str,
    days: int,
    base_url: str,
    reviewer: str | None,
) -> None:
    """Make an invitation link that lets one person join the team and choose a password.

    The link is BASE_URL/p/PROJECT/invite/TOKEN, where PROJECT is the name of the
    project's folder. It works once, until it expires; only a hash of it is stored, so it
    is shown this once: send it to them yourself.

    Example:

    \b
        reviewflow account invite --role reviewer --email cj@example.org --name "C Jordan"
        reviewflow account invite --role arbiter --role reviewer --days 7 \\
            --base-url https://review.example.org
    """
    from .. import accounts

    project = out.project()
    with out.session(write=True, actor=reviewer):
        token = accounts.create_invitation(
            project, roles=roles or ("reviewer",), email=email, name=name, days=days,
            by=acting(reviewer),
        )  # fmt: skip
    link = f"{base_url.rstrip('/')}/p/{quote(project.root.name)}/invite/{token}"
    who = " ".join(x for x in (name, f"<{email}>" if email else "") if x) or "someone"
    echo(f"Invitation for {who} as {', '.join(roles or ('reviewer',))}, valid {days} days:")
    echo(f"  {link}")
    echo("It works once. See the invitations with: reviewflow account invitations")


@account_group.command("invitations")
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output on stdout.")
@pass_output
def invitations_cmd(out: OutputContext, as_json: bool) -> None:
    """List the invitations: open, used (by whom), revoked or expired.

    Example:

    \b
        reviewflow account invitations
        reviewflow account invitations --json
    """
    from .. import accounts

    with out.session(write=False) as session:
        found = accounts.list_invitations(session.conn)
    if as_json:
        echo_json([i.to_dict() for i in found])
        return
    if not found:
        echo("No invitations yet. Make one with: reviewflow account invite --role reviewer")
    for i in found:
        state = i.state()
        when = {"open": f"until {i.expires_at:%Y-%m-%d %H:%M} UTC",
                "used": f"by {i.used_by}", "revoked": "", "expired": ""}[state]  # fmt: skip
        who = " ".join(x for x in (i.name, f"<{i.email}>" if i.email else "") if x)
        parts = [f"{i.id}", state, when, ",".join(i.roles), who, f"(invited by {i.created_by})"
                 if i.created_by else ""]  # fmt: skip
        echo("  ".join(p for p in parts if p))


@account_group.command("revoke")
@click.argument("invitation_id", metavar="ID", type=int)
@reviewer_option
@pass_output
def revoke_cmd(out: OutputContext, invitation_id: int, reviewer: str | None) -> None:
    """Make an unused invitation link stop working (ID from: reviewflow account invitations).

    Example:

    \b
        reviewflow account revoke 3
    """
    from .. import accounts

    with out.session(write=True, actor=reviewer):
        accounts.revoke_invitation(out.project(), invitation_id, by=acting(reviewer))
    echo(f"Invitation {invitation_id} revoked: its link no longer works.")
