"""A ``reviewflow worker`` killed (-9) in the middle of an import: nothing half-imported,
and the job, taken up by the next worker, ends as an uninterrupted run would."""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from reviewflow import jobs
from reviewflow.project import Project
from reviewflow.store import queries


def _big_export(path: Path, n: int) -> Path:
    with path.open("w", encoding="utf-8") as out:
        for i in range(n):
            out.write(
                f"TY  - JOUR\nTI  - Link workers and wellbeing, report {i}\nAU  - Doe, J.\n"
                f"PY  - {2000 + i % 24}\nAB  - Social prescribing evaluation number {i}.\nER  - \n"
            )
    return path


def test_a_killed_worker_loses_nothing_and_the_job_finishes_elsewhere(
    project: Project, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    export = _big_export(tmp_path / "big.ris", 20_000)
    job = jobs.submit(project, "import", {"path": str(export)}, by="MC")
    env = {**os.environ, "REVIEWFLOW_JOB_STALE_S": "1"}
    worker = subprocess.Popen(
        [sys.executable, "-m", "reviewflow", "worker", "--poll", "0.05"],
        cwd=project.root, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
    )  # fmt: skip
    try:
        deadline = time.monotonic() + 60
        while jobs.get(project, job.id).status == "queued" and time.monotonic() < deadline:
            assert worker.poll() is None, worker.stderr.read() if worker.stderr else ""
            time.sleep(0.02)
        time.sleep(random.random() * 0.5)  # parsing, or storing
        os.kill(worker.pid, signal.SIGKILL)
        worker.wait(10)
    finally:
        if worker.poll() is None:
            worker.kill()
    seen = jobs.get(project, job.id)
    if seen.status == "done":
        pytest.skip("the import finished before the kill")  # a machine faster than planned
    assert seen.status == "running"  # the dead worker's row, until someone notices
    with project.db.connect() as conn:
        assert queries.table_counts(conn)["records"] in (0, 20_000)  # never half of it
    monkeypatch.setattr(jobs, "STALE_S", 1.0)
    time.sleep(1.5)
    if jobs.uses_queue_server(project):  # PostgreSQL: the next Procrastinate worker
        from reviewflow.jobs import pgqueue

        pgqueue.work(project, drain=True, name="second")
        ran = jobs.get(project, job.id)
    else:
        ran = jobs.run_next(project, worker="second")
    assert ran is not None and ran.id == job.id
    assert ran.status == "done", ran.message
    assert ran.attempts == 2
    with project.db.connect() as conn:
        assert queries.table_counts(conn)["records"] == 20_000
        assert len(queries.list_imports(conn)) == 1
