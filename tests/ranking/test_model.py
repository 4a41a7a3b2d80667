"""The ranker's training cap and its one-product scoring."""

import csv
from pathlib import Path

import numpy as np
import pytest

from reviewflow.ranking import Ranker, record_text
from reviewflow.ranking import model as ranker_model
from reviewflow.ranking.model import _standardise, training_sample

FIXTURE = Path(__file__).parents[1] / "data" / "ranking" / "screening_small.csv"


@pytest.fixture(scope="module")
def fixture_set():
    with FIXTURE.open(encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    texts = [record_text(r["title"], r["abstract"]) for r in rows]
    return texts, np.array([int(r["label_included"]) for r in rows])


def test_below_the_cap_every_labelled_record_is_used():
    y = np.array([1, 0, 0, 1, 0])
    assert list(training_sample(y, cap=5)) == [0, 1, 2, 3, 4]


def test_above_the_cap_all_includes_stay_and_excludes_are_sampled_reproducibly():
    y = np.zeros(10_000, dtype=int)
    y[::97] = 1
    picked = training_sample(y, cap=1000)
    assert len(picked) == 1000
    assert set(np.nonzero(y)[0]) <= set(picked)
    assert list(picked) == list(training_sample(y, cap=1000))


def test_includes_beyond_half_the_cap_are_sampled_too():
    y = np.ones(5000, dtype=int)
    y[:100] = 0
    picked = training_sample(y, cap=1000)
    assert len(picked) == 1000
    assert (y[picked] == 0).sum() == 100  # every exclude; includes fill the rest


def test_scores_equal_the_mean_of_each_models_standardised_decision_values(fixture_set):
    texts, labels = fixture_set
    ranker = Ranker.from_texts(texts)
    lab = np.arange(0, len(labels), 3)
    ranker.fit(lab, labels[lab])
    assert len(ranker._models) == 3  # SVM and LR on words, SVM on character n-grams
    views = [ranker.features, ranker.features, ranker.char_features]
    for subset in (None, np.arange(1, len(labels), 3), np.array([5, 7, 11])):
        expected = np.mean(
            [
                _standardise(m.decision_function(v if subset is None else v[subset]))
                for m, v in zip(ranker._models, views, strict=True)
            ],
            axis=0,
        )
        np.testing.assert_allclose(ranker.scores(subset), expected, atol=1e-5)


def test_a_capped_fit_still_ranks_the_includes_first(fixture_set, monkeypatch):
    texts, labels = fixture_set
    monkeypatch.setattr(ranker_model, "MAX_TRAIN", 60)
    ranker = Ranker.from_texts(texts)
    lab = np.arange(0, len(labels), 2)  # 200 labelled, fitted on 60
    pool = np.arange(1, len(labels), 2)
    top = ranker.fit(lab, labels[lab]).rank(pool)[:10]
    assert labels[top].sum() >= 6  # about 10 includes among the 200 in the pool


def test_pseudo_negatives_are_unlabelled_rows_drawn_reproducibly():
    labelled = np.arange(0, 1000, 2)
    picked = ranker_model.pseudo_negatives(1000, labelled, 100)
    assert len(picked) == 100
    assert not set(picked) & set(labelled)
    assert list(picked) == list(ranker_model.pseudo_negatives(1000, labelled, 100))
    # a different number labelled (the next retrain) draws afresh
    assert list(picked) != list(ranker_model.pseudo_negatives(1000, labelled[:-1], 100))


def test_pseudo_negatives_take_every_unlabelled_row_of_a_small_pool():
    picked = ranker_model.pseudo_negatives(10, np.array([0, 3, 4]), 100)
    assert list(picked) == [1, 2, 5, 6, 7, 8, 9]
    assert len(ranker_model.pseudo_negatives(3, np.array([0, 1, 2]), 100)) == 0


def test_the_ranking_is_the_same_whatever_numpy_s_global_random_state(fixture_set):
    # liblinear shuffles its records with a seed from numpy's global generator unless told
    # one; a replay of the logged decisions must give the team the same order
    texts, labels = fixture_set
    ranker = Ranker.from_texts(texts)
    labelled = [int(i) for i in np.nonzero(labels)[0][:5]] + list(range(40, 140))
    y = labels[labelled]
    np.random.seed(1)
    first = ranker.fit(labelled, y).scores()
    np.random.seed(2)
    second = ranker.fit(labelled, y).scores()
    assert np.array_equal(first, second)


def test_the_includes_weight_is_capped_by_how_rare_they_are() -> None:
    # A fixed 9.8 assumes rare includes; with as many includes as excludes the two
    # classes weigh the same, and a set of rare includes keeps the fixed ratio.
    from reviewflow.ranking.model import POS_RATIO, include_weight_ratio

    assert include_weight_ratio(30, 30) == 1.0
    assert include_weight_ratio(50, 10) == 1.0  # never below even
    assert include_weight_ratio(25, 75) == 3.0
    assert include_weight_ratio(10, 990) == POS_RATIO
    assert include_weight_ratio(0, 5) == 5.0  # no include yet: no division by zero
