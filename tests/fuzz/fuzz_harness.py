"""Run the real import path over hostile files, one worker process per core, and classify
each outcome the way a user would see it.

Each worker owns one SQLite project and imports file after file into it with
:func:`reviewflow.stages.importing.run` (``force=True``, so equal content is not refused
as a re-import). Around every file it snapshots the row count of every table: a refused
file must leave them all unchanged, an accepted one must add exactly its records. A
file gets ``TIMEOUT`` seconds (an interval timer in the worker, then a kill from the
parent) and ``MEMORY_LIMIT`` bytes of address space above the worker's own (a
MemoryError then means the import would have eaten the machine).

Outcome kinds, the columns of the report table:

- ``clean error``: a ReviewflowError naming the file, store unchanged (the good refusal)
- ``accepted, warnings`` / ``accepted, clean``: records stored, nothing lost unaccounted
- ``lost silently``: stored, but fewer titled records or different fields than the
  undamaged source gives, and no warning to account for it
- ``unclear error``: a ReviewflowError that does not name the file, or that left the
  store changed
- ``crash`` (any other exception: a traceback for the user), ``hang``, ``over memory``
"""

from __future__ import annotations

import json
import multiprocessing as mp
import os
import resource
import signal
import sys
import tempfile
import threading
import time
import traceback
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
DATA = HERE.parent / "data"
CORPUS = DATA / "fuzz"
TIMEOUT = float(os.environ.get("REVIEWFLOW_FUZZ_TIMEOUT", "5"))
MEMORY_LIMIT = 1 << 30  # 1 GiB above the worker's own footprint
WORKERS = 2

CLEAN_ERROR = "clean error"
ACCEPTED_WARNINGS = "accepted, warnings"
ACCEPTED_CLEAN = "accepted, clean"
LOST = "lost silently"
UNCLEAR = "unclear error"
CRASH = "crash"
HANG = "hang"
OVER_MEMORY = "over memory"
KINDS = (CLEAN_ERROR, ACCEPTED_WARNINGS, ACCEPTED_CLEAN, LOST, UNCLEAR, CRASH, HANG, OVER_MEMORY)
GOOD = frozenset((CLEAN_ERROR, ACCEPTED_WARNINGS, ACCEPTED_CLEAN))

#: Mutations after which a correct import gives exactly the source's records and fields.
LOSSLESS = frozenset(
    (
        "eol-crlf", "eol-cr", "eol-mixed", "uspace", "utf16le-bom", "utf16be-bom", "utf16le",
        "utf16be", "utf8-bom", "cp1252", "latin1", "koi8r", "double-utf8",
    )
)  # fmt: skip


@dataclass
class Case:
    """One file to import: a corpus entry or a hostile input built at test time."""

    name: str
    path: Path
    mutation: str
    format: str
    source: str | None = None
    parts: list[str] = field(default_factory=list)
    cut: int | None = None
    format_override: str | None = None


@dataclass
class Outcome:
    case: Case
    kind: str
    detail: str
    seconds: float = 0.0
    rss_mb: float = 0.0


def corpus_cases(corpus: Path = CORPUS) -> list[Case]:
    """The committed corpus, from its manifest."""
    manifest = json.loads((corpus / "manifest.json").read_text(encoding="utf-8"))
    return [
        Case(
            name=entry["file"],
            path=corpus / entry["file"],
            mutation=entry["mutation"],
            format=entry["format"],
            source=entry.get("source"),
            parts=entry.get("parts", []),
            cut=entry.get("cut"),
        )
        for entry in manifest
    ]


# --- worker side -----------------------------------------------------------------------


class _Timeout(BaseException):
    """Raised by the interval timer; a BaseException so no ``except Exception`` eats it."""


def _on_alarm(signum: int, frame: object) -> None:
    raise _Timeout


def _table_counts(project: Any) -> dict[str, int]:
    from sqlalchemy import func, select

    from reviewflow.store.schema import metadata

    with project.db.connect() as conn:
        return {
            t.name: conn.execute(select(func.count()).select_from(t)).scalar_one()
            for t in metadata.sorted_tables
        }


def _summaries(project: Any, import_id: int) -> list[dict[str, Any]]:
    from reviewflow.store import queries

    with project.db.connect() as conn:
        return [
            {
                "title": r.title,
                "authors": r.authors,
                "year": r.year,
                "doi": r.doi,
                "abstract": r.abstract,
                "source_title": r.source_title,
            }
            for r in queries.iter_records(conn, import_id=import_id)
        ]


def _vm_size() -> int:
    with open("/proc/self/statm") as fh:
        return int(fh.read().split()[0]) * os.sysconf("SC_PAGE_SIZE")


