"""``review.toml``: the protocol settings of a project, validated with pydantic.

review.toml is written for people: teams read it, edit it and commit it. It is the
readable import/export of the protocol (title, question, team, plans, forms, checklist,
declared counts), which lives, versioned, in the project database
(:mod:`reviewflow.protocol`); only ``[database]`` is the file's alone, since it says where
that database is.
"""

from __future__ import annotations

import tomllib
from collections.abc import Mapping
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    field_validator,
    model_validator,
)

from .errors import InputError, ProjectError

CONFIG_NAME = "review.toml"
DEFAULT_DATABASE_URL = "sqlite:///review.db"


#: What a member may do in reviewflow (see :data:`reviewflow.people.ROLES`).
Role = Literal["owner", "reviewer", "arbiter", "viewer"]


class Reviewer(BaseModel):
    """One member of the team (``[[reviewers]]``).

    ``role`` says in words what they do in the review ("information scientist");
    ``roles`` what they may do in reviewflow: none given means reviewer, and a stage's
    arbiter is also an arbiter. The project's people and roles in the store follow this list.
    """

    model_config = ConfigDict(extra="forbid")

    initials: str = Field(min_length=1, max_length=10)
    name: str = ""
    role: str = "reviewer"
    email: str | None = None
    roles: list[Role] = Field(default_factory=list)

    @field_validator("initials")
    @classmethod
    def _initials(cls, value: str) -> str:
        value = value.strip()
        if not value.replace("-", "").replace("_", "").isalnum():
            raise ValueError("initials may hold only letters, digits, '-' and '_'")
        return value


#: How votes become a result: "any_include" (any include or maybe passes; all exclude
#: excludes), "unanimous_else_arbiter" (agreement decides, any disagreement goes to the
#: arbiter), "majority_else_arbiter" (a strict majority decides, a tie goes to the arbiter).
ScreeningRule = Literal["any_include", "unanimous_else_arbiter", "majority_else_arbiter"]
#: The title/abstract stopping rules (see StagePlan.stopping_rule).
StoppingRule = Literal["arrival", "sampling"]


class StagePlan(BaseModel):
    """The screening plan of one stage (``[screening.ta]`` or ``[screening.ft]``)."""

    model_config = ConfigDict(extra="forbid")

    reviewers: list[str] = Field(default_factory=list)  # screen every item
    second_reviewers: list[str] = Field(default_factory=list)  # screen the double share
    double_share: float = Field(default=1.0, ge=0.0, le=1.0)
    seed: int = 0
    arbiter: str | None = None
    rule: ScreeningRule = "any_include"
    reason_required: bool = False
    #: Title/abstract only: show each reviewer's records by predicted relevance.
    ranking: bool = False
    #: The stopping rule's recall target and confidence (title/abstract, with ranking).
    recall_target: float = Field(default=0.95, gt=0.0, lt=1.0)
    confidence: float = Field(default=0.95, gt=0.0, lt=1.0)
    #: Which stopping rule decides (the other is shown beside it): "arrival" models how
    #: includes arrive along the ranking (reviewflow.ranking.arrival; screening stays
    #: ranked); "sampling" is the random-sampling test of Callaghan & Müller-Hansen 2020
    #: (after 50 irrelevant in a row the open records come in a seeded random order).
    stopping_rule: StoppingRule = "arrival"


class ScreeningSettings(BaseModel):
    """``[screening]``: the exclusion reasons of the protocol and one plan per stage."""

    model_config = ConfigDict(extra="forbid")

    reasons: list[str] = Field(default_factory=list)
    #: Terms highlighted in the screening view (green / red), matched case-insensitively
    #: at the start of a word: "prescri" marks "prescribing" and "Prescription".
    highlight_include: list[str] = Field(default_factory=list)
    highlight_exclude: list[str] = Field(default_factory=list)
    ta: StagePlan = Field(default_factory=StagePlan)
    ft: StagePlan = Field(
        default_factory=lambda: StagePlan(rule="unanimous_else_arbiter", reason_required=True)
    )


class FormRef(BaseModel):
    """One extraction form in use: a built-in form name or a TOML file in the project."""

    model_config = ConfigDict(extra="forbid")

    source: str = Field(min_length=1)  # e.g. "qualitative_study" or "forms/characteristics.toml"
    version: int | None = Field(default=None, ge=1)  # checked against the file when given


