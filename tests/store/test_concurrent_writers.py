"""Writers never collide: several processes recording into one project at once.

Two to eight processes record decisions for different reviewers at the same time, on
SQLite and on PostgreSQL (10,000 decisions across this file): every decision is stored
exactly once and in its writer's order, none is lost, a batch is never interleaved with
another writer's, no writer sees an error, and a decision changed twice keeps both
earlier events. Imports of the same decisions sheet at the same time record each decision
once. A writer that finds the write lock taken waits for it, and after the bound gets a
StoreError naming the cause (never "database is locked"). Recording one decision reads
only its item, not the whole stage.
"""

from __future__ import annotations

import csv
import io
import multiprocessing
import sqlite3
import threading
import time
from collections import defaultdict
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import event, select

from reviewflow import store
from reviewflow.errors import NotFoundError, StoreError
from reviewflow.project import Project
from reviewflow.records import Record
from reviewflow.settings import Reviewer, ScreeningSettings
from reviewflow.stages import screening
from reviewflow.stages.dedup import links
from reviewflow.store import queries
from reviewflow.store import screening_queries as sq
from reviewflow.store.schema import screening_decisions

TEAM = ("MC", "CJ", "DF", "JS", "LA", "KA", "AB", "EF")
SINGLE = 5  # one item in SINGLE is recorded alone (decide), the rest in batches (record)
BATCH = 40  # decisions per record() call
CHANGED = 5  # items each writer changes twice (include/exclude, then the other, then maybe)


def _context() -> Any:
    """fork where there is one (a second to start eight writers), else spawn."""
    methods = multiprocessing.get_all_start_methods()
    return multiprocessing.get_context("fork" if "fork" in methods else "spawn")


def _team_project(project: Project, *, writers: int, records: int) -> list[int]:
    """Every writer a main reviewer of title/abstract (so each screens every item)."""
    team = TEAM[:writers]
    for initials in team:
        if project.settings.reviewer(initials) is None:
            project.settings.reviewers.append(Reviewer(initials=initials))
    project.settings.screening = ScreeningSettings.model_validate(
        {"reasons": ["not UK-based"], "ta": {"reviewers": list(team), "rule": "any_include"}}
    )
    project.save_settings()
    items = [
        Record(title=f"Study {i}", abstract=f"Abstract {i}", year=2000 + i % 22, raw=f"TI  - {i}")
        for i in range(records)
    ]
    with project.db.transaction() as conn:
        import_id = queries.insert_import(
            conn,
            values={
                "file_name": "w.ris",
                "file_sha256": f"w{records}".ljust(64, "0"),
                "format": "ris",
                "records_read": records,
                "warnings": [],
            },
        )
        queries.insert_records(conn, import_id=import_id, items=items)
    with project.db.connect() as conn:
        return links.canonical_record_ids(conn)


def _plan(reviewer: str, items: list[int]) -> dict[int, list[str]]:
    """What one writer records on each item, in order (the same for every run)."""
    salt = TEAM.index(reviewer)
    out = {i: ["include" if (i + salt) % 3 == 0 else "exclude"] for i in items}
    for i in items[:CHANGED]:
        first = out[i][0]
        out[i] += ["exclude" if first == "include" else "include", "maybe"]
    return out


def _writer(root: str, reviewer: str, items: list[int], barrier: Any, results: Any) -> None:
    """A fifth of the items one decision at a time, the rest in batches (as a sheet or
    a web form of several decisions would); then change some twice."""
    project = Project.open(root)
    try:
        plan = _plan(reviewer, items)
        alone = len(items) // SINGLE
        barrier.wait(timeout=60)
        for i in items[:alone]:
            screening.decide(project, stage="ta", item_id=i, reviewer=reviewer, decision=plan[i][0])
        rest = items[alone:]
        for start in range(0, len(rest), BATCH):
            screening.record(
                project,
                [
                    screening.Decision("ta", i, reviewer, plan[i][0])
                    for i in rest[start : start + BATCH]
                ],
            )
        for i in items[:CHANGED]:
            for decision in plan[i][1:]:
                screening.decide(
                    project, stage="ta", item_id=i, reviewer=reviewer, decision=decision
                )
        results.put((reviewer, None))
    except BaseException as exc:  # reported to the parent, which fails the test
        results.put((reviewer, repr(exc)))
    finally:
        project.close()


