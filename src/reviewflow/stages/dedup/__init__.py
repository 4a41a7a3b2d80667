"""Deduplication: duplicates are *linked* to a canonical record, never deleted.

The pure core is :mod:`.pipeline` (normalise → block → compare → decide → cluster:
:func:`find_duplicates` takes records and returns groups, evidence and queues), built from
:mod:`.normalise`, :mod:`.journal`, :mod:`.block`, :mod:`.compare`, :mod:`.decide`,
:mod:`.cluster` and :mod:`.policy`. :mod:`.project` runs it on a project (new records
against the whole project, the review queue, people's decisions, undo), :mod:`.links`
owns the duplicate links (every stage reads and writes them there, and PRISMA's
"duplicates removed" is :func:`.links.duplicates_removed`), and :mod:`.sheet` is the
review queue as a spreadsheet.

The core's names are re-exported here on first use, so reading the links (``reviewflow
status``, screening) does not import numpy and rapidfuzz.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .pipeline import (
        CATEGORIES,
        DedupPolicy,
        DedupResult,
        DuplicateGroup,
        PairDecision,
        PairEvidence,
        find_duplicates,
    )

__all__ = [
    "CATEGORIES",
    "DedupPolicy",
    "DedupResult",
    "DuplicateGroup",
    "PairDecision",
    "PairEvidence",
    "find_duplicates",
]


def __getattr__(name: str) -> Any:
    if name in __all__:
        from . import pipeline

        return getattr(pipeline, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
