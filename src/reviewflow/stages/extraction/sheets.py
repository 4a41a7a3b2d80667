"""Extraction through spreadsheets: an XLSX template per form, filled and read back.

The sheet itself (validation lists, per-cell errors) is :mod:`reviewflow.stages.extraction.xlsx`;
this module records what a sheet holds through the same events as
:mod:`.extract` — every row or none — so a sheet import and a typed extraction have one
history.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ...formats import limits
from ...project import Project
from ..screening.plan import check_reviewer
from ..who import acting
from . import xlsx
from .forms import Form, make_extraction
from .project import _form_and_text, _included, _load, _record, _register, _verify, form_in_use
from .verify import Comparison


def write_template(
    project: Project, path: str | Path, *, form_id: str | None = None, prefill: str | None = None
) -> Path:
    """An XLSX template of the form in use, one row per included study (Study ID = id);
    ``prefill`` copies that reviewer's answers in (a verifier's copy)."""
    form = form_in_use(project, form_id)
    answers: dict[str, Mapping[str, Any]] = {}
    with project.db.connect() as conn:
        studies = _included(conn, project)
        if prefill is not None:
            check_reviewer(project, prefill)
            for s in studies:
                ext = _load(conn, form, s).extractions.get((form.version, prefill))
                if ext is not None:
                    answers[str(s.id)] = ext.answers
    labels = {str(s.id): s.label for s in studies}
    return xlsx.write_template(form, labels, path, answers=answers)


@dataclass(frozen=True)
class SheetImport:
    """What an import recorded: studies with new answers, unchanged ones, empty rows."""

    file: str
    recorded: tuple[int, ...]
    unchanged: tuple[int, ...]
    empty: tuple[int, ...]


def _read_sheet(
    path: str | Path, form: Form, labels: dict[str, str], *, require_all_studies: bool
) -> dict[str, dict[str, Any]]:
    """The template's answers; a study whose row is left entirely empty is not an error
    (nobody extracted it in this sheet), a half-filled row missing a required cell is."""
    try:
        return xlsx.read_template(path, form, labels, require_all_studies=require_all_studies)
    except xlsx.SheetError as exc:
        errors = exc.errors
    ws = limits.load_workbook(path, read_only=True)[xlsx.SHEET]
    rows = limits.sheet_rows(ws, file=Path(path).name)
    values = (tuple(c.value for c in row) for row in rows)
    empty = {
        str(row[0]).strip()
        for i, row in enumerate(values, start=1)
        if i >= xlsx.FIRST_ROW
        and row
        and row[0] is not None
        and not any(v is not None and str(v).strip() for v in row[xlsx.FIRST_FIELD_COLUMN - 1 :])
    }
    left = [e for e in errors if not (e.study in empty and "required field" in e.expected)]
    if left:
        raise xlsx.SheetError(str(path), left)
    return xlsx.read_template(
        path, form, labels, require_complete=False, require_all_studies=require_all_studies
    )


def import_template(
    project: Project,
    path: str | Path,
    *,
    reviewer: str | None = None,
    form_id: str | None = None,
    pilot: bool = False,
    replace: bool = False,
    require_all_studies: bool = False,
) -> SheetImport:
    """Record a filled template as ``reviewer``'s extractions: every row or none."""
    reviewer = acting(reviewer, doing="extracting")
    check_reviewer(project, reviewer)
    form, text = _form_and_text(project, form_id)
    recorded: list[int] = []
    unchanged: list[int] = []
    empty: list[int] = []
    with project.db.transaction() as conn:
        studies = {str(s.id): s for s in _included(conn, project)}
        labels = {k: s.label for k, s in studies.items()}
        sheet = _read_sheet(path, form, labels, require_all_studies=require_all_studies)
        _register(conn, form, text)
        for sid, answers in sheet.items():
            if not answers:
                empty.append(int(sid))
                continue
            extraction = make_extraction(form, sid, reviewer, answers)
            changed = _record(conn, form, studies[sid], extraction, pilot=pilot,
                              replace=replace, source=Path(path).name)  # fmt: skip
            (recorded if changed else unchanged).append(int(sid))
    return SheetImport(str(path), tuple(recorded), tuple(unchanged), tuple(empty))


def verify_from_template(
    project: Project,
    path: str | Path,
    *,
    reviewer: str | None = None,
    of: str,
    form_id: str | None = None,
    replace: bool = False,
) -> dict[int, Comparison]:
    """A verifier's copy (``write_template(prefill=of)``) read back: every cell equal to the
    extraction is agreed, every changed cell is a proposal. All rows or none."""
    reviewer = acting(reviewer, doing="verifying this extraction")
    check_reviewer(project, reviewer)
    check_reviewer(project, of)
    form, text = _form_and_text(project, form_id)
    out = {}
    with project.db.transaction() as conn:
        studies = {str(s.id): s for s in _included(conn, project)}
        labels = {k: s.label for k, s in studies.items()}
        sheet = xlsx.read_template(path, form, labels, require_complete=False)
        _register(conn, form, text)
        for sid, answers in sheet.items():
            checks = {f.id: {"value": answers.get(f.id), "note": ""} for f in form.fields}
            out[int(sid)] = _verify(conn, form, studies[sid], reviewer, checks, of=of,
                                    replace=replace)  # fmt: skip
    return out
