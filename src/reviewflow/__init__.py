r"""reviewflow: systematic reviews with qualitative evidence synthesis, reproducibly.

The public Python API is what ``__all__`` names: :class:`Project` and its
:class:`Session`, the errors, and one function per step of a review. The CLI and the web
app are thin shells over these same functions. Every function names the person acting
``reviewer=``; left out, it is the actor of the open session. A review from a database export to its
report (run it in an empty folder; tests/test_public_api.py runs this very example)::

    import reviewflow as rf
    from pathlib import Path

    ris = "TY  - JOUR\nTI  - {}\nAU  - {}\nPY  - 2020\nDO  - {}\nER  - \n"
    export = Path("embase.ris")  # three records: the first two are one paper
    export.write_text(ris.format("Link workers and loneliness", "Hall, Jane", "10.1000/lw") * 2
                      + ris.format("Knee replacement outcomes", "Roe, Kim", "10.1000/knee"))
    project = rf.Project.create("review", title="Link workers and loneliness",
        reviewers=[rf.Reviewer(initials="AB"), rf.Reviewer(initials="CD")],
        screening=rf.ScreeningSettings(ta={"reviewers": ["AB"], "second_reviewers": ["CD"]}))
    with project.session(actor="AB"):            # one unit of work, one actor
        rf.add_search(project, rf.SearchEntry(source="Embase", records_returned=3),
                      export_file=export)
        rf.import_file(project, export)          # records 1-3, linked to search 1
        rf.dedup(project)                        # links record 2 to record 1, deletes nothing
    for who in ("AB", "CD"):                     # two reviewers, blind to each other
        with project.session(actor=who):         # decide() records the session's actor
            rf.decide(project, stage="ta", item_id=1, decision="include")
            rf.decide(project, stage="ta", item_id=3, decision="exclude")
    with project.session(actor="AB"):
        rf.create_reports(project)               # record 1 goes on to full text
    counts = rf.prisma_counts(project)           # 3 identified, 1 duplicate, 2 screened
    assert rf.check_prisma(counts) == []         # the PRISMA boxes add up
    rf.write_report(project, formats=["html"])   # review/reports/report.html

Names are imported on first use, so ``import reviewflow`` stays fast (and so does
``reviewflow --help``): :data:`_API` maps each public name to where it lives.
"""

from __future__ import annotations

import importlib
from typing import Any

__version__ = "0.1.0"

# Public name -> "module:attribute" (module relative to this package). The ONE table of the
# public API: when a module moves, change its path here. tests/test_public_api.py checks
# that every name resolves, and that none is also a submodule's name (importing
# reviewflow.agreement would replace a function called "agreement").
# fmt: off
_API: dict[str, str] = {
    # the project and its unit of work
    "Project": "project:Project",
    "Session": "session:Session",
    "Reviewer": "settings:Reviewer",
    "ScreeningSettings": "settings:ScreeningSettings",
    "current_actor": "store:current_actor",
    # errors, and the next step each names
    "NextAction": "errors:NextAction",
    "ReviewflowError": "errors:ReviewflowError",
    "ProjectError": "errors:ProjectError",
    "StoreError": "errors:StoreError",
    "InputError": "errors:InputError",
    "ParseError": "errors:ParseError",
    "LimitError": "errors:LimitError",
    "DuplicateImportError": "errors:DuplicateImportError",
    "NotFoundError": "errors:NotFoundError",
    "StateError": "errors:StateError",
    # searches and import
    "SearchEntry": "stages.searches:SearchEntry",
    "add_search": "stages.searches:add",
    "import_file": "stages.importing:run",
    "remove_import": "stages.importing.changes:remove",
    # deduplication
    "dedup": "stages.dedup.project:run",
    "dedup_queue": "stages.dedup.project:review_queue",
    "decide_pair": "stages.dedup.project:decide_pair",
    "undo_duplicates": "stages.dedup.project:undo",
    # screening (title/abstract and full text)
    "decide": "stages.screening:decide",
    "withdraw": "stages.screening:withdraw",
    "import_sheet": "stages.screening:import_sheet",
    "conflicts": "stages.screening:conflicts",
    "resolve": "stages.screening:resolve",
    "screening_agreement": "stages.screening:agreement",
    "close_stage": "stages.screening:close_stage",
    "screening_counts": "stages.screening:counts",
    # full texts and studies
    "create_reports": "stages.screening:create_reports",
    "list_reports": "stages.screening:list_reports",
    "attach_full_text": "stages.retrieval:retrieve",
    "attach_files": "stages.retrieval.folder:attach_files",
    "not_retrieved": "stages.retrieval:not_retrieved",
    "list_studies": "stages.studies:list_studies",
    "included_studies": "stages.studies:included",
    "rename_study": "stages.studies:rename",
    # extraction
    "record_extraction": "stages.extraction.project:record_extraction",
    "verify_extraction": "stages.extraction.project:verify",
    "resolve_extraction": "stages.extraction.project:resolve",
    "extraction_discrepancies": "stages.extraction.project:discrepancies",
    # appraisal
    "record_appraisal": "stages.appraisal.project:record_appraisal",
    "record_consensus": "stages.appraisal.project:record_consensus",
    "appraisal_agreement": "stages.appraisal.project:agreement",
    "appraisal_overview": "stages.appraisal.project:overview",
    # thematic synthesis and GRADE-CERQual
    "import_findings": "stages.synthesis.findings:import_findings",
    "create_code": "stages.synthesis.codes:create_code",
    "apply_code": "stages.synthesis.codes:apply_code",
    "create_theme": "stages.synthesis.themes:create_theme",
    "group_codes": "stages.synthesis.themes:group_codes",
    "add_quote": "stages.synthesis.themes:add_quote",
    "theme_tree": "stages.synthesis.themes:theme_tree",
    "add_finding": "stages.synthesis.cerqual:add_finding",
    "judge_finding": "stages.synthesis.cerqual:judge",
    "soqf_table": "stages.synthesis.cerqual:soqf_table",
    # reports
    "prisma_counts": "reports.prisma_project:counts_from_project",
    "check_prisma": "reports.prisma:check",
    "write_report": "reports.report:build_report",
}
# fmt: on

__all__ = ["__version__", *_API]


def __getattr__(name: str) -> Any:
    """Import a public name on first use (PEP 562) and keep it for the next."""
    target = _API.get(name)
    if target is None:
        raise AttributeError(f"module 'reviewflow' has no attribute {name!r}")
    module, _, attr = target.partition(":")
    value = getattr(importlib.import_module(f"{__name__}.{module}"), attr)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *_API})
