"""Deduplication on a project: links not deletions, undo, incremental runs, review queue."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from reviewflow.errors import InputError, StateError
from reviewflow.project import Project
from reviewflow.stages import importing
from reviewflow.stages.dedup import DedupPolicy
from reviewflow.stages.dedup import links as dedup_links
from reviewflow.stages.dedup import project as dedup_project
from reviewflow.stages.dedup import sheet as dedup_csv
from reviewflow.store import queries

DATA = Path(__file__).parents[2] / "data" / "dedup_project"
REVIEW_PARTS = DedupPolicy().with_actions(multi_part="review")


def _ids(project: Project) -> dict[str, int]:
    """Record ids by a short key: first author surname + part number."""
    with project.db.connect() as conn:
        recs = list(queries.iter_records(conn))
    return {f"{r.source_file}:{r.source_line}": r.id for r in recs}  # type: ignore[misc]


def test_duplicates_are_linked_to_the_most_complete_record(project: Project) -> None:
    importing.run(project, DATA / "batch1.ris")
    result = dedup_project.run(project)
    assert result.links_added == 1 and result.duplicates_removed == 1
    ids = _ids(project)
    groups = dedup_project.groups(project)
    assert len(groups) == 1
    assert groups[0].canonical.id == ids["batch1.ris:1"]  # has the DOI
    dup, evidence = groups[0].duplicates[0]
    assert dup.id == ids["batch1.ris:14"]
    assert evidence["method"] == "auto" and evidence["rule"]
    assert evidence["scores"]["title"] >= 95
    with project.db.connect() as conn:  # linked, not deleted
        assert queries.table_counts(conn)["records"] == 5
        assert ids["batch1.ris:14"] not in dedup_links.canonical_record_ids(conn)


def test_related_parts_are_reported_separately_not_merged(project: Project) -> None:
    importing.run(project, DATA / "batch1.ris")
    result = dedup_project.run(project)
    assert result.related == {"multi_part": 1}
    assert result.queued == 0


def test_second_run_without_new_records_changes_nothing(project: Project) -> None:
    importing.run(project, DATA / "batch1.ris")
    dedup_project.run(project)
    again = dedup_project.run(project)
    assert again.run_id is None and again.duplicates_removed == 1


def test_update_search_is_deduplicated_against_the_project(project: Project) -> None:
    importing.run(project, DATA / "batch1.ris")
    dedup_project.run(project)
    importing.run(project, DATA / "update.ris")
    result = dedup_project.run(project)
    ids = _ids(project)
    assert result.new_records == 3
    links = {g.canonical.id: {r.id for r, _ in g.duplicates} for g in dedup_project.groups(project)}
    assert links[ids["batch1.ris:1"]] == {ids["batch1.ris:14"], ids["update.ris:13"]}
    assert ids["update.ris:1"] in links[ids["batch1.ris:26"]]
    assert dedup_project.duplicates_removed(project) == 3


def test_undo_unlinks_and_a_later_run_does_not_relink(project: Project) -> None:
    importing.run(project, DATA / "batch1.ris")
    dedup_project.run(project)
    ids = _ids(project)
    unlinked = dedup_project.undo(project, ids["batch1.ris:14"], reviewer="MC")
    assert unlinked == [ids["batch1.ris:14"]]
    assert dedup_project.duplicates_removed(project) == 0
    importing.run(project, DATA / "update.ris")
    dedup_project.run(project)
    groups = {
        g.canonical.id: {r.id for r, _ in g.duplicates} for g in dedup_project.groups(project)
    }
    # the undone pair stays apart even though the update brought a third copy
    assert not any(
        {ids["batch1.ris:1"], ids["batch1.ris:14"]} <= ({c} | m) for c, m in groups.items()
    )
    with pytest.raises(StateError, match="not in a duplicate group"):
        dedup_project.undo(project, ids["batch1.ris:38"])


def test_review_queue_decisions_are_kept_across_runs(project: Project) -> None:
    importing.run(project, DATA / "batch1.ris")
    first = dedup_project.run(project, policy=REVIEW_PARTS)
    assert first.queued == 1
    queue = dedup_project.review_queue(project)
    assert [(q.category, q.a.title[:20]) for q in queue] == [("multi_part", "Social prescribing t")]
    dedup_project.decide_pair(project, queue[0].a.id, queue[0].b.id, duplicate=False, reviewer="CJ")
    assert dedup_project.review_queue(project) == []
    importing.run(project, DATA / "update.ris")
    second = dedup_project.run(project, policy=REVIEW_PARTS)
    assert second.queued == 0  # the person's decision is not asked again
    assert dedup_project.review_queue(project) == []


def test_confirmed_duplicate_is_linked_by_a_person(project: Project) -> None:
    importing.run(project, DATA / "batch1.ris")
    dedup_project.run(project, policy=REVIEW_PARTS)
    item = dedup_project.review_queue(project)[0]
    dedup_project.decide_pair(project, item.a.id, item.b.id, duplicate=True, reviewer="MC")
    methods = {ev["method"] for g in dedup_project.groups(project) for _, ev in g.duplicates}
    assert methods == {"auto", "person"}
    assert dedup_project.duplicates_removed(project) == 2


def test_unknown_reviewer_is_refused(project: Project) -> None:
    importing.run(project, DATA / "batch1.ris")
    dedup_project.run(project, policy=REVIEW_PARTS)
    item = dedup_project.review_queue(project)[0]
    with pytest.raises(InputError, match="unknown reviewer 'ZZ'"):
        dedup_project.decide_pair(project, item.a.id, item.b.id, duplicate=True, reviewer="ZZ")
    assert len(dedup_project.review_queue(project)) == 1


def test_queue_csv_round_trip_and_bad_rows(project: Project, tmp_path: Path) -> None:
    importing.run(project, DATA / "batch1.ris")
    dedup_project.run(project, policy=REVIEW_PARTS)
    path = tmp_path / "pairs.csv"
    assert dedup_csv.export_queue(project, path) == 1
    rows = list(csv.DictReader(path.open(encoding="utf-8-sig")))
    assert rows[0]["title_a"].startswith("Social prescribing") and rows[0]["decision"] == ""

    rows[0]["decision"] = "maybe?"
    _write(path, rows)
    with pytest.raises(InputError, match=r"pairs\.csv:2: decision 'maybe\?'"):
        dedup_csv.import_decisions(project, path)
    assert len(dedup_project.review_queue(project)) == 1  # nothing recorded

    rows[0]["decision"] = "not_duplicate"
    _write(path, rows)
    assert dedup_csv.import_decisions(project, path, reviewer="MC") == 1
    assert dedup_project.review_queue(project) == []


def test_queue_csv_without_decision_column_is_refused(project: Project, tmp_path: Path) -> None:
    path = tmp_path / "x.csv"
    path.write_text("record_a,record_b\n1,2\n", encoding="utf-8")
    with pytest.raises(InputError, match="missing column"):
        dedup_csv.import_decisions(project, path)


def test_terminal_review_loop(project: Project) -> None:
    from reviewflow.cli.dedup import review_loop

    importing.run(project, DATA / "batch1.ris")
    dedup_project.run(project, policy=REVIEW_PARTS)
    keys = iter(["x", "n"])  # an unknown key is ignored, then "not a duplicate"
    decided = review_loop(
        project, dedup_project.review_queue(project), reviewer="MC", read_key=lambda: next(keys)
    )
    assert decided == 1
    assert dedup_project.review_queue(project) == []


def _write(path: Path, rows: list[dict[str, str]]) -> None:
    with path.open("w", encoding="utf-8", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)


def test_queue_shows_only_differing_fields_and_ranks_by_uncertainty() -> None:
    from reviewflow.records import Record

    a = Record(title="Ketamine and cognition", authors=["Haldane M"], year=2015,
               source_title="J Psychopharmacol", volume="29", pages="81-87", id=1)  # fmt: skip
    b = Record(title="KETAMINE AND COGNITION.", authors=["Haldane M"], year=2015,
               source_title="J Psychopharmacol", volume="29", pages="18-87", id=2)  # fmt: skip
    item = dedup_project.QueueItem(1, a, b, "uncertain", "similar_title", {})
    assert item.differences() == [("pages", "81-87", "18-87")]
    assert item.same_fields() == ["title", "authors", "year", "source", "volume"]
    near_even = {"title": 96, "authors": 90, "volume": 1, "page": -1, "year_gap": 0}
    clear_no = {"title": 86, "authors": 40, "volume": -1, "page": -1, "year_gap": 3}
    clear_yes = {"title": 100, "authors": 100, "abstract": 100, "volume": 1, "page": 1}
    ranked = sorted([clear_no, near_even, clear_yes], key=dedup_project.uncertainty)
    assert ranked[-1] is near_even
