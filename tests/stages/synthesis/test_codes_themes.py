"""Code bank with history (merge, split), applications, themes and the derived matrix."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

from reviewflow.errors import DuplicateImportError, InputError, StateError
from reviewflow.stages.synthesis import codes, findings, themes
from reviewflow.stages.synthesis.segments import Block
from reviewflow.stages.synthesis.themes import derive_matrix

if TYPE_CHECKING:
    from conftest import Coded


def test_segments_are_stored_with_quotes_out_of_scope_and_corrections_as_events(
    coded: Coded,
) -> None:
    p = coded.project
    segs = findings.list_segments(p, study="Moffatt 2017")
    assert [(s["kind"], s["in_scope"], s["page"]) for s in segs] == [
        ("author", True, 4),
        ("author", True, 4),
        ("quote", False, 4),
        ("author", True, 5),
    ]
    fixed = findings.correct_segment(
        p, coded.segs["Goals"], kind="quote", in_scope=False, reviewer="MC"
    )
    assert (fixed["kind"], fixed["in_scope"]) == ("quote", False)
    assert len(findings.list_segments(p, study="Moffatt 2017", in_scope_only=True)) == 2


def test_reimport_keeps_unchanged_segments_and_refuses_the_same_text(coded: Coded) -> None:
    p = coded.project
    blocks = [Block("Trust in the link worker grew slowly. Health shocks stopped attendance. New.")]
    result = findings.store_blocks(p, "Wildman 2019", blocks, file_name="wildman-v2.txt")
    assert (result.kept, result.added) == (2, 1)
    with pytest.raises(DuplicateImportError):
        findings.store_blocks(p, "Wildman 2019", blocks, file_name="again.txt")


def test_merge_moves_applications_and_theme_links_and_keeps_history(coded: Coded) -> None:
    p, s = coded.project, coded.segs
    trust = codes.create_code(p, "trust in link worker", memo="Service user trusts the LW")
    rely = codes.create_code(p, "relying on link worker")
    codes.apply_code(p, s["Service"], trust, reviewer="MC")
    codes.apply_code(p, s["Trust"], rely, reviewer="MC")
    codes.apply_code(p, s["Trust"], trust, reviewer="MC")  # already there after the merge
    theme = themes.create_theme(
        p, "Relationship", kind="descriptive", description="d", codes=[rely]
    )

    codes.merge_codes(p, ["relying on link worker"], "trust in link worker", reviewer="MC")

    assert [c["name"] for c in codes.list_codes(p)] == ["trust in link worker"]
    under = codes.segments_under(p, trust)
    assert [r["id"] for r in under] == [s["Service"], s["Trust"]]  # no duplicate
    assert themes.theme_tree(p)[0]["codes"] == ["trust in link worker"]
    assert themes.matrix(p)[0].theme_id == theme
    hist = codes.history(p, rely)
    assert [e["action"] for e in hist] == ["create", "merge"]
    assert hist[-1]["detail"]["into"] == trust and hist[-1]["reviewer"] == "MC"
    with pytest.raises(StateError, match="history"):
        codes.apply_code(p, s["Goals"], rely, reviewer="MC")


def test_split_gives_each_new_code_its_segments_and_closes_an_emptied_code(coded: Coded) -> None:
    p, s = coded.project, coded.segs
    support = codes.create_code(p, "support")
    for key in ("Service", "Trust", "Peer"):
        codes.apply_code(p, s[key], support, reviewer="MC")
    created = codes.split_code(
        p,
        support,
        {"trust": [s["Service"], s["Trust"]], "peer support": [s["Peer"]]},
        reviewer="MC",
    )
    assert [r["id"] for r in codes.segments_under(p, created["trust"])] == [
        s["Service"],
        s["Trust"],
    ]
    assert [r["id"] for r in codes.segments_under(p, "peer support")] == [s["Peer"]]
    assert {c["name"] for c in codes.list_codes(p)} == {"trust", "peer support"}
    event = codes.history(p, support)[-1]
    assert event["action"] == "split" and event["detail"]["into"] == created
    with pytest.raises(InputError, match="not applied"):
        codes.split_code(p, "trust", {"x": [s["Peer"]]})


def test_rename_memo_and_tree_are_recorded(coded: Coded) -> None:
    p = coded.project
    parent = codes.create_code(p, "relationship")
    child = codes.create_code(p, "trust", parent=parent)
    codes.rename_code(p, child, "trust and openness", reviewer="MC")
    codes.set_memo(p, child, "Applies when trust or openness is named.", reviewer="MC")
    with pytest.raises(InputError, match="under itself"):
        codes.move_code(p, parent, child)
    with pytest.raises(InputError, match="exists already"):
        codes.create_code(p, "Relationship")
    assert [e["action"] for e in codes.history(p, child)] == ["create", "rename", "memo"]


def test_several_codes_per_segment_and_spans(coded: Coded) -> None:
    p, s = coded.project, coded.segs
    a = codes.create_code(p, "trust")
    b = codes.create_code(p, "link worker role")
    codes.apply_code(p, s["Service"], a, reviewer="MC", span=(14, 21))
    codes.apply_code(p, s["Service"], b, reviewer="MC")
    assert codes.segments_under(p, a)[0]["spans"] == ["trusted"]
    assert codes.segments_under(p, b)[0]["id"] == s["Service"]
    with pytest.raises(InputError, match="outside"):
        codes.apply_code(p, s["Service"], a, reviewer="MC", span=(0, 999))


def test_matrix_is_derived_from_applications_including_sub_codes(coded: Coded) -> None:
    p, s, st = coded.project, coded.segs, coded.studies
    trust = codes.create_code(p, "trust")
    openness = codes.create_code(p, "openness", parent=trust)
    shocks = codes.create_code(p, "health shocks")
    codes.apply_code(p, s["Service"], trust, reviewer="MC")
    codes.apply_code(p, s["Trust"], openness, reviewer="MC")  # counts for "trust" too
    codes.apply_code(p, s["Health"], shocks, reviewer="MC")
    person = themes.create_theme(
        p, "Person-centred care", kind="analytical", description="d", label="1"
    )
    themes.create_theme(
        p,
        "Therapeutic relationship",
        kind="descriptive",
        description="d",
        label="1.1",
        parent=person,
        codes=[trust],
        reported_studies=[st["Moffatt 2017"]],
    )
    themes.create_theme(
        p,
        "Fluctuations",
        kind="descriptive",
        description="d",
        label="1.4",
        parent="1",
        codes=[shocks],
    )
    rows = {r.label: r for r in themes.matrix(p)}
    assert rows["1.1"].segments_by_study == {st["Moffatt 2017"]: 1, st["Wildman 2019"]: 1}
    assert rows["1.1"].reported_studies == [st["Moffatt 2017"]]
    assert rows["1.4"].studies == [st["Wildman 2019"]]
    assert rows["1"].segments_by_study == {st["Moffatt 2017"]: 1, st["Wildman 2019"]: 2}
    # the matrix follows the applications: removing one changes it
    app = codes.segments_under(p, "openness")[0]
    assert app["coders"] == ["MC"]
    with pytest.raises(InputError, match="groups descriptive"):
        themes.create_theme(p, "x", kind="analytical", description="d", codes=[trust])


def test_derive_matrix_pure_core() -> None:
    theme_rows = [
        {"id": 1, "label": "1", "name": "A", "kind": "analytical", "parent_id": None},
        {"id": 2, "label": "1.1", "name": "a", "kind": "descriptive", "parent_id": 1},
    ]
    apps = [
        {"code_id": 10, "study_id": 7, "segment_id": 1},
        {"code_id": 11, "study_id": 7, "segment_id": 1},  # same segment, second code
        {"code_id": 10, "study_id": 21, "segment_id": 5},
    ]
    rows = derive_matrix(theme_rows, [(2, 10), (2, 11)], {10: None, 11: None}, apps)
    assert [(r.label, r.segments_by_study) for r in rows] == [
        ("1", {7: 1, 21: 1}),
        ("1.1", {7: 1, 21: 1}),
    ]


def test_quotes_carry_study_and_page(coded: Coded) -> None:
    p, s = coded.project, coded.segs
    theme = themes.create_theme(p, "Relationship", kind="analytical", description="d")
    themes.add_quote(p, theme, segment_id=s["She"])
    themes.add_quote(p, theme, study=coded.studies["Wildman 2019"], text="'well-matched'", page=7)
    quotes = themes.theme_tree(p)[0]["quotes"]
    assert [(q["study"], q["page"]) for q in quotes] == [("Moffatt 2017", 4), ("Wildman 2019", 7)]
    assert quotes[0]["text"] == "“She really listened to me.” (P3)"
