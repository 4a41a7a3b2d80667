"""Agreement statistics against published worked examples, statsmodels and krippendorff."""

from __future__ import annotations

import json

import krippendorff
import numpy as np
import pytest
from statsmodels.stats.inter_rater import aggregate_raters, cohens_kappa
from statsmodels.stats.inter_rater import fleiss_kappa as sm_fleiss_kappa

from reviewflow.agreement import (
    agreement_report,
    cohen_kappa,
    collapse_maybe,
    fleiss_kappa,
    gwet_ac1,
    gwet_ac1_multi,
    krippendorff_alpha,
    landis_koch,
    pabak,
    percent_agreement,
)
from reviewflow.errors import InputError

N = None


def pairs_from_table(table, labels):
    """Expand a contingency table (rows rater a, columns rater b) into two rating lists."""
    a, b = [], []
    for i, row in enumerate(table):
        for j, count in enumerate(row):
            a += [labels[i]] * count
            b += [labels[j]] * count
    return a, b


def ratings_from_counts(counts, labels):
    """Expand an items × categories count table into one rating list per item."""
    return [[labels[j] for j, c in enumerate(row) for _ in range(c)] for row in counts]


# --- published worked examples ----------------------------------------------------------------

# Wikipedia, "Cohen's kappa", worked example: 50 proposals, Yes/Yes 20, A Yes/B No 5,
# A No/B Yes 10, No/No 15 -> p_o = 0.7, p_e = 0.5, kappa = 0.4.
WIKI_COHEN = [[20, 5], [10, 15]]

# Gwet, irrCAC R package README (github.com/kgwet/irrCAC), dataset cont3x3abstractors:
# kappa2.table 0.7964094 (se 0.05891072), gwet.ac1.table 0.8493305 (se 0.04321747),
# bp2.table (Brennan-Prediger = general PABAK) 0.835, pa2.table 0.89.
ABSTRACTORS = [[13, 0, 0], [0, 20, 7], [0, 4, 56]]

# Krippendorff (2011) "Computing Krippendorff's alpha-reliability", example C (nominal,
# 4 observers, 12 units, missing values): alpha = 0.743. The same data is irrCAC's
# cac.raw4raters, for which Gwet's README gives krippen.alpha.raw 0.74342,
# fleiss.kappa.raw 0.76117, gwet.ac1.raw 0.77544 (se 0.14295), pa 0.8181818.
KRIPPENDORFF_2011 = [
    [1, 1, N, 1],
    [2, 2, 3, 2],
    [3, 3, 3, 3],
    [3, 3, 3, 3],
    [2, 2, 2, 2],
    [1, 2, 3, 4],
    [4, 4, 4, 4],
    [1, 1, 2, 1],
    [2, 2, 2, 2],
    [N, 5, 5, 5],
    [N, N, 1, 1],
    [N, N, 3, N],
]

# Fleiss (1971) as worked in Wikipedia "Fleiss' kappa": 10 subjects, 14 raters,
# 5 categories -> P-bar = 0.378, P-bar_e = 0.213, kappa = 0.210.
WIKI_FLEISS = [
    [0, 0, 0, 0, 14],
    [0, 2, 6, 4, 2],
    [0, 0, 3, 5, 6],
    [0, 3, 9, 2, 0],
    [2, 2, 8, 1, 1],
    [7, 7, 0, 0, 0],
    [3, 2, 6, 3, 0],
    [2, 5, 3, 2, 2],
    [6, 5, 2, 1, 0],
    [0, 2, 2, 3, 7],
]


def test_cohen_kappa_wikipedia_example():
    a, b = pairs_from_table(WIKI_COHEN, ["yes", "no"])
    result = cohen_kappa(a, b)
    assert result.n == 50
    assert result.observed == pytest.approx(0.7)
    assert result.expected == pytest.approx(0.5)
    assert result.kappa == pytest.approx(0.4)
    assert landis_koch(result.kappa) == "fair"
    assert pabak(a, b) == pytest.approx(0.4)  # 2 * 0.7 - 1


def test_two_rater_statistics_match_gwet_irrcac_example():
    a, b = pairs_from_table(ABSTRACTORS, ["Ectopic", "AIU", "NIU"])
    kappa = cohen_kappa(a, b)
    assert kappa.kappa == pytest.approx(0.7964094, abs=1e-7)
    assert kappa.se == pytest.approx(0.05891072, abs=1e-8)
    ac1 = gwet_ac1(a, b)
    assert ac1.ac1 == pytest.approx(0.8493305, abs=1e-7)
    assert ac1.se == pytest.approx(0.04321747, abs=1e-8)
    assert pabak(a, b) == pytest.approx(0.835)
    assert percent_agreement(a, b) == pytest.approx(0.89)


