"""Output helpers: JSON to stdout, progress bars to stderr only on a terminal.

Imported by ``reviewflow --help``: rich and the project (pydantic, SQLAlchemy) are
imported only when a command uses them.
"""

from __future__ import annotations

import json
import os
import re
import sys
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass
from datetime import date, datetime
from typing import TYPE_CHECKING, Any

import click

from ..errors import InputError, ReviewflowError

if TYPE_CHECKING:
    from rich.console import Console
    from rich.progress import TaskID

    from ..project import Project
    from ..session import Session


@dataclass
class OutputContext:
    project_dir: str | None = None
    _project: Project | None = None

    def project(self) -> Project:
        """The project, opened once per command; what opening did to review.toml (a hand
        edit applied as a protocol version) is said on stderr."""
        if self._project is None:
            import os

            from ..project import Project

            self._project = Project.open(
                self.project_dir, actor=os.environ.get(REVIEWER_ENV) or None
            )
            for notice in self._project.notices:
                echo(notice, err=True)
        return self._project

    def session(self, *, write: bool, actor: str | None = None) -> AbstractContextManager[Session]:
        """The command's one unit of work on its project (``write=False``: it only reads).

        ``actor`` is who acts, the command's ``--reviewer``; without one, the initials in
        REVIEWFLOW_REVIEWER if this terminal set them, else nobody in particular. Print
        after the ``with`` block where possible: what the command says it did is then
        committed.
        """
        return self.project().session(actor=acting(actor), write=write)


def acting(reviewer: str | None) -> str | None:
    """Who acts: the ``--reviewer`` given, else REVIEWFLOW_REVIEWER if set, else None."""
    return reviewer or os.environ.get(REVIEWER_ENV, "").strip() or None


pass_output = click.make_pass_decorator(OutputContext)

REVIEWER_ENV = "REVIEWFLOW_REVIEWER"
_REVIEWER_HELP = (
    f"Your initials, as in review.toml (default: the {REVIEWER_ENV} environment variable, if set)."
)
reviewer_option = click.option("--reviewer", envvar=REVIEWER_ENV, help=_REVIEWER_HELP)


def reviewer_option_as(alias: str, dest: str, *, help: str = _REVIEWER_HELP) -> Any:
    """``--reviewer`` (with an older name kept as ``alias``) for commands whose parameter
    is called ``dest``; resolve it with :func:`need_reviewer`, as for ``reviewer_option``."""
    return click.option("--reviewer", alias, dest, envvar=REVIEWER_ENV, help=help)


def team_initials(project: Project) -> list[str]:
    """The initials of the project's members (users holding a role in the store)."""
    from ..people import team

    with project.session(write=False) as s:
        return [u.initials for u in team(s.conn)]


def need_reviewer(project: Project, reviewer: str | None) -> str:
    """The reviewer given (or from the environment), else a message naming the team."""
    if reviewer:
        return reviewer
    team = team_initials(project)
    listed = ", ".join(team) or "none yet"
    example = team[0] if team else "AB"
    raise InputError(
        f"Who are you? Give --reviewer with your initials (reviewers of this project: {listed}).",
        hint=f"Or set them once for this terminal: export {REVIEWER_ENV}={example}",
    )


def error_text(exc: ReviewflowError) -> str:
    """An error as the terminal shows it after ``Error:``: the message, the next step in
    words, and ``Next: reviewflow ...`` when the words do not already show the command.

    The one place the CLI renders errors (the web app renders ``exc.to_dict()``); record
    text quoted in a message (a title holding ESC) is made safe here.
    """
    lines = [exc.message, *(exc.next.lines() if exc.next is not None else [])]
    return plain("\n".join(lines))


def _default(value: Any) -> Any:
    if isinstance(value, datetime | date):
        return value.isoformat()
    raise TypeError(f"cannot serialise {type(value).__name__}")


def echo_json(data: Any) -> None:
    click.echo(json.dumps(data, indent=2, ensure_ascii=False, default=_default))


def format_stat(value: float | None, *, scale: float = 1.0, digits: int = 2) -> str:
    """A coefficient as a review reports it (0.76, not 0.7575757575757579); "—" if undefined.

    The one formatter for agreement statistics on the terminal, so every command rounds alike.
    """
    return "—" if value is None else f"{value * scale:.{digits}f}"


def format_kappa(kappa: Any) -> str:
    """Cohen's κ with its 95 % CI, e.g. ``0.76 (0.50 to 1.00)``, from a ``KappaResult``."""
    if kappa.kappa is None or kappa.ci_low is None:
        return format_stat(kappa.kappa)
    return f"{format_stat(kappa.kappa)} ({kappa.ci_low:.2f} to {kappa.ci_high:.2f})"


#: Control characters a terminal would act on: C0 except tab and newline, DEL, C1. An ESC
#: in a title could colour the terminal, move the cursor or plant an OSC 8 hyperlink.
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")


def plain(text: object) -> str:
    """Record text made safe to print: control characters (ESC ...) removed."""
    return _CONTROL.sub("", str(text))


def echo(message: object = None, *, err: bool = False, nl: bool = True) -> None:
    """``click.echo`` for every line a command prints: messages quote record text (titles,
    labels, quotes, file names), so control characters are removed here, in one place."""
    click.echo(None if message is None else plain(message), err=err, nl=nl)


def markup_safe(text: object) -> str:
    """Record text for a rich string printed with ``markup=True``: ``[/]`` stays text."""
    from rich.markup import escape

    return escape(plain(text))


def shorten(text: str, width: int) -> str:
    """``text`` cut to ``width`` characters with an ellipsis (table cells)."""
    return text if len(text) <= width else text[: width - 1].rstrip() + "…"


def safe_console(**kwargs: Any) -> Console:
    """A rich console for record text: no markup, emoji or highlighting is read from strings
    (a title ``[link=...]`` is shown, not obeyed; ``[/]`` no longer crashes), and control
    characters are removed from every string it renders. Our own styled lines pass
    ``markup=True`` to ``print`` with their record text through :func:`markup_safe`."""
    from rich.console import Console

    class _SafeConsole(Console):
        def render_str(self, text: str, **kw: Any) -> Any:
            return super().render_str(plain(text), **kw)

    kwargs = {"markup": False, "emoji": False, "highlight": False, **kwargs}
    return _SafeConsole(**kwargs)


def stdout_console() -> Console:
    return safe_console(soft_wrap=True)


@contextmanager
def progress_bar(description: str) -> Iterator[Any]:
    """Yield a ``progress(phase, done, total)`` callback drawing a bar on stderr (TTY only)."""
    if not sys.stderr.isatty():
        yield None
        return
    from rich.console import Console
    from rich.progress import BarColumn, Progress, TextColumn, TimeRemainingColumn

    console = Console(stderr=True)
    tasks: dict[str, TaskID] = {}
    with Progress(
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        TextColumn("{task.completed:,}/{task.total:,}"),
        TimeRemainingColumn(),
        console=console,
        transient=True,
    ) as bar:

        def update(phase: str, done: int, total: int) -> None:
            if phase not in tasks:
                tasks[phase] = bar.add_task(f"{description}: {phase}", total=total)
            bar.update(tasks[phase], completed=done, total=total)

        yield update
