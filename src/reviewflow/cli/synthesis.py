"""``reviewflow code``: findings text, segments and the code bank (thematic synthesis).

The ``themes`` and ``cerqual`` commands live in cli/themes.py and cli/cerqual.py.

Thin shells over :mod:`reviewflow.stages.synthesis`; the web coding screen calls the same
functions.
"""

from __future__ import annotations

from pathlib import Path

import click
from rich.table import Table

from ..errors import InputError
from ..stages import studies as studies_mod
from ..stages.synthesis import (
    codes,
    codings,
    compare,
    findings,
    refi,
    suggest,
)
from . import cli
from ._output import (
    OutputContext,
    echo,
    echo_json,
    need_reviewer,
    pass_output,
    reviewer_option,
    reviewer_option_as,
    stdout_console,
)

_JSON = click.option("--json", "as_json", is_flag=True, help="Print JSON to stdout.")
_WHO = reviewer_option


def _ref(value: str) -> int | str:
    return int(value) if value.isdigit() else value


# -- code ------------------------------------------------------------------------------


@cli.group("code")
def code_group() -> None:
    """Findings, segments and the code bank (thematic synthesis stage 1)."""


@code_group.command("studies")
@click.option(
    "--add",
    "add_label",
    help="Record a study directly (only in a project without full-text screening; "
    "otherwise name one with: reviewflow studies rename).",
)
@_JSON
@pass_output
def studies_cmd(out: OutputContext, add_label: str | None, as_json: bool) -> None:
    """List the included studies, the ones to code (or record one directly).

    Example:

    \b
        reviewflow code studies
        reviewflow code studies --add "Moffatt et al. 2017"   # no full-text screening
        reviewflow studies rename 3 "Moffatt et al. 2017"     # name a screened study
    """
    project = out.project()
    with out.session(write=bool(add_label)):
        if add_label:
            studies_mod.add_study(project, add_label)
        rows = studies_mod.included(project)
    if as_json:
        echo_json([{"id": r.id, "label": r.label} for r in rows])
        return
    for r in rows:
        echo(f"{r.id}\t{r.label}")


@code_group.command("import-findings")
@click.argument("study")
@click.argument(
    "file", required=False, type=click.Path(exists=True, dir_okay=False, path_type=Path)
)
@click.option("--section", "sections", multiple=True, help="Heading of a section to keep.")
@click.option("--whole", is_flag=True, help="Keep the whole document, not only findings.")
@click.option("--format", "fmt", type=click.Choice(["text", "markdown", "docx", "pdf"]))
@click.option("--unit", type=click.Choice(["sentence", "line"]), default="sentence")
@click.option("--code-quotes", is_flag=True, help="Keep participant quotes in scope.")
@_JSON
@pass_output
def import_findings_cmd(
    out: OutputContext,
    study: str,
    file: Path | None,
    sections: tuple[str, ...],
    whole: bool,
    fmt: str | None,
    unit: str,
    code_quotes: bool,
    as_json: bool,
) -> None:
    """Import the results/findings sections of a study's report and segment them.

    Without FILE, the full text attached to the study's report (reviewflow fulltext
    retrieve) is read.

    Example:

    \b
        reviewflow code import-findings "Moffatt et al. 2017" moffatt.pdf
        reviewflow code import-findings 3 wildman.docx --section "Findings"
        reviewflow code import-findings 3
    """
    with out.session(write=True):
        result = findings.import_findings(
            out.project(),
            _ref(study),
            file,
            sections=None if whole else (sections or findings.sources.DEFAULT_SECTIONS),
            fmt=fmt,
            unit=unit,  # type: ignore[arg-type]
            code_quotes=code_quotes,
        )
    if as_json:
        echo_json(result.to_dict())
    else:
        if result.attached_report is not None:
            echo(f"Read the full text attached to report {result.attached_report}: {result.file}")
        echo(
            f"{result.file}: {result.segments} segments ({result.added} new, {result.kept} kept), "
            f"{result.quotes} participant quotes, {result.in_scope} in scope"
        )


