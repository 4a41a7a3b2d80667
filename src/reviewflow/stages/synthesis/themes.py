"""Descriptive and analytical themes, the theme × study matrix, and supporting quotes.

Descriptive themes group codes; analytical themes group descriptive themes. The matrix is
never typed in: a study supports a descriptive theme when one of its segments carries a
code the theme groups (or a sub-code of one), and an analytical theme when it supports one
of its descriptive themes. A published statement of which studies report a theme (such as
the seed review's reference lists) is kept apart as ``reported_studies`` so the two can
be compared. Only included studies (:mod:`reviewflow.stages.studies`) count: the coded
segments of a study excluded later stay stored but support no theme.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

from sqlalchemy import Connection

from ...errors import InputError, NotFoundError
from ...project import Project
from ...store import synthesis_queries as sq
from .. import studies as studies_mod
from .codes import CodeRef, resolve

KINDS = ("descriptive", "analytical")
ThemeRef = int | str


@dataclass
class MatrixRow:
    theme_id: int
    label: str | None
    name: str
    kind: str
    parent_id: int | None
    segments_by_study: dict[int, int] = field(default_factory=dict)  # study id → segments
    reported_studies: list[int] | None = None

    @property
    def studies(self) -> list[int]:
        return sorted(self.segments_by_study)

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["studies"] = self.studies
        data["segments_by_study"] = {str(k): v for k, v in self.segments_by_study.items()}
        return data


def derive_matrix(
    themes: Sequence[Mapping[str, Any]],
    theme_codes: Iterable[tuple[int, int]],
    code_parents: Mapping[int, int | None],
    applications: Iterable[Mapping[str, Any]],
) -> list[MatrixRow]:
    """Pure core: theme × study segment counts from code applications."""
    per_theme = theme_segments(themes, theme_codes, code_parents, applications)
    rows = []
    for theme in _tree_order(themes):
        counts: dict[int, int] = {}
        for study, _segment in per_theme[theme["id"]]:
            counts[study] = counts.get(study, 0) + 1
        rows.append(
            MatrixRow(
                theme_id=theme["id"],
                label=theme["label"],
                name=theme["name"],
                kind=theme["kind"],
                parent_id=theme["parent_id"],
                segments_by_study=dict(sorted(counts.items())),
                reported_studies=theme.get("reported_studies"),
            )
        )
    return rows


def theme_segments(
    themes: Sequence[Mapping[str, Any]],
    theme_codes: Iterable[tuple[int, int]],
    code_parents: Mapping[int, int | None],
    applications: Iterable[Mapping[str, Any]],
) -> dict[int, set[tuple[int, int]]]:
    """Pure core: theme id -> the (study, segment) pairs it holds; a cell of the matrix
    counts one study's pairs (:mod:`.matrix_trace` lists them)."""
    by_code: dict[int, set[tuple[int, int]]] = {}  # code → {(study, segment)}
    for app in applications:
        code: int | None = app["code_id"]
        seen: set[int] = set()
        while code is not None and code not in seen:  # a sub-code counts for its ancestors
            by_code.setdefault(code, set()).add((app["study_id"], app["segment_id"]))
            seen.add(code)
            code = code_parents.get(code)
    per_theme: dict[int, set[tuple[int, int]]] = {t["id"]: set() for t in themes}
    for theme_id, code_id in theme_codes:
        per_theme.setdefault(theme_id, set()).update(by_code.get(code_id, set()))
    for theme in themes:  # analytical themes: union of their descriptive themes
        if theme["parent_id"] is not None:
            per_theme.setdefault(theme["parent_id"], set()).update(per_theme[theme["id"]])
    return per_theme


def _tree_order(themes: Sequence[Mapping[str, Any]]) -> list[Mapping[str, Any]]:
    out: list[Mapping[str, Any]] = []
    for top in (t for t in themes if t["parent_id"] is None):
        out.append(top)
        out.extend(t for t in themes if t["parent_id"] == top["id"])
    return out


def _resolve_theme(conn: Connection, ref: ThemeRef) -> dict[str, Any]:
    """A theme by id (an int), else by label ("1.3") or name, else by id given as text."""
    themes = sq.list_themes(conn)
    by_id = {t["id"]: t for t in themes}
    if isinstance(ref, int) and ref in by_id:
        return by_id[ref]
    for theme in themes:
        if str(ref) == str(theme["label"]) or str(ref).lower() == theme["name"].lower():
            return theme
    if str(ref).isdigit() and int(ref) in by_id:
        return by_id[int(ref)]
    raise NotFoundError(f"no theme {ref!r}", hint="List themes with: reviewflow themes list")


def create_theme(
    project: Project,
    name: str,
    *,
    kind: str,
    description: str,
    label: str | None = None,
    parent: ThemeRef | None = None,
    codes: Sequence[CodeRef] = (),
    reported_studies: Sequence[int] | None = None,
) -> int:
    """A descriptive theme (grouping codes, under an analytical theme) or an analytical one."""
    if kind not in KINDS:
        raise InputError(f"a theme is descriptive or analytical, not {kind!r}")
    if not description.strip():
        raise InputError("every theme needs a description", hint="Pass --description TEXT.")
    if kind == "analytical" and (parent is not None or codes):
        raise InputError(
            "an analytical theme groups descriptive themes, not codes",
            hint="Create descriptive themes with --parent pointing to it.",
        )
    with project.db.transaction() as conn:
        parent_id = None
        if parent is not None:
            parent_row = _resolve_theme(conn, parent)
            if parent_row["kind"] != "analytical":
                raise InputError("a descriptive theme belongs under an analytical theme")
            parent_id = parent_row["id"]
        theme_id = sq.insert_theme(
            conn,
            values={
                "kind": kind,
                "label": label,
                "name": name,
                "description": description,
                "parent_id": parent_id,
                "reported_studies": list(reported_studies) if reported_studies else None,
            },
        )
        sq.link_theme_codes(
            conn, theme_id=theme_id, code_ids=[resolve(conn, c)["id"] for c in codes]
        )
        return theme_id