def _worker(conn: Any, root: str) -> None:
    from reviewflow.errors import ReviewflowError
    from reviewflow.project import Project
    from reviewflow.stages import importing

    project = Project.create(Path(root) / "project", title="Fuzz")
    _table_counts(project)  # load everything once before the memory limit is set
    limit = _vm_size() + MEMORY_LIMIT
    resource.setrlimit(resource.RLIMIT_AS, (limit, resource.RLIM_INFINITY))
    signal.signal(signal.SIGALRM, _on_alarm)
    sys.setrecursionlimit(1000)
    conn.send("ready")
    while True:
        task = conn.recv()
        if task is None:
            return
        path, fmt, timeout = task
        before = _table_counts(project)
        start, rss0 = time.monotonic(), resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        reply: dict[str, Any] = {}
        try:
            signal.setitimer(signal.ITIMER_REAL, timeout)
            try:
                result = importing.run(project, path, format=fmt, force=True)
            finally:
                signal.setitimer(signal.ITIMER_REAL, 0)
            reply = {
                "status": "accepted",
                "warnings": [str(w) for w in result.warnings],
                "records": _summaries(project, result.import_id),
            }
        except _Timeout:
            reply = {"status": "hang", "detail": f"still running after {timeout:g} s"}
        except MemoryError:
            reply = {"status": "over memory", "detail": "MemoryError"}
        except ReviewflowError as exc:
            reply = {"status": "error", "message": str(exc)}
        except BaseException as exc:
            tb = traceback.extract_tb(exc.__traceback__)
            where = f"{Path(tb[-1].filename).name}:{tb[-1].lineno}" if tb else "?"
            reply = {"status": "crash", "detail": f"{type(exc).__name__} at {where}: {exc}"[:300]}
        reply["seconds"] = time.monotonic() - start
        reply["rss_mb"] = (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - rss0) / 1024
        try:
            reply["before"], reply["after"] = before, _table_counts(project)
        except MemoryError:
            reply["before"] = reply["after"] = {}
        conn.send(reply)


class _Pool:
    """One worker process; restarted after a hang or a death."""

    def __init__(self, root: str) -> None:
        self.root = root
        self.ctx = mp.get_context("spawn")
        self.proc: Any = None
        self.conn: Any = None

    def _start(self) -> None:
        parent, child = self.ctx.Pipe()
        root = tempfile.mkdtemp(dir=self.root)
        self.proc = self.ctx.Process(target=_worker, args=(child, root), daemon=True)
        self.proc.start()
        child.close()
        self.conn = parent
        if not self.conn.poll(120) or self.conn.recv() != "ready":
            raise RuntimeError("fuzz worker did not start")

    def run(self, case: Case, timeout: float) -> dict[str, Any]:
        if self.proc is None or not self.proc.is_alive():
            self._start()
        self.conn.send((str(case.path), case.format_override, timeout))
        try:
            if self.conn.poll(timeout + 10):
                return dict(self.conn.recv())
            self._kill()
            return {"status": "hang", "detail": f"killed after {timeout + 10:g} s"}
        except (EOFError, OSError):
            code = self.proc.exitcode
            self._kill()
            return {"status": "crash", "detail": f"worker died (exit code {code})"}

    def _kill(self) -> None:
        if self.proc is not None and self.proc.is_alive():
            self.proc.kill()  # only the worker this pool started
        if self.proc is not None:
            self.proc.join(5)
        self.proc = None

    def close(self) -> None:
        if self.proc is not None and self.proc.is_alive():
            try:
                self.conn.send(None)
                self.proc.join(5)
            except OSError:
                pass
        self._kill()


def run_cases(cases: Iterable[Case], *, timeout: float = TIMEOUT) -> dict[str, Outcome]:
    """Import every case in a worker and classify it; returns outcomes by case name."""
    todo = list(cases)
    outcomes: dict[str, Outcome] = {}
    lock = threading.Lock()
    with tempfile.TemporaryDirectory(prefix="rf-fuzz-") as root:

        def drive() -> None:
            pool = _Pool(root)
            try:
                while True:
                    with lock:
                        if not todo:
                            return
                        case = todo.pop(0)
                    reply = pool.run(case, timeout)
                    outcome = classify(case, reply)
                    with lock:
                        outcomes[case.name] = outcome
            finally:
                pool.close()

        threads = [threading.Thread(target=drive) for _ in range(min(WORKERS, len(todo)))]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
    return outcomes


# --- classification --------------------------------------------------------------------


def _norm(value: object) -> object:
    if isinstance(value, str):
        return " ".join(value.split()) or None
    if isinstance(value, list):
        return [" ".join(str(v).split()) for v in value]
    return value


_REFERENCE: dict[tuple[str, str], list[dict[str, Any]] | None] = {}


