"""Checklists as data, scoring schemes and bands (boundaries 15/16 and 9/10), consensus."""

from __future__ import annotations

import pytest

from reviewflow.errors import InputError, StateError
from reviewflow.stages.appraisal import (
    appraisal_agreement,
    builtin_checklist,
    builtin_checklists,
    consensus,
    disagreements,
    make_appraisal,
    scheme,
    score,
)
from reviewflow.stages.appraisal.checklists import loads_checklist
from reviewflow.stages.appraisal.scoring import scheme_from_dict


@pytest.fixture(scope="module")
def casp():
    return builtin_checklist("casp_qualitative")


def answers_scoring(total: int) -> dict[str, str]:
    """CASP answers worth ``total`` points under Yes=2 / Can't tell=1 / No=0."""
    yes, rest = divmod(total, 2)
    out = ["yes"] * yes + ["cant_tell"] * rest
    out += ["no"] * (10 - len(out))
    return {f"q{i}": a for i, a in enumerate(out, 1)}


def test_builtin_checklists_carry_items_options_and_licence(casp):
    assert builtin_checklists() == ["casp_qualitative", "jbi_qualitative"]
    assert len(casp.items) == 10
    assert [o.label for o in casp.options] == ["Yes", "Can't tell", "No"]
    assert "CC BY-NC-SA" in casp.licence and "CASP UK" in casp.licence
    assert all(len(item.text) < 80 for item in casp.items)  # short texts only
    assert [i.id for i in casp.items if i.screening] == ["q1", "q2"]
    jbi = builtin_checklist("jbi_qualitative")
    assert len(jbi.items) == 10 and "JBI" in jbi.licence
    assert "not_applicable" in [o.id for o in jbi.options]


@pytest.mark.parametrize(
    ("total", "band"),
    [
        (20, "very valuable"),
        (16, "very valuable"),
        (15, "valuable"),
        (10, "valuable"),
        (9, "not valuable"),
        (0, "not valuable"),
    ],
)
def test_seed_scheme_scores_and_bands_at_the_boundaries(casp, total, band):
    appraisal = make_appraisal(casp, "s", "MC", answers_scoring(total))
    result = score(casp, scheme(casp, "seed"), appraisal)
    assert (result.points, result.max, result.band) == (total, 20, band)
    assert str(result) == f"{total}/20 [{band}]"


def test_none_scheme_gives_no_score(casp):
    result = score(casp, scheme(casp, "none"), make_appraisal(casp, "s", "MC", answers_scoring(20)))
    assert (result.points, result.band, str(result)) == (None, None, "not scored")


def test_jbi_yes_count_scheme():
    jbi = builtin_checklist("jbi_qualitative")
    answers = {f"q{i}": "yes" for i in range(1, 11)}
    answers.update(q6="Unclear", q7="no", q9="Not applicable")
    result = score(jbi, scheme(jbi, "yes_count"), make_appraisal(jbi, "s", "MC", answers))
    assert (result.points, result.max, result.band) == (7, 10, None)


def test_answers_given_as_labels_are_stored_as_ids_and_bad_ones_refused(casp):
    answers = {f"q{i}": "Yes" for i in range(1, 11)} | {"q6": "Can’t tell"}
    assert make_appraisal(casp, "s", "MC", answers).answers["q6"] == "cant_tell"
    with pytest.raises(InputError) as info:
        make_appraisal(casp, "s", "MC", {"q1": "maybe", "q11": "yes"})
    message = str(info.value)
    assert "q1: expected Yes / Can't tell / No, got 'maybe'" in message
    assert "q11: not an item" in message
    assert "unanswered: q2, q3" in message


def seed_like(**extra):
    return {"points": {"yes": 2, "cant_tell": 1, "no": 0}, "max": 20, **extra}


