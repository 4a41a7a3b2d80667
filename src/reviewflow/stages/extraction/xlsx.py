"""Spreadsheet round trip of an extraction form: a template per form, read back per cell.

Many teams extract in Excel. The template has one row per study and one column per
field, a help row saying what each column expects, the field's help as a cell comment,
drop-down lists (data validation) for choice fields, and a hidden sheet naming the form,
its version and the field id of each column, so a sheet filled for version 1 is never
read as version 2.

Reading is all-or-nothing: every cell is checked, and if any cell is wrong the reader
raises :class:`SheetError` listing *every* bad cell (``Extraction!D7``, study, field,
what was expected, what was found) and returns nothing, so an import never stores half
a sheet. openpyxl does the file work; only the layout and checks are ours.
"""

from __future__ import annotations

import zipfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from openpyxl import Workbook
from openpyxl.comments import Comment
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.datavalidation import DataValidation

from reviewflow import cells
from reviewflow.errors import InputError
from reviewflow.stages.extraction.forms import Form
from reviewflow.stages.extraction.values import (
    NOT_REPORTED_TEXT,
    YES_NO_UNCLEAR,
    FieldValueError,
    coerce,
    expected_text,
    format_value,
)

SHEET = "Extraction"
META_SHEET = "_form"
LISTS_SHEET = "_lists"
HEADER_ROW, HELP_ROW, FIRST_ROW = 1, 2, 3
FIRST_FIELD_COLUMN = 3  # A = study id, B = citation
_MARKER = "reviewflow extraction template"


@dataclass(frozen=True)
class CellError:
    """One bad cell: where, which study and field, what was expected, what was found."""

    cell: str
    study: str | None
    field: str | None
    expected: str
    got: Any = None

    def __str__(self) -> str:
        where = ", ".join(x for x in (self.study and f"study {self.study}", self.field) if x)
        found = "" if self.got is None else f", got {self.got!r}"
        return f"{self.cell}{f' ({where})' if where else ''}: expected {self.expected}{found}"


class SheetError(InputError):
    """A filled template with bad cells; ``errors`` lists every one of them."""

    def __init__(self, path: str, errors: list[CellError]) -> None:
        shown = "\n".join(f"  {e}" for e in errors[:30])
        more = f"\n  ... and {len(errors) - 30} more" if len(errors) > 30 else ""
        super().__init__(
            f"{path}: {len(errors)} cell(s) cannot be imported; nothing was imported:\n"
            f"{shown}{more}",
            hint="Correct the cells listed and import the file again.",
        )
        self.errors = errors


def _study_labels(studies: Mapping[str, str] | Sequence[str]) -> dict[str, str]:
    if isinstance(studies, Mapping):
        return {str(k): str(v) for k, v in studies.items()}
    return {str(s): "" for s in studies}


def _choice_list(form: Form, field_id: str) -> list[str]:
    fld = form.field(field_id)
    options = list(YES_NO_UNCLEAR) if fld.type == "yes_no_unclear" else list(fld.choices)
    return options + ([NOT_REPORTED_TEXT] if fld.allow_not_reported else [])


