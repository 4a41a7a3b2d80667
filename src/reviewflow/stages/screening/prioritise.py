"""Ranked title/abstract screening on a project, and the statistical stopping rule live.

When ``[screening.ta] ranking = true``, each reviewer's unscreened records are shown in
order of predicted relevance, learned from that reviewer's own votes so far (so the order
reveals nothing of anyone else's votes, and blindness holds). Assignment is untouched:
the double-screened share stays the random, seeded one.

The stopping rules (:mod:`.stopping`: the arrival rule of :mod:`reviewflow.ranking.arrival`
and the sampling test of :mod:`reviewflow.ranking.stopping`) read the sequence of first
votes on the stage's records. When the team stops with the
rule's backing, a "stop" stage event is recorded; records nobody has screened by then are
"excluded by automation tools" in PRISMA, derived from that event and the votes.

The ranker (scikit-learn, numpy, scipy) is imported only where a ranked session or the
stopping rule runs: every screening command imports this module, most never rank.
"""

from __future__ import annotations

import hashlib
import shutil
import threading
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ...errors import StateError
from ...project import Project
from ...store import screening_queries as sq
from ..who import acting
from .plan import screening_settings
from .state import StageState, load_state
from .stopping import RELEVANT, StoppingReport, _stopped, stopping_status

if TYPE_CHECKING:
    import scipy.sparse as sp

    from ...ranking import Ranker

#: Features shared by the rankers of one process, by (database, records mark, items):
#: a few, since each holds a project's matrices (memory-mapped from the disk cache).
_SHARED: dict[Any, tuple[Ranker, Path | None]] = {}
_SHARED_KEEP = 4
_SHARED_LOCK = threading.Lock()

def ranking_on(project: Project, stage: str) -> bool:
    return stage == "ta" and bool(
        project.settings.screening and screening_settings(project).ta.ranking
    )


class SessionRanker:
    """Keeps the features of the stage's records and refits on the retrain schedule."""

    def __init__(self, project: Project, items: list[int], *, mark: Any = None) -> None:
        """``mark``: the records' change mark (:func:`sq.records_mark`) when the caller has
        it; reviewers who screen the same records at the same mark then share one copy of
        the features in this process (a server's 20th reviewer starts at once)."""
        self.items = items
        self.row = {item: n for n, item in enumerate(items)}
        key = None if mark is None else (project.db.url, mark, len(items), hash(tuple(items)))
        with _SHARED_LOCK:
            shared = _SHARED.get(key) if key is not None else None
        if shared is None:
            shared = self._features(project, items)
            if key is not None:
                with _SHARED_LOCK:
                    _SHARED[key] = shared
                    while len(_SHARED) > _SHARED_KEEP:
                        _SHARED.pop(next(iter(_SHARED)))
        ranker, self.folder = shared
        from ...ranking import Ranker

        self.ranker = Ranker(ranker.features, char_features=ranker.char_features)
        self._since_fit = 0
        self._labelled_at_fit = -1

    @staticmethod
    def _features(project: Project, items: list[int]) -> tuple[Ranker, Path | None]:
        from ...ranking import record_text

        with project.db.connect() as conn:
            texts = sq.record_texts(conn, items)
        docs = [
            record_text(t.get("title"), t.get("abstract"), " ".join(t.get("keywords") or []))
            for t in (texts.get(i, {}) for i in items)
        ]
        return cached_features(project.root / CACHE_DIR, items, docs)

    @property
    def fitted(self) -> bool:
        """Whether a fit has happened (before it, every new vote may make one possible)."""
        return self._labelled_at_fit >= 0

    def due(self, labelled: int, *, since: int | None = None) -> bool:
        """Refit after every decision early on, then in batches (as in the simulation).

        ``since``: decisions since the last fit, when the caller counts them (the web
        queue does; the keyboard loop calls :meth:`order` once per decision instead).
        """
        from ...ranking.simulate import batch_size

        since = self._since_fit if since is None else since
        return self._labelled_at_fit < 0 or since >= batch_size(labelled)

    def order(
        self, votes: dict[int, str], pending: list[int], *, sample_seed: int | None = None
    ) -> list[int]:
        """``pending`` best first; unchanged while the votes hold no include and exclude.

        With ``sample_seed`` (the stopping rule has switched to sampling), the open records
        come in a seeded random order instead: the rule's test assumes a random sample of
        the unscreened records (Callaghan & Müller-Hansen 2020).
        """
        if sample_seed is not None:
            return sample_order(pending, sample_seed)
        labelled = [i for i in votes if i in self.row]
        self._since_fit += 1
        if not self.due(len(labelled)):
            return pending
        ranked = self.refit(votes, pending)
        return pending if ranked is None else ranked

    def refit(
        self, votes: dict[int, str], items: list[int] | None = None, *, elsewhere: bool = False
    ) -> list[int] | None:
        """Fit on ``votes`` (item -> decision) now and return ``items`` (default: all the
        ranker's items) best first; None while the votes lack an include or an exclude.

        ``elsewhere``: fit in the child process of :mod:`.refits` (a server's background
        refit), where the features are cached on disk; here if that is not possible.
        """
        labelled = [i for i in votes if i in self.row]
        y = [1 if votes[i] in RELEVANT else 0 for i in labelled]
        if len(set(y)) < 2:
            return None
        rows = None if items is None else [self.row[i] for i in items]
        positions = [self.row[i] for i in labelled]
        ranked = None
        if elsewhere and self.folder is not None:
            from . import refits

            ranked = refits.rank(self.folder, positions, y, rows)
        if ranked is None:
            self.ranker.fit(positions, y)
            ranked = self.ranker.rank(rows)
        self._since_fit, self._labelled_at_fit = 0, len(labelled)
        return [self.items[int(r)] for r in ranked]


