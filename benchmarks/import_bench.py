"""Import benchmark: 50,000 RIS records into a fresh SQLite project vs rispy's parse alone.

Builds a RIS file from a dedup set (default srsr, 53k records), then in the same run and
each in its own process (so peak memories are separate):

* rispy.loads on the file (the peer: parsing only, no storage),
* rispy.loads + one SQLite transaction of its records as JSON (context: what keeping
  rispy's output costs, without raw text, line numbers or canonical fields),
* reviewflow's RIS parser alone,
* ``reviewflow`` import: decode + parse + checks + one SQLite transaction.

Goal (issue 2): import <= 2x rispy's parse time, peak memory < 1 GB.

Usage: python benchmarks/import_bench.py --data ../shared/data/dedup [--records 50000]
"""

from __future__ import annotations

import argparse
import csv
import gzip
import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path


def build_ris(data: Path, out: Path, *, n: int, dataset: str) -> int:
    """Write ``n`` records of a dedup set as RIS (authors split as the set gives them)."""
    csv.field_size_limit(sys.maxsize)
    count = 0
    with gzip.open(data / dataset / "records_pre_merged.csv.gz", "rt", encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    with out.open("w", encoding="utf-8", newline="\n") as fh:
        while count < n:
            for row in rows:
                if count >= n:
                    break
                fh.write("TY  - JOUR\n")
                for author in filter(None, (row.get("author") or "").split(" and ")):
                    fh.write(f"AU  - {author.strip()}\n")
                for tag, key in (
                    ("TI", "title"),
                    ("T2", "journal"),
                    ("PY", "year"),
                    ("VL", "volume"),
                    ("IS", "number"),
                    ("SP", "pages"),
                    ("DO", "doi"),
                    ("SN", "isbn"),
                    ("AB", "abstract"),
                    ("UR", "url"),
                ):
                    value = " ".join((row.get(key) or "").split())
                    if value:
                        fh.write(f"{tag}  - {value}\n")
                fh.write(f"ID  - {row['ID']}-{count}\n")
                fh.write("ER  - \n\n")
                count += 1
    return count


def _child(kind: str, path: str) -> None:
    """Run one measured job in this (fresh) process and print JSON."""
    start = time.perf_counter()
    if kind == "rispy":
        import rispy

        with open(path, encoding="utf-8") as fh:
            n = len(rispy.load(fh))
    elif kind == "rispy-store":
        n = _rispy_and_store(path)
    elif kind == "parse":
        from reviewflow import formats

        n = len(formats.read(path, format="ris").records)
    else:
        from reviewflow.project import Project
        from reviewflow.stages import importing

        with tempfile.TemporaryDirectory() as tmp:
            project = Project.create(Path(tmp) / "p", title="bench")
            start = time.perf_counter()  # project creation is not part of the import
            n = importing.run(project, path).records
            project.close()
    wall = time.perf_counter() - start
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps({"kind": kind, "records": n, "wall_s": wall, "peak_mb": peak_mb}))


def _rispy_and_store(path: str) -> int:
    """What any tool that keeps rispy's records pays: parse, then one SQLite transaction
    (WAL, synchronous=NORMAL, as a reviewflow project) holding each record's title,
    abstract and every field as JSON. No raw text, no line numbers, no canonical fields.
    Context for the goal, not the goal's peer."""
    import sqlite3

    import rispy

    with open(path, encoding="utf-8") as fh:
        entries = rispy.load(fh)
    with tempfile.TemporaryDirectory() as tmp:
        con = sqlite3.connect(Path(tmp) / "rispy.db", isolation_level=None)
        con.execute("PRAGMA journal_mode=WAL")
        con.execute("PRAGMA synchronous=NORMAL")
        con.execute("CREATE TABLE records (id INTEGER PRIMARY KEY, title, abstract, data)")
        encode = json.JSONEncoder(ensure_ascii=False).encode
        con.execute("BEGIN")
        con.executemany(
            "INSERT INTO records (title, abstract, data) VALUES (?, ?, ?)",
            (
                (e.get("title") or e.get("primary_title"), e.get("abstract"), encode(e))
                for e in entries
            ),
        )
        con.execute("COMMIT")
        con.close()
    return len(entries)


def measure(kind: str, path: Path) -> dict[str, float]:
    out = subprocess.run(
        [sys.executable, __file__, "--child", kind, str(path)],
        check=True,
        capture_output=True,
        text=True,
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=Path("../shared/data/dedup"))
    parser.add_argument("--dataset", default="srsr")
    parser.add_argument("--records", type=int, default=50_000)
    parser.add_argument("--repeat", type=int, default=3, help="runs per tool; the median is shown")
    parser.add_argument("--json", type=Path)
    parser.add_argument("--child", nargs=2, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        _child(*args.child)
        return
    with tempfile.TemporaryDirectory() as tmp:
        ris = Path(tmp) / "bench.ris"
        n = build_ris(args.data, ris, n=args.records, dataset=args.dataset)
        size_mb = ris.stat().st_size / 1e6
        print(f"{n:,} records, {size_mb:.1f} MB RIS built from {args.dataset}")
        rows = {}
        for kind in ("rispy", "rispy-store", "parse", "import"):
            runs = sorted(
                (measure(kind, ris) for _ in range(args.repeat)), key=lambda r: r["wall_s"]
            )
            rows[kind] = runs[len(runs) // 2]
    rispy_s = rows["rispy"]["wall_s"]
    print(f"\n{'job':<42}{'records':>9}{'wall s':>9}{'x rispy':>9}{'peak MB':>9}")
    labels = {
        "rispy": "rispy.load (peer, parse only)",
        "rispy-store": "rispy.load + SQLite store (context)",
        "parse": "reviewflow RIS parse only",
        "import": "reviewflow import (parse + SQLite store)",
    }
    for kind, row in rows.items():
        print(
            f"{labels[kind]:<42}{row['records']:>9,}{row['wall_s']:>9.2f}"
            f"{row['wall_s'] / rispy_s:>9.2f}{row['peak_mb']:>9.0f}"
        )
    ok_time = rows["import"]["wall_s"] <= 2 * rispy_s
    ok_mem = rows["import"]["peak_mb"] < 1024
    print(
        f"\ngoal import <= 2x rispy: {'met' if ok_time else 'NOT met'}; "
        f"peak < 1 GB: {'met' if ok_mem else 'NOT met'}"
    )
    if args.json:
        args.json.write_text(json.dumps(rows, indent=2), encoding="utf-8")


if __name__ == "__main__":
    main()