def write_template(
    form: Form,
    studies: Mapping[str, str] | Sequence[str],
    path: str | Path,
    *,
    answers: Mapping[str, Mapping[str, Any]] | None = None,
) -> Path:
    """Write an XLSX template for ``form``: one row per study (id → citation label).

    ``answers`` (study → canonical answers) pre-fills cells, e.g. for a verifier's copy.
    """
    labels = _study_labels(studies)
    wb = Workbook()
    ws = wb.active
    ws.title = SHEET
    lists = wb.create_sheet(LISTS_SHEET)
    meta = wb.create_sheet(META_SHEET)
    lists.sheet_state = meta.sheet_state = "hidden"
    meta.append(["marker", _MARKER])
    meta.append(["form_id", form.id])
    meta.append(["form_version", form.version])
    meta.append(["column", "field_id"])

    bold, help_font = Font(bold=True), Font(italic=True, color="666666")
    ws.cell(HEADER_ROW, 1, "Study ID").font = bold
    ws.cell(HEADER_ROW, 2, "Citation").font = bold
    ws.cell(HELP_ROW, 1, "do not edit").font = help_font
    ws.cell(HELP_ROW, 2, f"{form.name} (v{form.version})").font = help_font
    list_col = 0
    for offset, fld in enumerate(form.fields):
        col = FIRST_FIELD_COLUMN + offset
        letter = get_column_letter(col)
        meta.append([letter, fld.id])
        head = ws.cell(HEADER_ROW, col, fld.label + (" *" if fld.required else ""))
        head.font = bold
        comment = f"{fld.help}\n\nExpects {expected_text(fld)}."
        if fld.allow_not_reported:
            comment += f" '{NOT_REPORTED_TEXT}' when the study does not say."
        head.comment = Comment(comment.strip(), "reviewflow", width=300, height=150)
        ws.cell(HELP_ROW, col, expected_text(fld)).font = help_font
        ws.cell(HELP_ROW, col).alignment = Alignment(wrap_text=True, vertical="top")
        ws.column_dimensions[letter].width = 40 if fld.type in ("long_text", "repeated") else 22
        if fld.type in ("single_choice", "yes_no_unclear"):
            list_col += 1
            options = _choice_list(form, fld.id)
            list_letter = get_column_letter(list_col)
            for row, option in enumerate(options, 1):
                lists.cell(row, list_col, option)
            validation = DataValidation(
                type="list",
                formula1=f"'{LISTS_SHEET}'!${list_letter}$1:${list_letter}${len(options)}",
                allow_blank=True,
                showErrorMessage=True,
                errorTitle=fld.label,
                error=f"Choose one of the listed values ({expected_text(fld)}).",
            )
            ws.add_data_validation(validation)
            last = FIRST_ROW + max(len(labels), 1) - 1
            validation.add(f"{letter}{FIRST_ROW}:{letter}{last}")
    fill = PatternFill("solid", fgColor="EEEEEE")
    for row, (study, citation) in enumerate(labels.items(), FIRST_ROW):
        ws.cell(row, 1, study).fill = fill
        ws.cell(row, 2, citation).fill = fill
        for offset, fld in enumerate(form.fields):
            value = (answers or {}).get(study, {}).get(fld.id)
            if value is not None:
                text = format_value(fld, value)
                is_number = fld.type in ("integer", "number", "percentage")
                cell_value = value if is_number and isinstance(value, int | float) else text
                ws.cell(row, FIRST_FIELD_COLUMN + offset, cell_value)
    ws.column_dimensions["A"].width, ws.column_dimensions["B"].width = 18, 30
    ws.freeze_panes = ws.cell(FIRST_ROW, FIRST_FIELD_COLUMN)
    for sheet in wb.worksheets:  # a citation "=HYPERLINK(...)" is text, never a formula
        for row_cells in sheet.iter_rows():
            for cell in row_cells:
                cells.xlsx_text(cell)
    path = Path(path)
    wb.save(path)
    return path


def _read_meta(wb: Any, form: Form) -> tuple[list[CellError], dict[int, str]]:
    if SHEET not in wb.sheetnames or META_SHEET not in wb.sheetnames:
        return [CellError(f"{META_SHEET}!A1", None, None, "a reviewflow extraction template")], {}
    meta = {row[0]: row[1] for row in wb[META_SHEET].iter_rows(values_only=True) if row[0]}
    if meta.get("marker") != _MARKER:
        return [CellError(f"{META_SHEET}!B1", None, None, "a reviewflow extraction template")], {}
    errors = []
    if meta.get("form_id") != form.id:
        errors.append(
            CellError(f"{META_SHEET}!B2", None, None, f"form {form.id}", meta.get("form_id"))
        )
    if meta.get("form_version") != form.version:
        errors.append(
            CellError(
                f"{META_SHEET}!B3",
                None,
                None,
                f"form version {form.version} (write a new template or migrate)",
                meta.get("form_version"),
            )
        )
    columns: dict[int, str] = {}
    for row in wb[META_SHEET].iter_rows(min_row=5, values_only=True):
        if row[0] and row[1]:
            try:
                columns[_column_index(str(row[0]))] = str(row[1])
            except ValueError:
                errors.append(CellError(f"{META_SHEET}!A", None, None, "a column letter", row[0]))
    unknown = [fid for fid in columns.values() if not form.has_field(fid)]
    for fid in unknown:
        errors.append(CellError(f"{META_SHEET}!B", None, fid, f"a field of {form.id}"))
    return errors, columns


