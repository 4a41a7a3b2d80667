"""What each kind of job does: the same stage functions the CLI calls, each atomic on its
own, so a job cancelled or killed half-way leaves the project as it was.

A kind checks its parameters when the job is submitted (a bad file is refused at once,
not minutes later in a worker) and runs with the job's progress callback. Running again
after an interruption gives the result an uninterrupted run gives: an import whose
records were committed before the worker died is found by its file's sha256 and
reported, not refused as a duplicate; a dedup run takes only the records no run has
seen; features and reports are rebuilt the same way.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from ..errors import InputError
from ..progress import Progress
from ..project import Project
from ..store import queries
from ..store.job_queries import aware

#: (project, params, progress, attempt) -> (message, result)
Runner = Callable[[Project, dict[str, Any], Progress, dict[str, Any]], tuple[str, dict[str, Any]]]


@dataclass(frozen=True)
class Kind:
    name: str
    title: str
    check: Callable[[Project, dict[str, Any]], dict[str, Any]]
    run: Runner


def _check_import(project: Project, params: dict[str, Any]) -> dict[str, Any]:
    path = Path(str(params.get("path", "")))
    if not path.is_file():
        raise InputError(
            f"there is no file {path} to import",
            hint="Give the path of an export file the worker can read.",
        )
    digest = hashlib.sha256(path.read_bytes()).hexdigest()
    return {**params, "path": str(path.resolve()), "sha256": digest}


def _run_import(
    project: Project, params: dict[str, Any], progress: Progress, job: dict[str, Any]
) -> tuple[str, dict[str, Any]]:
    from ..stages import importing

    if job["attempts"] > 1:  # an earlier attempt may have committed before it was killed
        done = _imported_since(project, params["sha256"], job["created_at"])
        if done is not None:
            return _import_message(done["file_name"], done["records_read"]), {
                "import_id": done["id"], "records": done["records_read"], "resumed": True,
            }  # fmt: skip
    result = importing.run(
        project,
        params["path"],
        search_id=params.get("search_id"),
        format=params.get("format"),
        force=bool(params.get("force")),
        progress=progress,
    )
    message = _import_message(result.file, result.records)
    if result.warnings:
        message += f"; {len(result.warnings)} warning(s) about the file (reviewflow imports list)"
    return message, result.to_dict()


def _imported_since(project: Project, sha256: str, since: datetime) -> dict[str, Any] | None:
    with project.db.connect() as conn:
        found = queries.find_imports_by_sha256(conn, sha256)
    after = [r for r in found if r["imported_at"] and aware(r["imported_at"]) >= aware(since)]
    return after[-1] if after else None


def _import_message(file: str, records: int) -> str:
    return (
        f"imported {records} records from {file}; next: find duplicates "
        "(reviewflow dedup run, or a dedup job)"
    )


def _check_none(project: Project, params: dict[str, Any]) -> dict[str, Any]:
    return dict(params)


def _run_dedup(
    project: Project, params: dict[str, Any], progress: Progress, job: dict[str, Any]
) -> tuple[str, dict[str, Any]]:
    from ..stages.dedup import project as dedup_project

    result = dedup_project.run(project, progress=progress)
    message = (
        f"{result.new_records} new records compared with {result.records_considered}: "
        f"{result.links_added} duplicates linked, {result.queued} pairs for a person to "
        "judge (reviewflow dedup review, or the Duplicates page)"
    )
    return message, result.to_dict()


def _check_features(project: Project, params: dict[str, Any]) -> dict[str, Any]:
    stage = str(params.get("stage") or "ta")
    plan = getattr(project.settings.screening, stage, None) if project.settings.screening else None
    if plan is None or not plan.reviewers:
        raise InputError(
            f"the {stage} plan names no reviewers, so there is no ranker to build",
            hint="Set the plan first: reviewflow plan set --stage ta --reviewers ...",
        )
    return {"stage": stage}


def _run_features(
    project: Project, params: dict[str, Any], progress: Progress, job: dict[str, Any]
) -> tuple[str, dict[str, Any]]:
    from ..stages import screening

    stage = params["stage"]
    plan = getattr(project.settings.screening, stage)
    team = [*plan.reviewers, *getattr(plan, "second_reviewers", [])]
    team = list(dict.fromkeys(team))
    for n, reviewer in enumerate(team):
        progress("features", n, len(team))
        screening.warm(project, stage=stage, reviewer=reviewer)
    progress("features", len(team), len(team))
    return f"the ranking of {len(team)} reviewers is ready", {"reviewers": team}


def _check_report(project: Project, params: dict[str, Any]) -> dict[str, Any]:
    from ..reports.report import FORMATS

    formats = list(params.get("formats") or FORMATS)
    unknown = [f for f in formats if f not in FORMATS]
    if unknown:
        raise InputError(
            f"unknown report format(s) {', '.join(unknown)}",
            hint=f"Choose from: {', '.join(FORMATS)}",
        )
    return {"formats": formats, "out_dir": params.get("out_dir")}


def _run_report(
    project: Project, params: dict[str, Any], progress: Progress, job: dict[str, Any]
) -> tuple[str, dict[str, Any]]:
    from ..reports.report import build_report

    def bar(_step: str, done: int, total: int) -> None:
        progress("building", done, total)

    with project.session(write=False, actor=job.get("created_by")):
        paths = build_report(
            project, formats=params["formats"], out_dir=params.get("out_dir"), progress=bar
        )
    files = {k: str(v) for k, v in paths.items()}
    return f"wrote {len(files)} files (report: {files.get('html', '-')})", {"files": files}


KINDS: dict[str, Kind] = {
    k.name: k
    for k in (
        Kind("import", "Import an export file", _check_import, _run_import),
        Kind("dedup", "Find duplicates", _check_none, _run_dedup),
        Kind("features", "Prepare the ranking", _check_features, _run_features),
        Kind("report", "Write the report", _check_report, _run_report),
    )
}
