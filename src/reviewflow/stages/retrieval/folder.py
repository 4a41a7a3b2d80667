"""Attach a folder of full texts at once: match each file to its report, then attach all.

A team downloads fifty PDFs into a folder; attaching them one ``fulltext retrieve`` at a
time costs a project open per file. :func:`attach_files` matches every file to a report
and records all the matches in one transaction. A file is matched by, in order:

1. the report (= record) id at the start of its name: ``9.pdf``, ``9 - Hall 2020.pdf``;
2. a DOI in its name (``10.1136_bmj.m1234.pdf``, "/" written as "_");
3. a DOI in the PDF's metadata or first page text (read with pypdf);
4. the first author's surname and the year in its name (``Hall 2020 anxiety.pdf``), when
   exactly one report has them.

A leading number that looks like a year (``2020 Hall.pdf``) and names a report is not
trusted when the author and year point at another report: the file is ambiguous. Files
no rule matches, or that match two reports, or two files for one report, are listed and
left alone; files already attached (same sha256) are not recorded again. Matched files
are copied into the project's blob store (streamed), so the folder may be deleted after.
"""

from __future__ import annotations

import logging
import os
import re
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ...errors import InputError
from ...formats.limits import check_regular
from ...project import Project
from ...store import screening_queries as sq
from ...store.blobs import sha256_of
from ..screening.plan import check_reviewer
from ..who import acting
from . import FULL_TEXT_SUFFIXES, full_text_store, retrieved_event

MATCHED, ATTACHED, AMBIGUOUS, UNMATCHED = "matched", "already attached", "ambiguous", "unmatched"
_DOI = re.compile(r"10\.\d{4,9}[/_][^\s\"<>]+", re.IGNORECASE)
_LEADING_ID = re.compile(r"\s*(\d+)(?=$|[\s._,()\[\]-])")


@dataclass(frozen=True)
class FileMatch:
    """What became of one file: its report, how it was matched, or why it was not."""

    file: Path
    status: str  # matched | already attached | ambiguous | unmatched
    report_id: int | None = None
    how: str = ""
    detail: str = ""

    def to_dict(self) -> dict[str, Any]:
        return {
            "file": str(self.file),
            "status": self.status,
            "report_id": self.report_id,
            "how": self.how,
            "detail": self.detail,
        }


@dataclass
class AttachResult:
    matches: list[FileMatch] = field(default_factory=list)
    attached: int = 0
    dry_run: bool = False

    def to_dict(self) -> dict[str, Any]:
        return {
            "attached": self.attached,
            "dry_run": self.dry_run,
            "files": [m.to_dict() for m in self.matches],
        }


@dataclass(frozen=True)
class _Report:
    id: int
    title: str
    doi_key: str | None
    author_key: str | None
    year: int | None
    sha256: str | None  # of the file attached now, if any


def full_text_files(paths: Iterable[str | Path]) -> list[Path]:
    """The files given, with each folder replaced by its full-text files (not its
    subfolders), in name order."""
    out: list[Path] = []
    for raw in paths:
        path = Path(raw)
        if path.is_dir():
            out.extend(
                sorted(
                    (p for p in path.iterdir() if p.is_file() and _is_full_text(p)),
                    key=lambda p: p.name.lower(),
                )
            )
        elif os.path.lexists(path) or path.is_file():
            check_regular(path)  # a FIFO, device or symlink loop is named as what it is
            out.append(path)
        else:
            raise InputError(f"{path}: no such file or folder", hint="Give PDFs or a folder.")
    return out


