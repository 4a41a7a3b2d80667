"""Jobs of a project on PostgreSQL go through Procrastinate, a job queue kept in the same
PostgreSQL database: a team that runs PostgreSQL needs no other server, and workers on
any machine that reaches the database take the jobs (``reviewflow worker``).

The project's ``jobs`` table stays the record people read (status, progress, what it
did); a Procrastinate job only carries the ``jobs`` row's id to a worker, which runs it
with :func:`reviewflow.jobs.run_job`. Every job of a project shares one Procrastinate
lock, so a project's jobs run one at a time, in order, whichever worker takes them. A
worker killed mid-job stops beating in Procrastinate's worker table; any other worker
looks for such stalled jobs when it starts and every few seconds after
(:data:`RETRY_EVERY_S`) and hands them on, and ``run_job`` takes the row over once its
own heartbeat is stale too (never while the first worker still beats).

Procrastinate's schema is applied in the project's database the first time a job is
queued there (under an advisory lock, so two servers starting together do not race).
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from sqlalchemy.engine import make_url

from ..project import Project

log = logging.getLogger("reviewflow.jobs")

TASK = "reviewflow.run_job"
#: One lock for every job of a project's database: one job at a time per project.
LOCK = "reviewflow-project"
RETRY_EVERY_S = 5.0
_SCHEMA_LOCK = 0x52460001  # pg_advisory_lock key while the schema is applied


def conninfo(project: Project) -> str:
    """The project's database as a libpq connection string (psycopg, not SQLAlchemy)."""
    url = make_url(project.db.url).set(drivername="postgresql")
    return url.render_as_string(hide_password=False)


def make_app(project: Project) -> Any:
    """A Procrastinate app on the project's database, with the one task that runs a job."""
    import procrastinate

    from . import run_job

    app = procrastinate.App(connector=procrastinate.PsycopgConnector(conninfo=conninfo(project)))

    @app.task(name=TASK, pass_context=True)
    def run(context: Any, job_id: int) -> None:
        run_job(project, job_id, worker=f"{context.worker_name}:{context.job.id}")

    return app


def ensure_schema(project: Project) -> None:
    """Apply Procrastinate's schema once per database."""
    import psycopg
    from procrastinate import schema

    with psycopg.connect(conninfo(project), autocommit=True) as conn:
        conn.execute("SELECT pg_advisory_lock(%s)", (_SCHEMA_LOCK,))
        try:
            there = conn.execute("SELECT to_regclass('procrastinate_jobs')").fetchone()
            if there is None or there[0] is None:
                conn.execute(schema.SchemaManager.get_schema())
        finally:
            conn.execute("SELECT pg_advisory_unlock(%s)", (_SCHEMA_LOCK,))


def defer(project: Project, job_id: int) -> None:
    """Hand job ``job_id`` (a queued ``jobs`` row) to the project's workers."""
    ensure_schema(project)
    app = make_app(project)
    with app.open():
        app.configure_task(TASK, lock=LOCK).defer(job_id=job_id)


async def _retry_stalled(app: Any, seconds: float) -> int:
    stalled = list(await app.job_manager.get_stalled_jobs(seconds_since_heartbeat=seconds))
    for job in stalled:
        log.warning("job delivery %s: its worker stopped; handed on", job.id)
        await app.job_manager.retry_job(job)
    return len(stalled)


def work(project: Project, *, drain: bool, name: str | None = None) -> None:
    """Run the project's queued jobs until stopped (``drain``: until none is left),
    handing on the jobs of workers that died."""
    from . import STALE_S

    ensure_schema(project)
    app = make_app(project)

    async def main() -> None:
        async with app.open_async():
            await _retry_stalled(app, STALE_S)
            options: dict[str, Any] = {
                "concurrency": 1,
                "update_heartbeat_interval": min(2.0, STALE_S / 3),
                "stalled_worker_timeout": STALE_S,
                "install_signal_handlers": True,
                "delete_jobs": "successful",
            }
            if name:
                options["name"] = name
            if drain:
                await app.run_worker_async(wait=False, **options)
                return
            worker = asyncio.create_task(app.run_worker_async(wait=True, **options))
            while not worker.done():
                await asyncio.wait([worker], timeout=RETRY_EVERY_S)
                if not worker.done():
                    await _retry_stalled(app, STALE_S)
            worker.result()

    asyncio.run(main())