def sample_order(items: list[int], seed: int) -> list[int]:
    """``items`` in the stopping rule's seeded random order (stable as records are added)."""
    return sorted(items, key=lambda item: _sample_key(seed, item))


#: Where a project keeps the ranker's features between sessions (safe to delete).
CACHE_DIR = Path(".reviewflow-cache") / "ranking"
_CACHE_VERSION = "1"
_CACHE_KEEP = 6


def cached_ranker(cache: Path, items: list[int], docs: list[str]) -> Ranker:
    """A :class:`Ranker` on the features of ``docs``, built once and kept in ``cache``
    (see :func:`cached_features`)."""
    return cached_features(cache, items, docs)[0]


def cached_features(cache: Path, items: list[int], docs: list[str]) -> tuple[Ranker, Path | None]:
    """A :class:`Ranker` on the features of ``docs``, built once and kept in ``cache``, and
    the folder that holds them (None when it could not be written).

    Building the word and character views takes about a minute for 50,000 records, and a
    team restarts its sessions many times; the matrices are saved as plain ``.npy`` arrays
    under a key that changes whenever a record, its text or the feature code
    (``ranking/features.py``) changes, and are read back memory-mapped (0.07 s for 50,000
    records, 0.7 GB on disk). The newest ``_CACHE_KEEP`` entries are kept (each reviewer
    ranks their own records); a cache that cannot be written or read is rebuilt, never an
    error.
    """
    import numpy as np

    from ...ranking import Ranker, features

    digest = hashlib.sha256(_CACHE_VERSION.encode())
    digest.update(Path(features.__file__).read_bytes())
    digest.update(np.asarray(items, dtype=np.int64).tobytes())
    for doc in docs:
        digest.update(doc.encode("utf-8", "surrogatepass"))
        digest.update(b"\0")
    folder = cache / digest.hexdigest()[:32]
    try:
        words, chars = load_features(folder)
        return Ranker(words, char_features=chars), folder
    except (OSError, ValueError):
        pass
    ranker = Ranker.from_texts(docs)
    try:
        _save(folder, {"words": ranker.features, "chars": ranker.char_features})
        words, chars = load_features(folder)  # memory-mapped: the page cache holds them
    except (OSError, ValueError):
        return ranker, None  # a read-only project folder still screens, it only rebuilds
    return Ranker(words, char_features=chars), folder


