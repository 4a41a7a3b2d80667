"""Errors carry their next step as data: the CLI prints the command, the web app gets JSON."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from reviewflow.cli import cli
from reviewflow.errors import (
    InputError,
    NextAction,
    ParseError,
    StateError,
    StoreError,
    command_in,
)

#: (id, hint as reviewflow words it, the command a user would run); None: no command.
HINTS = [
    ("upgrade", "Back it up, then bring it up to date with: reviewflow upgrade",
     "reviewflow upgrade"),
    ("comma ends it", "Create one with: reviewflow init DIR, or pass --project DIR.",
     "reviewflow init DIR"),
    ("options and values", "Reopen it first with: reviewflow screen reopen --stage ft",
     "reviewflow screen reopen --stage ft"),
    ("file argument", "Add --search, e.g. reviewflow import embase.ris --search 2",
     "reviewflow import embase.ris --search 2"),
    ("full stop ends it", "List them with: reviewflow conflicts --stage ta --reviewer LA.",
     "reviewflow conflicts --stage ta --reviewer LA"),
    ("in brackets", "Code the same studies first (reviewflow code import-codings).",
     "reviewflow code import-codings"),
    ("the first of two", "Give one with --reason; reviewflow plan show lists the reasons.",
     "reviewflow plan show"),
    ("quoted label", 'Rename it: reviewflow studies rename ID "Smith 2019" (or list them)',
     'reviewflow studies rename ID "Smith 2019"'),
    ("ellipsis", "Log the search first with: reviewflow search add ..., or list them",
     "reviewflow search add ..."),
    ("the program, not a command", "Open the session with write=True (a reviewflow bug).", None),
    ("pip", "Install the newer reviewflow: pip install --upgrade reviewflow", None),
    ("no command", "Write it as YYYY-MM-DD, e.g. 2022-03-21.", None),
]  # fmt: skip


@pytest.mark.parametrize(("hint", "command"), [h[1:] for h in HINTS], ids=[h[0] for h in HINTS])
def test_the_command_a_hint_names(hint: str, command: str | None) -> None:
    assert command_in(hint) == command
    action = StoreError("x", hint=hint).next
    assert action == NextAction(text=hint, command=command)


def test_a_hint_reads_as_before_and_is_an_action_too() -> None:
    hint = "Back it up, then bring it up to date with: reviewflow upgrade"
    exc = StoreError("the database was made by an older reviewflow", hint=hint)
    assert str(exc) == f"the database was made by an older reviewflow\n{hint}"
    assert exc.hint == hint
    assert exc.next is not None and exc.next.command == "reviewflow upgrade"


def test_a_next_action_is_said_in_words_then_as_the_command() -> None:
    action = NextAction(text="Back it up first.", command="reviewflow upgrade")
    exc = StoreError("the database is old", next=action)
    assert str(exc).splitlines() == [
        "the database is old",
        "Back it up first.",
        "Next: reviewflow upgrade",
    ]
    assert exc.hint == "Back it up first."
    assert str(StoreError("old", next=NextAction(command="reviewflow upgrade"))) == (
        "old\nNext: reviewflow upgrade"
    )
    assert str(InputError("plain")) == "plain" and InputError("plain").next is None


def test_errors_as_json_for_the_web_app() -> None:
    exc = ParseError("no ER tag", file="embase.ris", line=12, hint="Check the file.")
    data = json.loads(json.dumps(exc.to_dict()))
    assert data == {
        "error": "ParseError",
        "message": "embase.ris:12: no ER tag",
        "next": {"text": "Check the file.", "command": None, "route": None, "label": None},
    }
    action = NextAction(command="reviewflow upgrade", route="project.upgrade", label="Upgrade")
    assert StateError("x", next=action).to_dict()["next"]["route"] == "project.upgrade"


def test_a_rewrapped_error_keeps_its_action() -> None:
    inner = InputError("bad", next=NextAction(text="Fix it.", command="reviewflow plan show"))
    outer = InputError(f"row 3: {inner.message}", next=inner.next)
    assert str(outer).endswith("Fix it.\nNext: reviewflow plan show")


def test_the_cli_prints_the_next_command(tmp_path: Path) -> None:
    runner = CliRunner()
    root = tmp_path / "p"
    assert runner.invoke(cli, ["init", str(root), "--title", "T"]).exit_code == 0
    data = Path(__file__).parent / "data" / "newreview" / "embase.ris"
    assert runner.invoke(cli, ["-p", str(root), "import", str(data)]).exit_code == 0
    result = runner.invoke(cli, ["-p", str(root), "imports", "remove", "1"])
    assert result.exit_code == 1
    assert result.stderr.splitlines()[-3:] == [
        "Error: import 1 was not removed: removing needs a confirmation",
        "Run it in a terminal, or add --yes.",
        "Next: reviewflow imports remove 1 --yes",
    ]
    assert "Traceback" not in result.output