def test_fleiss_kappa_wikipedia_example():
    ratings = ratings_from_counts(WIKI_FLEISS, list("ABCDE"))
    assert fleiss_kappa(ratings) == pytest.approx(0.210, abs=5e-4)
    assert fleiss_kappa(ratings) == pytest.approx(sm_fleiss_kappa(np.array(WIKI_FLEISS)))


def test_krippendorff_2011_example_with_missing_ratings():
    assert krippendorff_alpha(KRIPPENDORFF_2011) == pytest.approx(0.743, abs=5e-4)
    assert krippendorff_alpha(KRIPPENDORFF_2011) == pytest.approx(0.74342, abs=5e-6)


def test_multi_rater_coefficients_with_missing_match_gwet_irrcac_example():
    assert fleiss_kappa(KRIPPENDORFF_2011) == pytest.approx(0.76117, abs=5e-6)
    ac1 = gwet_ac1_multi(KRIPPENDORFF_2011)
    assert ac1.ac1 == pytest.approx(0.77544, abs=5e-6)
    assert ac1.se == pytest.approx(0.14295, abs=5e-6)
    assert ac1.observed == pytest.approx(0.8181818, abs=1e-7)
    assert ac1.ci_high == 1.0  # 0.775 + 1.96 * 0.143 is clipped to the range of AC1


# --- against statsmodels and krippendorff on random data --------------------------------------

# (categories, items, seed); seeds 0 and 1 give a rater who used one category only.
SHAPES = [(2, 5, 0), (2, 40, 1), (3, 100, 2), (4, 250, 3), (5, 17, 4), (2, 500, 5), (2, 60, 6),
          (3, 30, 7), (2, 200, 8)]  # fmt: skip


def random_pair(q, n, seed):
    """Two correlated raters with skewed prevalence, as in real screening."""
    rng = np.random.default_rng(seed)
    prevalence = rng.dirichlet(np.ones(q) * 0.7)
    a = rng.choice(q, size=n, p=prevalence)
    copy = rng.random(n) < rng.uniform(0.2, 0.9)
    b = np.where(copy, a, rng.choice(q, size=n, p=prevalence))
    return [f"c{x}" for x in a], [f"c{x}" for x in b]


@pytest.mark.filterwarnings("ignore:invalid value encountered:RuntimeWarning")
@pytest.mark.parametrize(("q", "n", "seed"), SHAPES)
def test_cohen_kappa_matches_statsmodels(q, n, seed):
    a, b = random_pair(q, n, seed)
    cats = sorted(set(a) | set(b))
    if len(cats) < 2:
        pytest.skip("one category drawn")
    table = np.array(
        [[sum(x == r and y == c for x, y in zip(a, b, strict=True)) for c in cats] for r in cats]
    )
    expected = cohens_kappa(table)
    result = cohen_kappa(a, b)
    assert result.kappa == pytest.approx(expected.kappa, abs=1e-12)
    # statsmodels takes the root of a -1e-17 rounding residue (nan) when one rater used a
    # single category; the variance itself is the same.
    assert result.se == pytest.approx(np.sqrt(max(expected.var_kappa, 0.0)), abs=1e-9)
    if not np.isnan(expected.std_kappa):
        assert result.ci_low == pytest.approx(max(-1, expected.kappa_low), abs=1e-9)
        assert result.ci_high == pytest.approx(min(1, expected.kappa_upp), abs=1e-9)


@pytest.mark.parametrize(("q", "n", "seed"), SHAPES)
def test_two_rater_ac1_equals_multi_rater_ac1_on_complete_data(q, n, seed):
    a, b = random_pair(q, n, seed)
    cats = [f"c{i}" for i in range(q)]
    two = gwet_ac1(a, b, categories=cats)
    multi = gwet_ac1_multi(list(zip(a, b, strict=True)), categories=cats)
    assert two.ac1 == pytest.approx(multi.ac1, abs=1e-12)
    assert pabak(a, b, categories=cats) == pytest.approx(
        (q * percent_agreement(a, b) - 1) / (q - 1)
    )


@pytest.mark.parametrize(("raters", "items", "q", "seed"), [(3, 10, 2, 0), (3, 60, 3, 1),
                         (4, 33, 4, 2), (7, 120, 2, 3), (14, 10, 5, 4)])  # fmt: skip
