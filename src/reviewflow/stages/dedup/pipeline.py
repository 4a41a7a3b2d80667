"""Find duplicate records: normalise → block → compare → decide → cluster.

The pure core of ``reviewflow dedup``. It takes records and returns groups, evidence and
queues; the store layer turns groups into links (never deletions), shows the queue to a
person and records their decisions, which come back here as ``decisions`` on the next
run so that nothing a person decided is decided again.

Written here rather than taken from bib-dedupe because bib-dedupe takes minutes on
50k records and gigabytes of memory (pandas frames of all pairs) and has no review queue
or related-record policy; its ideas (several blocking keys, field-wise rules, a
conservative stance on DOIs) are followed.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

from reviewflow.progress import Progress
from reviewflow.records import Record
from reviewflow.stages.dedup.block import candidate_pairs
from reviewflow.stages.dedup.cluster import Groups, try_join
from reviewflow.stages.dedup.compare import Scores, compare, title_similarity
from reviewflow.stages.dedup.decide import (
    Verdict,
    decide,
    hard_conflict,
    notices_differ,
    same_review,
)
from reviewflow.stages.dedup.normalise import Prepared, prepare
from reviewflow.stages.dedup.policy import CATEGORIES, DedupPolicy

__all__ = [
    "CATEGORIES",
    "DedupPolicy",
    "DedupResult",
    "DuplicateGroup",
    "PairDecision",
    "PairEvidence",
    "find_duplicates",
]


@dataclass(frozen=True)
class PairEvidence:
    """Why two records (by id) were linked, queued or set apart."""

    a: int
    b: int
    rule: str
    scores: dict[str, float]
    category: str = ""
    #: False when a person confirmed the pair (a decision passed in).
    automatic: bool = True


@dataclass(frozen=True)
class PairDecision:
    """A person's decision on a pair of record ids: duplicate or not."""

    a: int
    b: int
    duplicate: bool


@dataclass(frozen=True)
class DuplicateGroup:
    """Records that are one item; ``canonical`` (the most complete) stands for all."""

    canonical: int
    members: tuple[int, ...]
    #: The pairs that joined the group (a spanning tree: len(members) - 1 of them).
    links: tuple[PairEvidence, ...]

    @property
    def duplicates(self) -> tuple[int, ...]:
        """Members other than the canonical record: what PRISMA counts as removed."""
        return tuple(m for m in self.members if m != self.canonical)


@dataclass
class DedupResult:
    """Groups to link, pairs for a person, and related pairs by policy category."""

    groups: list[DuplicateGroup]
    uncertain: list[PairEvidence]
    related: dict[str, list[PairEvidence]] = field(default_factory=dict)
    candidate_pairs: int = 0

    def removed_ids(self) -> set[int]:
        """Ids of records linked to another record (not canonical)."""
        return {d for g in self.groups for d in g.duplicates}

    @property
    def duplicates_removed(self) -> int:
        """How many records these groups would link (before they are stored); a project's
        PRISMA count is :func:`reviewflow.stages.dedup.links.duplicates_removed`."""
        return len(self.removed_ids())


def _key(a: int, b: int) -> tuple[int, int]:
    return (a, b) if a < b else (b, a)


def find_duplicates(
    records: Sequence[Record],
    *,
    policy: DedupPolicy | None = None,
    progress: Progress | None = None,
    existing: Sequence[Record] = (),
    existing_groups: Sequence[Sequence[int]] = (),
    decisions: Sequence[PairDecision] = (),
) -> DedupResult:
    """Group duplicates among ``records`` (and against ``existing`` ones, if given).

    Incremental use: pass the project's records as ``existing``, the groups already
    linked as ``existing_groups`` (record ids, canonical first) and every pair a person
    decided as ``decisions``; only pairs involving a record of ``records`` are compared,
    decided pairs are never re-decided, existing groups are kept whole with their
    canonical record, and new records may join them. The result then lists every group
    over all records.
    """
    policy = policy or DedupPolicy()
    report = progress or (lambda step, done, total: None)
    everything = [*existing, *records]
    p = prepare(everything)
    report("normalise", len(p), len(p))
    row = {rid: i for i, rid in enumerate(p.ids)}
    if len(row) != len(p):
        raise ValueError("record ids must be unique")
    new_mask = None
    if existing:
        new_mask = np.zeros(len(p), dtype=bool)
        new_mask[len(existing) :] = True
    pairs = candidate_pairs(p, restrict_to=new_mask)
    report("block", len(pairs), len(pairs))

    named = {d.a for d in decisions} | {d.b for d in decisions}
    named.update(m for members in existing_groups for m in members)
    unknown = sorted(named - row.keys())
    if unknown:
        raise ValueError(f"decisions or groups name records not given: {unknown[:5]}")
    decided = {_key(row[d.a], row[d.b]): d.duplicate for d in decisions}
    rejected = {k for k, dup in decided.items() if not dup}
    verdicts = _decide_all(p, pairs, decided, policy, report)
    return _cluster(p, verdicts, existing_groups, decisions, rejected, row, policy, len(pairs))


