"""Data extraction in the browser: overview, the form per study, pilot, verification,
discrepancies and the XLSX round trip; JSON twins under /api/.

Every page calls what ``reviewflow extract`` calls (:mod:`reviewflow.stages.extraction`:
``record_extraction``, ``verify``, ``resolve``, ``pilot_report`` through
:func:`~reviewflow.stages.extraction.board.pilot_view`, the sheets' ``write_template`` /
``import_template`` / ``verify_from_template``). The form is the project's form file
rendered field by field, one input per field type; answers are checked by the core
(:func:`~reviewflow.stages.extraction.forms.check_answers` through ``record_extraction``)
and a refused form comes back with each message beside its field and everything typed
kept. Reviewers see only their own answers on the form (pilot extractions are
independent); the verification page is where a second reviewer sees the first's.

Field names posted by the pages: ``f_ID`` (``p_ID`` for a verifier's proposal, ``r_ID``
for a resolution's value), several ``f_ID`` for a multiple choice, ``f_ID_label`` /
``f_ID_count`` pairs for repeated rows, ``f_ID_nr`` for "Not reported", ``f_ID_note``.
"""

from __future__ import annotations

import tempfile
from itertools import zip_longest
from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, Depends, File, Form, Request, UploadFile
from fastapi.responses import RedirectResponse, Response
from pydantic import BaseModel
from starlette.datastructures import FormData

from ...errors import InputError, ReviewflowError
from ...formats.limits import SHEET, max_bytes
from ...stages.extraction import board as xboard
from ...stages.extraction import project as extract
from ...stages.extraction.forms import AnswerProblem, AnswersError, Field, check_answers
from ...stages.extraction.forms import Form as XForm
from ...stages.extraction.values import (
    NOT_REPORTED,
    NOT_REPORTED_TEXT,
    YES_NO_UNCLEAR,
    expected_text,
    format_value,
    is_empty,
)
from ..failures import status_of
from ..render import page
from ..rules import MEMBER, REVIEWER, Ctx, Guard

router = APIRouter()
Member = Annotated[Ctx, Depends(Guard(MEMBER))]
Reviewer = Annotated[Ctx, Depends(Guard(REVIEWER))]

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
#: Choice-like fields offer "Not reported" as one of their options, others as a tick box.
CHOICE_TYPES = ("single_choice", "yes_no_unclear")
#: What a page says after a change (fixed texts: nothing typed is echoed from the URL).
DONE = {
    "saved": "Your answers are saved.",
    "verified": "Your verification is recorded.",
    "resolved": "The resolution is recorded.",
}
STATUS_TEXT = {
    "not extracted": "not extracted",
    "pilot": "pilot",
    "extracted": "awaiting verification",
    "discrepancies": "discrepancies open",
    "final": "verified",
}
BOTH = "Tick “Not reported” or give a value, not both."
VERDICT = "Confirm or dispute this field."


async def posted(request: Request) -> FormData:
    """The posted form, parsed once (the CSRF check may have read it already)."""
    return await request.form()


Posted = Annotated[FormData, Depends(posted)]


# -- values as the pages show and take them ---------------------------------------------


def shown(form: XForm, field_id: str, value: Any) -> str:
    """A canonical answer as a reviewer reads it ("—" for no answer)."""
    if value is None:
        return "—"
    return format_value(form.field(field_id), value)


def options(field: Field) -> list[str]:
    """The radio options of a choice-like field, "Not reported" last where allowed."""
    base = list(YES_NO_UNCLEAR) if field.type == "yes_no_unclear" else list(field.choices)
    return base + ([NOT_REPORTED_TEXT] if field.allow_not_reported else [])


def blank() -> dict[str, Any]:
    return {"value": "", "values": [], "rows": [], "nr": False, "note": ""}


def state_of(field: Field, value: Any, note: str = "") -> dict[str, Any]:
    """What an input shows for a canonical answer."""
    st = blank() | {"note": note}
    if value is None:
        return st
    if value is NOT_REPORTED:
        if field.type in CHOICE_TYPES:
            st["value"] = NOT_REPORTED_TEXT
        else:
            st["nr"] = True
    elif field.type == "multiple_choice":
        st["values"] = list(value)
    elif field.type == "repeated":
        st["rows"] = [(row.label, str(row.count)) for row in value]
    else:
        st["value"] = format_value(field, value)
    return st


