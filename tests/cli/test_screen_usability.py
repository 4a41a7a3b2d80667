"""What a new user met at screening and full text (issue 13, point 8), from the CLI."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from reviewflow.cli import cli

DATA = Path(__file__).parent.parent / "data" / "screening"

PLAN = """
[screening]
reasons = ["not adults", "not qualitative"]
highlight_include = ["social prescri", "qualitative"]
highlight_exclude = ["trial", "child"]

[screening.ta]
reviewers = ["AB", "CD"]
arbiter = "EF"
rule = "unanimous_else_arbiter"

[screening.ft]
reviewers = ["AB", "CD"]
arbiter = "EF"
rule = "unanimous_else_arbiter"
reason_required = true
"""


@pytest.fixture
def runner() -> CliRunner:
    return CliRunner()


@pytest.fixture
def proj(runner: CliRunner, tmp_path: Path) -> Path:
    """Five records (usability.ris), AB and CD screen everything, EF arbitrates."""
    root = tmp_path / "p"
    args = ["init", str(root), "--title", "Social prescribing"]
    for member in ["AB:Ann Baker", "CD:Carl Dee", "EF:Eve Fox:arbiter"]:
        args += ["--reviewer", member]
    assert runner.invoke(cli, args).exit_code == 0
    with (root / "review.toml").open("a", encoding="utf-8") as fh:
        fh.write(PLAN)
    result = runner.invoke(cli, ["-p", str(root), "import", str(DATA / "usability.ris")])
    assert result.exit_code == 0, result.output
    return root


def _run(runner: CliRunner, proj: Path, *args: str, **kwargs: object) -> Result:
    return runner.invoke(cli, ["-p", str(proj), *args], **kwargs)  # type: ignore[arg-type]


def _vote(runner: CliRunner, proj: Path, stage: str, item: int, who: str, decision: str) -> None:
    extra = ["--reason", "not adults"] if decision == "exclude" and stage == "ft" else []
    result = _run(
        runner,
        proj,
        "screen",
        "decide",
        str(item),
        "--stage",
        stage,
        "--reviewer",
        who,
        "--decision",
        decision,
        *extra,
    )
    assert result.exit_code == 0, result.output


def _pass_ta(runner: CliRunner, proj: Path, *items: int) -> None:
    """Both screeners include ``items`` and exclude the other records."""
    for item in range(1, 6):
        for who in ("AB", "CD"):
            _vote(runner, proj, "ta", item, who, "include" if item in items else "exclude")


def test_conflicts_show_title_year_and_first_author_and_the_stage_is_guessed(
    runner: CliRunner, proj: Path
) -> None:
    _vote(runner, proj, "ta", 2, "AB", "include")
    _vote(runner, proj, "ta", 2, "CD", "exclude")
    result = _run(runner, proj, "conflicts", "--reviewer", "EF", env={"COLUMNS": "200"})
    assert result.exit_code == 0, result.output
    assert "Stage ta (title/abstract): the only stage with open conflicts" in result.stderr
    assert "A randomised trial of exercise referral for children" in result.stdout
    assert "2019" in result.stdout and "Khan" in result.stdout
    assert "AB: include; CD: exclude" in result.stdout
    (conflict,) = json.loads(_run(runner, proj, "conflicts", "--reviewer", "EF", "--json").stdout)
    assert conflict["title"].startswith("A randomised trial")
    assert conflict["first_author"] == "Khan, Omar" and conflict["year"] == 2019
    # the arbiter resolves it without naming the stage either: only ta has it open
    result = _run(runner, proj, "resolve", "2", "--reviewer", "EF", "--decision", "exclude")
    assert result.exit_code == 0, result.output
    assert "ta item 2: exclude" in result.stdout


def test_a_missing_stage_or_reviewer_is_explained_not_clicks_raw_error(
    runner: CliRunner, proj: Path
) -> None:
    result = _run(runner, proj, "screen", "close", "--reviewer", "EF")
    assert result.exit_code == 1
    assert (
        "Which stage? --stage ta (title/abstract records) or --stage ft (full-text reports)"
        in result.stderr
    )
    assert "Missing option" not in result.stderr
    result = _run(runner, proj, "conflicts", "--stage", "ta")
    assert result.exit_code == 1
    assert "Give --reviewer with your initials (reviewers of this project: AB, CD, EF)" in (
        result.stderr
    )
    assert "REVIEWFLOW_REVIEWER" in result.stderr
    # the reviewer from the environment, the stage from the reviewer's open items
    result = _run(
        runner,
        proj,
        "screen",
        "decide",
        "1",
        "--decision",
        "include",
        env={"REVIEWFLOW_REVIEWER": "AB"},
    )
    assert result.exit_code == 0, result.output
    assert "AB: include on ta item 1" in result.stdout
    help_text = _run(runner, proj, "screen", "decide", "--help").stdout
    assert "REVIEWFLOW_REVIEWER" in help_text


def test_a_report_has_the_id_of_its_record(runner: CliRunner, proj: Path) -> None:
    _pass_ta(runner, proj, 3, 5)
    result = _run(runner, proj, "fulltext", "reports", "--create", "--json")
    assert result.exit_code == 0, result.output
    reports = json.loads(result.stdout)
    assert [(r["id"], r["record_id"]) for r in reports] == [(3, 3), (5, 5)]
    table = _run(runner, proj, "fulltext", "reports", env={"COLUMNS": "200"}).stdout
    assert "Community connectors" in table
