"""The team web app (``reviewflow serve``): a thin shell over the same API as the CLI.

``create_app(path)`` builds the FastAPI app for a project folder or a folder of projects;
``routes/`` holds one module per page area (accounts, the project and its team,
screening, full text, conflicts, agreement, duplicates, PRISMA), each with its pages and
their JSON twins under ``/api/``. See :mod:`.rules` for who may use what.
"""

from __future__ import annotations

from .app import create_app

__all__ = ["create_app"]