def attach_files(
    project: Project,
    paths: Iterable[str | Path],
    *,
    reviewer: str | None = None,
    dry_run: bool = False,
) -> AttachResult:
    """Match ``paths`` (files or folders) to reports and attach every match at once."""
    reviewer = acting(reviewer, doing="attaching these full texts")
    check_reviewer(project, reviewer)
    files = full_text_files(paths)
    if not files:
        raise InputError(
            "no full-text files given (or the folder has none)",
            hint=f"Give PDFs or a folder holding them ({', '.join(sorted(FULL_TEXT_SUFFIXES))}).",
        )
    with project.db.connect() as conn:
        reports = _reports(conn)
    matches = match_files(files, reports)
    result = AttachResult(matches=matches, dry_run=dry_run)
    todo = [m for m in matches if m.status == MATCHED]
    if dry_run or not todo:
        return result
    # Copy (streamed) into the blob store first, outside the write transaction: fifty
    # PDFs take a while and other reviewers keep recording meanwhile.
    store = full_text_store(project)
    refs = [store.put_path(m.file) for m in todo]
    with project.db.transaction() as conn:
        # Checked again under the write lock: a teammate attaching the same folder at the
        # same time must not make every full text "retrieved" twice.
        now = sq.current_retrieval(conn)
        for m, ref in zip(todo, refs, strict=True):
            assert m.report_id is not None
            ev = now.get(m.report_id, {})
            if ev.get("status") == "retrieved" and ev.get("file_sha256") == ref.sha256:
                continue
            sq.insert_retrieval_event(
                conn, values=retrieved_event(m.report_id, ref, reviewer, m.file)
            )
            result.attached += 1
    return result


def match_files(files: Sequence[Path], reports: Sequence[_Report]) -> list[FileMatch]:
    """One :class:`FileMatch` per file; two files for one report make both ambiguous."""
    index = _Index(reports)
    first = [_match_one(f, index) for f in files]
    claims: dict[int, list[FileMatch]] = {}
    for m in first:
        if m.status in (MATCHED, ATTACHED) and m.report_id is not None:
            claims.setdefault(m.report_id, []).append(m)
    out = []
    for m in first:
        rivals = claims.get(m.report_id or -1, [])
        if len(rivals) > 1:
            names = ", ".join(r.file.name for r in rivals)
            m = FileMatch(
                m.file,
                AMBIGUOUS,
                m.report_id,
                m.how,
                f"{len(rivals)} files for one report: {names}",
            )
        out.append(m)
    return out


class _Index:
    """Reports by id, DOI and (first author, year)."""

    def __init__(self, reports: Sequence[_Report]) -> None:
        self.by_id = {r.id: r for r in reports}
        self.by_doi: dict[str, list[_Report]] = {}
        self.by_author_year: dict[tuple[str, int], list[_Report]] = {}
        for r in reports:
            if r.doi_key:
                self.by_doi.setdefault(r.doi_key, []).append(r)
            if r.author_key and r.year:
                self.by_author_year.setdefault((r.author_key, r.year), []).append(r)
        # DOIs by registrant ("10.1136/"), longest first: a DOI found in running text may
        # run on into the next word, so a known DOI that starts the found one matches.
        self.prefixes: dict[str, list[str]] = {}
        for key in sorted(self.by_doi, key=len, reverse=True):
            self.prefixes.setdefault(key.split("/", 1)[0], []).append(key)

    def doi(self, found: str) -> list[_Report]:
        key = _doi_key(found)
        for known in self.prefixes.get(key.split("/", 1)[0], []):
            if key == known or key.startswith(known):
                return self.by_doi[known]
        return []


def _match_one(path: Path, index: _Index) -> FileMatch:
    if not _is_full_text(path):
        return FileMatch(path, UNMATCHED, detail="not a full-text file")
    stem = path.stem
    author_year = _author_year(stem, index)
    lead = None if _DOI.match(stem.strip()) else _LEADING_ID.match(stem)
    notes = []
    if lead:
        n = int(lead.group(1))
        if n in index.by_id:
            other = {r.id for r in author_year} - {n}
            if 1900 <= n <= 2100 and len(author_year) == 1 and other:
                return FileMatch(
                    path,
                    AMBIGUOUS,
                    detail=f"{n} is report {n}, but the name's author and year are "
                    f"report {other.pop()}'s; rename the file to the report id",
                )
            return _found(path, index.by_id[n], "id in name")
        notes.append(f"no report {n}")
    for found in _DOI.findall(stem):
        hits = index.doi(found)
        if hits:
            return _one_of(path, hits, "DOI in name")
    if path.suffix.lower() == ".pdf":
        hits_by_id: dict[int, _Report] = {}
        for found in _pdf_dois(path):
            hits_by_id.update((r.id, r) for r in index.doi(found))
        if hits_by_id:
            return _one_of(path, list(hits_by_id.values()), "DOI in PDF")
    if author_year:
        return _one_of(path, author_year, "author + year")
    notes.append("no id, DOI, or author + year found")
    return FileMatch(path, UNMATCHED, detail="; ".join(notes))


