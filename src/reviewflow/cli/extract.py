"""``reviewflow extract``: template, import, pilot, verify, resolve, show.

Thin shells over :mod:`reviewflow.stages.extraction`; validation and history live there.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click
from rich.table import Table

from ..errors import InputError
from ..stages.extraction import project as extract
from ..stages.extraction.values import NOT_REPORTED, NOT_REPORTED_TEXT, format_value
from . import cli
from ._output import OutputContext, echo, echo_json, pass_output, plain, stdout_console

_FORM = click.option("--form", "form_id", help="Form id (default: the first form in use).")
_REVIEWER = click.option("--reviewer", required=True, help="Your initials, as in review.toml.")
_JSON = click.option("--json", "as_json", is_flag=True, help="Print JSON to stdout.")
_REPLACE = click.option(
    "--replace", is_flag=True, help="Record a correction; the earlier one stays in the history."
)


def pairs(items: tuple[str, ...], what: str) -> dict[str, str]:
    """``FIELD=VALUE`` arguments as a dict; InputError naming the malformed one."""
    out = {}
    for item in items:
        key, sep, value = item.partition("=")
        if not sep or not key.strip():
            raise InputError(f"{what} {item!r} is not KEY=VALUE", hint="e.g. sample_size=16")
        out[key.strip()] = value.strip()
    return out


@cli.group("extract")
def extract_group() -> None:
    """Data extraction: template, import, pilot agreement, verification, resolution.

    The form in use is set in review.toml ([[extraction.forms]] source = ...); without
    one, the generic qualitative_study form.

    Example:

    \b
        reviewflow extract template -o mc.xlsx
        reviewflow extract import mc.xlsx --reviewer MC
        reviewflow extract verify 3 --reviewer KA --agree-all --propose male_percent=37
        reviewflow extract resolve 3 --reviewer MC --keep male_percent
        reviewflow extract show
    """


@extract_group.command("template")
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path), required=True)
@click.option("--prefill", help="Copy in this reviewer's answers (a verifier's copy).")
@_FORM
@pass_output
def template_cmd(
    out: OutputContext, output: Path, prefill: str | None, form_id: str | None
) -> None:
    """Write an XLSX template of the form: one row per study, drop-downs for choices.

    Example:

    \b
        reviewflow extract template -o mc.xlsx
        reviewflow extract template --prefill MC -o ka-verifies-mc.xlsx
    """
    from ..stages.extraction import sheets as extract_sheets  # openpyxl: only the sheet commands

    with out.session(write=False):
        path = extract_sheets.write_template(
            out.project(), output, form_id=form_id, prefill=prefill
        )
    echo(f"wrote {path}", err=True)


@extract_group.command("import")
@click.argument("file", type=click.Path(dir_okay=False, exists=True, path_type=Path))
@_REVIEWER
@click.option("--pilot", is_flag=True, help="These are pilot extractions.")
@_REPLACE
@_FORM
@_JSON
@pass_output
def import_cmd(
    out: OutputContext,
    file: Path,
    reviewer: str,
    pilot: bool,
    replace: bool,
    form_id: str | None,
    as_json: bool,
) -> None:
    """Record a filled template as your extractions: every cell checked, all rows or none.

    Example:

    \b
        reviewflow extract import mc.xlsx --reviewer MC
    """
    from ..stages.extraction import sheets as extract_sheets  # openpyxl: only the sheet commands

    with out.session(write=True, actor=reviewer):
        result = extract_sheets.import_template(
            out.project(), file, reviewer=reviewer, form_id=form_id, pilot=pilot, replace=replace
        )
    if as_json:
        echo_json(
            {
                "file": result.file,
                "recorded": list(result.recorded),
                "unchanged": list(result.unchanged),
                "empty": list(result.empty),
            }
        )
        return
    echo(
        f"{file}: {len(result.recorded)} studies recorded, {len(result.unchanged)} unchanged, "
        f"{len(result.empty)} rows empty."
    )


@extract_group.command("pilot")
@click.option("--reviewers", nargs=2, required=True, help="The two pilot reviewers.")
@click.option("--study", "studies", multiple=True, help="A pilot study (default: all both did).")
@_FORM
@_JSON
@pass_output
def pilot_cmd(
    out: OutputContext,
    reviewers: tuple[str, str],
    studies: tuple[str, ...],
    form_id: str | None,
    as_json: bool,
) -> None:
    """Field-level agreement of two reviewers on the pilot studies, with every disagreement.

    Example:

    \b
        reviewflow extract pilot --reviewers MC CJ
    """
    with out.session(write=False):
        report = extract.pilot_report(
            out.project(), reviewers=reviewers, studies=list(studies) or None, form_id=form_id
        )
    rows: list[dict[str, Any]] = [
        {
            "field": f.field,
            "label": f.label,
            "compared": f.compared,
            "agreed": f.agreed,
            "both_empty": f.both_empty,
            "proportion": f.proportion,
            "disagreements": [
                {"study": int(d.study), "first": str(d.first), "second": str(d.second)}
                for d in f.disagreements
            ],
        }
        for f in report.fields
    ]
    if as_json:
        echo_json(
            {
                "form": report.form_id,
                "version": report.form_version,
                "reviewers": list(report.reviewers),
                "studies": [int(s) for s in report.studies],
                "proportion": report.proportion,
                "fields": rows,
            }
        )
        return
    table = Table(
        title=f"Pilot {report.form_id} v{report.form_version}: "
        f"{' vs '.join(report.reviewers)} on {len(report.studies)} studies"
    )
    for name in ("field", "agreed", "disagreements"):
        table.add_column(name)
    for row in rows:
        shown = "; ".join(
            f"study {d['study']}: {d['first']} | {d['second']}" for d in row["disagreements"]
        )
        table.add_row(row["field"], f"{row['agreed']}/{row['compared']}", shown)
    stdout_console().print(table)
    overall = report.proportion
    echo(f"overall agreement: {overall:.0%}" if overall is not None else "nothing compared")


@extract_group.command("verify")
@click.argument("study", required=False)
@_REVIEWER
@click.option("--of", "of", help="Whose extraction (needed when several reviewers extracted).")
@click.option("--agree-all", is_flag=True, help="Agree with every field not proposed.")
@click.option("--agree", "agreed", multiple=True, help="Agree with FIELD.")
@click.option("--propose", multiple=True, help="FIELD=VALUE: propose a different value.")
@click.option("--note", multiple=True, help="FIELD=TEXT: why (for a proposal).")
@click.option(
    "--file",
    type=click.Path(dir_okay=False, exists=True, path_type=Path),
    help="A verifier's copy (extract template --prefill) instead of STUDY.",
)
@_REPLACE
@_FORM
@_JSON
@pass_output
def verify_cmd(
    out: OutputContext,
    study: str | None,
    reviewer: str,
    of: str | None,
    agree_all: bool,
    agreed: tuple[str, ...],
    propose: tuple[str, ...],
    note: tuple[str, ...],
    file: Path | None,
    replace: bool,
    form_id: str | None,
    as_json: bool,
) -> None:
    """Verify an extraction field by field: agree, or propose a value with a note.

    Example:

    \b
        reviewflow extract verify "Kellezi et al. 2019" --reviewer KA --agree-all \\
            --propose male_percent=37 --note "male_percent=63 + 32 is not 100"
        reviewflow extract verify --file ka.xlsx --reviewer KA --of MC
    """
    project = out.project()
    results: dict[Any, extract.Comparison]  # by study id (--file) or by STUDY as given
    if file is not None and not of:
        raise click.UsageError("--file needs --of (whose extraction the copy holds)")
    if file is None and study is None:
        raise click.UsageError("give STUDY (id or label) or --file")
    notes = pairs(note, "--note")
    checks: dict[str, Any] = {f: "agree" for f in agreed}
    for fid, value in pairs(propose, "--propose").items():
        checks[fid] = {"value": value, "note": notes.get(fid, "")}
    with out.session(write=True, actor=reviewer):
        if file is not None:
            from ..stages.extraction import sheets as extract_sheets  # openpyxl: sheets only

            results = extract_sheets.verify_from_template(
                project, file, reviewer=reviewer, of=of or "", form_id=form_id, replace=replace
            )
        else:
            assert study is not None
            result = extract.verify(
                project,
                study,
                reviewer=reviewer,
                checks=checks,
                of=of,
                agree_rest=agree_all,
                form_id=form_id,
                replace=replace,
            )
            results = {study: result}
    data: dict[str, dict[str, Any]] = {
        str(s): {
            "confirmed": len(r.confirmed),
            "unchecked": list(r.unchecked),
            "discrepancies": [_discrepancy(project, d, form_id) for d in r.discrepancies],
        }
        for s, r in results.items()
    }
    if as_json:
        echo_json(data)
        return
    for s, r in data.items():
        echo(
            f"study {s}: {r['confirmed']} confirmed, {len(r['discrepancies'])} "
            f"discrepancies, {len(r['unchecked'])} unchecked"
        )


def _discrepancy(project: Any, d: Any, form_id: str | None) -> dict[str, Any]:
    fld = extract.form_in_use(project, form_id).field(d.field)
    return {
        "study": int(d.study),
        "field": d.field,
        "extracted": format_value(fld, d.extracted),
        "proposed": format_value(fld, d.proposed),
        "verifier": d.verifier,
        "note": d.note,
    }


@extract_group.command("resolve")
@click.argument("study")
@_REVIEWER
@click.option("--value", "values", multiple=True, help="FIELD=VALUE: the agreed value.")
@click.option("--accept", multiple=True, help="FIELD: take the verifier's proposal.")
@click.option("--keep", multiple=True, help="FIELD: keep the extracted value.")
@click.option("--note", multiple=True, help="FIELD=TEXT: how it was resolved.")
@_REPLACE
@_FORM
@pass_output
def resolve_cmd(
    out: OutputContext,
    study: str,
    reviewer: str,
    values: tuple[str, ...],
    accept: tuple[str, ...],
    keep: tuple[str, ...],
    note: tuple[str, ...],
    replace: bool,
    form_id: str | None,
) -> None:
    """Record the agreed value of discrepancies (after discussion), with who and why.

    Example:

    \b
        reviewflow extract resolve "Kellezi et al. 2019" --reviewer MC --keep male_percent \\
            --note "male_percent=keep the published 32 %"
    """
    with out.session(write=True, actor=reviewer):
        result = extract.resolve(
            out.project(),
            study,
            reviewer=reviewer,
            values=pairs(values, "--value"),
            accept=accept,
            keep=keep,
            notes=pairs(note, "--note"),
            form_id=form_id,
            replace=replace,
        )
    left = ", ".join(d.field for d in result.unresolved) or "none"
    echo(f"study {study}: resolved; discrepancies still open: {left}")


@extract_group.command("show")
@click.argument("study", required=False)
@click.option("--discrepancies", "only_open", is_flag=True, help="List open discrepancies.")
@click.option("--history", is_flag=True, help="With STUDY: every event of every field.")
@_FORM
@_JSON
@pass_output
def show_cmd(
    out: OutputContext,
    study: str | None,
    only_open: bool,
    history: bool,
    form_id: str | None,
    as_json: bool,
) -> None:
    """Extraction status of every study, or one study's answers (and history).

    Example:

    \b
        reviewflow extract show
        reviewflow extract show --discrepancies
        reviewflow extract show "Kellezi et al. 2019" --history
    """
    with out.session(write=False):  # one snapshot for every table shown
        _show(out.project(), study, only_open, history, form_id, as_json)


def _show(
    project: Any,
    study: str | None,
    only_open: bool,
    history: bool,
    form_id: str | None,
    as_json: bool,
) -> None:
    form = extract.form_in_use(project, form_id)
    data: Any  # what --json prints: the open discrepancies, or one study's extraction
    if only_open:
        data = [_discrepancy(project, d, form_id) for d in extract.discrepancies(project)]
        if as_json:
            echo_json(data)
            return
        for d in data:
            echo(
                f"study {d['study']} {d['field']}: extracted {d['extracted']!r}, "
                f"{d['verifier']} proposes {d['proposed']!r}  {d['note']}"
            )
        echo(f"{len(data)} open discrepancies")
        return
    if study is None:
        rows = [
            {
                "study_id": s.study_id,
                "study": s.label,
                "status": s.status,
                "version": s.form_version,
                "extractor": s.extractor,
                "verifier": s.verifier,
                "open": len(s.unresolved),
            }
            for s in extract.overview(project, form_id=form_id)
        ]
        if as_json:
            echo_json(rows)
            return
        table = Table(title=f"Extraction on {form.id} v{form.version}")
        for name in ("study_id", "study", "status", "extractor", "verifier", "open"):
            table.add_column(name)
        for r in rows:
            table.add_row(*(str(r[k] if r[k] is not None else "") for k in table_keys(table)))
        stdout_console().print(table)
        return
    s = extract.study_extraction(project, study, form_id=form_id)
    versions = {f.version: f for f in extract.form_versions(project, form.id)}
    fv = versions.get(s.form_version or form.version, form)
    data = {
        "study_id": s.study_id,
        "study": s.label,
        "status": s.status,
        "version": s.form_version,
        "answers": extract.answers_text(fv, s.answers),
    }
    if history:
        data["history"] = [
            {
                "field": e.field,
                "action": e.action,
                "reviewer": e.reviewer,
                "value": _text(e.value),
                "note": e.note,
            }
            for e in s.history
        ]
    if as_json:
        echo_json(data)
        return
    echo(plain(f"{s.label} (study {s.study_id}): {s.status}"))
    for fid, text in data["answers"].items():
        echo(plain(f"  {fid}: {text}"))
    for e in data.get("history", []):
        echo(plain(f"  [{e['reviewer']}] {e['action']} {e['field']} = {e['value']} {e['note']}"))


def table_keys(table: Table) -> list[str]:
    return [str(c.header) for c in table.columns]


def _text(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, tuple):
        return "; ".join(f"{v[0]} = {v[1]}" if isinstance(v, tuple) else str(v) for v in value)
    return NOT_REPORTED_TEXT if value is NOT_REPORTED else str(value)
