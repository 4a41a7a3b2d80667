"""``reviewflow import FILE``, ``reviewflow imports list|link|remove`` and ``reviewflow export``."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click
from rich.table import Table

from ..errors import InputError, NextAction, StateError
from ..formats import FORMATS
from ..stages import importing
from ..stages.importing import changes as imports
from ..stages.importing import exporting
from . import cli
from ._output import OutputContext, echo, echo_json, pass_output, progress_bar, stdout_console


def _column_map(value: str | None) -> dict[str, str] | None:
    if value is None:
        return None
    path = Path(value)
    text = path.read_text(encoding="utf-8") if path.is_file() else value
    try:
        mapping = json.loads(text)
    except json.JSONDecodeError:
        mapping = {}
        for part in text.split(","):
            if "=" not in part:
                raise InputError(
                    f"column map entry {part!r} is not COLUMN=field",
                    hint='Write e.g. --column-map "Article Title=title,Publication Year=year".',
                ) from None
            column, field = part.split("=", 1)
            mapping[column.strip()] = field.strip()
    if not isinstance(mapping, dict):
        raise InputError("the column map must be a JSON object or COLUMN=field pairs")
    return {str(k): str(v) for k, v in mapping.items()}


@cli.command("import")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@click.option(
    "--search", "search_id", type=int, help="Id of the logged search this file came from."
)
@click.option(
    "--format",
    "fmt",
    type=click.Choice(list(FORMATS)),
    help="Override the format detected from the content.",
)
@click.option(
    "--column-map",
    help="For CSV/TSV/XLSX: COLUMN=field pairs, comma-separated, or a JSON file/object.",
)
@click.option(
    "--force",
    is_flag=True,
    help="Import the same file again although it was imported before: its records are "
    "stored, and counted by PRISMA, a second time. To attach an earlier import to its "
    "search use reviewflow imports link; to take one out, reviewflow imports remove.",
)
@click.option("--json", "as_json", is_flag=True, help="Print the parse report as JSON.")
@pass_output
def import_cmd(
    out: OutputContext,
    file: Path,
    search_id: int | None,
    fmt: str | None,
    column_map: str | None,
    force: bool,
    as_json: bool,
) -> None:
    """Import a database export; the whole file or nothing.

    The format is detected from the content: RIS, PubMed/nbib, Web of Science (plain
    text or tab-delimited), Scopus CSV, BibTeX, EndNote XML, CSV/TSV/XLSX. Without
    --search, the file is linked to the logged search whose --file has the same content;
    link it later with: reviewflow imports link.

    Example:

    \b
        reviewflow import embase.ris --search 1
        reviewflow import extra.xlsx --column-map "Article Title=title,Year=year"
    """
    project = out.project()
    # One session: the whole file or nothing, and the "imported before?" check cannot race.
    with progress_bar(f"Importing {file.name}") as progress, out.session(write=True):
        result = importing.run(
            project,
            file,
            search_id=search_id,
            format=fmt,
            column_map=_column_map(column_map),
            force=force,
            progress=progress,
        )
    if as_json:
        echo_json(result.to_dict())
        if result.search_id is None:
            echo(_unlinked_warning(result), err=True)
        return
    echo(
        f"Imported {result.records:,} records from {result.file} "
        f"({result.format}, {result.encoding}) as import {result.import_id}."
    )
    _echo_search_link(result)
    if result.warnings:
        echo(f"{len(result.warnings)} warning(s):")
        for w in result.warnings[:50]:
            echo(f"  {result.file}:{w.line or '-'}: {w.message}")
        if len(result.warnings) > 50:
            echo(f"  ... and {len(result.warnings) - 50} more (see --json)")


def _unlinked_warning(result: importing.ImportResult) -> str:
    return (
        f"Warning: {result.file} is not linked to a logged search, so PRISMA counts its "
        f"{result.records:,} records as 'Imported without a logged search'. Log the search "
        f"(reviewflow search add ... --file {result.file}) or find it (reviewflow search "
        f"list), then link this import: reviewflow imports link {result.import_id} "
        "--search SEARCH_ID"
    )


def _echo_search_link(result: importing.ImportResult) -> None:
    if result.linked_by_sha256:
        echo(
            f"Linked to search {result.search_id}: its logged file has the same content "
            f"(sha256 {result.sha256[:12]}...)."
        )
    for notice in result.notices:
        echo(f"Warning: {notice}", err=True)
    if result.search_id is None:
        echo(_unlinked_warning(result), err=True)


# -- reviewflow imports ---------------------------------------------------------------------


@cli.group("imports")
def imports_group() -> None:
    """List imported files, link one to its search, or remove a mistaken one.

    Example:

    \b
        reviewflow imports list
        reviewflow imports link 3 --search 2
        reviewflow imports remove 4
    """


@imports_group.command("list")
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output on stdout.")
@pass_output
def list_cmd(out: OutputContext, as_json: bool) -> None:
    """List the imports, and the history of links and removals.

    Example:

    \b
        reviewflow imports list
    """
    project = out.project()
    with out.session(write=False):
        rows = imports.list_all(project)
        events = imports.history(project)
    if as_json:
        echo_json({"imports": rows, "history": events})
        return
    if not rows:
        echo("No imports yet. Import a file with: reviewflow import FILE --search ID")
    else:
        table = Table(title="Imported files")
        for col in ("id", "file", "format", "search", "records"):
            table.add_column(col)
        for i in rows:
            search = "-" if i["search_id"] is None else str(i["search_id"])
            table.add_row(str(i["id"]), i["file"], i["format"], search, f"{i['records']:,}")
        stdout_console().print(table)
    for e in events:
        echo(_history_line(e))


def _history_line(e: dict) -> str:
    who = e["reviewer"] or (f"account {e['account']}" if e["account"] else "unknown")
    when = e["created_at"].strftime("%Y-%m-%d %H:%M") if e["created_at"] else ""
    if e["action"] == "link":
        before = (
            "" if e["previous_search_id"] is None else f" (was search {e['previous_search_id']})"
        )
        what = f"linked to search {e['search_id']}{before}"
    else:
        counts = e["details"].get("counts", {})
        what = f"removed with its {counts.get('records', 0):,} records"
    return (
        f"{when}  import {e['import_id']} {e['file_name']} (sha256 {e['file_sha256'][:12]}...) "
        f"{what}, by {who}"
    )


@imports_group.command("link")
@click.argument("import_id", type=int)
@click.option("--search", "search_id", type=int, required=True, help="Id of the logged search.")
@click.option("--replace", is_flag=True, help="Move it from the search it is linked to now.")
@click.option("--reviewer", help="Your initials, kept in the project's history.")
@click.option("--json", "as_json", is_flag=True, help="Print the result as JSON.")
@pass_output
def link_cmd(
    out: OutputContext,
    import_id: int,
    search_id: int,
    replace: bool,
    reviewer: str | None,
    as_json: bool,
) -> None:
    """Link an imported file to the search it came from, without importing it again.

    Example:

    \b
        reviewflow imports link 3 --search 2
        reviewflow imports link 3 --search 4 --replace
    """
    with out.session(write=True, actor=reviewer):
        result = imports.link(
            out.project(), import_id, search_id=search_id, replace=replace, reviewer=reviewer
        )
    for warning in result.warnings:
        echo(f"Warning: {warning}", err=True)
    if as_json:
        echo_json(result.to_dict())
    elif not result.changed:
        echo(f"Import {import_id} ({result.file}) is already linked to {result.search}.")
    else:
        before = (
            ""
            if result.previous_search_id is None
            else f" (was search {result.previous_search_id})"
        )
        echo(f"Linked import {import_id} ({result.file}) to {result.search}{before}.")


@imports_group.command("remove")
@click.argument("import_id", type=int)
@click.option("--yes", is_flag=True, help="Do not ask for confirmation (for scripts).")
@click.option("--reviewer", help="Your initials, kept in the project's history.")
@click.option("--json", "as_json", is_flag=True, help="Print what was removed as JSON.")
@pass_output
def remove_cmd(
    out: OutputContext, import_id: int, yes: bool, reviewer: str | None, as_json: bool
) -> None:
    """Remove a mistaken import: its records and everything that depends on them.

    Shows what will go (records, duplicate links, screening decisions, reports, ...) and
    asks first. Everything goes in one step or nothing does, and the removal is kept in
    the project's history (reviewflow imports list).

    Example:

    \b
        reviewflow imports remove 4
        reviewflow imports remove 4 --yes --reviewer AB
    """
    project = out.project()
    with out.session(write=False, actor=reviewer):  # no lock held while the user decides
        plan = imports.plan_removal(project, import_id)
    echo(f"Removing import {import_id} ({plan.file}) takes out:", err=as_json)
    for line in plan.lines():
        echo(f"  {line}", err=as_json)
    for note in plan.notes:
        echo(f"Note: {note}", err=True)
    for warning in plan.warnings:
        click.secho(f"WARNING: {warning}", err=True, fg="red", bold=True)
    if not yes:
        if not _interactive():
            raise StateError(
                f"import {import_id} was not removed: removing needs a confirmation",
                next=NextAction(
                    text="Run it in a terminal, or add --yes.",
                    command=f"reviewflow imports remove {import_id} --yes",
                ),
            )
        question = (
            "Remove it?"
            if not plan.decisions
            else (f"Delete {plan.decisions:,} screening decisions of the team with it?")
        )
        if not click.confirm(question, default=False):
            echo("Nothing was removed.")
            return
    with out.session(write=True, actor=reviewer):  # refused if the project changed since
        done = imports.remove(project, import_id, reviewer=reviewer, expected=plan)
    if as_json:
        echo_json(done.to_dict())
        return
    echo(
        f"Removed import {import_id} ({done.file}, {done.records:,} records); "
        "the removal is kept in the project's history (reviewflow imports list)."
    )
    if done.regrouped:
        echo("Next: reviewflow dedup groups (to look at the re-linked duplicates)")


def _interactive() -> bool:
    """A person can answer the confirmation (not a script, not a pipe)."""
    return sys.stdin.isatty()


@cli.command("export")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@click.option(
    "--format",
    "fmt",
    type=click.Choice(exporting.EXPORT_FORMATS),
    help="Default: from FILE's extension.",
)
@click.option("--import", "import_id", type=int, help="Only the records of this import.")
@pass_output
def export_cmd(out: OutputContext, file: Path, fmt: str | None, import_id: int | None) -> None:
    """Write the project's records as RIS or CSV.

    Example:

    \b
        reviewflow export all-records.ris
        reviewflow export embase.csv --import 1
    """
    with out.session(write=False):
        n = exporting.run(out.project(), file, format=fmt, import_id=import_id)
    echo(f"Wrote {n:,} records to {file}")
