"""The tables of a review report, as plain data that HTML, DOCX and Markdown all render.

Each function takes what the stages return (search log rows, extraction answers, CASP
appraisals, agreement reports, the theme tree, SoQF rows) and gives a :class:`Table`:
columns, rows of text, aggregate figures and warnings. Numbers are computed here from the
data, never typed in; a figure the data contradict (percentages that do not sum to about
100, category counts above the sample, a stated total that differs from the computed one)
becomes a warning shown next to the table, and the value stays as reported.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from ..stages.appraisal.checklists import Appraisal, Checklist
from ..stages.appraisal.scoring import ScoringScheme, score
from ..stages.extraction.checks import check_consistency
from ..stages.extraction.forms import Field, Form
from ..stages.extraction.values import NOT_REPORTED, Row, format_value, is_empty
from ..stages.synthesis.segments import as_quotation

NOT_REPORTED_CELL = "Not reported"


@dataclass
class Table:
    """A titled table; ``figures`` are aggregate sentences, ``warnings`` checks that fail."""

    title: str
    columns: list[str]
    rows: list[list[str]]
    figures: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def column(self, name: str) -> list[str]:
        i = self.columns.index(name)
        return [row[i] for row in self.rows]


# -- search log (PRISMA-S) ----------------------------------------------------------------


def search_log_table(searches: Sequence[Mapping[str, Any]]) -> Table:
    """PRISMA-S items 1-13 that the log holds: one row per search or other method."""
    rows = []
    for s in searches:
        file = s.get("file_name") or ""
        if file and s.get("file_sha256"):
            file += f" (sha256 {s['file_sha256'][:12]}…)"
        rows.append(
            [
                str(s.get("id", "")),
                s["source"],
                s.get("method") or "database",
                s.get("platform") or NOT_REPORTED_CELL,
                s.get("date_searched") or NOT_REPORTED_CELL,
                s.get("query") or NOT_REPORTED_CELL,
                s.get("limits") or "",
                _n(s.get("records_returned")),
                file,
            ]
        )
    table = Table(
        "Search log (PRISMA-S)",
        [
            "#",
            "Source",
            "Method",
            "Platform",
            "Date searched",
            "Query",
            "Limits",
            "Records",
            "File",
        ],
        rows,
    )
    unknown = [s["source"] for s in searches if s.get("records_returned") is None]
    if unknown:
        table.notes.append(
            f"Records returned not logged for {len(unknown)} of {len(searches)} searches: "
            + ", ".join(unknown)
            + "."
        )
    return table


def _n(value: int | None) -> str:
    return NOT_REPORTED_CELL if value is None else f"{value:,}"


# -- Table 1: study characteristics -------------------------------------------------------


def cell(fld: Field, value: Any) -> str:
    """One answer as a table cell (``Not reported`` for NR, empty for unanswered)."""
    if value is NOT_REPORTED:
        return NOT_REPORTED_CELL
    if is_empty(value):
        return ""
    if fld.type == "percentage":
        return f"{value:g} %"
    if fld.type == "repeated":
        return "; ".join(f"{r.label} (n={r.count})" for r in value)
    return format_value(fld, value)


def study_characteristics(
    form: Form,
    answers: Mapping[str, Mapping[str, Any]],
    labels: Mapping[str, str],
    *,
    columns: Sequence[str] | None = None,
    extra: Mapping[str, Mapping[str, str]] | None = None,
    stated: Mapping[str, float] | None = None,
) -> Table:
    """ "Table 1": one row per study, columns chosen from the form's fields.

    ``answers`` maps study → final (verified) answers; ``extra`` adds computed columns
    (e.g. ``{"Quality": {study: "19 [very valuable]"}}``); ``stated`` maps a field to the
    total the review text states (e.g. ``{"sample_size": 220}``), checked against the sum.
    """
    fields = (
        [form.field(c) for c in columns]
        if columns
        else [f for f in form.fields if any(not is_empty(a.get(f.id)) for a in answers.values())]
    )
    extra = dict(extra or {})
    rows = [
        [labels.get(s, s)]
        + [cell(f, a.get(f.id)) for f in fields]
        + [extra[name].get(s, "") for name in extra]
        for s, a in answers.items()
    ]
    table = Table(
        "Table 1. Study characteristics",
        ["Study"] + [f.label for f in fields] + list(extra),
        rows,
    )
    for f in fields:
        table.figures += aggregate(f, [a.get(f.id) for a in answers.values()])
    table.warnings += consistency_warnings(form, answers, labels)
    table.warnings += stated_total_warnings(form, answers, stated or {})
    return table


def aggregate(fld: Field, values: Sequence[Any]) -> list[str]:
    """Aggregate sentences for one column: totals, ranges, counts per category, row sums."""
    n = len(values)
    given = [v for v in values if not is_empty(v) and v is not NOT_REPORTED]
    missing = n - len(given)
    not_given = f" (not reported by {missing} of {n})" if missing else ""
    if not given:
        return []
    if fld.type == "integer":
        return [
            f"{fld.label}: total {sum(given):,}, range {min(given):,}–{max(given):,}{not_given}."
        ]
    if fld.type in ("number", "percentage"):
        unit = " %" if fld.type == "percentage" else ""
        return [f"{fld.label}: range {min(given):g}{unit}–{max(given):g}{unit}{not_given}."]
    if fld.type in ("single_choice", "short_text", "yes_no_unclear"):
        tally = Counter(str(v) for v in given)
        if len(tally) == len(given) and n > 2:
            return []  # every study different: a count per value says nothing
        parts = ", ".join(f"{k} {v}" for k, v in tally.most_common())
        return [f"{fld.label}: {parts}{not_given}."]
    if fld.type == "multiple_choice":
        tally = Counter(c for v in given for c in v)
        parts = ", ".join(f"{k} {v}" for k, v in tally.most_common())
        return [f"{fld.label} (studies per choice): {parts}{not_given}."]
    if fld.type == "repeated":
        sums: Counter[str] = Counter()
        for rows in given:
            for r in rows:
                sums[r.label] += r.count
        parts = ", ".join(f"{k} {v}" for k, v in sums.most_common())
        return [
            f"{fld.label}: reported by {len(given)} of {n} studies; summed: {parts} "
            f"(total {sum(sums.values())})."
        ]
    return []


def consistency_warnings(
    form: Form, answers: Mapping[str, Mapping[str, Any]], labels: Mapping[str, str]
) -> list[str]:
    """The form's checks on every study, plus counts per category larger than the sample."""
    out = []
    sample = next((f.id for f in form.fields if f.id == "sample_size"), None)
    for study, a in answers.items():
        name = labels.get(study, study)
        out += [f"{name}: {w.message} (as reported)." for w in check_consistency(form, a)]
        n = a.get(sample) if sample else None
        if not isinstance(n, int):
            continue
        for f in form.fields:
            value = a.get(f.id)
            if f.type == "repeated" and isinstance(value, tuple | list):
                big = [r for r in value if isinstance(r, Row) and r.count > n]
                out += [f"{name}: {f.label} '{r.label}' n={r.count} exceeds N={n}." for r in big]
    return out


