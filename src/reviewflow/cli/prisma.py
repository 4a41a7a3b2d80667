"""``reviewflow prisma``: the PRISMA 2020 flow diagram of the project, checked."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

from ..errors import InputError
from ..protocol import save_declared
from ..reports import prisma, prisma_svg
from ..reports.prisma_project import counts_from_project, declared_from_settings
from . import cli
from ._output import OutputContext, echo, echo_json, pass_output


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
@click.option("--json", "as_json", is_flag=True, help="Print counts and checks as JSON.")
@pass_output
def prisma_cmd(
    out: OutputContext,
    formats: str,
    out_dir: Path | None,
    template: str,
    other_methods: bool | None,
    declare: tuple[str, ...],
    save: bool,
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
    """
    project = out.project()
    extra = parse_declare(declare)
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
