"""``reviewflow init``, ``reviewflow status`` and ``reviewflow upgrade``."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import click
from rich.table import Table

from ..errors import InputError
from ..project import Project
from ..settings import CONFIG_NAME, DEFAULT_DATABASE_URL, Reviewer
from ..stages import status as status_stage
from . import cli
from ._output import (
    OutputContext,
    acting,
    echo,
    echo_json,
    markup_safe,
    pass_output,
    stdout_console,
)


def parse_reviewer(text: str) -> Reviewer:
    """A reviewer from INITIALS:Name[:role] (``init --reviewer``, ``reviewer add``)."""
    parts = [p.strip() for p in text.split(":")]
    if not parts[0]:
        raise InputError(
            f"reviewer {text!r} has no initials", hint="Write reviewers as INITIALS:Name[:role]."
        )
    try:
        return Reviewer(
            initials=parts[0],
            name=parts[1] if len(parts) > 1 else "",
            role=parts[2] if len(parts) > 2 and parts[2] else "reviewer",
        )
    except ValueError as exc:
        raise InputError(
            f"reviewer {text!r}: initials may hold only letters, digits, '-' and '_'",
            hint="Write reviewers as INITIALS:Name[:role], e.g. AB:Ann Baker.",
        ) from exc


_RULES = ("any_include", "unanimous_else_arbiter", "majority_else_arbiter")


def _plan_from_options(
    ta_reviewers: str | None,
    ta_second: str | None,
    ta_share: float | None,
    ta_arbiter: str | None,
    ta_rule: str | None,
    ft_reviewers: str | None,
    ft_arbiter: str | None,
    ft_rule: str | None,
    reasons: str | None,
) -> dict[str, Any] | None:
    """``[screening]`` from init's plan options, or None when none was given."""
    from .plan_cmds import split_initials, split_reasons

    given = (ta_reviewers, ta_second, ta_share, ta_arbiter, ta_rule, ft_reviewers, ft_arbiter,
             ft_rule, reasons)  # fmt: skip
    if all(v is None for v in given):
        return None
    ta: dict[str, Any] = {}
    ft: dict[str, Any] = {}
    for plan, key, value in (
        (ta, "reviewers", split_initials(ta_reviewers)),
        (ta, "second_reviewers", split_initials(ta_second)),
        (ta, "double_share", ta_share),
        (ta, "arbiter", next(iter(split_initials(ta_arbiter) or ()), None) if ta_arbiter else None),
        (ta, "rule", ta_rule),
        (ft, "reviewers", split_initials(ft_reviewers)),
        (ft, "arbiter", next(iter(split_initials(ft_arbiter) or ()), None) if ft_arbiter else None),
        (ft, "rule", ft_rule),
    ):
        if value is not None:
            plan[key] = value
    if ta.get("second_reviewers") and "double_share" not in ta:
        ta["double_share"] = 1.0
    out: dict[str, Any] = {"reasons": split_reasons(reasons) or [], "ta": ta}
    if ft:
        out["ft"] = {"rule": "unanimous_else_arbiter", "reason_required": True, **ft}
    return out


def _check_plan_names(plan: dict[str, Any], known: list[str]) -> None:
    """Every initial in init's plan options is one of its --reviewer options."""
    for stage in ("ta", "ft"):
        named = plan.get(stage, {})
        for key, option in (("reviewers", "reviewers"), ("second_reviewers", "second"),
                            ("arbiter", "arbiter")):  # fmt: skip
            value = named.get(key)
            values = [value] if isinstance(value, str) else list(value or [])
            unknown = [v for v in values if v not in known]
            if unknown:
                raise InputError(
                    f"--{stage}-{option} names {', '.join(unknown)}, who is not among the "
                    f"reviewers ({', '.join(known) or 'none given'})",
                    hint=f"Add --reviewer {unknown[0]}:Name, or correct the initials "
                    "(no project was created).",
                )


