"""``reviewflow import`` without --search, ``imports link`` and ``imports remove`` as a user
meets them: what is said on stdout and stderr, what is refused, what the history keeps."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from reviewflow.cli import cli
from reviewflow.cli import importing as importing_cli

NEW = Path(__file__).parent.parent / "data" / "newreview"


@pytest.fixture
def runner() -> CliRunner:
    return CliRunner()


@pytest.fixture
def proj(runner: CliRunner, tmp_path: Path) -> Path:
    root = tmp_path / "p"
    result = runner.invoke(cli, ["init", str(root), "--title", "T", "--reviewer", "AB:Ann Baker"])
    assert result.exit_code == 0, result.output
    return root


def run(runner: CliRunner, proj: Path, *args: str, input: str | None = None) -> Result:
    return runner.invoke(cli, ["-p", str(proj), *args], input=input)


def _prisma(runner: CliRunner, proj: Path) -> dict:
    result = run(runner, proj, "prisma", "--format", "csv", "--json")
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def test_import_links_the_logged_file_and_says_so(runner: CliRunner, proj: Path) -> None:
    run(
        runner,
        proj,
        "search",
        "add",
        "--database",
        "Web of Science",
        "--file",
        str(NEW / "wos.txt"),
    )
    result = run(runner, proj, "import", str(NEW / "wos.txt"))
    assert result.exit_code == 0, result.output
    assert "Linked to search 1: its logged file has the same content" in result.stdout
    assert "Warning" not in result.stderr


def test_import_without_search_warns_with_the_linking_command(
    runner: CliRunner, proj: Path
) -> None:
    result = run(runner, proj, "import", str(NEW / "wos.txt"))
    assert result.exit_code == 0
    assert "Imported 3 records from wos.txt" in result.stdout
    assert "Warning: wos.txt is not linked to a logged search" in result.stderr
    assert "reviewflow imports link 1 --search SEARCH_ID" in result.stderr
    assert "--force" not in result.stderr
    as_json = run(runner, proj, "import", str(NEW / "embase.ris"), "--json")
    json.loads(as_json.stdout)  # the warning stays off stdout
    assert "reviewflow imports link 2" in as_json.stderr


def test_the_prisma_hint_leads_to_link_and_counts_once(runner: CliRunner, proj: Path) -> None:
    run(runner, proj, "import", str(NEW / "wos.txt"))
    run(runner, proj, "search", "add", "--database", "Web of Science", "--records", "3")
    before = _prisma(runner, proj)
    assert before["counts"]["records_identified"] == 6  # the search's 3 and the file's 3
    (note,) = before["notes"]
    assert "reviewflow imports link IMPORT_ID --search SEARCH_ID" in note and "--force" not in note
    # what users did before: import again with --search, then --force as the error said
    again = run(runner, proj, "import", str(NEW / "wos.txt"), "--search", "1")
    assert again.exit_code == 1
    assert "reviewflow imports link 1 --search 1" in again.stderr

    linked = run(runner, proj, "imports", "link", "1", "--search", "1", "--reviewer", "AB")
    assert linked.exit_code == 0, linked.output
    assert "Linked import 1 (wos.txt) to search 1 (Web of Science)" in linked.stdout
    after = _prisma(runner, proj)
    assert after["counts"]["records_identified"] == 3 and after["notes"] == []
    assert after["counts"]["databases"] == [["Web of Science", 3]]
    status = json.loads(run(runner, proj, "status", "--json").stdout)
    assert status["records"] == 3 and status["notes"] == []


def test_relink_to_another_search_is_refused_unless_replace(runner: CliRunner, proj: Path) -> None:
    run(runner, proj, "search", "add", "--database", "Embase", "--date", "2022-03-21")
    run(runner, proj, "search", "add", "--database", "Web of Science")
    run(runner, proj, "import", str(NEW / "wos.txt"), "--search", "1")
    refused = run(runner, proj, "imports", "link", "1", "--search", "2")
    assert refused.exit_code == 1
    assert "already linked to search 1 (Embase, 2022-03-21)" in refused.stderr
    assert "--replace" in refused.stderr
    moved = run(runner, proj, "imports", "link", "1", "--search", "2", "--replace")
    assert moved.exit_code == 0 and "(was search 1)" in moved.stdout
    history = run(runner, proj, "imports", "list")
    assert "linked to search 2 (was search 1)" in history.stdout


def test_force_help_says_the_records_are_counted_twice(runner: CliRunner) -> None:
    text = " ".join(runner.invoke(cli, ["import", "--help"]).stdout.split())
    assert "a second time" in text and "imports link" in text and "imports remove" in text
    for command in ("link", "remove", "list"):
        assert "Example:" in runner.invoke(cli, ["imports", command, "--help"]).stdout


def _forced_copy(runner: CliRunner, proj: Path) -> None:
    run(
        runner,
        proj,
        "search",
        "add",
        "--database",
        "Web of Science",
        "--file",
        str(NEW / "wos.txt"),
    )
    run(runner, proj, "import", str(NEW / "wos.txt"))
    run(runner, proj, "import", str(NEW / "embase.ris"))
    assert run(runner, proj, "dedup").exit_code == 0
    copy = run(runner, proj, "import", str(NEW / "wos.txt"), "--search", "1", "--force")
    assert copy.exit_code == 0, copy.output


def test_remove_refuses_without_yes_when_nobody_can_answer(runner: CliRunner, proj: Path) -> None:
    _forced_copy(runner, proj)
    status = json.loads(run(runner, proj, "status", "--json").stdout)
    assert any("reviewflow imports remove 3" in n for n in status["notes"])
    result = run(runner, proj, "imports", "remove", "3")
    assert result.exit_code == 1
    assert "3 records" in result.stdout  # it still shows what would go
    assert "needs a confirmation" in result.stderr and "--yes" in result.stderr
    assert json.loads(run(runner, proj, "status", "--json").stdout)["records"] == 12


def test_remove_with_yes_restores_the_counts_and_keeps_history(
    runner: CliRunner, proj: Path
) -> None:
    run(
        runner,
        proj,
        "search",
        "add",
        "--database",
        "Web of Science",
        "--file",
        str(NEW / "wos.txt"),
    )
    run(runner, proj, "import", str(NEW / "wos.txt"))
    run(runner, proj, "import", str(NEW / "embase.ris"))
    run(runner, proj, "dedup")
    before = _prisma(runner, proj)["counts"]
    run(runner, proj, "import", str(NEW / "wos.txt"), "--search", "1", "--force")
    run(runner, proj, "dedup")
    assert _prisma(runner, proj)["counts"]["databases"][0] == ["Web of Science", 6]

    result = run(runner, proj, "imports", "remove", "3", "--yes", "--reviewer", "AB")
    assert result.exit_code == 0, result.output
    assert "Removed import 3 (wos.txt, 3 records)" in result.stdout
    assert _prisma(runner, proj)["counts"] == before
    listed = json.loads(run(runner, proj, "imports", "list", "--json").stdout)
    assert [i["id"] for i in listed["imports"]] == [1, 2]
    (event,) = listed["history"]
    assert event["action"] == "remove" and event["reviewer"] == "AB"
    assert event["file_name"] == "wos.txt" and len(event["file_sha256"]) == 64
    assert event["details"]["counts"]["records"] == 3
    shown = run(runner, proj, "imports", "list").stdout
    assert "import 3 wos.txt" in shown and "removed with its 3 records, by AB" in shown
    rerun = run(runner, proj, "dedup")
    assert rerun.exit_code == 0 and "No new records" in rerun.stdout


def test_remove_asks_a_person_and_warns_about_screening_decisions(
    runner: CliRunner, proj: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    run(runner, proj, "import", str(NEW / "wos.txt"))
    toml = proj / "review.toml"
    toml.write_text(
        toml.read_text(encoding="utf-8") + '\n[screening.ta]\nreviewers = ["AB"]\n',
        encoding="utf-8",
    )
    decided = run(
        runner, proj, "screen", "decide", "1", "--stage", "ta", "--reviewer", "AB",
        "--decision", "include",
    )  # fmt: skip
    assert decided.exit_code == 0, decided.output
    monkeypatch.setattr(importing_cli, "_interactive", lambda: True)
    declined = run(runner, proj, "imports", "remove", "1", input="n\n")
    assert declined.exit_code == 0 and "Nothing was removed." in declined.stdout
    assert "WARNING: This deletes work of the team: 1 title/abstract screening decisions" in (
        declined.stderr
    )
    assert "Delete 1 screening decisions of the team with it?" in declined.stdout
    assert json.loads(run(runner, proj, "status", "--json").stdout)["records"] == 3
    accepted = run(runner, proj, "imports", "remove", "1", input="y\n")
    assert accepted.exit_code == 0, accepted.output
    assert json.loads(run(runner, proj, "status", "--json").stdout)["records"] == 0


def test_unknown_import_says_where_to_find_the_ids(runner: CliRunner, proj: Path) -> None:
    for args in (("remove", "7", "--yes"), ("link", "7", "--search", "1")):
        result = run(runner, proj, "imports", *args)
        assert result.exit_code == 1
        assert "no import 7" in result.stderr and "reviewflow imports list" in result.stderr
        assert "Traceback" not in result.output
