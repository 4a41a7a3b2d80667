"""Every row a person's action makes records who made it.

One operation of every stage runs inside ``project.session(actor="MC")``; then every table
of the schema is scanned: each row the session made names its user. A table added later
without a user column fails :func:`test_every_table_names_who_made_its_rows` until it gets
one (or is declared part of a parent row that has one).
"""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path

from click.testing import CliRunner
from sqlalchemy import Connection, Table, select, text

from reviewflow import people
from reviewflow.cli import cli
from reviewflow.project import Project
from reviewflow.session import Session
from reviewflow.settings import (
    CONFIG_NAME,
    ExtractionSettings,
    FormRef,
    ScreeningSettings,
    Settings,
    dump_settings,
)
from reviewflow.stages import importing, retrieval, screening
from reviewflow.stages.appraisal import project as appraise
from reviewflow.stages.dedup import project as dedup_project
from reviewflow.stages.extraction import project as extract
from reviewflow.stages.importing import changes as imports
from reviewflow.stages.searches import SearchEntry, add
from reviewflow.stages.synthesis import cerqual, codes, findings, themes
from reviewflow.stages.synthesis.segments import Block
from reviewflow.store import HEAD_REVISION, Database, actor_or, current_actor, resolve_url
from reviewflow.store.migrate import upgrade
from reviewflow.store.queries import now
from reviewflow.store.schema import metadata, searches

DATA = Path(__file__).parent.parent / "data" / "newreview"

#: The columns that name a user (initials) as the author of a row.
USER_COLUMNS = ("reviewer", "coder", "appraiser", "created_by", "changed_by", "by")
#: Tables without a user column of their own: their rows are made as part of a parent row
#: (table -> its foreign key column -> the parent table), whose user made them too.
PART_OF = {
    "records": ("import_id", "imports"),
    "extraction_values": ("event_id", "extraction_events"),
    "dedup_pairs": ("run_id", "dedup_runs"),
    "segments": ("source_id", "synthesis_sources"),
}
#: Tables exempt, with the reason.
NO_USER = {"users": "who added a person is the 'by' of their first membership event"}
#: Tables the session below writes to (the scan checks every table, these must be among them).
WRITTEN = {
    "searches", "imports", "import_events", "dedup_runs", "duplicate_links",
    "dedup_decisions", "screening_decisions", "screening_stage_events", "studies", "reports",
    "retrieval_events", "synthesis_sources", "segment_flag_events", "codes", "code_events",
    "code_applications", "themes", "theme_codes", "theme_quotes", "cerqual_findings",
    "cerqual_judgements", "extraction_forms", "extraction_events", "appraisals",
    "membership_events",
}  # fmt: skip
SOCIAL_PRESCRIBING = {"country": "England", "sample_size": 10, "model": "Link worker",
                      "timing": "After engagement"}  # fmt: skip
ALL_YES = {f"q{i}": "Yes" for i in range(1, 11)}


def _user_column(table: Table) -> str | None:
    names = [c for c in USER_COLUMNS if c in table.c]
    assert len(names) <= 1, f"{table.name} names its author twice: {names}"
    return names[0] if names else None


def _keys(conn: Connection) -> dict[str, set[tuple[object, ...]]]:
    """Primary keys of every row of every table: what was there before the session."""
    return {
        t.name: {tuple(r) for r in conn.execute(select(*t.primary_key.columns))}
        for t in metadata.sorted_tables
    }


def _new_rows(conn: Connection, before: dict[str, set[tuple[object, ...]]]) -> dict[str, list]:
    """Table -> (primary key, user) of each row made since ``before``."""
    out: dict[str, list] = {}
    for t in metadata.sorted_tables:
        user = _user_column(t)
        if user is None:
            continue
        rows = conn.execute(select(*t.primary_key.columns, t.c[user])).all()
        made = [(tuple(r[:-1]), r[-1]) for r in rows if tuple(r[:-1]) not in before[t.name]]
        if made:
            out[t.name] = made
    return out


def _team(project: Project) -> Project:
    """MC (owner) and CJ (reviewer) as users; one-reviewer plans; the seed's form."""
    with project.session(actor=None) as s:
        people.ensure_user(s.conn, "MC", name="M Cooper")
        people.grant(s.conn, "MC", ["owner"])
        people.ensure_user(s.conn, "CJ", name="C Jordan")
        people.grant(s.conn, "CJ", ["reviewer"])
    project.settings.screening = ScreeningSettings.model_validate(
        {"ta": {"reviewers": ["MC"]}, "ft": {"reviewers": ["MC"]}}
    )
    project.settings.extraction = ExtractionSettings(forms=[FormRef(source="social_prescribing")])
    project.save_settings()
    return project


