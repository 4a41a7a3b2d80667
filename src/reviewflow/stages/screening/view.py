"""One item as a screener sees it: the keyboard loop draws it, the web page renders it.

Blind: a view holds the viewer's own vote, reason and note, and other reviewers' votes
only where :func:`.decisions.visible_votes` allows them (the arbiter on a conflict, a
closed or unblinded stage).

The decision table has a note column and nothing for tags, so tags are kept in the note
as ``#tag`` words ("carers #peer-support #uk"), where a search finds them;
:func:`note_with_tags` writes that form and :func:`split_note` reads it back.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from ...errors import NotFoundError
from ...project import Project
from ...store import screening_queries as sq
from .conflicts import item_texts
from .decisions import _not_an_item_hint, visible_votes
from .plan import STAGES, check_reviewer, check_stage, get_plan
from .state import Vote, load_state

HELP = (
    "i include · e exclude · m maybe · r reason+exclude · n note · t tags · u undo · "
    "s skip · q quit"
)
HELP_FT = HELP.replace(" · q quit", " · o open full text · q quit")


@dataclass
class View:
    stage: str
    item_id: int | None
    title: str
    authors: str
    year: str
    abstract: str
    done: int
    total: int
    #: The viewer's own current decision on the item (None: no vote yet).
    vote: str | None = None
    message: str = ""
    reasons: tuple[str, ...] = ()
    choosing_reason: bool = False
    journal: str = ""
    doi: str = ""
    keywords: tuple[str, ...] = ()
    #: The note and tags typed for this item, recorded with the decision.
    note: str = ""
    tags: tuple[str, ...] = ()
    reason_required: bool = False
    #: Full text: the attached file's name and path (None: no full text attached).
    file_name: str | None = None
    file_path: Path | None = None
    #: The protocol's highlight terms (see :mod:`.highlight`).
    highlight_include: tuple[str, ...] = ()
    highlight_exclude: tuple[str, ...] = ()
    #: The viewer's own current vote's reason, and its note split into text and tags.
    reason: str | None = None
    saved_note: str = ""
    saved_tags: tuple[str, ...] = ()
    #: The votes the viewer may see: their own, and others' only where blindness allows.
    visible_votes: dict[str, Vote] = field(default_factory=dict)

    @property
    def help(self) -> str:
        return HELP_FT if self.stage == "ft" else HELP


def note_with_tags(note: str, tags: tuple[str, ...]) -> str | None:
    """The note as stored: the text, then each tag as a ``#tag`` word."""
    text = " ".join([note.strip(), *(f"#{t}" for t in tags)]).strip()
    return text or None


def parse_tags(line: str) -> tuple[str, ...]:
    """ "peer support, carers" or "carers uk" -> ("peer-support", "carers") / ("carers", "uk")."""
    parts = line.split(",") if "," in line else line.split()
    tags = ("-".join(p.strip().lstrip("#").split()) for p in parts)
    return tuple(dict.fromkeys(t for t in tags if t))


def split_note(stored: str | None) -> tuple[str, tuple[str, ...]]:
    """A stored note back into its text and tags: "carers #peer-support #uk" ->
    ("carers", ("peer-support", "uk"))."""
    words = (stored or "").split()
    tags = tuple(dict.fromkeys(w[1:] for w in words if w.startswith("#") and len(w) > 1))
    text = " ".join(w for w in words if not (w.startswith("#") and len(w) > 1))
    return text, tags


def item_view(project: Project, *, stage: str, item_id: int, reviewer: str) -> View:
    """``item_id`` as ``reviewer`` sees it at ``stage``, with their own progress
    (``done``/``total``: their items with a vote / all their items)."""
    check_stage(stage)
    check_reviewer(project, reviewer)
    from . import live

    with project.db.connect() as conn:
        items = live.stage_items(conn, project, get_plan(project, stage))
        own = live.own_votes(conn, project, items, reviewer).votes
    mine = items.mine_set(reviewer)
    done = sum(1 for i in own if i in mine)
    return build_view(project, stage=stage, item_id=item_id, reviewer=reviewer,
                      done=done, total=len(mine))  # fmt: skip


def build_view(
    project: Project, *, stage: str, item_id: int, reviewer: str, done: int, total: int
) -> View:
    """The view with the progress figures the caller already has (the keyboard loop)."""
    with project.db.connect() as conn:
        state = load_state(conn, project, stage, only={item_id})
        if item_id not in state.assigned:
            label = "record" if stage == "ta" else "report"
            raise NotFoundError(
                f"{label} {item_id} is not an item of {STAGES[stage]} screening",
                hint=_not_an_item_hint(stage),
            )
        text = item_texts(conn, stage, [item_id]).get(item_id, {})
        retrieved = sq.current_retrieval(conn).get(item_id, {}) if stage == "ft" else {}
    seen = visible_votes(state, item_id, reviewer)
    mine = state.votes.get(item_id, {}).get(reviewer)  # a screener's vote, or
    ruling = state.arbiter.get(item_id)
    if mine is None and ruling is not None and ruling.reviewer == reviewer:
        mine = ruling  # the arbiter's own ruling
    saved_note, saved_tags = split_note(mine.note if mine else None)
    settings = project.settings.screening
    from ..retrieval import full_text_path  # retrieval builds on screening's reports

    path = full_text_path(project, retrieved, for_viewer=True) if retrieved else None
    return View(
        stage=stage,
        item_id=item_id,
        title=text.get("title") or "(no title)",
        authors="; ".join(text.get("authors") or []),
        year=str(text.get("year") or ""),
        abstract=text.get("abstract") or "(no abstract)",
        done=done,
        total=total,
        vote=mine.decision if mine else None,
        reasons=state.plan.reasons,
        journal=text.get("source_title") or "",
        doi=text.get("doi") or "",
        keywords=tuple(text.get("keywords") or ()),
        reason_required=state.plan.reason_required,
        file_name=retrieved.get("file_name") if path else None,
        file_path=path,
        highlight_include=tuple(settings.highlight_include) if settings else (),
        highlight_exclude=tuple(settings.highlight_exclude) if settings else (),
        reason=mine.reason if mine else None,
        saved_note=saved_note,
        saved_tags=saved_tags,
        visible_votes=seen,
    )
