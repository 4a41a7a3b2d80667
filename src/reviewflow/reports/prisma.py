"""PRISMA 2020 flow diagram counts: the boxes, their arithmetic, and the PRISMA2020 CSV.

Pure functions over a :class:`PrismaCounts` value, so a test, the CLI and the HTML report
share one model. A count is ``None`` when nobody knows it (the box shows "not reported");
a count named in ``declared`` was typed in by the team (a stage run outside reviewflow),
every other count was derived from the store by :mod:`.prisma_project`.

:func:`check` states every arithmetic mismatch between boxes as a sentence a reader can
act on; it never corrects a number. :func:`to_csv` writes the template CSV read by the
PRISMA2020 R package and Shiny app (Haddaway et al. 2022), row for row as its
``inst/extdata/PRISMA.csv``, so a team can restyle the diagram there.
"""

from __future__ import annotations

import csv
import io
from dataclasses import asdict, dataclass, field

from .. import cells

Entry = tuple[str, int | None]

#: Human names of the count fields, used in every sentence and box.
LABELS: dict[str, str] = {
    "databases_total": "Records identified from databases",
    "registers_total": "Records identified from registers",
    "duplicates_removed": "Duplicate records removed",
    "excluded_automation": "Records marked as ineligible by automation tools",
    "removed_other": "Records removed for other reasons",
    "records_screened": "Records screened",
    "records_excluded": "Records excluded",
    "reports_sought": "Reports sought for retrieval",
    "reports_not_retrieved": "Reports not retrieved",
    "reports_assessed": "Reports assessed for eligibility",
    "reports_excluded": "Reports excluded",
    "other_reports_sought": "Reports sought for retrieval via other methods",
    "other_reports_not_retrieved": "Reports not retrieved via other methods",
    "other_reports_assessed": "Reports assessed for eligibility via other methods",
    "other_reports_excluded": "Reports excluded via other methods",
    "studies_included": "Studies included in review",
    "reports_included": "Reports of included studies",
    "previous_studies": "Studies included in previous version of review",
    "previous_reports": "Reports of studies included in previous version of review",
}

#: Fields holding lists of (name, n).
LIST_FIELDS = (
    "databases",
    "registers",
    "other_methods",
    "exclusion_reasons",
    "other_exclusion_reasons",
)

COUNT_FIELDS = tuple(LABELS)


@dataclass
class PrismaCounts:
    """Every box of the PRISMA 2020 flow diagram (new and updated review, both columns).

    ``databases_total`` / ``registers_total`` / ``reports_excluded`` may be stated when the
    per-source or per-reason breakdown is unknown or incomplete; otherwise they are the
    sums of their lists. ``other_methods_screened`` says that records found by other
    methods went through deduplication and title/abstract screening with the database
    records (as when they are imported into the same project), so they count in
    "records identified" and the other-methods column has no report boxes of its own.
    ``studies_included``/``reports_included`` are the new ones; with previous studies the
    totals are :attr:`total_studies`/:attr:`total_reports`.
    """

    databases: list[Entry] = field(default_factory=list)
    registers: list[Entry] = field(default_factory=list)
    databases_total: int | None = None
    registers_total: int | None = None
    other_methods: list[Entry] = field(default_factory=list)
    other_methods_screened: bool = False
    duplicates_removed: int | None = None
    excluded_automation: int | None = None
    removed_other: int | None = None
    records_screened: int | None = None
    records_excluded: int | None = None
    reports_sought: int | None = None
    reports_not_retrieved: int | None = None
    reports_assessed: int | None = None
    exclusion_reasons: list[Entry] = field(default_factory=list)
    reports_excluded: int | None = None
    other_reports_sought: int | None = None
    other_reports_not_retrieved: int | None = None
    other_reports_assessed: int | None = None
    other_exclusion_reasons: list[Entry] = field(default_factory=list)
    other_reports_excluded: int | None = None
    studies_included: int | None = None
    reports_included: int | None = None
    previous_studies: int | None = None
    previous_reports: int | None = None
    declared: set[str] = field(default_factory=set)
    notes: list[str] = field(default_factory=list)

    # -- derived totals ----------------------------------------------------------------

    @property
    def databases_n(self) -> int | None:
        return _total(self.databases_total, self.databases)

    @property
    def registers_n(self) -> int | None:
        return _total(self.registers_total, self.registers)

    @property
    def other_methods_n(self) -> int | None:
        return _total(None, self.other_methods)

    @property
    def records_identified(self) -> int | None:
        """Records entering deduplication (databases + registers, plus other methods if
        they were screened with them)."""
        parts = [self.databases_n, self.registers_n]
        if self.other_methods_screened:
            parts.append(self.other_methods_n)
        return None if None in parts else sum(p for p in parts if p is not None)

    @property
    def reports_excluded_n(self) -> int | None:
        return _total(self.reports_excluded, self.exclusion_reasons, empty=None)

    @property
    def other_reports_excluded_n(self) -> int | None:
        return _total(self.other_reports_excluded, self.other_exclusion_reasons, empty=None)

    @property
    def total_studies(self) -> int | None:
        return _add(self.previous_studies, self.studies_included)

    @property
    def total_reports(self) -> int | None:
        return _add(self.previous_reports, self.reports_included)

    def is_declared(self, name: str) -> bool:
        return name in self.declared

    def to_dict(self) -> dict[str, object]:
        """Plain data for JSON: every field plus the derived totals."""
        out = asdict(self)
        out["declared"] = sorted(self.declared)
        for name in ("databases_n", "registers_n", "other_methods_n", "records_identified"):
            out[name] = getattr(self, name)
        out["total_studies"], out["total_reports"] = self.total_studies, self.total_reports
        return out


