"""Correcting the search log: every problem named per field, typed fields replaced, the
file's checksum kept; an import's file noted on a search that had none."""

from __future__ import annotations

import pytest

from reviewflow.errors import InputError, NotFoundError
from reviewflow.project import Project
from reviewflow.stages import searches


def test_every_field_that_cannot_be_logged_is_named_at_once() -> None:
    entry = searches.SearchEntry(
        source=" ", method="telepathy", date_searched="March 2022", records_returned=-5
    )
    found = searches.problems(entry)
    assert sorted(found) == ["date_searched", "method", "records_returned", "source"]
    assert "YYYY-MM-DD" in (found["date_searched"].hint or "")
    assert searches.problems(searches.SearchEntry(source="Embase")) == {}
    with pytest.raises(InputError, match=r"\(--database\)"):  # the CLI's message unchanged
        searches.validate(entry)


def test_a_correction_replaces_the_typed_fields_and_keeps_the_checksum(project: Project) -> None:
    sid = searches.add(
        project,
        searches.SearchEntry(
            source="Embase", query="1 social prescri*", file_name="e.ris", file_sha256="a" * 64
        ),
    )
    row = searches.update(
        project,
        sid,
        searches.SearchEntry(source="Embase", platform="Ovid", records_returned=12),
    )
    assert (row["platform"], row["records_returned"], row["query"]) == ("Ovid", 12, None)
    assert row["file_sha256"] == "a" * 64
    with pytest.raises(InputError, match="update of itself"):
        searches.update(project, sid, searches.SearchEntry(source="Embase", update_of=sid))
    with pytest.raises(NotFoundError, match="search 99"):
        searches.update(project, 99, searches.SearchEntry(source="Embase"))
    with pytest.raises(InputError, match="not a date"):
        searches.update(project, sid, searches.SearchEntry(source="Embase", date_searched="x"))
    assert searches.get(project, sid)["records_returned"] == 12


def test_the_imported_file_is_noted_only_on_a_search_without_one(project: Project) -> None:
    bare = searches.add(project, searches.SearchEntry(source="CINAHL", file_format="ris"))
    assert searches.record_export_file(
        project, bare, file_name="cinahl.ris", sha256="b" * 64, file_format="nbib"
    )
    row = searches.get(project, bare)
    assert (row["file_name"], row["file_format"], row["file_sha256"]) == (
        "cinahl.ris",
        "ris",  # what the searcher logged stays
        "b" * 64,
    )
    assert not searches.record_export_file(
        project, bare, file_name="other.ris", sha256="c" * 64, file_format="ris"
    )
    assert searches.get(project, bare)["file_sha256"] == "b" * 64
