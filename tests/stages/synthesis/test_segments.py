"""Segmentation and quote detection on fixture findings texts, in every supported format."""

from __future__ import annotations

from pathlib import Path

import pytest

from reviewflow.errors import InputError
from reviewflow.stages.synthesis import segments, sources
from reviewflow.stages.synthesis.segments import Block

DATA = Path(__file__).parents[2] / "data" / "synthesis"


def _texts(blocks: list[Block]) -> list[tuple[str, str, bool]]:
    return [(s.text, s.kind, s.in_scope) for s in segments.segment(blocks)]


def test_sentences_split_without_breaking_abbreviations_initials_or_references() -> None:
    blocks = [Block("Dr. J. Smith et al. reported trust [21]. Goals helped, e.g. walking. Yes.")]
    assert [t for t, _, _ in _texts(blocks)] == [
        "Dr. J. Smith et al. reported trust [21].",
        "Goals helped, e.g. walking.",
        "Yes.",
    ]


def test_offsets_index_the_joined_findings_text() -> None:
    blocks = [Block("One thing. Two things.", page=3), Block("Indented words.", indented=True)]
    text = segments.joined_text(blocks)
    segs = segments.segment(blocks)
    assert [text[s.start : s.end] for s in segs] == [s.text for s in segs]
    assert [s.page for s in segs] == [3, 3, None]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("“I felt lonely. Then I met her.” (P4, female)", True),
        ('"She listened to me." [P3]', True),
        ("'I didn't go at first' — Participant 2", True),
        ("“Great.”", True),
        ("He said “no” to the group.", False),
        ("“A” was said and so was “B”", False),
        ("'ease' and 'trust' were mentioned", False),
        ("Service users valued the link worker.", False),
    ],
)
def test_quote_detection_from_quotation_marks(text: str, expected: bool) -> None:
    assert segments.is_quote(text) is expected


def test_quoted_speech_in_a_paragraph_is_its_own_out_of_scope_segment() -> None:
    blocks = [Block("Groups helped. “I go every Tuesday. I love it.” (P7) Many made friends.")]
    assert _texts(blocks) == [
        ("Groups helped.", "author", True),
        ("“I go every Tuesday. I love it.” (P7)", "quote", False),
        ("Many made friends.", "author", True),
    ]


def test_indented_block_is_one_quote_and_code_quotes_brings_it_in_scope() -> None:
    blocks = [Block("It's the bad days. Some weeks I stay in.", indented=True)]
    (seg,) = segments.segment(blocks)
    assert (seg.kind, seg.in_scope) == ("quote", False)
    (seg,) = segments.segment(blocks, code_quotes=True)
    assert (seg.kind, seg.in_scope) == ("quote", True)


def test_keys_survive_an_added_paragraph_and_repeats_get_a_suffix() -> None:
    before = segments.segment([Block("Trust grew. Goals helped.")])
    after = segments.segment([Block("A new opening line."), Block("Trust grew. Goals helped.")])
    assert {s.key for s in before} <= {s.key for s in after}
    twice = segments.segment([Block("Same words."), Block("Same words.")])
    assert twice[1].key == twice[0].key + "-2"


def test_line_unit_keeps_the_lines_of_a_block() -> None:
    segs = segments.segment([Block("first line\nsecond line")], unit="line")
    assert [s.text for s in segs] == ["first line", "second line"]


def test_plain_text_keeps_only_results_with_subheadings_as_sections() -> None:
    doc = sources.load(DATA / "kellezi_like.txt")
    texts = [(s.text, s.kind, s.section) for s in segments.segment(doc.blocks)]
    assert doc.sections == ["Results"]
    assert not any("abstract" in t.lower() or "earlier work" in t for t, _, _ in texts)
    assert texts[0][2] == "Relationship with the link worker"
    assert (
        '"She listened to me. Nobody had done that for years." (P3, female, 64)',
        "quote",
        "Relationship with the link worker",
    ) in texts
    assert ('"I go every Tuesday now." [P7]', "quote", "Peer support") in texts
    assert (
        'Participants said the link worker was "like a friend" but also a professional.',
        "author",
        "Relationship with the link worker",
    ) in texts


def test_markdown_findings_end_at_a_heading_of_the_same_level_and_blockquotes_are_quotes() -> None:
    doc = sources.load(DATA / "wildman_like.md")
    segs = segments.segment(doc.blocks)
    assert [s.kind for s in segs] == ["author", "author", "quote", "author"]
    assert segs[-1].text == "Goals were realistic and set together with the link worker."
    assert segs[-1].section == "Goals"


def test_docx_keeps_pages_and_indented_quotes() -> None:
    doc = sources.load(DATA / "findings.docx")
    segs = segments.segment(doc.blocks)
    assert [(s.page, s.kind) for s in segs] == [
        (1, "author"),
        (1, "author"),
        (1, "quote"),
        (2, "author"),
    ]
    assert segs[-1].text == "Confidence grew over the weeks of the course."


def test_pdf_keeps_page_numbers_and_stops_at_discussion() -> None:
    doc = sources.load(DATA / "findings.pdf")
    segs = segments.segment(doc.blocks)
    assert [(s.page, s.kind) for s in segs] == [
        (1, "author"),
        (1, "author"),
        (2, "author"),
        (2, "quote"),
    ]
    assert "not coded" not in " ".join(s.text for s in segs)


def test_form_feed_starts_a_new_page_in_text(tmp_path: Path) -> None:
    path = tmp_path / "f.txt"
    path.write_text("Findings\n\nFirst page text.\fSecond page text.\n", encoding="utf-8")
    segs = segments.segment(sources.load(path).blocks)
    assert [(s.page, s.text) for s in segs] == [(1, "First page text."), (2, "Second page text.")]


def test_missing_findings_section_names_the_headings_found() -> None:
    with pytest.raises(InputError, match="Methods") as err:
        sources.load(DATA / "kellezi_like.txt", sections=["Themes"])
    assert "--section" in str(err.value)
    whole = sources.load(DATA / "kellezi_like.txt", sections=None)
    assert any("abstract is not coded" in b.text for b in whole.blocks)


def _sentence_cases() -> list:
    import json

    cases = json.loads((DATA / "sentence_cases.json").read_text(encoding="utf-8"))["cases"]
    return [pytest.param(c["input"], c["expected"], id=c["id"]) for c in cases]


@pytest.mark.parametrize(("text", "expected"), _sentence_cases())
def test_sentence_splitting_case_table(text: str, expected: list[str]) -> None:
    """Numbers (60.4, 3.5%, p<0.05, 1.2.3) and common abbreviations do not end a sentence."""
    assert [s.text for s in segments.segment([Block(text)])] == expected