def stated_total_warnings(
    form: Form, answers: Mapping[str, Mapping[str, Any]], stated: Mapping[str, float]
) -> list[str]:
    """A total the review text states that differs from the sum of the studies' values."""
    out = []
    for field_id, claimed in stated.items():
        values = [a.get(field_id) for a in answers.values()]
        numbers = [v for v in values if isinstance(v, int | float) and not isinstance(v, bool)]
        total = sum(numbers)
        if abs(total - claimed) > 1e-9:
            out.append(
                f"The text states a total {form.field(field_id).label.lower()} of {claimed:g}; "
                f"the {len(numbers)} studies add up to {total:g}."
            )
    return out


# -- appraisal ------------------------------------------------------------------------------

#: Traffic-light colours per CASP-style answer option.
LIGHTS = {"yes": "#2E7D32", "cant_tell": "#F9A825", "no": "#C62828"}
_SYMBOL = {"yes": "+", "cant_tell": "?", "no": "−"}


def appraisal_table(
    checklist: Checklist,
    scheme: ScoringScheme,
    appraisals: Mapping[str, Appraisal],
    labels: Mapping[str, str],
    *,
    published: Mapping[str, tuple[float, str]] | None = None,
) -> Table:
    """Per-question answers, score and band of each study's (consensus) appraisal.

    ``published`` (study → (score, band)) adds a warning for every score or band the
    computation does not reproduce.
    """
    items = checklist.item_ids
    rows, scores, warnings = [], {}, []
    for study, appraisal in appraisals.items():
        s = score(checklist, scheme, appraisal)
        scores[study] = s
        rows.append(
            [labels.get(study, study)]
            + [
                checklist.label(appraisal.answers[i]) if i in appraisal.answers else ""
                for i in items
            ]
            + [_points(s.points), s.band or ""]
        )
        if published and study in published:
            p_score, p_band = published[study]
            if s.points != p_score or (s.band or "").casefold() != p_band.casefold():
                warnings.append(
                    f"{labels.get(study, study)}: computed {_points(s.points)} [{s.band}], "
                    f"published {p_score:g} [{p_band}]."
                )
    table = Table(
        f"Appraisal ({checklist.name}; {scheme.name})",
        ["Study"] + [i.upper() for i in items] + [f"Score (max {_points(scheme.max)})", "Band"],
        rows,
        warnings=warnings,
    )
    table.notes.append("; ".join(f"{i.id.upper()}: {i.text}" for i in checklist.items))
    points = [s.points for s in scores.values() if s.points is not None]
    if points:
        bands = Counter(s.band for s in scores.values() if s.band)
        table.figures.append(
            f"Scores range from {_points(min(points))} to {_points(max(points))}; "
            + ", ".join(f"{k}: {v}" for k, v in bands.most_common())
            + "."
        )
    for item in checklist.items:
        yes = sum(1 for a in appraisals.values() if a.answers.get(item.id) == "yes")
        table.figures.append(f"{item.id.upper()} answered Yes for {yes} of {len(appraisals)}.")
    return table