def _initials_proc(known: list[str], *, many: bool, blank_ok: bool) -> Any:
    """A click.prompt value_proc: known initials (re-asks with the list otherwise)."""
    from .plan_cmds import split_initials

    def proc(text: str) -> list[str]:
        values = split_initials(text) or []
        if not values and not blank_ok:
            raise click.BadParameter("give at least one reviewer's initials")
        unknown = [v for v in values if v not in known]
        if unknown:
            raise click.BadParameter(
                f"{', '.join(unknown)} is not a reviewer; choose from {', '.join(known)}"
            )
        if not many and len(values) > 1:
            raise click.BadParameter("give one reviewer's initials")
        return values

    return proc


def _ask_reviewers() -> list[Reviewer]:
    echo("Who is on the review team? One reviewer per line as INITIALS:Name; blank ends.")
    out: list[Reviewer] = []
    while True:
        text = click.prompt("Reviewer", default="", show_default=False).strip()
        if not text:
            return out
        try:
            out.append(parse_reviewer(text))
        except InputError as exc:
            echo(f"Error: {exc.message}", err=True)


def _ask_plan(reviewers: list[Reviewer]) -> dict[str, Any]:
    """The few questions every team answers before screening, with defaults to accept."""
    known = [r.initials for r in reviewers]

    def first_not_in(*taken: list[str]) -> str:
        used = {i for group in taken for i in group}
        return next((i for i in known if i not in used), "")

    def ask(text: str, default: str, *, many: bool = False, blank_ok: bool = False) -> list[str]:
        proc = _initials_proc(known, many=many, blank_ok=blank_ok)
        return click.prompt(text, default=default, value_proc=proc)

    echo("Screening plan (change it later with: reviewflow plan set).")
    ta = ask("Who screens every title/abstract (initials, comma-separated)", known[0], many=True)
    share_default = 1.0 if first_not_in(ta) else 0.0
    share = click.prompt(
        "Share of titles/abstracts screened a second time (0 to 1; 0.2 = a random 20 %)",
        default=share_default,
        type=click.FloatRange(0.0, 1.0),
    )
    second: list[str] = []
    if share > 0:
        second = ask("Who screens that share", first_not_in(ta), many=True)
    none = "none"
    arbiter = ask(
        "Who arbitrates title/abstract disagreements ('none': nobody)",
        first_not_in(ta, second) or none,
        blank_ok=True,
    )
    rule = click.prompt(
        "How title/abstract votes combine",
        default="unanimous_else_arbiter" if arbiter else "any_include",
        type=click.Choice(_RULES),
    )
    ft = ask("Who assesses every full text (initials, comma-separated)", ",".join(ta + second),
             many=True)  # fmt: skip
    ft_arbiter_default = arbiter[0] if arbiter and arbiter[0] not in ft else first_not_in(ft)
    ft_arbiter = ask(
        "Who arbitrates full-text disagreements ('none': nobody)",
        ft_arbiter_default or none,
        blank_ok=True,
    )
    reasons = click.prompt(
        'Exclusion reasons, separated by ";" (blank: set them later)',
        default="",
        show_default=False,
    )
    from .plan_cmds import split_reasons

    ta_plan: dict[str, Any] = {"reviewers": ta, "second_reviewers": second,
                               "double_share": share if second else 1.0, "rule": rule}  # fmt: skip
    ft_plan: dict[str, Any] = {"reviewers": ft, "rule": "unanimous_else_arbiter",
                               "reason_required": True}  # fmt: skip
    if arbiter:
        ta_plan["arbiter"] = arbiter[0]
    if ft_arbiter:
        ft_plan["arbiter"] = ft_arbiter[0]
    return {"reasons": split_reasons(reasons) or [], "ta": ta_plan, "ft": ft_plan}


