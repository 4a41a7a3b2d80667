"""The ``reviewflow`` command: thin shells over the Python API.

Every command parses its input, calls one stage function and renders the result. A
:class:`~reviewflow.errors.ReviewflowError` becomes ``Error: ...`` on stderr and exit 1
in exactly one place (:class:`_Group`); results go to stdout (``--json`` for scripts),
progress to stderr.
"""

from __future__ import annotations

import sys
from typing import Any

import click

from ..errors import ReviewflowError
from ._output import OutputContext


class _Group(click.Group):
    """Turns every ReviewflowError into a short message and exit status 1."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except ReviewflowError as exc:
            raise click.ClickException(str(exc)) from None


@click.group(cls=_Group, context_settings={"help_option_names": ["-h", "--help"]})
@click.option(
    "--project",
    "-p",
    "project_dir",
    type=click.Path(file_okay=False, path_type=str),
    default=None,
    help="Project folder (default: the current folder or the nearest parent with review.toml).",
)
@click.version_option(package_name="reviewflow")
@click.pass_context
def cli(ctx: click.Context, project_dir: str | None) -> None:
    """reviewflow: systematic reviews with qualitative evidence synthesis.

    Example:

    \b
        reviewflow init my-review --title "Social prescribing and mental health"
        cd my-review
        reviewflow search add --database Embase --platform Ovid --date 2022-03-21 \\
            --query-file embase.txt --records 1234 --file embase.ris
        reviewflow import embase.ris --search 1
        reviewflow status
    """
    ctx.obj = OutputContext(project_dir=project_dir)


def main(argv: list[str] | None = None) -> None:
    """Console entry point."""
    cli.main(args=argv, prog_name="reviewflow")


# The command modules register themselves on ``cli`` when imported.
from . import (  # noqa: E402, F401
    appraise,
    cerqual,
    dedup,
    export_cmd,
    extract,
    importing,
    plan_cmds,
    prisma,
    project_cmds,
    report,
    screen,
    search,
    simulate,
    studies,
    synthesis,
    themes,
)

__all__ = ["cli", "main"]

if __name__ == "__main__":  # pragma: no cover
    main(sys.argv[1:])
