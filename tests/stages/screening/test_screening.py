"""Screening end to end on both seed plans: assignment, blindness, conflicts, counts."""

from __future__ import annotations

import hashlib
import multiprocessing
import shutil
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from sqlalchemy import func, select
from test_screening_setup import add_records, seed_team

from reviewflow.cli import cli
from reviewflow.errors import InputError, NotFoundError, ProjectError, StateError
from reviewflow.project import Project
from reviewflow.settings import Settings
from reviewflow.stages import retrieval, screening
from reviewflow.stages.retrieval import (
    adopt_file_copies,
    full_text_path,
    full_text_store,
    read_full_text,
)
from reviewflow.stages.retrieval.folder import attach_files
from reviewflow.store import queries
from reviewflow.store import screening_queries as sq
from reviewflow.store.schema import blobs as blobs_table
from reviewflow.store.schema import retrieval_events


@pytest.fixture
def seeded(project: Project) -> Project:
    return seed_team(project)


def _sample(project: Project) -> list[int]:
    with project.db.connect() as conn:
        state = screening.load_state(conn, project, "ta")
    return [i for i in state.items if "CJ" in state.assigned[i]]


def _table_counts(project: Project) -> dict[str, int]:
    with project.db.connect() as conn:
        return queries.table_counts(conn)


def test_ta_sample_is_reproducible_from_the_seed_and_stable_when_records_are_added(
    seeded: Project,
) -> None:
    ids = add_records(seeded, 300)
    first = _sample(seeded)
    assert first == _sample(seeded)
    assert 0.13 < len(first) / len(ids) < 0.27  # 20 % target, binomial spread at n=300
    # An update search adds records: the earlier sample is untouched.
    add_records(seeded, 200, file="update.ris")
    after = _sample(seeded)
    assert [i for i in after if i in set(ids)] == first
    # Another seed draws another sample.
    seeded.settings.screening.ta.seed = 7  # type: ignore[union-attr]
    assert _sample(seeded) != first


def test_ta_plan_any_include_passes_and_counts_are_derived(seeded: Project) -> None:
    ids = add_records(seeded, 40)
    sample = set(_sample(seeded))
    assert sample, "seed 2022 puts some of 40 records in the sample"
    for i in ids:
        screening.decide(
            seeded, stage="ta", item_id=i, reviewer="MC", decision="exclude" if i % 2 else "include"
        )
    for i in sample:
        screening.decide(seeded, stage="ta", item_id=i, reviewer="CJ", decision="maybe")
    included = {i for i in ids if i % 2 == 0} | sample
    counts = screening.counts(seeded)
    assert counts["records_screened"] == 40
    assert counts["records_included"] == len(included)
    assert counts["records_excluded"] == 40 - len(included)
    assert counts["records_pending"] == 0
    assert counts["records_in_conflict"] == 0  # any_include never needs the arbiter


def test_duplicates_are_not_screened(seeded: Project) -> None:
    a, b = add_records(seeded, 2)
    with seeded.db.transaction() as conn:
        from reviewflow.store.schema import duplicate_links

        conn.execute(
            duplicate_links.insert().values(
                record_id=b,
                canonical_id=a,
                action="link",
                method="person",
                scores={},
                created_at=queries.now(),
            )
        )
    with pytest.raises(NotFoundError, match=f"record {b} is not an item"):
        screening.decide(seeded, stage="ta", item_id=b, reviewer="MC", decision="include")
    assert screening.counts(seeded)["records_screened"] == 1


