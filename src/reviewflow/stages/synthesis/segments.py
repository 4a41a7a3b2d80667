"""Findings text → segments: sentences (or lines) with stable keys and character offsets.

Thomas & Harden code findings "line by line"; a segment is the unit a code is applied to.
Each segment is marked as author interpretation or participant quote, because reviews like
the seed code only author text and keep quotes as supporting evidence. Detection uses what
a reader sees: an indented (block) paragraph, or a sentence wholly inside quotation marks,
optionally followed by an attribution such as ``(P3, female)``. The reviewer can correct it.

Keys are a hash of the segment text plus an occurrence number, so re-importing the same
findings (or the same findings with a paragraph added elsewhere) keeps existing keys and
therefore the codes applied to them. Written by hand: sentence splitters in NLP libraries
(nltk punkt, spaCy) need model downloads and split inside quoted speech.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from typing import Any, Literal

#: Separator between blocks in the joined findings text (offsets index into that text).
BLOCK_SEPARATOR = "\n\n"

Unit = Literal["sentence", "line"]

_ABBREVIATIONS = {
    "e.g",
    "i.e",
    "al",
    "etc",
    "dr",
    "mr",
    "mrs",
    "ms",
    "vs",
    "cf",
    "fig",
    "p",
    "pp",
    "no",
    "approx",
    "st",
}
_OPEN = "“‘\"'"
_CLOSE_OF = {"“": "”", "‘": "’", '"': '"', "'": "'"}
# An attribution after a quote: (P3), [Participant 12, female], — P4, (Service user, 54)
_ATTRIBUTION = r"(?:\s*(?:\([^()]{1,60}\)|\[[^\[\]]{1,60}\]|[-–—]\s*[A-Z][\w ,.]{0,40}))?"
_QUOTE_SENTENCE = re.compile(
    r"^[“\"‘'](?P<body>.+)[”\"’'][.,;:!?]?" + _ATTRIBUTION + r"[.,;:]?\s*$", re.DOTALL
)


@dataclass(frozen=True)
class Block:
    """A paragraph of findings as laid out in the document."""

    text: str
    page: int | None = None
    indented: bool = False
    section: str | None = None


@dataclass(frozen=True)
class Segment:
    key: str
    position: int
    page: int | None
    start: int
    end: int
    text: str
    kind: str  # "author" | "quote"
    in_scope: bool
    section: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def joined_text(blocks: Sequence[Block]) -> str:
    """The findings text that segment offsets index into."""
    return BLOCK_SEPARATOR.join(b.text for b in blocks)


def segment(
    blocks: Sequence[Block], *, unit: Unit = "sentence", code_quotes: bool = False
) -> list[Segment]:
    """Split blocks into segments; quotes are out of scope unless ``code_quotes``."""
    out: list[Segment] = []
    seen: dict[str, int] = {}
    offset = 0
    for block in blocks:
        whole_quote = block.indented or is_quote(block.text)
        spans = [(0, len(block.text))] if whole_quote else _spans(block.text, unit)
        for s, e in spans:
            s, e = _strip(block.text, s, e)
            if s >= e:
                continue
            text = block.text[s:e]
            kind = "quote" if whole_quote or is_quote(text) else "author"
            out.append(
                Segment(
                    key=_key(text, seen),
                    position=len(out),
                    page=block.page,
                    start=offset + s,
                    end=offset + e,
                    text=text,
                    kind=kind,
                    in_scope=code_quotes or kind == "author",
                    section=block.section,
                )
            )
        offset += len(block.text) + len(BLOCK_SEPARATOR)
    return out


def is_quote(text: str) -> bool:
    """True when the text is wholly inside quotation marks (plus an optional attribution)."""
    text = text.strip()
    match = _QUOTE_SENTENCE.match(text)
    if not match:
        return False
    opener, body = text[0], match.group("body")
    closer = _CLOSE_OF[opener]
    if opener == closer:  # straight quotes: a closing mark inside means two quotations
        return not re.search(re.escape(opener) + r"(?=[\s.,;:!?]|$)", body)
    depth = 1  # curly quotes: the opening mark must stay open until the end
    for ch in body:
        depth += (ch == opener) - (ch == closer)
        if depth == 0:
            return False
    return True


def as_quotation(text: str) -> str:
    """The text as a reader should see it cited: a participant quote keeps its own marks
    (and attribution); other text gets curly quotation marks."""
    text = text.strip()
    return text if is_quote(text) else f"“{text}”"


def _key(text: str, seen: dict[str, int]) -> str:
    norm = " ".join(text.lower().split())
    digest = hashlib.sha1(norm.encode("utf-8")).hexdigest()[:10]
    seen[digest] = seen.get(digest, 0) + 1
    return digest if seen[digest] == 1 else f"{digest}-{seen[digest]}"


def _strip(text: str, s: int, e: int) -> tuple[int, int]:
    while s < e and text[s].isspace():
        s += 1
    while e > s and text[e - 1].isspace():
        e -= 1
    return s, e


def _spans(text: str, unit: Unit) -> list[tuple[int, int]]:
    if unit == "line":
        spans, start = [], 0
        for match in re.finditer(r"\n", text):
            spans.append((start, match.start()))
            start = match.end()
        spans.append((start, len(text)))
        return spans
    return _sentence_spans(text)


def _sentence_spans(text: str) -> list[tuple[int, int]]:
    spans: list[tuple[int, int]] = []
    start = 0
    depth = 0  # inside curly or straight double quotes: never split there
    i, n = 0, len(text)
    while i < n:
        ch = text[i]
        closing = (ch == "”" and depth > 0) or (ch == '"' and depth > 0)
        if ch == "“" or (ch == '"' and depth == 0):
            depth += 1
        elif closing:
            depth -= 1
            if depth == 0 and i > 0 and text[i - 1] in ".!?,":
                # a quotation ending a sentence, maybe with an attribution: (P4) or [P4]
                after = re.match(_ATTRIBUTION + r"[.,;:]?(?=\s+[A-Z“\"‘'(]|\s*$)", text[i + 1 :])
                if after:
                    j = i + 1 + after.end()
                    spans.append((start, j))
                    start = i = j
                    continue
        elif ch in ".!?" and depth == 0 and not _abbreviation(text, i) and not _in_number(text, i):
            j = i + 1
            while j < n and text[j] in ".!?”’\"')]":
                j += 1
            # a reference such as [21] or ^[7] right after the full stop stays with it
            ref = re.match(r"\s?\^?\[[\d,\s–-]+\]", text[j:])
            if ref:
                j += ref.end()
            k = j
            while k < n and text[k].isspace():
                k += 1
            if k >= n or text[k].isupper() or text[k].isdigit() or text[k] in _OPEN + "([":
                spans.append((start, j))
                start = k
                i = k
                continue
        i += 1
    if start < n:
        spans.append((start, n))
    return spans


def _in_number(text: str, i: int) -> bool:
    """A point with a digit right after it is inside a number: 60.4, 3.5%, p<.05, 1.2.3."""
    return text[i] == "." and i + 1 < len(text) and text[i + 1].isdigit()


def _abbreviation(text: str, i: int) -> bool:
    if text[i] != ".":
        return False
    match = re.search(r"([A-Za-z.]+)$", text[max(0, i - 12) : i])
    if not match:
        return False
    word = match.group(1).lower().strip(".")
    if word in _ABBREVIATIONS:
        return True
    return len(word) == 1 and match.group(1).isupper()  # an initial: "J. Smith"
