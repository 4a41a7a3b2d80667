"""Screenshots of every web page at 1366x768 and at a phone width (390x844), to look at.

Builds a fresh team project (as tests/web/conftest.py does: a new team, an RIS export
imported, nothing from the demo), plays a little screening so that every page has
something on it, serves it, and saves one PNG per page, user and width into OUTDIR.

Usage: python tools/screenshots.py OUTDIR [--only NAME]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.conftest import _write_tiny_pdf  # noqa: E402
from tests.web.web_browser import chromium, live_server, signed_in_page  # noqa: E402
from tests.web.webkit import PASSWORD, make_team_project  # noqa: E402

import reviewflow as rf  # noqa: E402
from reviewflow.stages import retrieval, screening  # noqa: E402

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
    ("coding", "AB", "/p/review/coding"),
    ("codes", "AB", "/p/review/codes"),
    ("team", "OW", "/p/review/team"),
    ("account", "AB", "/p/review/account"),
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
