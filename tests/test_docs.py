"""The README's commands exist: every `reviewflow ...` it shows resolves to a real command."""

from __future__ import annotations

import re
from pathlib import Path

import click

from reviewflow.cli import cli

README = Path(__file__).parent.parent / "README.md"


def _command_paths(text: str) -> set[tuple[str, ...]]:
    """Leading command words of every `reviewflow ...` mention (options and values dropped)."""
    paths = set()
    for match in re.finditer(r"reviewflow((?: [a-z][a-z-]*)+)", text):
        words = match.group(1).split()
        paths.add(tuple(words[:2]))
    return paths


def _resolve(words: tuple[str, ...]) -> bool:
    command: click.Command = cli
    for n, word in enumerate(words):
        if not isinstance(command, click.Group):
            return n > 0  # a plain command followed by an argument (e.g. a folder name)
        sub = command.get_command(click.Context(command), word)  # loads lazy commands
        if sub is None:  # only a group that runs itself and takes an argument accepts it
            takes_argument = any(isinstance(p, click.Argument) for p in command.params)
            return n > 0 and command.invoke_without_command and takes_argument
        command = sub
    return True


def test_every_command_in_the_readme_exists() -> None:
    paths = _command_paths(README.read_text(encoding="utf-8"))
    assert ("demo", "demo-review") in paths or ("demo",) in {p[:1] for p in paths}
    missing = sorted(" ".join(p) for p in paths if not _resolve(p))
    assert missing == []


def test_the_readme_test_command_is_the_one_ci_runs() -> None:
    ci = (README.parent / ".ci" / "run").read_text(encoding="utf-8")
    assert "python -m pytest" in README.read_text(encoding="utf-8")
    assert ci.rstrip().splitlines()[-1] == "python -m pytest"
