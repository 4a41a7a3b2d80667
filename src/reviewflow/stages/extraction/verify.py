"""Verification of one reviewer's extraction by a second, field by field, and resolution.

Pure functions over values, so the store can persist what they return as append-only
events: :func:`compare` lists discrepancies (the verifier proposed a different value),
:func:`resolve` applies recorded resolutions and returns the final answers *with* the
history that produced them. A value is never replaced without an event naming who
changed it, from what, to what, and why; an unresolved discrepancy blocks the final
answers (:class:`StateError`) instead of one side silently winning.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from reviewflow.errors import InputError, StateError
from reviewflow.stages.extraction.forms import Extraction, Form
from reviewflow.stages.extraction.values import coerce, values_equal


@dataclass(frozen=True)
class Check:
    """The verifier's verdict on one field: agree, or propose ``value`` with a ``note``."""

    field: str
    agree: bool
    value: Any = None
    note: str = ""


def agree(field_id: str, note: str = "") -> Check:
    return Check(field_id, True, None, note)


def propose(field_id: str, value: Any, note: str = "") -> Check:
    return Check(field_id, False, value, note)


@dataclass(frozen=True)
class Verification:
    """A second reviewer's field-by-field check of an extraction."""

    study: str
    reviewer: str
    checks: tuple[Check, ...]


@dataclass(frozen=True)
class Discrepancy:
    """The verifier proposes a value different from the extracted one."""

    study: str
    field: str
    extracted: Any
    proposed: Any
    verifier: str
    note: str = ""


@dataclass(frozen=True)
class Comparison:
    """Result of comparing an extraction with its verification."""

    confirmed: tuple[str, ...]
    discrepancies: tuple[Discrepancy, ...]
    unchecked: tuple[str, ...]


@dataclass(frozen=True)
class Resolution:
    """The agreed value of a discrepant field, who recorded it and why."""

    field: str
    value: Any
    by: str
    note: str = ""


@dataclass(frozen=True)
class Event:
    """One step of a field's history: extracted, confirmed, proposed or resolved."""

    study: str
    field: str
    action: str
    reviewer: str
    value: Any
    note: str = ""


@dataclass(frozen=True)
class Resolved:
    """Final answers and the full history; ``unresolved`` lists fields still open."""

    answers: dict[str, Any]
    history: tuple[Event, ...]
    unresolved: tuple[Discrepancy, ...] = field(default_factory=tuple)


def _check_verification(form: Form, extraction: Extraction, verification: Verification) -> None:
    if verification.study != extraction.study:
        raise InputError(
            f"verification of study {verification.study} cannot check study {extraction.study}"
        )
    if verification.reviewer == extraction.reviewer:
        raise InputError(
            f"{verification.reviewer} extracted study {extraction.study} and cannot verify it",
            hint="A second reviewer verifies the extraction.",
        )
    if (extraction.form_id, extraction.form_version) != (form.id, form.version):
        raise InputError(
            f"study {extraction.study} was extracted on {extraction.form_id} "
            f"v{extraction.form_version}, not {form.id} v{form.version}"
        )
    seen: set[str] = set()
    for check in verification.checks:
        form.field(check.field)
        if check.field in seen:
            raise InputError(f"study {extraction.study}: field {check.field} verified twice")
        seen.add(check.field)


def compare(form: Form, extraction: Extraction, verification: Verification) -> Comparison:
    """Discrepancies between extraction and verification, field by field.

    A proposal equal to the extracted value (per :func:`values_equal`) counts as a
    confirmation. Fields the verifier did not look at are ``unchecked``.
    """
    _check_verification(form, extraction, verification)
    confirmed, discrepancies = [], []
    by_field = {c.field: c for c in verification.checks}
    for fld in form.fields:
        check = by_field.get(fld.id)
        if check is None:
            continue
        extracted = extraction.answers.get(fld.id)
        if check.agree:
            confirmed.append(fld.id)
            continue
        proposed = coerce(fld, check.value)
        if values_equal(fld, extracted, proposed):
            confirmed.append(fld.id)
        else:
            discrepancies.append(
                Discrepancy(
                    extraction.study, fld.id, extracted, proposed, verification.reviewer, check.note
                )
            )
    unchecked = tuple(f.id for f in form.fields if f.id not in by_field)
    return Comparison(tuple(confirmed), tuple(discrepancies), unchecked)


def resolve(
    form: Form,
    extraction: Extraction,
    verification: Verification,
    resolutions: Sequence[Resolution] = (),
) -> Resolved:
    """Apply resolutions to the discrepancies; return answers, history and what is open."""
    comparison = compare(form, extraction, verification)
    open_fields = {d.field: d for d in comparison.discrepancies}
    chosen: dict[str, Resolution] = {}
    for res in resolutions:
        if res.field not in open_fields:
            raise InputError(
                f"study {extraction.study}: no discrepancy on field {res.field} to resolve",
                hint="Only fields the verifier disputed are resolved.",
            )
        if res.field in chosen:
            raise InputError(f"study {extraction.study}: field {res.field} resolved twice")
        chosen[res.field] = Resolution(
            res.field, coerce(form.field(res.field), res.value), res.by, res.note
        )
    study = extraction.study
    history = [
        Event(study, k, "extracted", extraction.reviewer, v, extraction.notes.get(k, ""))
        for k, v in extraction.answers.items()
    ]
    notes = {c.field: c.note for c in verification.checks}
    for fid in comparison.confirmed:
        history.append(
            Event(
                study,
                fid,
                "confirmed",
                verification.reviewer,
                extraction.answers.get(fid),
                notes.get(fid, ""),
            )
        )
    answers = dict(extraction.answers)
    for d in comparison.discrepancies:
        history.append(Event(study, d.field, "proposed", d.verifier, d.proposed, d.note))
        if d.field in chosen:
            res = chosen[d.field]
            history.append(Event(study, d.field, "resolved", res.by, res.value, res.note))
            if res.value is None:
                answers.pop(d.field, None)
            else:
                answers[d.field] = res.value
    unresolved = tuple(d for d in comparison.discrepancies if d.field not in chosen)
    return Resolved(answers, tuple(history), unresolved)


def final_answers(
    form: Form,
    extraction: Extraction,
    verification: Verification,
    resolutions: Sequence[Resolution] = (),
) -> dict[str, Any]:
    """The verified answers; StateError while any discrepancy is unresolved."""
    result = resolve(form, extraction, verification, resolutions)
    if result.unresolved:
        listed = ", ".join(d.field for d in result.unresolved)
        raise StateError(
            f"study {extraction.study}: {len(result.unresolved)} discrepancy(ies) unresolved "
            f"({listed})",
            hint="Record a resolution (agreed value, who, why) for each discrepancy.",
        )
    return result.answers


def verification_from_mapping(study: str, reviewer: str, checks: Mapping[str, Any]) -> Verification:
    """Build a Verification from ``{field: "agree"}`` / ``{field: {value, note}}`` data."""
    out = []
    for fid, item in checks.items():
        if item == "agree":
            out.append(agree(fid))
        elif isinstance(item, Mapping) and "value" in item:
            out.append(propose(fid, item["value"], str(item.get("note", ""))))
        else:
            raise InputError(
                f"study {study}: verification of {fid} must be 'agree' or {{value, note}}"
            )
    return Verification(study, reviewer, tuple(out))