@code_group.command("segments")
@click.option("--study", help="Study id or label.")
@click.option("--code", "code", help="Only segments under this code (and its sub-codes).")
@click.option("--coder", help="With --code: only this coder's applications.")
@click.option("--in-scope", is_flag=True, help="Only segments in scope for coding.")
@_JSON
@pass_output
def segments_cmd(
    out: OutputContext,
    study: str | None,
    code: str | None,
    coder: str | None,
    in_scope: bool,
    as_json: bool,
) -> None:
    """List segments, or retrieve every segment under a code.

    Example:

    \b
        reviewflow code segments --study 2 --in-scope
        reviewflow code segments --code "trust in the link worker" --json
    """
    project = out.project()
    with out.session(write=False):
        if code:
            rows = codes.segments_under(project, _ref(code), coder=coder)
        else:
            rows = findings.list_segments(
                project, study=_ref(study) if study else None, in_scope_only=in_scope
            )
    if as_json:
        echo_json(rows)
        return
    table = Table("id", "study", "page", "kind", "scope", "text")
    for r in rows:
        scope = "in" if r["in_scope"] else "out"
        table.add_row(str(r["id"]), r["study"], str(r["page"] or ""), r["kind"], scope, r["text"])
    stdout_console().print(table)


@code_group.command("flag")
@click.argument("segment", type=int)
@click.option("--kind", type=click.Choice(["author", "quote"]))
@click.option("--in-scope/--out-of-scope", "in_scope", default=None)
@_WHO
@pass_output
def flag_cmd(
    out: OutputContext, segment: int, kind: str | None, in_scope: bool | None, reviewer: str | None
) -> None:
    """Correct a segment: author text or participant quote, in scope or not.

    Example:

    \b
        reviewflow code flag 42 --kind quote --out-of-scope --reviewer MC
    """
    with out.session(write=True, actor=reviewer):
        row = findings.correct_segment(
            out.project(), segment, kind=kind, in_scope=in_scope, reviewer=reviewer
        )
    echo(f"segment {segment}: {row['kind']}, {'in' if row['in_scope'] else 'out of'} scope")


@code_group.command("new")
@click.argument("name")
@click.option("--memo", help="Definition memo: when the code applies.")
@click.option("--parent", help="Parent code (for a code tree).")
@_WHO
@pass_output
def new_cmd(
    out: OutputContext, name: str, memo: str | None, parent: str | None, reviewer: str | None
) -> None:
    """Add a code to the bank.

    Example:

    \b
        reviewflow code new "trust in the link worker" --memo "Trust named" --reviewer MC
    """
    with out.session(write=True, actor=reviewer):
        code_id = codes.create_code(
            out.project(),
            name,
            memo=memo,
            parent=_ref(parent) if parent else None,
            reviewer=reviewer,
        )
    echo(f"code {code_id}: {name}")


@code_group.command("rename")
@click.argument("code")
@click.argument("name")
@_WHO
@pass_output
def rename_cmd(out: OutputContext, code: str, name: str, reviewer: str | None) -> None:
    """Rename a code (the old name stays in its history).

    Example:

    \b
        reviewflow code rename 4 "trust and openness" --reviewer MC
    """
    with out.session(write=True, actor=reviewer):
        codes.rename_code(out.project(), _ref(code), name, reviewer=reviewer)


@code_group.command("memo")
@click.argument("code")
@click.argument("memo")
@_WHO
@pass_output
def memo_cmd(out: OutputContext, code: str, memo: str, reviewer: str | None) -> None:
    """Set the definition memo of a code.

    Example:

    \b
        reviewflow code memo 4 "Applies when trust or openness is named" --reviewer MC
    """
    with out.session(write=True, actor=reviewer):
        codes.set_memo(out.project(), _ref(code), memo, reviewer=reviewer)


@code_group.command("merge")
@click.argument("sources", nargs=-1, required=True)
@click.option("--into", required=True, help="The code that absorbs the others.")
@_WHO
@pass_output
def merge_cmd(
    out: OutputContext, sources: tuple[str, ...], into: str, reviewer: str | None
) -> None:
    """Merge codes into one; applications and theme links move, history is kept.

    Example:

    \b
        reviewflow code merge 5 6 --into 4 --reviewer MC
    """
    with out.session(write=True, actor=reviewer):
        moved = codes.merge_codes(
            out.project(), [_ref(s) for s in sources], _ref(into), reviewer=reviewer
        )
    echo(f"merged {len(sources)} code(s); {moved} application(s) moved")