def _points(x: float | None) -> str:
    return "" if x is None else f"{x:g}"


def traffic_light_svg(
    checklist: Checklist, appraisals: Mapping[str, Appraisal], labels: Mapping[str, str]
) -> str:
    """The traffic-light figure: a coloured dot per study and question, with a legend."""
    from xml.sax.saxutils import escape

    from .prisma_svg import text_width

    items = checklist.item_ids
    names = [labels.get(s, s) for s in appraisals]
    left = 16 + max((text_width(n, size=12) for n in names), default=60)
    cw, rh, top = 44, 34, 40
    width = left + cw * len(items) + 20
    height = top + rh * len(names) + 60
    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width:.0f}" height="{height}" '
        f'viewBox="0 0 {width:.0f} {height}" font-family="Arial, Helvetica, sans-serif">',
        "<title>Appraisal traffic-light plot</title>",
        f'<rect width="{width:.0f}" height="{height}" fill="#FFFFFF"/>',
    ]
    for j, item in enumerate(items):
        x = left + cw * j + cw / 2
        out.append(
            f'<text x="{x:.1f}" y="{top - 12}" text-anchor="middle" font-size="12" '
            f'font-weight="bold">{escape(item.upper())}</text>'
        )
    for i, (study, appraisal) in enumerate(appraisals.items()):
        y = top + rh * i + rh / 2
        out.append(
            f'<text x="8" y="{y + 4:.1f}" font-size="12">{escape(labels.get(study, study))}</text>'
        )
        for j, item in enumerate(items):
            answer = appraisal.answers.get(item, "")
            x = left + cw * j + cw / 2
            colour = LIGHTS.get(answer, "#BDBDBD")
            out.append(
                f'<circle cx="{x:.1f}" cy="{y:.1f}" r="13" fill="{colour}">'
                f"<title>{escape(labels.get(study, study))} {item}: "
                f"{escape(checklist.label(answer) if answer else 'unanswered')}</title></circle>"
            )
            out.append(
                f'<text x="{x:.1f}" y="{y + 5:.1f}" text-anchor="middle" font-size="15" '
                f'font-weight="bold" fill="#FFFFFF">{_SYMBOL.get(answer, "")}</text>'
            )
    ly = top + rh * len(names) + 30
    x = 8.0
    for option in checklist.options:
        out.append(
            f'<circle cx="{x + 8:.1f}" cy="{ly}" r="8" fill="{LIGHTS.get(option.id, "#BDBDBD")}"/>'
        )
        out.append(
            f'<text x="{x + 22:.1f}" y="{ly + 4}" font-size="12">{escape(option.label)}</text>'
        )
        x += 40 + text_width(option.label, size=12)
    out.append("</svg>")
    return "\n".join(out)


