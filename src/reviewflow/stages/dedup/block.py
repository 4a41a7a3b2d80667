"""Step 2: propose candidate pairs without comparing every record with every other.

Each blocking key puts records that share it into one bucket and proposes the pairs
inside small buckets; a sorted-neighbourhood pass over titles catches typos that break
exact keys. Several independent keys keep recall high (a duplicate missed by one key,
e.g. a mistyped DOI, is caught by another, e.g. title prefix), while every key is
selective enough that the number of pairs grows about linearly with the records.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable
from itertools import combinations

import numpy as np

from reviewflow.stages.dedup.normalise import Prepared

#: Buckets larger than this are too unspecific to pair exhaustively (e.g. a common title).
MAX_BUCKET = 40


def _keys(p: Prepared) -> Iterable[tuple[str, Callable[[int], str]]]:
    def title_key(i: int) -> str:
        return "" if p.title_garbled[i] else p.title[i]

    def title_head(i: int) -> str:
        if p.title_garbled[i]:
            return ""
        words = p.title[i].split()
        return " ".join(words[:4]) if len(words) >= 5 else ""

    def title_tail(i: int) -> str:
        if p.title_garbled[i]:
            return ""
        words = p.title[i].split()
        return " ".join(words[-4:]) if len(words) >= 5 else ""

    def author_year_page(i: int) -> str:
        if not (p.first_author[i] and p.page[i]):
            return ""
        return f"{p.first_author[i]}|{p.year[i]}|{p.page[i]}"

    def volume_page(i: int) -> str:
        if not (p.volume[i] and p.page[i]):
            return ""
        return f"{p.volume[i]}|{p.page[i]}|{p.journal[i][:1]}"

    def author_title(i: int) -> str:
        if not p.first_author[i] or not p.title[i]:
            return ""
        initials = "".join(w[0] for w in p.title[i].split()[:6])
        return f"{p.first_author[i]}|{initials}"

    def abstract_head(i: int) -> str:
        return p.abstract[i][:80] if len(p.abstract[i]) >= 80 else ""

    yield "doi", lambda i: p.doi[i]
    yield "title", title_key
    yield "title_head", title_head
    yield "title_tail", title_tail
    yield "author_year_page", author_year_page
    yield "volume_page", volume_page
    yield "author_title", author_title
    yield "abstract", abstract_head


def _bucket_pairs(values: list[str], out: list[np.ndarray]) -> None:
    buckets: dict[str, list[int]] = defaultdict(list)
    for i, value in enumerate(values):
        if value:
            buckets[value].append(i)
    flat: list[int] = []
    for members in buckets.values():
        k = len(members)
        if k < 2 or k > MAX_BUCKET:
            continue
        if k == 2:
            flat.extend(members)
        else:
            for pair in combinations(members, 2):
                flat.extend(pair)
    if flat:
        out.append(np.asarray(flat, dtype=np.int64).reshape(-1, 2))


def _neighbour_pairs(values: list[str], window: int, out: list[np.ndarray]) -> None:
    order = [i for i in sorted(range(len(values)), key=values.__getitem__) if values[i]]
    idx = np.asarray(order, dtype=np.int64)
    for step in range(1, window + 1):
        if len(idx) > step:
            out.append(np.stack([idx[:-step], idx[step:]], axis=1))


def candidate_pairs(
    p: Prepared, *, restrict_to: np.ndarray | None = None, window: int = 3
) -> np.ndarray:
    """Unique candidate pairs (i < j, row indices into ``p``) as an (m, 2) int array.

    ``restrict_to`` (a boolean mask) keeps only pairs with at least one flagged record:
    an incremental run proposes pairs that involve a new record and nothing else.
    """
    chunks: list[np.ndarray] = []
    for _name, key in _keys(p):
        _bucket_pairs([key(i) for i in range(len(p))], chunks)
    titles = ["" if g else t for t, g in zip(p.title, p.title_garbled, strict=True)]
    _neighbour_pairs(titles, window, chunks)
    _neighbour_pairs([t[::-1] for t in titles], window, chunks)
    if not chunks:
        return np.empty((0, 2), dtype=np.int64)
    pairs = np.concatenate(chunks)
    pairs.sort(axis=1)
    pairs = pairs[pairs[:, 0] != pairs[:, 1]]
    n = max(len(p), 1)
    codes = np.unique(pairs[:, 0] * n + pairs[:, 1])
    pairs = np.stack([codes // n, codes % n], axis=1)
    if restrict_to is not None:
        keep = restrict_to[pairs[:, 0]] | restrict_to[pairs[:, 1]]
        pairs = pairs[keep]
    return pairs
