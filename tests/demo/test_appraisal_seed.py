"""The seed's two independent CASP appraisals per study give the published scores and bands."""

from __future__ import annotations

from collections import Counter

import pytest

from reviewflow.demo.appraisal import load_seed_appraisals
from reviewflow.stages.appraisal import appraisal_agreement, consensus, score

PUBLISHED = {
    "stickley2012": 19,
    "moffatt2017": 18,
    "kellezi2019": 17,
    "wildman2019": 18,
    "roberts2020": 15,
    "hanlon2021": 20,
}


@pytest.fixture(scope="module")
def seed():
    return load_seed_appraisals()


@pytest.fixture(scope="module")
def agreed(seed):
    return {
        sid: consensus(
            seed.checklist, seed.first[sid], seed.second[sid], seed.resolutions[sid],
            reviewer=seed.consensus_by,
        )
        for sid in seed.first
    }  # fmt: skip


def test_consensus_scores_are_the_published_ones(seed, agreed):
    scores = {sid: score(seed.checklist, seed.scheme, a) for sid, a in agreed.items()}
    assert {sid: s.points for sid, s in scores.items()} == PUBLISHED
    assert {sid: s.band for sid, s in scores.items()} == {
        sid: band for sid, (_, band) in seed.published.items()
    }
    assert Counter(s.band for s in scores.values()) == {"very valuable": 5, "valuable": 1}
    assert scores["roberts2020"].band == "valuable"


def test_answers_match_what_the_seed_text_says(agreed):
    def yes(item):
        return sorted(s for s, a in agreed.items() if a.answers[item] == "yes")

    everyone = sorted(PUBLISHED)
    for item in ("q1", "q2", "q3", "q4", "q5", "q9", "q10"):
        assert yes(item) == everyone, item
    assert yes("q6") == ["hanlon2021"]  # only Hanlon considered the relationship
    assert yes("q7") == ["hanlon2021", "moffatt2017", "stickley2012", "wildman2019"]  # ethics
    assert yes("q8") == [s for s in everyone if s != "roberts2020"]  # rigorous analysis


def test_independent_appraisals_differ_and_agreement_is_reported(seed):
    result = appraisal_agreement(
        seed.checklist, list(seed.first.values()), list(seed.second.values())
    )
    assert result.appraisers == ("MC", "JS")
    assert len(result.disagreements) == 4
    assert result.proportion == pytest.approx(56 / 60)
    assert result.ac1.ac1 > result.kappa.kappa  # prevalence of "yes" pulls κ down
