"""Changing an import afterwards: link it to its search, remove a mistaken one.

Uses the small new review in tests/data/newreview (Embase 6, MEDLINE 4, Web of Science 3
records; 3 duplicates across databases).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select

from reviewflow.errors import NotFoundError, StateError
from reviewflow.project import Project
from reviewflow.reports.prisma_project import UNLINKED, counts_from_project
from reviewflow.settings import ScreeningSettings
from reviewflow.stages import importing, screening, searches, status
from reviewflow.stages.dedup import project as dedup_project
from reviewflow.stages.importing import changes as imports
from reviewflow.stages.searches import SearchEntry
from reviewflow.store import dedup_queries, import_queries, queries, schema
from reviewflow.store.schema import screening_decisions

NEW = Path(__file__).parents[2] / "data" / "newreview"


def _embase_medline(project: Project) -> None:
    for source, name in (("Embase", "embase.ris"), ("MEDLINE", "medline.nbib")):
        sid = searches.add(project, SearchEntry(source=source), export_file=NEW / name)
        importing.run(project, NEW / name, search_id=sid)


def _snapshot(project: Project) -> dict[str, Any]:
    """What a user sees of the project: status, PRISMA, current links, table sizes."""
    st = status.run(project)
    with project.db.connect() as conn:
        tables = queries.table_counts(conn)
        links = {r: row["canonical_id"] for r, row in dedup_queries.latest_links(conn).items()}
    for bookkeeping in ("dedup_runs", "import_events", "duplicate_links"):
        tables.pop(bookkeeping)  # append-only logs: a removal adds to them
    return {
        "records": st.records,
        "stages": st.stages,
        "prisma": counts_from_project(project).to_dict(),
        "tables": tables,
        "links": links,
    }


# -- link ---------------------------------------------------------------------------------


def test_linking_afterwards_counts_the_file_once_for_its_search(project: Project) -> None:
    _embase_medline(project)
    wos = searches.add(project, SearchEntry(source="Web of Science", records_returned=3))
    late = importing.run(project, NEW / "wos.txt")  # the search was logged without --file
    assert late.search_id is None and not late.linked_by_sha256
    before = counts_from_project(project)
    # counted twice: the search by its records_returned, the file apart
    assert dict(before.databases) == {"Embase": 6, "MEDLINE": 4, "Web of Science": 3, UNLINKED: 3}
    assert before.records_identified == 16
    assert any("reviewflow imports link" in n for n in before.notes)
    assert not any("--force" in n for n in before.notes)

    result = imports.link(project, late.import_id, search_id=wos, reviewer="MC")
    assert result.changed and result.previous_search_id is None
    after = counts_from_project(project)
    assert dict(after.databases) == {"Embase": 6, "MEDLINE": 4, "Web of Science": 3}
    assert after.records_identified == 13 and after.notes == []
    assert status.run(project).records == 13  # nothing was imported again
    (event,) = imports.history(project)
    assert (event["action"], event["import_id"], event["search_id"]) == ("link", 3, wos)
    assert event["reviewer"] == "MC" and event["file_name"] == "wos.txt"


def test_relinking_to_another_search_needs_replace(project: Project) -> None:
    _embase_medline(project)
    other = searches.add(project, SearchEntry(source="CINAHL", date_searched="2022-03-21"))
    with pytest.raises(StateError) as err:
        imports.link(project, 1, search_id=other)
    assert "already linked to search 1 (Embase)" in str(err.value)
    assert "--replace" in str(err.value)
    moved = imports.link(project, 1, search_id=other, replace=True)
    assert moved.previous_search_id == 1
    assert any("content differs" in w for w in moved.warnings) is False  # CINAHL logged no file
    assert imports.history(project)[-1]["previous_search_id"] == 1
    again = imports.link(project, 1, search_id=other)
    assert not again.changed and len(imports.history(project)) == 1


def test_link_names_what_is_missing(project: Project) -> None:
    _embase_medline(project)
    with pytest.raises(NotFoundError, match="no import 9"):
        imports.link(project, 9, search_id=1)
    with pytest.raises(NotFoundError, match="no search 9"):
        imports.link(project, 1, search_id=9)


def test_link_warns_when_the_search_logged_another_file(project: Project) -> None:
    _embase_medline(project)
    importing.run(project, NEW / "wos.txt")
    result = imports.link(project, 3, search_id=1, replace=True)
    assert any("embase.ris" in w and "differs" in w for w in result.warnings)


# -- remove -------------------------------------------------------------------------------


def test_removing_a_forced_second_copy_brings_every_count_back(project: Project) -> None:
    _embase_medline(project)
    wos = searches.add(project, SearchEntry(source="Web of Science"), export_file=NEW / "wos.txt")
    importing.run(project, NEW / "wos.txt", search_id=wos)
    dedup_project.run(project)
    before = _snapshot(project)
    copy = importing.run(project, NEW / "wos.txt", search_id=wos, force=True)
    dedup_project.run(project)
    doubled = counts_from_project(project)
    assert doubled.records_identified == before["prisma"]["records_identified"] + 3

    plan = imports.plan_removal(project, copy.import_id)
    assert plan.records == 3 and plan.counts["duplicate_links"] == 3
    assert plan.warnings == []  # nobody's work is lost
    assert any("same file" in n for n in plan.notes)
    imports.remove(project, copy.import_id, reviewer="CJ", expected=plan)

    assert _snapshot(project) == before
    (event,) = imports.history(project)
    assert event["action"] == "remove" and event["reviewer"] == "CJ"
    assert event["file_name"] == "wos.txt" and event["file_sha256"] == copy.sha256
    assert event["details"]["counts"]["records"] == 3 and event["created_at"] is not None


def test_a_failed_removal_leaves_the_project_as_it_was(
    project: Project, monkeypatch: pytest.MonkeyPatch
) -> None:
    _embase_medline(project)
    importing.run(project, NEW / "wos.txt")
    dedup_project.run(project)
    before = _snapshot(project)
    with project.db.connect() as conn:
        raw_before = queries.table_counts(conn)

    def broken(*args: object, **kwargs: object) -> int:
        raise RuntimeError("disk full")

    # the history row is written last, after every delete: failing there must undo them
    monkeypatch.setattr(import_queries, "insert_import_event", broken)
    with pytest.raises(RuntimeError):
        imports.remove(project, 3)
    with project.db.connect() as conn:
        assert queries.table_counts(conn) == raw_before
    assert _snapshot(project) == before


def test_removing_a_canonical_record_keeps_its_group(project: Project) -> None:
    # MEDLINE is imported twice; Embase (imported first) holds the canonical records of
    # the two studies it shares with MEDLINE, so each of those groups keeps two records
    _embase_medline(project)
    importing.run(project, NEW / "medline.nbib", force=True)  # import 3
    dedup_project.run(project)
    with project.db.connect() as conn:
        links = dedup_queries.latest_links(conn)
        embase = set(import_queries.record_ids_of(conn, 1))
    orphans = {r for r, row in links.items() if row["canonical_id"] in embase}
    assert len(orphans) == 4  # 2 MEDLINE records and their 2 copies

    plan = imports.plan_removal(project, 1)
    assert plan.regrouped == 4
    imports.remove(project, 1)

    with project.db.connect() as conn:
        after = dedup_queries.latest_links(conn)
        alive = set(dedup_queries.record_ids(conn))
    assert all(r in alive and row["canonical_id"] in alive for r, row in after.items())
    canonicals = {row["canonical_id"] for row in after.values()}
    assert not canonicals & set(after)  # no canonical record is itself linked
    st = status.run(project)
    assert st.records == 8 and st.stages["after deduplication"] == 4  # each copy linked
    counts = counts_from_project(project)
    assert dict(counts.databases)["MEDLINE"] == 8 and counts.duplicates_removed == 4
    # a new run finds nothing more to link: the groups were kept whole
    rerun = dedup_project.run(project)
    assert rerun.links_added == 0 and rerun.duplicates_removed == 4


def test_dedup_compares_records_that_reuse_the_ids_of_removed_ones(project: Project) -> None:
    _embase_medline(project)
    importing.run(project, NEW / "wos.txt")
    dedup_project.run(project)
    removed = imports.remove(project, 3)
    assert removed.records == 3
    again = importing.run(project, NEW / "wos.txt")
    assert again.import_id == 4  # an id is never given to two imports in the history
    with project.db.connect() as conn:
        ids = import_queries.record_ids_of(conn, again.import_id)
    assert status.run(project).stages["not yet deduplicated"] == 3
    result = dedup_project.run(project)
    assert result.new_records == 3, ids
    assert status.run(project).stages["duplicates removed"] == 3


def _screen_all(project: Project) -> None:
    project.settings.screening = ScreeningSettings.model_validate(
        {"reasons": ["not UK-based"], "ta": {"reviewers": ["MC"]}}
    )
    project.save_settings()
    with project.db.connect() as conn:
        items = sorted(screening.load_state(conn, project, "ta").items)
    for k, item in enumerate(items):
        decision = "include" if k % 2 == 0 else "exclude"
        screening.decide(project, stage="ta", item_id=item, reviewer="MC", decision=decision)
    screening.create_reports(project)


def test_removing_screened_records_warns_and_takes_their_reports(project: Project) -> None:
    _embase_medline(project)
    importing.run(project, NEW / "wos.txt")
    dedup_project.run(project)
    _screen_all(project)
    plan = imports.plan_removal(project, 3)
    assert plan.decisions > 0
    assert plan.counts["reports"] > 0 and plan.counts["studies"] == plan.counts["reports"]
    assert any("work of the team" in w and "screening decisions" in w for w in plan.warnings)
    with project.db.connect() as conn:
        wos = set(import_queries.record_ids_of(conn, 3))
    imports.remove(project, 3)
    with project.db.connect() as conn:
        alive = set(dedup_queries.record_ids(conn))
        voted = set(conn.execute(select(screening_decisions.c.item_id)).scalars())
        reported = set(conn.execute(select(schema.reports.c.record_id)).scalars())
        studies = conn.execute(select(func.count()).select_from(schema.studies)).scalar_one()
    assert alive and not alive & wos
    assert voted <= alive and reported <= alive  # nothing points at a removed record
    assert studies == len(reported)  # no study left without a report
    counts = counts_from_project(project)
    assert counts.records_screened == counts.records_identified - counts.duplicates_removed


def test_removal_refuses_when_the_project_changed_since_it_was_shown(project: Project) -> None:
    _embase_medline(project)
    importing.run(project, NEW / "wos.txt")
    plan = imports.plan_removal(project, 3)
    dedup_project.run(project)  # someone links duplicates meanwhile
    with pytest.raises(StateError, match="changed since it was shown"):
        imports.remove(project, 3, expected=plan)
    assert status.run(project).records == 13
