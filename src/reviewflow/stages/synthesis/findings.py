"""Findings on the store: import a study's findings, list segments, correct their flags.

Re-importing a changed document keeps every segment whose key (text hash) is unchanged,
with its codes, and adds only the new ones; the same file twice is refused.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from ...errors import DuplicateImportError, InputError, NotFoundError
from ...project import Project
from ...store import screening_queries as screening_sq
from ...store import synthesis_queries as sq
from .. import studies
from ..retrieval import full_text_path, read_full_text
from . import segments as seg
from . import sources


@dataclass
class FindingsImport:
    source_id: int
    study_id: int
    file: str
    format: str
    sections: list[str]
    segments: int
    added: int
    kept: int
    quotes: int
    in_scope: int
    #: The report whose attached full text was read, when no file was named.
    attached_report: int | None = None

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class AttachedText:
    """A full text attached to one of a study's reports (``reviewflow fulltext retrieve``),
    kept in the project's blob store: ``event`` is its retrieval event, ``path`` a local
    copy when there is one (None: missing, or a store without local files)."""

    report_id: int
    file_name: str
    path: Path | None
    kind: str | None = None
    event: Mapping[str, Any] = field(default_factory=dict, compare=False, repr=False)

    def read(self, project: Project) -> bytes:
        """The full text's bytes, from the blob store (NotFoundError if it is gone)."""
        return read_full_text(project, self.event)


def attached_full_texts(project: Project, study: str | int) -> list[AttachedText]:
    """The full texts retrieved for ``study``'s reports, in report order."""
    sid = studies.get(project, study, doing="coded").id
    with project.db.connect() as conn:
        reports = [r for r in screening_sq.list_reports(conn) if r["study_id"] == sid]
        retrieval = screening_sq.current_retrieval(conn)
    out = []
    for report in reports:
        event = retrieval.get(report["id"], {})
        if event.get("status") == "retrieved" and event.get("file_sha256"):
            name = event.get("file_name") or Path(event.get("file_path") or "").name
            out.append(
                AttachedText(
                    report["id"],
                    name or f"report {report['id']}",
                    full_text_path(project, event),
                    report.get("kind"),
                    event,
                )
            )
    return out


def attached_full_text(project: Project, study: str | int) -> AttachedText:
    """The one full text to read findings from when the user names no file.

    A study with several attached reports (protocol, main paper, follow-up) uses the one
    labelled ``main``; otherwise the user must say which file holds the findings.
    """
    texts = attached_full_texts(project, study)
    if not texts:
        raise InputError(
            f"study {study!r} has no full text attached",
            hint=f'Name the findings file: reviewflow code import-findings "{study}" FILE '
            "(or attach it first: reviewflow fulltext retrieve REPORT --file FILE --reviewer XX).",
        )
    if len(texts) > 1:
        main = [t for t in texts if (t.kind or "").strip().lower() == "main"]
        if len(main) != 1:
            listed = ", ".join(f"report {t.report_id}: {t.file_name}" for t in texts)
            raise InputError(
                f"study {study!r} has {len(texts)} full texts attached ({listed})",
                hint=f"Mark the one with the findings: reviewflow fulltext kind "
                f"{texts[0].report_id} main  (or name a file: reviewflow code import-findings "
                f'"{study}" FILE).',
            )
        texts = main
    return texts[0]


def import_findings(
    project: Project,
    study: str | int,
    path: str | Path | None = None,
    *,
    sections: Sequence[str] | None = sources.DEFAULT_SECTIONS,
    fmt: str | None = None,
    unit: seg.Unit = "sentence",
    code_quotes: bool = False,
) -> FindingsImport:
    """Read a findings document of ``study``, segment it and store the segments.

    Without ``path`` the study's attached full text is read (:func:`attached_full_text`),
    so a file already given to ``reviewflow fulltext retrieve`` is not asked for again.
    """
    attached = attached_full_text(project, study) if path is None else None
    if attached is not None:
        doc = sources.loads(
            attached.read(project), file_name=attached.file_name, sections=sections, fmt=fmt
        )
    else:
        assert path is not None
        doc = sources.load(path, sections=sections, fmt=fmt)
    result = store_blocks(
        project,
        study,
        doc.blocks,
        file_name=attached.file_name if attached else doc.file_name,
        fmt=doc.format,
        sha256=doc.sha256,
        sections=doc.sections,
        unit=unit,
        code_quotes=code_quotes,
    )
    result.attached_report = attached.report_id if attached else None
    return result


