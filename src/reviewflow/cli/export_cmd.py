"""``reviewflow export FILE``."""

from __future__ import annotations

from pathlib import Path

import click

from ..stages.importing import exporting
from . import cli
from ._output import OutputContext, echo, pass_output


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
    n = exporting.run(out.project(), file, format=fmt, import_id=import_id)
    echo(f"Wrote {n:,} records to {file}")
