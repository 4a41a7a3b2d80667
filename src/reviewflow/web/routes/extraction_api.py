"""The extraction pages' JSON twins under /api/: the same core calls as the pages
(:mod:`.extraction`), values as text the way the XLSX cells and ``reviewflow extract
show --json`` write them."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends
from fastapi.responses import Response
from pydantic import BaseModel

from ...stages.extraction import board as xboard
from ...stages.extraction import project as extract
from ...stages.extraction.forms import AnswersError, Field
from ...stages.extraction.forms import Form as XForm
from ...stages.extraction.values import expected_text
from ..extraction_fields import answers_json, problems_json, shown
from ..rules import MEMBER, REVIEWER, Ctx, Guard
from .extraction import (
    current_form,
    overview_data,
    pilot_data,
    resolve_one,
    save_answers,
    study_data,
)

router = APIRouter()
Member = Annotated[Ctx, Depends(Guard(MEMBER))]
Reviewer = Annotated[Ctx, Depends(Guard(REVIEWER))]

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
    form = current_form(ctx)
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
    result = resolve_one(ctx, study_id, body.field, body.action, body.value, body.note)
    return {
        "open": [d.field for d in result.unresolved],
        "answers": answers_json(current_form(ctx), result.answers),
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
