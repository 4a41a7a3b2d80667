"""Answer values of extraction fields: coerce, parse from cell text, format, compare.

One function per concern so the XLSX reader, the web form and the CLI accept exactly the
same inputs and produce exactly the same canonical values:

* ``coerce(field, raw)`` turns a Python value (from TOML, JSON or a spreadsheet cell) into
  the canonical value of the field or raises :class:`FieldValueError` saying what was
  expected;
* ``format_value(field, value)`` writes a canonical value as the text ``coerce`` reads back;
* ``values_equal(field, a, b)`` is the comparison pilot agreement, verification and
  consensus all use (case and spacing in text, row order in repeated rows, and float noise
  do not count as disagreement).

"Not reported" (:data:`NOT_REPORTED`) is an answer: the reviewer looked and the study does
not say. Empty (``None``) means nobody has answered yet. A required field is satisfied by
"not reported" but not by empty.
"""

from __future__ import annotations

import math
import re
from typing import TYPE_CHECKING, Any, NamedTuple

from reviewflow.errors import InputError

if TYPE_CHECKING:
    from reviewflow.stages.extraction.forms import Field


class NotReported:
    """The single "not reported" answer; distinct from an empty (unanswered) field."""

    _instance: NotReported | None = None

    def __new__(cls) -> NotReported:
        if cls._instance is None:
            cls._instance = super().__new__(cls)
        return cls._instance

    def __repr__(self) -> str:
        return "NOT_REPORTED"

    def __reduce__(self) -> str:
        return "NOT_REPORTED"


NOT_REPORTED = NotReported()
#: Cell texts read as "not reported" (compared case-insensitively).
NOT_REPORTED_TEXTS = frozenset({"nr", "not reported", "not_reported", "n/r"})
#: How "not reported" is written back to text.
NOT_REPORTED_TEXT = "Not reported"

YES_NO_UNCLEAR = ("yes", "no", "unclear")
_YNU_ALIASES = {
    "yes": "yes",
    "y": "yes",
    "true": "yes",
    "no": "no",
    "n": "no",
    "false": "no",
    "unclear": "unclear",
    "can't tell": "unclear",
    "cant tell": "unclear",
    "?": "unclear",
}


class Row(NamedTuple):
    """One row of a repeated field, e.g. an ethnic group and its participant count."""

    label: str
    # shadows tuple.count on purpose: "count" is the key stored in answers and sheets
    count: int  # type: ignore[assignment]


class FieldValueError(InputError):
    """A value that does not fit its field; says which field and what was expected."""

    def __init__(self, field: Field, got: Any, expected: str) -> None:
        super().__init__(
            f"field {field.id!r} ({field.type}): expected {expected}, got {got!r}",
            hint=f"Enter {expected}, or '{NOT_REPORTED_TEXT}' if the study does not say."
            if field.allow_not_reported
            else f"Enter {expected}.",
        )
        self.field_id = field.id
        self.got = got
        self.expected = expected


def is_empty(value: Any) -> bool:
    """True for an unanswered field: None, blank text or an empty list."""
    if value is None:
        return True
    if isinstance(value, str):
        return not value.strip()
    if isinstance(value, list | tuple | dict | set | frozenset):
        return len(value) == 0
    return False


def _is_not_reported(raw: Any) -> bool:
    if raw is NOT_REPORTED:
        return True
    return isinstance(raw, str) and raw.strip().casefold() in NOT_REPORTED_TEXTS


