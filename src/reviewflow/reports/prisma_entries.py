"""Turning :func:`.prisma_project.derive`'s lists into the entries of each PRISMA box.

The one class here, :class:`Tracer`, is :mod:`.prisma_trace`'s engine: per box, the
declared-or-derived rule of the diagram, the records, reports and studies with their
decisions, and the blindness rule of the screening pages. Split from the public module
so each reads at once.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import replace
from typing import Any

from ..errors import NotFoundError
from ..project import Project
from ..stages.screening.counts import REASON_PREFIX, Members
from ..stages.screening.decisions import visible_votes
from ..stages.screening.plan import STAGES
from ..stages.screening.state import StageState, Vote
from ..store import queries
from . import prisma
from .prisma_project import Derivation, Source, declared_from_settings
from .prisma_trace import DESCRIPTIONS, PARTS, BoxTrace, Decision, TraceEntry, box_count


class Tracer:
    """One derivation of the diagram, turned box by box into entries for one viewer."""

    def __init__(
        self,
        project: Project,
        counts: prisma.PrismaCounts,
        found: Derivation,
        viewer: str | None,
        once: set[str],
    ) -> None:
        self.project, self.counts, self.found, self.viewer = project, counts, found, viewer
        self.once = once  # declared for this run only
        self.in_toml = set(declared_from_settings(project))
        self.m = found.screening or Members()
        self.conn: Any = None

    def box(self, box: str, part: str | None) -> BoxTrace:
        entries = self._entries(box)
        parts = self._parts(box)
        count = box_count(self.counts, box)
        out = BoxTrace(
            box=box,
            label=DESCRIPTIONS[box],
            count=count,
            entries=entries,
            parts=parts,
            declared=any(self.counts.is_declared(f) for f in prisma.CSV_SOURCE[box]),
        )
        if part is not None:
            out = self._only(out, part)
        out.notes = self._notes(out)
        return out

    def _only(self, out: BoxTrace, part: str) -> BoxTrace:
        known = dict(out.parts)
        if part not in known:
            listed = ", ".join(repr(p) for p in known) or "none"
            raise NotFoundError(
                f"the box {out.box} has no line {part!r}",
                hint=f"Its lines: {listed}.",
            )
        entries = [e for e in out.entries if e.part == part]
        return replace(out, part=part, count=known[part], entries=entries)

    def _parts(self, box: str) -> list[prisma.Entry]:
        if box not in PARTS:
            return []
        entries: list[prisma.Entry] = getattr(self.counts, PARTS[box])
        if PARTS[box] == "other_methods":
            return [(n, v) for n, v in entries if prisma.method_slot(n) == box]
        return list(entries)

    def _entries(self, box: str) -> list[TraceEntry]:
        ids = self.m.ids
        single: dict[str, tuple[str, Callable[[], list[TraceEntry]]]] = {
            "duplicates": ("duplicates_removed", self._duplicates),
            "excluded_automatic": ("excluded_automation", self._automation),
            "excluded_other": ("removed_other", list),
            "records_screened": ("records_screened", self._screened),
            "records_excluded": ("records_excluded", lambda: self._ta(ids["records_excluded"])),
            "dbr_sought_reports": (
                "reports_sought",
                lambda: self._retrieval(ids["reports_sought"]),
            ),
            "dbr_notretrieved_reports": (
                "reports_not_retrieved",
                lambda: self._retrieval(ids["reports_not_retrieved"]),
            ),
            "dbr_assessed": ("reports_assessed", lambda: self._ft(ids["reports_assessed"])),
            "new_reports": ("reports_included", lambda: self._ft(ids["reports_included"])),
            "new_studies": ("studies_included", self._studies),
            "previous_studies": ("previous_studies", list),
            "previous_reports": ("previous_reports", list),
            "other_sought_reports": ("other_reports_sought", list),
            "other_notretrieved_reports": ("other_reports_not_retrieved", list),
            "other_assessed": ("other_reports_assessed", list),
        }
        if box in single:
            name, derived = single[box]
            return self._single(name, derived)
        if box in ("total_studies", "total_reports"):
            first = "new_studies" if box == "total_studies" else "new_reports"
            return self._entries(first) + self._entries(box.replace("total", "previous"))
        if box.startswith("database"):
            return self._listed("databases_total", "databases", lambda: self._found("left"))
        if box.startswith("register"):
            return self._listed("registers_total", "registers", lambda: self._found("register"))
        if box == "dbr_excluded":
            return self._listed(
                "reports_excluded", "exclusion_reasons", lambda: self._ft(ids["reports_excluded"])
            )
        if box == "other_excluded":
            return self._listed("other_reports_excluded", "other_exclusion_reasons", list)
        # website, organisation and citation searching: the other methods of that slot
        if self.counts.is_declared("other_methods"):
            return [
                self._declared("other_methods", n, part=name)
                for name, n in self.counts.other_methods
                if prisma.method_slot(name) == box and n is not None
            ]
        return [e for e in self._found("other") if prisma.method_slot(e.part or "") == box]

    # -- declared or derived ----------------------------------------------------------

    def _single(self, name: str, derived: Callable[[], list[TraceEntry]]) -> list[TraceEntry]:
        value = getattr(self.counts, name)
        if self.counts.is_declared(name):
            return [] if value is None else [self._declared(name, value)]
        return [] if value is None else derived()

    def _listed(
        self, stated: str, listed: str, derived: Callable[[], list[TraceEntry]]
    ) -> list[TraceEntry]:
        """A total that may be stated, else the sum of its breakdown (prisma._total)."""
        c = self.counts
        value = getattr(c, stated)
        if value is not None:
            return [self._declared(stated, value)] if c.is_declared(stated) else derived()
        if c.is_declared(listed):
            return [self._declared(listed, n, part=name) for name, n in getattr(c, listed)]
        return [] if c.is_declared(stated) else derived()

    def _declared(self, name: str, n: int | None, *, part: str | None = None) -> TraceEntry:
        where = (
            "declared for this run (--declare)"
            if name in self.once
            else "declared in review.toml [report.declared]"
        )
        label = prisma.LABELS.get(name, name.replace("_", " ").capitalize())
        return TraceEntry(
            kind="declared",
            id=None,
            title=f"{part}: {label.lower()}" if part else label,
            part=part,
            n=n,
            detail={"field": name, "where": where},
        )

    # -- identification ---------------------------------------------------------------

    def _found(self, column: str) -> list[TraceEntry]:
        out: list[TraceEntry] = []
        for src in self.found.sources:
            if src.column != column:
                continue
            if src.imports:
                out += self._imported(src)
            elif src.search is not None:
                out.append(self._search(src))
        return out

    def _imported(self, src: Source) -> list[TraceEntry]:
        by_id = {int(i["id"]): i for i in src.imports}
        out = []
        for r in queries.record_briefs(self.conn, import_ids=by_id):
            imp = by_id[int(r["import_id"])]
            made = Decision(
                imp["created_by"], "imported", imp["imported_at"], note=imp["file_name"]
            )
            detail = {"import_id": imp["id"], "file_name": imp["file_name"]}
            if src.search is not None:
                detail["search_id"] = src.search["id"]
            out.append(_record(r, part=src.name, decisions=(made,), detail=detail))
        return out

    def _search(self, src: Source) -> TraceEntry:
        s = src.search or {}
        when = f" on {s['date_searched']}" if s.get("date_searched") else ""
        logged = Decision(s.get("created_by") or s.get("searcher"), "logged", s.get("created_at"))
        return TraceEntry(
            kind="search",
            id=s.get("id"),
            title=f"{s.get('source')} search{when}: records returned as logged (none imported)",
            part=src.name,
            n=src.n,
            decisions=(logged,),
            detail={
                k: s.get(k)
                for k in ("method", "source", "platform", "date_searched", "query", "file_name")
            },
        )

    # -- deduplication and automation ---------------------------------------------------

    def _duplicates(self) -> list[TraceEntry]:
        links = self.found.duplicates
        briefs = _briefs(self.conn, links)
        out = []
        for rid, ev in sorted(links.items()):
            who = ev["reviewer"] or ("automatic" if ev["method"] == "auto" else None)
            what = f"duplicate of record {ev['canonical_id']}"
            made = Decision(who, what, ev["created_at"], reason=ev["rule"], role=ev["method"])
            out.append(
                _record(
                    briefs.get(rid, {"id": rid}),
                    decisions=(made,),
                    detail={"duplicate_of": ev["canonical_id"]},
                )
            )
        return out

    def _automation(self) -> list[TraceEntry]:
        from ..stages.screening.prioritise import stop_event

        ev = stop_event(self.project)
        made: tuple[Decision, ...] = ()
        if ev is not None:
            made = (Decision(ev["reviewer"], "stopped on the stopping rule", ev["created_at"]),)
        briefs = _briefs(self.conn, self.found.automation)
        return [_record(briefs.get(i, {"id": i}), decisions=made) for i in self.found.automation]

    # -- screening ----------------------------------------------------------------------

    def _screened(self) -> list[TraceEntry]:
        """Being screened depends on no vote: every record is named, its result only when
        the viewer may see every vote behind it."""
        ta = self.m.ta
        briefs = _briefs(self.conn, self.found.screened)
        out = []
        for i in self.found.screened:
            shown, hidden = _votes(ta, i, self.viewer)
            detail = {"result": ta.results[i]} if ta is not None and not hidden else {}
            out.append(
                _record(
                    briefs.get(i, {"id": i}), decisions=shown, hidden_votes=hidden, detail=detail
                )
            )
        return out

    def _ta(self, items: list[int]) -> list[TraceEntry]:
        briefs = _briefs(self.conn, items)
        out = []
        for i in items:
            shown, hidden = _votes(self.m.ta, i, self.viewer)
            entry = _record(briefs.get(i, {"id": i}), decisions=shown, hidden_votes=hidden)
            out.append(_unnamed(entry) if hidden else entry)
        return out

    def _retrieval(self, items: list[int]) -> list[TraceEntry]:
        """Reports sought and not retrieved: what the full-text page shows every member."""
        out = []
        for i in items:
            ev = self.m.retrieval.get(i)
            made: tuple[Decision, ...] = ()
            status = "sought"
            if ev is not None:
                status = ev["status"]
                what = status.replace("_", " ")
                made = (Decision(ev["reviewer"], what, ev["created_at"], reason=ev["reason"]),)
            out.append(self._report(i, decisions=made, detail={"retrieval": status}))
        return out

    def _ft(self, items: list[int]) -> list[TraceEntry]:
        reason = self._reasons()
        out = []
        for i in items:
            shown, hidden = _votes(self.m.ft, i, self.viewer)
            entry = self._report(i, decisions=shown, hidden_votes=hidden, part=reason.get(i))
            out.append(_unnamed(entry) if hidden else entry)
        return out

    def _reasons(self) -> dict[int, str]:
        """Excluded report -> its reason, from the lists the reason counts are lengths of."""
        return {
            i: key[len(REASON_PREFIX) :]
            for key, items in self.m.ids.items()
            if key.startswith(REASON_PREFIX)
            for i in items
        }

    def _report(self, i: int, **kwargs: Any) -> TraceEntry:
        row = self.m.reports.get(i, {})
        authors = row.get("authors") or []
        detail = {"record_id": row.get("record_id"), "study_id": row.get("study_id")}
        detail.update(kwargs.pop("detail", {}))
        return TraceEntry(
            kind="report",
            id=i,
            title=row.get("title"),
            first_author=authors[0] if authors else None,
            year=row.get("year"),
            detail=detail,
            **kwargs,
        )

    def _studies(self) -> list[TraceEntry]:
        from ..stages import studies

        if self.found.studies is not None:
            return [
                TraceEntry(
                    kind="study", id=s.id, title=s.label, detail={"reports": list(s.report_ids)}
                )
                for s in self.found.studies
            ]
        labels = studies.labels(self.project)
        included = self._ft(self.m.ids["reports_included"])
        by_study: dict[int, list[TraceEntry]] = {}
        sought = set(self.m.ids["reports_sought"])  # as screening.counts keys its studies
        for report, entry in zip(self.m.ids["reports_included"], included, strict=True):
            key = self.m.reports[report]["study_id"] if report in sought else -report
            by_study.setdefault(key, []).append(entry)
        out = []
        for key in self.m.ids["studies_included"]:
            reports = by_study.get(key, [])
            hidden = sum(e.hidden_votes for e in reports)
            votes = tuple(d for e in reports for d in e.decisions)
            entry = TraceEntry(
                kind="study",
                id=key if key > 0 else None,
                title=labels.get(key) or (reports[0].title if reports else None),
                first_author=reports[0].first_author if reports else None,
                year=reports[0].year if reports else None,
                decisions=votes,
                hidden_votes=hidden,
                detail={"reports": [e.id for e in reports if not e.hidden]},
            )
            out.append(_unnamed(entry) if any(e.hidden for e in reports) else entry)
        return out

    # -- notes --------------------------------------------------------------------------

    def _notes(self, out: BoxTrace) -> list[str]:
        notes = []
        if out.count is None:
            notes.append(
                "This box is not reported: nothing in the project derives it and no count "
                "was declared for it."
            )
        typed = [e for e in out.entries if e.kind in ("search", "declared")]
        if typed:
            notes.append(
                f"{len(typed)} of the entries are counts typed in (a search logged with its "
                "records returned and nothing imported, or a declared count), not records: "
                "each adds its number to the box."
            )
        if out.n_hidden:
            stages = {"report": "full-text", "study": "full-text", "record": "title/abstract"}
            stage = stages[next(e.kind for e in out.entries if e.hidden)]
            code = "ft" if stage == "full-text" else "ta"
            k, n = out.n_hidden, len(out.entries)
            which = ("It is" if n == 1 else f"All {n} are") if k == n else f"{k} of these {n} are"
            notes.append(
                f"{which} counted but not named: "
                f"{STAGES[code]} screening is blind, and naming them would show you how "
                "another reviewer voted. They are named once the stage is closed (reviewflow "
                f"screen close --stage {code}) or an owner lifts blindness."
            )
        return notes


def _votes(
    state: StageState | None, item: int, viewer: str | None
) -> tuple[tuple[Decision, ...], int]:
    """The votes on ``item`` the viewer may see, as decisions, and how many they may not."""
    if state is None:
        return (), 0
    everyone = dict(state.votes.get(item, {}))
    if item in state.arbiter:
        everyone[state.arbiter[item].reviewer] = state.arbiter[item]
    shown = visible_votes(state, item, viewer or "")
    ordered = sorted(shown.values(), key=lambda v: v.created_at)
    return tuple(_decision(v) for v in ordered), len(everyone) - len(shown)


def _decision(v: Vote) -> Decision:
    return Decision(v.reviewer, v.decision, v.created_at, reason=v.reason, note=v.note, role=v.role)


def _unnamed(entry: TraceEntry) -> TraceEntry:
    """The entry counted but not named (blind): no id, no text, no votes. Its line of the
    box (an exclusion reason) stays: the box shows how many each line has anyway."""
    return TraceEntry(
        kind=entry.kind, id=None, part=entry.part, hidden=True, hidden_votes=entry.hidden_votes
    )


def _briefs(conn: Any, ids: Iterable[int]) -> dict[int, dict[str, Any]]:
    return {int(r["id"]): r for r in queries.record_briefs(conn, ids=ids)}


def _record(row: dict[str, Any], **kwargs: Any) -> TraceEntry:
    authors = row.get("authors") or []
    return TraceEntry(
        kind="record",
        id=int(row["id"]),
        title=row.get("title"),
        first_author=authors[0] if authors else None,
        year=row.get("year"),
        **kwargs,
    )