#: The form used when review.toml names none: generic qualitative study characteristics.
DEFAULT_FORM = "qualitative_study"


class ExtractionSettings(BaseModel):
    """``[extraction]``: the form(s) in use and their versions (the first is the default)."""

    model_config = ConfigDict(extra="forbid")

    forms: list[FormRef] = Field(
        default_factory=lambda: [FormRef(source=DEFAULT_FORM)], min_length=1
    )


class AppraisalSettings(BaseModel):
    """``[appraisal]``: the checklist and its scoring scheme (by name, or inline ``scoring``).

    ``appraisers`` names the two independent appraisers when more than two appraised.
    """

    model_config = ConfigDict(extra="forbid")

    checklist: str = "casp_qualitative"  # built-in id or a checklist file in the project
    #: A scheme declared in the checklist file ("none", "count_yes", "weighted_bands" for
    #: CASP), or the inline one's id. "none" follows CASP's advice not to score.
    scheme: str = "none"
    scoring: dict[str, Any] | None = None  # inline scheme: name, points, max, bands
    appraisers: list[str] = Field(default_factory=list)


#: How review.toml spells a count nobody knows (TOML has no null): declared, but unknown.
NOT_REPORTED = "not reported"
Count = Annotated[int, Field(ge=0)] | Literal["not reported"]
Entries = list[tuple[str, Count]]


class DeclaredCounts(BaseModel):
    """``[report.declared]``: PRISMA boxes of stages run outside reviewflow (dedup in
    EndNote, screening in another tool), or given only as totals. A key that is present
    replaces the derived count and is marked "declared"; "not reported" declares a box
    unknown rather than zero. Lists are [name, n] pairs. Field names are those of
    :class:`reviewflow.reports.prisma.PrismaCounts`.
    """

    model_config = ConfigDict(extra="forbid")

    databases_total: Count | None = None
    registers_total: Count | None = None
    duplicates_removed: Count | None = None
    excluded_automation: Count | None = None
    removed_other: Count | None = None
    records_screened: Count | None = None
    records_excluded: Count | None = None
    reports_sought: Count | None = None
    reports_not_retrieved: Count | None = None
    reports_assessed: Count | None = None
    reports_excluded: Count | None = None
    other_reports_sought: Count | None = None
    other_reports_not_retrieved: Count | None = None
    other_reports_assessed: Count | None = None
    other_reports_excluded: Count | None = None
    studies_included: Count | None = None
    reports_included: Count | None = None
    previous_studies: Count | None = None
    previous_reports: Count | None = None
    databases: Entries | None = None
    registers: Entries | None = None
    other_methods: Entries | None = None
    exclusion_reasons: Entries | None = None
    other_exclusion_reasons: Entries | None = None
    other_methods_screened: bool | None = None


def declared_model(declared: Mapping[str, Any]) -> DeclaredCounts:
    """``[report.declared]`` from counts by PRISMA box; None declares a box unknown
    ("not reported"), lists are (name, n) pairs."""

    def spelled(value: Any) -> Any:
        if isinstance(value, list):
            return [[str(name), NOT_REPORTED if n is None else n] for name, n in value]
        return NOT_REPORTED if value is None else value

    try:
        return DeclaredCounts.model_validate({k: spelled(v) for k, v in declared.items()})
    except ValidationError as exc:
        problems = "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors())
        raise InputError(
            f"cannot declare these counts: {problems}",
            hint="Declare PRISMA boxes by name (e.g. duplicates_removed) as whole numbers, "
            '"not reported", or lists of [name, n] pairs.',
        ) from None


class ReportSettings(BaseModel):
    """``[report]``: what the report needs that the store does not hold.

    ``table1_columns``: extraction fields shown in Table 1 (default: every field);
    ``stated_totals``: totals the manuscript states (field -> n, e.g. sample_size = 220),
    checked against the sum of Table 1; ``published``: a built-in set of figures a
    publication states about its own review, recomputed and compared ("seed": the demo).
    """

    model_config = ConfigDict(extra="forbid")

    declared: DeclaredCounts = Field(default_factory=DeclaredCounts)
    table1_columns: list[str] | None = None
    stated_totals: dict[str, int | float] = Field(default_factory=dict)
    published: Literal["seed"] | None = None


