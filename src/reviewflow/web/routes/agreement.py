"""Inter-rater agreement per stage and reviewer pair (page and JSON twin).

The numbers are :func:`reviewflow.stages.screening.agreement`'s, as ``reviewflow
agreement`` prints them: independent votes only, before arbitration, "maybe" counted as
include. The page rounds as the CLI does (two decimals, κ with its 95 % CI) and says in
words why a stage has nothing to compare yet.

The counts link to the items they are over (``/p/{slug}/agreement/{stage}/items``, for a
pair with ``?pair=AB/CD``): :func:`reviewflow.stages.screening.compared_items`, with the
votes the signed-in member may see (blind until the stage closes, as on the screening pages).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Any

from fastapi import APIRouter, Depends
from fastapi.responses import Response

from ...errors import InputError
from ...stages import screening
from ...stages.screening.plan import check_stage
from ..render import page
from ..rules import MEMBER, Ctx, Guard

if TYPE_CHECKING:
    from ...agreement import AgreementReport
    from ...project import Project

router = APIRouter()
Member = Annotated[Ctx, Depends(Guard(MEMBER))]


def stat(value: float | None, *, scale: float = 1.0, digits: int = 2) -> str:
    """A coefficient as a review reports it (0.76); "—" when it is undefined."""
    return "—" if value is None else f"{value * scale:.{digits}f}"


def with_ci(estimate: float | None, low: float | None, high: float | None) -> str:
    """``0.76 (0.50 to 1.00)``: an estimate with its 95 % confidence interval."""
    if estimate is None or low is None or high is None:
        return stat(estimate)
    return f"{stat(estimate)} ({low:.2f} to {high:.2f})"


def nothing_to_compare(project: Project, stage: str, report: AgreementReport) -> str:
    """Why a stage has no agreement to report yet, and what would give it one."""
    plan = getattr(project.settings.screening, stage)
    second = [*plan.second_reviewers, *plan.reviewers[1:]]
    name = screening.STAGES[stage].capitalize()
    if not plan.reviewers:
        what, then = "the plan names no reviewers", "the owner adds reviewers to the plan"
    elif report.n_items == 0:
        what = "none of the items to double-screen has been screened yet"
        then = (
            "the reports are created and screened first"
            if stage == "ft"
            else f"{plan.reviewers[0]} starts screening"
        )
    elif second:
        what = "no item has been screened by two reviewers yet"
        then = f"it starts once {second[0]} has screened some of the same items"
    else:
        what = "no item has been screened by two reviewers yet"
        then = "the plan needs a second reviewer for this stage"
    return f"{name} screening: {what}, so there is no agreement to report; {then}."


def agreement_data(ctx: Ctx) -> dict[str, dict[str, Any]]:
    """stage -> the core's report and, when nothing can be compared, why."""
    project = ctx.need_project()
    with ctx.session(write=False):
        reports = screening.agreement(project)
    return {
        code: {
            "report": rep,
            "message": None if rep.n_multiply_rated else nothing_to_compare(project, code, rep),
        }
        for code, rep in reports.items()
    }


@router.get("/p/{slug}/agreement")
def agreement_page(ctx: Member) -> Response:
    return page(ctx, "agreement.html", stages=agreement_data(ctx), stat=stat, with_ci=with_ci)


@router.get("/api/p/{slug}/agreement")
def api_agreement(ctx: Member) -> dict[str, Any]:
    """stage -> the agreement report (``reviewflow agreement --json``) and a ``message``
    when no item has two reviewers' votes yet."""
    return {
        code: {**entry["report"].to_dict(), "message": entry["message"]}
        for code, entry in agreement_data(ctx).items()
    }


def _pair(pair: str) -> tuple[str, str] | None:
    if not pair:
        return None
    names = tuple(p.strip() for p in pair.split("/"))
    if len(names) != 2 or not all(names):
        raise InputError(
            f"{pair!r} is not a pair of reviewers",
            hint="Write the pair as the agreement table does, e.g. ?pair=AB/CD.",
        )
    return names[0], names[1]


def items_data(ctx: Ctx, stage: str, pair: str) -> dict[str, Any]:
    """The items an agreement count is over, as the signed-in member may see them."""
    code = check_stage(stage)
    who = _pair(pair)
    with ctx.session(write=False):
        items = screening.compared_items(ctx.need_project(), stage=code, pair=who, viewer=ctx.actor)
    return {"stage": code, "pair": list(who) if who else None, "items": items}


@router.get("/p/{slug}/agreement/{stage}/items")
def agreement_items_page(ctx: Member, stage: str, pair: str = "") -> Response:
    data = items_data(ctx, stage, pair)
    return page(ctx, "agreement_items.html", **data)


@router.get("/api/p/{slug}/agreement/{stage}/items")
def api_agreement_items(ctx: Member, stage: str, pair: str = "") -> dict[str, Any]:
    """The items a pair's ``n`` (or, without ``pair``, the stage's items screened by two
    or more) counts, each with the independent votes the caller may see."""
    data = items_data(ctx, stage, pair)
    return {**data, "items": [i.to_dict() for i in data["items"]]}