def expected_text(field: Field) -> str:
    """What a valid answer looks like, in words a reviewer understands."""
    kind = field.type
    if kind == "short_text":
        return f"one line of text (at most {field.max_length} characters)"
    if kind == "long_text":
        return "text"
    if kind in ("integer", "number", "percentage"):
        noun = {
            "integer": "a whole number",
            "number": "a number",
            "percentage": "a percentage",
        }[kind]
        low = field.min if field.min is not None else (0 if kind == "percentage" else None)
        high = field.max if field.max is not None else (100 if kind == "percentage" else None)
        if low is not None and high is not None:
            return f"{noun} from {low:g} to {high:g}"
        if low is not None:
            return f"{noun} ≥ {low:g}"
        if high is not None:
            return f"{noun} ≤ {high:g}"
        return noun
    if kind == "single_choice":
        return "one of " + " / ".join(field.choices)
    if kind == "multiple_choice":
        return "one or more of " + " / ".join(field.choices) + " separated by ';'"
    if kind == "yes_no_unclear":
        return "yes / no / unclear"
    if kind == "repeated":
        return "rows 'label = count' separated by ';' (count a whole number ≥ 0)"
    raise AssertionError(kind)


def coerce(field: Field, raw: Any) -> Any:
    """Return the canonical value of ``raw`` for ``field``; ``None`` when empty.

    Raises FieldValueError (an InputError) naming the field and what was expected.
    """
    if is_empty(raw):
        return None
    if _is_not_reported(raw):
        if not field.allow_not_reported:
            raise FieldValueError(field, raw, expected_text(field) + " (not reported not allowed)")
        return NOT_REPORTED
    coerce_one = _COERCERS[field.type]
    return coerce_one(field, raw)


def _text(field: Field, raw: Any) -> str:
    if not isinstance(raw, str | int | float) or isinstance(raw, bool):
        raise FieldValueError(field, raw, expected_text(field))
    text = str(raw).strip()
    if field.type == "short_text":
        if "\n" in text or len(text) > field.max_length:
            raise FieldValueError(field, raw, expected_text(field))
    return text


def _number(field: Field, raw: Any) -> float:
    if isinstance(raw, bool):
        raise FieldValueError(field, raw, expected_text(field))
    if isinstance(raw, int | float):
        value = float(raw)
    elif isinstance(raw, str):
        text = raw.strip().replace(",", "")
        if field.type == "percentage":
            text = text.removesuffix("%").strip()
        try:
            value = float(text)
        except ValueError:
            raise FieldValueError(field, raw, expected_text(field)) from None
    else:
        raise FieldValueError(field, raw, expected_text(field))
    if not math.isfinite(value):
        raise FieldValueError(field, raw, expected_text(field))
    low = field.min if field.min is not None else (0 if field.type == "percentage" else None)
    high = field.max if field.max is not None else (100 if field.type == "percentage" else None)
    if (low is not None and value < low) or (high is not None and value > high):
        raise FieldValueError(field, raw, expected_text(field))
    return value


def _integer(field: Field, raw: Any) -> int:
    value = _number(field, raw)
    if not value.is_integer():
        raise FieldValueError(field, raw, expected_text(field))
    return int(value)


def _choice(field: Field, raw: Any) -> str:
    if not isinstance(raw, str):
        raise FieldValueError(field, raw, expected_text(field))
    found = field.choice_for(raw)
    if found is None:
        raise FieldValueError(field, raw, expected_text(field))
    return found


def _choices(field: Field, raw: Any) -> tuple[str, ...]:
    items = [p for p in re.split(r"[;\n]", raw)] if isinstance(raw, str) else raw
    if not isinstance(items, list | tuple | set | frozenset):
        raise FieldValueError(field, raw, expected_text(field))
    picked: set[str] = set()
    for item in items:
        if isinstance(item, str) and not item.strip():
            continue
        if not isinstance(item, str) or field.choice_for(item) is None:
            raise FieldValueError(field, raw, expected_text(field))
        picked.add(field.choice_for(item))  # type: ignore[arg-type]
    if not picked:
        return None  # type: ignore[return-value]
    return tuple(c for c in field.choices if c in picked)


def _yes_no_unclear(field: Field, raw: Any) -> str:
    if isinstance(raw, bool):
        return "yes" if raw else "no"
    if isinstance(raw, str) and raw.strip().casefold() in _YNU_ALIASES:
        return _YNU_ALIASES[raw.strip().casefold()]
    raise FieldValueError(field, raw, expected_text(field))


