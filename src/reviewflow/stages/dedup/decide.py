"""Step 4: decide a pair from its scores — duplicate, uncertain, related, or distinct.

The rules are written to make a false merge (which silently loses a study) much rarer
than a missed duplicate (which a screener sees twice). So: a DOI alone never decides;
a record whose title cannot identify a paper never merges on its other fields; any
hard contradiction (years two apart, different volumes *and* pages) blocks a merge;
and what is similar but not proven goes to a person.
"""

from __future__ import annotations

from typing import Literal, NamedTuple

from reviewflow.stages.dedup.compare import Scores
from reviewflow.stages.dedup.normalise import Prepared, journals_same
from reviewflow.stages.dedup.policy import DedupPolicy
from reviewflow.stages.dedup.queue_rules import (
    citation_contradicts,
    corroborated,
    one_page_items_in_two_journals,
    other_single_pages,
)

Kind = Literal["duplicate", "uncertain", "related", "distinct"]


class Verdict(NamedTuple):
    """The decision for one pair and the rule that made it."""

    kind: Kind
    rule: str
    category: str = ""


DISTINCT = Verdict("distinct", "")
_CORRECTIONS = ("errat", "corri", "corre", "retra", "expre", "withd")


def same_review(p: Prepared, i: int, j: int) -> bool:
    """Two records of one Cochrane review: its CD number names the review in every version."""
    return bool(p.cochrane[i]) and p.cochrane[i] == p.cochrane[j]


def notices_differ(p: Prepared, i: int, j: int, s: Scores) -> bool:
    """One record is a notice (erratum, reply, ...) that the other is not: two items.

    Not so for a withdrawn Cochrane review, which is published as a version of the review
    under its CD number, nor for an erratum and a record at the erratum's own place (its
    DOI, or volume, issue and first page): an erratum is never printed where the paper it
    corrects starts, so that record is the erratum notice, its heading lost in one export.
    """
    a, b = p.notice[i], p.notice[j]
    if a == b:
        return False
    if same_review(p, i, j) and {a, b} <= {"", "withd"}:
        return False
    if {a, b} == {"", "errat"} and s.journal >= 0 and s.page >= 0:
        located = s.page > 0 and s.volume > 0 and s.issue >= 0
        return not (s.doi > 0 or (located and s.doi >= 0))
    return True


def related_category(p: Prepared, i: int, j: int, s: Scores) -> str:
    """The related-but-different category of a similar pair, or "" if none applies."""
    if notices_differ(p, i, j, s):
        if (p.notice[i] or p.notice[j]).startswith(_CORRECTIONS):
            return "erratum"
        return "reply"  # a comment or reply about a paper is its own item
    if p.part[i] != p.part[j]:
        return "multi_part"
    if p.is_preprint[i] != p.is_preprint[j] and s.journal <= 0:
        # Both naming one venue that is no preprint server (ICIS, a journal): the
        # preprint server's DOI one export gives is the paper's other DOI (issue 19, 5).
        return "preprint_vs_published"
    if same_review(p, i, j):
        pa, pb = p.cochrane_pub[i], p.cochrane_pub[j]
        if (pa and pb and pa != pb) or (s.year_gap > 0) or p.notice[i] != p.notice[j]:
            return "cochrane_version"
        return ""
    if p.is_conference[i] != p.is_conference[j] and s.doi <= 0 and (s.year_gap or s.journal < 0):
        # A conference paper and its journal version never share a volume and a page
        # range: those that do are one paper whose series ("Communications in Computer and
        # Information Science") one export calls a book and the other a proceedings.
        if not (s.volume > 0 and s.year_gap == 0 and same_page_range(p, i, j)):
            return "conference_vs_journal"
    if s.year_gap >= 1 and republished(p, i, j, s):
        return "cochrane_version"  # a review's versions, as Cochrane's are
    if s.year_gap >= 1 and p.title[i] == p.title[j] and (s.doi < 0 or p.title_generic[i]):
        return "annual_item"
    return ""