def states_of(form: XForm, answers: dict[str, Any], notes: dict[str, str]) -> dict[str, Any]:
    return {f.id: state_of(f, answers.get(f.id), notes.get(f.id, "")) for f in form.fields}


def read_field(field: Field, data: FormData, prefix: str) -> tuple[Any, dict[str, Any], bool]:
    """(raw answer for the core, what the input shows again, "both value and Not
    reported" given) for one field of a posted form."""
    name = prefix + field.id
    st = blank()
    st["nr"] = data.get(name + "_nr") == "1"
    st["note"] = str(data.get(name + "_note") or "").strip()
    raw: Any
    if field.type == "multiple_choice":
        st["values"] = [str(v) for v in data.getlist(name)]
        raw = list(st["values"])
    elif field.type == "repeated":
        labels = [str(v) for v in data.getlist(name + "_label")]
        counts = [str(v) for v in data.getlist(name + "_count")]
        rows = [(a.strip(), b.strip()) for a, b in zip_longest(labels, counts, fillvalue="")]
        st["rows"] = [r for r in rows if r[0] or r[1]]
        raw = list(st["rows"])
    else:
        st["value"] = str(data.get(name) or "")
        raw = st["value"]
    both = st["nr"] and not is_empty(raw)
    if st["nr"]:
        raw = NOT_REPORTED_TEXT
    return raw, st, both


def read_answers(
    form: XForm, data: FormData, prefix: str = "f_"
) -> tuple[dict[str, Any], dict[str, str], dict[str, Any], dict[str, str]]:
    """(answers, notes, input states, per-field errors the page itself finds)."""
    answers, notes, states, errors = {}, {}, {}, {}
    for fld in form.fields:
        raw, st, both = read_field(fld, data, prefix)
        states[fld.id] = st
        answers[fld.id] = raw
        if st["note"]:
            notes[fld.id] = st["note"]
        if both:
            errors[fld.id] = BOTH
    return answers, notes, states, errors


def problem_text(problem: AnswerProblem) -> str:
    """The core's problem as the sentence shown beside its field."""
    if problem.got is None:
        return f"Expected {problem.expected}."
    got = problem.got
    if isinstance(got, list):
        got = "; ".join(" = ".join(x) if isinstance(x, tuple) else str(x) for x in got)
    return f"Expected {problem.expected}; got “{got}”."


def problems_json(problems: list[AnswerProblem]) -> list[dict[str, Any]]:
    return [{"field": p.field, "expected": p.expected, "got": _jsonable(p.got)} for p in problems]


def _jsonable(value: Any) -> Any:
    if value is NOT_REPORTED:
        return NOT_REPORTED_TEXT
    if isinstance(value, tuple):
        return [_jsonable(v) for v in value]
    return value


def answers_json(form: XForm, answers: dict[str, Any]) -> dict[str, str]:
    return extract.answers_text(form, answers)


# -- reading the project ----------------------------------------------------------------


def _form(ctx: Ctx) -> XForm:
    with ctx.session(write=False):
        return extract.form_in_use(ctx.need_project())


def overview_data(ctx: Ctx) -> dict[str, Any]:
    project = ctx.need_project()
    with ctx.session(write=False):
        form = extract.form_in_use(project)
        rows = xboard.board(project)
        piloted = xboard.pilot_reviewers(project)
    counts = {
        "included": len(rows),
        "extracted": sum(1 for r in rows if r.extraction.status != "not extracted"),
        "verified": sum(1 for r in rows if r.extraction.verifier),
        "open": sum(r.open for r in rows),
        "final": sum(1 for r in rows if r.extraction.status == "final"),
    }
    return {"form": form, "rows": rows, "counts": counts, "piloted": piloted}


def _row(ctx: Ctx, study_id: int) -> xboard.BoardRow:
    project = ctx.need_project()
    with ctx.session(write=False):
        extract.study_extraction(project, study_id)  # NotFoundError / not included first
        return next(r for r in xboard.board(project) if r.extraction.study_id == study_id)