def test_votes_are_blind_until_arbiter_or_closure(seeded: Project) -> None:
    ids = add_records(seeded, 40)
    item = _sample(seeded)[0]
    screening.decide(seeded, stage="ta", item_id=item, reviewer="MC", decision="include")
    screening.decide(seeded, stage="ta", item_id=item, reviewer="CJ", decision="exclude")
    assert set(screening.votes(seeded, stage="ta", item_id=item, reviewer="CJ")) == {"CJ"}
    assert set(screening.votes(seeded, stage="ta", item_id=item, reviewer="MC")) == {"MC"}
    # any_include: this item is not a conflict, so the arbiter does not see the votes either
    assert screening.votes(seeded, stage="ta", item_id=item, reviewer="LA") == {}
    with pytest.raises(StateError, match="only the arbiter"):
        screening.conflicts(seeded, stage="ta", reviewer="CJ")
    sheet = screening.export_sheet(seeded, stage="ta", reviewer="CJ")
    assert f"ta,{item},CJ," in sheet and ",include," not in sheet
    for i in ids:
        if i != item:
            screening.decide(seeded, stage="ta", item_id=i, reviewer="MC", decision="exclude")
    for i in _sample(seeded):
        if i != item:
            screening.decide(seeded, stage="ta", item_id=i, reviewer="CJ", decision="exclude")
    screening.close_stage(seeded, stage="ta", reviewer="MC")
    assert set(screening.votes(seeded, stage="ta", item_id=item, reviewer="CJ")) == {"MC", "CJ"}
    with pytest.raises(StateError, match="closed"):
        screening.decide(seeded, stage="ta", item_id=item, reviewer="MC", decision="exclude")
    screening.reopen_stage(seeded, stage="ta", reviewer="MC")
    assert set(screening.votes(seeded, stage="ta", item_id=item, reviewer="CJ")) == {"CJ"}


def test_changing_ones_mind_and_undo_add_events(seeded: Project) -> None:
    (item,) = add_records(seeded, 1)
    screening.decide(seeded, stage="ta", item_id=item, reviewer="MC", decision="include")
    screening.decide(seeded, stage="ta", item_id=item, reviewer="MC", decision="exclude")
    assert screening.votes(seeded, stage="ta", item_id=item, reviewer="MC")["MC"].decision == (
        "exclude"
    )
    screening.withdraw(seeded, stage="ta", item_id=item, reviewer="MC")
    assert screening.votes(seeded, stage="ta", item_id=item, reviewer="MC") == {}
    assert _table_counts(seeded)["screening_decisions"] == 3
    assert screening.counts(seeded)["records_pending"] == 1


def _to_full_text(project: Project, tmp_path: Path, n: int) -> list[int]:
    """n records pass title/abstract; return their report ids, all retrieved."""
    ids = add_records(project, n)
    for i in ids:
        screening.decide(project, stage="ta", item_id=i, reviewer="MC", decision="include")
    report_ids = screening.create_reports(project)
    assert screening.create_reports(project) == []  # idempotent
    for k, rid in enumerate(report_ids):
        pdf = tmp_path / f"paper{k}.pdf"
        pdf.write_bytes(b"%PDF-1.4 full text " + str(k).encode())
        retrieval.retrieve(project, rid, file=pdf, reviewer="MC")
    return report_ids


