"""``reviewflow cerqual``: GRADE-CERQual findings, judgements and the SoQF table."""

from __future__ import annotations

import click
from rich.table import Table

from ..stages.synthesis import (
    cerqual,
)
from . import cli
from ._output import OutputContext, echo, echo_json, pass_output, stdout_console
from .synthesis import _JSON, _WHO

# -- cerqual ---------------------------------------------------------------------------


@cli.group("cerqual")
def cerqual_group() -> None:
    """GRADE-CERQual confidence in review findings; Summary of Qualitative Findings."""


@cerqual_group.command("add")
@click.argument("statement")
@click.option("--theme", "theme_refs", multiple=True, required=True, help="Theme (repeat).")
@click.option("--label", help='Short label, e.g. "F1".')
@pass_output
def cerqual_add_cmd(
    out: OutputContext, statement: str, theme_refs: tuple[str, ...], label: str | None
) -> None:
    """Add a review finding summarising one or more themes.

    Example:

    \b
        reviewflow cerqual add "Goals set with the link worker supported progress" \\
            --theme 1.3 --label F3
    """
    with out.session(write=True):
        finding = cerqual.add_finding(
            out.project(), statement, themes=list(theme_refs), label=label
        )
    echo(f"finding {finding}")


@cerqual_group.command("judge")
@click.argument("finding")
@click.argument("component", type=click.Choice([*cerqual.COMPONENTS, "overall"]))
@click.argument("level")
@click.option("--explanation", required=True, help="Why: CERQual asks for one every time.")
@_WHO
@pass_output
def cerqual_judge_cmd(
    out: OutputContext,
    finding: str,
    component: str,
    level: str,
    explanation: str,
    reviewer: str | None,
) -> None:
    """Judge one component (concerns) or the overall confidence of a finding.

    Example:

    \b
        reviewflow cerqual judge F3 adequacy "minor" --explanation "4 studies, thin data"
        reviewflow cerqual judge F3 overall "moderate" --explanation "minor adequacy concerns"
    """
    with out.session(write=True, actor=reviewer):
        cerqual.judge(out.project(), finding, component, level, explanation, reviewer=reviewer)


@cerqual_group.command("table")
@_JSON
@pass_output
def cerqual_table_cmd(out: OutputContext, as_json: bool) -> None:
    """The Summary of Qualitative Findings table.

    Example:

    \b
        reviewflow cerqual table --json
    """
    with out.session(write=False):
        rows = cerqual.soqf_table(out.project())
    if as_json:
        echo_json([r.to_dict() for r in rows])
        return
    table = Table("finding", "studies", "confidence", "explanation")
    for r in rows:
        overall = r.overall or f"not judged (start: {r.starting_point or '-'})"
        table.add_row(
            f"{r.label or r.finding_id} {r.statement}",
            "; ".join(r.study_labels),
            overall,
            r.explanation or "",
        )
    stdout_console().print(table)
