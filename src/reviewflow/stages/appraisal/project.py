"""Quality appraisal on the project store: two independent appraisals, consensus, scores.

The pure core (:mod:`reviewflow.stages.appraisal`) checks answers, compares appraisers, builds
the consensus and scores it; this module records appraisals as append-only rows
(``appraisals``, kind "independent" or "consensus") and derives agreement, scores and
bands from them. The checklist and the scoring scheme come from ``[appraisal]`` in
review.toml (a built-in checklist id or a file in the project; a scheme declared in the
checklist by name, or an inline ``scoring`` table). Scores are never stored: changing the
scheme in review.toml re-scores every study from the same consensus answers.
"""

from __future__ import annotations

import csv
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ...errors import InputError, ProjectError, StateError
from ...formats.limits import read_sheet_text, sheet_reader
from ...project import Project
from ...settings import AppraisalSettings
from ...store import extraction_queries as xq
from .. import studies as studies_mod
from ..screening.plan import check_reviewer
from ..who import acting
from .checklists import Appraisal, Checklist, builtin_checklist, load_checklist
from .checklists import make_appraisal as make_appraisal_pure
from .consensus import AppraisalAgreement, appraisal_agreement, consensus, disagreements
from .scoring import Score, ScoringScheme, scheme, scheme_from_dict, score

INDEPENDENT, CONSENSUS = "independent", "consensus"


def _settings(project: Project) -> AppraisalSettings:
    return project.settings.appraisal or AppraisalSettings()


def checklist_in_use(project: Project) -> Checklist:
    """The checklist of ``[appraisal]`` (default: CASP Qualitative)."""
    name = _settings(project).checklist
    if name.endswith(".toml") or "/" in name:
        return load_checklist(project.root / name)
    return builtin_checklist(name)


def scheme_in_use(project: Project, checklist: Checklist | None = None) -> ScoringScheme:
    """The scoring scheme of ``[appraisal]``: inline ``scoring``, else ``scheme`` by name."""
    settings = _settings(project)
    checklist = checklist or checklist_in_use(project)
    if settings.scoring is not None:
        return scheme_from_dict(
            settings.scoring, checklist, scheme_id=settings.scheme, source="review.toml"
        )
    return scheme(checklist, settings.scheme)


@dataclass
class _Rows:
    """Current appraisals of one study: the latest independent per appraiser, the consensus."""

    study_id: int
    label: str
    independent: dict[str, Appraisal]
    consensus: Appraisal | None
    #: The consensus's discussed items (item -> agreed answer) and when it was recorded.
    resolutions: dict[str, str] = field(default_factory=dict)
    consensus_at: Any = None
    #: When each appraiser's current independent appraisal was recorded.
    recorded_at: dict[str, Any] = field(default_factory=dict)


def _load(conn: Any, project: Project, checklist: Checklist) -> dict[int, _Rows]:
    """The included studies' appraisals (a study excluded after appraisal drops out)."""
    out = {s.id: _Rows(s.id, s.label, {}, None) for s in studies_mod.load(conn, project).included}
    for row in xq.appraisal_rows(conn, checklist_id=checklist.id):
        sid = int(row["study_id"])
        if sid not in out:
            continue
        appraisal = Appraisal(
            str(sid), row["appraiser"], checklist.id, row["answers"], row["notes"] or {}
        )
        if row["kind"] == CONSENSUS:
            out[sid].consensus = appraisal
            out[sid].resolutions = dict(row.get("resolutions") or {})
            out[sid].consensus_at = row.get("created_at")
        else:
            out[sid].independent[row["appraiser"]] = appraisal
            out[sid].recorded_at[row["appraiser"]] = row.get("created_at")
    return out


def record_appraisal(
    project: Project,
    study: str | int,
    *,
    reviewer: str | None = None,
    answers: Mapping[str, str],
    notes: Mapping[str, str] | None = None,
    replace: bool = False,
) -> Appraisal:
    """Record one appraiser's (``reviewer``, default: the session's actor) independent
    answers: every item, a known option."""
    who = acting(reviewer, doing="appraising")
    return import_rows(project, [(study, who, answers, notes or {})], replace=replace)[0]


