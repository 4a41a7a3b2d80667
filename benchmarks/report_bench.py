"""The full report of a 50,000-record project in at most 5 seconds.

Builds a throw-away project from real data (``dedup/srsr`` of the shared benchmark data:
53,001 records with true duplicates): the first N records are imported from CSV through
the import stage, deduplicated by the dedup stage, screened at title/abstract by MC (all)
and CJ (a seeded 20 %) through filled-in screening sheets (CSV), then the full report
(PRISMA, tables, HTML + DOCX + Markdown) is timed. Setup is timed too but is not the target.

Usage: nice -n 10 python benchmarks/report_bench.py --data ../shared/data [--records 50000]
       [--keep DIR]   (build the project in DIR once; later runs reuse it and time the report)
"""

from __future__ import annotations

import argparse
import csv
import gzip
import io
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from reviewflow.project import Project
from reviewflow.reports.report import build_report
from reviewflow.settings import Reviewer, ScreeningSettings
from reviewflow.stages import importing, screening, searches
from reviewflow.stages.dedup import project as dedup_project

PLANS = {
    "reasons": ["not UK-based", "not social prescribing", "no qualitative data"],
    "ta": {"reviewers": ["MC"], "second_reviewers": ["CJ"], "double_share": 0.20, "seed": 2022,
           "arbiter": "LA", "rule": "any_include"},
}  # fmt: skip
TARGET = 5.0


def write_sample(data: Path, n: int, out: Path) -> int:
    src = data / "dedup" / "srsr" / "records_pre_merged.csv.gz"
    with gzip.open(src, "rt", encoding="utf-8", newline="") as fh:
        reader = csv.DictReader(fh)
        rows = [row for _, row in zip(range(n), reader, strict=False)]
    buf = io.StringIO()
    columns = ["title", "author", "year", "journal", "volume", "pages", "doi", "abstract"]
    writer = csv.DictWriter(buf, fieldnames=columns, extrasaction="ignore")
    writer.writeheader()
    writer.writerows(rows)
    out.write_text(buf.getvalue(), encoding="utf-8")
    return len(rows)


def fill_sheet(text: str, path: Path, reviewer: str) -> None:
    rows = list(csv.DictReader(io.StringIO(text)))
    for row in rows:
        include = int(row["item_id"]) % (10 if reviewer == "MC" else 9) == 0
        row["decision"] = "include" if include else "exclude"
    with path.open("w", encoding="utf-8", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)


def build(
    data: Path, records: int, work: Path, timed: Callable[[str, Callable[[], Any]], Any]
) -> Project:
    """Import, deduplicate and screen ``records`` records into a new project in ``work/p``."""
    n = write_sample(data, records, work / "srsr.csv")
    team = [Reviewer(initials=i) for i in ("MC", "CJ", "LA")]
    project = Project.create(work / "p", title="Report benchmark", reviewers=team)
    project.settings.screening = ScreeningSettings.model_validate(PLANS)
    project.save_settings()
    sid = searches.add(project, searches.SearchEntry(source="srsr", records_returned=n))
    timed(f"import {n:,} records (CSV)", lambda: importing.run(
        project, work / "srsr.csv", search_id=sid))  # fmt: skip
    timed("deduplicate", lambda: dedup_project.run(project))
    for who in ("MC", "CJ"):
        text = screening.export_sheet(project, stage="ta", reviewer=who)
        fill_sheet(text, work / f"{who}.csv", who)
        timed(f"import {who}'s screening sheet", lambda w=who: screening.import_sheet(
            project, work / f"{w}.csv", stage="ta"))  # fmt: skip
    return project


@contextmanager
def workdir(keep: Path | None) -> Iterator[Path]:
    if keep is not None:
        keep.mkdir(parents=True, exist_ok=True)
        yield keep
        return
    with tempfile.TemporaryDirectory() as tmp:
        yield Path(tmp)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=Path("../shared/data"))
    parser.add_argument("--records", type=int, default=50_000)
    parser.add_argument("--keep", type=Path, default=None,
                        help="build the project in this folder once and reuse it")  # fmt: skip
    args = parser.parse_args()
    steps: list[tuple[str, float]] = []

    def timed(label: str, fn: Callable[[], Any]) -> Any:
        start = time.perf_counter()
        out = fn()
        steps.append((label, time.perf_counter() - start))
        return out

    with workdir(args.keep) as work:
        if (work / "p" / "review.toml").is_file():
            project = Project.open(work / "p")
        else:
            project = build(args.data, args.records, work, timed)
        paths = timed("FULL REPORT (html, docx, md)", lambda: build_report(
            project, out_dir=work / "reports"))  # fmt: skip
        counts = screening.counts(project)
        project.close()
        print(f"screened: {counts['records_screened']:,}; "
              f"excluded: {counts['records_excluded']:,}; files: {len(paths)}")  # fmt: skip
    print(f"\n{'step':<40}{'seconds':>9}")
    for label, seconds in steps:
        print(f"{label:<40}{seconds:>9.2f}")
    report = steps[-1][1]
    print(f"\nfull report: {report:.2f} s (target ≤ {TARGET:g} s): "
          f"{'OK' if report <= TARGET else 'TOO SLOW'}")  # fmt: skip


if __name__ == "__main__":
    main()
