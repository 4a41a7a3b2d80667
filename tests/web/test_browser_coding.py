"""Two coders in real Chromium: AB selects words of a segment with the mouse and creates a
code for them; CD, in a browser context of their own, selects words of the same segment
and applies AB's code from the code bank; the comparison page shows both codings side by
side and their agreement."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from coding_kit import make_coding_project
from web_browser import chromium, live_server, signed_in_page
from webkit import PASSWORD

PHRASE_AB = "trusting their link worker"
PHRASE_CD = "after the first home visit"

#: The screen positions of the first and last character of ``phrase`` in a segment.
_RECTS = """([segment, phrase]) => {
  const el = document.querySelector(`.cd-seg-text[data-segment="${segment}"]`);
  const walker = document.createTreeWalker(el, NodeFilter.SHOW_TEXT);
  let node;
  while ((node = walker.nextNode())) {
    const at = node.textContent.indexOf(phrase);
    if (at < 0) continue;
    const range = document.createRange();
    range.setStart(node, at); range.setEnd(node, at + 1);
    const first = range.getBoundingClientRect();
    range.setStart(node, at + phrase.length - 1); range.setEnd(node, at + phrase.length);
    const last = range.getBoundingClientRect();
    return {x0: first.left + 1, y0: first.top + first.height / 2,
            x1: last.right - 1, y1: last.top + last.height / 2};
  }
  return null;
}"""


@pytest.fixture
def served(tmp_path: Path) -> Iterator[tuple[str, int, int]]:
    made = make_coding_project(tmp_path / "review")
    with made.project.session(actor="OW"):
        from reviewflow.stages.synthesis import findings

        segment = findings.list_segments(made.project, study=made.hall)[0]["id"]
    with live_server(made.project.root) as url:
        yield url, made.hall, segment
    made.project.close()


def _select(page: Any, segment: int, phrase: str) -> None:
    """Drag the mouse over ``phrase`` as a person selecting it would."""
    page.locator(f"#seg-{segment}").scroll_into_view_if_needed()
    box = page.evaluate(_RECTS, [segment, phrase])
    assert box is not None, f"{phrase!r} is not in segment {segment}"
    page.mouse.move(box["x0"], box["y0"])
    page.mouse.down()
    page.mouse.move((box["x0"] + box["x1"]) / 2, box["y1"], steps=4)
    page.mouse.move(box["x1"], box["y1"], steps=4)
    page.mouse.up()


def test_two_coders_select_text_with_the_mouse_and_the_comparison_shows_both(
    served: tuple[str, int, int],
) -> None:
    url, study, segment = served
    with chromium() as browser:
        ab = signed_in_page(browser, url, "AB", PASSWORD)
        ab.goto(f"{url}/p/review/coding/{study}")
        _select(ab, segment, PHRASE_AB)
        ab.wait_for_selector(f"#cd-selection:has-text('“{PHRASE_AB}”')")
        ab.fill("#cd-new", "trust in the link worker")
        ab.click("text=Create and apply")
        ab.wait_for_selector("text=The new code is in the code bank and applied.")
        mark = ab.locator(f"#seg-{segment} mark.cd-mark")
        assert mark.inner_text() == PHRASE_AB
        assert mark.get_attribute("data-label") == "trust in the link worker (AB)"

        cd = signed_in_page(browser, url, "CD", PASSWORD)  # another context: CD's cookies
        cd.goto(f"{url}/p/review/coding/{study}")
        assert cd.locator("mark.cd-mark").count() == 0  # CD codes without seeing AB's
        _select(cd, segment, PHRASE_CD)
        cd.wait_for_selector(f"#cd-selection:has-text('“{PHRASE_CD}”')")
        cd.click(".cd-bank button:has-text('trust in the link worker')")
        cd.wait_for_selector("text=The code is applied.")
        assert cd.locator(f"#seg-{segment} mark.cd-mark").inner_text() == PHRASE_CD

        cd.goto(f"{url}/p/review/coding/{study}/compare")
        row = cd.locator(f".pair-row#seg-{segment}")
        assert row.locator(".pair-a .cd-code").inner_text() == "trust in the link worker"
        assert row.locator(".pair-b .cd-code").inner_text() == "trust in the link worker"
        assert f"“{PHRASE_AB}”" in row.locator(".pair-a").inner_text()
        assert f"“{PHRASE_CD}”" in row.locator(".pair-b").inner_text()
        assert "differs" not in (row.get_attribute("class") or "")
        both = cd.locator(".figures div:has(dt:text-is('Both coded')) dd").inner_text()
        assert both == "1"
