"""Import a record file into the project: the whole file or nothing.

The file is read and parsed completely before the database is touched; then the import
row and every record are written in one transaction. A parse error, a refused duplicate
file or a database failure therefore leaves the project exactly as it was.

A file imported without a search is linked to the logged search whose exported file has
the same sha256 (``reviewflow search add --file``), when exactly one has; otherwise the
result says that PRISMA will count it apart until it is linked
(:func:`reviewflow.stages.importing.changes.link`).

The cyclic garbage collector is off while an import runs: nothing it builds is cyclic, but
the collector would rescan every record built so far again and again (0.45 s of a
50,000-record import, benchmarks/import_bench.py).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from pathlib import Path

from ... import formats
from ...errors import DuplicateImportError, InputError, NotFoundError, StateError
from ...formats import ParseIssue
from ...formats._base import cyclic_gc_off
from ...progress import Progress  # phases "parse" and "store"
from ...project import Project
from ...store import import_queries, queries


@dataclass
class ImportResult:
    import_id: int
    file: str
    format: str
    encoding: str
    sha256: str
    records: int
    search_id: int | None
    warnings: list[ParseIssue] = field(default_factory=list)
    #: the search was found by the file's sha256 (no --search given)
    linked_by_sha256: bool = False
    #: what the user should know about the search link (not about the file's content)
    notices: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, object]:
        return {
            "import_id": self.import_id,
            "file": self.file,
            "format": self.format,
            "encoding": self.encoding,
            "sha256": self.sha256,
            "records": self.records,
            "search_id": self.search_id,
            "linked_by_sha256": self.linked_by_sha256,
            "warnings": [{"line": w.line, "message": w.message} for w in self.warnings],
            "notices": self.notices,
        }


@cyclic_gc_off()
def run(
    project: Project,
    path: str | Path,
    *,
    search_id: int | None = None,
    format: str | None = None,
    column_map: dict[str, str] | None = None,
    force: bool = False,
    progress: Progress | None = None,
    expected_records: int | None = None,
) -> ImportResult:
    """Parse ``path`` and store all its records atomically.

    ``expected_records``: the count a person was shown and confirmed (the web app's parse
    report); a file that now reads differently is refused, and nothing is stored.
    """
    p = Path(path)
    data = formats.read_bytes(p)
    sha256 = hashlib.sha256(data).hexdigest()
    with project.db.connect() as conn:
        _check_not_imported(conn, sha256, file=p.name, force=force, search_id=search_id)
        search = queries.get_search(conn, search_id) if search_id is not None else None
        if search_id is not None and search is None:
            raise NotFoundError(
                f"there is no search {search_id} to attach {p.name} to",
                hint="Log the search first with: reviewflow search add ..., "
                "or list them with: reviewflow search list",
            )
        by_sha = import_queries.find_searches_by_sha256(conn, sha256)
    notices: list[str] = []
    if search is not None and search["file_sha256"] and search["file_sha256"] != sha256:
        notices.append(
            f"search {search_id} logged the file {search['file_name']}, whose content differs "
            f"from {p.name}; check that --search {search_id} is the right search."
        )
    if search_id is None and len(by_sha) > 1:
        raise InputError(
            f"{p.name} is the file logged with several searches "
            f"({', '.join(str(s['id']) for s in by_sha)}); say which one it came from",
            hint=f"Add --search, e.g. reviewflow import {p.name} --search {by_sha[0]['id']}",
        )
    linked_by_sha256 = search_id is None and len(by_sha) == 1
    if linked_by_sha256:
        search_id = int(by_sha[0]["id"])
    if progress:
        progress("parse", 0, 1)
    result = formats.read_bytes_as(data, file=p.name, format=format, column_map=column_map)
    report = result.report
    total = len(result.records)
    if progress:
        progress("parse", 1, 1)
    if expected_records is not None and total != expected_records:
        raise StateError(
            f"{p.name} now reads as {total:,} records, not the {expected_records:,} that were "
            "shown; nothing was imported",
            hint="Look at the parse report again and confirm the count it shows.",
        )
    done = 0

    def on_chunk(n: int) -> None:
        nonlocal done
        done += n
        if progress:
            progress("store", done, total)

    with project.db.transaction() as conn:
        _check_not_imported(conn, sha256, file=p.name, force=force, search_id=search_id)
        import_id = queries.insert_import(
            conn,
            values={
                "search_id": search_id,
                "file_name": p.name,
                "file_sha256": sha256,
                "format": report.format,
                "encoding": report.encoding,
                "records_read": total,
                "warnings": [{"line": w.line, "message": w.message} for w in report.warnings],
                "forced": force,
            },
        )
        queries.insert_records(conn, import_id=import_id, items=result.records, on_chunk=on_chunk)
    return ImportResult(
        import_id=import_id,
        file=p.name,
        format=report.format,
        encoding=report.encoding,
        sha256=sha256,
        records=total,
        search_id=search_id,
        warnings=list(report.warnings),
        linked_by_sha256=linked_by_sha256,
        notices=notices,
    )


def _check_not_imported(
    conn: object, sha256: str, *, file: str, force: bool, search_id: int | None
) -> None:
    if force:
        return
    earlier = queries.find_imports_by_sha256(conn, sha256)  # type: ignore[arg-type]
    if earlier:
        first = earlier[0]
        target = search_id if search_id is not None else "SEARCH_ID"
        link = f"reviewflow imports link {first['id']} --search {target}"
        if first["search_id"] is not None and first["search_id"] != search_id:
            link += " --replace"
        raise DuplicateImportError(
            f"{file} was already imported (import {first['id']}, as {first['file_name']}, "
            f"{first['records_read']} records); the same content is refused so records are "
            "not counted twice",
            hint=f"To link that import to its search: {link}\n"
            f"To take a mistaken import out: reviewflow imports remove {first['id']}\n"
            "Only to import the same records a second time (PRISMA then counts them twice), "
            "add --force.",
        )