def _can_act(ctx: Ctx) -> bool:
    roles = ctx.user.roles if ctx.user else frozenset()
    return bool(roles & {"owner", "reviewer"})


def study_data(ctx: Ctx, study_id: int) -> dict[str, Any]:
    """The study's status and history, and the signed-in reviewer's own answers."""
    project = ctx.need_project()
    row = _row(ctx, study_id)
    form = _form(ctx)
    mine = None
    if _can_act(ctx) and ctx.actor and project.settings.reviewer(ctx.actor) is not None:
        with ctx.session(write=False):
            mine = xboard.extraction_by(project, study_id, ctx.actor)
    # Others' values stay hidden from a reviewer until they have their own answers or
    # the study is verified: a pilot extraction is independent.
    others_visible = not _can_act(ctx) or mine is not None or row.extraction.verifier
    warnings = []
    if mine is not None:
        from ...stages.extraction import check_consistency

        warnings = check_consistency(form, dict(mine.extraction.answers))
    answers = dict(mine.extraction.answers) if mine else {}
    notes = dict(mine.extraction.notes) if mine else {}
    return {
        "form": form,
        "row": row,
        "x": row.extraction,
        "mine": mine,
        "states": states_of(form, answers, notes),
        "errors": {},
        "others_visible": bool(others_visible),
        "warnings": warnings,
        "pilot_checked": mine.pilot if mine else bool(row.pilot_by),
        "options": options,
        "shown": shown,
        "expected_text": expected_text,
        "status_text": STATUS_TEXT,
        "extra_rows": {},
    }


# -- overview and the form --------------------------------------------------------------


@router.get("/p/{slug}/extraction")
def overview_page(ctx: Member) -> Response:
    return page(ctx, "extraction.html", status_text=STATUS_TEXT, **overview_data(ctx))


@router.get("/p/{slug}/extraction/study/{study_id}")
def study_page(ctx: Member, study_id: int, done: str = "") -> Response:
    return page(
        ctx, "extraction_study.html", message=DONE.get(done, ""), **study_data(ctx, study_id)
    )


def save_answers(
    ctx: Ctx,
    study_id: int,
    answers: dict[str, Any],
    notes: dict[str, str],
    *,
    pilot: bool,
) -> Any:
    """Record the signed-in reviewer's answers; a second save is a correction (the
    earlier answers stay in the history), refused by the core once verified."""
    project = ctx.need_project()
    with ctx.session(write=True):
        before = xboard.extraction_by(project, study_id, ctx.actor or "")
        return extract.record_extraction(
            project,
            study_id,
            reviewer=ctx.actor,
            answers=answers,
            notes=notes,
            pilot=pilot,
            replace=before is not None,
        )


@router.post("/p/{slug}/extraction/study/{study_id}")
def study_form(ctx: Reviewer, study_id: int, data: Posted) -> Response:
    values = study_data(ctx, study_id)  # 404 for a study that is not there
    form = values["form"]
    answers, notes, states, errors = read_answers(form, data)
    more = str(data.get("more") or "")
    values.update(states=states, pilot_checked=data.get("pilot") == "1")
    if more:  # "More rows" without JavaScript: the same form, three more empty rows
        values["extra_rows"] = {more: 3}
        return page(ctx, "extraction_study.html", **values)
    error = ""
    status = 422
    if errors:  # what the page found, and every problem the core finds besides
        _, problems = check_answers(form, answers)
        errors |= {p.field: problem_text(p) for p in problems if p.field not in errors}
    else:
        try:
            save_answers(ctx, study_id, answers, notes, pilot=data.get("pilot") == "1")
        except AnswersError as exc:
            errors = {p.field: problem_text(p) for p in exc.problems}
        except ReviewflowError as exc:
            error = exc.message + (f" {exc.hint}" if exc.hint else "")
            status = status_of(exc)
        else:
            return RedirectResponse(
                ctx.href(f"/extraction/study/{study_id}?done=saved"), status_code=303
            )
    if errors:
        error = f"{len(errors)} answer(s) need correcting; nothing was saved."
    values.update(errors=errors, error=error)
    return page(ctx, "extraction_study.html", status_code=status, **values)


# -- verification -----------------------------------------------------------------------


