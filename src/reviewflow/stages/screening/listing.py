"""A reviewer's items as a list: search, filter by own vote or tag, page through.

Blind: each row carries the reviewer's own vote, reason and note, never anyone else's.
Tags are the ``#tag`` words of the reviewer's own note (see :mod:`.view`).

The search is a case-insensitive substring of the title, abstract or authors. An ASCII
search is narrowed in SQL first (LIKE ignores the case of ASCII letters on both engines),
then checked in Python on the rows it found; a search with other letters (SQLite's LIKE
would miss "É" for "é") is checked in Python on all the reviewer's items.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from ...errors import InputError
from ...project import Project
from ...store import screening_queries as sq
from . import live
from .conflicts import item_texts
from .plan import check_reviewer, check_stage, get_plan
from .view import parse_tags, split_note

VOTE_FILTERS = ("include", "exclude", "maybe", "none")


@dataclass(frozen=True)
class ListItem:
    item_id: int
    title: str
    year: int | None
    authors: tuple[str, ...]
    #: The reviewer's own current vote (None: not voted yet), reason and note.
    vote: str | None
    reason: str | None
    note: str
    tags: tuple[str, ...]

    def to_dict(self) -> dict[str, Any]:
        return {**self.__dict__, "authors": list(self.authors), "tags": list(self.tags)}


@dataclass(frozen=True)
class ItemPage:
    """One page of the filtered list, and how many items passed the filters in all."""

    items: list[ListItem] = field(default_factory=list)
    total: int = 0
    offset: int = 0
    limit: int = 50

    def to_dict(self) -> dict[str, Any]:
        return {
            "items": [i.to_dict() for i in self.items],
            "total": self.total,
            "offset": self.offset,
            "limit": self.limit,
        }


def list_items(
    project: Project,
    *,
    stage: str,
    reviewer: str,
    query: str = "",
    vote: str | None = None,
    tag: str | None = None,
    offset: int = 0,
    limit: int = 50,
) -> ItemPage:
    """``reviewer``'s items at ``stage`` in id order, filtered and paged.

    ``vote``: "include", "exclude", "maybe" (their own current vote) or "none" (not voted
    yet); ``tag``: a ``#tag`` of their own note (with or without the ``#``).
    """
    check_stage(stage)
    check_reviewer(project, reviewer)
    if vote is not None and vote not in VOTE_FILTERS:
        raise InputError(
            f"unknown vote filter {vote!r}", hint="Use one of: " + ", ".join(VOTE_FILTERS) + "."
        )
    if offset < 0 or limit < 1:
        raise InputError(f"offset {offset} and limit {limit}: want offset >= 0 and limit >= 1")
    wanted_tag = (parse_tags(tag) or ("",))[0].lower() if tag else None
    needle = query.strip().lower()
    with project.db.connect() as conn:
        items = live.stage_items(conn, project, get_plan(project, stage))
        own = live.own_votes(conn, project, items, reviewer).votes
        chosen = [i for i in items.mine(reviewer) if _passes(own.get(i), vote=vote, tag=wanted_tag)]
        if needle:
            chosen = _search(conn, stage, chosen, needle)
        page = chosen[offset : offset + limit]
        texts = item_texts(conn, stage, page)
    rows = []
    for item in page:
        text, cast = texts.get(item, {}), own.get(item)
        note, tags = split_note(cast.vote.note if cast else None)
        rows.append(
            ListItem(
                item_id=item,
                title=text.get("title") or "(no title)",
                year=text.get("year"),
                authors=tuple(text.get("authors") or ()),
                vote=cast.vote.decision if cast else None,
                reason=cast.vote.reason if cast else None,
                note=note,
                tags=tags,
            )
        )
    return ItemPage(items=rows, total=len(chosen), offset=offset, limit=limit)


def _passes(cast: live.OwnVote | None, *, vote: str | None, tag: str | None) -> bool:
    if vote == "none" and cast is not None:
        return False
    if vote not in (None, "none") and (cast is None or cast.vote.decision != vote):
        return False
    if tag is not None:
        tags = split_note(cast.vote.note if cast else None)[1]
        return tag in (t.lower() for t in tags)
    return True


def _search(conn: Any, stage: str, items: list[int], needle: str) -> list[int]:
    """Those of ``items`` whose title, abstract or authors contain ``needle`` (lower case)."""
    candidates = items
    if stage == "ta" and needle.isascii():
        found = sq.records_matching(conn, needle)
        candidates = [i for i in items if i in found]
    texts = item_texts(conn, stage, candidates)
    out = []
    for item in candidates:
        text = texts.get(item, {})
        fields = [text.get("title") or "", text.get("abstract") or "", *(text.get("authors") or [])]
        if any(needle in f.lower() for f in fields):
            out.append(item)
    return out
