"""What a PRISMA box counts: the records, reports, studies or search-log rows behind it.

:func:`trace` reads the project once through :func:`.prisma_project.derive`, the function
the diagram's counts come from, and turns the lists each derived count is the length of
into entries, so a box of n records lists n records by construction. A box whose number
was typed in lists the rows it was typed into: a search logged with its records returned
and nothing imported is one ``search`` entry adding that many, a declared count (review.toml
``[report.declared]``, or ``--declare``) one ``declared`` entry. :attr:`BoxTrace.total`, the
sum of the entries' ``n``, is the box's number either way.

Box names are the ``data`` column of the PRISMA2020 CSV (:data:`BOXES`); a box with a
breakdown (per database, register, other method or exclusion reason) can be narrowed to one
``part``.

Blindness is the screening pages' own rule (:func:`..stages.screening.decisions.visible_votes`):
``viewer`` sees the votes they may see there and no others. Where being in a box would tell
a viewer how someone voted while the stage is blind (a record in "records excluded" says
both screeners excluded it), the entry is counted but not named: ``hidden`` is true and it
carries no id or title. Reads, never writes; the entries are built in :mod:`.prisma_entries`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from ..errors import NotFoundError
from ..project import Project
from . import prisma
from .prisma_project import derive

#: Every box name, as the PRISMA2020 CSV's ``data`` column has them, in its order.
BOXES: tuple[str, ...] = tuple(
    row[0] for row in prisma.TEMPLATE_ROWS if row[0] in prisma.CSV_SOURCE
)
DESCRIPTIONS: dict[str, str] = {row[0]: row[3].split(": [")[0] for row in prisma.TEMPLATE_ROWS}
#: Boxes with a breakdown, and the count field holding it.
PARTS: dict[str, str] = {
    "database_results": "databases",
    "database_specific_results": "databases",
    "register_results": "registers",
    "register_specific_results": "registers",
    "dbr_excluded": "exclusion_reasons",
    "other_excluded": "other_exclusion_reasons",
    "website_results": "other_methods",
    "organisation_results": "other_methods",
    "citations_results": "other_methods",
}


@dataclass(frozen=True)
class Decision:
    """Who did what to an entry, and when (a vote, a ruling, a link, a retrieval, ...)."""

    who: str | None
    what: str
    when: datetime | None
    reason: str | None = None
    note: str | None = None
    role: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "who": self.who,
            "what": self.what,
            "when": self.when.isoformat() if self.when is not None else None,
            "reason": self.reason,
            "note": self.note,
            "role": self.role,
        }


@dataclass(frozen=True)
class TraceEntry:
    """One thing a box counts. ``n`` is how much it adds to the box: 1 for a record,
    report or study; the typed-in number for a ``search`` or ``declared`` entry."""

    kind: str  # record | report | study | search | declared
    id: int | None
    title: str | None = None
    first_author: str | None = None
    year: int | None = None
    part: str | None = None
    n: int | None = 1
    decisions: tuple[Decision, ...] = ()
    #: votes on it the viewer may not see yet (blind screening)
    hidden_votes: int = 0
    #: counted, but not named: naming it would reveal a vote the viewer may not see
    hidden: bool = False
    detail: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "id": self.id,
            "title": self.title,
            "first_author": self.first_author,
            "year": self.year,
            "part": self.part,
            "n": self.n,
            "hidden": self.hidden,
            "hidden_votes": self.hidden_votes,
            "decisions": [d.to_dict() for d in self.decisions],
            "detail": self.detail,
        }


@dataclass
class BoxTrace:
    """A box's number and the entries behind it."""

    box: str
    label: str
    count: int | None
    entries: list[TraceEntry]
    part: str | None = None
    #: (name, n) breakdown of the box (databases, reasons, ...), when it has one
    parts: list[prisma.Entry] = field(default_factory=list)
    declared: bool = False
    notes: list[str] = field(default_factory=list)

    @property
    def total(self) -> int | None:
        """What the entries add up to: the box's number (None if one is unknown)."""
        values = [e.n for e in self.entries]
        return None if None in values else sum(n for n in values if n is not None)

    @property
    def n_hidden(self) -> int:
        return sum(1 for e in self.entries if e.hidden)

    def to_dict(self) -> dict[str, Any]:
        return {
            "box": self.box,
            "label": self.label,
            "part": self.part,
            "count": self.count,
            "total": self.total,
            "declared": self.declared,
            "parts": [list(p) for p in self.parts],
            "notes": self.notes,
            "entries": [e.to_dict() for e in self.entries],
        }


