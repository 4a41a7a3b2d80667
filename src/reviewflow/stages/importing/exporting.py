"""Write the project's records back out as RIS or CSV (lossless round trip with import)."""

from __future__ import annotations

from pathlib import Path

from ...errors import InputError
from ...project import Project
from ...records import Record
from ...store import queries

EXPORT_FORMATS = ("ris", "csv")


def records(project: Project, *, import_id: int | None = None) -> list[Record]:
    with project.db.connect() as conn:
        return list(queries.iter_records(conn, import_id=import_id))


def run(
    project: Project, path: str | Path, *, format: str | None = None, import_id: int | None = None
) -> int:
    """Write records to ``path``; the format follows ``format`` or the file extension."""
    from ...formats import ris, tabular

    p = Path(path)
    fmt = format or p.suffix.lower().lstrip(".")
    if fmt not in EXPORT_FORMATS:
        raise InputError(
            f"cannot export to {fmt or 'a file without extension'!r}",
            hint="Use --format ris or --format csv (or a .ris/.csv file name).",
        )
    items = records(project, import_id=import_id)
    text = ris.dumps(items) if fmt == "ris" else tabular.dumps(items)
    p.write_text(text, encoding="utf-8", newline="")
    return len(items)
