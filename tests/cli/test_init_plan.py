"""A new review from scratch: init sets up the team and screening plan, ``plan`` and
``reviewer`` change it without hand-written TOML, and the defaults are neutral."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner
from openpyxl import load_workbook

from reviewflow.cli import cli
from reviewflow.project import Project
from reviewflow.settings import load_settings
from reviewflow.store import screening_queries

NEWREVIEW = Path(__file__).parent.parent / "data" / "newreview"
TEAM = ["--reviewer", "AB:Ann Baker", "--reviewer", "CD:Chris Dale", "--reviewer", "EF:Eve Ford"]
PLAN = [
    "--ta-reviewers", "AB", "--ta-second", "CD", "--ta-share", "0.2", "--ta-arbiter", "EF",
    "--ta-rule", "unanimous_else_arbiter", "--ft-reviewers", "AB,CD", "--ft-arbiter", "EF",
    "--reasons", "not carers; not qualitative",
]  # fmt: skip


def invoke(*args: str, input: str | None = None) -> object:
    return CliRunner().invoke(cli, list(args), input=input)


def init(root: Path, *extra: str, input: str | None = None) -> object:
    return invoke("init", str(root), "--title", "Carers' experiences of respite", *extra,
                  input=input)  # fmt: skip


def test_init_with_plan_flags_is_ready_for_screening(tmp_path: Path) -> None:
    root = tmp_path / "carers"
    result = init(root, *TEAM, *PLAN)
    assert result.exit_code == 0, result.output
    assert "screened a second time: 20% (random sample, seed 0) by CD (Chris Dale)" in result.output
    text = (root / "review.toml").read_text(encoding="utf-8")
    assert text.count("[[reviewers]]") == 3 and "reviewers = [ {" not in text
    screening = load_settings(root / "review.toml").screening
    assert screening is not None
    assert (screening.ta.reviewers, screening.ta.second_reviewers) == (["AB"], ["CD"])
    assert (screening.ta.double_share, screening.ta.arbiter) == (0.2, "EF")
    assert (screening.ft.reviewers, screening.ft.arbiter) == (["AB", "CD"], "EF")
    assert screening.ft.reason_required is True
    assert screening.reasons == ["not carers", "not qualitative"]

    p = ["-p", str(root)]
    assert invoke(*p, "import", str(NEWREVIEW / "embase.ris")).exit_code == 0
    result = invoke(*p, "screen", "export", "--stage", "ta", "--reviewer", "AB")
    assert result.exit_code == 0, result.output
    assert len(result.stdout.strip().splitlines()) == 1 + 6  # header + every record


def test_init_without_a_terminal_or_plan_says_which_command_sets_it(tmp_path: Path) -> None:
    root = tmp_path / "r"
    result = init(root, *TEAM)
    assert result.exit_code == 0, result.output
    assert "reviewflow plan set --stage ta --reviewers AB --second CD" in result.output
    result = invoke("-p", str(root), "screen", "export", "--stage", "ta", "--reviewer", "AB")
    assert result.exit_code == 1
    hint = result.output.splitlines()[1]  # the command first; TOML only as an aside after it
    assert hint.startswith("Set it with: reviewflow plan set --stage ta")


def test_init_refuses_a_plan_naming_someone_not_on_the_team(tmp_path: Path) -> None:
    result = init(tmp_path / "r", *TEAM, "--ta-reviewers", "AB", "--ta-arbiter", "ZZ")
    assert result.exit_code == 1
    assert "--ta-arbiter names ZZ" in result.output and "--reviewer ZZ:Name" in result.output
    assert not (tmp_path / "r").exists()


def test_interactive_init_asks_the_plan_and_re_asks_unknown_initials(tmp_path: Path) -> None:
    answers = [
        "AB:Ann Baker", "CD:Chris Dale", "EF:Eve Ford", "",  # the team, blank ends
        "ZZ", "AB",  # titles/abstracts: ZZ is refused, AB accepted
        "0.2",  # share screened twice
        "",  # by CD (the default)
        "",  # arbiter EF (default)
        "",  # rule: unanimous_else_arbiter (default with an arbiter)
        "",  # full texts: AB,CD (default)
        "",  # full-text arbiter EF (default)
        "not carers; not UK",
    ]  # fmt: skip
    result = init(tmp_path / "r", "--interactive", input="\n".join(answers) + "\n")
    assert result.exit_code == 0, result.output
    assert "ZZ is not a reviewer; choose from AB, CD, EF" in result.output
    settings = load_settings(tmp_path / "r" / "review.toml")
    assert [r.name for r in settings.reviewers] == ["Ann Baker", "Chris Dale", "Eve Ford"]
    screening = settings.screening
    assert screening is not None
    assert (screening.ta.reviewers, screening.ta.second_reviewers) == (["AB"], ["CD"])
    assert (screening.ta.double_share, screening.ta.arbiter) == (0.2, "EF")
    assert screening.ta.rule == "unanimous_else_arbiter"
    assert (screening.ft.reviewers, screening.ft.arbiter) == (["AB", "CD"], "EF")
    assert screening.reasons == ["not carers", "not UK"]


@pytest.fixture
def proj(tmp_path: Path) -> Path:
    root = tmp_path / "r"
    assert init(root, *TEAM).exit_code == 0
    return root


def test_plan_set_keeps_the_teams_comments(proj: Path) -> None:
    config = proj / "review.toml"
    text = config.read_text(encoding="utf-8").replace(
        'question = ""', 'question = ""  # agreed at the protocol meeting, 3 May'
    )
    config.write_text(text + "\n# Screening starts after the pilot of 50 records.\n")
    result = invoke("-p", str(proj), "plan", "set", "--stage", "ta", "--reviewers", "AB",
                    "--second", "CD", "--share", "0.2", "--arbiter", "EF")  # fmt: skip
    assert result.exit_code == 0, result.output
    result = invoke("-p", str(proj), "plan", "set", "--add-reason", "not carers")
    assert result.exit_code == 0, result.output
    text = config.read_text(encoding="utf-8")
    assert "# agreed at the protocol meeting, 3 May" in text
    assert "# Screening starts after the pilot of 50 records." in text
    plan = json.loads(invoke("-p", str(proj), "plan", "show", "--json").stdout)
    assert plan["ta"]["second_reviewers"] == ["CD"] and plan["ta"]["double_share"] == 0.2
    assert plan["ft"]["rule"] == "unanimous_else_arbiter"  # a new stage keeps ft's defaults
    assert plan["reasons"] == ["not carers"]


def test_plan_set_highlight_terms_reach_the_screening_view(proj: Path) -> None:
    result = invoke("-p", str(proj), "plan", "set", "--highlight-include", "carer*; peer",
                    "--highlight-exclude", "randomised")  # fmt: skip
    assert result.exit_code == 0, result.output
    assert "Highlighted as include: carer*; peer" in result.stdout
    plan = json.loads(invoke("-p", str(proj), "plan", "show", "--json").stdout)
    assert plan["highlight_include"] == ["carer*", "peer"]
    assert plan["highlight_exclude"] == ["randomised"]


@pytest.mark.parametrize(
    ("change", "message", "command"),
    [
        (["--stage", "ta", "--reviewers", "AB", "--arbiter", "XY"], "names XY",
         "reviewflow reviewer add XY:NAME"),
        (["--stage", "ft", "--reviewers", "AB,CD", "--arbiter", "CD"], "arbiter CD also screens",
         "reviewflow plan set --stage ft --arbiter"),
        (["--stage", "ta", "--reviewers", "AB", "--second", "AB"], "AB would screen every",
         "reviewflow plan set --stage ta --second"),
    ],
)  # fmt: skip
def test_an_invalid_plan_change_writes_nothing_and_names_a_command(
    proj: Path, change: list[str], message: str, command: str
) -> None:
    before = (proj / "review.toml").read_bytes()
    result = invoke("-p", str(proj), "plan", "set", *change)
    assert result.exit_code == 1
    assert message in result.output and command in result.output
    assert "Traceback" not in result.output
    assert (proj / "review.toml").read_bytes() == before


def test_reviewer_add_then_plan_uses_them(proj: Path) -> None:
    p = ["-p", str(proj)]
    result = invoke(*p, "reviewer", "add", "XY:Xavier Young:information scientist")
    assert result.exit_code == 0, result.output
    assert invoke(*p, "reviewer", "add", "XY:Again").exit_code == 1
    result = invoke(*p, "plan", "set", "--stage", "ft", "--reviewers", "AB,CD", "--arbiter", "XY")
    assert result.exit_code == 0, result.output
    result = invoke(*p, "reviewer", "remove", "XY")
    assert result.exit_code == 1 and "reviewflow plan set --stage ft" in result.output
    people = json.loads(invoke(*p, "reviewer", "list", "--json").stdout)
    assert people[-1] == {
        "initials": "XY",
        "name": "Xavier Young",
        "email": None,
        "role": "information scientist",
        "roles": ["arbiter", "reviewer"],  # the ft plan's arbiter is an arbiter
    }


def test_extract_template_in_a_fresh_project_uses_the_generic_form(
    proj: Path, tmp_path: Path
) -> None:
    project = Project.open(proj)
    with project.db.transaction() as conn:
        screening_queries.insert_study(conn, label="Smith 2020")
    project.close()
    sheet = tmp_path / "t.xlsx"
    result = invoke("-p", str(proj), "extract", "template", "-o", str(sheet))
    assert result.exit_code == 0, result.output
    headers = [str(c.value) for c in load_workbook(sheet)["Extraction"][1]]
    assert {"Study design *", "Setting", "Data collection methods *", "Analysis approach",
            "Where the findings are", "Sample size *"} <= set(headers)  # fmt: skip
    assert not any("social prescribing" in h.lower() for h in headers)


CASP = {  # consensus answers: 7 Yes, 2 Can't tell, 1 No
    **{f"q{i}": "yes" for i in (1, 2, 3, 4, 5, 9, 10)}, "q6": "no", "q7": "cant_tell",
    "q8": "cant_tell",
}  # fmt: skip


@pytest.mark.parametrize(
    ("scheme", "expected"),
    [(None, (None, None, None)), ("count_yes", (7, 10, None)),
     ("weighted_bands", (16, 20, "very valuable")), ("seed", (16, 20, "very valuable"))],
)  # fmt: skip
def test_appraisal_scores_per_scheme(
    proj: Path, scheme: str | None, expected: tuple[object, ...]
) -> None:
    if scheme is not None:
        with (proj / "review.toml").open("a", encoding="utf-8") as fh:
            fh.write(f'\n[appraisal]\nscheme = "{scheme}"\n')
    project = Project.open(proj)
    with project.db.transaction() as conn:
        screening_queries.insert_study(conn, label="Smith 2020")
    project.close()
    answers = [f"{k}={v}" for k, v in CASP.items()]
    for who in ("AB", "CD"):
        result = invoke("-p", str(proj), "appraise", "add", "1", "--appraiser", who, *answers)
        assert result.exit_code == 0, result.output
    assert invoke("-p", str(proj), "appraise", "consensus", "1", "--by", "AB").exit_code == 0
    (row,) = json.loads(invoke("-p", str(proj), "appraise", "scores", "--json").stdout)
    assert (row["score"], row["max"], row["band"]) == expected


def test_changing_the_plan_after_screening_began_says_how_to_accept_it(tmp_path: Path) -> None:
    root = tmp_path / "carers"
    assert init(root, *TEAM, *PLAN).exit_code == 0
    p = ["-p", str(root)]
    assert invoke(*p, "import", str(NEWREVIEW / "embase.ris")).exit_code == 0
    before = invoke(*p, "plan", "set", "--stage", "ta", "--seed", "3")
    assert before.exit_code == 0 and "replan" not in before.stderr  # nothing screened yet
    vote = invoke(*p, "screen", "decide", "1", "--stage", "ta", "--reviewer", "AB",
                  "--decision", "include")  # fmt: skip
    assert vote.exit_code == 0, vote.output
    result = invoke(*p, "plan", "set", "--stage", "ta", "--share", "0.5")
    assert result.exit_code == 0, result.output
    assert "reviewflow screen replan --stage ta" in result.stderr
    refused = invoke(*p, "screen", "decide", "2", "--stage", "ta", "--reviewer", "AB",
                     "--decision", "include")  # fmt: skip
    assert refused.exit_code == 1 and "changed after screening began" in refused.stderr


def test_the_stopping_rule_is_a_plan_setting_and_an_unknown_one_is_refused(proj: Path) -> None:
    result = invoke("-p", str(proj), "plan", "set", "--stage", "ta", "--reviewers", "AB",
                    "--ranking", "--stopping-rule", "sampling")  # fmt: skip
    assert result.exit_code == 0, result.output
    assert "stopping rule 'sampling' at 95% recall" in result.output
    assert 'stopping_rule = "sampling"' in (proj / "review.toml").read_text(encoding="utf-8")
    plan = json.loads(invoke("-p", str(proj), "plan", "show", "--json").stdout)
    assert plan["ta"]["stopping_rule"] == "sampling"

    config = proj / "review.toml"
    config.write_text(
        config.read_text(encoding="utf-8").replace(
            'stopping_rule = "sampling"', 'stopping_rule = "poisson"'
        ),
        encoding="utf-8",
    )
    result = invoke("-p", str(proj), "plan", "show")
    assert result.exit_code == 1
    assert "screening.ta.stopping_rule" in result.output
    assert "'arrival' or 'sampling'" in result.output and "Traceback" not in result.output


def test_the_default_stopping_rule_is_the_arrival_rule_and_is_not_written(proj: Path) -> None:
    result = invoke("-p", str(proj), "plan", "set", "--stage", "ta", "--reviewers", "AB",
                    "--ranking")  # fmt: skip
    assert result.exit_code == 0, result.output
    assert "stopping rule 'arrival'" in result.output
    assert "stopping_rule" not in (proj / "review.toml").read_text(encoding="utf-8")