@cli.command("init")
@click.argument("directory", type=click.Path(file_okay=False))
@click.option("--title", required=True, help="Review title.")
@click.option("--question", default="", help="The review question.")
@click.option(
    "--reviewer",
    "reviewers",
    multiple=True,
    help="A reviewer as INITIALS:Name[:role]; repeat for each.",
)
@click.option(
    "--database-url",
    default=DEFAULT_DATABASE_URL,
    show_default=True,
    help="SQLAlchemy URL; postgresql://user@host/db for a team server. "
    "Use ${VAR} for a password kept in the environment.",
)
@click.option("--ta-reviewers", help="Who screens every title/abstract, e.g. AB or AB,CD.")
@click.option("--ta-second", help="Who screens the double-screened share of titles/abstracts.")
@click.option(
    "--ta-share",
    type=click.FloatRange(0.0, 1.0),
    help="Share of titles/abstracts screened a second time (0.2 = a random 20 %; "
    "default 1 when --ta-second is given).",
)
@click.option("--ta-arbiter", help="Who decides title/abstract disagreements.")
@click.option("--ta-rule", type=click.Choice(_RULES), help="How title/abstract votes combine.")
@click.option("--ft-reviewers", help="Who assesses every full text, e.g. AB,CD.")
@click.option("--ft-arbiter", help="Who decides full-text disagreements.")
@click.option("--ft-rule", type=click.Choice(_RULES), help="How full-text votes combine.")
@click.option("--reasons", help='The exclusion reasons, separated by ";".')
@click.option(
    "--interactive/--no-interactive",
    default=None,
    help="Ask for the team and the screening plan (default: at a terminal, when no plan "
    "option is given).",
)
def init_cmd(
    directory: str,
    title: str,
    question: str,
    reviewers: tuple[str, ...],
    database_url: str,
    ta_reviewers: str | None,
    ta_second: str | None,
    ta_share: float | None,
    ta_arbiter: str | None,
    ta_rule: str | None,
    ft_reviewers: str | None,
    ft_arbiter: str | None,
    ft_rule: str | None,
    reasons: str | None,
    interactive: bool | None,
) -> None:
    """Create a review project: review.toml (team and screening plan) plus its database.

    Without plan options, at a terminal, it asks who screens what; the plan can be
    changed later with reviewflow plan set.

    Example:

    \b
        reviewflow init carers-review --title "Carers' experiences of respite" \\
            --reviewer "AB:Ann Baker" --reviewer "CD:Chris Dale" --reviewer "EF:Eve Ford" \\
            --ta-reviewers AB --ta-second CD --ta-share 0.2 --ta-arbiter EF \\
            --ft-reviewers AB,CD --ft-arbiter EF --reasons "not carers; not qualitative"
    """
    from ..config_edit import describe_plan, plan_warnings, validate

    team = [parse_reviewer(r) for r in reviewers]
    plan = _plan_from_options(ta_reviewers, ta_second, ta_share, ta_arbiter, ta_rule,
                              ft_reviewers, ft_arbiter, ft_rule, reasons)  # fmt: skip
    if interactive is None:
        interactive = plan is None and sys.stdin.isatty()
    if interactive and Path(directory, CONFIG_NAME).exists():
        interactive = False  # Project.create refuses it; do not ask questions first
    if interactive and not team:
        team = _ask_reviewers()
    if interactive and plan is None and team:
        plan = _ask_plan(team)
    if plan is not None:
        _check_plan_names(plan, [r.initials for r in team])
    try:
        settings = validate(
            {
                "title": title,
                "question": question,
                "reviewers": [r.model_dump() for r in team],
                "screening": plan,
                "database": {"url": database_url},
            }
        )
    except InputError as exc:
        message = exc.message  # name init's own options, not the command for later
        for stage in ("ta", "ft"):
            message = message.replace(f"reviewflow plan set --stage {stage} --", f"--{stage}-")
        raise InputError(message, hint="No project was created.") from None
    _warn_literal_password(database_url)
    project = Project.create(
        directory,
        title=title,
        question=question,
        reviewers=team,
        database_url=database_url,
        screening=settings.screening,
    )
    echo(f"Created project {title!r} in {project.root}")
    if settings.screening is not None:
        for line in describe_plan(settings):
            echo(line)
        for warning in plan_warnings(settings):
            echo(f"Note: {warning}", err=True)
    else:
        initials = [r.initials for r in team] or ["AB", "CD", "EF"]
        if not team:
            echo("No reviewers yet: add them with reviewflow reviewer add AB:Name")
        example = f"--stage ta --reviewers {initials[0]}"
        if len(initials) > 1:
            example += f" --second {initials[1]} --share 0.2"
        if len(initials) > 2:
            example += f" --arbiter {initials[2]}"
        echo(f"No screening plan yet: set it with reviewflow plan set {example}")
    echo(f"Next: cd {directory} && reviewflow search add --help")
    project.close()


