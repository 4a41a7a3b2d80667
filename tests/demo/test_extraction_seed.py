"""The seed's six studies go through the form, pilot and verification and give Table 1."""

from __future__ import annotations

import pytest

from reviewflow.demo.extraction import load_seed_extraction
from reviewflow.stages.extraction import NOT_REPORTED, Row, check_consistency
from reviewflow.stages.extraction.agreement import pilot_agreement
from reviewflow.stages.extraction.verify import final_answers, resolve

NR = NOT_REPORTED
# Table 1 of the seed review: country, N, mean age, % female, % male, model, timing.
TABLE_1 = {
    "stickley2012": ("England", 16, NR, 50, 50, "Direct referral", "After engagement"),
    "moffatt2017": ("England", 30, 62.0, 47, 53, "Link worker", "During engagement"),
    "kellezi2019": ("England", 19, 60.4, 63, 32, "Link worker", "After engagement"),
    "wildman2019": ("England", 24, NR, 46, 54, "Link worker", "During and after engagement"),
    "roberts2020": ("Wales", 120, 76.7, 82, 18, "Link worker", "During and after engagement"),
    "hanlon2021": ("Scotland", 12, 46.5, 50, 50, "Link worker", "After engagement"),
}
COLUMNS = ("country", "sample_size", "age_mean", "female_percent", "male_percent", "model",
           "timing")  # fmt: skip


@pytest.fixture(scope="module")
def seed():
    return load_seed_extraction()


@pytest.fixture(scope="module")
def final(seed):
    return {
        sid: final_answers(seed.form, ext, seed.verifications[sid], seed.resolutions[sid])
        for sid, ext in seed.extractions.items()
    }


def test_verified_answers_give_table_1(final):
    assert set(final) == set(TABLE_1)
    for sid, row in TABLE_1.items():
        assert tuple(final[sid].get(c) for c in COLUMNS) == row, sid


def test_ethnicity_and_employment_rows_and_aggregates(final):
    assert final["stickley2012"]["ethnicity"] == (
        Row("White-British", 13),
        Row("Black-British", 1),
        Row("Asian", 1),
        Row("Afro-Caribbean", 1),
    )
    reported_ethnicity = [s for s, a in final.items() if a["ethnicity"] is not NR]
    assert sorted(reported_ethnicity) == ["kellezi2019", "moffatt2017", "stickley2012"]
    employment: dict[str, int] = {}
    for answers in final.values():
        if answers["employment"] is not NR:
            for row in answers["employment"]:
                employment[row.label] = employment.get(row.label, 0) + row.count
    # "16 were employed, 34 had retired, and 23 were unemployed."
    assert employment == {"Employed": 16, "Retired": 34, "Unemployed": 23}
    british_or_white = {"White and/or British", "White-British", "Black-British"}
    white_or_british = sum(
        r.count
        for a in final.values()
        if a["ethnicity"] is not NR
        for r in a["ethnicity"]
        if r.label in british_or_white
    )
    assert white_or_british == 54  # "54 participants were reported as British and/or White"
    # The text says 220 participants in total; Table 1's sample sizes add up to 221.
    assert sum(a["sample_size"] for a in final.values()) == 221
    assert final["hanlon2021"]["age_mean_calculated"] == "yes"


def test_published_values_that_do_not_add_up_are_reported_not_fixed(seed, final):
    warnings = {sid: [str(w) for w in check_consistency(seed.form, a)] for sid, a in final.items()}
    assert warnings["kellezi2019"] == [
        "female_percent 63 + male_percent 32 = 95, not 100",
        "ethnicity counts add up to 16, sample_size is 19",
    ]
    assert all(not w for sid, w in warnings.items() if sid != "kellezi2019")
    assert final["kellezi2019"]["male_percent"] == 32


def test_the_verifiers_proposal_is_resolved_with_history(seed):
    sid = "kellezi2019"
    result = resolve(seed.form, seed.extractions[sid], seed.verifications[sid],
                     seed.resolutions[sid])  # fmt: skip
    history = [(e.action, e.reviewer, e.value) for e in result.history if e.field == "male_percent"]
    assert history == [
        ("extracted", "MC", 32.0),
        ("proposed", "KA", 37.0),
        ("resolved", "MC", 32.0),
    ]


def test_pilot_on_three_studies_flags_fields_to_clarify(seed):
    report = pilot_agreement(seed.form, seed.pilot_first, seed.pilot_second)
    assert report.reviewers == ("MC", "CJ")
    assert len(report.studies) == 3
    assert [f.field for f in report.below(1.0)] == [
        "reason_for_referral",
        "timing",
        "timing_inferred",
    ]
