"""Change an import afterwards: link it to its search, or remove a mistaken one.

A file imported without ``--search`` is counted by PRISMA under "Imported without a logged
search"; importing it again with ``--search --force`` would count its records twice.
:func:`link` attaches the existing import to its search instead. :func:`remove` takes a
mistaken import out again (a file of the wrong review, a second copy imported with
``--force``), with everything that depends on its records, in one transaction.

Both leave a row in ``import_events``, so the project's history says who changed which
import when, and, for a removal, what went (file name, sha256, counts).

Removal keeps the duplicate groups whole: a record that was a duplicate of a removed
record is re-linked to the lowest-id survivor of its group, which becomes the canonical
record (:func:`reviewflow.stages.dedup.links.restore_after_removal`). Because SQLite
reuses the highest record ids after a delete, a removal also records the highest record id
left, so the next dedup run knows which ids are new
(:func:`reviewflow.stages.dedup.project.deduplicated_up_to`).
"""

from __future__ import annotations

import getpass
from dataclasses import dataclass, field
from typing import Any

from ...errors import InputError, NotFoundError, StateError
from ...project import Project
from ...store import dedup_queries as dq
from ...store import import_queries as iq
from ...store import queries
from ...store import screening_queries as sq
from ..dedup import links

#: Counts that are the team's own work: their loss is warned about loudly.
TEAM_WORK = (
    "ta_decisions",
    "ft_decisions",
    "retrieval_events",
    "dedup_decisions",
    "extraction_events",
    "appraisals",
    "code_applications",
    "theme_quotes",
)


def describe_search(search: dict[str, Any]) -> str:
    """``search 3 (Web of Science, 2022-03-21)``: how a search is named in messages."""
    bits = [search["source"], search.get("date_searched")]
    return f"search {search['id']} ({', '.join(b for b in bits if b)})"


def _account() -> str | None:
    try:
        return getpass.getuser()
    except (KeyError, OSError):  # no login name in some containers
        return None


def _check_reviewer(project: Project, reviewer: str | None) -> None:
    if reviewer is not None and project.settings.reviewer(reviewer) is None:
        known = ", ".join(r.initials for r in project.settings.reviewers) or "none yet"
        raise InputError(
            f"unknown reviewer {reviewer!r} (reviewers in review.toml: {known})",
            hint="Use the initials of a reviewer of this project.",
        )


def _get_import(conn: Any, import_id: int) -> dict[str, Any]:
    row = iq.get_import(conn, import_id)
    if row is None:
        raise NotFoundError(
            f"there is no import {import_id}",
            hint="See the imports and their ids with: reviewflow imports list",
        )
    return row


# -- link ---------------------------------------------------------------------------------


@dataclass
class LinkResult:
    import_id: int
    file: str
    search_id: int
    search: str  # the search as named in messages
    previous_search_id: int | None
    changed: bool
    warnings: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


def link(
    project: Project,
    import_id: int,
    *,
    search_id: int,
    replace: bool = False,
    reviewer: str | None = None,
) -> LinkResult:
    """Attach an existing import to the search it came from (no records are re-imported).

    An import already linked to another search is moved only with ``replace``: that
    search then loses these records in the PRISMA counts.
    """
    _check_reviewer(project, reviewer)
    with project.db.transaction() as conn:
        imp = _get_import(conn, import_id)
        search = queries.get_search(conn, search_id)
        if search is None:
            raise NotFoundError(
                f"there is no search {search_id} to link import {import_id} to",
                hint="List the searches with: reviewflow search list, or log it first with: "
                "reviewflow search add ...",
            )
        result = LinkResult(
            import_id, imp["file_name"], search_id, describe_search(search), imp["search_id"], False
        )
        if imp["search_id"] == search_id:
            return result
        if imp["search_id"] is not None and not replace:
            before = queries.get_search(conn, imp["search_id"])
            raise StateError(
                f"import {import_id} ({imp['file_name']}) is already linked to "
                f"{describe_search(before) if before else 'search ' + str(imp['search_id'])}",
                hint=f"To move it to {describe_search(search)}, add --replace: reviewflow "
                f"imports link {import_id} --search {search_id} --replace",
            )
        if search["file_sha256"] and search["file_sha256"] != imp["file_sha256"]:
            result.warnings.append(
                f"{describe_search(search)} logged the file {search['file_name']}, whose "
                f"content differs from {imp['file_name']} (import {import_id}); check that "
                "this is the right search."
            )
        iq.set_import_search(conn, import_id=import_id, search_id=search_id)
        iq.insert_import_event(
            conn,
            values={
                "import_id": import_id,
                "action": "link",
                "file_name": imp["file_name"],
                "file_sha256": imp["file_sha256"],
                "search_id": search_id,
                "previous_search_id": imp["search_id"],
                "reviewer": reviewer,
                "account": _account(),
            },
        )
    result.changed = True
    return result


