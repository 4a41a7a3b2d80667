"""``reviewflow studies``: the studies of the review, why each is (not) included, labels.

Thin shell over :mod:`reviewflow.stages.studies`.
"""

from __future__ import annotations

import click
from rich.table import Table

from ..stages import studies
from . import cli
from ._output import OutputContext, echo, echo_json, pass_output, stdout_console


@cli.group("studies")
def studies_group() -> None:
    """Studies: list them with their status and name them (labels in every table)."""


@studies_group.command("list")
@click.option("--included", "only_included", is_flag=True, help="Only the included studies.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON to stdout.")
@pass_output
def studies_list_cmd(out: OutputContext, only_included: bool, as_json: bool) -> None:
    """Every study: its label, reports, and whether it is included (and if not, why).

    Labels come from the study's main report (first author + year) unless the team set
    one with: reviewflow studies rename.

    Example:

    \b
        reviewflow studies list
        reviewflow studies list --included --json
    """
    with out.session(write=False):
        rows = studies.list_studies(out.project())
    if only_included:
        rows = [s for s in rows if s.included]
    if as_json:
        echo_json([s.to_dict() for s in rows])
        return
    table = Table("study", "label", "named by", "reports", "status", "why")
    for s in rows:
        named = "team" if s.label_set else "records" if s.derived_label else ""
        reports = ", ".join(map(str, s.report_ids))
        table.add_row(str(s.id), s.label, named, reports, s.status, s.why or "")
    stdout_console().print(table)
    if not only_included:
        echo(f"{sum(s.included for s in rows)} of {len(rows)} studies included")


@studies_group.command("rename")
@click.argument("study")
@click.argument("label", required=False)
@click.option("--reset", is_flag=True, help="Go back to the label the study's records give.")
@pass_output
def studies_rename_cmd(out: OutputContext, study: str, label: str | None, reset: bool) -> None:
    """Name a study (the label every table, figure and quote shows).

    STUDY is its id or current label.

    Example:

    \b
        reviewflow studies rename 3 "Greenwood et al. 2013a"
        reviewflow studies rename 3 --reset
    """
    if reset == (label is not None):
        raise click.UsageError('give a new LABEL, or --reset (e.g. rename 3 "Smith 2019")')
    with out.session(write=True):
        found = studies.rename(out.project(), study, None if reset else label)
    echo(f"study {found.id}: {found.label}")
