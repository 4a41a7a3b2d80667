"""``reviewflow jobs`` and ``reviewflow worker``: heavy work queued, run, watched, cancelled.

The commands are a few lines each over :mod:`reviewflow.jobs`; a job's parameters are
checked when it is added, so a wrong file name is said at once, not in the worker.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import click
from rich.table import Table

from .. import jobs as job_api
from ..jobs import Job
from . import cli
from ._output import (
    OutputContext,
    acting,
    echo,
    echo_json,
    pass_output,
    progress_bar,
    reviewer_option,
    stdout_console,
)

_JSON = click.option("--json", "as_json", is_flag=True, help="Print the job(s) as JSON.")
_WAIT = click.option("--wait", is_flag=True, help="Wait for a worker to finish it, with progress.")


@cli.group("jobs", invoke_without_command=True)
@_JSON
@click.pass_context
def jobs_group(ctx: click.Context, as_json: bool) -> None:
    """Heavy work as jobs (import, dedup, ranking features, report): list, add, cancel.

    Example:

    \b
        reviewflow jobs add import embase.ris --search 1
        reviewflow jobs
        reviewflow jobs cancel 3
    """
    if ctx.invoked_subcommand is None:
        out = ctx.find_object(OutputContext)
        assert out is not None
        listed = job_api.list_jobs(out.project())
        if as_json:
            echo_json([j.to_dict() for j in listed])
            return
        if not listed:
            echo("No jobs yet. Add one with: reviewflow jobs add import FILE (or dedup, report).")
            return
        table = Table("id", "job", "status", "progress", "asked by", "what it says")
        for j in listed:
            table.add_row(
                str(j.id), j.title, j.status, _progress(j), j.requested_by or "-", j.message or ""
            )
        stdout_console().print(table)


def _progress(job: Job) -> str:
    if job.status == "queued":
        return "waiting for a worker"
    if job.percent is None:
        return job.phase or "-"
    return f"{job.phase or ''} {job.percent} %".strip()


@jobs_group.group("add")
def add_group() -> None:
    """Queue a job; a worker runs it (reviewflow worker, or the server's own)."""


def _added(out: OutputContext, job: Job, wait: bool, as_json: bool) -> None:
    if wait:
        job = _wait(out, job.id)
    if as_json:
        echo_json(job.to_dict())
    elif not wait:
        echo(
            f"job {job.id} queued: {job.title.lower()}. A worker runs it: reviewflow worker "
            "(or reviewflow serve); watch it with: reviewflow jobs"
        )
    else:
        echo(f"job {job.id} {job.status}: {job.message}")
    if job.status in ("failed", "cancelled"):
        raise SystemExit(1)


@add_group.command("import")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--search", "search_id", type=int, help="The logged search it came from.")
@click.option("--format", "file_format", help="The file's format, if not recognised.")
@click.option("--force", is_flag=True, help="Import a file already imported (counted twice).")
@reviewer_option
@_WAIT
@_JSON
@pass_output
def add_import_cmd(
    out: OutputContext, file: Path, search_id: int | None, file_format: str | None,
    force: bool, reviewer: str | None, wait: bool, as_json: bool,
) -> None:  # fmt: skip
    """Import a database export as a job (the whole file or nothing).

    Example:

    \b
        reviewflow jobs add import embase.ris --search 1 --wait
    """
    params: dict[str, Any] = {"path": str(file), "search_id": search_id, "force": force}
    if file_format:
        params["format"] = file_format
    job = job_api.submit(out.project(), "import", params, by=acting(reviewer))
    _added(out, job, wait, as_json)


@add_group.command("dedup")
@reviewer_option
@_WAIT
@_JSON
@pass_output
def add_dedup_cmd(out: OutputContext, reviewer: str | None, wait: bool, as_json: bool) -> None:
    """Find duplicates among the records imported since the last run, as a job.

    Example:

    \b
        reviewflow jobs add dedup --wait
    """
    _added(out, job_api.submit(out.project(), "dedup", by=acting(reviewer)), wait, as_json)


@add_group.command("features")
@click.option("--stage", default="ta", show_default=True, type=click.Choice(["ta"]))
@reviewer_option
@_WAIT
@_JSON
@pass_output
def add_features_cmd(
    out: OutputContext, stage: str, reviewer: str | None, wait: bool, as_json: bool
) -> None:
    """Prepare the ranking of every reviewer of a stage (a minute on 50,000 records).

    Example:

    \b
        reviewflow jobs add features --stage ta
    """
    job = job_api.submit(out.project(), "features", {"stage": stage}, by=acting(reviewer))
    _added(out, job, wait, as_json)


@add_group.command("report")
@click.option("--format", "formats", multiple=True, help="html, docx, md (default: all).")
@click.option("--out", "out_dir", type=click.Path(file_okay=False), help="Folder to write to.")
@reviewer_option
@_WAIT
@_JSON
@pass_output
def add_report_cmd(
    out: OutputContext, formats: tuple[str, ...], out_dir: str | None, reviewer: str | None,
    wait: bool, as_json: bool,
) -> None:  # fmt: skip
    """Write the review report as a job.

    Example:

    \b
        reviewflow jobs add report --format html --wait
    """
    params = {"formats": list(formats) or None, "out_dir": out_dir}
    _added(out, job_api.submit(out.project(), "report", params, by=acting(reviewer)), wait, as_json)


@jobs_group.command("show")
@click.argument("job_id", type=int)
@_JSON
@pass_output
def show_cmd(out: OutputContext, job_id: int, as_json: bool) -> None:
    """One job: what it is, how far it got, what it did or why it stopped.

    Example:

    \b
        reviewflow jobs show 3
    """
    job = job_api.get(out.project(), job_id)
    if as_json:
        echo_json(job.to_dict())
        return
    echo(f"job {job.id}: {job.title} ({job.kind}), {job.status}, {_progress(job)}")
    echo(f"asked by {job.requested_by or '-'} at {job.created_at:%Y-%m-%d %H:%M}; "
         f"attempts {job.attempts}")  # fmt: skip
    if job.message:
        echo(job.message)


@jobs_group.command("wait")
@click.argument("job_id", type=int)
@pass_output
def wait_cmd(out: OutputContext, job_id: int) -> None:
    """Wait for a job to end, showing its progress; exits 1 if it failed or was cancelled.

    Example:

    \b
        reviewflow jobs wait 3
    """
    job = _wait(out, job_id)
    echo(f"job {job.id} {job.status}: {job.message}")
    if job.status != "done":
        raise SystemExit(1)


def _wait(out: OutputContext, job_id: int) -> Job:
    project = out.project()
    with progress_bar(f"Job {job_id}") as bar:
        while True:
            job = job_api.get(project, job_id)
            if bar and job.phase and job.total:
                bar(job.phase, job.done, job.total)
            if job.ended:
                return job
            time.sleep(0.5)


@jobs_group.command("cancel")
@click.argument("job_id", type=int)
@reviewer_option
@pass_output
def cancel_cmd(out: OutputContext, job_id: int, reviewer: str | None) -> None:
    """Stop a job: a queued one at once, a running one at its next step (nothing it did
    is kept).

    Example:

    \b
        reviewflow jobs cancel 3
    """
    job = job_api.cancel(out.project(), job_id, by=acting(reviewer))
    if job.status == "cancelled":
        echo(f"job {job.id} cancelled before it started.")
    else:
        echo(f"job {job.id} asked to stop; it ends at its next step (reviewflow jobs).")


@cli.command("worker")
@click.option("--drain", is_flag=True, help="Stop once no job is queued (scripts, cron).")
@click.option("--poll", type=float, default=1.0, show_default=True, help="Seconds between looks.")
@pass_output
def worker_cmd(out: OutputContext, drain: bool, poll: float) -> None:
    """Run the project's jobs as they are queued, one at a time, until stopped (Ctrl-C).

    Start as many as you like, here or on other machines against the same PostgreSQL
    database: each job runs once, and a job whose worker is killed runs again elsewhere.

    Example:

    \b
        reviewflow worker
        reviewflow worker --drain
    """
    project = out.project()
    name = job_api.worker_name()
    echo(f"worker {name} on {project.root}: waiting for jobs (Ctrl-C stops)", err=True)
    if job_api.uses_queue_server(project):
        from ..jobs import pgqueue

        pgqueue.work(project, drain=drain, name=name)
        return
    try:
        while True:
            job = job_api.run_next(project, worker=name)
            if job is not None:
                echo(f"job {job.id} ({job.kind}) {job.status}: {job.message}", err=True)
                continue
            if drain:
                return
            time.sleep(poll)
    except KeyboardInterrupt:
        echo("worker stopped.", err=True)
