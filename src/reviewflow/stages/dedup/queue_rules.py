"""Which alike pairs a person should see, and which are answered already.

The review queue is for genuinely uncertain pairs. A pair whose citation contradicts
itself, two abstracts of one meeting on other pages or sharing a page, or two titles
alike with nothing else known to agree (registry entries, a sponsor as author) are
answers, not questions: a person would decide them from the same fields with no more
certainty, and a long queue of them hides the pairs that need a look.
"""

from __future__ import annotations

import re

from reviewflow.stages.dedup.compare import Scores
from reviewflow.stages.dedup.normalise import Prepared

__all__ = [
    "citation_contradicts",
    "corroborated",
    "one_page_items_in_two_journals",
    "other_single_pages",
]


def citation_contradicts(s: Scores) -> bool:
    """The citation says "another paper": a similar title is then a coincidence.

    Either some locator or DOI disagrees and no locator agrees, or two independent parts
    of the citation disagree (journal, volume, issue, pages, DOI: one typo is plausible,
    two are another item, e.g. one editorial title in every issue, or one abstract
    presented at two meetings). Pairs whose citations are simply unknown stay in the
    queue; those are the uncertain ones.
    """
    agrees = s.volume > 0 or s.issue > 0 or s.page > 0
    disagree = (s.journal < 0) + (s.volume < 0) + (s.issue < 0) + (s.page < 0) + (s.doi < 0)
    return (not agrees and disagree > 0) or disagree >= 2


_ORGANISATION = re.compile(
    r"\b(inc|ltd|llc|gmbh|corp|corporation|pharmaceuticals?|pharma|company|laboratories|"
    r"group|council|association|society|institute|organi[sz]ation|committee|foundation|"
    r"agency|ministry|department|university|consortium|collaboration)\b"
)


def corroborated(p: Prepared, i: int, j: int, s: Scores) -> bool:
    """Some field besides the title is known in both records and agrees.

    An organisation as author (a trial's sponsor, a council) names every item it issues,
    so agreeing on it says nothing about which item; nor do a few shared author names.
    """
    people = not (_ORGANISATION.search(p.authors[i]) or _ORGANISATION.search(p.authors[j]))
    return (
        (s.authors >= 70 and people)
        or s.journal > 0
        or s.volume > 0
        or s.issue > 0
        or s.page > 0
        or s.doi > 0
        or s.abstract >= 50
    )


def other_single_pages(p: Prepared, i: int, j: int, s: Scores) -> bool:
    """Two single-page items on other pages of one volume, titles not alike enough to
    merge: two abstracts of one meeting (one trial's two analyses, say)."""
    if s.page >= 0 or s.journal < 0:
        return False
    return all(p.page[k] and p.page_end[k] in ("", p.page[k]) for k in (i, j))


def one_page_items_in_two_journals(p: Prepared, i: int, j: int, s: Scores) -> bool:
    """Two journals, a different single page in each: one abstract at two meetings.

    Meeting abstracts are printed one to a page in the society's journal supplement
    (EASD's in Diabetologia, ADA's in Diabetes); the same work presented at both is two
    records to screen. A journal article whose journal name is translated has a page
    range, which this leaves alone.
    """
    if s.journal >= 0:
        return False
    a, b = p.page[i], p.page[j]
    if not a or not b or a == b:
        return False
    return p.page_end[i] in ("", a) and p.page_end[j] in ("", b)