def _total(stated: int | None, entries: list[Entry], *, empty: int | None = 0) -> int | None:
    if stated is not None:
        return stated
    if not entries:
        return empty
    values = [n for _, n in entries]
    return None if None in values else sum(n for n in values if n is not None)


def _add(previous: int | None, new: int | None) -> int | None:
    if new is None:
        return None
    return new + (previous or 0)


def fmt(n: int | None) -> str:
    """A count as the diagram prints it: thousands separated, or "not reported"."""
    return "not reported" if n is None else f"{n:,}"


# -- arithmetic checks -------------------------------------------------------------------


def check(counts: PrismaCounts) -> list[str]:
    """Every arithmetic mismatch between boxes, in words; empty when the diagram adds up.

    Checks with an unknown count are skipped rather than guessed.
    """
    c = counts
    out: list[str] = _negatives(c)
    out += _list_totals(c)
    out += _screening(c)
    out += _retrieval(c, "", "records screened", c.records_screened)
    out += _other_column(c)
    out += _included(c)
    return out


def _negatives(c: PrismaCounts) -> list[str]:
    out = [
        f"{LABELS[name]} cannot be negative ({getattr(c, name):,})"
        for name in COUNT_FIELDS
        if getattr(c, name) is not None and getattr(c, name) < 0
    ]
    for name in LIST_FIELDS:
        out += [
            f"{label} ({n:,}) cannot be a negative count"
            for label, n in getattr(c, name)
            if n is not None and n < 0
        ]
    return out


def _list_totals(c: PrismaCounts) -> list[str]:
    out = []
    for stated, entries, what, per in (
        (c.databases_total, c.databases, "databases", "per-database"),
        (c.registers_total, c.registers, "registers", "per-register"),
    ):
        listed = _total(None, entries, empty=None)
        if stated is not None and listed is not None and stated != listed:
            out.append(
                f"Records identified from {what} ({stated:,}) should equal the sum of the "
                f"{len(entries)} {per} counts ({listed:,})"
            )
    for stated, entries, suffix in (
        (c.reports_excluded, c.exclusion_reasons, ""),
        (c.other_reports_excluded, c.other_exclusion_reasons, " via other methods"),
    ):
        listed = _total(None, entries, empty=None)
        if stated is not None and listed is not None and stated != listed:
            out.append(
                f"The reasons for excluding reports{suffix} add up to {listed:,}, but "
                f"reports excluded{suffix} is {stated:,}"
            )
    return out


