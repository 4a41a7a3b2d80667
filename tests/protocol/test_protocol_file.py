"""The protocol lives in the store; review.toml is its readable copy, comments kept.

A hand edit reaches the store on the next command (with a history entry), an edit made
in both places is refused with the two commands that resolve it, an invalid edit applies
nothing, and nothing reviewflow does by itself rewrites the file.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from reviewflow import protocol
from reviewflow.cli import cli
from reviewflow.project import Project

TEAM = ["--reviewer", "AB:Ann Baker", "--reviewer", "CD:Chris Dale", "--reviewer", "EF:Eve Ford"]
PLAN = ["--ta-reviewers", "AB", "--ta-second", "CD", "--ta-share", "0.2", "--ta-arbiter", "EF",
        "--reasons", "not carers; not qualitative"]  # fmt: skip
COMMENT = "# agreed at the protocol meeting, 3 May"


def rf(root: Path, *args: str, env: dict[str, str] | None = None) -> Result:
    return CliRunner().invoke(cli, ["-p", str(root), *args], env=env)


@pytest.fixture
def proj(tmp_path: Path, database_url: str) -> Path:
    root = tmp_path / "r"
    result = CliRunner().invoke(
        cli,
        ["init", str(root), "--title", "Carers", *TEAM, *PLAN, "--database-url", database_url],
    )
    assert result.exit_code == 0, result.output
    config = root / "review.toml"
    text = config.read_text(encoding="utf-8")
    config.write_text(text.replace('title = "Carers"', f'title = "Carers"  {COMMENT}'))
    assert rf(root, "status").exit_code == 0  # the comment-only edit: nothing to apply
    return root


def history(root: Path) -> list[dict[str, object]]:
    result = rf(root, "protocol", "history", "--json")
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def edit(root: Path, old: str, new: str) -> None:
    config = root / "review.toml"
    text = config.read_text(encoding="utf-8")
    assert old in text
    config.write_text(text.replace(old, new, 1), encoding="utf-8")


def test_export_and_import_of_an_unchanged_protocol_change_nothing(proj: Path) -> None:
    before = (proj / "review.toml").read_bytes()
    result = rf(proj, "protocol", "export")
    assert result.exit_code == 0, result.output
    assert "already holds protocol version 1" in result.output
    assert (proj / "review.toml").read_bytes() == before
    result = rf(proj, "protocol", "import")
    assert result.exit_code == 0 and "nothing changed" in result.output
    assert [v["version"] for v in history(proj)] == [1]


def test_a_comment_survives_plan_set_and_export(proj: Path, tmp_path: Path) -> None:
    result = rf(proj, "plan", "set", "--stage", "ta", "--share", "0.3")
    assert result.exit_code == 0, result.output
    text = (proj / "review.toml").read_text(encoding="utf-8")
    assert COMMENT in text and "double_share = 0.3" in text
    assert history(proj)[-1]["changes"] == [
        {"path": "screening.ta.double_share", "old": 0.2, "new": 0.3}
    ]
    copy = tmp_path / "copy.toml"
    copy.write_text((proj / "review.toml").read_text(encoding="utf-8") + "# my copy\n")
    edit_copy = copy.read_text(encoding="utf-8").replace("double_share = 0.3", "double_share = 1.0")
    copy.write_text(edit_copy, encoding="utf-8")
    assert rf(proj, "protocol", "export", str(copy)).exit_code == 0
    exported = copy.read_text(encoding="utf-8")
    assert COMMENT in exported and "# my copy" in exported and "double_share = 0.3" in exported


def test_a_hand_edit_is_applied_once_with_a_history_entry(proj: Path) -> None:
    edit(proj, "double_share = 0.2", "double_share = 0.3")
    result = rf(proj, "plan", "show", "--json", env={"REVIEWFLOW_REVIEWER": "AB"})
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["ta"]["double_share"] == 0.3
    assert (
        "review.toml changed: applied as protocol version 2 "
        "(screening.ta.double_share 0.2 → 0.3)" in result.stderr
    )
    again = rf(proj, "plan", "show")
    assert again.exit_code == 0 and "review.toml changed" not in again.stderr
    last = history(proj)[-1]
    assert (last["version"], last["source"], last["changed_by"]) == (2, "review.toml", "AB")
    assert last["account"]  # the computer account that ran the command
    assert COMMENT in (proj / "review.toml").read_text(encoding="utf-8")


def _change_in_store(root: Path, reason: str) -> None:
    """What the web app does: a new version in the store, the file left alone."""
    project = Project.open(root)
    try:
        changed = project.settings.model_copy(deep=True)
        assert changed.screening is not None
        changed.screening.reasons.append(reason)
        with project.session(actor="EF") as s:
            protocol.save(s.conn, changed, source="web")
    finally:
        project.close()


def test_a_store_change_leaves_the_file_alone_and_says_how_to_export(proj: Path) -> None:
    before = (proj / "review.toml").read_bytes()
    _change_in_store(proj, "not UK")
    result = rf(proj, "plan", "show", "--json")
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["reasons"][-1] == "not UK"  # the store is in force
    assert "review.toml is behind the stored protocol (version 2, by EF via web" in result.stderr
    assert "reviewflow protocol export" in result.stderr
    assert (proj / "review.toml").read_bytes() == before
    assert rf(proj, "protocol", "export").exit_code == 0
    text = (proj / "review.toml").read_text(encoding="utf-8")
    assert '"not UK"' in text and COMMENT in text
    assert "behind" not in rf(proj, "status").stderr


def test_both_changed_is_refused_naming_both_commands(proj: Path) -> None:
    _change_in_store(proj, "not UK")
    edit(proj, "double_share = 0.2", "double_share = 0.5")
    result = rf(proj, "plan", "show")
    assert result.exit_code == 1
    out = result.output
    assert "review.toml and the stored protocol have both changed since version 1" in out
    assert "screening.ta.double_share 0.2 → 0.5" in out  # the file's edit
    assert 'screening.reasons + "not UK"' in out and "EF via web" in out  # the store's
    assert "reviewflow protocol import" in out and "reviewflow protocol export" in out
    assert "Traceback" not in out
    assert [v["version"] for v in history(proj)] == [1, 2]  # nothing applied


def test_protocol_import_resolves_a_conflict_for_the_file(proj: Path) -> None:
    _change_in_store(proj, "not UK")
    edit(proj, "double_share = 0.2", "double_share = 0.5")
    result = rf(proj, "protocol", "import")
    assert result.exit_code == 0, result.output
    assert 'screening.reasons − "not UK"' in result.output
    plan = json.loads(rf(proj, "plan", "show", "--json").stdout)
    assert (plan["ta"]["double_share"], plan["reasons"]) == (0.5, ["not carers", "not qualitative"])
    assert history(proj)[-1]["source"] == "protocol import"


def test_protocol_export_resolves_a_conflict_for_the_store(proj: Path) -> None:
    _change_in_store(proj, "not UK")
    edit(proj, "double_share = 0.2", "double_share = 0.5")
    result = rf(proj, "protocol", "export")
    assert result.exit_code == 0, result.output
    text = (proj / "review.toml").read_text(encoding="utf-8")
    assert "double_share = 0.2" in text and '"not UK"' in text and COMMENT in text
    assert rf(proj, "status").exit_code == 0
    assert [v["version"] for v in history(proj)] == [1, 2]


def test_an_invalid_hand_edit_applies_nothing(proj: Path) -> None:
    edit(proj, "double_share = 0.2", "double_share = 2")
    result = rf(proj, "status")
    assert result.exit_code == 1
    assert "screening.ta.double_share: Input should be less than or equal to 1" in result.output
    assert "Nothing was applied" in result.output and "reviewflow protocol export" in result.output
    shown = rf(proj, "protocol", "show", "--json")  # the stored protocol still reads
    assert json.loads(shown.stdout)["protocol"]["screening"]["ta"]["double_share"] == 0.2
    assert [v["version"] for v in history(proj)] == [1]
    edit(proj, "double_share = 2", "double_share = 0.25")
    assert rf(proj, "status").exit_code == 0
    assert history(proj)[-1]["changes"][0]["new"] == 0.25


def test_history_says_who_changed_what_and_when(proj: Path) -> None:
    env = {"REVIEWFLOW_REVIEWER": "CD"}
    assert rf(proj, "plan", "set", "--add-reason", "not UK", env=env).exit_code == 0
    assert rf(proj, "reviewer", "add", "GH:Gus Hale", env=env).exit_code == 0
    result = rf(proj, "protocol", "history")
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert lines[0].startswith("version 1  ") and lines[0].endswith("init")
    assert any(line.startswith("version 2  ") and line.endswith("CD  plan set") for line in lines)
    assert '    screening.reasons + "not UK"' in lines
    assert "    reviewers + GH (Gus Hale)" in lines
    when = history(proj)[1]["created_at"]
    assert isinstance(when, str) and when[:4].isdigit() and "T" in when


def test_the_api_saves_store_first_and_keeps_comments(proj: Path) -> None:
    project = Project.open(proj)
    try:
        assert project.settings.screening is not None
        project.settings.screening.ta.seed = 7
        project.save_settings(source="script")
    finally:
        project.close()
    text = (proj / "review.toml").read_text(encoding="utf-8")
    assert "seed = 7" in text and COMMENT in text
    last = history(proj)[-1]
    assert (last["source"], last["changes"]) == (
        "script",
        [{"path": "screening.ta.seed", "old": 0, "new": 7}],
    )
    assert rf(proj, "status").stderr == ""  # the file was recorded: no hand edit seen


def test_a_command_on_a_file_behind_the_store_keeps_the_stores_change(proj: Path) -> None:
    _change_in_store(proj, "not UK")
    result = rf(proj, "plan", "set", "--stage", "ta", "--share", "0.3")
    assert result.exit_code == 0, result.output
    text = (proj / "review.toml").read_text(encoding="utf-8")
    assert '"not UK"' in text and "double_share = 0.3" in text and COMMENT in text
    plan = json.loads(rf(proj, "plan", "show", "--json").stdout)
    assert plan["reasons"][-1] == "not UK" and plan["ta"]["double_share"] == 0.3
    assert rf(proj, "status").stderr == ""  # file and store match again
