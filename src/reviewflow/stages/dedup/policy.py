"""What to do with pairs that are related but are not the same record.

A conference abstract and the later journal article, an erratum and the article it
corrects, a preprint and its published version, two versions of a Cochrane review (or of
an evidence summary re-issued under one title, as BMJ Clinical Evidence does), Part I
and Part II of a paper, or an annual item that repeats its title every year: these look
like duplicates to string similarity but a review may need to keep both. Each category
has an action a team sets in its protocol; every such pair is reported under its category
whatever the action, so the choice stays visible in the PRISMA narrative.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

Action = Literal["merge", "review", "separate"]

#: Related-but-different categories, in the order reports list them.
CATEGORIES: tuple[str, ...] = (
    "conference_vs_journal",
    "erratum",
    "preprint_vs_published",
    "cochrane_version",
    "multi_part",
    "annual_item",
)

_DEFAULT_ACTIONS: dict[str, Action] = {
    # Cochrane updates (pub2, pub3, ...) report the same review; counting each as a record
    # would inflate the PRISMA flow, so they are linked by default (and listed).
    "cochrane_version": "merge",
    "conference_vs_journal": "separate",
    "erratum": "separate",
    "preprint_vs_published": "separate",
    "multi_part": "separate",
    "annual_item": "separate",
}


@dataclass(frozen=True)
class DedupPolicy:
    """Per-category actions and the similarity thresholds of the automatic rules.

    ``merge`` links the pair like any duplicate, ``review`` puts it in the review queue,
    ``separate`` keeps both records. Thresholds are rapidfuzz scores (0-100).
    """

    actions: dict[str, Action] = field(default_factory=lambda: dict(_DEFAULT_ACTIONS))
    #: Title similarity above which a pair is at least worth a person's look.
    review_title: float = 85.0
    #: Title similarity for an automatic merge with agreeing authors, year and venue.
    merge_title: float = 95.0
    #: Author similarity (token set) for an automatic merge.
    merge_authors: float = 80.0

    def action(self, category: str) -> Action:
        """The action for ``category`` ("separate" for a category the policy omits)."""
        if category not in CATEGORIES:
            raise ValueError(f"unknown related-record category {category!r}")
        return self.actions.get(category, "separate")

    def with_actions(self, **actions: Action) -> DedupPolicy:
        """A copy with some category actions changed (``cochrane_version="review"``)."""
        for category, action in actions.items():
            if category not in CATEGORIES or action not in ("merge", "review", "separate"):
                raise ValueError(f"invalid policy {category}={action}")
        merged = {**self.actions, **actions}
        return DedupPolicy(
            actions=merged,
            review_title=self.review_title,
            merge_title=self.merge_title,
            merge_authors=self.merge_authors,
        )
