"""Importing record files: atomic, refusing re-imports, attached to the search log."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from reviewflow.errors import DuplicateImportError, InputError, NotFoundError, ParseError
from reviewflow.project import Project
from reviewflow.stages import importing, searches, status
from reviewflow.stages.dedup import links as dedup_links
from reviewflow.stages.importing import exporting
from reviewflow.store import queries

DATA = Path(__file__).parents[2] / "data" / "import"


def test_import_stores_every_record_with_provenance(project: Project) -> None:
    result = importing.run(project, DATA / "embase_ovid.ris")
    assert result.records == 3 and result.format == "ris"
    recs = exporting.records(project)
    assert [r.year for r in recs] == [2017, 2019, 2021]
    assert recs[0].authors == ["Moffatt, Suzanne", "Steer, Mel", "Lawson, Sarah"]
    assert recs[1].doi == "10.1186/s12889-018-6349-x"  # normalised
    assert recs[2].pages == "173-188"
    assert recs[1].source_file == "embase_ovid.ris"
    assert recs[1].source_line == 18
    assert recs[1].raw.startswith("TY  - JOUR\nAU  - Wildman, Josephine M.")


def test_same_file_is_refused_unless_forced(project: Project, tmp_path: Path) -> None:
    importing.run(project, DATA / "embase_ovid.ris")
    renamed = tmp_path / "renamed.ris"
    shutil.copy(DATA / "embase_ovid.ris", renamed)
    with pytest.raises(DuplicateImportError, match="already imported") as err:
        importing.run(project, renamed)
    assert "--force" in str(err.value)
    assert status.run(project).records == 3
    forced = importing.run(project, renamed, force=True)
    assert forced.records == 3
    assert status.run(project).records == 6


def test_collector_is_back_on_after_an_import_that_worked_or_failed(
    project: Project, tmp_path: Path
) -> None:
    # The import turns the cyclic garbage collector off for speed; a long-running process
    # (a server, a notebook) must not be left without it, whatever happened.
    import gc

    importing.run(project, DATA / "embase_ovid.ris")
    assert gc.isenabled()
    bad = tmp_path / "bad.ris"
    bad.write_text("<html><body>Session expired</body></html>\n", encoding="utf-8")
    with pytest.raises(ParseError):
        importing.run(project, bad)
    assert gc.isenabled()


def test_import_attached_to_a_search_counts_per_search(project: Project) -> None:
    sid = searches.add(project, searches.SearchEntry(source="Embase", records_returned=3))
    importing.run(project, DATA / "embase_ovid.ris", search_id=sid)
    importing.run(project, DATA / "update_search.ris")
    st = status.run(project)
    assert st.records == 4
    assert st.searches[0]["records_imported"] == 3
    assert [i["search_id"] for i in st.imports] == [sid, None]


def test_import_into_unknown_search_is_refused_and_nothing_stored(project: Project) -> None:
    with pytest.raises(NotFoundError, match="no search 7"):
        importing.run(project, DATA / "embase_ovid.ris", search_id=7)
    with project.db.connect() as conn:
        assert queries.table_counts(conn)["records"] == 0


def test_progress_reports_parse_and_store_phases(project: Project) -> None:
    seen: list[tuple[str, int, int]] = []
    importing.run(project, DATA / "embase_ovid.ris", progress=lambda *a: seen.append(a))
    assert ("store", 3, 3) in seen
    assert seen[0][0] == "parse"


@pytest.mark.parametrize("fmt", ["ris", "csv"])
def test_import_export_import_is_lossless(project: Project, tmp_path: Path, fmt: str) -> None:
    importing.run(project, DATA / "embase_ovid.ris")
    first = exporting.records(project)
    out = tmp_path / f"export.{fmt}"
    assert exporting.run(project, out) == 3
    second_import = importing.run(project, out)
    again = exporting.records(project, import_id=second_import.import_id)
    assert [r.canonical() for r in again] == [r.canonical() for r in first]


def test_record_without_ty_is_kept_with_a_warning_naming_its_line(
    project: Project, tmp_path: Path
) -> None:
    path = tmp_path / "late-ty.ris"
    path.write_text(
        "TY  - JOUR\nTI  - First\nER  - \nTI  - Second, no type\nER  - \n", encoding="utf-8"
    )
    result = importing.run(project, path)
    assert result.records == 2
    assert any(w.line == 4 and "TY" in w.message for w in result.warnings)
    with project.db.connect() as conn:
        warnings = queries.list_imports(conn)[0]["warnings"]
    assert {"line": 4}.items() <= warnings[0].items()


def test_status_shows_screening_progress_when_a_plan_exists(project: Project) -> None:
    from reviewflow.settings import ScreeningSettings
    from reviewflow.stages import screening

    project.settings.screening = ScreeningSettings.model_validate(
        {"ta": {"reviewers": ["MC"], "second_reviewers": ["CJ"], "double_share": 0.2, "seed": 1}}
    )
    importing.run(project, DATA / "embase_ovid.ris")
    with project.db.connect() as conn:
        first = dedup_links.canonical_record_ids(conn)[0]
    screening.decide(project, stage="ta", item_id=first, reviewer="MC", decision="exclude")
    stages = status.run(project).stages
    assert stages["records screened"] == 3
    assert stages["records excluded"] == 1
    assert stages["records pending"] == 2


def test_csv_export_of_mixed_sources_reimports_losslessly(project: Project, tmp_path: Path) -> None:
    """A CSV export carries every source's extra columns (Scopus ones too): reviewflow
    must read its own export back as its own, with multi-valued extras intact."""
    formats_dir = DATA.parent / "formats"
    for path in (
        formats_dir / "nbib" / "pubmed.nbib",
        formats_dir / "wos" / "savedrecs.txt",
        formats_dir / "tabular" / "scopus.csv",
        DATA / "embase_ovid.ris",
    ):
        importing.run(project, path)
    before = exporting.records(project)
    out = tmp_path / "everything.csv"
    exporting.run(project, out)
    again = importing.run(project, out)
    assert again.format == "csv"
    after = exporting.records(project, import_id=again.import_id)
    assert [r.canonical() for r in after] == [r.canonical() for r in before]
    assert [r.extra for r in after] == [r.extra for r in before]


# -- the search a file came from, found by its sha256 -------------------------------------

NEW = Path(__file__).parents[2] / "data" / "newreview"


def test_import_without_search_links_the_search_that_logged_the_same_file(
    project: Project, tmp_path: Path
) -> None:
    searches.add(project, searches.SearchEntry(source="Embase"), export_file=NEW / "embase.ris")
    wos = searches.add(
        project, searches.SearchEntry(source="Web of Science"), export_file=NEW / "wos.txt"
    )
    renamed = tmp_path / "savedrecs.txt"  # the name does not matter, the content does
    shutil.copy(NEW / "wos.txt", renamed)
    result = importing.run(project, renamed)
    assert result.search_id == wos and result.linked_by_sha256
    assert status.run(project).searches[1]["records_imported"] == 3


def test_import_without_a_matching_search_is_stored_unlinked(project: Project) -> None:
    searches.add(project, searches.SearchEntry(source="Embase"), export_file=NEW / "embase.ris")
    result = importing.run(project, NEW / "wos.txt")
    assert result.search_id is None and not result.linked_by_sha256
    assert result.records == 3
    assert any("reviewflow imports link 1" in n for n in status.run(project).notes)


def test_a_file_logged_by_several_searches_needs_search(project: Project) -> None:
    for source in ("Web of Science", "Web of Science (rerun)"):
        searches.add(project, searches.SearchEntry(source=source), export_file=NEW / "wos.txt")
    with pytest.raises(InputError, match=r"several searches \(1, 2\)") as err:
        importing.run(project, NEW / "wos.txt")
    assert "--search" in str(err.value)
    assert status.run(project).records == 0
    assert importing.run(project, NEW / "wos.txt", search_id=2).search_id == 2


def test_search_given_for_another_file_is_imported_with_a_notice(project: Project) -> None:
    sid = searches.add(
        project, searches.SearchEntry(source="Embase"), export_file=NEW / "embase.ris"
    )
    result = importing.run(project, NEW / "wos.txt", search_id=sid)
    assert result.search_id == sid and not result.linked_by_sha256
    assert any("embase.ris" in n and "differs" in n for n in result.notices)


def test_refused_duplicate_points_at_link_and_remove_before_force(project: Project) -> None:
    importing.run(project, NEW / "wos.txt")
    sid = searches.add(project, searches.SearchEntry(source="Web of Science"))
    with pytest.raises(DuplicateImportError) as err:
        importing.run(project, NEW / "wos.txt", search_id=sid)
    text = str(err.value)
    assert f"reviewflow imports link 1 --search {sid}" in text
    assert "reviewflow imports remove 1" in text
    assert "counts them twice" in text
    assert text.index("imports link") < text.index("--force")
