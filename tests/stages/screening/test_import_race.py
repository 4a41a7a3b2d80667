"""Two imports of the same decisions sheet at the same time record every decision once.

The "is this vote unchanged?" test and the insert run in one write transaction, which
SQLite (BEGIN IMMEDIATE) and PostgreSQL (an advisory lock) give one writer at a time, so
the second import sees the first's votes and reports them unchanged.
"""

from __future__ import annotations

import csv
import io
import multiprocessing
from pathlib import Path
from typing import Any

from test_screening_setup import add_records, seed_team

from reviewflow.project import Project
from reviewflow.stages import screening
from reviewflow.store import queries


def _import(root: str, sheet: str, barrier: Any, results: Any) -> None:
    project = Project.open(root)
    try:
        barrier.wait(timeout=60)
        result = screening.import_sheet(project, sheet)
        results.put((result.recorded, result.unchanged))
    except Exception as exc:  # reported to the parent, which fails the test
        results.put(repr(exc))
    finally:
        project.close()


def _filled_sheet(project: Project, path: Path) -> int:
    rows = list(csv.DictReader(io.StringIO(screening.export_sheet(project, stage="ta",
                                                                  reviewer="MC"))))  # fmt: skip
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=list(rows[0]))
    writer.writeheader()
    for n, row in enumerate(rows):
        row["decision"] = "include" if n % 2 else "exclude"
        row["note"] = f"row {n}"
        writer.writerow(row)
    path.write_text(out.getvalue(), encoding="utf-8")
    return len(rows)


def test_two_simultaneous_sheet_imports_record_each_decision_once(
    project: Project, tmp_path: Path
) -> None:
    seed_team(project)
    add_records(project, 60)
    sheet = tmp_path / "mc.csv"
    n = _filled_sheet(project, sheet)
    ctx = multiprocessing.get_context("spawn")
    barrier, results = ctx.Barrier(2), ctx.Queue()
    workers = [
        ctx.Process(target=_import, args=(str(project.root), str(sheet), barrier, results))
        for _ in range(2)
    ]
    for w in workers:
        w.start()
    outcomes = [results.get(timeout=120) for _ in workers]
    for w in workers:
        w.join(timeout=60)
    assert all(isinstance(o, tuple) for o in outcomes), outcomes
    assert sorted(outcomes) == [(0, n), (n, 0)]  # one import records, the other finds all unchanged
    with project.db.connect() as conn:
        assert queries.table_counts(conn)["screening_decisions"] == n