def list_all(project: Project) -> list[dict[str, Any]]:
    """The imports with their record counts, oldest first."""
    with project.db.connect() as conn:
        per_import = queries.records_per_import(conn)
        return [
            {
                "id": i["id"],
                "file": i["file_name"],
                "sha256": i["file_sha256"],
                "format": i["format"],
                "search_id": i["search_id"],
                "records": per_import.get(i["id"], 0),
                "forced": bool(i["forced"]),
                "imported_at": i["imported_at"],
            }
            for i in queries.list_imports(conn)
        ]


# -- remove -------------------------------------------------------------------------------


@dataclass
class RemovalPlan:
    """What removing an import takes with it, shown before the user confirms."""

    import_id: int
    file: str
    sha256: str
    search_id: int | None
    imported_at: Any
    forced: bool
    counts: dict[str, int]
    labels: dict[str, str]
    regrouped: int = 0  # records of other imports whose canonical record goes
    warnings: list[str] = field(default_factory=list)  # loss of the team's work
    notes: list[str] = field(default_factory=list)  # what else changes

    @property
    def records(self) -> int:
        return self.counts.get("records", 0)

    @property
    def decisions(self) -> int:
        return self.counts.get("ta_decisions", 0) + self.counts.get("ft_decisions", 0)

    def lines(self) -> list[str]:
        """One line per kind of row that goes, in the order of the schema."""
        order = ["records", *(k for k in self.counts if k != "records")]
        return [f"{self.counts[k]:,} {self.labels[k]}" for k in order if self.counts[k]]

    def to_dict(self) -> dict[str, Any]:
        return {
            "import_id": self.import_id,
            "file": self.file,
            "sha256": self.sha256,
            "search_id": self.search_id,
            "forced": self.forced,
            "counts": self.counts,
            "regrouped": self.regrouped,
            "warnings": self.warnings,
            "notes": self.notes,
        }


def plan_removal(project: Project, import_id: int) -> RemovalPlan:
    """Everything :func:`remove` would delete, counted; nothing is changed."""
    with project.db.connect() as conn:
        return _plan(conn, project, import_id)


def _plan(conn: Any, project: Project, import_id: int) -> RemovalPlan:
    imp = _get_import(conn, import_id)
    targets = iq.removal_targets(conn, import_id)
    counts = iq.count_targets(conn, targets)
    removed = set(iq.record_ids_of(conn, import_id))
    plan = RemovalPlan(
        import_id=import_id,
        file=imp["file_name"],
        sha256=imp["file_sha256"],
        search_id=imp["search_id"],
        imported_at=imp["imported_at"],
        forced=bool(imp["forced"]),
        counts=counts,
        labels={t.key: t.label for t in targets},
        regrouped=len(links.regroup_targets(links.current(conn), removed)),
    )
    plan.warnings = _warnings(conn, plan)
    plan.notes = _notes(conn, plan)
    return plan


