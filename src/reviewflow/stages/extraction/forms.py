"""Extraction forms as data: fields with types, help, required flags and a version.

A form lives in a TOML file in the project (or ships with reviewflow under
``reviewflow/data/forms``) so a team can read, review and version it like the protocol.
A form is never edited in place once answers exist: the pilot revises it into a new
*version*, and :func:`migrate_answers` carries answers of the old version onto the new
one, reporting every answer it could not carry instead of dropping it silently.

Shape of a form file::

    id = "social_prescribing"
    name = "Study characteristics"
    version = 1

    [[fields]]
    id = "sample_size"          # stable key of the answer
    label = "Sample size"
    type = "integer"            # see FIELD_TYPES
    required = true
    help = "Number of service users interviewed."
    min = 1
    renamed_from = ["n"]        # ids this field had in earlier versions

    [[checks]]                  # consistency checks: warnings, never errors
    kind = "sum"
    fields = ["female_percent", "male_percent"]
    equals = 100
"""

from __future__ import annotations

import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from reviewflow.datafiles import builtin_names, read_data
from reviewflow.errors import InputError, NotFoundError
from reviewflow.stages.extraction.values import FieldValueError, coerce, format_value, is_empty

FIELD_TYPES: tuple[str, ...] = (
    "short_text",
    "long_text",
    "integer",
    "number",
    "percentage",
    "single_choice",
    "multiple_choice",
    "yes_no_unclear",
    "repeated",
)
_FIELD_KEYS = {
    "id",
    "label",
    "type",
    "help",
    "required",
    "choices",
    "min",
    "max",
    "max_length",
    "allow_not_reported",
    "tolerance",
    "renamed_from",
    "row_label",
    "count_label",
}
_FORM_KEYS = {"id", "name", "version", "description", "fields", "checks", "changes"}


@dataclass(frozen=True)
class Field:
    """One question of a form. ``choices`` are labels for choice fields (and optional
    allowed row labels for repeated fields)."""

    id: str
    label: str
    type: str
    help: str = ""
    required: bool = False
    choices: tuple[str, ...] = ()
    min: float | None = None
    max: float | None = None
    max_length: int = 200
    allow_not_reported: bool = True
    tolerance: float = 0.0
    renamed_from: tuple[str, ...] = ()
    row_label: str = "label"
    count_label: str = "n"

    def choice_for(self, text: str) -> str | None:
        """The form's spelling of a choice typed in any case/spacing, or None."""
        key = " ".join(str(text).split()).casefold()
        for choice in self.choices:
            if " ".join(choice.split()).casefold() == key:
                return choice
        return None


@dataclass(frozen=True)
class Form:
    """A versioned extraction form; ``checks`` are consistency rules (see checks.py)."""

    id: str
    name: str
    version: int
    fields: tuple[Field, ...]
    description: str = ""
    checks: tuple[Mapping[str, Any], ...] = ()
    changes: str = ""
    _by_id: dict[str, Field] = field(default_factory=dict, compare=False, repr=False)

    def __post_init__(self) -> None:
        self._by_id.update({f.id: f for f in self.fields})

    def field(self, field_id: str) -> Field:
        """The field with this id; NotFoundError naming the form's fields otherwise."""
        try:
            return self._by_id[field_id]
        except KeyError:
            raise NotFoundError(
                f"form {self.id!r} v{self.version} has no field {field_id!r}",
                hint="Fields: " + ", ".join(self._by_id),
            ) from None

    def has_field(self, field_id: str) -> bool:
        return field_id in self._by_id


def _form_error(source: str, message: str) -> InputError:
    return InputError(
        f"{source}: {message}", hint="Fix the form file; see reviewflow/data/forms for an example."
    )


