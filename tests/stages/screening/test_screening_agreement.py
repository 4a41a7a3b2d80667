"""Agreement statistics computed from the store, checked against independent computations.

Independent references: statsmodels (Cohen's κ with its SE, Fleiss' κ), the krippendorff
package (α with missing ratings), and the worked example of Cohen's κ on Wikipedia
(50 proposals: 20 yes/yes, 5 yes/no, 10 no/yes, 15 no/no → p_o 0.7, p_e 0.5, κ 0.4).
"""

from __future__ import annotations

import random

import krippendorff
import numpy as np
import pytest
from statsmodels.stats.inter_rater import aggregate_raters, cohens_kappa, fleiss_kappa
from test_screening_setup import SEED_SCREENING, add_records, seed_team

from reviewflow.project import Project
from reviewflow.stages import retrieval, screening


def _plan(**ta: object) -> dict:
    plan = {**SEED_SCREENING, "ta": {**SEED_SCREENING["ta"], **ta}}
    return plan


def test_cohen_worked_example_with_maybe_counted_as_include(project: Project) -> None:
    seed_team(project, screening=_plan(double_share=1.0))
    ids = add_records(project, 50)
    pairs = [("include", "include")] * 20 + [("maybe", "exclude")] * 5
    pairs += [("exclude", "maybe")] * 10 + [("exclude", "exclude")] * 15
    for item, (mc, cj) in zip(ids, pairs, strict=True):
        screening.decide(project, stage="ta", item_id=item, reviewer="MC", decision=mc)
        screening.decide(project, stage="ta", item_id=item, reviewer="CJ", decision=cj)
    report = screening.agreement(project, stage="ta")["ta"]
    (pair,) = report.pairs
    assert pair.n == 50 and pair.disagreements == 15
    assert pair.percent_agreement == pytest.approx(0.70)
    assert pair.kappa.expected == pytest.approx(0.50)
    assert pair.kappa.kappa == pytest.approx(0.40)
    assert pair.pabak == pytest.approx(0.40)
    # Gwet's AC1 by hand: π_inc = (25 + 30) / 100, p_e = 2 π (1 − π)
    pe = 2 * 0.55 * 0.45
    assert pair.ac1.ac1 == pytest.approx((0.70 - pe) / (1 - pe))
    assert pair.landis_koch in {"fair", "moderate"}  # 0.40 sits on the fair/moderate edge


def test_ta_sample_kappa_matches_statsmodels(project: Project) -> None:
    seed_team(project)
    ids = add_records(project, 400)
    rng = random.Random(5)
    mc = {i: rng.choice(["include", "exclude", "exclude", "maybe"]) for i in ids}
    for i in ids:
        screening.decide(project, stage="ta", item_id=i, reviewer="MC", decision=mc[i])
    with project.db.connect() as conn:
        state = screening.load_state(conn, project, "ta")
    sample = [i for i in ids if "CJ" in state.assigned[i]]
    cj = {i: mc[i] if rng.random() < 0.8 else rng.choice(["include", "exclude"]) for i in sample}
    for i in sample:
        screening.decide(project, stage="ta", item_id=i, reviewer="CJ", decision=cj[i])
    (pair,) = screening.agreement(project)["ta"].pairs
    assert pair.n == len(sample)

    def inc(d: str) -> int:
        return 0 if d == "exclude" else 1

    table = np.zeros((2, 2))
    for i in sample:
        table[inc(mc[i]), inc(cj[i])] += 1
    ref = cohens_kappa(table)
    assert pair.kappa.kappa == pytest.approx(ref.kappa)
    assert pair.kappa.se == pytest.approx(ref.std_kappa)
    assert pair.kappa.ci_low == pytest.approx(ref.kappa_low, abs=1e-3)


def test_full_text_fleiss_and_krippendorff_match_the_packages(
    project: Project, tmp_path: object
) -> None:
    seed_team(project)
    ids = add_records(project, 30)
    for i in ids:
        screening.decide(project, stage="ta", item_id=i, reviewer="MC", decision="include")
    reports = screening.create_reports(project)
    for k, rid in enumerate(reports):
        pdf = tmp_path / f"r{k}.pdf"  # type: ignore[operator]
        pdf.write_bytes(b"%PDF " + str(k).encode())
        retrieval.retrieve(project, rid, file=pdf, reviewer="MC")
    rng = random.Random(11)
    votes: dict[str, dict[int, str]] = {"MC": {}, "DF": {}, "JS": {}}
    for rid in reports:
        truth = rng.choice(["include", "exclude"])
        for who in votes:
            if who == "JS" and rid % 7 == 0:
                continue  # JS has not rated these yet: missing ratings
            d = truth if rng.random() < 0.75 else rng.choice(["include", "exclude", "maybe"])
            votes[who][rid] = d
            reason = "not adults" if d == "exclude" else None
            screening.decide(
                project, stage="ft", item_id=rid, reviewer=who, decision=d, reason=reason
            )
    report = screening.agreement(project, stage="ft")["ft"]

    def code(d: str | None) -> float:
        return np.nan if d is None else (0.0 if d == "exclude" else 1.0)

    matrix = np.array([[code(votes[w].get(r)) for r in reports] for w in ("DF", "JS", "MC")])
    alpha = krippendorff.alpha(reliability_data=matrix, level_of_measurement="nominal")
    assert report.krippendorff_alpha == pytest.approx(alpha)
    complete = [r for r in reports if r in votes["JS"]]
    rows = [[int(code(votes[w][r])) for w in ("DF", "JS", "MC")] for r in complete]
    assert report.fleiss_kappa == pytest.approx(fleiss_kappa(aggregate_raters(rows)[0]))
    assert {p.reviewers for p in report.pairs} == {("DF", "JS"), ("DF", "MC"), ("JS", "MC")}