@code_group.command("split")
@click.argument("code")
@click.option(
    "--part", "parts", multiple=True, required=True, help="NEW NAME=SEGMENT,SEGMENT,... (repeat)."
)
@_WHO
@pass_output
def split_cmd(out: OutputContext, code: str, parts: tuple[str, ...], reviewer: str | None) -> None:
    """Split a code: each new code takes its applications on the listed segments.

    Example:

    \b
        reviewflow code split 4 --part "trust=12,15" --part "openness=18" --reviewer MC
    """
    mapping: dict[str, list[int]] = {}
    for part in parts:
        name, sep, ids = part.rpartition("=")
        if not sep or not name.strip():
            raise InputError(f"--part {part!r}: write NEW NAME=SEGMENT,SEGMENT")
        try:
            mapping[name.strip()] = [int(i) for i in ids.split(",") if i.strip()]
        except ValueError:
            raise InputError(f"--part {part!r}: segment ids are numbers") from None
    with out.session(write=True, actor=reviewer):
        created = codes.split_code(out.project(), _ref(code), mapping, reviewer=reviewer)
    for name, code_id in created.items():
        echo(f"code {code_id}: {name}")


@code_group.command("apply")
@click.argument("segment", type=int)
@click.argument("code_refs", nargs=-1, required=True)
@reviewer_option_as("--coder", "coder")
@click.option("--span", help="START:END within the segment text (default: the whole segment).")
@pass_output
def apply_cmd(
    out: OutputContext,
    segment: int,
    code_refs: tuple[str, ...],
    coder: str | None,
    span: str | None,
) -> None:
    """Apply one or more codes to a segment.

    Example:

    \b
        reviewflow code apply 12 "trust in the link worker" 7 --reviewer MC
    """
    bounds = None
    if span:
        start, _, end = span.partition(":")
        if not (start.isdigit() and end.isdigit()):
            raise InputError(f"--span {span!r}: write START:END, e.g. 0:25")
        bounds = (int(start), int(end))
    project = out.project()
    coder = need_reviewer(project, coder)
    with out.session(write=True, actor=coder):  # every code or none
        seg = findings.get_segment(project, segment)
        names = []
        for ref in code_refs:
            codes.apply_code(project, segment, _ref(ref), reviewer=coder, span=bounds)
            names.append(codes.get_code(project, _ref(ref))["name"])
    where = seg["study"] or f"study {seg['study_id']}"
    where += f", p.{seg['page']}" if seg["page"] is not None else ""
    part = f"characters {bounds[0]}–{bounds[1]} of segment" if bounds else "segment"
    for name in names:
        echo(f"Applied '{name}' to {part} {segment} ({where})")


@code_group.command("list")
@click.option("--all", "include_inactive", is_flag=True, help="Also merged and split codes.")
@_JSON
@pass_output
def list_cmd(out: OutputContext, include_inactive: bool, as_json: bool) -> None:
    """The code bank with segments and studies per code.

    Example:

    \b
        reviewflow code list --json
    """
    with out.session(write=False):
        rows = codes.list_codes(out.project(), include_inactive=include_inactive)
    if as_json:
        echo_json(rows)
        return
    table = Table("id", "code", "parent", "segments", "studies", "memo")
    for r in rows:
        name = r["name"] if r["active"] else f"{r['name']} (closed)"
        table.add_row(
            str(r["id"]),
            name,
            str(r["parent_id"] or ""),
            str(r["segments"]),
            str(len(r["studies"])),
            r["memo"] or "",
        )
    stdout_console().print(table)


