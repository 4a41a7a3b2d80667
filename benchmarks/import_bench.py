"""Import benchmark: 50,000 RIS records into a fresh SQLite project vs rispy's parse alone.

Builds a RIS file from a dedup set (default srsr, 53k records), then in the same run and
each in its own process (so peak memories are separate):

* rispy.loads on the file (the peer: parsing only, no storage),
* rispy.loads + one SQLite transaction of its records as JSON (context: what keeping
  rispy's output costs, without raw text, line numbers or canonical fields),
* reviewflow's RIS parser alone,
* ``reviewflow`` import: decode + parse + checks + one SQLite transaction.

Goal (issue 2): import <= 2x rispy's parse time, peak memory < 1 GB.

With ``--bibtex`` (issue 20) it instead generates a reference-manager library
(benchmarks/_bibtex_data.py: Zotero, JabRef and Mendeley styles, @string, month macros,
LaTeX accents, braces in titles) and the same records as RIS, and measures reviewflow's
BibTeX parse and import beside its RIS parse and import of the same records, and
bibtexparser 1.x (the library the BibTeX reader replaced) on the first ``--peer-records``
entries, since it takes minutes on 50,000. Goal: BibTeX import in RIS's time class, < 1 GB.

Usage: python benchmarks/import_bench.py --data ../shared/data/dedup [--records 50000]
       python benchmarks/import_bench.py --bibtex [--records 50000] [--peer-records 2000]
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
    elif kind == "bibtexparser":
        import bibtexparser
        from bibtexparser.bparser import BibTexParser

        with open(path, encoding="utf-8") as fh:
            parser = BibTexParser(common_strings=True, ignore_nonstandard_types=False)
            n = len(bibtexparser.load(fh, parser=parser).entries)
    elif kind in ("parse", "parse-bibtex"):
        from reviewflow import formats

        fmt = "bibtex" if kind == "parse-bibtex" else "ris"
        n = len(formats.read(path, format=fmt).records)
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
    parser.add_argument("--bibtex", action="store_true", help="the BibTeX table (issue 20)")
    parser.add_argument("--peer-records", type=int, default=2_000, help="bibtexparser's n")
    parser.add_argument("--child", nargs=2, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        _child(*args.child)
        return
    if args.bibtex:
        bibtex_table(args)
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


def bibtex_table(args: argparse.Namespace) -> None:
    """BibTeX vs RIS of the same generated records, and bibtexparser as the peer."""
    sys.path.insert(0, str(Path(__file__).parent))
    import _bibtex_data

    with tempfile.TemporaryDirectory() as tmp:
        bib, ris = Path(tmp) / "bench.bib", Path(tmp) / "bench.ris"
        peer = Path(tmp) / "peer.bib"
        n = _bibtex_data.write_bibtex(_bibtex_data.generate(args.records), bib)
        _bibtex_data.write_ris(_bibtex_data.generate(args.records), ris)
        _bibtex_data.write_bibtex(_bibtex_data.generate(args.peer_records), peer)
        print(
            f"{n:,} entries: {bib.stat().st_size / 1e6:.1f} MB BibTeX, "
            f"{ris.stat().st_size / 1e6:.1f} MB RIS of the same records"
        )
        jobs = {
            "bibtexparser 1.x parse (peer)": ("bibtexparser", peer),
            "reviewflow BibTeX parse, same n as peer": ("parse-bibtex", peer),
            "reviewflow RIS parse": ("parse", ris),
            "reviewflow BibTeX parse": ("parse-bibtex", bib),
            "reviewflow RIS import (parse + store)": ("import", ris),
            "reviewflow BibTeX import (parse + store)": ("import", bib),
        }
        rows = {}
        for label, (kind, path) in jobs.items():
            repeat = 1 if kind == "bibtexparser" else args.repeat
            runs = sorted((measure(kind, path) for _ in range(repeat)), key=lambda r: r["wall_s"])
            rows[label] = runs[len(runs) // 2]
    print(f"\n{'job':<44}{'records':>9}{'wall s':>9}{'ms/1k':>9}{'peak MB':>9}")
    for label, row in rows.items():
        per_k = 1000 * row["wall_s"] / max(row["records"], 1) * 1000
        print(
            f"{label:<44}{row['records']:>9,}{row['wall_s']:>9.2f}{per_k:>9.0f}"
            f"{row['peak_mb']:>9.0f}"
        )
    bib_import = rows["reviewflow BibTeX import (parse + store)"]
    ris_import = rows["reviewflow RIS import (parse + store)"]
    ratio = bib_import["wall_s"] / ris_import["wall_s"]
    print(
        f"\nBibTeX import / RIS import of the same records: {ratio:.1f}x; "
        f"peak < 1 GB: {'met' if bib_import['peak_mb'] < 1024 else 'NOT met'}"
    )
    if args.json:
        args.json.write_text(json.dumps(rows, indent=2), encoding="utf-8")


if __name__ == "__main__":
    main()
