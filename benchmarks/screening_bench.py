"""Screening at scale: assignment, derived counts and agreement for 50,000 records.

The screening issue asks that assignment and derived counts for 50k records take under a
few seconds. This builds a throw-away project with the seed review's two plans (MC screens
everything at title/abstract, CJ a seeded 20 %; three reviewers at full text, LA
arbitrates), records a decision on every item and times each derived view.

Usage: python benchmarks/screening_bench.py [--records 50000] [--database-url URL]
"""

from __future__ import annotations

import argparse
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from reviewflow.project import Project
from reviewflow.records import Record
from reviewflow.settings import Reviewer, ScreeningSettings
from reviewflow.stages import screening
from reviewflow.stages.dedup import links as dedup_links
from reviewflow.store import queries

PLANS = {
    "reasons": ["not UK-based", "not social prescribing", "no qualitative data"],
    "ta": {"reviewers": ["MC"], "second_reviewers": ["CJ"], "double_share": 0.20, "seed": 2022,
           "arbiter": "LA", "rule": "any_include"},
    "ft": {"reviewers": ["MC", "DF", "JS"], "double_share": 1.0, "arbiter": "LA",
           "rule": "unanimous_else_arbiter", "reason_required": True},
}  # fmt: skip


def timed(label: str, rows: list[tuple[str, float]], fn: Callable[[], Any]) -> Any:
    start = time.perf_counter()
    out = fn()
    rows.append((label, time.perf_counter() - start))
    return out


def build(root: Path, n: int, url: str) -> tuple[Project, list[int]]:
    team = [Reviewer(initials=i) for i in ("MC", "CJ", "DF", "JS", "LA")]
    project = Project.create(root, title="bench", database_url=url, reviewers=team)
    project.settings.screening = ScreeningSettings.model_validate(PLANS)
    project.save_settings()
    items = (
        Record(title=f"Study {i}", abstract=f"Abstract {i}", authors=[f"A{i}"], year=2000 + i % 22,
               raw=f"TI  - Study {i}")
        for i in range(n)
    )  # fmt: skip
    with project.db.transaction() as conn:
        import_id = queries.insert_import(
            conn,
            values={"file_name": "bench.ris", "file_sha256": "0" * 64, "format": "ris",
                    "records_read": n, "warnings": []},
        )  # fmt: skip
        queries.insert_records(conn, import_id=import_id, items=items)
    with project.db.connect() as conn:
        ids = dedup_links.canonical_record_ids(conn)
    return project, ids


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--records", type=int, default=50_000)
    parser.add_argument("--database-url", default="sqlite:///review.db")
    args = parser.parse_args()
    rows: list[tuple[str, float]] = []
    with tempfile.TemporaryDirectory() as tmp:
        project, ids = timed(
            f"create project + insert {args.records:,} records", rows,
            lambda: build(Path(tmp) / "p", args.records, args.database_url),
        )  # fmt: skip

        def assignment() -> list[int]:
            with project.db.connect() as conn:
                state = screening.load_state(conn, project, "ta")
            return [i for i in state.items if "CJ" in state.assigned[i]]

        sample = timed("assignment (title/abstract plan)", rows, assignment)
        timed("derived counts, nothing decided", rows, lambda: screening.counts(project))
        decisions = [
            screening.Decision("ta", i, "MC", "include" if i % 10 == 0 else "exclude") for i in ids
        ] + [
            screening.Decision("ta", i, "CJ", "include" if i % 9 == 0 else "exclude")
            for i in sample
        ]
        timed(
            f"record {len(decisions):,} decisions",
            rows,
            lambda: screening.record(project, decisions),
        )
        counts = timed("derived counts, all decided", rows, lambda: screening.counts(project))
        timed("agreement (title/abstract)", rows, lambda: screening.agreement(project, stage="ta"))
        timed("one more decision", rows, lambda: screening.decide(
            project, stage="ta", item_id=ids[5], reviewer="MC", decision="maybe"))  # fmt: skip
        project.close()
    print(f"double-screened share: {len(sample) / len(ids):.2%} of {len(ids):,}")
    print(f"records included at title/abstract: {counts['records_included']:,}\n")
    print(f"{'step':<46}{'seconds':>9}")
    for label, seconds in rows:
        print(f"{label:<46}{seconds:>9.2f}")


if __name__ == "__main__":
    main()
