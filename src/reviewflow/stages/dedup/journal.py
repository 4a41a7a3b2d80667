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
    # Abbreviated forms drop words and letters ("proc natl acad sci" ~ "proceedings of the
    # national academy of sciences"): every short word must abbreviate a later long word.
    # Either side may be the abbreviation, even with as many words ("health technol
    # assess" ~ "health technology assessment").
    if len(wa) <= len(wb) and _abbreviates_words(wa, wb):
        return True
    return len(wb) <= len(wa) and _abbreviates_words(wb, wa)


def _abbreviates_words(short: list[str], long: list[str]) -> bool:
    """Every word of ``short`` abbreviates a later word of ``long``, in order.

    Compound words are split one way in one name and joined in the other
    ("neuropsychopharmacol" ~ "neuro psychopharmacology", "zhongyao zazhi" ~ "zhong yao za
    zhi"), so up to three neighbouring words on either side may stand for one.
    """
    if "".join(short) == "".join(long):
        return True
    return _align(tuple(short), tuple(long), 0, 0, {})


def _align(
    short: tuple[str, ...], long: tuple[str, ...], i: int, j: int, memo: dict[tuple[int, int], bool]
) -> bool:
    if i == len(short):
        return True
    if j == len(long):
        return False
    key = (i, j)
    if key in memo:
        return memo[key]
    found = False
    for m in range(1, min(3, len(short) - i) + 1):
        part = "".join(short[i : i + m])
        for k in range(1, min(3, len(long) - j) + 1):
            if (m > 1 or k > 1) and len(part) < 4:
                continue  # joined words need a real stem, not two letters
            if _abbreviates(part, "".join(long[j : j + k])) and _align(
                short, long, i + m, j + k, memo
            ):
                found = True
                break
        if found:
            break
    if not found:
        found = _align(short, long, i, j + 1, memo)  # the abbreviation drops this word
    memo[key] = found
    return found


_VENUE_NOISE = frozenset(
    {"proceedings", "proc", "vols", "vol", "volume", "ieee", "acm", "annual", "th", "st", "nd"}
)


def _venue_words(name: str) -> list[str]:
    return [
        w
        for w in name.split()
        if w not in _JOURNAL_STOP and w not in _VENUE_NOISE and not any(c.isdigit() for c in w)
    ]


@lru_cache(maxsize=100_000)
def conferences_compatible(a: str, b: str) -> bool:
    """Proceedings names spelled two ways: "2010 IEEE Int. Conf. on X (SMC)" ~ "X, VOLS 1-3".

    Years, edition numbers, volume counts and publisher names are dropped; then the
    shorter name must abbreviate the longer one, or be its acronym ("ICIS" for
    "International Conference on Information Systems").
    """
    wa, wb = _venue_words(a), _venue_words(b)
    if not wa or not wb:
        return False
    if _abbreviates_words(wa, wb) if len(wa) <= len(wb) else _abbreviates_words(wb, wa):
        return True
    acronym_a, acronym_b = "".join(w[0] for w in wa), "".join(w[0] for w in wb)
    return (len(acronym_a) >= 3 and acronym_a == wb[0]) or (
        len(acronym_b) >= 3 and acronym_b == wa[0]
    )


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