def _run(ctx: Any, target: Any, args_of: list[tuple[Any, ...]]) -> list[Any]:
    barrier, results = ctx.Barrier(len(args_of)), ctx.Queue()
    procs = [ctx.Process(target=target, args=(*a, barrier, results)) for a in args_of]
    for p in procs:
        p.start()
    try:
        outcomes = [results.get(timeout=120) for _ in procs]
    finally:
        for p in procs:
            p.join(timeout=30)
            if p.is_alive():
                p.kill()
    return outcomes


@pytest.mark.parametrize(("writers", "per_writer"), [(2, 1000), (8, 375)])
def test_writers_for_different_reviewers_store_every_decision_once(
    project: Project, writers: int, per_writer: int
) -> None:
    # (2 x 1,000) + (8 x 375) = 5,000 first decisions per engine, 10,000 on both
    items = _team_project(project, writers=writers, records=per_writer)
    team = TEAM[:writers]
    outcomes = _run(_context(), _writer, [(str(project.root), r, items) for r in team])
    assert sorted(outcomes) == [(r, None) for r in sorted(team)]  # no writer saw an error

    expected = {(r, i): seq for r in team for i, seq in _plan(r, items).items()}
    with project.db.connect() as conn:
        cols = screening_decisions.c
        rows = conn.execute(
            select(cols.id, cols.reviewer, cols.item_id, cols.decision).order_by(cols.id)
        ).all()
        state = screening.load_state(conn, project, "ta")
    got: dict[tuple[str, int], list[str]] = defaultdict(list)
    ids: dict[tuple[str, int], list[int]] = defaultdict(list)
    for row_id, reviewer, item, decision in rows:
        got[(reviewer, item)].append(decision)
        ids[(reviewer, item)].append(row_id)
    # each decision once, none lost, in the order its writer made it; a decision changed
    # twice keeps both earlier events, and the latest is the current vote
    assert len(rows) == sum(len(seq) for seq in expected.values())
    assert dict(got) == expected
    for (reviewer, item), seq in expected.items():
        assert state.votes[item][reviewer].decision == seq[-1]
    # one batch = one transaction: its events are consecutive, no other writer's between
    for reviewer in team:
        rest = items[len(items) // SINGLE :]
        for start in range(0, len(rest), BATCH):
            first = sorted(ids[(reviewer, i)][0] for i in rest[start : start + BATCH])
            assert first == list(range(first[0], first[0] + len(first)))


def _import(root: str, sheet: str, barrier: Any, results: Any) -> None:
    project = Project.open(root)
    try:
        barrier.wait(timeout=60)
        result = screening.import_sheet(project, sheet)
        results.put((result.recorded, result.unchanged))
    except BaseException as exc:
        results.put(repr(exc))
    finally:
        project.close()


def test_simultaneous_imports_of_one_sheet_record_each_decision_once(
    project: Project, tmp_path: Path
) -> None:
    items = _team_project(project, writers=2, records=400)
    rows = list(
        csv.DictReader(io.StringIO(screening.export_sheet(project, stage="ta", reviewer="CJ")))
    )
    assert [int(r["item_id"]) for r in rows] == items
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=list(rows[0]))
    writer.writeheader()
    for n, row in enumerate(rows):
        row["decision"] = "include" if n % 4 == 0 else "exclude"
        writer.writerow(row)
    sheet = tmp_path / "cj.csv"
    sheet.write_text(out.getvalue(), encoding="utf-8")

    outcomes = _run(_context(), _import, [(str(project.root), str(sheet))] * 4)
    assert all(isinstance(o, tuple) for o in outcomes), outcomes
    # one import records the sheet; the others find every row unchanged ("0 new")
    n = len(rows)
    assert sorted(outcomes) == [(0, n), (0, n), (0, n), (n, 0)]
    with project.db.connect() as conn:
        assert queries.table_counts(conn)["screening_decisions"] == n


