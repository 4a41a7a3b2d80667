"""``reviewflow appraise``: add, import, agreement, consensus, scores.

Thin shells over :mod:`reviewflow.stages.appraisal`; checks and scoring live there.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click
from rich.table import Table

from ..stages.appraisal import project as appraise
from . import cli
from ._output import (
    OutputContext,
    echo,
    echo_json,
    format_kappa,
    format_stat,
    need_reviewer,
    pass_output,
    reviewer_option_as,
    stdout_console,
)
from .extract import pairs

_JSON = click.option("--json", "as_json", is_flag=True, help="Print JSON to stdout.")
_REPLACE = click.option(
    "--replace", is_flag=True, help="Record a new version; the earlier one stays in the history."
)
_NOTE = click.option("--note", multiple=True, help="ITEM=TEXT: a note on an item.")


@cli.group("appraise")
def appraise_group() -> None:
    """Quality appraisal: two independent appraisals, agreement, consensus, scores.

    The checklist and scoring scheme are set in review.toml ([appraisal] checklist,
    scheme or an inline [appraisal.scoring]). CASP is not scored unless scheme names
    "count_yes" (Yes answers out of 10) or "weighted_bands" (the demo's bands).

    Example:

    \b
        reviewflow appraise add 3 --reviewer MC q1=yes q2=yes ... q10=yes
        reviewflow appraise import appraisals.csv
        reviewflow appraise agreement
        reviewflow appraise consensus 3 --reviewer MC --answer q6=cant_tell
        reviewflow appraise scores
    """


@appraise_group.command("add")
@click.argument("study")
@click.argument("answers", nargs=-1, required=True)
@reviewer_option_as("--appraiser", "appraiser")
@_NOTE
@_REPLACE
@pass_output
def add_cmd(
    out: OutputContext,
    study: str,
    answers: tuple[str, ...],
    appraiser: str | None,
    note: tuple[str, ...],
    replace: bool,
) -> None:
    """Record your independent appraisal of a study: ITEM=ANSWER for every item.

    Example:

    \b
        reviewflow appraise add "Hanlon et al. 2021" --reviewer JS q1=yes q2=yes q3=yes \\
            q4=yes q5=yes q6=yes q7=yes q8=yes q9=yes q10=yes
    """
    project = out.project()
    appraiser = need_reviewer(project, appraiser)
    with out.session(write=True, actor=appraiser):
        result = appraise.record_appraisal(
            project,
            study,
            reviewer=appraiser,
            answers=pairs(answers, "answer"),
            notes=pairs(note, "--note"),
            replace=replace,
        )
    echo(f"study {result.study}: appraisal by {appraiser} recorded")


@appraise_group.command("import")
@click.argument("file", type=click.Path(dir_okay=False, exists=True, path_type=Path))
@_REPLACE
@pass_output
def import_cmd(out: OutputContext, file: Path, replace: bool) -> None:
    """Record a CSV of appraisals (study, appraiser, q1..): all rows or none.

    Example:

    \b
        reviewflow appraise import appraisals.csv
    """
    with out.session(write=True):
        count = appraise.import_csv(out.project(), file, replace=replace)
    echo(f"{file}: {count} appraisals read")


@appraise_group.command("agreement")
@_JSON
@pass_output
def agreement_cmd(out: OutputContext, as_json: bool) -> None:
    """Item-level agreement of the two independent appraisers (κ and AC1 pooled).

    Example:

    \b
        reviewflow appraise agreement --json
    """
    with out.session(write=False):
        result = appraise.agreement(out.project())
    items: list[dict[str, Any]] = [
        {"item": i.item, "agreed": i.agreed, "compared": i.compared} for i in result.items
    ]
    open_ = [
        {"study": int(d.study), "item": d.item, "first": d.first, "second": d.second}
        for d in result.disagreements
    ]
    if as_json:
        echo_json(
            {
                "appraisers": list(result.appraisers),
                "studies": len(result.studies),
                "proportion": result.proportion,
                "kappa": result.kappa.kappa,
                "ac1": result.ac1.ac1,
                "items": items,
                "disagreements": open_,
            }
        )
        return
    table = Table(title=f"Agreement of {' and '.join(result.appraisers)}")
    table.add_column("item")
    table.add_column("agreed")
    for i in items:
        table.add_row(i["item"], f"{i['agreed']}/{i['compared']}")
    stdout_console().print(table)
    echo(
        f"Cohen's κ (95 % CI) = {format_kappa(result.kappa)}, "
        f"Gwet's AC1 = {format_stat(result.ac1.ac1)}"
    )
    for d in open_:
        echo(f"study {d['study']} {d['item']}: {d['first']} vs {d['second']}")


@appraise_group.command("consensus")
@click.argument("study", required=False)
@reviewer_option_as("--by", "by", help="Who records the consensus (default: REVIEWFLOW_REVIEWER).")
@click.option("--answer", multiple=True, help="ITEM=ANSWER agreed for a disagreement.")
@click.option("--all-agreed", is_flag=True, help="Every study whose appraisers fully agree.")
@_NOTE
@_REPLACE
@pass_output
def consensus_cmd(
    out: OutputContext,
    study: str | None,
    by: str | None,
    answer: tuple[str, ...],
    all_agreed: bool,
    note: tuple[str, ...],
    replace: bool,
) -> None:
    """Record the consensus appraisal: agreed items plus the answer agreed for each
    disagreement.

    Example:

    \b
        reviewflow appraise consensus --all-agreed --reviewer MC
        reviewflow appraise consensus "Stickley et al. 2012" --reviewer MC --answer q6=cant_tell
    """
    project = out.project()
    by = need_reviewer(project, by)
    if not all_agreed and study is None:
        raise click.UsageError("give STUDY or --all-agreed")
    with out.session(write=True, actor=by):
        if all_agreed:
            done = appraise.record_agreed_consensus(project, reviewer=by)
        else:
            assert study is not None
            appraise.record_consensus(
                project,
                study,
                reviewer=by,
                resolutions=pairs(answer, "--answer"),
                notes=pairs(note, "--note"),
                replace=replace,
            )
    if all_agreed:
        echo(f"consensus recorded for {len(done)} studies with full agreement")
    else:
        echo(f"study {study}: consensus recorded")


@appraise_group.command("scores")
@_JSON
@pass_output
def scores_cmd(out: OutputContext, as_json: bool) -> None:
    """Each study's appraisal status and, from the consensus, its score and band.

    Example:

    \b
        reviewflow appraise scores --json
    """
    with out.session(write=False):
        overview = appraise.overview(out.project())
    rows: list[dict[str, Any]] = [
        {
            "study_id": s.study_id,
            "study": s.label,
            "status": s.status,
            "open_items": list(s.open_items),
            "score": s.score.points if s.score else None,
            "max": s.score.max if s.score else None,
            "band": s.score.band if s.score else None,
        }
        for s in overview
    ]
    if as_json:
        echo_json(rows)
        return
    table = Table(title="Appraisal")
    for name in ("study_id", "study", "status", "score", "band"):
        table.add_column(name)
    for r in rows:
        score = f"{r['score']:g}/{r['max']:g}" if r["score"] is not None else ""
        table.add_row(str(r["study_id"]), r["study"], r["status"], score, r["band"] or "")
    stdout_console().print(table)
