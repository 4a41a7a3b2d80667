"""One module per page area; each holds its pages and their JSON twins under /api/."""

from __future__ import annotations

from fastapi import APIRouter

from . import accounts, agreement, conflicts, dedup, fulltext, prisma, projects, screening

from . import extraction, extraction_api, extraction_sheet  # isort: skip (one line per area)

ROUTERS: list[APIRouter] = [
    accounts.router,
    projects.router,
    screening.router,
    conflicts.router,
    agreement.router,
    dedup.router,
    prisma.router,
    fulltext.router,
    extraction.router,
    extraction_sheet.router,
    extraction_api.router,
]