def import_rows(
    project: Project,
    rows: Sequence[tuple[str | int, str, Mapping[str, str], Mapping[str, str]]],
    *,
    replace: bool = False,
    source: str | None = None,
) -> list[Appraisal]:
    """Record (study, appraiser, answers, notes) rows: all of them or, on any problem, none."""
    checklist = checklist_in_use(project)
    out, inserts = [], []
    with project.db.transaction() as conn:
        current = _load(conn, project, checklist)
        known = studies_mod.load(conn, project)
        for study, appraiser, answers, notes in rows:
            check_reviewer(project, appraiser)
            state = current[known.require_included(study, doing="appraised").id]
            appraisal = make_appraisal_pure(
                checklist, str(state.study_id), appraiser, answers, notes=notes
            )
            before = state.independent.get(appraiser)
            out.append(appraisal)
            if before is not None and (dict(before.answers), dict(before.notes)) == (
                dict(appraisal.answers),
                dict(appraisal.notes),
            ):
                continue
            if before is not None and state.consensus is not None:
                raise StateError(
                    f"{state.label}: a consensus is recorded; {appraiser}'s appraisal is final",
                    hint="Record a new consensus instead: reviewflow appraise consensus --replace",
                )
            if before is not None and not replace:
                raise InputError(
                    f"{state.label} is already appraised by {appraiser}",
                    hint="Pass --replace to record a new appraisal; the old one stays in history.",
                )
            state.independent[appraiser] = appraisal
            inserts.append(
                {
                    "study_id": state.study_id,
                    "checklist_id": checklist.id,
                    "checklist_version": checklist.version,
                    "kind": INDEPENDENT,
                    "appraiser": appraiser,
                    "answers": dict(appraisal.answers),
                    "notes": dict(appraisal.notes),
                    "source": source,
                }
            )
        xq.insert_appraisals(conn, inserts)
    return out


def import_csv(project: Project, path: str | Path, *, replace: bool = False) -> int:
    """Record a CSV of appraisals (columns: study, appraiser, one per item id, optional
    ``note_<item>``): every row or none. Returns how many rows were read."""
    path = Path(path)
    checklist = checklist_in_use(project)
    reader = sheet_reader(read_sheet_text(path), file=path.name)  # within the sheet caps
    try:
        table = list(reader)
    except csv.Error as exc:
        raise InputError(f"cannot read {path}: {exc}") from None
    missing = [
        c for c in ("study", "appraiser", *checklist.item_ids) if table and c not in table[0]
    ]
    if not table or missing:
        raise InputError(
            f"{path}: " + ("no rows" if not table else f"missing column(s) {', '.join(missing)}"),
            hint="Columns: study, appraiser, " + ", ".join(checklist.item_ids),
        )
    rows, problems = [], []
    for line, row in enumerate(table, start=2):
        answers = {i: (row.get(i) or "").strip() for i in checklist.item_ids}
        empty = [i for i, a in answers.items() if not a]
        if empty:
            problems.append(f"{path.name}:{line}: no answer to {', '.join(empty)}")
            continue
        notes = {i: row[f"note_{i}"] for i in checklist.item_ids if row.get(f"note_{i}")}
        rows.append((row["study"].strip(), row["appraiser"].strip(), answers, notes))
        try:
            make_appraisal_pure(checklist, row["study"], row["appraiser"], answers)
        except InputError as exc:
            problems.append(f"{path.name}:{line}: {exc.message}")
    if problems:
        raise InputError(
            f"{path}: {len(problems)} row(s) cannot be imported; nothing was imported:\n  "
            + "\n  ".join(problems),
            hint="Answer every item with " + " / ".join(o.label for o in checklist.options),
        )
    import_rows(project, rows, replace=replace, source=path.name)
    return len(rows)


def _pair(project: Project, state: _Rows) -> tuple[Appraisal, Appraisal] | None:
    named = _settings(project).appraisers
    if named:
        if len(named) != 2:
            raise ProjectError("review.toml [appraisal] appraisers must name exactly two")
        found = [state.independent.get(n) for n in named]
        return (found[0], found[1]) if found[0] and found[1] else None
    if len(state.independent) > 2:
        raise StateError(
            f"{state.label} has {len(state.independent)} independent appraisals",
            hint="Name the two independent appraisers in review.toml: [appraisal] appraisers.",
        )
    if len(state.independent) < 2:
        return None
    first, second = sorted(state.independent)
    return state.independent[first], state.independent[second]


def agreement(project: Project) -> AppraisalAgreement:
    """Item-level agreement of the two appraisers over every study both appraised."""
    checklist = checklist_in_use(project)
    with project.db.connect() as conn:
        pairs = [p for s in _load(conn, project, checklist).values() if (p := _pair(project, s))]
    if not pairs:
        raise StateError("no study has two independent appraisals yet")
    if len({(a.appraiser, b.appraiser) for a, b in pairs}) > 1:
        raise StateError(
            "different pairs of appraisers appraised different studies",
            hint="Name the two appraisers in review.toml: [appraisal] appraisers.",
        )
    return appraisal_agreement(checklist, [a for a, _ in pairs], [b for _, b in pairs])