def _column_index(letter: str) -> int:
    from openpyxl.utils import column_index_from_string

    return column_index_from_string(letter)


def read_template(
    path: str | Path,
    form: Form,
    studies: Mapping[str, str] | Sequence[str],
    *,
    require_complete: bool = True,
    require_all_studies: bool = False,
) -> dict[str, dict[str, Any]]:
    """Read a filled template: study → canonical answers, or SheetError listing every bad cell.

    A row with data but no study id, an unknown or repeated study id, a value that does not
    fit its field, and (with ``require_complete``) an empty required field are all errors;
    with ``require_all_studies`` so is a known study that has no row.
    """
    from ...formats import limits

    path = Path(path)
    try:
        wb = limits.load_workbook(path)  # regular file, size and ZIP-bomb checks first
    except (OSError, ValueError, KeyError, zipfile.BadZipFile) as exc:
        raise InputError(f"cannot read {path} as XLSX: {exc}") from None
    errors, columns = _read_meta(wb, form)
    if errors:
        raise SheetError(str(path), errors)
    ws = wb[SHEET]
    limits.check_sheet_size(ws, file=path.name)  # before walking range(ws.max_row)
    for col, fid in columns.items():
        want = form.field(fid).label
        got = ws.cell(HEADER_ROW, col).value
        if str(got or "").removesuffix(" *").strip() != want:
            errors.append(
                CellError(
                    f"{SHEET}!{get_column_letter(col)}{HEADER_ROW}",
                    None,
                    fid,
                    f"the column header {want!r}",
                    got,
                )
            )
    known = _study_labels(studies)
    out: dict[str, dict[str, Any]] = {}
    for row in range(FIRST_ROW, ws.max_row + 1):
        study_cell = ws.cell(row, 1).value
        study = str(study_cell).strip() if study_cell is not None else ""
        cells = {fid: ws.cell(row, col).value for col, fid in columns.items()}
        if not study:
            if any(v is not None and str(v).strip() for v in cells.values()):
                errors.append(CellError(f"{SHEET}!A{row}", None, None, "a study id (row has data)"))
            continue
        if study not in known:
            errors.append(
                CellError(f"{SHEET}!A{row}", study, None, "a study id of this project", study)
            )
            continue
        if study in out:
            errors.append(CellError(f"{SHEET}!A{row}", study, None, "each study once", study))
            continue
        answers: dict[str, Any] = {}
        for col, fid in columns.items():
            fld, raw = form.field(fid), cells[fid]
            ref = f"{SHEET}!{get_column_letter(col)}{row}"
            if raw is not None and not isinstance(raw, str | int | float | bool):
                errors.append(CellError(ref, study, fid, expected_text(fld), str(raw)))
                continue
            try:
                value = coerce(fld, raw)
            except FieldValueError as exc:
                errors.append(CellError(ref, study, fid, exc.expected, raw))
                continue
            if value is None:
                if require_complete and fld.required:
                    errors.append(CellError(ref, study, fid, "an answer (required field)"))
                continue
            answers[fid] = value
        out[study] = answers
    if require_all_studies:
        for study in known:
            if study not in out and not any(e.study == study for e in errors):
                errors.append(CellError(f"{SHEET}!A", study, None, "a row for this study"))
    if errors:
        raise SheetError(str(path), errors)
    return out
