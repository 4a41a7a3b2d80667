"""Two appraisers appraise one study blind in two Chromium contexts (AB with the keyboard
only), the consensus page shows where they differ, the arbiter records the consensus and
the score and band appear: the issue's browser test for appraisal, on a fresh team
project (appraisal_kit), not the demo."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from appraisal_kit import AB_ANSWERS, CD_ANSWERS, included_ids, make_appraisal_project
from web_browser import chromium, live_server, signed_in_page
from webkit import PASSWORD

ORDER = ("yes", "cant_tell", "no")  # the radios' order on the page


@pytest.fixture
def served(tmp_path: Path) -> Iterator[tuple[str, int]]:
    project = make_appraisal_project(tmp_path / "review")
    study = included_ids(project)["Hall & Okafor 2019"]
    with live_server(project.root) as url:
        yield url, study
    project.close()


def _by_keyboard(page: Any, answers: dict[str, str]) -> None:
    """Answer every question with the keyboard: Tab into a radio group, the arrow keys
    choose (Space the first option), Tab past the support text to the next question."""
    page.focus("input[name=answer_q1][value=yes]")
    for n in range(1, 11):
        steps = ORDER.index(answers[f"q{n}"])
        if steps == 0:
            page.keyboard.press("Space")
        for _ in range(steps):
            page.keyboard.press("ArrowRight")
        if n < 10:
            page.keyboard.press("Tab")  # the support text
            page.keyboard.press("Tab")  # the next question's radios
    page.keyboard.press("Tab")
    page.keyboard.press("Tab")  # the save button
    page.keyboard.press("Enter")


def test_two_appraisers_blind_then_the_consensus_with_score_and_band(
    served: tuple[str, int],
) -> None:
    base, study = served
    form = f"{base}/p/review/appraisal/{study}"
    with chromium() as browser:
        ab = signed_in_page(browser, base, "AB", PASSWORD)
        cd = signed_in_page(browser, base, "CD", PASSWORD)
        ab.goto(form)
        cd.goto(form)

        _by_keyboard(ab, AB_ANSWERS)
        ab.wait_for_selector("text=Your appraisal is saved.")
        assert ab.locator("input[name=answer_q6][value=cant_tell]").is_checked()

        cd.reload()  # blind: CD sees that AB is done, not what AB answered
        assert "AB: done" in cd.locator(".ap-who").inner_text()
        assert cd.locator("input:checked").count() == 0
        blind = cd.request.get(f"{base}/api/p/review/appraisal/{study}").json()
        assert blind["appraisals"] is None and blind["own"] is None
        for item, answer in CD_ANSWERS.items():
            cd.check(f"input[name=answer_{item}][value={answer}]")
        cd.fill("textarea[name=note_q8]", "coding frame not reported")
        cd.click("text=Save my appraisal")
        cd.wait_for_selector("text=Both appraisals are in")

        la = signed_in_page(browser, base, "LA", PASSWORD)
        la.goto(f"{base}/p/review/appraisal")
        la.click("text=Compare and agree")
        rows = la.locator(".ap-differs")
        assert rows.count() == 2
        q6, q8 = rows.nth(0).inner_text(), rows.nth(1).inner_text()
        assert "Q6" in q6 and "Can't tell" in q6 and "No" in q6
        assert "Q8" in q8 and "coding frame not reported" in q8
        assert "8/10" in la.locator("[data-field=agreed]").inner_text()

        la.check("input[name=answer_q6][value=cant_tell]")
        la.check("input[name=answer_q8][value=cant_tell]")
        la.click("text=Record the consensus")
        la.wait_for_selector("text=The consensus is recorded.")
        assert la.locator("[data-field=score]").inner_text() == "18/20"
        assert la.locator("[data-field=band]").inner_text() == "very valuable"

        ab.goto(f"{base}/p/review/appraisal")
        row = ab.locator(f"tr[data-study='{study}']")
        assert row.locator("[data-field=score]").inner_text() == "18/20"
        assert row.locator("[data-field=band]").inner_text() == "very valuable"
        figure = ab.locator(".ap-figure img")
        assert figure.evaluate("img => img.complete && img.naturalWidth > 0")
