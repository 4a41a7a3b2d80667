"""Offline assistance, always as suggestions a person accepts: codes and theme groupings.

Codes for an uncoded segment come from its most similar coded segments (tf-idf cosine,
scikit-learn); each neighbour votes for its codes with its similarity. Candidate groupings
of codes into themes cluster the codes by the words of their names, memos and segments
(average-linkage agglomerative clustering on cosine distance). Nothing here writes.

scikit-learn and numpy are imported inside the functions: every ``reviewflow code`` and
``themes`` command imports this module, only the ``suggest`` ones need them.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass
from typing import TYPE_CHECKING, Any

from ...errors import NotFoundError
from ...project import Project
from ...store import synthesis_queries as sq

if TYPE_CHECKING:
    from sklearn.feature_extraction.text import TfidfVectorizer


@dataclass(frozen=True)
class CodeSuggestion:
    code_id: int
    score: float
    because: list[int]  # the similar coded segments behind it

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def _vectorizer() -> TfidfVectorizer:
    from sklearn.feature_extraction.text import TfidfVectorizer

    return TfidfVectorizer(stop_words="english", sublinear_tf=True, ngram_range=(1, 2))


def rank_codes(
    text: str,
    coded: Sequence[tuple[int, str, Sequence[int]]],
    *,
    neighbours: int = 5,
    limit: int = 5,
) -> list[CodeSuggestion]:
    """Pure core: ``coded`` is (segment id, text, code ids); best codes first."""
    if not coded or not text.strip():
        return []
    import numpy as np
    from sklearn.metrics.pairwise import cosine_similarity

    vec = _vectorizer()
    try:
        matrix = vec.fit_transform([text, *(t for _, t, _ in coded)])
    except ValueError:  # only stop words
        return []
    sims = cosine_similarity(matrix[0], matrix[1:]).ravel()
    order = [i for i in np.argsort(-sims, kind="stable")[:neighbours] if sims[i] > 0]
    scores: dict[int, float] = {}
    because: dict[int, list[int]] = {}
    for i in order:
        seg_id, _, code_ids = coded[i]
        for code in code_ids:
            scores[code] = scores.get(code, 0.0) + float(sims[i])
            because.setdefault(code, []).append(seg_id)
    best = sorted(scores, key=lambda c: (-scores[c], c))[:limit]
    return [CodeSuggestion(c, round(scores[c], 4), because[c]) for c in best]


def suggest_codes(
    project: Project, segment_id: int, *, coder: str | None = None, limit: int = 5
) -> list[dict[str, Any]]:
    """Codes for a segment, from the coded segments (of ``coder``, or of anyone)."""
    with project.db.connect() as conn:
        target = sq.list_segments(conn, segment_ids=[segment_id])
        apps = sq.active_applications(conn, coder=coder)
        names = {c["id"]: c["name"] for c in sq.list_codes(conn)}
        by_seg: dict[int, list[int]] = {}
        for app in apps:
            if app["segment_id"] != segment_id and app["code_id"] in names:
                by_seg.setdefault(app["segment_id"], []).append(app["code_id"])
        texts = {s["id"]: s["text"] for s in sq.list_segments(conn, segment_ids=list(by_seg))}
    if not target:
        raise NotFoundError(f"no segment {segment_id}")
    coded = [(sid, texts[sid], sorted(set(cids))) for sid, cids in sorted(by_seg.items())]
    return [
        {**s.to_dict(), "code": names[s.code_id]}
        for s in rank_codes(target[0]["text"], coded, limit=limit)
    ]


def group_codes(
    documents: Mapping[int, str], *, groups: int | None = None, threshold: float = 0.9
) -> list[list[int]]:
    """Pure core: candidate groups of code ids, largest first.

    With ``groups`` the codes are cut into that many groups; otherwise codes join while
    their average cosine distance stays under ``threshold``.
    """
    ids = list(documents)
    if len(ids) < 2:
        return [ids] if ids else []
    from sklearn.cluster import AgglomerativeClustering

    try:
        matrix = _vectorizer().fit_transform([documents[i] for i in ids]).toarray()
    except ValueError:
        return [ids]
    model = AgglomerativeClustering(
        n_clusters=groups,
        distance_threshold=None if groups else threshold,
        metric="cosine",
        linkage="average",
    )
    empty = ~matrix.any(axis=1)
    matrix[empty] = 1e-9  # a code with no words is its own group, not an error
    labels = model.fit_predict(matrix)
    out: dict[int, list[int]] = {}
    for code_id, label in zip(ids, labels, strict=True):
        out.setdefault(int(label), []).append(code_id)
    return sorted(out.values(), key=lambda g: (-len(g), g[0]))


def suggest_groupings(
    project: Project, *, groups: int | None = None, threshold: float = 0.9
) -> list[list[dict[str, Any]]]:
    """Candidate groupings of the active codes, described by name and memo."""
    with project.db.connect() as conn:
        bank = sq.list_codes(conn)
        apps = sq.active_applications(conn)
        texts = {s["id"]: s["text"] for s in sq.list_segments(conn)}
    docs = {}
    for code in bank:
        words = [code["name"], code["memo"] or ""]
        words += [texts[a["segment_id"]] for a in apps if a["code_id"] == code["id"]]
        docs[code["id"]] = " ".join(words)
    names = {c["id"]: c for c in bank}
    return [
        [{"code_id": c, "code": names[c]["name"]} for c in group]
        for group in group_codes(docs, groups=groups, threshold=threshold)
    ]