def _one_of(path: Path, hits: Sequence[_Report], how: str) -> FileMatch:
    if len(hits) == 1:
        return _found(path, hits[0], how)
    ids = ", ".join(str(r.id) for r in sorted(hits, key=lambda r: r.id))
    return FileMatch(path, AMBIGUOUS, how=how, detail=f"fits reports {ids}")


def _found(path: Path, report: _Report, how: str) -> FileMatch:
    if report.sha256 is not None and report.sha256 == _sha256(path):
        return FileMatch(path, ATTACHED, report.id, how, report.title)
    return FileMatch(path, MATCHED, report.id, how, report.title)


def _author_year(stem: str, index: _Index) -> list[_Report]:
    """Reports whose first author's surname and year both appear in the file name."""
    folded = _fold(stem)
    words = re.findall(r"[a-z]+", folded)
    years = {int(y) for y in re.findall(r"(?<!\d)((?:19|20)\d\d)(?!\d)", folded)}
    keys = {"".join(words[i : i + n]) for n in (1, 2, 3) for i in range(len(words) - n + 1)}
    hits: dict[int, _Report] = {}
    for key in keys:
        for year in years:
            hits.update((r.id, r) for r in index.by_author_year.get((key, year), []))
    return list(hits.values())


def _reports(conn: Any) -> list[_Report]:
    retrieval = sq.current_retrieval(conn)
    out = []
    for row in sq.list_reports(conn):
        ev = retrieval.get(row["id"], {})
        authors = row["authors"] or []
        out.append(
            _Report(
                id=row["id"],
                title=row["title"] or row["study_label"] or "",
                doi_key=_doi_key(row["doi"]) if row["doi"] else None,
                author_key=_surname_key(authors[0]) if authors else None,
                year=row["year"],
                sha256=ev.get("file_sha256") if ev.get("status") == "retrieved" else None,
            )
        )
    return out


def _pdf_dois(path: Path) -> list[str]:
    """DOIs in a PDF's metadata and first page text; none if pypdf cannot read it."""
    from pypdf import PdfReader

    logging.getLogger("pypdf").setLevel(logging.ERROR)
    try:
        reader = PdfReader(path)
        texts = [str(v) for v in (reader.metadata or {}).values()]
        if reader.pages:
            texts.append(reader.pages[0].extract_text() or "")
    except Exception:  # a damaged or encrypted PDF is simply not matched by its text
        return []
    return [d for text in texts for d in _DOI.findall(text)]


def _doi_key(doi: str) -> str:
    """A DOI for comparison: lower case, no resolver prefix, "_" read as "/" (file names
    cannot hold "/"), without trailing punctuation."""
    key = doi.strip().lower()
    key = re.sub(r"^(https?://(dx\.)?doi\.org/|doi:\s*)", "", key)
    return key.replace("_", "/").rstrip(".,;:)]}'\"")


def _surname_key(author: str) -> str:
    """ "Van der Berg, Anna" -> "vanderberg"; "Hall J" -> "hall"; "Jane Hall" -> "hall"."""
    if "," in author:
        surname = author.split(",", 1)[0]
    else:
        parts = author.split()
        initials = len(parts) > 1 and parts[-1].isupper() and len(parts[-1]) <= 3
        surname = parts[0] if initials else (parts[-1] if parts else "")
    return "".join(re.findall(r"[a-z]+", _fold(surname)))


def _fold(text: str) -> str:
    """Lower case without accents, so "Müller" in a name matches "Muller" in a file."""
    decomposed = unicodedata.normalize("NFKD", text.lower())
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def _is_full_text(path: Path) -> bool:
    return path.suffix.lower() in FULL_TEXT_SUFFIXES and not path.name.startswith(".")


def _sha256(path: Path) -> str:
    return sha256_of(path)  # streamed: a folder of large PDFs is not read into memory
