"""What a title says about the kind of item: a notice (erratum, reply, ...) or a part.

Errata reach an export in three spellings: a heading ("Erratum: Title", "Correction to
'Title'"), Web of Science's citation of the corrected paper after the title ("Title
(vol 360, pg 542, 2009)") and Embase's ("Title (New England Journal of Medicine (2009)
360 (542-544))"). All three are one kind of notice, and the title they carry is the
corrected paper's, so the notice is recorded apart and the title is compared without it:
two records of one erratum then match each other, and an erratum matches its paper only
as the related item it is.
"""

from __future__ import annotations

import re

__all__ = ["erratum_citation", "notice_kind", "part_number", "strip_notice_heading"]

_NOTICE = re.compile(
    r"\b(erratum|errata|corrigendum|corrigenda|correction to|correction|retraction|retracted|"
    r"expression of concern|withdrawn|reply to|in reply|response to|in response|comment on|"
    r"comments on|commentary on|letter to the editor|author s reply|authors reply|reply)\b"
)
#: Corrections of every spelling are one kind ("errat"): an erratum and a corrigendum of
#: one paper are the same notice whichever word an export chose.
_CORRECTION_WORDS = ("errat", "corri", "corre")
_OTHER_NOTICE_HEADS = ("retra", "expre", "withd")


def notice_kind(title: str) -> str:
    """The kind of notice a (folded) title announces: "errat", "reply", ... or "".

    Corrections and comments are named anywhere in a title; a reply or response only near
    its start or at its end ("Reply to ...", "... : in reply"), because "in response to"
    also occurs inside ordinary titles ("evolution of OpenStreetMap in response to
    humanitarian events").
    """
    for match in _NOTICE.finditer(title):
        kind = match.group(1)[:5]
        if kind.startswith(_CORRECTION_WORDS):
            return "errat"
        if kind.startswith((*_OTHER_NOTICE_HEADS, "comme")):
            return kind
        if (
            match.start() == 0
            or match.end() == len(title)
            or title.count(" ", 0, match.start()) < 2
        ):
            return kind
    return ""


#: "(vol 360, pg 542, 2009)", "(VOL 4, 170633, 2017)", "(vol 9, e98734, 2014)": Web of
#: Science's erratum, citing the corrected paper after its title.
_WOS_ERRATUM = re.compile(
    r"\s*\(\s*vol\.?\s*\d+[a-z]?\s*,?\s*(?:(?:pg|p|pp)\.?\s*)?[a-z]?\d+[^()]{0,20}?,?\s*"
    r"(?:1[89]|20)\d\d\s*\)\s*\.?\s*$",
    re.IGNORECASE,
)
#: "(New England Journal of Medicine (2009) 360 (542-544))": Embase's form of the same.
_EMBASE_ERRATUM = re.compile(
    r"\s*\([^()]{3,200}\(\s*(?:1[89]|20)\d\d\s*\)\s*\d+[^()]{0,10}\([^()]{1,30}\)\s*\)\s*\.?\s*$"
)


def erratum_citation(title: str | None) -> tuple[str | None, bool]:
    """The title without a trailing citation of a corrected paper, and whether it had one.

    ``"Eculizumab for aHUS (vol 360, pg 542, 2009)"`` gives ``("Eculizumab for aHUS",
    True)``; a title without one comes back unchanged with ``False``.
    """
    if not title:
        return title, False
    for pattern in (_WOS_ERRATUM, _EMBASE_ERRATUM):
        match = pattern.search(title)
        if match and match.start() > 0:
            head = title[: match.start()].rstrip(" .,:;")
            if len(head.split()) >= 3:
                return head, True
    return title, False


_HEADING = re.compile(
    r"^(?:erratum|errata|corrigendum|corrigenda|correction|notice of correction|withdrawn)"
    r"(?: notice)?(?: to| for| of| on| regarding)?(?: the article)? "
)


def strip_notice_heading(title: str) -> str:
    """A folded title without a leading correction or withdrawal heading ("correction to x"
    -> "x"); the notice itself is kept apart by :func:`notice_kind`.

    Kept whole when little would remain ("erratum to the editorial"): a short remainder
    cannot identify the corrected paper.
    """
    match = _HEADING.match(title)
    if not match:
        return title
    rest = title[match.end() :]
    return rest if len(rest.split()) >= 3 else title


_PART = re.compile(r"\bpart\s+([ivx]+|\d+|one|two|three|four)\b")
_PART_NUMBER = {
    "i": "1",
    "ii": "2",
    "iii": "3",
    "iv": "4",
    "v": "5",
    "vi": "6",
    "vii": "7",
    "viii": "8",
    "ix": "9",
    "x": "10",
    "one": "1",
    "two": "2",
    "three": "3",
    "four": "4",
}


def part_number(title: str) -> str:
    """The part a (folded) title announces, as a number ("part ii" -> "2"), or "".

    One database writes "Part II" where another writes "Part 2"; both are part 2, and
    only different parts (1 and 2) are two items.
    """
    match = _PART.search(title)
    if not match:
        return ""
    value = match.group(1)
    return _PART_NUMBER.get(value, value.lstrip("0") or value)