def check_box(name: str) -> str:
    """``name`` if it is a box of the PRISMA2020 CSV, else an error listing them."""
    if name in BOXES:
        return name
    raise NotFoundError(
        f"{name!r} is not a PRISMA box",
        hint="Box names are the data column of the PRISMA2020 CSV: " + ", ".join(BOXES) + ".",
    )


def trace(
    project: Project,
    box: str,
    *,
    viewer: str | None = None,
    part: str | None = None,
    declared: dict[str, Any] | None = None,
) -> BoxTrace:
    """What ``box`` counts, as ``viewer`` may see it (``part``: one line of its breakdown)."""
    return trace_all(project, viewer=viewer, declared=declared, boxes=[check_box(box)], part=part)[
        box
    ]


def trace_all(
    project: Project,
    *,
    viewer: str | None = None,
    declared: dict[str, Any] | None = None,
    boxes: Iterable[str] = BOXES,
    part: str | None = None,
) -> dict[str, BoxTrace]:
    """Every box (or ``boxes``) from one derivation of the diagram."""
    from ..stages.screening import state_cache
    from .prisma_entries import Tracer

    with state_cache(project):
        counts, found = derive(project, declared=declared)
        tracer = Tracer(project, counts, found, viewer, set(declared or ()))
        with project.db.connect() as conn:
            tracer.conn = conn
            return {b: tracer.box(b, part) for b in boxes}


#: The box each count of the diagram's table is (the field of :class:`.prisma.PrismaCounts`
#: a row shows -> the PRISMA2020 CSV's box); list fields link to one line of their box.
FIELD_BOX: dict[str, str] = {
    "databases_total": "database_results",
    "databases": "database_results",
    "registers_total": "register_results",
    "registers": "register_results",
    "duplicates_removed": "duplicates",
    "excluded_automation": "excluded_automatic",
    "removed_other": "excluded_other",
    "records_screened": "records_screened",
    "records_excluded": "records_excluded",
    "reports_sought": "dbr_sought_reports",
    "reports_not_retrieved": "dbr_notretrieved_reports",
    "reports_assessed": "dbr_assessed",
    "reports_excluded": "dbr_excluded",
    "exclusion_reasons": "dbr_excluded",
    "other_reports_sought": "other_sought_reports",
    "other_reports_not_retrieved": "other_notretrieved_reports",
    "other_reports_assessed": "other_assessed",
    "other_reports_excluded": "other_excluded",
    "other_exclusion_reasons": "other_excluded",
    "studies_included": "new_studies",
    "reports_included": "new_reports",
    "previous_studies": "previous_studies",
    "previous_reports": "previous_reports",
}


#: The boxes of the drawn diagram (:mod:`.prisma_svg` keys) that hold one number, and the
#: PRISMA2020 box each is; boxes with several numbers (identification, included) are
#: linked line by line from the counts table instead.
SVG_BOXES: dict[str, str] = {
    "screened": "records_screened",
    "records_excluded": "records_excluded",
    "sought": "dbr_sought_reports",
    "not_retrieved": "dbr_notretrieved_reports",
    "assessed": "dbr_assessed",
    "reports_excluded": "dbr_excluded",
    "other_sought": "other_sought_reports",
    "other_not_retrieved": "other_notretrieved_reports",
    "other_assessed": "other_assessed",
    "other_excluded": "other_excluded",
}


def box_of(field: str, line: str | None = None) -> tuple[str, str | None] | None:
    """(box, line) that lists what the diagram's count ``field`` (one ``line`` of it, for
    a list field) counts; None for a count no single box holds (other methods' total)."""
    if field == "other_methods":
        return (prisma.method_slot(line), line) if line is not None else None
    box = FIELD_BOX.get(field)
    if box is None:
        return None
    return box, line if field in prisma.LIST_FIELDS else None


def box_count(counts: prisma.PrismaCounts, box: str) -> int | None:
    """The number the diagram (and the PRISMA2020 CSV) gives ``box``."""
    c = counts
    special: dict[str, Callable[[], int | None]] = {
        "database_results": lambda: c.databases_n,
        "database_specific_results": lambda: c.databases_n,
        "register_results": lambda: c.registers_n,
        "register_specific_results": lambda: c.registers_n,
        "dbr_excluded": lambda: c.reports_excluded_n,
        "other_excluded": lambda: c.other_reports_excluded_n,
        "total_studies": lambda: c.total_studies,
        "total_reports": lambda: c.total_reports,
    }
    if box in special:
        return special[box]()
    if box in ("website_results", "organisation_results", "citations_results"):
        return prisma.other_method_slots(c).get(box, ("", None))[1]
    (source,) = prisma.CSV_SOURCE[box]
    value: int | None = getattr(c, source)
    return value
