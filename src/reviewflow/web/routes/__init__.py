"""One module per page area; each holds its pages and their JSON twins under /api/."""

from __future__ import annotations

from fastapi import APIRouter

from . import (
    accounts,
    agreement,
    conflicts,
    dedup,
    fulltext,
    importing,
    prisma,
    projects,
    screening,
    searches,
)

ROUTERS: list[APIRouter] = [
    accounts.router,
    projects.router,
    screening.router,
    conflicts.router,
    agreement.router,
    dedup.router,
    prisma.router,
    fulltext.router,
    searches.router,
    importing.router,
]
