"""``reviewflow demo``: the seed review (Cooper et al., social prescribing for mental health)
built as a project from data bundled in the package, and its full report.

Everything the seed gives as records or decisions is recorded through the stage functions,
so ``reviewflow report`` run later in the demo folder reads it back from the store and
writes the same report: the search log; the screening plans in review.toml and the
full-text stage of the six included reports (MC, DF and JS include each); the extraction
piloted (MC, CJ), extracted (MC), verified (KA) and resolved; both CASP appraisals (MC, JS)
and their consensus; the thematic synthesis. What the seed gives only as a total (records
per database, records screened, full-text exclusions without reasons) is *declared* in
``[report.declared]`` and the report marks it so. ``[report] published = "seed"`` makes the
report recompute every figure the seed states about its own review and list each
disagreement: :func:`check_published` is the check the report runs then (the report
itself knows no publication; ``reviewflow report`` and :func:`run` pass it in). Offline,
a few seconds.
"""

from __future__ import annotations

import tempfile
import tomllib
from collections import Counter
from importlib import resources
from pathlib import Path
from typing import Any

from ..project import Project
from ..reports.report import (
    AppraisalData,
    ExtractionData,
    Progress,
    PublishedCheck,
    ReportData,
    Statement,
    build_report,
    collect,
)
from ..settings import (
    AppraisalSettings,
    ExtractionSettings,
    FormRef,
    ReportSettings,
    Reviewer,
    Role,
    ScreeningSettings,
    Settings,
    declared_model,
)
from ..stages import retrieval, screening, searches, studies
from ..stages.appraisal import project as appraise
from ..stages.extraction import project as extract
from ..stages.extraction.values import NOT_REPORTED
from . import synthesis as synthesis_seed
from .appraisal import load_seed_appraisals
from .extraction import load_seed_extraction

TITLE = (
    "Service User Perspectives on Social Prescribing Services for Mental Health in the UK: "
    "A Systematic Review (demo)"
)
QUESTION = (
    "How do UK social prescribing services support adult service users with their mental "
    "health management? (qualitative evidence synthesis)"
)
#: The team, named as in the seed's reference 14 (Cooper M, Avery L, Scott J, Ashley K,
#: Jordan C, Errington L, Flynn D); they become the demo project's users. MC, first
#: author, owns it; LA arbitrates both stages (the plan makes her an arbiter).
REVIEWERS: list[tuple[str, str, str, list[Role]]] = [
    ("MC", "M Cooper", "first reviewer, extraction, coding", ["owner", "reviewer"]),
    ("CJ", "C Jordan", "second title/abstract reviewer, extraction pilot", []),
    ("DF", "D Flynn", "full-text reviewer", []),
    ("JS", "J Scott", "full-text reviewer, second appraiser", []),
    ("LA", "L Avery", "arbiter", ["arbiter"]),
    ("KA", "K Ashley", "extraction verifier", []),
    ("LE", "L Errington", "information scientist (searches)", []),
]
TABLE1_COLUMNS = [
    "country",
    "sample_size",
    "age_mean",
    "female_percent",
    "male_percent",
    "ethnicity",
    "employment",
    "reason_for_referral",
    "model",
    "timing",
]
#: The seed's plans (Methods, "Screening"); the README shows the same toml. Disagreements
#: "at both stages" went to LA, so title/abstract too is unanimous-else-arbiter; the seed
#: reports no ranking. The seed names no exclusion reasons, so the protocol list is the
#: review's eligibility criteria.
PLANS = {
    "reasons": ["not UK-based", "not social prescribing", "no qualitative data",
                "not adults", "not mental health"],
    "ta": {"reviewers": ["MC"], "second_reviewers": ["CJ"], "double_share": 0.20,
           "seed": 2022, "arbiter": "LA", "rule": "unanimous_else_arbiter",
           "reason_required": False, "ranking": False},
    "ft": {"reviewers": ["MC", "DF", "JS"], "double_share": 1.0, "arbiter": "LA",
           "rule": "unanimous_else_arbiter", "reason_required": True},
}  # fmt: skip
FT_NOTE = "Included in the published review; the seed gives no individual votes."
NOTE = (
    "Demo data: the search log, the screening plans, the full-text inclusion of the six "
    "studies, the extraction (pilot, extraction, verification, resolution), both appraisals "
    "and their consensus, and the codes, themes and quotes are recorded in the project, and "
    "this report reads them back from its store. The seed gives no per-record decisions: "
    "title/abstract screening and the 282 full-text exclusions are declared totals, and the "
    "full-text votes on the six included reports are the published inclusion (so their "
    "agreement says nothing about the 288 assessed). Per-question CASP answers are "
    "reconstructed to match every published statement; the second pilot extraction and the "
    "verifier's proposal are illustrative."
)


