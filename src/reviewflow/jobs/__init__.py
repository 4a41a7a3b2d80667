"""Heavy work as jobs: submitted by a person, run by a worker, watched and cancelled.

Import, dedup, the ranker's features and the report can take minutes on a large project;
as jobs they run outside the request or the command that asked for them. A job's row in
the project's own database (``store.schema.jobs``) is its one record: status, progress,
what it did or what went wrong. Any worker that can open the project runs its jobs, one
at a time per project (claiming takes the project's write lock): ``reviewflow worker``
in its own process (or on another machine against the same PostgreSQL database), or a
thread inside ``reviewflow serve`` (:class:`Worker`).

While a job runs, a beat thread renews its heartbeat every :data:`BEAT_S` seconds with
its progress, and reads whether someone asked it to stop; the job's next progress step
then raises :class:`JobCancelled`, and the stage function it was in rolls back. A job
whose worker stopped beating for :data:`STALE_S` (killed, machine gone) goes back to the
queue, at most :data:`MAX_ATTEMPTS` times, then is reported failed. What each kind does,
and why running it again gives the same result, is in :mod:`.kinds`.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from typing import Any

from ..errors import NotFoundError, ReviewflowError, StateError
from ..project import Project
from ..store import acting_as, safe_url
from ..store import job_queries as jq
from .kinds import KINDS

log = logging.getLogger("reviewflow.jobs")

BEAT_S = 2.0
#: Seconds without a heartbeat after which a running job's worker is taken for dead
#: (REVIEWFLOW_JOB_STALE_S overrides it: tests, or a cluster with slow clocks).
STALE_S = float(os.environ.get("REVIEWFLOW_JOB_STALE_S") or 30.0)
MAX_ATTEMPTS = 3
POLL_S = 1.0


class JobCancelled(ReviewflowError):
    """Raised inside a job at the step after someone asked it to stop."""


class JobLost(ReviewflowError):
    """Raised inside a job whose row another worker took over (this one was stale)."""


@dataclass(frozen=True)
class Job:
    id: int
    kind: str
    params: dict[str, Any]
    status: str
    phase: str | None
    done: int
    total: int
    message: str | None
    result: dict[str, Any] | None
    requested_by: str | None
    created_at: datetime
    started_at: datetime | None
    finished_at: datetime | None
    attempts: int
    cancel_requested: bool

    @classmethod
    def from_row(cls, row: dict[str, Any]) -> Job:
        return cls(
            id=int(row["id"]), kind=row["kind"], params=dict(row["params"] or {}),
            status=row["status"], phase=row["phase"], done=int(row["done"] or 0),
            total=int(row["total"] or 0), message=row["message"], result=row["result"],
            requested_by=row["created_by"], created_at=row["created_at"],
            started_at=row["started_at"], finished_at=row["finished_at"],
            attempts=int(row["attempts"] or 0),
            cancel_requested=row["cancel_requested_at"] is not None,
        )  # fmt: skip

    @property
    def ended(self) -> bool:
        return self.status in jq.ENDED

    @property
    def title(self) -> str:
        kind = KINDS.get(self.kind)
        return kind.title if kind else self.kind

    @property
    def percent(self) -> int | None:
        """How far it is (0-100), when its current phase knows its total."""
        if self.status == jq.DONE:
            return 100
        return None if self.total <= 0 else min(100, round(100 * self.done / self.total))

    def to_dict(self) -> dict[str, Any]:
        out = dict(self.__dict__)
        for key in ("created_at", "started_at", "finished_at"):
            out[key] = out[key].isoformat() if out[key] is not None else None
        out["percent"] = self.percent
        out["title"] = self.title
        return out


def submit(
    project: Project, kind: str, params: dict[str, Any] | None = None, *, by: str | None = None
) -> Job:
    """Queue a job of ``kind`` (its parameters checked now); a worker runs it."""
    spec = KINDS.get(kind)
    if spec is None:
        raise NotFoundError(
            f"there is no kind of job {kind!r}", hint=f"Choose from: {', '.join(KINDS)}"
        )
    checked = spec.check(project, dict(params or {}))
    with project.session(actor=by) as s:
        job_id = jq.insert_job(s.conn, kind=kind, params=checked, requested_by=by)
        row = jq.get_job(s.conn, job_id)
    assert row is not None
    if uses_queue_server(project):
        from . import pgqueue

        try:
            pgqueue.defer(project, job_id)
        except Exception as exc:  # the job cannot reach a worker: say so on its row
            with project.session() as s:
                jq.fail_queued(s.conn, job_id, f"it could not be queued for a worker: {exc}")
            raise StateError(
                f"job {job_id} could not be queued on {safe_url(project.db.url)}: {exc}",
                hint="Check that the database server is reachable, then add the job again.",
            ) from exc
    return Job.from_row(row)


def uses_queue_server(project: Project) -> bool:
    """Whether the project's jobs go through Procrastinate (PostgreSQL) rather than the
    polling worker of a single machine (SQLite)."""
    return not project.db.is_sqlite


def list_jobs(project: Project, *, limit: int = 50) -> list[Job]:
    """The newest jobs first."""
    with project.db.connect() as conn:
        return [Job.from_row(r) for r in jq.list_jobs(conn, limit=limit)]


def get(project: Project, job_id: int) -> Job:
    with project.db.connect() as conn:
        row = jq.get_job(conn, job_id)
    if row is None:
        raise NotFoundError(f"there is no job {job_id}", hint="List the jobs: reviewflow jobs")
    return Job.from_row(row)


def cancel(project: Project, job_id: int, *, by: str | None = None) -> Job:
    """Stop a job: a queued one at once, a running one at its next step (what it did so
    far rolls back). An ended job is refused with what it ended as."""
    here = _HERE.get((project.db.url, job_id))
    if here is not None:  # running in this process: its transaction may hold the write
        here.cancel, here.cancel_by = True, by  # lock (SQLite): tell it directly
        return replace(get(project, job_id), cancel_requested=True)
    with project.session(actor=by) as s:
        row = jq.get_job(s.conn, job_id)
        if row is None:
            raise NotFoundError(f"there is no job {job_id}", hint="List the jobs: reviewflow jobs")
        if row["status"] in jq.ENDED:
            raise StateError(
                f"job {job_id} has already ended ({row['status']})",
                hint="Only a queued or running job can be cancelled.",
            )
        row = jq.request_cancel(s.conn, job_id, by=by)
    assert row is not None
    return Job.from_row(row)


def worker_name() -> str:
    return f"{socket.gethostname()}:{os.getpid()}:{threading.get_ident()}"


def run_next(project: Project, *, worker: str | None = None) -> Job | None:
    """Claim the oldest queued job of ``project`` and run it here; the job as it ended,
    or None when nothing is queued (or another job of the project is running)."""
    name = worker or worker_name()
    stale_before = datetime.now(UTC) - timedelta(seconds=STALE_S)
    with project.db.connect() as conn:
        if not jq.has_work(conn, stale_before=stale_before):
            return None
    with project.session() as s:
        for job_id in jq.recover_stale(
            s.conn, stale_before=stale_before, max_attempts=MAX_ATTEMPTS
        ):
            log.warning("job %s: its worker stopped beating; queued again or failed", job_id)
        row = jq.claim(s.conn, worker=name)
    if row is None:
        return None
    _run_claimed(project, row, name)
    return get(project, int(row["id"]))


def run_job(project: Project, job_id: int, *, worker: str | None = None) -> Job | None:
    """Run job ``job_id`` here, as a queue delivered it (:mod:`.pgqueue`); None when there
    was nothing to run. While the worker that had it still beats, wait: a queue may hand
    a job on before its first worker is known to be dead, and it must never run twice."""
    name = worker or worker_name()
    deadline = time.monotonic() + 2 * STALE_S + 10
    while True:
        stale_before = datetime.now(UTC) - timedelta(seconds=STALE_S)
        with project.session() as s:
            got = jq.claim_job(
                s.conn, job_id, worker=name, stale_before=stale_before, max_attempts=MAX_ATTEMPTS
            )
        if got != jq.BUSY:
            break
        if time.monotonic() > deadline:
            raise StateError(
                f"job {job_id} is still running on another worker",
                hint="It is not run twice; this delivery ends here.",
            )
        time.sleep(BEAT_S)
    if got is None:
        return None
    assert isinstance(got, dict)
    _run_claimed(project, got, name)
    return get(project, job_id)


def run_until_idle(project: Project, *, worker: str | None = None) -> list[Job]:
    """Run queued jobs one after another until none is left (``reviewflow worker --drain``)."""
    ran = []
    while (job := run_next(project, worker=worker)) is not None:
        ran.append(job)
    return ran


#: The jobs running in this process, by (database URL, job id).
_HERE: dict[tuple[str, int], _Beat] = {}


class _Beat:
    """The running job's heartbeat and progress, written by a thread of its own."""

    def __init__(self, project: Project, job_id: int, worker: str) -> None:
        self.project, self.job_id, self.worker = project, job_id, worker
        self.phase: str | None = None
        self.done = self.total = 0
        self.cancel = self.lost = False
        self.cancel_by: str | None = None
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, name=f"job {job_id} beat", daemon=True)

    def __enter__(self) -> _Beat:
        _HERE[(self.project.db.url, self.job_id)] = self
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()
        _HERE.pop((self.project.db.url, self.job_id), None)

    def progress(self, phase: str, done: int, total: int) -> None:
        """The job's progress callback: remember, and stop here if asked to."""
        self.phase, self.done, self.total = phase, done, total
        if self.lost:
            raise JobLost(f"job {self.job_id} was taken over by another worker")
        if self.cancel:
            raise JobCancelled(f"job {self.job_id} was cancelled")

    def _loop(self) -> None:
        while not self._stop.wait(BEAT_S):
            self.beat()

    def beat(self) -> None:
        try:
            with self.project.db.unit_of_work(write=True) as conn:
                got = jq.beat(
                    conn, self.job_id, worker=self.worker,
                    phase=self.phase, done=self.done, total=self.total,
                )  # fmt: skip
        except ReviewflowError:  # the write lock is busy (the job's own commit): next beat
            return
        if got is None:
            self.lost = True
        elif got["cancel"]:
            self.cancel = True