def _every_stage(s: Session, work: Path, tiny_pdf: Callable[..., Path]) -> None:
    """One operation of each stage, naming no reviewer wherever the API lets it."""
    project = s.project
    for name in ("embase.ris", "medline.nbib"):
        shutil.copy(DATA / name, work / name)
    people.grant(s.conn, "CJ", ["arbiter"])
    embase = add(project, SearchEntry(source="Embase", platform="Ovid", records_returned=6))
    medline = add(project, SearchEntry(source="MEDLINE", platform="PubMed", records_returned=4))
    importing.run(project, work / "embase.ris", search_id=embase)
    late = importing.run(project, work / "medline.nbib")
    imports.link(project, late.import_id, search_id=medline)
    dedup_project.run(project)
    group = dedup_project.groups(project)[0]
    dedup_project.undo(project, group.canonical.id)  # type: ignore[arg-type]

    with project.db.connect() as conn:
        items = sorted(screening.load_state(conn, project, "ta").items)
    screening.decide(project, stage="ta", item_id=items[0], reviewer="MC", decision="include")
    screening.decide(project, stage="ta", item_id=items[1], reviewer="MC", decision="exclude")
    screening.close_stage(project, stage="ta", reviewer="MC", force=True)
    (report,) = screening.create_reports(project)
    pdf = tiny_pdf(work / "paper.pdf", ["Peer support groups"])
    retrieval.retrieve(project, report, file=pdf, reviewer="MC")
    screening.decide(project, stage="ft", item_id=report, reviewer="MC", decision="include")
    study = screening.list_reports(project)[0].study_id

    findings.store_blocks(
        project,
        study,
        [Block("Carers trusted the group. “It kept me going.” (P2)", page=3)],
        file_name="findings.txt",
    )
    seg = findings.list_segments(project)[0]["id"]
    findings.correct_segment(project, seg, in_scope=True)
    code = codes.create_code(project, "trust in the group")
    codes.apply_code(project, seg, code, reviewer="MC")
    theme = themes.create_theme(
        project, "Belonging", kind="descriptive", description="Carers belong.", codes=[code]
    )
    themes.add_quote(project, theme, segment_id=seg)
    finding = cerqual.add_finding(project, "Groups give carers belonging.", themes=[theme])
    cerqual.judge(project, finding, "coherence", "minor", "One study only.")

    extract.record_extraction(project, study, reviewer="MC", answers=SOCIAL_PRESCRIBING)
    appraise.record_appraisal(project, study, reviewer="MC", answers=ALL_YES)


def test_every_row_made_in_a_session_names_its_user(
    project: Project, tmp_path: Path, tiny_pdf: Callable[..., Path]
) -> None:
    _team(project)
    with project.db.connect() as conn:
        before = _keys(conn)
    with project.session(actor="MC") as s:
        _every_stage(s, tmp_path, tiny_pdf)
    with project.db.connect() as conn:
        made = _new_rows(conn, before)
    missing = {t: [k for k, who in rows if who != "MC"] for t, rows in made.items()}
    assert {t: keys for t, keys in missing.items() if keys} == {}
    assert set(made) >= WRITTEN, f"the session wrote nothing to {sorted(WRITTEN - set(made))}"


def test_every_table_names_who_made_its_rows() -> None:
    for table in metadata.sorted_tables:
        if _user_column(table) is not None or table.name in NO_USER:
            continue
        assert table.name in PART_OF, (
            f"{table.name} has no user column: add created_by (see store.schema._created_by) "
            "or declare the parent row it is part of in PART_OF"
        )
        column, parent = PART_OF[table.name]
        (fk,) = table.c[column].foreign_keys
        assert fk.column.table.name == parent
        assert _user_column(metadata.tables[parent]) is not None


def test_a_reviewer_the_caller_names_wins_over_the_session_actor(project: Project) -> None:
    _team(project)
    assert actor_or(None) is None  # no session open
    with project.session(actor="MC"):
        assert (actor_or(None), actor_or("CJ")) == ("MC", "CJ")
        code = codes.create_code(project, "loneliness", reviewer="CJ")
        codes.rename_code(project, code, "feeling alone")
    history = codes.history(project, code)
    assert [(e["action"], e["reviewer"]) for e in history] == [("create", "CJ"), ("rename", "MC")]
    assert codes.get_code(project, code)["created_by"] == "CJ"
    assert current_actor() is None


def test_outside_a_session_no_user_is_invented(project: Project) -> None:
    add(project, SearchEntry(source="Embase"))  # opens its own anonymous unit of work
    with project.db.connect() as conn:
        assert conn.execute(select(searches.c.created_by)).scalar_one() is None


def test_upgrade_keeps_older_rows_without_a_user_and_records_new_ones(
    tmp_path: Path, database_url: str
) -> None:
    root = tmp_path / "old"
    root.mkdir()
    db = Database(resolve_url(database_url, base=root))
    upgrade(db.engine, "0008")
    with db.engine.begin() as conn:  # a search logged before users were recorded
        conn.execute(
            text("INSERT INTO searches (method, source, created_at) VALUES ('database', :s, :t)"),
            {"s": "Embase", "t": now()},
        )
    db.dispose()
    settings = Settings(title="Old review")
    settings.database.url = database_url
    (root / CONFIG_NAME).write_text(dump_settings(settings), encoding="utf-8")

    result = CliRunner().invoke(cli, ["--project", str(root), "upgrade"])
    assert result.exit_code == 0, result.output
    assert f"from schema 0008 to {HEAD_REVISION}" in result.output

    project = Project.open(root)
    try:
        with project.session(actor=None) as s:
            people.ensure_user(s.conn, "MC")
            people.grant(s.conn, "MC", ["owner"])
        with project.session(actor="MC"):
            add(project, SearchEntry(source="MEDLINE"))
        with project.db.connect() as conn:
            rows = conn.execute(select(searches.c.source, searches.c.created_by)).all()
        assert sorted(rows) == [("Embase", None), ("MEDLINE", "MC")]
    finally:
        project.close()
