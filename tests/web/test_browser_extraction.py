"""Extraction and verification by two reviewers in a real Chromium, each in a browser
context of their own: AB fills the form (a refused sample size first, its message beside
the field and the rest kept), CD verifies field by field and disputes one value, the
discrepancy appears and AB resolves it."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from extraction_kit import make_extraction_project
from web_browser import chromium, live_server, signed_in_page
from webkit import PASSWORD

from reviewflow.stages.extraction import Row
from reviewflow.stages.extraction import project as extract

P = "/p/review/extraction"


@pytest.fixture
def served(tmp_path: Path) -> Iterator[tuple[str, Any]]:
    project = make_extraction_project(tmp_path / "review")
    with live_server(project.root) as url:
        yield url, project
    project.close()


def fill_the_form(page: Any) -> None:
    page.fill("[name=f_country]", "England")
    page.fill("[name=f_aims]", "To explore how link workers support adults with anxiety.")
    page.fill("[name=f_sample_size]", "nineteen")
    page.fill("[name=f_age_mean]", "60.4")
    page.fill("[name=f_female_percent]", "63")
    page.check("[name=f_model][value='Link worker']")
    page.check("[name=f_methods][value='Semi-structured interviews']")
    page.check("[name=f_methods][value='Focus groups']")
    page.check("[name=f_age_calculated][value=no]")
    labels, counts = (
        page.locator("[name=f_ethnicity_label]"),
        page.locator("[name=f_ethnicity_count]"),
    )
    labels.nth(0).fill("White British")
    counts.nth(0).fill("14")
    labels.nth(1).fill("Black African")
    counts.nth(1).fill("2")


def test_one_reviewer_extracts_another_verifies_and_the_discrepancy_is_resolved(
    served: tuple[str, Any],
) -> None:
    base, project = served
    with chromium() as browser:
        ab = signed_in_page(browser, base, "AB", PASSWORD)
        ab.goto(base + P)
        ab.click("#study-1 a:text-is('Extract')")
        ab.wait_for_selector("h1:has-text('Hall & Okafor 2019')")
        fill_the_form(ab)
        ab.click("button.primary:has-text('Save answers')")
        ab.wait_for_selector("#field-sample_size .x-error")
        message = ab.inner_text("#field-sample_size .x-error")
        assert message == "Expected a whole number ≥ 1; got “nineteen”."
        assert ab.input_value("[name=f_country]") == "England"  # nothing typed is lost
        assert ab.is_checked("[name=f_methods][value='Focus groups']")
        assert ab.locator("[name=f_ethnicity_label]").nth(1).input_value() == "Black African"
        ab.fill("[name=f_sample_size]", "19")
        ab.click("button.primary:has-text('Save answers')")
        ab.wait_for_selector("text=Your answers are saved.")
        assert extract.study_extraction(project, 1).extractor == "AB"

        cd = signed_in_page(browser, base, "CD", PASSWORD, width=390, height=844)  # a phone
        cd.goto(base + P)
        cd.click("#study-1 a:text-is('Verify')")
        cd.wait_for_selector("h1:has-text('Verify: Hall & Okafor 2019')")
        assert cd.inner_text("[data-extracted=sample_size]") == "19"
        assert not cd.is_visible("[name=p_sample_size]")  # shown only for a dispute
        for field in (
            "country",
            "aims",
            "age_mean",
            "female_percent",
            "model",
            "methods",
            "age_calculated",
            "ethnicity",
        ):
            cd.check(f"[name=v_{field}][value=agree]")
        cd.check("[name=v_sample_size][value=dispute]")
        assert cd.is_visible("[name=p_sample_size]")
        assert cd.input_value("[name=p_sample_size]") == "19"  # starts from the extracted value
        cd.fill("[name=p_sample_size]", "18")
        cd.fill("[name=p_sample_size_note]", "Table 1 lists 18 service users")
        cd.click("button.primary:has-text('Record verification')")
        cd.wait_for_selector("text=Your verification is recorded.")
        assert "1 discrepancy open" in cd.inner_text(".x-status-line")

        ab.goto(base + P)
        assert ab.inner_text("#study-1 td[data-label=Status]") == "discrepancies open"
        ab.click("#study-1 td[data-label=Open] a")
        disputed = ab.locator("#disc-1-sample_size")
        assert "“Table 1 lists 18 service users”" in disputed.inner_text()
        disputed.locator("text=Take 18").click()
        disputed.locator("textarea[name=note]").fill("agreed after checking Table 1")
        disputed.locator("button.primary").click()
        ab.wait_for_selector("text=The resolution is recorded.")
        assert "Resolved by AB: 18 — agreed after checking Table 1" in ab.inner_text(
            "#disc-1-sample_size"
        )
        ab.goto(base + P)
        assert ab.inner_text("#study-1 td[data-label=Status]") == "verified"

    final = extract.study_extraction(project, 1)
    assert final.status == "final" and final.verifier == "CD"
    assert final.answers["sample_size"] == 18
    assert final.answers["ethnicity"] == (Row("White British", 14), Row("Black African", 2))
