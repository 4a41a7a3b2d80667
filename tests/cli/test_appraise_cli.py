"""``reviewflow appraise ...`` as a user meets it: add, agreement, consensus, scores."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from reviewflow.cli import cli
from reviewflow.project import Project
from reviewflow.store import screening_queries

YES = [f"q{i}=yes" for i in range(1, 11)]


@pytest.fixture
def proj(tmp_path: Path) -> Path:
    args = ["init", str(tmp_path / "p"), "--title", "Social prescribing"]
    for member in ("MC:M Cooper", "JS:J S"):
        args += ["--reviewer", member]
    assert CliRunner().invoke(cli, args).exit_code == 0
    with (tmp_path / "p" / "review.toml").open("a", encoding="utf-8") as fh:
        fh.write('\n[appraisal]\nchecklist = "casp_qualitative"\nscheme = "seed"\n')
    project = Project.open(tmp_path / "p")
    with project.db.transaction() as conn:
        screening_queries.insert_study(conn, label="Roberts et al. 2020")
    project.close()
    return tmp_path / "p"


def run(proj: Path, *args: str) -> object:
    return CliRunner().invoke(cli, ["-p", str(proj), *args])


def test_two_appraisals_consensus_and_score(proj: Path) -> None:
    roberts = [*YES[:5], "q6=no", "q7=no", "q8=cant_tell", "q9=yes", "q10=yes"]
    result = run(proj, "appraise", "add", "Roberts et al. 2020", "--appraiser", "MC", *roberts)
    assert result.exit_code == 0, result.output
    js = [*roberts[:7], "q8=no", *roberts[8:]]
    assert run(proj, "appraise", "add", "1", "--appraiser", "JS", *js).exit_code == 0
    result = run(proj, "appraise", "agreement", "--json")
    data = json.loads(result.stdout)
    assert data["disagreements"] == [
        {"study": 1, "item": "q8", "first": "no", "second": "cant_tell"}
    ]
    result = run(proj, "appraise", "consensus", "1", "--by", "MC")
    assert result.exit_code == 1 and "disagree on q8" in result.output
    result = run(proj, "appraise", "consensus", "1", "--by", "MC", "--answer", "q8=Can't tell")
    assert result.exit_code == 0, result.output
    (row,) = json.loads(run(proj, "appraise", "scores", "--json").stdout)
    assert (row["score"], row["max"], row["band"]) == (15, 20, "valuable")


def test_bad_appraisal_is_an_error_without_traceback(proj: Path) -> None:
    result = run(proj, "appraise", "add", "1", "--appraiser", "MC", *YES[:9], "q10=perhaps")
    assert result.exit_code == 1
    assert "q10: expected Yes / Can't tell / No, got 'perhaps'" in result.output
    result = run(proj, "appraise", "add", "Nobody 1999", "--appraiser", "MC", *YES)
    assert result.exit_code == 1 and "no study 'Nobody 1999'" in result.output
    (row,) = json.loads(run(proj, "appraise", "scores", "--json").stdout)
    assert row["status"] == "not appraised"


def test_agreement_prints_rounded_coefficients(proj: Path) -> None:
    """κ is printed as a review reports it (two decimals, with its CI), not as a raw float."""
    project = Project.open(proj)
    with project.db.transaction() as conn:
        screening_queries.insert_study(conn, label="Greenwood et al. 2013")
    project.close()
    roberts = [*YES[:5], "q6=no", "q7=no", "q8=cant_tell", "q9=yes", "q10=yes"]
    greenwood = [*YES[:3], "q4=no", *YES[4:8], "q9=cant_tell", "q10=yes"]
    for study, mc, js in [
        ("1", roberts, [*roberts[:7], "q8=no", *roberts[8:]]),
        ("2", greenwood, [*greenwood[:3], "q4=yes", *greenwood[4:]]),
    ]:
        assert run(proj, "appraise", "add", study, "--appraiser", "MC", *mc).exit_code == 0
        assert run(proj, "appraise", "add", study, "--appraiser", "JS", *js).exit_code == 0
    data = json.loads(run(proj, "appraise", "agreement", "--json").stdout)
    assert len(str(data["kappa"])) > 6  # the raw value has many digits: the text must not
    result = run(proj, "appraise", "agreement")
    assert result.exit_code == 0, result.output
    line = next(x for x in result.stdout.splitlines() if "κ" in x)
    assert f"κ (95 % CI) = {data['kappa']:.2f} (" in line
    assert str(data["kappa"]) not in result.stdout
    assert f"AC1 = {data['ac1']:.2f}" in line
