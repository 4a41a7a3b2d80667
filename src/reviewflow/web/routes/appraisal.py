"""Quality appraisal: the overview, one appraiser's checklist, agreement, the consensus,
scores and bands, and the traffic-light figure (pages and JSON twins).

What each person may see is :mod:`reviewflow.stages.appraisal.blind`'s business (own
answers only until both appraisers have finished a study; then both, for every member);
recording goes through :func:`~reviewflow.stages.appraisal.blind.save_own` and
:func:`~reviewflow.stages.appraisal.project.record_consensus`, and agreement is
:func:`~reviewflow.stages.appraisal.project.agreement`, the calls ``reviewflow appraise``
makes. The figure is the report's own (:func:`reviewflow.reports.tables.traffic_light_svg`)
and carries study labels, so it is served as an image that can run nothing.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import RedirectResponse, Response
from pydantic import BaseModel

from ...errors import NextAction, ReviewflowError, StateError
from ...reports.tables import LIGHTS, traffic_light_svg
from ...stages import studies
from ...stages.appraisal import blind
from ...stages.appraisal import project as appraise
from ...stages.appraisal.checklists import Appraisal, Checklist
from ..failures import status_of
from ..render import page
from ..rules import MEMBER, REVIEWER, SCREENER, Ctx, Guard
from .agreement import stat, with_ci
from .prisma import SVG_POLICY

router = APIRouter()
Member = Annotated[Ctx, Depends(Guard(MEMBER))]
Appraiser = Annotated[Ctx, Depends(Guard(REVIEWER))]
Consensus = Annotated[Ctx, Depends(Guard(SCREENER))]

#: What a page says after a change (fixed texts: nothing typed is echoed from the URL).
DONE = {
    "saved": "Your appraisal is saved.",
    "consensus": "The consensus is recorded.",
}
#: The statuses as the overview says them.
STATUS_TEXT = {
    "not appraised": "not appraised",
    "one appraisal": "waiting for the second appraisal",
    "disagreements": "ready for consensus",
    "agreed": "both agree: record the consensus",
    "consensus": "consensus recorded",
}


def _figure(board: blind.Board) -> str | None:
    """The traffic-light SVG of every study with a consensus (None when there is none)."""
    agreed = {
        r.label: Appraisal(str(r.study_id), "consensus", board.checklist.id, r.consensus)
        for r in board.rows
        if r.consensus
    }
    if not agreed:
        return None
    return traffic_light_svg(board.checklist, agreed, {k: k for k in agreed})


def board_data(ctx: Ctx) -> dict[str, Any]:
    with ctx.session(write=False):
        board = blind.board(ctx.need_project())
    rows = board.rows
    return {
        "board": board,
        "checklist": board.checklist,
        "scheme": board.scheme,
        "rows": rows,
        "status_text": STATUS_TEXT,
        "consensus_count": sum(1 for r in rows if r.status == appraise.CONSENSUS),
        "has_figure": any(r.status == appraise.CONSENSUS for r in rows),
        "lights": LIGHTS,
    }


@router.get("/p/{slug}/appraisal")
def appraisal_page(ctx: Member) -> Response:
    return page(ctx, "appraisal.html", **board_data(ctx))


@router.get("/p/{slug}/appraisal.svg")
def appraisal_figure(ctx: Member, download: bool = False) -> Response:
    """The traffic-light figure (consensus answers per study and question)."""
    with ctx.session(write=False):
        board = blind.board(ctx.need_project())
    svg = _figure(board)
    if svg is None:
        raise StateError(
            "no study has a consensus appraisal yet, so there is no figure",
            hint="Record the consensus of a study on its consensus page first.",
        )
    kind = "attachment" if download else "inline"
    return Response(
        svg,
        media_type="image/svg+xml",
        headers={
            "Content-Security-Policy": SVG_POLICY,
            "Content-Disposition": f'{kind}; filename="appraisal-traffic-light.svg"',
        },
    )


# -- agreement ---------------------------------------------------------------------------


def agreement_data(ctx: Ctx) -> dict[str, Any]:
    """The core's agreement of the two appraisers, or why there is none yet."""
    project = ctx.need_project()
    with ctx.session(write=False):
        checklist = appraise.checklist_in_use(project)
        labels = studies.labels(project)
        try:
            result = appraise.agreement(project)
        except StateError as exc:
            return {"checklist": checklist, "result": None, "message": exc.message}
    return {"checklist": checklist, "result": result, "message": None, "labels": labels}


@router.get("/p/{slug}/appraisal/agreement")
def agreement_page(ctx: Member) -> Response:
    return page(ctx, "appraisal_agreement.html", stat=stat, with_ci=with_ci, **agreement_data(ctx))


# -- one study: the appraiser's checklist ----------------------------------------------------


