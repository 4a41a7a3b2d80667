"""Codings from outside tools: a CSV or a simple annotated text, so a team can code where
it is used to and bring the codes in; and the segments as a CSV sheet to code in.

CSV: one row per segment with ``segment_id`` (or ``study`` + ``key``, or ``study`` +
``text``), ``codes`` separated by ``;`` (or one ``code``), and optionally ``coder``.

Annotated text: ``# study: LABEL`` starts a study; every other non-empty line is a segment
text followed by its codes in braces, e.g. ``Trust grew slowly. {trust; relationship}``.
Unknown codes are created (with a create event naming the coder); unknown segments stop
the import with the file line, before anything is written.
"""

from __future__ import annotations

import csv
import io
import re
from pathlib import Path
from typing import Any

from ... import cells
from ...errors import InputError, ParseError, ReviewflowError
from ...formats.limits import read_sheet_text, sheet_reader
from ...project import Project
from ...store import synthesis_queries as sq
from .. import studies as studies_mod
from ..who import acting
from .codes import _apply, ensure_code

_ANNOTATED = re.compile(r"^(?P<text>.*?)\s*\{(?P<codes>[^{}]*)\}\s*$")


def segments_sheet(project: Project, *, study: int | None = None) -> str:
    """The in-scope segments as a CSV to code in a spreadsheet (fill the ``codes`` column)."""
    with project.db.connect() as conn:
        names = studies_mod.load(conn, project).labels()
        rows = [s for s in sq.list_segments(conn, study_id=study) if s["in_scope"]]
        rows = studies_mod.with_labels(rows, names)
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["segment_id", "study", "key", "page", "text", "codes"])
    for s in rows:
        row = [s["id"], s["study"], s["key"], s["page"] or "", s["text"], ""]
        writer.writerow(cells.escape_row(row))
    return out.getvalue()


def import_codings(
    project: Project, path: str | Path, *, reviewer: str | None = None
) -> dict[str, int]:
    """Apply the codings of a CSV or annotated text file, all or nothing. ``reviewer``
    (default: the session's actor) codes the rows that name no coder of their own."""
    coder = acting(reviewer, doing="coding the rows without a coder")
    path = Path(path)
    text = read_sheet_text(path)  # a regular file within the sheet caps, UTF-8
    with project.db.connect() as conn:
        segs = sq.list_segments(conn)
        studies = studies_mod.load(conn, project)
    parse = _parse_csv if path.suffix.lower() == ".csv" else _parse_annotated
    items = parse(text, str(path), segs, studies, coder)
    applied = 0
    with project.db.transaction() as conn:
        for _line, segment_id, code_names, who in items:
            for name in code_names:
                _apply(conn, segment_id, ensure_code(conn, name, reviewer=who), coder=who)
                applied += 1
    return {"segments": len(items), "applications": applied}


Item = tuple[int, int, list[str], str]


def _study_id(ref: str, studies: studies_mod.Studies, file: str, line: int) -> int:
    """An included study by id or label; an error at ``file:line`` otherwise."""
    try:
        return studies.require_included(ref, doing="coded").id
    except ReviewflowError as exc:
        raise ParseError(exc.message, file=file, line=line, next=exc.next) from None


def _find_segment(
    segs: list[dict[str, Any]], *, study: int, key: str | None, text: str | None
) -> int | None:
    for s in segs:
        if s["study_id"] != study:
            continue
        if (key and s["key"] == key) or (text and " ".join(s["text"].split()) == text):
            return int(s["id"])
    return None


def _parse_csv(
    text: str, file: str, segs: list[dict[str, Any]], studies: studies_mod.Studies, coder: str
) -> list[Item]:
    reader = sheet_reader(text, file=file)
    fields = set(reader.fieldnames or [])
    if not fields & {"codes", "code"}:
        raise ParseError("no 'codes' (or 'code') column", file=file, line=1)
    by_id = {s["id"] for s in segs}
    items: list[Item] = []
    for raw in reader:
        line = reader.line_num
        row = cells.unescape_dict(raw)
        names = [c.strip() for c in (row.get("codes") or row.get("code") or "").split(";")]
        names = [n for n in names if n]
        if not names:
            continue
        seg_id: int | None = None
        if (row.get("segment_id") or "").strip():
            seg_id = int(row["segment_id"]) if row["segment_id"].strip().isdigit() else None
            if seg_id is None or seg_id not in by_id:
                raise ParseError(f"no segment {row['segment_id']!r}", file=file, line=line)
        else:
            study = _study_id(row.get("study") or "", studies, file, line)
            body = " ".join((row.get("text") or "").split()) or None
            seg_id = _find_segment(segs, study=study, key=row.get("key") or None, text=body)
            if seg_id is None:
                raise ParseError("no segment with this key or text", file=file, line=line)
        items.append((line, seg_id, names, (row.get("coder") or "").strip() or coder))
    return items


def _parse_annotated(
    text: str, file: str, segs: list[dict[str, Any]], studies: studies_mod.Studies, coder: str
) -> list[Item]:
    items: list[Item] = []
    study: int | None = None
    for line_no, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        header = re.match(r"^#\s*study:\s*(.+)$", line.strip(), re.IGNORECASE)
        if header:
            study = _study_id(header.group(1), studies, file, line_no)
            continue
        match = _ANNOTATED.match(line)
        if not match:
            continue  # an uncoded line
        if study is None:
            raise ParseError("codes before any '# study: LABEL' line", file=file, line=line_no)
        body = " ".join(match.group("text").split())
        seg_id = _find_segment(segs, study=study, key=None, text=body)
        if seg_id is None:
            raise ParseError(
                f"no segment of this study reads {body[:60]!r}",
                file=file,
                line=line_no,
                hint="Copy segment texts from: reviewflow code segments --study ...",
            )
        names = [n.strip() for n in match.group("codes").split(";") if n.strip()]
        if not names:
            raise InputError(f"{file}:{line_no}: empty braces: name at least one code")
        items.append((line_no, seg_id, names, coder))
    return items
