"""Ranker refits in a child process, so a server's requests never queue behind one.

A refit on 50,000 records is 0.3-0.6 s of scikit-learn and scipy, much of it holding the
interpreter's lock. Run in a thread of the web server, 20 reviewers' refits had every
request wait its turn for the lock: "record a decision and fetch the next record" reached
p95 122-222 ms on two cores (benchmarks/web_bench.py) against a 20 ms median. In one
child process the refits run on the other core and the server's threads only wait on a
pipe, which releases the lock.

The child reads the features from the ranker's disk cache (:func:`.prioritise.cached_ranker`
saves them as ``.npy`` files, memory-mapped, so both processes share the page cache) and
gets only the labelled rows and their labels; it sends back the rows best first. One
child serves every project and reviewer of a process, one fit at a time, which is what
two cores afford. It is started on first use ("spawn": the server has threads, and a fork
would copy their locks), and started again after it dies; any failure of the child makes
the caller fit in its own process, so a refit never fails for want of it.

Written over :class:`concurrent.futures.ProcessPoolExecutor` rather than a job queue
(issue 17 brings Procrastinate for work that must survive a restart): a refit is
disposable, the next one replaces it.
"""

from __future__ import annotations

import multiprocessing
import os
import threading
from collections import OrderedDict
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import numpy as np

    from ...ranking import Ranker

#: Seconds to wait for the child before fitting here instead (a stuck child, a swapped
#: machine): a refit's worst case on 50,000 records is about 1 s.
TIMEOUT_S = 30.0

_POOL: ProcessPoolExecutor | None = None
_LOCK = threading.Lock()


def rank(folder: Path, labelled: list[int], labels: list[int], rows: list[int] | None) -> Any:
    """Fit the ranker whose features are cached in ``folder`` on ``labelled`` rows (0/1
    ``labels``) and return ``rows`` (None: all) best first, computed in the child
    process; None when the child cannot do it (the caller then fits itself)."""
    pool = _pool()
    if pool is None:
        return None
    try:
        return pool.submit(_fit_rank, str(folder), labelled, labels, rows).result(TIMEOUT_S)
    except BrokenProcessPool:
        _discard(pool)
    except Exception:  # any failure there (a timeout too): fit here, the answer is the same
        pass
    return None


def _pool() -> ProcessPoolExecutor | None:
    global _POOL
    with _LOCK:
        if _POOL is None:
            try:
                _POOL = ProcessPoolExecutor(
                    max_workers=1,
                    mp_context=multiprocessing.get_context("spawn"),
                    initializer=_background_priority,
                )
            except (OSError, ValueError):
                return None
        return _POOL


def _discard(pool: ProcessPoolExecutor) -> None:
    global _POOL
    with _LOCK:
        if _POOL is pool:
            _POOL = None
    pool.shutdown(wait=False, cancel_futures=True)


def shutdown() -> None:
    """Stop the child (a server shutting down; tests)."""
    global _POOL
    with _LOCK:
        pool, _POOL = _POOL, None
    if pool is not None:
        pool.shutdown(wait=True, cancel_futures=True)


# -- in the child -------------------------------------------------------------------------

#: How much the child yields to the server (``nice``): a refit is background work, and at
#: the server's priority 20 reviewers' refits kept a core busy that requests waited for.
NICE = 10


def _background_priority() -> None:
    try:
        os.nice(NICE)
    except (AttributeError, OSError):  # not on this system: the same order, only sooner
        pass

#: Rankers the child keeps open, by cache folder (the features are memory-mapped: cheap).
_KEEP = 8
_RANKERS: OrderedDict[str, Ranker] = OrderedDict()


def _fit_rank(
    folder: str, labelled: list[int], labels: list[int], rows: list[int] | None
) -> np.ndarray:
    import numpy as np

    from ...ranking import Ranker
    from .prioritise import load_features

    ranker = _RANKERS.get(folder)
    if ranker is None:
        words, chars = load_features(Path(folder))
        ranker = _RANKERS[folder] = Ranker(words, char_features=chars)
        while len(_RANKERS) > _KEEP:
            _RANKERS.popitem(last=False)
    _RANKERS.move_to_end(folder)
    ranker.fit(labelled, labels)
    return np.asarray(ranker.rank(rows), dtype=np.int32)
