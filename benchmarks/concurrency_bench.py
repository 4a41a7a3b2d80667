"""Concurrent writers: 8 processes recording decisions into one 50,000-record project.

Builds a throw-away project of ``--records`` synthetic records (one bulk insert) whose
title/abstract plan makes each of ``--writers`` reviewers a main reviewer, then starts one
process per reviewer, twice. Each records decisions one at a time with
``screening.decide`` (a whole write transaction: take the write lock, check the item, the
plan and the stage, append the event, commit) on its own stretch of the project:

* paced: decisions arrive at random (Poisson) at ``--rate`` per second per writer (5: 40 a
  second from the team, far more than eight people screening make), timed from when each
  arrived, so waiting behind another writer counts. This is the latency of one decision;
* flat out: each writer records ``--decisions`` back to back, so every decision queues
  behind up to 7 others: the throughput of the write lock, and its latency when saturated
  (a writer that just committed often takes the lock again at once, so p50 is low and
  p95 long).

Afterwards the stored events are compared with what each writer was told was recorded: a
missing one is "lost", an extra one "duplicated"; "errors" counts calls that raised (none
should: a writer that finds the lock taken waits for it).

Runs on SQLite, and on PostgreSQL when ``--pg-url`` or REVIEWFLOW_TEST_PG_URL names a
server (a throw-away database is created there and dropped after). Goal (issue 14): p95
of one recorded decision <= 20 ms, 0 lost, 0 duplicated. There is no outside peer to run
beside it; the goal is printed beside each figure instead. Latencies depend on the
machine's cores and load (the table prints both).

``--json OUT`` writes ``{"sqlite": {...}, "postgresql": {...}}``: ``p95_ms``, ``p50_ms``,
``per_second`` and ``decisions`` of the paced run, ``lost``/``duplicated``/``errors``
over both runs, and the flat-out run's figures under ``saturated``.

Usage: python benchmarks/concurrency_bench.py [--records 50000] [--writers 8]
           [--rate 5] [--decisions 400] [--seconds 40] [--pg-url URL] [--json OUT]
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import random
import statistics
import tempfile
import time
import uuid
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import create_engine, select, text

from _bulk import bulk_project
from reviewflow.project import Project
from reviewflow.records import Record
from reviewflow.stages import screening
from reviewflow.store import resolve_url
from reviewflow.store.schema import screening_decisions

TEAM = ("MC", "CJ", "DF", "JS", "LA", "KA", "AB", "EF", "GH", "IJ", "KL", "MN")
GOAL_P95_MS = 20.0


def build(root: Path, url: str, *, records: int, writers: int) -> list[int]:
    """A project of ``records`` records; every writer screens every item (any_include)."""
    team = list(TEAM[:writers])
    items = (
        Record(title=f"Study {i}", abstract=f"Abstract {i}", authors=[f"A{i}"],
               year=2000 + i % 22, raw=f"TI  - Study {i}")
        for i in range(records)
    )  # fmt: skip
    return bulk_project(
        root,
        title="concurrency bench",
        team=team,
        screening={"reasons": ["not UK-based"], "ta": {"reviewers": team, "rule": "any_include"}},
        items=items,
        records=records,
        database_url=url,
    )


def writer(
    root: str,
    reviewer: str,
    items: list[int],
    rate: float,
    seconds: float,
    barrier: Any,
    out: Any,
) -> None:
    """Record one decision at a time on ``items`` (in order) until done or out of time.

    ``rate`` 0: flat out, the next decision as soon as the last one returned. ``rate`` > 0:
    decisions arrive at random (Poisson) at that many per second, and a decision's time
    counts from when it arrived, so waiting behind the previous one is counted too.
    """  # fmt: skip
    project = Project.open(root)
    latencies: list[float] = []
    recorded: list[tuple[int, str]] = []
    errors: list[str] = []
    rng = random.Random(reviewer)
    try:
        barrier.wait(timeout=120)
        now = time.perf_counter()
        until, due = now + seconds, now
        for n, item in enumerate(items):
            if rate:
                due += rng.expovariate(rate)
                time.sleep(max(0.0, due - time.perf_counter()))
            else:
                due = time.perf_counter()
            if due >= until:
                break
            decision = "include" if (item + n) % 4 == 0 else "exclude"
            try:
                screening.decide(project, stage="ta", item_id=item, reviewer=reviewer,
                                 decision=decision)  # fmt: skip
            except Exception as exc:  # counted, and the first few shown
                errors.append(f"{type(exc).__name__}: {exc}")
                continue
            latencies.append(time.perf_counter() - due)
            recorded.append((item, decision))
    finally:
        project.close()
        out.put((reviewer, latencies, recorded, errors))


def percentile(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def _stored(root: Path, after: int) -> tuple[Counter[tuple[str, int, str]], int]:
    """The decision events with an id above ``after``, and the largest id."""
    project = Project.open(root)
    with project.db.connect() as conn:
        cols = screening_decisions.c
        rows = conn.execute(
            select(cols.id, cols.reviewer, cols.item_id, cols.decision).where(cols.id > after)
        ).all()
    project.close()
    return Counter((r, i, d) for _id, r, i, d in rows), max((r[0] for r in rows), default=after)


def run_writers(
    root: Path, plans: dict[str, list[int]], *, rate: float, seconds: float, after: int
) -> tuple[dict[str, Any], int]:
    """One run of the writers; its figures and the largest decision id after it."""
    methods = multiprocessing.get_all_start_methods()
    ctx = multiprocessing.get_context("fork" if "fork" in methods else "spawn")
    barrier, out = ctx.Barrier(len(plans) + 1), ctx.Queue()
    procs = [
        ctx.Process(target=writer, args=(str(root), r, items, rate, seconds, barrier, out))
        for r, items in plans.items()
    ]
    for p in procs:
        p.start()
    barrier.wait(timeout=120)
    start = time.perf_counter()
    results = [out.get(timeout=seconds + 120) for _ in procs]
    wall = time.perf_counter() - start
    for p in procs:
        p.join(timeout=30)
    stored, top = _stored(root, after)
    told = Counter((r, i, d) for r, _lat, rec, _err in results for i, d in rec)
    latencies = [x for _r, lat, _rec, _err in results for x in lat]
    errors = [e for *_rest, err in results for e in err]
    return {
        "writers": len(plans),
        "rate_per_writer": rate or None,
        "decisions": len(latencies),
        "per_second": len(latencies) / wall if wall else 0.0,
        "p50_ms": 1000 * statistics.median(latencies) if latencies else float("nan"),
        "p95_ms": 1000 * percentile(latencies, 0.95),
        "max_ms": 1000 * max(latencies, default=float("nan")),
        "lost": sum((told - stored).values()),
        "duplicated": sum((stored - told).values()),
        "errors": len(errors),
        "first_errors": errors[:3],
        "wall_s": wall,
    }, top


def run_engine(
    url: str, *, records: int, writers: int, decisions: int, seconds: float, rate: float
) -> dict[str, Any]:
    """Build the project, then a flat-out run and a paced run on separate items."""
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp) / "project"
        t0 = time.perf_counter()
        ids = build(root, url, records=records, writers=writers)
        built = time.perf_counter() - t0
        team = TEAM[:writers]
        # Writer w works through its own stretch of the project (different items, so a
        # vote is never a repeat), the first half of it flat out, the second paced.
        step = len(ids) // writers
        half = step // 2
        flat = {r: ids[w * step : w * step + min(decisions, half)] for w, r in enumerate(team)}
        paced = {r: ids[w * step + half : (w + 1) * step] for w, r in enumerate(team)}
        saturated, top = run_writers(root, flat, rate=0.0, seconds=seconds, after=0)
        steady, _ = run_writers(root, paced, rate=rate, seconds=seconds / 2, after=top)
    return {
        # the latency of one decision while 8 writers record at a steady rate ...
        **steady,
        # ... and lost / duplicated over both runs
        "lost": steady["lost"] + saturated["lost"],
        "duplicated": steady["duplicated"] + saturated["duplicated"],
        "errors": steady["errors"] + saturated["errors"],
        "records": len(ids),
        "build_s": built,
        "saturated": saturated,
    }


@contextmanager
def pg_database(server_url: str) -> Iterator[str]:
    """A throw-away database on the server (as tests/conftest.py makes them)."""
    admin_url = resolve_url(server_url)
    name = f"rf_bench_{uuid.uuid4().hex[:12]}"
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    base, _, _ = admin_url.rpartition("/")
    try:
        yield f"{base}/{name}"
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--records", type=int, default=50_000)
    parser.add_argument("--writers", type=int, default=8)
    parser.add_argument("--decisions", type=int, default=400, help="per writer, flat out")
    parser.add_argument("--rate", type=float, default=5.0,
                        help="decisions per second per writer in the paced run")  # fmt: skip
    parser.add_argument("--seconds", type=float, default=40.0,
                        help="flat-out run's time limit (the paced run: half)")  # fmt: skip
    parser.add_argument("--pg-url", default=os.environ.get("REVIEWFLOW_TEST_PG_URL"))
    parser.add_argument("--json", type=Path, help="write the figures of each engine here")
    args = parser.parse_args()
    if not 1 <= args.writers <= len(TEAM):
        parser.error(f"--writers must be 1 to {len(TEAM)}")
    if args.rate <= 0:
        parser.error("--rate must be above 0 (the flat-out run is always made)")
    kwargs = {"records": args.records, "writers": args.writers, "decisions": args.decisions,
              "seconds": args.seconds, "rate": args.rate}  # fmt: skip
    rows: dict[str, dict[str, Any]] = {"sqlite": run_engine("sqlite:///review.db", **kwargs)}
    if args.pg_url:
        with pg_database(args.pg_url) as url:
            rows["postgresql"] = run_engine(url, **kwargs)
    else:
        print("(no PostgreSQL server: set REVIEWFLOW_TEST_PG_URL or pass --pg-url)\n")
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    print(f"{args.records:,} records, {args.writers} writer processes, one decision per "
          f"transaction; {os.cpu_count()} CPUs, load average {load:.1f} at the end\n")  # fmt: skip
    head = ("engine", "writers", "decisions", "per s", "p50 ms", "p95 ms", "goal p95",
            "lost", "dup", "errors")  # fmt: skip
    print(("{:<11}{:<18}" + "{:>9}" * (len(head) - 2)).format(*head))
    for engine, r in rows.items():
        for label, run in (
            (f"{r['writers']} at {args.rate:g}/s each", r),
            (f"{r['writers']} flat out", r["saturated"]),
        ):
            print(
                f"{engine:<11}{label:<18}{run['decisions']:>9,}{run['per_second']:>9.0f}"
                f"{run['p50_ms']:>9.1f}{run['p95_ms']:>9.1f}{'<= ' + str(int(GOAL_P95_MS)):>9}"
                f"{run['lost']:>9}{run['duplicated']:>9}{run['errors']:>9}"
            )
            for e in run["first_errors"]:
                print(f"  {engine} error: {e}")
    if args.json:
        args.json.write_text(json.dumps(rows, indent=2), encoding="utf-8")


if __name__ == "__main__":
    main()
