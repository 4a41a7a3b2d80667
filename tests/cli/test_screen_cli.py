"""``reviewflow screen|conflicts|resolve|agreement|fulltext`` as a user meets them."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from reviewflow.cli import cli

DATA = Path(__file__).parent.parent / "data" / "screening"


@pytest.fixture
def runner() -> CliRunner:
    return CliRunner()


@pytest.fixture
def proj(runner: CliRunner, tmp_path: Path) -> Path:
    team = ["MC:M Cooper", "CJ:C Jordan", "DF:D F", "JS:J S", "LA:L A:arbiter"]
    args = ["init", str(tmp_path / "p"), "--title", "Social prescribing"]
    for member in team:
        args += ["--reviewer", member]
    assert runner.invoke(cli, args).exit_code == 0
    root = tmp_path / "p"
    with (root / "review.toml").open("a", encoding="utf-8") as fh:
        fh.write("\n" + (DATA / "seed_screening.toml").read_text(encoding="utf-8"))
    result = runner.invoke(cli, ["-p", str(root), "import", str(DATA / "records.ris")])
    assert result.exit_code == 0, result.output
    return root


def _run(runner: CliRunner, proj: Path, *args: str) -> object:
    return runner.invoke(cli, ["-p", str(proj), *args])


def test_sheet_export_import_then_full_text_conflict_resolved(
    runner: CliRunner, proj: Path, tmp_path: Path
) -> None:
    sheet = tmp_path / "mc.csv"
    result = _run(
        runner, proj, "screen", "export", "--stage", "ta", "--reviewer", "MC", "-o", str(sheet)
    )
    assert result.exit_code == 0, result.output
    rows = list(csv.reader(io.StringIO(sheet.read_text(encoding="utf-8-sig"))))
    assert len(rows) == 11
    col = rows[0].index("decision")
    for n, row in enumerate(rows[1:]):
        row[col] = "i" if n < 2 else "e"
    with sheet.open("w", encoding="utf-8", newline="") as fh:
        csv.writer(fh).writerows(rows)
    result = _run(runner, proj, "screen", "import", str(sheet), "--json")
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["recorded"] == 10

    result = _run(runner, proj, "fulltext", "reports", "--create", "--json")
    reports = [r["id"] for r in json.loads(result.stdout)]
    assert len(reports) == 2
    for k, rid in enumerate(reports):
        pdf = tmp_path / f"r{k}.pdf"
        pdf.write_bytes(b"%PDF " + str(k).encode())
        result = _run(
            runner, proj, "fulltext", "retrieve", str(rid), "--file", str(pdf), "--reviewer", "MC"
        )
        assert result.exit_code == 0 and "sha256" in result.stdout
    rid = reports[0]
    for who, decision in [("MC", "include"), ("DF", "include"), ("JS", "exclude")]:
        extra = ["--reason", "not adults"] if decision == "exclude" else []
        result = _run(
            runner,
            proj,
            "screen",
            "decide",
            str(rid),
            "--stage",
            "ft",
            "--reviewer",
            who,
            "--decision",
            decision,
            *extra,
        )
        assert result.exit_code == 0, result.output

    result = _run(runner, proj, "conflicts", "--stage", "ft", "--reviewer", "DF")
    assert result.exit_code == 1 and "only the arbiter" in result.stderr
    result = _run(runner, proj, "conflicts", "--stage", "ft", "--reviewer", "LA", "--json")
    (conflict,) = json.loads(result.stdout)
    assert conflict["item_id"] == rid and set(conflict["votes"]) == {"MC", "DF", "JS"}
    result = _run(
        runner,
        proj,
        "resolve",
        str(rid),
        "--stage",
        "ft",
        "--reviewer",
        "LA",
        "--decision",
        "include",
    )
    assert result.exit_code == 0, result.output

    result = _run(runner, proj, "agreement", "--stage", "ft", "--json")
    ft = json.loads(result.stdout)["ft"]
    assert ft["n_multiply_rated"] == 1
    assert {tuple(p["reviewers"]) for p in ft["pairs"]} == {
        ("DF", "JS"),
        ("DF", "MC"),
        ("JS", "MC"),
    }
    result = _run(runner, proj, "agreement")
    assert result.exit_code == 0 and "Landis & Koch" in result.stdout


def test_wrong_sheet_and_unknown_reviewer_fail_cleanly(runner: CliRunner, proj: Path) -> None:
    result = _run(
        runner, proj, "screen", "import", str(DATA / "wrong_columns.csv"), "--stage", "ta"
    )
    assert result.exit_code == 1
    assert "missing column(s) decision" in result.stderr
    assert "Traceback" not in result.stderr + result.stdout
    result = _run(runner, proj, "screen", "--stage", "ta", "--reviewer", "ZZ")
    assert result.exit_code == 1 and "unknown reviewer 'ZZ'" in result.stderr
    result = _run(
        runner,
        proj,
        "screen",
        "decide",
        "1",
        "--stage",
        "ft",
        "--reviewer",
        "DF",
        "--decision",
        "exclude",
    )
    assert result.exit_code == 1 and "not an item of full text" in result.stderr


def test_keyboard_session_reads_keys_from_input(runner: CliRunner, proj: Path) -> None:
    result = runner.invoke(
        cli, ["-p", str(proj), "screen", "--stage", "ta", "--reviewer", "MC"], input="iieq"
    )
    assert result.exit_code == 0, result.output
    assert "3 decisions recorded this session" in result.stdout
    assert "7 of your 10 items left" in result.stdout


def test_agreement_before_any_double_screening_is_one_clear_line(
    runner: CliRunner, proj: Path
) -> None:
    result = _run(runner, proj, "agreement")
    assert result.exit_code == 0, result.output
    lines = [x for x in result.stdout.splitlines() if x.strip()]
    assert lines == [
        "Title/abstract screening: none of the items to double-screen has been screened yet, "
        "so there is no agreement to report; start with `reviewflow screen --stage ta "
        "--reviewer MC`.",
        "Full text screening: none of the items to double-screen has been screened yet, so "
        "there is no agreement to report; create the reports with `reviewflow fulltext "
        "reports --create`, then screen them.",
    ]
    for item in range(1, 11):
        args = ["screen", "decide", str(item), "--stage", "ta", "--reviewer", "MC"]
        assert _run(runner, proj, *args, "--decision", "include").exit_code == 0
    result = _run(runner, proj, "agreement", "--stage", "ta")
    assert [x for x in result.stdout.splitlines() if x.strip()] == [
        "Title/abstract screening: no item has been screened by two reviewers yet, so there "
        "is no agreement to report; run `reviewflow screen --stage ta --reviewer CJ`."
    ]


def test_screen_stopping_shows_both_rules_and_says_plainly_when_all_must_be_found(
    runner: CliRunner, proj: Path
) -> None:
    assert _run(runner, proj, "plan", "set", "--stage", "ta", "--ranking").exit_code == 0
    result = runner.invoke(
        cli, ["-p", str(proj), "screen", "--stage", "ta", "--reviewer", "MC"], input="ieeeq"
    )
    assert result.exit_code == 0, result.output
    result = _run(runner, proj, "screen", "stopping")
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert lines[0].startswith("4 of 10 records screened; 1 relevant found; deciding rule: arrival")
    assert lines[1].startswith("arrival rule: est. recall")
    assert "more records to screen without a new include" in lines[1]
    assert lines[2].startswith("sampling test (ranked sample): 3 irrelevant in a row")
    assert "95% recall means finding all of them" in lines[-1]
    data = json.loads(_run(runner, proj, "screen", "stopping", "--json").stdout)
    assert data["rule"] == "arrival" and data["phase"] == "ranking"
    assert data["rules"]["arrival"]["says"] == "continue"
    assert data["rules"]["arrival"]["more_records"] > 0
    assert data["rules"]["sampling"]["says"] == "wait"
