"""``reviewflow screen``, ``conflicts``, ``resolve``, ``agreement`` and ``fulltext``.

Thin shells over :mod:`reviewflow.stages.screening`; blindness and validation live there.
"""

from __future__ import annotations

from pathlib import Path

import click
from rich.console import Console, Group
from rich.panel import Panel
from rich.table import Table
from rich.text import Text

from ..stages import screening
from ..stages.agreement import AgreementReport
from ..stages.screening.decisions import replan
from ..stages.screening.prioritise import resume, stop, stopping_status
from ..stages.screening.session import HELP
from . import cli
from ._output import OutputContext, echo_json, format_kappa, pass_output, stdout_console
from ._output import format_stat as _num

_STAGE = click.option(
    "--stage",
    type=click.Choice(list(screening.STAGES)),
    required=True,
    help="ta = title/abstract (records), ft = full text (reports).",
)
_REVIEWER = click.option("--reviewer", required=True, help="Your initials, as in review.toml.")
_JSON = click.option("--json", "as_json", is_flag=True, help="Print JSON to stdout.")


@cli.group("screen", invoke_without_command=True)
@click.option(
    "--stage", type=click.Choice(list(screening.STAGES)), help="ta (title/abstract) or ft."
)
@click.option("--reviewer", help="Your initials, as in review.toml.")
@pass_output
@click.pass_context
def screen_group(
    ctx: click.Context, out: OutputContext, stage: str | None, reviewer: str | None
) -> None:
    """Screen your items at the keyboard: i include, e exclude, m maybe, r reason, u undo, q quit.

    Starts (and resumes) at your first item without a vote. Votes are blind: you see
    only your own until the arbiter stage or until the stage is closed.

    Example:

    \b
        reviewflow screen --stage ta --reviewer MC
        reviewflow screen export --stage ta --reviewer CJ -o cj.csv
        reviewflow screen import cj.csv
    """
    if ctx.invoked_subcommand is not None:
        return
    if not stage or not reviewer:
        raise click.UsageError("give --stage and --reviewer, e.g. --stage ta --reviewer MC")
    console = Console()
    result = screening.screen_loop(
        out.project(),
        stage=stage,
        reviewer=reviewer,
        read_key=click.getchar,
        show=lambda view: _draw(console, view),
    )
    click.echo(
        f"{result.decided} decisions recorded, {result.undone} undone; "
        f"{result.remaining} of your items left at {screening.STAGES[stage]}."
    )


def _draw(console: Console, view: screening.View) -> None:
    console.clear()
    if view.choosing_reason:
        lines = [f"  {n}  {reason}" for n, reason in enumerate(view.reasons, start=1)]
        console.print(Panel("\n".join(lines), title="Reason (digit), Esc to cancel"))
        return
    filled = round(40 * view.done / max(view.total, 1))
    bar = Text.assemble(("━" * filled, "green"), ("━" * (40 - filled), "grey37"))
    pct = 100 * view.done / max(view.total, 1)
    bar.append(
        f" {view.done}/{view.total} screened ({pct:.0f} %)   {view.stage} item {view.item_id}"
    )
    body = Text.assemble(
        (view.title + "\n", "bold"), (f"{view.authors} ({view.year})\n\n", "dim"), view.abstract
    )
    status = Text(f"your vote: {view.vote or '—'}   {view.message}")
    console.print(Group(bar, Panel(body), status, Text(HELP, style="dim")))


@screen_group.command("export")
@_STAGE
@_REVIEWER
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path), help="CSV file.")
@pass_output
def export_cmd(out: OutputContext, stage: str, reviewer: str, output: Path | None) -> None:
    """Write your screening sheet (CSV): your items and only your own votes.

    Fill in decision (include/exclude/maybe or i/e/m), reason and note, then import it.

    Example:

    \b
        reviewflow screen export --stage ta --reviewer CJ -o cj.csv
    """
    text = screening.export_sheet(out.project(), stage=stage, reviewer=reviewer)
    if output is None:
        click.echo(text, nl=False)
    else:
        output.write_text(text, encoding="utf-8-sig")
        click.echo(f"wrote {output} ({len(text.splitlines()) - 1} items)", err=True)


