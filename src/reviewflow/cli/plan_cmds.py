"""``reviewflow plan show / set`` and ``reviewflow reviewer add / list / remove``.

They change review.toml through :mod:`reviewflow.config_edit`, which keeps the team's
comments and layout and writes nothing when the change would be invalid.
"""

from __future__ import annotations

from pathlib import Path

import click

from ..errors import InputError
from . import cli
from ._output import OutputContext, echo, echo_json, pass_output


def _config_path(out: OutputContext) -> Path:
    """review.toml of the project, found without loading it (so a broken one can be fixed)."""
    from ..project import find_root
    from ..settings import CONFIG_NAME

    return find_root(out.project_dir) / CONFIG_NAME


def split_initials(text: str | None) -> list[str] | None:
    """'AB, CD' -> ['AB', 'CD']; '' or 'none' -> []; None stays None (not given)."""
    if text is None:
        return None
    if text.strip().lower() in ("", "none", "-"):
        return []
    return [part.strip() for part in text.replace(";", ",").split(",") if part.strip()]


def split_reasons(text: str | None) -> list[str] | None:
    if text is None:
        return None
    return [part.strip() for part in text.split(";") if part.strip()]


def _echo_warnings(settings: object) -> None:
    from ..config_edit import plan_warnings

    for warning in plan_warnings(settings):  # type: ignore[arg-type]
        echo(f"Note: {warning}", err=True)


@cli.group("plan")
def plan_group() -> None:
    """See and change the screening plan (who screens what) without editing review.toml.

    Example:

    \b
        reviewflow plan show
        reviewflow plan set --stage ta --reviewers AB --second CD --share 0.2 --arbiter EF
    """


@plan_group.command("show")
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output on stdout.")
@pass_output
def plan_show_cmd(out: OutputContext, as_json: bool) -> None:
    """Show both stages' plans and the exclusion reasons.

    Example:

    \b
        reviewflow plan show
    """
    from ..config_edit import describe_plan

    settings = out.project().settings
    if as_json:
        screening = settings.screening
        echo_json(None if screening is None else screening.model_dump(mode="json"))
        return
    for line in describe_plan(settings):
        echo(line)
    if settings.screening is None:
        echo(
            "Set it with: reviewflow plan set --stage ta --reviewers AB --second CD "
            "--share 0.2 --arbiter EF"
        )


@plan_group.command("set")
@click.option(
    "--stage",
    type=click.Choice(["ta", "ft"]),
    help="ta (titles/abstracts) or ft (full texts); needed for every option but --reasons.",
)
@click.option("--reviewers", help="Who screens every item, e.g. AB or AB,CD.")
@click.option("--second", help="Who screens the double-screened share, e.g. CD ('none': nobody).")
@click.option(
    "--share",
    type=click.FloatRange(0.0, 1.0),
    help="Share of items screened a second time, 0 to 1 (e.g. 0.2; 1 = every item).",
)
@click.option("--arbiter", help="Who decides disagreements ('none': nobody).")
@click.option("--rule", type=click.Choice(["any_include", "unanimous_else_arbiter",
              "majority_else_arbiter"]), help="How votes become a result.")  # fmt: skip
