"""``review.toml``: the protocol settings of a project, validated with pydantic.

review.toml is written for people: teams read it, edit it and commit it. It holds what
the protocol fixes (title, question, reviewers, database URL); everything that happens
during the review lives in the database.
"""

from __future__ import annotations

import tomllib
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from .errors import ProjectError

CONFIG_NAME = "review.toml"
DEFAULT_DATABASE_URL = "sqlite:///review.db"


class Reviewer(BaseModel):
    model_config = ConfigDict(extra="forbid")

    initials: str = Field(min_length=1, max_length=10)
    name: str = ""
    role: str = "reviewer"

    @field_validator("initials")
    @classmethod
    def _initials(cls, value: str) -> str:
        value = value.strip()
        if not value.replace("-", "").replace("_", "").isalnum():
            raise ValueError("initials may hold only letters, digits, '-' and '_'")
        return value


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

    @field_validator("reviewers")
    @classmethod
    def _unique_initials(cls, value: list[Reviewer]) -> list[Reviewer]:
        seen: set[str] = set()
        for reviewer in value:
            if reviewer.initials in seen:
                raise ValueError(f"reviewer initials {reviewer.initials!r} appear twice")
            seen.add(reviewer.initials)
        return value

    def reviewer(self, initials: str) -> Reviewer | None:
        return next((r for r in self.reviewers if r.initials == initials), None)


def load_settings(path: Path) -> Settings:
    """Read and validate review.toml; errors name the file and the offending key."""
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise ProjectError(f"{path}: no such file") from exc
    except tomllib.TOMLDecodeError as exc:
        raise ProjectError(
            f"{path}: not valid TOML ({exc})", hint="Fix the line named above and try again."
        ) from exc
    except UnicodeDecodeError as exc:
        raise ProjectError(f"{path}: not UTF-8 text") from exc
    try:
        return Settings.model_validate(data)
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in err['loc']) or '(top)'}: {err['msg']}"
            for err in exc.errors()
        )
        raise ProjectError(
            f"{path}: invalid settings: {problems}", hint="Fix review.toml and try again."
        ) from exc


def dump_settings(settings: Settings) -> str:
    """review.toml text for ``settings`` (a commented header, then the values)."""
    import tomli_w

    data = settings.model_dump(mode="json", exclude_none=True)
    header = (
        "# reviewflow project settings. Edit freely; reviewflow validates this file on every\n"
        "# command. The database URL may use ${VAR} to read a password from the environment.\n\n"
    )
    return header + tomli_w.dumps(data)