class DatabaseSettings(BaseModel):
    model_config = ConfigDict(extra="forbid")

    url: str = DEFAULT_DATABASE_URL


class Settings(BaseModel):
    """The validated content of review.toml."""

    model_config = ConfigDict(extra="allow")

    title: str = Field(min_length=1)
    question: str = ""
    reviewers: list[Reviewer] = Field(default_factory=list)
    database: DatabaseSettings = Field(default_factory=DatabaseSettings)
    screening: ScreeningSettings | None = None
    extraction: ExtractionSettings | None = None
    appraisal: AppraisalSettings | None = None
    report: ReportSettings | None = None

    @field_validator("reviewers")
    @classmethod
    def _unique_initials(cls, value: list[Reviewer]) -> list[Reviewer]:
        seen: set[str] = set()
        for reviewer in value:
            if reviewer.initials in seen:
                raise ValueError(f"reviewer initials {reviewer.initials!r} appear twice")
            seen.add(reviewer.initials)
        return value

    @model_validator(mode="after")
    def _screening_reviewers_known(self) -> Settings:
        """A plan naming someone not in ``reviewers`` is a typo to catch at load time."""
        if self.screening is None:
            return self
        known = {r.initials for r in self.reviewers}
        for stage, stage_name in (("ta", "title/abstract"), ("ft", "full-text")):
            plan: StagePlan = getattr(self.screening, stage)
            named = [*plan.reviewers, *plan.second_reviewers]
            named += [plan.arbiter] if plan.arbiter else []
            unknown = sorted({n for n in named if n not in known})
            if unknown:
                raise ValueError(
                    f"the {stage_name} screening plan names {', '.join(unknown)}, not a "
                    f"reviewer of this project (reviewers: {', '.join(sorted(known)) or 'none'}); "
                    f"add them with: reviewflow reviewer add {unknown[0]}:NAME"
                )
            if plan.arbiter and plan.arbiter in plan.reviewers + plan.second_reviewers:
                raise ValueError(
                    f"the {stage_name} arbiter {plan.arbiter} also screens that stage; an arbiter "
                    "must be independent of the votes they decide. Name another with: "
                    f"reviewflow plan set --stage {stage} --arbiter INITIALS"
                )
        if len(set(self.screening.reasons)) != len(self.screening.reasons):
            raise ValueError(
                "the exclusion reasons list a reason twice; set them with: "
                'reviewflow plan set --reasons "reason one; reason two"'
            )
        return self

    def reviewer(self, initials: str) -> Reviewer | None:
        return next((r for r in self.reviewers if r.initials == initials), None)

    def team_roles(self) -> dict[str, frozenset[str]]:
        """Each member's roles as the protocol gives them: those listed (reviewer when
        none are), plus arbiter for a stage's arbiter."""
        arbiters: set[str] = set()
        if self.screening is not None:
            arbiters = {p.arbiter for p in (self.screening.ta, self.screening.ft) if p.arbiter}
        return {
            r.initials: frozenset(r.roles or ["reviewer"])
            | ({"arbiter"} if r.initials in arbiters else frozenset())
            for r in self.reviewers
        }


_FIX_HINT = (
    "Fix the setting named above (reviewflow plan show shows the screening plan; "
    "reviewflow plan set and reviewflow reviewer add change it), or edit review.toml."
)


def load_settings(path: Path) -> Settings:
    """Read and validate review.toml; errors name the file and the offending key."""
    return validate_config(read_config(path)[1], path)


def read_config(path: Path) -> tuple[bytes, dict[str, Any]]:
    """review.toml's bytes (to hash) and its parsed TOML, not validated yet."""
    try:
        raw = path.read_bytes()
        return raw, tomllib.loads(raw.decode("utf-8"))
    except FileNotFoundError as exc:
        raise ProjectError(f"{path}: no such file") from exc
    except tomllib.TOMLDecodeError as exc:
        raise ProjectError(
            f"{path}: not valid TOML ({exc})", hint="Fix the line named above and try again."
        ) from exc
    except UnicodeDecodeError as exc:
        raise ProjectError(f"{path}: not UTF-8 text") from exc