@pytest.mark.parametrize(
    ("bands", "words"),
    [
        # 15 in two bands
        ([{"label": "high", "min": 15, "max": 20}, {"label": "low", "min": 0, "max": 15}],
         "score 15 falls in bands 'high', 'low'"),
        # 15 in no band
        ([{"label": "high", "above": 15, "max": 20}, {"label": "low", "min": 0, "below": 15}],
         "score 15 falls in no band"),
        # 20 not covered
        ([{"label": "all", "min": 0, "below": 20}], "score 20 falls in no band"),
        ([{"label": "x", "min": 0, "above": 1}], "two lower"),
    ],
)  # fmt: skip
def test_bands_must_cover_every_score_once(casp, bands, words):
    with pytest.raises(InputError, match=words):
        scheme_from_dict(seed_like(bands=bands), casp, scheme_id="bad")


def test_points_must_cover_every_option_and_max_must_be_reachable(casp):
    with pytest.raises(InputError, match="every answer option"):
        scheme_from_dict({"points": {"yes": 1, "no": 0}}, casp, scheme_id="bad")
    with pytest.raises(InputError, match="reach 20"):
        scheme_from_dict(seed_like(max=30), casp, scheme_id="bad")


def test_a_checklist_without_licence_is_refused():
    text = 'id = "x"\nname = "X"\nanswers = [{id="y"},{id="n"}]\n[[items]]\nid="q1"\ntext="Q?"\n'
    with pytest.raises(InputError, match="licence"):
        loads_checklist(text)


def test_consensus_takes_agreement_and_requires_a_resolution_per_disagreement(casp):
    mc = make_appraisal(casp, "s1", "MC", answers_scoring(18) | {"q6": "no", "q10": "yes"})
    js = make_appraisal(
        casp, "s1", "JS", answers_scoring(18) | {"q6": "cant_tell", "q7": "no", "q10": "yes"}
    )
    assert [(d.item, d.first, d.second) for d in disagreements(mc, js)] == [
        ("q6", "no", "cant_tell"),
        ("q7", "yes", "no"),
    ]
    with pytest.raises(StateError, match="disagree on q6, q7"):
        consensus(casp, mc, js, reviewer="MC")
    with pytest.raises(StateError, match="disagree on q7"):
        consensus(casp, mc, js, {"q6": "no"}, reviewer="MC")
    with pytest.raises(InputError, match="no disagreement to resolve on q1"):
        consensus(casp, mc, js, {"q1": "no", "q6": "no", "q7": "no"}, reviewer="MC")
    agreed = consensus(casp, mc, js, {"q6": "Can't tell", "q7": "yes"}, reviewer="MC+JS")
    assert agreed.answers["q6"] == "cant_tell" and agreed.answers["q7"] == "yes"
    assert agreed.appraiser == "MC+JS"
    assert score(casp, scheme(casp, "seed"), agreed).points == 19
    # The independent appraisals are left as they were.
    assert mc.answers["q6"] == "no" and js.answers["q7"] == "no"


def test_consensus_needs_two_appraisers_of_one_study(casp):
    mc = make_appraisal(casp, "s1", "MC", answers_scoring(20))
    with pytest.raises(InputError, match="both appraisals are by MC"):
        consensus(casp, mc, mc, reviewer="MC")
    other = make_appraisal(casp, "s2", "JS", answers_scoring(20))
    with pytest.raises(InputError, match="cannot combine"):
        consensus(casp, mc, other, reviewer="MC")


def test_item_agreement_and_pooled_coefficients(casp):
    first = [
        make_appraisal(casp, "s1", "MC", answers_scoring(20)),
        make_appraisal(casp, "s2", "MC", answers_scoring(18) | {"q10": "no", "q9": "yes"}),
    ]
    second = [
        make_appraisal(casp, "s1", "JS", answers_scoring(20) | {"q6": "no"}),
        make_appraisal(casp, "s2", "JS", answers_scoring(18) | {"q10": "no", "q9": "yes"}),
    ]
    result = appraisal_agreement(casp, first, second)
    by_item = {i.item: i for i in result.items}
    assert (by_item["q6"].agreed, by_item["q6"].compared) == (1, 2)
    assert by_item["q1"].proportion == 1.0
    assert result.proportion == 19 / 20
    assert [(d.study, d.item) for d in result.disagreements] == [("s1", "q6")]
    assert result.kappa.n == 20 and result.kappa.kappa is not None
    assert 0 < result.kappa.kappa < 1
    with pytest.raises(StateError, match="s2"):
        appraisal_agreement(casp, first, second[:1])