def test_full_text_plan_unanimous_else_arbiter_end_to_end(seeded: Project, tmp_path: Path) -> None:
    r1, r2, r3, r4, r5 = _to_full_text(seeded, tmp_path, 5)
    retrieval.not_retrieved(seeded, r5, reason="no library access", reviewer="MC")
    for who in ("MC", "DF", "JS"):
        screening.decide(seeded, stage="ft", item_id=r1, reviewer=who, decision="include")
        screening.decide(seeded, stage="ft", item_id=r2, reviewer=who, decision="include")
        screening.decide(
            seeded, stage="ft", item_id=r3, reviewer=who, decision="exclude", reason="not adults"
        )
    screening.decide(seeded, stage="ft", item_id=r4, reviewer="MC", decision="include")
    screening.decide(
        seeded, stage="ft", item_id=r4, reviewer="DF", decision="exclude", reason="not UK-based"
    )
    assert screening.counts(seeded)["reports_pending"] == 1
    screening.decide(seeded, stage="ft", item_id=r4, reviewer="JS", decision="maybe")
    # r4 is a conflict: the arbiter sees every vote, a screener sees only their own
    (conflict,) = screening.conflicts(seeded, stage="ft", reviewer="LA")
    assert conflict.item_id == r4 and set(conflict.votes) == {"MC", "DF", "JS"}
    assert set(screening.votes(seeded, stage="ft", item_id=r4, reviewer="JS")) == {"JS"}
    with pytest.raises(StateError, match="not the arbiter"):
        screening.resolve(seeded, stage="ft", item_id=r4, reviewer="MC", decision="include")
    with pytest.raises(InputError, match="needs a reason"):
        screening.resolve(seeded, stage="ft", item_id=r4, reviewer="LA", decision="exclude")
    screening.resolve(
        seeded, stage="ft", item_id=r4, reviewer="LA", decision="exclude", reason="not UK-based"
    )
    assert screening.conflicts(seeded, stage="ft", reviewer="LA") == []
    # protocol and main paper of one study
    screening.group_reports(seeded, [r1, r2])
    screening.set_report_kind(seeded, r2, "protocol")
    c = screening.counts(seeded)
    assert c["reports_sought"] == 5
    assert c["reports_not_retrieved"] == 1
    assert c["reports_assessed"] == 4
    assert c["reports_excluded"] == 2
    assert c["reports_excluded: not adults"] == 1
    assert c["reports_excluded: not UK-based"] == 1
    assert c["reports_excluded: not mental health"] == 0
    assert c["reports_included"] == 2
    assert c["studies_included"] == 1


def test_retrieved_file_is_stored_once_by_sha256(seeded: Project, tmp_path: Path) -> None:
    (rid,) = _to_full_text(seeded, tmp_path, 1)
    (report,) = screening.list_reports(seeded)
    assert report.status == "retrieved" and report.file_name == "paper0.pdf"
    assert report.file_path == str(tmp_path / "paper0.pdf")  # where it came from
    stored = full_text_store(seeded).path_of(report.file_sha256)  # type: ignore[arg-type]
    assert stored is not None and stored.read_bytes() == b"%PDF-1.4 full text 0"
    assert hashlib.sha256(stored.read_bytes()).hexdigest() == report.file_sha256
    (tmp_path / "paper1.pdf").write_bytes(b"%PDF-1.4 full text 0")  # the same PDF again
    retrieval.retrieve(seeded, rid, file=tmp_path / "paper1.pdf", reviewer="MC")
    assert len([p for p in (seeded.root / "blobs").rglob("*") if p.is_file()]) == 1
    with pytest.raises(InputError, match="not a full-text file"):
        bad = tmp_path / "x.exe"
        bad.write_bytes(b"MZ")
        retrieval.retrieve(seeded, rid, file=bad, reviewer="MC")


def test_an_uploaded_full_text_is_stored_like_an_attached_file(seeded: Project) -> None:
    ids = add_records(seeded, 2)
    for i in ids:
        screening.decide(seeded, stage="ta", item_id=i, reviewer="MC", decision="include")
    r1, r2 = screening.create_reports(seeded)
    data = b"%PDF-1.4 uploaded full text"
    one = retrieval.attach_bytes(seeded, r1, data, file_name="../../hall.pdf", reviewer="MC")
    assert (one.status, one.file_name, one.file_path) == ("retrieved", "hall.pdf", None)
    two = retrieval.attach_bytes(seeded, r2, data, file_name="hall copy.pdf", reviewer="MC")
    assert two.file_sha256 == one.file_sha256 == hashlib.sha256(data).hexdigest()
    assert len([p for p in (seeded.root / "blobs").rglob("*") if p.is_file()]) == 1
    path = full_text_store(seeded).path_of(one.file_sha256)  # type: ignore[arg-type]
    assert path is not None and path.read_bytes() == data
    with pytest.raises(InputError, match="not a full-text file"):
        retrieval.attach_bytes(seeded, r1, b"MZ", file_name="setup.exe", reviewer="MC")
    with pytest.raises(InputError, match="empty"):
        retrieval.attach_bytes(seeded, r1, b"", file_name="hall.pdf", reviewer="MC")
    with pytest.raises(NotFoundError, match="no report 999"):
        retrieval.attach_bytes(seeded, 999, data, file_name="hall.pdf", reviewer="MC")
    with pytest.raises(NotFoundError, match="unknown reviewer"):
        retrieval.attach_bytes(seeded, r1, data, file_name="hall.pdf", reviewer="ZZ")