def verify_data(ctx: Ctx, study_id: int, of: str | None) -> dict[str, Any]:
    project = ctx.need_project()
    row = _row(ctx, study_id)
    form = _form(ctx)
    me = ctx.actor or ""
    candidates = [r for r in row.extracted_by if r != me]
    chosen = of if of in row.extracted_by else None
    if chosen is None and row.extraction.extractor and row.extraction.extractor != me:
        chosen = row.extraction.extractor
    if chosen is None and len(candidates) == 1:
        chosen = candidates[0]
    theirs = None
    if chosen is not None:
        with ctx.session(write=False):
            theirs = xboard.extraction_by(project, study_id, chosen)
    extracted = dict(theirs.extraction.answers) if theirs else {}
    return {
        "form": form,
        "row": row,
        "x": row.extraction,
        "of": chosen,
        "theirs": theirs,
        "candidates": candidates,
        "me": me,
        "extracted": extracted,
        "notes": dict(theirs.extraction.notes) if theirs else {},
        "verdicts": {},
        "states": states_of(form, extracted, {}),
        "errors": {},
        "options": options,
        "shown": shown,
        "expected_text": expected_text,
        "status_text": STATUS_TEXT,
        "extra_rows": {},
    }


@router.get("/p/{slug}/extraction/study/{study_id}/verify")
def verify_page(ctx: Reviewer, study_id: int, of: str = "") -> Response:
    return page(ctx, "extraction_verify.html", **verify_data(ctx, study_id, of or None))


def read_verification(
    form: XForm, data: FormData
) -> tuple[dict[str, Any], dict[str, str], dict[str, Any], dict[str, str]]:
    """(checks for the core, verdicts, proposal input states, per-field errors)."""
    checks: dict[str, Any] = {}
    verdicts: dict[str, str] = {}
    states: dict[str, Any] = {}
    errors: dict[str, str] = {}
    proposals: dict[str, Any] = {}
    for fld in form.fields:
        verdict = str(data.get(f"v_{fld.id}") or "")
        raw, st, both = read_field(fld, data, "p_")
        states[fld.id] = st
        verdicts[fld.id] = verdict
        if verdict == "agree":
            checks[fld.id] = "agree"
        elif verdict == "dispute":
            proposals[fld.id] = raw
            checks[fld.id] = {"value": raw, "note": st["note"]}
            if both:
                errors[fld.id] = BOTH
        else:
            errors[fld.id] = VERDICT
    _, problems = xboard.check_proposals(form, proposals)
    for p in problems:
        errors.setdefault(p.field, problem_text(p))
    return checks, verdicts, states, errors


@router.post("/p/{slug}/extraction/study/{study_id}/verify")
def verify_form(ctx: Reviewer, study_id: int, data: Posted) -> Response:
    of = str(data.get("of") or "") or None
    values = verify_data(ctx, study_id, of)
    form = values["form"]
    checks, verdicts, states, errors = read_verification(form, data)
    more = str(data.get("more") or "")
    values.update(verdicts=verdicts, states=states)
    if more:
        values["extra_rows"] = {more: 3}
        return page(ctx, "extraction_verify.html", **values)
    error, status = "", 422
    if not errors:
        try:
            with ctx.session(write=True):
                extract.verify(
                    ctx.need_project(),
                    study_id,
                    reviewer=ctx.actor,
                    checks=checks,
                    of=values["of"],
                )
        except ReviewflowError as exc:
            error, status = exc.message + (f" {exc.hint}" if exc.hint else ""), status_of(exc)
        else:
            return RedirectResponse(
                ctx.href(f"/extraction/study/{study_id}?done=verified"), status_code=303
            )
    if errors:
        error = f"{len(errors)} field(s) need your attention; nothing was recorded."
    values.update(errors=errors, error=error)
    return page(ctx, "extraction_verify.html", status_code=status, **values)


# -- discrepancies ----------------------------------------------------------------------


def discrepancy_data(ctx: Ctx) -> dict[str, Any]:
    data = overview_data(ctx)
    form = data["form"]
    rows = [r for r in data["rows"] if r.discrepancies]
    return {
        "form": form,
        "rows": rows,
        "open": sum(r.open for r in rows),
        "states": {},
        "errors": {},
        "shown": shown,
        "options": options,
        "expected_text": expected_text,
        "extra_rows": {},
    }


