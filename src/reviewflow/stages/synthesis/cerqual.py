"""GRADE-CERQual: review findings, component judgements, overall confidence, SoQF table.

A review finding summarises one or more themes; its contributing studies are those the
derived matrix gives for its themes (never typed in). Each of the four components is
judged (no or very minor / minor / moderate / serious concerns) with an explanation, and
an overall confidence (high / moderate / low / very low) with its explanation — all as
append-only judgements, the latest per component counting (Lewin et al. 2018).
Methodological limitations are informed by the appraisal: the table shows the appraisal of
each contributing study when the caller passes one (see :func:`soqf_table`).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

from ...errors import InputError, NotFoundError
from ...project import Project
from ...store import synthesis_queries as sq
from .. import studies as studies_mod
from . import themes as theme_mod

COMPONENTS: tuple[str, ...] = (
    "methodological_limitations",
    "coherence",
    "adequacy",
    "relevance",
)
CONCERNS: tuple[str, ...] = ("no or very minor", "minor", "moderate", "serious")
CONFIDENCE: tuple[str, ...] = ("high", "moderate", "low", "very low")


@dataclass
class SoQFRow:
    """One row of the Summary of Qualitative Findings table."""

    finding_id: int
    label: str | None
    statement: str
    themes: list[str]
    studies: list[int]
    study_labels: list[str]
    components: dict[str, dict[str, str] | None] = field(default_factory=dict)
    overall: str | None = None
    explanation: str | None = None
    appraisals: dict[str, str] = field(default_factory=dict)
    starting_point: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def add_finding(
    project: Project, statement: str, *, themes: Sequence[int | str], label: str | None = None
) -> int:
    """A review finding summarising ``themes`` (ids, labels or names)."""
    if not statement.strip():
        raise InputError("a review finding needs its statement")
    if not themes:
        raise InputError("link the finding to at least one theme", hint="Pass --theme LABEL.")
    with project.db.transaction() as conn:
        ids = [theme_mod._resolve_theme(conn, t)["id"] for t in themes]
        return sq.insert_finding(conn, statement=statement, theme_ids=ids, label=label)


def judge(
    project: Project,
    finding: int | str,
    component: str,
    level: str,
    explanation: str,
    *,
    reviewer: str | None = None,
) -> int:
    """Record a judgement of one component, or ``component="overall"``, with its reason."""
    if component == "overall":
        allowed = CONFIDENCE
    elif component in COMPONENTS:
        allowed = CONCERNS
    else:
        raise InputError(
            f"unknown CERQual component {component!r}",
            hint="Use one of: " + ", ".join((*COMPONENTS, "overall")),
        )
    if level not in allowed:
        raise InputError(f"{component} is judged as one of: {', '.join(allowed)} (not {level!r})")
    if not explanation.strip():
        raise InputError("CERQual asks for an explanation of every judgement")
    with project.db.transaction() as conn:
        row = _finding(conn, finding)
        return sq.insert_judgement(
            conn,
            values={
                "finding_id": row["id"],
                "component": component,
                "level": level,
                "explanation": explanation,
                "reviewer": reviewer,
            },
        )


def _finding(conn: Any, ref: int | str) -> dict[str, Any]:
    for row in sq.list_findings(conn):
        if str(ref) in (str(row["id"]), str(row["label"])):
            return row
    raise NotFoundError(f"no review finding {ref!r}", hint="List them: reviewflow cerqual table")


def starting_point(levels: Mapping[str, str | None]) -> str | None:
    """A suggested overall confidence from the components (a person decides).

    CERQual starts from high confidence and moves down for concerns: this counts a serious
    concern as two steps and a moderate one as one; minor concerns alone do not move it.
    """
    if any(levels.get(c) is None for c in COMPONENTS):
        return None
    steps = sum({"serious": 2, "moderate": 1}.get(levels[c] or "", 0) for c in COMPONENTS)
    return CONFIDENCE[min(steps, len(CONFIDENCE) - 1)]


def soqf_table(project: Project, *, appraisals: Mapping[int, str] | None = None) -> list[SoQFRow]:
    """The Summary of Qualitative Findings table as data.

    ``appraisals`` maps study id → appraisal summary (e.g. "18 very valuable"); by
    default it comes from the consensus appraisals of the appraisal stage, shown beside
    methodological limitations, which CERQual asks to be judged from them.
    """
    if appraisals is None:
        appraisals = appraisal_summaries(project)
    matrix = {r.theme_id: r for r in theme_mod.matrix(project)}
    with project.db.connect() as conn:
        findings = sq.list_findings(conn)
        judged = sq.current_judgements(conn)
        labels = studies_mod.load(conn, project).labels()
    rows = []
    for finding in findings:
        studies = sorted({s for t in finding["theme_ids"] for s in matrix[t].studies})
        components: dict[str, dict[str, str] | None] = {}
        for comp in COMPONENTS:
            j = judged.get((finding["id"], comp))
            components[comp] = {"level": j["level"], "explanation": j["explanation"]} if j else None
        overall = judged.get((finding["id"], "overall"))
        levels = {c: (v or {}).get("level") for c, v in components.items()}
        rows.append(
            SoQFRow(
                finding_id=finding["id"],
                label=finding["label"],
                statement=finding["statement"],
                themes=[matrix[t].label or matrix[t].name for t in finding["theme_ids"]],
                studies=studies,
                study_labels=[labels.get(s) or str(s) for s in studies],
                components=components,
                overall=overall["level"] if overall else None,
                explanation=overall["explanation"] if overall else None,
                appraisals={
                    labels.get(s) or str(s): appraisals[s]
                    for s in studies
                    if appraisals and s in appraisals
                },
                starting_point=starting_point(levels),
            )
        )
    return rows


def appraisal_summaries(project: Project) -> dict[int, str]:
    """Study id → "score/max band" (or the checklist answers when unscored) from consensus."""
    from ..appraisal import project as appraise

    out: dict[int, str] = {}
    for row in appraise.appraisal_table(project):
        if row.get("score") is not None:
            band = f" {row['band']}" if row.get("band") else ""
            out[int(row["study_id"])] = f"{row['score']}/{row['max']}{band}"
        else:
            answers = [str(v) for k, v in row.items() if k.startswith("q") and k[1:].isdigit()]
            out[int(row["study_id"])] = ", ".join(answers)
    return out