def _decide_all(
    p: Prepared,
    pairs: np.ndarray,
    decided: dict[tuple[int, int], bool],
    policy: DedupPolicy,
    report: Progress,
) -> list[tuple[int, int, Scores, Verdict]]:
    out = []
    total = len(pairs)
    garbled, doi, page, volume = p.title_garbled, p.doi, p.page, p.volume
    cochrane = p.cochrane
    for n, (i, j) in enumerate(pairs.tolist()):
        if n % 50_000 == 0:
            report("compare", n, total)
        if (i, j) in decided:
            continue
        same_place = page[i] and page[i] == page[j] and volume[i] == volume[j]
        same_place = same_place or (cochrane[i] and cochrane[i] == cochrane[j])
        if not (garbled[i] or garbled[j] or (doi[i] and doi[i] == doi[j]) or same_place):
            if title_similarity(p, i, j) < policy.review_title:
                continue  # the rules need at least this much title agreement
        scores = compare(p, i, j)
        verdict = decide(p, i, j, scores, policy)
        if verdict.kind != "distinct":
            out.append((i, j, scores, verdict))
    report("compare", total, total)
    return out


def _strength(item: tuple[int, int, Scores, Verdict]) -> tuple[float, ...]:
    s = item[2]
    return (-(s.doi > 0), -s.title, -s.authors, -(s.page > 0), item[0], item[1])


def _cluster(
    p: Prepared,
    verdicts: list[tuple[int, int, Scores, Verdict]],
    existing_groups: Sequence[Sequence[int]],
    decisions: Sequence[PairDecision],
    rejected: set[tuple[int, int]],
    row: dict[int, int],
    policy: DedupPolicy,
    n_pairs: int,
) -> DedupResult:
    groups = Groups(len(p))
    edges: dict[int, list[PairEvidence]] = defaultdict(list)
    fixed_canonical: dict[int, int] = {}
    for members in existing_groups:
        rows = [row[m] for m in members]
        for other in rows[1:]:
            groups.union(rows[0], other)
        fixed_canonical[rows[0]] = rows[0]
    for d in decisions:
        if d.duplicate:
            groups.union(row[d.a], row[d.b])
            edges[row[d.a]].append(PairEvidence(d.a, d.b, "confirmed", {}, automatic=False))

    def compatible(x: int, y: int) -> bool:
        if _key(x, y) in rejected:
            return False
        s = compare(p, x, y)
        if hard_conflict(p, x, y, s):
            return False
        if notices_differ(p, x, y, s) or p.part[x] != p.part[y]:
            return False
        if same_review(p, x, y):
            return True  # versions of one review, its title reworded between them
        return s.title >= 80 or s.doi > 0 or (s.volume > 0 and s.page > 0 and s.authors >= 90)

    uncertain: list[PairEvidence] = []
    related: dict[str, list[PairEvidence]] = {c: [] for c in CATEGORIES}
    ids = p.ids
    for i, j, scores, verdict in sorted(verdicts, key=_strength):
        ev = PairEvidence(ids[i], ids[j], verdict.rule, scores.as_dict(), verdict.category)
        if verdict.category:
            related[verdict.category].append(ev)
        if verdict.kind == "duplicate":
            if groups.find(i) == groups.find(j):
                continue  # already joined through other pairs; the tree keeps its links
            if try_join(groups, i, j, compatible):
                edges[i].append(ev)
            else:
                uncertain.append(
                    PairEvidence(ev.a, ev.b, f"blocked_chain:{ev.rule}", ev.scores, ev.category)
                )
        elif verdict.kind == "uncertain" and groups.find(i) != groups.find(j):
            uncertain.append(ev)
    return DedupResult(
        groups=_build_groups(p, groups, edges, fixed_canonical),
        uncertain=uncertain,
        related=related,
        candidate_pairs=n_pairs,
    )


def _build_groups(
    p: Prepared,
    groups: Groups,
    edges: dict[int, list[PairEvidence]],
    fixed_canonical: dict[int, int],
) -> list[DuplicateGroup]:
    by_root: dict[int, list[PairEvidence]] = defaultdict(list)
    for i, evs in edges.items():
        by_root[groups.find(i)].extend(evs)
    out = []
    for members in groups.all_groups():
        fixed = [m for m in members if m in fixed_canonical]
        if fixed:
            canonical = min(fixed, key=lambda m: p.ids[m])
        else:
            canonical = max(members, key=lambda m: (p.completeness[m], -p.ids[m]))
        out.append(
            DuplicateGroup(
                canonical=p.ids[canonical],
                members=tuple(sorted(p.ids[m] for m in members)),
                links=tuple(by_root.get(groups.find(members[0]), ())),
            )
        )
    out.sort(key=lambda g: g.members[0])
    return out