def hard_conflict(p: Prepared, i: int, j: int, s: Scores) -> str:
    """Why two records cannot be one, or "" — also used to stop transitive chaining."""
    if p.cochrane[i] and p.cochrane[i] == p.cochrane[j]:
        return ""  # versions of one review span years, DOIs and pages
    if s.meeting < 0:
        return "meeting"  # one abstract presented at two meetings: two records to screen
    if printed_twice(p, i, j, s) or republished(p, i, j, s):
        return ""
    if s.year_gap > 1:
        online_first = s.doi > 0 and s.volume > 0 and s.issue >= 0 and s.page >= 0
        if not (online_first and s.year_gap <= 3) and not year_mistyped(p, i, j, s):
            if not _year_garbled(p, i, j, s):
                return "year"
    if s.volume < 0 and s.page < 0:
        return "volume_page"
    if s.volume < 0 and s.issue < 0 and s.page <= 0 and not _online_first(s):
        return "volume_issue"  # two locators contradict and none agrees
    if s.doi < 0 and s.page < 0:
        return "doi_page"
    if s.issue < 0 and s.page < 0:
        return "issue_page"
    if s.issue < 0 and not p.page[i] and not p.page[j] and s.volume > 0:
        return "issue"  # one volume's recurring item (editorial, comments) per issue
    if p.cochrane[i] and p.cochrane[j] and p.cochrane[i] != p.cochrane[j]:
        return "cochrane_id"
    return ""


def printed_twice(p: Prepared, i: int, j: int, s: Scores) -> bool:
    """One item printed twice in one issue: other pages (and DOIs), all else the same.

    A meeting abstract shown in two sessions of one meeting is printed twice in its
    supplement; a journal sometimes prints a paper twice. Same title, authors, journal,
    volume, issue (or one unknown) and year, and either the same abstract or both single
    pages (abstracts): one study report. Another meeting, another volume or another issue
    is another item (the guards of the different-meetings and annual-item cases).
    """
    if p.notice[i] or p.notice[j] or p.title_generic[i] or p.title_generic[j]:
        return False
    if p.part[i] != p.part[j] or _numbers_conflict(p.numbers[i], p.numbers[j]):
        return False
    same_issue = s.journal > 0 and s.volume > 0 and s.issue >= 0 and s.meeting >= 0
    if not (same_issue and s.title >= 99 and s.authors >= 90 and s.year_gap == 0):
        return False
    long_abstracts = min(len(p.abstract[i]), len(p.abstract[j])) >= 300
    if s.abstract >= 97 and long_abstracts:
        return True
    single = all(p.page[k] and p.page_end[k] in ("", p.page[k]) for k in (i, j))
    return single and s.authors >= 95 and s.abstract < 0


def republished(p: Prepared, i: int, j: int, s: Scores) -> bool:
    """An evidence summary updated under one title, years apart, nothing else disagreeing.

    BMJ Clinical Evidence and like series re-issue a review each update with its title,
    authors and nearly its abstract, without pages, issue or DOI (the volume is the
    year): like Cochrane versions, one review. Guards: any locator or DOI that disagrees
    is another printing a team keeps apart (a paper reprinted in another volume);
    meeting abstracts (conference venues, single pages) at two meetings are two records;
    notices, parts and annual items differ in their abstracts.
    """
    if p.notice[i] or p.notice[j] or p.part[i] != p.part[j]:
        return False
    if min(s.volume, s.issue, s.page, s.doi) < 0:
        return False
    if p.is_conference[i] or p.is_conference[j] or s.meeting != 0:
        return False
    if s.title < 99 or s.authors < 90 or s.journal <= 0 or not 0 <= s.year_gap <= 10:
        return False
    if s.abstract < 97 or min(len(p.abstract[i]), len(p.abstract[j])) < 300:
        return False
    return not any(p.page[k] and p.page_end[k] in ("", p.page[k]) for k in (i, j))