@screen_group.command("import")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--stage", type=click.Choice(list(screening.STAGES)), help="If no stage column.")
@_JSON
@pass_output
def import_cmd(out: OutputContext, file: Path, stage: str | None, as_json: bool) -> None:
    """Record the decisions of a filled-in sheet: all rows or none.

    Columns: item_id, reviewer, decision (required); stage, reason, note (optional).

    Example:

    \b
        reviewflow screen import cj.csv
    """
    result = screening.import_sheet(out.project(), file, stage=stage)
    if as_json:
        echo_json(result.to_dict())
        return
    click.echo(
        f"{result.file}: {result.recorded} decisions recorded, {result.unchanged} unchanged, "
        f"{result.blank} rows without a decision."
    )


@screen_group.command("decide")
@click.argument("item_id", type=int)
@_STAGE
@_REVIEWER
@click.option("--decision", type=click.Choice(["include", "exclude", "maybe"]), required=True)
@click.option("--reason", help="Exclusion reason from the protocol's list.")
@click.option("--note", help="A note for the team.")
@pass_output
def decide_cmd(out: OutputContext, item_id: int, **kwargs: str) -> None:
    """Record one decision on one item (scripts; people use the keyboard session).

    Example:

    \b
        reviewflow screen decide 12 --stage ft --reviewer DF --decision exclude \\
            --reason "not UK-based"
    """
    vote = screening.decide(out.project(), item_id=item_id, **kwargs)  # type: ignore[arg-type]
    click.echo(f"{vote.reviewer}: {vote.decision} on {kwargs['stage']} item {item_id}")


@screen_group.command("close")
@_STAGE
@_REVIEWER
@click.option("--force", is_flag=True, help="Close even with items pending or in conflict.")
@pass_output
def close_cmd(out: OutputContext, stage: str, reviewer: str, force: bool) -> None:
    """Close a stage: no more decisions, and every vote becomes visible.

    Example:

    \b
        reviewflow screen close --stage ta --reviewer LA
    """
    screening.close_stage(out.project(), stage=stage, reviewer=reviewer, force=force)
    click.echo(f"{screening.STAGES[stage]} screening closed.")


@screen_group.command("reopen")
@_STAGE
@_REVIEWER
@pass_output
def reopen_cmd(out: OutputContext, stage: str, reviewer: str) -> None:
    """Reopen a closed stage (blindness applies again).

    Example:

    \b
        reviewflow screen reopen --stage ta --reviewer LA
    """
    screening.reopen_stage(out.project(), stage=stage, reviewer=reviewer)
    click.echo(f"{screening.STAGES[stage]} screening reopened.")


@screen_group.command("replan")
@_STAGE
@_REVIEWER
@pass_output
def replan_cmd(out: OutputContext, stage: str, reviewer: str) -> None:
    """Accept a changed plan (seed, share, reviewers) for a stage already being screened.

    Items may move in or out of the double-screened sample; votes already cast are kept.

    Example:

    \b
        reviewflow screen replan --stage ta --reviewer LA
    """
    plan = replan(out.project(), stage=stage, reviewer=reviewer)
    click.echo(f"{screening.STAGES[stage]} plan accepted: {plan}")


@screen_group.command("stopping")
@_JSON
@pass_output
def stopping_cmd(out: OutputContext, as_json: bool) -> None:
    """Where the statistical stopping rule stands on title/abstract screening.

    Example:

    \b
        reviewflow screen stopping --json
    """
    report = stopping_status(out.project())
    if as_json:
        echo_json(report.to_dict())
    else:
        click.echo(report.summary())


@screen_group.command("stop")
@_REVIEWER
@click.option("--force", is_flag=True, help="Stop although the rule does not justify it yet.")
@pass_output
def stop_cmd(out: OutputContext, reviewer: str, force: bool) -> None:
    """Stop title/abstract screening on the stopping rule's evidence.

    Records nobody has screened are then counted as excluded by automation tools.

    Example:

    \b
        reviewflow screen stop --reviewer LA
    """
    report = stop(out.project(), reviewer=reviewer, force=force)
    click.echo(report.summary())