_ROW_TEXT = re.compile(r"^(?P<label>.+?)\s*(?:=|:|\[\s*n\s*=)\s*(?P<count>[^\]\s]+)\s*\]?$", re.I)


def _rows(field: Field, raw: Any) -> tuple[Row, ...]:
    if isinstance(raw, str):
        pairs = []
        for part in re.split(r"[;\n]", raw):
            if not part.strip():
                continue
            match = _ROW_TEXT.match(part.strip())
            if not match:
                raise FieldValueError(field, raw, expected_text(field))
            pairs.append((match["label"], match["count"]))
    elif isinstance(raw, dict):
        pairs = list(raw.items())
    elif isinstance(raw, list | tuple):
        pairs = []
        for item in raw:
            if isinstance(item, dict) and set(item) == {"label", "count"}:
                pairs.append((item["label"], item["count"]))
            elif isinstance(item, list | tuple) and len(item) == 2:
                pairs.append((item[0], item[1]))
            else:
                raise FieldValueError(field, raw, expected_text(field))
    else:
        raise FieldValueError(field, raw, expected_text(field))
    rows: list[Row] = []
    seen: set[str] = set()
    for label, count in pairs:
        if not isinstance(label, str) or not label.strip():
            raise FieldValueError(field, raw, expected_text(field))
        key = _fold(label)
        if key in seen:
            raise FieldValueError(field, raw, expected_text(field) + f" (label {label!r} twice)")
        seen.add(key)
        if field.choices and field.choice_for(label) is None:
            raise FieldValueError(field, raw, "row labels from " + " / ".join(field.choices))
        try:
            number = float(count) if not isinstance(count, bool) else math.nan
        except (TypeError, ValueError):
            number = math.nan
        if not math.isfinite(number) or number < 0 or not number.is_integer():
            raise FieldValueError(field, raw, expected_text(field))
        label = field.choice_for(label) if field.choices else label.strip()
        rows.append(Row(label, int(number)))  # type: ignore[arg-type]
    return tuple(rows) or None  # type: ignore[return-value]


_COERCERS = {
    "short_text": _text,
    "long_text": _text,
    "integer": _integer,
    "number": _number,
    "percentage": _number,
    "single_choice": _choice,
    "multiple_choice": _choices,
    "yes_no_unclear": _yes_no_unclear,
    "repeated": _rows,
}


def format_value(field: Field, value: Any) -> str:
    """Write a canonical value as the text :func:`coerce` reads back (spreadsheet cells)."""
    if value is None:
        return ""
    if value is NOT_REPORTED:
        return NOT_REPORTED_TEXT
    if field.type in ("number", "percentage", "integer"):
        return f"{value:g}" if isinstance(value, float) else str(value)
    if field.type == "multiple_choice":
        return "; ".join(value)
    if field.type == "repeated":
        return "; ".join(f"{row.label} = {row.count}" for row in value)
    return str(value)


def _fold(text: str) -> str:
    return " ".join(text.split()).casefold()


def values_equal(field: Field, a: Any, b: Any) -> bool:
    """Whether two canonical values of ``field`` say the same thing.

    Text ignores case and runs of spaces; numbers compare within ``field.tolerance``;
    repeated rows ignore order; "not reported" equals only itself; empty equals empty.
    """
    if a is None or b is None or a is NOT_REPORTED or b is NOT_REPORTED:
        return a is b
    if field.type in ("short_text", "long_text"):
        return _fold(a) == _fold(b)
    if field.type in ("integer", "number", "percentage"):
        return abs(float(a) - float(b)) <= field.tolerance + 1e-9
    if field.type == "multiple_choice":
        return set(a) == set(b)
    if field.type == "repeated":
        return {_fold(r.label): r.count for r in a} == {_fold(r.label): r.count for r in b}
    return a == b
