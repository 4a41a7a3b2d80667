"""What a Table 1 aggregate counts: each study's final answer behind "total 220, range 5–60".

:func:`aggregate_trace` reads the same final (verified, resolved) answers Table 1 is made
from (:func:`reviewflow.stages.extraction.project.overview`, the rows
``table1_rows`` keeps) and computes the column's sentences with the same
:func:`.tables.aggregate`, so the studies listed are the ones the sentences count: those
whose answer is counted, and those "not reported". Each comes with who extracted it, who
verified it, and the field's history (confirmed, proposed, resolved, by whom).
Reads, never writes.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any

from ..errors import NotFoundError
from ..project import Project
from ..stages.extraction import project as extract
from ..stages.extraction.values import NOT_REPORTED, is_empty
from . import tables


@dataclass(frozen=True)
class AggregateEntry:
    """One study's final answer in a Table 1 column."""

    study_id: int
    study: str
    shown: str  # the cell as Table 1 prints it
    counted: bool  # False: not reported (or left empty), counted in "not reported by k of n"
    extractor: str | None
    verifier: str | None
    history: tuple[dict[str, Any], ...] = ()

    def to_dict(self) -> dict[str, Any]:
        return {
            "study_id": self.study_id,
            "study": self.study,
            "value": self.shown,
            "counted": self.counted,
            "extractor": self.extractor,
            "verifier": self.verifier,
            "history": list(self.history),
        }


@dataclass
class AggregateTrace:
    field: str
    label: str
    figures: list[str]
    entries: list[AggregateEntry] = dataclasses.field(default_factory=list)

    @property
    def n_counted(self) -> int:
        return sum(1 for e in self.entries if e.counted)

    def to_dict(self) -> dict[str, Any]:
        return {
            "field": self.field,
            "label": self.label,
            "figures": self.figures,
            "studies": len(self.entries),
            "counted": self.n_counted,
            "entries": [e.to_dict() for e in self.entries],
        }


def aggregate_trace(
    project: Project, field_id: str, *, form_id: str | None = None
) -> AggregateTrace:
    """The studies behind Table 1's aggregate sentences for ``field_id``."""
    form = extract.form_in_use(project, form_id)
    known = {f.id: f for f in form.fields}
    if field_id not in known:
        raise NotFoundError(
            f"the form {form.id} has no field {field_id!r}",
            hint="Its fields: " + ", ".join(known) + ".",
        )
    fld = known[field_id]
    final = [s for s in extract.overview(project, form_id=form.id) if s.status == "final"]
    values = [s.answers.get(field_id) for s in final]
    entries = [
        AggregateEntry(
            study_id=s.study_id,
            study=s.label,
            shown=tables.cell(fld, v) if not is_empty(v) else "",
            counted=not is_empty(v) and v is not NOT_REPORTED,
            extractor=s.extractor,
            verifier=s.verifier,
            history=tuple(
                {"action": e.action, "reviewer": e.reviewer, "note": e.note}
                for e in s.history
                if e.field == field_id
            ),
        )
        for s, v in zip(final, values, strict=True)
    ]
    return AggregateTrace(field_id, fld.label, tables.aggregate(fld, values), entries)


def aggregated_fields(project: Project, *, form_id: str | None = None) -> list[str]:
    """The fields of the form Table 1 has an aggregate sentence for (what can link)."""
    form = extract.form_in_use(project, form_id)
    final = [s for s in extract.overview(project, form_id=form.id) if s.status == "final"]
    return [f.id for f in form.fields if tables.aggregate(f, [s.answers.get(f.id) for s in final])]
