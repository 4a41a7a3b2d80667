"""One module per page area; each holds its pages and their JSON twins under /api/."""

from __future__ import annotations

from fastapi import APIRouter

from . import (
    accounts,
    agreement,
    appraisal,
    codebank,
    coding,
    conflicts,
    dedup,
    extraction,
    extraction_api,
    extraction_sheet,
    fulltext,
    importing,
    jobs,
    prisma,
    projects,
    screening,
    searches,
)
from .traces import router as traces_router

ROUTERS: list[APIRouter] = [
    accounts.router,
    projects.router,
    screening.router,
    conflicts.router,
    agreement.router,
    dedup.router,
    prisma.router,
    fulltext.router,
    jobs.router,
    traces_router,
    appraisal.router,
    extraction.router,
    extraction_sheet.router,
    extraction_api.router,
    searches.router,
    importing.router,
    coding.router,
    codebank.router,
]
