"""Multi-coder agreement per code and per study; CERQual judgements and the SoQF table."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

from reviewflow.errors import InputError
from reviewflow.stages.synthesis import cerqual, codes, compare, themes

if TYPE_CHECKING:
    from conftest import Coded


def test_two_coders_compared_per_code_and_per_study(coded: Coded) -> None:
    p, s = coded.project, coded.segs
    trust = codes.create_code(p, "trust")
    goals = codes.create_code(p, "goals")
    for seg, code in (("Service", trust), ("Trust", trust), ("Goals", goals)):
        codes.apply_code(p, s[seg], code, reviewer="MC")
    for seg, code in (("Service", trust), ("Peer", trust), ("Trust", trust), ("Goals", goals)):
        codes.apply_code(p, s[seg], code, reviewer="CJ")
    codes.apply_code(p, s["She"], goals, reviewer="CJ")  # a quote: out of scope, not compared

    result = compare.compare_coders(p, "MC", "CJ")
    per_code = {r["code"]: r for r in result["per_code"]}
    # trust over 5 in-scope segments: MC [T F F T F], CJ [T F T T F]
    assert per_code["trust"]["percent_agreement"] == pytest.approx(0.8)
    assert per_code["trust"]["kappa"] == pytest.approx((0.8 - 0.48) / 0.52)
    assert (per_code["trust"]["both"], per_code["trust"]["only_second"]) == (2, 1)
    assert per_code["goals"]["kappa"] == pytest.approx(1.0)
    per_study = {r["study"]: r for r in result["per_study"]}
    assert per_study["Moffatt 2017"]["items"] == 6
    assert per_study["Moffatt 2017"]["percent_agreement"] == pytest.approx(5 / 6)
    assert per_study["Wildman 2019"]["percent_agreement"] == pytest.approx(1.0)


def test_study_coded_by_one_coder_only_is_not_compared(coded: Coded) -> None:
    p, s = coded.project, coded.segs
    code = codes.create_code(p, "trust")
    codes.apply_code(p, s["Service"], code, reviewer="MC")
    codes.apply_code(p, s["Trust"], code, reviewer="MC")
    codes.apply_code(p, s["Trust"], code, reviewer="CJ")
    result = compare.compare_coders(p, "MC", "CJ")
    assert result["studies"] == [coded.studies["Wildman 2019"]]
    assert result["overall"]["percent_agreement"] == pytest.approx(1.0)


def test_soqf_table_derives_studies_and_keeps_latest_judgements(coded: Coded) -> None:
    p, s, st = coded.project, coded.segs, coded.studies
    code = codes.create_code(p, "trust")
    codes.apply_code(p, s["Service"], code, reviewer="MC")
    codes.apply_code(p, s["Trust"], code, reviewer="MC")
    top = themes.create_theme(p, "Person-centred", kind="analytical", description="d", label="1")
    themes.create_theme(
        p,
        "Relationship",
        kind="descriptive",
        description="d",
        label="1.1",
        parent=top,
        codes=[code],
    )
    fid = cerqual.add_finding(p, "Trust in the link worker mattered.", themes=["1.1"], label="F1")
    levels = {
        "methodological_limitations": "minor",
        "coherence": "no or very minor",
        "adequacy": "serious",
        "relevance": "moderate",
    }
    for comp, level in levels.items():
        cerqual.judge(p, "F1", comp, level, f"because {comp}", reviewer="MC")
    cerqual.judge(p, fid, "adequacy", "moderate", "two studies with rich data", reviewer="MC")

    (row,) = cerqual.soqf_table(p, appraisals={st["Moffatt 2017"]: "18 very valuable"})
    assert row.study_labels == ["Moffatt 2017", "Wildman 2019"]
    assert row.components["adequacy"] == {
        "level": "moderate",
        "explanation": "two studies with rich data",
    }
    assert row.starting_point == "low"  # two moderate concerns: two steps down from high
    assert row.overall is None
    assert row.appraisals == {"Moffatt 2017": "18 very valuable"}
    cerqual.judge(p, fid, "overall", "moderate", "adequacy concerns only partly", reviewer="MC")
    (row,) = cerqual.soqf_table(p)
    assert (row.overall, row.explanation) == ("moderate", "adequacy concerns only partly")


def test_cerqual_refuses_unknown_levels_and_missing_explanations(coded: Coded) -> None:
    p = coded.project
    themes.create_theme(p, "T", kind="analytical", description="d", label="1")
    cerqual.add_finding(p, "A finding.", themes=["1"], label="F1")
    with pytest.raises(InputError, match="one of"):
        cerqual.judge(p, "F1", "coherence", "high", "x")
    with pytest.raises(InputError, match="explanation"):
        cerqual.judge(p, "F1", "coherence", "minor", " ")
    with pytest.raises(InputError, match="unknown CERQual component"):
        cerqual.judge(p, "F1", "precision", "minor", "x")
    assert cerqual.starting_point(dict.fromkeys(cerqual.COMPONENTS, "no or very minor")) == "high"
