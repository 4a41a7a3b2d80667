"""Who screens which item: derived from the plan, never stored.

The items of title/abstract are the canonical records (duplicates are screened once, via
their canonical record); the items of full text are the reports whose record passed
title/abstract and whose full text was retrieved. Assignment is a pure function of the
plan and the item id, so it is reproducible from the seed and unchanged by new records.
"""

from __future__ import annotations

from collections.abc import Iterable

from .plan import Plan, in_double_share, second_reviewer_for


def reviewers_for(plan: Plan, item_id: int) -> tuple[str, ...]:
    """The screeners of one item: every main reviewer, plus a second one if sampled."""
    second = second_reviewer_for(plan, item_id)
    if second is None or second in plan.reviewers:
        return plan.reviewers
    return (*plan.reviewers, second)


def assign(plan: Plan, item_ids: Iterable[int]) -> dict[int, tuple[str, ...]]:
    """item id -> its screeners, for every item."""
    return {item: reviewers_for(plan, item) for item in item_ids}


def double_screened(plan: Plan, item_ids: Iterable[int]) -> list[int]:
    """Items that at least two reviewers screen independently (the agreement sample)."""
    if len(plan.reviewers) >= 2:
        return list(item_ids)
    return [i for i in item_ids if plan.second_reviewers and in_double_share(plan, i)]