@click.option("--seed", type=int, help="Seed of the double-screened sample (keep it fixed).")
@click.option(
    "--reason-required/--no-reason-required", default=None, help="Must an exclusion give a reason?"
)
@click.option(
    "--ranking/--no-ranking", default=None, help="Title/abstract: show records by relevance."
)
@click.option("--reasons", help='The exclusion reasons, separated by ";" (replaces the list).')
@click.option("--add-reason", "add_reasons", multiple=True, help="Add one exclusion reason.")
@click.option(
    "--highlight-include",
    help='Terms shown green while screening, separated by ";" (replaces the list).',
)
@click.option(
    "--highlight-exclude",
    help='Terms shown red while screening, separated by ";" (replaces the list).',
)
@pass_output
def plan_set_cmd(
    out: OutputContext,
    stage: str | None,
    reviewers: str | None,
    second: str | None,
    share: float | None,
    arbiter: str | None,
    rule: str | None,
    seed: int | None,
    reason_required: bool | None,
    ranking: bool | None,
    reasons: str | None,
    add_reasons: tuple[str, ...],
    highlight_include: str | None,
    highlight_exclude: str | None,
) -> None:
    """Change the screening plan in review.toml (comments kept; an invalid change writes
    nothing). Options not given stay as they are.

    Example:

    \b
        reviewflow plan set --stage ta --reviewers AB --second CD --share 0.2 --arbiter EF
        reviewflow plan set --stage ft --reviewers AB,CD --arbiter EF \\
            --rule unanimous_else_arbiter
        reviewflow plan set --reasons "not carers; not qualitative; not UK"
        reviewflow plan set --highlight-include "carer*; peer" --highlight-exclude "trial"
    """
    from ..config_edit import describe_plan, edit_settings, set_reasons, set_stage_plan

    stage_values = (reviewers, second, share, arbiter, rule, seed, reason_required, ranking)
    if stage is None and any(v is not None for v in stage_values):
        raise InputError(
            "say which stage to change", hint="Add --stage ta (titles/abstracts) or --stage ft."
        )
    highlights = {"highlight_include": highlight_include, "highlight_exclude": highlight_exclude}
    if stage is None and reasons is None and not add_reasons and highlights == dict.fromkeys(
        highlights
    ):
        raise InputError(
            "nothing to change",
            hint="e.g. reviewflow plan set --stage ta --reviewers AB --second CD --share 0.2",
        )
    if ranking is not None and stage == "ft":
        raise InputError("ranking applies to title/abstract screening only", hint="Use --stage ta.")
    path = _config_path(out)

    def change(doc: object) -> None:
        if stage is not None:
            set_stage_plan(
                doc,  # type: ignore[arg-type]
                stage,
                reviewers=split_initials(reviewers),
                second=split_initials(second),
                share=share,
                arbiter=None if arbiter is None else ",".join(split_initials(arbiter) or []),
                rule=rule,
                seed=seed,
                reason_required=reason_required,
                ranking=ranking,
            )
        if reasons is not None or add_reasons:
            current = split_reasons(reasons)
            if current is None:
                current = list(doc.get("screening", {}).get("reasons", []))  # type: ignore[attr-defined]
            set_reasons(doc, [*current, *add_reasons])  # type: ignore[arg-type]
        for key, terms in highlights.items():
            if terms is not None:
                set_reasons(doc, split_reasons(terms) or [], key=key)  # type: ignore[arg-type]

    settings = edit_settings(path, change)
    echo(f"Updated the screening plan in {path}")
    for line in describe_plan(settings):
        echo(line)
    _echo_warnings(settings)
    if stage is not None:
        _note_if_screening_began(out, stage)


def _note_if_screening_began(out: OutputContext, stage: str) -> None:
    """A plan changed under cast votes is refused at the next vote; say so now."""
    from ..stages.screening.decisions import plan_changed_since_screening_began

    out._project = None
    if plan_changed_since_screening_began(out.project(), stage):
        echo(
            "Note: screening of this stage has begun under the previous plan; accept the new "
            f"one with: reviewflow screen replan --stage {stage} --reviewer INITIALS",
            err=True,
        )


@cli.group("reviewer")
def reviewer_group() -> None:
    """The review team: list, add or remove reviewers without editing review.toml.

    Example:

    \b
        reviewflow reviewer add "XY:Xavier Young"
        reviewflow reviewer list
    """


@reviewer_group.command("add")
@click.argument("reviewers", nargs=-1, required=True)
@pass_output
def reviewer_add_cmd(out: OutputContext, reviewers: tuple[str, ...]) -> None:
    """Add reviewers, each as INITIALS:Name[:role].

    Example:

    \b
        reviewflow reviewer add "XY:Xavier Young" "LE:L Evans:information scientist"
    """
    from ..config_edit import add_reviewer, edit_settings
    from .project_cmds import parse_reviewer

    parsed = [parse_reviewer(r) for r in reviewers]
    path = _config_path(out)

    def change(doc: object) -> None:
        for r in parsed:
            add_reviewer(doc, r.initials, r.name, r.role)  # type: ignore[arg-type]

    edit_settings(path, change)
    for r in parsed:
        echo(f"Added reviewer {r.initials}" + (f" ({r.name})" if r.name else ""))


@reviewer_group.command("list")
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output on stdout.")
@pass_output
def reviewer_list_cmd(out: OutputContext, as_json: bool) -> None:
    """List the reviewers of the project.

    Example:

    \b
        reviewflow reviewer list
    """
    reviewers = out.project().settings.reviewers
    if as_json:
        echo_json([r.model_dump() for r in reviewers])
        return
    if not reviewers:
        echo("No reviewers yet. Add one with: reviewflow reviewer add XY:Name")
    for r in reviewers:
        echo("  ".join(x for x in (r.initials, r.name, f"[{r.role}]") if x))


@reviewer_group.command("remove")
@click.argument("initials")
@pass_output
def reviewer_remove_cmd(out: OutputContext, initials: str) -> None:
    """Remove a reviewer who is in no screening plan (e.g. a typo).

    Example:

    \b
        reviewflow reviewer remove XY
    """
    from ..config_edit import edit_settings, remove_reviewer

    path = _config_path(out)
    edit_settings(path, lambda doc: remove_reviewer(doc, initials))
    echo(f"Removed reviewer {initials}")