def _warnings(conn: Any, plan: RemovalPlan) -> list[str]:
    out = []
    work = [f"{plan.counts[k]:,} {plan.labels[k]}" for k in TEAM_WORK if plan.counts.get(k)]
    if work:
        out.append("This deletes work of the team: " + ", ".join(work) + ". It cannot be undone.")
    if plan.counts.get("studies"):
        out.append(
            f"{plan.counts['studies']:,} studies lose all their reports and go with their "
            "extraction, appraisal and synthesis."
        )
    for stage, name in (("ta", "title/abstract"), ("ft", "full-text")):
        if sq.stage_closed(conn, stage=stage) and plan.counts.get(f"{stage}_decisions"):
            out.append(f"{name.capitalize()} screening is closed; its counts will change.")
    return out


def _notes(conn: Any, plan: RemovalPlan) -> list[str]:
    out = []
    if plan.regrouped:
        out.append(
            f"{plan.regrouped:,} records of other imports were duplicates of records of this "
            "import. They stay: in each of their groups the record with the lowest id "
            "becomes the canonical record, screened in place of the removed one."
        )
    if plan.search_id is not None:
        others = [
            i
            for i in queries.list_imports(conn)
            if i["search_id"] == plan.search_id and i["id"] != plan.import_id
        ]
        search = queries.get_search(conn, plan.search_id)
        if not others and search is not None:
            out.append(
                f"{describe_search(search).capitalize()} then has no imported file: PRISMA "
                "shows the records returned it logged (or not reported)."
            )
    twins = [i for i in _same_file_imports(conn, plan.sha256) if i != plan.import_id]
    if twins:
        out.append(
            f"Import {', '.join(map(str, twins))} holds the same file (same sha256), so its "
            "records stay in the project once."
        )
    return out


def _same_file_imports(conn: Any, sha256: str) -> list[int]:
    return [int(i["id"]) for i in queries.find_imports_by_sha256(conn, sha256)]


def remove(
    project: Project,
    import_id: int,
    *,
    reviewer: str | None = None,
    expected: RemovalPlan | None = None,
) -> RemovalPlan:
    """Delete an import, its records and everything that depends on them; log it.

    One transaction: a failure leaves the project exactly as it was. With ``expected``
    (the plan the user confirmed), a project that changed in between is refused rather
    than losing more than was shown.
    """
    _check_reviewer(project, reviewer)
    with project.db.transaction() as conn:
        plan = _plan(conn, project, import_id)
        if expected is not None and (plan.counts, plan.regrouped) != (
            expected.counts,
            expected.regrouped,
        ):
            raise StateError(
                f"import {import_id} changed since it was shown (someone else is working on "
                "the project); nothing was removed",
                hint=f"Look again with: reviewflow imports remove {import_id}",
            )
        removed = set(iq.record_ids_of(conn, import_id))
        before = links.current(conn)
        last_run = dq.last_run(conn)
        iq.delete_targets(conn, iq.removal_targets(conn, import_id), import_id=import_id)
        links.record(
            conn, links.restore_after_removal(links.current(conn), before, removed, reviewer)
        )
        iq.insert_import_event(
            conn,
            values={
                "import_id": import_id,
                "action": "remove",
                "file_name": plan.file,
                "file_sha256": plan.sha256,
                "search_id": plan.search_id,
                "details": {
                    "counts": plan.counts,
                    "regrouped": plan.regrouped,
                    "records_read": plan.records,
                    "imported_at": str(plan.imported_at),
                    "forced": plan.forced,
                    "dedup_run_id": last_run["id"] if last_run else None,
                    "max_record_id_after": iq.max_record_id(conn),
                },
                "reviewer": reviewer,
                "account": _account(),
            },
        )
    return plan


def history(project: Project) -> list[dict[str, Any]]:
    """Every link and removal done to imports, oldest first."""
    with project.db.connect() as conn:
        return iq.list_import_events(conn)
