"""The full review report: PRISMA, tables and figures gathered once, written as HTML/DOCX/MD.

:func:`collect` reads the store (search log, screening, extraction, appraisal, synthesis)
into a :class:`ReportData`; a caller may pass extraction or appraisal data instead. The
three writers render that same value, so the formats never disagree. Reads, never writes
the store.

What the store cannot hold comes from ``[report]`` in review.toml
(:class:`reviewflow.settings.ReportSettings`): declared counts of stages run outside
reviewflow (marked declared in the diagram and the report), Table 1's columns, totals the
manuscript states, and which publication's own figures to recompute. The recomputing
itself is the caller's (a :data:`PublishedCheck`, e.g. the demo's): reports/ knows no
publication and imports neither the demo nor the CLI.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..errors import InputError, ReviewflowError
from ..progress import Progress
from ..project import Project
from ..settings import NOT_REPORTED, ReportSettings
from . import prisma, prisma_svg, tables, tree
from .prisma import PrismaCounts
from .prisma_project import counts_from_project
from .prisma_project import declared_from_settings as declared_from_settings
from .tables import Table

FORMATS = ("html", "docx", "md")


@dataclass
class Figure:
    """A figure as SVG text; ``stem`` names its files (``stem.svg``, ``stem.png``).

    ``title`` carries no number: :func:`reviewflow.reports.sections.outline` numbers the
    figures in the order the report shows them, the same in every format.
    """

    stem: str
    title: str
    svg: str
    caption: str = ""


@dataclass(frozen=True)
class Statement:
    """A figure the review text states, next to what the data compute."""

    claim: str
    stated: str
    computed: str
    agrees: bool
    note: str = ""


@dataclass
class ExtractionData:
    """Verified extraction answers for Table 1, the form, and the pilot's agreement."""

    form: Any
    answers: Mapping[str, Mapping[str, Any]]
    labels: Mapping[str, str]
    columns: Sequence[str] | None = None
    stated: Mapping[str, float] = field(default_factory=dict)
    pilot: Any = None


@dataclass
class AppraisalData:
    """Consensus appraisals per study, the scheme, and (optionally) the published scores."""

    checklist: Any
    scheme: Any
    appraisals: Mapping[str, Any]
    labels: Mapping[str, str]
    published: Mapping[str, tuple[float, str]] | None = None
    agreement: Any = None


@dataclass
class ReportData:
    """Everything a report shows, computed once."""

    title: str
    question: str
    prisma: PrismaCounts
    prisma_problems: list[str]
    tables: list[Table] = field(default_factory=list)
    figures: list[Figure] = field(default_factory=list)
    statements: list[Statement] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def table(self, title_start: str) -> Table:
        return next(t for t in self.tables if t.title.startswith(title_start))


#: Recomputes the figures a publication states about its own review from the report's
#: data: (project, data, extraction, appraisal) -> (statements, notes). ``[report]
#: published`` names the publication; the caller that knows it passes its check to
#: :func:`collect` (``reviewflow report`` and ``reviewflow demo`` pass the demo's).
PublishedCheck = Callable[
    [Project, ReportData, "ExtractionData | None", "AppraisalData | None"],
    tuple[list[Statement], list[str]],
]


#: How review.toml spells an unknown count (TOML has no null).
UNKNOWN = NOT_REPORTED


def report_settings(project: Project) -> ReportSettings:
    """``[report]`` of review.toml (defaults when the section is absent)."""
    return project.settings.report or ReportSettings()


def _extraction_from_store(project: Project) -> ExtractionData | None:
    """Table 1 from the extraction store (final answers), with the pilot's agreement."""
    try:
        from ..stages.extraction import project as extract

        form = extract.form_in_use(project)
        rows = extract.table1_rows(project, form_id=form.id)
    except ReviewflowError:
        return None
    if not rows:
        return None
    answers = {str(r["study"]): {f.id: r.get(f.id) for f in form.fields} for r in rows}
    settings = report_settings(project)
    return ExtractionData(
        form,
        answers,
        {k: k for k in answers},
        columns=settings.table1_columns,
        stated=dict(settings.stated_totals),
        pilot=_pilot(project, form.id),
    )


def _pilot(project: Project, form_id: str) -> Any:
    """Agreement of the pilot, when exactly two reviewers piloted the form (first first)."""
    from ..stages.extraction import project as extract

    who: list[str] = []
    for study in extract.overview(project, form_id=form_id):
        for event in study.history:
            if event.action == "pilot extracted" and event.reviewer not in who:
                who.append(event.reviewer)
    if len(who) != 2:
        return None
    try:
        return extract.pilot_report(project, reviewers=(who[0], who[1]), form_id=form_id)
    except ReviewflowError:
        return None