# -- agreement ------------------------------------------------------------------------------


@dataclass(frozen=True)
class AgreementRow:
    """One stage's agreement in a line: who, on how many items, which statistic."""

    stage: str
    reviewers: str
    items: int
    statistic: str
    value: float | None
    note: str = ""
    #: 95 % confidence interval of ``value``, when the statistic has one (Cohen's κ).
    ci: tuple[float, float] | None = None


def agreement_table(rows: Sequence[AgreementRow]) -> Table:
    """Agreement summary per stage (screening, extraction pilot, appraisal)."""
    return Table(
        "Agreement between reviewers",
        ["Stage", "Reviewers", "Items compared", "Statistic", "Value", "Note"],
        [[r.stage, r.reviewers, str(r.items), r.statistic, _value(r), r.note] for r in rows],
    )


def _value(row: AgreementRow) -> str:
    if row.value is None:
        return "not defined"
    if row.ci is None:
        return f"{row.value:.2f}"
    return f"{row.value:.2f} (95 % CI {row.ci[0]:.2f} to {row.ci[1]:.2f})"


def screening_agreement_rows(reports: Mapping[str, Any]) -> list[AgreementRow]:
    """Rows from :func:`reviewflow.stages.screening.agreement` (stage → AgreementReport).

    The headline is the statistic the design calls for: Cohen's κ (with its CI) for each
    pair of reviewers when no item had three, Fleiss' κ where three or more rated the same
    items. When that κ is undefined (every rating in one category) the row shows a
    statistic that is defined (Gwet's AC1, else observed agreement) and says why.
    """
    names = {"ta": "Title/abstract screening", "ft": "Full-text screening"}
    rows = []
    for stage, rep in reports.items():
        name = names.get(stage, stage)
        if rep.n_rated_by_three:
            rows.append(_fleiss_row(name, rep))
        else:
            rows += [_cohen_row(name, pair) for pair in rep.pairs]
    return rows


def _cohen_row(stage: str, pair: Any) -> AgreementRow:
    k = pair.kappa
    agreed = f"agreed on {pair.percent_agreement * 100:.1f} %"
    reviewers, n = ", ".join(pair.reviewers), pair.n
    if k.kappa is not None:
        ci = (k.ci_low, k.ci_high) if k.ci_low is not None else None
        extra = [agreed, f"Gwet's AC1 {_two(pair.ac1.ac1)}"]
        if pair.landis_koch:
            extra.append(f"{pair.landis_koch} (Landis & Koch)")
        return AgreementRow(stage, reviewers, n, "Cohen's κ", k.kappa, "; ".join(extra), ci)
    why = f"Cohen's κ not defined: {_reason(k.reason)}"
    if pair.ac1.ac1 is not None:
        return AgreementRow(stage, reviewers, n, "Gwet's AC1", pair.ac1.ac1, f"{why}; {agreed}")
    return AgreementRow(stage, reviewers, n, "Observed agreement", pair.percent_agreement, why)


def _fleiss_row(stage: str, rep: Any) -> AgreementRow:
    reviewers, n = ", ".join(rep.reviewers), rep.n_rated_by_three
    ac1 = rep.ac1.ac1
    if rep.fleiss_kappa is not None:
        note = f"Gwet's AC1 {ac1:.2f}" if ac1 is not None else ""
        return AgreementRow(stage, reviewers, n, "Fleiss' κ", rep.fleiss_kappa, note)
    why = "Fleiss' κ not defined: every rating is in one category"
    if ac1 is not None:
        return AgreementRow(stage, reviewers, n, "Gwet's AC1", ac1, why)
    return AgreementRow(stage, reviewers, n, "Observed agreement", rep.ac1.observed, why)


