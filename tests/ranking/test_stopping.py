"""The Callaghan & Müller-Hansen stopping rule on constructed cases."""

import pytest

from reviewflow.ranking.stopping import replay_stopping, stopping_test


def _p_no_include(urn: int, k_tar: int, n: int) -> float:
    """P(no include in n draws | k_tar includes in the urn), by hand."""
    p = 1.0
    for i in range(n):
        p *= (urn - k_tar - i) / (urn - i)
    return p


def test_all_includes_found_early_stops_with_the_hypergeometric_p_value():
    # 50 includes found, 95 % target: recall < .95 needs >= floor(50/.95 - 50) + 1 = 3 more.
    state = stopping_test(urn_size=1000, relevant_before=50, sample_size=700, sample_relevant=0)
    assert state.k_target == 3
    assert state.p_value == pytest.approx(_p_no_include(1000, 3, 700))
    assert state.p_value < 0.05 and state.stop
    assert state.to_sample == 0
    assert state.estimated_recall == 1.0


def test_to_sample_is_the_first_sample_size_that_would_stop():
    state = stopping_test(urn_size=1000, relevant_before=50, sample_size=100, sample_relevant=0)
    assert not state.stop
    n = 100 + state.to_sample
    assert _p_no_include(1000, 3, n) < 0.05 <= _p_no_include(1000, 3, n - 1)


def test_includes_still_turning_up_in_the_sample_do_not_stop():
    state = stopping_test(urn_size=1000, relevant_before=10, sample_size=100, sample_relevant=5)
    assert not state.stop
    assert state.p_value > 0.5
    assert state.estimated_recall == pytest.approx(15 / (10 + 50))


def test_replay_stops_after_an_early_run_of_includes_with_full_recall():
    labels = [1] * 30 + [0] * 2000
    result = replay_stopping(labels, n_priors=2, prior_relevant=1)
    assert result.stopped
    assert result.recall == 1.0
    assert result.share < 1.0


def test_replay_with_random_sampling_finds_includes_hidden_in_the_tail():
    labels = [1] * 10 + [0] * 460 + [1] * 10  # half the includes after a long irrelevant run
    result = replay_stopping(labels, n_priors=2, prior_relevant=1, mode="random", seed=3)
    assert not result.stopped or result.recall >= 0.95


def test_replay_without_a_run_of_irrelevant_records_never_stops():
    labels = [1, 0] * 100
    result = replay_stopping(labels, n_priors=2, prior_relevant=1)
    assert not result.stopped
    assert result.share == 1.0 and result.recall == 1.0


def test_recall_interval_brackets_the_estimate_and_matches_a_hand_computation():
    from reviewflow.ranking.stopping import recall_interval

    # No include in 200 of 1,000 drawn: at most K more includes hide in the urn, the largest
    # K for which "none in the sample" still has a chance above 2.5 %.
    low, high = recall_interval(urn_size=1000, relevant_before=20, sample_size=200,
                                sample_relevant=0)  # fmt: skip
    k_max = max(k for k in range(100) if _p_no_include(1000, k, 200) > 0.025)
    assert low == pytest.approx(20 / (20 + k_max)) and high == 1.0
    # includes still turning up: the estimate lies inside, and a larger sample narrows it
    state = stopping_test(urn_size=1000, relevant_before=10, sample_size=100, sample_relevant=5)
    wide = recall_interval(urn_size=1000, relevant_before=10, sample_size=100, sample_relevant=5)
    narrow = recall_interval(urn_size=1000, relevant_before=10, sample_size=800,
                             sample_relevant=40)  # fmt: skip
    assert wide[0] < state.estimated_recall < wide[1]
    assert narrow[1] - narrow[0] < wide[1] - wide[0]
    # the whole urn screened: recall is known exactly
    assert recall_interval(urn_size=50, relevant_before=3, sample_size=50, sample_relevant=2) == (
        1.0,
        1.0,
    )
