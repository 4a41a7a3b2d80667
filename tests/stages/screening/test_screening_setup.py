"""Shared set-up of the screening tests (no tests here): the seed review's team and plans.

The seed (000_fad3b654a97a138e, "Screening"): titles/abstracts by MC with 20 % screened
independently by CJ; full texts by MC, DF and JS independently; LA decides disagreements.
"""

from __future__ import annotations

from reviewflow.project import Project
from reviewflow.records import Record
from reviewflow.settings import Reviewer, ScreeningSettings
from reviewflow.store import queries

REASONS = [
    "not UK-based",
    "not social prescribing",
    "no qualitative data",
    "not adults",
    "not mental health",
]

SEED_SCREENING = {
    "reasons": REASONS,
    "ta": {
        "reviewers": ["MC"],
        "second_reviewers": ["CJ"],
        "double_share": 0.20,
        "seed": 2022,
        "arbiter": "LA",
        "rule": "any_include",
        "reason_required": False,
    },
    "ft": {
        "reviewers": ["MC", "DF", "JS"],
        "double_share": 1.0,
        "arbiter": "LA",
        "rule": "unanimous_else_arbiter",
        "reason_required": True,
    },
}


def seed_team(project: Project, *, screening: dict | None = None) -> Project:
    """Add DF, JS and LA to the fixture's MC and CJ, and the seed's two plans."""
    for initials, name, role in [
        ("DF", "D Fancourt", "reviewer"),
        ("JS", "J Smith", "reviewer"),
        ("LA", "L Arbiter", "arbiter"),
    ]:
        if project.settings.reviewer(initials) is None:
            project.settings.reviewers.append(Reviewer(initials=initials, name=name, role=role))
    project.settings.screening = ScreeningSettings.model_validate(screening or SEED_SCREENING)
    project.save_settings()
    return project


def add_records(project: Project, n: int, *, file: str = "embase.ris") -> list[int]:
    """Insert ``n`` records in one import; return their ids."""
    items = [
        Record(
            title=f"Social prescribing study {i}",
            abstract=f"Abstract {i}: link workers and mental health.",
            authors=[f"Author {i}"],
            year=2000 + i % 22,
            raw=f"TI  - Social prescribing study {i}",
        )
        for i in range(n)
    ]
    with project.db.transaction() as conn:
        import_id = queries.insert_import(
            conn,
            values={
                "file_name": file,
                "file_sha256": f"{file}-{n}".ljust(64, "0")[:64],
                "format": "ris",
                "records_read": n,
                "warnings": [],
            },
        )
        queries.insert_records(conn, import_id=import_id, items=items)
    with project.db.connect() as conn:
        return [r.id for r in queries.iter_records(conn, import_id=import_id)]  # type: ignore[misc]