def _field_from(data: Mapping[str, Any], source: str, position: int) -> Field:
    where = f"field #{position} ({data.get('id', '?')})"
    unknown = set(data) - _FIELD_KEYS
    if unknown:
        raise _form_error(source, f"{where}: unknown key(s) {', '.join(sorted(unknown))}")
    for key in ("id", "type"):
        if not isinstance(data.get(key), str) or not data[key].strip():
            raise _form_error(source, f"{where}: '{key}' is required")
    if data["type"] not in FIELD_TYPES:
        raise _form_error(
            source, f"{where}: unknown type {data['type']!r}; use one of {', '.join(FIELD_TYPES)}"
        )
    choices = tuple(str(c) for c in data.get("choices", ()))
    if data["type"] in ("single_choice", "multiple_choice") and not choices:
        raise _form_error(source, f"{where}: a {data['type']} field needs 'choices'")
    if len({c.casefold() for c in choices}) != len(choices):
        raise _form_error(source, f"{where}: choices repeat")
    return Field(
        id=data["id"],
        label=str(data.get("label", data["id"])),
        type=data["type"],
        help=str(data.get("help", "")),
        required=bool(data.get("required", False)),
        choices=choices,
        min=data.get("min"),
        max=data.get("max"),
        max_length=int(data.get("max_length", 200)),
        allow_not_reported=bool(data.get("allow_not_reported", True)),
        tolerance=float(data.get("tolerance", 0.0)),
        renamed_from=tuple(data.get("renamed_from", ())),
        row_label=str(data.get("row_label", "label")),
        count_label=str(data.get("count_label", "n")),
    )


def form_from_dict(data: Mapping[str, Any], *, source: str = "<form>") -> Form:
    """Build and check a Form from parsed TOML; InputError naming the problem otherwise."""
    unknown = set(data) - _FORM_KEYS
    if unknown:
        raise _form_error(source, f"unknown top-level key(s) {', '.join(sorted(unknown))}")
    if not isinstance(data.get("id"), str) or not data["id"]:
        raise _form_error(source, "'id' is required")
    version = data.get("version")
    if not isinstance(version, int) or isinstance(version, bool) or version < 1:
        raise _form_error(source, "'version' must be a whole number ≥ 1")
    raw_fields = data.get("fields") or []
    if not raw_fields:
        raise _form_error(source, "a form needs at least one [[fields]] entry")
    fields = tuple(_field_from(f, source, i) for i, f in enumerate(raw_fields, 1))
    ids = [f.id for f in fields]
    repeated = sorted({i for i in ids if ids.count(i) > 1})
    if repeated:
        raise _form_error(source, f"field id(s) used twice: {', '.join(repeated)}")
    form = Form(
        id=data["id"],
        name=str(data.get("name", data["id"])),
        version=version,
        fields=fields,
        description=str(data.get("description", "")),
        checks=tuple(data.get("checks", ())),
        changes=str(data.get("changes", "")),
    )
    from reviewflow.stages.extraction.checks import check_definitions

    for problem in check_definitions(form):
        raise _form_error(source, problem)
    return form


def loads_form(text: str, *, source: str = "<string>") -> Form:
    """Parse a form from TOML text."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise _form_error(source, f"not valid TOML: {exc}") from None
    return form_from_dict(data, source=source)


def load_form(path: str | Path) -> Form:
    """Read a form file (TOML)."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise InputError(f"cannot read form {path}: {exc.strerror}") from None
    return loads_form(text, source=str(path))


def builtin_forms() -> list[str]:
    """Names of the forms shipped with reviewflow (e.g. ``social_prescribing``)."""
    return builtin_names("forms")


def builtin_form(name: str) -> Form:
    """A form shipped with reviewflow, by name."""
    if name not in builtin_forms():
        raise NotFoundError(
            f"no built-in form {name!r}", hint="Built-in forms: " + ", ".join(builtin_forms())
        )
    return loads_form(read_data("forms", f"{name}.toml"), source=f"reviewflow:forms/{name}.toml")


@dataclass(frozen=True)
class AnswerProblem:
    """Why one answer cannot be accepted: field, what was expected, what was given."""

    field: str
    expected: str
    got: Any

    def __str__(self) -> str:
        return f"{self.field}: expected {self.expected}, got {self.got!r}"