def _appraisal_from_store(project: Project) -> AppraisalData | None:
    """Consensus appraisals from the appraisal store, and the two appraisers' agreement."""
    from ..stages.appraisal import project as appraise
    from ..stages.appraisal.checklists import Appraisal

    try:
        checklist = appraise.checklist_in_use(project)
        scheme = appraise.scheme_in_use(project, checklist)
        studies = appraise.overview(project)
    except ReviewflowError:
        return None
    agreed = {
        s.label: Appraisal(str(s.study_id), "consensus", checklist.id, s.answers)
        for s in studies
        if s.status == appraise.CONSENSUS
    }
    if not agreed:
        return None
    try:
        agreement = appraise.agreement(project)
    except ReviewflowError:
        agreement = None
    return AppraisalData(checklist, scheme, agreed, {k: k for k in agreed}, agreement=agreement)


def collect(
    project: Project,
    *,
    declared: Mapping[str, Any] | None = None,
    extraction: ExtractionData | None = None,
    appraisal: AppraisalData | None = None,
    statements: Sequence[Statement] = (),
    published: PublishedCheck | None = None,
    progress: Progress | None = None,
) -> ReportData:
    """Compute every count, table and figure of the report.

    ``published`` recomputes a publication's own figures (its statements and notes end
    the report's). The screening state is derived once for the whole report (counts,
    stopping rule and agreement all read it): at 50,000 records that is about a second
    each time.
    """
    from ..stages.screening import state_cache

    with state_cache(project):
        return _collect(
            project,
            declared=declared,
            extraction=extraction,
            appraisal=appraisal,
            statements=statements,
            published=published,
            progress=progress,
        )


def _collect(
    project: Project,
    *,
    declared: Mapping[str, Any] | None,
    extraction: ExtractionData | None,
    appraisal: AppraisalData | None,
    statements: Sequence[Statement],
    published: PublishedCheck | None,
    progress: Progress | None,
) -> ReportData:
    step = _stepper(progress, 6)
    step("PRISMA counts")
    counts = counts_from_project(project, declared=dict(declared or {}))
    data = ReportData(
        project.settings.title,
        project.settings.question,
        counts,
        prisma.check(counts),
        statements=list(statements),
    )
    data.figures.append(
        Figure(
            "prisma",
            "PRISMA 2020 flow diagram",
            prisma_svg.to_svg(counts),
            _declared_caption(counts),
        )
    )
    step("search log")
    from ..stages import searches

    data.tables.append(tables.search_log_table(searches.list_all(project)))
    step("study characteristics and appraisal")
    if extraction is None:
        extraction = _extraction_from_store(project)
    if appraisal is None:
        appraisal = _appraisal_from_store(project)
    _extraction_and_appraisal(data, extraction, appraisal)
    step("agreement")
    _agreement(project, data, extraction, appraisal)
    step("synthesis")
    _synthesis(project, data)
    _published(project, data, extraction, appraisal, published)
    step("done")
    return data


def _published(
    project: Project,
    data: ReportData,
    extraction: ExtractionData | None,
    appraisal: AppraisalData | None,
    check: PublishedCheck | None,
) -> None:
    """The figures a publication states, recomputed by the caller's ``check``."""
    if check is None:
        return
    statements, notes = check(project, data, extraction, appraisal)
    data.statements += statements
    data.notes += notes


def _stepper(progress: Progress | None, total: int) -> Callable[[str], None]:
    done = [0]

    def step(name: str) -> None:
        if progress is not None:
            progress(name, done[0], total)
        done[0] += 1

    return step


def _declared_caption(counts: PrismaCounts) -> str:
    if not counts.declared:
        return "Every count is derived from the project's store."
    names = sorted(prisma.LABELS.get(n, n.replace("_", " ")) for n in counts.declared)
    return (
        "Counts marked † were declared by the team (stages run outside reviewflow or "
        "given only as totals): " + "; ".join(names) + ". Every other count is derived."
    )


def _extraction_and_appraisal(
    data: ReportData, extraction: ExtractionData | None, appraisal: AppraisalData | None
) -> None:
    scores: dict[str, str] = {}
    if appraisal is not None:
        table = tables.appraisal_table(
            appraisal.checklist,
            appraisal.scheme,
            appraisal.appraisals,
            appraisal.labels,
            published=appraisal.published,
        )
        for row in table.rows:
            scores[row[0]] = f"{row[-2]} [{row[-1]}]" if row[-1] else row[-2]
        data.figures.append(
            Figure(
                "appraisal_traffic_light",
                "Quality appraisal per question",
                tables.traffic_light_svg(
                    appraisal.checklist, appraisal.appraisals, appraisal.labels
                ),
                "Consensus answers per study and question.",
            )
        )
    if extraction is not None:
        by_study = {
            s: scores[extraction.labels.get(s, s)]
            for s in extraction.answers
            if extraction.labels.get(s, s) in scores
        }
        extra = {"Quality score": by_study} if by_study else None
        data.tables.append(
            tables.study_characteristics(
                extraction.form,
                extraction.answers,
                extraction.labels,
                columns=extraction.columns,
                extra=extra,
                stated=extraction.stated,
            )
        )
    else:
        data.notes.append("Table 1 is missing: no verified extraction is available to the report.")
    if appraisal is not None:
        data.tables.append(table)


