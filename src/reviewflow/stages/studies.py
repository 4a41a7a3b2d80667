"""Studies: what a review includes, how each is named, and which ones later stages see.

One module owns studies so that extraction, appraisal, synthesis and the report all name
and choose them the same way:

* **Label.** A label the team set (``studies.label``) always wins. Otherwise the label is
  derived from the record of the study's main report (kind "main", else its first report
  with a record) in the usual citation style: "Greenwood 2013", "Milne &
  Hatzidimitriadou 2019", "Greenwood et al. 2013", "n.d." without a year, a short title
  without authors. Derived labels are computed, not stored, so they follow regrouping;
  two studies that would read the same get "2013a"/"2013b" (in study id order).
* **Included.** With full-text screening (the project has reports and a full-text plan),
  a study is included when at least one of its reports is included at full text; every
  other study says why not (excluded and the reasons, not retrieved, still pending, no
  reports). Without full-text screening (studies recorded directly, e.g. for synthesis
  only) every study counts.

The label rules are pure functions (:func:`citation_label`, :func:`disambiguate`); the
rest reads the store once per call (:func:`load`) and hands back a :class:`Studies`
value to query, so a command that resolves many studies derives the screening state once.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass
from typing import Any

from sqlalchemy import Connection

from ..errors import InputError, NotFoundError, ProjectError, StateError
from ..project import Project
from ..store import screening_queries as sq
from .screening.state import CONFLICT, EXCLUDE, INCLUDE, PENDING, load_state

#: Study statuses.
INCLUDED = "included"
EXCLUDED = "excluded"
NOT_RETRIEVED = "not retrieved"
AWAITING = "pending"
NO_REPORTS = "no reports"

LIST_HINT = "List the studies and why each is or is not included with: reviewflow studies list"

# -- labels (pure) ---------------------------------------------------------------------

#: Words that mark an author as an organisation ("World Health Organization").
_CORPORATE = re.compile(
    r"\b(organi[sz]ation|institut\w*|council|association|society|department|ministry|"
    r"group|committee|collaborat\w*|foundation|agency|trust|service[s]?|cent(re|er)|"
    r"university|college|office|board|network|commission|alliance|federation|"
    r"consortium|investigators|nhs|government|authority|national)\b",
    re.IGNORECASE,
)
_PARTICLES = {"van", "von", "de", "der", "den", "del", "della", "di", "da", "du", "la", "le",
              "ten", "ter", "dos", "das", "st", "st."}  # fmt: skip
_INITIALS = re.compile(r"^(?:[A-Z]\.?-?){1,4}$")


def author_surname(author: str) -> str:
    """The surname of one author as a citation shows it.

    "Greenwood, Nan" and "Greenwood N" (MEDLINE) → "Greenwood"; "Nan Greenwood" →
    "Greenwood"; "Anna van der Berg" → "van der Berg"; an organisation ("World Health
    Organization") is kept whole.
    """
    name = " ".join(str(author).split()).strip(" .;")
    if not name:
        return ""
    if _CORPORATE.search(name) and ("," not in name or len(name.split()) > 3):
        return name  # "World Health Organization", "Department of Health, UK"
    if "," in name:
        return name.split(",", 1)[0].strip()
    words = name.split(" ")
    if len(words) == 1:
        return words[0]
    if _INITIALS.match(words[-1]) and not _INITIALS.match(words[0]):
        return " ".join(words[:-1])  # "Greenwood N", "Pedersen PU"
    start = len(words) - 1
    while start > 1 and words[start - 1].lower() in _PARTICLES:
        start -= 1
    return " ".join(words[start:])


def short_title(title: str | None, *, words: int = 4) -> str:
    """The first few words of a title, for a study whose record names no author."""
    parts = " ".join((title or "").split()).split(" ")
    parts = [p for p in parts if p]
    if not parts:
        return "Untitled"
    head = " ".join(parts[:words]).rstrip(".,:;")
    return head + ("…" if len(parts) > words else "")


def citation_label(authors: Sequence[str], year: int | str | None, title: str | None) -> str:
    """A label in citation style: "Greenwood 2013", "Milne & Hatzidimitriadou 2019",
    "Greenwood et al. 2013"; "n.d." without a year; the title's first words without authors."""
    names = [s for s in (author_surname(a) for a in authors or ()) if s]
    when = str(year) if year not in (None, "") else "n.d."
    if not names:
        who = short_title(title)
    elif len(names) == 1:
        who = names[0]
    elif len(names) == 2:
        who = f"{names[0]} & {names[1]}"
    else:
        who = f"{names[0]} et al."
    return f"{who} {when}"


def disambiguate(derived: Mapping[int, str], taken: Iterable[str] = ()) -> dict[int, str]:
    """Give derived labels that would read the same (or equal a label the team set, in
    ``taken``) the suffixes a, b, c... in study id order: "Greenwood 2013a", "...b"."""
    fixed = {t.casefold() for t in taken}
    groups: dict[str, list[int]] = {}
    for sid in sorted(derived):
        groups.setdefault(derived[sid].casefold(), []).append(sid)
    out = {}
    for key, ids in groups.items():
        if len(ids) == 1 and key not in fixed:
            out[ids[0]] = derived[ids[0]]
            continue
        letters = (chr(c) for c in range(ord("a"), ord("z") + 1))
        for sid in ids:
            label = derived[sid] + next(letters)
            while label.casefold() in fixed:
                label = derived[sid] + next(letters)
            out[sid] = label
    return out


# -- the studies of a project ------------------------------------------------------------


@dataclass(frozen=True)
class Study:
    """A study: its label (set by the team, else derived), reports and inclusion."""

    id: int
    label: str
    label_set: bool  # True when the team named the study (``rename``)
    derived_label: str | None  # the label its records give (None: no report with a record)
    report_ids: tuple[int, ...]
    status: str  # included | excluded | not retrieved | pending | no reports
    why: str | None  # exclusion reasons, why not retrieved, what is pending

    @property
    def included(self) -> bool:
        return self.status == INCLUDED

    @property
    def name(self) -> str:
        """How messages refer to a study: "study 7 (Hall & Sikes 2020)"."""
        return f"study {self.id} ({self.label})"

    def to_dict(self) -> dict[str, Any]:
        return {**asdict(self), "report_ids": list(self.report_ids), "included": self.included}


@dataclass(frozen=True)
class Studies:
    """Every study of a project, read once; :func:`load` makes one."""

    all: tuple[Study, ...]
    screened: bool  # True when full-text screening decides what is included

    @property
    def included(self) -> list[Study]:
        return [s for s in self.all if s.included]

    def labels(self) -> dict[int, str]:
        """Study id → label, for every study (displays of past work keep their names)."""
        return {s.id: s.label for s in self.all}

    def find(self, ref: str | int) -> Study:
        """A study by id or label (the team's or the derived one, case-insensitive)."""
        text = str(ref).strip()
        if isinstance(ref, int) or text.isdigit():
            found = [s for s in self.all if s.id == int(text)]
        else:
            key = text.casefold()
            found = [s for s in self.all if s.label.casefold() == key]
            if not found:
                found = [s for s in self.all if (s.derived_label or "").casefold() == key]
        if len(found) == 1:
            return found[0]
        if found:
            raise InputError(
                f"{len(found)} studies are called {text!r}: " + ", ".join(str(s.id) for s in found),
                hint="Refer to the study by its id, or rename one with: "
                'reviewflow studies rename ID "Label"',
            )
        raise NotFoundError(f"no study {text!r} in this project", hint=LIST_HINT)

    def require_included(self, ref: str | int, *, doing: str = "used") -> Study:
        """The study ``ref`` if it is included, else an error saying why it is not and
        what to do; ``doing`` completes "only included studies are ..." (e.g. "extracted")."""
        study = self.find(ref)
        if study.included:
            return study
        only = f"only included studies are {doing}"
        why = f" ({study.why})" if study.why else ""
        if study.status == EXCLUDED:
            raise StateError(
                f"{study.name} was excluded{' at full text' if self.screened else ''}{why}; {only}",
                hint=LIST_HINT,
            )
        if study.status == NOT_RETRIEVED:
            raise StateError(
                f"{study.name} was not retrieved{why}; {only}",
                hint="If the full text turns up, attach it: reviewflow fulltext retrieve "
                f"{study.report_ids[0]} --file FILE --reviewer XX, then screen it at full text",
            )
        if study.status == AWAITING:
            raise StateError(
                f"{study.name} is not included yet{why}; {only}",
                hint="Finish its full-text screening: reviewflow screen --stage ft "
                "(conflicts: reviewflow conflicts --stage ft)",
            )
        raise StateError(
            f"{study.name} has no reports (they were grouped into other studies); {only}",
            hint=LIST_HINT,
        )


def load(conn: Connection, project: Project) -> Studies:
    """Every study with its label and inclusion, derived from the store."""
    rows = sq.list_studies(conn)
    reports = sq.list_reports(conn)
    by_study: dict[int, list[dict[str, Any]]] = {int(s["id"]): [] for s in rows}
    for r in reports:
        by_study.setdefault(int(r["study_id"]), []).append(r)
    labels = _labels(rows, by_study)
    verdicts = _verdicts(conn, project, by_study) if reports else None
    out = []
    for s in rows:
        sid = int(s["id"])
        status, why = (INCLUDED, None) if verdicts is None else verdicts[sid]
        out.append(
            Study(
                id=sid,
                label=labels[sid],
                label_set=bool(s["label"]),
                derived_label=_derived_of(by_study[sid]),
                report_ids=tuple(int(r["id"]) for r in by_study[sid]),
                status=status,
                why=why,
            )
        )
    return Studies(tuple(out), screened=verdicts is not None)


def _main_record(reports: Sequence[Mapping[str, Any]]) -> Mapping[str, Any] | None:
    """The report whose record names the study: kind "main", else the first with a record."""
    with_record = [r for r in reports if r["record_id"] is not None]
    main = [r for r in with_record if (r["kind"] or "").strip().lower() == "main"]
    chosen = main or with_record
    return chosen[0] if chosen else None


def _derived_of(reports: Sequence[Mapping[str, Any]]) -> str | None:
    main = _main_record(reports)
    if main is None:
        return None
    return citation_label(main["authors"] or [], main["year"], main["title"])


def _labels(
    rows: Sequence[Mapping[str, Any]], by_study: Mapping[int, Sequence[Mapping[str, Any]]]
) -> dict[int, str]:
    """The label of every study: the team's, else derived and disambiguated, else
    "study N" (a study with neither a label nor a record to name it by)."""
    set_by_team = {int(s["id"]): str(s["label"]) for s in rows if s["label"]}
    derived = {
        int(s["id"]): d
        for s in rows
        if int(s["id"]) not in set_by_team and (d := _derived_of(by_study[int(s["id"])]))
    }
    out = {int(s["id"]): f"study {s['id']}" for s in rows}
    out.update(disambiguate(derived, set_by_team.values()))
    out.update(set_by_team)
    return out


def _verdicts(
    conn: Connection, project: Project, by_study: Mapping[int, Sequence[Mapping[str, Any]]]
) -> dict[int, tuple[str, str | None]] | None:
    """study id → (status, why) from the screening state; None without full-text screening."""
    screening = project.settings.screening
    if screening is None or not screening.ft.reviewers:
        return None
    try:
        ta = load_state(conn, project, "ta")
        ft = load_state(conn, project, "ft", ta=ta)
    except ProjectError:
        return None
    passed = {i for i, r in ta.results.items() if r == INCLUDE}
    retrieval = sq.current_retrieval(conn)
    out = {}
    for sid, reports in by_study.items():
        fates = []
        for r in reports:
            if r["id"] in ft.results:
                result = ft.results[r["id"]]
                reason = ft.reason_of(r["id"]) if result == EXCLUDE else None
                fates.append((result, reason))
            elif r["record_id"] is not None and r["record_id"] not in passed:
                fates.append((EXCLUDE, "no longer included at title/abstract"))
            else:
                ev = retrieval.get(r["id"], {})
                if ev.get("status") == "not_retrieved":
                    fates.append(("not_retrieved", ev.get("reason")))
                else:
                    fates.append(("sought", None))
        out[sid] = _verdict(fates)
    return out


def _verdict(fates: Sequence[tuple[str, str | None]]) -> tuple[str, str | None]:
    """A study's status from its reports' fates (include wins; then what is still open)."""
    kinds = [k for k, _ in fates]
    if INCLUDE in kinds:
        return INCLUDED, None
    if not fates:
        return NO_REPORTS, None
    if "sought" in kinds:
        return AWAITING, "its full text is not retrieved yet"
    if CONFLICT in kinds:
        return AWAITING, "its full-text votes are in conflict, waiting for the arbiter"
    if PENDING in kinds:
        return AWAITING, "full-text screening of it is not finished"
    if EXCLUDE in kinds:
        reasons = sorted({r or "no reason given" for k, r in fates if k == EXCLUDE})
        return EXCLUDED, "; ".join(reasons)
    reasons = sorted({r for k, r in fates if k == "not_retrieved" and r})
    return NOT_RETRIEVED, "; ".join(reasons) or None


# -- project functions -------------------------------------------------------------------


def list_studies(project: Project) -> list[Study]:
    """Every study of the project (included or not), in id order."""
    with project.db.connect() as conn:
        return list(load(conn, project).all)


def included(project: Project) -> list[Study]:
    """The studies later stages work on (extraction, appraisal, synthesis, report)."""
    with project.db.connect() as conn:
        return load(conn, project).included


def labels(project: Project) -> dict[int, str]:
    """Study id → label, for every study."""
    with project.db.connect() as conn:
        return load(conn, project).labels()


def get(project: Project, ref: str | int, *, doing: str | None = None) -> Study:
    """A study by id or label. With ``doing`` (e.g. "coded"), only an included one: any
    other is an error saying why it is not included and what to do."""
    with project.db.connect() as conn:
        known = load(conn, project)
    return known.find(ref) if doing is None else known.require_included(ref, doing=doing)


def rename(project: Project, ref: str | int, label: str | None) -> Study:
    """Name a study (e.g. "Greenwood et al. 2013a"); ``None`` goes back to the label its
    records give. A name another study already shows, or a bare number, is refused."""
    with project.db.transaction() as conn:
        known = load(conn, project)
        study = known.find(ref)
        text = " ".join((label or "").split()) or None
        if text is not None:
            _check_new_label(known, text, study_id=study.id)
        sq.set_study_label(conn, study_id=study.id, label=text)
        return load(conn, project).find(study.id)


def add_study(project: Project, label: str) -> int:
    """A study recorded directly (synthesis without full-text screening in reviewflow).

    Refused once full-text screening has made the studies (an added study would be
    unrelated to every record): name one of those with :func:`rename` instead. Adding a
    label that a study already has returns that study.
    """
    text = " ".join(label.split())
    if not text:
        raise InputError("give the study a label", hint='e.g. --add "Moffatt et al. 2017"')
    with project.db.transaction() as conn:
        known = load(conn, project)
        same = [s for s in known.all if s.label.casefold() == text.casefold()]
        if same:
            return same[0].id
        if sq.report_ids(conn):
            raise StateError(
                f"this project's studies come from full-text screening; adding {text!r} "
                "would make a study unrelated to any record",
                hint='To name a study, rename it: reviewflow studies rename ID "'
                + text
                + '" (list them with: reviewflow studies list)',
            )
        if text.isdigit():
            raise InputError(f"a study label cannot be a bare number ({text!r})")
        return sq.insert_study(conn, label=text)


def add_with_report(project: Project, label: str, *, kind: str | None = "main") -> int:
    """A study named ``label`` with one report that no imported record stands for (found
    by other methods, or screened at title/abstract outside reviewflow); returns the
    report id, which then goes through retrieval and full-text screening like any other."""
    text = " ".join(label.split())
    if not text:
        raise InputError("give the study a label", hint='e.g. "Moffatt et al. 2017"')
    with project.db.transaction() as conn:
        _check_new_label(load(conn, project), text)
        study = sq.insert_study(conn, label=text)
        return sq.insert_report(conn, record_id=None, study_id=study, kind=kind)


def _check_new_label(known: Studies, text: str, *, study_id: int | None = None) -> None:
    """Refuse a label that reads as a study id or that another study already shows."""
    if text.isdigit():
        raise InputError(
            f"a study label cannot be a bare number ({text!r} reads as a study id)",
            hint='Use a citation-style label, e.g. "Greenwood 2013".',
        )
    clash = [s for s in known.all if s.id != study_id and s.label.casefold() == text.casefold()]
    if clash:
        raise InputError(
            f"study {clash[0].id} is already called {text!r}",
            hint="Choose another label (e.g. add a/b after the year).",
        )


def with_labels(
    rows: Iterable[dict[str, Any]], labels: Mapping[int, str], *, key: str = "study"
) -> list[dict[str, Any]]:
    """Rows carrying ``study_id`` with ``key`` set to the study's label (store rows carry
    only the label the team set, or None)."""
    out = []
    for row in rows:
        row = dict(row)
        row[key] = labels.get(int(row["study_id"]), row.get(key) or f"study {row['study_id']}")
        out.append(row)
    return out
