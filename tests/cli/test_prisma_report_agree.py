"""``reviewflow prisma`` and ``reviewflow report`` draw one diagram (declared counts included).

They once disagreed in the demo folder: ``prisma`` ignored ``[report.declared]`` of
review.toml and said "Does not add up" while ``report`` said the boxes add up.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from reviewflow.cli import cli

NEW = Path(__file__).parent.parent / "data" / "newreview"


def _both(runner: CliRunner, root: Path) -> tuple[dict, str, str]:
    """(prisma --json, prisma's CSV, report's CSV) of the project in ``root``."""
    prisma = runner.invoke(
        cli, ["-p", str(root), "prisma", "--format", "csv", "--out", str(root / "p"), "--json"]
    )
    assert prisma.exit_code == 0, prisma.output
    report = runner.invoke(
        cli, ["-p", str(root), "report", "--format", "md", "--out", str(root / "r")]
    )
    assert report.exit_code == 0, report.output
    csv_p = (root / "p" / "prisma.csv").read_text(encoding="utf-8")
    csv_r = (root / "r" / "prisma.csv").read_text(encoding="utf-8")
    return json.loads(prisma.stdout), csv_p, csv_r


def test_demo_prisma_and_report_agree(tmp_path: Path) -> None:
    runner = CliRunner()
    root = tmp_path / "demo"
    assert runner.invoke(cli, ["demo", str(root), "--format", "md"]).exit_code == 0
    out, csv_p, csv_r = _both(runner, root)
    assert csv_p == csv_r
    assert out["problems"] == []  # was: "Reports assessed for eligibility (6) should equal ..."
    assert out["counts"]["reports_assessed"] == 288  # declared in review.toml
    assert "reports_assessed" in out["declared"]
    md = (root / "r" / "report.md").read_text(encoding="utf-8")
    assert "Does not add up" not in md
    plain = runner.invoke(
        cli, ["-p", str(root), "prisma", "--format", "svg", "--out", str(tmp_path)]
    )
    assert "The boxes add up." in plain.stdout and "Does not add up" not in plain.stderr


@pytest.fixture
def fresh(tmp_path: Path) -> Path:
    runner = CliRunner()
    root = tmp_path / "fresh"
    steps = [
        ["init", str(root), "--title", "Peer support", "--reviewer", "AB:Ann Baker"],
        ["search", "add", "--database", "Embase", "--file", str(NEW / "embase.ris")],
        ["search", "add", "--database", "MEDLINE", "--file", str(NEW / "medline.nbib")],
        ["import", str(NEW / "embase.ris"), "--search", "1"],
        ["import", str(NEW / "medline.nbib"), "--search", "2"],
        ["import", str(NEW / "wos.txt")],  # no search logged for it
        ["dedup"],
    ]
    for args in steps:
        result = runner.invoke(cli, args if args[0] == "init" else ["-p", str(root), *args])
        assert result.exit_code == 0, (args, result.output)
    return root


def test_fresh_project_prisma_and_report_agree(fresh: Path) -> None:
    runner = CliRunner()
    out, csv_p, csv_r = _both(runner, fresh)
    assert csv_p == csv_r
    assert out["counts"]["records_identified"] == 13
    assert out["declared"] == []


def test_declared_once_with_save_reaches_the_report(fresh: Path) -> None:
    runner = CliRunner()
    once = runner.invoke(
        cli, ["-p", str(fresh), "prisma", "--format", "csv", "--declare", "removed_other=2"]
    )
    assert once.exit_code == 0, once.output
    assert "--save" in once.stderr  # says the report will not show it
    out, csv_p, csv_r = _both(runner, fresh)
    assert out["declared"] == [] and csv_p == csv_r

    saved = runner.invoke(
        cli,
        ["-p", str(fresh), "prisma", "--format", "csv", "--declare", "removed_other=2", "--save"],
    )
    assert saved.exit_code == 0, saved.output
    out, csv_p, csv_r = _both(runner, fresh)
    assert out["declared"] == ["removed_other"] and out["counts"]["removed_other"] == 2
    assert csv_p == csv_r
    assert "removed_other = 2" in (fresh / "review.toml").read_text(encoding="utf-8")