def _screening(c: PrismaCounts) -> list[str]:
    parts = (c.records_identified, c.duplicates_removed, c.excluded_automation, c.removed_other)
    out = []
    if c.records_screened is not None and None not in parts:
        ident, dup, auto, other = (int(p) for p in parts)  # type: ignore[arg-type]
        expected = ident - dup - auto - other
        if c.records_screened != expected:
            out.append(
                f"Records screened ({c.records_screened:,}) should equal records identified "
                f"({_identified_words(c)}) minus duplicates removed ({dup:,}) minus automation "
                f"exclusions ({auto:,}) minus other removals ({other:,}) = {expected:,}"
            )
    if (
        c.records_screened is not None
        and c.records_excluded is not None
        and c.records_excluded > c.records_screened
    ):
        out.append(
            f"Records excluded ({c.records_excluded:,}) cannot exceed records screened "
            f"({c.records_screened:,})"
        )
    return out


def _identified_words(c: PrismaCounts) -> str:
    total = c.records_identified
    if not c.other_methods_screened or not c.other_methods_n:
        return f"{total:,}"
    dbr = (c.databases_n or 0) + (c.registers_n or 0)
    return (
        f"{total:,}: {dbr:,} from databases and registers and "
        f"{c.other_methods_n:,} from other methods"
    )


def _retrieval(c: PrismaCounts, prefix: str, source_words: str, source: int | None) -> list[str]:
    """Sought → not retrieved → assessed → excluded, for one column."""
    suffix = " via other methods" if prefix else ""
    sought = getattr(c, f"{prefix}reports_sought")
    missing = getattr(c, f"{prefix}reports_not_retrieved")
    assessed = getattr(c, f"{prefix}reports_assessed")
    excluded = c.other_reports_excluded_n if prefix else c.reports_excluded_n
    out = []
    if not prefix and None not in (sought, source, c.records_excluded):
        if c.records_excluded <= source:  # type: ignore[operator]
            expected = source - c.records_excluded  # type: ignore[operator]
            if sought != expected:
                out.append(
                    f"Reports sought for retrieval ({sought:,}) should equal {source_words} "
                    f"({source:,}) minus records excluded ({c.records_excluded:,}) = "
                    f"{expected:,}"
                )
    if prefix and None not in (sought, source) and sought > source:
        out.append(
            f"Reports sought for retrieval{suffix} ({sought:,}) cannot exceed "
            f"{source_words} ({source:,})"
        )
    if None not in (sought, missing):
        if missing > sought:
            out.append(
                f"Reports not retrieved{suffix} ({missing:,}) cannot exceed reports sought "
                f"for retrieval{suffix} ({sought:,})"
            )
        elif assessed is not None and assessed != sought - missing:
            out.append(
                f"Reports assessed for eligibility{suffix} ({assessed:,}) should equal "
                f"reports sought for retrieval{suffix} ({sought:,}) minus reports not "
                f"retrieved{suffix} ({missing:,}) = {sought - missing:,}"
            )
    if None not in (assessed, excluded) and excluded > assessed:
        out.append(
            f"Reports excluded{suffix} ({excluded:,}) cannot exceed reports assessed for "
            f"eligibility{suffix} ({assessed:,})"
        )
    return out


def _other_column(c: PrismaCounts) -> list[str]:
    if c.other_methods_screened:
        return []
    return _retrieval(c, "other_", "records identified from other methods", c.other_methods_n)


def _other_contribution(c: PrismaCounts) -> tuple[int, int] | None:
    """(assessed, excluded) of the other-methods column; (0, 0) when it has no reports."""
    assessed, excluded = c.other_reports_assessed, c.other_reports_excluded_n
    if assessed is not None:
        return assessed, excluded or 0
    if c.other_methods_screened or not c.other_methods_n:
        return 0, 0
    return None


