"""``reviewflow screen blind --off/--on``: an owner opens or closes the votes of a stage."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from reviewflow.cli import cli

DATA = Path(__file__).parent.parent / "data" / "screening"


@pytest.fixture
def proj(tmp_path: Path) -> Path:
    runner = CliRunner()
    args = ["init", str(tmp_path / "p"), "--title", "Social prescribing"]
    for member in ["MC:M Cooper", "CJ:C Jordan", "LA:L A:arbiter"]:
        args += ["--reviewer", member]
    assert runner.invoke(cli, args).exit_code == 0
    root = tmp_path / "p"
    with (root / "review.toml").open("a", encoding="utf-8") as fh:
        plan = (DATA / "seed_screening.toml").read_text(encoding="utf-8")
        fh.write("\n" + plan.replace('"MC", "DF", "JS"', '"MC", "CJ"'))
    result = runner.invoke(cli, ["-p", str(root), "import", str(DATA / "records.ris")])
    assert result.exit_code == 0, result.output
    return root


def _run(proj: Path, *args: str) -> object:
    return CliRunner().invoke(cli, ["-p", str(proj), *args])


def test_an_owner_switches_blindness_off_and_on_and_others_may_not(proj: Path) -> None:
    refused = _run(proj, "conflicts", "--stage", "ta", "--reviewer", "CJ")
    assert refused.exit_code != 0 and "only the arbiter" in refused.output

    opened = _run(proj, "screen", "blind", "--stage", "ta", "--off", "--reviewer", "MC")
    assert opened.exit_code == 0, opened.output
    assert "every reviewer sees every vote" in opened.output
    listed = _run(proj, "conflicts", "--stage", "ta", "--reviewer", "CJ")
    assert listed.exit_code == 0, listed.output  # the votes are open now

    not_owner = _run(proj, "screen", "blind", "--stage", "ta", "--on", "--reviewer", "CJ")
    assert not_owner.exit_code != 0 and "needs the role owner" in not_owner.output
    assert "Traceback" not in not_owner.output

    closed = _run(proj, "screen", "blind", "--stage", "ta", "--on", "--reviewer", "MC")
    assert closed.exit_code == 0 and "blind again" in closed.output
    again = _run(proj, "conflicts", "--stage", "ta", "--reviewer", "CJ")
    assert again.exit_code != 0 and "only the arbiter" in again.output
    twice = _run(proj, "screen", "blind", "--stage", "ta", "--on", "--reviewer", "MC")
    assert twice.exit_code != 0 and "already blind" in twice.output


def test_blind_needs_on_or_off_and_shows_an_example(proj: Path) -> None:
    missing = _run(proj, "screen", "blind", "--stage", "ta", "--reviewer", "MC")
    assert missing.exit_code != 0 and "give --off" in missing.output
    helped = _run(proj, "screen", "blind", "--help")
    assert "reviewflow screen blind --stage ta --off" in helped.output
