"""Simulation and ranker on the small synthetic fixture (tests/data/ranking)."""

import csv
from pathlib import Path

import numpy as np
import pytest

from reviewflow.errors import InputError, StateError
from reviewflow.ranking import Ranker, record_text, sample_priors, simulate
from reviewflow.ranking.simulate import simulate_file

FIXTURE = Path(__file__).parents[1] / "data" / "ranking" / "screening_small.csv"


@pytest.fixture(scope="module")
def fixture_set():
    with FIXTURE.open(encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    texts = [record_text(r["title"], r["abstract"]) for r in rows]
    labels = np.array([int(r["label_included"]) for r in rows])
    return texts, labels


def test_simulation_finds_includes_much_faster_than_random(fixture_set):
    texts, labels = fixture_set
    result = simulate(texts, labels, seed=42)
    m = result.metrics()
    # random screening: WSS@95 about 0, recall@10 % about 0.10
    assert m["wss@95"] > 0.5
    assert m["recall@10"] > 0.5
    assert sorted(result.order + result.priors) == list(range(len(labels)))


def test_priors_are_one_include_and_one_exclude_reproducible_per_seed(fixture_set):
    _, labels = fixture_set
    first = sample_priors(labels, seed=3)
    assert first == sample_priors(labels, seed=3)
    assert [labels[i] for i in first] == [1, 0]
    assert first != sample_priors(labels, seed=4)


def test_given_priors_override_the_seeded_draw(fixture_set):
    texts, labels = fixture_set
    priors = [int(np.nonzero(labels)[0][5]), 0 if labels[0] == 0 else 1]
    assert simulate(texts, labels, seed=1, priors=priors).priors == priors


def test_ranker_needs_both_classes_and_says_what_to_do(fixture_set):
    texts, _ = fixture_set
    ranker = Ranker.from_texts(texts)
    with pytest.raises(StateError, match="at least one include and one exclude"):
        ranker.fit([0, 1], [0, 0])


def test_ranker_puts_records_like_the_includes_first(fixture_set):
    texts, labels = fixture_set
    ranker = Ranker.from_texts(texts)
    inc, exc = np.nonzero(labels)[0], np.nonzero(labels == 0)[0]
    ranker.fit([inc[0], exc[0], exc[1]], [1, 0, 0])
    top = ranker.rank()[:20]
    assert labels[top].sum() >= 10  # 20 includes among 400 records


def test_simulate_file_reports_each_seed_and_the_mean():
    report = simulate_file(FIXTURE, seeds=2)
    assert [r["seed"] for r in report["runs"]] == [42, 1]
    assert report["included"] == 20
    wss = [r["wss@95"] for r in report["runs"]]
    assert report["mean"]["wss@95"] == pytest.approx(sum(wss) / 2)


def test_simulate_file_reports_progress_to_the_end_of_every_seed():
    seen: dict[str, list[tuple[int, int]]] = {}
    out = simulate_file(
        FIXTURE, seeds=2, progress=lambda p, d, t: seen.setdefault(p, []).append((d, t))
    )
    n = out["records"]
    assert list(seen) == ["features", "seed 42", "seed 1"]
    assert seen["features"][-1] == (2, 2)
    for phase in ("seed 42", "seed 1"):
        done = [d for d, _ in seen[phase]]
        assert done == sorted(done) and done[-1] == n and len(done) > 2  # one per retrain
        assert {t for _, t in seen[phase]} == {n}


def test_a_file_without_the_label_column_names_the_option(tmp_path):
    bad = tmp_path / "x.csv"
    bad.write_text("title,abstract,included\nA,B,1\n", encoding="utf-8")
    with pytest.raises(InputError, match="--label-column"):
        simulate_file(bad)


def test_a_label_that_is_not_0_or_1_names_the_line(tmp_path):
    bad = tmp_path / "x.csv"
    bad.write_text("title,abstract,label_included\nA,B,1\nC,D,yes\n", encoding="utf-8")
    with pytest.raises(InputError, match=r"x.csv:3"):
        simulate_file(bad)
