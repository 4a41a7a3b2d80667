"""What a cell of the theme × study matrix counts: the coded segments behind the number.

A cell is the number of a study's segments that carry a code the theme groups (or a
sub-code of one; for an analytical theme, a code of one of its descriptive themes).
:func:`matrix_cell` derives the cell from :func:`.themes.theme_segments`, the function the
matrix itself counts with, so it lists as many segments as the cell says, each with the
codings that put it there (code, coder, when).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from ...errors import NotFoundError
from ...project import Project
from ...store import synthesis_queries as sq
from .themes import matrix_inputs, theme_segments


@dataclass(frozen=True)
class Coding:
    code: str
    coder: str
    when: datetime
    span: tuple[int, int] | None

    def to_dict(self) -> dict[str, Any]:
        return {
            "code": self.code,
            "coder": self.coder,
            "when": self.when.isoformat(),
            "span": list(self.span) if self.span else None,
        }


@dataclass(frozen=True)
class CellSegment:
    """One segment a matrix cell counts, and the codings of the theme's codes on it."""

    segment_id: int
    study_id: int
    text: str
    kind: str  # author | quote
    page: int | None
    codings: tuple[Coding, ...]

    def to_dict(self) -> dict[str, Any]:
        return {
            "segment_id": self.segment_id,
            "study_id": self.study_id,
            "text": self.text,
            "kind": self.kind,
            "page": self.page,
            "codings": [c.to_dict() for c in self.codings],
        }


def matrix_cell(
    project: Project, theme_id: int, study_id: int, *, coder: str | None = None
) -> list[CellSegment]:
    """The segments of ``study_id`` the matrix counts for ``theme_id`` (one coder's with
    ``coder``), in reading order, each with the codings that put it in the cell."""
    with project.db.connect() as conn:
        themes, links, parents, apps = matrix_inputs(conn, project, coder=coder)
        if not any(t["id"] == theme_id for t in themes):
            raise NotFoundError(
                f"no theme {theme_id} in this project",
                hint="List them with: reviewflow themes list",
            )
        held = theme_segments(themes, links, parents, apps)[theme_id]
        wanted = sorted(seg for study, seg in held if study == study_id)
        rows = {int(r["id"]): r for r in sq.list_segments(conn, segment_ids=wanted)}
        names = {int(c["id"]): c["name"] for c in sq.list_codes(conn, include_inactive=True)}
    codes = _theme_codes(themes, links, theme_id)
    out = []
    for seg in wanted:
        on_it = [a for a in apps if a["segment_id"] == seg and _under(a["code_id"], codes, parents)]
        row = rows[seg]
        out.append(
            CellSegment(
                segment_id=seg,
                study_id=study_id,
                text=row["text"],
                kind=row["kind"],
                page=row["page"],
                codings=tuple(
                    Coding(
                        names.get(a["code_id"], str(a["code_id"])),
                        a["coder"],
                        a["created_at"],
                        (a["span_start"], a["span_end"]) if a["span_start"] is not None else None,
                    )
                    for a in on_it
                ),
            )
        )
    out.sort(key=lambda c: (rows[c.segment_id]["position"], c.segment_id))
    return out


def _theme_codes(
    themes: list[dict[str, Any]], links: list[tuple[int, int]], theme_id: int
) -> set[int]:
    """The codes a theme groups: its own, and for an analytical theme its children's."""
    members = {theme_id} | {t["id"] for t in themes if t["parent_id"] == theme_id}
    return {code for theme, code in links if theme in members}


def _under(code: int | None, wanted: set[int], parents: Mapping[int, int | None]) -> bool:
    seen: set[int] = set()
    while code is not None and code not in seen:
        if code in wanted:
            return True
        seen.add(code)
        code = parents.get(code)
    return False
