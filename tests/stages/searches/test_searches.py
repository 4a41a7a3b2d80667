"""The PRISMA-S search log."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from reviewflow.errors import InputError, NotFoundError
from reviewflow.project import Project
from reviewflow.stages import searches
from reviewflow.store import queries

QUERY = """1 exp Social Prescribing/
2 (social* adj3 prescri*).ti,ab.
3 1 or 2
4 limit 3 to english language"""


def test_search_is_logged_with_every_prisma_s_item(project: Project, tmp_path: Path) -> None:
    export = tmp_path / "embase.ris"
    export.write_bytes(b"TY  - JOUR\nTI  - A\nER  - \n")
    sid = searches.add(
        project,
        searches.SearchEntry(
            source="Embase",
            platform="Ovid",
            searched_with="Embase Classic + Embase",
            date_searched="2022-03-21",
            searcher="LE",
            query=QUERY,
            limits="English language; UK",
            records_returned=1,
            file_format="ris",
        ),
        export_file=export,
    )
    row = searches.get(project, sid)
    assert row["query"] == QUERY  # multi-line query kept verbatim
    assert row["file_name"] == "embase.ris"
    assert row["file_sha256"] == hashlib.sha256(export.read_bytes()).hexdigest()
    assert row["platform"] == "Ovid" and row["date_searched"] == "2022-03-21"


def test_other_methods_are_logged_like_searches(project: Project) -> None:
    searches.add(
        project,
        searches.SearchEntry(
            source="Google Scholar", method="citation searching", records_returned=109
        ),
    )
    rows = searches.list_all(project)
    assert [(r["method"], r["records_returned"]) for r in rows] == [("citation searching", 109)]


def test_update_search_points_to_the_earlier_run(project: Project) -> None:
    first = searches.add(
        project, searches.SearchEntry(source="MEDLINE", date_searched="2020-01-10")
    )
    second = searches.add(
        project, searches.SearchEntry(source="MEDLINE", date_searched="2022-03-21", update_of=first)
    )
    assert searches.get(project, second)["update_of"] == first


@pytest.mark.parametrize(
    ("entry", "message"),
    [
        (searches.SearchEntry(source="X", date_searched="21/03/2022"), "YYYY-MM-DD"),
        (searches.SearchEntry(source="X", method="telepathy"), "citation searching"),
        (searches.SearchEntry(source="  "), "name of the database"),
        (searches.SearchEntry(source="X", records_returned=-1), "negative"),
    ],
)
def test_invalid_entries_are_refused_and_nothing_is_logged(
    project: Project, entry: searches.SearchEntry, message: str
) -> None:
    with pytest.raises(InputError) as err:
        searches.add(project, entry)
    assert message in str(err.value)
    with project.db.connect() as conn:
        assert queries.table_counts(conn)["searches"] == 0


def test_update_of_an_unknown_search_is_refused(project: Project) -> None:
    with pytest.raises(NotFoundError, match="search 42"):
        searches.add(project, searches.SearchEntry(source="X", update_of=42))
    assert searches.list_all(project) == []


NEW = Path(__file__).parents[2] / "data" / "newreview"


def test_logging_a_search_after_its_file_was_imported_links_the_import(
    project: Project,
) -> None:
    from reviewflow.stages import importing
    from reviewflow.stages.importing import changes as imports

    imported = importing.run(project, NEW / "wos.txt")
    assert imported.search_id is None
    sid = searches.add(
        project, searches.SearchEntry(source="Web of Science"), export_file=NEW / "wos.txt"
    )
    said = searches.link_imported_file(project, sid)
    assert said and "now linked to this search" in said[0]
    assert [i["search_id"] for i in imports.list_all(project)] == [sid]
    # a second search logging the same file does not steal it, it says how to move it
    other = searches.add(
        project, searches.SearchEntry(source="WoS again"), export_file=NEW / "wos.txt"
    )
    (line,) = searches.link_imported_file(project, other)
    assert f"reviewflow imports link 1 --search {other} --replace" in line
    assert [i["search_id"] for i in imports.list_all(project)] == [sid]