def _parse_reference(name: str, data: bytes) -> list[dict[str, Any]] | None:
    """The records the undamaged text gives (None if even that does not parse)."""
    from reviewflow import formats
    from reviewflow.errors import ReviewflowError

    try:
        result = formats.read_bytes_as(data, file=name)
    except ReviewflowError:
        return None
    return [
        {
            "title": r.title,
            "authors": r.authors,
            "year": r.year,
            "doi": r.doi,
            "abstract": r.abstract,
            "source_title": r.source_title,
            "line": r.source_line,
        }
        for r in result.records
    ]


def reference(case: Case) -> list[dict[str, Any]] | None:
    """The records a lossless import of ``case`` must give, or the source's records."""
    from make_corpus import _decode_fixture, expected_text

    key = (case.source or "", case.mutation if case.mutation in LOSSLESS else "")
    if key not in _REFERENCE:
        if case.source is None:
            _REFERENCE[key] = None
        else:
            text = _decode_fixture((DATA / case.source).read_bytes())
            expected = expected_text(text, case.format, case.mutation) or text
            _REFERENCE[key] = _parse_reference(Path(case.source).name, expected.encode("utf-8"))
    return _REFERENCE[key]


def _titled(records: list[dict[str, Any]]) -> int:
    return sum(1 for r in records if _norm(r["title"]))


def _expected_titled(case: Case) -> int | None:
    """How many titled records must survive (or be warned about) after a damaging mutation."""
    if case.parts:
        refs = [_parse_reference(p, (DATA / p).read_bytes()) for p in case.parts]
        return sum(_titled(r) for r in refs if r)
    ref = reference(case)
    if ref is None:
        return None
    if case.cut is not None:
        # Records that started before the line of the cut; the one cut through may go.
        cut_line = (DATA / str(case.source)).read_bytes()[: case.cut].count(b"\n") + 1
        started = [r for r in ref if r["line"] is not None and r["line"] < cut_line]
        return max(0, _titled(started) - 1)
    if case.mutation in ("drop-all-er", "no-blank-between", "header-only"):
        return None  # record boundaries are gone by design; a merge is a fair reading
    return _titled(ref)


def classify(case: Case, reply: dict[str, Any]) -> Outcome:
    """Turn a worker's reply into an outcome kind, with the reason."""
    status = reply["status"]
    secs, rss = float(reply.get("seconds", 0.0)), float(reply.get("rss_mb", 0.0))

    def out(kind: str, detail: str) -> Outcome:
        return Outcome(case, kind, detail, secs, rss)

    if status in ("hang", "over memory", "crash"):
        return out({"hang": HANG, "over memory": OVER_MEMORY, "crash": CRASH}[status],
                   reply.get("detail", ""))  # fmt: skip
    if status == "error":
        message = reply["message"]
        if reply["before"] != reply["after"]:
            return out(UNCLEAR, f"the store changed after a refusal: {message}")
        if case.path.name not in message:
            return out(UNCLEAR, f"the message does not name the file: {message}")
        return out(CLEAN_ERROR, message.splitlines()[0])
    records, warnings = reply["records"], reply["warnings"]
    added = reply["after"].get("records", 0) - reply["before"].get("records", 0)
    if added != len(records):
        return out(UNCLEAR, f"{len(records)} records imported but {added} rows added")
    kind = ACCEPTED_WARNINGS if warnings else ACCEPTED_CLEAN
    summary = f"{len(records)} records, {len(warnings)} warnings"
    if case.mutation in LOSSLESS:
        ref = reference(case)
        if ref is not None and not warnings:
            if len(ref) != len(records):
                return out(LOST, f"{len(records)} records, the source has {len(ref)}")
            for i, (want, got) in enumerate(zip(ref, records, strict=True), start=1):
                for name in ("title", "authors", "year", "doi", "abstract", "source_title"):
                    if _norm(want[name]) != _norm(got[name]):
                        return out(
                            LOST, f"record {i} {name}: {got[name]!r} != {want[name]!r}"[:300]
                        )
        return out(kind, summary)
    expected = _expected_titled(case)
    got = _titled(records)
    if expected is not None and got + len(warnings) < expected:
        return out(
            LOST,
            f"{got} titled records and {len(warnings)} warnings; the source has {expected}",
        )
    return out(kind, summary)


def table(outcomes: Iterable[Outcome], *, by: str = "format") -> str:
    """The outcome table (tried and each kind) per format, as Markdown."""
    rows: dict[str, dict[str, int]] = {}
    for o in outcomes:
        key = getattr(o.case, by)
        row = rows.setdefault(key, dict.fromkeys(("tried", *KINDS), 0))
        row["tried"] += 1
        row[o.kind] += 1
    total = dict.fromkeys(("tried", *KINDS), 0)
    for row in rows.values():
        for k, v in row.items():
            total[k] += v
    head = [by, "tried", *KINDS]
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for key in sorted(rows):
        lines.append("| " + " | ".join([key, *(str(v) for v in rows[key].values())]) + " |")
    lines.append("| **all** | " + " | ".join(str(v) for v in total.values()) + " |")
    return "\n".join(lines)
