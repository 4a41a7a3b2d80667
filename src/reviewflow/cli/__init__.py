"""The ``reviewflow`` command: thin shells over the Python API.

Every command parses its input, calls one stage function and renders the result. A
:class:`~reviewflow.errors.ReviewflowError` becomes ``Error: ...`` on stderr and exit 1
in exactly one place (:class:`_Group`); results go to stdout (``--json`` for scripts),
progress to stderr.

Command modules are imported lazily (:class:`_Group` and :data:`COMMANDS`): ``reviewflow
--help`` imports none of them and ``reviewflow CMD`` imports only CMD's module, so a
command that does not rank or write a report does not pay for scikit-learn or the
report stack at start.
"""

from __future__ import annotations

import importlib
import sys
from typing import Any, NamedTuple

import click

from .. import __version__
from ..errors import ReviewflowError
from ._output import OutputContext


class Lazy(NamedTuple):
    """Where a top-level command lives and its short help, known without importing it."""

    target: str  # "module:attribute", module relative to reviewflow.cli
    short_help: str  # = the command's get_short_help_str(); tests/cli/test_startup.py checks


# Every top-level command: one line each. A test fails if a module in cli/ registers a
# command that is missing here, or if a short help here differs from the command's own.
# fmt: off
COMMANDS: dict[str, Lazy] = {
    "account": Lazy("account:account_group", "Log-ins for the team web app: the first owner, passwords, invitation links."),  # noqa: E501
    "agreement": Lazy("screen:agreement_cmd", "Inter-rater agreement on the independently double-screened items, before arbitration."),  # noqa: E501
    "appraise": Lazy("appraise:appraise_group", "Quality appraisal: two independent appraisals, agreement, consensus, scores."),  # noqa: E501
    "cerqual": Lazy("cerqual:cerqual_group", "GRADE-CERQual confidence in review findings; Summary of Qualitative Findings."),  # noqa: E501
    "code": Lazy("synthesis:code_group", "Findings, segments and the code bank (thematic synthesis stage 1)."),  # noqa: E501
    "conflicts": Lazy("screen:conflicts_cmd", "List items whose votes disagree (only the arbiter, until the stage is closed)."),  # noqa: E501
    "dedup": Lazy("dedup:dedup_group", "Find duplicate records and link them to one canonical record (nothing is deleted)."),  # noqa: E501
    "demo": Lazy("report:demo_cmd", "Build the bundled example review (social prescribing for mental health) and its report."),  # noqa: E501
    "export": Lazy("importing:export_cmd", "Write the project's records as RIS or CSV."),
    "extract": Lazy("extract:extract_group", "Data extraction: template, import, pilot agreement, verification, resolution."),  # noqa: E501
    "fulltext": Lazy("fulltext:fulltext_group", "Reports for full-text screening: create, attach or retrieve, group into studies."),  # noqa: E501
    "imports": Lazy("importing:imports_group", "List imported files, link one to its search, or remove a mistaken one."),  # noqa: E501
    "import": Lazy("importing:import_cmd", "Import a database export; the whole file or nothing."),
    "init": Lazy("project_cmds:init_cmd", "Create a review project: review.toml (team and screening plan) plus its database."),  # noqa: E501
    "jobs": Lazy("jobs:jobs_group", "Heavy work as jobs (import, dedup, ranking features, report): list, add, cancel."),  # noqa: E501
    "plan": Lazy("plan_cmds:plan_group", "See and change the screening plan (who screens what) without editing review.toml."),  # noqa: E501
    "protocol": Lazy("protocol_cmds:protocol_group", "The protocol stored in the project, its history, and review.toml as its copy."),  # noqa: E501
    "prisma": Lazy("prisma:prisma_cmd", "Draw the PRISMA 2020 flow diagram from the project and check its arithmetic."),  # noqa: E501
    "report": Lazy("report:report_cmd", "Write the review report: PRISMA diagram, tables, thematic tree, checks."),  # noqa: E501
    "resolve": Lazy("screen:resolve_cmd", "The arbiter's final decision on a conflict."),
    "reviewer": Lazy("plan_cmds:reviewer_group", "The review team: list, add or remove reviewers without editing review.toml."),  # noqa: E501
    "screen": Lazy("screen:screen_group", "Screen your items at the keyboard: i include, e exclude, m maybe, r reason, q quit."),  # noqa: E501
    "search": Lazy("search:search_group", "Log database searches and other identification methods (PRISMA-S)."),  # noqa: E501
    "serve": Lazy("serve:serve_cmd", "Serve the team web app for a project, a folder of projects or a PostgreSQL server."),  # noqa: E501
    "simulate": Lazy("simulate:simulate_cmd", "Replay title/abstract screening with reviewflow's ranker on a labelled CSV."),  # noqa: E501
    "status": Lazy("project_cmds:status_cmd", "Show records per search, per imported file and per stage."),  # noqa: E501
    "studies": Lazy("studies:studies_group", "Studies: list them with their status and name them (labels in every table)."),  # noqa: E501
    "themes": Lazy("themes:themes_group", "Descriptive and analytical themes, the theme × study matrix, quotes."),  # noqa: E501
    "upgrade": Lazy("project_cmds:upgrade_cmd", "Bring the project database up to this version of reviewflow."),  # noqa: E501
    "worker": Lazy("jobs:worker_cmd", "Run the project's jobs as they are queued, one at a time, until stopped (Ctrl-C)."),  # noqa: E501
}
# fmt: on


def load_command(name: str) -> click.Command:
    """Import the module of command ``name`` (a key of :data:`COMMANDS`) and return it."""
    module, _, attr = COMMANDS[name].target.partition(":")
    command = getattr(importlib.import_module(f"{__name__}.{module}"), attr)
    assert isinstance(command, click.Command), COMMANDS[name].target
    return command


class _Group(click.Group):
    """Loads commands lazily from :data:`COMMANDS`; turns every ReviewflowError into a
    short message and exit status 1."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        # Commands registered the old way (@cli.command in an imported module) count too.
        return sorted(set(COMMANDS) | set(self.commands))

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name not in self.commands and cmd_name in COMMANDS:
            # Importing the module registers the command on ``cli`` (@cli.command);
            # add_command also covers a module that builds it with @click.command.
            self.add_command(load_command(cmd_name), cmd_name)
        return self.commands.get(cmd_name)

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        # As click's own, but from the table's short help: --help imports no command module.
        names = self.list_commands(ctx)
        if not names:
            return
        limit = formatter.width - 6 - max(len(name) for name in names)
        rows = []
        for name in names:
            if name in self.commands:
                cmd = self.commands[name]
                if cmd.hidden:
                    continue
            else:
                cmd = click.Command(name, help=COMMANDS[name].short_help)
            rows.append((name, cmd.get_short_help_str(limit)))
        if rows:
            with formatter.section("Commands"):
                formatter.write_dl(rows)

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except ReviewflowError as exc:
            from ._output import error_text

            raise click.ClickException(error_text(exc)) from None


@click.group(cls=_Group, context_settings={"help_option_names": ["-h", "--help"]})
@click.option(
    "--project",
    "-p",
    "project_dir",
    type=click.Path(file_okay=False, path_type=str),
    default=None,
    help="Project folder (default: the current folder or the nearest parent with review.toml).",
)
# The version as a constant: package_name= would import importlib.metadata on every run.
@click.version_option(version=__version__, prog_name="reviewflow")
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


__all__ = ["COMMANDS", "cli", "main"]

if __name__ == "__main__":  # pragma: no cover
    main(sys.argv[1:])
