"""The search log (PRISMA-S): one entry per database search or other identification method.

PRISMA-S asks for the database and platform, what was searched together, the date, the
exact query, limits, and records returned; other methods (citation searching, hand
searching, websites, organisations, contacts) are logged the same way so the PRISMA
diagram can show them in their own column.
"""

from __future__ import annotations

import hashlib
from dataclasses import asdict, dataclass
from datetime import date
from pathlib import Path
from typing import Any

from ...errors import InputError, NotFoundError
from ...project import Project
from ...store import queries

#: Identification methods; "database" and "register" feed the left PRISMA column.
METHODS: tuple[str, ...] = (
    "database",
    "register",
    "citation searching",
    "hand searching",
    "websites",
    "organisations",
    "contacts",
    "other",
)


@dataclass
class SearchEntry:
    """What a searcher writes into the log for one run."""

    source: str
    method: str = "database"
    platform: str | None = None
    searched_with: str | None = None
    date_searched: str | None = None
    searcher: str | None = None
    query: str | None = None
    limits: str | None = None
    records_returned: int | None = None
    file_name: str | None = None
    file_format: str | None = None
    file_sha256: str | None = None
    update_of: int | None = None
    notes: str | None = None


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


#: The fields a person types into the log (the sha256 comes from the file, never typed).
EDITABLE: tuple[str, ...] = (
    "source",
    "method",
    "platform",
    "searched_with",
    "date_searched",
    "searcher",
    "query",
    "limits",
    "records_returned",
    "file_name",
    "file_format",
    "update_of",
    "notes",
)


def problems(entry: SearchEntry) -> dict[str, InputError]:
    """Every field that cannot be logged as written, with what is allowed (a form shows
    each beside its field; :func:`validate` raises the first)."""
    out: dict[str, InputError] = {}
    if not entry.source.strip():
        out["source"] = InputError("a search needs the name of the database or source")
    if entry.method not in METHODS:
        out["method"] = InputError(
            f"unknown identification method {entry.method!r}",
            hint="Use one of: " + ", ".join(METHODS) + ".",
        )
    if entry.date_searched:
        try:
            date.fromisoformat(entry.date_searched)
        except ValueError:
            out["date_searched"] = InputError(
                f"date searched {entry.date_searched!r} is not a date",
                hint="Write it as YYYY-MM-DD, e.g. 2022-03-21.",
            )
    if entry.records_returned is not None and entry.records_returned < 0:
        out["records_returned"] = InputError("records returned cannot be negative")
    return out


def validate(entry: SearchEntry) -> SearchEntry:
    """Check an entry before it is logged; errors say which field and what is allowed."""
    found = problems(entry)
    if "source" in found:
        raise InputError("a search needs the name of the database or source (--database)")
    for exc in found.values():
        raise exc
    return entry


def add(project: Project, entry: SearchEntry, *, export_file: Path | None = None) -> int:
    """Log a search; with ``export_file`` its name and sha256 are recorded too."""
    validate(entry)
    if export_file is not None:
        if not export_file.is_file():
            raise InputError(f"{export_file}: no such file")
        entry.file_name = entry.file_name or export_file.name
        entry.file_sha256 = sha256_file(export_file)
    with project.db.transaction() as conn:
        if entry.update_of is not None and queries.get_search(conn, entry.update_of) is None:
            raise NotFoundError(
                f"search {entry.update_of} does not exist, so this cannot be an update of it",
                hint="List the searches with: reviewflow search list",
            )
        return queries.insert_search(conn, values=asdict(entry))


def list_all(project: Project) -> list[dict[str, Any]]:
    with project.db.connect() as conn:
        return queries.list_searches(conn)


def update(project: Project, search_id: int, entry: SearchEntry) -> dict[str, Any]:
    """Correct a logged search (a typo in the query, the records returned read later).

    Only the fields a person types change (:data:`EDITABLE`): the file's sha256 stays the
    one recorded from the file itself, and the row keeps who logged it and when.
    """
    validate(entry)
    if entry.update_of == search_id:
        raise InputError(
            f"search {search_id} cannot be an update of itself",
            hint="Choose the earlier search it repeats, or none.",
        )
    with project.db.transaction() as conn:
        if queries.get_search(conn, search_id) is None:
            raise NotFoundError(
                f"there is no search {search_id}",
                hint="List the searches with: reviewflow search list",
            )
        if entry.update_of is not None and queries.get_search(conn, entry.update_of) is None:
            raise NotFoundError(
                f"search {entry.update_of} does not exist, so this cannot be an update of it",
                hint="List the searches with: reviewflow search list",
            )
        values = asdict(entry)
        queries.update_search(conn, search_id, values={k: values[k] for k in EDITABLE})
        row = queries.get_search(conn, search_id)
    assert row is not None
    return row


def record_export_file(
    project: Project, search_id: int, *, file_name: str, sha256: str, file_format: str
) -> bool:
    """Note the imported file on a search that has none logged yet (PRISMA-S asks for the
    exported file's name, format and checksum). A search whose file is logged already is
    left as it is; returns whether anything was written."""
    with project.db.transaction() as conn:
        row = queries.get_search(conn, search_id)
        if row is None or row["file_sha256"]:
            return False
        queries.update_search(
            conn,
            search_id,
            values={
                "file_name": row["file_name"] or file_name,
                "file_format": row["file_format"] or file_format,
                "file_sha256": sha256,
            },
        )
    return True


def get(project: Project, search_id: int) -> dict[str, Any]:
    with project.db.connect() as conn:
        row = queries.get_search(conn, search_id)
    if row is None:
        raise NotFoundError(
            f"there is no search {search_id}", hint="List the searches with: reviewflow search list"
        )
    return row


def link_imported_file(project: Project, search_id: int) -> list[str]:
    """When the search's exported file was imported before it was logged, link that import.

    Returns what was done, in words; empty when the file was not imported yet (the next
    step is then ``reviewflow import FILE --search ID``). An import already linked to
    another search is left alone: the message names the command that moves it.
    """
    from ..importing import changes as imports

    search = get(project, search_id)
    if not search["file_sha256"]:
        return []
    with project.db.connect() as conn:
        found = queries.find_imports_by_sha256(conn, search["file_sha256"])
    unlinked = [i for i in found if i["search_id"] is None]
    if len(unlinked) == 1 and len(found) == 1:
        imp = unlinked[0]
        imports.link(project, imp["id"], search_id=search_id)
        return [
            f"{search['file_name']} was imported earlier as import {imp['id']} "
            f"({imp['records_read']:,} records); it is now linked to this search."
        ]
    return [
        f"{search['file_name']} was imported earlier as import {i['id']}"
        + ("" if i["search_id"] is None else f", linked to search {i['search_id']}")
        + f"; to link it here: reviewflow imports link {i['id']} --search {search_id}"
        + ("" if i["search_id"] is None else " --replace")
        for i in found
        if i["search_id"] != search_id
    ]