def test_a_project_from_before_the_blob_store_keeps_its_full_texts(
    seeded: Project, tmp_path: Path
) -> None:
    """Older projects recorded a copy in files/<sha256>.pdf: it is read from there until
    ``reviewflow upgrade`` copies it into the blob store."""
    (rid,) = add_records(seeded, 1)
    screening.decide(seeded, stage="ta", item_id=rid, reviewer="MC", decision="include")
    screening.create_reports(seeded)
    data = b"%PDF-1.4 attached by reviewflow 0.x"
    sha = hashlib.sha256(data).hexdigest()
    (seeded.root / "files").mkdir()
    (seeded.root / "files" / f"{sha}.pdf").write_bytes(data)
    with seeded.db.transaction() as conn:
        sq.insert_retrieval_event(conn, values={
            "report_id": rid, "status": "retrieved", "file_name": "old.pdf",
            "file_sha256": sha, "file_path": f"files/{sha}.pdf", "reviewer": "MC",
        })  # fmt: skip
    (event,) = [e for e in _events(seeded) if e["report_id"] == rid]
    assert full_text_path(seeded, event) == seeded.root / "files" / f"{sha}.pdf"
    assert read_full_text(seeded, event) == data
    upgraded = CliRunner().invoke(cli, ["-p", str(seeded.root), "upgrade"])
    assert upgraded.exit_code == 0, upgraded.output
    assert "Copied 1 full text from files/ into the blob store" in upgraded.output
    assert adopt_file_copies(seeded) == 0  # idempotent
    shutil.rmtree(seeded.root / "files")
    assert read_full_text(seeded, event) == data
    path = full_text_path(seeded, event, for_viewer=True)
    assert path is not None and path.suffix == ".pdf" and path.read_bytes() == data
    full_text_store(seeded).path_of(sha).unlink()  # type: ignore[union-attr]
    with pytest.raises(NotFoundError, match="missing"):
        read_full_text(seeded, event)


def _attach_at_once(root: str, folder: str, barrier: Any, results: Any) -> None:
    project = Project.open(root)
    try:
        barrier.wait(timeout=60)
        results.put(attach_files(project, [folder], reviewer="MC").attached)
    except Exception as exc:  # reported to the parent, which fails the test
        results.put(repr(exc))
    finally:
        project.close()


def test_two_people_attaching_one_folder_at_once_record_each_full_text_once(
    seeded: Project, tmp_path: Path
) -> None:
    ids = add_records(seeded, 6)
    for i in ids:
        screening.decide(seeded, stage="ta", item_id=i, reviewer="MC", decision="include")
    reports = screening.create_reports(seeded)
    folder = tmp_path / "shared drive"
    folder.mkdir()
    for rid in reports:
        (folder / f"{rid}.pdf").write_bytes(b"%PDF-1.4 report " + bytes(str(rid), "ascii") * 10**5)
    ctx = multiprocessing.get_context("spawn")
    barrier, results = ctx.Barrier(2), ctx.Queue()
    procs = [
        ctx.Process(target=_attach_at_once, args=(str(seeded.root), str(folder), barrier, results))
        for _ in range(2)
    ]
    for p in procs:
        p.start()
    outcomes = [results.get(timeout=120) for _ in procs]
    for p in procs:
        p.join(timeout=60)
    assert all(isinstance(o, int) for o in outcomes), outcomes
    assert sum(outcomes) == len(reports)  # between them, each file attached once
    with seeded.db.connect() as conn:
        events = conn.execute(select(retrieval_events.c.report_id)).scalars().all()
        indexed = conn.execute(select(func.count()).select_from(blobs_table)).scalar_one()
    assert sorted(events) == sorted(reports) and indexed == len(reports)
    assert len([p for p in (seeded.root / "blobs").rglob("*") if p.is_file()]) == len(reports)


