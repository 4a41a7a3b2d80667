"""The dedup review queue as a spreadsheet: export pairs, import the decisions.

Teams that decide pairs in Excel or Google Sheets fill the ``decision`` column with
``duplicate`` or ``not_duplicate`` (blank = undecided). The import checks every row
before it records anything, so a typo on row 40 leaves the project as it was.
"""

from __future__ import annotations

import csv
import io
from pathlib import Path

from ... import cells
from ...errors import InputError
from ...formats import decode_bytes, read_bytes
from ...project import Project
from ...records import Record
from . import project as dedup_project

COLUMNS = (
    "pair_id", "record_a", "record_b", "category", "rule", "uncertainty", "differs",
    "title_a", "title_b", "authors_a", "authors_b", "year_a", "year_b",
    "source_a", "source_b", "doi_a", "doi_b", "pages_a", "pages_b",
    "decision", "note",
)  # fmt: skip

_ALIASES = {"duplicate": True, "dup": True, "yes": True, "y": True,
            "not_duplicate": False, "not duplicate": False, "no": False, "n": False}  # fmt: skip


def _side(rec: Record, suffix: str) -> dict[str, str]:
    return {
        f"title_{suffix}": rec.title or "",
        f"authors_{suffix}": "; ".join(rec.authors),
        f"year_{suffix}": "" if rec.year is None else str(rec.year),
        f"source_{suffix}": rec.source_title or "",
        f"doi_{suffix}": rec.doi or "",
        f"pages_{suffix}": rec.pages or "",
    }


def export_queue(project: Project, path: str | Path) -> int:
    """Write the pending pairs, most uncertain first, with an empty decision column."""
    items = dedup_project.review_queue(project)
    with Path(path).open("w", encoding="utf-8-sig", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=COLUMNS)
        writer.writeheader()
        for item in items:
            row = {
                "pair_id": item.pair_id,
                "record_a": item.a.id,
                "record_b": item.b.id,
                "category": item.category,
                "rule": item.rule,
                "uncertainty": f"{item.uncertainty:.2f}",
                "differs": ", ".join(label for label, _, _ in item.differences()),
                "decision": "",
                "note": "",
            }
            row.update(_side(item.a, "a"))
            row.update(_side(item.b, "b"))
            writer.writerow(cells.escape_dict(row))
    return len(items)


def import_decisions(project: Project, path: str | Path, *, reviewer: str | None = None) -> int:
    """Record the filled-in decisions of a queue CSV; all rows or none."""
    p = Path(path)
    text, _ = decode_bytes(read_bytes(p), file=p.name)
    reader = csv.DictReader(io.StringIO(text))
    missing = {"record_a", "record_b", "decision"} - set(reader.fieldnames or ())
    if missing:
        raise InputError(
            f"{p.name}:1: missing column(s) {', '.join(sorted(missing))}",
            hint="Start from the file written by: reviewflow dedup export-queue FILE.csv",
        )
    items: list[tuple[int, int, bool, str | None]] = []
    for raw in reader:
        line = reader.line_num
        row = cells.unescape_dict(raw)
        decision = (row.get("decision") or "").strip().lower()
        if not decision:
            continue
        if decision not in _ALIASES:
            raise InputError(
                f"{p.name}:{line}: decision {row['decision']!r} is not 'duplicate' or "
                "'not_duplicate'",
                hint="Fix the cell (or leave it blank to decide later) and import again.",
            )
        try:
            a, b = int(row["record_a"]), int(row["record_b"])
        except (TypeError, ValueError):
            raise InputError(f"{p.name}:{line}: record_a and record_b must be record ids") from None
        items.append((a, b, _ALIASES[decision], (row.get("note") or "").strip() or None))
    try:
        return dedup_project.decide_pairs(project, items, reviewer=reviewer)
    except InputError as exc:
        raise InputError(f"{p.name}: {exc.message}", next=exc.next) from exc
