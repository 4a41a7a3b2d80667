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
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from ..errors import InputError
from ..project import Project
from ..settings import NOT_REPORTED, ReportSettings
from ..stages.dedup import links
from ..store import queries
from .prisma import COUNT_FIELDS, LIST_FIELDS, Entry, PrismaCounts

if TYPE_CHECKING:
    from ..stages.screening.counts import Members
    from ..stages.studies import Study

#: Search-log methods that feed the left (databases and registers) column.
LEFT_METHODS = ("database", "register")
UNLINKED = "Imported without a logged search"


@dataclass(frozen=True)
class Source:
    """One search of the log (or the imports linked to no search) as the diagram counts it.

    ``n`` is the records imported for the search, or its logged ``records_returned`` when
    nothing was imported (a count typed into the search log, with no records behind it).
    """

    column: str  # "left" (databases), "register" or "other"
    name: str  # the diagram's entry it adds to ("Embase", "Citation searching", ...)
    search: dict[str, Any] | None  # None: the imports linked to no search
    imports: tuple[dict[str, Any], ...]
    n: int | None

    @property
    def import_ids(self) -> tuple[int, ...]:
        return tuple(int(i["id"]) for i in self.imports)


@dataclass
class Derivation:
    """What the derived counts count: every count of :func:`derive` is the length of one
    of these lists (or the sum of its sources' ``n``), so a list of what a box counts has
    as many entries as the box says (:mod:`reviewflow.reports.prisma_trace`)."""

    sources: list[Source] = field(default_factory=list)
    #: duplicate record id -> its current link event (who or what linked it, and when)
    duplicates: dict[int, dict[str, Any]] = field(default_factory=dict)
    screening: Members | None = None
    automation: list[int] = field(default_factory=list)
    screened: list[int] = field(default_factory=list)
    #: the studies recorded in the project, when they are the included studies (no
    #: full-text screening plan)
    studies: list[Study] | None = None


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
    return derive(project, declared=declared)[0]


def derive(
    project: Project, *, declared: dict[str, Any] | None = None
) -> tuple[PrismaCounts, Derivation]:
    """:func:`counts_from_project`'s counts with the lists they count (one read of each)."""
    counts, found = PrismaCounts(), Derivation()
    with project.db.connect() as conn:
        found.sources = identification_sources(conn)
        found.duplicates = links.latest_links(conn)
    _identification(counts, found.sources)
    counts.duplicates_removed = len(found.duplicates)
    # automation exclusions come from the stopping rule (set in _screening); reviewflow
    # removes nothing else before screening
    counts.excluded_automation = 0
    counts.removed_other = 0
    from ..stages.screening import state_cache

    with state_cache(project):  # counts and automation exclusions share one derived state
        _screening(counts, project, found)
    wanted = {**declared_from_settings(project), **(declared or {})}
    if wanted:
        apply_declared(counts, wanted)
    _studies_from_store(project, counts, found)
    return counts, found


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


def _studies_from_store(project: Project, counts: PrismaCounts, found: Derivation) -> None:
    """Without a full-text screening plan, the included studies are the study table."""
    if counts.studies_included is not None or "studies_included" in counts.declared:
        return
    from ..stages import studies

    included = studies.included(project)
    if included:
        found.studies = included
        counts.studies_included = n = len(included)
        counts.notes.append(
            f"Studies included ({n}) are the studies recorded in the project "
            "(no full-text screening plan)."
        )


def identification_sources(conn: Any) -> list[Source]:
    """Every logged search as a :class:`Source`, then the imports linked to no search (when
    they hold records), in the search log's order."""
    per_import = queries.records_per_import(conn)
    by_search: dict[int, list[dict[str, Any]]] = defaultdict(list)
    unlinked: list[dict[str, Any]] = []
    for imp in queries.list_imports(conn):
        if imp["search_id"] is None:
            unlinked.append(imp)
        else:
            by_search[imp["search_id"]].append(imp)
    out: list[Source] = []
    for s in queries.list_searches(conn):
        found = tuple(by_search.get(s["id"], ()))
        n = sum(per_import.get(i["id"], 0) for i in found) if found else s["records_returned"]
        if s["method"] in LEFT_METHODS:
            column, name = ("left" if s["method"] == "database" else "register"), s["source"]
        else:
            column, name = "other", s["method"][:1].upper() + s["method"][1:]
        out.append(Source(column, name, s, found, n))
    n_unlinked = sum(per_import.get(i["id"], 0) for i in unlinked)
    if n_unlinked:
        out.append(Source("left", UNLINKED, None, tuple(unlinked), n_unlinked))
    return out


def _identification(counts: PrismaCounts, sources: list[Source]) -> None:
    by_column: dict[str, dict[str, int | None]] = {"left": {}, "register": {}, "other": {}}
    for src in sources:
        if src.search is None:
            continue
        if src.column == "other" and src.imports and src.n:
            counts.other_methods_screened = True
        seen = by_column[src.column]
        before = seen.get(src.name, 0)
        seen[src.name] = None if src.n is None or before is None else before + src.n
    for src in sources:
        if src.search is not None:
            continue
        by_column["left"][UNLINKED] = src.n
        names = ", ".join(f"import {i['id']} ({i['file_name']})" for i in src.imports)
        counts.notes.append(
            f"{src.n:,} records were imported without a logged search "
            f"({names}); they are counted under databases. Link each "
            "import to its search (without importing it again) with: reviewflow imports "
            "link IMPORT_ID --search SEARCH_ID (searches: reviewflow search list)"
        )
    counts.databases = list(by_column["left"].items())
    counts.registers = list(by_column["register"].items())
    counts.other_methods = list(by_column["other"].items())


def _screening(counts: PrismaCounts, project: Project, found: Derivation) -> None:
    from ..stages.screening.counts import REASON_PREFIX, members
    from ..stages.screening.plan import screening_settings
    from ..stages.screening.prioritise import automation_excluded_ids

    if project.settings.screening is None:
        return
    plan = screening_settings(project)
    if not plan.ta.reviewers:
        return
    m = found.screening = members(project)
    ids = m.ids
    # records nobody screened when the team stopped on the stopping rule
    found.automation = automation_excluded_ids(project)
    unscreened = set(found.automation)
    found.screened = [i for i in ids["records_screened"] if i not in unscreened]
    counts.excluded_automation = len(found.automation)
    counts.records_screened = len(found.screened)
    counts.records_excluded = len(ids["records_excluded"])
    counts.reports_sought = len(ids["reports_sought"])
    counts.reports_not_retrieved = len(ids["reports_not_retrieved"])
    waiting = len(ids["records_pending"]) + len(ids["records_in_conflict"])
    _pending(counts, waiting - len(found.automation), "title/abstract")
    from ..stages.screening.prioritise import ranking_on

    if ranking_on(project, "ta"):  # the methods: how ranked screening stopped, and why
        from ..stages.screening.stopping import methods_text

        counts.notes.append(methods_text(project))
    if not plan.ft.reviewers:
        return
    counts.reports_assessed = len(ids["reports_assessed"])
    counts.reports_excluded = len(ids["reports_excluded"])
    counts.exclusion_reasons = [
        (key[len(REASON_PREFIX) :], len(items))
        for key, items in ids.items()
        if key.startswith(REASON_PREFIX) and items
    ]
    counts.reports_included = len(ids["reports_included"])
    counts.studies_included = len(ids["studies_included"])
    _pending(counts, len(ids["reports_pending"]) + len(ids["reports_in_conflict"]), "full-text")


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
