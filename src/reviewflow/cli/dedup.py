"""``reviewflow dedup``: link duplicates, review uncertain pairs, undo."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

import click
from rich.table import Table

from ..stages.dedup import project as dedup_project
from ..stages.dedup import sheet as dedup_csv
from . import cli
from ._output import (
    OutputContext,
    acting,
    echo,
    echo_json,
    pass_output,
    progress_bar,
    stdout_console,
)

if TYPE_CHECKING:
    from ..project import Project


@cli.group("dedup", invoke_without_command=True)
@click.option("--json", "as_json", is_flag=True, help="Print the run summary as JSON.")
@pass_output
@click.pass_context
def dedup_group(ctx: click.Context, out: OutputContext, as_json: bool) -> None:
    """Find duplicate records and link them to one canonical record (nothing is deleted).

    Without a subcommand, runs deduplication on the records imported since the last run.

    Example:

    \b
        reviewflow dedup
        reviewflow dedup review --reviewer MC
        reviewflow dedup undo 1234
    """
    if ctx.invoked_subcommand is not None:
        return
    with progress_bar("Deduplicating") as progress, out.session(write=True):
        result = dedup_project.run(out.project(), progress=progress)  # all or nothing
    if as_json:
        echo_json(result.to_dict())
        return
    if result.run_id is None:
        if result.records_considered == 0:
            echo("No records to deduplicate yet. Import some with: reviewflow import FILE")
        else:
            echo(f"No new records since the last run; {result.duplicates_removed:,} linked.")
        return
    earlier = result.records_considered - result.new_records
    compared = (
        f"Compared {result.new_records:,} new records with each other and the {earlier:,} "
        "already deduplicated"
        if earlier
        else f"Compared all {result.new_records:,} records with each other"
    )
    echo(
        f"{compared}: "
        f"{result.links_added:,} links added, {result.duplicates_removed:,} duplicates linked "
        f"in all, {result.queued:,} pairs for a person to review."
    )
    for category, n in result.related.items():
        echo(f"  related ({category.replace('_', ' ')}): {n:,} pairs")
    if result.queued:
        echo("Next: reviewflow dedup review  (or: reviewflow dedup export-queue pairs.csv)")


@dedup_group.command("groups")
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output on stdout.")
@pass_output
def groups_cmd(out: OutputContext, as_json: bool) -> None:
    """List the duplicate groups with the evidence of each link.

    Example:

    \b
        reviewflow dedup groups --json
    """
    with out.session(write=False):
        groups = dedup_project.groups(out.project())
    if as_json:
        echo_json(
            [
                {
                    "canonical": g.canonical.id,
                    "title": g.canonical.title,
                    "duplicates": [
                        {
                            "record": r.id,
                            "method": ev["method"],
                            "rule": ev["rule"],
                            "scores": ev["scores"],
                        }
                        for r, ev in g.duplicates
                    ],
                }
                for g in groups
            ]
        )
        return
    table = Table(title=f"{len(groups):,} duplicate groups")
    for col in ("canonical", "duplicates", "how", "title"):
        table.add_column(col)
    for g in groups:
        table.add_row(
            str(g.canonical.id),
            ", ".join(str(r.id) for r, _ in g.duplicates),
            ", ".join(sorted({f"{ev['method']}:{ev['rule']}" for _, ev in g.duplicates})),
            (g.canonical.title or "")[:80],
        )
    stdout_console().print(table)


@dedup_group.command("undo")
@click.argument("record_id", type=int)
@click.option("--reviewer", help="Initials of the person undoing the group.")
@pass_output
def undo_cmd(out: OutputContext, record_id: int, reviewer: str | None) -> None:
    """Unlink the duplicate group a record belongs to.

    Example:

    \b
        reviewflow dedup undo 1234 --reviewer MC
    """
    with out.session(write=True, actor=reviewer):
        unlinked = dedup_project.undo(out.project(), record_id, reviewer=reviewer)
    echo(f"Unlinked {len(unlinked)} record(s): {', '.join(map(str, unlinked))}")


def _show_pair(item: dedup_project.QueueItem, position: str) -> None:
    title = (
        f"Pair {position} — {item.category.replace('_', ' ')} ({item.rule}), "
        f"uncertainty {item.uncertainty:.2f}"
    )
    table = Table(title=title, show_lines=True)
    table.add_column("differs")
    table.add_column(f"record {item.a.id}")
    table.add_column(f"record {item.b.id}")
    differences = item.differences()
    for label, fa, fb in differences:
        table.add_row(label, fa, fb)
    if differences:
        stdout_console().print(table)
    else:
        echo(f"{title}: the records show no difference in the fields below.")
    same = item.same_fields()
    if same:
        echo(f"Same in both: {', '.join(same)}")
        if "title" in same and not differences:
            echo(f"  title: {item.a.title}")
    echo("d = duplicate   n = not a duplicate   s = skip   q = quit")


def review_loop(
    project: Project,
    items: list[dedup_project.QueueItem],
    *,
    reviewer: str | None,
    read_key: Callable[[], str],
) -> int:
    """Ask about each pair; returns the number decided. ``read_key`` makes it testable.

    Each decision is its own session (committed at once; no lock held while the person
    compares two records).
    """
    decided = 0
    for n, item in enumerate(items, start=1):
        _show_pair(item, f"{n}/{len(items)}")
        while True:
            key = read_key().lower()
            if key in ("d", "n"):
                with project.session(actor=reviewer, write=True):
                    dedup_project.decide_pair(
                        project,
                        item.a.id or 0,
                        item.b.id or 0,
                        duplicate=key == "d",
                        reviewer=reviewer,
                    )
                decided += 1
                break
            if key == "s":
                break
            if key == "q":
                return decided
    return decided


@dedup_group.command("review")
@click.option("--reviewer", help="Your initials, recorded with each decision.")
@pass_output
def review_cmd(out: OutputContext, reviewer: str | None) -> None:
    """Decide uncertain pairs one by one in the terminal, most uncertain first.

    Each pair shows side by side only the fields in which the two records differ, and
    names the fields they share.

    Example:

    \b
        reviewflow dedup review --reviewer MC
    """
    project = out.project()
    with out.session(write=False, actor=reviewer):
        items = dedup_project.review_queue(project)
    if not items:
        echo("No pairs are waiting for review.")
        return
    n = review_loop(project, items, reviewer=acting(reviewer), read_key=click.getchar)
    with out.session(write=False, actor=reviewer):
        left = len(dedup_project.review_queue(project))
    echo(f"Decided {n} pair(s); {left} still waiting.")


@dedup_group.command("export-queue")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@pass_output
def export_queue_cmd(out: OutputContext, file: Path) -> None:
    """Write the pairs waiting for review to a CSV with an empty decision column.

    Rows come most uncertain first; the 'differs' column names the fields in which the
    two records differ.

    Example:

    \b
        reviewflow dedup export-queue pairs.csv
    """
    with out.session(write=False):
        n = dedup_csv.export_queue(out.project(), file)
    echo(f"Wrote {n} pair(s) to {file}. Fill 'decision' with duplicate/not_duplicate,")
    echo(f"then: reviewflow dedup import-decisions {file}")


@dedup_group.command("import-decisions")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--reviewer", help="Initials recorded with the decisions.")
@pass_output
def import_decisions_cmd(out: OutputContext, file: Path, reviewer: str | None) -> None:
    """Record the decisions filled into a queue CSV (all rows or none).

    Example:

    \b
        reviewflow dedup import-decisions pairs.csv --reviewer MC
    """
    with out.session(write=True, actor=reviewer):
        n = dedup_csv.import_decisions(out.project(), file, reviewer=reviewer)
    echo(f"Recorded {n} decision(s).")