def _searches_data() -> dict[str, Any]:
    path = resources.files("reviewflow.demo") / "data" / "searches.toml"
    return tomllib.loads(path.read_text(encoding="utf-8"))


def protocol() -> Settings:
    """The seed review's protocol: team, plans, form, checklist scheme, declared counts.

    The project is created with all of it as protocol version 1, so building the demo
    writes review.toml once and never rewrites it."""
    return Settings(
        title=TITLE,
        question=QUESTION,
        reviewers=[
            Reviewer(initials=i, name=n, role=r, roles=roles) for i, n, r, roles in REVIEWERS
        ],
        screening=ScreeningSettings.model_validate(PLANS),
        extraction=ExtractionSettings(forms=[FormRef(source="social_prescribing", version=1)]),
        appraisal=AppraisalSettings(scheme="weighted_bands"),
        report=ReportSettings(
            declared=declared_model(declared_counts()),
            table1_columns=TABLE1_COLUMNS,
            stated_totals={"sample_size": _searches_data()["stated"]["participants"]},
            published="seed",
        ),
    )


def create_project(root: str | Path) -> Project:
    """The seed review as a project: protocol, search log, full text, extraction,
    appraisal and thematic synthesis, each recorded through its stage functions."""
    project = Project.create_from(root, protocol())
    _search_log(project)
    studies = _full_text(project)
    synthesis_seed.build_seed(project)
    _extraction(project, studies)
    _appraisal(project, studies)
    return project


def _search_log(project: Project) -> None:
    data = _searches_data()
    common = {
        "date_searched": data["date_searched"],
        "searcher": data["searcher"],
        "limits": data["limits"],
        "query": data["query"],
    }
    for db in data["databases"]:
        searches.add(project, searches.SearchEntry(method="database", **common, **db))
    for other in data["other"]:
        searches.add(
            project,
            searches.SearchEntry(date_searched=None, searcher=None, **other),
        )


def study_labels() -> dict[str, str]:
    """Seed study key (e.g. "stickley2012") → the study's label in the project, which is
    the synthesis seed's ("Stickley et al. 2012 [24]"), in the order of the seed's Table 1."""
    refs = {s["ref"]: s["label"] for s in synthesis_seed.load_seed()["studies"]}
    path = resources.files("reviewflow.demo") / "data" / "extraction.toml"
    table1 = tomllib.loads(path.read_text(encoding="utf-8"))["studies"]
    return {s["id"]: refs[s["reference"]] for s in table1}


def _full_text(project: Project) -> dict[str, str]:
    """The six included reports, each a study: retrieved (a stand-in file: the demo ships
    no PDFs) and included by MC, DF and JS. Returns seed key → study label."""
    labels = study_labels()
    # found by the database searches, whose records the seed does not give
    reports = {key: studies.add_with_report(project, label) for key, label in labels.items()}
    with tempfile.TemporaryDirectory() as tmp:
        for key, rid in reports.items():
            stand_in = Path(tmp) / f"{key}.txt"
            stand_in.write_text(
                f"{labels[key]}\n\nStand-in for the full text: the demo bundles no PDFs.\n",
                encoding="utf-8",
            )
            retrieval.retrieve(project, rid, file=stand_in, reviewer="MC")
    screening.record(
        project,
        [
            screening.Decision("ft", rid, who, "include", note=FT_NOTE)
            for rid in reports.values()
            for who in PLANS["ft"]["reviewers"]  # type: ignore[index]
        ],
    )
    return labels


