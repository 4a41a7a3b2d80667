"""``reviewflow init``, ``reviewflow status`` and ``reviewflow upgrade``."""

from __future__ import annotations

import click
from rich.table import Table

from ..errors import InputError
from ..project import Project
from ..settings import DEFAULT_DATABASE_URL, Reviewer
from ..stages import status as status_stage
from . import cli
from ._output import OutputContext, echo_json, pass_output, stdout_console


def _parse_reviewer(text: str) -> Reviewer:
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
        raise InputError(f"reviewer {text!r}: {exc}") from exc


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
def init_cmd(
    directory: str, title: str, question: str, reviewers: tuple[str, ...], database_url: str
) -> None:
    """Create a review project: review.toml plus its database.

    Example:

    \b
        reviewflow init sp-review --title "Social prescribing for mental health" \\
            --reviewer "MC:M Cooper" --reviewer "CJ:C Jordan"
    """
    project = Project.create(
        directory,
        title=title,
        question=question,
        reviewers=[_parse_reviewer(r) for r in reviewers],
        database_url=database_url,
    )
    click.echo(f"Created project {title!r} in {project.root}")
    click.echo(f"Next: cd {directory} && reviewflow search add --help")
    project.close()


@cli.command("status")
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output on stdout.")
@pass_output
def status_cmd(out: OutputContext, as_json: bool) -> None:
    """Show records per search, per imported file and per stage.

    Example:

    \b
        reviewflow status --json
    """
    st = status_stage.run(out.project())
    if as_json:
        echo_json(st.to_dict())
        return
    console = stdout_console()
    console.print(f"[bold]{st.title}[/bold]  ({st.database})")
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
    version, which keeps them fast.

    Example:

    \b
        reviewflow upgrade
    """
    project = Project.open(out.project_dir, check_schema=False)
    try:
        before, after = project.upgrade()
    finally:
        project.close()
    if before == after:
        click.echo(f"The database is up to date (schema {after}).")
    elif before is None:
        click.echo(f"Created the reviewflow tables (schema {after}).")
    else:
        click.echo(f"Upgraded the database from schema {before} to {after}.")
