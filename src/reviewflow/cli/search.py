"""``reviewflow search add|list``: the PRISMA-S search log."""

from __future__ import annotations

from pathlib import Path

import click
from rich.table import Table

from ..errors import InputError
from ..stages import searches
from . import cli
from ._output import OutputContext, echo, echo_json, pass_output, stdout_console


@cli.group("search")
def search_group() -> None:
    """Log database searches and other identification methods (PRISMA-S)."""


@search_group.command("add")
@click.option("--database", "source", required=True, help="Database or source searched.")
@click.option(
    "--method",
    type=click.Choice(searches.METHODS),
    default="database",
    show_default=True,
    help="How the records were found.",
)
@click.option("--platform", help="Platform or interface, e.g. Ovid, EBSCOhost, Wiley.")
@click.option("--searched-with", help="Databases searched together in this run.")
@click.option("--date", "date_searched", help="Date searched, YYYY-MM-DD.")
@click.option("--searcher", help="Who ran the search.")
@click.option("--query", help="The exact query (use --query-file for multi-line queries).")
@click.option(
    "--query-file",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="File holding the exact query, kept verbatim.",
)
@click.option("--limits", help="Limits and filters applied (language, dates, ...).")
@click.option("--records", "records_returned", type=click.IntRange(min=0), help="Records returned.")
@click.option(
    "--file",
    "export_file",
    type=click.Path(dir_okay=False, path_type=Path),
    help="The exported file; its name and sha256 are logged.",
)
@click.option("--format", "file_format", help="Format of the exported file (ris, nbib, ...).")
@click.option("--update-of", type=int, help="Id of the earlier search this one updates.")
@click.option("--notes", help="Anything else a reader of the methods needs.")
@click.option("--json", "as_json", is_flag=True, help="Print the new search as JSON.")
@pass_output
def add_cmd(
    out: OutputContext,
    query: str | None,
    query_file: Path | None,
    export_file: Path | None,
    as_json: bool,
    **fields: object,
) -> None:
    """Log one search run.

    Example:

    \b
        reviewflow search add --database Embase --platform Ovid --date 2022-03-21 \\
            --searcher LE --query-file embase-query.txt --limits "English; humans" \\
            --records 12034 --file embase.ris
        reviewflow search add --method "citation searching" --database "Google Scholar" \\
            --records 109
    """
    if query and query_file:
        raise InputError("give the query either with --query or with --query-file, not both")
    if query_file is not None:
        query = query_file.read_text(encoding="utf-8-sig")
    entry = searches.SearchEntry(query=query, **fields)  # type: ignore[arg-type]
    project = out.project()
    with out.session(write=True):
        search_id = searches.add(project, entry, export_file=export_file)
        linked = searches.link_imported_file(project, search_id) if export_file else []
        logged = searches.get(project, search_id)
    if as_json:
        echo_json(logged)
        return
    echo(f"Logged search {search_id}: {entry.source}")
    for line in linked:
        echo(line)
    if export_file is not None and not linked:
        echo(f"Next: reviewflow import {export_file} --search {search_id}")


@search_group.command("list")
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output on stdout.")
@click.option("--full", is_flag=True, help="Show the full queries.")
@pass_output
def list_cmd(out: OutputContext, as_json: bool, full: bool) -> None:
    """List the search log.

    Example:

    \b
        reviewflow search list --json
    """
    with out.session(write=False):
        rows = searches.list_all(out.project())
    if as_json:
        echo_json(rows)
        return
    if not rows:
        echo("No searches logged yet. Add one with: reviewflow search add --help")
        return
    table = Table(title="Search log")
    for col in ("id", "method", "source", "platform", "date", "searcher", "records", "file"):
        table.add_column(col)
    if full:
        table.add_column("query")
    for r in rows:
        cells = [
            str(r["id"]),
            r["method"],
            r["source"],
            r["platform"] or "",
            r["date_searched"] or "",
            r["searcher"] or "",
            "" if r["records_returned"] is None else f"{r['records_returned']:,}",
            r["file_name"] or "",
        ]
        if full:
            cells.append(r["query"] or "")
        table.add_row(*cells)
    stdout_console().print(table)