def _included(c: PrismaCounts) -> list[str]:
    out = []
    assessed, excluded, other = c.reports_assessed, c.reports_excluded_n, _other_contribution(c)
    if c.reports_included is not None and None not in (assessed, excluded, other):
        o_assessed, o_excluded = other  # type: ignore[misc]
        expected = assessed - excluded + o_assessed - o_excluded  # type: ignore[operator]
        if c.reports_included != expected:
            words = (
                f"Reports of included studies ({c.reports_included:,}) should equal reports "
                f"assessed for eligibility ({assessed:,}) minus reports excluded ({excluded:,})"
            )
            if o_assessed or o_excluded:
                words += (
                    f" plus reports assessed via other methods ({o_assessed:,}) minus reports "
                    f"excluded via other methods ({o_excluded:,})"
                )
            out.append(f"{words} = {expected:,}")
    for studies, reports in (
        ("studies_included", "reports_included"),
        ("previous_studies", "previous_reports"),
    ):
        s, r = getattr(c, studies), getattr(c, reports)
        if None not in (s, r) and s > r:
            out.append(
                f"{LABELS[studies]} ({s:,}) cannot exceed {LABELS[reports].lower()} ({r:,}): "
                "every study has at least one report"
            )
    return out


# -- PRISMA2020 CSV ----------------------------------------------------------------------

#: The rows of PRISMA2020's inst/extdata/PRISMA.csv (data, node, box, description, boxtext,
#: tooltips, url, n), in its order; ``n`` of a title row is the template's own 0.
CSV_COLUMNS = ("data", "node", "box", "description", "boxtext", "tooltips", "url", "n")
_EX = "[separate reasons and numbers using ; e.g. Reason1, xxx; Reason2, xxx; Reason3, xxx]"
# fmt: off
TEMPLATE_ROWS: tuple[tuple[str, ...], ...] = (
    ("NA", "node4", "prevstud", "Grey title box; Previous studies", "Previous studies",
     "Grey title box; Previous studies", "prevstud.html"),
    ("previous_studies", "node5", "box1", "Studies included in previous version of review",
     "Studies included in previous version of review",
     "Studies included in previous version of review", "previous_studies.html"),
    ("previous_reports", "NA", "box1",
     "Reports of studies included in previous version of review",
     "Reports of studies included in previous version of review", "NA",
     "previous_reports.html"),
    ("NA", "node6", "newstud",
     "Yellow title box; Identification of new studies via databases and registers",
     "Identification of new studies via databases and registers",
     "Yellow title box; Identification of new studies via databases and registers",
     "newstud.html"),
    ("database_results", "node7", "box2", "Records identified from: Databases", "Databases",
     "Records identified from: Databases and Registers", "database_results.html"),
    ("database_specific_results", "NA", "box2", "Records identified from: specific databases",
     "Specific Databases", "NA", "database_results.html"),
    ("register_results", "NA", "box2", "Records identified from: Registers", "Registers",
     "NA", "NA"),
    ("register_specific_results", "NA", "box2", "Records identified from: specific registers",
     "Specific Registers", "NA", "database_results.html"),
    ("NA", "node16", "othstud",
     "Grey title box; Identification of new studies via other methods",
     "Identification of new studies via other methods",
     "Grey title box; Identification of new studies via other methods", "othstud.html"),
    ("website_results", "node17", "box11", "Records identified from: Websites", "Websites",
     "Records identified from: Websites, Organisations and Citation Searching",
     "website_results.html"),
    ("organisation_results", "", "box11", "Records identified from: Organisations",
     "Organisations", "NA", "NA"),
    ("citations_results", "NA", "box11", "Records identified from: Citation searching",
     "Citation searching", "NA", "NA"),
    ("duplicates", "node8", "box3", "Duplicate records", "Duplicate records",
     "Duplicate records", "duplicates.html"),
    ("excluded_automatic", "NA", "box3", "Records marked as ineligible by automation tools",
     "Records marked as ineligible by automation tools", "NA", "NA"),
    ("excluded_other", "NA", "box3", "Records removed for other reasons",
     "Records removed for other reasons", "NA", "NA"),
    ("records_screened", "node9", "box4", "Records screened (databases and registers)",
     "Records screened", "Records screened (databases and registers)",
     "records_screened.html"),
    ("records_excluded", "node10", "box5", "Records excluded (databases and registers)",
     "Records excluded", "Records excluded (databases and registers)",
     "records_excluded.html"),
    ("dbr_sought_reports", "node11", "box6",
     "Reports sought for retrieval (databases and registers)", "Reports sought for retrieval",
     "Reports sought for retrieval (databases and registers)", "dbr_sought_reports.html"),
    ("dbr_notretrieved_reports", "node12", "box7",
     "Reports not retrieved (databases and registers)", "Reports not retrieved",
     "Reports not retrieved (databases and registers)", "dbr_notretrieved_reports.html"),
    ("other_sought_reports", "node18", "box12", "Reports sought for retrieval (other)",
     "Reports sought for retrieval", "Reports sought for retrieval (other)",
     "other_sought_reports.html"),
    ("other_notretrieved_reports", "node19", "box13", "Reports not retrieved (other)",
     "Reports not retrieved", "Reports not retrieved (other)",
     "other_notretrieved_reports.html"),
    ("dbr_assessed", "node13", "box8",
     "Reports assessed for eligibility (databases and registers)",
     "Reports assessed for eligibility",
     "Reports assessed for eligibility (databases and registers)", "dbr_assessed.html"),
    ("dbr_excluded", "node14", "box9", f"Reports excluded (databases and registers): {_EX}",
     "Reports excluded", "Reports excluded (databases and registers)",
     "dbrexcludedrecords.html"),
    ("other_assessed", "node20", "box14", "Reports assessed for eligibility (other)",
     "Reports assessed for eligibility", "Reports assessed for eligibility (other)",
     "other_assessed.html"),
    ("other_excluded", "node21", "box15", f"Reports excluded (other): {_EX}",
     "Reports excluded", "Reports excluded (other)", "other_excluded.html"),
    ("new_studies", "node15", "box10", "New studies included in review",
     "New studies included in review", "New studies included in review", "new_studies.html"),
    ("new_reports", "NA", "box10", "Reports of new included studies",
     "Reports of new included studies", "NA", "NA"),
    ("total_studies", "node22", "box16", "Total studies included in review",
     "Total studies included in review", "Total studies included in review",
     "total_studies.html"),
    ("total_reports", "NA", "box16", "Reports of total included studies",
     "Reports of total included studies", "NA", "NA"),
    ("identification", "node1", "identification", "Blue identification box", "Identification",
     "Blue identification box", "identification.html"),
    ("screening", "node2", "screening", "Blue screening box", "Screening",
     "Blue screening box", "screening.html"),
    ("included", "node3", "included", "Blue included box", "Included", "Blue included box",
     "included.html"),
)
# fmt: on

