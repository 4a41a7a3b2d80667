"""What the coding screen reads and does: a study's segments with their codings and memos,
codings at character offsets (a new code made in the same step), memos on segments,
splitting a code by chosen codings, two coders side by side, and the code history told
in words.

The web pages and the JSON API call these functions; they are built on the code bank of
:mod:`.codes` (every change to a code is a ``code_events`` row) and on the same
agreement core as ``reviewflow code compare`` (:mod:`.compare`). Memos on segments are
append-only: the latest per segment is current and the earlier ones are its history.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from itertools import pairwise
from typing import Any

from ...errors import InputError, NotFoundError, StateError
from ...project import Project
from ...store import synthesis_queries as sq
from .. import studies as studies_mod
from ..who import acting
from . import compare
from .codes import CodeRef, _apply, _create, _move_applications, resolve
from .findings import attached_full_texts


def overview(project: Project) -> dict[str, Any]:
    """Per included study: its segments (in scope, quotes) and, per coder, how many
    segments they coded and with how many codings; whether a full text is attached."""
    included = studies_mod.included(project)
    with project.db.connect() as conn:
        segs = sq.list_segments(conn)
        apps = sq.active_applications(conn)
    coders = sorted({a["coder"] for a in apps})
    rows = []
    for study in included:
        mine = [s for s in segs if s["study_id"] == study.id]
        coded = [a for a in apps if a["study_id"] == study.id]
        per_coder = {
            c: {
                "segments": len({a["segment_id"] for a in coded if a["coder"] == c}),
                "codings": sum(a["coder"] == c for a in coded),
            }
            for c in coders
        }
        rows.append(
            {
                "study_id": study.id,
                "study": study.label,
                "segments": len(mine),
                "in_scope": sum(bool(s["in_scope"]) for s in mine),
                "quotes": sum(s["kind"] == "quote" for s in mine),
                "coders": per_coder,
                "full_text": bool(attached_full_texts(project, study.id)) if not mine else None,
            }
        )
    return {"coders": coders, "studies": rows}


def study_view(project: Project, study: str | int, *, coder: str | None = None) -> dict[str, Any]:
    """An included study's segments in order, each with its current memo (and the memo's
    history) and its codings (only ``coder``'s when given), plus per-code counts here."""
    sid = studies_mod.get(project, study, doing="coded")
    with project.db.connect() as conn:
        segs = sq.list_segments(conn, study_id=sid.id)
        ids = [s["id"] for s in segs]
        apps = sq.active_applications(conn, segment_ids=ids) if ids else []
        names = {c["id"]: c["name"] for c in sq.list_codes(conn, include_inactive=True)}
        memos = sq.list_segment_memos(conn, segment_ids=ids) if ids else []
    coders = sorted({a["coder"] for a in apps})
    shown = [a for a in apps if coder is None or a["coder"] == coder]
    by_segment: dict[int, list[dict[str, Any]]] = {i: [] for i in ids}
    for app in shown:
        by_segment[app["segment_id"]].append(app)
    history: dict[int, list[dict[str, Any]]] = {i: [] for i in ids}
    for memo in memos:
        history[memo["segment_id"]].append(memo)
    out = []
    for seg in segs:
        codings = [_coding(a, seg["text"], names) for a in by_segment[seg["id"]]]
        versions = history[seg["id"]]
        current = versions[-1] if versions and versions[-1]["memo"] else None
        out.append({**seg, "codings": codings, "memo": current, "memo_history": versions})
    coded: dict[int, set[int]] = {}
    for app in shown:
        coded.setdefault(app["code_id"], set()).add(app["segment_id"])
    counts = {code_id: len(segs_) for code_id, segs_ in coded.items()}
    return {
        "study_id": sid.id,
        "study": sid.label,
        "coder": coder,
        "coders": coders,
        "segments": out,
        "code_counts": counts,
    }


def _coding(app: Mapping[str, Any], text: str, names: Mapping[int, str]) -> dict[str, Any]:
    whole = app["span_start"] is None
    start, end = (0, len(text)) if whole else (app["span_start"], app["span_end"])
    return {
        "id": app["id"],
        "segment_id": app["segment_id"],
        "code_id": app["code_id"],
        "code": names.get(app["code_id"], f"code {app['code_id']}"),
        "coder": app["coder"],
        "whole": whole,
        "start": start,
        "end": end,
        "text": text[start:end],
        "created_at": app["created_at"],
    }


def apply_coding(
    project: Project,
    segment_id: int,
    *,
    code: CodeRef | None = None,
    new_code: str | None = None,
    span: tuple[int, int] | None = None,
    study: int | None = None,
    reviewer: str | None = None,
) -> dict[str, Any]:
    """Apply ``code``, or a code named ``new_code`` (made now, in the same transaction,
    unless an active code has that name already), to a segment or a character span of
    it; with ``study``, the segment must be one of that study's (a page's own study).
    Returns the application id and the code used."""
    coder = acting(reviewer, doing="coding this segment")
    name = (new_code or "").strip()
    if (code is None) == (not name):
        raise InputError(
            "choose a code from the code bank or type the name of a new one (not both)"
        )
    if span is not None and span[0] == span[1]:
        span = None  # an empty selection: the whole segment
    created = False
    with project.db.transaction() as conn:
        seg = sq.list_segments(conn, segment_ids=[segment_id])
        if study is not None and seg and seg[0]["study_id"] != study:
            raise InputError(f"segment {segment_id} is not a segment of study {study}")
        if name:
            found = sq.find_active_code(conn, name)
            created = found is None
            code_id = (
                _create(conn, name, memo=None, parent=None, reviewer=coder)
                if found is None
                else int(found["id"])
            )
        else:
            assert code is not None
            code_id = int(resolve(conn, code)["id"])
        app_id = _apply(conn, segment_id, code_id, coder=coder, span=span)
        row = sq.get_code(conn, code_id)
    assert row is not None
    return {"application_id": app_id, "code_id": code_id, "code": row["name"], "created": created}


def remove_coding(
    project: Project, application_id: int, *, reviewer: str | None = None, any_coder: bool = False
) -> dict[str, Any]:
    """Take one coding off again: a coder removes their own (``any_coder``: the owner may
    remove anyone's). The row stays, closed, with who removed it."""
    who = acting(reviewer, doing="removing this coding")
    with project.db.transaction() as conn:
        found = [a for a in sq.active_applications(conn) if a["id"] == application_id]
        if not found:
            raise NotFoundError(
                f"no coding {application_id} (it may have been removed already)",
                hint="Reload the study's coding page to see its current codings.",
            )
        app = found[0]
        if app["coder"] != who and not any_coder:
            raise StateError(
                f"coding {application_id} is {app['coder']}'s; only they (or the owner) "
                "can remove it",
                hint="Compare your codings with theirs on the comparison page instead.",
            )
        sq.remove_applications(conn, ids=[application_id], reason=f"removed by {who}")
    return dict(app)


def set_segment_memo(
    project: Project, segment_id: int, memo: str, *, reviewer: str | None = None
) -> dict[str, Any]:
    """Write (or, with an empty text, clear) the memo of a segment; earlier versions stay."""
    who = acting(reviewer, doing="writing this memo")
    with project.db.transaction() as conn:
        if not sq.list_segments(conn, segment_ids=[segment_id]):
            raise NotFoundError(
                f"no segment {segment_id}", hint="List segments with: reviewflow code segments"
            )
        sq.insert_segment_memo(conn, segment_id=segment_id, memo=memo.strip(), reviewer=who)
        versions = sq.list_segment_memos(conn, segment_ids=[segment_id])
    return {"segment_id": segment_id, "memo": versions[-1], "history": versions}


def split_codings(
    project: Project,
    code: CodeRef,
    application_ids: Iterable[int],
    name: str,
    *,
    reviewer: str | None = None,
) -> int:
    """Move the chosen codings of a code to a new code ``name`` (one coder's coding of a
    segment can move while another's stays). The old code closes when none remain; the
    split is a ``split`` event of the old code and a ``create`` event of the new one."""
    chosen = sorted(set(application_ids))
    if not chosen:
        raise InputError("tick at least one coding to move to the new code")
    with project.db.transaction() as conn:
        src = resolve(conn, code)
        apps = sq.active_applications(conn, code_ids=[src["id"]])
        known = {a["id"] for a in apps}
        unknown = [i for i in chosen if i not in known]
        if unknown:
            raise InputError(
                f"coding(s) {unknown} are not codings of {src['name']!r}",
                hint="Reload the code's page: its codings may have changed.",
            )
        new_id = _create(
            conn,
            name,
            memo=None,
            parent=src["parent_id"],
            reviewer=reviewer,
            detail={"split_from": src["id"]},
        )
        _move_applications(
            conn, [a for a in apps if a["id"] in chosen], new_id, f"split into {new_id}"
        )
        remaining = len(apps) - len(chosen)
        if not remaining:
            sq.update_code(conn, src["id"], values={"active": False})
        sq.insert_code_event(
            conn,
            code_id=src["id"],
            action="split",
            detail={
                "into": {name.strip(): new_id},
                "applications": chosen,
                "remaining_applications": remaining,
            },
            reviewer=reviewer,
        )
    return new_id


def code_view(project: Project, code: int) -> dict[str, Any]:
    """One code (open or closed) with its codings (study, segment, coder, text) and its
    history in words."""
    with project.db.connect() as conn:
        row = sq.get_code(conn, code)
        if row is None:
            raise NotFoundError(f"no code {code}", hint="See the code bank on the coding page.")
        apps = sq.active_applications(conn, code_ids=[code])
        segs = {
            s["id"]: s for s in sq.list_segments(conn, segment_ids={a["segment_id"] for a in apps})
        }
        names = {c["id"]: c["name"] for c in sq.list_codes(conn, include_inactive=True)}
        events = sq.list_code_events(conn, code_id=code)
        labels = studies_mod.load(conn, project).labels()
    codings = []
    for app in apps:
        seg = segs[app["segment_id"]]
        item = _coding(app, seg["text"], names)
        codings.append(
            {
                **item,
                "study_id": seg["study_id"],
                "study": labels.get(seg["study_id"], f"study {seg['study_id']}"),
                "segment_text": seg["text"],
                "kind": seg["kind"],
            }
        )
    codings.sort(key=lambda c: (c["study_id"], segs[c["segment_id"]]["position"], c["coder"]))
    return {
        **row,
        "codings": codings,
        "history": [{**e, "text": describe(e, names)} for e in events],
    }


def bank_history(project: Project, *, limit: int = 50) -> list[dict[str, Any]]:
    """The latest changes to the whole code bank, newest first, in words."""
    with project.db.connect() as conn:
        events = sq.list_code_events(conn)
        names = {c["id"]: c["name"] for c in sq.list_codes(conn, include_inactive=True)}
    rows = [{**e, "code": names.get(e["code_id"], ""), "text": describe(e, names)} for e in events]
    return rows[::-1][:limit]


def describe(event: Mapping[str, Any], names: Mapping[int, str]) -> str:
    """A code event as a sentence ("renamed ‘trust’ to ‘trust and openness’")."""
    d = event.get("detail") or {}
    action = event["action"]
    if action == "create":
        made = f"created ‘{d.get('name', '')}’"
        if d.get("split_from"):
            made += f" by splitting ‘{names.get(d['split_from'], d['split_from'])}’"
        return made
    if action == "rename":
        return f"renamed ‘{d.get('from')}’ to ‘{d.get('to')}’"
    if action == "memo":
        return f"memo set to ‘{d.get('to')}’" if d.get("to") else "memo cleared"
    if action == "move":
        parent = d.get("to")
        return f"placed under ‘{names.get(parent, parent)}’" if parent else "moved to the top"
    if action == "merge":
        n = d.get("applications", 0)
        return f"merged into ‘{d.get('into_name')}’ ({n} coding{'s' if n != 1 else ''} moved)"
    if action == "absorb":
        n = d.get("applications", 0)
        return f"absorbed ‘{d.get('from_name')}’ ({n} coding{'s' if n != 1 else ''})"
    if action == "split":
        into = ", ".join(f"‘{k}’" for k in (d.get("into") or {}))
        left = d.get("remaining_applications", 0)
        return f"split into {into}; {left} coding{'s' if left != 1 else ''} stayed"
    return action


def compare_study(project: Project, study: str | int, first: str, second: str) -> dict[str, Any]:
    """Two coders' codings of one study side by side, per segment, with their agreement
    (Cohen's κ and % over in-scope segments × codes used, per code and overall)."""
    if first == second:
        raise InputError("choose two different coders to compare")
    view = study_view(project, study)
    segs = view["segments"]
    pairs = {c: set() for c in (first, second)}  # type: dict[str, set[tuple[int, int]]]
    rows = []
    for seg in segs:
        mine = {c: [x for x in seg["codings"] if x["coder"] == c] for c in (first, second)}
        for c in (first, second):
            pairs[c] |= {(seg["id"], x["code_id"]) for x in mine[c]}
        a = {x["code_id"] for x in mine[first]}
        b = {x["code_id"] for x in mine[second]}
        rows.append(
            {
                "segment": seg,
                "first": mine[first],
                "second": mine[second],
                "same": sorted(a & b),
                "differs": a != b,
            }
        )
    scope = [s["id"] for s in segs if s["in_scope"]]
    names = {x["code_id"]: x["code"] for s in segs for x in s["codings"]}
    used = sorted({c for _, c in pairs[first] | pairs[second]})
    both_coded = bool(pairs[first]) and bool(pairs[second])
    per_code = [
        {
            "code_id": c,
            "code": names[c],
            **compare.agreement(scope, [c], pairs[first], pairs[second]),
        }
        for c in used
    ]
    return {
        "study_id": view["study_id"],
        "study": view["study"],
        "coders": [first, second],
        "available": view["coders"],
        "both_coded": both_coded,
        "rows": rows,
        "overall": compare.agreement(scope, used, pairs[first], pairs[second]) if used else None,
        "per_code": per_code,
    }


def pieces(text: str, codings: Sequence[Mapping[str, Any]]) -> list[tuple[str, list[int]]]:
    """Pure: ``text`` cut at every coding's start and end, each piece with the ids of the
    codings covering it, so overlapping codings show as one highlight per piece."""
    cuts = {0, len(text)}
    for c in codings:
        cuts |= {max(0, min(len(text), c["start"])), max(0, min(len(text), c["end"]))}
    bounds = sorted(cuts)
    out = []
    for start, end in pairwise(bounds):
        if start < end:
            over = [c["id"] for c in codings if c["start"] <= start and end <= c["end"]]
            out.append((text[start:end], over))
    return out
