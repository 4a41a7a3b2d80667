"""Consistency checks between answers of one extraction: warnings, never corrections.

Published studies do not always add up (the seed's Kellezi 2019 reports 63 % female and
32 % male; its ethnicity counts cover 16 of 19 participants). Extraction must keep what
the study reports, so these checks only *report*: the reviewer sees the warning and
records a note, and the value stays as published.

Kinds (declared in the form's ``[[checks]]``):

* ``sum`` — numeric ``fields`` should add up to ``equals`` (± ``tolerance``);
* ``rows_total`` — the counts of repeated ``field`` should add up to the number in
  ``equals_field`` (e.g. ethnicity n per group vs sample size).

A check is skipped when any value it needs is empty or "not reported".
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from reviewflow.stages.extraction.values import NOT_REPORTED

if TYPE_CHECKING:
    from reviewflow.stages.extraction.forms import Form

_NUMERIC = ("integer", "number", "percentage")


@dataclass(frozen=True)
class ConsistencyWarning:
    """A check the answers fail; ``fields`` are the answers involved."""

    kind: str
    fields: tuple[str, ...]
    message: str

    def __str__(self) -> str:
        return self.message


def check_definitions(form: Form) -> list[str]:
    """Problems in the form's declared checks (unknown kind, missing or non-numeric field)."""
    problems: list[str] = []
    for n, check in enumerate(form.checks, 1):
        kind = check.get("kind")
        if kind == "sum":
            names = list(check.get("fields", ()))
            if len(names) < 2 or "equals" not in check:
                problems.append(f"check #{n} (sum) needs 'fields' (two or more) and 'equals'")
            wanted: list[tuple[str, tuple[str, ...]]] = [(name, _NUMERIC) for name in names]
        elif kind == "rows_total":
            if "field" not in check or "equals_field" not in check:
                problems.append(f"check #{n} (rows_total) needs 'field' and 'equals_field'")
                continue
            wanted = [(check["field"], ("repeated",)), (check["equals_field"], _NUMERIC)]
        else:
            problems.append(f"check #{n}: unknown kind {kind!r}; use 'sum' or 'rows_total'")
            continue
        for name, types in wanted:
            if not form.has_field(name):
                problems.append(f"check #{n} ({kind}) names unknown field {name!r}")
            elif form.field(name).type not in types:
                problems.append(f"check #{n} ({kind}): field {name!r} must be {' or '.join(types)}")
    return problems


def _present(value: Any) -> bool:
    return value is not None and value is not NOT_REPORTED


def check_consistency(form: Form, answers: Mapping[str, Any]) -> list[ConsistencyWarning]:
    """Warnings for canonical ``answers`` that fail the form's checks."""
    warnings: list[ConsistencyWarning] = []
    for check in form.checks:
        if check["kind"] == "sum":
            names = tuple(check["fields"])
            values: list[Any] = [answers.get(name) for name in names]
            if not all(_present(v) for v in values):
                continue
            total = sum(float(v) for v in values)
            target = float(check["equals"])
            if abs(total - target) > float(check.get("tolerance", 0)) + 1e-9:
                shown = " + ".join(
                    f"{name} {float(v):g}" for name, v in zip(names, values, strict=True)
                )
                warnings.append(
                    ConsistencyWarning("sum", names, f"{shown} = {total:g}, not {target:g}")
                )
        else:
            rows: Any = answers.get(check["field"])
            other: Any = answers.get(check["equals_field"])
            if not (_present(rows) and _present(other)):
                continue
            total = sum(row.count for row in rows)
            if total != float(other):
                names = (check["field"], check["equals_field"])
                warnings.append(
                    ConsistencyWarning(
                        "rows_total",
                        names,
                        f"{check['field']} counts add up to {total}, "
                        f"{check['equals_field']} is {float(other):g}",
                    )
                )
    return warnings