def test_fleiss_kappa_matches_statsmodels(raters, items, q, seed):
    rng = np.random.default_rng(seed)
    truth = rng.choice(q, size=items, p=rng.dirichlet(np.ones(q)))
    noise = rng.choice(q, size=(items, raters))
    data = np.where(rng.random((items, raters)) < 0.6, truth[:, None], noise)
    counts, _ = aggregate_raters(data, n_cat=q)
    ratings = [[f"c{x}" for x in row] for row in data]
    assert fleiss_kappa(ratings) == pytest.approx(sm_fleiss_kappa(counts), abs=1e-12)


@pytest.mark.parametrize(("raters", "items", "q", "missing", "seed"), [(2, 30, 2, 0.0, 0),
                         (2, 50, 2, 0.3, 1), (3, 40, 3, 0.2, 2), (4, 80, 5, 0.5, 3),
                         (6, 25, 2, 0.4, 4)])  # fmt: skip
def test_krippendorff_alpha_matches_package(raters, items, q, missing, seed):
    rng = np.random.default_rng(seed)
    truth = rng.choice(q, size=items)
    data = np.where(
        rng.random((items, raters)) < 0.7, truth[:, None], rng.choice(q, (items, raters))
    )
    data = np.where(rng.random((items, raters)) < missing, np.nan, data)
    ratings = [[N if np.isnan(x) else int(x) for x in row] for row in data]
    expected = krippendorff.alpha(data.T, level_of_measurement="nominal")
    assert krippendorff_alpha(ratings) == pytest.approx(expected, abs=1e-12)


# --- labels, decisions and degenerate data ----------------------------------------------------


@pytest.mark.parametrize(
    ("kappa", "label"),
    [
        (-0.01, "poor"),
        (0.0, "slight"),
        (0.20, "slight"),
        (0.2001, "fair"),
        (0.40, "fair"),
        (0.1 + 0.2 + 0.1, "fair"),  # 0.4000000000000001: float noise must not change band
        (0.41, "moderate"),
        (0.60, "moderate"),
        (0.61, "substantial"),
        (0.80, "substantial"),
        (0.81, "almost perfect"),
        (1.0, "almost perfect"),
        (None, None),
    ],
)
def test_landis_koch_bands_include_their_upper_bound(kappa, label):
    assert landis_koch(kappa) == label


def test_collapse_maybe_counts_maybe_as_include():
    assert collapse_maybe("Maybe") == "include"
    assert collapse_maybe(" include ") == "include"
    assert collapse_maybe("EXCLUDE") == "exclude"
    with pytest.raises(InputError, match="unsure"):
        collapse_maybe("unsure")


def test_all_one_category_kappa_undefined_but_pabak_and_ac1_defined():
    a = b = ["include"] * 12
    cats = ["include", "exclude"]
    kappa = cohen_kappa(a, b, categories=cats)
    assert kappa.kappa is None and kappa.se is None
    assert "undefined" in kappa.reason
    assert landis_koch(kappa.kappa) is None
    assert pabak(a, b, categories=cats) == 1.0
    assert gwet_ac1(a, b, categories=cats).ac1 == 1.0
    assert pabak(a, b) is None  # only one category known: k = 1


def test_kappa_paradox_high_agreement_low_kappa():
    # Feinstein & Cicchetti's paradox: 85 % agreement, but nearly all items excluded.
    a, b = pairs_from_table([[1, 7], [8, 84]], ["include", "exclude"])
    assert cohen_kappa(a, b).kappa < 0.1
    assert gwet_ac1(a, b).ac1 > 0.8
    assert pabak(a, b) == pytest.approx(0.7)


def test_one_reviewer_single_category_is_flagged():
    result = cohen_kappa(["exclude"] * 5, ["exclude"] * 4 + ["include"])
    assert result.kappa == 0.0
    assert "single category" in result.reason


def test_no_items_gives_none_not_an_error():
    assert cohen_kappa([], []).kappa is None
    assert cohen_kappa([], []).reason == "no items rated by both"
    assert gwet_ac1([], []).ac1 is None
    assert percent_agreement([], []) is None
    assert pabak([], [], categories=["include", "exclude"]) is None
    assert fleiss_kappa([]) is None
    assert krippendorff_alpha([["include", None]]) is None
    assert gwet_ac1_multi([]).ac1 is None


def test_two_rater_inputs_are_checked():
    with pytest.raises(InputError, match="one rating each"):
        cohen_kappa(["include"], ["include", "exclude"])
    with pytest.raises(InputError, match="missing"):
        gwet_ac1(["include", None], ["include", "exclude"])
    with pytest.raises(InputError, match="not among the categories"):
        cohen_kappa(["maybe"], ["include"], categories=["include", "exclude"])