@screen_group.command("resume")
@_REVIEWER
@pass_output
def resume_cmd(out: OutputContext, reviewer: str) -> None:
    """Resume title/abstract screening after a stop.

    Example:

    \b
        reviewflow screen resume --reviewer LA
    """
    resume(out.project(), reviewer=reviewer)
    click.echo("Title/abstract screening resumed.")


@cli.command("conflicts")
@_STAGE
@_REVIEWER
@click.option("--all", "include_resolved", is_flag=True, help="Also list resolved conflicts.")
@_JSON
@pass_output
def conflicts_cmd(
    out: OutputContext, stage: str, reviewer: str, include_resolved: bool, as_json: bool
) -> None:
    """List items whose votes disagree (only the arbiter, until the stage is closed).

    Example:

    \b
        reviewflow conflicts --stage ft --reviewer LA
    """
    found = screening.conflicts(
        out.project(), stage=stage, reviewer=reviewer, include_resolved=include_resolved
    )
    if as_json:
        echo_json([c.to_dict() for c in found])
        return
    table = Table("item", "votes", "resolution")
    for c in found:
        votes = "; ".join(
            f"{r}: {v.decision}" + (f" ({v.reason})" if v.reason else "")
            for r, v in c.votes.items()
        )
        ruling = f"{c.resolution.reviewer}: {c.resolution.decision}" if c.resolution else "open"
        table.add_row(str(c.item_id), votes, ruling)
    stdout_console().print(table)
    click.echo(f"{sum(1 for c in found if c.resolution is None)} open conflicts.")


@cli.command("resolve")
@click.argument("item_id", type=int)
@_STAGE
@_REVIEWER
@click.option("--decision", type=click.Choice(["include", "exclude"]), required=True)
@click.option("--reason", help="Exclusion reason from the protocol's list.")
@click.option("--note", help="Why (recorded with the ruling).")
@pass_output
def resolve_cmd(out: OutputContext, item_id: int, **kwargs: str) -> None:
    """The arbiter's final decision on a conflict.

    Example:

    \b
        reviewflow resolve 7 --stage ft --reviewer LA --decision exclude --reason "not adults"
    """
    vote = screening.resolve(out.project(), item_id=item_id, **kwargs)  # type: ignore[arg-type]
    click.echo(f"{kwargs['stage']} item {item_id}: {vote.decision} ({vote.reviewer}, arbiter)")


@cli.command("agreement")
@click.option("--stage", type=click.Choice(list(screening.STAGES)), help="One stage only.")
@_JSON
@pass_output
def agreement_cmd(out: OutputContext, stage: str | None, as_json: bool) -> None:
    """Inter-rater agreement on the independently double-screened items, before arbitration.

    Percent agreement, Cohen's κ (95 % CI), PABAK and Gwet's AC1 per reviewer pair;
    Fleiss' κ (three or more reviewers) and Krippendorff's α per stage. "maybe" counts
    as include.

    Example:

    \b
        reviewflow agreement
        reviewflow agreement --stage ft --json
    """
    reports = screening.agreement(out.project(), stage=stage)
    if as_json:
        echo_json({code: rep.to_dict() for code, rep in reports.items()})
        return
    console = stdout_console()
    for code, rep in reports.items():
        if not rep.n_multiply_rated:
            console.print(_nothing_to_compare(out, code, rep))
            continue
        table = Table("pair", "n", "agree %", "κ (95 % CI)", "PABAK", "AC1", "Landis & Koch")
        for p in rep.pairs:
            table.add_row(
                " / ".join(p.reviewers),
                str(p.n),
                _num(p.percent_agreement, scale=100, digits=1),
                format_kappa(p.kappa),
                _num(p.pabak),
                _num(p.ac1.ac1),
                p.landis_koch or "—",
            )
        console.print(f"[bold]{screening.STAGES[code]}[/bold]: {rep.n_multiply_rated} items")
        console.print(table)
        fleiss = f"Fleiss' κ {_num(rep.fleiss_kappa)}   " if rep.n_rated_by_three else ""
        console.print(f"{fleiss}Krippendorff's α {_num(rep.krippendorff_alpha)}")
        for note in rep.notes:
            console.print(f"[dim]{note}[/dim]")


