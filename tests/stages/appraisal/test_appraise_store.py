"""Appraisal on the project store: the seed's CASP scores, agreement, consensus, bad input."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest
from sqlalchemy import func, select

from reviewflow.demo.appraisal import load_seed_appraisals
from reviewflow.errors import InputError, NotFoundError, StateError
from reviewflow.project import Project
from reviewflow.settings import AppraisalSettings, Reviewer
from reviewflow.stages.appraisal import project as appraise
from reviewflow.store import screening_queries
from reviewflow.store.schema import appraisals

DATA = Path(__file__).parents[2] / "data" / "extract_store"
LABELS = {
    "stickley2012": "Stickley et al. 2012",
    "moffatt2017": "Moffatt et al. 2017",
    "kellezi2019": "Kellezi et al. 2019",
    "wildman2019": "Wildman et al. 2019",
    "roberts2020": "Roberts et al. 2020",
    "hanlon2021": "Hanlon et al. 2021",
}
PUBLISHED = dict(zip(LABELS.values(), (19, 18, 17, 18, 15, 20), strict=True))
ALL_YES = {f"q{i}": "Yes" for i in range(1, 11)}


def _setup(project: Project, labels: list[str], scheme: str = "seed") -> dict[str, int]:
    project.settings.reviewers += [Reviewer(initials="JS")]
    project.settings.appraisal = AppraisalSettings(scheme=scheme)
    with project.db.transaction() as conn:
        return {label: screening_queries.insert_study(conn, label=label) for label in labels}


def _count(project: Project) -> int:
    with project.db.connect() as conn:
        return conn.execute(select(func.count()).select_from(appraisals)).scalar_one()


def test_seed_appraisals_through_the_store_give_the_published_scores(project: Project) -> None:
    seed = load_seed_appraisals()
    _setup(project, list(LABELS.values()))
    for key, label in LABELS.items():
        for side in (seed.first, seed.second):
            a = side[key]
            appraise.record_appraisal(project, label, reviewer=a.appraiser, answers=a.answers)
    with pytest.raises(StateError, match="appraisers disagree on q6"):
        appraise.record_consensus(project, "Stickley et al. 2012", reviewer="MC")
    agreed = appraise.record_agreed_consensus(project, reviewer="MC")
    assert len(agreed) == sum(1 for r in seed.resolutions.values() if not r)
    for key, label in LABELS.items():
        if seed.resolutions[key]:
            appraise.record_consensus(
                project, label, reviewer="MC", resolutions=seed.resolutions[key]
            )
    table = {row["study"]: row for row in appraise.appraisal_table(project)}
    assert {s: r["score"] for s, r in table.items()} == PUBLISHED
    assert Counter(r["band"] for r in table.values()) == {"very valuable": 5, "valuable": 1}
    assert table["Roberts et al. 2020"]["band"] == "valuable"
    assert table["Stickley et al. 2012"]["q6"] == "Can't tell"
    assert {r["max"] for r in table.values()} == {20}

    result = appraise.agreement(project)
    assert result.appraisers == ("JS", "MC")
    assert len(result.studies) == 6
    assert {d.item for d in result.disagreements} == {
        item for r in seed.resolutions.values() for item in r
    }

    # the scheme is configuration: "none" scores nothing from the same consensus
    project.settings.appraisal = AppraisalSettings(scheme="none")
    assert {r["score"] for r in appraise.appraisal_table(project)} == {None}


@pytest.mark.parametrize(
    ("nos", "cant_tells", "points", "band"),
    [
        (0, 0, 20, "very valuable"),
        (0, 4, 16, "very valuable"),
        (0, 5, 15, "valuable"),
        (5, 0, 10, "valuable"),
        (5, 1, 9, "not valuable"),
    ],
)
def test_inline_scheme_from_settings_and_band_boundaries(
    project: Project, nos: int, cant_tells: int, points: int, band: str
) -> None:
    (sid,) = _setup(project, ["Study A"]).values()
    inline = {
        "name": "as the seed, declared in review.toml",
        "points": {"yes": 2, "cant_tell": 1, "no": 0},
        "max": 20,
        "bands": [
            {"label": "very valuable", "above": 15, "max": 20},
            {"label": "valuable", "min": 10, "max": 15},
            {"label": "not valuable", "min": 0, "below": 10},
        ],
    }
    project.settings.appraisal = AppraisalSettings(scheme="mine", scoring=inline)
    answers = dict(ALL_YES)
    for i in range(1, nos + 1):
        answers[f"q{i}"] = "No"
    for i in range(nos + 1, nos + cant_tells + 1):
        answers[f"q{i}"] = "Can't tell"
    for who in ("MC", "JS"):
        appraise.record_appraisal(project, sid, reviewer=who, answers=answers)
    appraise.record_consensus(project, sid, reviewer="MC")
    (row,) = appraise.appraisal_table(project)
    assert (row["score"], row["band"]) == (points, band)


def test_bad_appraisals_are_refused_and_nothing_recorded(project: Project) -> None:
    (sid,) = _setup(project, ["Study A"]).values()
    with pytest.raises(NotFoundError, match="no study 'Study Z'"):
        appraise.record_appraisal(project, "Study Z", reviewer="MC", answers=ALL_YES)
    with pytest.raises(NotFoundError, match="unknown reviewer 'ZZ'"):
        appraise.record_appraisal(project, sid, reviewer="ZZ", answers=ALL_YES)
    with pytest.raises(InputError, match="q3: expected Yes / Can't tell / No, got 'Maybe'"):
        appraise.record_appraisal(project, sid, reviewer="MC", answers={**ALL_YES, "q3": "Maybe"})
    with pytest.raises(InputError, match="unanswered: q10"):
        appraise.record_appraisal(
            project, sid, reviewer="MC", answers={k: v for k, v in ALL_YES.items() if k != "q10"}
        )
    with pytest.raises(StateError, match="two independent appraisals are needed"):
        appraise.record_consensus(project, sid, reviewer="MC")
    assert _count(project) == 0


def test_changes_keep_history_and_consensus_freezes_the_appraisals(project: Project) -> None:
    (sid,) = _setup(project, ["Study A"]).values()
    appraise.record_appraisal(project, sid, reviewer="MC", answers=ALL_YES)
    appraise.record_appraisal(project, sid, reviewer="MC", answers=ALL_YES)  # same: no row
    assert _count(project) == 1
    with pytest.raises(InputError, match="already appraised by MC"):
        appraise.record_appraisal(project, sid, reviewer="MC", answers={**ALL_YES, "q6": "No"})
    appraise.record_appraisal(
        project, sid, reviewer="MC", answers={**ALL_YES, "q6": "No"}, replace=True
    )
    appraise.record_appraisal(project, sid, reviewer="JS", answers=ALL_YES)
    (study,) = appraise.overview(project)
    assert (study.status, study.open_items) == ("disagreements", ("q6",))
    with pytest.raises(InputError, match="no disagreement to resolve on q1"):
        appraise.record_consensus(project, sid, reviewer="MC", resolutions={"q1": "no", "q6": "no"})
    appraise.record_consensus(project, sid, reviewer="MC", resolutions={"q6": "cant_tell"})
    with pytest.raises(StateError, match="a consensus is recorded"):
        appraise.record_appraisal(project, sid, reviewer="JS", answers=ALL_YES | {"q1": "No"},
                                  replace=True)  # fmt: skip
    with pytest.raises(InputError, match="already recorded"):
        appraise.record_consensus(project, sid, reviewer="MC", resolutions={"q6": "no"})
    appraise.record_consensus(project, sid, reviewer="JS", resolutions={"q6": "no"}, replace=True)
    (row,) = appraise.appraisal_table(project)
    assert (row["q6"], row["score"]) == ("No", 18)
    assert _count(project) == 5  # every version kept


def test_csv_import_is_all_or_nothing(project: Project, tmp_path: Path) -> None:
    _setup(project, ["Study A", "Study B"])
    good = tmp_path / "good.csv"
    header = "study,appraiser," + ",".join(f"q{i}" for i in range(1, 11)) + ",note_q6\n"
    yes = ",".join(["Yes"] * 10)
    good.write_text(
        header + f"Study A,MC,{yes},\nStudy A,JS,{yes.replace('Yes', 'No', 1)},unclear\n",
        encoding="utf-8",
    )
    bad = tmp_path / "bad.csv"
    bad.write_text(
        header + f"Study B,MC,{yes},\nStudy B,JS,{yes.replace('Yes', 'Perhaps', 1)},\n"
        f"Study B,JS,{yes.replace('Yes,', '', 1)},,\n",
        encoding="utf-8",
    )
    with pytest.raises(InputError) as err:
        appraise.import_csv(project, bad)
    assert "bad.csv:3: appraisal of study Study B by JS" in str(err.value)
    assert "q1: expected Yes / Can't tell / No, got 'Perhaps'" in str(err.value)
    assert "bad.csv:4: no answer to q10" in str(err.value)
    assert _count(project) == 0
    assert appraise.import_csv(project, good) == 2
    statuses = {s.label: s.status for s in appraise.overview(project)}
    assert statuses == {"Study A": "disagreements", "Study B": "not appraised"}