def forget_shared() -> None:
    """Drop the features the rankers of this process share (tests)."""
    with _SHARED_LOCK:
        _SHARED.clear()


def load_features(folder: Path) -> tuple[sp.csr_matrix, sp.csr_matrix]:
    """The word and character views saved in ``folder``, memory-mapped."""
    return _load_csr(folder, "words"), _load_csr(folder, "chars")


def _load_csr(folder: Path, name: str) -> sp.csr_matrix:
    import numpy as np
    import scipy.sparse as sp

    parts = [np.load(folder / f"{name}.{p}.npy", mmap_mode="r") for p in _CSR_PARTS]
    data, indices, indptr, shape = parts
    return sp.csr_matrix((data, indices, indptr), shape=tuple(int(n) for n in shape), copy=False)


_CSR_PARTS = ("data", "indices", "indptr", "shape")


def _save(folder: Path, matrices: dict[str, sp.csr_matrix | None]) -> None:
    import numpy as np

    tmp = folder.with_name(folder.name + ".partial")
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir(parents=True)
    for name, m in matrices.items():
        if m is None:
            continue
        for part, arr in zip(_CSR_PARTS, (m.data, m.indices, m.indptr, np.array(m.shape)),
                             strict=True):  # fmt: skip
            np.save(tmp / f"{name}.{part}.npy", arr)
    shutil.rmtree(folder, ignore_errors=True)
    tmp.rename(folder)
    entries = sorted(
        (p for p in folder.parent.iterdir() if not p.name.endswith(".partial")),
        key=lambda p: p.stat().st_mtime,
        reverse=True,
    )
    for old in entries[_CACHE_KEEP:]:
        shutil.rmtree(old, ignore_errors=True)


def _sample_key(seed: int, item: int) -> str:
    """A reproducible random position for ``item``, stable when records are added."""
    return hashlib.sha256(f"stopping-sample:{seed}:{item}".encode()).hexdigest()


def stop(project: Project, *, reviewer: str | None = None, force: bool = False) -> StoppingReport:
    """Record that title/abstract screening stopped on the rule's evidence."""
    reviewer = acting(reviewer, doing="stopping title/abstract screening")
    report = stopping_status(project)
    if report.stopped:
        raise StateError("title/abstract screening is already stopped")
    if not report.stop_justified and not force:
        raise StateError(
            "the stopping rule does not justify stopping yet: " + report.summary(),
            hint="Screen on, or add --force to stop anyway (the report will say so).",
        )
    with project.db.transaction() as conn:
        sq.insert_stage_event(conn, stage="ta", action="stop", reviewer=reviewer)
    report.stopped = True
    return report


def resume(project: Project, *, reviewer: str | None = None) -> None:
    """Undo a stop: unscreened records are no longer counted as excluded by automation."""
    reviewer = acting(reviewer, doing="resuming title/abstract screening")
    with project.db.transaction() as conn:
        sq.insert_stage_event(conn, stage="ta", action="resume", reviewer=reviewer)


def automation_excluded(project: Project, *, state: StageState | None = None) -> int:
    """Records left unscreened when screening stopped on the rule (PRISMA's box)."""
    return len(automation_excluded_ids(project, state=state))


def automation_excluded_ids(project: Project, *, state: StageState | None = None) -> list[int]:
    """The records :func:`automation_excluded` counts, in screening order (what PRISMA's
    "marked as ineligible by automation tools" box lists)."""
    with project.db.connect() as conn:
        if not _stopped(conn):
            return []
        state = state or load_state(conn, project, "ta")
    return [item for item in state.items if not state.independent.get(item)]


def stop_event(project: Project) -> dict[str, Any] | None:
    """The "stop" event in force (who stopped title/abstract screening, and when), or None
    when screening is not stopped."""
    with project.db.connect() as conn:
        event = sq.latest_stage_event(conn, stage="ta", actions=("stop", "resume"))
    return event if event is not None and event["action"] == "stop" else None
