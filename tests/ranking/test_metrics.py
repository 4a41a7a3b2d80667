"""Metrics on tiny orders computed by hand (definitions in reviewflow.ranking.metrics)."""

import pytest

from reviewflow.errors import InputError
from reviewflow.ranking import erf, n_at, recall_at, summary, wss

# 12 records, includes at 0, 3, 8, 11; priors 0 (include) and 1 (exclude) → N = 10, R = 3.
LABELS = [1, 0, 0, 1, 0, 0, 0, 0, 1, 0, 0, 1]
PRIORS = [0, 1]
ORDER = [3, 2, 8, 4, 5, 6, 7, 11, 9, 10]  # includes at screening positions 1, 3, 8


def test_n_at_counts_records_until_the_ceil_of_r_times_R_includes():
    assert n_at(ORDER, LABELS, priors=PRIORS, recall=0.95) == 8  # ceil(2.85) = 3 includes
    assert n_at(ORDER, LABELS, priors=PRIORS, recall=0.5) == 3  # ceil(1.5) = 2
    assert n_at(ORDER, LABELS, priors=PRIORS, recall=1.0) == 8


def test_wss_at_95():
    assert wss(ORDER, LABELS, priors=PRIORS) == pytest.approx((10 - 8) / 10 - 0.05)


def test_recall_and_erf_at_10_percent():
    # first ceil(0.1 * 10) = 1 record holds 1 of 3 includes; random expects 3 * 1/10
    assert recall_at(ORDER, LABELS, priors=PRIORS) == pytest.approx(1 / 3)
    assert erf(ORDER, LABELS, priors=PRIORS) == pytest.approx((1 - 0.3) / (3 - 0.3))


def test_exact_products_do_not_round_up_one_include_too_many():
    # R = 20: 95 % is exactly 19 includes, not 20 (0.95 * 20 is 18.999... in floating point)
    labels = [1] * 21 + [0] * 5
    priors = [0, 21]
    order = [*range(1, 20), 22, 20, 23, 24, 25]
    assert n_at(order, labels, priors=priors, recall=0.95) == 19
    assert n_at(order, labels, priors=priors, recall=1.0) == 21


def test_a_prefix_order_counts_missing_records_as_screened_last():
    prefix = ORDER[:8]  # ASReview stops after the last include
    assert summary(prefix, LABELS, priors=PRIORS) == summary(ORDER, LABELS, priors=PRIORS)


def test_perfect_order_has_erf_one_and_reverse_order_is_worse_than_random():
    labels = [1, 0] + [1] * 2 + [0] * 18  # N = 20, R = 2, first 10 % = 2 records
    good = list(range(2, 22))
    bad = list(reversed(good))
    assert erf(good, labels, priors=[0, 1]) == pytest.approx(1.0)
    assert erf(bad, labels, priors=[0, 1]) < 0
    assert wss(bad, labels, priors=[0, 1]) == pytest.approx(-0.05)


def test_order_containing_a_prior_is_refused():
    with pytest.raises(InputError):
        wss([0, *ORDER[1:]], LABELS, priors=PRIORS)