def _extraction(project: Project, labels: dict[str, str]) -> None:
    """Pilot (MC, CJ on three studies), extraction (MC), verification (KA), resolution."""
    seed = load_seed_extraction()
    pilot = {e.study for e in seed.pilot_first}
    for key, ext in seed.extractions.items():
        extract.record_extraction(
            project,
            labels[key],
            reviewer=ext.reviewer,
            answers=ext.answers,
            notes=ext.notes,
            pilot=key in pilot,
        )
    for ext in seed.pilot_second:
        extract.record_extraction(
            project, labels[ext.study], reviewer=ext.reviewer, answers=ext.answers, pilot=True
        )
    for key, verification in seed.verifications.items():
        checks = {
            c.field: "agree" if c.agree else {"value": c.value, "note": c.note}
            for c in verification.checks
        }
        extract.verify(
            project,
            labels[key],
            reviewer=verification.reviewer,
            checks=checks,
            of=seed.extractions[key].reviewer,
        )
    for key, resolutions in seed.resolutions.items():
        for r in resolutions:
            extract.resolve(
                project,
                labels[key],
                reviewer=r.by,
                values={r.field: r.value},
                notes={r.field: r.note} if r.note else None,
            )


def _appraisal(project: Project, labels: dict[str, str]) -> None:
    """Two independent CASP appraisals per study (MC, JS) and their consensus."""
    seed = load_seed_appraisals()
    for side in (seed.first, seed.second):
        for key, a in side.items():
            appraise.record_appraisal(
                project, labels[key], reviewer=a.appraiser, answers=a.answers, notes=a.notes
            )
    appraise.record_agreed_consensus(project, reviewer=seed.consensus_by)
    for key, resolutions in seed.resolutions.items():
        if resolutions:
            appraise.record_consensus(
                project, labels[key], reviewer=seed.consensus_by, resolutions=resolutions
            )


def declared_counts(project: Project | None = None) -> dict[str, Any]:
    """The seed's totals, declared; what it does not give is declared unknown, not zero."""
    declared: dict[str, Any] = dict(_searches_data()["declared"])
    # deduplication ran in EndNote X9 and no counts are given; title/abstract screening
    # and retrieval are described but not counted
    unknown = ("duplicates_removed", "excluded_automation", "removed_other",
               "records_screened", "records_excluded", "reports_sought",
               "reports_not_retrieved")  # fmt: skip
    declared.update(dict.fromkeys(unknown))
    # the six included reports are recorded (and derived); the 282 exclusions are not
    declared.pop("reports_included", None)
    excluded = declared["reports_assessed"] - len(study_labels())
    declared["reports_excluded"] = excluded
    declared["exclusion_reasons"] = [("Reasons not reported in the publication", excluded)]
    return declared


def run(
    root: str | Path,
    *,
    formats: tuple[str, ...] = ("html", "docx", "md"),
    progress: Progress | None = None,
) -> tuple[Project, ReportData, dict[str, Path]]:
    """Build the demo project in ``root`` and write its report to ``root/reports``.

    The report is the one ``reviewflow report`` writes in that folder: it is collected
    from the store alone."""
    project = create_project(root)
    data = collect(project, published=check_published, progress=progress)
    paths = build_report(project, formats=formats, out_dir=Path(root) / "reports", data=data)
    return project, data, paths


# -- the seed's own figures, recomputed -----------------------------------------------------


def published_check(name: str | None) -> PublishedCheck | None:
    """The check of the publication ``[report] published`` names ("seed": the seed
    review's, :func:`check_published`), or None."""
    return check_published if name == "seed" else None


def check_published(
    project: Project,
    data: ReportData,
    extraction: ExtractionData | None,
    appraisal: AppraisalData | None,
) -> tuple[list[Statement], list[str]]:
    """The report's statements for ``[report] published = "seed"`` (every figure the
    seed states, recomputed) and the demo's note on what its data are."""
    return seed_statements(project, data, extraction, appraisal), [NOTE]


