"""PRISMA 2020 counts derived from a project's store, with declared counts for outside stages.

:func:`counts_from_project` is the one place the project's diagram is computed:
``reviewflow prisma``, ``reviewflow report`` and the demo all call it, so they cannot
disagree (they once did: ``prisma`` ignored the counts declared in review.toml).

Identification comes from the search log and the imports (a search counts the records
imported for it, or its logged ``records_returned`` when nothing was imported), duplicates
removed from the current duplicate links, and screening from
:func:`reviewflow.stages.screening.counts`. A stage the team ran elsewhere (dedup in
EndNote, screening in another tool) is passed in ``declared``; a declared count replaces
the derived one and is marked as declared in the diagram and the CSV. Declared counts come
from ``[report.declared]`` in review.toml, overridden for one run by the caller's own.
Reads, never writes.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from ..errors import InputError
from ..project import Project
from ..settings import NOT_REPORTED, ReportSettings
from ..stages.dedup import links
from ..store import queries
from .prisma import COUNT_FIELDS, LIST_FIELDS, Entry, PrismaCounts

#: Search-log methods that feed the left (databases and registers) column.
LEFT_METHODS = ("database", "register")
UNLINKED = "Imported without a logged search"


def counts_from_project(
    project: Project, *, declared: dict[str, Any] | None = None
) -> PrismaCounts:
    """The project's PRISMA diagram: every box the store derives, then the declared counts.

    Declared counts are ``[report.declared]`` of review.toml, with ``declared`` on top
    (a one-off ``--declare``): a field of :class:`PrismaCounts` mapped to an int (e.g.
    ``{"duplicates_removed": 10000}``) or, for list fields (databases, exclusion_reasons,
    ...), to (name, n) pairs. Without a full-text screening plan, the studies included are
    the project's studies.
    """
    counts = PrismaCounts()
    with project.db.connect() as conn:
        _identification(counts, conn)
        counts.duplicates_removed = links.duplicates_removed(conn)
    # automation exclusions come from the stopping rule (set in _screening); reviewflow
    # removes nothing else before screening
    counts.excluded_automation = 0
    counts.removed_other = 0
    from ..stages.screening import state_cache

    with state_cache(project):  # counts and automation exclusions share one derived state
        _screening(counts, project)
    wanted = {**declared_from_settings(project), **(declared or {})}
    if wanted:
        apply_declared(counts, wanted)
    _studies_from_store(project, counts)
    return counts


def declared_from_settings(project: Project) -> dict[str, Any]:
    """``[report.declared]`` of review.toml (counts of stages run elsewhere), with
    ``"not reported"`` read as an unknown count (None) rather than zero."""
    settings = project.settings.report or ReportSettings()
    raw = settings.declared.model_dump(exclude_none=True)
    return {k: _from_toml(v) for k, v in raw.items()}


def _from_toml(value: Any) -> Any:
    if isinstance(value, list):
        return [(str(name), None if n == NOT_REPORTED else n) for name, n in value]
    return None if value == NOT_REPORTED else value


def _studies_from_store(project: Project, counts: PrismaCounts) -> None:
    """Without a full-text screening plan, the included studies are the study table."""
    if counts.studies_included is not None or "studies_included" in counts.declared:
        return
    from ..stages import studies

    n = len(studies.included(project))
    if n:
        counts.studies_included = n
        counts.notes.append(
            f"Studies included ({n}) are the studies recorded in the project "
            "(no full-text screening plan)."
        )


def _identification(counts: PrismaCounts, conn: Any) -> None:
    per_import = queries.records_per_import(conn)
    imported: dict[int, int] = defaultdict(int)
    has_import: set[int] = set()
    unlinked = 0
    unlinked_ids: list[str] = []
    for imp in queries.list_imports(conn):
        n = per_import.get(imp["id"], 0)
        if imp["search_id"] is None:
            unlinked += n
            unlinked_ids.append(f"import {imp['id']} ({imp['file_name']})")
        else:
            imported[imp["search_id"]] += n
            has_import.add(imp["search_id"])
    by_column: dict[str, dict[str, int | None]] = {"left": {}, "register": {}, "other": {}}
    for s in queries.list_searches(conn):
        n = imported[s["id"]] if s["id"] in has_import else s["records_returned"]
        if s["method"] == "database":
            column, name = "left", s["source"]
        elif s["method"] == "register":
            column, name = "register", s["source"]
        else:
            column, name = "other", s["method"][:1].upper() + s["method"][1:]
            if s["id"] in has_import and n:
                counts.other_methods_screened = True
        seen = by_column[column]
        before = seen.get(name, 0)
        seen[name] = None if n is None or before is None else before + n
    if unlinked:
        by_column["left"][UNLINKED] = unlinked
        counts.notes.append(
            f"{unlinked:,} records were imported without a logged search "
            f"({', '.join(unlinked_ids)}); they are counted under databases. Link each "
            "import to its search (without importing it again) with: reviewflow imports "
            "link IMPORT_ID --search SEARCH_ID (searches: reviewflow search list)"
        )
    counts.databases = list(by_column["left"].items())
    counts.registers = list(by_column["register"].items())
    counts.other_methods = list(by_column["other"].items())


def _screening(counts: PrismaCounts, project: Project) -> None:
    from ..stages import screening
    from ..stages.screening.counts import REASON_PREFIX
    from ..stages.screening.plan import screening_settings
    from ..stages.screening.prioritise import automation_excluded

    if project.settings.screening is None:
        return
    plan = screening_settings(project)
    if not plan.ta.reviewers:
        return
    s = screening.counts(project)
    # records nobody screened when the team stopped on the stopping rule
    automation = automation_excluded(project)
    counts.excluded_automation = automation
    counts.records_screened = s["records_screened"] - automation
    counts.records_excluded = s["records_excluded"]
    counts.reports_sought = s["reports_sought"]
    counts.reports_not_retrieved = s["reports_not_retrieved"]
    _pending(counts, s["records_pending"] + s["records_in_conflict"] - automation, "title/abstract")
    from ..stages.screening.prioritise import ranking_on

    if ranking_on(project, "ta"):  # the methods: how ranked screening stopped, and why
        from ..stages.screening.stopping import methods_text

        counts.notes.append(methods_text(project))
    if not plan.ft.reviewers:
        return
    counts.reports_assessed = s["reports_assessed"]
    counts.reports_excluded = s["reports_excluded"]
    counts.exclusion_reasons = [
        (key[len(REASON_PREFIX) :], n)
        for key, n in s.items()
        if key.startswith(REASON_PREFIX) and n > 0
    ]
    counts.reports_included = s["reports_included"]
    counts.studies_included = s["studies_included"]
    _pending(counts, s["reports_pending"] + s["reports_in_conflict"], "full-text")


def _pending(counts: PrismaCounts, n: int, stage: str) -> None:
    if n:
        counts.notes.append(
            f"{n:,} items still wait for a {stage} decision (pending or in conflict), so "
            "the boxes after this stage do not add up yet."
        )


def apply_declared(counts: PrismaCounts, declared: dict[str, Any]) -> PrismaCounts:
    """Replace counts by the team's declared ones and mark them declared."""
    for name, value in declared.items():
        if name in LIST_FIELDS:
            setattr(counts, name, _entries(name, value))
        elif name in COUNT_FIELDS:
            setattr(counts, name, _count(name, value))
            if name in ("databases_total", "registers_total"):
                # a declared total replaces a derived breakdown that no longer sums to it
                listed = name.removesuffix("_total")
                if listed not in declared:
                    setattr(counts, listed, [(e, None) for e, _ in getattr(counts, listed)])
        elif name == "other_methods_screened":
            counts.other_methods_screened = bool(value)
        else:
            raise InputError(
                f"cannot declare {name!r}: it is not a box of the PRISMA diagram",
                hint="Declare one of: " + ", ".join((*COUNT_FIELDS, *LIST_FIELDS)) + ".",
            )
        counts.declared.add(name)
    return counts


def _count(name: str, value: Any) -> int | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise InputError(
            f"declared {name} must be a whole number of 0 or more, not {value!r}",
            hint=f"Write e.g. {name}=1234.",
        )
    return value


def _entries(name: str, value: Any) -> list[Entry]:
    try:
        return [(str(label), _count(f"{name} ({label})", n)) for label, n in value]
    except (TypeError, ValueError) as exc:
        raise InputError(
            f"declared {name} must be a list of (name, count) pairs",
            hint=f'Write e.g. {name}=[["Embase", 1234], ["MEDLINE", 987]].',
        ) from exc
