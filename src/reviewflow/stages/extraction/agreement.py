"""Field-level agreement between two reviewers who extracted the same studies (the pilot).

The pilot's question is "which fields do reviewers read differently?", so agreement is
reported per field (proportion of studies where both gave the same answer) with every
disagreement listed, not as one coefficient: with three pilot studies a κ per field would
be noise. Answers are compared with :func:`values_equal` (case, spacing, row order and
float noise within the field's tolerance do not count). Fields both reviewers left empty
are counted apart (``both_empty``): nobody answering is not evidence of agreement.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from reviewflow.errors import InputError, StateError
from reviewflow.stages.extraction.forms import Extraction, Form
from reviewflow.stages.extraction.values import values_equal


@dataclass(frozen=True)
class FieldDisagreement:
    """Two different answers to one field of one study."""

    study: str
    field: str
    first: Any
    second: Any


@dataclass(frozen=True)
class FieldAgreement:
    """Agreement on one field across the pilot studies."""

    field: str
    label: str
    compared: int
    agreed: int
    both_empty: int
    disagreements: tuple[FieldDisagreement, ...]

    @property
    def proportion(self) -> float | None:
        """Share of compared studies with the same answer; None when none compared."""
        return self.agreed / self.compared if self.compared else None


@dataclass(frozen=True)
class PilotReport:
    """Per-field agreement of two reviewers on the same studies of one form version."""

    form_id: str
    form_version: int
    reviewers: tuple[str, str]
    studies: tuple[str, ...]
    fields: tuple[FieldAgreement, ...]

    @property
    def compared(self) -> int:
        return sum(f.compared for f in self.fields)

    @property
    def agreed(self) -> int:
        return sum(f.agreed for f in self.fields)

    @property
    def proportion(self) -> float | None:
        """Overall share of compared answers that agree."""
        return self.agreed / self.compared if self.compared else None

    def below(self, threshold: float) -> list[FieldAgreement]:
        """Fields whose agreement is under ``threshold``: candidates for revising the form."""
        return [f for f in self.fields if f.proportion is not None and f.proportion < threshold]


def _by_study(extractions: Sequence[Extraction], form: Form) -> dict[str, Extraction]:
    out: dict[str, Extraction] = {}
    for ext in extractions:
        if (ext.form_id, ext.form_version) != (form.id, form.version):
            raise InputError(
                f"study {ext.study}: extracted on {ext.form_id} v{ext.form_version}, "
                f"not {form.id} v{form.version}",
                hint="Carry the answers to this version with migrate_answers() first.",
            )
        if ext.study in out:
            raise InputError(f"study {ext.study} extracted twice by {ext.reviewer}")
        out[ext.study] = ext
    return out


def pilot_agreement(
    form: Form, first: Sequence[Extraction], second: Sequence[Extraction]
) -> PilotReport:
    """Agreement per field between two reviewers' extractions of the same studies."""
    a, b = _by_study(first, form), _by_study(second, form)
    if set(a) != set(b):
        only = sorted(set(a) ^ set(b))
        raise StateError(
            f"the two pilot reviewers did not extract the same studies: {', '.join(only)}",
            hint="Both pilot reviewers extract every pilot study before agreement is computed.",
        )
    if not a:
        raise StateError("no pilot extractions to compare")
    reviewers = {e.reviewer for e in first}, {e.reviewer for e in second}
    if len(reviewers[0]) != 1 or len(reviewers[1]) != 1 or reviewers[0] == reviewers[1]:
        raise InputError("a pilot compares two different reviewers, one per side")
    studies = tuple(sorted(a))
    rows = []
    for fld in form.fields:
        compared = agreed = both_empty = 0
        disagreements = []
        for study in studies:
            x, y = a[study].answers.get(fld.id), b[study].answers.get(fld.id)
            if x is None and y is None:
                both_empty += 1
                continue
            compared += 1
            if values_equal(fld, x, y):
                agreed += 1
            else:
                disagreements.append(FieldDisagreement(study, fld.id, x, y))
        rows.append(
            FieldAgreement(fld.id, fld.label, compared, agreed, both_empty, tuple(disagreements))
        )
    names = (next(iter(reviewers[0])), next(iter(reviewers[1])))
    return PilotReport(form.id, form.version, names, studies, tuple(rows))
