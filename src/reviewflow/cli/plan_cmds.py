"""``reviewflow plan show / set`` and ``reviewflow reviewer add / list / remove``.

They change the stored protocol (a new version in its history) and review.toml with it,
through :func:`reviewflow.protocol.change`, which keeps the team's comments and layout
and changes nothing when the change would be invalid.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import click

from ..errors import InputError
from . import cli
from ._output import REVIEWER_ENV, OutputContext, echo, echo_json, pass_output

if TYPE_CHECKING:
    from ..project import Project
    from ..protocol import Version


def _change(out: OutputContext, edit: Callable[[Any], None], source: str) -> Version | None:
    """Apply ``edit`` to the protocol: a new version (by $REVIEWFLOW_REVIEWER, if set) and
    review.toml updated in place."""
    from .. import protocol

    project = out.project()
    # One unit of work; who changed it is recorded from REVIEWFLOW_REVIEWER as before
    # (the session itself names no actor: the team may be what is being changed).
    with project.session(write=True):
        return protocol.change(
            project, edit, source=source, changed_by=os.environ.get(REVIEWER_ENV) or None
        )


def _team_change(
    out: OutputContext, change: Callable[[Project, str | None], object]
) -> Version | None:
    """Run a :mod:`reviewflow.team` change in one session; the protocol version it made.

    Who changed it is recorded from REVIEWFLOW_REVIEWER, as for every protocol change."""
    from .. import protocol

    project = out.project()
    with project.session(write=True) as session:
        before = protocol.latest(session.conn)
        change(project, os.environ.get(REVIEWER_ENV) or None)
        after = protocol.latest(session.conn)
    if after is None or (before is not None and after.version == before.version):
        return None
    return after


def _echo_version(made: Version | None) -> None:
    if made is None:
        echo("Nothing changed: the protocol already says so.")
    else:
        echo(f"Protocol version {made.version}; review.toml updated (history: reviewflow "
             "protocol history)")  # fmt: skip


def split_initials(text: str | None) -> list[str] | None:
    """'AB, CD' -> ['AB', 'CD']; '' or 'none' -> []; None stays None (not given)."""
    if text is None:
        return None
    if text.strip().lower() in ("", "none", "-"):
        return []
    return [part.strip() for part in text.replace(";", ",").split(",") if part.strip()]


def split_reasons(text: str | None) -> list[str] | None:
    if text is None:
        return None
    return [part.strip() for part in text.split(";") if part.strip()]


def _echo_warnings(settings: object) -> None:
    from ..config_edit import plan_warnings

    for warning in plan_warnings(settings):  # type: ignore[arg-type]
        echo(f"Note: {warning}", err=True)


@cli.group("plan")
def plan_group() -> None:
    """See and change the screening plan (who screens what) without editing review.toml.

    Example:

    \b
        reviewflow plan show
        reviewflow plan set --stage ta --reviewers AB --second CD --share 0.2 --arbiter EF
    """


@plan_group.command("show")
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output on stdout.")
@pass_output
def plan_show_cmd(out: OutputContext, as_json: bool) -> None:
    """Show both stages' plans and the exclusion reasons.

    Example:

    \b
        reviewflow plan show
    """
    from ..config_edit import describe_plan

    settings = out.project().settings
    if as_json:
        screening = settings.screening
        echo_json(None if screening is None else screening.model_dump(mode="json"))
        return
    for line in describe_plan(settings):
        echo(line)
    if settings.screening is None:
        echo(
            "Set it with: reviewflow plan set --stage ta --reviewers AB --second CD "
            "--share 0.2 --arbiter EF"
        )


@plan_group.command("set")
@click.option(
    "--stage",
    type=click.Choice(["ta", "ft"]),
    help="ta (titles/abstracts) or ft (full texts); needed for every option but --reasons.",
)
@click.option("--reviewers", help="Who screens every item, e.g. AB or AB,CD.")
@click.option("--second", help="Who screens the double-screened share, e.g. CD ('none': nobody).")
@click.option(
    "--share",
    type=click.FloatRange(0.0, 1.0),
    help="Share of items screened a second time, 0 to 1 (e.g. 0.2; 1 = every item).",
)
@click.option("--arbiter", help="Who decides disagreements ('none': nobody).")
@click.option("--rule", type=click.Choice(["any_include", "unanimous_else_arbiter",
              "majority_else_arbiter"]), help="How votes become a result.")  # fmt: skip
@click.option("--seed", type=int, help="Seed of the double-screened sample (keep it fixed).")
@click.option(
    "--reason-required/--no-reason-required", default=None, help="Must an exclusion give a reason?"
)
@click.option(
    "--ranking/--no-ranking", default=None, help="Title/abstract: show records by relevance."
)
@click.option(
    "--stopping-rule",
    type=click.Choice(["arrival", "sampling"]),
    help="Title/abstract with ranking: the stopping rule that decides (arrival: models how "
    "includes arrive along the ranking; sampling: the random-sampling test).",
)
@click.option("--reasons", help='The exclusion reasons, separated by ";" (replaces the list).')
@click.option("--add-reason", "add_reasons", multiple=True, help="Add one exclusion reason.")
@click.option(
    "--highlight-include",
    help='Terms shown green while screening, separated by ";" (replaces the list).',
)
@click.option(
    "--highlight-exclude",
    help='Terms shown red while screening, separated by ";" (replaces the list).',
)
@pass_output
def plan_set_cmd(
    out: OutputContext,
    stage: str | None,
    reviewers: str | None,
    second: str | None,
    share: float | None,
    arbiter: str | None,
    rule: str | None,
    seed: int | None,
    reason_required: bool | None,
    ranking: bool | None,
    stopping_rule: str | None,
    reasons: str | None,
    add_reasons: tuple[str, ...],
    highlight_include: str | None,
    highlight_exclude: str | None,
) -> None:
    """Change the screening plan in review.toml (comments kept; an invalid change writes
    nothing). Options not given stay as they are.

    Example:

    \b
        reviewflow plan set --stage ta --reviewers AB --second CD --share 0.2 --arbiter EF
        reviewflow plan set --stage ft --reviewers AB,CD --arbiter EF \\
            --rule unanimous_else_arbiter
        reviewflow plan set --reasons "not carers; not qualitative; not UK"
        reviewflow plan set --highlight-include "carer*; peer" --highlight-exclude "trial"
    """
    from ..config_edit import describe_plan, set_reasons, set_stage_plan

    stage_values = (
        reviewers, second, share, arbiter, rule, seed, reason_required, ranking, stopping_rule
    )  # fmt: skip
    if stage is None and any(v is not None for v in stage_values):
        raise InputError(
            "say which stage to change", hint="Add --stage ta (titles/abstracts) or --stage ft."
        )
    highlights = {"highlight_include": highlight_include, "highlight_exclude": highlight_exclude}
    if (
        stage is None
        and reasons is None
        and not add_reasons
        and highlights == dict.fromkeys(highlights)
    ):
        raise InputError(
            "nothing to change",
            hint="e.g. reviewflow plan set --stage ta --reviewers AB --second CD --share 0.2",
        )
    if (ranking is not None or stopping_rule is not None) and stage == "ft":
        raise InputError(
            "ranking and its stopping rule apply to title/abstract screening only",
            hint="Use --stage ta.",
        )

    def change(doc: object) -> None:
        if stage is not None:
            set_stage_plan(
                doc,  # type: ignore[arg-type]
                stage,
                reviewers=split_initials(reviewers),
                second=split_initials(second),
                share=share,
                arbiter=None if arbiter is None else ",".join(split_initials(arbiter) or []),
                rule=rule,
                seed=seed,
                reason_required=reason_required,
                ranking=ranking,
                stopping_rule=stopping_rule,
            )
        if reasons is not None or add_reasons:
            current = split_reasons(reasons)
            if current is None:
                current = list(doc.get("screening", {}).get("reasons", []))  # type: ignore[attr-defined]
            set_reasons(doc, [*current, *add_reasons])  # type: ignore[arg-type]
        for key, terms in highlights.items():
            if terms is not None:
                set_reasons(doc, split_reasons(terms) or [], key=key)  # type: ignore[arg-type]

    made = _change(out, change, "plan set")
    settings = out.project().settings
    echo("Updated the screening plan.")
    _echo_version(made)
    for line in describe_plan(settings):
        echo(line)
    _echo_warnings(settings)
    if stage is not None:
        _note_if_screening_began(out, stage)


def _note_if_screening_began(out: OutputContext, stage: str) -> None:
    """A plan changed under cast votes is refused at the next vote; say so now."""
    from ..stages.screening.decisions import plan_changed_since_screening_began

    project = out.project()
    with project.session(write=False):
        changed = plan_changed_since_screening_began(project, stage)
    if changed:
        echo(
            "Note: screening of this stage has begun under the previous plan; accept the new "
            f"one with: reviewflow screen replan --stage {stage} --reviewer INITIALS",
            err=True,
        )


@cli.group("reviewer")
def reviewer_group() -> None:
    """The review team: list, add or remove reviewers without editing review.toml.

    Example:

    \b
        reviewflow reviewer add "XY:Xavier Young"
        reviewflow reviewer add "LE:L Evans" --role viewer
        reviewflow reviewer list
    """


_ROLE = click.Choice(["owner", "reviewer", "arbiter", "viewer"])


@reviewer_group.command("add")
@click.argument("reviewers", nargs=-1, required=True)
@click.option("--role", "roles", type=_ROLE, multiple=True,
              help="What they may do (default reviewer); repeat for several. Given for "
              "someone on the team already, adds the role.")  # fmt: skip
@click.option("--email", help="Their e-mail (one reviewer at a time).")
@pass_output
def reviewer_add_cmd(
    out: OutputContext, reviewers: tuple[str, ...], roles: tuple[str, ...], email: str | None
) -> None:
    """Add reviewers, each as INITIALS:Name[:what they do], or give one a role.

    The first member of a team without an owner becomes its owner.

    Example:

    \b
        reviewflow reviewer add "XY:Xavier Young" "LE:L Evans:information scientist"
        reviewflow reviewer add "LA:L Avery" --role arbiter --email la@example.org
        reviewflow reviewer add XY --role owner
    """
    from .. import team
    from .project_cmds import parse_reviewer

    if email and len(reviewers) > 1:
        raise InputError("--email names one reviewer's address", hint="Add them one at a time.")
    parsed = [parse_reviewer(r) for r in reviewers]
    before = out.project().settings.team_roles()
    made = _team_change(
        out,
        lambda project, by: team.add_members(
            project, parsed, roles=roles or ("reviewer",), email=email, by=by
        ),
    )
    now = out.project().settings.team_roles()
    for r in parsed:
        held = ", ".join(sorted(now.get(r.initials, ())))
        if r.initials in before:
            echo(f"{r.initials} now holds: {held}")
        else:
            echo(f"Added reviewer {r.initials}" + (f" ({r.name})" if r.name else "") + f": {held}")
    _echo_version(made)


@reviewer_group.command("list")
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output on stdout.")
@pass_output
def reviewer_list_cmd(out: OutputContext, as_json: bool) -> None:
    """List the team: initials, name, what they do and their roles.

    Example:

    \b
        reviewflow reviewer list
    """
    from ..people import team

    project = out.project()
    with project.session(write=False) as session:
        members = team(session.conn)
    listed = {r.initials: r for r in project.settings.reviewers}
    rows: list[dict[str, Any]] = [
        {
            "initials": u.initials,
            "name": u.name,
            "email": u.email,
            "role": listed[u.initials].role if u.initials in listed else "",
            "roles": sorted(u.roles),
        }
        for u in members
    ]
    if as_json:
        echo_json(rows)
        return
    if not rows:
        echo("No reviewers yet. Add one with: reviewflow reviewer add XY:Name")
    for row in rows:
        what = row["role"] if row["role"] != "reviewer" else ""  # the default says nothing
        parts = [row["initials"], row["name"], row["email"] or "", what]
        echo("  ".join(str(x) for x in parts if x) + f"  [{', '.join(row['roles'])}]")


@reviewer_group.command("remove")
@click.argument("initials")
@click.option("--role", "roles", type=_ROLE, multiple=True,
              help="Take only this role from them (repeat for several).")  # fmt: skip
@pass_output
def reviewer_remove_cmd(out: OutputContext, initials: str, roles: tuple[str, ...]) -> None:
    """Take a reviewer who is in no screening plan off the team, or take one role.

    Their decisions, votes and codings stay, under their initials.

    Example:

    \b
        reviewflow reviewer remove XY
        reviewflow reviewer remove LA --role owner
    """
    from .. import team

    made = _team_change(
        out, lambda project, by: team.remove_member(project, initials, roles=roles, by=by)
    )
    if roles:
        echo(f"{initials} no longer holds the role {', '.join(roles)}")
    else:
        echo(f"Removed reviewer {initials} (their decisions stay)")
    _echo_version(made)
