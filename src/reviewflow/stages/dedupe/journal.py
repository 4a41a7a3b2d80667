"""Journal names as databases abbreviate them: one journal, many spellings.

"Proc Natl Acad Sci U S A" and "Proceedings of the National Academy of Sciences of the
United States of America" are one journal; "J Periodontol" and "J Clin Periodontol" are
two. ISO 4 abbreviation lists would be exact but are not packaged for Python under a
licence we can ship, so the rule is the one ISO 4 follows: an abbreviation keeps the
first letter and drops letters and stop words, never adds any.
"""

from __future__ import annotations

from functools import lru_cache

_JOURNAL_STOP = frozenset(
    {"the", "of", "and", "for", "in", "on", "a", "an", "de", "la", "und", "j"}
)


@lru_cache(maxsize=200_000)
def journals_compatible(a: str, b: str) -> bool:
    """Same journal allowing abbreviations ("plast reconstr surg" ~ "plastic and ...")."""
    if not a or not b or a == b:
        return True
    wa = [w for w in a.split() if w not in _JOURNAL_STOP]
    wb = [w for w in b.split() if w not in _JOURNAL_STOP]
    if not wa or not wb:
        return True
    short, long = (wa, wb) if len(wa) <= len(wb) else (wb, wa)
    # Abbreviated forms drop words and letters ("proc natl acad sci" ~ "proceedings of the
    # national academy of sciences"): every short word must abbreviate a later long word.
    pos = 0
    for word in short:
        while pos < len(long) and not _abbreviates(word, long[pos]):
            pos += 1
        if pos == len(long):
            return False
        pos += 1
    return True


def _abbreviates(short: str, word: str) -> bool:
    """``short`` starts like ``word`` and its letters appear in ``word`` in order."""
    if short == word:
        return True
    if not word.startswith(short[0]) or len(short) > len(word):
        return False
    it = iter(word)
    return all(ch in it for ch in short)


def journals_same(a: str, b: str) -> bool:
    """Stricter than :func:`journals_compatible`: word for word, no dropped words.

    "J Periodontol" and "J Clin Periodontol" are compatible but not the same.
    """
    if a == b:
        return True
    wa = [w for w in a.split() if w not in _JOURNAL_STOP and w != "journal"]
    wb = [w for w in b.split() if w not in _JOURNAL_STOP and w != "journal"]
    if len(wa) != len(wb) or not wa:
        return False
    return all(_abbreviates(x, y) or _abbreviates(y, x) for x, y in zip(wa, wb, strict=True))
