"""``reviewflow themes``: descriptive and analytical themes, matrix, quotes."""

from __future__ import annotations

import click
from rich.table import Table

from ..demo import synthesis as seed
from ..stages import studies as studies_mod
from ..stages.synthesis import (
    suggest,
    themes,
)
from ..stages.synthesis.segments import as_quotation
from . import cli
from ._output import OutputContext, echo, echo_json, pass_output, stdout_console
from .synthesis import _JSON, _ref

# -- themes ----------------------------------------------------------------------------


@cli.group("themes")
def themes_group() -> None:
    """Descriptive and analytical themes, the theme × study matrix, quotes."""


@themes_group.command("add")
@click.argument("name")
@click.option("--kind", type=click.Choice(list(themes.KINDS)), required=True)
@click.option("--description", required=True, help="What the theme says.")
@click.option("--label", help='Short label, e.g. "1.3".')
@click.option("--parent", help="Analytical theme of a descriptive theme.")
@click.option("--code", "code_refs", multiple=True, help="Code grouped by the theme (repeat).")
@pass_output
def themes_add_cmd(
    out: OutputContext,
    name: str,
    kind: str,
    description: str,
    label: str | None,
    parent: str | None,
    code_refs: tuple[str, ...],
) -> None:
    """Add a descriptive or analytical theme.

    Example:

    \b
        reviewflow themes add "Person-centred care" --kind analytical --label 1 \\
            --description "A person-centred approach was key to delivery"
        reviewflow themes add "Goal setting" --kind descriptive --label 1.3 --parent 1 \\
            --description "Personalised goals supported progress" --code 7 --code 8
    """
    with out.session(write=True):
        theme_id = themes.create_theme(
            out.project(),
            name,
            kind=kind,
            description=description,
            label=label,
            parent=parent,
            codes=[_ref(c) for c in code_refs],
        )
    echo(f"theme {theme_id}: {name}")


@themes_group.command("group")
@click.argument("theme")
@click.argument("code_refs", nargs=-1, required=True)
@pass_output
def themes_group_cmd(out: OutputContext, theme: str, code_refs: tuple[str, ...]) -> None:
    """Group codes into a descriptive theme.

    Example:

    \b
        reviewflow themes group 1.3 "personalised goal setting" 12
    """
    with out.session(write=True):
        themes.group_codes(out.project(), theme, [_ref(c) for c in code_refs])


@themes_group.command("suggest")
@click.option("--groups", type=int, help="How many groups (default: by similarity threshold).")
@_JSON
@pass_output
def themes_suggest_cmd(out: OutputContext, groups: int | None, as_json: bool) -> None:
    """Suggest candidate groupings of codes into themes (offline; you decide).

    Example:

    \b
        reviewflow themes suggest --groups 7
    """
    with out.session(write=False):
        rows = suggest.suggest_groupings(out.project(), groups=groups)
    if as_json:
        echo_json(rows)
        return
    for number, group in enumerate(rows, start=1):
        echo(f"{number}: " + "; ".join(f"{c['code']} ({c['code_id']})" for c in group))


@themes_group.command("quote")
@click.argument("theme")
@click.option("--segment", type=int, help="A stored segment (study and page come with it).")
@click.option("--study", type=int, help="Study id of a quote given as text.")
@click.option("--text", help="The quote, if not a stored segment.")
@click.option("--page", type=int)
@pass_output
def themes_quote_cmd(
    out: OutputContext,
    theme: str,
    segment: int | None,
    study: int | None,
    text: str | None,
    page: int | None,
) -> None:
    """Link a supporting quote to a theme.

    Example:

    \b
        reviewflow themes quote 1.1 --segment 42
        reviewflow themes quote 1.1 --study 5 --text "well-matched" --page 158
    """
    with out.session(write=True):
        themes.add_quote(
            out.project(), theme, segment_id=segment, study=study, text=text, page=page
        )


@themes_group.command("list")
@_JSON
@pass_output
def themes_list_cmd(out: OutputContext, as_json: bool) -> None:
    """The thematic tree: analytical → descriptive themes, codes, studies, quotes.

    Example:

    \b
        reviewflow themes list --json
    """
    with out.session(write=False):
        tree = themes.theme_tree(out.project())
    if as_json:
        echo_json(tree)
        return
    for top in tree:
        echo(f"{top['label'] or top['id']} {top['name']}  studies {top['studies']}")
        for sub in top["themes"]:
            echo(f"  {sub['label'] or sub['id']} {sub['name']}  studies {sub['studies']}")
            for name in sub["codes"]:
                echo(f"      - {name}")
            for q in sub["quotes"]:
                page = f", p.{q['page']}" if q["page"] else ""
                echo(f"      {as_quotation(q['text'])} [{q['study']}{page}]")


@themes_group.command("matrix")
@click.option("--coder", help="Only this coder's applications.")
@_JSON
@pass_output
def themes_matrix_cmd(out: OutputContext, coder: str | None, as_json: bool) -> None:
    """The theme × study matrix of the included studies, derived from the code
    applications (segments per cell).

    Example:

    \b
        reviewflow themes matrix
    """
    project = out.project()
    with out.session(write=False):
        rows = themes.matrix(project, coder=coder)
        studies = studies_mod.included(project)
    if as_json:
        echo_json([r.to_dict() for r in rows])
        return
    table = Table("theme", *[s.label for s in studies])
    for r in rows:
        cells = [str(r.segments_by_study.get(s.id, "")) for s in studies]
        reported = set(r.reported_studies or [])
        cells = [
            c + (" *" if s.id in reported else "") for c, s in zip(cells, studies, strict=True)
        ]
        indent = "  " if r.parent_id else ""
        table.add_row(f"{indent}{r.label or r.name}", *cells)
    stdout_console().print(table)
    echo("numbers: coded segments; *: the study is reported for the theme in its publication")


@themes_group.command("seed")
@click.option("--coder", default="MC", show_default=True)
@pass_output
def themes_seed_cmd(out: OutputContext, coder: str) -> None:
    """Build the seed review's synthesis (studies, cited findings, codes, themes, quotes).

    Example:

    \b
        reviewflow init demo --title "Social prescribing" && cd demo
        reviewflow themes seed && reviewflow themes matrix
    """
    with out.session(write=True):
        ids = seed.build_seed(out.project(), reviewer=coder)
    echo(f"{len(ids['studies'])} studies, {len(ids['codes'])} codes, {len(ids['themes'])} themes")
