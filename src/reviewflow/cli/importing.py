"""``reviewflow import FILE``."""

from __future__ import annotations

import json
from pathlib import Path

import click

from ..errors import InputError
from ..formats import FORMATS
from ..stages import importing
from . import cli
from ._output import OutputContext, echo_json, pass_output, progress_bar


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
@click.option("--force", is_flag=True, help="Import even if the same file was imported before.")
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
    text or tab-delimited), Scopus CSV, BibTeX, EndNote XML, CSV/TSV/XLSX.

    Example:

    \b
        reviewflow import embase.ris --search 1
        reviewflow import extra.xlsx --column-map "Article Title=title,Year=year"
    """
    project = out.project()
    with progress_bar(f"Importing {file.name}") as progress:
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
        return
    click.echo(
        f"Imported {result.records:,} records from {result.file} "
        f"({result.format}, {result.encoding}) as import {result.import_id}."
    )
    if result.warnings:
        click.echo(f"{len(result.warnings)} warning(s):")
        for w in result.warnings[:50]:
            click.echo(f"  {result.file}:{w.line or '-'}: {w.message}")
        if len(result.warnings) > 50:
            click.echo(f"  ... and {len(result.warnings) - 50} more (see --json)")
