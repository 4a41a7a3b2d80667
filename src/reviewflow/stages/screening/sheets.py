"""Screening in spreadsheets: export a reviewer's sheet, import the filled-in sheet.

Teams that screen in Excel or Google Sheets get one CSV per reviewer holding only that
reviewer's items and own earlier votes (blind). Importing checks the header and every row
first; a wrong column, an unknown reviewer, an item not assigned or a reason not in the
list raises with ``file:line`` and records nothing. Rows with an empty decision are
skipped; rows equal to the reviewer's current vote add no event, so re-importing the same
sheet changes nothing.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from pathlib import Path

from ... import cells
from ...errors import InputError
from ...formats.limits import read_sheet_text, sheet_reader
from ...project import Project
from ...store import screening_queries as sq
from ..who import acting
from .decisions import Decision, record
from .plan import check_reviewer, check_stage
from .state import load_state

REQUIRED = ("item_id", "reviewer", "decision")
OPTIONAL = ("stage", "reason", "note")
EXPORT_COLUMNS = (
    "stage",
    "item_id",
    "reviewer",
    "title",
    "authors",
    "year",
    "abstract",
    "decision",
    "reason",
    "note",
)
_SHORT = {"i": "include", "e": "exclude", "m": "maybe"}


@dataclass(frozen=True)
class SheetImport:
    file: str
    rows: int
    recorded: int
    unchanged: int
    blank: int

    def to_dict(self) -> dict[str, object]:
        return {
            "file": self.file,
            "rows": self.rows,
            "recorded": self.recorded,
            "unchanged": self.unchanged,
            "blank": self.blank,
        }


def export_sheet(project: Project, *, stage: str, reviewer: str | None = None) -> str:
    """CSV text of ``reviewer``'s items at ``stage`` with their own current votes only."""
    reviewer = acting(reviewer, doing="exporting their sheet")
    check_stage(stage)
    check_reviewer(project, reviewer)
    with project.db.connect() as conn:
        state = load_state(conn, project, stage)
        mine = [
            i
            for i in state.items
            if reviewer in state.assigned[i] or reviewer == state.plan.arbiter
        ]
        if reviewer == state.plan.arbiter:
            mine = [i for i in mine if state.results[i] == "conflict" or i in state.arbiter]
        record_of = _record_ids(conn, stage, mine)
        texts = sq.record_texts(conn, record_of.values())
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(EXPORT_COLUMNS)
    for item in mine:
        text = texts.get(record_of.get(item, -1), {})
        own = state.arbiter.get(item) if reviewer == state.plan.arbiter else None
        own = own or state.votes.get(item, {}).get(reviewer)
        authors = "; ".join(text.get("authors") or [])
        writer.writerow(
            cells.escape_row(
                [
                    stage,
                    item,
                    reviewer,
                    text.get("title") or "",
                    authors,
                    text.get("year") or "",
                    text.get("abstract") or "",
                    own.decision if own else "",
                    (own.reason or "") if own else "",
                    (own.note or "") if own else "",
                ]
            )
        )
    return buf.getvalue()


def _record_ids(conn: object, stage: str, items: list[int]) -> dict[int, int]:
    if stage == "ta":
        return {i: i for i in items}
    wanted = set(items)
    return {
        r["id"]: r["record_id"]
        for r in sq.list_reports(conn)  # type: ignore[arg-type]
        if r["id"] in wanted and r["record_id"] is not None
    }


def import_sheet(project: Project, path: str | Path, *, stage: str | None = None) -> SheetImport:
    """Record the decisions of a filled-in sheet, all or nothing."""
    p = Path(path)
    text = read_sheet_text(p)  # a regular file within the sheet caps, UTF-8
    reader = sheet_reader(text, file=p.name)
    header = [h.strip().lower() for h in reader.fieldnames or []]
    missing = [c for c in REQUIRED if c not in header]
    if "stage" not in header and stage is None:
        missing.append("stage (or pass --stage)")
    if missing:
        raise InputError(
            f"{p.name}:1: missing column(s) {', '.join(missing)} (found: "
            f"{', '.join(header) or 'none'})",
            hint="Start from a sheet made by: reviewflow screen export --stage ta --reviewer MC",
        )
    wanted: list[Decision] = []
    blank = rows = 0
    for raw in reader:
        line = reader.line_num
        if None in raw:
            raise InputError(
                f"{p.name}:{line}: more cells than the header has columns",
                hint="A cell holding a comma must be quoted; save the sheet as CSV again.",
            )
        row = {k.strip().lower(): cells.unescape((v or "").strip()) for k, v in raw.items()}
        rows += 1
        if not row.get("decision"):
            blank += 1
            continue
        wanted.append(_decision(row, stage=stage, where=f"{p.name}:{line}"))
    recorded = len(record(project, wanted, skip_unchanged=True))
    return SheetImport(
        file=p.name, rows=rows, recorded=recorded, unchanged=len(wanted) - recorded, blank=blank
    )


def _decision(row: dict[str, str], *, stage: str | None, where: str) -> Decision:
    try:
        item_id = int(row["item_id"])
    except ValueError:
        raise InputError(f"{where}: item_id {row['item_id']!r} is not a number") from None
    decision = row["decision"].lower()
    return Decision(
        stage=(row.get("stage") or stage or "").lower(),
        item_id=item_id,
        reviewer=row["reviewer"],
        decision=_SHORT.get(decision, decision),
        reason=row.get("reason") or None,
        note=row.get("note") or None,
        where=where,
    )
