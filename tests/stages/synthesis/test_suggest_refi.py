"""Offline suggestions ranked on a small fixture; REFI-QDA and CSV codebook export."""

from __future__ import annotations

import csv
import io
import xml.etree.ElementTree as ET
from typing import TYPE_CHECKING

from reviewflow.stages import studies
from reviewflow.stages.synthesis import codes, findings, refi, suggest, themes
from reviewflow.stages.synthesis.segments import Block
from reviewflow.stages.synthesis.suggest import group_codes, rank_codes

if TYPE_CHECKING:
    from reviewflow.project import Project

NS = {"q": refi.NAMESPACE}

CODED = [
    (1, "Service users trusted their link worker and felt at ease with her.", [10]),
    (2, "Trust in the link worker grew as she listened.", [10]),
    (3, "Peer groups let people make new friends in a similar situation.", [20]),
    (4, "Group activities reduced loneliness and built friendships.", [20]),
    (5, "Goals were personalised and set together with the worker.", [30]),
]


def test_codes_of_the_most_similar_segments_rank_first() -> None:
    ranked = rank_codes("They trusted the link worker, who listened.", CODED)
    assert [s.code_id for s in ranked][:1] == [10]
    assert set(ranked[0].because) == {1, 2}
    friends = rank_codes("Friendships formed in the peer group.", CODED)
    assert friends[0].code_id == 20
    assert rank_codes("the and of", CODED) == []  # nothing but stop words: no guess


def test_groupings_put_related_codes_together() -> None:
    docs = {
        1: "trust in link worker; listened, trusted",
        2: "feeling at ease with link worker; trusted, relaxed",
        3: "peer support; friends, group",
        4: "making friends in a group; friends, peer",
    }
    assert group_codes(docs, groups=2) == [[1, 2], [3, 4]]
    assert group_codes({1: "x y"}) == [[1]]


def test_suggestions_on_the_store(project: Project) -> None:
    study = studies.add_study(project, "S1")
    findings.store_blocks(
        project,
        study,
        [Block(t) for _, t, _ in CODED] + [Block("She trusted the link worker.")],
        file_name="s1.txt",
    )
    segs = {s["text"]: s["id"] for s in findings.list_segments(project)}
    names = {10: "trust", 20: "peer support", 30: "goals"}
    ids = {k: codes.create_code(project, v) for k, v in names.items()}
    for _, text, code_ids in CODED:
        codes.apply_code(project, segs[text], ids[code_ids[0]], reviewer="MC")
    got = suggest.suggest_codes(project, segs["She trusted the link worker."])
    assert got[0]["code"] == "trust"
    groups = suggest.suggest_groupings(project, groups=3)
    assert sorted(len(g) for g in groups) == [1, 1, 1]


def test_qdc_nests_codes_with_memos_and_themes_as_sets(project: Project) -> None:
    parent = codes.create_code(project, "relationship", memo="The service user and link worker.")
    child = codes.create_code(project, "trust", parent=parent)
    codes.create_code(project, "peer support")
    themes.create_theme(
        project,
        "Therapeutic relationship",
        kind="descriptive",
        description="d",
        label="1.1",
        codes=[child],
    )
    root = ET.fromstring(refi.export_qdc(project))
    assert root.tag == f"{{{refi.NAMESPACE}}}CodeBook"
    top = root.findall("q:Codes/q:Code", NS)
    assert [c.get("name") for c in top] == ["relationship", "peer support"]
    assert top[0].find("q:Description", NS).text == "The service user and link worker."
    nested = top[0].find("q:Code", NS)
    assert nested.get("name") == "trust" and nested.get("isCodable") == "true"
    member = root.find("q:Sets/q:Set/q:MemberCode", NS)
    assert member.get("targetGUID") == nested.get("guid") == refi.guid("code", child)
    assert root.find("q:Sets/q:Set", NS).get("name") == "1.1 Therapeutic relationship"
    rows = list(csv.DictReader(io.StringIO(refi.export_csv(project))))
    assert [(r["name"], r["parent"], r["themes"]) for r in rows] == [
        ("relationship", "", ""),
        ("trust", "relationship", "1.1"),
        ("peer support", "", ""),
    ]