def _same_doi_paper(s: Scores) -> bool:
    """One DOI, the same title and the same authors: the paper's identity is settled."""
    return s.doi > 0 and s.title >= 97 and s.authors >= 90


def _online_first(s: Scores) -> bool:
    """The online-first record of a paper (no pages yet, the volume and issue it was
    first given) beside the printed one: one DOI, title and authors, a year apart."""
    return _same_doi_paper(s) and s.year_gap <= 1 and s.page == 0


def _year_garbled(p: Prepared, i: int, j: int, s: Scores) -> bool:
    """A year far from the other ("1991" for "2019") where DOI, title, authors and
    every locator present agree: one export garbled the year (issue 19, shape 4)."""
    if p.title_generic[i] or p.title_generic[j] or p.notice[i] or p.notice[j]:
        return False
    located = s.volume >= 0 and s.issue >= 0 and s.page >= 0 and s.journal >= 0
    return _same_doi_paper(s) and located


def _one_typo(a: str, b: str) -> bool:
    """Equal length, one character changed or two neighbours swapped ("81" / "18")."""
    if len(a) != len(b) or a == b:
        return False
    diff = [k for k in range(len(a)) if a[k] != b[k]]
    if len(diff) == 1:
        return True
    k, m = diff[0], diff[-1]
    return len(diff) == 2 and m == k + 1 and a[k] == b[m] and a[m] == b[k]


def same_page_range(p: Prepared, i: int, j: int) -> bool:
    """First and last page agree and span more than one page (an abstract is one page)."""
    end = p.page_end[i]
    return bool(p.page[i]) and p.page[i] == p.page[j] and end == p.page_end[j] and end != p.page[i]


def year_mistyped(p: Prepared, i: int, j: int, s: Scores) -> bool:
    """Years one keystroke apart ("2015" / "2051") where the whole citation agrees."""
    if not (s.volume > 0 and s.page > 0 and s.journal > 0 and same_page_range(p, i, j)):
        return False
    return _one_typo(str(p.year[i]), str(p.year[j]))


def _page_mistyped(p: Prepared, i: int, j: int) -> bool:
    """One page range mistyped in one export: "81-87" / "18-87", "1123-1130" / "1123-1103"."""
    a, b, ea, eb = p.page[i], p.page[j], p.page_end[i], p.page_end[j]
    if not (a and b and ea and eb) or p.page_article[i] or p.page_article[j]:
        return False
    if a == b:
        return _one_typo(ea, eb)
    return ea == eb and _one_typo(a, b) and ea not in (a, b)


def _first_page_slip(p: Prepared, i: int, j: int) -> bool:
    """Same last page of two ranges, first pages one apart or one keystroke apart."""
    a, b, ea, eb = p.page[i], p.page[j], p.page_end[i], p.page_end[j]
    if not (a and b and ea and ea == eb and len(ea) >= 3) or a == b or ea in (a, b):
        return False
    if p.page_article[i] or p.page_article[j]:
        return False
    return abs(int(a) - int(b)) == 1 or _one_typo(a, b)


def _authors_ok(s: Scores, need: float) -> bool:
    return s.authors >= need