def group_codes(project: Project, theme: ThemeRef, codes: Sequence[CodeRef]) -> None:
    """Add codes to a descriptive theme."""
    with project.db.transaction() as conn:
        row = _resolve_theme(conn, theme)
        if row["kind"] != "descriptive":
            raise InputError("codes are grouped into descriptive themes")
        sq.link_theme_codes(
            conn, theme_id=row["id"], code_ids=[resolve(conn, c)["id"] for c in codes]
        )


def ungroup_code(project: Project, theme: ThemeRef, code: CodeRef) -> None:
    with project.db.transaction() as conn:
        row = _resolve_theme(conn, theme)
        sq.unlink_theme_code(conn, theme_id=row["id"], code_id=resolve(conn, code)["id"])


def set_parent(project: Project, theme: ThemeRef, parent: ThemeRef | None) -> None:
    """Move a descriptive theme under another analytical theme."""
    with project.db.transaction() as conn:
        row = _resolve_theme(conn, theme)
        parent_id = _resolve_theme(conn, parent)["id"] if parent is not None else None
        sq.update_theme(conn, row["id"], values={"parent_id": parent_id})


def describe(project: Project, theme: ThemeRef, description: str) -> None:
    with project.db.transaction() as conn:
        sq.update_theme(
            conn, _resolve_theme(conn, theme)["id"], values={"description": description}
        )


def matrix(project: Project, *, coder: str | None = None) -> list[MatrixRow]:
    """The theme × study matrix derived from the (current) code applications of the
    included studies."""
    with project.db.connect() as conn:
        themes, links, parents, apps = matrix_inputs(conn, project, coder=coder)
    return derive_matrix(themes, links, parents, apps)


def matrix_inputs(
    conn: Connection, project: Project, *, coder: str | None = None
) -> tuple[
    list[dict[str, Any]], list[tuple[int, int]], dict[int, int | None], list[dict[str, Any]]
]:
    """What the matrix is derived from: themes, (theme, code) links, code parents and the
    current applications on included studies' segments (``coder``: one coder's only)."""
    themes = sq.list_themes(conn)
    links = sq.list_theme_codes(conn)
    parents = {c["id"]: c["parent_id"] for c in sq.list_codes(conn, include_inactive=True)}
    apps = sq.active_applications(conn, coder=coder)
    included = {s.id for s in studies_mod.load(conn, project).included}
    return themes, list(links), parents, [a for a in apps if a["study_id"] in included]


def add_quote(
    project: Project,
    theme: ThemeRef,
    *,
    segment_id: int | None = None,
    study: int | None = None,
    text: str | None = None,
    page: int | None = None,
) -> int:
    """Link a supporting quote to a theme: a stored segment, or text with its study and page."""
    with project.db.transaction() as conn:
        row = _resolve_theme(conn, theme)
        if segment_id is not None:
            segs = sq.list_segments(conn, segment_ids=[segment_id])
            if not segs:
                raise NotFoundError(f"no segment {segment_id}")
            seg = segs[0]
            study, text, page = seg["study_id"], text or seg["text"], page or seg["page"]
        if study is None or not text:
            raise InputError("a quote needs a segment, or a text and its study")
        found = studies_mod.load(conn, project).require_included(study, doing="quoted")
        study = found.id
        return sq.insert_quote(
            conn,
            values={
                "theme_id": row["id"],
                "study_id": study,
                "segment_id": segment_id,
                "text": text,
                "page": page,
            },
        )


def theme_tree(project: Project) -> list[dict[str, Any]]:
    """Analytical → descriptive themes with description, codes, studies (derived), quotes."""
    rows = {r.theme_id: r for r in matrix(project)}
    with project.db.connect() as conn:
        themes = sq.list_themes(conn)
        links = sq.list_theme_codes(conn)
        codes = {c["id"]: c for c in sq.list_codes(conn, include_inactive=True)}
        known = studies_mod.load(conn, project)
        included = {s.id for s in known.included}
        quotes = [
            q
            for q in studies_mod.with_labels(sq.list_quotes(conn), known.labels())
            if q["study_id"] in included
        ]

    def node(theme: Mapping[str, Any]) -> dict[str, Any]:
        row = rows[theme["id"]]
        return {
            "id": theme["id"],
            "label": theme["label"],
            "kind": theme["kind"],
            "name": theme["name"],
            "description": theme["description"],
            "codes": [codes[c]["name"] for t, c in links if t == theme["id"]],
            "studies": row.studies,
            "segments_by_study": row.segments_by_study,
            "reported_studies": theme["reported_studies"],
            "quotes": [
                {
                    "text": q["text"],
                    "study_id": q["study_id"],
                    "study": q["study"],
                    "page": q["page"],
                }
                for q in quotes
                if q["theme_id"] == theme["id"]
            ],
        }

    out = []
    for top in (t for t in themes if t["parent_id"] is None):
        entry = node(top)
        entry["themes"] = [node(t) for t in themes if t["parent_id"] == top["id"]]
        out.append(entry)
    return out
