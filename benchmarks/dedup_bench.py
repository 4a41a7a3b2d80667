"""Benchmark reviewflow's deduplication (and bib-dedupe, when installed) on labelled sets.

Usage:
    python benchmarks/dedup_bench.py --data ../shared/data/dedup [--json OUT]
        [--sets cardiac,diabetes] [--no-peer] [--peer-python /tmp/bd/bin/python]

bib-dedupe pins its own pandas/numpy; install it into a separate venv
(``python -m venv /tmp/bd && /tmp/bd/bin/pip install bib-dedupe``) and pass that
interpreter as ``--peer-python`` (or set ``BIB_DEDUPE_PYTHON``).

Every tool runs on every set in its own fresh subprocess, so wall time and peak memory
(``ru_maxrss``) are that tool's alone. Scoring is record level, as the data README says.
Wall time covers everything after the CSV file is read: mapping rows, normalising,
blocking, comparing, clustering.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import resource
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from _dedup_data import load_set, load_truth, rates, score  # noqa: E402

TOOLS = ("reviewflow", "bib-dedupe")
COUNTS = ("TP", "FP", "FN", "TN")


def _peak_mb() -> float:
    """Peak resident memory of this worker or of its largest child process, in MB.

    bib-dedupe runs parts of its pipeline in worker processes; their peak is not in
    RUSAGE_SELF. (The largest child, not the sum of concurrent children.)
    """
    own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    children = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    return max(own, children) / 1024  # kB on Linux


def run_reviewflow(set_dir: Path) -> tuple[list[str], float, dict[str, int]]:
    """Removed record IDs, wall seconds and queue sizes for reviewflow."""
    from reviewflow.stages.dedup import find_duplicates

    start = time.perf_counter()
    records, ids = load_set(set_dir)
    result = find_duplicates(records)
    wall = time.perf_counter() - start
    removed = [ids[r] for r in sorted(result.removed_ids())]
    extra = {
        "uncertain": len(result.uncertain),
        "related": sum(len(v) for v in result.related.values()),
        "candidate_pairs": result.candidate_pairs,
    }
    return removed, wall, extra


def run_bib_dedupe(set_dir: Path) -> tuple[list[str], float, dict[str, int]]:
    """Removed record IDs and wall seconds for bib-dedupe (default settings)."""
    import pandas as pd
    from bib_dedupe.bib_dedupe import block, cluster, match, prep

    df = pd.read_csv(set_dir / "records_pre_merged.csv.gz", dtype=str)
    start = time.perf_counter()
    prepped = prep(df, verbosity_level=0)
    pairs = block(prepped, verbosity_level=0)
    matched = match(pairs, verbosity_level=0)
    id_sets = cluster(matched, verbosity_level=0)
    wall = time.perf_counter() - start
    removed: list[str] = []
    for group in id_sets:
        members = sorted(group)
        removed.extend(members[1:])  # one record of each group survives
    return removed, wall, {}


def worker(tool: str, set_dir: Path) -> None:
    """Run one tool on one set and print a JSON line (called in a fresh subprocess)."""
    run = run_reviewflow if tool == "reviewflow" else run_bib_dedupe
    removed, wall, extra = run(set_dir)
    print(json.dumps({"removed": removed, "wall": wall, "peak_mb": _peak_mb(), **extra}))


def peer_installed(python: str) -> bool:
    """True when bib-dedupe can be imported by ``python``."""
    proc = subprocess.run([python, "-c", "import bib_dedupe"], capture_output=True, check=False)
    return proc.returncode == 0


def run_one(tool: str, set_dir: Path, python: str = sys.executable) -> dict[str, float]:
    """Run ``tool`` on ``set_dir`` in a subprocess of ``python`` and score its result."""
    cmd = [python, str(Path(__file__).resolve()), "--worker", tool, "--data", str(set_dir)]
    env = dict(os.environ)
    src = str(HERE.parent / "src")  # the worker reads records with reviewflow.records
    env["PYTHONPATH"] = os.pathsep.join(x for x in (src, env.get("PYTHONPATH", "")) if x)
    proc = subprocess.run(cmd, capture_output=True, text=True, check=False, env=env)
    if proc.returncode != 0:
        sys.stderr.write(proc.stderr[-3000:])
        raise SystemExit(f"{tool} failed on {set_dir.name}")
    out = json.loads(proc.stdout.strip().splitlines()[-1])
    _, ids = load_set(set_dir)
    row = score(ids, load_truth(set_dir), set(out["removed"]))
    row.update({"wall_s": out["wall"], "peak_mb": out["peak_mb"], "records": len(ids)})
    for key in ("uncertain", "related", "candidate_pairs"):
        if key in out:
            row[key] = out[key]
    return row


def _fmt(value: float, digits: int) -> str:
    if isinstance(value, float) and math.isnan(value):
        return "-"
    return f"{value:.{digits}f}" if digits else str(int(value))


def print_table(rows: list[dict]) -> None:
    """Print the side-by-side table (one row per set and tool, then TOTAL rows)."""
    head = ("set", "tool", *COUNTS, "sens", "spec", "F1", "wall s", "peak MB", "queue", "queue %")
    widths = (20, 11, 7, 5, 5, 7, 7, 7, 7, 8, 8, 6, 7)
    print(
        "  ".join(
            h.rjust(w) if i > 1 else h.ljust(w)
            for i, (h, w) in enumerate(zip(head, widths, strict=True))
        )
    )
    for r in rows:
        cells = (
            r["set"],
            r["tool"],
            *(_fmt(r[c], 0) for c in COUNTS),
            _fmt(r["sensitivity"], 4),
            _fmt(r["specificity"], 4),
            _fmt(r["F1"], 4),
            _fmt(r["wall_s"], 1),
            _fmt(r["peak_mb"], 0),
            _fmt(r["uncertain"], 0) if "uncertain" in r else "-",
            _fmt(100 * r["uncertain"] / r["records"], 2) if "uncertain" in r else "-",
        )
        print(
            "  ".join(
                c.rjust(w) if i > 1 else c.ljust(w)
                for i, (c, w) in enumerate(zip(cells, widths, strict=True))
            )
        )


def totals(rows: list[dict], tool: str) -> dict:
    """One TOTAL row for ``tool``: summed counts, rates recomputed, time summed, peak max."""
    mine = [r for r in rows if r["tool"] == tool]
    out = rates({c: sum(r[c] for r in mine) for c in COUNTS})
    out.update(
        set="TOTAL",
        tool=tool,
        wall_s=sum(r["wall_s"] for r in mine),
        peak_mb=max(r["peak_mb"] for r in mine),
        records=sum(r["records"] for r in mine),
    )
    if all("uncertain" in r for r in mine):
        out["uncertain"] = sum(r["uncertain"] for r in mine)
    return out


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, required=True, help="directory of labelled sets")
    parser.add_argument("--json", type=Path, help="write all rows to this JSON file")
    parser.add_argument("--sets", help="comma-separated set names (default: all)")
    parser.add_argument("--no-peer", action="store_true", help="do not run bib-dedupe")
    parser.add_argument(
        "--peer-python",
        default=os.environ.get("BIB_DEDUPE_PYTHON", sys.executable),
        help="interpreter that has bib-dedupe installed (default: this one)",
    )
    parser.add_argument("--worker", choices=TOOLS, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.worker:
        worker(args.worker, args.data)
        return
    sets = sorted(d for d in args.data.iterdir() if (d / "merged_record_ids.csv.gz").exists())
    if args.sets:
        wanted = set(args.sets.split(","))
        sets = [d for d in sets if d.name in wanted]
    tools = ["reviewflow"]
    if not args.no_peer:
        if peer_installed(args.peer_python):
            tools.append("bib-dedupe")
        else:
            print(
                "bib-dedupe is not installed (pip install bib-dedupe, or pass --peer-python);"
                " running reviewflow only"
            )
    rows = []
    for set_dir in sets:
        for tool in tools:
            print(f"running {tool} on {set_dir.name} ...", file=sys.stderr, flush=True)
            python = args.peer_python if tool == "bib-dedupe" else sys.executable
            row = run_one(tool, set_dir, python)
            row.update(set=set_dir.name, tool=tool)
            rows.append(row)
    rows.extend(totals(rows, tool) for tool in tools)
    print_table(rows)
    if args.json:
        args.json.write_text(json.dumps(rows, indent=2))


if __name__ == "__main__":
    main()
