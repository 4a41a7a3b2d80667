"""What a new user met at screening and full text (issue 13, point 8), from the CLI."""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable
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


def test_the_keyboard_session_shows_the_whole_record_highlights_terms_and_records_notes(
    runner: CliRunner, proj: Path
) -> None:
    # AB: note and tags on record 1, then include; exclude record 2 with reason 2; quit
    keys = "nlink workers\ntpeer support, UK\ni" + "r2" + "q"
    result = _run(
        runner,
        proj,
        "screen",
        "--stage",
        "ta",
        "--reviewer",
        "AB",
        input=keys,
        env={"FORCE_COLOR": "1", "COLUMNS": "120"},
    )
    assert result.exit_code == 0, result.output
    out = result.stdout
    assert "British Journal of General Practice" in out and "doi:10.3399/bjgp20x1001" in out
    assert "keywords:" in out and "mental health" in out
    green, red = "\x1b[1;32m", "\x1b[1;31m"
    assert f"{green}Social prescribing" in out  # include term, a word prefix, any case
    assert f"{green}qualitative" in out
    assert f"{red}trial" in out and f"{red}children" in out  # exclude terms
    # the reason picker is drawn below the record, not instead of it
    picker = out.index("Reason (digit), Esc to cancel")
    assert "of exercise referral for" in out[out.rfind("\x1b[2J", 0, picker) : picker]
    assert "2 decisions recorded this session" in out and "3 of your 5 items left" in out

    export = _run(runner, proj, "screen", "export", "--stage", "ta", "--reviewer", "AB")
    assert "link workers #peer-support #UK" in export.stdout
    assert ",exclude,not qualitative," in export.stdout


def test_the_session_ends_with_a_clean_summary(runner: CliRunner, proj: Path) -> None:
    result = _run(runner, proj, "screen", "--stage", "ta", "--reviewer", "CD", input="iiiii")
    assert result.exit_code == 0, result.output
    last = result.stdout.rstrip().splitlines()[-1]
    assert (
        last
        == "All 5 items screened at title/abstract (5 decisions recorded this session, 0 undone)."
    )


@pytest.fixture
def pdfs(tmp_path: Path, tiny_pdf: Callable[..., Path]) -> Path:
    """Full texts of records 1, 3, 4 and 5 named and filled the ways downloads come."""
    folder = tmp_path / "pdfs"
    folder.mkdir()
    tiny_pdf(folder / "3 - Hall 2018.pdf", ["Community connectors"])  # id
    tiny_pdf(folder / "10.1016_j.healthplace.2021.1004.pdf", ["Green"])  # DOI in the name
    tiny_pdf(  # DOI on the first page only
        folder / "download (2).pdf",
        ["Arts and Health", "https://doi.org/10.1080/17533015.2020.005"],
    )
    tiny_pdf(folder / "Hall 2020 anxiety.pdf", ["Social prescribing"])  # author + year
    tiny_pdf(folder / "Moore 2021.pdf", ["No such report"])
    tiny_pdf(folder / "Hall.pdf", ["Two Halls: no year"])
    (folder / "readme.md").write_text("not a paper", encoding="utf-8")
    return folder


def test_fulltext_attach_matches_a_folder_by_id_doi_and_author_year(
    runner: CliRunner, proj: Path, pdfs: Path
) -> None:
    _pass_ta(runner, proj, 1, 3, 4, 5)
    assert _run(runner, proj, "fulltext", "reports", "--create").exit_code == 0

    dry = _run(runner, proj, "fulltext", "attach", str(pdfs), "--reviewer", "AB", "--dry-run")
    assert dry.exit_code == 0, dry.output
    assert "Dry run: 4 files would be attached, 0 ambiguous, 3 unmatched." in dry.stdout
    assert not (proj / "blobs").exists()
    listed = json.loads(_run(runner, proj, "fulltext", "reports", "--json").stdout)
    assert {r["status"] for r in listed} == {"sought"}

    result = _run(runner, proj, "fulltext", "attach", str(pdfs), "--reviewer", "AB", "--json")
    assert result.exit_code == 0, result.output
    got = {
        Path(f["file"]).name: (f["status"], f["report_id"], f["how"])
        for f in json.loads(result.stdout)["files"]
    }
    assert got["3 - Hall 2018.pdf"] == ("matched", 3, "id in name")
    assert got["10.1016_j.healthplace.2021.1004.pdf"] == ("matched", 4, "DOI in name")
    assert got["download (2).pdf"] == ("matched", 5, "DOI in PDF")
    assert got["Hall 2020 anxiety.pdf"] == ("matched", 1, "author + year")
    for unmatched in ("Moore 2021.pdf", "Hall.pdf", "readme.md"):
        assert got[unmatched][0] == "unmatched"
    listed = json.loads(_run(runner, proj, "fulltext", "reports", "--json").stdout)
    assert {r["id"]: r["file_name"] for r in listed} == {
        1: "Hall 2020 anxiety.pdf",
        3: "3 - Hall 2018.pdf",
        4: "10.1016_j.healthplace.2021.1004.pdf",
        5: "download (2).pdf",
    }
    assert len([p for p in (proj / "blobs").rglob("*") if p.is_file()]) == 4
    again = _run(runner, proj, "fulltext", "attach", str(pdfs), "--reviewer", "AB")
    assert "0 full texts attached, 4 already attached" in again.stdout


def test_the_full_text_session_names_the_file_and_opens_it(
    runner: CliRunner, proj: Path, pdfs: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _pass_ta(runner, proj, 3)
    _run(runner, proj, "fulltext", "reports", "--create")
    _run(runner, proj, "fulltext", "attach", str(pdfs / "3 - Hall 2018.pdf"), "--reviewer", "CD")
    original = (pdfs / "3 - Hall 2018.pdf").read_bytes()
    shutil.rmtree(pdfs)  # the downloads folder is cleaned up: the project keeps its copy
    opened: list[str] = []
    monkeypatch.setattr("click.launch", lambda path: opened.append(path) or 0)
    result = _run(runner, proj, "screen", "--reviewer", "AB", input="oq", env={"COLUMNS": "120"})
    assert result.exit_code == 0, result.output
    assert "Stage ft (full text): the only stage with items left for AB (1)" in result.stderr
    assert "full text: 3 - Hall 2018.pdf (o opens it)" in result.stdout
    assert "reasons (an exclusion needs one): 1 not adults · 2 not qualitative" in result.stdout
    assert "opened 3 - Hall 2018.pdf in the system viewer" in result.stdout
    assert len(opened) == 1 and opened[0].startswith(str(proj / "blobs"))
    assert opened[0].endswith(".pdf")  # viewers on macOS and Windows choose by the suffix
    assert Path(opened[0]).read_bytes() == original
