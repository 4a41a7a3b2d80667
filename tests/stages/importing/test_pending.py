"""An upload waiting for confirmation: parsed without importing, imported only as shown,
atomically, and forgotten afterwards; nothing about it is in the database meanwhile."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from reviewflow.errors import LimitError, NotFoundError, ParseError, StateError
from reviewflow.project import Project
from reviewflow.stages import importing, searches, status
from reviewflow.stages.importing import pending

WEB = Path(__file__).parents[2] / "data" / "web"


def _stash(project: Project, name: str, *, as_name: str | None = None) -> str:
    data = (WEB / name).read_bytes()
    return pending.stash(project, [data[:10], data[10:]], file_name=as_name or name)


def test_an_upload_is_read_but_not_imported_and_imported_at_the_count_shown(
    project: Project,
) -> None:
    sid = searches.add(project, searches.SearchEntry(source="CINAHL", records_returned=3))
    upload = _stash(project, "cinahl_export.ris")
    assert upload == hashlib.sha256((WEB / "cinahl_export.ris").read_bytes()).hexdigest()
    shown = pending.preview(project, upload, search_id=sid)
    assert (shown.format, shown.records, shown.can_import, shown.error) == ("ris", 3, True, None)
    assert [(w.line, w.message[:28]) for w in shown.warnings] == [
        (19, "the last record has no ER li")
    ]
    assert [r.source_line for r in shown.sample] == [1, 11, 19]
    assert status.run(project).records == 0

    result = pending.commit(project, upload, search_id=sid, expected_records=3)
    assert (result.records, result.search_id, result.file) == (3, sid, "cinahl_export.ris")
    assert status.run(project).records == 3
    logged = searches.get(project, sid)
    assert (logged["file_name"], logged["file_format"], logged["file_sha256"]) == (
        "cinahl_export.ris",
        "ris",
        upload,
    )
    pending.discard(project, upload)
    with pytest.raises(NotFoundError, match="no longer waiting"):
        pending.preview(project, upload, search_id=sid)


def test_a_bad_line_is_reported_with_file_and_line_and_cannot_be_committed(
    project: Project,
) -> None:
    sid = searches.add(project, searches.SearchEntry(source="ASSIA"))
    upload = _stash(project, "bad_line.ris", as_name="../../assia export.ris")
    shown = pending.preview(project, upload, search_id=sid)
    assert not shown.can_import and shown.records == 0
    assert shown.error is not None
    assert shown.error.where == "assia export.ris:8"  # the name's folders dropped
    assert shown.error.message.startswith("expected a tag line like 'TI  - ...' after TY")
    with pytest.raises(ParseError, match=r"assia export\.ris:8"):
        pending.commit(project, upload, search_id=sid, expected_records=2)
    assert status.run(project).records == 0
    assert searches.get(project, sid)["file_sha256"] is None  # the whole step rolled back


def test_a_count_other_than_the_one_confirmed_stores_nothing(project: Project) -> None:
    upload = _stash(project, "cinahl_export.ris")
    with pytest.raises(StateError, match="not the 2 that were shown"):
        pending.commit(project, upload, search_id=None, expected_records=2)
    assert status.run(project).records == 0


def test_the_same_content_imported_before_is_refused_in_the_report(project: Project) -> None:
    importing.run(project, WEB / "cinahl_export.ris")
    upload = _stash(project, "cinahl_export.ris", as_name="again.ris")
    shown = pending.preview(project, upload)
    assert shown.records == 3 and not shown.can_import
    assert shown.refused is not None and "already imported (import 1" in shown.refused


def test_a_search_whose_file_was_logged_keeps_it_and_a_different_file_is_noticed(
    project: Project,
) -> None:
    sid = searches.add(
        project,
        searches.SearchEntry(source="Embase", file_name="embase.ris", file_sha256="0" * 64),
    )
    upload = _stash(project, "cinahl_export.ris")
    shown = pending.preview(project, upload, search_id=sid)
    assert any("whose content differs" in n for n in shown.notices)
    pending.commit(project, upload, search_id=sid, expected_records=3)
    assert searches.get(project, sid)["file_sha256"] == "0" * 64


def test_an_upload_past_the_cap_is_refused_and_leaves_no_file(project: Project) -> None:
    with pytest.raises(LimitError, match="larger than"):
        pending.stash(project, [b"x" * 600, b"y" * 600], file_name="big.ris", cap=1000)
    assert list((project.root / pending.PENDING_DIR).iterdir()) == []


@pytest.mark.parametrize("name", ["", "../review.toml", "a" * 63, "G" * 64])
def test_only_a_sha256_names_a_waiting_upload(project: Project, name: str) -> None:
    with pytest.raises(NotFoundError):
        pending.stashed(project, name)
    pending.discard(project, name)  # nothing outside the cache folder is touched
    assert (project.root / "review.toml").exists()


def test_a_file_holding_other_than_the_records_returned_is_pointed_out(project: Project) -> None:
    sid = searches.add(project, searches.SearchEntry(source="CINAHL", records_returned=30))
    shown = pending.preview(project, _stash(project, "cinahl_export.ris"), search_id=sid)
    assert any("returned 30 records; this file holds 3" in n for n in shown.notices)
    assert shown.can_import  # a partial export may be meant: the person decides


def test_an_upload_left_waiting_for_a_week_is_swept_by_the_next_one(project: Project) -> None:
    import os

    old = _stash(project, "bad_line.ris")
    folder = project.root / pending.PENDING_DIR / old
    week_ago = folder.stat().st_mtime - pending.KEEP_SECONDS - 60
    os.utime(folder, (week_ago, week_ago))
    new = _stash(project, "cinahl_export.ris")
    assert not folder.exists()
    assert pending.stashed(project, new).name == "cinahl_export.ris"