def _st(claim: str, stated: Any, computed: Any, note: str = "") -> Statement:
    return Statement(claim, str(stated), str(computed), str(stated) == str(computed), note)


def seed_statements(
    project: Project,
    data: ReportData,
    extraction: ExtractionData | None,
    appraisal: AppraisalData | None,
) -> list[Statement]:
    """Every figure the seed states about its own review, next to the value the project's
    store gives (the report shows them when review.toml says ``[report] published = "seed"``).
    """
    stated = _searches_data()["stated"]
    c = data.prisma
    logged = searches.list_all(project)
    out = [
        _st(
            "Databases searched",
            stated["databases_searched"],
            sum(1 for s in logged if s["method"] == "database"),
        ),
        _st(
            "Records from electronic searches",
            f"{stated['records_from_databases']:,}",
            f"{c.databases_n:,}" if c.databases_n is not None else "not reported",
            "declared total (per-database counts are not given)",
        ),
        _st(
            "Records from hand and citation searching",
            stated["records_other_methods"],
            sum(s["records_returned"] or 0 for s in logged if s["method"] != "database"),
            "from the search log",
        ),
        _st("Full texts assessed", stated["reports_assessed"], c.reports_assessed, "declared"),
        _st(
            "Studies included",
            stated["studies_included"],
            c.studies_included,
            "derived from the full-text stage",
        ),
    ]
    if extraction is not None:
        out += _table1_statements(project, extraction, stated["participants"])
    if appraisal is not None:
        out += _appraisal_statements(appraisal)
    out += _synthesis_statements(project)
    return out


def _table1_statements(project: Project, ex: ExtractionData, participants: int) -> list[Statement]:
    a = ex.answers

    def count(field: str, value: str) -> int:
        return sum(1 for x in a.values() if x.get(field) == value)

    def reported(field: str) -> list[Any]:
        return [x[field] for x in a.values() if x.get(field) not in (None, NOT_REPORTED)]

    ages = reported("age_mean")
    sexes = Counter(
        "even"
        if x["female_percent"] == x["male_percent"]
        else "female"
        if x["female_percent"] > x["male_percent"]
        else "male"
        for x in a.values()
    )
    isolation = sum(
        1
        for s, x in a.items()
        if any(
            w
            in (
                str(x.get("reason_for_referral", ""))
                + " "
                + _note(project, s, "reason_for_referral")
            ).lower()
            for w in ("isolation", "loneliness")
        )
    )
    rows: Counter[str] = Counter()
    for x in reported("ethnicity"):
        for r in x:
            rows[r.label] += r.count
    white_british = sum(n for k, n in rows.items() if "british" in k.lower())
    jobs: Counter[str] = Counter()
    for x in reported("employment"):
        for r in x:
            jobs[r.label.lower()] += r.count
    return [
        _st(
            "Combined sample size (participants)",
            participants,
            sum(x["sample_size"] for x in a.values()),
            "the six Table 1 sample sizes add up to 221",
        ),
        _st(
            "Studies in England / Scotland / Wales",
            "4 / 1 / 1",
            f"{count('country', 'England')} / {count('country', 'Scotland')} / "
            f"{count('country', 'Wales')}",
        ),
        _st(
            "Link worker / direct referral model",
            "5 / 1",
            f"{count('model', 'Link worker')} / {count('model', 'Direct referral')}",
        ),
        _st(
            "Data after / during / during and after engagement",
            "3 / 1 / 2",
            f"{count('timing', 'After engagement')} / {count('timing', 'During engagement')} / "
            f"{count('timing', 'During and after engagement')}",
        ),
        _st(
            "Referred for social isolation and/or loneliness (studies)",
            4,
            isolation,
            "Stickley 2012 counts through its 'mental health needs' definition",
        ),
        _st(
            "Mean age range (years)",
            "47 to 77",
            f"{_round(min(ages))} to {_round(max(ages))}",
            f"{min(ages):g} to {max(ages):g} before rounding",
        ),
        _st("Studies without age data", 2, len(a) - len(ages)),
        _st(
            "Even / more female / more male",
            "2 / 2 / 2",
            f"{sexes['even']} / {sexes['female']} / {sexes['male']}",
            "Kellezi 2019 reports 63 % female + 32 % male = 95 %",
        ),
        _st("Studies reporting ethnicity", 3, len(reported("ethnicity"))),
        _st("British and/or White (incl. Black-British)", 54, white_british),
        _st(
            "Black Minority Ethnic / White-Irish / Asian",
            "5 / 1 / 1",
            f"{rows['Black Minority Ethnic']} / {rows['White Irish']} / {rows['Asian']}",
            f"the text omits Afro-Caribbean (n={rows['Afro-Caribbean']}, Stickley 2012)",
        ),
        _st("Studies reporting employment", 3, len(reported("employment"))),
        _st(
            "Employed / retired / unemployed",
            "16 / 34 / 23",
            f"{jobs['employed']} / {jobs['retired']} / {jobs['unemployed']}",
        ),
    ]


