"""Where the protocol's highlight terms occur in a title, abstract or keyword list.

``[screening] highlight_include`` / ``highlight_exclude`` in review.toml name terms a
screener should see at a glance (green for signs of relevance, red for signs of
exclusion). A term matches case-insensitively at the start of a word and marks that word
to its end, so "prescri" marks "prescribing" and "Prescription" but not "subscription";
a truncation star as in a database search ("carer*") means the same.
Pure (spans, no styling), so the terminal and the web app mark the same words.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

INCLUDE, EXCLUDE = "include", "exclude"


def highlight_spans(
    text: str, include: Sequence[str], exclude: Sequence[str]
) -> list[tuple[int, int, str]]:
    """``(start, end, "include"|"exclude")`` for every match, left to right, no overlaps.

    The longest term wins where two start at the same place; a term in both lists counts
    as include.
    """
    terms = _terms(include, exclude)
    if not terms or not text:
        return []
    pattern = re.compile(
        r"(?<!\w)(?:" + "|".join(_regex(t) for t, _ in terms) + r")\w*", re.IGNORECASE
    )
    out = []
    for m in pattern.finditer(text):
        kind = next(k for t, k in terms if re.match(_regex(t), m.group(), re.IGNORECASE))
        out.append((m.start(), m.end(), kind))
    return out


def _terms(include: Sequence[str], exclude: Sequence[str]) -> list[tuple[str, str]]:
    """(term, kind), longest first; include before exclude for the same term."""
    kinds: dict[str, str] = {}
    for kind, terms in ((EXCLUDE, exclude), (INCLUDE, include)):
        for term in terms:
            words = " ".join(term.replace("*", " ").split())
            if words:
                kinds[words.lower()] = kind
    return sorted(kinds.items(), key=lambda tk: (-len(tk[0]), tk[0]))


def _regex(term: str) -> str:
    """A term as a regex: its words separated by any whitespace (titles wrap)."""
    return r"\s+".join(map(re.escape, term.split()))
