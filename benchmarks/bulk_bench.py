"""Bulk writes: a sheet of 60,000 screening decisions imported, SQLite beside PostgreSQL.

A project of ``--records`` synthetic records (one bulk insert, see ``_bulk.py``) with a
two-reviewer title/abstract plan that double-screens everything; both reviewers' votes go
into ONE sheet (``reviewflow screen import``'s CSV) of 2 x records rows, the way a team
that screened offline hands its decisions over, imported in one call. The time covers
the whole import (read and check the sheet, derive the stage's state, append the events,
commit). Goal: PostgreSQL within 3 s for 60,000 decisions (issue 17), printed beside
SQLite and beside PostgreSQL through the pipelined executemany the store used before COPY
(``postgresql_executemany``, a third key in ``--json``).

Example:
    python benchmarks/bulk_bench.py --pg-url postgresql://postgres@127.0.0.1:5432/postgres
"""

from __future__ import annotations

import argparse
import json
import os
import tempfile
import time
import uuid
from pathlib import Path

import sqlalchemy as sa

from _bulk import bulk_project
from reviewflow.project import Project
from reviewflow.records import Record
from reviewflow.stages import screening
from reviewflow.store import screening_queries as sq

COPY_FROM = sq._COPY_FROM

GOAL_S = 3.0
PLAN = {
    "reasons": ["not social prescribing"],
    "ta": {
        "reviewers": ["AA"],
        "second_reviewers": ["BB"],
        "double_share": 1.0,
        "rule": "any_include",
    },
}


def fresh_pg_database(server: str) -> tuple[str, sa.Engine, str]:
    """A new empty database on ``server``: (its URL, the admin engine, its name)."""
    name = f"rf_bulk_{uuid.uuid4().hex[:10]}"
    admin = sa.create_engine(server, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(sa.text(f"CREATE DATABASE {name}"))
    return server.rsplit("/", 1)[0] + "/" + name, admin, name


def run(database_url: str, records: int, tmp: Path) -> dict[str, float | int]:
    root = tmp / uuid.uuid4().hex[:8]
    ids = bulk_project(
        root, title="bulk bench", team=["AA", "BB"], screening=PLAN, records=records,
        items=(Record(title=f"Title {i}", abstract="Abstract.", authors=["Doe, J."],
                      year=2000 + i % 25, raw=f"TI  - Title {i}") for i in range(records)),
        database_url=database_url,
    )  # fmt: skip
    sheet = root / "decisions.csv"
    with sheet.open("w", encoding="utf-8") as out:
        out.write("stage,item_id,reviewer,decision,reason\n")
        for reviewer in ("AA", "BB"):
            for i in ids:
                if i % 7:
                    out.write(f"ta,{i},{reviewer},exclude,not social prescribing\n")
                else:
                    out.write(f"ta,{i},{reviewer},include,\n")
    project = Project.open(root)
    try:
        t0 = time.perf_counter()
        with project.session(actor="AA"):
            result = screening.import_sheet(project, sheet)
        seconds = time.perf_counter() - t0
    finally:
        project.close()
    return {"decisions": result.recorded, "seconds": seconds}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--records", type=int, default=30_000, help="two decisions each")
    parser.add_argument("--repeats", type=int, default=3, help="best of")
    parser.add_argument("--pg-url", default=os.environ.get("REVIEWFLOW_TEST_PG_URL"))
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()
    out: dict[str, dict[str, float | int]] = {}
    with tempfile.TemporaryDirectory() as tmp:
        engines = [("sqlite", "sqlite:///review.db")]
        if args.pg_url:
            engines += [("postgresql", args.pg_url), ("postgresql_executemany", args.pg_url)]
        for engine, url in engines:
            # the path before COPY, measured in the same run for comparison
            sq._COPY_FROM = 10**12 if engine.endswith("executemany") else COPY_FROM
            best: dict[str, float | int] | None = None
            for _ in range(args.repeats):
                drop = None
                if engine.startswith("postgresql"):
                    url_db, admin, name = fresh_pg_database(url)
                    drop = (admin, name)
                else:
                    url_db = url
                try:
                    got = run(url_db, args.records, Path(tmp))
                finally:
                    if drop is not None:
                        with drop[0].connect() as conn:
                            conn.execute(sa.text(f"DROP DATABASE {drop[1]} WITH (FORCE)"))
                if best is None or got["seconds"] < best["seconds"]:
                    best = got
            assert best is not None
            out[engine] = best
    load = os.getloadavg()[0]
    print(f"{args.records:,} records, 2 reviewers each: one sheet imported "
          f"(best of {args.repeats}; {os.cpu_count()} CPUs, load {load:.1f})\n")  # fmt: skip
    print(f"{'engine':24s} {'decisions':>10s} {'seconds':>8s} {'goal':>7s}")
    for engine, got in out.items():
        goal = f"<= {GOAL_S:g}" if engine == "postgresql" else ""
        print(f"{engine:24s} {got['decisions']:10,d} {got['seconds']:8.2f} {goal:>7s}")
    if not args.pg_url:
        print("\n(no PostgreSQL: pass --pg-url or set REVIEWFLOW_TEST_PG_URL)")
    if args.json:
        args.json.write_text(json.dumps(out, indent=2))


if __name__ == "__main__":
    main()
