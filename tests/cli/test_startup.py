"""Starting reviewflow is cheap: commands that neither rank nor write reports import
neither scikit-learn/numpy/scipy/pandas nor the report stack, and ``--help`` imports no
command module at all (its short help comes from the table in ``reviewflow.cli``).

Each check runs in a fresh interpreter, since this test process has long imported
everything. Timings are not asserted here; they depend on the machine.
"""

from __future__ import annotations

import importlib
import json
import os
import pkgutil
import subprocess
import sys
import textwrap
from functools import partial
from pathlib import Path

import click
import pytest
from click.testing import CliRunner

import reviewflow.cli as cli_package
from reviewflow.cli import COMMANDS, cli, load_command

SAMPLE = Path(__file__).parent.parent / "data" / "newreview" / "embase.ris"

#: Never imported by a command that does not rank or write a report.
HEAVY = (
    "sklearn",
    "scipy",
    "pandas",
    "numpy",
    "reviewflow.ranking",
    "reviewflow.reports",
    "cairosvg",
    "docx",
    "openpyxl",
    "alembic",
)

_RUNNER = """
import json, sys
from reviewflow.cli import main
codes = []
for args in json.loads(sys.argv[1]):
    try:
        main(args)
        codes.append(0)
    except SystemExit as exc:
        codes.append(exc.code or 0)
print("\\n@@" + json.dumps({"codes": codes, "modules": sorted(sys.modules)}))
"""


def _run(*invocations: list[str], cwd: Path | None = None) -> tuple[list[int], set[str], str]:
    """Run ``reviewflow ARGS`` for each invocation in one fresh interpreter."""
    env = {**os.environ, "COLUMNS": "80"}
    proc = subprocess.run(
        [sys.executable, "-c", _RUNNER, json.dumps(list(invocations))],
        capture_output=True,
        text=True,
        cwd=cwd,
        env=env,
        timeout=120,
        check=False,
    )
    out, _, tail = proc.stdout.rpartition("\n@@")
    assert tail, proc.stderr
    data = json.loads(tail)
    return data["codes"], set(data["modules"]), out


def _heavy(modules: set[str]) -> list[str]:
    return sorted(m for m in modules if m.split(".")[0] in HEAVY or m.startswith(HEAVY))


def _cli_modules(modules: set[str]) -> set[str]:
    prefix = "reviewflow.cli."
    return {m[len(prefix) :] for m in modules if m.startswith(prefix)} - {"_output"}


def test_help_and_version_list_every_command_without_importing_any() -> None:
    codes, modules, out = _run(["--help"], ["--version"])
    assert codes == [0, 0]
    for name in COMMANDS:
        assert f"\n  {name} " in out, name
    assert "reviewflow, version" in out
    assert _cli_modules(modules) == set()
    assert _heavy(modules) == []
    assert "sqlalchemy" not in modules and "pydantic" not in modules and "rich" not in modules


def test_lazy_help_is_the_help_click_would_print_with_every_command_loaded(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    _, _, lazy = _run(["--help"])
    for name in COMMANDS:
        load_command(name)
    monkeypatch.setenv("COLUMNS", "80")
    monkeypatch.setattr(cli, "format_commands", partial(click.Group.format_commands, cli))
    eager = cli.get_help(click.Context(cli, info_name="reviewflow", **cli.context_settings))
    assert lazy.strip() == eager.strip()


def test_a_command_imports_only_its_own_module() -> None:
    codes, modules, out = _run(["status", "--help"])
    assert codes == [0]
    assert "Show records per search" in out
    assert _cli_modules(modules) == {"project_cmds"}

    codes, modules, _ = _run(["code", "new", "--help"])
    assert codes == [0]
    assert _cli_modules(modules) == {"synthesis"}
    assert _heavy(modules) == []


def test_everyday_commands_on_a_fresh_project_import_nothing_heavy(tmp_path: Path) -> None:
    setup = CliRunner()
    args = ["init", str(tmp_path / "p"), "--title", "T", "--reviewer", "AB:Ann Baker"]
    args += ["--reviewer", "CD:Cy Dee", "--reviewer", "EF:Ed Fox"]
    assert setup.invoke(cli, args).exit_code == 0
    config = tmp_path / "p" / "review.toml"
    config.write_text(
        config.read_text(encoding="utf-8")
        + textwrap.dedent(
            """
            [screening]
            reasons = ["not UK-based"]
            [screening.ta]
            reviewers = ["AB"]
            second_reviewers = ["CD"]
            double_share = 0.2
            arbiter = "EF"
            """
        ),
        encoding="utf-8",
    )
    search = ["--platform", "Ovid", "--query", "x", "--records", "6", "--file", str(SAMPLE)]
    codes, modules, out = _run(
        ["status"],
        ["search", "add", "--database", "Embase", "--date", "2022-03-21", *search],
        ["import", str(SAMPLE), "--search", "1"],
        ["screen", "decide", "1", "--stage", "ta", "--reviewer", "AB", "--decision", "include"],
        ["code", "new", "trust in the link worker", "--reviewer", "AB"],
        ["code", "list"],
        ["status"],
        cwd=tmp_path / "p",
    )
    assert codes == [0] * 7, out
    assert "AB: include" in out and "code 1: trust in the link worker" in out
    assert _heavy(modules) == []


def test_unknown_command_and_user_errors_still_read_as_before(tmp_path: Path) -> None:
    runner = CliRunner()
    result = runner.invoke(cli, ["stauts"])
    assert result.exit_code == 2
    assert "No such command 'stauts'" in result.output
    result = runner.invoke(cli, ["--project", str(tmp_path), "status"])
    assert result.exit_code == 1
    assert result.output.startswith("Error: no reviewflow project")
    assert "Traceback" not in result.output


def test_the_table_short_help_is_each_commands_own() -> None:
    for name, entry in COMMANDS.items():
        command = load_command(name)
        assert entry.short_help == command.get_short_help_str(limit=10_000), name
        assert not command.short_help, f"{name}: the table cannot show an explicit short_help"


def test_every_command_registered_in_cli_modules_is_in_the_table() -> None:
    for info in pkgutil.iter_modules(cli_package.__path__):
        importlib.import_module(f"reviewflow.cli.{info.name}")
    missing = sorted(set(cli.commands) - set(COMMANDS))
    assert not missing, f"add {missing} to reviewflow.cli.COMMANDS"
    for name in COMMANDS:
        assert load_command(name) is cli.commands[name], name


@pytest.mark.parametrize("limit", [30, 45, 74, 200])
def test_table_short_help_is_shortened_like_clicks(limit: int) -> None:
    for name, entry in COMMANDS.items():
        shown = click.Command(name, help=entry.short_help).get_short_help_str(limit)
        assert shown == load_command(name).get_short_help_str(limit), name