#: Which PRISMA2020 ``data`` row each count feeds (the declared marks follow this map).
CSV_SOURCE: dict[str, tuple[str, ...]] = {
    "previous_studies": ("previous_studies",),
    "previous_reports": ("previous_reports",),
    "database_results": ("databases_total", "databases"),
    "database_specific_results": ("databases",),
    "register_results": ("registers_total", "registers"),
    "register_specific_results": ("registers",),
    "website_results": ("other_methods",),
    "organisation_results": ("other_methods",),
    "citations_results": ("other_methods",),
    "duplicates": ("duplicates_removed",),
    "excluded_automatic": ("excluded_automation",),
    "excluded_other": ("removed_other",),
    "records_screened": ("records_screened",),
    "records_excluded": ("records_excluded",),
    "dbr_sought_reports": ("reports_sought",),
    "dbr_notretrieved_reports": ("reports_not_retrieved",),
    "other_sought_reports": ("other_reports_sought",),
    "other_notretrieved_reports": ("other_reports_not_retrieved",),
    "dbr_assessed": ("reports_assessed",),
    "dbr_excluded": ("reports_excluded", "exclusion_reasons"),
    "other_assessed": ("other_reports_assessed",),
    "other_excluded": ("other_reports_excluded", "other_exclusion_reasons"),
    "new_studies": ("studies_included",),
    "new_reports": ("reports_included",),
    "total_studies": ("studies_included", "previous_studies"),
    "total_reports": ("reports_included", "previous_reports"),
}


