"""Report ids follow record ids; highlight terms match at word starts."""

from __future__ import annotations

import pytest
from test_screening_setup import add_records, seed_team

from reviewflow.project import Project
from reviewflow.stages.screening.highlight import highlight_spans
from reviewflow.store import screening_queries as sq


def test_reports_take_their_record_id_and_others_go_above_every_record(
    project: Project,
) -> None:
    seed_team(project)
    first = add_records(project, 5)
    with project.db.transaction() as conn:
        assert sq.insert_studies_and_reports(conn, record_ids=[first[1], first[3]]) == [
            first[1],
            first[3],
        ]
        study = sq.insert_study(conn)
        orphan = sq.insert_report(conn, record_id=None, study_id=study)
    assert orphan == max(first) + 1
    later = add_records(project, 2, file="medline.nbib")  # an update search
    assert orphan in later  # the new record has the id the orphan report took
    with project.db.transaction() as conn:
        made = sq.insert_studies_and_reports(conn, record_ids=later)
        rows = {r["id"]: r["record_id"] for r in sq.list_reports(conn)}
    clash, free = (later[0], later[1]) if later[0] == orphan else (later[1], later[0])
    assert rows[free] == free
    moved = next(i for i in made if rows[i] == clash)
    assert moved > max(later) and moved > orphan


@pytest.mark.parametrize(
    ("text", "include", "exclude", "marked"),
    [
        ("Social Prescribing works", ["social prescri"], [], [("Social Prescribing", "include")]),
        ("a randomised trial", [], ["rat", "trial"], [("trial", "exclude")]),
        ("mental\nhealthcare", ["mental health"], [], [("mental\nhealthcare", "include")]),
        ("children", ["child"], ["child"], [("children", "include")]),
        ("child health", ["child health"], ["child"], [("child health", "include")]),
        ("subscription", ["script"], [], []),
        ("anything", [], [], []),
        ("Carers and caregiving", ["carer*", "care*giv*"], [], [("Carers", "include")]),
    ],
    ids=[
        "prefix-any-case", "not-mid-word", "wrapped", "both-lists", "longest", "mid", "none",
        "truncation-star",
    ],
)
def test_highlight_terms_match_case_insensitively_at_word_starts(
    text: str, include: list[str], exclude: list[str], marked: list[tuple[str, str]]
) -> None:
    spans = highlight_spans(text, include, exclude)
    assert [(text[s:e], kind) for s, e, kind in spans] == marked
