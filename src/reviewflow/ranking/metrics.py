"""Screening-simulation metrics, one definition for every tool we compare.

Conventions (Cohen et al. 2006, "Reducing workload in systematic review preparation using
automated citation classification", JAMIA 13:206; asreview-insights): prior records are not
counted. With ``labels`` the 0/1 inclusion of every record and ``order`` the records screened
after the priors, in screening order:

- N = records − priors; R = included − included priors.
- n@r = records screened (after the priors) until ceil(r·R) includes are found.
- WSS@r = (N − n@r)/N − (1 − r).
- recall@f = includes among the first ceil(f·N) screened / R.
- ERF@f ("extra relevant found", Kusa et al. 2023, normalised): with m = ceil(f·N) and
  E = R·m/N the includes random screening is expected to find in m records,
  ERF@f = (found in first m − E) / (R − E). 1 = every include in the first m, 0 = random.

``order`` may be a prefix of the full order (ASReview stops after the last include): records
not in it count as screened last, which only matters when an include is missing from it.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np

from reviewflow.errors import InputError

_EPS = 1e-9


def _prep(order: Sequence[int], labels: Sequence[int] | np.ndarray, priors: Sequence[int]):
    y = np.asarray(labels, dtype=np.int64)
    prior_idx = np.asarray(list(priors), dtype=np.int64)
    o = np.asarray(list(order), dtype=np.int64)
    if len(np.intersect1d(o, prior_idx)):
        raise InputError("the screening order contains a prior record", hint="drop the priors")
    n_total = len(y) - len(prior_idx)
    r_total = int(y.sum() - (y[prior_idx].sum() if len(prior_idx) else 0))
    if n_total <= 0 or r_total <= 0:
        raise InputError(
            "metrics need at least one include and one record besides the priors",
            hint="check the label column of the file",
        )
    return y[o], n_total, r_total


def _ceil(x: float) -> int:
    return math.ceil(x - _EPS)


def n_at(
    order: Sequence[int],
    labels: Sequence[int] | np.ndarray,
    *,
    priors: Sequence[int] = (),
    recall: float = 0.95,
) -> int:
    """Records screened until ceil(recall·R) includes are found (N if never reached)."""
    found, n_total, r_total = _prep(order, labels, priors)
    need = max(1, _ceil(recall * r_total))
    cum = np.cumsum(found)
    hit = np.nonzero(cum >= need)[0]
    return int(hit[0]) + 1 if len(hit) else n_total


def wss(
    order: Sequence[int],
    labels: Sequence[int] | np.ndarray,
    *,
    priors: Sequence[int] = (),
    recall: float = 0.95,
) -> float:
    """Work saved over sampling at ``recall``: (N − n@r)/N − (1 − r)."""
    _, n_total, _ = _prep(order, labels, priors)
    return (n_total - n_at(order, labels, priors=priors, recall=recall)) / n_total - (1 - recall)


def _found_in_first(order, labels, priors, fraction):
    found, n_total, r_total = _prep(order, labels, priors)
    m = _ceil(fraction * n_total)
    return int(found[:m].sum()), m, n_total, r_total


def recall_at(
    order: Sequence[int],
    labels: Sequence[int] | np.ndarray,
    *,
    priors: Sequence[int] = (),
    fraction: float = 0.10,
) -> float:
    """Share of the includes found in the first ceil(fraction·N) records screened."""
    k, _, _, r_total = _found_in_first(order, labels, priors, fraction)
    return k / r_total


def erf(
    order: Sequence[int],
    labels: Sequence[int] | np.ndarray,
    *,
    priors: Sequence[int] = (),
    fraction: float = 0.10,
) -> float:
    """Extra includes found in the first ceil(fraction·N) over random, normalised to [.., 1]."""
    k, m, n_total, r_total = _found_in_first(order, labels, priors, fraction)
    expected = r_total * m / n_total
    if r_total - expected <= 0:
        return 0.0
    return (k - expected) / (r_total - expected)


def summary(
    order: Sequence[int], labels: Sequence[int] | np.ndarray, *, priors: Sequence[int] = ()
) -> dict[str, float]:
    """The benchmark's metric set for one run, keyed as the tables print them."""
    return {
        "wss@95": wss(order, labels, priors=priors, recall=0.95),
        "recall@10": recall_at(order, labels, priors=priors, fraction=0.10),
        "n@95": n_at(order, labels, priors=priors, recall=0.95),
        "n@100": n_at(order, labels, priors=priors, recall=1.0),
        "erf@10": erf(order, labels, priors=priors, fraction=0.10),
    }
