"""Studies of a review from scratch: labels from records, renaming, included studies only.

The CLI tests walk a fresh (non-demo) review built from tests/data/newreview/ as a team
would: import, dedup, title/abstract, reports, retrieval, full text. Its 10 records give
9 reports; at full text 6 are included, Hall & Sikes 2020 is excluded (not carers),
Charlesworth et al. 2008 is excluded (no qualitative data) and Brodaty & Donkin 2009 is
not retrieved; Knapp & Thorgrimsen 2006 is excluded at title/abstract.
"""

from __future__ import annotations

import csv
import json
import shutil
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result
from openpyxl import load_workbook

from reviewflow.errors import InputError, NotFoundError
from reviewflow.project import Project
from reviewflow.stages import screening, studies
from reviewflow.stages.studies import author_surname, citation_label, disambiguate

DATA = Path(__file__).parent.parent / "data" / "newreview"

PLAN = """
[screening]
reasons = ["not carers", "not peer support", "no qualitative data"]

[screening.ta]
reviewers = ["AB"]
rule = "any_include"

[screening.ft]
reviewers = ["AB", "CD"]
arbiter = "EF"
rule = "unanimous_else_arbiter"
reason_required = true

[appraisal]
checklist = "casp_qualitative"
scheme = "seed"
"""

INCLUDED = [
    "Greenwood et al. 2013",
    "Lauritzen et al. 2015",
    "Milne & Hatzidimitriadou 2019",
    "Smith et al. 2018",
    "Greenwood & Smith 2022",
    "Keyes & Clarke 2021",
]
YES = [f"q{i}=yes" for i in range(1, 11)]
EXCLUDED_AT_FULL_TEXT = {
    "Young carers of parents with early-onset dementia": "not carers",
    "Carer befriending schemes in dementia": "no qualitative data",
}


# -- labels (pure) -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("author", "surname"),
    [
        ("Greenwood, Nan", "Greenwood"),  # RIS / WoS AF: "Surname, Given"
        ("Greenwood N", "Greenwood"),  # MEDLINE AU: "Surname Initials"
        ("Pedersen PU", "Pedersen"),
        ("Keyes, SE", "Keyes"),
        ("Nan Greenwood", "Greenwood"),  # "Given Surname"
        ("Anna van der Berg", "van der Berg"),
        ("van der Berg, Anna", "van der Berg"),
        ("World Health Organization", "World Health Organization"),  # corporate
        ("Department of Health, UK", "Department of Health, UK"),
        ("Service, Robert", "Service"),  # a surname, not an organisation
    ],
)
def test_author_surname(author: str, surname: str) -> None:
    assert author_surname(author) == surname


@pytest.mark.parametrize(
    ("authors", "year", "title", "label"),
    [
        (["Greenwood, Nan"], 2013, None, "Greenwood 2013"),
        (
            ["Milne, Alisoun", "Hatzidimitriadou, Eleni"],
            2019,
            None,
            "Milne & Hatzidimitriadou 2019",
        ),
        (["Greenwood, N", "Habibi, R", "Mackenzie, A"], 2013, None, "Greenwood et al. 2013"),
        (["Greenwood N"], None, None, "Greenwood n.d."),
        (["NHS England"], 2019, None, "NHS England 2019"),
        (
            [],
            2009,
            "Family caregivers of people with dementia",
            "Family caregivers of people… 2009",
        ),
    ],
)
def test_citation_label(
    authors: list[str], year: int | None, title: str | None, label: str
) -> None:
    assert citation_label(authors, year, title) == label


def test_equal_labels_get_a_b_and_never_take_a_label_the_team_set() -> None:
    derived = {1: "Greenwood 2013", 2: "Smith 2010", 3: "Greenwood 2013", 4: "Keyes 2021"}
    assert disambiguate(derived, ["Keyes 2021"]) == {
        1: "Greenwood 2013a",
        2: "Smith 2010",
        3: "Greenwood 2013b",
        4: "Keyes 2021a",
    }


# -- a fresh review on the CLI -------------------------------------------------------------


def _cli(root: Path, *args: str) -> Result:
    from reviewflow.cli import cli

    return CliRunner().invoke(cli, ["-p", str(root), *args])


def _ok(root: Path, *args: str) -> Result:
    result = _cli(root, *args)
    assert result.exit_code == 0, (args, result.output)
    return result


def _json(root: Path, *args: str) -> Any:
    return json.loads(_ok(root, *args, "--json").stdout)


