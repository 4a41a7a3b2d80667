"""The arrival (Cox-process) stopping rule on constructed rankings whose recall is known
at every point."""

from __future__ import annotations

import math

import numpy as np
import pytest

from reviewflow.errors import InputError
from reviewflow.ranking.arrival import (
    ArrivalSettings,
    arrival_test,
    plain_warning,
    replay_arrival,
)

S = ArrivalSettings()


def _replay(order: np.ndarray) -> tuple[bool, int, float, float]:
    """Replay with no priors: the whole order is ranked screening."""
    return replay_arrival(order, n_priors=0, prior_relevant=0)


def _floor(records: int, last_include: int) -> int:
    """The earliest the floor allows a stop: min share screened and min_run excludes seen."""
    return max(math.ceil(S.min_share * records), last_include + 1 + S.min_run)


def test_a_perfect_ranking_stops_soon_after_the_last_include_within_the_floor() -> None:
    order = np.zeros(3000, dtype=int)
    order[:60] = 1  # every include first
    stopped, screened, recall, share = _replay(order)
    assert stopped and recall == 1.0
    assert _floor(3000, 59) <= screened
    # the straggler allowance (background) waits a little longer than the floor, but the
    # sampling test would need most of the remaining 2,940
    assert share < 0.2


def test_the_floor_holds_even_when_the_model_is_sure() -> None:
    order = np.zeros(3000, dtype=int)
    order[:60] = 1
    sure = {"background": 0.0}  # no stragglers: only the floor holds the rule back
    strict = ArrivalSettings(min_share=0.3, min_run=250, **sure)
    _, screened, _, _ = replay_arrival(order, n_priors=0, prior_relevant=0, settings=strict)
    assert screened == 900  # 30 % of 3,000 (the run of 250 was reached at 310)
    loose = ArrivalSettings(min_share=0, min_run=250, **sure)
    _, screened, _, _ = replay_arrival(order, n_priors=0, prior_relevant=0, settings=loose)
    assert screened == 310
    # the run asked for is at most a tenth of the records: a small set can still stop
    assert ArrivalSettings(min_run=250).run_needed(3000) == 250
    assert ArrivalSettings(min_run=250).run_needed(400) == 40


def test_the_straggler_allowance_makes_the_rule_wait_longer() -> None:
    order = np.zeros(3000, dtype=int)
    order[:60] = 1
    without = replay_arrival(
        order, n_priors=0, prior_relevant=0, settings=ArrivalSettings(background=0.0)
    )
    with_ = replay_arrival(order, n_priors=0, prior_relevant=0)
    assert without[1] < with_[1]


@pytest.mark.parametrize("seed", range(12))
def test_a_random_ranking_does_not_stop_early(seed: int) -> None:
    rng = np.random.default_rng(seed)
    order = (rng.random(2000) < 0.05).astype(int)  # includes spread evenly: no ranking
    stopped, _, recall, share = _replay(order)
    assert recall >= 0.95
    assert not stopped or share > 0.8


def test_a_high_prevalence_ranking_still_stops() -> None:
    # 27 % includes, as in the drug-class review the sampling test never stopped on: a
    # good ranker puts most of them in the first third, densely, then thins out.
    rng = np.random.default_rng(7)
    n = 1200
    p = np.where(np.arange(n) < 360, 0.85, 0.02 * np.exp(-np.arange(n) / 200.0))
    order = (rng.random(n) < p).astype(int)
    assert 0.25 < order.mean() < 0.30
    stopped, screened, recall, share = _replay(order)
    assert stopped and recall >= 0.95
    assert share < 0.7  # the sampling test never stopped on such a set
    assert recall == pytest.approx(order[:screened].sum() / order.sum())


def test_to_screen_is_the_number_of_excludes_after_which_the_rule_stops() -> None:
    seq = np.zeros(400, dtype=int)
    seq[:25] = 1
    seq[[40, 70, 130]] = 1
    state = arrival_test(seq, records=5000)
    assert not state.stop and state.to_screen > 0
    more = np.concatenate([seq, np.zeros(state.to_screen, dtype=int)])
    assert arrival_test(more, records=5000).stop
    assert not arrival_test(more[:-1], records=5000).stop


def test_the_recall_estimate_lies_in_its_interval_and_tightens_with_excludes() -> None:
    seq = np.zeros(300, dtype=int)
    seq[:40:2] = 1
    early = arrival_test(seq, records=3000)
    later = arrival_test(np.concatenate([seq, np.zeros(300, dtype=int)]), records=3000)
    for s in (early, later):
        assert s.recall_low <= s.estimated_recall <= s.recall_high <= 1.0
    assert later.recall_low >= early.recall_low and later.recall_high == 1.0
    assert later.expected_left < early.expected_left


def test_below_about_twenty_includes_the_target_means_finding_all_of_them() -> None:
    assert "95% recall means finding all of them" in (plain_warning(12, 0.95) or "")
    assert plain_warning(18, 0.95) is not None
    assert plain_warning(20, 0.95) is None  # 20 / 0.95 - 20 = 1.05: one may be missed
    seq = np.zeros(500, dtype=int)
    seq[:10] = 1
    state = arrival_test(seq, records=2000)
    assert state.allowed_missed == 0


def test_bad_inputs_are_refused_with_a_clear_error() -> None:
    with pytest.raises(InputError, match="strictly between 0 and 1"):
        arrival_test([1, 0], records=10, target=1.0)
    with pytest.raises(InputError, match="0 or 1"):
        arrival_test([1, 2], records=10)
    with pytest.raises(InputError, match="only 1 records"):
        arrival_test([1, 0], records=1)


def test_one_evaluation_on_50000_records_is_fast() -> None:
    import time

    rng = np.random.default_rng(0)
    seq = (rng.random(25_000) < 0.02 * np.exp(-np.arange(25_000) / 3000)).astype(int)
    start = time.perf_counter()
    arrival_test(seq, records=50_000)
    assert time.perf_counter() - start < 0.5  # 100 ms on an idle core; slack for CI