def method_slot(name: str) -> str:
    """The PRISMA2020 row an other method's count goes to (see :func:`other_method_slots`)."""
    low = name.lower()
    if "website" in low:
        return "website_results"
    if "organi" in low:
        return "organisation_results"
    return "citations_results"


def other_method_slots(counts: PrismaCounts) -> dict[str, tuple[str, int | None]]:
    """Map other methods onto PRISMA2020's three slots (websites, organisations, citations).

    Methods that are neither websites nor organisations (hand searching, contacts, ...)
    share the citation slot, whose box text then names them all.
    """
    slots: dict[str, list[Entry]] = {"website_results": [], "organisation_results": []}
    slots["citations_results"] = []
    for name, n in counts.other_methods:
        slots[method_slot(name)].append((name, n))
    out: dict[str, tuple[str, int | None]] = {}
    for key, entries in slots.items():
        if entries:
            names = [entries[0][0]] + [e[0].lower() for e in entries[1:]]
            out[key] = ("; ".join(names), _total(None, entries))
    return out


def _csv_list(entries: list[Entry]) -> str:
    def clean(name: str) -> str:
        return " ".join(name.replace(",", " ").replace(";", " ").split())

    return "; ".join(f"{clean(name)}, {'NA' if n is None else n}" for name, n in entries)


def _csv_n(counts: PrismaCounts) -> dict[str, str]:
    c = counts

    def num(n: int | None) -> str:
        return "NA" if n is None else str(n)

    values = {
        "previous_studies": num(c.previous_studies),
        "previous_reports": num(c.previous_reports),
        "database_results": num(c.databases_n),
        "database_specific_results": _csv_list(c.databases) or "NA",
        "register_results": num(c.registers_n),
        "register_specific_results": _csv_list(c.registers) or "NA",
        "duplicates": num(c.duplicates_removed),
        "excluded_automatic": num(c.excluded_automation),
        "excluded_other": num(c.removed_other),
        "records_screened": num(c.records_screened),
        "records_excluded": num(c.records_excluded),
        "dbr_sought_reports": num(c.reports_sought),
        "dbr_notretrieved_reports": num(c.reports_not_retrieved),
        "other_sought_reports": num(c.other_reports_sought),
        "other_notretrieved_reports": num(c.other_reports_not_retrieved),
        "dbr_assessed": num(c.reports_assessed),
        "dbr_excluded": _csv_list(c.exclusion_reasons) or num(c.reports_excluded_n),
        "other_assessed": num(c.other_reports_assessed),
        "other_excluded": _csv_list(c.other_exclusion_reasons) or num(c.other_reports_excluded_n),
        "new_studies": num(c.studies_included),
        "new_reports": num(c.reports_included),
        "total_studies": num(c.total_studies),
        "total_reports": num(c.total_reports),
    }
    for key in ("website_results", "organisation_results", "citations_results"):
        values[key] = "NA"
    for key, (_, n) in other_method_slots(c).items():
        values[key] = num(n)
    return values


def to_csv(counts: PrismaCounts) -> str:
    """The PRISMA2020 template CSV filled with these counts (unknown counts as ``NA``).

    Rows, nodes, boxes and URLs are the template's; box texts change only where an other
    method has no slot of its own (see :func:`other_method_slots`), and the tooltip of a
    declared count says "(declared, not derived)".
    """
    values = _csv_n(counts)
    slots = other_method_slots(counts)
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(CSV_COLUMNS)
    for row in TEMPLATE_ROWS:
        data, node, box, description, boxtext, tooltips, url = row
        if data in slots and data == "citations_results":
            boxtext = slots[data][0]
        sources = CSV_SOURCE.get(data, ())
        if any(counts.is_declared(s) for s in sources) and tooltips != "NA":
            tooltips = f"{tooltips} (declared, not derived)"
        writer.writerow(
            cells.escape_row(
                [data, node, box, description, boxtext, tooltips, url, values.get(data, 0)]
            )
        )
    return buf.getvalue()
