"""The dedup pipeline as the store layer will use it: groups, canonical choice, the
review queue, a person's decisions (confirm, reject = undo), and incremental runs."""

from __future__ import annotations

import pytest

from reviewflow.records import Record
from reviewflow.stages.dedup import (
    DedupPolicy,
    PairDecision,
    find_duplicates,
)

TITLE = "Social prescribing for adults with depression in primary care: a cluster randomised trial"


def paper(record_id: int, **changes: object) -> Record:
    fields: dict[str, object] = dict(
        title=TITLE,
        authors=["Hughes, Anna", "Patel, Ravi", "Okoro, Emeka"],
        year=2020,
        source_title="British Journal of General Practice",
        volume="70",
        issue="4",
        pages="e250-e258",
        doi="10.3399/bjgp20x708233",
    )
    fields.update(changes)
    return Record(id=record_id, **fields)  # type: ignore[arg-type]


def other(record_id: int) -> Record:
    return Record(
        id=record_id,
        title="Loneliness interventions for older people living alone: a qualitative synthesis",
        authors=["Nguyen, Thi"],
        year=2019,
        source_title="Age and Ageing",
        volume="48",
        pages="101-110",
    )


def test_three_exports_of_one_paper_form_one_group_with_most_complete_canonical() -> None:
    sparse = paper(3, doi=None, issue=None, pages=None, source_title=None)
    full = paper(2, abstract="Background: social prescribing links patients to ...")
    ovid = paper(1, authors=["Hughes A.Patel R.Okoro E."], source_title="Br J Gen Pract")
    result = find_duplicates([ovid, full, sparse, other(4)])
    assert len(result.groups) == 1
    group = result.groups[0]
    assert group.members == (1, 2, 3)
    assert group.canonical == 2  # the record with an abstract is the most complete
    assert set(group.duplicates) == {1, 3}
    assert result.duplicates_removed == 2
    assert len(group.links) == 2
    assert all(link.rule and link.scores["title"] >= 90 for link in group.links)
    assert all(link.automatic for link in group.links)


def test_records_need_unique_ids() -> None:
    with pytest.raises(ValueError):
        find_duplicates([paper(1), paper(1)])
    with pytest.raises(ValueError):
        find_duplicates([paper(None)])  # type: ignore[arg-type]


def test_decisions_must_name_given_records() -> None:
    with pytest.raises(ValueError):
        find_duplicates([paper(1), paper(2)], decisions=[PairDecision(1, 99, True)])


def test_chaining_through_a_sparse_record_is_refused() -> None:
    # Two different years of an annual report; a sparse record (no year) looks like both.
    a = paper(1, year=2018, doi=None, pages="1-10", volume="68")
    b = paper(2, year=2021, doi=None, pages="1-12", volume="71")
    bridge = paper(3, year=None, doi=None, pages=None, volume=None, issue=None)
    result = find_duplicates([a, b, bridge])
    for group in result.groups:
        assert not {1, 2} <= set(group.members)


def test_uncertain_pairs_are_queued_not_merged() -> None:
    garbled = paper(2, title="#NAME?")
    result = find_duplicates([paper(1), garbled])
    assert result.groups == []
    assert [(u.a, u.b, u.rule) for u in result.uncertain] == [(1, 2, "unusable_title")]
    assert result.uncertain[0].scores["doi"] == 1


def test_confirmed_decision_merges_a_queued_pair_as_a_person_did() -> None:
    garbled = paper(2, title="#NAME?")
    result = find_duplicates([paper(1), garbled], decisions=[PairDecision(1, 2, True)])
    assert len(result.groups) == 1
    assert result.uncertain == []
    (link,) = result.groups[0].links
    assert (link.rule, link.automatic) == ("confirmed", False)


def test_rejected_decision_undoes_a_merge_and_is_never_redecided() -> None:
    first = find_duplicates([paper(1), paper(2, doi=None)])
    assert len(first.groups) == 1
    undone = find_duplicates([paper(1), paper(2, doi=None)], decisions=[PairDecision(2, 1, False)])
    assert undone.groups == []
    assert undone.uncertain == []  # a person said no: not queued again


def test_rejected_pair_also_blocks_transitive_merge() -> None:
    records = [paper(1), paper(2, doi=None), paper(3, source_title="Br J Gen Pract")]
    result = find_duplicates(records, decisions=[PairDecision(1, 3, False)])
    for group in result.groups:
        assert not {1, 3} <= set(group.members)


def test_incremental_run_adds_new_record_to_existing_group_keeping_canonical() -> None:
    existing = [paper(1), paper(2, doi=None), other(3)]
    groups = [[2, 1]]  # canonical first: a person chose record 2
    new = [paper(10, source_title="Br J Gen Pract"), other(11)]
    result = find_duplicates(new, existing=existing, existing_groups=groups)
    by_canonical = {g.canonical: g for g in result.groups}
    assert by_canonical[2].members == (1, 2, 10)
    assert by_canonical[3].members == (3, 11)


def test_incremental_run_compares_only_pairs_with_a_new_record() -> None:
    # 1 and 2 are duplicates that a person left unlinked (rejected); the update search
    # brings an unrelated record, so nothing about 1 and 2 is proposed again.
    existing = [paper(1), paper(2)]
    decisions = [PairDecision(1, 2, False)]
    result = find_duplicates([other(5)], existing=existing, decisions=decisions)
    assert result.groups == []
    assert result.uncertain == []
    full = find_duplicates([paper(1), paper(2), other(5)])
    assert result.candidate_pairs < full.candidate_pairs or full.candidate_pairs == 1


def test_incremental_run_never_splits_a_confirmed_group() -> None:
    # Existing group was confirmed by a person although the rules would not link it.
    existing = [paper(1), paper(2, title="#NAME?")]
    result = find_duplicates([other(3)], existing=existing, existing_groups=[[1, 2]])
    assert [g.members for g in result.groups] == [(1, 2)]


def test_related_pairs_are_reported_by_category() -> None:
    erratum = paper(2, title="Erratum: " + TITLE, pages="e300", doi="10.3399/bjgp20x709999")
    result = find_duplicates([paper(1), erratum])
    assert result.groups == []
    assert [(e.a, e.b) for e in result.related["erratum"]] == [(1, 2)]
    assert all(not pairs for name, pairs in result.related.items() if name != "erratum")


def test_policy_rejects_unknown_category_or_action() -> None:
    with pytest.raises(ValueError):
        DedupPolicy().with_actions(preprint="merge")  # type: ignore[arg-type]
    with pytest.raises(ValueError):
        DedupPolicy().with_actions(erratum="delete")  # type: ignore[arg-type]


def test_progress_reports_each_step() -> None:
    seen: list[str] = []
    find_duplicates([paper(1), paper(2)], progress=lambda step, done, total: seen.append(step))
    assert seen[0] == "normalise"
    assert "block" in seen and "compare" in seen


def test_cost_grows_about_linearly_with_records() -> None:
    # 2,000 distinct records with shared words: candidate pairs stay a small multiple of n.
    words = "depression anxiety exercise trial review older adults care community".split()
    records = []
    for i in range(2000):
        title = " ".join(words[(i + k) % len(words)] for k in range(6)) + f" study {i}"
        records.append(
            Record(id=i, title=title, authors=[f"Author{i % 97}, A"], year=2000 + i % 20)
        )
    result = find_duplicates(records)
    assert result.candidate_pairs < 40 * len(records)