def _note(project: Project, study: str, field: str) -> str:
    """The extractor's note on a field, from the store (the seed's notes qualify answers)."""
    history = extract.study_extraction(project, study).history
    notes = [e.note for e in history if e.field == field and e.note and "extracted" in e.action]
    return notes[-1] if notes else ""


def _round(x: float) -> int:
    return int(x + 0.5)


def _appraisal_statements(ap: AppraisalData) -> list[Statement]:
    from ..stages.appraisal.scoring import score

    scores = {s: score(ap.checklist, ap.scheme, a) for s, a in ap.appraisals.items()}
    points = [s.points for s in scores.values() if s.points is not None]
    bands = Counter(s.band for s in scores.values())
    labels = study_labels()
    published = {labels[k]: v for k, v in load_seed_appraisals().published.items()}
    same = sum(1 for s, sc in scores.items() if s in published and sc.points == published[s][0])

    def yes(item: str) -> int:
        return sum(1 for a in ap.appraisals.values() if a.answers.get(item) == "yes")

    return [
        _st(
            "CASP scores equal to Table 1",
            f"{len(published)} of {len(published)}",
            f"{same} of {len(published)}",
        ),
        _st("Score range", "15 to 20", f"{min(points):g} to {max(points):g}"),
        _st("Very valuable / valuable", "5 / 1", f"{bands['very valuable']} / {bands['valuable']}"),
        _st("Researcher-participant relationship considered (Q6)", 1, yes("q6")),
        _st("Ethical statement (Q7)", 4, yes("q7")),
        _st("Rigorous data analysis (Q8)", 5, yes("q8")),
    ]


def _synthesis_statements(project: Project) -> list[Statement]:
    from ..stages.synthesis import codes as code_mod
    from ..stages.synthesis import themes

    published = synthesis_seed.load_seed()["published"]
    tree = themes.theme_tree(project)
    descriptive = [t for top in tree for t in top["themes"]]
    n_codes = len(code_mod.list_codes(project))
    out = [
        _st("Analytical themes", published["analytical_themes"], len(tree)),
        _st("Descriptive themes", published["descriptive_themes"], len(descriptive)),
        _st(
            "Descriptive themes announced for analytical theme 1",
            published["descriptive_themes_announced_for_theme_1"],
            len(tree[0]["themes"]) if tree else 0,
            "the text announces five and lists four (1.1-1.4)",
        ),
        _st(
            "Codes",
            published["codes"],
            n_codes,
            "the seed does not list its 10 codes; the demo's codes are exemplar codes "
            "derived from the theme descriptions",
        ),
    ]
    for row in synthesis_seed.compare_with_published(project):
        if row["reported"]:
            out.append(
                _st(
                    f"Studies reporting theme {row['label']}",
                    len(row["reported"]),
                    len(row["derived"]),
                    "derived from the coded quotes the text cites",
                )
            )
    return out