@code_group.command("history")
@click.argument("code", required=False)
@_JSON
@pass_output
def history_cmd(out: OutputContext, code: str | None, as_json: bool) -> None:
    """What happened to a code (or the whole bank): create, rename, merge, split, ...

    Example:

    \b
        reviewflow code history 5
    """
    with out.session(write=False):
        rows = codes.history(out.project(), _ref(code) if code else None)
    if as_json:
        echo_json(rows)
        return
    for r in rows:
        echo(
            f"{r['created_at']:%Y-%m-%d %H:%M}\t{r['code_id']}\t{r['action']}\t"
            f"{r['reviewer'] or ''}\t{r['detail']}"
        )


@code_group.command("compare")
@click.argument("first")
@click.argument("second")
@_JSON
@pass_output
def compare_cmd(out: OutputContext, first: str, second: str, as_json: bool) -> None:
    """Agreement of two coders per code and per study (Cohen's κ, % agreement).

    Example:

    \b
        reviewflow code compare MC JS
    """
    with out.session(write=False):
        result = compare.compare_coders(out.project(), first, second)
    if as_json:
        echo_json(result)
        return
    if not result["studies"]:
        raise InputError(
            f"no study was coded by both {first} and {second}",
            hint="Both coders code the same studies first (reviewflow code import-codings).",
        )
    table = Table("by", "name", "items", "both", f"only {first}", f"only {second}", "%", "κ")
    rows = [("code", r["code"], r) for r in result["per_code"]]
    rows += [("study", r["study"], r) for r in result["per_study"]]
    rows.append(("all", "", result["overall"]))
    for by, name, r in rows:
        pct = r["percent_agreement"]
        kappa = r["kappa"]
        table.add_row(
            by,
            name,
            str(r["items"]),
            str(r["both"]),
            str(r["only_first"]),
            str(r["only_second"]),
            f"{100 * pct:.0f}" if pct is not None else "-",
            f"{kappa:.2f}" if kappa is not None else "-",
        )
    stdout_console().print(table)


@code_group.command("suggest")
@click.argument("segment", type=int)
@click.option("--coder", help="Learn from this coder's codings only.")
@_JSON
@pass_output
def suggest_cmd(out: OutputContext, segment: int, coder: str | None, as_json: bool) -> None:
    """Suggest codes for a segment from the most similar coded segments (offline).

    Example:

    \b
        reviewflow code suggest 31
    """
    with out.session(write=False):
        rows = suggest.suggest_codes(out.project(), segment, coder=coder)
    if as_json:
        echo_json(rows)
        return
    for r in rows:
        echo(f"{r['score']:.2f}\t{r['code_id']}\t{r['code']}\t(like segments {r['because']})")


@code_group.command("export")
@click.option("--format", "fmt", type=click.Choice(["qdc", "csv", "sheet"]), default="qdc")
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path))
@pass_output
def export_cmd(out: OutputContext, fmt: str, output: Path | None) -> None:
    """Export the codebook (REFI-QDA .qdc or CSV), or the segments as a coding sheet.

    Example:

    \b
        reviewflow code export --format qdc -o codebook.qdc
        reviewflow code export --format sheet -o to-code.csv
    """
    project = out.project()
    export = {"qdc": refi.export_qdc, "csv": refi.export_csv, "sheet": codings.segments_sheet}
    with out.session(write=False):
        text = export[fmt](project)
    if output:
        output.write_text(text, encoding="utf-8")
    else:
        echo(text, nl=False)


@code_group.command("import-codings")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@reviewer_option_as(
    "--coder", "coder", help="Coder of rows without a coder column (default: REVIEWFLOW_REVIEWER)."
)
@_JSON
@pass_output
def import_codings_cmd(out: OutputContext, file: Path, coder: str | None, as_json: bool) -> None:
    """Import codings from a CSV sheet or an annotated text ("text {code; code}").

    Example:

    \b
        reviewflow code import-codings to-code.csv --reviewer JS
        reviewflow code import-codings moffatt-coded.txt --reviewer MC
    """
    project = out.project()
    coder = need_reviewer(project, coder)
    with out.session(write=True, actor=coder):  # the whole file or nothing
        result = codings.import_codings(project, file, reviewer=coder)
    if as_json:
        echo_json(result)
    else:
        echo(f"{result['applications']} code(s) applied to {result['segments']} segment(s)")
