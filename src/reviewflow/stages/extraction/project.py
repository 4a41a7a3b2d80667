"""Data extraction on the project store: forms in use, extraction, pilot, verification.

The pure core (:mod:`reviewflow.stages.extraction`) validates answers, compares reviewers and
applies resolutions; this module records what it returns as append-only events
(``extraction_events``/``extraction_values``) and derives the current state from them:

* a form version is stored the first time answers are given on it; a changed form file
  with the *same* version number is refused, so answers never silently change meaning;
* one reviewer extracts (``record_extraction``, or a spreadsheet through
  :mod:`.sheets`), a second verifies
  field by field (``verify``: agree, or propose a value with a note), discrepancies are
  listed (``discrepancies``) and resolved (``resolve``); final answers exist only when
  nothing is open;
* corrections and re-verifications are new events (``replace=True``); the history of
  every field can be read back (``study_extraction(...).history``).

Studies are referred to by id or label and only included studies are extracted
(:mod:`.studies` decides both). The CLI (``reviewflow extract ...``) and the web app
call these functions.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from importlib import resources
from typing import Any

from ...errors import InputError, NotFoundError, ProjectError, StateError
from ...project import Project
from ...settings import ExtractionSettings, FormRef
from ...store import extraction_queries as xq
from .. import studies as studies_mod
from ..screening.plan import check_reviewer
from ..studies import Study
from ..who import acting
from .agreement import PilotReport, pilot_agreement
from .forms import Extraction, Form, builtin_forms, loads_form, make_extraction
from .values import NOT_REPORTED, coerce, format_value, values_equal
from .verify import (
    Comparison,
    Discrepancy,
    Event,
    Resolution,
    Resolved,
    Verification,
    compare,
    verification_from_mapping,
)
from .verify import resolve as resolve_pure

# -- forms -----------------------------------------------------------------------------


def _form_text(project: Project, ref: FormRef) -> tuple[str, str]:
    """(TOML text, source name) of a form reference: a project file or a built-in name."""
    if ref.source.endswith(".toml") or "/" in ref.source:
        path = project.root / ref.source
        try:
            return path.read_text(encoding="utf-8"), str(path)
        except OSError as exc:
            raise ProjectError(
                f"review.toml [extraction]: cannot read form {path}: {exc.strerror}",
                hint="Give a form file relative to the project folder, or a built-in form name.",
            ) from None
    builtin = resources.files("reviewflow") / "data" / "forms" / f"{ref.source}.toml"
    if not builtin.is_file():
        raise ProjectError(
            f"review.toml [extraction]: no form file or built-in form {ref.source!r}",
            hint="Use a form file in the project (a path ending in .toml) or a built-in form: "
            + ", ".join(builtin_forms())
            + " (set under [[extraction.forms]] source = ... in review.toml).",
        )
    return builtin.read_text(encoding="utf-8"), f"reviewflow:forms/{ref.source}.toml"


def forms_in_use(project: Project) -> list[tuple[Form, str]]:
    """Every form of ``[extraction]`` with its TOML text (default: the generic
    ``qualitative_study`` form, so a new project never extracts on the demo's form)."""
    settings = project.settings.extraction or ExtractionSettings()
    out = []
    for ref in settings.forms:
        text, source = _form_text(project, ref)
        form = loads_form(text, source=source)
        if ref.version is not None and ref.version != form.version:
            raise ProjectError(
                f"review.toml [extraction] expects {form.id} version {ref.version}, "
                f"but {source} is version {form.version}",
                hint="Update 'version' in review.toml once the revised form is agreed.",
            )
        out.append((form, text))
    return out


def form_in_use(project: Project, form_id: str | None = None) -> Form:
    """The form in use with this id (default: the first form of ``[extraction]``)."""
    return _form_and_text(project, form_id)[0]


def _form_and_text(project: Project, form_id: str | None) -> tuple[Form, str]:
    forms = forms_in_use(project)
    if form_id is None:
        return forms[0]
    for form, text in forms:
        if form.id == form_id:
            return form, text
    raise NotFoundError(
        f"no form {form_id!r} in use", hint="Forms in use: " + ", ".join(f.id for f, _ in forms)
    )


def _register(conn: Any, form: Form, text: str) -> None:
    """Store this form version, or refuse a changed form that kept its version number."""
    stored = xq.form_version(conn, form_id=form.id, version=form.version)
    if stored is None:
        xq.insert_form_version(
            conn,
            form_id=form.id,
            version=form.version,
            name=form.name,
            definition=text,
            changes=form.changes,
        )
    elif loads_form(stored["definition"]) != form:
        raise InputError(
            f"form {form.id} version {form.version} has changed since answers were recorded on it",
            hint=f"Give the revised form version = {form.version + 1} and say what changed in "
            "'changes'; answers on the old version stay readable.",
        )


def form_versions(project: Project, form_id: str | None = None) -> list[Form]:
    """Every stored version of a form (default: the form in use), oldest first."""
    form_id = form_id or form_in_use(project).id
    with project.db.connect() as conn:
        rows = xq.form_versions(conn, form_id=form_id)
    return [loads_form(r["definition"], source=f"{form_id} v{r['version']}") for r in rows]


def _form_version(conn: Any, current: Form, version: int) -> Form:
    if version == current.version:
        return current
    row = xq.form_version(conn, form_id=current.id, version=version)
    if row is None:
        raise NotFoundError(f"form {current.id} version {version} is not in this project")
    return loads_form(row["definition"], source=f"{current.id} v{version}")


# -- values ----------------------------------------------------------------------------


def _encode(value: Any) -> str | None:
    if value is None:
        return None
    if value is NOT_REPORTED:
        return json.dumps({"not_reported": True})
    return json.dumps(value, ensure_ascii=False)


def _decode(form: Form, field_id: str, text: str | None) -> Any:
    if text is None:
        return None
    data = json.loads(text)
    if data == {"not_reported": True}:
        return NOT_REPORTED
    return coerce(form.field(field_id), data)


def answers_text(form: Form, answers: Mapping[str, Any]) -> dict[str, str]:
    """Answers as the text a reviewer reads (and the XLSX template takes back)."""
    return {k: format_value(form.field(k), v) for k, v in answers.items() if form.has_field(k)}


# -- state derived from the events -----------------------------------------------------


@dataclass
class _State:
    """The current events of one study on one form (latest per kind and reviewer)."""

    study_id: int
    label: str
    extractions: dict[tuple[int, str], Extraction] = field(default_factory=dict)
    pilot: set[tuple[int, str]] = field(default_factory=set)
    verifications: dict[tuple[int, str], Verification] = field(default_factory=dict)
    resolutions: dict[tuple[int, str], dict[str, Resolution]] = field(default_factory=dict)
    history: list[Event] = field(default_factory=list)


def _load(conn: Any, form: Form, study: Study) -> _State:
    state = _State(study.id, study.label)
    sid = str(state.study_id)
    forms: dict[int, Form] = {}
    for ev in xq.events(conn, form_id=form.id, study_id=state.study_id):
        version = int(ev["form_version"])
        fv = forms.setdefault(version, _form_version(conn, form, version))
        values = {v["field"]: v for v in ev["values"]}
        decoded = {k: _decode(fv, k, v["value"]) for k, v in values.items()}
        if ev["action"] == "extract":
            key = (version, ev["reviewer"])
            answers = {k: v for k, v in decoded.items() if v is not None}
            notes = {k: v["note"] for k, v in values.items() if v["note"]}
            state.extractions[key] = Extraction(
                sid, ev["reviewer"], form.id, version, answers, notes
            )
            if ev["pilot"]:
                state.pilot.add(key)
            action = "pilot extracted" if ev["pilot"] else "extracted"
        elif ev["action"] == "verify":
            checks = {
                k: "agree"
                if v["verdict"] == "agree"
                else {"value": decoded[k], "note": v["note"] or ""}
                for k, v in values.items()
            }
            state.verifications[(version, ev["of_reviewer"])] = verification_from_mapping(
                sid, ev["reviewer"], checks
            )
            action = "verified"
        else:
            chosen = state.resolutions.setdefault((version, ev["of_reviewer"]), {})
            for k, v in values.items():
                chosen[k] = Resolution(k, decoded[k], ev["reviewer"], v["note"] or "")
            action = "resolved"
        for k, v in values.items():
            verb = {"agree": "confirmed", "propose": "proposed"}.get(v["verdict"], action)
            state.history.append(Event(sid, k, verb, ev["reviewer"], decoded[k], v["note"] or ""))
    return state


def _study(conn: Any, project: Project, ref: str | int, *, doing: str = "extracted") -> Study:
    """An included study by id or label, or an error saying why it cannot be used."""
    return studies_mod.load(conn, project).require_included(ref, doing=doing)


def _included(conn: Any, project: Project) -> list[Study]:
    return studies_mod.load(conn, project).included


def _main_key(state: _State, form: Form) -> tuple[int, str] | None:
    """Which extraction is the study's: the verified one, else the only one, newest version."""
    for version in sorted({v for v, _ in state.extractions}, reverse=True):
        verified = [k for k in state.verifications if k[0] == version]
        if verified:
            return verified[-1]
        mine = [k for k in state.extractions if k[0] == version]
        if len(mine) == 1:
            return mine[0]
        if version == form.version:
            return None  # several reviewers (pilot), none verified yet
    return None


@dataclass(frozen=True)
class StudyExtraction:
    """A study's extraction: status, answers (final when status is "final"), history."""

    study_id: int
    label: str
    status: str  # not extracted | pilot | extracted | discrepancies | final
    form_version: int | None
    extractor: str | None
    verifier: str | None
    answers: dict[str, Any]
    unresolved: tuple[Discrepancy, ...]
    history: tuple[Event, ...]


def _summary(conn: Any, form: Form, study: Study) -> StudyExtraction:
    state = _load(conn, form, study)
    key = _main_key(state, form)
    base: dict[str, Any] = dict(
        study_id=state.study_id, label=state.label, history=tuple(state.history)
    )
    if key is None:
        status = "pilot" if state.extractions else "not extracted"
        return StudyExtraction(**base, status=status, form_version=None, extractor=None,
                               verifier=None, answers={}, unresolved=())  # fmt: skip
    extraction = state.extractions[key]
    verification = state.verifications.get(key)
    if verification is None:
        answers = dict(extraction.answers)
        return StudyExtraction(**base, status="extracted", form_version=key[0], extractor=key[1],
                               verifier=None, answers=answers, unresolved=())  # fmt: skip
    fv = _form_version(conn, form, key[0])
    done = resolve_pure(fv, extraction, verification, list(state.resolutions.get(key, {}).values()))
    return StudyExtraction(
        **base,
        status="discrepancies" if done.unresolved else "final",
        form_version=key[0],
        extractor=key[1],
        verifier=verification.reviewer,
        answers=done.answers,
        unresolved=done.unresolved,
    )


def study_extraction(
    project: Project, study: str | int, *, form_id: str | None = None
) -> StudyExtraction:
    """One study's status, current (or final) answers, open discrepancies and full history."""
    form = form_in_use(project, form_id)
    with project.db.connect() as conn:
        return _summary(conn, form, _study(conn, project, study))


def overview(project: Project, *, form_id: str | None = None) -> list[StudyExtraction]:
    """Every included study with its extraction status, in study id order."""
    form = form_in_use(project, form_id)
    with project.db.connect() as conn:
        return [_summary(conn, form, s) for s in _included(conn, project)]


def table1_rows(
    project: Project, *, form_id: str | None = None, as_text: bool = False
) -> list[dict[str, Any]]:
    """Final (verified, resolved) answers per study: study_id, study (label), then one key
    per field. Values are canonical (NOT_REPORTED, Row tuples) unless ``as_text``."""
    form = form_in_use(project, form_id)
    rows = []
    for s in overview(project, form_id=form.id):
        if s.status != "final":
            continue
        answers = answers_text(form, s.answers) if as_text else s.answers
        rows.append({"study_id": s.study_id, "study": s.label, **answers})
    return rows


def discrepancies(project: Project, *, form_id: str | None = None) -> list[Discrepancy]:
    """Every open discrepancy (verifier's proposal not yet resolved), by study."""
    return [d for s in overview(project, form_id=form_id) for d in s.unresolved]


# -- recording -------------------------------------------------------------------------


def _answer_rows(
    form: Form, answers: Mapping[str, Any], notes: Mapping[str, str]
) -> list[dict[str, Any]]:
    return [
        {"field": f.id, "verdict": "answer", "value": _encode(answers.get(f.id)),
         "note": notes.get(f.id) or None}
        for f in form.fields
        if f.id in answers or f.id in notes
    ]  # fmt: skip


def _same(form: Form, a: Mapping[str, Any], b: Mapping[str, Any]) -> bool:
    return all(values_equal(f, a.get(f.id), b.get(f.id)) for f in form.fields)


def _record(
    conn: Any,
    form: Form,
    study: Study,
    extraction: Extraction,
    *,
    pilot: bool,
    replace: bool,
    source: str | None,
) -> bool:
    """Append one extraction event; False when the answers equal the current ones."""
    state = _load(conn, form, study)
    key = (form.version, extraction.reviewer)
    before = state.extractions.get(key)
    if before is not None:
        if _same(form, before.answers, extraction.answers) and before.notes == extraction.notes:
            return False
        if key in state.verifications:
            raise StateError(
                f"{state.label}: the extraction by {extraction.reviewer} is already verified",
                hint="Changes now go through the verifier's proposals and a resolution.",
            )
        if not replace:
            raise InputError(
                f"{state.label} is already extracted by {extraction.reviewer} on "
                f"{form.id} v{form.version}",
                hint="Pass --replace (replace=True) to record a correction; the earlier "
                "answers stay in the history.",
            )
    event = {"study_id": state.study_id, "form_id": form.id, "form_version": form.version,
             "action": "extract", "reviewer": extraction.reviewer, "pilot": pilot,
             "source": source}  # fmt: skip
    xq.insert_event(
        conn, event=event, values=_answer_rows(form, extraction.answers, extraction.notes)
    )
    return True


def record_extraction(
    project: Project,
    study: str | int,
    *,
    reviewer: str | None = None,
    answers: Mapping[str, Any],
    notes: Mapping[str, str] | None = None,
    form_id: str | None = None,
    pilot: bool = False,
    replace: bool = False,
) -> Extraction:
    """Record one reviewer's answers for a study; every problem is listed, nothing half-saved."""
    reviewer = acting(reviewer, doing="extracting")
    check_reviewer(project, reviewer)
    form, text = _form_and_text(project, form_id)
    with project.db.transaction() as conn:
        found = _study(conn, project, study)
        extraction = make_extraction(form, str(found.id), reviewer, answers, notes=notes)
        _register(conn, form, text)
        _record(conn, form, found, extraction, pilot=pilot, replace=replace, source=None)
    return extraction


def pilot_report(
    project: Project,
    *,
    reviewers: tuple[str, str],
    studies: Sequence[str | int] | None = None,
    form_id: str | None = None,
) -> PilotReport:
    """Field-level agreement of two reviewers on the pilot studies (default: every study
    both extracted on the form version in use)."""
    for r in reviewers:
        check_reviewer(project, r)
    form = form_in_use(project, form_id)
    first, second = [], []
    with project.db.connect() as conn:
        if studies:
            chosen = [_study(conn, project, s) for s in studies]
        else:
            chosen = _included(conn, project)
        for study in chosen:
            state = _load(conn, form, study)
            a = state.extractions.get((form.version, reviewers[0]))
            b = state.extractions.get((form.version, reviewers[1]))
            if studies and (a is None or b is None):
                who = reviewers[0] if a is None else reviewers[1]
                raise StateError(
                    f"{state.label}: no extraction by {who} on {form.id} v{form.version}",
                    hint="Both pilot reviewers extract every pilot study first.",
                )
            if a is not None and b is not None:
                first.append(a)
                second.append(b)
    return pilot_agreement(form, first, second)


def verify(
    project: Project,
    study: str | int,
    *,
    reviewer: str | None = None,
    checks: Mapping[str, Any],
    of: str | None = None,
    agree_rest: bool = False,
    form_id: str | None = None,
    replace: bool = False,
) -> Comparison:
    """Record a second reviewer's field-by-field check of ``of``'s extraction.

    ``checks``: field → "agree" or {"value": ..., "note": ...}; with ``agree_rest`` every
    field not named is agreed. Returns the confirmed fields and the discrepancies.
    """
    reviewer = acting(reviewer, doing="verifying this extraction")
    check_reviewer(project, reviewer)
    form, text = _form_and_text(project, form_id)
    items = dict(checks)
    if agree_rest:
        items.update({f.id: "agree" for f in form.fields if f.id not in items})
    with project.db.transaction() as conn:
        _register(conn, form, text)
        found = _study(conn, project, study)
        return _verify(conn, form, found, reviewer, items, of=of, replace=replace)


def _verify(
    conn: Any,
    form: Form,
    study: Study,
    reviewer: str,
    checks: Mapping[str, Any],
    *,
    of: str | None,
    replace: bool,
) -> Comparison:
    state = _load(conn, form, study)
    key = _extraction_key(state, form, of)
    if key in state.verifications and not replace:
        raise InputError(
            f"{state.label}: the extraction by {key[1]} is already verified",
            hint="Pass --replace to record a new verification; the old one stays in history.",
        )
    verification = verification_from_mapping(str(state.study_id), reviewer, checks)
    result = compare(form, state.extractions[key], verification)
    rows = []
    for check in verification.checks:
        value = None if check.agree else coerce(form.field(check.field), check.value)
        verdict = "agree" if check.agree else "propose"
        rows.append({"field": check.field, "verdict": verdict, "value": _encode(value),
                     "note": check.note or None})  # fmt: skip
    event = {"study_id": state.study_id, "form_id": form.id, "form_version": form.version,
             "action": "verify", "reviewer": reviewer, "of_reviewer": key[1]}  # fmt: skip
    xq.insert_event(conn, event=event, values=rows)
    return result


def _extraction_key(state: _State, form: Form, of: str | None) -> tuple[int, str]:
    mine = sorted(k[1] for k in state.extractions if k[0] == form.version)
    if of is not None:
        if of not in mine:
            raise StateError(f"{state.label}: no extraction by {of} on {form.id} v{form.version}")
        return form.version, of
    if len(mine) != 1:
        raise StateError(
            f"{state.label}: " + (f"extracted by {', '.join(mine)}" if mine else "not extracted")
            + f" on {form.id} v{form.version}",
            hint="Name the extraction to verify with --of INITIALS." if mine else
            "Record the extraction first (reviewflow extract import).",
        )  # fmt: skip
    return form.version, mine[0]


def resolve(
    project: Project,
    study: str | int,
    *,
    reviewer: str | None = None,
    values: Mapping[str, Any] | None = None,
    accept: Sequence[str] = (),
    keep: Sequence[str] = (),
    notes: Mapping[str, str] | None = None,
    form_id: str | None = None,
    replace: bool = False,
) -> Resolved:
    """Record agreed values of discrepancies: ``values`` (field → value), ``accept`` (take the
    verifier's proposal) or ``keep`` (keep the extracted value), each with an optional note."""
    reviewer = acting(reviewer, doing="resolving these discrepancies")
    check_reviewer(project, reviewer)
    form, text = _form_and_text(project, form_id)
    notes = dict(notes or {})
    with project.db.transaction() as conn:
        state = _load(conn, form, _study(conn, project, study))
        key = _main_key(state, form)
        if key is None or key not in state.verifications:
            raise StateError(f"{state.label}: not verified yet; nothing to resolve")
        extraction, verification = state.extractions[key], state.verifications[key]
        open_ = {d.field: d for d in compare(form, extraction, verification).discrepancies}
        chosen = dict(values or {})
        for fid in (*accept, *keep):
            if fid not in open_:
                raise InputError(f"{state.label}: no discrepancy on field {fid} to resolve")
            chosen[fid] = open_[fid].proposed if fid in accept else open_[fid].extracted
        earlier = dict(state.resolutions.get(key, {}))
        again = sorted(set(chosen) & set(earlier))
        if again and not replace:
            raise InputError(
                f"{state.label}: {', '.join(again)} already resolved",
                hint="Pass --replace to record a new resolution; the old one stays in history.",
            )
        new = {k: Resolution(k, v, reviewer, notes.get(k, "")) for k, v in chosen.items()}
        result = resolve_pure(form, extraction, verification, list({**earlier, **new}.values()))
        rows = [{"field": k, "verdict": "resolve", "value": _encode(result.answers.get(k)),
                 "note": notes.get(k) or None} for k in new]  # fmt: skip
        _register(conn, form, text)
        event = {"study_id": state.study_id, "form_id": form.id, "form_version": key[0],
                 "action": "resolve", "reviewer": reviewer, "of_reviewer": key[1]}  # fmt: skip
        xq.insert_event(conn, event=event, values=rows)
    return result
