"""Counts per search and per stage, derived from the store (never stored as numbers)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from ..project import Project
from ..store import queries, safe_url


@dataclass
class Status:
    title: str
    database: str
    records: int
    imports: list[dict[str, Any]] = field(default_factory=list)
    searches: list[dict[str, Any]] = field(default_factory=list)
    stages: dict[str, int] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {
            "title": self.title,
            "database": self.database,
            "records": self.records,
            "imports": self.imports,
            "searches": self.searches,
            "stages": self.stages,
            "notes": self.notes,
        }


def run(project: Project) -> Status:
    from .dedup import links
    from .dedup import project as dedup_project
    from .screening.counts import reviewer_progress

    with project.db.connect() as conn:
        per_import = queries.records_per_import(conn)
        imports = queries.list_imports(conn)
        searches = queries.list_searches(conn)
        linked = links.duplicates_removed(conn)
        seen = dedup_project.deduplicated_up_to(conn)
        not_deduplicated = queries.count_records_after(conn, seen)

    pending_pairs = dedup_project.pending_pair_count(project)
    total = sum(per_import.values())
    stages = _stages(total, linked, not_deduplicated, pending_pairs)
    notes: list[str] = []
    if project.settings.screening is not None:
        from . import screening

        with screening.state_cache(project):  # counts and the stopping rule share one state
            stages.update({k.replace("_", " "): v for k, v in screening.counts(project).items()})
            for stage, people in reviewer_progress(project).items():
                if people:
                    name = "Title/abstract" if stage == "ta" else "Full text"
                    notes.append(
                        f"{name} screening: "
                        + ", ".join(f"{r} {d} of {n} done" for r, (d, n) in people.items())
                    )
            if screening.ranking_on(project, "ta"):
                stopping = screening.stopping_status(project)
                stages["records excluded by automation (stopping rule)"] = (
                    screening.automation_excluded(project)
                )
                notes.append("Stopping rule: " + stopping.summary())
    notes += _import_notes(imports)
    per_search: dict[int, int] = {}
    for imp in imports:
        if imp["search_id"] is not None:
            per_search[imp["search_id"]] = per_search.get(imp["search_id"], 0) + per_import.get(
                imp["id"], 0
            )
    return Status(
        title=project.settings.title,
        database=safe_url(project.db.url),
        records=total,
        imports=[
            {
                "id": imp["id"],
                "file": imp["file_name"],
                "format": imp["format"],
                "search_id": imp["search_id"],
                "records": per_import.get(imp["id"], 0),
                "warnings": len(imp["warnings"] or []),
            }
            for imp in imports
        ],
        searches=[
            {
                "id": s["id"],
                "method": s["method"],
                "source": s["source"],
                "date_searched": s["date_searched"],
                "records_returned": s["records_returned"],
                "records_imported": per_search.get(s["id"], 0),
            }
            for s in searches
        ],
        stages=stages,
        notes=notes,
    )


def _import_notes(imports: list[dict[str, Any]]) -> list[str]:
    """Imports PRISMA counts apart (no search) or twice (the same file imported again)."""
    out = []
    first_of: dict[str, int] = {}
    for imp in imports:
        label = f"Import {imp['id']} ({imp['file_name']})"
        if imp["search_id"] is None:
            out.append(
                f"{label} is not linked to a search, so PRISMA counts it apart. Link it: "
                f"reviewflow imports link {imp['id']} --search SEARCH_ID"
            )
        earlier = first_of.setdefault(imp["file_sha256"], imp["id"])
        if earlier != imp["id"]:
            out.append(
                f"{label} is the same file as import {earlier}, imported again with --force: "
                "PRISMA counts its records twice among those identified. If that was a "
                f"mistake: reviewflow imports remove {imp['id']}"
            )
    return out


def _stages(total: int, linked: int, not_deduplicated: int, pending_pairs: int) -> dict[str, int]:
    return {
        "imported": total,
        "not yet deduplicated": not_deduplicated,
        "duplicates removed": linked,
        "after deduplication": total - linked,
        "dedup pairs waiting for review": pending_pairs,
    }