def check_answers(form: Form, answers: Mapping[str, Any]) -> tuple[dict[str, Any], list]:
    """Coerce every answer; return (canonical answers, problems).

    Problems cover unknown fields, values that do not fit their field, and required fields
    left empty ("not reported" satisfies required; empty does not).
    """
    clean: dict[str, Any] = {}
    problems: list[AnswerProblem] = []
    for key, raw in answers.items():
        if not form.has_field(key):
            problems.append(AnswerProblem(key, f"a field of form {form.id} v{form.version}", raw))
            continue
        try:
            clean[key] = coerce(form.field(key), raw)
        except FieldValueError as exc:
            problems.append(AnswerProblem(key, exc.expected, raw))
    for fld in form.fields:
        if (
            fld.required
            and is_empty(clean.get(fld.id))
            and fld.id not in {p.field for p in problems}
        ):
            problems.append(AnswerProblem(fld.id, "an answer (required field)", None))
    return clean, problems


class AnswersError(InputError):
    """Answers that do not fit their form; ``problems`` lists every one, by field, so a
    web form can show each message next to its field (the message lists them too)."""

    def __init__(self, form: Form, problems: list[AnswerProblem], *, study: str = "") -> None:
        where = f"study {study}: " if study else ""
        super().__init__(
            f"{where}{len(problems)} answer(s) do not fit form {form.id} v{form.version}:\n"
            + "\n".join(f"  {p}" for p in problems),
            hint="Correct the answers listed; use 'Not reported' where the study does not say.",
        )
        self.problems = list(problems)


def validate_answers(form: Form, answers: Mapping[str, Any], *, study: str = "") -> dict:
    """Canonical answers, or AnswersError (an InputError) listing every problem (nothing
    half-accepted)."""
    clean, problems = check_answers(form, answers)
    if problems:
        raise AnswersError(form, problems, study=study)
    return {k: v for k, v in clean.items() if v is not None}


@dataclass(frozen=True)
class Migration:
    """Answers carried to a new form version, and what could not be carried (and why)."""

    answers: dict[str, Any]
    carried: dict[str, str]  # new field id -> old field id
    not_carried: dict[str, str]  # old field id -> reason
    new_fields: tuple[str, ...]  # fields of the new version with no old answer


def migrate_answers(answers: Mapping[str, Any], old: Form, new: Form) -> Migration:
    """Map answers given on ``old`` onto ``new``: by id, then by ``renamed_from``.

    A value that does not fit the new field (type or choices changed) is not carried and is
    listed with the reason, so the old answer stays readable next to the new version.
    """
    if old.id != new.id:
        raise InputError(f"form {old.id!r} cannot migrate to a different form {new.id!r}")
    out: dict[str, Any] = {}
    carried: dict[str, str] = {}
    not_carried: dict[str, str] = {}
    taken: set[str] = set()
    for new_field in new.fields:
        sources = [new_field.id, *new_field.renamed_from]
        old_id = next((s for s in sources if s in answers and old.has_field(s)), None)
        if old_id is None:
            continue
        taken.add(old_id)
        value = answers[old_id]
        if value is None:
            continue
        try:
            text = format_value(old.field(old_id), value)
            out[new_field.id] = coerce(new_field, value if not isinstance(value, tuple) else text)
            carried[new_field.id] = old_id
        except FieldValueError as exc:
            not_carried[old_id] = f"does not fit new field {new_field.id!r}: {exc.message}"
    for old_id in answers:
        if old_id not in taken and answers[old_id] is not None:
            not_carried.setdefault(old_id, f"field removed in version {new.version}")
    missing = tuple(f.id for f in new.fields if f.id not in out)
    return Migration(out, carried, not_carried, missing)


@dataclass(frozen=True)
class Extraction:
    """One reviewer's answers for one study on one form version (canonical values)."""

    study: str
    reviewer: str
    form_id: str
    form_version: int
    answers: Mapping[str, Any]
    notes: Mapping[str, str] = field(default_factory=dict)


def make_extraction(
    form: Form,
    study: str,
    reviewer: str,
    answers: Mapping[str, Any],
    *,
    notes: Mapping[str, str] | None = None,
) -> Extraction:
    """Validate ``answers`` against ``form`` and wrap them; InputError lists every problem."""
    clean = validate_answers(form, answers, study=study)
    return Extraction(study, reviewer, form.id, form.version, clean, dict(notes or {}))