def _agreement(
    project: Project,
    data: ReportData,
    extraction: ExtractionData | None,
    appraisal: AppraisalData | None,
) -> None:
    rows: list[tables.AgreementRow] = []
    if project.settings.screening is not None:
        from ..stages import screening

        reports = screening.agreement(project)
        rows += tables.screening_agreement_rows(
            {k: r for k, r in reports.items() if r.n_multiply_rated}
        )
    if extraction is not None and extraction.pilot is not None:
        rows.append(tables.pilot_agreement_row(extraction.pilot))
    if appraisal is not None and appraisal.agreement is not None:
        rows.append(tables.appraisal_agreement_row(appraisal.agreement))
    if rows:
        data.tables.append(tables.agreement_table(rows))


def _synthesis(project: Project, data: ReportData) -> None:
    from ..stages import studies
    from ..stages.synthesis import cerqual, themes
    from ..store import synthesis_queries as sq

    theme_tree = themes.theme_tree(project)
    if not theme_tree:
        return
    with project.db.connect() as conn:
        known = studies.load(conn, project)
        labels = {s.id: s.label for s in known.included}
        names = {c["id"]: c["name"] for c in sq.list_codes(conn, include_inactive=True)}
        code_studies: dict[str, set[int]] = {}
        for app in sq.active_applications(conn):
            if app["study_id"] not in labels:
                continue  # a study no longer included supports nothing
            code_studies.setdefault(names[app["code_id"]], set()).add(app["study_id"])
    data.figures.append(
        Figure(
            "thematic_tree",
            "Thematic tree",
            tree.to_svg(
                theme_tree, labels, code_studies={k: sorted(v) for k, v in code_studies.items()}
            ),
            "Analytical themes, descriptive themes and codes; each node lists the studies "
            "whose coded findings support it.",
        )
    )
    data.tables.append(tables.theme_summary(theme_tree, labels))
    data.tables.append(tables.soqf_table(cerqual.soqf_table(project)))


def build_report(
    project: Project,
    *,
    formats: Sequence[str] = FORMATS,
    out_dir: str | Path | None = None,
    progress: Progress | None = None,
    data: ReportData | None = None,
    **collect_options: Any,
) -> dict[str, Path]:
    """Write the report (and its figures and the PRISMA2020 CSV) to ``out_dir``.

    Returns name → path for every file written (``html``, ``docx``, ``md``, ``prisma.csv``
    and each figure's ``.svg``/``.png``). ``collect_options`` go to :func:`collect`.
    """
    wanted = [f.strip().lower() for f in formats if f.strip()]
    unknown = [f for f in wanted if f not in FORMATS]
    if unknown:
        raise InputError(
            f"unknown report format {', '.join(unknown)}", hint="Use html, docx and/or md."
        )
    out = Path(out_dir) if out_dir is not None else project.root / "reports"
    out.mkdir(parents=True, exist_ok=True)
    if data is None:
        data = collect(project, progress=progress, **collect_options)
    paths: dict[str, Path] = {}
    csv_path = out / "prisma.csv"
    csv_path.write_text(prisma.to_csv(data.prisma), encoding="utf-8")
    paths["prisma.csv"] = csv_path
    needs_png = "docx" in wanted or "md" in wanted
    for fig in data.figures:
        svg_path = out / f"{fig.stem}.svg"
        svg_path.write_text(fig.svg, encoding="utf-8")
        paths[f"{fig.stem}.svg"] = svg_path
        if needs_png:
            paths[f"{fig.stem}.png"] = prisma_svg.svg_to_png(fig.svg, out / f"{fig.stem}.png")
    for i, fmt in enumerate(wanted):
        if progress is not None:
            progress(f"writing {fmt}", i, len(wanted))
        if fmt == "html":
            from .html import render_html

            path = out / "report.html"
            path.write_text(render_html(data), encoding="utf-8")
        elif fmt == "md":
            from .markdown import render_markdown

            path = out / "report.md"
            path.write_text(render_markdown(data), encoding="utf-8")
        else:
            from .docx import write_docx

            path = write_docx(data, out / "report.docx", figure_dir=out)
        paths[fmt] = path
    return paths
