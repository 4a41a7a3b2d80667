"""Jobs: submitted, run by a worker, watched, cancelled, and recovered after a worker dies.

On both engines (the ``project`` fixture is a fresh project on SQLite and PostgreSQL).
"""

from __future__ import annotations

import shutil
import threading
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from reviewflow import jobs
from reviewflow.errors import InputError, StateError
from reviewflow.jobs import kinds
from reviewflow.project import Project
from reviewflow.stages import importing
from reviewflow.store import job_queries as jq
from reviewflow.store import queries
from reviewflow.store.schema import jobs as jobs_table

EMBASE = Path(__file__).parents[1] / "data" / "newreview" / "embase.ris"


def _records(project: Project) -> int:
    with project.db.connect() as conn:
        return queries.table_counts(conn)["records"]


def _export(tmp_path: Path) -> Path:
    path = tmp_path / "embase.ris"
    shutil.copy(EMBASE, path)
    return path


def test_an_import_job_runs_and_says_what_it_did(project: Project, tmp_path: Path) -> None:
    job = jobs.submit(project, "import", {"path": str(_export(tmp_path))}, by="MC")
    assert (job.status, job.requested_by, _records(project)) == ("queued", "MC", 0)
    ran = jobs.run_next(project, worker="w1")
    assert ran is not None and ran.id == job.id
    assert ran.status == "done", ran.message
    assert ran.result is not None and ran.result["records"] == 6 == _records(project)
    assert "imported 6 records from embase.ris" in (ran.message or "")
    assert ran.percent == 100 and ran.attempts == 1
    assert [j.id for j in jobs.list_jobs(project)] == [job.id]
    with project.db.connect() as conn:
        assert queries.list_imports(conn)[0]["created_by"] == "MC"  # who asked, not the worker
    assert jobs.run_next(project, worker="w1") is None  # nothing left


def test_a_bad_job_is_refused_when_submitted_and_leaves_no_row(
    project: Project, tmp_path: Path
) -> None:
    with pytest.raises(InputError, match="no file"):
        jobs.submit(project, "import", {"path": str(tmp_path / "missing.ris")})
    with pytest.raises(Exception, match="no kind of job 'dedupe'"):
        jobs.submit(project, "dedupe")
    assert jobs.list_jobs(project) == []


def test_an_import_that_fails_is_reported_with_the_parsers_words(
    project: Project, tmp_path: Path
) -> None:
    bad = tmp_path / "broken.ris"
    bad.write_text("Dear colleague,\nplease find the records attached.\n")
    jobs.submit(project, "import", {"path": str(bad)})
    ran = jobs.run_next(project)
    assert ran is not None and ran.status == "failed"
    assert "broken.ris:1: the format of this file is not recognised" in (ran.message or "")
    assert "--format" in (ran.message or "")  # the hint: what to do
    assert _records(project) == 0


def test_a_queued_job_cancelled_never_runs(project: Project, tmp_path: Path) -> None:
    job = jobs.submit(project, "import", {"path": str(_export(tmp_path))})
    cancelled = jobs.cancel(project, job.id, by="CJ")
    assert cancelled.status == "cancelled" and "CJ" in (cancelled.message or "")
    assert jobs.run_next(project) is None
    assert _records(project) == 0
    with pytest.raises(StateError, match="already ended"):
        jobs.cancel(project, job.id)


def _slow_kind(project: Project, started: threading.Event) -> kinds.Kind:
    """A job that writes a search row in one transaction, then works on step by step."""

    def run(
        project: Project, params: dict[str, Any], progress: Any, job: dict[str, Any]
    ) -> tuple[str, dict[str, Any]]:
        with project.db.transaction() as conn:
            queries.insert_search(conn, values={"source": "Embase", "method": "database"})
            for step in range(400):
                progress("working", step, 400)
                started.set()
                time.sleep(0.025)
        return "finished", {}

    return kinds.Kind("slow", "Slow", lambda p, params: params, run)


def test_a_running_job_cancelled_stops_and_keeps_nothing(
    project: Project, monkeypatch: pytest.MonkeyPatch
) -> None:
    started = threading.Event()
    monkeypatch.setitem(kinds.KINDS, "slow", _slow_kind(project, started))
    monkeypatch.setattr(jobs, "BEAT_S", 0.05)
    job = jobs.submit(project, "slow", by="MC")
    runner = threading.Thread(target=jobs.run_next, args=(project,), kwargs={"worker": "w1"})
    runner.start()
    assert started.wait(10)
    seen = jobs.get(project, job.id)
    assert seen.status == "running"
    jobs.cancel(project, job.id, by="MC")
    runner.join(20)
    ended = jobs.get(project, job.id)
    assert ended.status == "cancelled"
    assert "nothing it did was kept" in (ended.message or "")
    with project.db.connect() as conn:
        assert queries.table_counts(conn)["searches"] == 0  # its transaction rolled back
    assert ended.done < 400


