"""``reviewflow prisma``: the PRISMA 2020 flow diagram of the project, checked."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from ..errors import InputError
from ..protocol import save_declared
from ..reports import prisma, prisma_svg
from ..reports.prisma_project import counts_from_project, declared_from_settings
from . import cli
from ._output import OutputContext, acting, echo, echo_json, pass_output, reviewer_option

if TYPE_CHECKING:
    from ..reports.prisma_trace import BoxTrace, TraceEntry


def parse_declare(items: tuple[str, ...]) -> dict[str, Any]:
    """``KEY=N`` or, for lists, ``KEY=Name:N;Name:N`` into a declared-counts dict."""
    out: dict[str, Any] = {}
    for item in items:
        key, sep, value = item.partition("=")
        key = key.strip().replace("-", "_")
        if not sep or not key:
            raise InputError(
                f"--declare {item!r} is not KEY=N",
                hint="Write e.g. --declare duplicates_removed=10000",
            )
        if key in prisma.LIST_FIELDS:
            out[key] = [_pair(key, part) for part in value.split(";") if part.strip()]
        else:
            out[key] = _int(key, value)
    return out


def _pair(key: str, part: str) -> tuple[str, int | None]:
    name, _, n = part.rpartition(":")
    if not name.strip():
        raise InputError(
            f"--declare {key}: {part!r} is not Name:N",
            hint=f'Write e.g. --declare "{key}=Embase:1234;MEDLINE:987"',
        )
    return name.strip(), None if n.strip() in ("", "?") else _int(f"{key} ({name})", n)


def _int(key: str, value: str) -> int:
    try:
        return int(value.strip().replace(",", "").replace("_", ""))
    except ValueError as exc:
        raise InputError(
            f"--declare {key}={value!r}: the count is not a whole number",
            hint=f"Write e.g. --declare {key}=1234",
        ) from exc


@cli.command("prisma")
@click.option(
    "--format",
    "formats",
    default="svg,png,pdf,csv",
    show_default=True,
    help="Comma-separated outputs: svg, png, pdf, csv (the PRISMA2020 R package/Shiny CSV).",
)
@click.option(
    "--out",
    "out_dir",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="Folder for the files (default: reports/ in the project).",
)
@click.option(
    "--template",
    type=click.Choice(prisma_svg.TEMPLATES),
    default="new",
    show_default=True,
    help="new review, or updated review (adds previous studies and totals).",
)
@click.option(
    "--other-methods/--no-other-methods",
    default=None,
    help="Draw the 'other methods' column (default: when other methods were logged).",
)
@click.option(
    "--declare",
    multiple=True,
    metavar="KEY=N",
    help="A count from a stage run outside reviewflow; repeatable. Lists: KEY=Name:N;Name:N. "
    "Overrides the project's declared counts for this run only, unless --save.",
)
@click.option(
    "--save",
    is_flag=True,
    help="Keep the --declare counts in the project, so reviewflow report draws the same diagram.",
)
@click.option(
    "--box",
    metavar="NAME",
    default=None,
    help="List what one box counts instead of drawing the diagram (NAME as in the data "
    "column of the PRISMA2020 CSV, e.g. records_excluded); with --json, one JSON object "
    "per line (JSON Lines), one line per record, report, study or typed-in count.",
)
@click.option(
    "--part",
    metavar="LINE",
    default=None,
    help="With --box: one line of the box's breakdown (a database, register, other method "
    "or exclusion reason).",
)
@reviewer_option
@click.option(
    "--json",
    "as_json",
    is_flag=True,
    help="Print counts and checks as JSON (with --box: JSON Lines, one entry per line).",
)
@pass_output
def prisma_cmd(
    out: OutputContext,
    formats: str,
    out_dir: Path | None,
    template: str,
    other_methods: bool | None,
    declare: tuple[str, ...],
    save: bool,
    box: str | None,
    part: str | None,
    reviewer: str | None,
    as_json: bool,
) -> None:
    """Draw the PRISMA 2020 flow diagram from the project and check its arithmetic.

    Counts are derived from the search log, imports, duplicate links and screening
    decisions; counts of stages run elsewhere are the project's declared counts (marked †
    in the diagram), the same ones reviewflow report uses; --declare adds or overrides
    some for this run (--save keeps them).

    Example:

    \b
        reviewflow prisma
        reviewflow prisma --format svg,csv --out figures --template updated \\
            --declare previous_studies=4 --declare previous_reports=5
        reviewflow prisma --declare duplicates_removed=10234 \\
            --declare "exclusion_reasons=Not UK based:120;Not qualitative:98" --save
        reviewflow prisma --box records_excluded --reviewer AB
        reviewflow prisma --box dbr_excluded --part "not UK-based" --json | wc -l

    --box lists what one box counts, with who decided and when: the records, reports or
    studies behind a derived number (as many as the box says), and the search-log rows or
    declared counts behind a typed-in one (each line adds its "n"). Votes a blind stage
    still hides from --reviewer are left out, and entries whose place in the box would
    show them are counted without being named.
    """
    extra = parse_declare(declare)
    if box is not None:
        if save:
            raise InputError(
                "--save keeps declared counts; --box only lists what a box counts",
                hint="Run reviewflow prisma --declare KEY=N --save first, then --box.",
            )
        _list_box(out, box, part=part, reviewer=acting(reviewer), declared=extra, as_json=as_json)
        return
    if part is not None:
        raise InputError(
            "--part narrows a --box list", hint="Add --box NAME, e.g. --box dbr_excluded."
        )
    project = out.project()
    if save and not extra:
        raise InputError(
            "--save keeps --declare counts, but none were given",
            hint="Write e.g. reviewflow prisma --declare duplicates_removed=10 --save",
        )
    with out.session(write=save):  # --save keeps the declared counts in the project
        counts = counts_from_project(project, declared=extra)
        if save:
            save_declared(project, {**declared_from_settings(project), **extra})
    wanted = [f.strip().lower() for f in formats.split(",") if f.strip()]
    paths = prisma_svg.write(
        counts,
        out_dir if out_dir is not None else project.root / "reports",
        formats=wanted,
        template=template,
        other_methods=other_methods,
    )
    problems = prisma.check(counts)
    if as_json:
        echo_json(
            {
                "counts": counts.to_dict(),
                "files": {f: str(p) for f, p in paths.items()},
                "problems": problems,
                "notes": counts.notes,
                "declared": sorted(counts.declared),
            }
        )
        return
    for path in paths.values():
        echo(f"Wrote {path}")
    for note in counts.notes:
        echo(f"Note: {note}", err=True)
    for problem in problems:
        echo(f"Does not add up: {problem}", err=True)
    if extra and not save:
        echo(
            "Note: the --declare counts were used for this diagram only; reviewflow report "
            "will not show them. Add --save to keep them in the project.",
            err=True,
        )
    if not problems:
        echo("The boxes add up.")


def _list_box(
    out: OutputContext,
    box: str,
    *,
    part: str | None,
    reviewer: str | None,
    declared: dict[str, Any],
    as_json: bool,
) -> None:
    """``--box``: the entries of one box, JSON Lines on stdout or one line each."""
    from ..reports import prisma_trace

    prisma_trace.check_box(box)  # before opening the project: a typo is said at once
    project = out.project()
    with out.session(write=False, actor=reviewer):
        found = prisma_trace.trace(project, box, viewer=reviewer, part=part, declared=declared)
    if as_json:
        for entry in found.entries:
            line = {"box": found.box, **entry.to_dict()}
            click.echo(json.dumps(line, ensure_ascii=False, default=str))
    else:
        echo(_heading(found))
        for entry in found.entries:
            echo(_line(entry))
    for note in found.notes:
        echo(f"Note: {note}", err=True)


def _heading(found: BoxTrace) -> str:
    where = f" / {found.part}" if found.part else ""
    return f"{found.label}{where} ({found.box}): {prisma.fmt(found.count)}"


def _line(entry: TraceEntry) -> str:
    if entry.hidden:
        return f"  {entry.kind} (not named: blind screening)"
    who = "; ".join(
        " ".join(
            str(x)
            for x in (
                d.who or "?",
                d.what,
                f"({d.reason})" if d.reason else "",
                d.when.strftime("%Y-%m-%d %H:%M") if d.when else "",
            )
            if x
        )
        for d in entry.decisions
    )
    cite = ", ".join(str(x) for x in (entry.first_author, entry.year) if x)
    ref = f"{entry.kind} {entry.id}" if entry.id is not None else entry.kind
    adds = f" [adds {prisma.fmt(entry.n)}]" if entry.kind in ("search", "declared") else ""
    parts = [ref + adds, entry.title or "", f"({cite})" if cite else "", f"— {who}" if who else ""]
    return "  " + " ".join(p for p in parts if p)
