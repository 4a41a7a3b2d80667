"""Step 3: similarity scores for one candidate pair, from the normalised keys.

Scores are rapidfuzz ratios (0-100) for the free-text fields and three-valued agreement
for the identifiers: ``1`` same, ``0`` one side missing, ``-1`` different. Keeping
"missing" apart from "different" is what lets a rule trust a complete record over a
sparse one without letting a sparse record match anything.
"""

from __future__ import annotations

import re
from typing import NamedTuple

from rapidfuzz import fuzz

from reviewflow.stages.dedup.journal import conferences_compatible
from reviewflow.stages.dedup.normalise import Prepared, journals_compatible

_NON_ALNUM = re.compile(r"[^0-9a-z]+")


class Scores(NamedTuple):
    """Evidence for one pair; stored with every link and every queued pair."""

    title: float
    authors: float  # -1 when either record has no authors
    abstract: float  # -1 when either record has no abstract
    year_gap: int  # -1 when either year is missing
    journal: int
    volume: int
    issue: int
    page: int
    doi: int
    #: Conference abstracts: 1 same meeting, -1 different meetings, 0 unknown.
    meeting: int = 0

    def as_dict(self) -> dict[str, float]:
        """Plain dict for storage as JSON."""
        return {k: round(float(v), 1) for k, v in self._asdict().items()}


def _locator_agree(p: Prepared, values: list[str], i: int, j: int) -> int:
    """Same, unknown or different; a value equal to its record's own date is unknown."""
    a, b = values[i], values[j]
    if not a or not b:
        return 0
    if a == b:
        return 1
    return 0 if a in p.dates[i] or b in p.dates[j] else -1


def _page_agree(p: Prepared, i: int, j: int) -> int:
    a, b = p.page[i], p.page[j]
    if not a or not b:
        return 0
    if a == b:
        return 1
    if (a in p.dates[i] and p.page_end[i] == a) or (b in p.dates[j] and p.page_end[j] == b):
        return 0  # a single "page" that is the record's year or day of the month
    va, vb = p.volume[i], p.volume[j]
    if (a == "1" or b == "1") and not (va and vb and va != vb):
        return 0  # online-first or PDF pagination next to the issue's pages
    if p.page_article[i] != p.page_article[j]:
        return 0  # an electronic article number next to the printed pages
    if len(a) < 7 and len(b) < 7 and abs(int(a) - int(b)) == 1:
        return 0  # a data-entry slip far more often than another paper
    ea, eb = p.page_end[i], p.page_end[j]
    if ea == eb and len(ea) >= 3 and ea not in (a, b):
        return 0  # same last page, mistyped first page ("2297-2108" for "2097-2108")
    if ea and eb and (ea.endswith(eb) or eb.endswith(ea)) and (a == ea or b == eb):
        return 0  # one range lost its start ("Suppl-29" for "S417-S429")
    return -1


def _shifted(p: Prepared, i: int, j: int) -> bool:
    """Record ``i``'s locators moved one field left: no volume, the volume in the issue
    field and the issue in the pages field (``number=26, pages=9`` for 26(9))."""
    if p.volume[i] or not p.issue[i] or not p.volume[j] or not p.issue[j]:
        return False
    single = p.page_end[i] in ("", p.page[i])
    return p.issue[i] == p.volume[j] and p.page[i] == p.issue[j] and single


def _doi_agree(a: str, b: str) -> int:
    """Same DOI, also when one export dropped or changed punctuation or added a part suffix.

    "10.3402/fnr.v57i0.21245" ~ "10.3402/fnrv57i0.21245", "82_2012_287" ~ "82-2012-287";
    "10.7554/elife.06487.001" (a part of the article) is neither the same nor different.
    """
    if not a or not b:
        return 0
    if a == b:
        return 1
    pa, pb = _NON_ALNUM.sub("", a), _NON_ALNUM.sub("", b)
    if pa == pb:
        return 1
    short, long = (a, b) if len(a) < len(b) else (b, a)
    if long.startswith(short + ".") and long[len(short) + 1 :].isdigit():
        return 0
    return -1


_ORDINAL = re.compile(r"\d+")


def _meeting_agree(a: str, b: str) -> int:
    """Same meeting, unknown or different: "64th annual meeting" is not the 65th."""
    if not a or not b:
        return 0
    if a == b:
        return 1
    if sorted(_ORDINAL.findall(a)) != sorted(_ORDINAL.findall(b)):
        return -1
    return 1 if fuzz.token_set_ratio(a, b) >= 85 else -1


def _meeting_is_venue(meeting: str, venue: str) -> bool:
    if not meeting or not venue:
        return False
    return conferences_compatible(meeting, venue) or fuzz.token_set_ratio(meeting, venue) >= 90


def title_similarity(p: Prepared, i: int, j: int) -> float:
    """Title similarity alone: the cheap first look that rules most candidate pairs out."""
    ta, tb = p.title[i], p.title[j]
    if ta == tb:
        return 100.0
    title = fuzz.ratio(ta, tb)
    if title < 90 and ta and tb:
        # One export may drop a subtitle or add a bracketed translation.
        # Capped below the merge threshold: a shared subtitle alone must not merge.
        title = max(title, min(fuzz.token_set_ratio(ta, tb) - 5, 93.0))
    return title


def compare(p: Prepared, i: int, j: int) -> Scores:
    """Similarity of records at rows ``i`` and ``j`` of ``p``."""
    title = title_similarity(p, i, j)
    aa, ab = p.authors[i], p.authors[j]
    authors = fuzz.token_set_ratio(aa, ab) if aa and ab else -1.0
    if 0 <= authors < 90:
        la, lb = p.author_letters[i], p.author_letters[j]
        n = min(len(la), len(lb))
        if n >= 8:
            authors = max(authors, fuzz.ratio(la[:n], lb[:n]))
    xa, xb = p.abstract[i], p.abstract[j]
    abstract = fuzz.ratio(xa, xb) if xa and xb else -1.0
    ya, yb = p.year[i], p.year[j]
    year_gap = abs(ya - yb) if ya and yb else -1
    ja, jb = p.journal[i], p.journal[j]
    journal = 0 if not ja or not jb else (1 if journals_compatible(ja, jb) else -1)
    if journal < 0 and (_meeting_is_venue(p.meeting[i], jb) or _meeting_is_venue(p.meeting[j], ja)):
        journal = 1  # the meeting one export names after the journal is the other's venue
    if journal < 0 and p.issn[i] & p.issn[j]:
        journal = 1  # one ISSN, two names: translated, romanised or renamed
    if journal < 0 and p.is_conference[i] and p.is_conference[j] and conferences_compatible(ja, jb):
        journal = 1
    volume = _locator_agree(p, p.volume, i, j)
    issue = _locator_agree(p, p.issue, i, j)
    page = _page_agree(p, i, j)
    if volume == 0 and (_shifted(p, i, j) or _shifted(p, j, i)):
        volume, issue, page = 1, 1, 0  # the pages of the shifted record are unknown
    return Scores(
        title=title,
        authors=authors,
        abstract=abstract,
        year_gap=year_gap,
        journal=journal,
        volume=volume,
        issue=issue,
        page=page,
        doi=_doi_agree(p.doi[i], p.doi[j]),
        meeting=_meeting_agree(p.meeting[i], p.meeting[j]),
    )