@router.get("/p/{slug}/extraction/discrepancies")
def discrepancies_page(ctx: Member, done: str = "") -> Response:
    return page(
        ctx, "extraction_discrepancies.html", message=DONE.get(done, ""), **discrepancy_data(ctx)
    )


def _resolve(
    ctx: Ctx, study_id: int, field: str, action: str, value: Any, note: str
) -> extract.Resolved:
    kwargs: dict[str, Any] = {"notes": {field: note} if note else None}
    if action == "keep":
        kwargs["keep"] = [field]
    elif action == "accept":
        kwargs["accept"] = [field]
    elif action == "value":
        kwargs["values"] = {field: value}
    else:
        raise InputError(
            "choose how the discrepancy is resolved",
            hint="Keep the extracted value, accept the verifier's, or give the agreed value.",
        )
    with ctx.session(write=True):
        return extract.resolve(ctx.need_project(), study_id, reviewer=ctx.actor, **kwargs)


@router.post("/p/{slug}/extraction/study/{study_id}/resolve")
def resolve_form(ctx: Reviewer, study_id: int, data: Posted) -> Response:
    values = discrepancy_data(ctx)
    form = values["form"]
    fid = str(data.get("field") or "")
    action = str(data.get("action") or "")
    error, status = "", 422
    raw, st, both = (None, blank(), False)
    if form.has_field(fid):
        raw, st, both = read_field(form.field(fid), data, "r_")
    note = str(data.get("note") or "").strip()
    key = f"{study_id}:{fid}"
    if both and action == "value":
        values["errors"] = {key: BOTH}
    elif action == "value":
        _, problems = xboard.check_proposals(form, {fid: raw}) if form.has_field(fid) else ({}, [])
        if problems:
            values["errors"] = {key: problem_text(problems[0])}
    if not values["errors"]:
        try:
            _resolve(ctx, study_id, fid, action, raw, note)
        except ReviewflowError as exc:
            error, status = exc.message + (f" {exc.hint}" if exc.hint else ""), status_of(exc)
        else:
            return RedirectResponse(
                ctx.href("/extraction/discrepancies?done=resolved"), status_code=303
            )
    values["states"] = {key: st | {"note": note, "action": action}}
    return page(
        ctx,
        "extraction_discrepancies.html",
        status_code=status,
        error=error or "The resolution needs correcting; nothing was recorded.",
        **values,
    )


# -- pilot ------------------------------------------------------------------------------


def pilot_data(ctx: Ctx, a: str, b: str) -> dict[str, Any]:
    project = ctx.need_project()
    form = _form(ctx)
    with ctx.session(write=False):
        piloted = xboard.pilot_reviewers(project)
    known = {r.initials for r in project.settings.reviewers}
    first = a if a in known else (piloted[0] if piloted else "")
    second = b if b in known else next((r for r in piloted if r != first), "")
    view, message = None, ""
    if first and second and first != second:
        try:
            with ctx.session(write=False):
                view = xboard.pilot_view(project, reviewers=(first, second))
        except ReviewflowError as exc:
            message = exc.message + (f" {exc.hint}" if exc.hint else "")
    elif len(piloted) < 2:
        message = (
            "No pilot to compare yet: two reviewers each extract the same few studies "
            "with “This is a pilot extraction” ticked."
        )
    else:
        message = "Choose two different reviewers."
    return {
        "form": form,
        "view": view,
        "message": message,
        "first": first,
        "second": second,
        "piloted": piloted,
        "reviewers": sorted(known),
        "shown": shown,
        "threshold": 0.8,
    }


@router.get("/p/{slug}/extraction/pilot")
def pilot_page(ctx: Member, a: str = "", b: str = "") -> Response:
    return page(ctx, "extraction_pilot.html", **pilot_data(ctx, a, b))


# -- the spreadsheet round trip ---------------------------------------------------------


def template_response(ctx: Ctx, prefill: str) -> Response:
    project = ctx.need_project()
    with tempfile.TemporaryDirectory() as tmp, ctx.session(write=False):
        form = extract.form_in_use(project)
        from ...stages.extraction import sheets

        who = prefill or None
        path = sheets.write_template(project, Path(tmp) / "t.xlsx", prefill=who)
        body = path.read_bytes()
    name = f"{form.id}-v{form.version}" + (f"-{prefill}" if prefill else "") + ".xlsx"
    return Response(
        body,
        media_type=XLSX,
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )


