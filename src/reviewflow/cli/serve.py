"""``reviewflow serve``: the team web app for a project, or a folder of projects."""

from __future__ import annotations

import ipaddress
from pathlib import Path

import click

from ..errors import ProjectError
from . import cli
from ._output import echo


def _loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


@cli.command("serve")
@click.argument("path", default=".")
@click.option(
    "--host",
    default="127.0.0.1",
    show_default=True,
    help="Address to listen on; 0.0.0.0 lets other computers in (use HTTPS in front).",
)
@click.option("--port", default=8000, show_default=True, type=int, help="Port to listen on.")
@click.option(
    "--files",
    type=click.Path(file_okay=False, path_type=Path),
    help="With a PostgreSQL PATH: where the projects' files (full texts, caches, "
    "reports) are kept, one folder each [default: ./reviewflow-files].",
)
def serve_cmd(path: str, host: str, port: int, files: Path | None) -> None:
    """Serve the team web app for a project, a folder of projects or a PostgreSQL server.

    PATH is a project folder, a folder of project folders, or a PostgreSQL server
    (postgresql://user@host:5432/ for every project database there, or .../dbname).

    Reviewers sign in in their browser (invite them from the Team page, or with
    reviewflow account invite); the first owner is made with reviewflow account
    create-owner. A project made by reviewflow demo lets visitors sign in as its demo
    users while the server listens only on this computer. Stop it with Ctrl+C.

    Example:

    \b
        reviewflow serve                     # the project in this folder
        reviewflow serve reviews/ --port 8080
        reviewflow serve 'postgresql://rf:${RF_DB_PASSWORD}@db.example.org/' --files /srv/rf
    """
    import uvicorn

    from ..project import is_server_url
    from ..web import create_app

    server = is_server_url(path)
    if not server and not Path(path).is_dir():
        raise ProjectError(
            f"{path} is not a folder",
            hint="Give a project folder, a folder of projects or a PostgreSQL server: "
            "reviewflow serve PATH (or postgresql://user@host:5432/)",
        )
    if files is not None and not server:
        raise ProjectError(
            "--files is for projects served from a PostgreSQL server",
            hint="A project folder keeps its own files: leave --files out",
        )
    app = create_app(path, demo_sign_in=_loopback(host), files=files)
    host_ = app.state.host
    slugs = host_.slugs()
    if not slugs and server:
        echo(
            "No review projects on that server yet: create one with reviewflow init FOLDER "
            "--database-url postgresql://.../DBNAME; the server lists it once it exists.",
            err=True,
        )
    elif not slugs:
        echo(
            f"No review projects in {Path(path).resolve()} yet: create one with reviewflow "
            "init FOLDER there; the server lists it once it exists.",
            err=True,
        )
    elif server:
        echo(f"The projects' files are kept under {host_.path}", err=True)
    for slug in slugs:
        for line in _who_can_sign_in(host_, slug, demo=_loopback(host)):
            echo(line, err=True)
    shown = "127.0.0.1" if host in ("0.0.0.0", "::") else host
    echo(
        f"reviewflow is serving {len(slugs)} project(s) at http://{shown}:{port}/ "
        "(Ctrl+C stops it)",
        err=True,
    )
    uvicorn.run(app, host=host, port=port, log_level="warning")


def _who_can_sign_in(host: object, slug: str, *, demo: bool) -> list[str]:
    from .. import accounts

    project = host.project(slug)  # type: ignore[attr-defined]
    report = project.settings.report
    if demo and report is not None and report.published == "seed":
        return [f"{slug}: the demo review; sign in as any of its team from its log-in page"]
    with project.session(write=False) as session:
        owners = accounts.owners_with_password(session.conn)
    if owners:
        return []
    return [
        f"{slug}: nobody can sign in yet. Make the first owner with: reviewflow account "
        f'create-owner INITIALS --name "Full Name" (in {project.root})'
    ]
