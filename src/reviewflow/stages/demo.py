"""``reviewflow demo``: the seed review (Cooper et al., social prescribing for mental health)
built as a project from data bundled in the package, and its full report.

What the seed gives as records or decisions is entered through the stage functions (the
search log, the thematic synthesis); what it gives only as a total (records per database,
full-text exclusions without reasons) is *declared*, and the report marks it so. Extraction
and appraisal are replayed through their pure cores (pilot, verification, consensus)
because their store side is not in the project yet; the figures the seed states about its
own review are then recomputed and compared, and every disagreement is listed.
Offline, a few seconds.
"""

from __future__ import annotations

import tomllib
from collections import Counter
from importlib import resources
from pathlib import Path
from typing import Any

from ..appraisal.consensus import appraisal_agreement, consensus
from ..appraisal.seed import load_seed_appraisals
from ..extraction.agreement import pilot_agreement
from ..extraction.seed import load_seed_extraction
from ..extraction.values import NOT_REPORTED
from ..extraction.verify import final_answers
from ..project import Project
from ..reports.report import (
    AppraisalData,
    ExtractionData,
    Progress,
    ReportData,
    Statement,
    build_report,
    collect,
    save_declared,
)
from ..settings import Reviewer
from . import searches
from .synthesis import seed as synthesis_seed

TITLE = (
    "Service User Perspectives on Social Prescribing Services for Mental Health in the UK: "
    "A Systematic Review (demo)"
)
QUESTION = (
    "How do UK social prescribing services support adult service users with their mental "
    "health management? (qualitative evidence synthesis)"
)
REVIEWERS = [
    ("MC", "first reviewer, extraction, coding"),
    ("CJ", "second title/abstract reviewer, extraction pilot"),
    ("DF", "full-text reviewer"),
    ("JS", "full-text reviewer, second appraiser"),
    ("LA", "arbiter"),
    ("KA", "extraction verifier"),
    ("LE", "information scientist (searches)"),
]
TABLE1_COLUMNS = (
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
)


def _searches_data() -> dict[str, Any]:
    path = resources.files("reviewflow") / "data" / "seed" / "searches.toml"
    return tomllib.loads(path.read_text(encoding="utf-8"))


def create_project(root: str | Path) -> Project:
    """The seed review as a project: reviewers, search log and thematic synthesis."""
    project = Project.create(
        root,
        title=TITLE,
        question=QUESTION,
        reviewers=[Reviewer(initials=i, role=r) for i, r in REVIEWERS],
    )
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
    synthesis_seed.build_seed(project)
    return project


def extraction_data() -> ExtractionData:
    """Table 1 from the seed's extraction, piloted (MC, CJ) and verified (KA)."""
    seed = load_seed_extraction()
    answers = {
        sid: final_answers(seed.form, ext, seed.verifications[sid], seed.resolutions[sid])
        for sid, ext in seed.extractions.items()
    }
    return ExtractionData(
        seed.form,
        answers,
        seed.labels,
        columns=TABLE1_COLUMNS,
        stated={"sample_size": _searches_data()["stated"]["participants"]},
        pilot=pilot_agreement(seed.form, seed.pilot_first, seed.pilot_second),
    )


def appraisal_data(labels: dict[str, str]) -> AppraisalData:
    """Consensus of the two CASP appraisals per study, with the published scores."""
    seed = load_seed_appraisals()
    agreed = {
        sid: consensus(
            seed.checklist,
            seed.first[sid],
            seed.second[sid],
            seed.resolutions[sid],
            by=seed.consensus_by,
        )
        for sid in seed.first
    }
    return AppraisalData(
        seed.checklist,
        seed.scheme,
        agreed,
        labels,
        published=dict(seed.published),
        agreement=appraisal_agreement(
            seed.checklist, list(seed.first.values()), list(seed.second.values())
        ),
    )


def declared_counts(project: Project) -> dict[str, Any]:
    """The seed's totals, declared; full-text exclusions are assessed − included."""
    declared: dict[str, Any] = dict(_searches_data()["declared"])
    # deduplication ran in EndNote X9 and no counts are given: unknown, not zero
    declared.update(duplicates_removed=None, excluded_automation=None, removed_other=None)
    declared["exclusion_reasons"] = [
        (
            "Reasons not reported in the publication",
            declared["reports_assessed"] - declared["reports_included"],
        )
    ]
    return declared


def run(
    root: str | Path,
    *,
    formats: tuple[str, ...] = ("html", "docx", "md"),
    progress: Progress | None = None,
) -> tuple[Project, ReportData, dict[str, Path]]:
    """Build the demo project in ``root`` and write its report to ``root/reports``."""
    project = create_project(root)
    declared = declared_counts(project)
    save_declared(project, declared)
    extraction = extraction_data()
    appraisal = appraisal_data(dict(extraction.labels))
    data = collect(
        project,
        declared=declared,
        extraction=extraction,
        appraisal=appraisal,
        progress=progress,
    )
    data.statements = seed_statements(project, data, extraction, appraisal)
    data.notes.append(
        "Demo data: the search log, studies, codes, themes and quotes are stored in the "
        "project; extraction and appraisal are replayed from the bundled seed data through "
        "the pilot, verification and consensus functions (their store side is not in the "
        "project yet). Per-question CASP answers are reconstructed to match every published "
        "statement; the second pilot extraction and the verifier's proposal are illustrative."
    )
    paths = build_report(project, formats=formats, out_dir=Path(root) / "reports", data=data)
    return project, data, paths


# -- the seed's own figures, recomputed -----------------------------------------------------


def _st(claim: str, stated: Any, computed: Any, note: str = "") -> Statement:
    return Statement(claim, str(stated), str(computed), str(stated) == str(computed), note)


def seed_statements(
    project: Project, data: ReportData, extraction: ExtractionData, appraisal: AppraisalData
) -> list[Statement]:
    """Every figure the seed states about its own review, next to the computed value."""
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
            len(extraction.answers),
            "studies with a verified extraction",
        ),
    ]
    out += _table1_statements(extraction, stated["participants"])
    out += _appraisal_statements(appraisal)
    out += _synthesis_statements(project)
    return out


def _table1_statements(ex: ExtractionData, participants: int) -> list[Statement]:
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
                str(x.get("reason_for_referral", "")) + " " + _note(s, "reason_for_referral")
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


def _note(study: str, field: str) -> str:
    seed = load_seed_extraction()
    return str(seed.extractions[study].notes.get(field, ""))


def _round(x: float) -> int:
    return int(x + 0.5)


def _appraisal_statements(ap: AppraisalData) -> list[Statement]:
    from ..appraisal.scoring import score

    scores = {s: score(ap.checklist, ap.scheme, a) for s, a in ap.appraisals.items()}
    points = [s.points for s in scores.values() if s.points is not None]
    bands = Counter(s.band for s in scores.values())
    published = ap.published or {}
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
    from .synthesis import codes as code_mod
    from .synthesis import themes

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