@router.get("/p/{slug}/extraction/template.xlsx")
def template_file(ctx: Member, prefill: str = "") -> Response:
    return template_response(ctx, prefill)


def sheet_data(ctx: Ctx) -> dict[str, Any]:
    data = overview_data(ctx)
    extractors = sorted({r for row in data["rows"] for r in row.extracted_by})
    return {"form": data["form"], "extractors": extractors, "me": ctx.actor or ""}


@router.get("/p/{slug}/extraction/sheet")
def sheet_page(ctx: Member) -> Response:
    return page(ctx, "extraction_sheet.html", result=None, cells=[], **sheet_data(ctx))


def cell_rows(exc: Exception) -> list[dict[str, Any]]:
    """A SheetError's bad cells as sheet / column / row / study / field / message."""
    import re

    out = []
    for e in getattr(exc, "errors", []):
        found = re.fullmatch(r"(?P<sheet>[^!]+)!(?P<col>[A-Z]*)(?P<row>\d*)", e.cell)
        sheet, col, row = (
            (found["sheet"], found["col"], found["row"]) if found else (e.cell, "", "")
        )
        out.append(
            {
                "cell": e.cell,
                "sheet": sheet,
                "column": col,
                "row": int(row) if row else None,
                "study": e.study,
                "field": e.field,
                "expected": e.expected,
                "got": None if e.got is None else str(e.got),
            }
        )
    return out


def read_sheet_upload(upload: UploadFile | None) -> tuple[str, bytes]:
    if upload is None or not (upload.filename or "").strip():
        raise InputError(
            "choose a filled template (.xlsx) to upload",
            hint="Download the template on this page, fill it in, upload it.",
        )
    cap, chunks, size = max_bytes(SHEET), [], 0
    while size <= cap and (chunk := upload.file.read(1 << 20)):
        chunks.append(chunk)
        size += len(chunk)
    return Path(upload.filename or "sheet.xlsx").name, b"".join(chunks)


def import_upload(
    ctx: Ctx, upload: UploadFile | None, *, mode: str, of: str, pilot: bool, replace: bool
) -> dict[str, Any]:
    """Record an uploaded sheet as the signed-in reviewer's extractions (or verification
    of ``of``'s): every row or none. Error messages name the uploaded file, not the
    temporary copy the core reads."""
    from ...stages.extraction import sheets

    name, data = read_sheet_upload(upload)
    project = ctx.need_project()
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / (name if name.lower().endswith(".xlsx") else name + ".xlsx")
        path.write_bytes(data)
        try:
            with ctx.session(write=True):
                if mode == "verify":
                    if not of:
                        raise InputError("say whose extractions the verifier's copy holds")
                    done = sheets.verify_from_template(project, path, reviewer=ctx.actor, of=of)
                    return {
                        "file": name,
                        "mode": mode,
                        "verified": sorted(done),
                        "discrepancies": sum(len(c.discrepancies) for c in done.values()),
                    }
                result = sheets.import_template(
                    project, path, reviewer=ctx.actor, pilot=pilot, replace=replace
                )
        except ReviewflowError as exc:
            exc.message = exc.message.replace(str(path), name).replace(tmp + "/", "")
            raise
    return {
        "file": name,
        "mode": mode,
        "recorded": list(result.recorded),
        "unchanged": list(result.unchanged),
        "empty": list(result.empty),
    }


@router.post("/p/{slug}/extraction/sheet")
def sheet_upload(
    ctx: Reviewer,
    file: Annotated[UploadFile | None, File()] = None,
    mode: Annotated[str, Form()] = "extract",
    of: Annotated[str, Form()] = "",
    pilot: Annotated[str, Form()] = "",
    replace: Annotated[str, Form()] = "",
) -> Response:
    values = sheet_data(ctx)
    try:
        result = import_upload(
            ctx, file, mode=mode, of=of, pilot=pilot == "1", replace=replace == "1"
        )
    except ReviewflowError as exc:
        cells = cell_rows(exc)
        message = exc.message.split("\n", 1)[0] if cells else exc.message
        error = message + (f" {exc.hint}" if exc.hint else "")
        return page(
            ctx,
            "extraction_sheet.html",
            status_code=status_of(exc),
            result=None,
            cells=cells,
            error=error,
            **values,
        )
    return page(ctx, "extraction_sheet.html", result=result, cells=[], **values)