def _run_claimed(project: Project, row: dict[str, Any], worker: str) -> None:
    job_id = int(row["id"])
    spec = KINDS[row["kind"]]
    status, message, result = jq.FAILED, "", None
    with _Beat(project, job_id, worker) as beat:
        t0 = time.monotonic()
        try:
            with acting_as(row["created_by"]):
                beat.progress("starting", 0, 0)
                message, result = spec.run(project, dict(row["params"]), beat.progress, row)
            status = jq.DONE
        except JobCancelled:
            who = f" by {beat.cancel_by}" if beat.cancel_by else ""
            status, message = jq.CANCELLED, f"cancelled{who}; nothing it did was kept"
        except JobLost:
            log.warning("job %s: another worker took it over; this run stops", job_id)
            return
        except ReviewflowError as exc:
            message = str(exc)  # what went wrong, then what to do (one line each)
        except Exception:  # a bug: the job is reported failed, the worker goes on
            log.exception("job %s (%s) failed", job_id, row["kind"])
            message = "it stopped on an unexpected error (logged by the worker); nothing it "
            message += "did was kept. Report it with the worker's log."
        log.info("job %s (%s) %s in %.1f s", job_id, row["kind"], status, time.monotonic() - t0)
    with project.session() as s:
        jq.finish(s.conn, job_id, worker=worker, status=status, message=message, result=result)