def _nothing_to_compare(out: OutputContext, code: str, rep: AgreementReport) -> str:
    """One line for a stage no two reviewers have screened an item of yet, and what to do."""
    plan = getattr(out.project().settings.screening, code)
    second = [*plan.second_reviewers, *plan.reviewers[1:]]
    if not plan.reviewers:
        what = "the plan names no reviewers"
        then = "add reviewers to the stage's screening plan"
    elif rep.n_items == 0:
        what = "none of the items to double-screen has been screened yet"
        then = (
            "create the reports with `reviewflow fulltext reports --create`, then screen them"
            if code == "ft"
            else f"start with `reviewflow screen --stage {code} --reviewer {plan.reviewers[0]}`"
        )
    elif second:
        what = "no item has been screened by two reviewers yet"
        then = f"run `reviewflow screen --stage {code} --reviewer {second[0]}`"
    else:
        what = "no item has been screened by two reviewers yet"
        then = "give the stage a second reviewer in the screening plan"
    return (
        f"[bold]{screening.STAGES[code].capitalize()} screening[/bold]: {what}, "
        f"so there is no agreement to report; {then}."
    )


@cli.group("fulltext")
def fulltext_group() -> None:
    """Reports for full-text screening: create, retrieve, group into studies."""


@fulltext_group.command("reports")
@click.option("--create", is_flag=True, help="First create reports for records that passed.")
@_JSON
@pass_output
def reports_cmd(out: OutputContext, create: bool, as_json: bool) -> None:
    """List reports with their study and retrieval status.

    Example:

    \b
        reviewflow fulltext reports --create
    """
    project = out.project()
    created = screening.create_reports(project) if create else []
    found = screening.list_reports(project)
    if as_json:
        echo_json([r.to_dict() for r in found])
        return
    table = Table("report", "study", "kind", "status", "title")
    for r in found:
        status = r.status + (f": {r.not_retrieved_reason}" if r.not_retrieved_reason else "")
        table.add_row(str(r.id), str(r.study_id), r.kind or "", status, (r.title or "")[:70])
    stdout_console().print(table)
    if create:
        click.echo(f"{len(created)} reports created.")


@fulltext_group.command("retrieve")
@click.argument("report_id", type=int)
@click.option("--file", "file", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--not-retrieved", "why", help="Record that it could not be obtained, and why.")
@_REVIEWER
@pass_output
def retrieve_cmd(
    out: OutputContext, report_id: int, file: Path | None, why: str | None, reviewer: str
) -> None:
    """Attach a report's full text (copied into files/ by sha256), or record why not.

    Example:

    \b
        reviewflow fulltext retrieve 3 --file smith2019.pdf --reviewer MC
        reviewflow fulltext retrieve 4 --not-retrieved "no library access" --reviewer MC
    """
    if (file is None) == (why is None):
        raise click.UsageError("give either --file or --not-retrieved")
    project = out.project()
    if file is not None:
        r = screening.retrieve(project, report_id, file=file, reviewer=reviewer)
        click.echo(f"report {r.id}: retrieved {r.file_name} (sha256 {r.file_sha256})")
    else:
        r = screening.not_retrieved(project, report_id, reason=why or "", reviewer=reviewer)
        click.echo(f"report {r.id}: not retrieved ({r.not_retrieved_reason})")


@fulltext_group.command("group")
@click.argument("report_ids", type=int, nargs=-1, required=True)
@click.option("--study", "study_id", type=int, help="Target study (default: the first's).")
@pass_output
def group_cmd(out: OutputContext, report_ids: tuple[int, ...], study_id: int | None) -> None:
    """Put reports of one study together (protocol, main paper, follow-up).

    Example:

    \b
        reviewflow fulltext group 3 8 11
    """
    target = screening.group_reports(out.project(), list(report_ids), study_id=study_id)
    click.echo(f"reports {', '.join(map(str, report_ids))} are now in study {target}")


@fulltext_group.command("kind")
@click.argument("report_id", type=int)
@click.argument("kind")
@pass_output
def kind_cmd(out: OutputContext, report_id: int, kind: str) -> None:
    """Label a report: main, protocol, follow-up, ...

    Example:

    \b
        reviewflow fulltext kind 8 protocol
    """
    screening.set_report_kind(out.project(), report_id, kind)
    click.echo(f"report {report_id}: {kind}")