def study_data(ctx: Ctx, study_id: int) -> dict[str, Any]:
    project = ctx.need_project()
    with ctx.session(write=False):
        view = blind.study_view(project, study_id, reviewer=ctx.actor)
        checklist = appraise.checklist_in_use(project)
        scheme = appraise.scheme_in_use(project, checklist)
    others = {a: done for a, done in view.done.items() if a != ctx.actor}
    return {
        "view": view,
        "checklist": checklist,
        "scheme": scheme,
        "sections": _sections(checklist),
        # the other appraiser(s) not finished yet (never their answers: only that)
        "waiting": [a for a, done in others.items() if not done],
        "other_done": [a for a, done in others.items() if done],
    }


def _sections(checklist: Checklist) -> list[tuple[str, list[Any]]]:
    out: list[tuple[str, list[Any]]] = []
    for item in checklist.items:
        if not out or out[-1][0] != item.section:
            out.append((item.section, []))
        out[-1][1].append(item)
    return out


def _may_act(ctx: Ctx) -> bool:
    roles = ctx.user.roles if ctx.user else frozenset()
    return bool(roles & {"owner", "reviewer"})


@router.get("/p/{slug}/appraisal/{study_id}")
def study_page(ctx: Member, study_id: int, done: str = "") -> Response:
    data = study_data(ctx, study_id)
    own = data["view"].own
    return page(
        ctx,
        "appraisal_study.html",
        message=DONE.get(done, ""),
        can_act=_may_act(ctx),
        given=dict(own.answers) if own else {},
        given_notes=dict(own.notes) if own else {},
        missing=[],
        **data,
    )


async def _form_answers(request: Request, checklist: Checklist) -> tuple[dict[str, str], ...]:
    """answer_<item> and note_<item> fields of the checklist form."""
    form = await request.form()
    answers, notes = {}, {}
    for item in checklist.item_ids:
        answer = str(form.get(f"answer_{item}") or "").strip()
        if answer:
            answers[item] = answer
        note = str(form.get(f"note_{item}") or "").strip()
        if note:
            notes[item] = note
    return answers, notes


@router.post("/p/{slug}/appraisal/{study_id}")
async def save_form(ctx: Appraiser, request: Request, study_id: int) -> Response:
    project = ctx.need_project()
    checklist = appraise.checklist_in_use(project)
    answers, notes = await _form_answers(request, checklist)
    try:
        with ctx.session(write=True):
            blind.save_own(project, study_id, reviewer=ctx.actor, answers=answers, notes=notes)
    except ReviewflowError as exc:
        data = study_data(ctx, study_id)  # no such study: the 404 page instead
        missing = [i for i in checklist.item_ids if i not in answers]
        return page(
            ctx,
            "appraisal_study.html",
            status_code=status_of(exc),
            error=_error_text(exc, checklist, missing),
            can_act=True,
            given=answers,
            given_notes=notes,
            missing=missing,
            message="",
            **data,
        )
    return RedirectResponse(ctx.href(f"/appraisal/{study_id}?done=saved"), status_code=303)


def _error_text(exc: ReviewflowError, checklist: Checklist, missing: list[str]) -> str:
    if missing:
        named = ", ".join(i.upper() for i in missing)
        return (
            f"Nothing was saved: {len(missing)} of {len(checklist.items)} questions have no "
            f"answer yet ({named}). Answer each with "
            + " / ".join(o.label for o in checklist.options)
            + "; your other answers are kept below."
        )
    return exc.message + (f" {exc.hint}" if exc.hint else "")


# -- one study: the consensus -----------------------------------------------------------------


def consensus_data(ctx: Ctx, study_id: int) -> dict[str, Any]:
    project = ctx.need_project()
    with ctx.session(write=False):
        try:
            view = blind.compare(project, study_id, reviewer=ctx.actor)
        except StateError as exc:  # still blind: 409, with the way back to the study
            raise StateError(
                exc.message,
                next=NextAction(
                    text=exc.hint,
                    route=ctx.href(f"/appraisal/{study_id}"),
                    label="Back to the study",
                ),
            ) from None
        checklist = appraise.checklist_in_use(project)
        scheme = appraise.scheme_in_use(project, checklist)
    differs = {d.item for d in view.disagreements}
    return {"view": view, "checklist": checklist, "scheme": scheme, "differs": differs}


def _may_agree(ctx: Ctx) -> bool:
    roles = ctx.user.roles if ctx.user else frozenset()
    return bool(roles & {"owner", "reviewer", "arbiter"})


@router.get("/p/{slug}/appraisal/{study_id}/consensus")
def consensus_page(ctx: Member, study_id: int, done: str = "") -> Response:
    return page(
        ctx,
        "appraisal_consensus.html",
        message=DONE.get(done, ""),
        can_agree=_may_agree(ctx),
        chosen={},
        chosen_notes={},
        **consensus_data(ctx, study_id),
    )


