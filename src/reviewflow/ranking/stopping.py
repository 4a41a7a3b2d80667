"""A statistical stopping rule for ranked screening (Callaghan & Müller-Hansen 2020).

Callaghan M.W., Müller-Hansen F. "Statistical stopping criteria for automated screening in
systematic reviews", Systematic Reviews 9:273 (2020). After ranked screening, the records
not yet screened form an urn of ``urn_size`` records. Records drawn from the urn are a
sample of size n with k includes. With ``relevant_before`` includes found before the draw
and r = relevant_before + k found in all, recall is below the target τ exactly when the urn
held at least

    K_tar = floor(r / τ − relevant_before) + 1

includes. Under that null hypothesis the chance of seeing k or fewer includes in n draws is
the hypergeometric tail ``P(X ≤ k; urn_size, K_tar, n)`` — the p-value. Stopping when
p < 1 − confidence keeps the chance of stopping below the recall target under 1 − confidence.

Two ways to draw the sample (``mode``):

- ``"random"`` — the paper's rule: after the switch, screen records in random order.
  Valid whatever the ranker does, but with few includes it needs nearly the whole urn
  (K_tar = 1 means screening 95 % of the urn to reach p < .05).
- ``"ranked"`` — keep screening in ranked order and treat the records screened since the
  switch as the sample ("ranked quasi-sampling", proposed by the same authors and
  implemented in their buscar package). As long as the ranker puts includes ahead of
  random, a ranked sample holds at least as many includes as a random one would, so the
  p-value is conservative. It stops far earlier; its error rate is measured, not assumed,
  in benchmarks/ranking_bench.py.

The switch: ``SWITCH_AFTER_IRRELEVANT`` irrelevant records in a row (a heuristic; the
statistic, not the switch, guards recall). Default mode ``"random"``, the paper's rule.
Measured on 19 sets × 5 seeds with the three-model ranker (benchmarks/ranking_bench.py,
95 % target, 95 % confidence): random stopped in 92/95 runs, 3/95 below target, mean recall
0.989, 84.6 % of records screened; ranked 92/95, 0/95 below target, 0.995, 85.7 %.
The share cannot fall much lower with any exact test at 95/95: with fewer than 19
includes found K_tar is 1, and ruling out one missing include at p < .05 takes 95 % of the
urn; with 20–37 found it takes about 78 %.

Written by hand: the authors' own Python package, buscarpy, is a 0.0.x pre-release, and the
test is a few lines over scipy's hypergeometric distribution, checked in the tests against
a hand computation. We also need what a team sees live (records still to sample).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
from scipy.stats import hypergeom

from reviewflow.errors import InputError

SWITCH_AFTER_IRRELEVANT = 50
DEFAULT_MODE = "random"


@dataclass(frozen=True)
class StoppingState:
    """Where a team stands: what the test says after the sample so far."""

    p_value: float
    stop: bool
    k_target: int
    to_sample: int
    """Further records to sample before stopping is justified if no more includes turn up."""
    estimated_recall: float | None
    """Includes found / (found + urn share estimated from the sample); None before sampling."""


def _k_target(found: int, relevant_before: int, target: float) -> int:
    return math.floor(found / target - relevant_before + 1e-9) + 1


def _p(urn_size: int, k_tar: int, sample_size: int, sample_relevant: int) -> float:
    if k_tar > urn_size:
        return 0.0
    return float(hypergeom.cdf(sample_relevant, urn_size, k_tar, sample_size))


def stopping_test(
    *,
    urn_size: int,
    relevant_before: int,
    sample_size: int,
    sample_relevant: int,
    target: float = 0.95,
    confidence: float = 0.95,
) -> StoppingState:
    """Test "recall < ``target``" after ``sample_size`` draws from an urn of ``urn_size``
    records that held ``sample_relevant`` includes, ``relevant_before`` found before."""
    if not 0 < target < 1 or not 0 < confidence < 1:
        raise InputError("target and confidence must lie strictly between 0 and 1")
    if not 0 <= sample_relevant <= sample_size <= urn_size or relevant_before < 0:
        raise InputError(
            f"inconsistent counts: urn {urn_size}, sample {sample_size}, "
            f"includes in sample {sample_relevant}, includes before {relevant_before}"
        )
    alpha = 1 - confidence
    found = relevant_before + sample_relevant
    k_tar = _k_target(found, relevant_before, target)
    p = _p(urn_size, k_tar, sample_size, sample_relevant)
    to_sample = 0
    if p >= alpha:
        lo, hi = sample_size, urn_size  # the p-value falls as the sample grows
        while lo < hi:
            mid = (lo + hi) // 2
            if _p(urn_size, k_tar, mid, sample_relevant) < alpha:
                hi = mid
            else:
                lo = mid + 1
        to_sample = lo - sample_size
    estimate = None
    if sample_size > 0:
        k_hat = sample_relevant + sample_relevant / sample_size * (urn_size - sample_size)
        total = relevant_before + k_hat
        estimate = found / total if total > 0 else 1.0
    return StoppingState(p, p < alpha, k_tar, to_sample, estimate)


def recall_interval(
    *,
    urn_size: int,
    relevant_before: int,
    sample_size: int,
    sample_relevant: int,
    confidence: float = 0.95,
) -> tuple[float, float]:
    """An exact two-sided interval for the recall reached so far, from the sample.

    The includes the urn held, K, are bounded as for a hypergeometric proportion (the
    Clopper-Pearson construction with the hypergeometric tail in place of the binomial):
    the smallest K for which ``sample_relevant`` or more includes in the sample is not
    rejected at (1 - confidence) / 2, and the largest for which as few is not. Recall is
    found / (relevant_before + K), so the largest K gives the low end. Without a sample
    only the found-over-all bound is known: (found / (found + urn), 1).
    """
    if not 0 < confidence < 1:
        raise InputError("confidence must lie strictly between 0 and 1")
    if not 0 <= sample_relevant <= sample_size <= urn_size or relevant_before < 0:
        raise InputError(
            f"inconsistent counts: urn {urn_size}, sample {sample_size}, "
            f"includes in sample {sample_relevant}, includes before {relevant_before}"
        )
    found = relevant_before + sample_relevant
    lowest, highest = sample_relevant, urn_size - (sample_size - sample_relevant)
    if sample_size > 0:
        tail = (1 - confidence) / 2
        k, n = sample_relevant, sample_size

        def at_least_k(big_k: int) -> float:  # grows with K
            return float(hypergeom.sf(k - 1, urn_size, big_k, n))

        def at_most_k(big_k: int) -> float:  # falls with K
            return float(hypergeom.cdf(k, urn_size, big_k, n))

        lowest = _first(lowest, highest, lambda big_k: at_least_k(big_k) > tail)
        highest = _first(lowest, highest + 1, lambda big_k: at_most_k(big_k) <= tail) - 1

    def recall(big_k: int) -> float:
        total = relevant_before + big_k
        return found / total if total > 0 else 1.0

    return recall(highest), recall(lowest)


def _first(lo: int, hi: int, holds: Callable[[int], bool]) -> int:
    """The smallest n in [lo, hi) for which ``holds`` (monotone: false, then true), else hi."""
    while lo < hi:
        mid = (lo + hi) // 2
        if holds(mid):
            hi = mid
        else:
            lo = mid + 1
    return lo


@dataclass(frozen=True)
class StopReplay:
    """Outcome of the rule replayed on one simulated screening."""

    stopped: bool
    screened: int
    """Records screened when the rule stopped (priors included); all records if never."""
    recall: float
    """True recall at that point (priors count as found)."""
    share: float
    """screened / records."""


def replay_stopping(
    order_labels: Sequence[int],
    *,
    n_priors: int,
    prior_relevant: int,
    mode: str = DEFAULT_MODE,
    target: float = 0.95,
    confidence: float = 0.95,
    switch_after: int = SWITCH_AFTER_IRRELEVANT,
    seed: int = 0,
) -> StopReplay:
    """Replay the rule on the labels of a complete simulated order (priors excluded)."""
    y = np.asarray(order_labels, dtype=np.int64)
    n_records = n_priors + len(y)
    total_relevant = prior_relevant + int(y.sum())
    run, switch = 0, len(y)
    for i, label in enumerate(y):
        run = 0 if label else run + 1
        if run >= switch_after:
            switch = i + 1
            break
    if switch == len(y):  # never switched: the team screened everything
        return StopReplay(False, n_records, 1.0, 1.0)
    urn = y[switch:]
    if mode == "random":
        urn = np.random.default_rng(seed).permutation(urn)
    elif mode != "ranked":
        raise InputError(f"unknown stopping mode {mode!r}", hint="use 'ranked' or 'random'")
    before = prior_relevant + int(y[:switch].sum())
    alpha = 1 - confidence
    cum = np.concatenate([[0], np.cumsum(urn)])
    # k is constant between includes and p falls as n grows, so search each stretch
    # [first n with k includes, last such n] by bisection instead of testing every n.
    stop_at = None
    bounds = np.nonzero(np.diff(cum))[0] + 1  # n at which a new include enters the sample
    starts = np.concatenate([[0], bounds])
    ends = np.concatenate([bounds - 1, [len(urn)]])
    for lo, hi in zip(starts.tolist(), ends.tolist(), strict=True):
        k = int(cum[lo])
        k_tar = _k_target(before + k, before, target)
        if _p(len(urn), k_tar, hi, k) >= alpha:
            continue
        while lo < hi:
            mid = (lo + hi) // 2
            if _p(len(urn), k_tar, mid, k) < alpha:
                hi = mid
            else:
                lo = mid + 1
        stop_at = lo
        break
    if stop_at is None:
        return StopReplay(False, n_records, 1.0, 1.0)
    screened = n_priors + switch + stop_at
    found = before + int(cum[stop_at])
    return StopReplay(True, screened, found / total_relevant, screened / n_records)
