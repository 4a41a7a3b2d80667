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

How the inputs carry values is :mod:`reviewflow.web.extraction_fields`; the spreadsheet
pages are :mod:`.extraction_sheet`, the JSON twins :mod:`.extraction_api`.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends
from fastapi.responses import RedirectResponse, Response
from starlette.datastructures import FormData

from ...errors import InputError, ReviewflowError
from ...stages.extraction import board as xboard
from ...stages.extraction import project as extract
from ...stages.extraction.forms import AnswersError, check_answers
from ...stages.extraction.forms import Form as XForm
from ...stages.extraction.values import expected_text
from ..extraction_fields import (
    BOTH,
    VERDICT,
    Posted,
    blank,
    options,
    problem_text,
    read_answers,
    read_field,
    shown,
    states_of,
)
from ..failures import status_of
from ..render import page
from ..rules import MEMBER, REVIEWER, Ctx, Guard

router = APIRouter()
Member = Annotated[Ctx, Depends(Guard(MEMBER))]
Reviewer = Annotated[Ctx, Depends(Guard(REVIEWER))]

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

# -- reading the project ----------------------------------------------------------------


def current_form(ctx: Ctx) -> XForm:
    """The form in use (the first of review.toml's [extraction] forms)."""
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
    form = current_form(ctx)
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
    form = current_form(ctx)
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


def resolve_one(
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
            resolve_one(ctx, study_id, fid, action, raw, note)
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
    form = current_form(ctx)
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
