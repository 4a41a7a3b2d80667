"""The coding screen's core: codings at character offsets with a new code in one step,
removal by the coder only, memos on segments with their history, splitting a code by
chosen codings (one coder's coding moves, another's stays), two coders side by side."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

from reviewflow.errors import InputError, NotFoundError, StateError
from reviewflow.stages.synthesis import codes, workbench

if TYPE_CHECKING:
    from conftest import Coded


def test_a_selection_is_coded_with_a_new_code_and_shown_with_its_text(coded: Coded) -> None:
    p, seg = coded.project, coded.segs["Service"]  # "Service users trusted their link worker."
    made = workbench.apply_coding(p, seg, new_code="trust", span=(14, 21), reviewer="AB")
    assert made["created"] and made["code"] == "trust"
    again = workbench.apply_coding(p, seg, new_code="Trust", span=(0, 13), reviewer="CD")
    assert not again["created"] and again["code_id"] == made["code_id"]  # the same code
    view = workbench.study_view(p, "Moffatt 2017", coder="AB")
    first = view["segments"][0]
    assert [(c["text"], c["coder"], c["whole"]) for c in first["codings"]] == [
        ("trusted", "AB", False)
    ]
    assert view["coders"] == ["AB", "CD"] and view["code_counts"] == {made["code_id"]: 1}
    assert [h["action"] for h in codes.history(p, made["code_id"])] == ["create"]
    with pytest.raises(InputError, match="outside segment"):
        workbench.apply_coding(p, seg, code="trust", span=(0, 500), reviewer="AB")
    with pytest.raises(InputError, match="not both"):
        workbench.apply_coding(p, seg, code="trust", new_code="x", reviewer="AB")


def test_overlapping_codings_are_cut_into_pieces_that_name_every_coding() -> None:
    text = "Service users trusted their link worker."
    rows = [{"id": 1, "start": 0, "end": 21}, {"id": 2, "start": 14, "end": 40}]
    assert workbench.pieces(text, rows) == [
        ("Service users ", [1]),
        ("trusted", [1, 2]),
        (" their link worker.", [2]),
    ]
    assert workbench.pieces(text, []) == [(text, [])]


def test_only_the_coder_removes_a_coding_and_the_row_stays_closed(coded: Coded) -> None:
    p, seg = coded.project, coded.segs["Peer"]
    app = workbench.apply_coding(p, seg, new_code="peer support", reviewer="AB")
    with pytest.raises(StateError, match="AB's"):
        workbench.remove_coding(p, app["application_id"], reviewer="CD")
    workbench.remove_coding(p, app["application_id"], reviewer="AB")
    assert workbench.study_view(p, "Moffatt 2017")["segments"][3]["codings"] == []
    with pytest.raises(NotFoundError):
        workbench.remove_coding(p, app["application_id"], reviewer="AB")


def test_a_segment_memo_keeps_its_earlier_versions_and_can_be_cleared(coded: Coded) -> None:
    p, seg = coded.project, coded.segs["Goals"]
    workbench.set_segment_memo(p, seg, "Goals <b>shared</b>?", reviewer="AB")
    workbench.set_segment_memo(p, seg, "Goals set together, not for them", reviewer="CD")
    row = workbench.study_view(p, "Moffatt 2017")["segments"][1]
    assert row["memo"]["memo"] == "Goals set together, not for them"
    oldest = row["memo_history"][0]
    assert (oldest["reviewer"], oldest["memo"]) == ("AB", "Goals <b>shared</b>?")
    workbench.set_segment_memo(p, seg, "  ", reviewer="CD")
    row = workbench.study_view(p, "Moffatt 2017")["segments"][1]
    assert row["memo"] is None and len(row["memo_history"]) == 3


def test_split_moves_one_coders_coding_and_keeps_the_others_with_history(coded: Coded) -> None:
    p, s = coded.project, coded.segs
    a = workbench.apply_coding(p, s["Service"], new_code="trust", reviewer="AB")
    b = workbench.apply_coding(p, s["Service"], code="trust", reviewer="CD")
    workbench.apply_coding(p, s["Trust"], code="trust", reviewer="AB")
    new = workbench.split_codings(p, "trust", [b["application_id"]], "trust built", reviewer="AB")
    old = workbench.code_view(p, a["code_id"])
    assert old["active"] and [c["coder"] for c in old["codings"]] == ["AB", "AB"]
    moved = workbench.code_view(p, new)
    assert [(c["coder"], c["study"]) for c in moved["codings"]] == [("CD", "Moffatt 2017")]
    assert moved["history"][0]["text"] == "created ‘trust built’ by splitting ‘trust’"
    assert old["history"][-1]["text"] == "split into ‘trust built’; 2 codings stayed"
    assert old["history"][-1]["reviewer"] == "AB"
    with pytest.raises(InputError, match="not codings of"):
        workbench.split_codings(p, "trust", [b["application_id"]], "again", reviewer="AB")
    rest = [c["id"] for c in old["codings"]]
    workbench.split_codings(p, "trust", rest, "trust named", reviewer="AB")
    assert not workbench.code_view(p, a["code_id"])["active"]  # nothing left: closed


def test_merge_keeps_two_spans_of_one_coder_on_one_segment(coded: Coded) -> None:
    p, seg = coded.project, coded.segs["Service"]
    workbench.apply_coding(p, seg, new_code="users", span=(0, 13), reviewer="AB")
    workbench.apply_coding(p, seg, new_code="worker", span=(28, 39), reviewer="AB")
    codes.merge_codes(p, ["users"], "worker", reviewer="AB")
    kept = workbench.study_view(p, "Moffatt 2017")["segments"][0]["codings"]
    assert sorted(c["text"] for c in kept) == ["Service users", "link worker"]
    texts = [e["text"] for e in workbench.bank_history(p)]
    assert texts[0] == "absorbed ‘users’ (1 coding)"
    assert texts[1] == "merged into ‘worker’ (1 coding moved)"


def test_two_coders_side_by_side_with_agreement_on_the_study(coded: Coded) -> None:
    p, s = coded.project, coded.segs
    workbench.apply_coding(p, s["Service"], new_code="trust", reviewer="AB")
    workbench.apply_coding(p, s["Service"], code="trust", reviewer="CD")
    workbench.apply_coding(p, s["Goals"], new_code="goals", reviewer="AB")
    result = workbench.compare_study(p, "Moffatt 2017", "AB", "CD")
    first, second = result["rows"][0], result["rows"][1]
    assert [c["code"] for c in first["first"]] == ["trust"] and not first["differs"]
    assert [c["code"] for c in second["first"]] == ["goals"] and second["second"] == []
    assert second["differs"]
    overall = result["overall"]
    assert (overall["items"], overall["both"], overall["only_first"]) == (6, 1, 1)
    assert {r["code"]: r["both"] for r in result["per_code"]} == {"trust": 1, "goals": 0}
    with pytest.raises(InputError, match="two different"):
        workbench.compare_study(p, "Moffatt 2017", "AB", "AB")