def _events(project: Project) -> list[dict[str, object]]:
    with project.db.connect() as conn:
        return list(sq.current_retrieval(conn).values())


def test_full_text_items_must_be_retrieved(seeded: Project, tmp_path: Path) -> None:
    (rid,) = _to_full_text(seeded, tmp_path, 1)
    retrieval.not_retrieved(seeded, rid, reason="paywalled", reviewer="DF")
    with pytest.raises(NotFoundError, match="retrieved"):
        screening.decide(seeded, stage="ft", item_id=rid, reviewer="MC", decision="include")


@pytest.mark.parametrize(
    ("kwargs", "error", "message"),
    [
        ({"reviewer": "ZZ"}, NotFoundError, "unknown reviewer 'ZZ'"),
        ({"reviewer": "CJ", "item": "not_sampled"}, StateError, "not assigned to CJ"),
        ({"decision": "exclude", "reason": "too old"}, InputError, "not in the protocol"),
        ({"decision": "perhaps"}, InputError, "not one of include, exclude, maybe"),
        ({"reviewer": "LA"}, StateError, "not a conflict"),
        ({"stage": "xx"}, InputError, "unknown stage"),
        ({"item": 999999}, NotFoundError, "not an item"),
    ],
)
def test_bad_decisions_are_refused_and_nothing_is_recorded(
    seeded: Project, kwargs: dict, error: type[Exception], message: str
) -> None:
    ids = add_records(seeded, 40)
    sample = set(_sample(seeded))
    item = kwargs.get("item", ids[0])
    if item == "not_sampled":
        item = next(i for i in ids if i not in sample)
    before = _table_counts(seeded)
    with pytest.raises(error, match=message):
        screening.decide(
            seeded,
            stage=kwargs.get("stage", "ta"),
            item_id=item,
            reviewer=kwargs.get("reviewer", "MC"),
            decision=kwargs.get("decision", "include"),
            reason=kwargs.get("reason"),
        )
    assert _table_counts(seeded) == before


def test_one_bad_decision_in_a_batch_records_none(seeded: Project) -> None:
    ids = add_records(seeded, 3)
    batch = [screening.Decision("ta", i, "MC", "include") for i in ids]
    batch.append(screening.Decision("ta", ids[0], "MC", "exclude", reason="nope"))
    with pytest.raises(InputError):
        screening.record(seeded, batch)
    assert _table_counts(seeded)["screening_decisions"] == 0


def test_plan_naming_an_unknown_reviewer_is_refused_at_load() -> None:
    with pytest.raises(ValueError, match="XX"):
        Settings.model_validate(
            {
                "title": "t",
                "reviewers": [{"initials": "MC"}],
                "screening": {"ta": {"arbiter": "XX"}},
            }
        )


def test_an_arbiter_who_also_screens_is_refused() -> None:
    with pytest.raises(ValueError, match="arbiter MC also screens"):
        Settings.model_validate(
            {
                "title": "t",
                "reviewers": [{"initials": "MC"}],
                "screening": {"ft": {"reviewers": ["MC"], "arbiter": "MC"}},
            }
        )


def test_project_without_a_plan_says_how_to_add_one(project: Project) -> None:
    add_records(project, 1)
    with pytest.raises(ProjectError, match="no screening plan") as err:
        screening.decide(project, stage="ta", item_id=1, reviewer="MC", decision="include")
    assert "reviewflow plan set --stage ta" in str(err.value.hint)
    assert screening.counts(project)["records_screened"] == 0