# -- API ------------------------------------------------------------------------------


def _field_json(f: Field) -> dict[str, Any]:
    return {
        "id": f.id,
        "label": f.label,
        "type": f.type,
        "help": f.help,
        "required": f.required,
        "choices": list(f.choices),
        "min": f.min,
        "max": f.max,
        "allow_not_reported": f.allow_not_reported,
        "expects": expected_text(f),
    }


def _row_json(form: XForm, row: xboard.BoardRow) -> dict[str, Any]:
    x = row.extraction
    return {
        "study_id": x.study_id,
        "study": x.label,
        "status": x.status,
        "form_version": x.form_version,
        "pilot_by": list(row.pilot_by),
        "extracted_by": list(row.extracted_by),
        "extractor": x.extractor,
        "verifier": x.verifier,
        "open": row.open,
        "discrepancies": [
            {
                "field": d.discrepancy.field,
                "extracted": shown(form, d.discrepancy.field, d.discrepancy.extracted),
                "proposed": shown(form, d.discrepancy.field, d.discrepancy.proposed),
                "verifier": d.discrepancy.verifier,
                "note": d.discrepancy.note,
                "resolution": None
                if d.resolution is None
                else {
                    "value": shown(form, d.discrepancy.field, d.resolution.value),
                    "by": d.resolution.by,
                    "note": d.resolution.note,
                },
            }
            for d in row.discrepancies
        ],
    }


@router.get("/api/p/{slug}/extraction")
def api_overview(ctx: Member) -> dict[str, Any]:
    """The form in use and every included study's extraction status."""
    data = overview_data(ctx)
    form = data["form"]
    return {
        "form": {
            "id": form.id,
            "name": form.name,
            "version": form.version,
            "fields": [_field_json(f) for f in form.fields],
        },
        "counts": data["counts"],
        "studies": [_row_json(form, r) for r in data["rows"]],
    }


def _study_json(ctx: Ctx, study_id: int) -> dict[str, Any]:
    data = study_data(ctx, study_id)
    form, x, mine = data["form"], data["x"], data["mine"]
    out = _row_json(form, data["row"])
    if data["others_visible"]:
        out["answers"] = answers_json(form, dict(x.answers))
        out["history"] = [
            {
                "field": e.field,
                "action": e.action,
                "reviewer": e.reviewer,
                "value": shown(form, e.field, e.value),
                "note": e.note,
            }
            for e in x.history
        ]
    out["mine"] = (
        None
        if mine is None
        else {
            "answers": answers_json(form, dict(mine.extraction.answers)),
            "notes": dict(mine.extraction.notes),
            "pilot": mine.pilot,
            "verified_by": mine.verified_by,
            "warnings": [str(w) for w in data["warnings"]],
        }
    )
    return out


@router.get("/api/p/{slug}/extraction/study/{study_id}")
def api_study(ctx: Member, study_id: int) -> dict[str, Any]:
    """One study: status, discrepancies, your own answers; every answer and the history
    once you have extracted it yourself or it is verified (viewers: always)."""
    return _study_json(ctx, study_id)


class AnswersBody(BaseModel):
    answers: dict[str, Any]
    notes: dict[str, str] = {}
    pilot: bool = False


@router.post("/api/p/{slug}/extraction/study/{study_id}")
def api_save(ctx: Reviewer, study_id: int, body: AnswersBody) -> Response:
    """Record your answers (values as in the XLSX cells: "Not reported", "a; b" for a
    multiple choice, "label = n; ..." for rows); 422 lists every problem by field."""
    from fastapi.responses import JSONResponse

    study_data(ctx, study_id)
    try:
        save_answers(ctx, study_id, body.answers, body.notes, pilot=body.pilot)
    except AnswersError as exc:
        return JSONResponse(exc.to_dict() | {"problems": problems_json(exc.problems)}, 422)
    return JSONResponse(_study_json(ctx, study_id))