def decide(p: Prepared, i: int, j: int, s: Scores, policy: DedupPolicy) -> Verdict:
    """Apply the rules in order of strength; the first that fires decides."""
    similar = s.title >= policy.review_title or (s.doi > 0 and s.title >= 60)
    if p.title_garbled[i] or p.title_garbled[j]:
        strong_meta = s.year_gap == 0 and s.volume > 0 and s.page > 0 and s.authors >= 90
        if (s.doi > 0 or strong_meta) and not hard_conflict(p, i, j, s):
            return Verdict("uncertain", "unusable_title")
        return DISTINCT
    if not similar:
        if _same_citation_other_title(p, i, j, s):
            return Verdict("duplicate", "full_citation_translated_title")
        return DISTINCT
    category = related_category(p, i, j, s)
    if category == "reply":
        return Verdict("distinct", "notice:reply")
    if category:
        action = policy.action(category)
        if action == "separate":
            return Verdict("related", f"related:{category}", category)
        if action == "review":
            return Verdict("uncertain", f"related:{category}", category)
        close = s.year_gap <= 2 or s.title >= 95 or category != "cochrane_version"
        if close and (s.authors >= 60 or s.authors < 0 or _same_first_author(p, i, j)):
            return Verdict("duplicate", f"related:{category}", category)
        return Verdict("uncertain", f"related:{category}", category)
    conflict = hard_conflict(p, i, j, s)
    if conflict:
        # A hard contradiction is an answer, not a question: only a shared DOI (the
        # strongest identity evidence) against it leaves a pair worth a person's look.
        strong = s.title >= policy.merge_title and s.authors >= policy.merge_authors
        if strong and s.doi > 0:
            return Verdict("uncertain", f"conflict:{conflict}")
        return Verdict("distinct", f"conflict:{conflict}")
    rule = _merge_rule(p, i, j, s, policy)
    if rule:
        return Verdict("duplicate", rule)
    if s.title >= policy.review_title and (s.authors >= 50 or s.authors < 0):
        if citation_contradicts(s):
            return Verdict("distinct", "similar_title_citation_conflict")
        if one_page_items_in_two_journals(p, i, j, s):
            return Verdict("distinct", "abstract_in_two_journals")
        if s.title < policy.merge_title and other_single_pages(p, i, j, s):
            return Verdict("distinct", "other_abstract_same_volume")
        if s.page > 0 and s.title < 90 and s.authors < 70:
            # Several meeting abstracts share a page; other title words and other
            # authors on it are another abstract.
            return Verdict("distinct", "other_item_same_page")
        if s.title < 98 and not corroborated(p, i, j, s):
            # Two titles alike and nothing else known to agree (registry entries, records
            # without authors or venue): a person has nothing to decide with either.
            return Verdict("distinct", "title_only")
        return Verdict("uncertain", "similar_title")
    if s.doi > 0:
        if s.page < 0:
            # One DOI, other pages and another title: the DOI names the container (a
            # supplement of meeting abstracts), not the paper.
            return Verdict("distinct", "container_doi")
        return Verdict("uncertain", "same_doi")
    return DISTINCT


def _same_citation_other_title(p: Prepared, i: int, j: int, s: Scores) -> bool:
    """Same authors and the same multi-page range in one journal issue, title translated.

    MEDLINE gives non-English papers an English title; the publisher's record keeps the
    original. Nothing else shares journal, volume, issue and first *and* last page.
    """
    if s.title < 40 or s.authors < 90 or s.year_gap != 0 or s.journal <= 0:
        return False
    if not (s.volume > 0 and s.issue > 0 and s.page > 0) or s.doi < 0:
        return False
    if p.notice[i] or p.notice[j] or p.title_generic[i] or p.title_generic[j]:
        return False
    ea, eb = p.page_end[i], p.page_end[j]
    if ea == p.page[i] or eb == p.page[j] or not (ea.endswith(eb) or eb.endswith(ea)):
        return False
    return _same_first_author(p, i, j)


def _same_first_author(p: Prepared, i: int, j: int) -> bool:
    """First authors agree (or one is unknown): supplement DOIs are shared by many abstracts."""
    fa, fb = p.first_author[i], p.first_author[j]
    return not fa or not fb or fa == fb or fa.startswith(fb) or fb.startswith(fa)


def _numbers_conflict(a: tuple[str, ...], b: tuple[str, ...]) -> bool:
    """Each title has a number the other lacks ("delta 8" vs "delta 9")."""
    if a == b or not a or not b:
        return False
    only_a, only_b = list(a), list(b)
    for n in b:
        if n in only_a:
            only_a.remove(n)
    for n in a:
        if n in only_b:
            only_b.remove(n)
    return bool(only_a and only_b)


