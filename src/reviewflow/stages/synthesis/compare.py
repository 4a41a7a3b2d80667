"""Agreement of coders who coded the same findings independently, per code and per study.

Each (segment, code) pair is a yes/no rating by each coder, over the in-scope segments of
the studies both coders coded; Cohen's κ and percent agreement come from
:mod:`reviewflow.agreement`, the same functions screening uses.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from ...project import Project
from ...store import synthesis_queries as sq
from .. import studies as studies_mod

_YES_NO = (True, False)


def agreement(
    segments: Sequence[int],
    codes: Iterable[int],
    first: set[tuple[int, int]],
    second: set[tuple[int, int]],
) -> dict[str, Any]:
    """Pure core: κ and agreement over ``segments`` × ``codes`` of two coders' pairs."""
    from ...agreement import cohen_kappa, percent_agreement  # numpy: only here

    a, b = [], []
    for code in codes:
        for seg in segments:
            a.append((seg, code) in first)
            b.append((seg, code) in second)
    kappa = cohen_kappa(a, b, categories=_YES_NO)
    return {
        "items": len(a),
        "both": sum(x and y for x, y in zip(a, b, strict=True)),
        "only_first": sum(x and not y for x, y in zip(a, b, strict=True)),
        "only_second": sum(y and not x for x, y in zip(a, b, strict=True)),
        "percent_agreement": percent_agreement(a, b),
        "kappa": kappa.kappa,
        "kappa_note": kappa.reason,
    }


def compare_coders(project: Project, first: str, second: str) -> dict[str, Any]:
    """Per code and per study agreement of two coders, plus the pooled figure."""
    with project.db.connect() as conn:
        apps_a = sq.active_applications(conn, coder=first)
        apps_b = sq.active_applications(conn, coder=second)
        segs = [s for s in sq.list_segments(conn) if s["in_scope"]]
        code_rows = {c["id"]: c["name"] for c in sq.list_codes(conn)}
        labels = studies_mod.load(conn, project).labels()
    studies = sorted({a["study_id"] for a in apps_a} & {b["study_id"] for b in apps_b})
    seg_ids = [s["id"] for s in segs if s["study_id"] in studies]
    pairs_a = {(a["segment_id"], a["code_id"]) for a in apps_a}
    pairs_b = {(b["segment_id"], b["code_id"]) for b in apps_b}
    used = sorted({c for _, c in pairs_a | pairs_b if c in code_rows})
    per_code = [
        {"code_id": c, "code": code_rows[c], **agreement(seg_ids, [c], pairs_a, pairs_b)}
        for c in used
    ]
    per_study = []
    for study in studies:
        mine = [s["id"] for s in segs if s["study_id"] == study]
        per_study.append(
            {"study_id": study, "study": labels[study], **agreement(mine, used, pairs_a, pairs_b)}
        )
    return {
        "coders": [first, second],
        "studies": studies,
        "overall": agreement(seg_ids, used, pairs_a, pairs_b),
        "per_code": per_code,
        "per_study": per_study,
    }