def _reason(reason: str | None) -> str:
    """Why κ is undefined, without repeating "κ is undefined"."""
    text = reason or "no variation in the ratings"
    return text.split(": ", 1)[-1] if text.startswith("κ is undefined") else text


def pilot_agreement_row(report: Any) -> AgreementRow:
    """A row from :func:`reviewflow.stages.extraction.agreement.pilot_agreement`."""
    disagree = [f.label for f in report.fields if f.disagreements]
    return AgreementRow(
        "Data extraction (pilot)",
        ", ".join(report.reviewers),
        report.compared,
        "Proportion of answers agreed",
        report.proportion,
        f"{len(report.studies)} studies; disagreed on: " + ", ".join(disagree)
        if disagree
        else f"{len(report.studies)} studies",
    )


def appraisal_agreement_row(result: Any) -> AgreementRow:
    """A row from :func:`reviewflow.stages.appraisal.consensus.appraisal_agreement`."""
    return AgreementRow(
        "Quality appraisal",
        ", ".join(result.appraisers),
        sum(i.compared for i in result.items),
        "Proportion of items agreed",
        result.proportion,
        f"{len(result.studies)} studies; {len(result.disagreements)} disagreements resolved "
        f"by consensus; Gwet's AC1 {_two(result.ac1.ac1)}",
    )


def _two(x: float | None) -> str:
    return "not defined" if x is None else f"{x:.2f}"


# -- synthesis -------------------------------------------------------------------------------


def theme_summary(
    tree: Sequence[Mapping[str, Any]],
    study_labels: Mapping[int, str],
    *,
    quotes_per_theme: int = 2,
) -> Table:
    """Analytical and descriptive themes with their studies, exemplar codes and quotes.

    Studies are the derived ones (coded data); where the review text reports the theme for
    more studies than its data show, a note says so rather than widening the row.
    """
    rows, notes = [], []
    for top in tree:
        for node in [top, *top.get("themes", [])]:
            studies = [study_labels.get(s, str(s)) for s in node["studies"]]
            quotes = [
                f"{as_quotation(q['text'])} "
                f"({study_labels.get(q['study_id'], q.get('study') or '')})"
                for q in node.get("quotes", [])[:quotes_per_theme]
            ]
            rows.append(
                [
                    f"{node['label'] or ''} {node['name']}".strip(),
                    node["kind"],
                    f"{len(studies)}: " + "; ".join(studies) if studies else "0",
                    "; ".join(node.get("codes", [])),
                    " ".join(quotes),
                ]
            )
            reported = node.get("reported_studies")
            if reported and set(reported) - set(node["studies"]):
                notes.append(
                    f"Theme {node['label'] or node['name']}: the text reports {len(reported)} "
                    f"studies, the coded quotes support {len(node['studies'])}."
                )
    return Table(
        "Themes with exemplar codes and supporting quotes",
        ["Theme", "Kind", "Studies", "Exemplar codes", "Supporting quotes"],
        rows,
        notes=notes,
    )


def soqf_table(rows: Sequence[Any]) -> Table:
    """GRADE-CERQual Summary of Qualitative Findings from :func:`cerqual.soqf_table` rows."""
    out = []
    for r in rows:
        concerns = "; ".join(
            f"{name.replace('_', ' ')}: {c['level']}" for name, c in r.components.items() if c
        )
        out.append(
            [
                f"{r.label or r.finding_id}. {r.statement}",
                ", ".join(r.themes),
                "; ".join(r.study_labels),
                concerns or "not judged",
                r.overall or "not judged",
                r.explanation or "",
            ]
        )
    table = Table(
        "Summary of Qualitative Findings (GRADE-CERQual)",
        ["Review finding", "Themes", "Contributing studies", "Concerns", "Confidence", "Why"],
        out,
    )
    if not rows:
        table.notes.append("No CERQual assessment is recorded in this project.")
    return table