@contextmanager
def _lock_held_elsewhere(project: Project) -> Iterator[threading.Event]:
    """Hold the project's write lock from another connection until the event is set."""
    release = threading.Event()
    held = threading.Event()

    def hold() -> None:
        if project.db.is_sqlite:
            raw = sqlite3.connect(project.db.engine.url.database, isolation_level=None)
            raw.execute("BEGIN IMMEDIATE")
            held.set()
            release.wait(30)
            raw.execute("ROLLBACK")
            raw.close()
            return
        with project.db.engine.connect() as conn, conn.begin():
            conn.exec_driver_sql(f"SELECT pg_advisory_xact_lock({store.WRITE_LOCK})")
            held.set()
            release.wait(30)

    thread = threading.Thread(target=hold)
    thread.start()
    assert held.wait(10)
    try:
        yield release
    finally:
        release.set()
        thread.join(10)


def _decisions(project: Project) -> int:
    with project.db.connect() as conn:
        return queries.table_counts(conn)["screening_decisions"]


def test_a_writer_waits_for_a_held_write_lock(project: Project) -> None:
    items = _team_project(project, writers=2, records=3)
    with _lock_held_elsewhere(project) as release:
        threading.Timer(0.4, release.set).start()  # far past one 5 ms SQLite attempt
        start = time.monotonic()
        screening.decide(project, stage="ta", item_id=items[0], reviewer="MC", decision="include")
        assert time.monotonic() - start >= 0.3
    assert _decisions(project) == 1


def test_a_lock_held_past_the_bound_is_a_store_error_naming_the_cause(
    project: Project, monkeypatch: pytest.MonkeyPatch
) -> None:
    items = _team_project(project, writers=2, records=3)
    monkeypatch.setattr(store, "WRITE_LOCK_WAIT_S", 0.5)
    with _lock_held_elsewhere(project), pytest.raises(StoreError) as caught:
        screening.decide(project, stage="ta", item_id=items[0], reviewer="MC", decision="include")
    assert "another reviewflow process has held this project's write lock" in caught.value.message
    assert "locked" not in str(caught.value)
    assert caught.value.hint and "run this one again" in caught.value.hint
    assert _decisions(project) == 0


def test_one_decision_reads_its_item_not_the_whole_stage(
    project: Project, monkeypatch: pytest.MonkeyPatch
) -> None:
    items = _team_project(project, writers=3, records=300)
    project.settings.screening.ft.reviewers = ["MC", "CJ"]  # type: ignore[union-attr]
    project.save_settings()
    screening.record(project, [screening.Decision("ta", i, "MC", "include") for i in items[:20]])
    reports = screening.create_reports(project)
    with project.db.transaction() as conn:
        for r in reports[:10]:
            sq.insert_retrieval_event(conn, values={"report_id": r, "status": "retrieved"})

    def whole_stage(*_a: Any, **_k: Any) -> Any:
        raise AssertionError("recording one decision read the whole stage")

    for module, name in [
        (links, "canonical_record_ids"),
        (sq, "list_reports"),
        (sq, "current_retrieval"),
    ]:
        monkeypatch.setattr(module, name, whole_stage)
    events_of = sq.decision_events

    def item_events(conn: Any, *, stage: str, item_ids: Any = None) -> Any:
        if item_ids is None:
            whole_stage()
        return events_of(conn, stage=stage, item_ids=item_ids)

    monkeypatch.setattr(sq, "decision_events", item_events)
    statements: list[str] = []

    def count(_conn: Any, _cursor: Any, statement: str, *_rest: Any) -> None:
        statements.append(statement)

    event.listen(project.db.engine, "before_cursor_execute", count)
    try:
        screening.decide(project, stage="ta", item_id=items[50], reviewer="DF", decision="exclude")
        ta_statements = len(statements)
        screening.decide(project, stage="ft", item_id=reports[3], reviewer="CJ", decision="include")
        with pytest.raises(NotFoundError, match="not an item of full text"):
            screening.decide(
                project, stage="ft", item_id=reports[15], reviewer="CJ", decision="include"
            )
    finally:
        event.remove(project.db.engine, "before_cursor_execute", count)
    # a handful of statements however large the project (lock, item, votes, plan, insert)
    assert ta_statements <= 12
    assert _decisions(project) == 20 + 2
