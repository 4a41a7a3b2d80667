"""Appraisal checklists as data files: items, answer options, licence, scoring schemes.

Checklists ship under ``reviewflow/data/checklists`` (CASP Qualitative, JBI qualitative)
and a project can add its own file of the same shape. Each file carries its licence text,
because most checklists are not ours to copy in full: only short question texts are kept.
Scoring schemes are declared in the same file (``[scoring.<id>]``) and built by
:mod:`reviewflow.stages.appraisal.scoring`.
"""

from __future__ import annotations

import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from reviewflow.datafiles import builtin_names, read_data
from reviewflow.errors import InputError, NotFoundError


@dataclass(frozen=True)
class Item:
    """One question of a checklist."""

    id: str
    text: str
    section: str = ""
    screening: bool = False


@dataclass(frozen=True)
class Option:
    """One answer option: stable ``id`` (stored) and the ``label`` people see."""

    id: str
    label: str


@dataclass(frozen=True)
class Checklist:
    """An appraisal instrument; ``schemes`` holds the raw scoring declarations by id."""

    id: str
    name: str
    version: str
    items: tuple[Item, ...]
    options: tuple[Option, ...]
    licence: str
    source: str = ""
    citation: str = ""
    notes: str = ""
    schemes: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)

    @property
    def item_ids(self) -> tuple[str, ...]:
        return tuple(i.id for i in self.items)

    def item(self, item_id: str) -> Item:
        for item in self.items:
            if item.id == item_id:
                return item
        raise NotFoundError(
            f"checklist {self.id} has no item {item_id!r}",
            hint="Items: " + ", ".join(self.item_ids),
        )

    def option_for(self, answer: str) -> str | None:
        """The option id for an answer given as id or label in any case; None if unknown."""
        key = " ".join(str(answer).replace("’", "'").split()).casefold()
        for opt in self.options:
            if key in (opt.id.casefold(), opt.label.replace("’", "'").casefold()):
                return opt.id
        return None

    def label(self, option_id: str) -> str:
        return next(o.label for o in self.options if o.id == option_id)


def _bad(source: str, message: str) -> InputError:
    return InputError(
        f"{source}: {message}",
        hint="Fix the checklist file; see reviewflow/data/checklists for examples.",
    )


def checklist_from_dict(data: Mapping[str, Any], *, source: str = "<checklist>") -> Checklist:
    """Build and check a Checklist from parsed TOML."""
    for key in ("id", "name", "licence"):
        if not isinstance(data.get(key), str) or not data[key].strip():
            raise _bad(source, f"'{key}' is required (every checklist states its licence)")
    options = tuple(
        Option(str(o["id"]), str(o.get("label", o["id"]))) for o in data.get("answers", ())
    )
    if len(options) < 2:
        raise _bad(source, "'answers' needs at least two options")
    items = []
    for n, raw in enumerate(data.get("items", ()), 1):
        if not raw.get("id") or not raw.get("text"):
            raise _bad(source, f"item #{n} needs 'id' and 'text'")
        items.append(
            Item(
                str(raw["id"]),
                str(raw["text"]),
                str(raw.get("section", "")),
                bool(raw.get("screening", False)),
            )
        )
    if not items:
        raise _bad(source, "a checklist needs at least one [[items]] entry")
    ids = [i.id for i in items]
    if len(set(ids)) != len(ids):
        raise _bad(source, "item ids repeat")
    checklist = Checklist(
        id=data["id"],
        name=data["name"],
        version=str(data.get("version", "")),
        items=tuple(items),
        options=options,
        licence=data["licence"],
        source=str(data.get("source", "")),
        citation=str(data.get("citation", "")),
        notes=str(data.get("notes", "")),
        schemes=dict(data.get("scoring", {})),
    )
    from reviewflow.stages.appraisal.scoring import scheme_from_dict

    for scheme_id, raw in checklist.schemes.items():
        scheme_from_dict(raw, checklist, scheme_id=scheme_id, source=source)
    return checklist


def loads_checklist(text: str, *, source: str = "<string>") -> Checklist:
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise _bad(source, f"not valid TOML: {exc}") from None
    return checklist_from_dict(data, source=source)


def load_checklist(path: str | Path) -> Checklist:
    """Read a checklist file (TOML), e.g. one a project adds."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise InputError(f"cannot read checklist {path}: {exc.strerror}") from None
    return loads_checklist(text, source=str(path))


def builtin_checklists() -> list[str]:
    """Ids of the checklists shipped with reviewflow."""
    return builtin_names("checklists")


def builtin_checklist(name: str) -> Checklist:
    """A checklist shipped with reviewflow (``casp_qualitative``, ``jbi_qualitative``)."""
    if name not in builtin_checklists():
        raise NotFoundError(
            f"no built-in checklist {name!r}",
            hint="Built-in checklists: " + ", ".join(builtin_checklists()),
        )
    return loads_checklist(
        read_data("checklists", f"{name}.toml"), source=f"reviewflow:{name}.toml"
    )


@dataclass(frozen=True)
class Appraisal:
    """One appraiser's answers (item id → option id) for one study."""

    study: str
    appraiser: str
    checklist_id: str
    answers: Mapping[str, str]
    notes: Mapping[str, str] = field(default_factory=dict)


def make_appraisal(
    checklist: Checklist,
    study: str,
    reviewer: str,
    answers: Mapping[str, str],
    *,
    notes: Mapping[str, str] | None = None,
) -> Appraisal:
    """Check every item is answered with a known option; InputError lists every problem."""
    problems = []
    clean: dict[str, str] = {}
    for item_id, answer in answers.items():
        if item_id not in checklist.item_ids:
            problems.append(f"{item_id}: not an item of {checklist.id}")
            continue
        option = checklist.option_for(answer)
        if option is None:
            labels = " / ".join(o.label for o in checklist.options)
            problems.append(f"{item_id}: expected {labels}, got {answer!r}")
            continue
        clean[item_id] = option
    missing = [i for i in checklist.item_ids if i not in answers]
    if missing:
        problems.append("unanswered: " + ", ".join(missing))
    if problems:
        raise InputError(
            f"appraisal of study {study} by {reviewer} on {checklist.id}:\n  "
            + "\n  ".join(problems),
            hint="Answer every item with one of the checklist's options.",
        )
    ordered = {i: clean[i] for i in checklist.item_ids}
    return Appraisal(study, reviewer, checklist.id, ordered, dict(notes or {}))