class Worker:
    """A thread that runs jobs as they arrive, of one project or of every project a
    server hosts (``projects`` is then called at each round): SQLite projects inside the
    server, as ``reviewflow worker`` would. Projects on PostgreSQL are left to their
    Procrastinate workers (``reviewflow worker``) unless ``every_engine``."""

    def __init__(
        self,
        projects: Project | Callable[[], Iterable[Project]],
        *,
        poll_s: float = POLL_S,
        every_engine: bool = False,
    ) -> None:
        if isinstance(projects, Project):
            one = projects
            self._projects: Callable[[], Iterable[Project]] = lambda: [one]
        else:
            self._projects = projects
        self.poll_s, self.every_engine = poll_s, every_engine
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, name="reviewflow jobs", daemon=True)

    def start(self) -> Worker:
        self._thread.start()
        return self

    def stop(self, timeout: float | None = None) -> None:
        self._stop.set()
        self._thread.join(timeout)

    def _loop(self) -> None:
        name = worker_name()
        while not self._stop.is_set():
            ran = False
            try:
                projects = list(self._projects())
            except ReviewflowError as exc:
                log.warning("jobs: %s", exc)
                projects = []
            for project in projects:
                if self._stop.is_set():
                    return
                if uses_queue_server(project) and not self.every_engine:
                    continue
                try:
                    ran = run_next(project, worker=name) is not None or ran
                except ReviewflowError as exc:  # the database is away for a moment
                    log.warning("jobs of %s: %s", project.root, exc)
            if not ran:
                self._stop.wait(self.poll_s)


__all__ = [
    "KINDS",
    "Job",
    "JobCancelled",
    "Worker",
    "cancel",
    "get",
    "list_jobs",
    "run_next",
    "run_until_idle",
    "submit",
]