@pytest.fixture(scope="module")
def screened(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The review after full-text screening (built once; tests work on copies)."""
    from reviewflow.cli import cli

    base = tmp_path_factory.mktemp("newreview")
    root = base / "review"
    args = ["init", str(root), "--title", "Peer support for carers of people with dementia"]
    for member in ("AB:Ann Baker", "CD:Carl Dent", "EF:Eve Fox:arbiter"):
        args += ["--reviewer", member]
    assert CliRunner().invoke(cli, args).exit_code == 0
    with (root / "review.toml").open("a", encoding="utf-8") as fh:
        fh.write(PLAN)
    for name in ("embase.ris", "medline.nbib", "wos.txt"):
        _ok(root, "import", str(DATA / name))
    _ok(root, "dedup")
    for record in _canonical_records(root):
        decision = "exclude" if record["title"].startswith("Cognitive stimulation") else "include"
        _ok(root, "screen", "decide", str(record["id"]), "--stage", "ta", "--reviewer", "AB",
            "--decision", decision)  # fmt: skip
    reports = {
        r["title"].split(":")[0]: r["id"] for r in _json(root, "fulltext", "reports", "--create")
    }
    for title, rid in reports.items():
        if title.startswith("Family caregivers"):
            _ok(root, "fulltext", "retrieve", str(rid), "--not-retrieved", "no library access",
                "--reviewer", "AB")  # fmt: skip
            continue
        full_text = base / f"report{rid}.txt"
        full_text.write_text(f"{title}\n\nFull text.\n", encoding="utf-8")
        _ok(root, "fulltext", "retrieve", str(rid), "--file", str(full_text), "--reviewer", "AB")
        reason = EXCLUDED_AT_FULL_TEXT.get(title)
        for who in ("AB", "CD"):
            vote = (
                ["--decision", "exclude", "--reason", reason]
                if reason
                else ["--decision", "include"]
            )
            _ok(root, "screen", "decide", str(rid), "--stage", "ft", "--reviewer", who, *vote)
    return root


def _canonical_records(root: Path) -> list[dict[str, Any]]:
    """The records to screen at title/abstract, from the screener's sheet."""
    sheet = root / "ab-ta.csv"
    _ok(root, "screen", "export", "--stage", "ta", "--reviewer", "AB", "-o", str(sheet))
    with sheet.open(encoding="utf-8-sig", newline="") as fh:
        return [{"id": int(r["item_id"]), "title": r["title"]} for r in csv.DictReader(fh)]


@pytest.fixture
def review(screened: Path, tmp_path: Path) -> Path:
    root = tmp_path / "review"
    shutil.copytree(screened, root)
    return root


def _study_ids(root: Path) -> dict[str, int]:
    return {s["label"]: s["id"] for s in _json(root, "studies", "list")}


def test_studies_are_named_from_their_records_and_say_why_they_are_not_included(
    review: Path,
) -> None:
    studies = {s["label"]: s for s in _json(review, "studies", "list")}
    assert len(studies) == 9
    assert [s["label"] for s in _json(review, "studies", "list", "--included")] == INCLUDED
    assert studies["Hall & Sikes 2020"]["status"] == "excluded"
    assert studies["Hall & Sikes 2020"]["why"] == "not carers"
    assert studies["Brodaty & Donkin 2009"]["status"] == "not retrieved"
    assert studies["Brodaty & Donkin 2009"]["why"] == "no library access"
    assert [s["label"] for s in _json(review, "code", "studies")] == INCLUDED
    table = _ok(review, "studies", "list").stdout
    assert "6 of 9 studies included" in table and "None" not in table


def test_extraction_sees_the_included_studies_by_label(review: Path, tmp_path: Path) -> None:
    sheet = tmp_path / "ab.xlsx"
    _ok(review, "extract", "template", "-o", str(sheet))
    ws = load_workbook(sheet)["Extraction"]
    rows = [(str(ws.cell(r, 1).value), ws.cell(r, 2).value) for r in range(3, ws.max_row + 1)]
    ids = _study_ids(review)
    assert rows == [(str(ids[label]), label) for label in INCLUDED]
    shown = _json(review, "extract", "show")
    assert [s["study"] for s in shown] == INCLUDED
    text = _ok(review, "extract", "show").stdout
    assert "Greenwood et al." in text and "study 1" not in text and "None" not in text


def test_excluded_not_retrieved_and_emptied_studies_are_refused_with_why(review: Path) -> None:
    ids = _study_ids(review)
    result = _cli(review, "extract", "show", str(ids["Hall & Sikes 2020"]))
    assert result.exit_code == 1
    assert (
        f"study {ids['Hall & Sikes 2020']} (Hall & Sikes 2020) was excluded at full text "
        "(not carers); only included studies are extracted" in result.output
    )
    assert "Traceback" not in result.output
    result = _cli(review, "appraise", "add", "Brodaty & Donkin 2009", "--appraiser", "AB", *YES)
    assert result.exit_code == 1
    assert "(Brodaty & Donkin 2009) was not retrieved (no library access)" in result.output
    assert "only included studies are appraised" in result.output
    findings = review / "charlesworth.md"
    findings.write_text("# Findings\n\nBefriending helped some carers.\n", encoding="utf-8")
    result = _cli(review, "code", "import-findings", "Charlesworth et al. 2008", str(findings))
    assert result.exit_code == 1 and "excluded at full text (no qualitative data)" in result.output

    # regrouping: the 2022 paper joins the 2013 study, whose label stays its main report's
    later = ids["Greenwood & Smith 2022"]
    report = next(r["id"] for r in _json(review, "fulltext", "reports") if r["study_id"] == later)
    _ok(review, "fulltext", "group", str(report), "--study", str(ids["Greenwood et al. 2013"]))
    after = {s["id"]: s for s in _json(review, "studies", "list")}
    assert after[later]["status"] == "no reports" and after[later]["label"] == f"study {later}"
    assert after[ids["Greenwood et al. 2013"]]["label"] == "Greenwood et al. 2013"
    result = _cli(review, "extract", "show", str(later))
    assert result.exit_code == 1 and "has no reports" in result.output
    assert "Greenwood & Smith 2022" not in _ok(review, "extract", "show").stdout


def test_a_study_is_renamed_and_the_new_name_shows_everywhere(review: Path) -> None:
    ids = _study_ids(review)
    milne = ids["Milne & Hatzidimitriadou 2019"]
    result = _ok(review, "studies", "rename", str(milne), "Milne et al. 2019 [4]")
    assert f"study {milne}: Milne et al. 2019 [4]" in result.stdout
    assert _json(review, "extract", "show")[2]["study"] == "Milne et al. 2019 [4]"
    assert f"{milne}\tMilne et al. 2019 [4]\n" in _ok(review, "code", "studies").stdout
    assert {s["id"]: s for s in _json(review, "studies", "list")}[milne]["label_set"] is True
    result = _cli(review, "studies", "rename", "Keyes & Clarke 2021", "Milne et al. 2019 [4]")
    assert result.exit_code == 1 and "already called" in result.output
    _ok(review, "studies", "rename", "Milne et al. 2019 [4]", "--reset")
    assert _study_ids(review)["Milne & Hatzidimitriadou 2019"] == milne


def test_code_studies_add_does_not_make_an_unrelated_study(review: Path) -> None:
    result = _cli(review, "code", "studies", "--add", "Moffatt et al. 2017")
    assert result.exit_code == 1
    assert "reviewflow studies rename" in result.output
    assert len(_json(review, "studies", "list")) == 9


def _extract_and_appraise(root: Path, tmp_path: Path, labels: list[str]) -> None:
    sheet = tmp_path / "ab.xlsx"
    _ok(root, "extract", "template", "-o", str(sheet))
    wb = load_workbook(sheet)
    ws = wb["Extraction"]
    col = {str(c.value).removesuffix(" *"): c.column for c in ws[1]}
    values = {
        "Country": "England",
        "Sample size": 12,
        "Study design": "Qualitative",
        "Data collection methods": "Semi-structured interviews",
    }
    for r in range(3, ws.max_row + 1):
        if ws.cell(r, 2).value in labels:
            for header, value in values.items():
                ws.cell(r, col[header], value)
    wb.save(sheet)
    _ok(root, "extract", "import", str(sheet), "--reviewer", "AB")
    for label in labels:
        _ok(root, "extract", "verify", label, "--reviewer", "CD", "--agree-all")
        for who in ("AB", "CD"):
            _ok(root, "appraise", "add", label, "--appraiser", who, *YES)
        _ok(root, "appraise", "consensus", label, "--by", "AB")


def test_report_of_a_fresh_review_with_themes_reads_study_labels(
    review: Path, tmp_path: Path
) -> None:
    ids = _study_ids(review)
    for label, text in [
        ("Greenwood et al. 2013", "Carers valued shared experience in the group."),
        ("Lauritzen et al. 2015", "The forum gave carers advice at any hour."),
    ]:
        path = tmp_path / f"{ids[label]}.md"
        path.write_text(f"# Findings\n\n{text}\n", encoding="utf-8")
        _ok(review, "code", "import-findings", label, str(path))
    _ok(review, "code", "new", "shared experience")
    segments = _json(review, "code", "segments")
    assert [s["study"] for s in segments] == ["Greenwood et al. 2013", "Lauritzen et al. 2015"]
    for s in segments:
        _ok(review, "code", "apply", str(s["id"]), "shared experience", "--coder", "AB")
    _ok(review, "themes", "add", "Peers", "--kind", "analytical", "--label", "1",
        "--description", "Peers understand")  # fmt: skip
    _ok(review, "themes", "add", "Being understood", "--kind", "descriptive", "--label", "1.1",
        "--parent", "1", "--description", "Peers", "--code", "shared experience")  # fmt: skip
    _ok(review, "themes", "quote", "1.1", "--segment", str(segments[0]["id"]))
    _ok(review, "themes", "quote", "1.1", "--study", str(ids["Lauritzen et al. 2015"]),
        "--text", "advice at any hour", "--page", "3")  # fmt: skip
    result = _cli(review, "themes", "quote", "1.1", "--study", str(ids["Hall & Sikes 2020"]),
                  "--text", "not a carer", "--page", "1")  # fmt: skip
    assert result.exit_code == 1 and "only included studies are quoted" in result.output
    listed = _ok(review, "themes", "list").stdout
    assert "[Greenwood et al. 2013]" in listed and "[Lauritzen et al. 2015, p.3]" in listed
    assert "None" not in listed
    matrix = _ok(review, "themes", "matrix").stdout
    assert "Hall" not in matrix and "Brodaty" not in matrix and "Greenwood" in matrix

    _extract_and_appraise(review, tmp_path, ["Greenwood et al. 2013", "Keyes & Clarke 2021"])
    result = _cli(review, "report", "--format", "html")
    assert result.exit_code == 0, result.output
    html = (review / "reports" / "report.html").read_text(encoding="utf-8")
    tree = (review / "reports" / "thematic_tree.svg").read_text(encoding="utf-8")
    lights = (review / "reports" / "appraisal_traffic_light.svg").read_text(encoding="utf-8")
    for label in ("Greenwood et al. 2013", "Keyes &amp; Clarke 2021"):
        assert label in html  # Table 1 and the appraisal table
    assert "Keyes &amp; Clarke 2021" in lights and "Greenwood et al. 2013" in lights
    assert "Greenwood 2013" in tree and "Lauritzen 2015" in tree
    assert "(Lauritzen et al. 2015)" in html  # the theme table's quote reference
    for text in (html, tree, lights):
        assert "None" not in text and "study 1" not in text and "Hall &amp; Sikes" not in text


def test_without_full_text_screening_every_recorded_study_counts(tmp_path: Path) -> None:
    from reviewflow.cli import cli

    root = tmp_path / "synthesis-only"
    args = ["init", str(root), "--title", "Synthesis only", "--reviewer", "AB:Ann Baker"]
    assert CliRunner().invoke(cli, args).exit_code == 0
    _ok(root, "code", "studies", "--add", "Moffatt et al. 2017")
    _ok(root, "code", "studies", "--add", "Moffatt et al. 2017")  # the same study, not a second
    assert _json(root, "code", "studies") == [{"id": 1, "label": "Moffatt et al. 2017"}]
    assert [s["study"] for s in _json(root, "extract", "show")] == ["Moffatt et al. 2017"]


def test_a_study_with_a_report_but_no_record_is_named_and_grouped_through_studies(
    project: Project,
) -> None:
    """Reports found by other methods (the demo's six) are made by studies.add_with_report;
    grouping reports resolves its target study the way every stage does."""
    first = studies.add_with_report(project, "Hall & Sikes 2020")
    second = studies.add_with_report(project, "Hall 2021", kind="protocol")
    known = {s.label: s for s in studies.list_studies(project)}
    assert known["Hall & Sikes 2020"].report_ids == (first,)
    assert known["Hall 2021"].report_ids == (second,)
    with pytest.raises(InputError, match="already called 'hall 2021'"):
        studies.add_with_report(project, "hall 2021")
    with pytest.raises(InputError, match="bare number"):
        studies.add_with_report(project, "7")
    with pytest.raises(NotFoundError, match="no study '99'"):
        screening.group_reports(project, [first, second], study_id=99)
    target = screening.group_reports(project, [second, first])
    assert target == known["Hall 2021"].id
    assert studies.get(project, "Hall 2021").report_ids == (first, second)
