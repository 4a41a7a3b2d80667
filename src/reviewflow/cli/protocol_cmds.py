"""``reviewflow protocol show / history / export / import``: the stored protocol and
review.toml, its readable copy.

The protocol lives, versioned, in the project database (:mod:`reviewflow.protocol`).
``export`` rewrites review.toml from it (in place: comments and layout stay) and
``import`` applies a file to it; they are the two ways out when review.toml and the
stored protocol were both changed, so these commands still run then.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING

import click

from ..errors import ReviewflowError
from . import cli
from ._output import REVIEWER_ENV, OutputContext, echo, echo_json, pass_output

if TYPE_CHECKING:
    from ..project import Project
    from ..protocol import Version


def _project(out: OutputContext, *, say_why: bool = True) -> Project:
    """The project with any hand edit applied, or, when review.toml cannot be applied
    (both changed, or an invalid edit), the stored protocol as it is."""
    from ..project import Project
    from ..protocol import FileNotApplied, ProtocolConflict

    try:
        return out.project()
    except (ProtocolConflict, FileNotApplied) as exc:
        if say_why:
            echo(f"Note: {exc.message}", err=True)
        out._project = Project.open(out.project_dir, sync=False)
        return out._project


@cli.group("protocol")
def protocol_group() -> None:
    """The protocol stored in the project, its history, and review.toml as its copy.

    Example:

    \b
        reviewflow protocol show
        reviewflow protocol history
        reviewflow protocol export        # rewrite review.toml from the store
        reviewflow protocol import        # apply review.toml to the store
    """


@protocol_group.command("show")
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output on stdout.")
@pass_output
def show_cmd(out: OutputContext, as_json: bool) -> None:
    """Show the protocol in force: its version, then its settings as review.toml spells them.

    Example:

    \b
        reviewflow protocol show
        reviewflow protocol show --json
    """
    from .. import protocol
    from ..settings import dump_settings

    project = _project(out)
    with project.session(write=False) as s:
        newest = protocol.latest(s.conn)
    if newest is None:
        raise ReviewflowError("no stored protocol yet", hint="Run: reviewflow upgrade")
    if as_json:
        echo_json({**newest.to_dict(), "protocol": newest.document})
        return
    echo(f"Protocol version {newest.version} ({_when(newest)}, {newest.who} via {newest.source})")
    settings = protocol.settings_of(newest.document, project.settings.database)
    lines = dump_settings(settings).split("\n[database]")[0].rstrip().splitlines()
    while lines and (lines[0].startswith("#") or not lines[0].strip()):
        lines.pop(0)  # the file's header is about the file, not the protocol
    for line in lines:
        echo(line)


def _when(version: Version) -> str:
    return version.created_at.astimezone().strftime("%Y-%m-%d %H:%M")


@protocol_group.command("history")
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output on stdout.")
@pass_output
def history_cmd(out: OutputContext, as_json: bool) -> None:
    """Every version of the protocol: when, who, from where, and what changed.

    Example:

    \b
        reviewflow protocol history
    """
    from .. import protocol

    project = _project(out)
    with project.session(write=False) as s:
        versions = protocol.history(s.conn)
    if as_json:
        echo_json([v.to_dict() for v in versions])
        return
    for v in versions:
        echo(f"version {v.version}  {_when(v)}  {v.who}  {v.source}")
        if v.version == 1 and not v.changes:
            echo("    the protocol as first stored")
        for c in v.changes:
            echo(f"    {c}")


@protocol_group.command("export")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path), required=False)
@pass_output
def export_cmd(out: OutputContext, file: Path | None) -> None:
    """Write the stored protocol to review.toml (or FILE), keeping the file's comments.

    When review.toml and the store were both changed, this keeps the store's version
    and drops the file's edit.

    Example:

    \b
        reviewflow protocol export
        reviewflow protocol export protocol-v3.toml
    """
    from .. import protocol

    project = _project(out, say_why=False)
    target = file or project.config_path
    before = target.read_bytes() if target.exists() else None
    with out.session(write=True):
        protocol.export(project, target)
    with project.session(write=False) as s:
        newest = protocol.latest(s.conn)
    number = newest.version if newest else "?"
    if before == target.read_bytes():
        echo(f"{target} already holds protocol version {number}")
    else:
        echo(f"Wrote protocol version {number} to {target} (its comments kept)")


@protocol_group.command("import")
@click.argument(
    "file", type=click.Path(exists=True, dir_okay=False, path_type=Path), required=False
)
@pass_output
def import_cmd(out: OutputContext, file: Path | None) -> None:
    """Apply review.toml (or FILE) to the stored protocol, as a new version.

    When review.toml and the store were both changed, this keeps the file's version,
    over the store's change(s). A FILE other than review.toml is written into it too.

    Example:

    \b
        reviewflow protocol import
        reviewflow protocol import agreed-protocol.toml
    """
    from .. import protocol

    project = _project(out, say_why=False)
    with out.session(write=True):
        made = protocol.import_file(project, file, changed_by=os.environ.get(REVIEWER_ENV) or None)
    name = (file or project.config_path).name
    if made is None:
        echo(f"{name} already is the stored protocol; nothing changed")
        return
    echo(f"Applied {name} as protocol version {made.version}")
    for change in made.changes:
        echo(f"    {change}")