def store_blocks(
    project: Project,
    study: str | int,
    blocks: Sequence[seg.Block],
    *,
    file_name: str,
    fmt: str = "text",
    sha256: str | None = None,
    sections: Sequence[str] = (),
    unit: seg.Unit = "sentence",
    code_quotes: bool = False,
) -> FindingsImport:
    """Segment ``blocks`` and store them for ``study`` (the import core; also the seed's)."""
    import hashlib

    sid = studies.get(project, study, doing="coded").id
    text = seg.joined_text(blocks)
    sha256 = sha256 or hashlib.sha256(text.encode("utf-8")).hexdigest()
    parts = seg.segment(blocks, unit=unit, code_quotes=code_quotes)
    if not parts:
        raise InputError(f"{file_name}: the findings sections hold no text to segment")
    with project.db.transaction() as conn:
        if sq.find_source(conn, study_id=sid, sha256=sha256):
            raise DuplicateImportError(
                f"{file_name} was already imported for study {sid}",
                hint="List its segments with: reviewflow code segments --study " + str(sid),
            )
        known = sq.segment_keys(conn, study_id=sid)
        source_id = sq.insert_source(
            conn,
            values={
                "study_id": sid,
                "file_name": file_name,
                "file_sha256": sha256,
                "format": fmt,
                "sections": list(sections),
                "text": text,
            },
        )
        position = sq.max_position(conn, study_id=sid) + 1
        rows = []
        for part in parts:
            if part.key in known:
                continue
            rows.append(
                {
                    **part.to_dict(),
                    "position": position,
                    "source_id": source_id,
                    "study_id": sid,
                }
            )
            position += 1
        sq.insert_segments(conn, rows=rows)
    return FindingsImport(
        source_id=source_id,
        study_id=sid,
        file=file_name,
        format=fmt,
        sections=list(sections),
        segments=len(parts),
        added=len(rows),
        kept=len(parts) - len(rows),
        quotes=sum(p.kind == "quote" for p in parts),
        in_scope=sum(p.in_scope for p in parts),
    )


def list_segments(
    project: Project, *, study: str | int | None = None, in_scope_only: bool = False
) -> list[dict[str, Any]]:
    sid = studies.get(project, study).id if study is not None else None
    with project.db.connect() as conn:
        rows = sq.list_segments(conn, study_id=sid)
        names = studies.load(conn, project).labels()
    return [r for r in studies.with_labels(rows, names) if r["in_scope"] or not in_scope_only]


def get_segment(project: Project, segment_id: int) -> dict[str, Any]:
    with project.db.connect() as conn:
        rows = studies.with_labels(
            sq.list_segments(conn, segment_ids=[segment_id]), studies.load(conn, project).labels()
        )
    if not rows:
        raise NotFoundError(
            f"no segment {segment_id}", hint="List segments with: reviewflow code segments"
        )
    return rows[0]


def correct_segment(
    project: Project,
    segment_id: int,
    *,
    kind: str | None = None,
    in_scope: bool | None = None,
    reviewer: str | None = None,
) -> dict[str, Any]:
    """Record a reviewer's correction of the detected kind or scope (an event, not an edit)."""
    if kind is not None and kind not in ("author", "quote"):
        raise InputError(f"a segment is 'author' or 'quote', not {kind!r}")
    get_segment(project, segment_id)
    with project.db.transaction() as conn:
        if kind is not None:
            sq.insert_flag_event(
                conn, segment_id=segment_id, field="kind", value=kind, reviewer=reviewer
            )
        if in_scope is not None:
            value = "true" if in_scope else "false"
            sq.insert_flag_event(
                conn, segment_id=segment_id, field="in_scope", value=value, reviewer=reviewer
            )
    return get_segment(project, segment_id)
