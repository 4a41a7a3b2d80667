"""How extraction answers travel between the pages and the core: the inputs' names and
what each shows, read back from a posted form, and the core's problems as sentences.

Field names posted by the pages: ``f_ID`` (``p_ID`` for a verifier's proposal, ``r_ID``
for a resolution's value), several ``f_ID`` for a multiple choice, ``f_ID_label`` /
``f_ID_count`` pairs for repeated rows, ``f_ID_nr`` for "Not reported", ``f_ID_note``.
Choice-like fields offer "Not reported" among their options instead of a tick box.
What counts as a valid answer is the core's (``check_answers`` / ``coerce``); this module
only carries values and keeps what was typed.
"""

from __future__ import annotations

from itertools import zip_longest
from typing import Annotated, Any

from fastapi import Depends, Request
from starlette.datastructures import FormData

from ..stages.extraction import project as extract
from ..stages.extraction.forms import AnswerProblem, Field
from ..stages.extraction.forms import Form as XForm
from ..stages.extraction.values import (
    NOT_REPORTED,
    NOT_REPORTED_TEXT,
    YES_NO_UNCLEAR,
    format_value,
    is_empty,
)

#: Choice-like fields offer "Not reported" as one of their options, others as a tick box.
CHOICE_TYPES = ("single_choice", "yes_no_unclear")
#: What a page says after a change (fixed texts: nothing typed is echoed from the URL).
DONE = {
    "saved": "Your answers are saved.",
    "verified": "Your verification is recorded.",
    "resolved": "The resolution is recorded.",
}
STATUS_TEXT = {
    "not extracted": "not extracted",
    "pilot": "pilot",
    "extracted": "awaiting verification",
    "discrepancies": "discrepancies open",
    "final": "verified",
}
BOTH = "Tick “Not reported” or give a value, not both."
VERDICT = "Confirm or dispute this field."


async def posted(request: Request) -> FormData:
    """The posted form, parsed once (the CSRF check may have read it already)."""
    return await request.form()


Posted = Annotated[FormData, Depends(posted)]


# -- values as the pages show and take them ---------------------------------------------


def shown(form: XForm, field_id: str, value: Any) -> str:
    """A canonical answer as a reviewer reads it ("—" for no answer)."""
    if value is None:
        return "—"
    return format_value(form.field(field_id), value)


def options(field: Field) -> list[str]:
    """The radio options of a choice-like field, "Not reported" last where allowed."""
    base = list(YES_NO_UNCLEAR) if field.type == "yes_no_unclear" else list(field.choices)
    return base + ([NOT_REPORTED_TEXT] if field.allow_not_reported else [])


def blank() -> dict[str, Any]:
    return {"value": "", "values": [], "rows": [], "nr": False, "note": ""}


def state_of(field: Field, value: Any, note: str = "") -> dict[str, Any]:
    """What an input shows for a canonical answer."""
    st = blank() | {"note": note}
    if value is None:
        return st
    if value is NOT_REPORTED:
        if field.type in CHOICE_TYPES:
            st["value"] = NOT_REPORTED_TEXT
        else:
            st["nr"] = True
    elif field.type == "multiple_choice":
        st["values"] = list(value)
    elif field.type == "repeated":
        st["rows"] = [(row.label, str(row.count)) for row in value]
    else:
        st["value"] = format_value(field, value)
    return st


def states_of(form: XForm, answers: dict[str, Any], notes: dict[str, str]) -> dict[str, Any]:
    return {f.id: state_of(f, answers.get(f.id), notes.get(f.id, "")) for f in form.fields}


def read_field(field: Field, data: FormData, prefix: str) -> tuple[Any, dict[str, Any], bool]:
    """(raw answer for the core, what the input shows again, "both value and Not
    reported" given) for one field of a posted form."""
    name = prefix + field.id
    st = blank()
    st["nr"] = data.get(name + "_nr") == "1"
    st["note"] = str(data.get(name + "_note") or "").strip()
    raw: Any
    if field.type == "multiple_choice":
        st["values"] = [str(v) for v in data.getlist(name)]
        raw = list(st["values"])
    elif field.type == "repeated":
        labels = [str(v) for v in data.getlist(name + "_label")]
        counts = [str(v) for v in data.getlist(name + "_count")]
        rows = [(a.strip(), b.strip()) for a, b in zip_longest(labels, counts, fillvalue="")]
        st["rows"] = [r for r in rows if r[0] or r[1]]
        raw = list(st["rows"])
    else:
        st["value"] = str(data.get(name) or "")
        raw = st["value"]
    both = st["nr"] and not is_empty(raw)
    if st["nr"]:
        raw = NOT_REPORTED_TEXT
    return raw, st, both


def read_answers(
    form: XForm, data: FormData, prefix: str = "f_"
) -> tuple[dict[str, Any], dict[str, str], dict[str, Any], dict[str, str]]:
    """(answers, notes, input states, per-field errors the page itself finds)."""
    answers, notes, states, errors = {}, {}, {}, {}
    for fld in form.fields:
        raw, st, both = read_field(fld, data, prefix)
        states[fld.id] = st
        answers[fld.id] = raw
        if st["note"]:
            notes[fld.id] = st["note"]
        if both:
            errors[fld.id] = BOTH
    return answers, notes, states, errors


def problem_text(problem: AnswerProblem) -> str:
    """The core's problem as the sentence shown beside its field."""
    if problem.got is None:
        return f"Expected {problem.expected}."
    got = problem.got
    if isinstance(got, list):
        got = "; ".join(" = ".join(x) if isinstance(x, tuple) else str(x) for x in got)
    return f"Expected {problem.expected}; got “{got}”."


def problems_json(problems: list[AnswerProblem]) -> list[dict[str, Any]]:
    return [{"field": p.field, "expected": p.expected, "got": _jsonable(p.got)} for p in problems]


def _jsonable(value: Any) -> Any:
    if value is NOT_REPORTED:
        return NOT_REPORTED_TEXT
    if isinstance(value, tuple):
        return [_jsonable(v) for v in value]
    return value


def answers_json(form: XForm, answers: dict[str, Any]) -> dict[str, str]:
    return extract.answers_text(form, answers)
