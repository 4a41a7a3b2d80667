"""A reviewer uploads a PDF through the page in a real Chromium and sees it in the
viewer frame (the app's CSP and framing headers let its own PDF in); an uploaded web page
is downloaded, never rendered as a page of the app."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from web_browser import chromium, live_server, signed_in_page
from webkit import PASSWORD, make_team_project

from reviewflow.stages import screening


@pytest.fixture
def served(tmp_path: Path) -> Iterator[str]:
    project = make_team_project(tmp_path / "review")
    for who in ("AB", "CD"):
        with project.session(actor=who):
            screening.decide(project, stage="ta", item_id=1, decision="include")
            screening.decide(project, stage="ta", item_id=3, decision="include")
    with live_server(project.root) as url:
        yield url
    project.close()


def _pdf_viewer_loaded(page: Any) -> bool:
    """Chromium shows a PDF in a frame through its built-in viewer (an extension frame)."""
    return any(f.url.startswith("chrome-extension://") for f in page.frames)


def test_an_uploaded_pdf_shows_in_the_viewer_and_a_web_page_is_only_downloaded(
    served: str, tmp_path: Path, tiny_pdf: Callable[..., Path]
) -> None:
    pdf = tiny_pdf(tmp_path / "Hall 2019.pdf", ["Link workers and loneliness"])
    html = tmp_path / "page.html"
    html.write_text("<html><body><h1 id='owned'>not a full text</h1></body></html>")
    with chromium() as browser:
        page = signed_in_page(browser, served, "AB", PASSWORD)
        page.goto(f"{served}/p/review/fulltext")
        page.click("text=Create reports from included records")
        page.wait_for_selector("text=2 reports created")

        page.goto(f"{served}/p/review/fulltext/1")
        page.set_input_files("input[type=file]", str(pdf))
        page.click("text=Upload")
        page.wait_for_selector("text=The full text is attached.")
        page.wait_for_function("document.querySelector('.fulltext iframe') !== null", timeout=5000)
        page.wait_for_timeout(500)
        deadline = 50
        while not _pdf_viewer_loaded(page) and deadline:
            page.wait_for_timeout(100)
            deadline -= 1
        assert _pdf_viewer_loaded(page), [f.url for f in page.frames]

        page.goto(f"{served}/p/review/fulltext/3")
        page.set_input_files("input[type=file]", str(html))
        page.click("text=Upload")
        page.wait_for_selector("text=Download page.html")
        assert page.locator("iframe").count() == 0
        with page.expect_download() as download:
            page.click("text=Download page.html")
        assert download.value.suggested_filename == "page.html"