def _claim_as_dead_worker(project: Project, *, beats_ago: float) -> dict[str, Any]:
    with project.session() as s:
        row = jq.claim(s.conn, worker="dead-host:1:1")
        assert row is not None
        s.conn.execute(
            jobs_table.update()
            .where(jobs_table.c.id == row["id"])
            .values(heartbeat_at=datetime.now(UTC) - timedelta(seconds=beats_ago))
        )
    return row


def test_a_job_whose_worker_died_runs_again_on_another(project: Project, tmp_path: Path) -> None:
    job = jobs.submit(project, "import", {"path": str(_export(tmp_path))})
    _claim_as_dead_worker(project, beats_ago=5)
    assert jobs.run_next(project, worker="w2") is None  # it is running, not yet stale
    with project.session() as s:
        s.conn.execute(
            jobs_table.update().values(
                heartbeat_at=datetime.now(UTC) - timedelta(seconds=jobs.STALE_S + 5)
            )
        )
    ran = jobs.run_next(project, worker="w2")
    assert ran is not None and ran.id == job.id
    assert (ran.status, ran.attempts, _records(project)) == ("done", 2, 6)


def test_an_import_committed_before_its_worker_died_is_not_imported_twice(
    project: Project, tmp_path: Path
) -> None:
    # The worker committed the records, then was killed before it could say "done".
    path = _export(tmp_path)
    job = jobs.submit(project, "import", {"path": str(path)})
    _claim_as_dead_worker(project, beats_ago=jobs.STALE_S + 5)
    importing.run(project, path)
    ran = jobs.run_next(project, worker="w2")
    assert ran is not None and ran.id == job.id and ran.status == "done", ran.message
    assert ran.result is not None and ran.result["resumed"] is True
    assert ran.result["records"] == 6 == _records(project)
    with project.db.connect() as conn:
        assert len(queries.list_imports(conn)) == 1


def test_a_job_whose_workers_keep_dying_is_reported_failed(
    project: Project, tmp_path: Path
) -> None:
    job = jobs.submit(project, "import", {"path": str(_export(tmp_path))})
    for _ in range(jobs.MAX_ATTEMPTS):
        _claim_as_dead_worker(project, beats_ago=jobs.STALE_S + 5)
        with project.session() as s:
            jq.recover_stale(s.conn, stale_before=datetime.now(UTC), max_attempts=jobs.MAX_ATTEMPTS)
    ended = jobs.get(project, job.id)
    assert ended.status == "failed" and ended.attempts == jobs.MAX_ATTEMPTS
    assert "stopped" in (ended.message or "") and "submit the job again" in (ended.message or "")
    assert _records(project) == 0


def test_the_in_process_worker_runs_jobs_as_they_arrive(project: Project, tmp_path: Path) -> None:
    worker = jobs.Worker(project, poll_s=0.05, every_engine=True).start()
    try:
        first = jobs.submit(project, "import", {"path": str(_export(tmp_path))}, by="MC")
        second = jobs.submit(project, "dedup", by="MC")
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and not jobs.get(project, second.id).ended:
            time.sleep(0.05)
    finally:
        worker.stop(30)
    assert jobs.get(project, first.id).status == "done"
    dedup = jobs.get(project, second.id)
    assert dedup.status == "done", dedup.message
    assert "6 new records" in (dedup.message or "")
    assert dedup.started_at is not None and jobs.get(project, first.id).finished_at is not None
    assert jobs.get(project, first.id).finished_at <= dedup.started_at  # one at a time


def test_on_postgresql_a_procrastinate_worker_runs_the_queue_in_order(
    project: Project, tmp_path: Path
) -> None:
    if not jobs.uses_queue_server(project):
        pytest.skip("SQLite projects run their jobs with the polling worker")
    from reviewflow.jobs import pgqueue

    first = jobs.submit(project, "import", {"path": str(_export(tmp_path))}, by="MC")
    second = jobs.submit(project, "dedup", by="MC")
    gone = jobs.submit(project, "report", {"formats": ["md"]}, by="MC")
    jobs.cancel(project, gone.id, by="MC")
    pgqueue.work(project, drain=True)
    one, two = jobs.get(project, first.id), jobs.get(project, second.id)
    assert (one.status, two.status) == ("done", "done"), (one.message, two.message)
    assert one.finished_at is not None and two.started_at is not None
    assert one.finished_at <= two.started_at
    assert "6 new records" in (two.message or "")
    assert jobs.get(project, gone.id).status == "cancelled"
    pgqueue.work(project, drain=True)  # delivered once: nothing runs twice
    assert jobs.get(project, first.id).attempts == 1
