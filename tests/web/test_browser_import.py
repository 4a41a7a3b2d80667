"""The owner, in a real Chromium, logs a search, uploads its export, reads the parse
report, confirms the import at the count shown, and finds the duplicates it brought."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from web_browser import chromium, live_server, signed_in_page
from webkit import DATA, PASSWORD, make_team_project

QUERY = "1 exp Social Prescribing/\n2 (link adj2 worker*).ti,ab.\n3 1 or 2"


@pytest.fixture
def served(tmp_path: Path) -> Iterator[str]:
    project = make_team_project(tmp_path / "review")
    with live_server(project.root) as url:
        yield url
    project.close()


def test_the_owner_logs_a_search_imports_its_export_and_finds_duplicates(served: str) -> None:
    with chromium() as browser:
        page = signed_in_page(browser, served, "OW", PASSWORD)
        page.click("nav.tabs >> text=Searches")
        page.click("text=Log a database search")
        page.fill("#f-source", "CINAHL")
        page.fill("#f-platform", "EBSCOhost")
        page.fill("#f-date_searched", "22/03/2022")  # not how the log wants it
        page.fill("#f-query", QUERY)
        page.fill("#f-records_returned", "3")
        page.click("text=Log the search")
        page.wait_for_selector("#e-date_searched")
        assert page.input_value("#f-query") == QUERY  # nothing typed was lost
        page.fill("#f-date_searched", "2022-03-22")
        page.click("text=Log the search")
        page.wait_for_selector("text=The search is logged.")
        assert page.locator("#search-2").inner_text().count("CINAHL") == 1

        page.click("text=Import an export file")
        page.select_option("#im-search", "2")
        page.set_input_files("#im-file", str(DATA / "cinahl_export.ris"))
        page.click("text=Read the file")
        page.wait_for_selector("text=Parse report: cinahl_export.ris")
        assert page.inner_text("[data-report=records]") == "3"
        assert "cinahl_export.ris:19" in page.inner_text("main")
        assert page.locator(".im-sample li").count() == 3
        assert page.locator(".im-sample i").count() == 0  # the title's <i> is text

        page.click("text=Import 3 records")
        page.wait_for_selector("text=Imported 3 records")
        assert page.inner_text("[data-found=imported]") == "11"
        page.click("text=Find duplicates")
        page.wait_for_selector("text=Deduplication ran")
        assert page.inner_text("[data-found='duplicates removed']") == "1"
        page.click("nav.tabs >> text=Duplicates")
        page.wait_for_url(f"{served}/p/review/dedup")
        assert page.inner_text("[data-found='duplicates removed']") == "1"
