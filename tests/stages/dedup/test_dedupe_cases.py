"""Data-driven pair cases: two records in, the decision a reviewer would expect out.

``seed_pairs.json`` holds the 25 hand-labelled cases of bib-dedupe's test set;
``policy_pairs.json`` adds cases for every related-record policy and every guard
(DOI alone, garbled titles, chaining conflicts, export quirks); ``export_shape_pairs.json``
the record shapes of real multi-database exports (issue 19), each rule with its guard;
``notice_locator_pairs.json`` the shapes behind the misses and the queue left after that
(notices, part numbers, Cochrane withdrawals, items printed twice, shifted locators).
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from reviewflow.records import Record, clean, normalize_doi, parse_year
from reviewflow.stages.dedup import DedupPolicy, find_duplicates

DATA = Path(__file__).resolve().parents[2] / "data" / "dedupe"


def bibtex_record(fields: dict[str, object], record_id: int) -> Record:
    """A Record from BibTeX-style case fields (author "A and B", journal/booktitle)."""

    def get(name: str) -> str | None:
        value = fields.get(name)
        return clean(str(value)) if value is not None else None

    author = get("author") or ""
    sep = " and " if " and " in author else ";"
    return Record(
        title=get("title"),
        authors=[a.strip() for a in author.split(sep) if a.strip()],
        year=parse_year(get("year")),
        source_title=get("journal") or get("booktitle"),
        volume=get("volume"),
        issue=get("number"),
        pages=get("pages"),
        doi=normalize_doi(get("doi")),
        issn=get("issn"),
        abstract=get("abstract"),
        publication_type=get("ENTRYTYPE"),
        id=record_id,
    )


def load_cases(name: str) -> list[dict]:
    return json.loads((DATA / name).read_text(encoding="utf-8"))["cases"]


CASES = (
    load_cases("seed_pairs.json")
    + load_cases("policy_pairs.json")
    + load_cases("recall_pairs.json")
    + load_cases("export_shape_pairs.json")
    + load_cases("notice_locator_pairs.json")
)


@pytest.mark.parametrize("case", CASES, ids=[c["id"] for c in CASES])
def test_pair_case(case: dict) -> None:
    policy = DedupPolicy().with_actions(**case.get("policy", {}))
    a, b = bibtex_record(case["a"], 1), bibtex_record(case["b"], 2)
    result = find_duplicates([a, b], policy=policy)
    merged = bool(result.groups)
    assert merged == case["expected_duplicate"], case["note"]
    if "expected_uncertain" in case:
        assert bool(result.uncertain) == case["expected_uncertain"], case["note"]
    if merged:
        assert not result.uncertain, "a merged pair must not also wait for review"
    if "expected_category" in case:
        listed = [name for name, pairs in result.related.items() if pairs]
        assert listed == [case["expected_category"]], case["note"]


def test_every_policy_category_has_a_case() -> None:
    from reviewflow.stages.dedup import CATEGORIES

    covered = {c.get("expected_category") for c in CASES}
    assert set(CATEGORIES) <= covered