class VerifyBody(BaseModel):
    checks: dict[str, Any] = {}
    of: str | None = None
    agree_rest: bool = False


@router.post("/api/p/{slug}/extraction/study/{study_id}/verify")
def api_verify(ctx: Reviewer, study_id: int, body: VerifyBody) -> dict[str, Any]:
    """Verify field by field: {field: "agree"} or {field: {"value": ..., "note": ...}}."""
    with ctx.session(write=True):
        result = extract.verify(
            ctx.need_project(),
            study_id,
            reviewer=ctx.actor,
            checks=body.checks,
            of=body.of,
            agree_rest=body.agree_rest,
        )
    form = _form(ctx)
    return {
        "confirmed": list(result.confirmed),
        "unchecked": list(result.unchecked),
        "discrepancies": [
            {
                "field": d.field,
                "extracted": shown(form, d.field, d.extracted),
                "proposed": shown(form, d.field, d.proposed),
                "note": d.note,
            }
            for d in result.discrepancies
        ],
    }


@router.get("/api/p/{slug}/extraction/discrepancies")
def api_discrepancies(ctx: Member) -> list[dict[str, Any]]:
    """Every discrepancy, open (resolution null) and resolved, by study."""
    data = overview_data(ctx)
    return [
        {"study_id": r.extraction.study_id, "study": r.extraction.label, **d}
        for r in data["rows"]
        for d in _row_json(data["form"], r)["discrepancies"]
    ]


class ResolveBody(BaseModel):
    field: str
    action: str  # keep | accept | value
    value: Any = None
    note: str = ""


@router.post("/api/p/{slug}/extraction/study/{study_id}/resolve")
def api_resolve(ctx: Reviewer, study_id: int, body: ResolveBody) -> dict[str, Any]:
    """Resolve one discrepancy: keep the extracted value, accept the proposal, or a value."""
    result = _resolve(ctx, study_id, body.field, body.action, body.value, body.note)
    return {
        "open": [d.field for d in result.unresolved],
        "answers": answers_json(_form(ctx), result.answers),
    }


@router.get("/api/p/{slug}/extraction/pilot")
def api_pilot(ctx: Member, a: str = "", b: str = "") -> dict[str, Any]:
    """Field agreement of two pilot reviewers (default: the two who piloted most)."""
    data = pilot_data(ctx, a, b)
    view = data["view"]
    if view is None:
        return {"reviewers": [data["first"], data["second"]], "message": data["message"]}
    rep, form = view.report, data["form"]
    return {
        "form": rep.form_id,
        "version": rep.form_version,
        "reviewers": list(rep.reviewers),
        "studies": [int(s) for s in rep.studies],
        "proportion": rep.proportion,
        "fields": [
            {
                "field": f.field,
                "label": f.label,
                "compared": f.compared,
                "agreed": f.agreed,
                "both_empty": f.both_empty,
                "proportion": f.proportion,
                "disagreements": [
                    {
                        "study": int(d.study),
                        "first": shown(form, f.field, d.first),
                        "second": shown(form, f.field, d.second),
                    }
                    for d in f.disagreements
                ],
            }
            for f in rep.fields
        ],
    }


@router.get("/api/p/{slug}/extraction/template.xlsx")
def api_template(ctx: Member, prefill: str = "") -> Response:
    """The XLSX template (``prefill=INITIALS``: with that reviewer's answers)."""
    return template_response(ctx, prefill)


@router.post("/api/p/{slug}/extraction/sheet")
def api_sheet(
    ctx: Reviewer,
    file: Annotated[UploadFile | None, File()] = None,
    mode: Annotated[str, Form()] = "extract",
    of: Annotated[str, Form()] = "",
    pilot: Annotated[bool, Form()] = False,
    replace: Annotated[bool, Form()] = False,
) -> Response:
    """Upload a filled template: 422 lists every bad cell (sheet, row, column)."""
    from fastapi.responses import JSONResponse

    try:
        return JSONResponse(
            import_upload(ctx, file, mode=mode, of=of, pilot=pilot, replace=replace)
        )
    except ReviewflowError as exc:
        return JSONResponse(exc.to_dict() | {"cells": cell_rows(exc)}, status_of(exc))
