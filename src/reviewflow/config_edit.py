"""Edits of review.toml's document for the commands that change the protocol
(``reviewflow plan set``, ``reviewflow reviewer add``, ``reviewflow protocol export``).

review.toml belongs to the team: they comment it, order it and commit it. Edits go
through :mod:`tomlkit`, which keeps every comment and the layout of what is not changed,
and an edit is validated as a whole before anything is stored or written: a change that
would make the protocol invalid (an unknown reviewer, an arbiter who also screens) changes
nothing and says which command fixes it. :func:`reviewflow.protocol.change` runs an edit:
it stores the result as a protocol version and writes the file.

Example::

    from reviewflow import protocol
    from reviewflow.config_edit import set_stage_plan
    protocol.change(project, lambda doc: set_stage_plan(doc, "ta", reviewers=["AB"]),
                    source="plan set")
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any, get_args

import tomlkit
from pydantic import ValidationError
from tomlkit.items import AoT, Array, Table
from tomlkit.toml_document import TOMLDocument

from .errors import InputError, ProjectError, ReviewflowError
from .settings import (
    SCREENING_COMMENT,
    Reviewer,
    ScreeningRule,
    ScreeningSettings,
    Settings,
    StagePlan,
    describe_validation_error,
    toml_reviewer,
)

STAGE_NAMES = {"ta": "title/abstract", "ft": "full-text"}
RULES: tuple[str, ...] = get_args(ScreeningRule)
RULE_TEXT = {
    "any_include": "any include or maybe passes; all exclude excludes",
    "unanimous_else_arbiter": "agreement decides; any disagreement goes to the arbiter",
    "majority_else_arbiter": "a strict majority decides; a tie goes to the arbiter",
}


def validate(data: Mapping[str, Any]) -> Settings:
    """Settings from plain data, or an InputError that says what to change (not pydantic's)."""
    try:
        settings = Settings.model_validate(dict(data))
    except ValidationError as exc:
        raise InputError(
            describe_validation_error(exc), hint="Nothing was written to review.toml."
        ) from None
    check_plan(settings)
    return settings


def check_plan(settings: Settings) -> None:
    """What the settings model accepts but a plan cannot mean: one person twice in a stage."""
    if settings.screening is None:
        return
    for stage in ("ta", "ft"):
        plan: StagePlan = getattr(settings.screening, stage)
        twice = sorted(set(plan.reviewers) & set(plan.second_reviewers))
        if twice:
            raise InputError(
                f"{', '.join(twice)} would screen every {STAGE_NAMES[stage]} item and also the "
                "double-screened share; a second screening must be by someone else",
                hint=f"Choose other second reviewers: reviewflow plan set --stage {stage} "
                "--second INITIALS (nothing was written).",
            )
        if len(set(plan.reviewers)) != len(plan.reviewers):
            raise InputError(
                f"the {STAGE_NAMES[stage]} reviewers list someone twice",
                hint=f"Give each once: reviewflow plan set --stage {stage} --reviewers AB,CD "
                "(nothing was written).",
            )


def plan_warnings(settings: Settings) -> list[str]:
    """Plans that are valid but probably not meant: said after writing, never refused."""
    out: list[str] = []
    if settings.screening is None:
        return out
    for stage in ("ta", "ft"):
        plan: StagePlan = getattr(settings.screening, stage)
        name = STAGE_NAMES[stage]
        if not plan.reviewers:
            out.append(
                f"No {name} reviewers yet: reviewflow plan set --stage {stage} --reviewers AB"
            )
            continue
        double = len(plan.reviewers) > 1 or (plan.second_reviewers and plan.double_share > 0)
        if plan.rule != "any_include" and double and not plan.arbiter:
            out.append(
                f"The {name} rule {plan.rule} sends disagreements to an arbiter, but none is "
                f"named: reviewflow plan set --stage {stage} --arbiter INITIALS"
            )
        if plan.second_reviewers and plan.double_share == 0:
            out.append(
                f"{name}: second reviewers are named but the double-screened share is 0: "
                f"reviewflow plan set --stage {stage} --share 0.2"
            )
    return out


def load_document(path: Path) -> TOMLDocument:
    try:
        return tomlkit.parse(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ProjectError(f"{path}: no such file") from None
    except tomlkit.exceptions.ParseError as exc:
        raise ProjectError(
            f"{path}: not valid TOML ({exc})", hint="Fix the line named above and try again."
        ) from None


# -- changes -----------------------------------------------------------------------------


def _table(parent: Any, key: str) -> Table:
    if key not in parent:
        parent[key] = tomlkit.table()
    table = parent[key]
    if not isinstance(table, Table):
        raise ProjectError(f"review.toml: {key} is not a table", hint="Fix review.toml by hand.")
    return table


def _screening(doc: TOMLDocument) -> Table:
    """``[screening]``, created with the comment init writes when the file has none."""
    if "screening" not in doc:
        table = tomlkit.table()
        for line in SCREENING_COMMENT:
            table.add(tomlkit.comment(line))
        doc["screening"] = table
    return _table(doc, "screening")


def _initials_list(values: Sequence[str]) -> Array:
    array = tomlkit.array()
    array.extend(values)
    return array


def set_stage_plan(
    doc: TOMLDocument,
    stage: str,
    *,
    reviewers: Sequence[str] | None = None,
    second: Sequence[str] | None = None,
    share: float | None = None,
    arbiter: str | None = None,
    rule: str | None = None,
    seed: int | None = None,
    reason_required: bool | None = None,
    ranking: bool | None = None,
    stopping_rule: str | None = None,
) -> None:
    """Set the given keys of ``[screening.<stage>]`` (None: leave as is; arbiter "": none).

    A stage table written for the first time gets every default spelled out, so the file
    says what the plan is (a bare table would also lose the full-text defaults).
    """
    screening = _screening(doc)
    if stage not in screening:
        defaults = getattr(ScreeningSettings(), stage).model_dump(
            mode="json",
            exclude_none=True,
            exclude={"ranking", "recall_target", "confidence", "stopping_rule"},
        )
        fresh = tomlkit.table()
        fresh.update(defaults)
        screening[stage] = fresh
    plan = _table(screening, stage)
    if reviewers is not None:
        plan["reviewers"] = _initials_list(reviewers)
    if second is not None:
        plan["second_reviewers"] = _initials_list(second)
        if second and share is None and "double_share" not in plan:
            plan["double_share"] = 1.0
    if share is not None:
        plan["double_share"] = float(share)
    if arbiter is not None:
        if arbiter:
            plan["arbiter"] = arbiter
        elif "arbiter" in plan:
            del plan["arbiter"]
    for key, value in (
        ("rule", rule),
        ("seed", seed),
        ("reason_required", reason_required),
        ("ranking", ranking),
        ("stopping_rule", stopping_rule),
    ):
        if value is not None:
            plan[key] = value


def set_reasons(doc: TOMLDocument, reasons: Sequence[str], *, key: str = "reasons") -> None:
    """Replace a list of ``[screening]``: the exclusion reasons, or (``key``) the
    ``highlight_include`` / ``highlight_exclude`` terms."""
    screening = _screening(doc)
    array = tomlkit.array()
    array.extend(reasons)
    if len(reasons) > 2:
        array.multiline(True)
    screening[key] = array


def add_reviewer(
    doc: TOMLDocument,
    initials: str,
    name: str = "",
    role: str = "reviewer",
    *,
    email: str | None = None,
    roles: Sequence[str] = (),
) -> None:
    """Append a member, as a ``[[reviewers]]`` table (or to an older inline list).

    Someone already on the team given ``roles`` gains them (e.g. ``--role owner``).
    """
    current = doc.get("reviewers")
    existing = next((r for r in current or [] if str(r.get("initials")) == initials), None)
    if existing is not None:
        if not roles:
            raise InputError(
                f"{initials} is already a reviewer of this project",
                hint="See the team with: reviewflow reviewer list (nothing was written); "
                f"give them a role with: reviewflow reviewer add {initials} --role arbiter",
            )
        held = [str(r) for r in existing.get("roles", [])] or ["reviewer"]
        existing["roles"] = _initials_list([*held, *(r for r in roles if r not in held)])
        return
    entry: dict[str, Any] = {"initials": initials, "name": name, "role": role}
    if email:
        entry["email"] = email
    if roles:
        entry["roles"] = list(roles)
    if current is None:
        aot = tomlkit.aot()
        table = tomlkit.table()
        table.update(entry)
        aot.append(table)
        doc["reviewers"] = aot
    elif isinstance(current, AoT):
        table = tomlkit.table()
        table.update(entry)
        table.add(tomlkit.nl())
        current.append(table)
    elif isinstance(current, Array):
        inline = tomlkit.inline_table()
        inline.update(entry)
        current.append(inline)
    else:
        raise ProjectError("review.toml: reviewers is not a list", hint="Fix review.toml by hand.")


def remove_reviewer(doc: TOMLDocument, initials: str, *, roles: Sequence[str] = ()) -> None:
    """Take a member who is named in no screening plan off the team (their roles go, their
    decisions stay), or with ``roles`` take only those roles from them."""
    current = doc.get("reviewers")
    index = next(
        (n for n, r in enumerate(current or []) if str(r.get("initials")) == initials), None
    )
    if current is None or index is None:
        raise InputError(
            f"{initials} is not a reviewer of this project",
            hint="See the team with: reviewflow reviewer list",
        )
    if roles:
        entry = current[index]
        held = [str(r) for r in entry.get("roles", [])] or ["reviewer"]
        missing = [r for r in roles if r not in held]
        if missing:
            raise InputError(
                f"{initials} does not hold the role {', '.join(missing)} in review.toml "
                f"(they hold {', '.join(held)})",
                hint="A stage's arbiter is an arbiter by the plan: change it with "
                "reviewflow plan set --stage ta --arbiter INITIALS",
            )
        left = [r for r in held if r not in roles]
        if not left:
            raise InputError(
                f"{initials} would hold no role at all",
                hint=f"Take them off the team instead: reviewflow reviewer remove {initials}",
            )
        entry["roles"] = _initials_list(left)
        return
    for stage, plan in dict(doc.get("screening", {})).items():
        if not isinstance(plan, Mapping):
            continue
        named = [*plan.get("reviewers", []), *plan.get("second_reviewers", [])]
        if initials in named or plan.get("arbiter") == initials:
            raise InputError(
                f"{initials} is in the {STAGE_NAMES.get(stage, stage)} screening plan",
                hint=f"Take them out of it first: reviewflow plan set --stage {stage} ... "
                "(see it with: reviewflow plan show).",
            )
    del current[index]


# -- reading -----------------------------------------------------------------------------


def describe_plan(settings: Settings) -> list[str]:
    """The screening plan in words, one line per fact (``reviewflow plan show``, ``init``)."""
    if settings.screening is None:
        return ["No screening plan yet."]
    names = {r.initials: r.name for r in settings.reviewers}

    def who(initials: Sequence[str]) -> str:
        return ", ".join(f"{i} ({names[i]})" if names.get(i) else i for i in initials)

    lines = []
    for stage in ("ta", "ft"):
        plan: StagePlan = getattr(settings.screening, stage)
        lines.append(f"{STAGE_NAMES[stage].capitalize()} screening (--stage {stage}):")
        if not plan.reviewers:
            lines.append(f"  no reviewers yet (reviewflow plan set --stage {stage} --reviewers AB)")
            continue
        every = "record" if stage == "ta" else "full text"
        lines.append(f"  every {every} screened by: {who(plan.reviewers)}")
        if plan.second_reviewers and plan.double_share > 0:
            share = (
                f"every {every}"
                if plan.double_share >= 1
                else f"{plan.double_share:.0%} (random sample, seed {plan.seed})"
            )
            lines.append(f"  screened a second time: {share} by {who(plan.second_reviewers)}")
        lines.append(f"  arbiter: {who([plan.arbiter]) if plan.arbiter else 'none'}")
        lines.append(f"  rule: {plan.rule} ({RULE_TEXT[plan.rule]})")
        lines.append(f"  reason required to exclude: {'yes' if plan.reason_required else 'no'}")
        if stage == "ta" and plan.ranking:
            lines.append(
                f"  ranking on; stopping rule {plan.stopping_rule!r} at "
                f"{plan.recall_target:.0%} recall, {plan.confidence:.0%} confidence"
            )
    reasons = settings.screening.reasons
    lines.append("Exclusion reasons: " + ("; ".join(reasons) if reasons else "none yet"))
    for kind in ("include", "exclude"):
        terms = getattr(settings.screening, f"highlight_{kind}")
        if terms:
            lines.append(f"Highlighted as {kind}: " + "; ".join(terms))
    return lines


# -- the stored protocol, written into the file ------------------------------------------


def update_document(doc: TOMLDocument, old: Mapping[str, Any], new: Mapping[str, Any]) -> None:
    """Edit ``doc`` in place so it reads as ``new``: only the settings where ``old`` (what
    the document says now, validated, or as written when it is invalid) differs are
    touched, so every comment, the order of keys and the layout of the rest stay as the
    team wrote them, and a default nobody wrote is not written either."""
    from .protocol import document_of, leaf_diff, tree_diff

    for path, _before, after in leaf_diff(old, new):
        _put(doc, path, after)
    for path, before, after in tree_diff(old, new):  # a section removed: its emptied table
        if after is None and isinstance(before, Mapping):
            _put(doc, path, None)
    for _ in range(3):  # a table written for the first time may bring other defaults
        try:
            now = document_of(validate(doc.unwrap()))
        except ReviewflowError:
            return
        if now == new:
            return
        for path, _before, after in tree_diff(now, new):
            _put(doc, path, after)


def _put(container: Any, path: tuple[str, ...], value: Any) -> None:
    *parents, key = path
    for name in parents:
        child = container.get(name)
        if not isinstance(child, dict):  # absent (or not a table): a new table
            container[name] = tomlkit.table()
            child = container[name]
        container = child
    if value is None or (key in ("email", "roles") and not value):  # TOML has no null
        if key in container:
            del container[key]
        return
    existing = container.get(key)
    if isinstance(existing, AoT) and _tables(value):
        _update_aot(existing, value)
    elif isinstance(existing, dict) and isinstance(value, Mapping):
        if value:  # {}: a section of defaults only, which an existing table already is
            _update_table(existing, value)
    elif isinstance(existing, Array) and isinstance(value, list) and not _tables(value):
        array = tomlkit.array()
        array.extend(value)
        if "\n" in existing.as_string():
            array.multiline(True)
        container[key] = array
    else:
        container[key] = _item(value)


def _tables(value: Any) -> bool:
    return isinstance(value, list) and bool(value) and all(isinstance(v, Mapping) for v in value)


def _clean(value: Any) -> Any:
    """A value as TOML can hold it: no None anywhere, reviewers without empty keys."""
    if isinstance(value, Mapping):
        out = {k: _clean(v) for k, v in value.items() if v is not None}
        return toml_reviewer(out) if "initials" in out else out
    if isinstance(value, list):
        return [_clean(v) for v in value]
    return value


def _item(value: Any) -> Any:
    value = _clean(value)
    if isinstance(value, list) and not _tables(value):
        array = tomlkit.array()
        array.extend(value)
        if len(value) > 2 and all(isinstance(v, str) for v in value):
            array.multiline(True)
        return array
    return tomlkit.item(value)


def _update_table(table: Any, new: Mapping[str, Any]) -> None:
    from .protocol import tree_diff

    old = table.unwrap()
    if "initials" in new:  # a reviewer: compare with their defaults filled in
        try:
            old = _clean(Reviewer.model_validate(old).model_dump(mode="json"))
        except ValidationError:
            pass
    for path, _before, after in tree_diff(old, _clean(new)):
        _put(table, path, after)


def _update_aot(aot: AoT, new: list[Mapping[str, Any]]) -> None:
    """``[[reviewers]]`` tables made to read as ``new``: a removed member's table goes, the
    others are edited in place (their comments stay), new ones are appended."""
    wanted = [n.get("initials") for n in new]
    if None not in wanted and all("initials" in t for t in aot):
        for index in reversed(range(len(aot))):
            if aot[index]["initials"] not in wanted:
                del aot[index]
    for index, entry in enumerate(new):
        if index < len(aot):
            _update_table(aot[index], entry)
        else:
            aot.append(tomlkit.item(_clean(entry)))
    while len(aot) > len(new):
        del aot[len(aot) - 1]
