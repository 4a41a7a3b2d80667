"""The seed review's themes, studies and cited quotes, built through the synthesis API."""

from __future__ import annotations

from reviewflow.demo import synthesis as seed
from reviewflow.project import Project
from reviewflow.stages.synthesis import themes


def test_seed_builds_two_analytical_and_seven_descriptive_themes_with_quotes(
    project: Project,
) -> None:
    ids = seed.build_seed(project)
    ref = {sid: r for r, sid in ids["studies"].items()}
    tree = themes.theme_tree(project)
    assert [t["label"] for t in tree] == ["1", "2"]
    assert [[d["label"] for d in t["themes"]] for t in tree] == [
        ["1.1", "1.2", "1.3", "1.4"],
        ["2.1", "2.2", "2.3"],
    ]
    by_label = {d["label"]: d for t in tree for d in [t, *t["themes"]]}
    # the published statements are kept as published ...
    assert [ref[s] for s in by_label["1.3"]["reported_studies"]] == [7, 21, 22, 37]
    assert [ref[s] for s in by_label["2.1"]["reported_studies"]] == [7, 21, 22, 24, 29]
    assert by_label["1.2"]["reported_studies"] is None  # "five studies", not named
    # ... and the matrix, derived from the code applications, gives the studies the text
    # names for each theme (the cited quotes plus the review's attributing sentences)
    assert [ref[s] for s in by_label["1.4"]["studies"]] == [21, 22]
    assert [ref[s] for s in by_label["2.1"]["studies"]] == [7, 21, 22, 24, 29]
    assert [ref[s] for s in by_label["1.3"]["studies"]] == [7, 21, 22, 37]
    assert [ref[s] for s in by_label["1"]["studies"]] == [7, 21, 22, 24, 29, 37]
    # every quote the seed cites, with its study
    quotes = [
        (d["label"], ref[q["study_id"]], q["text"]) for d in by_label.values() for q in d["quotes"]
    ]
    assert len(quotes) == 18
    assert ("1.1", 29, "well-matched") in quotes
    assert (
        "2.3",
        22,
        "increase social contact and the change to make friends with people in a "
        "similar situation.",
    ) in quotes
    assert ("1", 21) == quotes[0][:2] and quotes[0][2].startswith(
        "A central part of the Link Worker"
    )
    compared = {r["label"]: r for r in seed.compare_with_published(project)}
    for label, row in compared.items():
        if row["reported"]:
            assert row["reported_not_derived"] == [], label
            assert row["derived_not_reported"] == [], label
