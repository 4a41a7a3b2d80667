"""``reviewflow report`` and ``reviewflow demo``: the review's figures and tables, written."""

from __future__ import annotations

from pathlib import Path

import click

from ..project import Project
from ..reports.report import FORMATS, PublishedCheck, build_report
from . import cli
from ._output import OutputContext, echo, echo_json, pass_output, progress_bar


def _formats(value: str) -> tuple[str, ...]:
    return tuple(f.strip().lower() for f in value.split(",") if f.strip())


@cli.command("report")
@click.option(
    "--format",
    "formats",
    default=",".join(FORMATS),
    show_default=True,
    help="Comma-separated: html (one self-contained file), docx, md.",
)
@click.option(
    "--out",
    "out_dir",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="Folder for the report and its figures (default: reports/ in the project).",
)
@click.option("--json", "as_json", is_flag=True, help="Print the files written as JSON.")
@pass_output
def report_cmd(out: OutputContext, formats: str, out_dir: Path | None, as_json: bool) -> None:
    """Write the review report: PRISMA diagram, tables, thematic tree, checks.

    Declared counts (stages run outside reviewflow) are read from [report.declared] in
    review.toml, e.g. duplicates_removed = 10234, and marked as declared.

    Example:

    \b
        reviewflow report
        reviewflow report --format html --out paper/figures
    """
    project = out.project()
    published = _published_check(project)
    # One read-only snapshot: every table and figure of the report shows the same project.
    with progress_bar("Report") as progress, out.session(write=False):
        bar = (lambda _step, done, total: progress("building", done, total)) if progress else None
        paths = build_report(
            project, formats=_formats(formats), out_dir=out_dir, progress=bar, published=published
        )
    _show(paths, as_json)


def _published_check(project: Project) -> PublishedCheck | None:
    """The check of the publication ``[report] published`` names: the only one reviewflow
    ships is the demo's (the seed review), imported only for a project that names it."""
    settings = project.settings.report
    if settings is None or settings.published is None:
        return None
    from ..demo import published_check

    return published_check(settings.published)


@cli.command("demo")
@click.argument(
    "directory", type=click.Path(file_okay=False, path_type=Path), default="demo-review"
)
@click.option("--format", "formats", default=",".join(FORMATS), show_default=True)
@click.option("--json", "as_json", is_flag=True, help="Print the files written as JSON.")
def demo_cmd(directory: Path, formats: str, as_json: bool) -> None:
    """Build the bundled example review (social prescribing for mental health) and its report.

    Creates DIRECTORY as a project from data shipped with reviewflow (offline) and writes
    the full report to DIRECTORY/reports, including where the published review's own
    numbers do not add up.

    Example:

    \b
        reviewflow demo demo-review
        open demo-review/reports/report.html
    """
    from .. import demo

    with progress_bar("Demo") as progress:
        bar = (lambda _step, done, total: progress("building", done, total)) if progress else None
        project, data, paths = demo.run(directory, formats=_formats(formats), progress=bar)
    project.close()
    if as_json:
        _show(paths, True)
        return
    _show(paths, False)
    wrong = [s for s in data.statements if not s.agrees]
    echo(
        f"{len(data.statements) - len(wrong)} of {len(data.statements)} figures stated in the "
        f"review are reproduced; {len(wrong)} are not (see the report)."
    )
    echo(f"Open {paths.get('html', directory / 'reports')}")


def _show(paths: dict[str, Path], as_json: bool) -> None:
    if as_json:
        echo_json({name: str(p) for name, p in paths.items()})
        return
    for path in paths.values():
        echo(f"Wrote {path}")
