"""One module per page area; each holds its pages and their JSON twins under /api/."""

from __future__ import annotations

from fastapi import APIRouter

from . import accounts, fulltext, projects, screening

ROUTERS: list[APIRouter] = [accounts.router, projects.router, screening.router, fulltext.router]
