"""One module per page area; each holds its pages and their JSON twins under /api/."""

from __future__ import annotations

from fastapi import APIRouter

from . import accounts, agreement, conflicts, dedup, fulltext, prisma, projects, screening

from . import extraction  # isort: skip (one line per page area: merges stay simple)

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
]
