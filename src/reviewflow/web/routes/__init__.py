"""One module per page area; each holds its pages and their JSON twins under /api/."""

from __future__ import annotations

from fastapi import APIRouter

from . import (
    accounts,
    agreement,
    codebank,
    coding,
    conflicts,
    dedup,
    fulltext,
    prisma,
    projects,
    screening,
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
    coding.router,
    codebank.router,
]