# --- the report -------------------------------------------------------------------------------


def title_abstract_decisions():
    """Reviewer ann screens 10 records; bea independently screens a 4-record sample."""
    ann = ["include", "exclude", "exclude", "maybe", "exclude"] * 2
    events = [(f"r{i}", "ann", d) for i, d in enumerate(ann)]
    events += [("r0", "bea", "include"), ("r1", "bea", "include"), ("r2", "bea", "exclude")]
    events += [("r3", "bea", "exclude"), ("r3", "bea", "include")]  # bea revised r3
    return events


def test_report_on_double_screened_sample():
    report = agreement_report(title_abstract_decisions(), stage="title_abstract")
    assert report.reviewers == ("ann", "bea")
    assert (report.n_items, report.n_multiply_rated) == (10, 4)
    assert report.fleiss_kappa is None
    # two reviewers: Cohen's κ is the statistic, so no note about Fleiss' κ (issue 13)
    assert not any("Fleiss" in note for note in report.notes)
    (pair,) = report.pairs
    # r0 include/include, r1 exclude/include, r2 exclude/exclude, r3 maybe->include/include
    assert (pair.n, pair.both["include"], pair.both["exclude"], pair.disagreements) == (4, 2, 1, 1)
    assert pair.percent_agreement == 0.75
    assert pair.pabak == 0.5
    a = ["include", "exclude", "exclude", "include"]
    b = ["include", "include", "exclude", "include"]
    assert pair.kappa == cohen_kappa(a, b, categories=["include", "exclude"])
    assert pair.landis_koch == landis_koch(pair.kappa.kappa) == "moderate"  # kappa = 0.5
    assert report.krippendorff_alpha == pytest.approx(
        krippendorff.alpha(np.array([[1, 0, 0, 1], [1, 1, 0, 1]]), level_of_measurement="nominal")
    )
    out = json.loads(json.dumps(report.to_dict()))
    assert out["pairs"][0]["both_include"] == 2
    assert out["pairs"][0]["kappa"]["kappa"] == pytest.approx(0.5)
    assert out["stage"] == "title_abstract"


def test_report_full_text_three_reviewers_gives_fleiss_and_three_pairs():
    rng = np.random.default_rng(7)
    truth = rng.random(30) < 0.3
    names = ["ann", "bea", "cal"]
    decisions, data = [], []
    for i, t in enumerate(truth):
        row = [bool(t) if rng.random() < 0.8 else not t for _ in names]
        data.append(row)
        decisions += [
            (i, r, "include" if x else "exclude") for r, x in zip(names, row, strict=True)
        ]
    report = agreement_report(decisions, stage="full_text")
    counts, _ = aggregate_raters(np.array(data, dtype=int), n_cat=2)
    assert report.fleiss_kappa == pytest.approx(sm_fleiss_kappa(counts), abs=1e-12)
    assert [p.reviewers for p in report.pairs] == [("ann", "bea"), ("ann", "cal"), ("bea", "cal")]
    assert all(p.n == 30 for p in report.pairs)
    assert report.to_dict()["fleiss_landis_koch"] == landis_koch(report.fleiss_kappa)


def test_report_items_filter_and_degenerate_inputs():
    events = title_abstract_decisions()
    only = agreement_report(events, items={"r0", "r2"})
    assert only.n_items == 2 and only.pairs[0].n == 2
    assert only.pairs[0].kappa.kappa == 1.0
    same = agreement_report([("r0", "ann", "exclude"), ("r0", "bea", "exclude")])
    assert same.pairs[0].kappa.kappa is None and same.pairs[0].pabak == 1.0
    assert same.krippendorff_alpha is None
    empty = agreement_report([])
    assert empty.pairs == () and empty.krippendorff_alpha is None
    assert json.dumps(empty.to_dict())
    lone = agreement_report([("r0", "ann", "include")])
    assert lone.pairs == () and "nothing to compare" in lone.notes[0]


def test_report_names_item_and_reviewer_of_an_unknown_decision():
    with pytest.raises(InputError, match=r"item 'r7', reviewer 'bea'.*'unsure'"):
        agreement_report([("r7", "ann", "include"), ("r7", "bea", "unsure")])


def test_report_keeps_raw_labels_without_collapse():
    events = [(1, "a", "low"), (1, "b", "high"), (2, "a", "high"), (2, "b", "high")]
    report = agreement_report(events, collapse=False, categories=["low", "some", "high"])
    assert report.categories == ("low", "some", "high")
    assert report.pairs[0].pabak == pytest.approx((3 * 0.5 - 1) / 2)