def _merge_rule(p: Prepared, i: int, j: int, s: Scores, policy: DedupPolicy) -> str:
    t, a = s.title, s.authors
    locators = (s.volume > 0) + (s.page > 0)
    generic = p.title_generic[i] or p.title_generic[j]
    if generic:
        same_item = s.volume > 0 and s.page > 0 and s.issue >= 0 and s.doi >= 0
        if t >= 99 and a >= 90 and s.year_gap == 0 and same_item:
            return "generic_title_full_match"
        return ""
    if _numbers_conflict(p.numbers[i], p.numbers[j]):
        if not (s.volume > 0 and s.page > 0 and t >= 95 and a >= 80 and s.year_gap == 0):
            return ""  # "delta 8" vs "delta 9", "phase 2" vs "phase 3": a person decides
    if s.page < 0 and printed_twice(p, i, j, s):
        return "printed_twice_in_one_issue"
    if republished(p, i, j, s):
        return "review_updated_under_one_title"
    located = s.journal > 0 and s.volume > 0 and s.issue > 0 and s.year_gap == 0
    if located and s.page == 0 and t >= 90 and a >= 90 and s.doi >= 0:
        if _first_page_slip(p, i, j):
            return "citation_first_page_slip"  # "2141-2147" / "2142-2147", a subtitle dropped
    if t < 80 and _same_citation_other_title(p, i, j, s):
        return "full_citation_translated_title"  # DOI agrees too, title translated
    first_ok = _same_first_author(p, i, j)
    if s.doi > 0 and (t >= 97 or (t >= 90 and s.journal >= 0 and first_ok)) and a >= 70:
        if s.year_gap <= 1:
            return "doi_title_authors"
    if s.doi > 0 and t >= 97 and a >= 90 and s.volume > 0 and s.journal > 0:
        return "doi_title_authors_volume"  # years apart: online first vs issue
    if s.year_gap > 1 and _year_garbled(p, i, j, s):
        return "doi_title_authors_garbled_year"
    if s.doi > 0 and t >= 97 and a < 0 and s.journal >= 0 and s.year_gap == 0:
        return "doi_title_no_authors"
    if s.doi > 0 and t >= 97 and s.year_gap == 0 and locators == 2 and (a >= 50 or a < 0):
        return "doi_title_citation"  # author names transliterated or truncated
    same_citation = s.volume > 0 and s.page > 0 and s.issue >= 0 and s.year_gap == 0
    if s.doi < 0 and same_citation and t >= 97 and a >= 90 and (s.journal >= 0 or s.issue > 0):
        return "title_authors_citation_other_doi"  # one DOI mistyped or a second DOI
    if s.doi < 0 and not journals_same(p.journal[i], p.journal[j]):
        return ""  # different DOIs in different journals: a reprint, not a copy
    if t >= 99 and s.year_gap == 0 and s.journal > 0 and locators == 2 and s.issue >= 0:
        if a >= 60 and s.doi >= 0:
            return "title_citation"
    if s.doi > 0 and t >= 80 and a >= 90 and s.year_gap == 0 and locators == 2:
        return "doi_full_citation"  # translated or re-worded title, same citation
    same_end = s.page > 0 and p.page_end[i] == p.page_end[j] and len(p.page_end[i]) >= 2
    if s.doi > 0 and t >= 90 and s.year_gap == 0 and locators == 2 and s.issue > 0:
        if same_end and (a >= 50 or a < 0):
            return "doi_title_full_citation"  # title spelled apart ("AAA+" / "AAA plus")
    same_range = same_end and p.page_end[i] != p.page[i]
    if t >= 97 and a >= 90 and s.year_gap == 0 and s.issue > 0 and s.volume >= 0:
        if same_range and s.doi >= 0:
            return "title_authors_issue_page_range"  # journal name translated or romanised
    complete = s.volume > 0 and s.issue >= 0 and s.journal > 0 and s.doi >= 0
    if complete and t >= 99 and a >= 90 and s.abstract >= 95 and s.year_gap == 0:
        if s.page < 0 and _page_mistyped(p, i, j):
            return "one_mistyped_page"  # same abstract; "81-87" typed "18-87"
    if complete and s.page > 0 and t >= 90 and a >= 90 and same_range:
        if s.year_gap < 0:
            return "citation_without_year"  # one export lost the year
        if t >= 95 and s.year_gap > 1 and year_mistyped(p, i, j, s):
            return "citation_mistyped_year"
    if t >= 99 and s.year_gap == 0 and locators == 2 and s.issue >= 0 and s.doi >= 0:
        if same_range and (s.journal > 0 or s.abstract >= 95):
            return "title_page_range_any_authors"  # group author or transliterated names
    close_year = s.year_gap == 0 or (s.year_gap == 1 and s.issue > 0)
    if s.doi > 0 and t >= 95 and close_year and locators == 2 and s.abstract >= 90:
        return "doi_title_citation_abstract"  # author names garbled by one export
    if t >= 95 and s.abstract >= 95 and s.year_gap == 0 and s.journal > 0 and a < 0:
        if s.volume >= 0 and s.issue >= 0 and s.page >= 0 and s.doi >= 0:
            return "title_abstract_venue_no_authors"
    if s.doi < 0 and not (s.page > 0 and (s.volume > 0 or s.year_gap == 0)):
        return ""  # different DOIs need the citation itself to agree
    # Proceedings papers have no volume or pages and their venue is spelled many ways
    # ("AMCIS 2017 Proceedings"); journals with different names are different items.
    unlocated = not (p.volume[i] or p.page[i] or p.volume[j] or p.page[j])
    venue_ok = s.journal >= 0 or (unlocated and p.is_conference[i] and p.is_conference[j])
    strong = t >= policy.merge_title and a >= policy.merge_authors and s.year_gap == 0
    if strong and (s.page >= 0 or s.doi > 0):
        if s.journal > 0 or (s.journal == 0 and locators >= 1):
            return "title_authors_year_venue"
        sparse = s.journal == 0 and s.volume >= 0 and s.issue >= 0
        if sparse and t >= 98 and a >= 90 and len(p.title[i].split()) >= 5:
            return "title_authors_year_sparse"  # one record lacks every locator
        if s.abstract >= 90 and venue_ok:
            return "title_authors_year_abstract"
        if venue_ok and p.is_conference[i] and p.is_conference[j] and t >= 97 and a >= 90:
            return "title_authors_year_conference"
    both_conference = p.is_conference[i] and p.is_conference[j]
    if both_conference and t >= 97 and a >= 90 and s.year_gap == 0 and s.page > 0:
        return "title_authors_pages_proceedings"  # proceedings titles are spelled many ways
    if same_range and t >= 85 and a >= 90 and s.year_gap == 0 and s.doi >= 0:
        if s.journal >= 0 or both_conference:
            return "title_authors_page_range"  # a subtitle dropped, same pages
    if same_range and t >= 97 and a >= 90 and s.year_gap == 1 and s.doi >= 0:
        if s.journal >= 0 and s.volume >= 0 and s.issue >= 0:
            return "title_authors_page_range_year"  # proceedings dated by meeting or print
    if t >= 99 and a >= 90 and s.abstract >= 95 and s.year_gap == 0 and s.doi >= 0:
        if s.volume > 0 and s.issue > 0 and s.page >= 0:
            return "title_authors_abstract_issue"  # journal name translated or romanised
    if t >= 90 and a >= policy.merge_authors and s.year_gap in (0, 1) and locators == 2:
        return "title_authors_citation"
    if t >= 97 and a >= 85 and s.year_gap == 1 and s.journal > 0 and s.volume >= 0:
        return "title_authors_online_first"
    if t >= 98 and a < 0 and s.year_gap == 0 and s.journal > 0 and locators == 2:
        return "title_citation_no_authors"
    return ""
