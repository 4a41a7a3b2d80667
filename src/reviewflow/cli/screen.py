"""``reviewflow screen``, ``conflicts``, ``resolve`` and ``agreement``.

Thin shells over :mod:`reviewflow.stages.screening`; blindness and validation live there.
The full-text reports and their retrieval are ``reviewflow fulltext`` (cli/fulltext.py).
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

import click
from rich.console import Console, Group
from rich.panel import Panel
from rich.table import Table
from rich.text import Text

from ..stages import screening
from ..stages.screening.decisions import replan
from ..stages.screening.highlight import highlight_spans
from ..stages.screening.prioritise import resume, stop, stopping_status
from . import cli
from ._choose import (
    need_reviewer,
    need_stage,
    reviewer_option,
    stage_for_conflicts,
    stage_for_item,
    stage_for_work,
    stage_option,
)
from ._output import (
    OutputContext,
    echo,
    echo_json,
    format_kappa,
    markup_safe,
    pass_output,
    plain,
    safe_console,
    stdout_console,
)
from ._output import format_stat as _num
from ._output import shorten as _shorten

if TYPE_CHECKING:
    # numpy-backed statistics load only in `reviewflow agreement`.
    from ..agreement import AgreementReport

_STAGE = stage_option
_REVIEWER = reviewer_option
_JSON = click.option("--json", "as_json", is_flag=True, help="Print JSON to stdout.")


@cli.group("screen", invoke_without_command=True)
@_STAGE
@_REVIEWER
@pass_output
@click.pass_context
def screen_group(
    ctx: click.Context, out: OutputContext, stage: str | None, reviewer: str | None
) -> None:
    """Screen your items at the keyboard: i include, e exclude, m maybe, r reason, q quit.

    Also: n note, t tags (kept in the note as #tag words), u undo, s skip, and at full
    text o to open the attached PDF. Starts (and resumes) at your first item without a
    vote. Votes are blind: you see only your own until the arbiter stage or until the
    stage is closed. Terms under [screening] highlight_include / highlight_exclude in
    review.toml are shown in green / red.

    Example:

    \b
        reviewflow screen --stage ta --reviewer MC
        reviewflow screen export --stage ta --reviewer CJ -o cj.csv
        reviewflow screen import cj.csv
    """
    if ctx.invoked_subcommand is not None:
        return
    project = out.project()
    reviewer = need_reviewer(project, reviewer)
    with out.session(write=False, actor=reviewer):
        stage = stage_for_work(project, stage, reviewer=reviewer)
    console = safe_console()
    # One session per decision (the loop opens them): a sitting at the keyboard never holds
    # the project's write lock while the reviewer reads an abstract.
    result = screening.screen_loop(
        project,
        stage=stage,
        reviewer=reviewer,
        read_key=click.getchar,
        show=lambda view: _draw(console, view),
        read_line=lambda prompt: click.prompt(prompt, default="", show_default=False),
        open_file=lambda path: click.launch(str(path)),
    )
    console.clear()
    where = screening.STAGES[stage]
    session = f"{result.decided} decisions recorded this session, {result.undone} undone"
    if result.total == 0:
        echo(f"{reviewer} has no items at {where}.")
    elif result.remaining == 0:
        echo(f"All {result.total} items screened at {where} ({session}).")
    else:
        echo(f"{session}; {result.remaining} of your {result.total} items left at {where}.")


_MARK = {"include": "bold green", "exclude": "bold red"}


def _marked(text: str, view: screening.View, style: str = "") -> Text:
    """``text`` with the protocol's include terms in green and exclude terms in red."""
    out = Text(text, style=style)
    for start, end, kind in highlight_spans(text, view.highlight_include, view.highlight_exclude):
        out.stylize(_MARK[kind], start, end)
    return out


def _draw(console: Console, view: screening.View) -> None:
    view = _shown(view)
    console.clear()
    filled = round(40 * view.done / max(view.total, 1))
    bar = Text.assemble(("━" * filled, "green"), ("━" * (40 - filled), "grey37"))
    pct = 100 * view.done / max(view.total, 1)
    bar.append(
        f" {view.done}/{view.total} screened ({pct:.0f} %)   {view.stage} item {view.item_id}"
    )
    source = ", ".join(p for p in (view.journal, f"doi:{view.doi}" if view.doi else "") if p)
    parts: list[Text] = [
        _marked(view.title, view, "bold"),
        Text(f"{view.authors} ({view.year})", style="dim"),
    ]
    if source:
        parts.append(Text(source, style="dim"))
    if view.keywords:
        parts.append(Text("keywords: ").append(_marked("; ".join(view.keywords), view)))
    parts += [Text(""), _marked(view.abstract, view)]
    lines: list[Panel | Text] = [Panel(Text("\n").join(parts))]
    if view.stage == "ft":
        lines.append(
            Text(f"full text: {view.file_name} (o opens it)")
            if view.file_name
            else Text("no full text attached", style="yellow")
        )
    if view.reasons:
        need = "an exclusion needs one" if view.reason_required else "optional"
        listed = " · ".join(f"{n} {r}" for n, r in enumerate(view.reasons, start=1))
        lines.append(Text(f"reasons ({need}): {listed}", style="dim"))
    extras = [f"note: {view.note}"] if view.note else []
    extras += [" ".join(f"#{t}" for t in view.tags)] if view.tags else []
    lines.append(Text(f"your vote: {view.vote or '—'}   " + "   ".join(extras)))
    if view.choosing_reason:
        rows = [f"  {n}  {reason}" for n, reason in enumerate(view.reasons, start=1)]
        lines.append(Panel("\n".join(rows), title="Reason (digit), Esc to cancel"))
    else:
        if view.message:
            lines.append(Text(view.message, style="yellow"))
        lines.append(Text(view.help, style="dim"))
    console.print(Group(bar, *lines))


def _shown(view: screening.View) -> screening.View:
    """The view with its record text freed of control characters (an ESC in a title
    would act on the terminal); rich Text never reads markup, so ``[/]`` stays text."""
    from dataclasses import fields, replace

    changes: dict[str, Any] = {}
    for f in fields(view):
        value = getattr(view, f.name)
        if isinstance(value, str):
            changes[f.name] = plain(value)
        elif isinstance(value, list | tuple) and all(isinstance(v, str) for v in value):
            changes[f.name] = type(value)(plain(v) for v in value)
    return replace(view, **changes)


@screen_group.command("export")
@_STAGE
@_REVIEWER
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path), help="CSV file.")
@pass_output
def export_cmd(
    out: OutputContext, stage: str | None, reviewer: str | None, output: Path | None
) -> None:
    """Write your screening sheet (CSV): your items and only your own votes.

    Fill in decision (include/exclude/maybe or i/e/m), reason and note, then import it.

    Example:

    \b
        reviewflow screen export --stage ta --reviewer CJ -o cj.csv
    """
    project = out.project()
    reviewer = need_reviewer(project, reviewer)
    with out.session(write=False, actor=reviewer):
        stage = stage_for_work(project, stage, reviewer=reviewer)
        text = screening.export_sheet(project, stage=stage, reviewer=reviewer)
    if output is None:
        echo(text, nl=False)
    else:
        output.write_text(text, encoding="utf-8-sig")
        echo(f"wrote {output} ({len(text.splitlines()) - 1} items)", err=True)


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
    with out.session(write=True):
        result = screening.import_sheet(out.project(), file, stage=stage)
    if as_json:
        echo_json(result.to_dict())
        return
    echo(
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

    Without --stage, the stage where the item is open for you is used.

    Example:

    \b
        reviewflow screen decide 12 --stage ft --reviewer DF --decision exclude \\
            --reason "not UK-based"
    """
    project = out.project()
    kwargs["reviewer"] = need_reviewer(project, kwargs["reviewer"])
    with out.session(write=True, actor=kwargs["reviewer"]):
        kwargs["stage"] = stage_for_item(
            project, kwargs["stage"], item_id=item_id, reviewer=kwargs["reviewer"]
        )
        vote = screening.decide(project, item_id=item_id, **kwargs)
    echo(f"{vote.reviewer}: {vote.decision} on {kwargs['stage']} item {item_id}")


@screen_group.command("close")
@_STAGE
@_REVIEWER
@click.option("--force", is_flag=True, help="Close even with items pending or in conflict.")
@pass_output
def close_cmd(out: OutputContext, stage: str | None, reviewer: str | None, force: bool) -> None:
    """Close a stage: no more decisions, and every vote becomes visible.

    Example:

    \b
        reviewflow screen close --stage ta --reviewer LA
    """
    project = out.project()
    reviewer = need_reviewer(project, reviewer)
    stage = need_stage(stage, context="the stage to close")
    with out.session(write=True, actor=reviewer):
        screening.close_stage(project, stage=stage, reviewer=reviewer, force=force)
    echo(f"{screening.STAGES[stage]} screening closed.")


@screen_group.command("reopen")
@_STAGE
@_REVIEWER
@pass_output
def reopen_cmd(out: OutputContext, stage: str | None, reviewer: str | None) -> None:
    """Reopen a closed stage (blindness applies again).

    Example:

    \b
        reviewflow screen reopen --stage ta --reviewer LA
    """
    project = out.project()
    reviewer = need_reviewer(project, reviewer)
    stage = need_stage(stage, context="the stage to reopen")
    with out.session(write=True, actor=reviewer):
        screening.reopen_stage(project, stage=stage, reviewer=reviewer)
    echo(f"{screening.STAGES[stage]} screening reopened.")


@screen_group.command("blind")
@_STAGE
@_REVIEWER
@click.option("--on/--off", "blind", default=None, help="Blind (the default) or open voting.")
@pass_output
def blind_cmd(
    out: OutputContext, stage: str | None, reviewer: str | None, blind: bool | None
) -> None:
    """Switch blindness off for a stage (everyone sees every vote), or on again; owners only.

    The switch is logged with who and when; screening goes on either way.

    Example:

    \b
        reviewflow screen blind --stage ta --off --reviewer MC
        reviewflow screen blind --stage ta --on --reviewer MC
    """
    if blind is None:
        raise click.UsageError("give --off (everyone sees every vote) or --on (blind again)")
    project = out.project()
    reviewer = need_reviewer(project, reviewer)
    stage = need_stage(stage, context="the stage whose blindness to switch")
    with out.session(write=True, actor=reviewer):
        screening.set_blind(project, stage=stage, blind=blind, reviewer=reviewer)
    now = "blind again" if blind else "open: every reviewer sees every vote"
    echo(f"{screening.STAGES[stage]} screening is {now}.")


@screen_group.command("replan")
@_STAGE
@_REVIEWER
@pass_output
def replan_cmd(out: OutputContext, stage: str | None, reviewer: str | None) -> None:
    """Accept a changed plan (seed, share, reviewers) for a stage already being screened.

    Items may move in or out of the double-screened sample; votes already cast are kept.

    Example:

    \b
        reviewflow screen replan --stage ta --reviewer LA
    """
    project = out.project()
    reviewer = need_reviewer(project, reviewer)
    stage = need_stage(stage, context="the stage whose plan changed")
    with out.session(write=True, actor=reviewer):
        plan = replan(project, stage=stage, reviewer=reviewer)
    echo(f"{screening.STAGES[stage]} plan accepted: {plan}")


@screen_group.command("stopping")
@_JSON
@pass_output
def stopping_cmd(out: OutputContext, as_json: bool) -> None:
    """Where the stopping rules stand on title/abstract screening: estimated recall with
    its interval, what each rule says and how many more records each needs.

    The plan's stopping_rule decides (arrival by default); the other is shown beside it.

    Example:

    \b
        reviewflow screen stopping --json
    """
    with out.session(write=False):
        report = stopping_status(out.project())
    if as_json:
        echo_json(report.to_dict())
    else:
        for line in report.lines():
            echo(line)


@screen_group.command("stop")
@_REVIEWER
@click.option("--force", is_flag=True, help="Stop although the rule does not justify it yet.")
@pass_output
def stop_cmd(out: OutputContext, reviewer: str | None, force: bool) -> None:
    """Stop title/abstract screening on the stopping rule's evidence.

    Records nobody has screened are then counted as excluded by automation tools.

    Example:

    \b
        reviewflow screen stop --reviewer LA
    """
    project = out.project()
    reviewer = need_reviewer(project, reviewer)
    with out.session(write=True, actor=reviewer):
        report = stop(project, reviewer=reviewer, force=force)
    echo(report.summary())


@screen_group.command("resume")
@_REVIEWER
@pass_output
def resume_cmd(out: OutputContext, reviewer: str | None) -> None:
    """Resume title/abstract screening after a stop.

    Example:

    \b
        reviewflow screen resume --reviewer LA
    """
    project = out.project()
    reviewer = need_reviewer(project, reviewer)
    with out.session(write=True, actor=reviewer):
        resume(project, reviewer=reviewer)
    echo("Title/abstract screening resumed.")


@cli.command("conflicts")
@_STAGE
@_REVIEWER
@click.option("--all", "include_resolved", is_flag=True, help="Also list resolved conflicts.")
@_JSON
@pass_output
def conflicts_cmd(
    out: OutputContext,
    stage: str | None,
    reviewer: str | None,
    include_resolved: bool,
    as_json: bool,
) -> None:
    """List items whose votes disagree (only the arbiter, until the stage is closed).

    Each item is shown with its title, year and first author beside the votes. Without
    --stage, the stage with open conflicts is used.

    Example:

    \b
        reviewflow conflicts --stage ft --reviewer LA
    """
    project = out.project()
    reviewer = need_reviewer(project, reviewer)
    with out.session(write=False, actor=reviewer):
        chosen = stage_for_conflicts(project, stage, reviewer=reviewer)
        found = (
            []
            if chosen is None
            else screening.conflicts(
                project, stage=chosen, reviewer=reviewer, include_resolved=include_resolved
            )
        )
    if chosen is None:
        if as_json:
            echo_json([])
            return
        echo("No open conflicts at title/abstract or full text.")
        return
    if as_json:
        echo_json([c.to_dict() for c in found])
        return
    table = Table("item", "title", "year", "first author", "votes", "resolution")
    for c in found:
        votes = "; ".join(
            f"{r}: {v.decision}" + (f" ({v.reason})" if v.reason else "")
            for r, v in c.votes.items()
        )
        ruling = f"{c.resolution.reviewer}: {c.resolution.decision}" if c.resolution else "open"
        table.add_row(
            str(c.item_id),
            _shorten(c.title or "(no title)", 60),
            str(c.year or ""),
            _surname(c.first_author),
            votes,
            ruling,
        )
    stdout_console().print(table)
    n_open = sum(1 for c in found if c.resolution is None)
    echo(f"{n_open} open conflicts at {screening.STAGES[chosen]}.")
    if n_open:
        echo(
            f"Decide one with: reviewflow resolve ITEM --stage {chosen} --reviewer {reviewer} "
            "--decision include|exclude"
        )


def _surname(author: str | None) -> str:
    """ "Hall, Jane" -> "Hall"; names without a comma are shown whole."""
    return (author or "").split(",")[0].strip()


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
    project = out.project()
    kwargs["reviewer"] = need_reviewer(project, kwargs["reviewer"])
    with out.session(write=True, actor=kwargs["reviewer"]):
        kwargs["stage"] = stage_for_item(
            project, kwargs["stage"], item_id=item_id, reviewer=kwargs["reviewer"]
        )
        vote = screening.resolve(project, item_id=item_id, **kwargs)
    echo(f"{kwargs['stage']} item {item_id}: {vote.decision} ({vote.reviewer}, arbiter)")


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
    with out.session(write=False):
        reports = screening.agreement(out.project(), stage=stage)
    if as_json:
        echo_json({code: rep.to_dict() for code, rep in reports.items()})
        return
    console = stdout_console()
    for code, rep in reports.items():
        if not rep.n_multiply_rated:
            console.print(_nothing_to_compare(out, code, rep), markup=True)
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
        console.print(
            f"[bold]{screening.STAGES[code]}[/bold]: {rep.n_multiply_rated} items", markup=True
        )
        console.print(table)
        fleiss = f"Fleiss' κ {_num(rep.fleiss_kappa)}   " if rep.n_rated_by_three else ""
        console.print(f"{fleiss}Krippendorff's α {_num(rep.krippendorff_alpha)}")
        for note in rep.notes:
            console.print(f"[dim]{markup_safe(note)}[/dim]", markup=True)


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
