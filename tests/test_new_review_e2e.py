"""A review started from scratch, walked through the CLI alone, as a team would run it.

Three exports of one small review (Embase RIS, PubMed MEDLINE, Web of Science plain text;
13 records, 3 duplicates across databases), two screeners and an arbiter at both stages,
full texts attached in bulk (one not retrieved), five studies included, extraction on the
generic form with verification, CASP by two appraisers with consensus, coding, themes,
CERQual and the report. Nothing here uses the demo's helpers: only ``reviewflow`` commands.
"""

from __future__ import annotations

import re
import shutil
from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from reviewflow.cli import cli

DATA = Path(__file__).parent / "data" / "newreview"

#: title/abstract: what AB includes; CD agrees except on Hall & Sikes 2020.
TA_INCLUDE = {"Greenwood et al. 2013", "Lauritzen et al. 2015", "Milne & Hatzidimitriadou 2019",
              "Smith et al. 2018", "Hall & Sikes 2020", "Greenwood & Smith 2022",
              "Keyes & Clarke 2021"}  # fmt: skip
#: full text (AB, CD); Keyes & Clarke 2021 was not retrieved; EF decides the two conflicts.
FT_VOTES = {"Greenwood et al. 2013": ("include", "include"),
            "Lauritzen et al. 2015": ("include", "include"),
            "Milne & Hatzidimitriadou 2019": ("include", "include"),
            "Smith et al. 2018": ("include", "exclude"),
            "Hall & Sikes 2020": ("exclude", "include"),
            "Greenwood & Smith 2022": ("include", "include")}  # fmt: skip
INCLUDED_STUDIES = ["Greenwood et al. 2013", "Lauritzen et al. 2015",
                    "Milne & Hatzidimitriadou 2019", "Smith et al. 2018",
                    "Greenwood & Smith 2022"]  # fmt: skip