@router.post("/p/{slug}/appraisal/{study_id}/consensus")
async def consensus_form(ctx: Consensus, request: Request, study_id: int) -> Response:
    project = ctx.need_project()
    checklist = appraise.checklist_in_use(project)
    form = await request.form()
    with ctx.session(write=False):
        open_items = [d.item for d in blind.compare(project, study_id).disagreements]
    chosen = {i: str(form.get(f"answer_{i}") or "").strip() for i in open_items}
    chosen = {i: a for i, a in chosen.items() if a}
    notes = {
        i: str(form.get(f"note_{i}") or "").strip()
        for i in checklist.item_ids
        if str(form.get(f"note_{i}") or "").strip()
    }
    replace = form.get("replace") == "1"
    try:
        with ctx.session(write=True):
            appraise.record_consensus(
                project,
                study_id,
                reviewer=ctx.actor,
                resolutions=chosen,
                notes=notes,
                replace=replace,
            )
    except ReviewflowError as exc:
        data = consensus_data(ctx, study_id)
        missing = [i for i in open_items if i not in chosen]
        error = exc.message + (f" {exc.hint}" if exc.hint else "")
        if missing:
            error = (
                "Nothing was recorded: choose the agreed answer for "
                + ", ".join(i.upper() for i in missing)
                + " (the items the two appraisers answered differently)."
            )
        return page(
            ctx,
            "appraisal_consensus.html",
            status_code=status_of(exc),
            error=error,
            message="",
            can_agree=True,
            chosen=chosen,
            chosen_notes=notes,
            missing=missing,
            **data,
        )
    return RedirectResponse(
        ctx.href(f"/appraisal/{study_id}/consensus?done=consensus"), status_code=303
    )


# -- the API ------------------------------------------------------------------------------


class AppraisalBody(BaseModel):
    answers: dict[str, str]
    notes: dict[str, str] = {}


class ConsensusBody(BaseModel):
    resolutions: dict[str, str] = {}
    notes: dict[str, str] = {}
    replace: bool = False


@router.get("/api/p/{slug}/appraisal")
def api_board(ctx: Member) -> dict[str, Any]:
    """Every included study × the two appraisers (done or not; never their answers), the
    status, and the score and band of each consensus (``reviewflow appraise scores``)."""
    data = board_data(ctx)
    board: blind.Board = data["board"]
    return {
        "checklist": board.checklist.id,
        "scheme": board.scheme.id,
        "appraisers": list(board.appraisers),
        "named": board.named,
        "studies": [r.to_dict() for r in board.rows],
    }


@router.get("/api/p/{slug}/appraisal/agreement")
def api_agreement(ctx: Member) -> dict[str, Any]:
    """Item agreement of the two appraisers (``reviewflow appraise agreement --json``),
    or a ``message`` saying why there is none yet."""
    data = agreement_data(ctx)
    result = data["result"]
    if result is None:
        return {"message": data["message"]}
    return {
        "appraisers": list(result.appraisers),
        "studies": len(result.studies),
        "proportion": result.proportion,
        "kappa": result.kappa.kappa,
        "ac1": result.ac1.ac1,
        "items": [
            {"item": i.item, "agreed": i.agreed, "compared": i.compared} for i in result.items
        ],
        "disagreements": [
            {"study": int(d.study), "item": d.item, "first": d.first, "second": d.second}
            for d in result.disagreements
        ],
        "message": None,
    }


def _study_json(ctx: Ctx, study_id: int) -> dict[str, Any]:
    project = ctx.need_project()
    with ctx.session(write=False):
        view = blind.study_view(project, study_id, reviewer=ctx.actor)
        return view.to_dict(appraise.checklist_in_use(project))


@router.get("/api/p/{slug}/appraisal/{study_id}")
def api_study(ctx: Member, study_id: int) -> dict[str, Any]:
    """The study as the signed-in member may see it: their own answers; both appraisers'
    answers, the disagreements and the consensus only once both have finished."""
    return _study_json(ctx, study_id)


@router.put("/api/p/{slug}/appraisal/{study_id}")
def api_save(ctx: Appraiser, study_id: int, body: AppraisalBody) -> dict[str, Any]:
    """Record (or, until the other appraiser finishes, revise) your own appraisal:
    ``answers`` item -> option id or label for every item, ``notes`` item -> text."""
    with ctx.session(write=True):
        blind.save_own(
            ctx.need_project(), study_id, reviewer=ctx.actor, answers=body.answers, notes=body.notes
        )
    return _study_json(ctx, study_id)


@router.get("/api/p/{slug}/appraisal/{study_id}/consensus")
def api_consensus(ctx: Member, study_id: int) -> dict[str, Any]:
    """Both appraisals and their disagreements (409 until both appraisers have finished)."""
    project = ctx.need_project()
    with ctx.session(write=False):
        view = blind.compare(project, study_id, reviewer=ctx.actor)
        return view.to_dict(appraise.checklist_in_use(project))


@router.post("/api/p/{slug}/appraisal/{study_id}/consensus")
def api_record_consensus(ctx: Consensus, study_id: int, body: ConsensusBody) -> dict[str, Any]:
    """Record the consensus: ``resolutions`` item -> agreed answer for each disagreement."""
    with ctx.session(write=True):
        appraise.record_consensus(
            ctx.need_project(),
            study_id,
            reviewer=ctx.actor,
            resolutions=body.resolutions,
            notes=body.notes,
            replace=body.replace,
        )
    return _study_json(ctx, study_id)
