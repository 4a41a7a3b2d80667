"""The command line as a user meets it: exit codes, messages on stderr, JSON on stdout."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from reviewflow.cli import cli

DATA = Path(__file__).parent.parent / "data" / "import"


@pytest.fixture
def runner() -> CliRunner:
    return CliRunner()


@pytest.fixture
def proj(runner: CliRunner, tmp_path: Path) -> Path:
    result = runner.invoke(
        cli, ["init", str(tmp_path / "p"), "--title", "Test review", "--reviewer", "MC:M Cooper"]
    )
    assert result.exit_code == 0, result.output
    return tmp_path / "p"


def test_init_writes_review_toml_and_says_what_next(proj: Path) -> None:
    text = (proj / "review.toml").read_text(encoding="utf-8")
    assert 'title = "Test review"' in text
    assert 'initials = "MC"' in text
    assert 'url = "sqlite:///review.db"' in text


def test_user_error_exits_1_with_message_and_no_traceback(
    runner: CliRunner, tmp_path: Path
) -> None:
    result = runner.invoke(cli, ["--project", str(tmp_path), "status"])
    assert result.exit_code == 1
    assert "no reviewflow project" in result.stderr
    assert "reviewflow init" in result.stderr  # names the next step
    assert "Traceback" not in result.stderr + result.stdout


def test_search_add_list_import_status_round(runner: CliRunner, proj: Path, tmp_path: Path) -> None:
    query = tmp_path / "q.txt"
    query.write_text("1 social prescri*.ti,ab.\n2 limit 1 to english\n", encoding="utf-8")
    result = runner.invoke(
        cli,
        [
            "-p",
            str(proj),
            "search",
            "add",
            "--database",
            "Embase",
            "--platform",
            "Ovid",
            "--date",
            "2022-03-21",
            "--query-file",
            str(query),
            "--records",
            "3",
            "--file",
            str(DATA / "embase_ovid.ris"),
        ],
    )
    assert result.exit_code == 0, result.stderr
    assert "reviewflow import" in result.stdout
    listed = json.loads(runner.invoke(cli, ["-p", str(proj), "search", "list", "--json"]).stdout)
    assert listed[0]["query"].startswith("1 social prescri*")
    assert len(listed[0]["file_sha256"]) == 64

    result = runner.invoke(
        cli, ["-p", str(proj), "import", str(DATA / "embase_ovid.ris"), "--search", "1"]
    )
    assert result.exit_code == 0, result.stderr
    assert "Imported 3 records" in result.stdout

    st = json.loads(runner.invoke(cli, ["-p", str(proj), "status", "--json"]).stdout)
    assert st["records"] == 3
    assert st["searches"][0]["records_imported"] == 3


def test_reimport_is_refused_with_exit_1(runner: CliRunner, proj: Path) -> None:
    args = ["-p", str(proj), "import", str(DATA / "embase_ovid.ris")]
    assert runner.invoke(cli, args).exit_code == 0
    again = runner.invoke(cli, args)
    assert again.exit_code == 1
    assert "already imported" in again.stderr and "--force" in again.stderr
    assert runner.invoke(cli, [*args, "--force"]).exit_code == 0


def test_bad_date_is_explained(runner: CliRunner, proj: Path) -> None:
    result = runner.invoke(
        cli, ["-p", str(proj), "search", "add", "--database", "X", "--date", "21/03/2022"]
    )
    assert result.exit_code == 1
    assert "YYYY-MM-DD" in result.stderr


def test_export_writes_ris(runner: CliRunner, proj: Path, tmp_path: Path) -> None:
    runner.invoke(cli, ["-p", str(proj), "import", str(DATA / "embase_ovid.ris")])
    out = tmp_path / "all.ris"
    result = runner.invoke(cli, ["-p", str(proj), "export", str(out)])
    assert result.exit_code == 0, result.stderr
    assert out.read_text(encoding="utf-8").count("ER  -") == 3


def test_export_csv_leads_with_the_record_id_and_round_trips(
    runner: CliRunner, tmp_path: Path
) -> None:
    """The exported CSV names each record by its id; importing it elsewhere and exporting
    again gives the same records, and the id column does not turn into a field."""
    import csv
    import io

    newreview = Path(__file__).parent.parent / "data" / "newreview"
    for name in ("a", "b"):
        args = ["init", str(tmp_path / name), "--title", "T", "--reviewer", "MC:M Cooper"]
        assert runner.invoke(cli, args).exit_code == 0
    a, b = tmp_path / "a", tmp_path / "b"
    for file in ("embase.ris", "medline.nbib", "wos.txt"):
        assert runner.invoke(cli, ["-p", str(a), "import", str(newreview / file)]).exit_code == 0
    first = tmp_path / "first.csv"
    assert runner.invoke(cli, ["-p", str(a), "export", str(first)]).exit_code == 0
    rows = list(csv.DictReader(io.StringIO(first.read_text(encoding="utf-8"))))
    assert next(iter(rows[0])) == "record_id"
    assert [r["record_id"] for r in rows] == [str(i) for i in range(1, 14)]
    # b already holds a record, so the re-imported ones get other ids than in a
    assert (
        runner.invoke(cli, ["-p", str(b), "import", str(DATA / "embase_ovid.ris")]).exit_code == 0
    )
    result = runner.invoke(cli, ["-p", str(b), "import", str(first)])
    assert result.exit_code == 0, result.output
    second = tmp_path / "second.csv"
    assert runner.invoke(cli, ["-p", str(b), "export", str(second), "--import", "2"]).exit_code == 0
    again = list(csv.DictReader(io.StringIO(second.read_text(encoding="utf-8"))))
    assert list(again[0]) == list(rows[0])  # same columns: no stray "record_id" extra column
    assert [r["record_id"] for r in again] == [str(i) for i in range(4, 17)]
    strip = [{k: v for k, v in r.items() if k != "record_id"} for r in rows]
    assert [{k: v for k, v in r.items() if k != "record_id"} for r in again] == strip


def test_every_command_help_has_an_example(runner: CliRunner) -> None:
    import click

    def walk(group: click.Group, prefix: list[str]) -> list[list[str]]:
        out = []
        for name, cmd in group.commands.items():
            if isinstance(cmd, click.Group):
                out += walk(cmd, [*prefix, name])
            else:
                out.append([*prefix, name])
        return out

    for path in walk(cli, []):
        result = runner.invoke(cli, [*path, "--help"])
        assert result.exit_code == 0
        assert "Example:" in result.stdout, path