def validate_config(data: dict[str, Any], path: Path, *, hint: str = _FIX_HINT) -> Settings:
    """Settings from review.toml's parsed data; an error names the file and the key."""
    try:
        return Settings.model_validate(data)
    except ValidationError as exc:
        raise ProjectError(
            f"{path}: invalid settings: {describe_validation_error(exc)}", hint=hint
        ) from exc


def database_settings(data: dict[str, Any], path: Path) -> DatabaseSettings:
    """``[database]`` alone: where the project database is, needed before anything else."""
    try:
        return DatabaseSettings.model_validate(data.get("database", {}))
    except ValidationError as exc:
        problems = describe_validation_error(exc)
        raise ProjectError(
            f"{path}: invalid settings: database.{problems}",
            hint="Fix the url under [database] in review.toml.",
        ) from exc


def describe_validation_error(exc: ValidationError) -> str:
    """pydantic's errors as one line: 'where: what' per problem, without its jargon."""
    problems = []
    for err in exc.errors():
        where = ".".join(str(p) for p in err["loc"])
        msg = str(err["msg"]).removeprefix("Value error, ")
        problems.append(f"{where}: {msg}" if where else msg)
    return "; ".join(problems)


_HEADER = (
    "The protocol of this review. reviewflow keeps it, with its history, in the project",
    "database (reviewflow protocol show / history); this file is its readable copy. Edit",
    "freely: the next command applies your edit as a new protocol version. Commands that",
    "change the protocol (reviewflow plan set, reviewflow reviewer add) edit this file in",
    "place and keep your comments. The database URL may use ${VAR} to read a password",
    "from the environment.",
)
SCREENING_COMMENT = (
    "Who screens what, and the exclusion reasons.",
    "See it with: reviewflow plan show; change it with: reviewflow plan set",
)
_COMMENTS = {
    "reviewers": (
        "The review team. Add someone with: reviewflow reviewer add XY:Name",
        "role: what they do, in words; roles: what they may do here (owner, reviewer,",
        "arbiter, viewer; none listed = reviewer; a stage's arbiter is also an arbiter).",
    ),
    "screening": SCREENING_COMMENT,
}
#: StagePlan keys written only when they differ from the default (they matter with ranking).
_RANKING_KEYS = ("ranking", "recall_target", "confidence", "stopping_rule")


def dump_settings(settings: Settings) -> str:
    """review.toml text for ``settings``: a commented header, the top-level values, then
    one table per section, reviewers as ``[[reviewers]]`` tables so people can read them."""
    import tomlkit

    data = settings.model_dump(mode="json", exclude_none=True)
    screening = data.get("screening")
    if screening:
        for stage in ("ta", "ft"):
            plan = screening.get(stage, {})
            for key in _RANKING_KEYS:
                if plan.get(key) == StagePlan.model_fields[key].default:
                    plan.pop(key, None)
    doc = tomlkit.document()
    for line in _HEADER:
        doc.add(tomlkit.comment(line))
    doc.add(tomlkit.nl())
    tables = {k: v for k, v in data.items() if isinstance(v, dict) or k == "reviewers"}
    for key, value in data.items():
        if key not in tables:
            doc[key] = value
    for key, value in tables.items():
        comments = [tomlkit.comment(line) for line in _COMMENTS.get(key, ())]
        if key == "reviewers":
            reviewers = tomlkit.aot()
            for n, reviewer in enumerate(value):
                table = tomlkit.table()
                for comment in comments if n == 0 else ():
                    table.add(comment)
                table.update(toml_reviewer(reviewer))
                reviewers.append(table)
            if value:
                doc["reviewers"] = reviewers
            continue
        table = tomlkit.table()
        for comment in comments:
            table.add(comment)
        table.update(value)
        doc[key] = table
    return tomlkit.dumps(doc)


def toml_reviewer(reviewer: dict[str, Any]) -> dict[str, Any]:
    """A reviewer as review.toml spells it: no e-mail or roles keys when there are none."""
    return {k: v for k, v in reviewer.items() if not (k in ("email", "roles") and not v)}