class Team:
    """Runs reviewflow commands in one project folder and fails on any error."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.runner = CliRunner()

    def __call__(self, *args: str, ok: bool = True, input: str | None = None) -> Result:
        result = self.runner.invoke(cli, ["-p", str(self.root), *args], input=input)
        assert "Traceback" not in result.output, result.output
        if isinstance(result.exception, AssertionError):  # e.g. work outside a session (conftest)
            raise result.exception
        if ok:
            assert result.exit_code == 0, f"reviewflow {' '.join(args)}:\n{result.output}"
        return result


@pytest.fixture(scope="module")
def review(tmp_path_factory: pytest.TempPathFactory, tiny_pdf: Callable[..., Path]) -> Team:
    """The whole review, built once; each test below checks one thing a team would see."""
    work = tmp_path_factory.mktemp("newreview")
    for name in ("embase.ris", "medline.nbib", "wos.txt"):
        shutil.copy(DATA / name, work / name)
    (work / "query.txt").write_text("dementia AND carer* AND peer support\n", encoding="utf-8")
    root = work / "carers"
    init = CliRunner().invoke(cli, [
        "init", str(root), "--title", "Peer support for carers of people with dementia",
        "--reviewer", "AB:Ann Baker", "--reviewer", "CD:Chris Dale", "--reviewer", "EF:Eve Fox",
        "--ta-reviewers", "AB", "--ta-second", "CD", "--ta-share", "1", "--ta-arbiter", "EF",
        "--ta-rule", "unanimous_else_arbiter", "--ft-reviewers", "AB,CD", "--ft-arbiter", "EF",
        "--reasons", "not carers; not peer support; no qualitative data; not dementia",
    ])  # fmt: skip
    assert init.exit_code == 0, init.output
    rf = Team(root)

    # Searches, logged with their files; WoS imported without --search is linked by its file.
    for database, platform, file, n in (("Embase", "Ovid", "embase.ris", 6),
                                        ("MEDLINE", "PubMed", "medline.nbib", 4),
                                        ("Web of Science", "Clarivate", "wos.txt", 3)):  # fmt: skip
        rf("search", "add", "--database", database, "--platform", platform,
           "--date", "2024-01-10", "--query-file", str(work / "query.txt"),
           "--records", str(n), "--file", str(work / file))  # fmt: skip
    rf("import", str(work / "embase.ris"), "--search", "1")
    rf("import", str(work / "medline.nbib"), "--search", "2")
    rf.wos_import = rf("import", str(work / "wos.txt"))  # type: ignore[attr-defined]
    rf("dedup")

    # Title/abstract: AB screens all, CD double-screens all, EF decides the one conflict.
    sheet = rf("screen", "export", "--stage", "ta", "--reviewer", "AB", "-o", str(work / "ab.csv"))
    assert "10 items" in sheet.output
    ids = _record_ids(rf, work / "ab.csv")
    for label, item in ids.items():
        ab = "include" if label in TA_INCLUDE else "exclude"
        cd = "exclude" if label == "Hall & Sikes 2020" else ab
        for who, decision in (("AB", ab), ("CD", cd)):
            extra = [] if decision == "include" else ["--reason", "no qualitative data"]
            rf("screen", "decide", str(item), "--stage", "ta", "--reviewer", who,
               "--decision", decision, *extra)  # fmt: skip
    rf.ta_conflicts = rf("conflicts", "--stage", "ta", "--reviewer", "EF")  # type: ignore[attr-defined]
    rf("resolve", str(ids["Hall & Sikes 2020"]), "--stage", "ta", "--reviewer", "EF",
       "--decision", "include", "--note", "young carers are carers")  # fmt: skip

    # Full text: reports, PDFs attached in bulk (by id, by DOI inside, by author + year).
    rf("fulltext", "reports", "--create")
    pdfs = work / "pdfs"
    pdfs.mkdir()
    tiny_pdf(
        pdfs / f"{ids['Greenwood et al. 2013']}.pdf", ["Peer support groups", "Greenwood 2013"]
    )
    tiny_pdf(pdfs / "scan-0042.pdf", ["Online peer support", "doi: 10.1111/scs.12178"])
    tiny_pdf(pdfs / "Milne 2019 male carers.pdf", ["Male carers"])
    tiny_pdf(pdfs / "Smith_2018.pdf", ["Peer mentoring"])
    tiny_pdf(pdfs / "Hall 2020.pdf", ["Young carers"])
    tiny_pdf(pdfs / "Greenwood 2022 cafes.pdf", ["Dementia cafes"])
    tiny_pdf(pdfs / "holiday photos.pdf", ["Not a paper of this review"])
    rf.attach = rf("fulltext", "attach", str(pdfs), "--reviewer", "AB")  # type: ignore[attr-defined]
    rf("fulltext", "retrieve", str(ids["Keyes & Clarke 2021"]), "--not-retrieved",
       "no library access", "--reviewer", "AB")  # fmt: skip
    for label, votes in FT_VOTES.items():
        for who, decision in zip(("AB", "CD"), votes, strict=True):
            extra = [] if decision == "include" else ["--reason", "not carers"]
            rf("screen", "decide", str(ids[label]), "--stage", "ft", "--reviewer", who,
               "--decision", decision, *extra)  # fmt: skip
    rf(
        "resolve",
        str(ids["Hall & Sikes 2020"]),
        "--stage",
        "ft",
        "--reviewer",
        "EF",
        "--decision",
        "exclude",
        "--reason",
        "not carers",
        "--note",
        "children, not adult carers",
    )
    rf(
        "resolve",
        str(ids["Smith et al. 2018"]),
        "--stage",
        "ft",
        "--reviewer",
        "EF",
        "--decision",
        "include",
    )
    rf.ids = ids  # type: ignore[attr-defined]
    return rf


def _record_ids(rf: Team, sheet: Path) -> dict[str, int]:
    """Screening sheet rows → {citation label: item id}, labels as the test names them."""
    import csv

    out: dict[str, int] = {}
    with sheet.open(encoding="utf-8-sig", newline="") as fh:
        for row in csv.DictReader(fh):
            surnames = [a.split(",")[0].strip() for a in row["authors"].split(";")]
            label = (
                surnames[0]
                if len(surnames) == 1
                else (
                    f"{surnames[0]} & {surnames[1]}"
                    if len(surnames) == 2
                    else f"{surnames[0]} et al."
                )
            )
            out[f"{label} {row['year']}"] = int(row["item_id"])
    return out


def test_searches_and_imports_are_linked_and_counted_once(review: Team) -> None:
    assert "search 3" in review.wos_import.output.lower()  # type: ignore[attr-defined]
    import json

    prisma = json.loads(review("prisma", "--format", "csv", "--json").output)
    databases = dict(prisma["counts"]["databases"])
    assert databases == {"Embase": 6, "MEDLINE": 4, "Web of Science": 3}


def test_conflicts_show_what_the_record_is(review: Team) -> None:
    out = review.ta_conflicts.output  # type: ignore[attr-defined]
    assert "Young carers" in out and "Hall" in out


def test_bulk_attach_matches_by_id_doi_and_author_year(review: Team) -> None:
    out = review.attach.output  # type: ignore[attr-defined]
    assert "holiday photos.pdf" in out  # listed as unmatched, not attached anywhere
    reports = review("fulltext", "reports", "--json").output
    assert reports.count('"retrieved"') == 6
    assert reports.count('"not_retrieved"') == 1


def test_studies_are_named_by_author_and_year(review: Team) -> None:
    import json

    studies = json.loads(review("studies", "list", "--json").output)
    labels = {s["label"]: s["status"] for s in studies}
    assert {k for k, v in labels.items() if v == "included"} == set(INCLUDED_STUDIES)
    assert labels["Hall & Sikes 2020"] == "excluded"
    assert labels["Keyes & Clarke 2021"] == "not retrieved"


def test_later_stages_see_included_studies_only(review: Team) -> None:
    import json

    show = review("extract", "show", "--json").output
    for label in INCLUDED_STUDIES:
        assert label in show
    assert "Hall" not in show and "Keyes" not in show
    assert len(json.loads(show)) == len(INCLUDED_STUDIES)
    hall = str(review.ids["Hall & Sikes 2020"])  # type: ignore[attr-defined]
    refused = review("appraise", "add", hall, "--reviewer", "AB",
                     *[f"q{i}=yes" for i in range(1, 11)], ok=False)  # fmt: skip
    assert refused.exit_code == 1
    assert "excluded at full text" in refused.output


def test_the_rest_of_the_review_and_its_report(review: Team, tmp_path: Path) -> None:
    rf = review
    rf("studies", "rename", "Greenwood & Smith 2022", "Greenwood et al. 2022 (cafes)")
    studies = ["Greenwood et al. 2013", "Lauritzen et al. 2015", "Milne & Hatzidimitriadou 2019",
               "Smith et al. 2018", "Greenwood et al. 2022 (cafes)"]  # fmt: skip

    # Extraction on the generic form: AB extracts, CD verifies.
    template = tmp_path / "ab.xlsx"
    rf("extract", "template", "-o", str(template))
    _fill_template(template)
    rf("extract", "import", str(template), "--reviewer", "AB")
    for study in studies:
        rf("extract", "verify", study, "--reviewer", "CD", "--agree-all")

    # CASP by AB and CD, disagreeing on q6; EF records the consensus.
    answers = [f"q{i}=yes" for i in range(1, 11)]
    for study in studies:
        rf("appraise", "add", study, "--reviewer", "AB", *answers)
        rf("appraise", "add", study, "--reviewer", "CD", *answers[:5], "q6=no", *answers[6:])
        rf("appraise", "consensus", study, "--reviewer", "EF", "--answer", "q6=cant_tell")
    agreement = rf("appraise", "agreement").output
    assert not re.search(r"\d\.\d{5,}", agreement), agreement

    # Synthesis: findings, codes, two descriptive themes under one analytical theme.
    findings = {"Greenwood et al. 2013": "greenwood2013.md",
                "Lauritzen et al. 2015": "lauritzen2015.md",
                "Milne & Hatzidimitriadou 2019": "milne2019.md",
                "Smith et al. 2018": "smith2018.md",
                "Greenwood et al. 2022 (cafes)": "greenwood2022.md"}  # fmt: skip
    for study, name in findings.items():
        rf("code", "import-findings", study, str(DATA / "findings" / name))
    for code in ("being understood", "practical advice", "hope from peers"):
        rf("code", "new", code, "--reviewer", "AB")
    segments = rf("code", "segments", "--in-scope", "--json").output
    import json

    seg = json.loads(segments)
    by_text = {s["text"]: s["id"] for s in seg}
    pick = {
        "being understood": ["understood without explanation", "recognition of how hard",
                             "first place they could admit"],
        "practical advice": ["swapped advice", "posted questions at night"],
        "hope from peers": ["confidence and hope", "normality and belonging"],
    }  # fmt: skip
    for code, needles in pick.items():
        for needle in needles:
            sid = next(i for t, i in by_text.items() if needle in t)
            applied = rf("code", "apply", str(sid), code, "--reviewer", "AB").output
            assert "Applied" in applied
    rf("themes", "add", "Peers make caring bearable", "--kind", "analytical", "--label", "1",
       "--description", "Peers give carers what services cannot")  # fmt: skip
    rf(
        "themes",
        "add",
        "Being understood",
        "--kind",
        "descriptive",
        "--label",
        "1.1",
        "--parent",
        "1",
        "--description",
        "Others who know",
        "--code",
        "being understood",
    )
    rf("themes", "add", "Know-how and hope", "--kind", "descriptive", "--label", "1.2",
       "--parent", "1", "--description", "Tips and hope", "--code", "practical advice",
       "--code", "hope from peers")  # fmt: skip
    quote = next(s["id"] for s in json.loads(rf("code", "segments", "--json").output)
                 if "say it out loud" in s["text"])  # fmt: skip
    rf("themes", "quote", "1.1", "--segment", str(quote))
    matrix = rf("themes", "matrix").output
    assert "Milne" in matrix and "Hall" not in matrix
    rf(
        "cerqual",
        "add",
        "Carers valued being understood by peers",
        "--theme",
        "1.1",
        "--label",
        "F1",
    )
    for component in ("methodological_limitations", "coherence", "adequacy", "relevance"):
        rf("cerqual", "judge", "F1", component, "minor", "--explanation", "five small studies")
    rf("cerqual", "judge", "F1", "overall", "moderate", "--explanation", "minor concerns")

    # The report: no traceback, studies named, counts right, the tree on its page.
    out = tmp_path / "report"
    rf("report", "--out", str(out))
    html = (out / "report.html").read_text(encoding="utf-8")
    for label in studies:
        assert label.replace("&", "&amp;") in html
    assert not re.search(r"study \d+\b", html)
    assert "[None" not in html and ">None<" not in html
    assert "The PRISMA boxes add up" in html
    # A participant quote is cited with its own quotation marks, not wrapped in a second pair.
    assert "&quot;It was the first time I could say it out loud.&quot; (M7) (Milne" in html
    prisma = json.loads(rf("prisma", "--out", str(out), "--format", "csv", "--json").output)
    counts = prisma["counts"]
    assert sum(n for _, n in counts["databases"]) == 13
    assert counts["duplicates_removed"] == 3
    assert counts["records_screened"] == 10
    assert counts["records_excluded"] == 3
    assert counts["reports_sought"] == 7
    assert counts["reports_not_retrieved"] == 1
    assert counts["reports_assessed"] == 6
    assert counts["reports_excluded"] == 1
    assert counts["studies_included"] == 5
    _check_docx_figures_fit(out / "report.docx")


def _fill_template(path: Path) -> None:
    import openpyxl

    wb = openpyxl.load_workbook(path)
    ws = wb["Extraction"]
    header = [c.value for c in ws[1]]
    values = {"Study design *": "Qualitative", "Country *": "United Kingdom",
              "Sample size *": 20, "Data collection methods *": "Semi-structured interviews",
              "Analysis approach": "Thematic analysis"}  # fmt: skip
    for row in range(3, ws.max_row + 1):
        if ws.cell(row, 1).value is None:
            continue
        for name, value in values.items():
            ws.cell(row, header.index(name) + 1, value)
    wb.save(path)


def _check_docx_figures_fit(path: Path) -> None:
    import docx

    document = docx.Document(str(path))
    section = document.sections[0]
    usable_h = section.page_height - section.top_margin - section.bottom_margin
    usable_w = section.page_width - section.left_margin - section.right_margin
    shapes = document.inline_shapes
    assert len(shapes) >= 3  # PRISMA diagram, appraisal figure, thematic tree
    for shape in shapes:
        assert shape.height <= usable_h and shape.width <= usable_w


def test_status_shows_each_screeners_progress(review: Team) -> None:
    out = review("status").output
    assert "Title/abstract screening: AB 10 of 10 done, CD 10 of 10 done" in out
    assert "Full text screening: AB 6 of 6 done, CD 6 of 6 done" in out  # 1 not retrieved


def test_who_acts_is_asked_for_by_the_same_message_everywhere(review: Team) -> None:
    for args in (("appraise", "add", "1", "q1=yes"), ("code", "apply", "1", "being understood")):
        result = review(*args, ok=False)
        assert result.exit_code == 1, result.output
        assert "Who are you? Give --reviewer with your initials" in result.output
        assert "AB, CD, EF" in result.output
