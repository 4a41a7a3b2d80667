"""The jobs table: submit, claim, beat, finish, cancel (see ``schema.jobs``).

Every function runs on the caller's connection; claiming must run in a write unit (the
project's write lock), so two workers never take the same job, nor two jobs of one
project at once.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Connection, insert, select, update

from . import actor_or
from .queries import now
from .schema import jobs

QUEUED, RUNNING, DONE, FAILED, CANCELLED = "queued", "running", "done", "failed", "cancelled"
ENDED = frozenset({DONE, FAILED, CANCELLED})


def insert_job(
    conn: Connection, *, kind: str, params: dict[str, Any], requested_by: str | None
) -> int:
    row = {
        "kind": kind,
        "params": params,
        "status": QUEUED,
        "created_by": actor_or(requested_by),
        "created_at": now(),
    }
    return int(conn.execute(insert(jobs).values(**row).returning(jobs.c.id)).scalar_one())


def get_job(conn: Connection, job_id: int) -> dict[str, Any] | None:
    row = conn.execute(select(jobs).where(jobs.c.id == job_id)).mappings().first()
    return dict(row) if row else None


def list_jobs(conn: Connection, *, limit: int = 50) -> list[dict[str, Any]]:
    """The newest ``limit`` jobs, newest first."""
    rows = conn.execute(select(jobs).order_by(jobs.c.id.desc()).limit(limit)).mappings()
    return [dict(r) for r in rows]


def has_work(conn: Connection, *, stale_before: datetime) -> bool:
    """Whether a worker has anything to do: a queued job, or a running one gone stale
    (read first, so an idle worker does not take the write lock at every look)."""
    queued = jobs.c.status == QUEUED
    stale = (jobs.c.status == RUNNING) & (jobs.c.heartbeat_at < stale_before)
    return conn.execute(select(jobs.c.id).where(queued | stale).limit(1)).first() is not None


def recover_stale(conn: Connection, *, stale_before: datetime, max_attempts: int) -> list[int]:
    """Running jobs whose worker stopped beating before ``stale_before`` (killed, or its
    machine gone): back to the queue, or failed once they used ``max_attempts``; their ids."""
    stale = conn.execute(
        select(jobs.c.id, jobs.c.attempts, jobs.c.worker).where(
            jobs.c.status == RUNNING, jobs.c.heartbeat_at < stale_before
        )
    ).all()
    for job_id, attempts, worker in stale:
        if attempts >= max_attempts:
            values: dict[str, Any] = {
                "status": FAILED,
                "finished_at": now(),
                "message": f"the worker running it stopped ({worker}) on each of its "
                f"{attempts} attempts; nothing it did was kept. Check the worker's log, "
                "then submit the job again.",
            }
        else:
            values = {"status": QUEUED, "worker": None, "heartbeat_at": None}
        conn.execute(update(jobs).where(jobs.c.id == job_id).values(**values))
    return [int(r[0]) for r in stale]


def claim(conn: Connection, *, worker: str) -> dict[str, Any] | None:
    """Take the oldest queued job for ``worker``, unless a job of this project is running
    (one at a time); queued jobs someone cancelled are ended on the way."""
    if conn.execute(select(jobs.c.id).where(jobs.c.status == RUNNING).limit(1)).first():
        return None
    while True:
        row = (
            conn.execute(select(jobs).where(jobs.c.status == QUEUED).order_by(jobs.c.id).limit(1))
            .mappings()
            .first()
        )
        if row is None:
            return None
        if row["cancel_requested_at"] is not None:
            _end(conn, row["id"], CANCELLED, "cancelled before it started")
            continue
        stamp = now()
        values = {
            "status": RUNNING,
            "worker": worker,
            "started_at": stamp,
            "heartbeat_at": stamp,
            "attempts": row["attempts"] + 1,
        }
        conn.execute(update(jobs).where(jobs.c.id == row["id"]).values(**values))
        return {**dict(row), **values}


#: What :func:`claim_job` says when the job is running on a worker that still beats.
BUSY = "busy"


def claim_job(
    conn: Connection, job_id: int, *, worker: str, stale_before: datetime, max_attempts: int
) -> dict[str, Any] | str | None:
    """Take job ``job_id`` for ``worker`` (a queue delivered it): the row when this worker
    may run it; :data:`BUSY` while another worker still runs it; None when there is
    nothing to run (ended, cancelled, or given up after ``max_attempts``)."""
    row = get_job(conn, job_id)
    if row is None or row["status"] in ENDED:
        return None
    if row["status"] == RUNNING:
        beat_at = row["heartbeat_at"]
        if beat_at is not None and aware(beat_at) >= stale_before:
            return BUSY
        recover_stale(conn, stale_before=stale_before, max_attempts=max_attempts)
        row = get_job(conn, job_id)
        if row is None or row["status"] != QUEUED:
            return None
    if row["cancel_requested_at"] is not None:
        _end(conn, job_id, CANCELLED, "cancelled before it started")
        return None
    stamp = now()
    values = {
        "status": RUNNING,
        "worker": worker,
        "started_at": stamp,
        "heartbeat_at": stamp,
        "attempts": row["attempts"] + 1,
    }
    conn.execute(update(jobs).where(jobs.c.id == job_id).values(**values))
    return {**row, **values}


def aware(t: datetime) -> datetime:
    """A stored time as UTC-aware (SQLite hands back naive times)."""
    return t if t.tzinfo is not None else t.replace(tzinfo=UTC)


def beat(
    conn: Connection, job_id: int, *, worker: str, phase: str | None, done: int, total: int
) -> dict[str, Any] | None:
    """Renew the running job's heartbeat and progress; None when the job is no longer
    this worker's (it was given up as stale), else {"cancel": whether someone asked}."""
    result = conn.execute(
        update(jobs)
        .where(jobs.c.id == job_id, jobs.c.worker == worker, jobs.c.status == RUNNING)
        .values(heartbeat_at=now(), phase=phase, done=done, total=total)
        .returning(jobs.c.cancel_requested_at)
    ).first()
    return None if result is None else {"cancel": result[0] is not None}


def finish(
    conn: Connection,
    job_id: int,
    *,
    worker: str,
    status: str,
    message: str,
    result: dict[str, Any] | None = None,
) -> bool:
    """End the job this worker runs; False when it is no longer this worker's."""
    done = conn.execute(
        update(jobs)
        .where(jobs.c.id == job_id, jobs.c.worker == worker, jobs.c.status == RUNNING)
        .values(status=status, message=message, result=result, finished_at=now())
    )
    return bool(done.rowcount)


def request_cancel(conn: Connection, job_id: int, *, by: str | None) -> dict[str, Any] | None:
    """Ask a job to stop: a queued one ends at once, a running one at its next step."""
    row = get_job(conn, job_id)
    if row is None or row["status"] in ENDED:
        return row
    conn.execute(
        update(jobs)
        .where(jobs.c.id == job_id)
        .values(cancel_requested_at=now(), cancel_requested_by=by)
    )
    if row["status"] == QUEUED:
        _end(conn, job_id, CANCELLED, f"cancelled by {by or 'someone'} before it started")
    return get_job(conn, job_id)


def fail_queued(conn: Connection, job_id: int, message: str) -> None:
    """End a job that never reached a worker."""
    _end(conn, job_id, FAILED, message)


def _end(conn: Connection, job_id: int, status: str, message: str) -> None:
    conn.execute(
        update(jobs)
        .where(jobs.c.id == job_id)
        .values(status=status, message=message, finished_at=now())
    )