def record_consensus(
    project: Project,
    study: str | int,
    *,
    reviewer: str | None = None,
    resolutions: Mapping[str, str] | None = None,
    notes: Mapping[str, str] | None = None,
    replace: bool = False,
) -> Appraisal:
    """Record the consensus: the items both appraisers agree on plus ``resolutions``
    (item → agreed answer) for each disagreement; refused while any is unresolved.
    ``reviewer`` (default: the session's actor) records it."""
    by = acting(reviewer, doing="recording the consensus")
    check_reviewer(project, by)
    checklist = checklist_in_use(project)
    with project.db.transaction() as conn:
        found = studies_mod.load(conn, project).require_included(study, doing="appraised")
        state = _load(conn, project, checklist)[found.id]
        pair = _pair(project, state)
        if pair is None:
            raise StateError(
                f"{state.label}: two independent appraisals are needed before a consensus",
                hint="Record both with: reviewflow appraise add",
            )
        if state.consensus is not None and not replace:
            raise InputError(
                f"{state.label}: a consensus is already recorded",
                hint="Pass --replace to record a new one; the old one stays in history.",
            )
        agreed = consensus(checklist, *pair, resolutions, reviewer=by, notes=notes)
        picked = {i: agreed.answers[i] for i in (resolutions or {})}
        xq.insert_appraisals(
            conn,
            [
                {
                    "study_id": state.study_id,
                    "checklist_id": checklist.id,
                    "checklist_version": checklist.version,
                    "kind": CONSENSUS,
                    "appraiser": by,
                    "answers": dict(agreed.answers),
                    "notes": dict(notes or {}),
                    "resolutions": picked,
                }
            ],
        )
    return agreed


def record_agreed_consensus(project: Project, *, reviewer: str | None = None) -> list[int]:
    """Record the consensus of every study whose two appraisals agree on every item and
    that has none yet; the study ids recorded."""
    by = acting(reviewer, doing="recording the consensus")
    checklist = checklist_in_use(project)
    with project.db.connect() as conn:
        states = list(_load(conn, project, checklist).values())
    todo = [
        s.study_id
        for s in states
        if s.consensus is None and (p := _pair(project, s)) and not disagreements(*p)
    ]
    for sid in todo:
        record_consensus(project, sid, reviewer=by)
    return todo


@dataclass(frozen=True)
class StudyAppraisal:
    """A study's appraisal status, open disagreements, consensus answers and score."""

    study_id: int
    label: str
    status: str  # not appraised | one appraisal | disagreements | agreed | consensus
    appraisers: tuple[str, ...]
    open_items: tuple[str, ...]
    answers: dict[str, str]
    score: Score | None


def overview(project: Project) -> list[StudyAppraisal]:
    """Every study with its appraisal status and, once there is a consensus, its score."""
    checklist = checklist_in_use(project)
    scoring = scheme_in_use(project, checklist)
    with project.db.connect() as conn:
        states = list(_load(conn, project, checklist).values())
    out = []
    for s in states:
        pair = _pair(project, s)
        open_items = tuple(d.item for d in disagreements(*pair)) if pair else ()
        if s.consensus is not None:
            status = CONSENSUS
        elif pair:
            status = "disagreements" if open_items else "agreed"
        else:
            status = "one appraisal" if s.independent else "not appraised"
        answers = dict(s.consensus.answers) if s.consensus else {}
        scored = score(checklist, scoring, s.consensus) if s.consensus else None
        out.append(
            StudyAppraisal(
                s.study_id,
                s.label,
                status,
                tuple(sorted(s.independent)),
                open_items,
                answers,
                scored,
            )
        )
    return out


def appraisal_table(project: Project) -> list[dict[str, Any]]:
    """Per study with a consensus: study_id, study (label), one key per item (the answer's
    label, e.g. "Can't tell"), score, max and band (None under a no-score scheme)."""
    checklist = checklist_in_use(project)
    rows = []
    for s in overview(project):
        if s.status != CONSENSUS or s.score is None:
            continue
        items = {i: checklist.label(a) for i, a in s.answers.items()}
        rows.append(
            {
                "study_id": s.study_id,
                "study": s.label,
                **items,
                "score": s.score.points,
                "max": s.score.max,
                "band": s.score.band,
            }
        )
    return rows
