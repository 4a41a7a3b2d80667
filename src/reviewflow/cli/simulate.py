"""``reviewflow simulate FILE``: replay ranked screening on a labelled set."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import click
from rich.table import Table

from ..ranking.simulate import simulate_file
from . import cli
from ._output import echo, progress_bar, stdout_console

_COLUMNS = (
    ("wss@95", "WSS@95", ".3f"),
    ("recall@10", "recall@10%", ".3f"),
    ("n@95", "n@95", ".0f"),
    ("n@100", "n@100", ".0f"),
    ("erf@10", "ERF@10%", ".3f"),
)


@cli.command("simulate")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--label-column", default="label_included", show_default=True,
              help="The 0/1 inclusion column.")  # fmt: skip
@click.option("--seeds", type=click.IntRange(1, 100), default=5, show_default=True,
              help="Prior draws (1 random include + 1 random exclude each).")  # fmt: skip
@click.option("--json", "json_out", type=click.Path(dir_okay=False, path_type=Path),
              help="Write the per-seed and mean metrics (and orders) as JSON here.")  # fmt: skip
@click.option("--order", "order_out", type=click.Path(dir_okay=False, path_type=Path),
              help="Write the labelling order of every seed as CSV (seed, rank, row).")  # fmt: skip
def simulate_cmd(
    file: Path, label_column: str, seeds: int, json_out: Path | None, order_out: Path | None
) -> None:
    """Replay title/abstract screening with reviewflow's ranker on a labelled CSV.

    Reports WSS@95, recall@10%, n@95, n@100 and ERF@10% per seed and their mean, as
    defined for the shared benchmark sets (priors are not counted).

    Example:

    \b
        reviewflow simulate records.csv.gz --label-column label_included --seeds 5 \\
            --json sim.json --order order.csv
    """
    with progress_bar("Simulating") as progress:
        result = simulate_file(file, label_column=label_column, seeds=seeds, progress=progress)
    table = Table(
        title=f"{file.name}: {result['records']:,} records, {result['included']} included"
    )
    table.add_column("seed")
    for _, label, _ in _COLUMNS:
        table.add_column(label, justify="right")
    table.add_column("seconds", justify="right")
    for run in result["runs"]:
        table.add_row(str(run["seed"]), *[format(run[k], f) for k, _, f in _COLUMNS],
                      f"{run['seconds']:.1f}")  # fmt: skip
    table.add_row("mean", *[format(result["mean"][k], f) for k, _, f in _COLUMNS], "",
                  style="bold")  # fmt: skip
    stdout_console().print(table)
    if json_out is not None:
        json_out.write_text(json.dumps(result, indent=2), encoding="utf-8")
        echo(f"Wrote {json_out}")
    if order_out is not None:
        with order_out.open("w", encoding="utf-8", newline="") as fh:
            writer = csv.writer(fh)
            writer.writerow(["seed", "rank", "row", "prior"])
            for run in result["runs"]:
                for prior in run["priors"]:
                    writer.writerow([run["seed"], 0, prior, 1])
                for rank, row in enumerate(run["order"], start=1):
                    writer.writerow([run["seed"], rank, row, 0])
        echo(f"Wrote {order_out}")
