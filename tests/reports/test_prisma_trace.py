"""What each PRISMA box counts: every box lists exactly as many as it says, blind where
the plan is blind, on a project made as a team makes one (imports, a typed-in register
search, dedup, two screeners, an arbiter, full texts, declared counts)."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

import reviewflow as rf
from reviewflow.cli import cli
from reviewflow.errors import NotFoundError
from reviewflow.project import Project
from reviewflow.reports import prisma, prisma_trace
from reviewflow.reports.prisma_project import counts_from_project
from reviewflow.settings import Reviewer
from reviewflow.stages import retrieval, screening
from reviewflow.stages.dedup import project as dedup_project

DATA = Path(__file__).parent.parent / "data" / "reports"
TEAM = {
    "OW": ("Olu Owner", ["owner"]),
    "AB": ("Ada Byron", ["reviewer"]),
    "CD": ("Cal Dunn", ["reviewer"]),
    "LA": ("Lee Arbiter", ["arbiter"]),
    "VW": ("Val Viewer", ["viewer"]),
}
DECLARED = {"previous_studies": 2, "previous_reports": 3, "other_reports_sought": 4}


def team_review(root: Path, database_url: str) -> Project:
    """AB screens every title/abstract, CD half of them again, LA arbitrates; AB and CD
    both screen every full text."""
    plans = rf.ScreeningSettings(
        reasons=["not UK-based", "no qualitative data"],
        ta={"reviewers": ["AB"], "second_reviewers": ["CD"], "double_share": 0.5,
            "seed": 3, "arbiter": "LA", "rule": "unanimous_else_arbiter"},
        ft={"reviewers": ["AB", "CD"], "double_share": 1.0, "arbiter": "LA",
            "rule": "unanimous_else_arbiter", "reason_required": True},
    )  # fmt: skip
    project = Project.create(
        root,
        title="Traceable counts",
        question="?",
        reviewers=[Reviewer(initials=i, name=n, roles=r) for i, (n, r) in TEAM.items()],
        database_url=database_url,
        screening=plans,
        owner="OW",
    )
    with project.session(actor="OW"):
        for source, method, name in [
            ("Embase", "database", "embase.ris"),
            ("MEDLINE", "database", "medline.ris"),
            ("Google Scholar", "citation searching", "citations.ris"),
        ]:
            entry = rf.SearchEntry(source=source, method=method, records_returned=0)
            sid = rf.add_search(project, entry, export_file=DATA / name)
            rf.import_file(project, DATA / name, search_id=sid)
        typed = rf.SearchEntry(source="ClinicalTrials.gov", method="register", records_returned=3)
        rf.add_search(project, typed)  # logged with its count, nothing imported
        dedup_project.run(project)
    return project


def vote(project: Project, who: str, item: int, decision: str, *, stage: str = "ta",
         reason: str | None = None) -> None:  # fmt: skip
    with project.session(actor=who):
        rf.decide(project, stage=stage, item_id=item, decision=decision, reason=reason)


def screened(project: Project, tmp_path: Path) -> dict[str, list[int]]:
    """Titles/abstracts: 4 included (one through LA), 4 excluded, 2 left; full texts: one
    not retrieved, one included, one excluded (by both), one in conflict."""
    with project.db.connect() as conn:
        ta = screening.load_state(conn, project, "ta")
    items = sorted(ta.items)
    double = [i for i in items if len(ta.assigned[i]) == 2]
    single = [i for i in items if len(ta.assigned[i]) == 1]
    assert len(double) >= 3 and len(single) >= 3, "the 50 % sample gives both kinds"
    conflict, *double_rest = double
    include = [*double_rest[:2], single[0]]
    exclude = [*double_rest[2:4], *single[1:4]][:4]
    for item in include:
        for who in ta.assigned[item]:
            vote(project, who, item, "include")
    for item in exclude:
        for who in ta.assigned[item]:
            vote(project, who, item, "exclude")
    vote(project, "AB", conflict, "include")
    vote(project, "CD", conflict, "exclude")
    vote(project, "LA", conflict, "include")
    with project.session(actor="OW"):
        reports = screening.create_reports(project)
    missing, *kept = reports
    with project.session(actor="AB"):
        retrieval.not_retrieved(project, missing, reason="no library access")
        for k, rid in enumerate(kept):
            pdf = tmp_path / f"paper{k}.pdf"
            pdf.write_bytes(b"%PDF-1.4 full text " + str(k).encode())
            retrieval.retrieve(project, rid, file=pdf)
    yes, no, torn = kept[:3]
    for who in ("AB", "CD"):
        vote(project, who, yes, "include", stage="ft")
        vote(project, who, no, "exclude", stage="ft", reason="not UK-based")
    vote(project, "AB", torn, "include", stage="ft")
    vote(project, "CD", torn, "exclude", stage="ft", reason="no qualitative data")
    return {"include": include, "exclude": exclude, "single": single, "conflict": [conflict]}


@pytest.fixture
def review(tmp_path: Path, database_url: str) -> Iterator[tuple[Project, dict[str, list[int]]]]:
    project = team_review(tmp_path / "review", database_url)
    made = screened(project, tmp_path)
    yield project, made
    project.close()


def csv_numbers(counts: prisma.PrismaCounts) -> dict[str, int | None]:
    """Box -> its number, read off the PRISMA2020 CSV the reports write (a list row
    such as "Embase, 6; MEDLINE, 4" is the sum of its lines)."""
    out: dict[str, int | None] = {}
    for row in csv.DictReader(io.StringIO(prisma.to_csv(counts))):
        if row["data"] not in prisma_trace.BOXES:
            continue
        n = row["n"]
        if n == "NA":
            out[row["data"]] = None
        elif ";" in n or "," in n:
            values = [part.rsplit(",", 1)[1].strip() for part in n.split(";")]
            out[row["data"]] = None if "NA" in values else sum(int(v) for v in values)
        else:
            out[row["data"]] = int(n)
    return out


def boxes_match_their_numbers(project: Project, viewer: str | None) -> dict[str, int | None]:
    """Every box lists as many as the CSV says (each line of a breakdown too); returns
    box -> number."""
    with project.session(actor=viewer, write=False):
        boxes = prisma_trace.trace_all(project, viewer=viewer, declared=DECLARED)
        numbers = csv_numbers(counts_from_project(project, declared=DECLARED))
    assert set(boxes) == set(prisma_trace.BOXES) == set(numbers)
    for name, box in boxes.items():
        assert box.count == numbers[name], name
        if box.count is None:
            continue
        assert box.total == box.count, name
        if not any(e.kind in ("search", "declared") for e in box.entries):
            assert len(box.entries) == box.count, name
        for line, n in box.parts:  # each line of a breakdown lists its own
            with project.session(actor=viewer, write=False):
                one = prisma_trace.trace(project, name, viewer=viewer, part=line, declared=DECLARED)
            assert (one.count, one.total) == (n, n), (name, line)
    return numbers


@pytest.mark.parametrize("viewer", [None, "AB", "CD", "LA", "VW"])
def test_every_box_lists_exactly_as_many_as_it_says(
    review: tuple[Project, dict[str, list[int]]], viewer: str | None
) -> None:
    project, _ = review
    numbers = boxes_match_their_numbers(project, viewer)
    shown = {name: n for name, n in numbers.items() if n}
    assert shown == {
        "previous_studies": 2, "previous_reports": 3,
        "database_results": 10, "database_specific_results": 10,
        "register_results": 3, "register_specific_results": 3, "citations_results": 2,
        "duplicates": 2, "records_screened": 10, "records_excluded": 4,
        "dbr_sought_reports": 4, "dbr_notretrieved_reports": 1, "other_sought_reports": 4,
        "dbr_assessed": 2, "dbr_excluded": 1, "new_studies": 1, "new_reports": 1,
        "total_studies": 3, "total_reports": 4,
    }  # fmt: skip


def test_records_left_when_screening_stopped_are_the_automation_box(
    review: tuple[Project, dict[str, list[int]]],
) -> None:
    project, made = review
    with project.session(actor="LA"):
        screening.stop(project, reviewer="LA", force=True)
    numbers = boxes_match_their_numbers(project, "AB")
    assert (numbers["excluded_automatic"], numbers["records_screened"]) == (2, 8)
    with project.session(actor="AB", write=False):
        box = prisma_trace.trace(project, "excluded_automatic", viewer="AB")
    voted = {*made["include"], *made["exclude"], *made["conflict"]}
    assert not {e.id for e in box.entries} & voted
    assert all(e.decisions[0].who == "LA" and e.decisions[0].when for e in box.entries)


def test_entries_say_what_they_are_and_who_decided(
    review: tuple[Project, dict[str, list[int]]],
) -> None:
    project, _ = review
    with project.session(actor="OW", write=False):
        boxes = prisma_trace.trace_all(project, viewer="OW", declared=DECLARED)
    register = boxes["register_results"].entries
    assert [(e.kind, e.n, e.part) for e in register] == [("search", 3, "ClinicalTrials.gov")]
    embase = [e for e in boxes["database_results"].entries if e.part == "Embase"]
    assert embase[0].title == "Link workers and loneliness in primary care"
    assert embase[0].decisions[0].what == "imported" and embase[0].first_author
    dups = boxes["duplicates"].entries
    assert all(e.detail["duplicate_of"] and e.decisions[0].when for e in dups)
    missing = boxes["dbr_notretrieved_reports"].entries[0]
    assert (missing.kind, missing.decisions[0].who) == ("report", "AB")
    assert missing.decisions[0].reason == "no library access"
    previous = boxes["total_studies"].entries[-1]
    assert (previous.kind, previous.n) == ("declared", 2)
    assert "--declare" in previous.detail["where"]


def test_a_blind_stage_counts_what_it_cannot_name_until_it_closes(
    review: tuple[Project, dict[str, list[int]]],
) -> None:
    project, made = review
    with project.session(actor="AB", write=False):
        excluded = prisma_trace.trace(project, "records_excluded", viewer="AB")
    double = {i for i in made["exclude"] if i not in made["single"]}
    named = {e.id for e in excluded.entries if not e.hidden}
    assert named == set(made["exclude"]) - double  # AB's own single-screened records
    assert excluded.n_hidden == len(double) and len(excluded.entries) == 4
    assert all(e.title is None and not e.decisions for e in excluded.entries if e.hidden)
    assert any("blind" in note for note in excluded.notes)
    with project.session(actor="CD", write=False):
        screened_box = prisma_trace.trace(project, "records_screened", viewer="CD")
    mine = {e.id: e for e in screened_box.entries}
    assert {d.who for d in mine[made["include"][0]].decisions} == {"CD"}  # not AB's vote
    assert "result" not in mine[made["include"][0]].detail
    with project.session(actor="LA", write=False):
        ruled = prisma_trace.trace(project, "records_screened", viewer="LA")
    conflict = next(e for e in ruled.entries if e.id == made["conflict"][0])
    assert {d.who for d in conflict.decisions} == {"AB", "CD", "LA"}  # it reached LA

    with project.session(actor="LA"):
        screening.close_stage(project, stage="ta", reviewer="LA", force=True)
    with project.session(actor="VW", write=False):
        after = prisma_trace.trace(project, "records_excluded", viewer="VW")
    assert after.n_hidden == 0 and {e.id for e in after.entries} == set(made["exclude"])
    both = next(e for e in after.entries if e.id in double)
    assert [d.what for d in both.decisions] == ["exclude", "exclude"]


def test_unknown_boxes_and_lines_are_errors_that_list_the_right_names(
    review: tuple[Project, dict[str, list[int]]],
) -> None:
    project, _ = review
    with project.session(actor="OW", write=False):
        with pytest.raises(NotFoundError, match="not a PRISMA box") as err:
            prisma_trace.trace(project, "records_included")
        assert "records_screened" in str(err.value.to_dict())
        with pytest.raises(NotFoundError, match="no line 'Scopus'") as err:
            prisma_trace.trace(project, "database_results", part="Scopus")
        assert "Embase" in str(err.value.to_dict())


# -- reviewflow prisma --box ------------------------------------------------------------


def run(project: Project, *args: str) -> Result:
    return CliRunner().invoke(cli, ["--project", str(project.root), "prisma", *args])


def test_the_command_lists_a_box_as_json_lines(
    review: tuple[Project, dict[str, list[int]]],
) -> None:
    project, made = review
    result = run(project, "--box", "records_excluded", "--json", "--reviewer", "AB")
    assert result.exit_code == 0, result.output
    lines = [json.loads(line) for line in result.stdout.splitlines()]
    assert len(lines) == 4  # the box says 4: one object per record
    assert {line["box"] for line in lines} == {"records_excluded"}
    named = [line for line in lines if not line["hidden"]]
    assert {line["id"] for line in named} < set(made["exclude"])
    assert all(d["who"] == "AB" for line in named for d in line["decisions"])
    assert "counted but not named" in result.stderr

    reasons = run(project, "--box", "dbr_excluded", "--part", "not UK-based", "--json")
    (line,) = [json.loads(x) for x in reasons.stdout.splitlines()]
    assert (line["kind"], line["part"]) == ("report", "not UK-based")
    typed = run(project, "--box", "register_results", "--json")
    (search,) = [json.loads(x) for x in typed.stdout.splitlines()]
    assert (search["kind"], search["n"], search["detail"]["source"]) == (
        "search", 3, "ClinicalTrials.gov"
    )  # fmt: skip
    declared = run(project, "--box", "total_studies", "--declare", "previous_studies=5", "--json")
    kinds = [json.loads(x)["kind"] for x in declared.stdout.splitlines()]
    assert kinds == ["study", "declared"]


def test_the_command_prints_a_box_for_people_and_refuses_unknown_names(
    review: tuple[Project, dict[str, list[int]]],
) -> None:
    project, _ = review
    shown = run(project, "--box", "dbr_notretrieved_reports")
    assert shown.exit_code == 0, shown.output
    assert shown.stdout.startswith("Reports not retrieved (databases and registers)")
    assert "(dbr_notretrieved_reports): 1" in shown.stdout
    assert "AB not retrieved (no library access)" in shown.stdout
    wrong = run(project, "--box", "records_included", "--json")
    assert wrong.exit_code != 0 and wrong.stdout == ""
    assert "'records_included' is not a PRISMA box" in wrong.stderr
    assert "records_excluded" in wrong.stderr and "dbr_sought_reports" in wrong.stderr
    stray = run(project, "--part", "Embase")
    assert stray.exit_code != 0 and "--part narrows a --box list" in stray.stderr