def _warn_literal_password(url: str) -> None:
    """Say (on stderr, password masked) that review.toml would keep the password in clear."""
    from ..project import password_in_url

    suggested = password_in_url(url)
    if suggested is not None:
        echo(
            "Warning: the database URL holds a password, which review.toml keeps in clear "
            "(the file is made readable by you only). Better: keep it in the environment, "
            f"e.g. export RF_DB_PASSWORD=... and --database-url '{suggested}'",
            err=True,
        )


@cli.command("status")
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output on stdout.")
@pass_output
def status_cmd(out: OutputContext, as_json: bool) -> None:
    """Show records per search, per imported file and per stage.

    Example:

    \b
        reviewflow status --json
    """
    with out.session(write=False):
        st = status_stage.run(out.project())
    if as_json:
        echo_json(st.to_dict())
        return
    console = stdout_console()
    console.print(
        f"[bold]{markup_safe(st.title)}[/bold]  ({markup_safe(st.database)})", markup=True
    )
    if st.searches:
        table = Table(title="Searches")
        for col in ("id", "method", "source", "date", "returned", "imported"):
            table.add_column(col)
        for s in st.searches:
            table.add_row(
                str(s["id"]),
                s["method"],
                s["source"],
                s["date_searched"] or "",
                "" if s["records_returned"] is None else f"{s['records_returned']:,}",
                f"{s['records_imported']:,}",
            )
        console.print(table)
    if st.imports:
        table = Table(title="Imported files")
        for col in ("id", "file", "format", "search", "records", "warnings"):
            table.add_column(col)
        for i in st.imports:
            table.add_row(
                str(i["id"]),
                i["file"],
                i["format"],
                "" if i["search_id"] is None else str(i["search_id"]),
                f"{i['records']:,}",
                str(i["warnings"]),
            )
        console.print(table)
    table = Table(title="Progress by stage")
    table.add_column("stage")
    table.add_column("count", justify="right")
    for stage, n in st.stages.items():
        table.add_row(stage, f"{n:,}")
    console.print(table)
    for note in st.notes:
        console.print(note)


@cli.command("upgrade")
@pass_output
def upgrade_cmd(out: OutputContext) -> None:
    """Bring the project database up to this version of reviewflow.

    Run it after installing a new reviewflow when a command says the database was made
    by an older one (back up review.db first). Every other command only checks the
    version, which keeps them fast. Full texts an older reviewflow kept in files/ are
    copied into the blob store (blobs/).

    Example:

    \b
        reviewflow upgrade
    """
    from ..stages.retrieval import adopt_file_copies

    project = Project.open(out.project_dir, check_schema=False)
    try:
        before, after = project.upgrade()
        with project.session(actor=acting(None), write=True):  # on the upgraded schema
            copied = adopt_file_copies(project)
    finally:
        project.close()
    if before == after:
        echo(f"The database is up to date (schema {after}).")
    elif before is None:
        echo(f"Created the reviewflow tables (schema {after}).")
    else:
        echo(f"Upgraded the database from schema {before} to {after}.")
    if copied:
        echo(
            f"Copied {copied} full text{'s' if copied != 1 else ''} from files/ into the blob "
            "store (blobs/); files/ is no longer read and may be deleted."
        )
