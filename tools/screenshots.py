"""Screenshots of every web page at 1366x768 and at a phone width (390x844), to look at.

Builds a fresh team project (as tests/web/conftest.py does: a new team, an RIS export
imported, nothing from the demo), plays a little screening so that every page has
something on it, serves it, and saves one PNG per page, user and width into OUTDIR.

Usage: python tools/screenshots.py OUTDIR [--only NAME]
"""

from __future__ import annotations

import argparse
import hashlib
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests" / "web"))  # the kits import webkit as the tests do

from tests.conftest import _write_tiny_pdf  # noqa: E402
from tests.web.appraisal_kit import prepare_screenshots  # noqa: E402
from tests.web.extraction_kit import prepare_screenshots as prepare_extraction  # noqa: E402
from tests.web.web_browser import chromium, live_server, signed_in_page  # noqa: E402
from tests.web.webkit import DATA, PASSWORD, make_team_project  # noqa: E402

import reviewflow as rf  # noqa: E402
from reviewflow import jobs  # noqa: E402
from reviewflow.stages import retrieval, screening  # noqa: E402
from reviewflow.stages import searches as search_log  # noqa: E402
from reviewflow.stages.importing import pending  # noqa: E402

#: Uploads waiting for confirmation on the import pages (their sha256 names them).
UPLOAD_OK = hashlib.sha256((DATA / "cinahl_export.ris").read_bytes()).hexdigest()
UPLOAD_BAD = hashlib.sha256((DATA / "bad_line.ris").read_bytes()).hexdigest()

#: (name, user, path) — every page a team uses.
PAGES = [
    ("login", None, "/p/review/login"),
    ("home", "OW", "/p/review/"),
    ("screen-ta", "AB", "/p/review/screen/ta"),
    ("screen-list", "AB", "/p/review/screen/ta/list"),
    ("screen-ft", "AB", "/p/review/screen/ft"),
    ("fulltext-list", "AB", "/p/review/fulltext"),
    ("fulltext", "AB", "/p/review/fulltext/3"),
    ("fulltext-viewer", "VW", "/p/review/fulltext/5"),
    ("conflicts", "LA", "/p/review/conflicts?stage=ta"),
    ("agreement", "OW", "/p/review/agreement"),
    ("dedup", "AB", "/p/review/dedup"),
    ("prisma", "VW", "/p/review/prisma"),
    ("jobs", "OW", "/p/review/jobs"),
    ("prisma-box", "AB", "/p/review/prisma/box/records_screened"),
    ("prisma-box-blind", "VW", "/p/review/prisma/box/records_excluded"),
    ("agreement-items", "AB", "/p/review/agreement/ta/items?pair=AB/CD"),
    ("coding", "AB", "/p/review/coding"),
    ("codes", "AB", "/p/review/codes"),
    ("team", "OW", "/p/review/team"),
    ("appraisal", "AB", "/p/review/appraisal"),
    ("appraisal-study", "CD", "/p/review/appraisal/3"),
    ("appraisal-consensus", "LA", "/p/review/appraisal/3/consensus"),
    ("appraisal-agreement", "VW", "/p/review/appraisal/agreement"),
    ("searches", "OW", "/p/review/searches"),
    ("search-form", "OW", "/p/review/searches/2"),
    ("search-viewer", "VW", "/p/review/searches/2"),
    ("import", "OW", "/p/review/import"),
    ("import-check", "OW", f"/p/review/import/check?upload={UPLOAD_OK}&search=2"),
    ("import-check-bad", "OW", f"/p/review/import/check?upload={UPLOAD_BAD}&search=2"),
    ("account", "AB", "/p/review/account"),
    ("extraction", "AB", "/p/review/extraction"),
    ("extraction-form", "AB", "/p/review/extraction/study/3"),
    ("extraction-form-new", "CD", "/p/review/extraction/study/5"),
    ("extraction-verify", "CD", "/p/review/extraction/study/5/verify"),
    ("extraction-pilot", "VW", "/p/review/extraction/pilot"),
    ("extraction-discrepancies", "AB", "/p/review/extraction/discrepancies"),
    ("extraction-sheet", "CD", "/p/review/extraction/sheet"),
    ("forbidden", "VW", "/p/review/screen/ta"),
    ("not-found", "AB", "/p/review/nowhere"),
]
WIDTHS = {"desktop": (1366, 768), "phone": (390, 844)}


def prepare(root: Path) -> None:
    project = make_team_project(root)
    assert project.settings.screening is not None
    project.settings.screening.ta.ranking = True  # the stopping panel shows with ranking
    project.save_settings()
    for who, decisions in (
        ("AB", ["include", "exclude", "include"]),
        ("CD", ["exclude", "exclude", "include"]),
    ):
        with project.session(actor=who):
            for item, decision in enumerate(decisions, start=1):
                rf.decide(project, stage="ta", item_id=item, decision=decision)
            for item in (5, 6):  # more reports for the full-text pages
                rf.decide(project, stage="ta", item_id=item, decision="include")
    with project.session(actor="AB"):
        screening.create_reports(project)  # reports 3, 5 and 6
        pdf = _write_tiny_pdf(root.parent / "ng 2020.pdf", ["Arts on prescription", "Results"])
        retrieval.retrieve(project, 3, file=pdf)
        retrieval.use_full_text_of(project, 5, source_report_id=3)
        retrieval.not_retrieved(project, 6, reason="not found after contacting the authors")
    letter = root.parent / "cover letter.ris"
    letter.write_text("Dear colleague,\nplease find the records attached.\n")
    jobs.submit(project, "dedup", by="OW")
    jobs.submit(project, "import", {"path": str(letter)}, by="OW")
    jobs.run_until_idle(project)  # one done, one failed with what to do
    assert prepare_screenshots(project, 3) == 3  # the appraisal pages' study: report 3's
    prepare_extraction(project)
    with project.session(actor="OW"):
        search_log.add(
            project,
            search_log.SearchEntry(
                source="CINAHL",
                platform="EBSCOhost",
                date_searched="2022-03-22",
                searcher="OW",
                query='S1 (MH "Social Prescribing")\nS2 TI link worker* OR AB link worker*\n'
                "S3 S1 OR S2",
                limits="English language; 2000-2022",
                records_returned=3,
            ),
        )
        search_log.add(
            project,
            search_log.SearchEntry(
                source="Reference lists of included studies",
                method="citation searching",
                records_returned=2,
            ),
        )
        for name in ("cinahl_export.ris", "bad_line.ris"):
            pending.stash(project, [(DATA / name).read_bytes()], file_name=name)
    project.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("outdir", type=Path)
    parser.add_argument("--only", help="only the pages whose name contains this")
    args = parser.parse_args()
    args.outdir.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp) / "review"
        prepare(root)
        with live_server(root) as base, chromium() as browser:
            for name, user, path in PAGES:
                if args.only and args.only not in name:
                    continue
                for label, (width, height) in WIDTHS.items():
                    if user is None:
                        context = browser.new_context(viewport={"width": width, "height": height})
                        page = context.new_page()
                    else:
                        page = signed_in_page(
                            browser, base, user, PASSWORD, width=width, height=height
                        )
                    page.goto(base + path)
                    out = args.outdir / f"{name}-{label}.png"
                    page.screenshot(path=str(out), full_page=True)
                    page.context.close()
                    print(out)


if __name__ == "__main__":
    main()