def test_votes_changed_after_arbitration_do_not_count(project: Project, tmp_path: object) -> None:
    seed_team(project)
    ids = add_records(project, 2)
    for i in ids:
        screening.decide(project, stage="ta", item_id=i, reviewer="MC", decision="include")
    reports = screening.create_reports(project)
    for k, rid in enumerate(reports):
        pdf = tmp_path / f"r{k}.pdf"  # type: ignore[operator]
        pdf.write_bytes(b"%PDF " + str(k).encode())
        retrieval.retrieve(project, rid, file=pdf, reviewer="MC")
    for rid in reports:
        for who in ("MC", "DF"):
            screening.decide(project, stage="ft", item_id=rid, reviewer=who, decision="include")
        screening.decide(
            project, stage="ft", item_id=rid, reviewer="JS", decision="exclude", reason="not adults"
        )
    before = screening.agreement(project, stage="ft")["ft"].to_dict()
    screening.resolve(project, stage="ft", item_id=reports[0], reviewer="LA", decision="include")
    # After the ruling JS changes their vote; agreement stays as it was before arbitration.
    screening.decide(project, stage="ft", item_id=reports[0], reviewer="JS", decision="include")
    assert screening.agreement(project, stage="ft")["ft"].to_dict() == before


def _full_text(project: Project, tmp_path: object, n: int, reviewers: list[str]) -> list[int]:
    plan = {**SEED_SCREENING, "ft": {**SEED_SCREENING["ft"], "reviewers": reviewers}}
    seed_team(project, screening=plan)
    for i in add_records(project, n):
        screening.decide(project, stage="ta", item_id=i, reviewer="MC", decision="include")
    reports = screening.create_reports(project)
    for k, rid in enumerate(reports):
        pdf = tmp_path / f"r{k}.pdf"  # type: ignore[operator]
        pdf.write_bytes(b"%PDF " + str(k).encode())
        retrieval.retrieve(project, rid, file=pdf, reviewer="MC")
    return reports


def _ft_vote(project: Project, rid: int, who: str, decision: str) -> None:
    reason = "not adults" if decision == "exclude" else None
    screening.decide(
        project, stage="ft", item_id=rid, reviewer=who, decision=decision, reason=reason
    )


def _report_agreement_rows(project: Project) -> list[list[str]]:
    from reviewflow.reports.report import collect

    return collect(project).table("Agreement").rows


def test_report_headlines_cohen_kappa_with_ci_for_two_full_text_reviewers(
    project: Project, tmp_path: object
) -> None:
    """Two reviewers on a stage: the report shows Cohen's κ and its CI, not an undefined
    Fleiss' κ (which needs three raters)."""
    reports = _full_text(project, tmp_path, 10, ["MC", "DF"])
    for k, rid in enumerate(reports):
        _ft_vote(project, rid, "MC", "include" if k < 5 else "exclude")
        _ft_vote(project, rid, "DF", "include" if k < 4 or k == 9 else "exclude")
    (pair,) = screening.agreement(project, stage="ft")["ft"].pairs
    k = pair.kappa
    (row,) = _report_agreement_rows(project)
    assert row[:4] == ["Full-text screening", "DF, MC", "10", "Cohen's κ"]
    assert row[4] == f"{k.kappa:.2f} (95 % CI {k.ci_low:.2f} to {k.ci_high:.2f})"
    assert "not defined" not in " ".join(row) and "Fleiss" not in " ".join(row)
    assert "agreed on 80.0 %" in row[5]


def test_report_shows_fleiss_for_three_and_a_defined_statistic_when_kappa_is_not(
    project: Project, tmp_path: object
) -> None:
    reports = _full_text(project, tmp_path, 4, ["MC", "DF", "JS"])
    for rid in reports:  # every vote an include: κ undefined, AC1 (and agreement) defined
        for who in ("MC", "DF", "JS"):
            _ft_vote(project, rid, who, "include")
    (row,) = _report_agreement_rows(project)
    assert row[:5] == ["Full-text screening", "DF, JS, MC", "4", "Gwet's AC1", "1.00"]
    assert "Fleiss' κ not defined: every rating is in one category" in row[5]
    _ft_vote(project, reports[0], "JS", "exclude")
    _ft_vote(project, reports[1], "DF", "exclude")
    (row,) = _report_agreement_rows(project)
    fleiss = screening.agreement(project, stage="ft")["ft"].fleiss_kappa
    assert fleiss is not None and row[3:5] == ["Fleiss' κ", f"{fleiss:.2f}"]
