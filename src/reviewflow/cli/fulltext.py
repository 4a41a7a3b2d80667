"""``reviewflow fulltext``: the reports of full-text screening and their full texts.

Thin shells over :mod:`reviewflow.stages.screening.fulltext` (create and list reports,
group them into studies, label them) and :mod:`reviewflow.stages.retrieval` (attach a
full text or record why it was not obtained; a folder of files at once).
"""

from __future__ import annotations

from pathlib import Path

import click
from rich.table import Table
from rich.text import Text

from ..stages import retrieval, screening
from ..stages.retrieval.folder import attach_files
from . import cli
from ._output import (
    OutputContext,
    echo,
    echo_json,
    need_reviewer,
    pass_output,
    reviewer_option,
    shorten,
    stdout_console,
)

_REVIEWER = reviewer_option
_JSON = click.option("--json", "as_json", is_flag=True, help="Print JSON to stdout.")


@cli.group("fulltext")
def fulltext_group() -> None:
    """Reports for full-text screening: create, attach or retrieve, group into studies."""


@fulltext_group.command("reports")
@click.option("--create", is_flag=True, help="First create reports for records that passed.")
@_JSON
@pass_output
def reports_cmd(out: OutputContext, create: bool, as_json: bool) -> None:
    """List reports with their study and retrieval status.

    A report has the id of the record it was made from: item 9 is the same paper at
    title/abstract and at full text.

    Example:

    \b
        reviewflow fulltext reports --create
    """
    project = out.project()
    with out.session(write=create):
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
        example = f" (report {created[0]} is record {created[0]})" if created else ""
        echo(f"{len(created)} reports created; each has the id of its record{example}.")


@fulltext_group.command("retrieve")
@click.argument("report_id", type=int)
@click.option("--file", "file", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--not-retrieved", "why", help="Record that it could not be obtained, and why.")
@_REVIEWER
@pass_output
def retrieve_cmd(
    out: OutputContext, report_id: int, file: Path | None, why: str | None, reviewer: str | None
) -> None:
    """Attach a report's full text (copied into the project's blobs/ by sha256: the
    original may be moved or deleted after), or record why not.

    REPORT_ID is the id of the record the report was made from. For many files at
    once: reviewflow fulltext attach FOLDER.

    Example:

    \b
        reviewflow fulltext retrieve 3 --file smith2019.pdf --reviewer MC
        reviewflow fulltext retrieve 4 --not-retrieved "no library access" --reviewer MC
    """
    if (file is None) == (why is None):
        raise click.UsageError("give either --file or --not-retrieved")
    project = out.project()
    reviewer = need_reviewer(project, reviewer)
    with out.session(write=True, actor=reviewer):
        if file is not None:
            r = retrieval.retrieve(project, report_id, file=file, reviewer=reviewer)
        else:
            r = retrieval.not_retrieved(project, report_id, reason=why or "", reviewer=reviewer)
    if file is not None:
        echo(f"report {r.id}: retrieved {r.file_name} (sha256 {r.file_sha256})")
    else:
        echo(f"report {r.id}: not retrieved ({r.not_retrieved_reason})")


@fulltext_group.command("attach")
@click.argument("paths", nargs=-1, required=True, type=click.Path(path_type=Path))
@_REVIEWER
@click.option("--dry-run", is_flag=True, help="Only show what would be attached.")
@_JSON
@pass_output
def attach_cmd(
    out: OutputContext, paths: tuple[Path, ...], reviewer: str | None, dry_run: bool, as_json: bool
) -> None:
    """Attach many full texts at once: each file is matched to its report, all in one go.

    A file is matched by (in order) the report id at the start of its name ("9.pdf",
    "9 - Hall 2020.pdf"; a report has its record's id), a DOI in its name or in the PDF,
    or the first author's surname and the year in its name when only one report fits.
    Files that match nothing, or more than one report, are listed and left alone.

    Example:

    \b
        reviewflow fulltext attach pdfs/ --reviewer MC --dry-run
        reviewflow fulltext attach pdfs/ --reviewer MC
    """
    project = out.project()
    reviewer = need_reviewer(project, reviewer)
    with out.session(write=not dry_run, actor=reviewer):
        result = attach_files(project, paths, reviewer=reviewer, dry_run=dry_run)
    if as_json:
        echo_json(result.to_dict())
        return
    table = Table()
    table.add_column("file", overflow="fold", min_width=16)
    for name in ("status", "report", "matched by"):
        table.add_column(name, no_wrap=True)
    table.add_column("title / why not", overflow="fold", min_width=20)
    order = {"matched": 0, "already attached": 1, "ambiguous": 2, "unmatched": 3}
    for m in sorted(result.matches, key=lambda m: order[m.status]):
        status = "to attach" if dry_run and m.status == "matched" else m.status
        style = {"matched": "green", "ambiguous": "yellow", "unmatched": "red"}.get(m.status, "")
        table.add_row(
            m.file.name,
            Text(status, style=style),
            str(m.report_id or ""),
            m.how,
            shorten(m.detail, 48),
        )
    stdout_console().print(table)
    counts = {s: sum(1 for m in result.matches if m.status == s) for s in order}
    summary = f"{counts['ambiguous']} ambiguous, {counts['unmatched']} unmatched"
    if dry_run:
        echo(f"Dry run: {counts['matched']} files would be attached, {summary}.")
        return
    echo(
        f"{result.attached} full texts attached, {counts['already attached']} "
        f"already attached, {summary}."
    )
    if counts["ambiguous"] or counts["unmatched"]:
        echo(
            "Rename the others to start with their report id (e.g. '9 - Hall 2020.pdf') and "
            "run this again, or attach one with: reviewflow fulltext retrieve ID --file FILE"
        )


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
    with out.session(write=True):
        target = screening.group_reports(out.project(), list(report_ids), study_id=study_id)
    echo(f"reports {', '.join(map(str, report_ids))} are now in study {target}")


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
    with out.session(write=True):
        screening.set_report_kind(out.project(), report_id, kind)
    echo(f"report {report_id}: {kind}")
